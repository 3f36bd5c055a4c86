/*
 * test_http_client.c — the curl-on-libuv HTTP client against a real local
 * HTTP server (tests/fakes/http_fake.py, started once for the group with
 * fork/exec and stopped in the teardown).
 *
 * Every test runs its own uv loop and ends by freeing the client and checking
 * that uv_loop_close() returns 0: a leaked poll or timer handle fails the
 * test, and LeakSanitizer catches leaked memory.  Timing assertions are only
 * lower bounds ("waited at least the Retry-After"), never tight windows.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "http_client.h"

/* ---- the fake server ----------------------------------------------------- */

struct fake {
	pid_t pid;
	int port;
	char dir[64];
	char port_file[128];
};

static int fake_start(void **state)
{
	struct fake *f = calloc(1, sizeof(*f));
	const char *src = getenv("XIO_SOURCE_DIR");
	char script[1024];
	int i;

	if (!f)
		return -1;
	snprintf(script, sizeof(script), "%s/tests/fakes/http_fake.py",
		 src ? src : ".");
	snprintf(f->dir, sizeof(f->dir), "/tmp/xio-httpc-XXXXXX");
	if (!mkdtemp(f->dir)) {
		free(f);
		return -1;
	}
	snprintf(f->port_file, sizeof(f->port_file), "%s/port", f->dir);
	f->pid = fork();
	if (f->pid < 0) {
		rmdir(f->dir);
		free(f);
		return -1;
	}
	if (f->pid == 0) {
		int null = open("/dev/null", O_WRONLY);

		if (null >= 0)
			dup2(null, 1);
		execlp("python3", "python3", script, "--port-file", f->port_file,
		       (char *)NULL);
		_exit(127);
	}
	for (i = 0; i < 1000; i++) {
		FILE *pf = fopen(f->port_file, "r");
		int status;

		if (pf) {
			if (fscanf(pf, "%d", &f->port) != 1)
				f->port = 0;
			fclose(pf);
			if (f->port > 0)
				break;
		}
		if (waitpid(f->pid, &status, WNOHANG) == f->pid) {
			fprintf(stderr, "http_fake.py exited before listening\n");
			f->pid = 0;
			break;
		}
		usleep(10000);
	}
	if (f->port <= 0) {
		if (f->pid > 0) {
			kill(f->pid, SIGTERM);
			waitpid(f->pid, NULL, 0);
		}
		unlink(f->port_file);
		rmdir(f->dir);
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

static int fake_stop(void **state)
{
	struct fake *f = *state;

	if (!f)
		return 0;
	kill(f->pid, SIGTERM);
	waitpid(f->pid, NULL, 0);
	unlink(f->port_file);
	rmdir(f->dir);
	free(f);
	return 0;
}

static char *url(const struct fake *f, const char *path_query)
{
	static char buf[4][512];
	static int n;
	char *b = buf[n++ % 4];

	snprintf(b, sizeof(buf[0]), "http://127.0.0.1:%d%s", f->port, path_query);
	return b;
}

/* ---- a loop and a client per test ---------------------------------------- */

struct env {
	struct xio_loop loop;
	struct xio_http_client *c;
};

static void env_init(struct env *e, const struct xio_http_client_opts *o)
{
	struct xio_err err;

	memset(e, 0, sizeof(*e));
	assert_int_equal(uv_loop_init(&e->loop.uv), 0);
	assert_int_equal(xio_http_client_new(&e->c, &e->loop, o, &err), 0);
}

/* Runs the loop until *counter reaches target (20 s safety net). */
static void env_run(struct env *e, const int *counter, int target)
{
	int64_t start = xio_clock_mono_ms();

	while (*counter < target) {
		assert_true(xio_clock_mono_ms() - start < 20000);
		uv_run(&e->loop.uv, UV_RUN_ONCE);
	}
}

/* Frees the client and proves no uv handle is left on the loop. */
static void env_close(struct env *e)
{
	int i;

	xio_http_client_free(e->c);
	e->c = NULL;
	for (i = 0; i < 100 && uv_run(&e->loop.uv, UV_RUN_NOWAIT); i++)
		;
	assert_int_equal(uv_loop_close(&e->loop.uv), 0);
}

struct result {
	int done;
	uint64_t id;
	long status;
	int error;
	int attempts;
	char *body;
	size_t body_len;
	char msg[512];
	char log_url[256];
	char retry_after[64];
	char ctype[128];
	int has_ctype_upper;
	int64_t elapsed_ms;
	json_object *json;
	int json_rc;
	/* streaming */
	char stream[4096];
	size_t stream_len;
	int chunks;
	int chunk_rc;          /* returned from chunk_cb */
	int cancel_in_chunk;   /* cancel itself from chunk_cb */
	struct xio_http_client *c;
	int *counter;          /* incremented when done */
	int free_client;       /* free the client from the callback */
};

static void result_release(struct result *r)
{
	free(r->body);
	json_object_put(r->json);
	r->body = NULL;
	r->json = NULL;
}

static void done_cb(void *ud, const struct xio_http_response *resp)
{
	struct result *r = ud;
	const char *h;
	struct xio_err err;

	assert_int_equal(r->done, 0); /* exactly once */
	r->done = 1;
	r->status = resp->status;
	r->error = resp->error;
	r->attempts = resp->attempts;
	assert_non_null(resp->body);
	assert_non_null(resp->error_msg);
	r->body = malloc(resp->body_len + 1);
	assert_non_null(r->body);
	memcpy(r->body, resp->body, resp->body_len + 1);
	r->body_len = resp->body_len;
	snprintf(r->msg, sizeof(r->msg), "%s", resp->error_msg);
	snprintf(r->log_url, sizeof(r->log_url), "%s", resp->log_url);
	h = xio_http_response_header(resp, "retry-after");
	snprintf(r->retry_after, sizeof(r->retry_after), "%s", h ? h : "");
	h = xio_http_response_header(resp, "content-type");
	snprintf(r->ctype, sizeof(r->ctype), "%s", h ? h : "");
	r->has_ctype_upper = xio_http_response_header(resp, "CONTENT-TYPE") != NULL;
	r->elapsed_ms = resp->elapsed_ms;
	r->json = xio_http_response_json(resp, &err);
	r->json_rc = r->json ? 0 : err.code;
	if (!r->json && resp->body_len && resp->status == 200)
		snprintf(r->msg, sizeof(r->msg), "%s", err.msg);
	if (r->counter)
		(*r->counter)++;
	if (r->free_client)
		xio_http_client_free(r->c);
}

static int chunk_cb(void *ud, const char *data, size_t len)
{
	struct result *r = ud;

	r->chunks++;
	assert_true(r->stream_len + len < sizeof(r->stream));
	memcpy(r->stream + r->stream_len, data, len);
	r->stream_len += len;
	r->stream[r->stream_len] = '\0';
	if (r->cancel_in_chunk)
		assert_int_equal(xio_http_cancel(r->c, r->id), 0);
	return r->chunk_rc;
}

static void send_ok(struct env *e, const struct xio_http_request *req,
		    struct result *r)
{
	struct xio_err err;

	r->c = e->c;
	assert_int_equal(xio_http_send(e->c, req, done_cb, r, &r->id, &err), 0);
	assert_true(r->id != 0);
}

/* Runs one request to completion on a fresh client. */
static void one(const struct xio_http_client_opts *o,
		const struct xio_http_request *req, struct result *r)
{
	struct env e;

	env_init(&e, o);
	send_ok(&e, req, r);
	env_run(&e, &r->done, 1);
	env_close(&e);
}

static const char *json_str(json_object *o, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v))
		return NULL;
	return json_object_get_string(v);
}

