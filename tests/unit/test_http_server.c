/*
 * test_http_server.c — the HTTP server on a real loop, driven by real
 * clients: libcurl easy handles and raw sockets in a second thread that only
 * makes blocking requests, while the loop runs in the test's main thread.
 * The client thread records what it saw; assertions run in the main thread
 * after the loop has closed (cmocka is not thread-safe).  Every test ends
 * with xio_http_server_free, a stop, and xio_loop_release, so leaks and
 * left-open handles show up under LeakSanitizer.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "http_server.h"
#include "metrics.h"
#include "prom_parse.h"
#include "ws_client.h"

#define MAX_RESP 24

struct resp {
	long status;
	int curl_rc;
	struct xio_buf body;
	struct xio_buf headers;
};

struct fx {
	struct xio_loop loop;
	struct xio_http_server *srv;
	struct xio_metrics *metrics;
	struct xio_log *log;
	FILE *logf;
	uv_async_t done;
	pthread_t th;
	int port;
	void (*client)(struct fx *);
	struct resp r[MAX_RESP];
	int nr;
	/* shared with handlers and timers */
	atomic_int store_ready;
	atomic_int handler_calls;
	atomic_int hang_seen;
	atomic_int gone_done;
	struct xio_http_request *pending;
	uv_timer_t timer;
	int timer_on;
	int polls;
	int late_rc;
	char seen_sig[128], seen_ts[64], seen_ctype[64], seen_query_a[32],
		seen_query_b[32], seen_remote[64], seen_method[16], seen_path[64];
	int seen_missing_rc;
	size_t seen_body_len;
	unsigned seen_body_sum;
	int park_fd;
	/* WebSocket backpressure: the server side pushes ws_n frames */
	struct xio_ws *ws;
	uv_timer_t push;
	int push_on;
	int ws_n, ws_sent;
	size_t ws_max_queue, ws_max_seen;
	atomic_int ws_open;
	atomic_int ws_too_big;  /* the queue passed ws_max_queue */
	atomic_int ws_got;      /* frames the client read */
	atomic_int ws_in_order; /* and each was the one expected */
};

/* ---- client side (second thread) ---- */

static size_t write_cb(char *p, size_t sz, size_t n, void *ud)
{
	xio_buf_append(ud, p, sz * n);
	return sz * n;
}

struct upload {
	const char *p;
	size_t left;
};

static size_t read_cb(char *buf, size_t sz, size_t n, void *ud)
{
	struct upload *u = ud;
	size_t k = sz * n < u->left ? sz * n : u->left;

	memcpy(buf, u->p, k);
	u->p += k;
	u->left -= k;
	return k;
}

enum { REQ_CHUNKED = 1, REQ_EXPECT = 2 };

/* One request with curl on handle h (reused: keep-alive). */
static void http_do(struct fx *fx, CURL *h, const char *method,
		    const char *path, const char *const *hdrs, const char *body,
		    size_t len, int flags)
{
	struct resp *r = &fx->r[fx->nr++];
	struct curl_slist *sl = NULL;
	struct upload up = { body, len };
	char url[512];

	xio_buf_init(&r->body, 0);
	xio_buf_init(&r->headers, 0);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", fx->port, path);
	curl_easy_reset(h);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, 20L);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, write_cb);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &r->body);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, write_cb);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, &r->headers);
	for (; hdrs && *hdrs; hdrs++)
		sl = curl_slist_append(sl, *hdrs);
	if (flags & REQ_CHUNKED) {
		sl = curl_slist_append(sl, "Transfer-Encoding: chunked");
		curl_easy_setopt(h, CURLOPT_POST, 1L);
		curl_easy_setopt(h, CURLOPT_READFUNCTION, read_cb);
		curl_easy_setopt(h, CURLOPT_READDATA, &up);
	} else if (body) {
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	}
	if (flags & REQ_EXPECT)
		sl = curl_slist_append(sl, "Expect: 100-continue");
	else
		sl = curl_slist_append(sl, "Expect:"); /* see LOOP.md */
	if (!strcmp(method, "HEAD"))
		curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
	else if (strcmp(method, "GET") && strcmp(method, "POST"))
		curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
	else if (!strcmp(method, "POST") && !body && !(flags & REQ_CHUNKED))
		curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, "POST");
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, sl);
	r->curl_rc = curl_easy_perform(h);
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r->status);
	curl_slist_free_all(sl);
}

static int raw_connect(int port)
{
	struct sockaddr_in a;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_port = htons((uint16_t)port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
		close(fd);
		fd = -1;
	}
	return fd;
}

