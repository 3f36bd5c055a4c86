/*
 * llm.c — chat completions with a concurrency limit, retries and timeouts.
 *
 * Every call lives in one list, in the order it was made.  A call is either
 * running (an HTTP attempt in flight) or waiting (for a free slot, or for the
 * time its next retry is due).  pump() walks the list, starts what may start
 * and arms one timer for the earliest retry; it runs from the timer and after
 * every attempt, never inside xio_llm_chat.  Retries are made here, not by
 * the HTTP client, because a stream that broke halfway, a chunk holding an
 * error and a 409 need a retry that plain HTTP would not make.
 */
#include "llm.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http_client.h"
#include "llm_proto.h"
#include "sse.h"

#define MAX_BODY (4u << 20)
#define MAX_TEXT (256u * 1024)

struct call {
	struct call *prev, *next;
	struct xio_llm *l;
	uint64_t id;
	xio_llm_done_cb cb;
	void *ud;
	char *body;
	size_t body_len;
	char purpose[24];
	int running;
	int canceled;
	int attempts;
	uint64_t http_id;
	int64_t created_ms, first_start_ms, attempt_ms, first_token_ms, ready_at;
	struct xio_sse sse;
	struct xio_llm_acc acc;
	int acc_on;
	int chunk_rc;              /* a chunk failed: its code */
	struct xio_err chunk_err;
	long status;
};

struct xio_llm {
	struct xio_loop *loop;
	struct xio_http_client *http;
	uv_timer_t timer;
	int closing;
	int pumping;
	char *url;
	char *auth;                /* "Authorization: Bearer …" or NULL */
	char *model;
	struct xio_llm_opts o;
	struct call *head, *tail;
	unsigned running, waiting;
	uint64_t next_id;
	unsigned seed;
	struct xio_llm_stats st;
	struct xio_counter *c_prompt, *c_completion, *c_retries;
	struct xio_gauge *g_inflight;
};

static const double latency_bounds[] = { 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120 };

static void pump(struct xio_llm *l);

static int64_t now_ms(void)
{
	return xio_clock_mono_ms();
}

static void timer_cb(uv_timer_t *t)
{
	pump(t->data);
}

static void arm(struct xio_llm *l, int64_t at)
{
	int64_t d = at - now_ms();

	if (l->closing)
		return;
	uv_timer_start(&l->timer, timer_cb, d > 0 ? (uint64_t)d : 0, 0);
}

int xio_llm_new(struct xio_llm **out, struct xio_loop *loop, const struct xio_llm_opts *o,
		struct xio_err *err)
{
	struct xio_http_client_opts ho = { 0 };
	struct xio_llm *l = NULL;
	size_t n;
	int rc;

	*out = NULL;
	if (!o->base_url || (strncmp(o->base_url, "http://", 7) && strncmp(o->base_url, "https://", 8)))
		return xio_err_set(err, XIO_EINVAL, "llm.base_url: must start with http:// or https://");
	l = calloc(1, sizeof(*l));
	if (!l)
		return xio_err_set(err, XIO_ENOMEM, "llm: out of memory");
	l->loop = loop;
	l->o = *o;
	if (l->o.timeout_ms <= 0)
		l->o.timeout_ms = 120000;
	if (l->o.first_token_ms <= 0)
		l->o.first_token_ms = 30000;
	if (l->o.max_concurrency <= 0)
		l->o.max_concurrency = 4;
	if (l->o.max_retries < 0)
		l->o.max_retries = 0;
	if (l->o.backoff_base_ms <= 0)
		l->o.backoff_base_ms = 500;
	if (l->o.backoff_max_ms <= 0)
		l->o.backoff_max_ms = 30000;
	if (!l->o.clock)
		l->o.clock = &xio_clock_system;
	l->seed = (unsigned)now_ms() ^ 0x5bd1e995u;
	n = strlen(o->base_url);
	while (n && o->base_url[n - 1] == '/')
		n--;
	l->url = malloc(n + sizeof("/chat/completions"));
	l->model = strdup(o->model ? o->model : "");
	if (o->api_key && *o->api_key) {
		l->auth = malloc(strlen(o->api_key) + sizeof("Authorization: Bearer "));
		if (l->auth)
			sprintf(l->auth, "Authorization: Bearer %s", o->api_key);
	}
	if (!l->url || !l->model || (o->api_key && *o->api_key && !l->auth)) {
		rc = xio_err_set(err, XIO_ENOMEM, "llm: out of memory");
		goto fail;
	}
	memcpy(l->url, o->base_url, n);
	strcpy(l->url + n, "/chat/completions");
	ho.max_per_host = l->o.max_concurrency;
	ho.default_max_body = MAX_BODY;
	ho.log = o->log;
	ho.clock = l->o.clock;
	ho.metrics = o->metrics;
	ho.api = "llm";
	rc = xio_http_client_new(&l->http, loop, &ho, err);
	if (rc)
		goto fail;
	uv_timer_init(&loop->uv, &l->timer);
	l->timer.data = l;
	if (o->metrics) {
		l->c_prompt = xio_metrics_counter(o->metrics, "xio_llm_tokens_total",
						  "Tokens used by LLM completions", "kind", "prompt", NULL);
		l->c_completion = xio_metrics_counter(o->metrics, "xio_llm_tokens_total",
						      "Tokens used by LLM completions", "kind",
						      "completion", NULL);
		l->c_retries = xio_metrics_counter(o->metrics, "xio_llm_retries_total",
						   "LLM completion attempts retried", NULL);
		l->g_inflight = xio_metrics_gauge(o->metrics, "xio_llm_in_flight",
						  "LLM completions in flight", NULL);
	}
	*out = l;
	return 0;
fail:
	free(l->url);
	free(l->model);
	free(l->auth);
	free(l);
	return rc;
}

