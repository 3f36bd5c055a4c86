/*
 * test_engine_oom.c — a whole consilium stepped through the engine, and its
 * state through the JSON round trip, with every allocation failing in turn
 * (after sqlite's test_malloc / libuv's test-loop-oom, as
 * test_config_oom.c does for the config).  Each run must either report
 * XIO_ENOMEM or produce exactly what the run without failures produced —
 * the same final state and the same posts — and leak nothing.  A silently
 * dropped field or post under memory pressure fails it.
 *
 * The allocator is replaced for the whole binary, so the suite is skipped
 * under the sanitizers, which own malloc themselves.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"

#include "fail_alloc.h"

#ifndef OOM_SANITIZED
/*
 * json-c 0.16's tokenizer is not safe against allocation failure (it passes
 * a failed key copy on to strlen and crashes), so a parse is treated as one
 * allocation: it fails as a whole, as a tokener json-c could not allocate
 * does, or runs with injection off.
 */
json_object *json_tokener_parse_verbose(const char *str, enum json_tokener_error *error)
{
	json_object *(*real)(const char *, enum json_tokener_error *) =
		(json_object * (*)(const char *, enum json_tokener_error *))
			dlsym(RTLD_NEXT, "json_tokener_parse_verbose");
	json_object *o;

	if (should_fail())
		return NULL;
	sparing = 1; /* allocations still counted, none failed */
	o = real(str, error);
	sparing = 0;
	return o;
}

struct world {
	struct xio_personas personas;
	struct xio_i18n i18n;
	struct xio_engine eng;
	json_object *log, *tasks;   /* DECISION_READY payload, made unarmed */
	char out[65536];            /* what a run produced: posts + final state */
	size_t outlen;
};

static void emit(struct world *w, const char *s)
{
	int n = snprintf(w->out + w->outlen, sizeof(w->out) - w->outlen, "%s\n", s);

	if (n > 0 && (size_t)n < sizeof(w->out) - w->outlen)
		w->outlen += (size_t)n;
}

static int step(struct world *w, struct xio_consilium *c, struct xio_event *ev, int64_t now)
{
	struct xio_actions a;
	size_t i;
	int rc;

	xio_actions_init(&a);
	ev->now = now;
	rc = xio_engine_step(&w->eng, c, ev, &a);
	if (!rc)
		for (i = 0; i < a.n; i++) {
			emit(w, a.v[i].persona_id ? a.v[i].persona_id : "-");
			emit(w, a.v[i].text ? a.v[i].text : a.v[i].status ? a.v[i].status : "-");
		}
	xio_actions_release(&a);
	return rc;
}

/* json-c 0.16 reports an allocation failure inside its tokenizer as a
 * parse error; parsing text this run just printed can fail no other way. */
static int state_err(const struct xio_err *err)
{
	return err->code == XIO_EINVAL && strstr(err->msg, "not a JSON object") ? XIO_ENOMEM
										 : err->code;
}

