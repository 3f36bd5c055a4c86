/*
 * test_schema.c — the JSON Schema validator: every supported keyword, the
 * compile-time refusals (unknown keywords, non-portable patterns, dangling
 * $ref), the message format, and the corpus verdicts of tests/schema/ (so
 * the folders are checked even where npm, and thus ajv, is missing).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "resource.h"
#include "schema.h"

/* Compiles schema_text, validates doc_text; returns the validate result and
 * leaves its message in *err. */
static int check(const char *schema_text, const char *doc_text,
		 struct xio_err *err)
{
	struct xio_schema *s = NULL;
	json_object *doc;
	int rc;

	xio_err_clear(err);
	rc = xio_schema_compile(&s, schema_text, err);
	if (rc)
		fail_msg("schema did not compile: %s", err->msg);
	doc = json_tokener_parse(doc_text);
	if (!doc && strcmp(doc_text, "null") != 0)
		fail_msg("bad test document %s", doc_text);
	rc = xio_schema_validate(s, doc, err);
	json_object_put(doc);
	xio_schema_free(s);
	return rc;
}

#define VALID(schema, doc)                                                    \
	do {                                                                  \
		struct xio_err e_;                                            \
		int rc_ = check(schema, doc, &e_);                            \
		if (rc_ != 0)                                                 \
			fail_msg("expected %s valid against %s: %s", doc,     \
				 schema, e_.msg);                             \
	} while (0)

#define INVALID(schema, doc)                                                  \
	do {                                                                  \
		struct xio_err e_;                                            \
		if (check(schema, doc, &e_) != XIO_EINVAL)                    \
			fail_msg("expected %s invalid against %s", doc,       \
				 schema);                                     \
	} while (0)

static void expect_compile_error(const char *schema_text, const char *needle)
{
	struct xio_schema *s = (struct xio_schema *)0x1;
	struct xio_err err;
	int rc;

	xio_err_clear(&err);
	rc = xio_schema_compile(&s, schema_text, &err);
	if (rc != XIO_EINVAL)
		fail_msg("schema %s compiled (rc %d), expected an error", schema_text, rc);
	assert_null(s);
	if (!strstr(err.msg, needle))
		fail_msg("error \"%s\" does not mention \"%s\"", err.msg, needle);
}

static void test_builtin_tools(void **state)
{
	struct xio_schema *s = NULL;
	struct xio_err err;
	char dir[4096];
	const char *src = getenv("XIO_SOURCE_DIR");

	(void)state;
	assert_int_equal(xio_schema_load_tool(&s, NULL, "notion.decision_log", &err), 0);
	xio_schema_free(s);
	assert_int_equal(xio_schema_load_tool(&s, "", "notion.task", &err), 0);
	xio_schema_free(s);
	assert_int_equal(xio_schema_load_tool(&s, NULL, "notion.nothing", &err),
			 XIO_ENOTFOUND);
	assert_null(s);
	assert_int_equal(xio_schema_load_tool(&s, "/tmp", "../etc/passwd", &err),
			 XIO_EINVAL);
	assert_int_equal(xio_schema_load_tool(&s, "/tmp", ".hidden", &err), XIO_EINVAL);
	assert_int_equal(xio_schema_load_tool(&s, "/nonexistent-dir", "notion.task", &err),
			 XIO_ENOTFOUND);
	assert_non_null(strstr(err.msg, "/nonexistent-dir/notion.task.json"));
	if (src) {
		snprintf(dir, sizeof(dir), "%s/config/schemas", src);
		assert_int_equal(xio_schema_load_tool(&s, dir, "notion.task", &err), 0);
		xio_schema_free(s);
	}
}

