/*
 * bench_llm.c — many AI consiliums at once against the fake LLM.
 *
 * usage: bench_llm [CONSILIUMS=1000] [LATENCY_MS=50] [CONCURRENCY=256]
 *
 * Starts tests/fakes/fake_llm.py with a fixed reply latency, wires the core
 * as the service does (SQLite store in a temporary directory, runner,
 * outbox, a chat adapter that discards posts, the LLM ask handler and the
 * LLM decision draft) and opens CONSILIUMS consiliums at once, each with a
 * human opener who speaks once; two AI experts then speak, the Moderator
 * judges consensus, and the Integrator and the Scribe draft the decision.
 * It prints completed consiliums per second, the p50/p99 latency each LLM
 * turn gained inside XIO (from the ask row's creation to the answer fed
 * back, minus the completion itself: queueing, the concurrency limit, prompt
 * building, SQLite), and the peak RSS.  Exit 1 if a consilium did not reach
 * its decision.
 */
#include <fcntl.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "llm/ask.h"
#include "llm/llm.h"
#include "outbox.h"
#include "post.h"
#include "produce.h"
#include "runner.h"

struct bench {
	struct xio_loop loop;
	struct xio_store store;
	struct xio_personas personas;
	struct xio_i18n i18n;
	struct xio_engine eng;
	struct xio_outbox *outbox;
	struct xio_runner runner;
	struct xio_poster poster;
	struct xio_producer producer;
	struct xio_llm *llm;
	struct xio_llm_ask ask;
	sqlite3 *db;
	uv_timer_t tick;
	int n, done;
	double t0, t_end;
};

static double now_s(void)
{
	return (double)xio_clock_mono_ms() / 1000.0;
}

static void discard_post(void *impl, const struct xio_post *p, xio_chat_done_cb cb, void *ud)
{
	(void)impl;
	(void)p;
	cb(ud, 0, -1, NULL, NULL);
}

static const struct xio_chat_ops discard_ops = { "console", discard_post, discard_post };

static void tick_cb(uv_timer_t *t)
{
	struct bench *b = t->data;
	sqlite3_stmt *st = NULL;

	if (sqlite3_prepare_v2(b->db, "SELECT count(*) FROM consiliums WHERE phase='approval'", -1, &st,
			       NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		b->done = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	if (b->done >= b->n || now_s() - b->t0 > (getenv("BENCH_MAX_S") ? atof(getenv("BENCH_MAX_S")) : 300)) {
		b->t_end = now_s();
		uv_timer_stop(t);
		uv_stop(&b->loop.uv);
	}
}

static pid_t start_fake(const char *dir, int latency, int *port)
{
	char script[1024], pf[512], lat[32], sc[512];
	const char *src = getenv("XIO_SOURCE_DIR");
	FILE *f;
	pid_t pid;
	int i;

	snprintf(script, sizeof(script), "%s/tests/fakes/fake_llm.py", src ? src : ".");
	snprintf(pf, sizeof(pf), "%s/port", dir);
	snprintf(sc, sizeof(sc), "%s/script.json", dir);
	snprintf(lat, sizeof(lat), "%d", latency);
	f = fopen(sc, "w");
	if (!f)
		return -1;
	fputs("{\"consensus_round\": 1}", f);
	fclose(f);
	pid = fork();
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);

		if (null >= 0)
			dup2(null, 1);
		execlp("python3", "python3", script, "--port-file", pf, "--latency-ms", lat, "--script", sc,
		       (char *)NULL);
		_exit(127);
	}
	*port = 0;
	for (i = 0; i < 1000 && *port <= 0; i++) {
		f = fopen(pf, "r");
		if (f) {
			if (fscanf(f, "%d", port) != 1)
				*port = 0;
			fclose(f);
		}
		if (*port <= 0)
			usleep(10000);
	}
	return pid;
}

