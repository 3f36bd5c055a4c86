/*
 * test_outbox.c — the outbox dispatcher on a real libuv loop and a real
 * SQLite store, with a manual clock and a fake handler that records what it
 * was asked to do and answers as each test scripts it.
 *
 * Time never passes by itself here: retries are scheduled far in the future
 * in real time (a large backoff base), and the tests advance the manual
 * clock and kick the dispatcher instead, so nothing depends on timing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "outbox.h"

#define MAX_CALLS 64

/* One call of the fake handler.  What it answers depends on the row's
 * payload ("always_fail", "flaky") and on the fixture (hold, fail_times). */
struct call {
	char key[64];
	int64_t cid;
	int unknown;
};

struct fx {
	char dir[64];
	char path[128];
	uv_loop_t loop;
	struct xio_store st;
	struct xio_log *log;
	int64_t now;
	struct xio_clock clock;
	struct xio_outbox *ob;
	struct xio_outbox_handler h;
	struct call calls[MAX_CALLS];
	size_t ncalls;
	struct xio_outbox_job *held[MAX_CALLS]; /* jobs the handler kept */
	size_t nheld;
	int fail_times;          /* EAGAIN this many times, then succeed */
	int64_t retry_after;     /* reported with EAGAIN */
	int hold;                /* keep jobs instead of finishing them */
	int progress;
	struct xio_metrics *metrics;
};

static unsigned rand_zero_cb(void *ud)
{
	(void)ud;
	return 0;
}

static void perform_cb(void *ud, struct xio_outbox_job *job)
{
	struct fx *f = ud;
	struct call *c;

	assert_true(f->ncalls < MAX_CALLS);
	c = &f->calls[f->ncalls++];
	snprintf(c->key, sizeof(c->key), "%s", job->row.key);
	c->cid = job->row.consilium_id;
	c->unknown = job->unknown_outcome;
	if (f->hold) {
		f->held[f->nheld++] = job;
		return;
	}
	if (strstr(job->row.payload, "\"always_fail\"")) {
		xio_outbox_done(job, XIO_EAGAIN, -1, NULL, "still down");
		return;
	}
	if (f->fail_times > 0 && strstr(job->row.payload, "\"maybe_sent\"")) {
		/* timed out after the request went out: the outcome is unknown */
		f->fail_times--;
		job->unknown_outcome = 1;
		xio_outbox_done(job, XIO_EAGAIN, 0, NULL, "no answer");
		return;
	}
	if (strstr(job->row.payload, "\"record\"")) {
		assert_int_equal(xio_outbox_defer_kv(f->ob, "rec:k", "v1"), 0);
		xio_outbox_done(job, 0, -1, "{}", NULL);
		return;
	}
	if (f->fail_times > 0 && strstr(job->row.payload, "\"flaky\"")) {
		f->fail_times--;
		xio_outbox_done(job, XIO_EAGAIN, f->retry_after, NULL, "try later");
		return;
	}
	xio_outbox_done(job, 0, -1, "{\"ts\":\"1\"}", NULL);
}

/* A job that commits at once while the jobs start (as the producer's does
 * through the runner): no pass may be carried then. */
static void committing_perform_cb(void *ud, struct xio_outbox_job *job)
{
	struct fx *f = ud;
	struct xio_err err;

	assert_int_equal(xio_store_begin(&f->st, &err), 0);
	assert_true(xio_store_outermost(&f->st));
	assert_false(xio_outbox_can_prepare(f->ob));
	assert_int_equal(xio_store_commit(&f->st, &err), 0);
	perform_cb(ud, job);
}

static void progress_cb(void *ud)
{
	((struct fx *)ud)->progress++;
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct xio_outbox_opts o = { 0 };
	struct xio_err err;

	assert_non_null(f);
	strcpy(f->dir, "/tmp/xio-outbox-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/xio.db", f->dir);
	assert_int_equal(uv_loop_init(&f->loop), 0);
	assert_int_equal(xio_store_open_sqlite(&f->st, f->path, 1000, 0, &err), 0);
	f->log = xio_log_new(-1, XIO_LOG_JSON, XIO_LOG_ERROR);
	assert_non_null(f->log);
	f->now = 1764000000000LL;
	f->clock.now_ms = xio_clock_manual_now;
	f->clock.ud = &f->now;
	o.max_attempts = 3;
	o.backoff_base_ms = 1000000; /* real timers never fire in a test */
	o.backoff_max_ms = 8000000;
	o.rand_cb = rand_zero_cb;
	f->metrics = xio_metrics_new();
	assert_non_null(f->metrics);
	o.metrics = f->metrics;
	assert_int_equal(xio_outbox_new(&f->ob, &f->loop, &f->st, &f->clock, f->log, &o), 0);
	f->h.kind = "post";
	f->h.perform = perform_cb;
	f->h.ud = f;
	assert_int_equal(xio_outbox_register(f->ob, &f->h), 0);
	xio_outbox_on_progress(f->ob, progress_cb, f);
	*state = f;
	return 0;
}

