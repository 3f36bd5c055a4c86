/*
 * test_config.c — the configuration: the key table, YAML loading and typing,
 * ${VAR} substitution, XIO_* overrides, collected errors with their lines,
 * secrets reaching the log redactor, and the example file staying equal to
 * what the table generates.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "log.h"
#include "resource.h"

/* Unsets every XIO_* variable that names a key, so that the environment of
 * the test run cannot leak into a test. */
static int clear_env(void **state)
{
	const struct xio_config_key *k;
	char name[256];
	size_t i, n;

	(void)state;
	k = xio_config_keys(&n);
	for (i = 0; i < n; i++) {
		assert_int_equal(xio_config_env_name(k[i].path, name, sizeof(name)), 0);
		unsetenv(name);
	}
	unsetenv("XIO_T_SET");
	unsetenv("XIO_T_EMPTY");
	unsetenv("XIO_T_UNSET");
	unsetenv("XIO_T_PORT");
	return 0;
}

/* Loads YAML text; returns the rc, and the report in *report (caller frees). */
static int load_text(const char *yaml, struct xio_config **cfg, char **report,
		     struct xio_err *err)
{
	struct xio_buf b;
	int rc;

	xio_buf_init(&b, 0);
	rc = xio_config_load_buffer(cfg, "t.yaml", yaml, strlen(yaml), &b, err);
	*report = xio_buf_detach(&b);
	return rc;
}

/* Loads text that must fail, and checks that its report has exactly the
 * lines in want (NULL-terminated), in order. */
static void expect_errors(const char *yaml, const char *const *want)
{
	struct xio_config *cfg = (struct xio_config *)1;
	struct xio_err err;
	char *report, *line, *save = NULL;
	size_t i = 0;

	assert_int_equal(load_text(yaml, &cfg, &report, &err), XIO_EINVAL);
	assert_null(cfg);
	for (line = strtok_r(report, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save), i++) {
		if (!want[i])
			fail_msg("unexpected extra error: %s", line);
		assert_string_equal(line, want[i]);
	}
	if (want[i])
		fail_msg("missing error: %s", want[i]);
	free(report);
}

static void test_table_is_sane(void **state)
{
	const struct xio_config_key *k;
	char e1[256], e2[256];
	size_t i, j, n, pl;
	struct xio_config *cfg = NULL;
	struct xio_err err;

	(void)state;
	k = xio_config_keys(&n);
	/* exactly the keys of the design (+ followup.quiet_hours, digest_hour;
	 * +21 notion.*: pacing, people, properties; + http.api_tokens, cors_origin;
	 * +3 telegram pacing) */
	assert_int_equal(n, 82);
	for (i = 0; i < n; i++) {
		assert_non_null(k[i].doc);
		assert_true(strlen(k[i].doc) > 5);
		assert_null(strchr(k[i].doc, '\n'));
		assert_non_null(strchr(k[i].path, '.'));
		assert_ptr_equal(xio_config_key_find(k[i].path), &k[i]);
		if (k[i].type == XIO_CFG_ENUM)
			assert_non_null(k[i].choices);
		if (k[i].type == XIO_CFG_INT)
			assert_true(k[i].min <= k[i].max);
		xio_config_env_name(k[i].path, e1, sizeof(e1));
		for (j = i + 1; j < n; j++) {
			assert_string_not_equal(k[i].path, k[j].path);
			xio_config_env_name(k[j].path, e2, sizeof(e2));
			assert_string_not_equal(e1, e2);
		}
		/* A section, once left, is never reopened (the example nests it). */
		pl = (size_t)(strchr(k[i].path, '.') - k[i].path);
		for (j = i + 2; j < n; j++)
			if (strncmp(k[j].path, k[i].path, pl + 1) == 0)
				assert_int_equal(strncmp(k[j - 1].path, k[i].path, pl + 1), 0);
	}
	assert_null(xio_config_key_find("llm"));
	assert_null(xio_config_key_find("llm.nope"));
	/* Every default parses as its own type and range. */
	assert_int_equal(xio_config_load(&cfg, NULL, &err), 0);
	xio_config_free(cfg);
}

static void test_env_names(void **state)
{
	char b[32];

	(void)state;
	assert_int_equal(xio_config_env_name("llm.base_url", b, sizeof(b)), 0);
	assert_string_equal(b, "XIO_LLM_BASE_URL");
	assert_int_equal(xio_config_env_name("telegram.persona_tokens", b, 8),
			 XIO_ETOOBIG);
}

