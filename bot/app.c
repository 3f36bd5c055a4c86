/*
 * app.c — wiring and the shutdown order.
 */
#include "app.h"
#include "wire.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void check_idle(void *ud)
{
	struct xio_app *app = ud;

	if (app->stopping || !xio_outbox_idle(app->outbox))
		return;
	if (app->console && xio_console_busy(app->console)) {
		xio_console_next(app->console);
		return;
	}
	if (app->console && app->exit_when_idle && xio_console_drained(app->console) &&
	    xio_runner_all_wait_for_humans(&app->runner)) {
		xio_log_info(app->log, "app", "input ended and every consilium waits for a human; exiting");
		xio_loop_request_stop(&app->loop);
	}
}

static void reload_cb(struct xio_loop *loop, void *ud)
{
	(void)loop;
	xio_app_reload(ud);
}

static void stop_cb(struct xio_loop *loop, void *ud)
{
	struct xio_app *app = ud;

	(void)loop;
	app->stopping = 1;
	/* Stop taking input first, then let the loop drain: the work already
	 * committed is in the store and resumes at the next start. */
	if (app->console)
		xio_console_stop(app->console);
	/* telegram: its posts in progress end while the outbox still exists */
	xio_wire_telegram_stop(app);
	if (app->outbox)
		xio_outbox_stop(app->outbox);
	/* slack */
	xio_wire_slack_stop(app);
	/* llm */
	xio_wire_llm_stop(app);
	if (app->runner_on) {
		xio_runner_release(&app->runner);
		app->runner_on = 0;
	}
	if (app->console) {
		xio_console_free(app->console);
		app->console = NULL;
	}
	/* notion */
	if (app->notion)
		xio_wire_notion_stop(app);
	if (app->outbox) {
		xio_outbox_free(app->outbox);
		app->outbox = NULL;
	}
	/* followup */
	xio_wire_followup_stop(app);
	if (app->stats_on) {
		app->stats_on = 0;
		uv_close((uv_handle_t *)&app->stats_timer, NULL);
	}
	/* ops */
	xio_wire_ops_stop(app);
	/* before the lws context goes (the loop destroys it after this) */
	if (app->http) {
		xio_http_server_free(app->http);
		app->http = NULL;
	}
}

static int store_ready_cb(void *ud, char *why, size_t whylen)
{
	struct xio_app *app = ud;
	struct xio_err err;

	if (xio_store_ping(&app->store, &err)) {
		snprintf(why, whylen, "%s", err.msg);
		return 0;
	}
	return 1;
}

static int adapters_ready_cb(void *ud, char *why, size_t whylen)
{
	struct xio_app *app = ud;

	if (app->stopping) {
		snprintf(why, whylen, "shutting down");
		return 0;
	}
	return 1;
}

/* Copies the modules' counters into the metrics registry once a second. */
static void stats_cb(uv_timer_t *t)
{
	struct xio_app *app = t->data;
	struct xio_outbox_stats st;

	if (!app->outbox)
		return;
	xio_outbox_stats(app->outbox, &st);
	xio_counter_add(app->c_steps, (double)(app->runner.steps - app->steps_seen));
	xio_counter_add(app->c_sent, (double)(st.performed - app->sent_seen));
	xio_counter_add(app->c_failed, (double)(st.failed - app->failed_seen));
	app->steps_seen = app->runner.steps;
	app->sent_seen = st.performed;
	app->failed_seen = st.failed;
	xio_gauge_set(app->g_inflight, (double)st.inflight);
}

/* The metrics registry, made before the modules that count into it (it is
 * served by the HTTP server when that is on). */
static int start_metrics(struct xio_app *app, struct xio_err *err)
{
	int rc;

	app->metrics = xio_metrics_new();
	if (!app->metrics)
		return xio_err_set(err, XIO_ENOMEM, "out of memory");
	rc = xio_metrics_add_process_collector(app->metrics, err);
	if (rc)
		return rc;
	app->c_steps = xio_metrics_counter(app->metrics, "xio_engine_steps_total",
					   "Consilium steps committed to the store", NULL);
	app->c_sent = xio_metrics_counter(app->metrics, "xio_outbox_performed_total",
					  "Outbound effects performed (posts, drafts, exports)", NULL);
	app->c_failed = xio_metrics_counter(app->metrics, "xio_outbox_failed_total",
					    "Outbound effects given up after their retries", NULL);
	app->g_inflight = xio_metrics_gauge(app->metrics, "xio_outbox_inflight",
					    "Outbound effects in flight", NULL);
	uv_timer_init(&app->loop.uv, &app->stats_timer);
	app->stats_timer.data = app;
	uv_timer_start(&app->stats_timer, stats_cb, 1000, 1000);
	uv_unref((uv_handle_t *)&app->stats_timer);
	app->stats_on = 1;
	return 0;
}