static void spin(struct fx *f)
{
	int i;

	for (i = 0; i < 20; i++)
		uv_run(&f->loop, UV_RUN_NOWAIT);
}

static int teardown(void **state)
{
	struct fx *f = *state;
	char cmd[160];

	if (f->ob)
		xio_outbox_free(f->ob);
	assert_int_equal(uv_run(&f->loop, UV_RUN_DEFAULT), 0);
	assert_int_equal(uv_loop_close(&f->loop), 0); /* no handle leaked */
	xio_store_close(&f->st);
	xio_log_free(f->log);
	xio_metrics_free(f->metrics);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

static int64_t put(struct fx *f, int64_t cid, const char *key, const char *kind, const char *payload)
{
	struct xio_outbox_row r = { 0 };
	struct xio_err err;

	r.key = (char *)key;
	r.consilium_id = cid;
	r.kind = (char *)kind;
	r.payload = (char *)(payload ? payload : "{}");
	r.next_try_at = f->now;
	r.created_at = f->now;
	assert_int_equal(f->st.ops->outbox_put(f->st.impl, &r, &err), 0);
	return r.id;
}

/* Reads row key back from the store. */
static struct xio_outbox_row get(struct fx *f, const char *key)
{
	struct xio_outbox_row *v = NULL, out = { 0 };
	struct xio_err err;
	size_t n = 0, i;

	assert_int_equal(f->st.ops->outbox_list(f->st.impl, 0, &v, &n, &err), 0);
	for (i = 0; i < n; i++)
		if (strcmp(v[i].key, key) == 0) {
			out = v[i];
			memset(&v[i], 0, sizeof(v[i]));
		}
	xio_outbox_rows_free(v, n);
	assert_non_null(out.key);
	return out;
}

static int state_of(struct fx *f, const char *key)
{
	struct xio_outbox_row r = get(f, key);
	int s = r.state;

	xio_outbox_row_release(&r);
	return s;
}

/* Rows outside a consilium get a lane per chat: negative (never a
 * consilium's id), stable, and different for different chats. */
static void test_lanes(void **state)
{
	int64_t a = xio_outbox_lane("telegram", "-100"), b = xio_outbox_lane("telegram", "-101");

	(void)state;
	assert_true(a < 0);
	assert_true(b < 0);
	assert_true(a != b);
	assert_true(a == xio_outbox_lane("telegram", "-100"));
	assert_true(xio_outbox_lane("slack", "-100") != a);
	assert_true(xio_outbox_lane("ab", "c") != xio_outbox_lane("a", "bc"));
	assert_true(xio_outbox_lane(NULL, NULL) < 0);
}

static void test_order_per_consilium_and_parallel(void **state)
{
	struct fx *f = *state;
	struct xio_outbox_stats st;
	size_t i;

	f->hold = 1;
	put(f, 1, "c1:a", "post", NULL);
	put(f, 2, "c2:a", "post", NULL);
	put(f, 1, "c1:b", "post", NULL);
	put(f, 2, "c2:b", "post", NULL);
	put(f, 1, "c1:c", "post", NULL);
	xio_outbox_kick(f->ob);
	spin(f);
	/* the first row of each consilium, both at once, nothing else */
	assert_int_equal(f->ncalls, 2);
	assert_string_equal(f->calls[0].key, "c1:a");
	assert_string_equal(f->calls[1].key, "c2:a");
	assert_int_equal(state_of(f, "c1:a"), XIO_OUTBOX_INFLIGHT);
	xio_outbox_stats(f->ob, &st);
	assert_int_equal(st.inflight, 2);
	assert_false(xio_outbox_idle(f->ob));
	/* another pass while they are in flight starts nothing new */
	xio_outbox_kick(f->ob);
	spin(f);
	assert_int_equal(f->ncalls, 2);
	/* finishing c2:a lets c2:b go, not c1:b */
	xio_outbox_done(f->held[1], 0, -1, NULL, NULL);
	spin(f);
	assert_int_equal(f->ncalls, 3);
	assert_string_equal(f->calls[2].key, "c2:b");
	assert_int_equal(state_of(f, "c2:a"), XIO_OUTBOX_DONE);
	/* from now on finish everything as it comes */
	f->hold = 0;
	xio_outbox_done(f->held[0], 0, -1, NULL, NULL);
	xio_outbox_done(f->held[2], 0, -1, NULL, NULL);
	spin(f);
	assert_int_equal(f->ncalls, 5);
	assert_string_equal(f->calls[3].key, "c1:b");
	assert_string_equal(f->calls[4].key, "c1:c");
	for (i = 0; i < f->ncalls; i++)
		assert_int_equal(f->calls[i].unknown, 0);
	assert_int_equal(state_of(f, "c1:c"), XIO_OUTBOX_DONE);
	xio_outbox_stats(f->ob, &st);
	assert_int_equal(st.performed, 5);
	assert_int_equal(st.inflight, 0);
	assert_true(xio_outbox_idle(f->ob));
	assert_true(f->progress > 0);
}

static void test_retry_backoff_and_hold_back(void **state)
{
	struct fx *f = *state;
	struct xio_outbox_row r;
	struct xio_outbox_stats st;
	int64_t t0 = f->now;

	f->fail_times = 2;
	f->retry_after = -1;
	put(f, 1, "c1:a", "post", "{\"do\":\"flaky\"}");
	put(f, 1, "c1:b", "post", NULL);
	put(f, 2, "c2:a", "post", NULL);
	xio_outbox_kick(f->ob);
	spin(f);
	/* c1:a failed once: backoff = base/2 + rand%(base/2+1) with rand 0 */
	r = get(f, "c1:a");
	assert_int_equal(r.state, XIO_OUTBOX_PENDING);
	assert_int_equal(r.attempts, 1);
	assert_int_equal(r.next_try_at, t0 + 500000);
	assert_string_equal(r.last_error, "try later");
	xio_outbox_row_release(&r);
	/* c2 is not held back by c1; c1:b is */
	assert_int_equal(state_of(f, "c2:a"), XIO_OUTBOX_DONE);
	assert_int_equal(state_of(f, "c1:b"), XIO_OUTBOX_PENDING);
	assert_int_equal(f->ncalls, 2);
	assert_false(xio_outbox_idle(f->ob));
	/* not yet due: a kick does nothing */
	f->now = t0 + 499999;
	xio_outbox_kick(f->ob);
	spin(f);
	assert_int_equal(f->ncalls, 2);
	/* due: second failure doubles the cap */
	f->now = t0 + 500000;
	xio_outbox_kick(f->ob);
	spin(f);
	assert_int_equal(f->ncalls, 3);
	r = get(f, "c1:a");
	assert_int_equal(r.attempts, 2);
	assert_int_equal(r.next_try_at, f->now + 1000000);
	xio_outbox_row_release(&r);
	assert_int_equal(state_of(f, "c1:b"), XIO_OUTBOX_PENDING);
	/* third try succeeds; c1:b follows in the same run */
	f->now += 1000000;
	xio_outbox_kick(f->ob);
	spin(f);
	assert_int_equal(f->ncalls, 5);
	assert_string_equal(f->calls[3].key, "c1:a");
	assert_string_equal(f->calls[4].key, "c1:b");
	assert_int_equal(state_of(f, "c1:a"), XIO_OUTBOX_DONE);
	assert_int_equal(state_of(f, "c1:b"), XIO_OUTBOX_DONE);
	xio_outbox_stats(f->ob, &st);
	assert_int_equal(st.retried, 2);
	assert_int_equal(st.performed, 3);
	assert_true(xio_outbox_idle(f->ob));
}

static void test_retry_after_honoured(void **state)
{
	struct fx *f = *state;
	struct xio_outbox_row r;

	f->fail_times = 1;
	f->retry_after = 1234;
	put(f, 1, "c1:a", "post", "{\"do\":\"flaky\"}");
	xio_outbox_kick(f->ob);
	spin(f);
	r = get(f, "c1:a");
	assert_int_equal(r.next_try_at, f->now + 1234);
	xio_outbox_row_release(&r);
	f->now += 1233;
	xio_outbox_kick(f->ob);
	spin(f);
	assert_int_equal(f->ncalls, 1);
	f->now += 1;
	xio_outbox_kick(f->ob);
	spin(f);
	assert_int_equal(f->ncalls, 2);
	assert_int_equal(state_of(f, "c1:a"), XIO_OUTBOX_DONE);
}

/* A retry after an outcome the handler could not know stays "in flight":
 * the next attempt is told to check first. */
static void test_unknown_outcome_retry_checks(void **state)
{
	struct fx *f = *state;

	f->fail_times = 1;
	put(f, 1, "c1:a", "post", "{\"do\":\"maybe_sent\"}");
	xio_outbox_kick(f->ob);
	spin(f); /* fails with retry_after 0: the retry runs at once */
	assert_int_equal(f->ncalls, 2);
	assert_int_equal(f->calls[0].unknown, 0);
	assert_int_equal(f->calls[1].unknown, 1);
	assert_int_equal(state_of(f, "c1:a"), XIO_OUTBOX_DONE);
}

/* What a handler records with xio_outbox_defer_kv is written with the
 * row's outcome. */
static void test_deferred_record_written_with_outcome(void **state)
{
	struct fx *f = *state;
	struct xio_err err;
	char *v = NULL;

	put(f, 1, "c1:a", "post", "{\"do\":\"record\"}");
	xio_outbox_kick(f->ob);
	spin(f);
	assert_int_equal(state_of(f, "c1:a"), XIO_OUTBOX_DONE);
	assert_int_equal(f->st.ops->kv_get(f->st.impl, "rec:k", &v, &err), 0);
	assert_string_equal(v, "v1");
	free(v);
	assert_true(xio_outbox_idle(f->ob));
}

/* A pass carried by the caller's transaction: the rows put in it are
 * marked in flight by that one commit, and start only after it. */
static void test_pass_carried_by_commit(void **state)
{
	struct fx *f = *state;
	struct xio_outbox_handler h2 = { "commit", committing_perform_cb, NULL };
	struct xio_err err;

	h2.ud = f;
	assert_false(xio_outbox_handles(f->ob, "commit"));
	assert_int_equal(xio_outbox_register(f->ob, &h2), 0);
	/* what /export asks before it queues a row */
	assert_true(xio_outbox_handles(f->ob, "commit"));
	assert_true(xio_outbox_handles(f->ob, "post"));
	assert_false(xio_outbox_handles(f->ob, "export"));
	assert_false(xio_outbox_handles(NULL, "post"));
	f->hold = 1;
	assert_int_equal(xio_store_begin(&f->st, &err), 0);
	put(f, 1, "c1:a", "commit", NULL);
	put(f, 2, "c2:a", "post", NULL);
	assert_true(xio_store_outermost(&f->st));
	assert_true(xio_outbox_can_prepare(f->ob));
	assert_int_equal(xio_outbox_prepare(f->ob, &err), 0);
	assert_false(xio_outbox_can_prepare(f->ob));
	assert_int_equal(f->ncalls, 0); /* nothing starts before the commit */
	assert_int_equal(xio_store_commit(&f->st, &err), 0);
	assert_int_equal(state_of(f, "c1:a"), XIO_OUTBOX_INFLIGHT);
	assert_int_equal(state_of(f, "c2:a"), XIO_OUTBOX_INFLIGHT);
	xio_outbox_launch(f->ob);
	assert_int_equal(f->ncalls, 2); /* each once, the committing one too */
	assert_string_equal(f->calls[0].key, "c1:a");
	assert_string_equal(f->calls[1].key, "c2:a");
	assert_true(xio_outbox_can_prepare(f->ob));
	f->hold = 0;
	for (size_t i = 0; i < f->nheld; i++)
		xio_outbox_done(f->held[i], 0, -1, NULL, NULL);
	f->nheld = 0;
	xio_outbox_kick(f->ob);
	spin(f);
	assert_int_equal(state_of(f, "c1:a"), XIO_OUTBOX_DONE);
	assert_int_equal(state_of(f, "c2:a"), XIO_OUTBOX_DONE);
	assert_int_equal(f->ncalls, 2);
}

/* A carried pass whose commit fails starts nothing and leaves the rows
 * pending for the next pass. */
static void test_pass_carried_then_rolled_back(void **state)
{
	struct fx *f = *state;
	struct xio_err err;

	put(f, 1, "c1:a", "post", NULL);
	assert_int_equal(xio_store_begin(&f->st, &err), 0);
	assert_int_equal(xio_outbox_prepare(f->ob, &err), 0);
	xio_store_rollback(&f->st);
	xio_outbox_abort(f->ob, "test: rolled back");
	assert_int_equal(f->ncalls, 0);
	assert_int_equal(state_of(f, "c1:a"), XIO_OUTBOX_PENDING);
	spin(f); /* the next pass waits a second: nothing yet */
	f->now += 2000;
	xio_outbox_kick(f->ob);
	spin(f);
	assert_int_equal(f->ncalls, 1);
	assert_int_equal(state_of(f, "c1:a"), XIO_OUTBOX_DONE);
}

/* xio_outbox_effects_total{kind,outcome}. */
static double effects(struct fx *f, const char *kind, const char *outcome)
{
	return xio_counter_value(xio_metrics_counter(f->metrics, "xio_outbox_effects_total", "",
						     "kind", kind, "outcome", outcome, NULL));
}

static void test_max_attempts_then_failed(void **state)
{
	struct fx *f = *state;
	struct xio_outbox_stats st;
	struct xio_outbox_row r;
	int i;

	put(f, 1, "c1:a", "post", "{\"do\":\"always_fail\"}");
	put(f, 1, "c1:b", "post", NULL);
	for (i = 0; i < 5; i++) {
		xio_outbox_kick(f->ob);
		spin(f);
		f->now += 10000000; /* beyond any backoff */
	}
	r = get(f, "c1:a");
	assert_int_equal(r.state, XIO_OUTBOX_FAILED);
	assert_int_equal(r.attempts, 3); /* max_attempts */
	assert_string_equal(r.last_error, "still down");
	xio_outbox_row_release(&r);
	assert_int_equal(state_of(f, "c1:b"), XIO_OUTBOX_DONE);
	assert_int_equal(f->ncalls, 4);
	xio_outbox_stats(f->ob, &st);
	assert_int_equal(st.failed, 1);
	assert_int_equal(st.retried, 2);
	assert_true(xio_outbox_idle(f->ob));
	/* the same outcomes by kind, for the dashboard's export success */
	assert_true(effects(f, "post", "failed") == 1);
	assert_true(effects(f, "post", "retried") == 2);
	assert_true(effects(f, "post", "performed") == 1);
	assert_true(effects(f, "export", "performed") == 0);
}

static void test_permanent_failure(void **state)
{
	struct fx *f = *state;
	struct xio_outbox_row r;

	f->hold = 1;
	put(f, 1, "c1:a", "post", NULL);
	put(f, 1, "c1:b", "post", NULL);
	xio_outbox_kick(f->ob);
	spin(f);
	assert_int_equal(f->nheld, 1);
	f->hold = 0;
	xio_outbox_done(f->held[0], XIO_EAUTH, -1, NULL, NULL);
	spin(f);
	r = get(f, "c1:a");
	assert_int_equal(r.state, XIO_OUTBOX_FAILED);
	assert_int_equal(r.attempts, 1);
	assert_non_null(r.last_error); /* the code's text when no message */
	xio_outbox_row_release(&r);
	assert_int_equal(state_of(f, "c1:b"), XIO_OUTBOX_DONE);
}

static void test_inflight_at_start_is_checked(void **state)
{
	struct fx *f = *state;
	struct xio_outbox_stats st;
	struct xio_outbox_row r = { 0 };
	struct xio_err err;

	r.id = put(f, 1, "c1:a", "post", NULL);
	put(f, 1, "c1:b", "post", NULL);
	r.state = XIO_OUTBOX_INFLIGHT; /* a previous process died here */
	r.attempts = 1;
	r.next_try_at = f->now;
	assert_int_equal(f->st.ops->outbox_update(f->st.impl, &r, &err), 0);
	xio_outbox_kick(f->ob);
	spin(f);
	assert_int_equal(f->ncalls, 2);
	assert_string_equal(f->calls[0].key, "c1:a");
	assert_int_equal(f->calls[0].unknown, 1);
	assert_string_equal(f->calls[1].key, "c1:b");
	assert_int_equal(f->calls[1].unknown, 0);
	xio_outbox_stats(f->ob, &st);
	assert_int_equal(st.checked, 1);
	r = get(f, "c1:a");
	assert_int_equal(r.state, XIO_OUTBOX_DONE);
	assert_int_equal(r.attempts, 2);
	assert_string_equal(r.result, "{\"ts\":\"1\"}");
	xio_outbox_row_release(&r);
}

static void test_kind_without_handler_skipped(void **state)
{
	struct fx *f = *state;
	struct xio_outbox_stats st;
	struct xio_outbox_row r;

	put(f, 1, "c1:export", "export", NULL);
	put(f, 1, "c1:post", "post", NULL);
	xio_outbox_kick(f->ob);
	spin(f);
	r = get(f, "c1:export");
	assert_int_equal(r.state, XIO_OUTBOX_DONE);
	assert_non_null(strstr(r.result, "skipped"));
	xio_outbox_row_release(&r);
	assert_int_equal(f->ncalls, 1);
	assert_string_equal(f->calls[0].key, "c1:post");
	assert_int_equal(state_of(f, "c1:post"), XIO_OUTBOX_DONE);
	xio_outbox_stats(f->ob, &st);
	assert_int_equal(st.skipped, 1);
	assert_true(xio_outbox_idle(f->ob));
}

static void test_idle(void **state)
{
	struct fx *f = *state;

	/* empty outbox after a pass: idle, and progress reported */
	xio_outbox_kick(f->ob);
	assert_false(xio_outbox_idle(f->ob)); /* a pass is due */
	spin(f);
	assert_true(xio_outbox_idle(f->ob));
	assert_true(f->progress > 0);
	f->hold = 1;
	put(f, 3, "c3:a", "post", NULL);
	xio_outbox_kick(f->ob);
	spin(f);
	assert_false(xio_outbox_idle(f->ob));
	f->hold = 0;
	xio_outbox_done(f->held[0], 0, -1, NULL, NULL);
	spin(f);
	assert_true(xio_outbox_idle(f->ob));
}

static void test_free_with_jobs_in_flight(void **state)
{
	struct fx *f = *state;
	struct xio_err err;
	struct xio_outbox_opts o = { .max_attempts = 3, .backoff_base_ms = 1000000,
				     .rand_cb = rand_zero_cb };

	f->hold = 1;
	put(f, 1, "c1:a", "post", NULL);
	put(f, 2, "c2:a", "post", NULL);
	xio_outbox_kick(f->ob);
	spin(f);
	assert_int_equal(f->nheld, 2);
	/* shutdown while both are out */
	xio_outbox_free(f->ob);
	f->ob = NULL;
	spin(f);
	/* one completes after the free: must not touch the freed dispatcher
	 * nor write the store (which the application closes next) */
	xio_outbox_done(f->held[0], 0, -1, NULL, NULL);
	xio_outbox_done(f->held[1], XIO_EAGAIN, -1, NULL, NULL);
	spin(f);
	assert_int_equal(state_of(f, "c1:a"), XIO_OUTBOX_INFLIGHT);
	assert_int_equal(state_of(f, "c2:a"), XIO_OUTBOX_INFLIGHT);
	/* the next process resumes both as unknown outcomes */
	f->hold = 0;
	f->ncalls = 0;
	assert_int_equal(xio_outbox_new(&f->ob, &f->loop, &f->st, &f->clock, f->log, &o), 0);
	assert_int_equal(xio_outbox_register(f->ob, &f->h), 0);
	xio_outbox_kick(f->ob);
	spin(f);
	assert_int_equal(f->ncalls, 2);
	assert_int_equal(f->calls[0].unknown, 1);
	assert_int_equal(f->calls[1].unknown, 1);
	assert_int_equal(state_of(f, "c1:a"), XIO_OUTBOX_DONE);
	(void)err;
}

static void test_stop_then_free_idle(void **state)
{
	struct fx *f = *state;

	put(f, 1, "c1:a", "post", NULL);
	xio_outbox_stop(f->ob);
	xio_outbox_kick(f->ob); /* ignored once stopped */
	spin(f);
	assert_int_equal(f->ncalls, 0);
	assert_int_equal(state_of(f, "c1:a"), XIO_OUTBOX_PENDING);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lanes),
		cmocka_unit_test_setup_teardown(test_order_per_consilium_and_parallel, setup, teardown),
		cmocka_unit_test_setup_teardown(test_retry_backoff_and_hold_back, setup, teardown),
		cmocka_unit_test_setup_teardown(test_retry_after_honoured, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unknown_outcome_retry_checks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_deferred_record_written_with_outcome, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pass_carried_by_commit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pass_carried_then_rolled_back, setup, teardown),
		cmocka_unit_test_setup_teardown(test_max_attempts_then_failed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_permanent_failure, setup, teardown),
		cmocka_unit_test_setup_teardown(test_inflight_at_start_is_checked, setup, teardown),
		cmocka_unit_test_setup_teardown(test_kind_without_handler_skipped, setup, teardown),
		cmocka_unit_test_setup_teardown(test_idle, setup, teardown),
		cmocka_unit_test_setup_teardown(test_free_with_jobs_in_flight, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stop_then_free_idle, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