static void test_compile_refusals(void **state)
{
	(void)state;
	expect_compile_error("{\"properties\":{\"d\":{\"type\":\"string\",\"format\":\"date\"}}}",
			     "/properties/d: unsupported keyword \"format\"");
	expect_compile_error("{\"patternProperties\":{}}", "patternProperties");
	expect_compile_error("{\"type\":\"float\"}", "unknown type");
	expect_compile_error("{\"type\":[]}", "type");
	expect_compile_error("{\"type\":[\"string\",\"string\"]}", "twice");
	expect_compile_error("{\"minLength\":-1}", "minLength");
	expect_compile_error("{\"maxItems\":1.5}", "maxItems");
	expect_compile_error("{\"minimum\":\"3\"}", "minimum");
	expect_compile_error("{\"required\":\"a\"}", "required");
	expect_compile_error("{\"required\":[\"a\",\"a\"]}", "twice");
	expect_compile_error("{\"enum\":[]}", "enum");
	expect_compile_error("{\"anyOf\":[]}", "anyOf");
	expect_compile_error("{\"oneOf\":[1]}", "/oneOf/0");
	expect_compile_error("{\"items\":[{}]}", "tuple");
	expect_compile_error("{\"$ref\":\"#/$defs/missing\"}", "names no $defs entry");
	expect_compile_error("{\"$ref\":\"other.json#/x\"}", "unsupported");
	expect_compile_error("{\"$ref\":\"#/$defs/a/b\",\"$defs\":{\"a\":{}}}", "form");
	expect_compile_error("{\"items\":{\"$defs\":{}}}", "only at the root");
	expect_compile_error("[]", "object or a boolean");
	expect_compile_error("{\"type\":\"string\"} x", "not valid JSON");
	expect_compile_error("{\"type\":", "not valid JSON");
	/* Patterns outside the common subset of POSIX ERE and ECMAScript. */
	expect_compile_error("{\"pattern\":\"^\\\\d+$\"}", "escapes");
	expect_compile_error("{\"pattern\":\"^a.b$\"}", "'.'");
	expect_compile_error("{\"pattern\":\"[\\\\-a]\"}", "backslash inside");
	expect_compile_error("{\"pattern\":\"[[:digit:]]\"}", "POSIX character classes");
	expect_compile_error("{\"pattern\":\"(?:a)\"}", "nothing to repeat");
	expect_compile_error("{\"pattern\":\"a**\"}", "nothing to repeat");
	expect_compile_error("{\"pattern\":\"a{,3}\"}", "'{'");
	expect_compile_error("{\"pattern\":\"a{3,2}\"}", "m < n");
	expect_compile_error("{\"pattern\":\"(a{999}){999}\"}", "expands");
	expect_compile_error("{\"pattern\":\"((((a{30}){30}){30}){30})\"}", "expands");
	expect_compile_error("{\"pattern\":\"(a\"}", "unbalanced");
	expect_compile_error("{\"pattern\":\"a)\"}", "unbalanced");
	expect_compile_error("{\"pattern\":\"\\u0436\"}", "ASCII");
	expect_compile_error("{\"pattern\":\"a]\"}", "unmatched");
}

static void test_type(void **state)
{
	(void)state;
	VALID("{\"type\":\"integer\"}", "3");
	VALID("{\"type\":\"integer\"}", "3.0");
	VALID("{\"type\":\"integer\"}", "-0.0");
	VALID("{\"type\":\"integer\"}", "1e2");
	INVALID("{\"type\":\"integer\"}", "3.5");
	INVALID("{\"type\":\"integer\"}", "\"3\"");
	VALID("{\"type\":\"number\"}", "3");
	VALID("{\"type\":\"number\"}", "3.5");
	INVALID("{\"type\":\"number\"}", "true");
	INVALID("{\"type\":\"boolean\"}", "0");
	VALID("{\"type\":\"null\"}", "null");
	INVALID("{\"type\":\"object\"}", "[]");
	INVALID("{\"type\":\"array\"}", "{}");
	VALID("{\"type\":[\"string\",\"null\"]}", "null");
	VALID("{\"type\":[\"string\",\"null\"]}", "\"x\"");
	INVALID("{\"type\":[\"string\",\"null\"]}", "1");
	VALID("true", "{\"anything\":1}");
	INVALID("false", "1");
}