static int json_int(json_object *o, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v))
		return -1;
	return json_object_get_int(v);
}

static unsigned rand_max_cb(void *ud)
{
	(void)ud;
	return UINT_MAX;
}

/* A port nobody listens on: bound, read and closed. */
static int closed_port(void)
{
	struct sockaddr_in a;
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port;

	assert_true(fd >= 0);
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	port = ntohs(a.sin_port);
	close(fd);
	return port;
}

/* ---- tests ----------------------------------------------------------------- */

static void test_json_round_trip(void **state)
{
	struct fake *f = *state;
	struct env e;
	struct result r = {0}, nf = {0}, txt = {0};
	const char *headers[] = {"X-Test: yes", "Authorization: Bearer xoxb-1-2-3",
				 NULL};
	struct xio_http_request req = {0};
	json_object *body = json_tokener_parse(
		"{\"a\":1,\"s\":\"h\\u00e9llo\",\"arr\":[1,2,{\"b\":null}]}");
	json_object *sent = NULL, *hdrs = NULL;
	struct xio_err err;
	int done = 0;

	assert_non_null(body);
	env_init(&e, NULL);
	req.method = "POST";
	req.url = url(f, "/echo?secret=abc");
	req.headers = headers;
	r.c = e.c;
	r.counter = &done;
	assert_int_equal(xio_http_send_json(e.c, &req, body, done_cb, &r, &r.id,
					    &err), 0);
	memset(&req, 0, sizeof(req));
	req.url = url(f, "/status?code=404&secret=abc");
	nf.counter = &done;
	send_ok(&e, &req, &nf);
	req.url = url(f, "/huge?bytes=10");
	txt.counter = &done;
	send_ok(&e, &req, &txt);
	env_run(&e, &done, 3);
	env_close(&e);

	assert_int_equal(r.error, 0);
	assert_int_equal(r.status, 200);
	assert_int_equal(r.attempts, 1);
	assert_string_equal(r.msg, "");
	assert_string_equal(r.ctype, "application/json");
	assert_true(r.has_ctype_upper);
	assert_non_null(r.json);
	assert_string_equal(json_str(r.json, "method"), "POST");
	assert_string_equal(json_str(r.json, "query"), "secret=abc");
	assert_true(json_object_object_get_ex(r.json, "headers", &hdrs));
	assert_string_equal(json_str(hdrs, "content-type"), "application/json");
	assert_string_equal(json_str(hdrs, "accept"), "application/json");
	assert_string_equal(json_str(hdrs, "x-test"), "yes");
	assert_null(json_str(hdrs, "expect"));
	assert_non_null(strstr(json_str(hdrs, "user-agent"), "xio/"));
	sent = json_tokener_parse(json_str(r.json, "body"));
	assert_non_null(sent);
	assert_true(json_object_equal(sent, body));

	/* An HTTP error is a response, not a transport error. */
	assert_int_equal(nf.error, 0);
	assert_int_equal(nf.status, 404);
	assert_int_equal(nf.attempts, 1);
	assert_non_null(strstr(nf.msg, "GET http://127.0.0.1:"));
	assert_non_null(strstr(nf.msg, "/status: HTTP 404"));
	assert_null(strstr(nf.msg, "secret"));
	assert_null(strstr(nf.log_url, "secret"));
	assert_non_null(nf.json);

	/* A body that is not JSON is reported, not parsed. */
	assert_int_equal(txt.status, 200);
	assert_null(txt.json);
	assert_int_equal(txt.json_rc, XIO_EPROTO);
	assert_non_null(strstr(txt.msg, "not JSON"));

	json_object_put(sent);
	json_object_put(body);
	result_release(&r);
	result_release(&nf);
	result_release(&txt);
}

