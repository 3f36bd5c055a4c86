/*
 * test_llm_client.c — the LLM client against the fake OpenAI-compatible
 * server (tests/fakes/fake_llm.py, started once for the group): streamed and
 * plain completions with usage, every retryable fault (429 with retry-after
 * and retry-after-ms, 5xx, an error chunk, a cut stream), the errors that
 * must not be retried (401, 404), the first-token timeout on a stalled
 * stream, the concurrency limit, cancellation and shutdown.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <curl/curl.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "buf.h"
#include "llm/llm.h"

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
	snprintf(script, sizeof(script), "%s/tests/fakes/fake_llm.py", src ? src : ".");
	snprintf(f->dir, sizeof(f->dir), "/tmp/xio-llmc-XXXXXX");
	if (!mkdtemp(f->dir)) {
		free(f);
		return -1;
	}
	snprintf(f->port_file, sizeof(f->port_file), "%s/port", f->dir);
	f->pid = fork();
	if (f->pid < 0)
		return -1;
	if (f->pid == 0) {
		int null = open("/dev/null", O_WRONLY);

		if (null >= 0)
			dup2(null, 1);
		execlp("python3", "python3", script, "--port-file", f->port_file, (char *)NULL);
		_exit(127);
	}
	for (i = 0; i < 1000 && f->port <= 0; i++) {
		FILE *pf = fopen(f->port_file, "r");

		if (pf) {
			if (fscanf(pf, "%d", &f->port) != 1)
				f->port = 0;
			fclose(pf);
		}
		if (f->port <= 0)
			usleep(10000);
	}
	if (f->port <= 0) {
		kill(f->pid, SIGTERM);
		waitpid(f->pid, NULL, 0);
		return -1;
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	*state = f;
	return 0;
}

static int fake_stop(void **state)
{
	struct fake *f = *state;

	kill(f->pid, SIGTERM);
	waitpid(f->pid, NULL, 0);
	unlink(f->port_file);
	rmdir(f->dir);
	free(f);
	curl_global_cleanup();
	return 0;
}

static size_t sink_cb(char *p, size_t sz, size_t n, void *ud)
{
	xio_buf_append(ud, p, sz * n);
	return sz * n;
}

/* A blocking request to the fake's control routes; returns the body. */
static char *control(struct fake *f, const char *path, const char *json)
{
	CURL *h = curl_easy_init();
	struct xio_buf b;
	char url[256];

	xio_buf_init(&b, 0);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", f->port, path);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, sink_cb);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &b);
	if (json)
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, json);
	assert_int_equal(curl_easy_perform(h), CURLE_OK);
	curl_easy_cleanup(h);
	xio_buf_puts(&b, "");
	return xio_buf_detach(&b);
}

static void set_faults(struct fake *f, const char *json)
{
	free(control(f, "/_control", json));
}

struct res {
	int done;
	int error;
	long status;
	char text[512];
	char msg[800];
	int64_t prompt, completion, first_token;
	int attempts;
};

static void done_cb(void *ud, const struct xio_llm_result *r)
{
	struct res *x = ud;

	x->done++;
	x->error = r->error;
	x->status = r->status;
	snprintf(x->text, sizeof(x->text), "%s", r->text);
	snprintf(x->msg, sizeof(x->msg), "%s", r->error_msg);
	x->prompt = r->prompt_tokens;
	x->completion = r->completion_tokens;
	x->first_token = r->first_token_ms;
	x->attempts = r->attempts;
}

struct env {
	struct xio_loop loop;
	struct xio_llm *llm;
};

static void env_init(struct env *e, struct fake *f, int stream, int retries, int64_t ft_ms,
		     int conc, const char *path)
{
	struct xio_llm_opts o = { 0 };
	struct xio_err err;
	char url[256];

	memset(e, 0, sizeof(*e));
	assert_int_equal(uv_loop_init(&e->loop.uv), 0);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", f->port, path ? path : "/v1/");
	o.base_url = url;
	o.model = "test-model";
	o.api_key = "sk-test";
	o.stream = stream;
	o.max_retries = retries;
	o.first_token_ms = ft_ms;
	o.timeout_ms = 10000;
	o.max_concurrency = conc;
	o.backoff_base_ms = 20;
	o.backoff_max_ms = 200;
	assert_int_equal(xio_llm_new(&e->llm, &e->loop, &o, &err), 0);
}

static void env_release(struct env *e)
{
	xio_llm_free(e->llm);
	uv_run(&e->loop.uv, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&e->loop.uv), 0);
}

static void chat(struct env *e, struct res *r, enum xio_llm_format fmt)
{
	static const struct xio_llm_msg m[] = { { "system", "You are terse." }, { "user", "Say hello." } };
	json_object *schema = json_tokener_parse("{\"type\":\"object\"}");
	struct xio_llm_req req = { .msgs = m, .nmsgs = 2, .purpose = "test", .format = fmt,
				   .schema = schema, .schema_name = "answer" };
	struct xio_err err;

	assert_int_equal(xio_llm_chat(e->llm, &req, done_cb, r, NULL, &err), 0);
	json_object_put(schema);
}