/* Sends text on a fresh connection and reads until the server closes. */
static void raw_do(struct fx *fx, const char *text)
{
	struct resp *r = &fx->r[fx->nr++];
	struct timeval tv = { 10, 0 };
	char buf[4096];
	ssize_t n;
	int fd = raw_connect(fx->port);

	xio_buf_init(&r->body, 0);
	xio_buf_init(&r->headers, 0);
	r->status = -1;
	if (fd < 0)
		return;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (write(fd, text, strlen(text)) == (ssize_t)strlen(text))
		while ((n = read(fd, buf, sizeof(buf))) > 0)
			xio_buf_append(&r->body, buf, (size_t)n);
	close(fd);
	if (r->body.len > 12 && !strncmp(r->body.data, "HTTP/1.", 7))
		r->status = atol(r->body.data + 9);
}

static void *client_main(void *arg)
{
	struct fx *fx = arg;

	fx->client(fx);
	uv_async_send(&fx->done);
	return NULL;
}

/* ---- server side (main thread) ---- */

static void done_cb(uv_async_t *a)
{
	struct fx *fx = a->data;

	uv_close((uv_handle_t *)a, NULL);
	if (fx->push_on) {
		uv_close((uv_handle_t *)&fx->push, NULL);
		fx->push_on = 0;
	}
	if (fx->timer_on) {
		uv_close((uv_handle_t *)&fx->timer, NULL);
		fx->timer_on = 0;
	}
	xio_http_server_free(fx->srv);
	fx->srv = NULL;
	if (fx->pending) {
		/* A request still parked when the server went away. */
		fx->late_rc = xio_http_reply(fx->pending, 200, NULL, NULL, 0);
		fx->pending = NULL;
	}
	xio_loop_request_stop(&fx->loop);
}

static void fx_init(struct fx *fx, size_t max_body)
{
	struct xio_http_server_opts opts = { 0 };
	struct xio_err err;

	memset(fx, 0, sizeof(*fx));
	fx->logf = tmpfile();
	assert_non_null(fx->logf);
	fx->log = xio_log_new(fileno(fx->logf), XIO_LOG_JSON, XIO_LOG_DEBUG);
	assert_non_null(fx->log);
	assert_int_equal(xio_loop_init(&fx->loop, fx->log, &err), 0);
	fx->metrics = xio_metrics_new();
	assert_non_null(fx->metrics);
	opts.max_body_bytes = max_body;
	opts.metrics = fx->metrics;
	if (xio_http_server_new(&fx->srv, &fx->loop, "127.0.0.1", 0, &opts,
				&err))
		fail_msg("server: %s", err.msg);
	fx->port = xio_http_server_port(fx->srv);
	assert_true(fx->port > 0);
}

/* Runs fx->client in a thread and the loop here until the client is done
 * and everything has closed. */
static void fx_run(struct fx *fx, void (*client)(struct fx *))
{
	fx->client = client;
	assert_int_equal(uv_async_init(&fx->loop.uv, &fx->done, done_cb), 0);
	fx->done.data = fx;
	assert_int_equal(pthread_create(&fx->th, NULL, client_main, fx), 0);
	xio_loop_run(&fx->loop);
	pthread_join(fx->th, NULL);
	xio_loop_release(&fx->loop);
}

/* The log text, for checking refusal lines. */
static char *fx_log_text(struct fx *fx)
{
	long n;
	char *s;

	fflush(fx->logf);
	n = ftell(fx->logf);
	s = calloc(1, (size_t)n + 1);
	assert_non_null(s);
	rewind(fx->logf);
	assert_int_equal(fread(s, 1, (size_t)n, fx->logf), (size_t)n);
	return s;
}

static void fx_release(struct fx *fx)
{
	int i;

	for (i = 0; i < fx->nr; i++) {
		xio_buf_release(&fx->r[i].body);
		xio_buf_release(&fx->r[i].headers);
	}
	xio_metrics_free(fx->metrics);
	xio_log_free(fx->log);
	fclose(fx->logf);
}

static const char *body_of(struct fx *fx, int i)
{
	return fx->r[i].body.data ? fx->r[i].body.data : "";
}

/* ---- handlers ---- */

