/*
 * http_client.c — curl multi on libuv, with retries, per-host limits, capped
 * bodies, streaming and cancellation.
 *
 * The loop integration follows curl's docs/examples/multi-uv.c and LOOP.md:
 * curl tells us which sockets to watch (socket_cb → one uv_poll per socket,
 * closed and freed through its close callback on CURL_POLL_REMOVE) and when
 * to call it back (timer_cb → one uv_timer; 0 ms becomes 1 ms so nothing is
 * done inside curl's callback).  After every curl_multi_socket_action the
 * finished transfers are drained with curl_multi_info_read.
 *
 * A request ("call") lives across its attempts: QUEUED (waiting for a
 * per-host slot) → RUNNING (an easy handle in the multi) → BACKOFF (waiting
 * for a retry delay, slot released) → QUEUED … → DONE.  Only call_state()
 * changes the state.  Transfers are started and cancellations carried out
 * only from the "kick" timer callback, so xio_http_send and xio_http_cancel
 * may be called from anywhere — a curl write callback included, where curl
 * forbids touching the multi handle — and never call back synchronously.
 *
 * Reentrancy: every libuv entry point brackets its work with client_enter /
 * client_leave.  xio_http_client_free called inside one of them only marks
 * the client; the real teardown runs when the outermost one leaves.
 */
#include "http_client.h"
#include "buf.h"

#include <curl/curl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define DEFAULT_MAX_PER_HOST 6
#define DEFAULT_TIMEOUT_MS 30000
#define DEFAULT_CONNECT_TIMEOUT_MS 10000
#define DEFAULT_MAX_BODY (8u << 20)
#define DEFAULT_MAX_ATTEMPTS 3
#define DEFAULT_BACKOFF_BASE_MS 200
#define DEFAULT_BACKOFF_MAX_MS 20000
#define MAX_HEADERS_LINE 8192
#define MAX_BACKOFF_MS ((int64_t)24 * 3600 * 1000)

enum call_state {
	CALL_QUEUED,  /* in its host's FIFO, waiting for a slot */
	CALL_RUNNING, /* easy handle added to the multi; holds a host slot */
	CALL_BACKOFF, /* between attempts; timer running; no slot */
	CALL_DONE     /* callback running or ran; being freed */
};

/* Per scheme://host:port: how many transfers run and who waits. */
struct host {
	struct host *next;
	char *key;
	int active;                      /* calls RUNNING */
	int refs;                        /* calls referring to this host */
	struct xio_http_call *qhead, *qtail;
};

/* One uv_poll per socket curl asks us to watch. */
struct sock_ctx {
	uv_poll_t poll;
	curl_socket_t fd;
	int events; /* what poll watches now */
	struct xio_http_client *c;
	struct sock_ctx *prev, *next;
};

struct xio_http_call {
	struct xio_http_client *c;
	uint64_t id;
	enum call_state state;
	struct xio_http_call *prev, *next;   /* c->calls */
	struct xio_http_call *qprev, *qnext; /* host queue while QUEUED */
	struct host *host;

	char *method;
	char *url;
	char *log_url;
	struct curl_slist *headers;
	char *body;
	size_t body_len;
	int64_t timeout_ms, connect_timeout_ms;
	int64_t first_byte_timeout_ms, idle_timeout_ms;
	size_t max_body;
	int max_attempts;
	int64_t backoff_base_ms, backoff_max_ms;
	int idempotent;
	int fresh_connection;
	int (*chunk_cb)(void *ud, const char *data, size_t len);
	xio_http_done_cb cb;
	void *ud;

	CURL *easy;          /* current attempt; kept for header lookup in cb */
	struct xio_buf resp; /* collected body, capped at max_body */
	size_t streamed;     /* bytes handed to chunk_cb, all attempts */
	int attempts;
	int got_body;        /* this attempt received a body byte */
	int chunks_delivered;
	int maybe_sent;    /* the last attempt failed after writing the request */
	int abort_code;      /* why write_cb stopped the transfer */
	int stalled;         /* the first-byte/idle timer ended the attempt */
	int cancel_requested;
	int64_t start_ms;
	uv_timer_t timer;    /* backoff delay, or first-byte/idle watchdog */
	char errbuf[CURL_ERROR_SIZE];
	char msg[512];
};

struct xio_http_client {
	struct xio_loop *loop;
	CURLM *multi;
	uv_timer_t timer;    /* curl's timeout */
	uv_timer_t kick;     /* starts queued calls, carries out cancels */
	int handles_open;    /* of timer and kick, for the final free */
	struct xio_http_call *calls;
	struct host *hosts;
	struct sock_ctx *socks;
	uint64_t next_id;
	struct xio_http_stats stats;
	int max_per_host;
	int64_t default_timeout_ms, default_connect_timeout_ms;
	size_t default_max_body;
	unsigned (*rand_cb)(void *ud);
	void *rand_ud;
	uint32_t rand_state;
	char *user_agent;
	const struct xio_clock *clock;
	struct xio_log *log;
	int depth;           /* nesting of libuv entry points */
	int free_pending;
	int closing;
	int curl_inited;
	int cancels;         /* a cancel came since kick_cb last looked */
	/* per-API metrics (all NULL without a registry) */
	struct xio_metrics *metrics;
	char *api;
	struct xio_counter *m_retries;
	struct xio_histogram *m_seconds;
	struct {
		long status;
		struct xio_counter *counter;
	} m_codes[8];        /* the codes seen first, so most lookups are here */
	size_t m_ncodes;
};

static void client_destroy(struct xio_http_client *c);
static void kick_cb(uv_timer_t *t);
static void check_multi_info(struct xio_http_client *c);

/* ---- small helpers ---------------------------------------------------- */

static char *dup_str(const char *s)
{
	return s ? strdup(s) : NULL;
}

static void client_enter(struct xio_http_client *c)
{
	c->depth++;
}

/* Returns 1 when the client was torn down: the caller must not touch it. */
static int client_leave(struct xio_http_client *c)
{
	if (--c->depth == 0 && c->free_pending) {
		client_destroy(c);
		return 1;
	}
	return 0;
}

static void schedule_kick(struct xio_http_client *c)
{
	if (!c->closing)
		uv_timer_start(&c->kick, kick_cb, 0, 0);
}

static unsigned xorshift_cb(void *ud)
{
	uint32_t *s = ud;
	uint32_t x = *s;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	*s = x;
	return x;
}