/* The scripted consilium; returns 0 or the first failure. */
static int exercise(struct world *w)
{
	static const struct { enum xio_event_kind k; const char *author, *text; int64_t dt; } script[] = {
		{ XIO_EV_MESSAGE, "Bob", "I think we should, Bob will migrate the data by Friday", 1 },
		{ XIO_EV_COMMAND, "Alice", "/agenda Budget; Timeline; Owners", 2 },
		{ XIO_EV_MESSAGE, "Alice", "I prefer B, it is cheaper", 3 },
		{ XIO_EV_COMMAND, "Bob", "/status", 4 },
		{ XIO_EV_COMMAND, "Bob", "/participants", 5 },
		{ XIO_EV_COMMAND, "Alice", "/pause", 6 },
		{ XIO_EV_COMMAND, "Carol", "/resume", 7 },
		{ XIO_EV_MESSAGE, "Carol", "Я за вариант B", 8 },
		{ XIO_EV_TIMER, NULL, NULL, 700 },
		{ XIO_EV_COMMAND, "Alice", "/frobnicate", 701 },
		{ XIO_EV_COMMAND, "Alice", "/decide", 702 },
		{ XIO_EV_DECISION_READY, NULL, NULL, 703 },
		{ XIO_EV_COMMAND, "Bob", "/tasks", 704 },
		{ XIO_EV_COMMAND, "Bob", "/amend task 1 owner Dave", 705 },
		{ XIO_EV_COMMAND, "Bob", "/amend task Write the runbook @Carol", 706 },
		{ XIO_EV_COMMAND, "Bob", "/amend risk vendor lock-in", 707 },
		{ XIO_EV_COMMAND, "Bob", "/amend alternative Stay on MySQL", 708 },
		{ XIO_EV_COMMAND, "Bob", "/amend decision Go with B", 709 },
		{ XIO_EV_COMMAND, "Alice", "/approve", 710 },
		{ XIO_EV_COMMAND, "Alice", "/help", 711 },
	};
	const char *pq[] = { "Postgres for reports?" }, *pd[] = { "Yes, in Q1" };
	struct xio_consilium *c = NULL, *c2 = NULL;
	struct xio_event ev = { 0 };
	struct xio_err err;
	char *j = NULL, *j2 = NULL;
	const int64_t t0 = 1764000000000LL;
	size_t i;
	int rc;

	w->outlen = 0;
	c = xio_consilium_new();
	if (!c)
		return XIO_ENOMEM;
	c->id = 5;
	ev.kind = XIO_EV_START;
	ev.author = "Alice";
	ev.text = "Should we move billing to Postgres?";
	ev.precedent_questions = pq;
	ev.precedent_decisions = pd;
	ev.nprecedents = 1;
	rc = step(w, c, &ev, t0);
	for (i = 0; !rc && i < sizeof(script) / sizeof(script[0]); i++) {
		/* each step starts from the stored state, as the runner does */
		j = xio_consilium_to_json(c);
		if (!j) {
			rc = XIO_ENOMEM;
			break;
		}
		xio_consilium_free(c);
		c = xio_consilium_from_json(j, &err);
		free(j);
		j = NULL;
		if (!c) {
			rc = state_err(&err);
			break;
		}
		memset(&ev, 0, sizeof(ev));
		ev.kind = script[i].k;
		ev.author = script[i].author;
		ev.text = script[i].text;
		ev.log = w->log;
		ev.tasks = w->tasks;
		ev.source = "extractor";
		rc = step(w, c, &ev, t0 + script[i].dt * 1000);
	}
	if (rc)
		goto out;
	j = xio_consilium_to_json(c);
	if (!j) {
		rc = XIO_ENOMEM;
		goto out;
	}
	c2 = xio_consilium_from_json(j, &err);
	if (!c2) {
		rc = state_err(&err);
		goto out;
	}
	j2 = xio_consilium_to_json(c2);
	if (!j2) {
		rc = XIO_ENOMEM;
		goto out;
	}
	emit(w, j);
	if (strcmp(j, j2) != 0)
		rc = XIO_EINVAL;
out:
	free(j);
	free(j2);
	xio_consilium_free(c);
	xio_consilium_free(c2);
	return rc;
}
#endif

static void test_every_allocation_fails_once(void **state)
{
#ifdef OOM_SANITIZED
	(void)state;
	skip();
#else
	struct world *w = calloc(1, sizeof(*w));
	struct xio_err err;
	char *expected;
	long i;
	int rc, failures = 0;

	(void)state;
	assert_non_null(w);
	assert_int_equal(xio_personas_load(&w->personas, NULL, &err), 0);
	assert_int_equal(xio_i18n_load(&w->i18n, NULL, &err), 0);
	w->eng.personas = &w->personas;
	w->eng.i18n = &w->i18n;
	w->eng.language = "auto";
	w->eng.max_rounds = 3;
	w->eng.time_limit_ms = 3600 * 1000;
	w->eng.human_timeout_ms = 600 * 1000;
	w->eng.require_approval = 1;
	w->log = json_tokener_parse(
		"{\"question\":\"Q\",\"alternatives\":[{\"title\":\"A\",\"pros\":[\"fast\"],\"cons\":[]}],"
		"\"decision\":\"Go with A\",\"rationale\":\"cheaper\",\"risks\":[{\"description\":\"lag\","
		"\"impact\":4,\"probability\":2,\"mitigation\":\"monitor\"}]}");
	w->tasks = json_tokener_parse(
		"[{\"title\":\"Write plan\",\"owner\":\"Bob\",\"due\":\"2026-12-01\",\"priority\":\"high\","
		"\"status\":\"open\",\"confidence\":0.8}]");
	assert_non_null(w->log);
	assert_non_null(w->tasks);

	/* the reference run */
	assert_int_equal(exercise(w), 0);
	expected = strndup(w->out, w->outlen);
	assert_non_null(expected);
	assert_non_null(strstr(expected, "\"outcome\":\"approved\""));

	for (i = 0;; i++) {
		seen = 0;
		live = 0;
		fail_at = i;
		armed = 1;
		rc = exercise(w);
		armed = 0;
		if (live != 0)
			fail_msg("allocation %ld failing leaked %ld blocks", i, live);
		if (seen <= i) { /* ran out of allocations to fail */
			assert_int_equal(rc, 0);
			break;
		}
		if (rc == 0) {
			/* an allocation failed and the run still succeeded: only
			 * acceptable when nothing was lost */
			if (w->outlen != strlen(expected) || memcmp(w->out, expected, w->outlen))
				fail_msg("allocation %ld failing changed the result silently", i);
		} else if (rc != XIO_ENOMEM) {
			fail_msg("allocation %ld failing gave %s, not XIO_ENOMEM", i, xio_strerror(rc));
		} else {
			failures++;
		}
	}
	assert_true(failures > 200);
	free(expected);
	json_object_put(w->log);
	json_object_put(w->tasks);
	xio_i18n_release(&w->i18n);
	xio_personas_release(&w->personas);
	free(w);
#endif
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_allocation_fails_once),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