static void test_strings(void **state)
{
	const char *s = "{\"minLength\":2,\"maxLength\":3}";

	(void)state;
	VALID(s, "\"ab\"");
	VALID(s, "\"жжж\"");       /* 6 bytes, 3 code points */
	VALID(s, "\"😀😀\"");      /* 8 bytes, 2 code points */
	VALID(s, "\"\\ud83d\\ude00\\ud83d\\ude00\""); /* the same, escaped */
	INVALID(s, "\"ж\"");
	INVALID(s, "\"жжжж\"");
	VALID(s, "5"); /* string keywords ignore other types */
	VALID("{\"pattern\":\"^[a-z]+(-[a-z]+)?$\"}", "\"ab-cd\"");
	INVALID("{\"pattern\":\"^[a-z]+(-[a-z]+)?$\"}", "\"ab-\"");
	VALID("{\"pattern\":\"b\"}", "\"abc\""); /* unanchored, like ECMAScript */
	/* An embedded NUL must not end the subject early. */
	INVALID("{\"pattern\":\"^a$\"}", "\"a\\u0000b\"");
	INVALID("{\"pattern\":\"^a$\"}", "\"a\\n\"");
	VALID("{\"pattern\":\"^a\\\\.b$\"}", "\"a.b\"");
	INVALID("{\"pattern\":\"^a\\\\.b$\"}", "\"axb\"");
	VALID("{\"pattern\":\"^[^@]+@[^@]+$\"}", "\"a@b\"");
}

static void test_numbers(void **state)
{
	const char *s = "{\"minimum\":1,\"maximum\":5}";
	const char *x = "{\"exclusiveMinimum\":0,\"exclusiveMaximum\":1}";

	(void)state;
	VALID(s, "1");
	VALID(s, "5.0");
	INVALID(s, "0.999");
	INVALID(s, "5.0001");
	VALID(s, "\"not a number\"");
	VALID(x, "0.5");
	INVALID(x, "0");
	INVALID(x, "1");
	INVALID(s, "99999999999999999999"); /* past int64 */
}

static void test_enum_const(void **state)
{
	(void)state;
	VALID("{\"enum\":[\"a\",null,1]}", "null");
	VALID("{\"enum\":[\"a\",null,1]}", "1.0");
	INVALID("{\"enum\":[\"a\",null,1]}", "\"A\"");
	INVALID("{\"enum\":[\"a\",null,1]}", "true");
	VALID("{\"const\":{\"a\":[1,{\"b\":null}],\"c\":\"x\"}}",
	      "{\"c\":\"x\",\"a\":[1.0,{\"b\":null}]}");
	INVALID("{\"const\":{\"a\":[1,{\"b\":null}],\"c\":\"x\"}}",
		"{\"c\":\"x\",\"a\":[1,{\"b\":false}]}");
	INVALID("{\"const\":{\"a\":1}}", "{\"a\":1,\"b\":2}");
	INVALID("{\"const\":[1,2]}", "[2,1]");
	VALID("{\"const\":null}", "null");
	INVALID("{\"const\":null}", "0");
	INVALID("{\"const\":\"a\"}", "\"a\\u0000\"");
}

static void test_objects_arrays(void **state)
{
	const char *s = "{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"string\"}},"
			"\"required\":[\"a\"],\"additionalProperties\":{\"type\":\"integer\"}}";
	const char *arr = "{\"type\":\"array\",\"minItems\":1,\"maxItems\":2,"
			  "\"items\":{\"type\":\"string\"}}";

	(void)state;
	VALID(s, "{\"a\":\"x\",\"b\":1}");
	INVALID(s, "{\"a\":\"x\",\"b\":\"y\"}");
	INVALID(s, "{\"b\":1}");
	INVALID(s, "{\"a\":1}");
	VALID(arr, "[\"x\"]");
	VALID(arr, "[\"x\",\"y\"]");
	INVALID(arr, "[]");
	INVALID(arr, "[\"x\",\"y\",\"z\"]");
	INVALID(arr, "[\"x\",1]");
}