static int start_http(struct xio_app *app, struct xio_err *err)
{
	struct xio_http_server_opts ho = { 0 };
	int rc;

	ho.max_body_bytes = (size_t)xio_config_int(app->cfg, "http.max_body_bytes");
	ho.metrics = app->metrics;
	ho.log = app->log;
	rc = xio_http_server_new(&app->http, &app->loop, xio_config_str(app->cfg, "http.host"),
				 (int)xio_config_int(app->cfg, "http.port"), &ho, err);
	if (rc)
		return rc;
	xio_http_server_add_ready_probe(app->http, "store", store_ready_cb, app);
	xio_http_server_add_ready_probe(app->http, "adapters", adapters_ready_cb, app);
	xio_logf(app->log, XIO_LOG_INFO, "app", "HTTP on %s:%d (/healthz, /readyz, /metrics, /api)",
		 xio_config_str(app->cfg, "http.host"), xio_http_server_port(app->http));
	return 0;
}

void xio_app_engine_settings(struct xio_engine *e, const struct xio_config *cfg)
{
	e->language = xio_config_str(cfg, "consilium.language");
	e->policy = strcmp(xio_config_str(cfg, "consilium.policy"), "selector") == 0
			    ? XIO_POLICY_SELECTOR : XIO_POLICY_ROUND_ROBIN;
	e->max_rounds = (int)xio_config_int(cfg, "consilium.max_rounds");
	e->time_limit_ms = xio_config_int(cfg, "consilium.time_limit_min") * 60000;
	e->human_timeout_ms = xio_config_int(cfg, "consilium.human_timeout_sec") * 1000;
	e->require_approval = xio_config_bool(cfg, "consilium.require_approval");
}

static int build_engine(struct xio_app *app, struct xio_err *err)
{
	struct xio_config *cfg = app->cfg;
	struct xio_engine *e = &app->eng;
	int rc;

	rc = xio_personas_load(&app->personas, xio_config_str(cfg, "consilium.personas_file"), err);
	if (rc)
		return rc;
	rc = xio_i18n_load(&app->i18n, xio_config_str(cfg, "consilium.locales_dir"), err);
	if (rc)
		return rc;
	memset(e, 0, sizeof(*e));
	e->personas = &app->personas;
	e->i18n = &app->i18n;
	e->log = app->log;
	xio_app_engine_settings(e, cfg);
	e->ai_experts = 0;
	e->validate = xio_producer_validate;
	e->validate_ud = &app->producer;
	return 0;
}
/* The store checkpoints its WAL when the loop has nothing to do. */
static int store_idle_due(void *store)
{
	return xio_store_idle_due(store);
}

static void store_idle(void *store)
{
	xio_store_idle(store);
}

int xio_app_init(struct xio_app *app, struct xio_config *cfg, const struct xio_app_opts *o,
		 struct xio_err *err)
{
	struct xio_outbox_opts oo = { 0 };
	enum xio_log_level level = XIO_LOG_INFO;
	const char *fmt;
	char session[32], journal[4200];
	int rc;

	memset(app, 0, sizeof(*app));
	app->cfg = cfg;
	if (o->config_file && !(app->config_path = strdup(o->config_file)))
		return xio_err_set(err, XIO_ENOMEM, "out of memory");
	app->exit_when_idle = o->exit_when_idle;
	fmt = xio_config_str(cfg, "log.format");
	xio_log_level_parse(xio_config_str(cfg, "log.level"), &level);
	app->log = xio_log_new(STDERR_FILENO,
			       !strcmp(fmt, "json") ? XIO_LOG_JSON
			       : !strcmp(fmt, "human") ? XIO_LOG_HUMAN : XIO_LOG_AUTO, level);
	if (!app->log)
		return xio_err_set(err, XIO_ENOMEM, "out of memory");
	xio_config_register_secrets(cfg, app->log);

