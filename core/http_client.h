/*
 * http_client.h — asynchronous HTTP client on the shared libuv loop.
 *
 * libcurl's multi interface driven by libuv (socket and timer callbacks, as
 * in curl's docs/examples/multi-uv.c and LOOP.md): many requests in flight on
 * one thread, none of them blocking the loop.  On top of curl it adds what
 * every XIO adapter needs and would otherwise write again: retries with
 * exponential backoff and full jitter that honour Retry-After and
 * retry-after-ms, a per-host concurrency limit with a FIFO queue, a capped
 * response body (XIO_ETOOBIG instead of an OOM), a streaming mode that hands
 * each received chunk to a callback (for server-sent events), first-byte and
 * idle timeouts, cancellation, and error messages that are safe to log
 * (method and URL without the query string, or a caller-given log_url).
 * Only http and https are allowed; redirects are not followed (the APIs XIO
 * talks to do not use them, and a redirect could carry a token elsewhere).
 *
 * Threading: everything runs on the loop's thread; no function here may be
 * called from another thread.  Callbacks are always invoked from the loop
 * (never from inside xio_http_send or xio_http_cancel), except that
 * xio_http_client_free invokes the outstanding callbacks with XIO_ECANCELED
 * before it returns.
 */
#ifndef XIO_HTTP_CLIENT_H
#define XIO_HTTP_CLIENT_H

#include <json-c/json.h>
#include <stddef.h>
#include <stdint.h>

#include "clock.h"
#include "err.h"
#include "log.h"
#include "loop.h"
#include "metrics.h"

struct xio_http_client;
struct xio_http_call; /* one request across its attempts; internal */

/* Client-wide settings.  Zero fields take the default in brackets. */
struct xio_http_client_opts {
	int max_per_host;                   /* requests in flight per scheme://host:port [6] */
	int64_t default_timeout_ms;         /* per attempt, whole transfer [30000] */
	int64_t default_connect_timeout_ms; /* per attempt [10000] */
	size_t default_max_body;            /* response body cap [8 MiB] */
	/* Random source for the backoff jitter; uniform over unsigned int.
	 * NULL: a per-client xorshift generator seeded from the clock. */
	unsigned (*rand_cb)(void *ud);
	void *rand_ud;
	const char *user_agent;             /* copied [xio/VERSION] */
	const struct xio_clock *clock;      /* wall clock for HTTP-date Retry-After [system]; borrowed */
	struct xio_log *log;                /* retries are logged here; borrowed, may be NULL */
	/* Per-API series (xio_http_responses_total{api,code},
	 * xio_http_retries_total{api}, xio_http_request_seconds{api}); borrowed,
	 * may be NULL. */
	struct xio_metrics *metrics;
	const char *api;                    /* their api label, copied [other] */
};

/* Counters since the client was created. */
struct xio_http_stats {
	uint64_t requests; /* accepted by xio_http_send */
	uint64_t attempts; /* transfers started (requests + retries) */
	uint64_t retries;  /* attempts scheduled after a retryable failure */
	uint64_t failures; /* completed with error != 0 or status >= 400 (cancels excluded) */
	uint64_t canceled; /* completed with XIO_ECANCELED */
	unsigned in_flight; /* transfers running now */
	unsigned queued;    /* waiting for a per-host slot or a backoff delay */
};

/*
 * One request.  xio_http_send copies everything it needs: the struct and all
 * it points to may be freed as soon as it returns.  Zero fields take the
 * defaults in brackets.
 */
struct xio_http_request {
	const char *method;   /* "GET", "POST", "PUT", "DELETE", ... [GET, or POST with a body] */
	const char *url;      /* http:// or https:// only; may contain secrets (it is never logged) */
	/* What error messages and logs show instead of the URL (e.g.
	 * "telegram sendMessage": the bot token is in Telegram's path).
	 * NULL: scheme://host[:port]/path with query and user info removed. */
	const char *log_url;
	const char *const *headers; /* "Name: value" strings, NULL-terminated; may be NULL */
	const void *body;     /* request body bytes; may be NULL */
	size_t body_len;
	int64_t timeout_ms;   /* per attempt, whole transfer; <0 none [client default] */
	int64_t connect_timeout_ms; /* per attempt [client default] */
	/* Longest wait for the first byte of the response body; 0 none.  For
	 * streams whose total length is unbounded. */
	int64_t first_byte_timeout_ms;
	/* Longest silence between body bytes once the body started (and before
	 * it when first_byte_timeout_ms is 0); 0 none. */
	int64_t idle_timeout_ms;
	size_t max_body;      /* cap on the response body, streamed or not [client default] */
	int max_attempts;     /* 1 = no retry [3] */
	int64_t backoff_base_ms; /* first retry waits up to this [200] */
	int64_t backoff_max_ms;  /* cap on any retry delay, Retry-After included [20000]; at most a day */
	/* Safe to send twice.  Idempotent requests are retried on connection
	 * errors, timeouts, 408, 429, 500, 502, 503, 504; others only on 429
	 * and on connection failures where nothing was sent.  GET and HEAD are
	 * always idempotent. */
	int idempotent;
	/*
	 * Streaming: when set, the body of a 2xx response is not collected but
	 * handed over chunk by chunk as it arrives (data is not NUL-terminated
	 * and valid only during the call; ud is the one given to xio_http_send).
	 * A nonzero return aborts the transfer; the request then completes with
	 * that code if it is negative, else XIO_ECANCELED.  Non-2xx bodies are
	 * collected as usual so the error can be read.  Once a chunk was
	 * delivered the request is never retried.
	 */
	int (*chunk_cb)(void *ud, const char *data, size_t len);
	/* A new connection, closed after the answer.  For requests that must
	 * not run twice: curl silently sends a request again when the reused
	 * connection it went out on dies before any answer, which would
	 * perform a create twice if the server had already done it. */
	int fresh_connection;
};