static void wait_for(struct env *e, struct res *r, int n)
{
	while (r->done < n)
		uv_run(&e->loop.uv, UV_RUN_ONCE);
}

static void test_stream_and_plain(void **state)
{
	struct fake *f = *state;
	struct res r = { 0 };
	struct env e;
	char *reqs;

	set_faults(f, "{\"reset\":true,\"faults\":[]}");
	env_init(&e, f, 1, 0, 2000, 4, "/v1/");
	chat(&e, &r, XIO_LLM_JSON_SCHEMA);
	wait_for(&e, &r, 1);
	assert_int_equal(r.error, 0);
	assert_string_equal(r.text, "OK.");
	assert_true(r.prompt > 0 && r.completion > 0);
	assert_true(r.first_token >= 0);
	assert_int_equal(r.attempts, 1);
	env_release(&e);
	reqs = control(f, "/_requests", NULL);
	assert_non_null(strstr(reqs, "\"include_usage\": true"));
	assert_non_null(strstr(reqs, "\"type\": \"json_schema\""));
	assert_non_null(strstr(reqs, "\"model\": \"test-model\""));
	free(reqs);

	memset(&r, 0, sizeof(r));
	env_init(&e, f, 0, 0, 0, 4, "/v1");
	chat(&e, &r, XIO_LLM_JSON_OBJECT);
	wait_for(&e, &r, 1);
	assert_int_equal(r.error, 0);
	assert_string_equal(r.text, "OK.");
	assert_true(r.prompt > 0);
	env_release(&e);
}

static void test_retries(void **state)
{
	static const char *faults[] = {
		"{\"faults\":[{\"kind\":\"429\",\"retry_after\":0}]}",
		"{\"faults\":[{\"kind\":\"429\",\"retry_after_ms\":30}]}",
		"{\"faults\":[{\"kind\":\"500\",\"count\":2}]}",
		"{\"faults\":[{\"kind\":\"409\"}]}",
		"{\"faults\":[{\"kind\":\"error_string\"}]}",
		"{\"faults\":[{\"kind\":\"error_chunk\"}]}",
		"{\"faults\":[{\"kind\":\"cut\"}]}",
	};
	static const int attempts[] = { 2, 2, 3, 2, 2, 2, 2 };
	struct fake *f = *state;

	for (size_t i = 0; i < sizeof(faults) / sizeof(faults[0]); i++) {
		struct res r = { 0 };
		struct env e;

		set_faults(f, faults[i]);
		env_init(&e, f, 1, 3, 2000, 4, NULL);
		chat(&e, &r, XIO_LLM_TEXT);
		wait_for(&e, &r, 1);
		if (r.error)
			fprintf(stderr, "fault %zu: %s\n", i, r.msg);
		assert_int_equal(r.error, 0);
		assert_string_equal(r.text, "OK.");
		assert_int_equal(r.attempts, attempts[i]);
		env_release(&e);
	}
	/* retries run out: the last error is reported, with the server's words */
	{
		struct res r = { 0 };
		struct env e;

		set_faults(f, "{\"faults\":[{\"kind\":\"error_string\",\"count\":-1}]}");
		env_init(&e, f, 0, 2, 0, 4, NULL);
		chat(&e, &r, XIO_LLM_TEXT);
		wait_for(&e, &r, 1);
		assert_int_equal(r.error, XIO_EAGAIN);
		assert_int_equal(r.attempts, 3);
		assert_int_equal(r.status, 500);
		assert_non_null(strstr(r.msg, "Model crashed"));
		env_release(&e);
	}
}

static void test_clear_errors(void **state)
{
	struct fake *f = *state;
	struct res r = { 0 };
	struct env e;

	set_faults(f, "{\"faults\":[{\"kind\":\"401\",\"count\":-1}]}");
	env_init(&e, f, 1, 3, 2000, 4, NULL);
	chat(&e, &r, XIO_LLM_TEXT);
	wait_for(&e, &r, 1);
	assert_int_equal(r.error, XIO_EAUTH);
	assert_int_equal(r.attempts, 1); /* never retried */
	assert_non_null(strstr(r.msg, "llm.api_key"));
	assert_non_null(strstr(r.msg, "Incorrect API key"));
	assert_null(strstr(r.msg, "sk-test")); /* the key itself never shows */
	env_release(&e);

	memset(&r, 0, sizeof(r));
	set_faults(f, "{\"faults\":[{\"kind\":\"404\",\"count\":-1}]}");
	env_init(&e, f, 1, 3, 2000, 4, NULL);
	chat(&e, &r, XIO_LLM_TEXT);
	wait_for(&e, &r, 1);
	assert_int_equal(r.error, XIO_ENOTFOUND);
	assert_int_equal(r.attempts, 1);
	assert_non_null(strstr(r.msg, "llm.model"));
	assert_non_null(strstr(r.msg, "test-model"));
	env_release(&e);

	/* a wrong base URL is a 404 too */
	memset(&r, 0, sizeof(r));
	set_faults(f, "{\"faults\":[]}");
	env_init(&e, f, 1, 3, 2000, 4, "/nope");
	chat(&e, &r, XIO_LLM_TEXT);
	wait_for(&e, &r, 1);
	assert_int_equal(r.error, XIO_ENOTFOUND);
	assert_non_null(strstr(r.msg, "llm.base_url"));
	env_release(&e);
}