static const char *state_name(enum call_state s)
{
	switch (s) {
	case CALL_QUEUED: return "queued";
	case CALL_RUNNING: return "running";
	case CALL_BACKOFF: return "backoff";
	case CALL_DONE: return "done";
	}
	return "?";
}

/* The one writer of call->state, keeping the counters in step. */
static void call_state(struct xio_http_call *call, enum call_state to)
{
	struct xio_http_client *c = call->c;
	enum call_state from = call->state;

	if (from == to)
		return;
	if (from == CALL_RUNNING) {
		c->stats.in_flight--;
		call->host->active--;
	} else if (from == CALL_QUEUED || from == CALL_BACKOFF) {
		c->stats.queued--;
	}
	if (to == CALL_RUNNING) {
		c->stats.in_flight++;
		call->host->active++;
	} else if (to == CALL_QUEUED || to == CALL_BACKOFF) {
		c->stats.queued++;
	}
	call->state = to;
	xio_logf(c->log, XIO_LOG_DEBUG, "http", "%s %s: #%llu %s -> %s",
		 call->method, call->log_url, (unsigned long long)call->id,
		 state_name(from), state_name(to));
}

/* ---- hosts and queues ------------------------------------------------- */

static struct host *host_get(struct xio_http_client *c, const char *key)
{
	struct host *h;

	for (h = c->hosts; h; h = h->next)
		if (strcmp(h->key, key) == 0)
			return h;
	h = calloc(1, sizeof(*h));
	if (!h)
		return NULL;
	h->key = strdup(key);
	if (!h->key) {
		free(h);
		return NULL;
	}
	h->next = c->hosts;
	c->hosts = h;
	return h;
}

/* Frees hosts nobody refers to.  Only from kick_cb and teardown, never while
 * a loop over c->hosts is running. */
static void hosts_prune(struct xio_http_client *c, int all)
{
	struct host **pp = &c->hosts, *h;

	while ((h = *pp)) {
		if (h->refs == 0 || all) {
			*pp = h->next;
			free(h->key);
			free(h);
		} else {
			pp = &h->next;
		}
	}
}

static void queue_push(struct xio_http_call *call, int front)
{
	struct host *h = call->host;

	call->qprev = call->qnext = NULL;
	if (!h->qhead) {
		h->qhead = h->qtail = call;
	} else if (front) {
		call->qnext = h->qhead;
		h->qhead->qprev = call;
		h->qhead = call;
	} else {
		call->qprev = h->qtail;
		h->qtail->qnext = call;
		h->qtail = call;
	}
}

static void queue_remove(struct xio_http_call *call)
{
	struct host *h = call->host;

	if (call->qprev)
		call->qprev->qnext = call->qnext;
	else
		h->qhead = call->qnext;
	if (call->qnext)
		call->qnext->qprev = call->qprev;
	else
		h->qtail = call->qprev;
	call->qprev = call->qnext = NULL;
}

/* ---- URLs ---------------------------------------------------------------- */

/*
 * Splits url with curl's own parser into the host key (scheme://host:port)
 * and the URL that may be shown (no user info, no query, no fragment).
 */
static int url_parts(const char *url, char **key, char **shown)
{
	CURLU *u = curl_url();
	char *scheme = NULL, *host = NULL, *port = NULL, *path = NULL;
	char *given_port = NULL;
	int rc = XIO_EINVAL;
	size_t n;

	*key = *shown = NULL;
	if (!u)
		return XIO_ENOMEM;
	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK)
		goto out;
	if (curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    (strcmp(scheme, "http") != 0 && strcmp(scheme, "https") != 0))
		goto out;
	if (curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_PATH, &path, 0) != CURLUE_OK)
		goto out;
	if (curl_url_get(u, CURLUPART_PORT, &given_port, 0) != CURLUE_OK)
		given_port = NULL;
	rc = XIO_ENOMEM;
	n = strlen(scheme) + strlen(host) + strlen(port) + 8;
	*key = malloc(n);
	if (!*key)
		goto out;
	snprintf(*key, n, "%s://%s:%s", scheme, host, port);
	n += strlen(path);
	*shown = malloc(n);
	if (!*shown)
		goto out;
	if (given_port)
		snprintf(*shown, n, "%s://%s:%s%s", scheme, host, given_port, path);
	else
		snprintf(*shown, n, "%s://%s%s", scheme, host, path);
	rc = 0;
out:
	if (rc) {
		free(*key);
		free(*shown);
		*key = *shown = NULL;
	}
	curl_free(given_port);
	curl_free(path);
	curl_free(port);
	curl_free(host);
	curl_free(scheme);
	curl_url_cleanup(u);
	return rc;
}

/* ---- curl ↔ libuv ------------------------------------------------------ */

static void sock_close_cb(uv_handle_t *h)
{
	free(h->data);
}

static void sock_close(struct xio_http_client *c, struct sock_ctx *s)
{
	if (s->prev)
		s->prev->next = s->next;
	else
		c->socks = s->next;
	if (s->next)
		s->next->prev = s->prev;
	uv_close((uv_handle_t *)&s->poll, sock_close_cb);
}

static void poll_cb(uv_poll_t *h, int status, int events)
{
	struct sock_ctx *s = h->data;
	struct xio_http_client *c = s->c;
	int flags = 0, running;

	if (status < 0)
		flags = CURL_CSELECT_ERR;
	if (events & UV_READABLE)
		flags |= CURL_CSELECT_IN;
	if (events & UV_WRITABLE)
		flags |= CURL_CSELECT_OUT;
	client_enter(c);
	/* s may be closed inside this call (CURL_POLL_REMOVE): not used after. */
	curl_multi_socket_action(c->multi, s->fd, flags, &running);
	check_multi_info(c);
	client_leave(c);
}

static int socket_cb(CURL *easy, curl_socket_t fd, int action, void *userp,
		     void *socketp)
{
	struct xio_http_client *c = userp;
	struct sock_ctx *s = socketp;
	int events = 0;

	(void)easy;
	if (action == CURL_POLL_REMOVE) {
		if (s) {
			uv_poll_stop(&s->poll);
			curl_multi_assign(c->multi, fd, NULL);
			sock_close(c, s);
		}
		return 0;
	}
	if (!s) {
		s = calloc(1, sizeof(*s));
		if (!s)
			return -1;
		if (uv_poll_init_socket(&c->loop->uv, &s->poll, fd) != 0) {
			free(s);
			return -1;
		}
		s->fd = fd;
		s->c = c;
		s->poll.data = s;
		s->next = c->socks;
		if (c->socks)
			c->socks->prev = s;
		c->socks = s;
		curl_multi_assign(c->multi, fd, s);
	}
	if (action != CURL_POLL_IN)
		events |= UV_WRITABLE;
	if (action != CURL_POLL_OUT)
		events |= UV_READABLE;
	/* libuv re-registers the descriptor on every start (epoll DEL, then
	 * ADD), wanted or not */
	if (events != s->events)
		uv_poll_start(&s->poll, events, poll_cb);
	s->events = events;
	return 0;
}

