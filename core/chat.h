/*
 * chat.h — the port to chat platforms (console, Slack, Telegram).
 *
 * Inbound, an adapter turns what users wrote into struct xio_inbound and
 * hands it to the runner (runner.h).  Outbound, the outbox dispatcher calls
 * the adapter's ops to post a persona's message into a thread.  Each adapter
 * fills one const struct xio_chat_ops.
 */
#ifndef XIO_CHAT_H
#define XIO_CHAT_H

#include <stdint.h>

/* One persona message to deliver.  All strings are borrowed for the call. */
struct xio_post {
	const char *key;          /* outbox idempotency key */
	const char *chat;         /* platform chat/channel id */
	const char *thread;       /* platform thread id ("" = none) */
	const char *persona_id;
	const char *persona_name;
	const char *icon;         /* ":emoji:" or URL, may be "" */
	const char *text;
	const char *lang;
};

/*
 * Completion of post/check.  rc: 0 posted (or, for check, 1 = it was already
 * posted, 0 = it was not); XIO_EAGAIN = temporary (retry_after_ms >= 0 says
 * when, -1 = use backoff); XIO_ETIMEDOUT (post only) = temporary, and the
 * platform may have taken it (the request went out, no answer came back):
 * the retry asks check first; another negative code = permanent failure.
 * result is a JSON text describing the posted message (ts, message_id) or
 * NULL; msg explains a failure.  Both borrowed for the call.
 */
typedef void (*xio_chat_done_cb)(void *ud, int rc, int64_t retry_after_ms,
				 const char *result, const char *msg);

struct xio_chat_ops {
	const char *name;   /* "console", "slack", "telegram" */
	/* Posts p; calls cb exactly once, possibly before returning. */
	void (*post)(void *impl, const struct xio_post *p, xio_chat_done_cb cb, void *ud);
	/* After a crash, tells whether p (by its key) was already posted. */
	void (*check)(void *impl, const struct xio_post *p, xio_chat_done_cb cb, void *ud);
};

struct xio_chat {
	const struct xio_chat_ops *ops;
	void *impl;
};

/* What a human wrote, as an adapter reports it.  Strings borrowed. */
struct xio_inbound {
	const char *platform;   /* adapter name */
	const char *chat;
	const char *thread;     /* "" when not in a thread */
	const char *thread_key; /* the consilium's address: "slack:C1:1712.3" */
	const char *workspace;  /* precedent scope */
	const char *author;     /* display name */
	const char *text;
	const char *msg_id;     /* unique platform id, the dedupe key */
	int64_t time_ms;        /* when it was written; 0 = now */
	int hint_when_idle;     /* answer plain text with a hint if no consilium */
	const char *lang;       /* language hint for idle answers, may be NULL */
	int observer;           /* a command from outside the discussion (the HTTP
				 * API): its author does not join the council */
};

#endif