static void test_post_100k(void **state)
{
	struct fake *f = *state;
	struct xio_http_request req = {0};
	struct result r = {0};
	size_t n = 100 * 1024, i;
	char *body = malloc(n);

	assert_non_null(body);
	for (i = 0; i < n; i++)
		body[i] = (char)('a' + i % 26);
	req.method = "PUT";
	req.url = url(f, "/echo");
	req.body = body;
	req.body_len = n;
	one(NULL, &req, &r);
	assert_int_equal(r.error, 0);
	assert_int_equal(r.status, 200);
	assert_non_null(r.json);
	assert_string_equal(json_str(r.json, "method"), "PUT");
	assert_int_equal(json_int(r.json, "body_len"), (int)n);
	assert_int_equal(strlen(json_str(r.json, "body")), n);
	assert_memory_equal(json_str(r.json, "body"), body, n);
	free(body);
	result_release(&r);
}

static void test_timeouts(void **state)
{
	struct fake *f = *state;
	struct env e;
	struct xio_http_request req = {0};
	struct result total = {0}, retried = {0}, first = {0}, idle = {0};
	int done = 0;

	env_init(&e, NULL);
	/* Whole-transfer timeout, no retry. */
	req.url = url(f, "/stall");
	req.timeout_ms = 300;
	req.max_attempts = 1;
	total.counter = &done;
	send_ok(&e, &req, &total);
	/* The same, retried once (GET is idempotent). */
	req.url = url(f, "/stall?n=2");
	req.max_attempts = 2;
	req.backoff_base_ms = 10;
	retried.counter = &done;
	send_ok(&e, &req, &retried);
	/* Headers arrive, the body never does. */
	memset(&req, 0, sizeof(req));
	req.url = url(f, "/stall?headers=1");
	req.first_byte_timeout_ms = 200;
	req.max_attempts = 1;
	first.counter = &done;
	send_ok(&e, &req, &first);
	/* A stream that goes quiet after its first event: never retried once
	 * a chunk was delivered, although GET and max_attempts 3. */
	memset(&req, 0, sizeof(req));
	req.url = url(f, "/stream?chunks=3&gap_after=1&gap_ms=5000");
	req.idle_timeout_ms = 300;
	req.max_attempts = 3;
	req.chunk_cb = chunk_cb;
	idle.counter = &done;
	send_ok(&e, &req, &idle);
	env_run(&e, &done, 4);
	env_close(&e);

	assert_int_equal(total.error, XIO_ETIMEDOUT);
	assert_int_equal(total.attempts, 1);
	assert_true(total.elapsed_ms >= 290);
	assert_non_null(strstr(total.msg, "GET http://127.0.0.1:"));
	assert_non_null(strstr(total.msg, "/stall: "));
	assert_non_null(strstr(total.msg, "after 1 attempt"));

	assert_int_equal(retried.error, XIO_ETIMEDOUT);
	assert_int_equal(retried.attempts, 2);
	assert_true(retried.elapsed_ms >= 590);

	assert_int_equal(first.error, XIO_ETIMEDOUT);
	assert_int_equal(first.status, 200);
	assert_true(first.elapsed_ms >= 190);
	assert_non_null(strstr(first.msg, "first-byte timeout"));

	assert_int_equal(idle.error, XIO_ETIMEDOUT);
	assert_int_equal(idle.attempts, 1);
	assert_true(idle.chunks >= 1);
	assert_non_null(strstr(idle.stream, "data: {\"i\":0}"));
	assert_non_null(strstr(idle.msg, "idle timeout"));
	result_release(&total);
	result_release(&retried);
	result_release(&first);
	result_release(&idle);
}