static void curl_timeout_cb(uv_timer_t *t)
{
	struct xio_http_client *c = t->data;
	int running;

	client_enter(c);
	curl_multi_socket_action(c->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	check_multi_info(c);
	client_leave(c);
}

/* Never acts: curl may not be re-entered from here. */
static int timer_cb(CURLM *multi, long timeout_ms, void *userp)
{
	struct xio_http_client *c = userp;

	(void)multi;
	if (timeout_ms < 0) {
		uv_timer_stop(&c->timer);
	} else {
		/* 0 is "now": a libuv timer of 0 runs in the next loop turn
		 * without waiting (raising it to 1 ms, as this did, delayed every
		 * request's start by a millisecond) */
		uv_timer_start(&c->timer, curl_timeout_cb, (uint64_t)timeout_ms, 0);
	}
	return 0;
}

/* ---- completion -------------------------------------------------------- */

static void call_close_cb(uv_handle_t *h)
{
	free(h->data);
}

/* Takes the current easy handle out of the multi, if it is in. */
static void call_detach(struct xio_http_call *call)
{
	uv_timer_stop(&call->timer);
	if (call->state == CALL_RUNNING)
		curl_multi_remove_handle(call->c->multi, call->easy);
}

/* Sets call->msg to "METHOD URL: text", minus anything shaped like a secret. */
static void call_msg(struct xio_http_call *call, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void call_msg(struct xio_http_call *call, const char *fmt, ...)
{
	char raw[sizeof(call->msg)];
	char *clean;
	va_list ap;
	int n;

	n = snprintf(raw, sizeof(raw), "%s %s: ", call->method, call->log_url);
	if (n < 0 || (size_t)n >= sizeof(raw))
		n = 0;
	va_start(ap, fmt);
	vsnprintf(raw + n, sizeof(raw) - (size_t)n, fmt, ap);
	va_end(ap);
	/* curl's messages name hosts, not paths; the redactor is a second line
	 * of defence against a token that slipped into one. */
	clean = xio_log_redact(call->c->log, raw);
	snprintf(call->msg, sizeof(call->msg), "%s", clean ? clean : raw);
	free(clean);
}

static void call_free(struct xio_http_call *call)
{
	if (call->easy)
		curl_easy_cleanup(call->easy);
	curl_slist_free_all(call->headers);
	xio_buf_release(&call->resp);
	free(call->body);
	free(call->log_url);
	free(call->url);
	free(call->method);
	/* The timer is inited in every call that reached the list. */
	uv_close((uv_handle_t *)&call->timer, call_close_cb);
}

/*
 * Ends a call: runs its callback once with error (0 or XIO_E*) and the last
 * attempt's response, then frees it.  The call must be out of the multi and
 * out of its host queue.
 */
static void call_complete(struct xio_http_call *call, int error)
{
	struct xio_http_client *c = call->c;
	struct xio_http_response r;
	long status = 0;

	call_state(call, CALL_DONE);
	if (call->prev)
		call->prev->next = call->next;
	else
		c->calls = call->next;
	if (call->next)
		call->next->prev = call->prev;
	call->host->refs--;
	schedule_kick(c);

	if (call->easy)
		curl_easy_getinfo(call->easy, CURLINFO_RESPONSE_CODE, &status);
	if (error == XIO_ECANCELED && !call->msg[0])
		call_msg(call, "canceled");
	else if (!error && status >= 400 && !call->msg[0])
		call_msg(call, "HTTP %ld after %d attempt%s", status,
			 call->attempts, call->attempts == 1 ? "" : "s");
	if (error == XIO_ECANCELED)
		c->stats.canceled++;
	else if (error || status >= 400)
		c->stats.failures++;

	memset(&r, 0, sizeof(r));
	r.id = call->id;
	r.status = status;
	r.body = call->resp.data ? call->resp.data : "";
	r.body_len = call->resp.len;
	r.attempts = call->attempts;
	r.error = error;
	r.maybe_sent = error && error != XIO_ECANCELED && call->maybe_sent;
	r.error_msg = (error || status >= 400) ? call->msg : "";
	r.log_url = call->log_url;
	r.elapsed_ms = xio_clock_mono_ms() - call->start_ms;
	r.call_ = call;
	if (error != XIO_ECANCELED)
		xio_histogram_observe(c->m_seconds, (double)r.elapsed_ms / 1000.0);
	c->depth++;
	call->cb(call->ud, &r);
	c->depth--;
	call_free(call);
}

/* ---- metrics ----------------------------------------------------------- */

/* The response counter of status (0: no HTTP answer); NULL without a
 * registry. */
static struct xio_counter *code_counter(struct xio_http_client *c, long status)
{
	struct xio_counter *k;
	char code[24];
	size_t i;

	if (!c->metrics)
		return NULL;
	for (i = 0; i < c->m_ncodes; i++)
		if (c->m_codes[i].status == status)
			return c->m_codes[i].counter;
	if (status)
		snprintf(code, sizeof(code), "%ld", status);
	else
		snprintf(code, sizeof(code), "none");
	k = xio_metrics_counter(c->metrics, "xio_http_responses_total",
				"Attempts at an outside API's HTTP requests by status code "
				"(none: no answer: refused, reset or timed out)",
				"api", c->api, "code", code, NULL);
	if (k && c->m_ncodes < sizeof(c->m_codes) / sizeof(c->m_codes[0])) {
		c->m_codes[c->m_ncodes].status = status;
		c->m_codes[c->m_ncodes++].counter = k;
	}
	return k;
}

struct xio_counter *xio_http_retries_counter(struct xio_metrics *m, const char *api)
{
	return xio_metrics_counter(m, "xio_http_retries_total",
				   "Outside API HTTP requests sent again after an error, a 429 "
				   "or a 5xx",
				   "api", api, NULL);
}

static void metrics_init(struct xio_http_client *c, const struct xio_http_client_opts *opts)
{
	static const double bounds[] = { 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5,
					 5, 10, 30, 60 };

	c->metrics = opts->metrics;
	if (!c->metrics)
		return;
	c->m_retries = xio_http_retries_counter(c->metrics, c->api);
	c->m_seconds = xio_metrics_histogram(c->metrics, "xio_http_request_seconds",
					     "Outside API HTTP requests, queued to done, "
					     "retries included",
					     bounds, sizeof(bounds) / sizeof(bounds[0]),
					     "api", c->api, NULL);
}

/* ---- retries ----------------------------------------------------------- */

static int status_retryable(long status, int idempotent)
{
	switch (status) {
	case 429:
		return 1;
	case 408: case 500: case 502: case 503: case 504:
		return idempotent;
	default:
		return 0;
	}
}

static int curl_code_to_xio(CURLcode res)
{
	switch (res) {
	case CURLE_OPERATION_TIMEDOUT: return XIO_ETIMEDOUT;
	case CURLE_FILESIZE_EXCEEDED: return XIO_ETOOBIG;
	case CURLE_OUT_OF_MEMORY: return XIO_ENOMEM;
	case CURLE_URL_MALFORMAT:
	case CURLE_UNSUPPORTED_PROTOCOL: return XIO_EINVAL;
	case CURLE_WEIRD_SERVER_REPLY: return XIO_EPROTO;
	default: return XIO_EIO;
	}
}

/* Transport failures worth another attempt (if the request allows it). */
static int curl_code_retryable(CURLcode res)
{
	switch (res) {
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_CONNECT:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
		return 1;
	default:
		return 0;
	}
}

/* The server's own delay from retry-after-ms or Retry-After; -1 if none. */
static int64_t server_delay(struct xio_http_call *call)
{
	struct curl_header *h = NULL;
	int64_t d;

	if (curl_easy_header(call->easy, "retry-after-ms", 0, CURLH_HEADER, -1,
			     &h) == CURLHE_OK &&
	    xio_http_parse_retry_after_ms(h->value, &d) == 0)
		return d;
	if (curl_easy_header(call->easy, "retry-after", 0, CURLH_HEADER, -1,
			     &h) == CURLHE_OK &&
	    xio_http_parse_retry_after(h->value, xio_clock_now(call->c->clock),
				       &d) == 0)
		return d;
	return -1;
}

/* Full jitter: uniform in [0, min(max, base * 2^(attempt-1))]. */
static int64_t jitter_delay(struct xio_http_call *call)
{
	struct xio_http_client *c = call->c;
	int64_t cap = call->backoff_base_ms;
	int i;

	for (i = 1; i < call->attempts && cap < call->backoff_max_ms; i++)
		cap *= 2;
	if (cap > call->backoff_max_ms)
		cap = call->backoff_max_ms;
	return (int64_t)((uint64_t)c->rand_cb(c->rand_ud) * (uint64_t)(cap + 1) /
			 ((uint64_t)UINT_MAX + 1));
}

static void backoff_cb(uv_timer_t *t)
{
	struct xio_http_call *call = t->data;
	struct xio_http_client *c = call->c;

	client_enter(c);
	call_state(call, CALL_QUEUED);
	/* It was first in line once: it does not wait behind newer calls. */
	queue_push(call, 1);
	schedule_kick(c);
	client_leave(c);
}

/*
 * Decides what follows an attempt that ended with res (the easy handle is
 * already out of the multi): a retry after a delay, or completion.
 */
static void attempt_end(struct xio_http_call *call, CURLcode res)
{
	struct xio_http_client *c = call->c;
	long status = 0;
	long sent = 0;
	int error = 0, retry = 0;
	int64_t delay = -1;
	const char *why = NULL;
	char what[256];

	uv_timer_stop(&call->timer);
	call_state(call, CALL_BACKOFF);
	schedule_kick(c); /* the slot is free for the next in line */
	if (call->cancel_requested) {
		call_complete(call, XIO_ECANCELED);
		return;
	}
	curl_easy_getinfo(call->easy, CURLINFO_RESPONSE_CODE, &status);
	if (call->abort_code) {
		error = call->abort_code;
		if (error == XIO_ETOOBIG)
			call_msg(call, "response body exceeds the %zu-byte cap",
				 call->max_body);
		else if (error == XIO_ENOMEM)
			call_msg(call, "out of memory storing the response");
		else
			call_msg(call, "aborted by the chunk callback (%s)",
				 xio_strerror(error));
		call_complete(call, error);
		return;
	}
	if (res != CURLE_OK) {
		error = curl_code_to_xio(res);
		curl_easy_getinfo(call->easy, CURLINFO_REQUEST_SIZE, &sent);
		if (error == XIO_ETOOBIG) {
			snprintf(what, sizeof(what),
				 "response body exceeds the %zu-byte cap",
				 call->max_body);
		} else if (call->stalled && !call->got_body &&
			   call->first_byte_timeout_ms) {
			snprintf(what, sizeof(what),
				 "no response body within %lld ms (first-byte timeout)",
				 (long long)call->first_byte_timeout_ms);
		} else if (call->stalled) {
			snprintf(what, sizeof(what),
				 "no data for %lld ms (idle timeout)",
				 (long long)call->idle_timeout_ms);
		} else {
			snprintf(what, sizeof(what), "%s",
				 call->errbuf[0] ? call->errbuf : curl_easy_strerror(res));
		}
		xio_counter_add(code_counter(c, 0), 1);
		call->maybe_sent = sent > 0 && res != CURLE_COULDNT_CONNECT &&
				   res != CURLE_COULDNT_RESOLVE_HOST;
		retry = curl_code_retryable(res) && !call->chunks_delivered &&
			(call->idempotent || sent == 0 ||
			 res == CURLE_COULDNT_CONNECT ||
			 res == CURLE_COULDNT_RESOLVE_HOST);
	} else {
		call->maybe_sent = 0;
		xio_counter_add(code_counter(c, status), 1);
		snprintf(what, sizeof(what), "HTTP %ld", status);
		retry = status_retryable(status, call->idempotent) &&
			!call->chunks_delivered;
		if (retry)
			delay = server_delay(call);
	}
	if (retry && call->attempts >= call->max_attempts)
		retry = 0;
	if (retry && delay > call->backoff_max_ms) {
		why = "the server's retry delay exceeds backoff_max_ms";
		retry = 0;
	}
	if (!retry) {
		/* a success has no message (error_msg is ""): composing and
		 * redacting one cost 2 % of an update's instructions */
		if (why)
			call_msg(call, "%s after %d attempt%s; %s (%lld ms)", what,
				 call->attempts, call->attempts == 1 ? "" : "s",
				 why, (long long)delay);
		else if (error || status >= 400)
			call_msg(call, "%s after %d attempt%s", what,
				 call->attempts, call->attempts == 1 ? "" : "s");
		call_complete(call, error);
		return;
	}
	if (delay < 0)
		delay = jitter_delay(call);
	c->stats.retries++;
	xio_counter_add(c->m_retries, 1);
	call_msg(call, "%s", what);
	xio_logf(c->log, XIO_LOG_INFO, "http", "%s; attempt %d of %d in %lld ms",
		 call->msg, call->attempts + 1, call->max_attempts,
		 (long long)delay);
	call->msg[0] = '\0';
	uv_timer_start(&call->timer, backoff_cb, (uint64_t)delay, 0);
}

static void check_multi_info(struct xio_http_client *c)
{
	CURLMsg *msg;
	int pending;

	while (!c->free_pending &&
	       (msg = curl_multi_info_read(c->multi, &pending))) {
		char *priv = NULL;
		CURLcode res;

		if (msg->msg != CURLMSG_DONE)
			continue;
		/* msg is invalid once the handle is removed: read it first. */
		res = msg->data.result;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &priv);
		curl_multi_remove_handle(c->multi, msg->easy_handle);
		attempt_end((struct xio_http_call *)priv, res);
	}
}

/* ---- transfers --------------------------------------------------------- */

/* First-byte or idle watchdog: ends the attempt as a timeout. */
static void stall_cb(uv_timer_t *t)
{
	struct xio_http_call *call = t->data;
	struct xio_http_client *c = call->c;

	client_enter(c);
	call->stalled = 1;
	curl_multi_remove_handle(c->multi, call->easy);
	attempt_end(call, CURLE_OPERATION_TIMEDOUT);
	client_leave(c);
}

static size_t write_cb(char *data, size_t size, size_t nmemb, void *ud)
{
	struct xio_http_call *call = ud;
	size_t len = size * nmemb;
	long status = 0;
	int rc;

	if (call->cancel_requested)
		return 0;
	if (!call->got_body) {
		call->got_body = 1;
		uv_timer_stop(&call->timer);
	}
	if (call->idle_timeout_ms > 0)
		uv_timer_start(&call->timer, stall_cb,
			       (uint64_t)call->idle_timeout_ms, 0);
	curl_easy_getinfo(call->easy, CURLINFO_RESPONSE_CODE, &status);
	if (call->chunk_cb && status >= 200 && status < 300) {
		if (len > call->max_body - call->streamed) {
			call->abort_code = XIO_ETOOBIG;
			return 0;
		}
		call->streamed += len;
		call->chunks_delivered = 1;
		call->c->depth++;
		rc = call->chunk_cb(call->ud, data, len);
		call->c->depth--;
		if (rc) {
			call->abort_code = rc < 0 ? rc : XIO_ECANCELED;
			return 0;
		}
		if (call->cancel_requested)
			return 0;
		return len;
	}
	rc = xio_buf_append(&call->resp, data, len);
	if (rc) {
		call->abort_code = rc;
		return 0;
	}
	return len;
}

#define SETOPT(opt, val)                                            \
	do {                                                        \
		if (curl_easy_setopt(e, (opt), (val)) != CURLE_OK)   \
			goto out;                                   \
	} while (0)

/* Makes the easy handle for the next attempt and adds it to the multi. */
static int attempt_start(struct xio_http_call *call)
{
	struct xio_http_client *c = call->c;
	CURL *e = NULL;
	int rc = XIO_ENOMEM;

	if (call->easy) {
		curl_easy_cleanup(call->easy);
		call->easy = NULL;
	}
	e = curl_easy_init();
	if (!e)
		goto out;
	SETOPT(CURLOPT_URL, call->url);
	SETOPT(CURLOPT_PRIVATE, (char *)call);
	SETOPT(CURLOPT_NOSIGNAL, 1L);
	SETOPT(CURLOPT_PROTOCOLS_STR, "http,https");
	SETOPT(CURLOPT_HTTPHEADER, call->headers);
	SETOPT(CURLOPT_USERAGENT, c->user_agent);
	SETOPT(CURLOPT_ERRORBUFFER, call->errbuf);
	SETOPT(CURLOPT_WRITEFUNCTION, write_cb);
	SETOPT(CURLOPT_WRITEDATA, call);
	SETOPT(CURLOPT_TCP_KEEPALIVE, 1L);
	if (call->fresh_connection) {
		SETOPT(CURLOPT_FRESH_CONNECT, 1L);
		SETOPT(CURLOPT_FORBID_REUSE, 1L);
	}
	SETOPT(CURLOPT_CONNECTTIMEOUT_MS, (long)call->connect_timeout_ms);
	if (call->timeout_ms > 0)
		SETOPT(CURLOPT_TIMEOUT_MS, (long)call->timeout_ms);
	/* Fails early on a Content-Length past the cap; write_cb catches the
	 * rest (chunked bodies). */
	if (call->max_body < (size_t)INT64_MAX)
		SETOPT(CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)call->max_body);
	if (strcmp(call->method, "HEAD") == 0) {
		SETOPT(CURLOPT_NOBODY, 1L);
	} else if (strcmp(call->method, "GET") != 0 || call->body) {
		if (strcmp(call->method, "POST") != 0)
			SETOPT(CURLOPT_CUSTOMREQUEST, call->method);
		if (call->body || strcmp(call->method, "POST") == 0) {
			SETOPT(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)call->body_len);
			SETOPT(CURLOPT_POSTFIELDS, call->body ? call->body : "");
		}
	}
	call->errbuf[0] = '\0';
	call->got_body = 0;
	call->stalled = 0;
	call->abort_code = 0;
	xio_buf_reset(&call->resp);
	rc = XIO_EIO;
	if (curl_multi_add_handle(c->multi, e) != CURLM_OK)
		goto out;
	call->easy = e;
	e = NULL;
	call->attempts++;
	c->stats.attempts++;
	call_state(call, CALL_RUNNING);
	if (call->first_byte_timeout_ms > 0)
		uv_timer_start(&call->timer, stall_cb,
			       (uint64_t)call->first_byte_timeout_ms, 0);
	else if (call->idle_timeout_ms > 0)
		uv_timer_start(&call->timer, stall_cb,
			       (uint64_t)call->idle_timeout_ms, 0);
	rc = 0;
