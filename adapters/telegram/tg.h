/*
 * tg.h — the Telegram chat adapter: Bot API long polling or webhook in,
 * sendMessage out, one consilium per forum topic or per reply chain.
 *
 * Inbound, every update becomes a struct xio_inbound for the runner with the
 * dedupe key "tg:<bot id>:<update_id>"; in polling mode the offset that
 * confirms an update to Telegram is sent (and persisted) only after the
 * update was stored, so a crash neither loses nor doubles one.  Where an
 * update belongs:
 *
 *   forum topic message       telegram:<chat>:t<message_thread_id>
 *   /consilium elsewhere      telegram:<chat>:m<message_id of the command>
 *   reply into a chain        the consilium the replied-to message belongs to
 *                             (a map platform message id -> consilium kept
 *                             in the store's kv table)
 *   anything else             the chat's one open consilium; with several
 *                             open only replies are attributed, and the bot
 *                             says so once
 *
 * Outbound, a persona speaks through its own bot when telegram.persona_tokens
 * names one, otherwise through the main bot with a bold "icon Name:" prefix.
 * Text is sent as HTML (escaped, "*bold*" lines made bold), split below 4096
 * characters at paragraph boundaries, paced per chat, per group and per bot,
 * and a 429 is waited out (parameters.retry_after) without losing or
 * reordering anything.  Each part's message_id is stored under the outbox key
 * as soon as Telegram answers, which is what check() looks up after a crash.
 * Telegram offers no lookup of a bot's own messages, so a send that Telegram
 * accepted but whose answer never arrived (the process died in between) is
 * sent again: that window — one round trip — is the residual risk, and it is
 * logged as "outcome unknown" when it may have happened.
 */
#ifndef XIO_TG_H
#define XIO_TG_H

#include <json-c/json.h>
#include <stddef.h>
#include <stdint.h>

#include "chat.h"
#include "err.h"
#include "http_server.h"
#include "i18n.h"
#include "log.h"
#include "loop.h"
#include "outbox.h"
#include "persona.h"
#include "runner.h"
#include "store.h"

/* ---- updates (pure; used by the adapter, the tests and the fuzzer) ---- */

enum xio_tg_update_kind {
	XIO_TG_UPD_MESSAGE = 0, /* a new message with text (or a caption) */
	XIO_TG_UPD_EDITED,      /* edited_message */
	XIO_TG_UPD_MIGRATE,     /* a group became a supergroup */
	XIO_TG_UPD_OTHER        /* anything the bot does not act on */
};

/* The parts of an update the adapter uses.  Strings owned by the struct. */
struct xio_tg_update {
	int64_t update_id;
	enum xio_tg_update_kind kind;
	int64_t chat_id;
	char chat_type[16];       /* "private", "group", "supergroup", "channel" */
	int is_forum;
	int64_t message_id;
	int64_t thread_id;        /* message_thread_id, 0 when absent */
	int is_topic_message;
	int64_t reply_to;         /* reply_to_message.message_id, 0 when none */
	int64_t migrate_to;       /* migrate_to_chat_id (old chat's service message) */
	int64_t migrate_from;     /* migrate_from_chat_id (new chat's service message) */
	int64_t from_id;
	int from_is_bot;
	char *author;             /* "First Last", else @username, else "user<id>" */
	char *text;               /* text or caption; NULL when none */
	char *lang;               /* from.language_code, may be NULL */
	char *command_bot;        /* "name" of "/cmd@name" at the start, else NULL */
};

/*
 * Reads update u (one element of getUpdates' result, or a webhook body).
 * Returns 0 and fills out (release with xio_tg_update_release, also on
 * error), XIO_EINVAL with err naming the field when it is malformed (no
 * update_id, a message without chat id ...), XIO_ENOMEM.
 */
int xio_tg_update_parse(json_object *u, struct xio_tg_update *out, struct xio_err *err);
void xio_tg_update_release(struct xio_tg_update *u);

/* ---- formatting (pure) ---- */

/*
 * Renders engine text as Telegram HTML: <, >, & escaped; a line's "*text*"
 * spans made <b>bold</b>; prefix (may be NULL; escaped too) prepended in
 * bold.  Returns a new string (caller frees) or NULL when out of memory.
 */