static void test_defaults_without_file(void **state)
{
	struct xio_config *cfg = NULL;
	struct xio_err err;
	json_object *l;

	(void)state;
	assert_int_equal(xio_config_load(&cfg, NULL, &err), 0);
	assert_string_equal(xio_config_file(cfg), "(defaults)");
	assert_string_equal(xio_config_str(cfg, "log.level"), "info");
	assert_string_equal(xio_config_str(cfg, "store.path"), "var/xio.db");
	assert_int_equal(xio_config_int(cfg, "http.port"), 8080);
	assert_int_equal(xio_config_int(cfg, "outbox.backoff_max_ms"), 300000);
	assert_true(xio_config_bool(cfg, "http.enabled"));
	assert_true(fabs(xio_config_double(cfg, "llm.temperature") - 0.7) < 1e-9);
	assert_string_equal(xio_config_str(cfg, "llm.base_url"), "");
	assert_string_equal(xio_config_str(cfg, "notion.version"), "2022-06-28");
	assert_string_equal(xio_config_str(cfg, "slack.api_url"), "https://slack.com/api");
	l = xio_config_list(cfg, "chat.adapters");
	assert_int_equal(json_object_array_length(l), 1);
	assert_string_equal(json_object_get_string(json_object_array_get_idx(l, 0)),
			    "console");
	assert_int_equal(json_object_array_length(
				 xio_config_list(cfg, "telegram.persona_tokens")), 0);
	assert_int_equal(xio_config_line(cfg, "http.port"), 0);
	xio_config_free(cfg);
}

static const char good_yaml[] =
	"# a good file\n"                        /* 1 */
	"log:\n"                                 /* 2 */
	"  level: debug\n"                       /* 3 */
	"  format: json\n"                       /* 4 */
	"http:\n"                                /* 5 */
	"  port: \"9090\"\n"                     /* 6: typed by the table */
	"  enabled: no\n"                        /* 7 */
	"  host: 0.0.0.0\n"                      /* 8 */
	"llm:\n"                                 /* 9 */
	"  model: 1.0\n"                         /* 10: a string, not a float */
	"  temperature: 0.25\n"                  /* 11 */
	"  max_retries: 0\n"                     /* 12 */
	"chat:\n"                                /* 13 */
	"  adapters:\n"                          /* 14 */
	"    - slack\n"                          /* 15 */
	"    - telegram\n"                       /* 16 */
	"notion:\n"                              /* 17 */
	"  version: 2025-09-03\n"                /* 18 */
	"  tasks_db:\n"                          /* 19: empty = "" */
	"slack:\n"                               /* 20: section left empty */
	"telegram.mode: polling\n"               /* 21: dotted key */
	"slack.bot_token: xoxb-1\n"              /* 22: what the listed */
	"slack.app_token: xapp-1\n"              /* 23: adapters require */
	"telegram.bot_token: \"1:x\"\n";         /* 24 */

static void test_good_file(void **state)
{
	struct xio_config *cfg = NULL;
	struct xio_err err;
	char *report;
	json_object *l;

	(void)state;
	assert_int_equal(load_text(good_yaml, &cfg, &report, &err), 0);
	assert_string_equal(report, "");
	free(report);
	assert_string_equal(xio_config_file(cfg), "t.yaml");
	assert_string_equal(xio_config_str(cfg, "log.level"), "debug");
	assert_string_equal(xio_config_str(cfg, "log.format"), "json");
	assert_int_equal(xio_config_int(cfg, "http.port"), 9090);
	assert_false(xio_config_bool(cfg, "http.enabled"));
	assert_string_equal(xio_config_str(cfg, "http.host"), "0.0.0.0");
	assert_string_equal(xio_config_str(cfg, "llm.model"), "1.0");
	assert_true(fabs(xio_config_double(cfg, "llm.temperature") - 0.25) < 1e-9);
	assert_int_equal(xio_config_int(cfg, "llm.max_retries"), 0);
	assert_string_equal(xio_config_str(cfg, "notion.version"), "2025-09-03");
	assert_string_equal(xio_config_str(cfg, "notion.tasks_db"), "");
	assert_string_equal(xio_config_str(cfg, "telegram.mode"), "polling");
	l = xio_config_list(cfg, "chat.adapters");
	assert_int_equal(json_object_array_length(l), 2);
	assert_string_equal(json_object_get_string(json_object_array_get_idx(l, 1)),
			    "telegram");
	/* Untouched keys keep their defaults. */
	assert_int_equal(xio_config_int(cfg, "store.busy_timeout_ms"), 5000);
	assert_int_equal(xio_config_line(cfg, "log.level"), 3);
	assert_int_equal(xio_config_line(cfg, "http.port"), 6);
	assert_int_equal(xio_config_line(cfg, "chat.adapters"), 14);
	assert_int_equal(xio_config_line(cfg, "telegram.mode"), 21);
	assert_int_equal(xio_config_line(cfg, "store.path"), 0);
	xio_config_free(cfg);
}