out:
	if (e)
		curl_easy_cleanup(e);
	return rc;
}

#undef SETOPT

/* Carries out cancellations, then starts queued calls where slots are free. */
static void kick_cb(uv_timer_t *t)
{
	struct xio_http_client *c = t->data;
	struct xio_http_call *call, *next;
	struct host *h;
	int rc;

	client_enter(c);
	/* the walk only after a cancel: kicks come with every transfer that
	 * ends, and the list holds every call */
	call = c->cancels ? c->calls : NULL;
	c->cancels = 0;
	for (; call && !c->free_pending; call = next) {
		next = call->next;
		if (!call->cancel_requested)
			continue;
		call_detach(call);
		if (call->state == CALL_QUEUED)
			queue_remove(call);
		call_complete(call, XIO_ECANCELED);
		/* The callback may have cancelled next: it is still listed
		 * (only this call was unlinked), so the walk stays valid. */
	}
	for (h = c->hosts; h && !c->free_pending; h = h->next) {
		while (h->qhead && h->active < c->max_per_host &&
		       !c->free_pending) {
			call = h->qhead;
			queue_remove(call);
			rc = attempt_start(call);
			if (rc) {
				call_msg(call, "could not start the transfer (%s)",
					 xio_strerror(rc));
				call_state(call, CALL_BACKOFF);
				call_complete(call, rc);
			}
		}
	}
	if (!c->free_pending)
		hosts_prune(c, 0);
	client_leave(c);
}

