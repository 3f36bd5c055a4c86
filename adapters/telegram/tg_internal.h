/*
 * tg_internal.h — what the Telegram adapter's files (tg.c, tg_probe.c)
 * share: the adapter's state and a few helpers.  Not for use outside
 * adapters/telegram.
 */
#ifndef XIO_TG_INTERNAL_H
#define XIO_TG_INTERNAL_H

#include <json-c/json.h>
#include <stdint.h>
#include <uv.h>

#include "http_client.h"
#include "tg.h"

#define PACE_BUCKETS 4096

struct probe;

struct bot {
	char *token;
	char id[24];            /* digits before ':' */
	char *persona_id;       /* NULL for the main bot */
	int64_t tat;            /* next free slot of the bot-wide pace, µs */
};

struct pace {
	struct pace *next;
	char *key;              /* "<bot id>:<chat>" */
	int64_t tat_chat, tat_group; /* µs */
	/* the main bot's entry of a chat: the highest message id known there
	 * (also in kv tg:top:<chat>), where a probe after a crash starts */
	int64_t top;
	int top_loaded;
	/* ids this process sent there lately, whose records may still wait in
	 * the outbox's next transaction: a probe never takes them for lost */
	int64_t recent[8];
	unsigned nrecent;
};

enum send_state { SEND_WAITING, SEND_HTTP };

struct send {
	struct xio_tg *tg;
	struct send *prev, *next;
	enum send_state state;
	int64_t due;
	xio_chat_done_cb cb;
	void *ud;
	char *key;
	int64_t cid;
	char *chat, *thread;
	struct bot *bot;
	char **parts;
	size_t nparts;
	json_object *ids;       /* message ids of the parts sent */
	int waits429;
	int64_t last_retry_ms;
};

enum start_step { START_GETME = 0, START_HOOK, START_POLL, START_DONE };

struct xio_tg {
	struct xio_loop *loop;
	struct xio_runner *runner;
	struct xio_store *store;
	struct xio_outbox *outbox;
	struct xio_log *log;
	struct xio_http_client *http;
	struct xio_http_server *server;
	const struct xio_i18n *i18n;
	const struct xio_personas *personas;
	char *api_url, *webhook_url, *secret, *language;
	char *username;         /* from getMe */
	int webhook;
	struct bot main;
	struct bot *pbots;      /* persona bots */
	size_t npbots;
	/* in µs: 30 messages/s is 33,333 µs, and a benchmark's 10,000/s is
	 * 100 µs, which whole milliseconds would round up to 1,000/s */
	int64_t chat_interval_us, group_interval_us, bot_interval_us;
	int poll_timeout_s;
	struct pace *pace[PACE_BUCKETS];
	struct send *sends;
	struct probe *probes;   /* queued; the first is running */
	uv_timer_t send_timer, ctl_timer;
	int64_t send_timer_due; /* when send_timer fires; INT64_MAX: stopped */
	int timers_open;
	enum start_step step;
	int64_t backoff_ms;
	/* the failure behind backoff_ms, for /readyz */
	char last_error[160];
	/* xio_http_retries_total{api="telegram"}: the start-up and polling
	 * calls this adapter sends again itself */
	struct xio_counter *m_retries;
	int64_t offset;
	uint64_t poll_id;
	int polling;
	int closing;
	struct xio_tg_stats st;
};


/* The Bot API envelope of a response. */
struct envelope {
	int ok;
	long status;
	int64_t error_code, retry_after, migrate_to;
	const char *description;
	json_object *root, *result;   /* root owned */
};

/* Now, in ms (the system clock). */
int64_t xio_tg_now_ms(struct xio_tg *tg);
int64_t xio_tg_max64(int64_t a, int64_t b);

/* The kv value of key (caller frees), NULL when absent or on a store error
 * (logged). */
char *xio_tg_kv_get(struct xio_tg *tg, const char *key);

/* Reads a Bot API response into e (e->root owned: envelope_release). */
void xio_tg_envelope_read(const struct xio_http_response *r, struct envelope *e);
void xio_tg_envelope_release(struct envelope *e);

/* Sends method with body (borrowed) as bot b, one attempt; cb gets ud.
 * Returns 0 or the client's code (logged). */
int xio_tg_api_call(struct xio_tg *tg, const struct bot *b, const char *method, json_object *body,
		    int64_t timeout_ms, xio_http_done_cb cb, void *ud, uint64_t *id);

/* The highest message id known in chat (0: none). */
int64_t xio_tg_chat_top(struct xio_tg *tg, const char *chat);
/* Raises chat's top to message_id; 1 when it rose (store tg:top:<chat>). */
int xio_tg_raise_top(struct xio_tg *tg, const char *chat, int64_t message_id);
/* 1 when this process sent message_id into chat lately. */
int xio_tg_sent_lately(struct xio_tg *tg, const char *chat, int64_t message_id);

/* chat after its migrations (caller frees; NULL without memory). */
char *xio_tg_resolve_chat(struct xio_tg *tg, const char *chat);
/* The consilium of an outbox key "c<id>:…", else 0. */
int64_t xio_tg_consilium_of_key(const char *key);
/* The bot that speaks for persona_id (the main bot when it has none). */
struct bot *xio_tg_bot_for(struct xio_tg *tg, const char *persona_id);
/* Renders p into HTML parts for bot b (*out freed with xio_tg_parts_free). */
int xio_tg_render_parts(const struct xio_post *p, const struct bot *b, char ***out, size_t *n);
/* Records that the post of outbox key reached chat as the message ids
 * (the last one new): tg:sent:<key> = {"chat","ids"} (its progress),
 * tg:msg:<chat>:<id> = cid and, when it rose, tg:top:<chat>, in one
 * transaction.  With rec_out, hands the record over (caller puts it).
 * Returns 0 or the store's code with err. */
int xio_tg_record_sent(struct xio_tg *tg, const char *key, const char *chat, int64_t cid,
		       json_object *ids, json_object **rec_out, struct xio_err *err);
/* What was already sent for an outbox key: {"chat","ids"} or NULL. */
json_object *xio_tg_sent_record(struct xio_tg *tg, const char *key);

/* ---- tg_probe.c ---- */

/* The chat adapter's check: whether p, whose outcome is unknown, reached
 * the chat (see tg_probe.c).  Calls cb once: 1 delivered, 0 not (the post
 * resumes), XIO_EAGAIN to try again later. */
void xio_tg_check(void *impl, const struct xio_post *p, xio_chat_done_cb cb, void *ud);
/* 1 while a check looks in chat (nothing else may be sent there). */
int xio_tg_probing(struct xio_tg *tg, const char *chat);
/* Ends every check with XIO_EAGAIN (shutdown). */
void xio_tg_probes_cancel(struct xio_tg *tg);

#endif