static void test_combinators_refs(void **state)
{
	const char *one = "{\"oneOf\":[{\"type\":\"integer\"},{\"minimum\":2}]}";
	const char *any = "{\"anyOf\":[{\"type\":\"integer\"},{\"type\":\"null\"}]}";
	const char *tree = "{\"type\":\"object\",\"properties\":{\"name\":{\"type\":\"string\"},"
			   "\"kids\":{\"type\":\"array\",\"items\":{\"$ref\":\"#\"}}},"
			   "\"required\":[\"name\"],\"additionalProperties\":false}";
	const char *defs = "{\"$defs\":{\"a~b/c\":{\"type\":\"string\"}},"
			   "\"properties\":{\"x\":{\"$ref\":\"#/$defs/a~0b~1c\",\"maxLength\":1}}}";

	(void)state;
	VALID(one, "1");     /* integer, not >= 2 */
	VALID(one, "2.5");   /* >= 2, not integer */
	INVALID(one, "3");   /* both */
	VALID(one, "\"s\""); /* minimum ignores strings, so only the second... */
	INVALID(one, "1.5"); /* neither */
	VALID(any, "null");
	VALID(any, "7");
	INVALID(any, "\"7\"");
	VALID(tree, "{\"name\":\"r\",\"kids\":[{\"name\":\"a\",\"kids\":[{\"name\":\"b\"}]}]}");
	INVALID(tree, "{\"name\":\"r\",\"kids\":[{\"name\":\"a\",\"kids\":[{\"nom\":\"b\"}]}]}");
	/* $ref and its sibling keywords both apply (2020-12). */
	VALID(defs, "{\"x\":\"a\"}");
	INVALID(defs, "{\"x\":\"ab\"}");
	INVALID(defs, "{\"x\":1}");
}

static void test_ref_cycles_and_budget(void **state)
{
	struct xio_buf b;
	struct xio_err err;
	int i;

	(void)state;
	expect_compile_error("{\"$defs\":{\"a\":{\"$ref\":\"#/$defs/a\"}},"
			     "\"$ref\":\"#/$defs/a\"}", "cycle");
	expect_compile_error("{\"anyOf\":[{\"type\":\"null\"},{\"$ref\":\"#\"}]}", "cycle");
	expect_compile_error("{\"$defs\":{\"a\":{\"oneOf\":[{\"$ref\":\"#/$defs/b\"}]},"
			     "\"b\":{\"anyOf\":[{\"$ref\":\"#/$defs/a\"}]}}}", "cycle");
	/* 2^40 paths through shared $defs: no cycle, but the step budget ends
	 * the validation with a clear verdict instead of running for ages. */
	xio_buf_init(&b, 0);
	assert_int_equal(xio_buf_puts(&b, "{\"$ref\":\"#/$defs/d0\",\"$defs\":{"), 0);
	for (i = 0; i < 40; i++)
		assert_int_equal(xio_buf_printf(&b, "\"d%d\":{\"anyOf\":[{\"$ref\":\"#/$defs/d%d\"},"
						 "{\"$ref\":\"#/$defs/d%d\"}]},", i, i + 1, i + 1), 0);
	assert_int_equal(xio_buf_puts(&b, "\"d40\":false}}"), 0);
	assert_int_equal(check(b.data, "1", &err), XIO_EINVAL);
	assert_non_null(strstr(err.msg, "too expensive"));
	xio_buf_release(&b);
}