static void echo_cb(struct xio_http_request *req, void *ud)
{
	struct fx *fx = ud;
	const char *q;
	char out[128];
	size_t len, i;
	const char *b = xio_http_request_body(req, &len);
	unsigned sum = 0;

	atomic_fetch_add(&fx->handler_calls, 1);
	xio_http_request_header(req, "X-Slack-Signature", fx->seen_sig,
				sizeof(fx->seen_sig));
	xio_http_request_header(req, "x-slack-request-timestamp", fx->seen_ts,
				sizeof(fx->seen_ts));
	xio_http_request_header(req, "Content-Type", fx->seen_ctype,
				sizeof(fx->seen_ctype));
	fx->seen_missing_rc = xio_http_request_header(req, "X-Absent", out,
						      sizeof(out));
	q = xio_http_request_query_param(req, "a");
	snprintf(fx->seen_query_a, sizeof(fx->seen_query_a), "%s", q ? q : "(none)");
	q = xio_http_request_query_param(req, "b");
	snprintf(fx->seen_query_b, sizeof(fx->seen_query_b), "%s", q ? q : "(none)");
	snprintf(fx->seen_remote, sizeof(fx->seen_remote), "%s",
		 xio_http_request_remote_addr(req));
	snprintf(fx->seen_method, sizeof(fx->seen_method), "%s",
		 xio_http_request_method(req));
	snprintf(fx->seen_path, sizeof(fx->seen_path), "%s",
		 xio_http_request_path(req));
	for (i = 0; i < len; i++)
		sum = sum * 31 + (unsigned char)b[i];
	fx->seen_body_len = len;
	fx->seen_body_sum = sum;
	snprintf(out, sizeof(out), "got %zu", len);
	xio_http_reply_header(req, "X-Reply", "yes");
	xio_http_reply(req, 200, "text/plain", out, strlen(out));
}

static void late_reply_cb(uv_timer_t *t)
{
	struct fx *fx = t->data;

	fx->late_rc = xio_http_reply(fx->pending, 200, "text/plain", "late", 4);
	fx->pending = NULL;
	uv_close((uv_handle_t *)t, NULL);
	fx->timer_on = 0;
}

static void slow_cb(struct xio_http_request *req, void *ud)
{
	struct fx *fx = ud;

	fx->pending = xio_http_request_defer(req);
	uv_timer_init(&fx->loop.uv, &fx->timer);
	fx->timer.data = fx;
	fx->timer_on = 1;
	uv_timer_start(&fx->timer, late_reply_cb, 50, 0);
}

/* Waits (polling, bounded) for the client to go away, then answers. */
static void gone_poll_cb(uv_timer_t *t)
{
	struct fx *fx = t->data;

	if (xio_http_request_alive(fx->pending) && ++fx->polls < 2000)
		return;
	fx->late_rc = xio_http_reply(fx->pending, 200, "text/plain", "late", 4);
	fx->pending = NULL;
	uv_close((uv_handle_t *)t, NULL);
	fx->timer_on = 0;
	atomic_store(&fx->gone_done, 1);
}

static void hang_cb(struct xio_http_request *req, void *ud)
{
	struct fx *fx = ud;

	fx->pending = xio_http_request_defer(req);
	uv_timer_init(&fx->loop.uv, &fx->timer);
	fx->timer.data = fx;
	fx->timer_on = 1;
	uv_timer_start(&fx->timer, gone_poll_cb, 5, 5);
	atomic_store(&fx->hang_seen, 1);
}

static void park_cb(struct xio_http_request *req, void *ud)
{
	struct fx *fx = ud;

	fx->pending = xio_http_request_defer(req);
	atomic_store(&fx->hang_seen, 1);
}

static void noreply_cb(struct xio_http_request *req, void *ud)
{
	/* Neither replies nor defers: a bug the server answers with 500. */
	(void)req;
	(void)ud;
}

static int store_probe_cb(void *ud, char *why, size_t n)
{
	struct fx *fx = ud;

	if (atomic_load(&fx->store_ready))
		return 1;
	snprintf(why, n, "migrations running");
	return 0;
}

static int adapter_probe_cb(void *ud, char *why, size_t n)
{
	(void)ud;
	(void)why;
	(void)n;
	return 1;
}

/* ---- WebSocket backpressure ---- */

#define WS_FRAME 2048

static void ws_frame(char *buf, int i)
{
	char num[16];
	int n = snprintf(num, sizeof(num), "%06d:", i);

	memset(buf, 'a' + i % 26, WS_FRAME);
	memcpy(buf, num, (size_t)n);
}

/* Pushes frames while the client may or may not read: up to 64 a tick, so
 * that the loop also runs the writable callbacks in between. */
static void push_cb(uv_timer_t *t)
{
	struct fx *fx = t->data;
	char buf[WS_FRAME];
	int k, rc;

	for (k = 0; k < 64 && fx->ws && fx->ws_sent < fx->ws_n; k++) {
		ws_frame(buf, fx->ws_sent);
		rc = xio_ws_send(fx->ws, buf, WS_FRAME, fx->ws_max_queue);
		if (rc == XIO_ETOOBIG) {
			atomic_store(&fx->ws_too_big, 1);
			xio_ws_close(fx->ws, 1008, "too slow");
			fx->ws = NULL;
			break;
		}
		if (rc)
			break;
		fx->ws_sent++;
		if (xio_ws_queued(fx->ws) > fx->ws_max_seen)
			fx->ws_max_seen = xio_ws_queued(fx->ws);
	}
}

