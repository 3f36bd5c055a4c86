/*
 * app.h — the running service: every module wired together on one loop.
 *
 * bot/ is where adapters meet the core: it reads the configuration, builds
 * the store, the engine, the runner and the outbox, starts the adapters the
 * configuration names, and tears everything down in the order LOOP.md
 * requires.
 */
#ifndef XIO_BOT_APP_H
#define XIO_BOT_APP_H

#include "api.h"
#include "config.h"
#include "console/console.h"
#include "engine.h"
#include "http_server.h"
#include "metrics.h"
#include "i18n.h"
#include "log.h"
#include "loop.h"
#include "outbox.h"
#include "persona.h"
#include "post.h"
#include "produce.h"
#include "runner.h"
#include "store.h"

struct xio_tg;

struct xio_app {
	struct xio_config *cfg;     /* owned */
	char *config_path;          /* the file cfg came from; NULL: environment only */
	struct xio_config **cfg_retired; /* replaced by reloads, freed at release */
	size_t ncfg_retired;
	struct xio_log *log;        /* owned */
	struct xio_loop loop;
	int loop_on;
	struct xio_store store;
	struct xio_personas personas;
	struct xio_i18n i18n;
	struct xio_engine eng;
	struct xio_outbox *outbox;
	struct xio_runner runner;
	int runner_on;
	struct xio_poster poster;
	struct xio_producer producer;
	int producer_on;
	struct xio_console *console;
	struct xio_sched *sched;    /* followup */
	struct xio_slack *slack;    /* slack */
	struct xio_wire_llm *llm;   /* llm: NULL unless llm.base_url is set */
	struct xio_tg *tg;          /* telegram */
	struct xio_metrics *metrics;
	struct xio_http_server *http;
	struct xio_notion *notion;  /* NULL when notion.token is empty */
	struct xio_api *api;        /* ops: HTTP API and event stream */
	uv_timer_t stats_timer;
	int stats_on;
	uint64_t steps_seen, sent_seen, failed_seen;
	struct xio_counter *c_steps, *c_sent, *c_failed;
	struct xio_gauge *g_inflight;
	int exit_when_idle;         /* console: end once input is done */
	int stopping;
	int exit_code;
};

struct xio_app_opts {
	int console;            /* start the console adapter on stdin/stdout */
	int http;               /* start the HTTP server if http.enabled */
	int exit_when_idle;     /* stop when input ends and nothing can move */
	const char *session;    /* console session id; NULL = from the clock */
	/* SIGHUP reads config_file (NULL: none) and the environment again
	 * (xio run); otherwise SIGHUP keeps its default, a hangup ends us */
	int reload;
	const char *config_file;
};

/*
 * Builds everything cfg describes (takes ownership of cfg, even on error).
 * Returns 0, or a negative code with err naming what could not start (the
 * store file, a port, a persona file); on error call xio_app_release.
 */
int xio_app_init(struct xio_app *app, struct xio_config *cfg, const struct xio_app_opts *o,
		 struct xio_err *err);

/* Runs the loop until a signal or the end of console input. Returns the
 * process exit code. */
int xio_app_run(struct xio_app *app);

/* Sets e's consilium.* settings (language, policy, rounds, time limits,
 * approval) from cfg; e borrows cfg's strings.  At start and on reload. */
void xio_app_engine_settings(struct xio_engine *e, const struct xio_config *cfg);

/*
 * Reads the config again (the same file and the environment, as at the
 * start) and applies what can change while running: the log level, the API
 * tokens and the consilium settings; the other changed keys are logged as
 * needing a restart.  An audit line (actor "operator", action
 * "config.reload") names the changed keys, never their values.  Returns 0,
 * or the code of the failure (logged; the running config stays whole).
 * Called on SIGHUP.
 */
int xio_app_reload(struct xio_app *app);

/* Tears down in order; safe after a failed init. */
void xio_app_release(struct xio_app *app);

#endif