static void unlink_call(struct xio_llm *l, struct call *c)
{
	if (c->prev)
		c->prev->next = c->next;
	else
		l->head = c->next;
	if (c->next)
		c->next->prev = c->prev;
	else
		l->tail = c->prev;
	c->prev = c->next = NULL;
}

static void call_free(struct call *c)
{
	if (c->acc_on) {
		xio_sse_release(&c->sse);
		xio_llm_acc_release(&c->acc);
	}
	free(c->body);
	free(c);
}

static void observe(struct xio_llm *l, const struct call *c, const struct xio_llm_result *r)
{
	const char *outcome = r->error == 0 ? "ok" : r->error == XIO_ECANCELED ? "canceled" : "error";

	if (!l->o.metrics)
		return;
	xio_counter_add(xio_metrics_counter(l->o.metrics, "xio_llm_requests_total",
					    "LLM completions by purpose and outcome", "purpose",
					    c->purpose, "outcome", outcome, NULL),
			1);
	if (r->prompt_tokens > 0)
		xio_counter_add(l->c_prompt, (double)r->prompt_tokens);
	if (r->completion_tokens > 0)
		xio_counter_add(l->c_completion, (double)r->completion_tokens);
	if (r->error == 0)
		xio_histogram_observe(xio_metrics_histogram(l->o.metrics, "xio_llm_latency_seconds",
							    "Time an LLM completion took, retries included",
							    latency_bounds,
							    XIO_ARRAY_LEN(latency_bounds), "purpose",
							    c->purpose, NULL),
				      (double)r->latency_ms / 1000.0);
	xio_gauge_set(l->g_inflight, (double)l->running);
}

/* Ends a call: runs its callback and frees it.  The call is no longer
 * running and still linked. */
static void finish(struct xio_llm *l, struct call *c, int error, const char *msg)
{
	struct xio_llm_result r = { 0 };
	int64_t now = now_ms();

	unlink_call(l, c);
	if (!c->first_start_ms)
		c->first_start_ms = now;
	r.id = c->id;
	r.error = error;
	r.status = c->status;
	r.text = error == 0 && c->acc_on && c->acc.text.data ? c->acc.text.data : "";
	r.len = error == 0 && c->acc_on ? c->acc.text.len : 0;
	r.error_msg = error ? (msg ? msg : xio_strerror(error)) : "";
	r.prompt_tokens = c->acc_on ? c->acc.prompt_tokens : -1;
	r.completion_tokens = c->acc_on ? c->acc.completion_tokens : -1;
	r.latency_ms = now - c->first_start_ms;
	r.first_token_ms = c->first_token_ms ? c->first_token_ms - c->attempt_ms : -1;
	r.queued_ms = c->first_start_ms - c->created_ms;
	r.attempts = c->attempts;
	r.model = c->acc_on && c->acc.model[0] ? c->acc.model : l->model;
	l->st.calls++;
	if (error == 0)
		l->st.ok++;
	else if (error == XIO_ECANCELED)
		l->st.canceled++;
	else
		l->st.failed++;
	if (r.prompt_tokens > 0)
		l->st.prompt_tokens += (uint64_t)r.prompt_tokens;
	if (r.completion_tokens > 0)
		l->st.completion_tokens += (uint64_t)r.completion_tokens;
	observe(l, c, &r);
	if (error && error != XIO_ECANCELED)
		xio_logf(l->o.log, XIO_LOG_WARN, "llm", "%s completion failed after %d attempt(s): %s",
			 c->purpose, c->attempts, r.error_msg);
	c->cb(c->ud, &r);
	call_free(c);
}