static void test_retry_after(void **state)
{
	struct fake *f = *state;
	struct env e;
	struct xio_http_client_opts o = {0};
	struct xio_http_request req = {0};
	struct result sec = {0}, ms = {0}, date = {0}, far = {0}, cnt = {0};
	struct xio_metrics *m = xio_metrics_new();
	int done = 0;

	o.rand_cb = rand_max_cb;
	o.metrics = m;
	o.api = "fake";
	env_init(&e, &o);
	req.backoff_base_ms = 10;
	req.url = url(f, "/ratelimit?key=ra-sec&ra=1");
	sec.counter = &done;
	send_ok(&e, &req, &sec);
	/* Not idempotent: 429 is retried all the same. */
	req.method = "POST";
	req.url = url(f, "/retry-ms?key=ra-ms&ms=300");
	ms.counter = &done;
	send_ok(&e, &req, &ms);
	req.method = NULL;
	req.url = url(f, "/ratelimit?key=ra-date&ra=Wed,%2021%20Oct%202015%2007:28:00%20GMT");
	date.counter = &done;
	send_ok(&e, &req, &date);
	/* The server asks for more than we may wait: give up, hand over 429. */
	req.url = url(f, "/ratelimit?key=ra-far&ra=30");
	req.backoff_max_ms = 1000;
	far.counter = &done;
	send_ok(&e, &req, &far);
	env_run(&e, &done, 4);
	memset(&req, 0, sizeof(req));
	req.url = url(f, "/count?key=ra-sec");
	cnt.counter = &done;
	send_ok(&e, &req, &cnt);
	env_run(&e, &done, 5);
	env_close(&e);

	assert_int_equal(sec.status, 200);
	assert_int_equal(sec.attempts, 2);
	assert_true(sec.elapsed_ms >= 990);
	assert_int_equal(json_int(cnt.json, "count"), 2);

	assert_int_equal(ms.status, 200);
	assert_int_equal(ms.attempts, 2);
	assert_true(ms.elapsed_ms >= 290);

	assert_int_equal(date.status, 200);
	assert_int_equal(date.attempts, 2);

	assert_int_equal(far.error, 0);
	assert_int_equal(far.status, 429);
	assert_int_equal(far.attempts, 1);
	assert_string_equal(far.retry_after, "30");
	assert_non_null(strstr(far.msg, "HTTP 429"));
	assert_non_null(strstr(far.msg, "exceeds backoff_max_ms"));
	assert_non_null(far.json);
	assert_string_equal(json_str(far.json, "error"), "ratelimited");
	/* per API: every 429 (three retried, one handed over), every answer,
	 * the retries, each request's time */
	assert_true(xio_counter_value(xio_metrics_counter(m, "xio_http_responses_total", "",
							  "api", "fake", "code", "429", NULL)) == 4);
	assert_true(xio_counter_value(xio_metrics_counter(m, "xio_http_responses_total", "",
							  "api", "fake", "code", "200", NULL)) == 4);
	assert_true(xio_counter_value(xio_http_retries_counter(m, "fake")) == 3);
	{
		struct xio_buf text;

		xio_buf_init(&text, 0);
		assert_int_equal(xio_metrics_render(m, &text), 0);
		assert_non_null(strstr(text.data, "xio_http_request_seconds_count{api=\"fake\"} 5"));
		xio_buf_release(&text);
	}
	xio_metrics_free(m);
	result_release(&sec);
	result_release(&ms);
	result_release(&date);
	result_release(&far);
	result_release(&cnt);
}

static void test_retry_5xx(void **state)
{
	struct fake *f = *state;
	struct env e;
	struct xio_http_client_opts o = {0};
	struct xio_http_request req = {0};
	struct result get = {0}, post = {0}, idem = {0}, capped = {0};
	struct xio_http_stats st;
	int done = 0;

	o.rand_cb = rand_max_cb; /* full jitter at its top: delay = cap */
	env_init(&e, &o);
	req.backoff_base_ms = 50;
	req.backoff_max_ms = 1000;
	req.url = url(f, "/flaky?key=5xx-get&n=2&code=503");
	get.counter = &done;
	send_ok(&e, &req, &get);
	req.method = "POST";
	req.url = url(f, "/flaky?key=5xx-post&n=2&code=503");
	post.counter = &done;
	send_ok(&e, &req, &post);
	req.idempotent = 1;
	req.url = url(f, "/flaky?key=5xx-idem&n=1&code=502");
	idem.counter = &done;
	send_ok(&e, &req, &idem);
	req.max_attempts = 2;
	req.url = url(f, "/flaky?key=5xx-cap&n=5&code=500");
	capped.counter = &done;
	send_ok(&e, &req, &capped);
	env_run(&e, &done, 4);
	xio_http_client_stats(e.c, &st);
	env_close(&e);

	assert_int_equal(get.status, 200);
	assert_int_equal(get.attempts, 3);
	assert_true(get.elapsed_ms >= 145); /* 50 + 100 */
	assert_int_equal(json_int(get.json, "count"), 3);

	assert_int_equal(post.status, 503);
	assert_int_equal(post.error, 0);
	assert_int_equal(post.attempts, 1);
	assert_non_null(strstr(post.msg, "POST http://127.0.0.1:"));
	assert_non_null(strstr(post.msg, "HTTP 503 after 1 attempt"));

	assert_int_equal(idem.status, 200);
	assert_int_equal(idem.attempts, 2);

	assert_int_equal(capped.status, 500);
	assert_int_equal(capped.attempts, 2);
	assert_non_null(strstr(capped.msg, "HTTP 500 after 2 attempts"));

	assert_int_equal(st.requests, 4);
	assert_int_equal(st.attempts, 3 + 1 + 2 + 2);
	assert_int_equal(st.retries, 2 + 0 + 1 + 1);
	assert_int_equal(st.failures, 2);
	assert_int_equal(st.in_flight, 0);
	assert_int_equal(st.queued, 0);
	result_release(&get);
	result_release(&post);
	result_release(&idem);
	result_release(&capped);
}

static void test_size_cap(void **state)
{
	struct fake *f = *state;
	struct env e;
	struct xio_http_request req = {0};
	struct result cl = {0}, chunked = {0}, fits = {0}, stream = {0};
	int done = 0;

	env_init(&e, NULL);
	req.max_body = 10000;
	req.url = url(f, "/huge?bytes=200000");
	cl.counter = &done;
	send_ok(&e, &req, &cl);
	req.url = url(f, "/huge?bytes=200000&chunked=1");
	chunked.counter = &done;
	send_ok(&e, &req, &chunked);
	req.url = url(f, "/huge?bytes=10000&chunked=1");
	fits.counter = &done;
	send_ok(&e, &req, &fits);
	req.url = url(f, "/stream?chunks=50&ms=0");
	req.max_body = 100;
	req.chunk_cb = chunk_cb;
	stream.counter = &done;
	send_ok(&e, &req, &stream);
	env_run(&e, &done, 4);
	env_close(&e);

	assert_int_equal(cl.error, XIO_ETOOBIG);
	assert_int_equal(cl.attempts, 1);
	assert_non_null(strstr(cl.msg, "exceeds the 10000-byte cap"));
	assert_non_null(strstr(cl.msg, "GET http://127.0.0.1:"));
	assert_int_equal(chunked.error, XIO_ETOOBIG);
	assert_int_equal(chunked.attempts, 1);
	assert_non_null(strstr(chunked.msg, "exceeds the 10000-byte cap"));
	assert_int_equal(fits.error, 0);
	assert_int_equal(fits.body_len, 10000);
	assert_int_equal(stream.error, XIO_ETOOBIG);
	assert_true(stream.stream_len <= 100);
	result_release(&cl);
	result_release(&chunked);
	result_release(&fits);
	result_release(&stream);
}