static void test_good_file_on_disk(void **state)
{
	char path[] = "/tmp/xio-test-config-XXXXXX";
	struct xio_config *cfg = NULL;
	struct xio_err err;
	int fd;

	(void)state;
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, good_yaml, strlen(good_yaml)), (int)strlen(good_yaml));
	close(fd);
	assert_int_equal(xio_config_load(&cfg, path, &err), 0);
	assert_string_equal(xio_config_file(cfg), path);
	assert_int_equal(xio_config_int(cfg, "http.port"), 9090);
	xio_config_free(cfg);
	unlink(path);
}

static void test_env_substitution(void **state)
{
	struct xio_config *cfg = NULL;
	struct xio_err err;
	char *report;

	(void)state;
	setenv("XIO_T_SET", "hunter2-value", 1);
	setenv("XIO_T_EMPTY", "", 1);
	setenv("XIO_T_PORT", "7070", 1);
	assert_int_equal(load_text("llm:\n"
				   "  api_key: ${XIO_T_SET}\n"
				   "  model: ${XIO_T_UNSET:-gpt-local}\n"
				   "  base_url: \"http://h:${XIO_T_PORT}/v1\"\n"
				   "console:\n"
				   "  user: \"a$$b ${XIO_T_EMPTY:-anon} $x ${XIO_T_EMPTY}!\"\n"
				   "http:\n"
				   "  port: ${XIO_T_PORT}\n"
				   "  max_body_bytes: ${XIO_T_UNSET:-2048}\n",
				   &cfg, &report, &err),
			 0);
	free(report);
	assert_string_equal(xio_config_str(cfg, "llm.api_key"), "hunter2-value");
	assert_string_equal(xio_config_str(cfg, "llm.model"), "gpt-local");
	assert_string_equal(xio_config_str(cfg, "llm.base_url"), "http://h:7070/v1");
	assert_string_equal(xio_config_str(cfg, "console.user"), "a$b anon $x !");
	assert_int_equal(xio_config_int(cfg, "http.port"), 7070);
	assert_int_equal(xio_config_int(cfg, "http.max_body_bytes"), 2048);
	xio_config_free(cfg);

	/* Every bad reference is reported with its line and key. */
	expect_errors("llm:\n"
		      "  model: ok\n"
		      "  api_key: ${XIO_T_UNSET}\n"
		      "  model: again\n"
		      "  base_url: ${XIO_T_SET:-oops\n"
		      "  stream: ${1BAD}\n"
		      "http:\n"
		      "  port: x${XIO_T_PORT}\n"
		      "  host: $${XIO_T_UNSET}\n", /* escaped: fine */
		      (const char *const[]){
			      "t.yaml:4: llm.model: set twice in one mapping (first at line 2)",
			      "t.yaml:3: llm.api_key: environment variable XIO_T_UNSET is not "
			      "set (write ${XIO_T_UNSET:-default} for a fallback)",
			      "t.yaml:5: llm.base_url: ${XIO_T_SET:-...} is not closed with }",
			      "t.yaml:6: llm.stream: bad variable reference (write ${NAME}, "
			      "${NAME:-default}, or $$ for a literal $)",
			      "t.yaml:8: http.port: expected an integer in [0..65535], got "
			      "\"x7070\"",
			      NULL });
}