static int bp_accept_cb(void *ud, struct xio_ws *ws, struct xio_http_request *req, char *body,
			size_t bodylen)
{
	struct fx *fx = ud;

	(void)req;
	(void)body;
	(void)bodylen;
	fx->ws = ws;
	uv_timer_init(&fx->loop.uv, &fx->push);
	fx->push.data = fx;
	fx->push_on = 1;
	uv_timer_start(&fx->push, push_cb, 1, 1);
	return 0;
}

static void bp_closed_cb(void *ud, struct xio_ws *ws)
{
	struct fx *fx = ud;

	if (fx->ws == ws)
		fx->ws = NULL;
}

static const struct xio_ws_ops bp_ops = {
	.accept = bp_accept_cb,
	.closed = bp_closed_cb,
};

static int ws_opened(void *ud)
{
	return ((struct wsc_conn *)ud)->state != WSC_CONNECTING;
}

static int ws_all_read(void *ud)
{
	struct wsc_conn *c = ud;
	struct fx *fx = c->ud;

	return c->state != WSC_OPEN || (int)c->nframes >= fx->ws_n;
}

static int ws_too_big(void *ud)
{
	return atomic_load(&((struct fx *)ud)->ws_too_big);
}

/* Opens the stream, reads nothing for a while (the server's frames pile up
 * in the kernel, then in lws, then in the queue), then reads them all. */
static void client_slow_reader(struct fx *fx)
{
	struct wsc w;
	struct wsc_conn c;
	char want[WS_FRAME];
	size_t i;
	int ok = 1;

	memset(&c, 0, sizeof(c));
	c.ud = fx;
	if (wsc_init(&w, fx->port, NULL, 16))
		return;
	wsc_connect(&w, &c, "/ws");
	wsc_service_until(&w, ws_opened, &c, 5000);
	atomic_store(&fx->ws_open, c.state == WSC_OPEN);
	usleep(300 * 1000);
	wsc_service_until(&w, ws_all_read, &c, 30000);
	for (i = 0; i < c.nframes; i++) {
		ws_frame(want, (int)i);
		if (strlen(c.frames[i]) != WS_FRAME || memcmp(c.frames[i], want, WS_FRAME))
			ok = 0;
	}
	atomic_store(&fx->ws_got, (int)c.nframes);
	atomic_store(&fx->ws_in_order, ok);
	wsc_conn_close(&w, &c);
	wsc_conn_release(&c);
	wsc_release(&w);
}

/* Opens the stream and never reads: the server must hit its queue bound. */
static void client_never_reads(struct fx *fx)
{
	struct wsc w;
	struct wsc_conn c;
	int i;

	memset(&c, 0, sizeof(c));
	if (wsc_init(&w, fx->port, NULL, 16))
		return;
	wsc_connect(&w, &c, "/ws");
	wsc_service_until(&w, ws_opened, &c, 5000);
	atomic_store(&fx->ws_open, c.state == WSC_OPEN);
	for (i = 0; i < 30000 && !ws_too_big(fx); i++)
		usleep(1000);
	wsc_conn_release(&c);
	c.wsi = NULL;
	wsc_release(&w);
}

/* Frames sent while the client does not read are queued, not lost or
 * reordered: written straight to the socket while it takes them, then
 * through lws's partial buffer and the queue, in order. */
static void test_ws_backpressure_keeps_order(void **state)
{
	struct fx *fx = calloc(1, sizeof(*fx));
	struct xio_err err;

	(void)state;
	fx_init(fx, 0);
	fx->ws_n = 6000; /* 12 MiB: more than the socket buffers take */
	fx->ws_max_queue = 32u << 20;
	assert_int_equal(xio_http_server_ws_route(fx->srv, "/ws", &bp_ops, fx, &err), 0);
	fx_run(fx, client_slow_reader);
	assert_true(atomic_load(&fx->ws_open));
	assert_int_equal(fx->ws_sent, fx->ws_n);
	assert_int_equal(atomic_load(&fx->ws_got), fx->ws_n);
	assert_true(atomic_load(&fx->ws_in_order));
	assert_false(atomic_load(&fx->ws_too_big));
	assert_true(fx->ws_max_seen > 0); /* the queue was used, not only the kernel */
	fx_release(fx);
	free(fx);
}

