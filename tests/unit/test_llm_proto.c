/*
 * test_llm_proto.c — the SSE parser, stream chunks, error bodies in every
 * shape servers use, JSON answers wrapped in prose, and prompt templates.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "llm/ask.h"
#include "llm/llm_proto.h"
#include "llm/sse.h"

struct events {
	char got[16][256];
	int n;
	int stop_at; /* return 1 at this event (0 = never) */
};

static int collect_cb(void *ud, const char *data, size_t len)
{
	struct events *e = ud;

	assert_int_equal(strlen(data), len);
	if (e->n < 16)
		snprintf(e->got[e->n], sizeof(e->got[0]), "%s", data);
	e->n++;
	return e->stop_at && e->n == e->stop_at ? 1 : 0;
}

/* Feeds s in pieces of step bytes (0 = at once). */
static int feed(struct xio_sse *p, const char *s, size_t step)
{
	size_t n = strlen(s), i;
	int rc;

	if (!step)
		return xio_sse_feed(p, s, n);
	for (i = 0; i < n; i += step) {
		rc = xio_sse_feed(p, s + i, i + step <= n ? step : n - i);
		if (rc)
			return rc;
	}
	return 0;
}

static void test_sse_rules(void **state)
{
	static const char stream[] =
		"\xEF\xBB\xBF: keep-alive comment\r\n"
		"data: {\"a\":1}\r\n\r\n"
		"event: message\n"
		"id: 7\n"
		"data:first\n"
		"data:  second\n"
		"\n"
		"retry: 100\r\r"          /* an event with no data is not dispatched */
		"data\n\n"                /* a field with no colon: empty data */
		"data: [DONE]\n\n"
		"data: unfinished";       /* no blank line: dropped */
	size_t steps[] = { 0, 1, 2, 3, 7 };

	(void)state;
	for (size_t s = 0; s < sizeof(steps) / sizeof(steps[0]); s++) {
		struct events e = { 0 };
		struct xio_sse p;

		xio_sse_init(&p, 0, collect_cb, &e);
		assert_int_equal(feed(&p, stream, steps[s]), 0);
		assert_int_equal(e.n, 4);
		assert_string_equal(e.got[0], "{\"a\":1}");
		assert_string_equal(e.got[1], "first\n second");
		assert_string_equal(e.got[2], "");
		assert_string_equal(e.got[3], "[DONE]");
		xio_sse_release(&p);
	}
}

static void test_sse_cr_split_and_caps(void **state)
{
	struct events e = { 0 };
	struct xio_sse p;
	char big[200];

	(void)state;
	/* CR at the end of one piece, LF at the start of the next: one line end */
	xio_sse_init(&p, 64, collect_cb, &e);
	assert_int_equal(xio_sse_feed(&p, "data: x\r", 8), 0);
	assert_int_equal(xio_sse_feed(&p, "\n\r\n", 3), 0);
	assert_int_equal(e.n, 1);
	assert_string_equal(e.got[0], "x");
	/* a line over the cap fails cleanly */
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(xio_sse_feed(&p, big, strlen(big)), XIO_ETOOBIG);
	xio_sse_release(&p);

	/* the callback can stop the parser */
	memset(&e, 0, sizeof(e));
	e.stop_at = 1;
	xio_sse_init(&p, 0, collect_cb, &e);
	assert_int_equal(feed(&p, "data: a\n\ndata: b\n\n", 0), 1);
	assert_int_equal(e.n, 1);
	xio_sse_release(&p);
}

static void test_chunks(void **state)
{
	static const char *chunks[] = {
		"{\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"model\":\"m-1\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"},\"finish_reason\":null}]}",
		"{\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hel\"}}]}",
		"{\"choices\":[{\"index\":0,\"delta\":{\"content\":\"lo, Привет\"}}]}",
		"{\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[]},\"finish_reason\":null}]}",
		"{\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}",
		"{\"choices\":[],\"usage\":{\"prompt_tokens\":12,\"completion_tokens\":5,\"total_tokens\":17}}",
		"[DONE]",
	};
	struct xio_llm_acc a;
	struct xio_err err;

	(void)state;
	xio_llm_acc_init(&a, 0);
	for (size_t i = 0; i < sizeof(chunks) / sizeof(chunks[0]); i++)
		assert_int_equal(xio_llm_acc_chunk(&a, chunks[i], strlen(chunks[i]), &err), 0);
	assert_string_equal(a.text.data, "Hello, Привет");
	assert_string_equal(a.model, "m-1");
	assert_string_equal(a.finish_reason, "stop");
	assert_int_equal(a.prompt_tokens, 12);
	assert_int_equal(a.completion_tokens, 5);
	assert_true(a.done);
	/* a chunk holding an error is an error, with the server's message */
	{
		static const char e[] = "{\"error\":{\"message\":\"overloaded\",\"type\":\"server_error\"}}";

		assert_int_equal(xio_llm_acc_chunk(&a, e, strlen(e), &err), XIO_EPROTO);
	}
	assert_non_null(strstr(err.msg, "overloaded"));
	assert_int_equal(xio_llm_acc_chunk(&a, "{\"choices\":", 11, &err), XIO_EPROTO);
	assert_int_equal(xio_llm_acc_chunk(&a, "[1,2]", 5, &err), XIO_EPROTO);
	xio_llm_acc_release(&a);

	/* the content cap */
	xio_llm_acc_init(&a, 4);
	assert_int_equal(xio_llm_acc_chunk(&a, chunks[1], strlen(chunks[1]), &err), 0);
	assert_int_equal(xio_llm_acc_chunk(&a, chunks[2], strlen(chunks[2]), &err), XIO_ETOOBIG);
	xio_llm_acc_release(&a);
}

