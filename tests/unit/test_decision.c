/*
 * test_decision.c — decision log and task models: JSON round trips that the
 * built-in schemas accept, from_json errors that name the field, and the
 * chat text in English and Russian.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decision.h"
#include "schema.h"

static const char *full_log =
	"{\"question\":\"Which database should the bot use?\","
	"\"alternatives\":[{\"title\":\"SQLite\",\"pros\":[\"embedded\",\"no server\"],"
	"\"cons\":[\"one writer\"]},{\"title\":\"PostgreSQL\",\"pros\":[\"replicas\"],\"cons\":[]}],"
	"\"decision\":\"SQLite with WAL\",\"rationale\":\"One process is enough.\","
	"\"risks\":[{\"description\":\"Write contention\",\"impact\":3,\"probability\":2,"
	"\"mitigation\":\"Short transactions\"},{\"description\":\"Disk loss\",\"impact\":5,"
	"\"probability\":1}],"
	"\"participants\":[\"alice\",\"bob\"],"
	"\"thread\":{\"platform\":\"slack\",\"chat\":\"C123\",\"thread\":\"1700000000.000100\"},"
	"\"created_at\":\"2025-03-01T09:30:00Z\",\"updated_at\":\"2025-03-02T10:00:00+03:00\","
	"\"status\":\"approved\"}";

static const char *tasks_json =
	"[{\"title\":\"Write the migration\",\"owner\":\"alice\",\"due\":\"2025-03-14\","
	"\"priority\":\"high\",\"status\":\"open\",\"confidence\":0.8,"
	"\"source_message\":\"alice: I'll do it by Friday\"},"
	"{\"title\":\"Benchmark WAL\",\"owner\":\"\",\"due\":null,\"priority\":\"medium\","
	"\"status\":\"done\",\"confidence\":1}]";

static void assert_schema_valid(const char *tool, json_object *doc)
{
	struct xio_schema *s = NULL;
	struct xio_err err;

	assert_int_equal(xio_schema_load_tool(&s, NULL, tool, &err), 0);
	if (xio_schema_validate(s, doc, &err) != 0)
		fail_msg("%s rejects %s: %s", tool, json_object_to_json_string(doc), err.msg);
	xio_schema_free(s);
}

static void test_log_round_trip(void **state)
{
	struct xio_decision_log log;
	struct xio_err err;
	json_object *in = json_tokener_parse(full_log), *out;

	(void)state;
	assert_non_null(in);
	assert_int_equal(xio_decision_log_from_json(&log, in, &err), 0);
	assert_string_equal(log.question, "Which database should the bot use?");
	assert_int_equal(log.nalternatives, 2);
	assert_int_equal(log.alternatives[0].npros, 2);
	assert_string_equal(log.alternatives[0].cons[0], "one writer");
	assert_int_equal(log.alternatives[1].ncons, 0);
	assert_int_equal(log.nrisks, 2);
	assert_int_equal(log.risks[0].impact, 3);
	assert_null(log.risks[1].mitigation);
	assert_string_equal(log.thread.platform, "slack");
	assert_string_equal(log.thread.thread, "1700000000.000100");
	assert_int_equal(log.status, XIO_DECISION_APPROVED);
	out = xio_decision_log_to_json(&log);
	assert_non_null(out);
	assert_true(json_object_equal(in, out));
	assert_schema_valid("notion.decision_log", out);
	json_object_put(out);
	xio_decision_log_release(&log);
	assert_null(log.question);
	json_object_put(in);
}

static void test_log_built_in_c(void **state)
{
	struct xio_decision_log log;
	json_object *out;
	char *pros[] = {"fast"};

	(void)state;
	xio_decision_log_init(&log);
	log.question = "Ship on Friday?";
	log.decision = "No";
	log.rationale = "";
	log.alternatives = &(struct xio_alternative){"Ship", pros, 1, NULL, 0};
	log.nalternatives = 1;
	out = xio_decision_log_to_json(&log);
	assert_non_null(out);
	/* Unset optionals are left out, and the result is schema-valid. */
	assert_false(json_object_object_get_ex(out, "thread", NULL));
	assert_false(json_object_object_get_ex(out, "created_at", NULL));
	assert_schema_valid("notion.decision_log", out);
	json_object_put(out);
}

static void expect_log_error(const char *text, const char *msg)
{
	struct xio_decision_log log;
	struct xio_err err;
	json_object *in = json_tokener_parse(text);

	if (!in && strcmp(text, "null") != 0)
		fail_msg("bad test JSON %s", text);
	assert_int_equal(xio_decision_log_from_json(&log, in, &err), XIO_EINVAL);
	assert_string_equal(err.msg, msg);
	assert_null(log.question);
	assert_null(log.alternatives);
	json_object_put(in);
}

/* Replaces the first occurrence of from in full_log with to. */
static char *patched(const char *from, const char *to)
{
	const char *at = strstr(full_log, from);
	size_t n = strlen(full_log) - strlen(from) + strlen(to) + 1;
	char *s = malloc(n);

	assert_non_null(at);
	assert_non_null(s);
	snprintf(s, n, "%.*s%s%s", (int)(at - full_log), full_log, to, at + strlen(from));
	return s;
}

static void expect_patched_error(const char *from, const char *to, const char *msg)
{
	char *s = patched(from, to);

	expect_log_error(s, msg);
	free(s);
}