/* A client that never reads is refused more once its queue is full. */
static void test_ws_queue_bound(void **state)
{
	struct fx *fx = calloc(1, sizeof(*fx));
	struct xio_err err;

	(void)state;
	fx_init(fx, 0);
	fx->ws_n = 1 << 30;
	fx->ws_max_queue = 256u << 10;
	assert_int_equal(xio_http_server_ws_route(fx->srv, "/ws", &bp_ops, fx, &err), 0);
	fx_run(fx, client_never_reads);
	assert_true(atomic_load(&fx->ws_open));
	assert_true(atomic_load(&fx->ws_too_big));
	assert_true(fx->ws_max_seen <= fx->ws_max_queue);
	assert_true((size_t)fx->ws_sent * WS_FRAME > fx->ws_max_queue); /* the kernel took some */
	fx_release(fx);
	free(fx);
}

/* ---- tests ---- */

static void client_basics(struct fx *fx)
{
	CURL *h = curl_easy_init();

	http_do(fx, h, "GET", "/healthz", NULL, NULL, 0, 0);
	http_do(fx, h, "GET", "/nope", NULL, NULL, 0, 0);
	http_do(fx, h, "POST", "/healthz", NULL, "x", 1, 0);
	/* The same keep-alive connection still works after refusals. */
	http_do(fx, h, "GET", "/healthz", NULL, NULL, 0, 0);
	http_do(fx, h, "GET", "/readyz", NULL, NULL, 0, 0);
	atomic_store(&fx->store_ready, 1);
	http_do(fx, h, "GET", "/readyz", NULL, NULL, 0, 0);
	http_do(fx, h, "GET", "/metrics", NULL, NULL, 0, 0);
	http_do(fx, h, "HEAD", "/healthz", NULL, NULL, 0, 0);
	/* the connection goes on after a HEAD: no body was owed */
	http_do(fx, h, "GET", "/healthz", NULL, NULL, 0, 0);
	curl_easy_cleanup(h);
}

static void test_builtins_and_refusals(void **state)
{
	struct fx *fx = calloc(1, sizeof(*fx));
	struct xio_counter *c;
	struct prom_doc doc;
	char *log, name[32];
	int i;

	(void)state;
	fx_init(fx, 0);
	assert_int_equal(xio_http_server_add_ready_probe(fx->srv, "store",
							 store_probe_cb, fx), 0);
	assert_int_equal(xio_http_server_add_ready_probe(fx->srv, "slack",
							 adapter_probe_cb, fx), 0);
	c = xio_metrics_counter(fx->metrics, "xio_test_total", "A \"test\".",
				"adapter", "sl\"ack\\", NULL);
	xio_counter_add(c, 3);
	/* Enough series for a body bigger than one write. */
	for (i = 0; i < 600; i++) {
		snprintf(name, sizeof(name), "s%d", i);
		xio_gauge_set(xio_metrics_gauge(fx->metrics, "xio_test_gauge",
						"Many series.", "n", name, NULL), i);
	}
	fx_run(fx, client_basics);

	assert_int_equal(fx->r[0].status, 200);
	assert_string_equal(body_of(fx, 0), "ok");
	assert_int_equal(fx->r[1].status, 404);
	assert_string_equal(body_of(fx, 1), "{\"error\":\"not found\"}");
	assert_int_equal(fx->r[2].status, 405);
	assert_non_null(strstr(fx->r[2].headers.data, "Allow: GET, HEAD\r\n"));
	assert_int_equal(fx->r[3].status, 200);
	assert_int_equal(fx->r[4].status, 503);
	assert_non_null(strstr(body_of(fx, 4), "\"not_ready\":[\"store\"]"));
	assert_null(strstr(body_of(fx, 4), "slack"));
	assert_int_equal(fx->r[5].status, 200);
	assert_non_null(strstr(body_of(fx, 5), "\"ready\""));
	assert_int_equal(fx->r[6].status, 200);
	assert_true(fx->r[6].body.len > 16384);
	assert_non_null(strstr(fx->r[6].headers.data, "text/plain; version=0.0.4"));
	if (prom_parse(body_of(fx, 6), fx->r[6].body.len, &doc) ||
	    prom_check(&doc))
		fail_msg("/metrics does not parse: %s", doc.err);
	assert_true(prom_get(&doc, "xio_test_total", "adapter", "sl\"ack\\",
			     NULL) == 3);
	assert_true(prom_get(&doc, "xio_test_gauge", "n", "s599", NULL) == 599);
	prom_doc_release(&doc);
	/* HEAD: the GET's status and headers, no body */
	assert_int_equal(fx->r[7].curl_rc, CURLE_OK);
	assert_int_equal(fx->r[7].status, 200);
	assert_non_null(strstr(fx->r[7].headers.data, "content-length: 2\r\n"));
	assert_int_equal(fx->r[7].body.len, 0);
	assert_int_equal(fx->r[8].status, 200);
	assert_string_equal(body_of(fx, 8), "ok");

	log = fx_log_text(fx);
	assert_non_null(strstr(log, "\"status\":404"));
	assert_non_null(strstr(log, "\"status\":405"));
	assert_non_null(strstr(log, "not ready: store: migrations running"));
	free(log);
	fx_release(fx);
	free(fx);
}