static void test_env_overrides_file(void **state)
{
	struct xio_config *cfg = NULL;
	struct xio_err err;
	char *report;
	json_object *l;

	(void)state;
	setenv("XIO_LLM_MODEL", "from-env", 1);
	setenv("XIO_HTTP_PORT", "1234", 1);
	setenv("XIO_CHAT_ADAPTERS", " console, telegram ,,", 1);
	setenv("XIO_TELEGRAM_BOT_TOKEN", "1:x", 1);
	setenv("XIO_HTTP_ENABLED", "off", 1);
	assert_int_equal(load_text("llm:\n  model: from-file\n  stream: false\n",
				   &cfg, &report, &err), 0);
	free(report);
	assert_string_equal(xio_config_str(cfg, "llm.model"), "from-env");
	assert_int_equal(xio_config_line(cfg, "llm.model"), 0);
	assert_false(xio_config_bool(cfg, "llm.stream"));
	assert_int_equal(xio_config_line(cfg, "llm.stream"), 3);
	assert_int_equal(xio_config_int(cfg, "http.port"), 1234);
	assert_false(xio_config_bool(cfg, "http.enabled"));
	l = xio_config_list(cfg, "chat.adapters");
	assert_int_equal(json_object_array_length(l), 2);
	assert_string_equal(json_object_get_string(json_object_array_get_idx(l, 0)),
			    "console");
	assert_string_equal(json_object_get_string(json_object_array_get_idx(l, 1)),
			    "telegram");
	xio_config_free(cfg);

	/* Also without a file. */
	assert_int_equal(xio_config_load(&cfg, NULL, &err), 0);
	assert_string_equal(xio_config_str(cfg, "llm.model"), "from-env");
	xio_config_free(cfg);

	/* A wrongly typed variable is named in the error. */
	setenv("XIO_HTTP_PORT", "80x", 1);
	setenv("XIO_LOG_LEVEL", "loud", 1);
	cfg = (struct xio_config *)1;
	assert_int_equal(xio_config_load(&cfg, NULL, &err), XIO_EINVAL);
	assert_null(cfg);
	assert_string_equal(err.msg,
			    "env XIO_LOG_LEVEL: log.level: \"loud\" is not one of: debug, "
			    "info, warn, error\n"
			    "env XIO_HTTP_PORT: http.port: expected an integer in "
			    "[0..65535], got \"80x\"");
	clear_env(NULL);
}

static void test_typed_errors_with_lines(void **state)
{
	static const char yaml[] =
		"log:\n"                          /* 1 */
		"  level: verbose\n"              /* 2 */
		"  fromat: json\n"                /* 3 */
		"http:\n"                         /* 4 */
		"  port: 99999\n"                 /* 5 */
		"  enabled: maybe\n"              /* 6 */
		"  max_body_bytes: 12.5\n"        /* 7 */
		"  host:\n"                       /* 8 */
		"    nested: value\n"             /* 9 */
		"llm:\n"                          /* 10 */
		"  temperature: warm\n"           /* 11 */
		"  timeout_sec: -1\n"             /* 12 */
		"  max_retries: 99999999999999999999\n" /* 13 */
		"  stream: ~\n"                   /* 14 */
		"  api_key: [a, b]\n"             /* 15 */
		"chat:\n"                         /* 16 */
		"  adapters: [console, [x]]\n"    /* 17 */
		"bogus:\n"                        /* 18 */
		"  deeper: 1\n"                   /* 19 */
		"store: var/xio.db\n";            /* 20 */
	static const char *const want[] = {
		"t.yaml:2: log.level: \"verbose\" is not one of: debug, info, warn, error",
		"t.yaml:3: log.fromat: unknown key (did you mean log.format?)",
		"t.yaml:5: http.port: \"99999\" is out of range [0..65535]",
		"t.yaml:6: http.enabled: expected true or false, got \"maybe\"",
		"t.yaml:7: http.max_body_bytes: expected an integer in [1024..67108864], "
		"got \"12.5\"",
		"t.yaml:8: http.host: expected a string, got a mapping",
		"t.yaml:11: llm.temperature: expected a number, got \"warm\"",
		"t.yaml:12: llm.timeout_sec: \"-1\" is out of range [1..3600]",
		"t.yaml:13: llm.max_retries: \"99999999999999999999\" is out of range [0..20]",
		"t.yaml:14: llm.stream: no value; expected true or false",
		"t.yaml:15: llm.api_key: expected a string, got a list",
		"t.yaml:17: chat.adapters: item 2: expected a string, got a list",
		"t.yaml:18: bogus: unknown key",
		"t.yaml:20: store: expected a mapping of store.* keys",
		NULL
	};
	struct xio_config *cfg = NULL;
	struct xio_err err;
	char *report;

	(void)state;
	expect_errors(yaml, want);
	/* err carries the same messages, joined, as far as they fit. */
	assert_int_equal(load_text(yaml, &cfg, &report, &err), XIO_EINVAL);
	assert_int_equal(err.code, XIO_EINVAL);
	assert_true(strncmp(err.msg, want[0], strlen(want[0])) == 0);
	assert_non_null(strstr(err.msg, "\n(")); /* "(N more)" */
	assert_non_null(strstr(err.msg, " more)"));
	free(report);
}

static void test_secret_values_never_in_messages(void **state)
{
	static const char *const want[] = {
		"t.yaml:2: slack.bot_token: environment variable NOPE_XIO is not set "
		"(write ${NOPE_XIO:-default} for a fallback)",
		"t.yaml:3: slack.app_token: expected a string, got a mapping",
		NULL
	};

	(void)state;
	expect_errors("slack:\n"
		      "  bot_token: xoxb-verysecret-${NOPE_XIO}\n"
		      "  app_token: {xapp-verysecret: 1}\n",
		      want);
}