/* ---- public API -------------------------------------------------------- */

static void client_close_cb(uv_handle_t *h)
{
	struct xio_http_client *c = h->data;

	if (--c->handles_open == 0)
		free(c);
}

int xio_http_client_new(struct xio_http_client **out, struct xio_loop *loop,
			const struct xio_http_client_opts *opts,
			struct xio_err *err)
{
	static const struct xio_http_client_opts no_opts;
	struct xio_http_client *c = NULL;
	int rc;

	*out = NULL;
	if (!opts)
		opts = &no_opts;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return xio_err_set(err, XIO_EIO, "http client: curl_global_init failed");
	c = calloc(1, sizeof(*c));
	if (!c) {
		curl_global_cleanup();
		return xio_err_set(err, XIO_ENOMEM, "http client: out of memory");
	}
	c->curl_inited = 1;
	c->loop = loop;
	c->next_id = 1;
	c->max_per_host = opts->max_per_host > 0 ? opts->max_per_host
						 : DEFAULT_MAX_PER_HOST;
	c->default_timeout_ms = opts->default_timeout_ms ? opts->default_timeout_ms
							 : DEFAULT_TIMEOUT_MS;
	c->default_connect_timeout_ms = opts->default_connect_timeout_ms > 0 ?
		opts->default_connect_timeout_ms : DEFAULT_CONNECT_TIMEOUT_MS;
	c->default_max_body = opts->default_max_body ? opts->default_max_body
						     : DEFAULT_MAX_BODY;
	c->rand_cb = opts->rand_cb ? opts->rand_cb : xorshift_cb;
	c->rand_ud = opts->rand_cb ? opts->rand_ud : &c->rand_state;
	c->rand_state = (uint32_t)(uv_hrtime() ^ (uintptr_t)c) | 1u;
	c->clock = opts->clock ? opts->clock : &xio_clock_system;
	c->log = opts->log;
	c->user_agent = strdup(opts->user_agent ? opts->user_agent
						: "xio/" XIO_VERSION);
	c->api = strdup(opts->api ? opts->api : "other");
	rc = XIO_ENOMEM;
	if (!c->user_agent || !c->api)
		goto fail;
	metrics_init(c, opts);
	c->multi = curl_multi_init();
	if (!c->multi)
		goto fail;
	if (curl_multi_setopt(c->multi, CURLMOPT_SOCKETFUNCTION, socket_cb) ||
	    curl_multi_setopt(c->multi, CURLMOPT_SOCKETDATA, c) ||
	    curl_multi_setopt(c->multi, CURLMOPT_TIMERFUNCTION, timer_cb) ||
	    curl_multi_setopt(c->multi, CURLMOPT_TIMERDATA, c) ||
	    /* idle connections kept for reuse: curl's default (four per
	     * transfer running) drops them as a burst of sends ends, and the
	     * next burst pays a connect (and a TLS handshake) for each */
	    curl_multi_setopt(c->multi, CURLMOPT_MAXCONNECTS, 64L)) {
		rc = XIO_EIO;
		goto fail;
	}
	uv_timer_init(&loop->uv, &c->timer);
	uv_timer_init(&loop->uv, &c->kick);
	c->timer.data = c;
	c->kick.data = c;
	c->handles_open = 2;
	*out = c;
	return 0;
fail:
	if (c->multi)
		curl_multi_cleanup(c->multi);
	free(c->user_agent);
	free(c->api);
	free(c);
	curl_global_cleanup();
	return xio_err_set(err, rc, "http client: %s", xio_strerror(rc));
}