static void client_requests(struct fx *fx)
{
	static const char *const hdrs[] = {
		"X-Slack-Signature: v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d2",
		"X-Slack-Request-Timestamp: 1531420618",
		"Content-Type: application/json",
		"Authorization: Bearer xoxb-123-456-secretsecret",
		NULL
	};
	const char *json = "{\"type\":\"event_callback\",\"secret_body\":1}";
	CURL *h = curl_easy_init();
	char *big = malloc(100000);
	size_t i;

	for (i = 0; i < 100000; i++)
		big[i] = (char)('a' + i % 26);
	http_do(fx, h, "POST", "/slack/events?a=1&b=two%20words", hdrs, json,
		strlen(json), 0);
	/* 413: over the route's 1000-byte cap, refused from Content-Length. */
	http_do(fx, h, "POST", "/slack/events", hdrs, big, 5000, 0);
	/* 411: chunked upload. */
	http_do(fx, h, "POST", "/slack/events", hdrs, json, strlen(json),
		REQ_CHUNKED);
	/* A big body within the server-wide limit, in many BODY callbacks. */
	http_do(fx, h, "POST", "/upload", NULL, big, 100000, 0);
	/* Expect: 100-continue is answered with 100, then the body comes. */
	http_do(fx, h, "POST", "/upload", NULL, big, 10, REQ_EXPECT);
	/* A handler that forgets to answer gets a 500, not a hang. */
	http_do(fx, h, "GET", "/noreply", NULL, NULL, 0, 0);
	/* Raw: garbage request line, bad Content-Length, POST without one,
	 * and Expect seen on the wire. */
	raw_do(fx, "BREW /pot HTCPCP/1.0\r\n\r\n");
	raw_do(fx, "POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 12abc"
		   "\r\n\r\n");
	raw_do(fx, "POST /upload HTTP/1.1\r\nHost: x\r\n\r\n");
	raw_do(fx, "POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
		   "Expect: teapot\r\n\r\n");
	/* The interim response on the wire, then the final one. */
	raw_do(fx, "POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
		   "Expect: 100-continue\r\nConnection: close\r\n\r\nhello");
	free(big);
	curl_easy_cleanup(h);
}

static void test_routes_bodies_refusals(void **state)
{
	struct fx *fx = calloc(1, sizeof(*fx));
	struct xio_err err;
	char *log;

	(void)state;
	fx_init(fx, 200000);
	assert_int_equal(xio_http_server_route(fx->srv, "POST", "/slack/events",
					       1000, echo_cb, fx, &err), 0);
	assert_int_equal(xio_http_server_route(fx->srv, "POST", "/upload", 0,
					       echo_cb, fx, &err), 0);
	assert_int_equal(xio_http_server_route(fx->srv, "GET", "/noreply", 0,
					       noreply_cb, fx, &err), 0);
	assert_int_equal(xio_http_server_route(fx->srv, "POST", "/upload", 0,
					       echo_cb, fx, &err), XIO_EINVAL);
	assert_int_equal(xio_http_server_route(fx->srv, "BREW", "/x", 0,
					       echo_cb, fx, &err), XIO_EINVAL);
	assert_int_equal(xio_http_server_route(fx->srv, "GET", "x", 0,
					       echo_cb, fx, &err), XIO_EINVAL);
	fx_run(fx, client_requests);

	/* The first request reached the handler with everything. */
	assert_int_equal(fx->r[0].status, 200);
	assert_string_equal(body_of(fx, 0), "got 41");
	assert_non_null(strstr(fx->r[0].headers.data, "X-Reply: yes"));
	assert_string_equal(fx->seen_method, "POST");
	assert_string_equal(fx->seen_path, "/upload"); /* the last call */
	assert_int_equal(fx->r[1].status, 413);
	assert_int_equal(fx->r[2].status, 411);
	assert_int_equal(fx->r[3].status, 200);
	assert_string_equal(body_of(fx, 3), "got 100000");
	assert_int_equal(fx->r[4].status, 200);
	assert_string_equal(body_of(fx, 4), "got 10");
	assert_int_equal(fx->r[5].status, 500);
	assert_int_equal(fx->r[6].status, 400);
	assert_int_equal(fx->r[7].status, 400);
	assert_int_equal(fx->r[8].status, 411);
	assert_int_equal(fx->r[9].status, 417);
	assert_int_equal(fx->r[10].status, 100);
	assert_non_null(strstr(body_of(fx, 10), "\r\n\r\nHTTP/1.1 200 OK\r\n"));
	assert_non_null(strstr(body_of(fx, 10), "got 5"));
	assert_int_equal(fx->seen_body_len, 5);
	/* The handler ran for 0 (json), 3 (big), 4 and 10 (expect) only. */
	assert_int_equal(atomic_load(&fx->handler_calls), 4);
	assert_string_equal(fx->seen_sig,
			    "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d2");
	assert_string_equal(fx->seen_ts, "1531420618");
	assert_int_equal(fx->seen_missing_rc, XIO_ENOTFOUND);
	assert_string_equal(fx->seen_remote, "127.0.0.1");

	log = fx_log_text(fx);
	assert_non_null(strstr(log, "\"status\":413"));
	assert_non_null(strstr(log, "\"status\":411"));
	assert_non_null(strstr(log, "\"status\":417"));
	assert_non_null(strstr(log, "400 unparsable request"));
	assert_non_null(strstr(log, "bad Content-Length"));
	assert_non_null(strstr(log, "without an answer"));
	/* Never a body or a credential in the log. */
	assert_null(strstr(log, "secret_body"));
	assert_null(strstr(log, "secretsecret"));
	assert_null(strstr(log, "abcdefghij"));
	free(log);
	fx_release(fx);
	free(fx);
}