static void test_malformed_yaml(void **state)
{
	(void)state;
	expect_errors("log:\n  level: info\nhttp:\n  port: [80\n  host: x\n",
		      (const char *const[]){
			      "t.yaml:5: malformed YAML: did not find expected ',' or ']' "
			      "(while parsing a flow sequence at line 4)",
			      NULL });
	expect_errors("log:\n  level: info\n   bad: indent\n",
		      (const char *const[]){
			      "t.yaml:3: malformed YAML: mapping values are not allowed "
			      "in this context",
			      NULL });
	expect_errors("\"\\xff\": \xff\n",
		      (const char *const[]){
			      "t.yaml:1: malformed YAML: invalid leading UTF-8 octet", NULL });
	expect_errors("- a\n- b\n",
		      (const char *const[]){
			      "t.yaml:1: the top level must be a mapping of settings "
			      "(key: value lines)",
			      NULL });
	expect_errors("log: {level: info}\n---\nlog: {}\n",
		      (const char *const[]){
			      "t.yaml:2: more than one YAML document in the file", NULL });
	expect_errors("a: &x 1\nb: *x\n",
		      (const char *const[]){
			      "t.yaml:2: YAML aliases (*name) are not supported", NULL });
	expect_errors("? [a]\n: 1\n",
		      (const char *const[]){
			      "t.yaml:1: a mapping key must be a plain string", NULL });
	expect_errors("llm:\n  model: \"a\\0b\"\n",
		      (const char *const[]){
			      "t.yaml:2: llm.model: value contains a NUL character", NULL });
	expect_errors("a: [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]\n",
		      (const char *const[]){
			      "t.yaml:1: mappings or lists nested too deep", NULL });
}

static void test_missing_and_empty_files(void **state)
{
	struct xio_config *cfg = (struct xio_config *)1;
	struct xio_err err;
	char path[] = "/tmp/xio-test-empty-XXXXXX";
	char *report;
	int fd;

	(void)state;
	assert_int_equal(xio_config_load(&cfg, "/nonexistent/xio.yaml", &err),
			 XIO_ENOTFOUND);
	assert_null(cfg);
	assert_string_equal(err.msg, "/nonexistent/xio.yaml: cannot read the config "
				     "file: No such file or directory");

	fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(xio_config_load(&cfg, path, &err), XIO_EINVAL);
	assert_non_null(strstr(err.msg, path));
	assert_non_null(strstr(err.msg, "the file is empty"));
	unlink(path);

	expect_errors("# only comments\n\n",
		      (const char *const[]){
			      "t.yaml: the file is empty; expected a mapping of settings "
			      "(see `xio check-config --print-example`)",
			      NULL });
	expect_errors("---\n...\n",
		      (const char *const[]){
			      "t.yaml:2: the file is empty; expected a mapping of settings",
			      NULL });
	/* An explicit empty mapping is a valid file: all defaults. */
	assert_int_equal(load_text("{}\n", &cfg, &report, &err), 0);
	assert_int_equal(xio_config_int(cfg, "http.port"), 8080);
	xio_config_free(cfg);
	free(report);
}

static void test_string_lists(void **state)
{
	struct xio_config *cfg = NULL;
	struct xio_err err;
	char *report;
	json_object *l;

	(void)state;
	setenv("XIO_T_SET", "bot-b", 1);
	assert_int_equal(load_text("http:\n  api_tokens: [a=1, \"b=${XIO_T_SET}\"]\n"
				   "notion:\n  people: Ann=u1, Bob=u2\n",
				   &cfg, &report, &err), 0);
	free(report);
	l = xio_config_list(cfg, "http.api_tokens");
	assert_int_equal(json_object_array_length(l), 2);
	assert_string_equal(json_object_get_string(json_object_array_get_idx(l, 1)),
			    "b=bot-b");
	/* A plain scalar is read like the environment: comma-separated. */
	l = xio_config_list(cfg, "notion.people");
	assert_int_equal(json_object_array_length(l), 2);
	xio_config_free(cfg);

	assert_int_equal(load_text("chat:\n  adapters: []\n", &cfg, &report, &err), 0);
	free(report);
	assert_int_equal(json_object_array_length(xio_config_list(cfg, "chat.adapters")), 0);
	xio_config_free(cfg);

	setenv("XIO_CHAT_ADAPTERS", "", 1);
	assert_int_equal(xio_config_load(&cfg, NULL, &err), 0);
	assert_int_equal(json_object_array_length(xio_config_list(cfg, "chat.adapters")), 0);
	xio_config_free(cfg);
	clear_env(NULL);
}

