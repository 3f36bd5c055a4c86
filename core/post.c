/*
 * post.c — "post" outbox rows to chat adapters, checking first when the
 * outcome of an earlier attempt is unknown.
 */
#include "post.h"

#include <stdlib.h>
#include <string.h>

struct post_call {
	struct xio_outbox_job *job;
	struct xio_poster *p;
	struct xio_chat chat;
	json_object *payload;
	struct xio_post post;
	int checking;
};

static const char *pstr(json_object *o, const char *k)
{
	json_object *v;

	return json_object_object_get_ex(o, k, &v) ? json_object_get_string(v) : "";
}

static void finish(struct post_call *call, int rc, int64_t retry_after, const char *result,
		   const char *msg)
{
	xio_outbox_done(call->job, rc, retry_after, result, msg);
	json_object_put(call->payload);
	free(call);
}

static void posted_cb(void *ud, int rc, int64_t retry_after_ms, const char *result, const char *msg)
{
	struct post_call *call = ud;

	if (rc == XIO_ETIMEDOUT) {
		/* it may have arrived: the retry checks before posting again */
		call->job->unknown_outcome = 1;
		rc = XIO_EAGAIN;
	}
	finish(call, rc, retry_after_ms, result, msg);
}

static void checked_cb(void *ud, int rc, int64_t retry_after_ms, const char *result, const char *msg)
{
	struct post_call *call = ud;

	if (rc == 1) {
		xio_logf(call->p->log, XIO_LOG_INFO, "post", "%s was already delivered; not sent again",
			 call->post.key);
		finish(call, 0, -1, result, NULL);
		return;
	}
	if (rc < 0) {
		/* job->unknown_outcome stays set: the retry checks again */
		finish(call, XIO_EAGAIN, retry_after_ms, NULL, msg ? msg : "delivery check failed");
		return;
	}
	call->job->unknown_outcome = 0; /* known now: not delivered */
	call->chat.ops->post(call->chat.impl, &call->post, posted_cb, call);
}

static void perform(void *ud, struct xio_outbox_job *job)
{
	struct xio_poster *p = ud;
	struct post_call *call = calloc(1, sizeof(*call));
	const char *platform;
	size_t i;

	if (!call) {
		xio_outbox_done(job, XIO_EAGAIN, -1, NULL, "out of memory");
		return;
	}
	call->job = job;
	call->p = p;
	call->payload = json_tokener_parse(job->row.payload);
	if (!call->payload) {
		finish(call, XIO_EINVAL, -1, NULL, "post payload is not JSON");
		return;
	}
	platform = pstr(call->payload, "platform");
	for (i = 0; i < p->nchats; i++)
		if (strcmp(p->chats[i].ops->name, platform) == 0)
			break;
	if (i == p->nchats) {
		/* The adapter may come back (config changed): retry later rather
		 * than lose the message. */
		finish(call, XIO_EAGAIN, 60000, NULL, "no chat adapter for this platform is running");
		return;
	}
	call->chat = p->chats[i];
	call->post.key = job->row.key;
	call->post.chat = pstr(call->payload, "chat");
	call->post.thread = pstr(call->payload, "thread");
	call->post.persona_id = pstr(call->payload, "persona_id");
	call->post.persona_name = pstr(call->payload, "persona_name");
	call->post.icon = pstr(call->payload, "icon");
	call->post.text = pstr(call->payload, "text");
	call->post.lang = pstr(call->payload, "lang");
	if (job->unknown_outcome && call->chat.ops->check) {
		call->chat.ops->check(call->chat.impl, &call->post, checked_cb, call);
		return;
	}
	call->chat.ops->post(call->chat.impl, &call->post, posted_cb, call);
}

void xio_poster_init(struct xio_poster *p, struct xio_log *log)
{
	memset(p, 0, sizeof(*p));
	p->handler.kind = "post";
	p->handler.perform = perform;
	p->handler.ud = p;
	p->log = log;
}

int xio_poster_add(struct xio_poster *p, struct xio_chat chat)
{
	if (p->nchats == XIO_POST_MAX_CHATS)
		return XIO_ETOOBIG;
	p->chats[p->nchats++] = chat;
	return 0;
}