static void test_streaming(void **state)
{
	struct fake *f = *state;
	struct env e;
	struct xio_http_request req = {0};
	struct result ok = {0}, abort_ = {0}, err500 = {0};
	int done = 0;

	env_init(&e, NULL);
	req.url = url(f, "/stream?chunks=5&ms=20");
	req.chunk_cb = chunk_cb;
	ok.counter = &done;
	send_ok(&e, &req, &ok);
	req.url = url(f, "/stream?chunks=5&ms=20&x=abort");
	abort_.chunk_rc = XIO_EPROTO;
	abort_.counter = &done;
	send_ok(&e, &req, &abort_);
	req.url = url(f, "/status?code=500");
	req.max_attempts = 1;
	err500.counter = &done;
	send_ok(&e, &req, &err500);
	env_run(&e, &done, 3);
	env_close(&e);

	assert_int_equal(ok.error, 0);
	assert_int_equal(ok.status, 200);
	assert_int_equal(ok.body_len, 0);
	assert_true(ok.chunks >= 1);
	assert_string_equal(ok.stream,
			    "data: {\"i\":0}\n\ndata: {\"i\":1}\n\ndata: {\"i\":2}\n\n"
			    "data: {\"i\":3}\n\ndata: {\"i\":4}\n\ndata: [DONE]\n\n");
	assert_string_equal(ok.ctype, "text/event-stream");

	assert_int_equal(abort_.error, XIO_EPROTO);
	assert_int_equal(abort_.chunks, 1);
	assert_int_equal(abort_.attempts, 1);
	assert_non_null(strstr(abort_.msg, "aborted by the chunk callback"));

	/* An error body is collected, not streamed. */
	assert_int_equal(err500.status, 500);
	assert_int_equal(err500.chunks, 0);
	assert_non_null(strstr(err500.body, "status 500"));
	result_release(&ok);
	result_release(&abort_);
	result_release(&err500);
}

struct later {
	uv_timer_t t;
	struct xio_http_client *c;
	uint64_t id;
	int rc;
};

static void cancel_later_cb(uv_timer_t *t)
{
	struct later *l = t->data;

	l->rc = xio_http_cancel(l->c, l->id);
	uv_close((uv_handle_t *)t, NULL);
}

static void test_cancel(void **state)
{
	struct fake *f = *state;
	struct env e;
	struct xio_http_client_opts o = {0};
	struct xio_http_request req = {0};
	struct result running = {0}, queued = {0}, self = {0}, again = {0};
	struct later l;
	struct xio_http_stats st;
	int done = 0;

	o.max_per_host = 1;
	env_init(&e, &o);
	req.url = url(f, "/delay?ms=3000");
	running.counter = &done;
	send_ok(&e, &req, &running);
	req.url = url(f, "/echo");
	queued.counter = &done;
	send_ok(&e, &req, &queued);
	/* Queued behind the running one: cancelled before it ever starts. */
	assert_int_equal(xio_http_cancel(e.c, queued.id), 0);
	assert_int_equal(xio_http_cancel(e.c, queued.id), 0);
	assert_int_equal(xio_http_cancel(e.c, 9999), XIO_ENOTFOUND);
	assert_int_equal(queued.done, 0); /* never synchronous */
	l.c = e.c;
	l.id = running.id;
	l.rc = 1;
	uv_timer_init(&e.loop.uv, &l.t);
	l.t.data = &l;
	uv_timer_start(&l.t, cancel_later_cb, 200, 0);
	env_run(&e, &done, 2);
	assert_int_equal(l.rc, 0);
	assert_int_equal(xio_http_cancel(e.c, running.id), XIO_ENOTFOUND);

	/* Cancelled from inside its own chunk callback. */
	memset(&req, 0, sizeof(req));
	req.url = url(f, "/stream?chunks=5&ms=50");
	req.chunk_cb = chunk_cb;
	self.cancel_in_chunk = 1;
	self.counter = &done;
	send_ok(&e, &req, &self);
	env_run(&e, &done, 3);
	/* The client still works after all that. */
	memset(&req, 0, sizeof(req));
	req.url = url(f, "/echo");
	again.counter = &done;
	send_ok(&e, &req, &again);
	env_run(&e, &done, 4);
	xio_http_client_stats(e.c, &st);
	env_close(&e);

	assert_int_equal(running.error, XIO_ECANCELED);
	assert_int_equal(running.attempts, 1);
	assert_true(running.elapsed_ms < 2900);
	assert_non_null(strstr(running.msg, "canceled"));
	assert_int_equal(queued.error, XIO_ECANCELED);
	assert_int_equal(queued.attempts, 0);
	assert_int_equal(queued.status, 0);
	assert_int_equal(self.error, XIO_ECANCELED);
	assert_int_equal(self.chunks, 1);
	assert_int_equal(again.status, 200);
	assert_int_equal(st.canceled, 3);
	assert_int_equal(st.failures, 0);
	result_release(&running);
	result_release(&queued);
	result_release(&self);
	result_release(&again);
}

