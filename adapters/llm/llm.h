/*
 * llm.h — a client of OpenAI-compatible chat completions (OpenAI, Ollama,
 * llama.cpp server, vLLM, LM Studio) on the shared loop.
 *
 * POST {base_url}/chat/completions through its own curl-multi client
 * (core/http_client.h), streamed as server-sent events or not.  The client
 * adds what a model server needs beyond plain HTTP: a limit on completions in
 * flight with a FIFO queue behind it; retries of 408, 409, 429, 5xx, dropped
 * connections, broken or stalled streams and error chunks, honouring
 * retry-after-ms and retry-after (nothing is shown to users before a reply is
 * complete, so a broken stream is always safe to redo); a timeout per attempt
 * and, when streaming, a first-token/silence timeout; clear errors for a
 * refused key (401/403), an unknown model or endpoint (404) and a refused
 * request (400/422), whatever shape the server gives its error body in; and
 * token usage and latency, per call and as metrics.
 *
 * Threading: the loop's thread only.  Callbacks run from the loop, never
 * from inside xio_llm_chat or xio_llm_cancel; xio_llm_free runs the
 * outstanding ones with XIO_ECANCELED before it returns.
 */
#ifndef XIO_LLM_H
#define XIO_LLM_H

#include <json-c/json.h>
#include <stddef.h>
#include <stdint.h>

#include "clock.h"
#include "err.h"
#include "log.h"
#include "loop.h"
#include "metrics.h"

struct xio_llm;

/* Zero fields take the default in brackets. */
struct xio_llm_opts {
	const char *base_url;       /* e.g. "http://localhost:11434/v1"; required */
	const char *model;          /* sent with every request [""] */
	const char *api_key;        /* Bearer token; NULL/"" = no header */
	int64_t timeout_ms;         /* one attempt, whole completion [120000] */
	int64_t first_token_ms;     /* streaming: wait for the first byte, and
				     * longest silence after it [30000] */
	int max_concurrency;        /* completions in flight [4] */
	int stream;                 /* 1 = SSE with stream_options.include_usage */
	double temperature;         /* sent as is */
	int max_retries;            /* extra attempts after a retryable failure [0] */
	int64_t backoff_base_ms;    /* first retry waits up to this [500] */
	int64_t backoff_max_ms;     /* cap on any wait, retry-after included [30000] */
	struct xio_metrics *metrics; /* borrowed, may be NULL */
	struct xio_log *log;        /* borrowed, may be NULL */
	const struct xio_clock *clock; /* borrowed [system] */
};

struct xio_llm_msg {
	const char *role;           /* "system", "user", "assistant" */
	const char *content;
};

enum xio_llm_format {
	XIO_LLM_TEXT = 0,
	XIO_LLM_JSON_OBJECT,        /* response_format json_object */
	XIO_LLM_JSON_SCHEMA         /* response_format json_schema (strict off) */
};

/* One completion.  Everything is copied by xio_llm_chat. */
struct xio_llm_req {
	const struct xio_llm_msg *msgs;
	size_t nmsgs;
	const char *purpose;        /* metrics label: "turn", "select", ... [chat] */
	enum xio_llm_format format;
	const char *schema_name;    /* json_schema: [A-Za-z0-9_-]{1,64} [answer] */
	json_object *schema;        /* json_schema: borrowed */
	int max_tokens;             /* 0 = not sent */
};

/* The outcome, valid during the callback only. */
struct xio_llm_result {
	uint64_t id;
	/* 0, or: XIO_EAUTH (401/403), XIO_ENOTFOUND (404: model or endpoint),
	 * XIO_EINVAL (other 4xx: bad model, bad request), XIO_EAGAIN (429/5xx
	 * after the last retry), XIO_ETIMEDOUT, XIO_EIO (connection), XIO_EPROTO
	 * (malformed answer, error chunk), XIO_ETOOBIG, XIO_ECANCELED. */
	int error;
	long status;                /* HTTP status of the last attempt, 0 if none */
	const char *text;           /* the content, NUL-terminated, never NULL */
	size_t len;
	const char *error_msg;      /* "" on success; else says what and what to check */
	int64_t prompt_tokens;      /* -1 when the server sent no usage */
	int64_t completion_tokens;
	int64_t latency_ms;         /* from the first attempt's start to the end */
	int64_t first_token_ms;     /* last attempt: start to first content, -1 if none */
	int64_t queued_ms;          /* waiting for a slot before the first attempt */
	int attempts;
	const char *model;          /* as reported by the server, else as asked */
};

typedef void (*xio_llm_done_cb)(void *ud, const struct xio_llm_result *r);

/* Counters since creation. */
struct xio_llm_stats {
	uint64_t calls, ok, failed, retries, canceled;
	uint64_t prompt_tokens, completion_tokens;
	unsigned running, queued;
};

/*
 * Creates a client on loop.  Returns 0 and *out, or XIO_EINVAL (no base_url,
 * not http(s)) / XIO_ENOMEM with err.  The caller frees it with xio_llm_free
 * before releasing the loop.
 */
int xio_llm_new(struct xio_llm **out, struct xio_loop *loop, const struct xio_llm_opts *o,
		struct xio_err *err);

/*
 * Cancels everything: callbacks of queued and running calls run now, with
 * XIO_ECANCELED (a callback may not start a new call: it gets XIO_ESTATE).
 * The memory goes once the loop has run the close callbacks.  NULL is a
 * no-op.
 */
void xio_llm_free(struct xio_llm *l);

/*
 * Queues a completion; cb (required) runs once, later, from the loop.  *id
 * (may be NULL) receives an id for xio_llm_cancel.  Returns 0, or XIO_EINVAL
 * (no messages, bad schema name), XIO_ENOMEM, XIO_ESTATE (being freed) with
 * err; cb is then never called.
 */
int xio_llm_chat(struct xio_llm *l, const struct xio_llm_req *req, xio_llm_done_cb cb, void *ud,
		 uint64_t *id, struct xio_err *err);

/* Cancels a call: its callback runs soon, with XIO_ECANCELED.  Returns 0 or
 * XIO_ENOTFOUND (unknown or already finished). */
int xio_llm_cancel(struct xio_llm *l, uint64_t id);

void xio_llm_stats(const struct xio_llm *l, struct xio_llm_stats *out);

#endif