static void test_stall_times_out(void **state)
{
	struct fake *f = *state;
	struct res r = { 0 };
	struct env e;

	set_faults(f, "{\"faults\":[{\"kind\":\"stall\",\"count\":-1}]}");
	env_init(&e, f, 1, 1, 200, 4, NULL);
	chat(&e, &r, XIO_LLM_TEXT);
	wait_for(&e, &r, 1);
	assert_int_equal(r.error, XIO_ETIMEDOUT);
	assert_int_equal(r.attempts, 2);
	assert_non_null(strstr(r.msg, "first_token_timeout"));
	env_release(&e);
	set_faults(f, "{\"faults\":[]}");
}

static void test_concurrency_limit(void **state)
{
	struct fake *f = *state;
	struct res r[6];
	struct env e;
	char *stats;
	int i, total = 0;

	memset(r, 0, sizeof(r));
	set_faults(f, "{\"reset\":true,\"faults\":[],\"latency_ms\":80}");
	env_init(&e, f, 1, 0, 2000, 2, NULL);
	for (i = 0; i < 6; i++)
		chat(&e, &r[i], XIO_LLM_TEXT);
	while (total < 6) {
		uv_run(&e.loop.uv, UV_RUN_ONCE);
		for (i = 0, total = 0; i < 6; i++)
			total += r[i].done;
	}
	for (i = 0; i < 6; i++)
		assert_int_equal(r[i].error, 0);
	env_release(&e);
	stats = control(f, "/_stats", NULL);
	assert_non_null(strstr(stats, "\"max_in_flight\": 2"));
	free(stats);
	set_faults(f, "{\"latency_ms\":0}");
}

static void test_cancel_and_free(void **state)
{
	struct fake *f = *state;
	struct res a = { 0 }, b = { 0 }, c = { 0 };
	static const struct xio_llm_msg m[] = { { "user", "hi" } };
	struct xio_llm_req req = { .msgs = m, .nmsgs = 1 };
	struct xio_err err;
	uint64_t id;
	struct env e;

	set_faults(f, "{\"faults\":[{\"kind\":\"stall\",\"count\":-1}]}");
	env_init(&e, f, 1, 0, 5000, 1, NULL);
	assert_int_equal(xio_llm_chat(e.llm, &req, done_cb, &a, &id, &err), 0);
	assert_int_equal(xio_llm_chat(e.llm, &req, done_cb, &b, NULL, &err), 0);
	assert_int_equal(xio_llm_chat(e.llm, &req, done_cb, &c, NULL, &err), 0);
	uv_run(&e.loop.uv, UV_RUN_NOWAIT);
	assert_int_equal(xio_llm_cancel(e.llm, id), 0);
	assert_int_equal(a.done, 0); /* never from inside cancel */
	wait_for(&e, &a, 1);
	assert_int_equal(a.error, XIO_ECANCELED);
	assert_int_equal(xio_llm_cancel(e.llm, id), XIO_ENOTFOUND);
	/* b runs (stalled), c waits for the slot: both end at free */
	uv_run(&e.loop.uv, UV_RUN_NOWAIT);
	xio_llm_free(e.llm);
	assert_int_equal(b.done, 1);
	assert_int_equal(c.done, 1);
	assert_int_equal(b.error, XIO_ECANCELED);
	assert_int_equal(c.error, XIO_ECANCELED);
	uv_run(&e.loop.uv, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&e.loop.uv), 0);
	set_faults(f, "{\"faults\":[]}");
}

static void test_bad_args(void **state)
{
	struct xio_llm_opts o = { 0 };
	struct xio_llm *l = NULL;
	struct xio_err err;

	(void)state;
	o.base_url = "ftp://x";
	assert_int_equal(xio_llm_new(&l, NULL, &o, &err), XIO_EINVAL);
	assert_non_null(strstr(err.msg, "llm.base_url"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stream_and_plain),
		cmocka_unit_test(test_retries),
		cmocka_unit_test(test_clear_errors),
		cmocka_unit_test(test_stall_times_out),
		cmocka_unit_test(test_concurrency_limit),
		cmocka_unit_test(test_cancel_and_free),
		cmocka_unit_test(test_bad_args),
	};
	return cmocka_run_group_tests(tests, fake_start, fake_stop);
}