/* What a key's type cannot say: list entries, zones, quiet hours, the keys
 * an adapter listed in chat.adapters needs, each named with its line. */
static void test_checks(void **state)
{
	struct xio_config *cfg = NULL;
	struct xio_err err;
	char *report;

	(void)state;
	expect_errors("chat:\n  adapters: [console, slak]\n",
		      (const char *const[]){
			      "t.yaml:2: chat.adapters: unknown adapter \"slak\" (known: console, "
			      "slack, telegram)",
			      NULL });
	expect_errors("consilium:\n  timezone: Mars/Olympus\n"
		      "followup:\n  quiet_hours: \"22-08\"\n",
		      (const char *const[]){
			      "t.yaml:2: consilium.timezone: unknown time zone 'Mars/Olympus' (an "
			      "IANA name such as Europe/Moscow, UTC, or an offset such as +03:00)",
			      "t.yaml:4: followup.quiet_hours: \"22-08\": expected HH:MM-HH:MM, e.g. "
			      "22:00-08:00",
			      NULL });
	expect_errors("chat:\n  adapters: [telegram, slack]\n"
		      "telegram:\n  mode: webhook\n  webhook_secret: a b\n"
		      "  persona_tokens: [moderator, \"scribe=bad\"]\n"
		      "slack:\n  mode: events\n"
		      "http:\n  api_tokens: [noequals]\n"
		      "notion:\n  people: [Carol]\n",
		      (const char *const[]){
			      "t.yaml: telegram.bot_token: required when chat.adapters lists "
			      "telegram (the token from @BotFather, or XIO_TELEGRAM_BOT_TOKEN)",
			      "t.yaml: telegram.webhook_url: required when telegram.mode is webhook "
			      "(the public HTTPS URL of POST /telegram/webhook)",
			      "t.yaml:5: telegram.webhook_secret: 1-256 characters of A-Z a-z 0-9 _ - "
			      "only (Telegram's rule for secret_token)",
			      "t.yaml:6: telegram.persona_tokens: entry 1 is not persona_id=token",
			      "t.yaml:6: telegram.persona_tokens: entry 2 (scribe): the token does "
			      "not look like <bot id>:<secret>",
			      "t.yaml: slack.bot_token: required when chat.adapters lists slack "
			      "(xoxb-..., or XIO_SLACK_BOT_TOKEN)",
			      "t.yaml: slack.signing_secret: required when slack.mode is events",
			      "t.yaml:10: http.api_tokens: entry 1 is not name=token (a name of 1-64 "
			      "characters, a non-empty token)",
			      "t.yaml:12: notion.people: entry 1 is not Owner name=notion-user-id",
			      NULL });
	/* the same adapters with what they need load */
	setenv("XIO_TELEGRAM_BOT_TOKEN", "123:abc", 1);
	setenv("XIO_SLACK_BOT_TOKEN", "xoxb-1", 1);
	setenv("XIO_SLACK_APP_TOKEN", "xapp-1", 1);
	assert_int_equal(load_text("chat:\n  adapters: [telegram, slack, console]\n"
				   "consilium:\n  timezone: Europe/Moscow\n"
				   "followup:\n  quiet_hours: \"22:00-08:00\"\n",
				   &cfg, &report, &err), 0);
	assert_string_equal(report, "");
	free(report);
	xio_config_free(cfg);
	clear_env(NULL);
}

struct unknown_seen {
	char text[512];
};

static void seen_cb(void *ud, const char *name, const char *hint)
{
	struct unknown_seen *u = ud;
	size_t l = strlen(u->text);

	snprintf(u->text + l, sizeof(u->text) - l, "%s>%s;", name, hint);
}

/* A misspelt XIO_* variable is named with the one it meant; other tools'
 * XIO_ variables, XIO_CONFIG and what the file names as ${...} are not. */