	rc = xio_loop_init(&app->loop, app->log, err);
	if (rc)
		return rc;
	app->loop_on = 1;
	rc = start_metrics(app, err);
	if (rc)
		return rc;
	rc = xio_store_open_sqlite(&app->store, xio_config_str(cfg, "store.path"),
				   (int)xio_config_int(cfg, "store.busy_timeout_ms"), 0, err);
	if (rc)
		return rc;
	rc = build_engine(app, err);
	if (rc)
		return rc;
	oo.max_attempts = (int)xio_config_int(cfg, "outbox.max_attempts");
	oo.backoff_base_ms = xio_config_int(cfg, "outbox.backoff_base_ms");
	oo.backoff_max_ms = xio_config_int(cfg, "outbox.backoff_max_ms");
	oo.metrics = app->metrics;
	rc = xio_outbox_new(&app->outbox, &app->loop.uv, &app->store, &xio_clock_system, app->log, &oo);
	if (rc)
		return xio_err_set(err, rc, "outbox: %s", xio_strerror(rc));
	xio_runner_init(&app->runner, &app->loop.uv, &app->store, &app->eng, app->outbox, app->log,
			&xio_clock_system);
	app->runner_on = 1;
	rc = xio_producer_init(&app->producer, &app->runner, xio_config_str(cfg, "consilium.schemas_dir"),
			       xio_config_str(cfg, "consilium.timezone"), app->log, err);
	if (rc)
		return rc;
	app->producer_on = 1;
	xio_poster_init(&app->poster, app->log);
	xio_outbox_register(app->outbox, &app->poster.handler);
	xio_outbox_register(app->outbox, &app->producer.handler);
	xio_outbox_on_progress(app->outbox, check_idle, app);
	/* followup */
	rc = xio_wire_followup_start(app, err);
	if (rc)
		return rc;
	/* notion */
	rc = xio_wire_notion_start(app, err);
	if (rc)
		return rc;
	app->eng.can_export = xio_outbox_handles(app->outbox, "export");

	if (o->console) {
		struct xio_console_opts co = { 0 };
		const char *db = xio_config_str(cfg, "store.path");

		snprintf(session, sizeof(session), "s%lld", (long long)xio_clock_now(&xio_clock_system));
		snprintf(journal, sizeof(journal), "%s.console.jsonl", db);
		co.user = xio_config_str(cfg, "console.user");
		co.session = o->session ? o->session : session;
		co.journal = strcmp(db, ":memory:") ? journal : NULL;
		co.lang = xio_config_str(cfg, "consilium.language");
		co.in_fd = STDIN_FILENO;
		co.out_fd = STDOUT_FILENO;
		co.idle_cb = check_idle;
		co.idle_ud = app;
		rc = xio_console_new(&app->console, &app->loop.uv, &app->runner, &co, app->log, err);
		if (rc)
			return rc;
		xio_poster_add(&app->poster, xio_console_chat(app->console));
	}
	if (o->http && xio_config_bool(cfg, "http.enabled")) {
		rc = start_http(app, err);
		if (rc)
			return rc;
	}
	/* slack */
	rc = xio_wire_slack_start(app, err);
	if (rc)
		return rc;
	/* ops */
	rc = xio_wire_ops_start(app, err);
	if (rc)
		return rc;
	/* llm */
	rc = xio_wire_llm_start(app, err);
	if (rc)
		return rc;
	/* telegram */
	rc = xio_wire_telegram_start(app, err);
	if (rc)
		return rc;
	xio_loop_handle_signals(&app->loop, stop_cb, app);
	if (xio_loop_on_idle(&app->loop, store_idle_due, store_idle, &app->store))
		xio_logf(app->log, XIO_LOG_WARN, "app", "no idle hook: WAL checkpoints only in commits");
	if (o->reload && xio_loop_handle_reload(&app->loop, reload_cb, app))
		xio_logf(app->log, XIO_LOG_WARN, "app", "SIGHUP cannot be caught: no config reload");
	return 0;
}

int xio_app_run(struct xio_app *app)
{
	struct xio_err err;

	/* Resume what the last process left: pending effects and timers. */
	xio_outbox_kick(app->outbox);
	xio_runner_tick(&app->runner);
	if (app->console && xio_console_start(app->console, &err)) {
		xio_logf(app->log, XIO_LOG_ERROR, "app", "%s", err.msg);
		return 1;
	}
	xio_log_info(app->log, "app", "xio %s running (store %s)", XIO_VERSION,
		     xio_config_str(app->cfg, "store.path"));
	xio_loop_run(&app->loop);
	return app->exit_code;
}

void xio_app_release(struct xio_app *app)
{
	if (app->loop_on && !app->stopping)
		stop_cb(&app->loop, app);
	if (app->loop_on)
		xio_loop_release(&app->loop);
	if (app->producer_on)
		xio_producer_release(&app->producer);
	xio_metrics_free(app->metrics);
	xio_store_close(&app->store);
	xio_i18n_release(&app->i18n);
	xio_personas_release(&app->personas);
	xio_config_free(app->cfg);
	for (size_t i = 0; i < app->ncfg_retired; i++)
		xio_config_free(app->cfg_retired[i]);
	free(app->cfg_retired);
	free(app->config_path);
	xio_log_free(app->log);
	memset(app, 0, sizeof(*app));
}