static int cmp64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 1000, latency = argc > 2 ? atoi(argv[2]) : 50;
	int conc = argc > 3 ? atoi(argv[3]) : 256, port = 0, i, rc = 1;
	char dir[] = "/tmp/xio-bench-llm-XXXXXX", path[256], url[128];
	struct xio_outbox_opts oo = { .max_attempts = 10, .backoff_base_ms = 50, .backoff_max_ms = 2000 };
	struct xio_llm_opts lo = { 0 };
	struct xio_llm_ask_opts ao = { 0 };
	struct bench *b = calloc(1, sizeof(*b));
	struct xio_err err;
	struct rusage ru;
	int64_t *ov = NULL;
	size_t nov = 0;
	sqlite3_stmt *st = NULL;
	pid_t pid;

	if (!b || !mkdtemp(dir))
		return 1;
	pid = start_fake(dir, latency, &port);
	if (pid <= 0 || port <= 0) {
		fprintf(stderr, "bench_llm: the fake LLM did not start\n");
		return 1;
	}
	snprintf(path, sizeof(path), "%s/bench.db", dir);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/v1", port);
	if (uv_loop_init(&b->loop.uv) || xio_store_open_sqlite(&b->store, path, 5000, 0, &err) ||
	    xio_personas_load(&b->personas, "", &err) || xio_i18n_load(&b->i18n, "", &err)) {
		fprintf(stderr, "bench_llm: %s\n", err.msg);
		goto out;
	}
	b->n = n;
	b->eng.personas = &b->personas;
	b->eng.i18n = &b->i18n;
	b->eng.language = "en";
	b->eng.max_rounds = 2;
	b->eng.time_limit_ms = 3600000;
	b->eng.human_timeout_ms = 3600000;
	b->eng.require_approval = 1;
	b->eng.ai_experts = 1;
	xio_outbox_new(&b->outbox, &b->loop.uv, &b->store, &xio_clock_system, NULL, &oo);
	xio_runner_init(&b->runner, &b->loop.uv, &b->store, &b->eng, b->outbox, NULL, &xio_clock_system);
	if (xio_producer_init(&b->producer, &b->runner, "", "UTC", NULL, &err)) {
		fprintf(stderr, "bench_llm: %s\n", err.msg);
		goto out;
	}
	b->eng.validate = xio_producer_validate;
	b->eng.validate_ud = &b->producer;
	xio_poster_init(&b->poster, NULL);
	xio_poster_add(&b->poster, (struct xio_chat){ &discard_ops, NULL });
	xio_outbox_register(b->outbox, &b->poster.handler);
	xio_outbox_register(b->outbox, &b->producer.handler);
	lo.base_url = url;
	lo.model = "bench";
	lo.stream = 1;
	lo.max_concurrency = conc;
	lo.max_retries = 3;
	lo.timeout_ms = 60000;
	lo.first_token_ms = 30000;
	if (xio_llm_new(&b->llm, &b->loop, &lo, &err) ||
	    xio_llm_ask_init(&b->ask, &b->loop.uv, b->llm, &b->runner, &b->producer, &ao, NULL, &err)) {
		fprintf(stderr, "bench_llm: %s\n", err.msg);
		goto out;
	}
	xio_outbox_register(b->outbox, &b->ask.handler);
	xio_llm_ask_hook_producer(&b->ask);
	sqlite3_open(path, &b->db);

	b->t0 = now_s();
	for (i = 0; i < n; i++) {
		char key[64], id[64], q[128];
		struct xio_inbound in = { .platform = "console", .chat = "c", .thread = "", .workspace = "w",
					  .author = "Bench" };

		snprintf(key, sizeof(key), "bench:%d", i);
		snprintf(q, sizeof(q), "/consilium Which store for report %d?", i);
		snprintf(id, sizeof(id), "m%d-0", i);
		in.thread_key = key;
		in.thread = key;
		in.text = q;
		in.msg_id = id;
		if (xio_runner_input(&b->runner, &in, &err)) {
			fprintf(stderr, "bench_llm: %s\n", err.msg);
			goto out;
		}
		snprintf(id, sizeof(id), "m%d-1", i);
		in.text = "Reports are slow and the budget is small.";
		in.msg_id = id;
		xio_runner_input(&b->runner, &in, &err);
	}
	uv_timer_init(&b->loop.uv, &b->tick);
	b->tick.data = b;
	uv_timer_start(&b->tick, tick_cb, 50, 50);
	uv_run(&b->loop.uv, UV_RUN_DEFAULT);

	if (sqlite3_prepare_v2(b->db, "SELECT overhead_ms FROM llm_calls WHERE outcome='ok' AND purpose IN ('turn','judge','select')",
			       -1, &st, NULL) == SQLITE_OK) {
		ov = calloc((size_t)n * 8 + 1, sizeof(*ov));
		while (ov && sqlite3_step(st) == SQLITE_ROW && nov < (size_t)n * 8)
			ov[nov++] = sqlite3_column_int64(st, 0);
	}
	sqlite3_finalize(st);
	if (ov && nov)
		qsort(ov, nov, sizeof(*ov), cmp64);
	getrusage(RUSAGE_SELF, &ru);
	printf("bench_llm: %d/%d consiliums reached their decision in %.2f s "
	       "(fake LLM latency %d ms, %d completions in flight at most)\n",
	       b->done, n, b->t_end - b->t0, latency, conc);
	printf("bench_llm: %.1f completed consiliums/s, %zu LLM turns\n",
	       b->done / (b->t_end - b->t0), nov);
	if (nov)
		printf("bench_llm: added latency per LLM turn inside XIO: p50 %lld ms, p99 %lld ms\n",
		       (long long)ov[nov / 2], (long long)ov[nov * 99 / 100]);
	printf("bench_llm: peak RSS %ld KiB\n", ru.ru_maxrss);
	rc = b->done >= n ? 0 : 1;
out:
	free(ov);
	if (b->db)
		sqlite3_close(b->db);
	xio_llm_ask_release(&b->ask);
	xio_llm_free(b->llm);
	if (b->outbox) {
		xio_outbox_stop(b->outbox);
		xio_outbox_free(b->outbox);
	}
	xio_runner_release(&b->runner);
	if (b->tick.data)
		uv_close((uv_handle_t *)&b->tick, NULL);
	uv_run(&b->loop.uv, UV_RUN_DEFAULT);
	uv_loop_close(&b->loop.uv);
	xio_producer_release(&b->producer);
	xio_store_close(&b->store);
	xio_i18n_release(&b->i18n);
	xio_personas_release(&b->personas);
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
	snprintf(path, sizeof(path), getenv("BENCH_KEEP") ? "true %s" : "rm -rf '%s'", dir);
	if (system(path) != 0)
		rc = 1;
	free(b);
	return rc;
}