/* Checks the first request's handler state separately: the second test's
 * handler overwrote it. */
static void client_one_echo(struct fx *fx)
{
	static const char *const hdrs[] = {
		"X-Slack-Signature: v0=abc", "X-Slack-Request-Timestamp: 42",
		"Content-Type: application/json", NULL
	};
	CURL *h = curl_easy_init();

	http_do(fx, h, "POST", "/slack/events?a=1&b=two%20words&flag", hdrs,
		"{\"k\":1}", 7, 0);
	curl_easy_cleanup(h);
}

static void test_handler_sees_request(void **state)
{
	struct fx *fx = calloc(1, sizeof(*fx));
	struct xio_err err;
	unsigned sum = 0;
	const char *b = "{\"k\":1}";

	(void)state;
	fx_init(fx, 0);
	assert_int_equal(xio_http_server_route(fx->srv, "POST", "/slack/*", 0,
					       echo_cb, fx, &err), 0);
	fx_run(fx, client_one_echo);
	assert_int_equal(fx->r[0].status, 200);
	assert_string_equal(fx->seen_method, "POST");
	assert_string_equal(fx->seen_path, "/slack/events");
	assert_string_equal(fx->seen_sig, "v0=abc");
	assert_string_equal(fx->seen_ts, "42");
	assert_string_equal(fx->seen_ctype, "application/json");
	assert_string_equal(fx->seen_query_a, "1");
	assert_string_equal(fx->seen_query_b, "two words");
	assert_int_equal(fx->seen_body_len, 7);
	while (*b)
		sum = sum * 31 + (unsigned char)*b++;
	assert_int_equal(fx->seen_body_sum, sum);
	fx_release(fx);
	free(fx);
}

static void client_async(struct fx *fx)
{
	CURL *h = curl_easy_init();

	http_do(fx, h, "GET", "/slow", NULL, NULL, 0, 0);
	curl_easy_cleanup(h);
}

static void test_async_reply(void **state)
{
	struct fx *fx = calloc(1, sizeof(*fx));
	struct xio_err err;

	(void)state;
	fx_init(fx, 0);
	assert_int_equal(xio_http_server_route(fx->srv, "GET", "/slow", 0,
					       slow_cb, fx, &err), 0);
	fx_run(fx, client_async);
	assert_int_equal(fx->r[0].status, 200);
	assert_string_equal(body_of(fx, 0), "late");
	assert_int_equal(fx->late_rc, 0);
	fx_release(fx);
	free(fx);
}

static void client_gone(struct fx *fx)
{
	const char *req = "GET /hang HTTP/1.1\r\nHost: x\r\n\r\n";
	int fd = raw_connect(fx->port), i;
	CURL *h;

	if (fd >= 0 && write(fd, req, strlen(req)) == (ssize_t)strlen(req))
		for (i = 0; i < 5000 && !atomic_load(&fx->hang_seen); i++)
			usleep(1000);
	if (fd >= 0) {
		/* Abort (RST): lws 4.1 keeps a half-closed (FIN) HTTP/1
		 * connection until its timeout, allowing for clients that shut
		 * down their sending side; a reset it notices at once. */
		struct linger lg = { 1, 0 };

		setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
		close(fd);
	}
	/* The server keeps serving afterwards. */
	for (i = 0; i < 5000 && !atomic_load(&fx->gone_done); i++)
		usleep(1000);
	h = curl_easy_init();
	http_do(fx, h, "GET", "/healthz", NULL, NULL, 0, 0);
	curl_easy_cleanup(h);
}