static void test_log_errors(void **state)
{
	(void)state;
	expect_log_error("[]", "(root): expected an object");
	expect_log_error("null", "(root): expected an object");
	expect_patched_error("\"question\":", "\"q\":", "question: required member missing");
	expect_patched_error("\"question\":\"Which database should the bot use?\"",
			     "\"question\":7", "question: expected a string");
	expect_patched_error("\"no server\"", "42", "alternatives[0].pros[1]: expected a string");
	expect_patched_error("{\"title\":\"PostgreSQL\"", "{\"titel\":\"PostgreSQL\"",
			     "alternatives[1].title: required member missing");
	expect_patched_error("\"impact\":5", "\"impact\":\"5\"", "risks[1].impact: expected an integer");
	expect_patched_error("\"impact\":5", "\"impact\":4.5", "risks[1].impact: expected an integer");
	expect_patched_error("\"impact\":5", "\"impact\":1e300", "risks[1].impact: expected an integer");
	expect_patched_error("\"impact\":5", "\"impact\":99999999999", "risks[1].impact: out of range");
	expect_patched_error("\"risks\":[", "\"risks\":\"none\",\"x\":[", "risks: expected an array");
	expect_patched_error("\"slack\"", "\"discord\"", "thread.platform: unknown value \"discord\"");
	expect_patched_error("\"chat\":\"C123\",", "", "thread.chat: required member missing");
	expect_patched_error("\"approved\"", "\"final\"", "status: unknown value \"final\"");
	expect_patched_error("\"status\":\"approved\"", "\"status\":null", "status: expected a string");
	{
		/* 5.0 is an integer, as the schema says. */
		struct xio_decision_log log;
		struct xio_err err;
		char *s = patched("\"impact\":5", "\"impact\":5.0");
		json_object *in = json_tokener_parse(s);

		assert_int_equal(xio_decision_log_from_json(&log, in, &err), 0);
		assert_int_equal(log.risks[1].impact, 5);
		xio_decision_log_release(&log);
		json_object_put(in);
		free(s);
	}
}

static void test_tasks(void **state)
{
	struct xio_task *tasks = NULL;
	struct xio_task t;
	struct xio_err err;
	size_t n = 0, i;
	json_object *in = json_tokener_parse(tasks_json), *bad;

	(void)state;
	assert_int_equal(xio_tasks_from_json(&tasks, &n, in, &err), 0);
	assert_int_equal(n, 2);
	assert_string_equal(tasks[0].due, "2025-03-14");
	assert_int_equal(tasks[0].priority, XIO_TASK_HIGH);
	assert_string_equal(tasks[1].owner, "");
	assert_null(tasks[1].due);
	assert_int_equal(tasks[1].status, XIO_TASK_DONE);
	assert_true(tasks[1].confidence == 1.0);
	for (i = 0; i < n; i++) {
		json_object *out = xio_task_to_json(&tasks[i]);

		assert_non_null(out);
		assert_schema_valid("notion.task", out);
		assert_true(json_object_object_get_ex(out, "due", NULL));
		json_object_put(out);
	}
	xio_tasks_free(tasks, n);
	json_object_put(in);

	bad = json_tokener_parse("[{\"title\":\"a\",\"owner\":\"\",\"due\":null,\"priority\":\"low\","
				 "\"confidence\":0},{\"owner\":\"\",\"due\":null}]");
	assert_int_equal(xio_tasks_from_json(&tasks, &n, bad, &err), XIO_EINVAL);
	assert_string_equal(err.msg, "[1].title: required member missing");
	assert_null(tasks);
	assert_int_equal(n, 0);
	json_object_put(bad);

	bad = json_tokener_parse("{\"title\":\"a\",\"owner\":\"\",\"due\":20250314,"
				 "\"priority\":\"low\",\"confidence\":0}");
	assert_int_equal(xio_task_from_json(&t, bad, &err), XIO_EINVAL);
	assert_string_equal(err.msg, "due: expected a string");
	assert_null(t.title);
	json_object_put(bad);

	bad = json_tokener_parse("{\"title\":\"a\",\"owner\":\"\",\"due\":null,"
				 "\"priority\":\"urgent\",\"confidence\":0}");
	assert_int_equal(xio_task_from_json(&t, bad, &err), XIO_EINVAL);
	assert_string_equal(err.msg, "priority: unknown value \"urgent\"");
	json_object_put(bad);

	bad = json_tokener_parse("{\"title\":\"a\",\"owner\":\"\",\"due\":null,"
				 "\"priority\":\"low\",\"confidence\":\"high\"}");
	assert_int_equal(xio_task_from_json(&t, bad, &err), XIO_EINVAL);
	assert_string_equal(err.msg, "confidence: expected a number");
	json_object_put(bad);

	bad = json_tokener_parse("{\"title\":\"a\",\"due\":null,\"priority\":\"low\",\"confidence\":0}");
	assert_int_equal(xio_task_from_json(&t, bad, &err), XIO_EINVAL);
	assert_string_equal(err.msg, "owner: required member missing");
	json_object_put(bad);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_log_round_trip),
		cmocka_unit_test(test_log_built_in_c),
		cmocka_unit_test(test_log_errors),
		cmocka_unit_test(test_tasks),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
