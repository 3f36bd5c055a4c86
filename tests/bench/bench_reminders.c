/*
 * bench_reminders.c — the scheduler under a million pending reminders.
 *
 * Fills a fresh SQLite store with N reminders spread over a year and a
 * thousand threads, then measures what a restart costs: opening the store
 * and arming the timer (only the next reminder is loaded — memory must not
 * grow with N), and how late reminders fire on a real loop with the real
 * clock while the million wait.  Prints the figures; fails when a reminder
 * is lost, sent twice, or fires more than a second late.
 *
 *   bench_reminders [N]      (default 1000000)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine.h"
#include "runner.h"
#include "scheduler.h"
#include "store.h"

#define PROBES 20

struct probe {
	uv_loop_t *loop;
	int fired;
	int64_t late_sum, late_max;
};

static long rss_kb(const char *field)
{
	char line[256];
	long v = -1;
	FILE *f = fopen("/proc/self/status", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, field, strlen(field)))
			v = strtol(line + strlen(field) + 1, NULL, 10);
	fclose(f);
	return v;
}

static void fired_cb(void *ud, int64_t due_at, int64_t now)
{
	struct probe *p = ud;
	int64_t late = now - due_at;

	p->fired++;
	p->late_sum += late;
	if (late > p->late_max)
		p->late_max = late;
	if (p->fired >= PROBES)
		uv_stop(p->loop);
}

static int64_t make_consilium(struct xio_store *st, int64_t now)
{
	struct xio_consilium *c = xio_consilium_new();
	struct xio_consilium_row row = { 0 };
	struct xio_err err;

	c->thread_key = strdup("bench:1");
	c->workspace = strdup("w");
	c->platform = strdup("console");
	c->chat = strdup("local");
	c->thread = strdup("");
	c->question = strdup("bench");
	c->outcome = strdup("approved");
	strcpy(c->lang, "en");
	c->phase = XIO_PHASE_CLOSED;
	c->tasks = json_tokener_parse("[{\"title\":\"t\",\"owner\":\"Ann\",\"due\":null,"
				      "\"priority\":\"low\",\"status\":\"open\",\"confidence\":1}]");
	row.thread_key = c->thread_key;
	row.workspace = "w";
	row.question = "bench";
	row.phase = "closed";
	row.state_json = xio_consilium_to_json(c);
	row.created_at = row.updated_at = now;
	if (st->ops->consilium_insert(st->impl, &row, &err))
		abort();
	c->id = row.id;
	free(row.state_json);
	row.state_json = xio_consilium_to_json(c);
	st->ops->consilium_update(st->impl, &row, &err);
	free(row.state_json);
	xio_consilium_free(c);
	return row.id;
}

static int put(struct xio_store *st, int64_t cid, const char *key, const char *thread,
	       int64_t at, int64_t now)
{
	struct xio_reminder_row r = { 0 };
	struct xio_err err;

	r.key = (char *)key;
	r.consilium_id = cid;
	r.task_idx = 0;
	r.kind = "custom";
	r.thread_key = (char *)thread;
	r.due_at = at;
	r.created_at = now;
	if (st->ops->reminder_put(st->impl, &r, &err)) {
		fprintf(stderr, "put: %s\n", err.msg);
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 1000000;
	char dir[] = "/tmp/xio-bench-XXXXXX", path[256], key[64], thread[32];
	struct xio_store st = { 0 };
	struct xio_personas personas;
	struct xio_i18n i18n;
	struct xio_engine eng;
	struct xio_runner runner;
	struct xio_sched *s = NULL;
	struct xio_sched_opts so = { 0 };
	struct xio_sched_stats stats;
	struct xio_err err;
	struct probe probe = { 0 };
	struct xio_log *log = xio_log_new(2, XIO_LOG_HUMAN, XIO_LOG_ERROR);
	uv_loop_t loop;
	int64_t now = xio_clock_now(&xio_clock_system), t0, t1, cid;
	long rss0, rss1, i;
	size_t pending = 0, sent = 0, k;
	struct xio_reminder_row *v = NULL;
	size_t nv = 0;
	int rc = 1;

	memset(&personas, 0, sizeof(personas));
	memset(&i18n, 0, sizeof(i18n));
	memset(&runner, 0, sizeof(runner));
	uv_loop_init(&loop);
	if (n < 1 || !mkdtemp(dir) || !log)
		return 2;
	snprintf(path, sizeof(path), "%s/bench.db", dir);
	if (xio_store_open_sqlite(&st, path, 5000, 0, &err)) {
		fprintf(stderr, "%s\n", err.msg);
		return 2;
	}
	/* fill: one transaction, N reminders from an hour to a year ahead */
	t0 = xio_clock_mono_ms();
	xio_store_begin(&st, &err);
	cid = make_consilium(&st, now);
	for (i = 0; i < n; i++) {
		snprintf(key, sizeof(key), "b:%ld", i);
		snprintf(thread, sizeof(thread), "bench:%ld", i % 1000);
		if (put(&st, cid, key, thread, now + 3600000LL + (i * 7919LL % n) * (31536000000LL / n),
			now))
			goto out;
	}
	if (xio_store_commit(&st, &err))
		goto out;
	t1 = xio_clock_mono_ms();
	printf("bench_reminders: %ld reminders stored in %lld ms\n", n, (long long)(t1 - t0));
	xio_store_close(&st);

	/* start-up: open the store, build the scheduler, arm for the next one */
	rss0 = rss_kb("VmRSS:");
	if (xio_personas_load(&personas, NULL, &err) || xio_i18n_load(&i18n, NULL, &err))
		goto out;
	memset(&eng, 0, sizeof(eng));
	eng.personas = &personas;
	eng.i18n = &i18n;
	eng.language = "en";
	t0 = xio_clock_mono_ms();
	if (xio_store_open_sqlite(&st, path, 5000, 0, &err))
		goto out;
	xio_runner_init(&runner, NULL, &st, &eng, NULL, log, &xio_clock_system);
	so.timezone = "UTC";
	if (xio_sched_new(&s, &loop, &runner, &so, log, &err))
		goto out;
	xio_sched_tick(s);
	t1 = xio_clock_mono_ms();
	rss1 = rss_kb("VmRSS:");
	printf("bench_reminders: start-up (open store, arm next of %ld) %lld ms; "
	       "RSS %ld kB -> %ld kB (+%ld kB), peak %ld kB\n",
	       n, (long long)(t1 - t0), rss0, rss1, rss1 - rss0, rss_kb("VmHWM:"));
	if (xio_sched_armed_at(s) <= now) {
		fprintf(stderr, "FAIL: not armed for a future reminder\n");
		goto out;
	}

	/* lateness: PROBES reminders due in the next second, on the real loop */
	now = xio_clock_now(&xio_clock_system);
	xio_store_begin(&st, &err);
	cid = make_consilium(&st, now);
	for (i = 0; i < PROBES; i++) {
		snprintf(key, sizeof(key), "probe:%ld", i);
		snprintf(thread, sizeof(thread), "probe:%ld", i);
		if (put(&st, cid, key, thread, now + 50 + i * 50, now))
			goto out;
	}
	xio_store_commit(&st, &err);
	xio_sched_rearm(s);
	probe.loop = &loop;
	xio_sched_on_fire(s, fired_cb, &probe);
	t0 = xio_clock_mono_ms();
	uv_run(&loop, UV_RUN_DEFAULT);
	xio_sched_stats(s, &stats);
	printf("bench_reminders: %d probes fired among %ld pending; lateness avg %.1f ms, max %lld ms "
	       "(%lld ms wall)\n",
	       probe.fired, n, probe.fired ? (double)probe.late_sum / probe.fired : 0.0,
	       (long long)probe.late_max, (long long)(xio_clock_mono_ms() - t0));
	if (probe.fired != PROBES || probe.late_max > 1000) {
		fprintf(stderr, "FAIL: %d of %d fired, max lateness %lld ms\n", probe.fired, PROBES,
			(long long)probe.late_max);
		goto out;
	}
	/* exactly once: the probes are sent, nothing else is */
	if (st.ops->reminders_due(st.impl, now + 2000, 10, &v, &nv, &err) || nv != 0) {
		fprintf(stderr, "FAIL: %zu probes still pending\n", nv);
		goto out;
	}
	xio_reminder_rows_free(v, nv);
	v = NULL;
	if (st.ops->reminders_list(st.impl, cid, &v, &nv, &err))
		goto out;
	for (k = 0; k < nv; k++) {
		pending += v[k].state == XIO_REMINDER_PENDING;
		sent += v[k].state == XIO_REMINDER_SENT;
	}
	/* the million are all still ahead: the next is the earliest of them */
	if (sent != PROBES || pending != 0 || stats.messages != PROBES ||
	    st.ops->reminder_next(st.impl, &t1, &err) || t1 < now + 3000000LL) {
		fprintf(stderr, "FAIL: sent %zu, pending %zu, messages %llu\n", sent, pending,
			(unsigned long long)stats.messages);
		goto out;
	}
	printf("bench_reminders: ok\n");
	rc = 0;
out:
	xio_reminder_rows_free(v, nv);
	xio_sched_free(s);
	uv_run(&loop, UV_RUN_NOWAIT);
	uv_loop_close(&loop);
	xio_runner_release(&runner);
	xio_store_close(&st);
	xio_i18n_release(&i18n);
	xio_personas_release(&personas);
	xio_log_free(log);
	snprintf(path, sizeof(path), "rm -rf '%s'", dir);
	if (system(path) != 0)
		rc = rc ? rc : 1;
	return rc;
}
