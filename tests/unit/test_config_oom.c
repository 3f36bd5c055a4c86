/*
 * test_config_oom.c — loading a config with every allocation failing in
 * turn (after sqlite's test_malloc / libuv's test-loop-oom): each failure
 * must come back as XIO_ENOMEM with nothing leaked, and the first run that
 * no injected failure reaches must load the file.
 *
 * The allocator is replaced for the whole binary (json-c, libyaml and libc's
 * own strdup call through it), so this suite cannot run under the
 * sanitizers, which own malloc themselves; there it is skipped and the
 * sanitizer build's leak checker covers the normal paths instead.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "log.h"

#include "fail_alloc.h"

#ifndef OOM_SANITIZED
static const char yaml[] =
	"log:\n"
	"  level: debug\n"
	"http:\n"
	"  port: ${XIO_OOM_PORT:-9090}\n"
	"  api_token: \"tok-${XIO_OOM_TOKEN}\"\n"
	"chat:\n"
	"  adapters: [console, slack]\n"
	"slack:\n"
	"  bot_token: xoxb-1\n"
	"  app_token: xapp-1\n"
	"telegram:\n"
	"  persona_tokens:\n"
	"    - expert=abcdefgh\n"
	"unknown: 1\n";

/* Loads yaml (which has one unknown key, then again without it) and uses
 * the result; returns the first failure code. */
static int exercise(void)
{
	struct xio_config *cfg = NULL;
	struct xio_log *log = NULL;
	struct xio_err err;
	int rc;

	rc = xio_config_load_buffer(&cfg, "oom.yaml", yaml, sizeof(yaml) - 1, NULL, &err);
	if (rc != XIO_EINVAL)
		return rc == 0 ? XIO_ESTATE : rc;
	rc = xio_config_load_buffer(&cfg, "oom.yaml", yaml,
				    strstr(yaml, "unknown") - yaml, NULL, &err);
	if (rc)
		goto out;
	rc = xio_config_set(cfg, "chat.adapters", "console,slack", &err);
	if (rc)
		goto out;
	log = xio_log_new(-1, XIO_LOG_JSON, XIO_LOG_INFO);
	if (!log) {
		rc = XIO_ENOMEM;
		goto out;
	}
	rc = xio_config_register_secrets(cfg, log);
out:
	xio_log_free(log);
	xio_config_free(cfg);
	return rc;
}
#endif

static void test_every_allocation_fails_once(void **state)
{
#ifdef OOM_SANITIZED
	(void)state;
	skip();
#else
	long i;
	int rc, failures = 0;

	(void)state;
	setenv("XIO_OOM_TOKEN", "sekrit", 1);
	for (i = 0;; i++) {
		seen = 0;
		live = 0;
		fail_at = i;
		armed = 1;
		rc = exercise();
		armed = 0;
		assert_int_equal(live, 0); /* nothing leaked on any path */
		if (seen <= i) {           /* ran out of allocations to fail */
			assert_int_equal(rc, 0);
			break;
		}
		assert_int_equal(rc, XIO_ENOMEM);
		failures++;
	}
	assert_true(failures > 50);
#endif
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_allocation_fails_once),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