static void client_destroy(struct xio_http_client *c)
{
	struct xio_http_call *call;

	c->free_pending = 0;
	c->closing = 1;
	/* Callbacks run from here see closing: sends fail, cancels no-op. */
	while ((call = c->calls)) {
		call_detach(call);
		if (call->state == CALL_QUEUED)
			queue_remove(call);
		call_complete(call, XIO_ECANCELED);
	}
	curl_multi_cleanup(c->multi);
	c->multi = NULL;
	while (c->socks)
		sock_close(c, c->socks);
	hosts_prune(c, 1);
	free(c->user_agent);
	c->user_agent = NULL;
	free(c->api);
	c->api = NULL;
	if (c->curl_inited)
		curl_global_cleanup();
	uv_timer_stop(&c->timer);
	uv_timer_stop(&c->kick);
	uv_close((uv_handle_t *)&c->timer, client_close_cb);
	uv_close((uv_handle_t *)&c->kick, client_close_cb);
}

void xio_http_client_free(struct xio_http_client *c)
{
	if (!c || c->closing || c->free_pending)
		return;
	if (c->depth > 0) {
		c->free_pending = 1;
		return;
	}
	client_destroy(c);
}

void xio_http_client_stats(const struct xio_http_client *c,
			   struct xio_http_stats *out)
{
	*out = c->stats;
}

static int has_header(const char *const *headers, const char *name)
{
	size_t n = strlen(name);

	for (; headers && *headers; headers++)
		if (strncasecmp(*headers, name, n) == 0 &&
		    ((*headers)[n] == ':' || (*headers)[n] == ';'))
			return 1;
	return 0;
}

/* Validates header number i; names it by position or by its name, never by
 * its value (values may be credentials). */
