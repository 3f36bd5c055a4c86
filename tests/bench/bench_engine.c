/*
 * bench_engine.c — engine steps/s and committed steps/s for many concurrent
 * consiliums.
 *
 * Workload per consilium (14 steps): /consilium, 9 messages from three
 * humans, /status, /decide, the decision draft, /approve.  Consiliums are
 * interleaved step by step, as concurrent threads would be.  Part 1 runs the
 * pure state machine in memory; part 2 runs the same events through the
 * runner into the SQLite store (WAL, synchronous=NORMAL), one transaction
 * per step, as the service does.
 *
 * usage: bench_engine [CONSILIUMS] [DB_PATH]     (defaults 10000, a temp file)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "clock.h"
#include "engine.h"
#include "runner.h"
#include "store.h"

static const char *const people[] = { "Alice", "Bob", "Carol" };
static const char *const lines[] = {
	"I think we should migrate, replication broke twice.",
	"Risk: data loss during cutover. We need a rollback plan.",
	"Option A: one weekend. Option B: dual-write for a month.",
	"Dual-write is safer but doubles the code paths.",
	"I'll write the rollback runbook by Friday.",
	"We decided to go with option B.",
	"Bob will set up the replica by Dec 15, urgent.",
	"Agreed.",
	"Fine with me.",
};
#define NSTEPS 14

static double now_s(void)
{
	return (double)xio_clock_mono_ms() / 1000.0;
}

static long rss_kb(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_maxrss;
}

static json_object *draft_log(void)
{
	return json_tokener_parse(
		"{\"question\":\"Move billing to Postgres?\",\"alternatives\":[{\"title\":\"Dual-write\","
		"\"pros\":[\"safe\"],\"cons\":[\"two paths\"]}],\"decision\":\"Go with dual-write\","
		"\"rationale\":\"safer\",\"risks\":[],\"thread\":{\"platform\":\"console\",\"chat\":\"b\","
		"\"thread\":\"\"}}");
}

static json_object *draft_tasks(void)
{
	return json_tokener_parse("[{\"title\":\"Runbook\",\"owner\":\"Carol\",\"due\":\"2026-12-04\","
				  "\"priority\":\"high\",\"status\":\"open\",\"confidence\":0.9}]");
}

/* The event of step k for consilium i (text buffers are static per call). */
static void make_event(int k, struct xio_event *ev, int64_t now, json_object *log, json_object *tasks)
{
	memset(ev, 0, sizeof(*ev));
	ev->now = now;
	if (k == 0) {
		ev->kind = XIO_EV_START;
		ev->author = "Alice";
		ev->text = "Should we move billing to Postgres?";
	} else if (k <= 9) {
		ev->kind = XIO_EV_MESSAGE;
		ev->author = people[(k - 1) % 3];
		ev->text = lines[k - 1];
	} else if (k == 10) {
		ev->kind = XIO_EV_COMMAND;
		ev->author = "Bob";
		ev->text = "/status";
	} else if (k == 11) {
		ev->kind = XIO_EV_COMMAND;
		ev->author = "Alice";
		ev->text = "/decide";
	} else if (k == 12) {
		ev->kind = XIO_EV_DECISION_READY;
		ev->log = log;
		ev->tasks = tasks;
		ev->source = "extractor";
	} else {
		ev->kind = XIO_EV_COMMAND;
		ev->author = "Bob";
		ev->text = "/approve";
	}
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 10000;
	char dbpath[256];
	struct xio_personas personas;
	struct xio_i18n i18n;
	struct xio_engine eng = { 0 };
	struct xio_consilium **cs;
	struct xio_store store;
	struct xio_runner runner;
	struct xio_err err;
	json_object *log = draft_log(), *tasks = draft_tasks();
	int64_t now = 1764000000000LL, *ids;
	double t0, t1;
	long steps = 0, actions = 0;
	int i, k;

	if (n <= 0)
		n = 10000;
	if (argc > 2)
		snprintf(dbpath, sizeof(dbpath), "%s", argv[2]);
	else
		snprintf(dbpath, sizeof(dbpath), "/tmp/xio-bench-%d.db", (int)getpid());
	if (xio_personas_load(&personas, NULL, &err) || xio_i18n_load(&i18n, NULL, &err)) {
		fprintf(stderr, "bench: %s\n", err.msg);
		return 1;
	}
	eng.personas = &personas;
	eng.i18n = &i18n;
	eng.language = "auto";
	eng.max_rounds = 3;
	eng.time_limit_ms = 3600000;
	eng.human_timeout_ms = 900000;
	eng.require_approval = 1;

	/* Part 1: the pure state machine. */
	cs = calloc((size_t)n, sizeof(*cs));
	for (i = 0; i < n; i++) {
		cs[i] = xio_consilium_new();
		cs[i]->id = i + 1;
	}
	t0 = now_s();
	for (k = 0; k < NSTEPS; k++) {
		for (i = 0; i < n; i++) {
			struct xio_event ev;
			struct xio_actions a;

			make_event(k, &ev, now + k * 1000, log, tasks);
			xio_actions_init(&a);
			if (xio_engine_step(&eng, cs[i], &ev, &a)) {
				fprintf(stderr, "bench: step failed\n");
				return 1;
			}
			actions += (long)a.n;
			xio_actions_release(&a);
			steps++;
		}
	}
	t1 = now_s();
	for (i = 0; i < n; i++) {
		if (cs[i]->phase != XIO_PHASE_CLOSED) {
			fprintf(stderr, "bench: consilium %d ended in %s\n", i, xio_phase_name(cs[i]->phase));
			return 1;
		}
		xio_consilium_free(cs[i]);
	}
	free(cs);
	printf("engine (in memory): %d consiliums, %ld steps, %ld actions in %.2f s: %.0f steps/s\n",
	       n, steps, actions, t1 - t0, (double)steps / (t1 - t0));

	/* Part 2: the same events, each committed to SQLite by the runner. */
	unlink(dbpath);
	if (xio_store_open_sqlite(&store, dbpath, 5000, 0, &err)) {
		fprintf(stderr, "bench: %s\n", err.msg);
		return 1;
	}
	xio_runner_init(&runner, NULL, &store, &eng, NULL, NULL, &xio_clock_system);
	ids = calloc((size_t)n, sizeof(*ids));
	steps = 0;
	t0 = now_s();
	for (k = 0; k < NSTEPS; k++) {
		for (i = 0; i < n; i++) {
			struct xio_event ev;
			char key[64], thread[64], id[64];
			int rc;

			make_event(k, &ev, now + k * 1000, log, tasks);
			if (ev.kind == XIO_EV_DECISION_READY) {
				rc = xio_runner_feed(&runner, ids[i], &ev, 0, &err);
			} else {
				struct xio_inbound in = { 0 };

				snprintf(thread, sizeof(thread), "bench:%d", i);
				snprintf(id, sizeof(id), "bench:%d:%d", i, k);
				in.platform = "console";
				in.chat = thread;
				in.thread = "";
				in.thread_key = thread;
				in.workspace = "bench";
				in.author = ev.author;
				in.text = k == 0 ? "/consilium Should we move billing to Postgres?" : ev.text;
				in.msg_id = id;
				in.time_ms = ev.now;
				rc = xio_runner_input(&runner, &in, &err);
				if (!rc && k == 0) {
					struct xio_consilium_row row = { 0 };

					rc = store.ops->consilium_find_open(store.impl, thread, &row, &err);
					ids[i] = row.id;
					xio_consilium_row_release(&row);
				}
			}
			(void)key;
			if (rc) {
				fprintf(stderr, "bench: committed step %d/%d: %s\n", i, k, err.msg);
				return 1;
			}
			steps++;
		}
	}
	t1 = now_s();
	printf("runner + SQLite (WAL, synchronous=NORMAL): %d consiliums, %ld committed steps in %.2f s: "
	       "%.0f committed steps/s\n", n, steps, t1 - t0, (double)steps / (t1 - t0));
	printf("peak RSS: %ld KiB\n", rss_kb());
	xio_runner_release(&runner);
	xio_store_close(&store);
	free(ids);
	unlink(dbpath);
	{
		char side[300];

		snprintf(side, sizeof(side), "%s-wal", dbpath);
		unlink(side);
		snprintf(side, sizeof(side), "%s-shm", dbpath);
		unlink(side);
	}
	json_object_put(log);
	json_object_put(tasks);
	xio_i18n_release(&i18n);
	xio_personas_release(&personas);
	return 0;
}