static int event_cb(void *ud, const char *data, size_t len)
{
	struct call *c = ud;
	int rc = xio_llm_acc_chunk(&c->acc, data, len, &c->chunk_err);

	if (rc) {
		c->chunk_rc = rc;
		return rc;
	}
	if (c->acc.got_content && !c->first_token_ms)
		c->first_token_ms = now_ms();
	return 0;
}

static int chunk_cb(void *ud, const char *data, size_t len)
{
	struct call *c = ud;
	int rc = xio_sse_feed(&c->sse, data, len);

	if (rc && !c->chunk_rc) {
		c->chunk_rc = rc;
		xio_err_set(&c->chunk_err, rc, "event stream: %s", xio_strerror(rc));
	}
	return rc;
}

static void http_done_cb(void *ud, const struct xio_http_response *r);

static void start_attempt(struct xio_llm *l, struct call *c)
{
	struct xio_http_request req = { 0 };
	const char *headers[4];
	struct xio_err err;
	size_t h = 0;
	int rc;

	if (c->acc_on) {
		xio_sse_release(&c->sse);
		xio_llm_acc_release(&c->acc);
	}
	xio_sse_init(&c->sse, MAX_TEXT, event_cb, c);
	xio_llm_acc_init(&c->acc, MAX_TEXT);
	c->acc_on = 1;
	c->chunk_rc = 0;
	c->first_token_ms = 0;
	c->status = 0;
	c->attempt_ms = now_ms();
	if (!c->first_start_ms)
		c->first_start_ms = c->attempt_ms;
	c->attempts++;
	headers[h++] = "Content-Type: application/json";
	headers[h++] = l->o.stream ? "Accept: text/event-stream" : "Accept: application/json";
	if (l->auth)
		headers[h++] = l->auth;
	headers[h] = NULL;
	req.method = "POST";
	req.url = l->url;
	req.headers = headers;
	req.body = c->body;
	req.body_len = c->body_len;
	req.timeout_ms = l->o.timeout_ms;
	req.max_attempts = 1;
	req.idempotent = 1;
	req.max_body = MAX_BODY;
	if (l->o.stream) {
		req.first_byte_timeout_ms = l->o.first_token_ms;
		req.idle_timeout_ms = l->o.first_token_ms;
		req.chunk_cb = chunk_cb;
	}
	rc = xio_http_send(l->http, &req, http_done_cb, c, &c->http_id, &err);
	if (rc) {
		finish(l, c, rc, err.msg);
		return;
	}
	c->running = 1;
	l->running++;
	xio_gauge_set(l->g_inflight, (double)l->running);
}

static int64_t backoff(struct xio_llm *l, int attempt)
{
	int64_t cap = l->o.backoff_base_ms;
	int i;

	for (i = 1; i < attempt && cap < l->o.backoff_max_ms; i++)
		cap *= 2;
	if (cap > l->o.backoff_max_ms)
		cap = l->o.backoff_max_ms;
	/* full jitter: many consiliums hitting one rate limit spread out */
	return (int64_t)((unsigned)rand_r(&l->seed) % (unsigned)(cap + 1));
}

static int64_t retry_after(struct xio_llm *l, const struct xio_http_response *r)
{
	const char *v = xio_http_response_header(r, "retry-after-ms");
	int64_t d = -1;

	if (!v || xio_http_parse_retry_after_ms(v, &d)) {
		v = xio_http_response_header(r, "retry-after");
		if (!v || xio_http_parse_retry_after(v, xio_clock_now(l->o.clock), &d))
			d = -1;
	}
	if (d > l->o.backoff_max_ms)
		d = l->o.backoff_max_ms;
	return d;
}

/* Says what an HTTP error means for whoever configured XIO. */
static int classify(struct xio_llm *l, const struct xio_http_response *r, char *msg, size_t n,
		    int *retryable)
{
	char why[400];
	long s = r->status;

	xio_llm_error_text(r->body, r->body_len, why, sizeof(why));
	*retryable = 0;
	if (s == 401 || s == 403) {
		snprintf(msg, n, "the LLM server refused the API key (HTTP %ld: %s); check llm.api_key",
			 s, why);
		return XIO_EAUTH;
	}
	if (s == 404) {
		snprintf(msg, n,
			 "model or endpoint not found (HTTP 404: %s); check llm.base_url and llm.model (\"%s\")",
			 why, l->model);
		return XIO_ENOTFOUND;
	}
	if (s == 408 || s == 409 || s == 429 || s >= 500) {
		*retryable = 1;
		snprintf(msg, n, "the LLM server answered HTTP %ld: %s", s, why);
		return XIO_EAGAIN;
	}
	snprintf(msg, n, "the LLM server refused the request (HTTP %ld: %s)%s", s, why,
		 strstr(why, "model") ? "; check llm.model" : "");
	return XIO_EINVAL;
}

