/*
 * test_log.c — log format and secret redaction.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

static char *capture(enum xio_log_format fmt, const char *secret,
		     void (*emit)(struct xio_log *))
{
	int fds[2];
	static char out[8192];
	ssize_t n;
	struct xio_log *log;

	assert_int_equal(pipe(fds), 0);
	log = xio_log_new(fds[1], fmt, XIO_LOG_DEBUG);
	assert_non_null(log);
	if (secret)
		assert_int_equal(xio_log_add_secret(log, secret), 0);
	emit(log);
	xio_log_free(log);
	close(fds[1]);
	n = read(fds[0], out, sizeof(out) - 1);
	close(fds[0]);
	out[n > 0 ? n : 0] = '\0';
	return out;
}

static void emit_json(struct xio_log *log)
{
	json_object *f = json_object_new_object();

	json_object_object_add(f, "chat", json_object_new_string("C123"));
	json_object_object_add(f, "n", json_object_new_int(7));
	xio_log_fields(log, XIO_LOG_INFO, "slack", f, "posted %d messages", 3);
	json_object_put(f);
}

static void test_json_line(void **state)
{
	char *line = capture(XIO_LOG_JSON, NULL, emit_json);
	json_object *o, *v;

	(void)state;
	assert_non_null(strchr(line, '\n'));
	o = json_tokener_parse(line);
	assert_non_null(o);
	assert_true(json_object_object_get_ex(o, "level", &v));
	assert_string_equal(json_object_get_string(v), "info");
	assert_true(json_object_object_get_ex(o, "module", &v));
	assert_string_equal(json_object_get_string(v), "slack");
	assert_true(json_object_object_get_ex(o, "msg", &v));
	assert_string_equal(json_object_get_string(v), "posted 3 messages");
	assert_true(json_object_object_get_ex(o, "chat", &v));
	assert_true(json_object_object_get_ex(o, "n", &v));
	assert_int_equal(json_object_get_int(v), 7);
	assert_true(json_object_object_get_ex(o, "time", &v));
	json_object_put(o);
}

static void emit_human(struct xio_log *log)
{
	xio_log_warn(log, "store", "slow commit %s", "42ms");
}

static void test_human_line(void **state)
{
	char *line = capture(XIO_LOG_HUMAN, NULL, emit_human);

	(void)state;
	assert_non_null(strstr(line, "warn"));
	assert_non_null(strstr(line, "store: slow commit 42ms"));
}

static void emit_secrets(struct xio_log *log)
{
	json_object *f = json_object_new_object();

	json_object_object_add(f, "header",
			       json_object_new_string("Authorization: Bearer abc.def-123"));
	xio_log_fields(log, XIO_LOG_ERROR, "http", f,
		       "POST https://api.telegram.org/bot123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw4/sendMessage "
		       "slack=xoxb-1234-5678-abcdefgh app=xapp-1-A01-99-zz9 key=sk-proj-ABCDEF123456 "
		       "notion=secret_AbCdEf0123456789 ntn=ntn_12345678abcdef signing=%s",
		       "8f742231b10e8888abcd99yyyzzz");
	json_object_put(f);
}

static void test_redaction(void **state)
{
	char *line = capture(XIO_LOG_JSON, "8f742231b10e8888abcd99yyyzzz", emit_secrets);

	(void)state;
	assert_null(strstr(line, "abc.def-123"));
	assert_null(strstr(line, "AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw4"));
	assert_null(strstr(line, "xoxb-1234"));
	assert_null(strstr(line, "xapp-1"));
	assert_null(strstr(line, "sk-proj"));
	assert_null(strstr(line, "secret_AbCd"));
	assert_null(strstr(line, "ntn_1234"));
	assert_null(strstr(line, "8f742231b10e"));
	assert_non_null(strstr(line, "Bearer [REDACTED]"));
	assert_non_null(strstr(line, "/sendMessage"));
	{
		json_object *o = json_tokener_parse(line);

		assert_non_null(o);
		json_object_put(o);
	}
}

static void test_redact_keeps_plain_text(void **state)
{
	char *s = xio_log_redact(NULL, "risk-free task by 12:30, ask sk- and desk-top");

	(void)state;
	assert_string_equal(s, "risk-free task by 12:30, ask sk- and desk-top");
	free(s);
}

static void test_level_filter(void **state)
{
	enum xio_log_level l;

	(void)state;
	assert_int_equal(xio_log_level_parse("warn", &l), 0);
	assert_int_equal(l, XIO_LOG_WARN);
	assert_int_not_equal(xio_log_level_parse("loud", &l), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json_line),
		cmocka_unit_test(test_human_line),
		cmocka_unit_test(test_redaction),
		cmocka_unit_test(test_redact_keeps_plain_text),
		cmocka_unit_test(test_level_filter),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