static void test_per_host_limit(void **state)
{
	struct fake *f = *state;
	struct env e;
	struct xio_http_client_opts o = {0};
	struct xio_http_request req = {0};
	struct result r[8], stats = {0}, other = {0};
	struct xio_http_stats st;
	char path[128];
	json_object *order;
	int done = 0, i;

	memset(r, 0, sizeof(r));
	/* Limit 2: never more than 2 at the server at once. */
	o.max_per_host = 2;
	env_init(&e, &o);
	for (i = 0; i < 8; i++) {
		snprintf(path, sizeof(path), "/conc?group=lim2&ms=60&seq=%d", i);
		req.url = url(f, path);
		r[i].counter = &done;
		send_ok(&e, &req, &r[i]);
	}
	/* Another host (localhost vs 127.0.0.1) has its own slots. */
	snprintf(path, sizeof(path), "http://localhost:%d/echo", f->port);
	req.url = path;
	other.counter = &done;
	send_ok(&e, &req, &other);
	xio_http_client_stats(e.c, &st);
	assert_int_equal(st.queued, 9);
	assert_int_equal(st.in_flight, 0);
	env_run(&e, &done, 9);
	req.url = url(f, "/conc-stats?group=lim2");
	stats.counter = &done;
	send_ok(&e, &req, &stats);
	env_run(&e, &done, 10);
	env_close(&e);
	for (i = 0; i < 8; i++) {
		assert_int_equal(r[i].status, 200);
		result_release(&r[i]);
	}
	assert_int_equal(other.status, 200);
	assert_true(json_int(stats.json, "max") >= 1);
	assert_true(json_int(stats.json, "max") <= 2);
	result_release(&stats);
	result_release(&other);

	/* Limit 1: strictly one after the other, in FIFO order. */
	memset(r, 0, sizeof(r));
	memset(&stats, 0, sizeof(stats));
	done = 0;
	o.max_per_host = 1;
	env_init(&e, &o);
	for (i = 0; i < 6; i++) {
		snprintf(path, sizeof(path), "/conc?group=lim1&ms=10&seq=%d", i);
		req.url = url(f, path);
		r[i].counter = &done;
		send_ok(&e, &req, &r[i]);
	}
	env_run(&e, &done, 6);
	req.url = url(f, "/conc-stats?group=lim1");
	stats.counter = &done;
	send_ok(&e, &req, &stats);
	env_run(&e, &done, 7);
	env_close(&e);
	assert_int_equal(json_int(stats.json, "max"), 1);
	assert_true(json_object_object_get_ex(stats.json, "order", &order));
	assert_int_equal(json_object_array_length(order), 6);
	for (i = 0; i < 6; i++) {
		assert_int_equal(json_object_get_int(json_object_array_get_idx(order, (size_t)i)), i);
		result_release(&r[i]);
	}
	result_release(&stats);
}

static void test_100_concurrent(void **state)
{
	struct fake *f = *state;
	struct env e;
	struct xio_http_client_opts o = {0};
	struct xio_http_request req = {0};
	struct result *r = calloc(100, sizeof(*r)), stats = {0};
	int done = 0, i;

	assert_non_null(r);
	o.max_per_host = 100;
	env_init(&e, &o);
	req.url = url(f, "/conc?group=c100&ms=300");
	for (i = 0; i < 100; i++) {
		r[i].counter = &done;
		send_ok(&e, &req, &r[i]);
	}
	env_run(&e, &done, 100);
	req.url = url(f, "/conc-stats?group=c100");
	stats.counter = &done;
	send_ok(&e, &req, &stats);
	env_run(&e, &done, 101);
	env_close(&e);
	for (i = 0; i < 100; i++) {
		assert_int_equal(r[i].error, 0);
		assert_int_equal(r[i].status, 200);
		result_release(&r[i]);
	}
	/* Far beyond what a serial client would reach. */
	assert_true(json_int(stats.json, "max") >= 10);
	result_release(&stats);
	free(r);
}

static void test_connection_errors(void **state)
{
	struct fake *f = *state;
	struct env e;
	struct xio_http_request req = {0};
	struct result refused = {0}, named = {0}, cut = {0};
	char u[256];
	int port = closed_port(), done = 0;

	env_init(&e, NULL);
	snprintf(u, sizeof(u),
		 "http://127.0.0.1:%d/bot123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw/getMe?token=abc",
		 port);
	req.url = u;
	req.backoff_base_ms = 10;
	req.max_attempts = 2;
	refused.counter = &done;
	send_ok(&e, &req, &refused);
	/* Not idempotent, but nothing was sent: retried too. */
	req.method = "POST";
	req.log_url = "telegram sendMessage";
	named.counter = &done;
	send_ok(&e, &req, &named);
	/* Cut mid-body: something was sent, so only idempotent ones retry. */
	memset(&req, 0, sizeof(req));
	req.url = url(f, "/cut");
	req.max_attempts = 2;
	req.backoff_base_ms = 10;
	cut.counter = &done;
	send_ok(&e, &req, &cut);
	env_run(&e, &done, 3);
	env_close(&e);

	assert_int_equal(refused.error, XIO_EIO);
	assert_int_equal(refused.status, 0);
	assert_int_equal(refused.attempts, 2);
	assert_non_null(strstr(refused.msg, "GET http://127.0.0.1:"));
	assert_non_null(strstr(refused.msg, "after 2 attempts"));
	assert_true(strstr(refused.msg, "onnect") != NULL ||
		    strstr(refused.msg, "refused") != NULL);
	assert_null(strstr(refused.msg, "token=abc"));
	assert_null(strstr(refused.msg, "AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"));

	assert_int_equal(named.error, XIO_EIO);
	assert_int_equal(named.attempts, 2);
	assert_non_null(strstr(named.msg, "POST telegram sendMessage: "));
	assert_null(strstr(named.msg, "bot123456789"));
	assert_string_equal(named.log_url, "telegram sendMessage");

	assert_int_equal(cut.error, XIO_EIO);
	assert_int_equal(cut.attempts, 2);
	assert_non_null(strstr(cut.msg, "/cut: "));
	result_release(&refused);
	result_release(&named);
	result_release(&cut);
}