static void http_done_cb(void *ud, const struct xio_http_response *r)
{
	struct call *c = ud;
	struct xio_llm *l = c->l;
	char msg[700];
	int error = 0, retryable = 0;
	int64_t delay = -1;

	c->running = 0;
	l->running--;
	c->status = r->status;
	msg[0] = '\0';
	if (c->canceled || r->error == XIO_ECANCELED) {
		error = XIO_ECANCELED;
		snprintf(msg, sizeof(msg), "canceled");
	} else if (c->chunk_rc) {
		error = c->chunk_rc == XIO_ETOOBIG ? XIO_ETOOBIG : XIO_EPROTO;
		retryable = error == XIO_EPROTO;
		snprintf(msg, sizeof(msg), "%s", c->chunk_err.msg);
	} else if (r->error) {
		error = r->error;
		retryable = error == XIO_ETIMEDOUT || error == XIO_EIO;
		snprintf(msg, sizeof(msg), "%s%s", r->error_msg,
			 error == XIO_ETIMEDOUT && l->o.stream && !c->acc.got_content
				 ? " (no token within llm.first_token_timeout_sec, or the whole call over llm.timeout_sec)"
				 : "");
	} else if (r->status >= 200 && r->status < 300) {
		struct xio_err e;

		if (!l->o.stream) {
			if (xio_llm_acc_body(&c->acc, r->body, r->body_len, &e)) {
				error = e.code;
				retryable = error == XIO_EPROTO;
				snprintf(msg, sizeof(msg), "%s", e.msg);
			}
		} else if (!c->acc.done && !c->acc.finish_reason[0]) {
			error = XIO_EIO;
			retryable = 1;
			snprintf(msg, sizeof(msg), "the stream ended before [DONE] (connection cut?)");
		}
	} else {
		error = classify(l, r, msg, sizeof(msg), &retryable);
		if (retryable)
			delay = retry_after(l, r);
	}
	if (error && retryable && !l->closing && c->attempts <= l->o.max_retries) {
		if (delay < 0)
			delay = backoff(l, c->attempts);
		c->ready_at = now_ms() + delay;
		l->st.retries++;
		xio_counter_add(l->c_retries, 1);
		xio_logf(l->o.log, XIO_LOG_INFO, "llm", "%s completion: attempt %d failed (%s); retry in %lld ms",
			 c->purpose, c->attempts, msg, (long long)delay);
		arm(l, c->ready_at);
		return;
	}
	finish(l, c, error, msg);
	if (!l->closing)
		pump(l);
}

static void pump(struct xio_llm *l)
{
	struct call *c, *next;
	int64_t now, earliest = 0;

	if (l->pumping)
		return;
	l->pumping = 1;
	now = now_ms();
	l->waiting = 0;
	for (c = l->head; c; c = next) {
		next = c->next;
		if (c->running)
			continue;
		if (c->canceled || l->closing) {
			finish(l, c, XIO_ECANCELED, "canceled");
			continue;
		}
		if (c->ready_at > now) {
			if (!earliest || c->ready_at < earliest)
				earliest = c->ready_at;
			l->waiting++;
			continue;
		}
		if (l->running >= (unsigned)l->o.max_concurrency) {
			l->waiting++;
			continue;
		}
		start_attempt(l, c);
	}
	l->pumping = 0;
	if (earliest)
		arm(l, earliest);
}