static int header_check(const char *h, size_t i, struct xio_err *err)
{
	size_t name_len = strcspn(h, ":;");

	if (!h[name_len] || name_len == 0 || name_len > 128 ||
	    strlen(h) > MAX_HEADERS_LINE || strcspn(h, " \t") < name_len)
		return xio_err_set(err, XIO_EINVAL,
				   "http request: header #%zu is not \"Name: value\"",
				   i + 1);
	if (strpbrk(h, "\r\n"))
		return xio_err_set(err, XIO_EINVAL,
				   "http request: header %.*s contains a line break",
				   (int)name_len, h);
	return 0;
}

static int send_common(struct xio_http_client *c,
		       const struct xio_http_request *req, const char *body,
		       size_t body_len, int is_json, xio_http_done_cb cb,
		       void *ud, uint64_t *id_out, struct xio_err *err)
{
	struct xio_http_call *call = NULL;
	struct curl_slist *l;
	char *key = NULL, *shown = NULL;
	const char *method;
	const char *const *hp;
	int rc;
	size_t i;

	if (id_out)
		*id_out = 0;
	if (c->closing || c->free_pending)
		return xio_err_set(err, XIO_ESTATE, "http client is shutting down");
	if (!req->url || !cb)
		return xio_err_set(err, XIO_EINVAL, "http request: url and callback are required");
	method = req->method ? req->method : (body ? "POST" : "GET");
	for (i = 0; method[i]; i++)
		if (method[i] < 'A' || method[i] > 'Z')
			break;
	if (method[i] || i == 0 || i > 16)
		return xio_err_set(err, XIO_EINVAL, "http request: bad method \"%.20s\"",
				   method);
	rc = url_parts(req->url, &key, &shown);
	if (rc) {
		if (rc == XIO_ENOMEM)
			return xio_err_set(err, rc, "http request: out of memory");
		/* The URL may hold a token: name it by its log_url only. */
		return xio_err_set(err, rc, "%s %s: not a valid http(s) URL", method,
				   req->log_url ? req->log_url : "(url)");
	}
	for (hp = req->headers; hp && *hp; hp++) {
		rc = header_check(*hp, (size_t)(hp - req->headers), err);
		if (rc)
			goto out;
	}
	rc = XIO_ENOMEM;
	call = calloc(1, sizeof(*call));
	if (!call)
		goto out;
	call->c = c;
	call->method = strdup(method);
	call->url = strdup(req->url);
	call->log_url = req->log_url ? dup_str(req->log_url) : shown;
	if (call->log_url == shown)
		shown = NULL;
	if (!call->method || !call->url || !call->log_url)
		goto out;
	if (body) {
		/* +1 so an empty body still has a buffer for POSTFIELDS. */
		call->body = malloc(body_len + 1);
		if (!call->body)
			goto out;
		memcpy(call->body, body, body_len);
		call->body[body_len] = '\0';
		call->body_len = body_len;
	}
	for (hp = req->headers; hp && *hp; hp++) {
		l = curl_slist_append(call->headers, *hp);
		if (!l)
			goto out;
		call->headers = l;
	}
	if (is_json && !has_header(req->headers, "Content-Type")) {
		if (!(l = curl_slist_append(call->headers,
					    "Content-Type: application/json")))
			goto out;
		call->headers = l;
	}
	if (is_json && !has_header(req->headers, "Accept")) {
		if (!(l = curl_slist_append(call->headers, "Accept: application/json")))
			goto out;
		call->headers = l;
	}
	/* Our own server (lws) never answers 100-continue. */
	if (!has_header(req->headers, "Expect")) {
		if (!(l = curl_slist_append(call->headers, "Expect:")))
			goto out;
		call->headers = l;
	}
	call->host = host_get(c, key);
	if (!call->host)
		goto out;
	call->timeout_ms = req->timeout_ms ? req->timeout_ms : c->default_timeout_ms;
	call->connect_timeout_ms = req->connect_timeout_ms > 0 ?
		req->connect_timeout_ms : c->default_connect_timeout_ms;
	call->first_byte_timeout_ms = req->first_byte_timeout_ms > 0 ?
		req->first_byte_timeout_ms : 0;
	call->idle_timeout_ms = req->idle_timeout_ms > 0 ? req->idle_timeout_ms : 0;
	call->max_body = req->max_body ? req->max_body : c->default_max_body;
	call->max_attempts = req->max_attempts > 0 ? req->max_attempts
						   : DEFAULT_MAX_ATTEMPTS;
	call->backoff_base_ms = req->backoff_base_ms > 0 ? req->backoff_base_ms
							 : DEFAULT_BACKOFF_BASE_MS;
	call->backoff_max_ms = req->backoff_max_ms > 0 ? req->backoff_max_ms
						       : DEFAULT_BACKOFF_MAX_MS;
	/* A day is plenty, and keeps the jitter arithmetic far from overflow. */
	if (call->backoff_max_ms > MAX_BACKOFF_MS)
		call->backoff_max_ms = MAX_BACKOFF_MS;
	if (call->backoff_base_ms > call->backoff_max_ms)
		call->backoff_base_ms = call->backoff_max_ms;
	call->idempotent = req->idempotent || strcmp(method, "GET") == 0 ||
			   strcmp(method, "HEAD") == 0;
	call->chunk_cb = req->chunk_cb;
	call->fresh_connection = req->fresh_connection;
	call->cb = cb;
	call->ud = ud;
	xio_buf_init(&call->resp, call->max_body);
	call->start_ms = xio_clock_mono_ms();
	call->id = c->next_id++;

	/* Committed: nothing below fails. */
	uv_timer_init(&c->loop->uv, &call->timer);
	call->timer.data = call;
	call->host->refs++;
	call->state = CALL_QUEUED;
	c->stats.queued++;
	queue_push(call, 0);
	call->next = c->calls;
	if (c->calls)
		c->calls->prev = call;
	c->calls = call;
	c->stats.requests++;
	schedule_kick(c);
	if (id_out)
		*id_out = call->id;
	call = NULL;
	rc = 0;
out:
	if (call) {
		curl_slist_free_all(call->headers);
		free(call->body);
		free(call->log_url);
		free(call->url);
		free(call->method);
		free(call);
		if (rc == XIO_ENOMEM)
			xio_err_set(err, rc, "http request: out of memory");
	}
	free(shown);
	free(key);
	return rc;
}

int xio_http_send(struct xio_http_client *c, const struct xio_http_request *req,
		  xio_http_done_cb cb, void *ud, uint64_t *id_out,
		  struct xio_err *err)
{
	return send_common(c, req, req->body, req->body_len, 0, cb, ud, id_out,
			   err);
}