static void test_client_gone_before_async_reply(void **state)
{
	struct fx *fx = calloc(1, sizeof(*fx));
	struct xio_err err;

	(void)state;
	fx_init(fx, 0);
	assert_int_equal(xio_http_server_route(fx->srv, "GET", "/hang", 0,
					       hang_cb, fx, &err), 0);
	fx_run(fx, client_gone);
	assert_int_equal(atomic_load(&fx->hang_seen), 1);
	assert_int_equal(fx->late_rc, XIO_ECANCELED);
	assert_int_equal(fx->r[0].status, 200);
	fx_release(fx);
	free(fx);
}

static void client_park(struct fx *fx)
{
	const char *req = "GET /park HTTP/1.1\r\nHost: x\r\n\r\n";
	int i;

	fx->park_fd = raw_connect(fx->port);
	if (fx->park_fd >= 0 &&
	    write(fx->park_fd, req, strlen(req)) == (ssize_t)strlen(req))
		for (i = 0; i < 5000 && !atomic_load(&fx->hang_seen); i++)
			usleep(1000);
	/* Leaves the connection open: the server is freed under it. */
}

static void test_server_freed_with_parked_request(void **state)
{
	struct fx *fx = calloc(1, sizeof(*fx));
	struct xio_err err;

	(void)state;
	fx_init(fx, 0);
	assert_int_equal(xio_http_server_route(fx->srv, "GET", "/park", 0,
					       park_cb, fx, &err), 0);
	fx_run(fx, client_park);
	assert_int_equal(atomic_load(&fx->hang_seen), 1);
	assert_int_equal(fx->late_rc, XIO_ECANCELED);
	if (fx->park_fd >= 0)
		close(fx->park_fd);
	fx_release(fx);
	free(fx);
}

static void test_port_in_use(void **state)
{
	struct xio_http_server *a = NULL, *b = NULL;
	struct xio_loop loop;
	struct sockaddr_in sa;
	socklen_t sl = sizeof(sa);
	struct xio_err err;
	char want[64];
	int port, fd;

	(void)state;
	assert_int_equal(xio_loop_init(&loop, NULL, &err), 0);
	/* Taken by this process's own server (lws would share it silently). */
	assert_int_equal(xio_http_server_new(&a, &loop, "127.0.0.1", 0, NULL,
					     &err), 0);
	port = xio_http_server_port(a);
	assert_int_equal(xio_http_server_new(&b, &loop, "127.0.0.1", port, NULL,
					     &err), XIO_EBUSY);
	assert_null(b);
	snprintf(want, sizeof(want), "127.0.0.1:%d", port);
	assert_non_null(strstr(err.msg, want));
	/* Taken by another socket. */
	fd = socket(AF_INET, SOCK_STREAM, 0);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(fd, 1), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &sl), 0);
	port = ntohs(sa.sin_port);
	assert_int_equal(xio_http_server_new(&b, &loop, "127.0.0.1", port, NULL,
					     &err), XIO_EBUSY);
	snprintf(want, sizeof(want), ":%d is already in use", port);
	assert_non_null(strstr(err.msg, want));
	close(fd);
	assert_int_equal(xio_http_server_new(&b, &loop, "not-an-ip", 80, NULL,
					     &err), XIO_EINVAL);
	xio_http_server_free(a);
	xio_loop_release(&loop);
}

static void test_route_match(void **state)
{
	(void)state;
	assert_true(xio_http_route_match("/a", "/a") >
		    xio_http_route_match("/a*", "/a"));
	assert_int_equal(xio_http_route_match("/a", "/ab"), -1);
	assert_int_equal(xio_http_route_match("/api/*", "/api"), -1);
	assert_true(xio_http_route_match("/api/*", "/api/") >= 0);
	assert_true(xio_http_route_match("/api/v1/*", "/api/v1/x") >
		    xio_http_route_match("/api/*", "/api/v1/x"));
	assert_true(xio_http_route_match("*", "/anything") >= 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_route_match),
		cmocka_unit_test(test_port_in_use),
		cmocka_unit_test(test_builtins_and_refusals),
		cmocka_unit_test(test_routes_bodies_refusals),
		cmocka_unit_test(test_handler_sees_request),
		cmocka_unit_test(test_async_reply),
		cmocka_unit_test(test_client_gone_before_async_reply),
		cmocka_unit_test(test_server_freed_with_parked_request),
		cmocka_unit_test(test_ws_backpressure_keeps_order),
		cmocka_unit_test(test_ws_queue_bound),
	};
	int rc;

	curl_global_init(CURL_GLOBAL_DEFAULT);
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	curl_global_cleanup();
	return rc;
}