static void test_send_validation(void **state)
{
	struct fake *f = *state;
	struct env e;
	struct xio_http_request req = {0};
	struct xio_err err;
	const char *crlf[] = {"X-Evil: a\r\nHost: b", NULL};
	const char *noval[] = {"X-Ok: 1", "Authorization Bearer sk-secret", NULL};
	uint64_t id = 7;
	int dummy;

	env_init(&e, NULL);
	req.url = "ftp://host/bot1234:secretsecret/x";
	assert_int_equal(xio_http_send(e.c, &req, done_cb, &dummy, &id, &err),
			 XIO_EINVAL);
	assert_int_equal(id, 0);
	assert_null(strstr(err.msg, "secret"));
	req.url = "not a url";
	req.log_url = "tg getMe";
	assert_int_equal(xio_http_send(e.c, &req, done_cb, &dummy, NULL, &err),
			 XIO_EINVAL);
	assert_non_null(strstr(err.msg, "tg getMe"));
	req.url = url(f, "/echo");
	req.headers = crlf;
	assert_int_equal(xio_http_send(e.c, &req, done_cb, &dummy, NULL, &err),
			 XIO_EINVAL);
	assert_non_null(strstr(err.msg, "X-Evil"));
	req.headers = noval;
	assert_int_equal(xio_http_send(e.c, &req, done_cb, &dummy, NULL, &err),
			 XIO_EINVAL);
	assert_non_null(strstr(err.msg, "header #2"));
	assert_null(strstr(err.msg, "secret"));
	req.headers = NULL;
	req.method = "get";
	assert_int_equal(xio_http_send(e.c, &req, done_cb, &dummy, NULL, &err),
			 XIO_EINVAL);
	req.method = NULL;
	assert_int_equal(xio_http_send(e.c, &req, NULL, &dummy, NULL, &err),
			 XIO_EINVAL);
	req.body = "x";
	req.body_len = 1;
	assert_int_equal(xio_http_send_json(e.c, &req, NULL, done_cb, &dummy,
					    NULL, &err), XIO_EINVAL);
	env_close(&e);
}

static void free_later_cb(uv_timer_t *t)
{
	struct later *l = t->data;

	xio_http_client_free(l->c);
	uv_close((uv_handle_t *)t, NULL);
}

static void test_free_in_flight(void **state)
{
	struct fake *f = *state;
	struct env e;
	struct xio_http_client_opts o = {0};
	struct xio_http_request req = {0};
	struct result r[4];
	struct later l;
	int done = 0, i;

	memset(r, 0, sizeof(r));
	o.max_per_host = 2;
	o.rand_cb = rand_max_cb;
	env_init(&e, &o);
	req.url = url(f, "/stall");                 /* running */
	r[0].counter = &done;
	send_ok(&e, &req, &r[0]);
	req.url = url(f, "/flaky?key=free-bo&n=9"); /* then in backoff */
	req.backoff_base_ms = 5000;
	r[1].counter = &done;
	send_ok(&e, &req, &r[1]);
	req.url = url(f, "/stall?2");               /* takes r[1]'s slot */
	r[2].counter = &done;
	send_ok(&e, &req, &r[2]);
	req.url = url(f, "/echo");                  /* queued */
	r[3].counter = &done;
	send_ok(&e, &req, &r[3]);
	l.c = e.c;
	uv_timer_init(&e.loop.uv, &l.t);
	l.t.data = &l;
	uv_timer_start(&l.t, free_later_cb, 300, 0);
	env_run(&e, &done, 4);
	for (i = 0; i < 4; i++) {
		assert_int_equal(r[i].error, XIO_ECANCELED);
		result_release(&r[i]);
	}
	assert_int_equal(r[1].attempts, 1);
	assert_int_equal(r[2].attempts, 1);
	assert_int_equal(r[3].attempts, 0);
	e.c = NULL; /* already freed */
	for (i = 0; i < 100 && uv_run(&e.loop.uv, UV_RUN_NOWAIT); i++)
		;
	assert_int_equal(uv_loop_close(&e.loop.uv), 0);

	/* Freed from inside a completion callback: the rest are cancelled. */
	memset(r, 0, sizeof(r));
	done = 0;
	env_init(&e, NULL);
	memset(&req, 0, sizeof(req));
	req.url = url(f, "/echo");
	r[0].counter = &done;
	r[0].free_client = 1;
	send_ok(&e, &req, &r[0]);
	req.url = url(f, "/delay?ms=3000");
	r[1].counter = &done;
	send_ok(&e, &req, &r[1]);
	env_run(&e, &done, 2);
	assert_int_equal(r[0].status, 200);
	assert_int_equal(r[1].error, XIO_ECANCELED);
	result_release(&r[0]);
	result_release(&r[1]);
	for (i = 0; i < 100 && uv_run(&e.loop.uv, UV_RUN_NOWAIT); i++)
		;
	assert_int_equal(uv_loop_close(&e.loop.uv), 0);
}