static json_object *build_body(struct xio_llm *l, const struct xio_llm_req *req)
{
	json_object *b = json_object_new_object(), *msgs = json_object_new_array(), *rf, *js, *copy;
	size_t i;

	if (!b || !msgs) {
		json_object_put(b);
		json_object_put(msgs);
		return NULL;
	}
	json_object_object_add(b, "model", json_object_new_string(l->model));
	for (i = 0; i < req->nmsgs; i++) {
		json_object *m = json_object_new_object();

		json_object_object_add(m, "role", json_object_new_string(req->msgs[i].role));
		json_object_object_add(m, "content", json_object_new_string(req->msgs[i].content));
		json_object_array_add(msgs, m);
	}
	json_object_object_add(b, "messages", msgs);
	json_object_object_add(b, "temperature", json_object_new_double(l->o.temperature));
	if (req->max_tokens > 0)
		json_object_object_add(b, "max_tokens", json_object_new_int(req->max_tokens));
	json_object_object_add(b, "stream", json_object_new_boolean(l->o.stream));
	if (l->o.stream) {
		json_object *so = json_object_new_object();

		json_object_object_add(so, "include_usage", json_object_new_boolean(1));
		json_object_object_add(b, "stream_options", so);
	}
	if (req->format == XIO_LLM_JSON_OBJECT) {
		rf = json_object_new_object();
		json_object_object_add(rf, "type", json_object_new_string("json_object"));
		json_object_object_add(b, "response_format", rf);
	} else if (req->format == XIO_LLM_JSON_SCHEMA && req->schema) {
		copy = NULL;
		if (json_object_deep_copy(req->schema, &copy, NULL)) {
			json_object_put(b);
			return NULL;
		}
		rf = json_object_new_object();
		js = json_object_new_object();
		json_object_object_add(js, "name",
				       json_object_new_string(req->schema_name ? req->schema_name : "answer"));
		json_object_object_add(js, "schema", copy);
		json_object_object_add(js, "strict", json_object_new_boolean(0));
		json_object_object_add(rf, "type", json_object_new_string("json_schema"));
		json_object_object_add(rf, "json_schema", js);
		json_object_object_add(b, "response_format", rf);
	}
	return b;
}

static int schema_name_ok(const char *s)
{
	size_t n = 0;

	for (; *s; s++, n++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
		      *s == '_' || *s == '-'))
			return 0;
	return n >= 1 && n <= 64;
}

int xio_llm_chat(struct xio_llm *l, const struct xio_llm_req *req, xio_llm_done_cb cb, void *ud,
		 uint64_t *id, struct xio_err *err)
{
	struct call *c = NULL;
	json_object *body = NULL;
	const char *s;
	size_t i;

	if (l->closing)
		return xio_err_set(err, XIO_ESTATE, "llm: client is shutting down");
	if (!req->nmsgs || !cb)
		return xio_err_set(err, XIO_EINVAL, "llm: a completion needs messages and a callback");
	for (i = 0; i < req->nmsgs; i++)
		if (!req->msgs[i].role || !req->msgs[i].content)
			return xio_err_set(err, XIO_EINVAL, "llm: message %zu has no role or content", i);
	if (req->format == XIO_LLM_JSON_SCHEMA && req->schema_name && !schema_name_ok(req->schema_name))
		return xio_err_set(err, XIO_EINVAL, "llm: bad schema name");
	c = calloc(1, sizeof(*c));
	body = c ? build_body(l, req) : NULL;
	s = body ? json_object_to_json_string_ext(body, JSON_C_TO_STRING_PLAIN |
							    JSON_C_TO_STRING_NOSLASHESCAPE)
		 : NULL;
	if (!s || !(c->body = strdup(s))) {
		json_object_put(body);
		free(c);
		return xio_err_set(err, XIO_ENOMEM, "llm: out of memory");
	}
	json_object_put(body);
	c->body_len = strlen(c->body);
	c->l = l;
	c->id = ++l->next_id;
	c->cb = cb;
	c->ud = ud;
	snprintf(c->purpose, sizeof(c->purpose), "%s", req->purpose ? req->purpose : "chat");
	c->created_ms = now_ms();
	c->prev = l->tail;
	if (l->tail)
		l->tail->next = c;
	else
		l->head = c;
	l->tail = c;
	if (id)
		*id = c->id;
	arm(l, 0);
	return 0;
}

int xio_llm_cancel(struct xio_llm *l, uint64_t id)
{
	struct call *c;

	for (c = l->head; c; c = c->next)
		if (c->id == id && !c->canceled) {
			c->canceled = 1;
			if (c->running)
				xio_http_cancel(l->http, c->http_id);
			else
				arm(l, 0);
			return 0;
		}
	return XIO_ENOTFOUND;
}

void xio_llm_stats(const struct xio_llm *l, struct xio_llm_stats *out)
{
	*out = l->st;
	out->running = l->running;
	out->queued = 0;
	for (const struct call *c = l->head; c; c = c->next)
		if (!c->running)
			out->queued++;
}

static void close_cb(uv_handle_t *h)
{
	struct xio_llm *l = h->data;

	free(l->url);
	free(l->model);
	free(l->auth);
	free(l);
}

void xio_llm_free(struct xio_llm *l)
{
	if (!l)
		return;
	l->closing = 1;
	uv_timer_stop(&l->timer);
	pump(l); /* the waiting calls end now */
	xio_http_client_free(l->http); /* the running ones end inside */
	l->http = NULL;
	uv_close((uv_handle_t *)&l->timer, close_cb);
}