char *xio_tg_html(const char *text, const char *prefix);

/* Length of s as Telegram counts it: UTF-16 code units. */
size_t xio_tg_utf16_len(const char *s, size_t n);

/*
 * Splits plain text into parts of at most max UTF-16 units each, cutting at
 * a paragraph break ("\n\n") when one is in reach, else a line break, else a
 * space, else between UTF-8 characters.  Returns 0 and *parts (n strings;
 * free with xio_tg_parts_free), or XIO_ENOMEM.  Empty text gives one empty
 * part.
 */
int xio_tg_split(const char *text, size_t max, char ***parts, size_t *n);
void xio_tg_parts_free(char **parts, size_t n);

/* Compares two strings in time that depends only on their lengths. */
int xio_tg_secret_equal(const char *a, const char *b);

/* ---- the adapter ---- */

struct xio_tg;

struct xio_tg_opts {
	const char *api_url;          /* "https://api.telegram.org" */
	const char *token;            /* main bot */
	int webhook;                  /* 0 = long polling */
	const char *webhook_url;      /* webhook mode */
	const char *webhook_secret;   /* webhook mode, required */
	json_object *persona_tokens;  /* array of "persona_id=token", may be NULL */
	int64_t chat_interval_ms;     /* pacing; see config telegram.* */
	int group_per_minute;
	int bot_per_second;
	int poll_timeout_s;           /* getUpdates timeout [50] */
	const char *language;         /* consilium.language, for idle answers */
	const struct xio_i18n *i18n;  /* borrowed */
	const struct xio_personas *personas; /* borrowed: names and icons */
	struct xio_http_server *http; /* borrowed; webhook mode mounts its route here */
	struct xio_metrics *metrics;  /* borrowed, may be NULL: api="telegram" series */
};

/*
 * Creates the adapter on loop.  runner, store, outbox and log are borrowed
 * and must outlive it.  Strings in o are copied.  Returns 0, or XIO_EINVAL
 * naming the option at fault (no token, a webhook without URL or secret, a
 * malformed persona token entry), XIO_ENOMEM.  Free with xio_tg_free.
 */
int xio_tg_new(struct xio_tg **out, struct xio_loop *loop, struct xio_runner *runner,
	       struct xio_store *store, struct xio_outbox *outbox,
	       const struct xio_tg_opts *o, struct xio_log *log, struct xio_err *err);

/* Starts: getMe, setMyCommands (en, ru), then deleteWebhook and polling, or
 * setWebhook and the route POST /telegram/webhook.  Failures of these calls
 * are logged and retried with backoff.  Returns 0 or XIO_EINVAL/XIO_ENOMEM. */
int xio_tg_start(struct xio_tg *tg, struct xio_err *err);

/*
 * Stops taking updates and finishes every post in progress with XIO_EAGAIN
 * (so the outbox retries it next time), then frees the adapter.  Call while
 * the outbox still exists.  NULL is a no-op.
 */
void xio_tg_free(struct xio_tg *tg);

/*
 * 1 when the adapter takes updates: getMe and setWebhook/deleteWebhook went
 * through and the last Bot API call of the start-up or of polling did not
 * fail.  Else 0, with why (NUL-terminated, cut to whylen) naming the call
 * and the Bot API's or the transport's answer, for /readyz.
 */
int xio_tg_ready(const struct xio_tg *tg, char *why, size_t whylen);

/* The chat port of the adapter ("telegram"). */
struct xio_chat xio_tg_chat(struct xio_tg *tg);

/*
 * Handles one update (JSON text), as polling and the webhook do.  Returns 0
 * when it was stored, was a duplicate, or was skipped (malformed, not for
 * this bot, nothing to do; logged); a negative code with err when the store
 * failed and the update must be delivered again.
 */
int xio_tg_handle_update(struct xio_tg *tg, const char *json, size_t len, struct xio_err *err);

/* Counters for metrics and tests. */
struct xio_tg_stats {
	uint64_t updates, skipped, sent, rate_limited, polls;
	/* delivery checks after a crash: started, the lost message found in
	 * the chat, not found (sent then) */
	uint64_t probes, probe_found, probe_missing;
};
void xio_tg_stats(const struct xio_tg *tg, struct xio_tg_stats *st);

#endif
