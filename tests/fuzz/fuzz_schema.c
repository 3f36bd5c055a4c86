/*
 * fuzz_schema.c — fuzz target for the schema validator and the decision/task
 * models.
 *
 * Each input is used three ways: compiled as a schema (and, if it compiles,
 * used to validate the input itself and a few fixed documents); parsed as a
 * document and validated against the two built-in tool schemas; and read
 * with the model from_json functions, whose results are written back to
 * JSON, which the schema must then accept
 * whenever the input did.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "decision.h"
#include "schema.h"

/* Compiled once: the built-in schemas never change between inputs. */
static struct xio_schema *log_schema, *task_schema;

static void check_log(json_object *doc)
{
	struct xio_decision_log log;
	struct xio_err err;
	json_object *out;
	int valid = xio_schema_validate(log_schema, doc, &err) == 0;

	if (xio_decision_log_from_json(&log, doc, &err) != 0) {
		if (valid)
			abort(); /* a schema-valid log must load */
		return;
	}
	out = xio_decision_log_to_json(&log);
	if (out && valid && xio_schema_validate(log_schema, out, &err) != 0)
		abort(); /* to_json must not break what from_json accepted */
	json_object_put(out);
	xio_decision_log_release(&log);
}

static void check_task(json_object *doc)
{
	struct xio_task t;
	struct xio_err err;
	json_object *out;
	int valid = xio_schema_validate(task_schema, doc, &err) == 0;

	if (xio_task_from_json(&t, doc, &err) != 0) {
		if (valid)
			abort();
		return;
	}
	out = xio_task_to_json(&t);
	if (out && valid && xio_schema_validate(task_schema, out, &err) != 0)
		abort();
	json_object_put(out);
	xio_task_release(&t);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const fixed[] = {
		"null", "0", "1.5", "\"x\"", "[]", "{}", "[1,\"a\",null,{\"b\":[true]}]",
		"{\"question\":\"q\",\"alternatives\":[],\"decision\":\"d\",\"rationale\":\"\",\"risks\":[]}",
	};
	struct xio_schema *s = NULL;
	struct xio_err err;
	json_object *doc = NULL;
	char *text;
	size_t i;

	if (!log_schema && xio_schema_load_tool(&log_schema, NULL, "notion.decision_log", &err))
		abort();
	if (!task_schema && xio_schema_load_tool(&task_schema, NULL, "notion.task", &err))
		abort();
	if (size > 1 << 16)
		return 0;
	text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';

	doc = json_tokener_parse(text);
	if (xio_schema_compile(&s, text, &err) == 0) {
		xio_schema_validate(s, doc, &err);
		for (i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++) {
			json_object *f = json_tokener_parse(fixed[i]);

			xio_schema_validate(s, f, &err);
			json_object_put(f);
		}
		xio_schema_free(s);
	}
	if (doc || strncmp(text, "null", 4) == 0) {
		check_log(doc);
		check_task(doc);
		if (json_object_is_type(doc, json_type_array)) {
			struct xio_task *tasks = NULL;
			size_t n = 0;

			if (xio_tasks_from_json(&tasks, &n, doc, &err) == 0)
				xio_tasks_free(tasks, n);
		}
	}
	json_object_put(doc);
	free(text);
	return 0;
}