static void test_messages(void **state)
{
	struct xio_err err;
	const char *s = "{\"type\":\"object\",\"properties\":{\"a/b~c\":{\"type\":\"string\"},"
			"\"n\":{\"type\":\"integer\",\"maximum\":3},\"req\":{}},\"required\":[\"req\"],"
			"\"additionalProperties\":false}";

	(void)state;
	assert_int_equal(check(s, "{\"a/b~c\":1,\"n\":4}", &err), XIO_EINVAL);
	assert_string_equal(err.msg, "/req: required property missing; "
				     "/a~1b~0c: expected string, got integer; "
				     "/n: must be <= 3");
	assert_int_equal(check(s, "[]", &err), XIO_EINVAL);
	assert_string_equal(err.msg, "(root): expected object, got array");
	assert_int_equal(check(s, "{\"req\":1,\"e1\":1,\"e2\":1,\"e3\":1,\"e4\":1,\"e5\":1,"
				  "\"e6\":1,\"e7\":1,\"e8\":1,\"e9\":1,\"e10\":1,\"e11\":1,\"e12\":1}",
			       &err), XIO_EINVAL);
	assert_non_null(strstr(err.msg, "/e10: unexpected property"));
	assert_null(strstr(err.msg, "/e11"));
	assert_non_null(strstr(err.msg, "(2 more)"));
	/* Valid documents leave err alone. */
	xio_err_clear(&err);
	assert_int_equal(check(s, "{\"req\":0}", &err), 0);
	assert_int_equal(err.code, 0);
}

/* Runs the built-in schema over a corpus folder and expects its verdict. */
static void corpus_dir(struct xio_schema *s, const char *dir, int want_valid)
{
	struct dirent *e;
	DIR *d = opendir(dir);
	char path[4096];
	int n = 0;

	if (!d)
		fail_msg("cannot open %s", dir);
	while ((e = readdir(d))) {
		struct xio_err err;
		json_object *doc;
		char *text;
		int rc;

		if (!strstr(e->d_name, ".json"))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		text = xio_file_read(path, 1 << 20, NULL, &err);
		assert_non_null(text);
		doc = json_tokener_parse(text);
		free(text);
		rc = xio_schema_validate(s, doc, &err);
		json_object_put(doc);
		if ((rc == 0) != want_valid)
			fail_msg("%s: expected %s, got %s", path,
				 want_valid ? "valid" : "invalid", rc ? err.msg : "valid");
		n++;
	}
	closedir(d);
	assert_true(n >= 10);
}

static void test_corpus_folders(void **state)
{
	static const char *const pairs[][2] = {
		{"decision_log", "notion.decision_log"},
		{"task", "notion.task"},
	};
	const char *src = getenv("XIO_SOURCE_DIR");
	char dir[4096];
	size_t i;

	(void)state;
	if (!src)
		skip();
	for (i = 0; i < XIO_ARRAY_LEN(pairs); i++) {
		struct xio_schema *s = NULL;
		struct xio_err err;

		assert_int_equal(xio_schema_load_tool(&s, NULL, pairs[i][1], &err), 0);
		snprintf(dir, sizeof(dir), "%s/tests/schema/corpus/%s/valid", src, pairs[i][0]);
		corpus_dir(s, dir, 1);
		snprintf(dir, sizeof(dir), "%s/tests/schema/corpus/%s/invalid", src, pairs[i][0]);
		corpus_dir(s, dir, 0);
		xio_schema_free(s);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_builtin_tools),
		cmocka_unit_test(test_compile_refusals),
		cmocka_unit_test(test_type),
		cmocka_unit_test(test_strings),
		cmocka_unit_test(test_numbers),
		cmocka_unit_test(test_enum_const),
		cmocka_unit_test(test_objects_arrays),
		cmocka_unit_test(test_combinators_refs),
		cmocka_unit_test(test_ref_cycles_and_budget),
		cmocka_unit_test(test_messages),
		cmocka_unit_test(test_corpus_folders),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