static void test_unknown_env(void **state)
{
	char *env[] = { "XIO_TELEGRAM_TOKEN=1", "XIO_LLM_MAX_CONCURENCY=2", "XIO_HTTP_PORT=1",
			"XIO_BIN=/x", "XIO_CONFIG=/etc/xio.yaml", "XIO_HTTP_PROT=ref", "PATH=/bin",
			"XIO_=1", NULL };
	struct unknown_seen u = { "" };
	struct xio_config *cfg = NULL;
	struct xio_err err;
	char *report;

	(void)state;
	setenv("XIO_HTTP_PROT", "ref", 1);
	assert_int_equal(load_text("http:\n  api_token: \"${XIO_HTTP_PROT}\"\n", &cfg, &report,
				   &err), 0);
	free(report);
	xio_config_unknown_env(cfg, env, seen_cb, &u);
	assert_string_equal(u.text, "XIO_TELEGRAM_TOKEN>XIO_TELEGRAM_BOT_TOKEN;"
				    "XIO_LLM_MAX_CONCURENCY>XIO_LLM_MAX_CONCURRENCY;");
	xio_config_free(cfg);
	u.text[0] = '\0';
	xio_config_unknown_env(NULL, env, seen_cb, &u);
	assert_non_null(strstr(u.text, "XIO_HTTP_PROT>XIO_HTTP_PORT;"));
	clear_env(NULL);
}

static void test_set(void **state)
{
	struct xio_config *cfg = NULL;
	struct xio_err err;

	(void)state;
	assert_int_equal(xio_config_load(&cfg, NULL, &err), 0);
	assert_int_equal(xio_config_set(cfg, "http.port", "0", &err), 0);
	assert_int_equal(xio_config_int(cfg, "http.port"), 0);
	assert_int_equal(xio_config_set(cfg, "http.port", "65536", &err), XIO_EINVAL);
	assert_string_equal(err.msg, "http.port: \"65536\" is out of range [0..65535]");
	assert_int_equal(xio_config_int(cfg, "http.port"), 0);
	assert_int_equal(xio_config_set(cfg, "llm.temperature", "nan", &err), XIO_EINVAL);
	assert_int_equal(xio_config_set(cfg, "llm.temperature", "1e999", &err), XIO_EINVAL);
	assert_int_equal(xio_config_set(cfg, "llm.temperature", " 1", &err), XIO_EINVAL);
	assert_int_equal(xio_config_set(cfg, "http.port", " 1", &err), XIO_EINVAL);
	assert_int_equal(xio_config_set(cfg, "http.port", "+1", &err), 0);
	assert_int_equal(xio_config_set(cfg, "llm.stream", "FALSE", &err), 0);
	assert_false(xio_config_bool(cfg, "llm.stream"));
	assert_int_equal(xio_config_set(cfg, "nope.key", "1", &err), XIO_ENOTFOUND);
	assert_int_equal(xio_config_set(cfg, "consilium.policy", "selector", &err), 0);
	assert_string_equal(xio_config_str(cfg, "consilium.policy"), "selector");
	assert_int_equal(xio_config_set(cfg, "llm.api_key", "sk-zzz", &err), 0);
	xio_config_free(cfg);
}

static char captured[8192];

static void capture_log(const struct xio_config *cfg, const char *line)
{
	int fds[2];
	struct xio_log *log;
	ssize_t n;

	assert_int_equal(pipe(fds), 0);
	log = xio_log_new(fds[1], XIO_LOG_HUMAN, XIO_LOG_DEBUG);
	assert_non_null(log);
	if (cfg)
		assert_int_equal(xio_config_register_secrets(cfg, log), 0);
	xio_log_info(log, "test", "%s", line);
	xio_log_free(log);
	close(fds[1]);
	n = read(fds[0], captured, sizeof(captured) - 1);
	close(fds[0]);
	captured[n > 0 ? n : 0] = '\0';
}

static void test_secrets_registered(void **state)
{
	static const char line[] =
		"api=plainword42 token=hunter2hunter2 persona=tg-persona-tok "
		"pair=expert=tg-persona-tok model=plain-model-name";
	struct xio_config *cfg = NULL;
	struct xio_err err;
	char *report;

	(void)state;
	/* The values are shaped like nothing the redactor knows by itself. */
	capture_log(NULL, line);
	assert_non_null(strstr(captured, "hunter2hunter2"));
	assert_non_null(strstr(captured, "plainword42"));

	setenv("XIO_NOTION_TOKEN", "plainword42", 1);
	assert_int_equal(load_text("http:\n  api_token: hunter2hunter2\n"
				   "llm:\n  model: plain-model-name\n"
				   "telegram:\n  persona_tokens: [\"expert=tg-persona-tok\"]\n",
				   &cfg, &report, &err), 0);
	free(report);
	capture_log(cfg, line);
	assert_null(strstr(captured, "hunter2hunter2"));
	assert_null(strstr(captured, "plainword42"));
	assert_null(strstr(captured, "tg-persona-tok"));
	assert_non_null(strstr(captured, "[REDACTED]"));
	assert_non_null(strstr(captured, "plain-model-name")); /* not a secret */
	xio_config_free(cfg);
	clear_env(NULL);
}