/* The client on the real XIO loop (lws on libuv): shut down in LOOP.md's
 * order, xio_loop_release finds no handle left behind. */
static void test_on_xio_loop(void **state)
{
	struct fake *f = *state;
	struct xio_loop loop;
	struct xio_http_client *c = NULL;
	struct xio_http_request req = {0};
	struct result r = {0};
	struct xio_log *log;
	struct xio_err err;
	char path[] = "/tmp/xio-httpc-log-XXXXXX", text[4096];
	int fd = mkstemp(path), i;
	int64_t start;
	ssize_t n;

	assert_true(fd >= 0);
	unlink(path);
	log = xio_log_new(fd, XIO_LOG_HUMAN, XIO_LOG_DEBUG);
	assert_non_null(log);
	assert_int_equal(xio_loop_init(&loop, log, &err), 0);
	assert_int_equal(xio_http_client_new(&c, &loop, &(struct xio_http_client_opts){.log = log}, &err), 0);
	req.url = url(f, "/flaky?key=xio-loop&n=1");
	req.backoff_base_ms = 10;
	r.c = c;
	assert_int_equal(xio_http_send(c, &req, done_cb, &r, NULL, &err), 0);
	start = xio_clock_mono_ms();
	for (i = 0; !r.done; i++) {
		assert_true(xio_clock_mono_ms() - start < 20000);
		uv_run(&loop.uv, UV_RUN_ONCE);
	}
	assert_int_equal(r.status, 200);
	assert_int_equal(r.attempts, 2);
	xio_http_client_free(c);
	xio_loop_release(&loop);
	xio_log_free(log);
	n = pread(fd, text, sizeof(text) - 1, 0);
	close(fd);
	assert_true(n > 0);
	text[n] = '\0';
	assert_null(strstr(text, "handles left open"));
	/* The retry was logged, without the query string. */
	assert_non_null(strstr(text, "/flaky: HTTP 503; attempt 2 of 3"));
	assert_null(strstr(text, "xio-loop"));
	result_release(&r);
}

static void test_parse_retry_after(void **state)
{
	int64_t d = -1;
	/* Wed, 21 Oct 2015 07:28:00 GMT */
	const int64_t t = 1445412480LL * 1000;

	(void)state;
	assert_int_equal(xio_http_parse_retry_after("120", 0, &d), 0);
	assert_int_equal(d, 120000);
	assert_int_equal(xio_http_parse_retry_after(" 0\t", 0, &d), 0);
	assert_int_equal(d, 0);
	assert_int_equal(xio_http_parse_retry_after("99999999999999999999999", 0, &d), 0);
	assert_int_equal(d, (int64_t)365 * 24 * 3600 * 1000);
	assert_int_equal(xio_http_parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT",
						    t - 10000, &d), 0);
	assert_int_equal(d, 10000);
	assert_int_equal(xio_http_parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT",
						    t + 5000, &d), 0);
	assert_int_equal(d, 0);
	assert_int_equal(xio_http_parse_retry_after("Wednesday, 21-Oct-15 07:28:00 GMT",
						    t - 1500, &d), 0);
	assert_int_equal(d, 1500);
	assert_int_equal(xio_http_parse_retry_after("", 0, &d), XIO_EINVAL);
	assert_int_equal(xio_http_parse_retry_after("-1", 0, &d), XIO_EINVAL);
	assert_int_equal(xio_http_parse_retry_after("1.5", 0, &d), XIO_EINVAL);
	assert_int_equal(xio_http_parse_retry_after("soon", 0, &d), XIO_EINVAL);
	assert_int_equal(xio_http_parse_retry_after(NULL, 0, &d), XIO_EINVAL);

	assert_int_equal(xio_http_parse_retry_after_ms("1500", &d), 0);
	assert_int_equal(d, 1500);
	assert_int_equal(xio_http_parse_retry_after_ms("20.5", &d), 0);
	assert_int_equal(d, 21);
	assert_int_equal(xio_http_parse_retry_after_ms("7.000", &d), 0);
	assert_int_equal(d, 7);
	assert_int_equal(xio_http_parse_retry_after_ms("abc", &d), XIO_EINVAL);
	assert_int_equal(xio_http_parse_retry_after_ms("1.", &d), XIO_EINVAL);
	assert_int_equal(xio_http_parse_retry_after_ms(".5", &d), XIO_EINVAL);
	assert_int_equal(xio_http_parse_retry_after_ms("-3", &d), XIO_EINVAL);
	assert_int_equal(xio_http_parse_retry_after_ms("", &d), XIO_EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_retry_after),
		cmocka_unit_test(test_json_round_trip),
		cmocka_unit_test(test_post_100k),
		cmocka_unit_test(test_timeouts),
		cmocka_unit_test(test_retry_after),
		cmocka_unit_test(test_retry_5xx),
		cmocka_unit_test(test_size_cap),
		cmocka_unit_test(test_streaming),
		cmocka_unit_test(test_cancel),
		cmocka_unit_test(test_per_host_limit),
		cmocka_unit_test(test_100_concurrent),
		cmocka_unit_test(test_connection_errors),
		cmocka_unit_test(test_send_validation),
		cmocka_unit_test(test_free_in_flight),
		cmocka_unit_test(test_on_xio_loop),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, fake_start, fake_stop);
}