static void test_whole_body(void **state)
{
	static const char ok[] =
		"{\"id\":\"x\",\"object\":\"chat.completion\",\"model\":\"llama3\",\"choices\":[{\"index\":0,"
		"\"message\":{\"role\":\"assistant\",\"content\":\"Hi there\"},\"finish_reason\":\"stop\"}],"
		"\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":2}}";
	struct xio_llm_acc a;
	struct xio_err err;

	(void)state;
	xio_llm_acc_init(&a, 0);
	assert_int_equal(xio_llm_acc_body(&a, ok, strlen(ok), &err), 0);
	assert_string_equal(a.text.data, "Hi there");
	assert_int_equal(a.prompt_tokens, 3);
	assert_int_equal(a.completion_tokens, 2);
	xio_llm_acc_release(&a);
	xio_llm_acc_init(&a, 0);
	assert_int_equal(xio_llm_acc_body(&a, "{\"choices\":[]}", 14, &err), XIO_EPROTO);
	assert_int_equal(xio_llm_acc_body(&a, "not json", 8, &err), XIO_EPROTO);
	assert_int_equal(xio_llm_acc_body(&a, "{\"error\":\"boom\"}", 16, &err), XIO_EPROTO);
	assert_non_null(strstr(err.msg, "boom"));
	xio_llm_acc_release(&a);
}

static void test_error_shapes(void **state)
{
	static const struct {
		const char *body;
		int structured;
		const char *want;
	} cases[] = {
		/* OpenAI */
		{ "{\"error\":{\"message\":\"Incorrect API key provided\",\"type\":\"invalid_request_error\",\"param\":null,\"code\":\"invalid_api_key\"}}",
		  1, "Incorrect API key provided [invalid_api_key, invalid_request_error]" },
		/* llama.cpp / vLLM: an integer code */
		{ "{\"error\":{\"code\":404,\"message\":\"Model not found\",\"type\":\"not_found_error\"}}",
		  1, "Model not found [404, not_found_error]" },
		/* LM Studio / Ollama: a plain string */
		{ "{\"error\":\"model 'x' not found, try pulling it first\"}", 1,
		  "model 'x' not found, try pulling it first" },
		/* FastAPI-style detail */
		{ "{\"detail\":\"Not Found\"}", 1, "Not Found" },
		{ "{\"message\":\"Bad gateway\"}", 1, "Bad gateway" },
		{ "{\"error\":{\"message\":null,\"code\":null}}", 0, "{\"error\":{\"message\":null,\"code\":null}}" },
		/* not JSON: the first bytes, control characters removed */
		{ "<html>\n<h1>502 Bad Gateway</h1>", 0, "<html> <h1>502 Bad Gateway</h1>" },
		{ "", 0, "" },
	};
	char out[200];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int s = xio_llm_error_text(cases[i].body, strlen(cases[i].body), out, sizeof(out));

		assert_int_equal(s, cases[i].structured);
		assert_string_equal(out, cases[i].want);
	}
	/* truncation never splits a UTF-8 sequence */
	assert_int_equal(xio_llm_error_text("{\"error\":\"ошибка\"}", strlen("{\"error\":\"ошибка\"}"), out, 6), 1);
	assert_string_equal(out, "ош");
}

static void test_output_json(void **state)
{
	static const struct {
		const char *text;
		const char *key;
	} ok[] = {
		{ "{\"next\":\"Economist\"}", "next" },
		{ "  {\"next\":\"Economist\"}\n", "next" },
		{ "```json\n{\"consensus\": true, \"reason\": \"all agree\"}\n```", "consensus" },
		{ "Sure! Here it is: {\"next\": \"Alice\"} Hope that helps.", "next" },
	};
	static const char *bad[] = { "", "Economist", "[1,2]", "{\"next\":", "```\nnope\n```", "} {" };
	struct xio_err err;

	(void)state;
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		json_object *o = xio_llm_output_json(ok[i].text, strlen(ok[i].text), &err);

		assert_non_null(o);
		assert_true(json_object_object_get_ex(o, ok[i].key, NULL));
		json_object_put(o);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_null(xio_llm_output_json(bad[i], strlen(bad[i]), &err));
		assert_int_equal(err.code, XIO_EINVAL);
	}
}

static void test_fill(void **state)
{
	const char *kv[] = { "name", "Architect", "question", "Q?", "empty", NULL, NULL };
	char *s;

	(void)state;
	s = xio_llm_fill("{name} asks {question} {unknown} {\"next\": \"<name>\"} {empty}|{", kv);
	assert_non_null(s);
	assert_string_equal(s, "Architect asks Q? {unknown} {\"next\": \"<name>\"} |{");
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sse_rules),
		cmocka_unit_test(test_sse_cr_split_and_caps),
		cmocka_unit_test(test_chunks),
		cmocka_unit_test(test_whole_body),
		cmocka_unit_test(test_error_shapes),
		cmocka_unit_test(test_output_json),
		cmocka_unit_test(test_fill),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