/*
 * The outcome of a request, passed to its completion callback.  Valid only
 * during the callback: copy what you need.
 */
struct xio_http_response {
	uint64_t id;           /* as returned by xio_http_send */
	long status;           /* HTTP status of the last attempt; 0 if none arrived */
	const char *body;      /* NUL-terminated, never NULL; "" when streamed or none */
	size_t body_len;
	int attempts;          /* transfers made, >= 1 unless canceled before the first */
	/* 0 when an HTTP response arrived, whatever its status; otherwise a
	 * negative XIO_E* code: XIO_ETIMEDOUT, XIO_ETOOBIG, XIO_ECANCELED,
	 * XIO_EIO (connection), XIO_ENOMEM, or a chunk_cb's own code. */
	int error;
	/* With error set: 1 when the last attempt failed after the request
	 * was written (a timeout, a dropped connection): the server may have
	 * acted on it.  0 when it surely did not (no connection). */
	int maybe_sent;
	/* Never NULL; "" on success.  Set when error != 0 or status >= 400,
	 * e.g. "POST http://host/path: HTTP 503 after 3 attempts".  Names the
	 * method and the log URL; never the query string or a header. */
	const char *error_msg;
	const char *log_url;   /* the URL as shown in messages */
	int64_t elapsed_ms;    /* from xio_http_send to completion */
	const struct xio_http_call *call_; /* internal */
};

/* Called exactly once per accepted request. */
typedef void (*xio_http_done_cb)(void *ud, const struct xio_http_response *r);

/*
 * Creates a client on loop (only loop->uv is used; a struct xio_loop whose uv
 * member was set up with uv_loop_init alone is enough).  opts may be NULL.
 * Returns 0 and *out, or XIO_ENOMEM/XIO_EIO with a message in err.  Caller
 * frees with xio_http_client_free before releasing the loop.
 */
int xio_http_client_new(struct xio_http_client **out, struct xio_loop *loop,
			const struct xio_http_client_opts *opts,
			struct xio_err *err);

/*
 * Cancels every request (their callbacks run now, with XIO_ECANCELED), cleans
 * up curl and closes all uv handles; the memory goes when their close
 * callbacks have run, so run the loop afterwards (xio_loop_release does).
 * Called from inside one of this client's callbacks, the teardown happens
 * when that callback returns.  NULL is a no-op.
 */
void xio_http_client_free(struct xio_http_client *c);

/*
 * The series xio_http_retries_total{api} of m (NULL when m is NULL), for a
 * caller that retries requests itself rather than through max_attempts.
 * Owned by m.
 */
struct xio_counter *xio_http_retries_counter(struct xio_metrics *m, const char *api);

/* Copies the counters into *out. */
void xio_http_client_stats(const struct xio_http_client *c,
			   struct xio_http_stats *out);

/*
 * Queues a request; the transfer starts from the loop, at once or when a
 * per-host slot frees.  cb (required) is called once, later, from the loop.
 * *id_out (may be NULL) receives an id for xio_http_cancel (never 0).
 * Returns 0, or XIO_EINVAL (bad URL, method or header: err names which, not
 * its value), XIO_ENOMEM, XIO_ESTATE (client being freed); cb is then never
 * called.
 */
int xio_http_send(struct xio_http_client *c, const struct xio_http_request *req,
		  xio_http_done_cb cb, void *ud, uint64_t *id_out,
		  struct xio_err *err);

/*
 * As xio_http_send with body serialised from json (borrowed; req->body must
 * be NULL) and the headers Content-Type: application/json and Accept:
 * application/json added unless req->headers has them.  json may be NULL for
 * a request without a body.  Read the answer with xio_http_response_json.
 */
int xio_http_send_json(struct xio_http_client *c,
		       const struct xio_http_request *req, json_object *json,
		       xio_http_done_cb cb, void *ud, uint64_t *id_out,
		       struct xio_err *err);

/*
 * Cancels a request: its callback runs soon after, from the loop, with
 * XIO_ECANCELED (and whatever status a partial attempt had).  Safe from any
 * callback of this client, chunk_cb included.  Returns 0, or XIO_ENOTFOUND if
 * id is unknown or already completed (or its callback is running).
 */
int xio_http_cancel(struct xio_http_client *c, uint64_t id);

/*
 * Value of a response header of the last attempt, name case-insensitive (the
 * first one if repeated).  NULL if absent or no response arrived.  Valid
 * during the callback only.
 */
const char *xio_http_response_header(const struct xio_http_response *r,
				     const char *name);

/*
 * Parses the body as JSON.  Returns a new reference (caller puts it), or NULL
 * with XIO_EPROTO in err (message names method and log URL) when the body is
 * empty or not a single JSON value.
 */
json_object *xio_http_response_json(const struct xio_http_response *r,
				    struct xio_err *err);

/*
 * Parses a Retry-After value: delay-seconds ("120") or an HTTP-date ("Wed,
 * 21 Oct 2015 07:28:00 GMT", as curl_getdate reads it), relative to now_ms
 * (ms since the epoch).  A date in the past gives 0.  Returns 0 and
 * *delay_ms, or XIO_EINVAL for anything else.
 */
int xio_http_parse_retry_after(const char *value, int64_t now_ms,
			       int64_t *delay_ms);

/*
 * Parses a retry-after-ms value (OpenAI): a non-negative decimal number of
 * milliseconds, fraction allowed ("1500", "20.5").  Returns 0 and *delay_ms
 * (rounded up), or XIO_EINVAL.
 */
int xio_http_parse_retry_after_ms(const char *value, int64_t *delay_ms);

#endif