static char *generated_example(void)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	assert_non_null(f);
	assert_int_equal(xio_config_write_example(f), 0);
	fclose(f);
	return text;
}

static void test_example_complete_and_generated(void **state)
{
	const struct xio_config_key *k;
	const struct xio_resource *r;
	const char *src = getenv("XIO_SOURCE_DIR");
	struct xio_config *cfg = NULL;
	struct xio_err err;
	char *gen = generated_example(), *disk, *report, path[4096];
	size_t i, n;

	(void)state;
	/* The embedded copy and the committed file equal the generated text:
	 * regenerate with `xio check-config --print-example`. */
	r = xio_resource_find("xio.example.yaml");
	assert_non_null(r);
	assert_string_equal(r->data, gen);
	if (src) {
		snprintf(path, sizeof(path), "%s/config/xio.example.yaml", src);
		disk = xio_file_read(path, 1 << 20, NULL, &err);
		assert_non_null(disk);
		assert_string_equal(disk, gen);
		free(disk);
	}
	/* It loads cleanly (so it holds no unknown key), sets every key, and
	 * every value equals the default. */
	assert_int_equal(load_text(r->data, &cfg, &report, &err), 0);
	free(report);
	k = xio_config_keys(&n);
	for (i = 0; i < n; i++) {
		struct xio_config *def = NULL;

		if (xio_config_line(cfg, k[i].path) <= 0)
			fail_msg("%s is missing from the example", k[i].path);
		assert_int_equal(xio_config_load(&def, NULL, &err), 0);
		switch (k[i].type) {
		case XIO_CFG_STRING:
		case XIO_CFG_ENUM:
			assert_string_equal(xio_config_str(cfg, k[i].path),
					    xio_config_str(def, k[i].path));
			break;
		case XIO_CFG_INT:
			assert_int_equal(xio_config_int(cfg, k[i].path),
					 xio_config_int(def, k[i].path));
			break;
		case XIO_CFG_BOOL:
			assert_int_equal(xio_config_bool(cfg, k[i].path),
					 xio_config_bool(def, k[i].path));
			break;
		case XIO_CFG_DOUBLE:
			assert_true(xio_config_double(cfg, k[i].path) ==
				    xio_config_double(def, k[i].path));
			break;
		case XIO_CFG_STRLIST:
			assert_true(json_object_equal(xio_config_list(cfg, k[i].path),
						      xio_config_list(def, k[i].path)));
			break;
		}
		xio_config_free(def);
	}
	xio_config_free(cfg);
	free(gen);
}

static void test_error_cap(void **state)
{
	struct xio_buf y;
	struct xio_config *cfg = NULL;
	struct xio_err err;
	char *report, *last;
	int i, lines = 0;

	(void)state;
	xio_buf_init(&y, 0);
	for (i = 0; i < 300; i++)
		assert_int_equal(xio_buf_printf(&y, "unknown_%d: 1\n", i), 0);
	assert_int_equal(load_text(y.data, &cfg, &report, &err), XIO_EINVAL);
	for (last = report; *last; last++)
		lines += *last == '\n';
	assert_int_equal(lines, 201);
	assert_non_null(strstr(report, "t.yaml: 100 more errors not shown\n"));
	assert_true(strlen(err.msg) < sizeof(err.msg));
	assert_non_null(strstr(err.msg, " more)"));
	free(report);
	xio_buf_release(&y);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_table_is_sane, clear_env),
		cmocka_unit_test_setup(test_env_names, clear_env),
		cmocka_unit_test_setup(test_defaults_without_file, clear_env),
		cmocka_unit_test_setup(test_good_file, clear_env),
		cmocka_unit_test_setup(test_good_file_on_disk, clear_env),
		cmocka_unit_test_setup(test_env_substitution, clear_env),
		cmocka_unit_test_setup(test_env_overrides_file, clear_env),
		cmocka_unit_test_setup(test_typed_errors_with_lines, clear_env),
		cmocka_unit_test_setup(test_secret_values_never_in_messages, clear_env),
		cmocka_unit_test_setup(test_malformed_yaml, clear_env),
		cmocka_unit_test_setup(test_missing_and_empty_files, clear_env),
		cmocka_unit_test_setup(test_string_lists, clear_env),
		cmocka_unit_test_setup(test_checks, clear_env),
		cmocka_unit_test_setup(test_unknown_env, clear_env),
		cmocka_unit_test_setup(test_set, clear_env),
		cmocka_unit_test_setup(test_secrets_registered, clear_env),
		cmocka_unit_test_setup(test_example_complete_and_generated, clear_env),
		cmocka_unit_test_setup(test_error_cap, clear_env),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