int xio_http_send_json(struct xio_http_client *c,
		       const struct xio_http_request *req, json_object *json,
		       xio_http_done_cb cb, void *ud, uint64_t *id_out,
		       struct xio_err *err)
{
	const char *text = NULL;
	size_t len = 0;

	if (req->body)
		return xio_err_set(err, XIO_EINVAL,
				   "http request: body and json are exclusive");
	if (json) {
		text = json_object_to_json_string_length(json,
							 JSON_C_TO_STRING_PLAIN,
							 &len);
		if (!text)
			return xio_err_set(err, XIO_ENOMEM,
					   "http request: out of memory");
	}
	return send_common(c, req, text, len, 1, cb, ud, id_out, err);
}

int xio_http_cancel(struct xio_http_client *c, uint64_t id)
{
	struct xio_http_call *call;

	if (c->closing)
		return XIO_ENOTFOUND;
	for (call = c->calls; call; call = call->next) {
		if (call->id != id)
			continue;
		if (call->cancel_requested)
			return 0;
		call->cancel_requested = 1;
		c->cancels = 1;
		schedule_kick(c);
		return 0;
	}
	return XIO_ENOTFOUND;
}

const char *xio_http_response_header(const struct xio_http_response *r,
				     const char *name)
{
	struct curl_header *h = NULL;

	if (!r->call_ || !r->call_->easy || !r->status)
		return NULL;
	if (curl_easy_header(r->call_->easy, name, 0, CURLH_HEADER, -1, &h) !=
	    CURLHE_OK)
		return NULL;
	return h->value;
}

json_object *xio_http_response_json(const struct xio_http_response *r,
				    struct xio_err *err)
{
	struct json_tokener *tok = NULL;
	json_object *obj = NULL;
	const char *method = r->call_ ? r->call_->method : "HTTP";
	size_t i;

	if (!r->body_len) {
		xio_err_set(err, XIO_EPROTO, "%s %s: empty response body, JSON expected",
			    method, r->log_url ? r->log_url : "");
		return NULL;
	}
	tok = json_tokener_new();
	if (!tok) {
		xio_err_set(err, XIO_ENOMEM, "%s %s: out of memory", method,
			    r->log_url ? r->log_url : "");
		return NULL;
	}
	if (r->body_len <= INT_MAX)
		obj = json_tokener_parse_ex(tok, r->body, (int)r->body_len);
	if (!obj || json_tokener_get_error(tok) != json_tokener_success) {
		xio_err_set(err, XIO_EPROTO,
			    "%s %s: response body is not JSON (%s at byte %zu)",
			    method, r->log_url ? r->log_url : "",
			    json_tokener_error_desc(json_tokener_get_error(tok)),
			    json_tokener_get_parse_end(tok));
		json_object_put(obj);
		json_tokener_free(tok);
		return NULL;
	}
	for (i = json_tokener_get_parse_end(tok); i < r->body_len; i++) {
		if (!strchr(" \t\r\n", r->body[i])) {
			xio_err_set(err, XIO_EPROTO,
				    "%s %s: trailing data after the JSON value at byte %zu",
				    method, r->log_url ? r->log_url : "", i);
			json_object_put(obj);
			json_tokener_free(tok);
			return NULL;
		}
	}
	json_tokener_free(tok);
	return obj;
}

/* ---- Retry-After ------------------------------------------------------- */

/* Trims optional whitespace (RFC 9110 OWS) into [*b, *e). */
static void trim_ows(const char *value, const char **b, const char **e)
{
	const char *s = value, *t = value + strlen(value);

	while (s < t && (*s == ' ' || *s == '\t'))
		s++;
	while (t > s && (t[-1] == ' ' || t[-1] == '\t'))
		t--;
	*b = s;
	*e = t;
}

/* Caps any server delay well below overflow: a year is "never" for us. */
#define RETRY_AFTER_MAX_MS ((int64_t)365 * 24 * 3600 * 1000)

int xio_http_parse_retry_after(const char *value, int64_t now_ms,
			       int64_t *delay_ms)
{
	const char *b, *e, *p;
	char date[64];
	int64_t secs = 0;
	time_t t;

	if (!value)
		return XIO_EINVAL;
	trim_ows(value, &b, &e);
	if (b == e)
		return XIO_EINVAL;
	for (p = b; p < e && *p >= '0' && *p <= '9'; p++)
		if (secs <= RETRY_AFTER_MAX_MS / 1000)
			secs = secs * 10 + (*p - '0');
	if (p == e) {
		*delay_ms = secs * 1000 > RETRY_AFTER_MAX_MS ? RETRY_AFTER_MAX_MS
							     : secs * 1000;
		return 0;
	}
	/* An HTTP-date is 29 characters (IMF-fixdate); the obsolete forms a
	 * little more.  It must start with a day name. */
	if ((size_t)(e - b) >= sizeof(date) || !((*b >= 'A' && *b <= 'Z') ||
						 (*b >= 'a' && *b <= 'z')))
		return XIO_EINVAL;
	memcpy(date, b, (size_t)(e - b));
	date[e - b] = '\0';
	t = curl_getdate(date, NULL);
	if (t == (time_t)-1)
		return XIO_EINVAL;
	if ((int64_t)t > (now_ms + RETRY_AFTER_MAX_MS) / 1000)
		*delay_ms = RETRY_AFTER_MAX_MS;
	else if ((int64_t)t * 1000 <= now_ms)
		*delay_ms = 0;
	else
		*delay_ms = (int64_t)t * 1000 - now_ms;
	return 0;
}

int xio_http_parse_retry_after_ms(const char *value, int64_t *delay_ms)
{
	const char *b, *e, *p;
	int64_t ms = 0;
	int frac = 0;

	if (!value)
		return XIO_EINVAL;
	trim_ows(value, &b, &e);
	for (p = b; p < e && *p >= '0' && *p <= '9'; p++)
		if (ms <= RETRY_AFTER_MAX_MS)
			ms = ms * 10 + (*p - '0');
	if (p == b)
		return XIO_EINVAL;
	if (p < e && *p == '.') {
		const char *d = ++p;

		for (; p < e && *p >= '0' && *p <= '9'; p++)
			if (*p != '0')
				frac = 1;
		if (p == d)
			return XIO_EINVAL;
	}
	if (p != e)
		return XIO_EINVAL;
	ms += frac;
	*delay_ms = ms > RETRY_AFTER_MAX_MS ? RETRY_AFTER_MAX_MS : ms;
	return 0;
}
