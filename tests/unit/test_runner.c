/*
 * test_runner.c — the runner with a real SQLite store: inbound dedupe, one
 * transaction per event (store failures injected at every write of a step,
 * and a write lock held by another connection), opening a consilium by each
 * alias, answers in idle threads, feeding bot events that close an outbox
 * row, timers on a manual clock, and precedents per workspace.
 *
 * Failures are injected by a store whose ops table wraps the SQLite one and
 * fails its Nth write: a fake at the port boundary, the real backend below.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "runner.h"

/* ---- a store that fails its Nth write -------------------------------- */

struct faulty {
	struct xio_store real;
	long writes;    /* write calls seen */
	long fail_at;   /* 1-based write to fail; 0 = none */
};

static int fault(struct faulty *w, struct xio_err *err)
{
	if (w->fail_at && ++w->writes == w->fail_at)
		return xio_err_set(err, XIO_EIO, "injected store failure at write %ld", w->writes);
	return 0;
}

#define REAL(w) ((w)->real.ops)
#define RIMPL(w) ((w)->real.impl)

static void f_close(void *impl)
{
	(void)impl;
}

static int f_ping(void *impl, struct xio_err *err)
{
	struct faulty *w = impl;

	return REAL(w)->ping(RIMPL(w), err);
}

static int f_begin(void *impl, struct xio_err *err)
{
	struct faulty *w = impl;

	return REAL(w)->begin(RIMPL(w), err);
}

static int f_commit(void *impl, struct xio_err *err)
{
	struct faulty *w = impl;

	/* like the SQLite backend, a failed commit leaves no transaction open */
	if (fault(w, err)) {
		REAL(w)->rollback(RIMPL(w));
		return XIO_EIO;
	}
	return REAL(w)->commit(RIMPL(w), err);
}

static void f_rollback(void *impl)
{
	struct faulty *w = impl;

	REAL(w)->rollback(RIMPL(w));
}

static int f_consilium_insert(void *impl, struct xio_consilium_row *row, struct xio_err *err)
{
	struct faulty *w = impl;

	return fault(w, err) ? XIO_EIO : REAL(w)->consilium_insert(RIMPL(w), row, err);
}

static int f_consilium_update(void *impl, const struct xio_consilium_row *row, struct xio_err *err)
{
	struct faulty *w = impl;

	return fault(w, err) ? XIO_EIO : REAL(w)->consilium_update(RIMPL(w), row, err);
}

static int f_consilium_get(void *impl, int64_t id, struct xio_consilium_row *out, struct xio_err *err)
{
	struct faulty *w = impl;

	return REAL(w)->consilium_get(RIMPL(w), id, out, err);
}

static int f_consilium_find_open(void *impl, const char *tk, struct xio_consilium_row *out,
				 struct xio_err *err)
{
	struct faulty *w = impl;

	return REAL(w)->consilium_find_open(RIMPL(w), tk, out, err);
}

static int f_consilium_find_latest(void *impl, const char *tk, struct xio_consilium_row *out,
				   struct xio_err *err)
{
	struct faulty *w = impl;

	return REAL(w)->consilium_find_latest(RIMPL(w), tk, out, err);
}

static int f_tasks_of_thread(void *impl, const char *tk, struct xio_task_row **out, size_t *n,
			     struct xio_err *err)
{
	struct faulty *w = impl;

	return REAL(w)->tasks_of_thread(RIMPL(w), tk, out, n, err);
}

static int f_consilium_ids(void *impl, int open_only, int64_t **ids, size_t *n, struct xio_err *err)
{
	struct faulty *w = impl;

	return REAL(w)->consilium_ids(RIMPL(w), open_only, ids, n, err);
}

static int f_consilium_next_wake(void *impl, int64_t *at, int64_t *id, struct xio_err *err)
{
	struct faulty *w = impl;

	return REAL(w)->consilium_next_wake(RIMPL(w), at, id, err);
}

static int f_message_append(void *impl, struct xio_message_row *m, struct xio_err *err)
{
	struct faulty *w = impl;

	return fault(w, err) ? XIO_EIO : REAL(w)->message_append(RIMPL(w), m, err);
}

static int f_messages_list(void *impl, int64_t cid, struct xio_message_row **out, size_t *n,
			   struct xio_err *err)
{
	struct faulty *w = impl;

	return REAL(w)->messages_list(RIMPL(w), cid, out, n, err);
}

static int f_inbound_claim(void *impl, const char *key, int64_t now, struct xio_err *err)
{
	struct faulty *w = impl;

	return fault(w, err) ? XIO_EIO : REAL(w)->inbound_claim(RIMPL(w), key, now, err);
}

static int f_outbox_put(void *impl, struct xio_outbox_row *row, struct xio_err *err)
{
	struct faulty *w = impl;

	return fault(w, err) ? XIO_EIO : REAL(w)->outbox_put(RIMPL(w), row, err);
}

static int f_outbox_due(void *impl, int64_t now, size_t max, struct xio_outbox_row **out,
			size_t *n, struct xio_err *err)
{
	struct faulty *w = impl;

	return REAL(w)->outbox_due(RIMPL(w), now, max, out, n, err);
}

static int f_outbox_heads(void *impl, size_t max, struct xio_outbox_row **out, size_t *n,
			  struct xio_err *err)
{
	struct faulty *w = impl;

	return REAL(w)->outbox_heads(RIMPL(w), max, out, n, err);
}

static int f_outbox_head(void *impl, int64_t cid, struct xio_outbox_row *out, struct xio_err *err)
{
	struct faulty *w = impl;

	return REAL(w)->outbox_head(RIMPL(w), cid, out, err);
}

static void f_outbox_touched(void *impl, int64_t **ids, size_t *n, int *all)
{
	struct faulty *w = impl;

	REAL(w)->outbox_touched(RIMPL(w), ids, n, all);
}

static int f_outbox_update(void *impl, const struct xio_outbox_row *row, struct xio_err *err)
{
	struct faulty *w = impl;

	return fault(w, err) ? XIO_EIO : REAL(w)->outbox_update(RIMPL(w), row, err);
}

static int f_outbox_next_try(void *impl, int64_t *at, struct xio_err *err)
{
	struct faulty *w = impl;

	return REAL(w)->outbox_next_try(RIMPL(w), at, err);
}

static int f_outbox_list(void *impl, int64_t cid, struct xio_outbox_row **out, size_t *n,
			 struct xio_err *err)
{
	struct faulty *w = impl;

	return REAL(w)->outbox_list(RIMPL(w), cid, out, n, err);
}

static int f_decision_put(void *impl, int64_t cid, const char *ws, const char *status,
			  const char *log, const char *tasks, int64_t now, struct xio_err *err)
{
	struct faulty *w = impl;

	return fault(w, err) ? XIO_EIO
			     : REAL(w)->decision_put(RIMPL(w), cid, ws, status, log, tasks, now, err);
}

static int f_decision_get(void *impl, int64_t cid, char **status, char **log, char **tasks,
			  struct xio_err *err)
{
	struct faulty *w = impl;

	return REAL(w)->decision_get(RIMPL(w), cid, status, log, tasks, err);
}

static int f_precedents(void *impl, const char *ws, const char *q, size_t limit,
			struct xio_precedent **out, size_t *n, struct xio_err *err)
{
	struct faulty *w = impl;

	return REAL(w)->precedents(RIMPL(w), ws, q, limit, out, n, err);
}

static const struct xio_store_ops faulty_ops = {
	.name = "faulty",
	.close = f_close,
	.ping = f_ping,
	.begin = f_begin,
	.commit = f_commit,
	.rollback = f_rollback,
	.consilium_insert = f_consilium_insert,
	.consilium_update = f_consilium_update,
	.consilium_get = f_consilium_get,
	.consilium_find_open = f_consilium_find_open,
	.consilium_find_latest = f_consilium_find_latest,
	.tasks_of_thread = f_tasks_of_thread,
	.consilium_ids = f_consilium_ids,
	.consilium_next_wake = f_consilium_next_wake,
	.message_append = f_message_append,
	.messages_list = f_messages_list,
	.inbound_claim = f_inbound_claim,
	.outbox_put = f_outbox_put,
	.outbox_due = f_outbox_due,
	.outbox_heads = f_outbox_heads,
	.outbox_head = f_outbox_head,
	.outbox_touched = f_outbox_touched,
	.outbox_update = f_outbox_update,
	.outbox_next_try = f_outbox_next_try,
	.outbox_list = f_outbox_list,
	.decision_put = f_decision_put,
	.decision_get = f_decision_get,
	.precedents = f_precedents,
};

/* ---- fixture ---------------------------------------------------------- */

struct fx {
	char dir[64];
	char path[128];
	struct faulty w;
	struct xio_store st;   /* faulty_ops over w */
	struct xio_personas personas;
	struct xio_i18n i18n;
	struct xio_engine eng;
	struct xio_log *log;
	int64_t now;
	struct xio_clock clock;
	struct xio_runner r;
	long seq;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct xio_err err;

	assert_non_null(f);
	strcpy(f->dir, "/tmp/xio-runner-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/xio.db", f->dir);
	assert_int_equal(xio_store_open_sqlite(&f->w.real, f->path, 20, 0, &err), 0);
	f->st.ops = &faulty_ops;
	f->st.impl = &f->w;
	assert_int_equal(xio_personas_load(&f->personas, NULL, &err), 0);
	assert_int_equal(xio_i18n_load(&f->i18n, NULL, &err), 0);
	f->log = xio_log_new(-1, XIO_LOG_JSON, XIO_LOG_ERROR);
	assert_non_null(f->log);
	f->eng.personas = &f->personas;
	f->eng.i18n = &f->i18n;
	f->eng.log = f->log;
	f->eng.language = "auto";
	f->eng.max_rounds = 2;
	f->eng.time_limit_ms = 3600 * 1000;
	f->eng.human_timeout_ms = 600 * 1000;
	f->eng.require_approval = 1;
	f->now = 1764000000000LL;
	f->clock.now_ms = xio_clock_manual_now;
	f->clock.ud = &f->now;
	assert_int_equal(xio_runner_init(&f->r, NULL, &f->st, &f->eng, NULL, f->log, &f->clock), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	char cmd[160];

	xio_runner_release(&f->r);
	xio_store_close(&f->w.real);
	xio_log_free(f->log);
	xio_i18n_release(&f->i18n);
	xio_personas_release(&f->personas);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

/* Says text in thread tk of workspace ws as author, with a fresh id unless
 * id is given. */
static int say_full(struct fx *f, const char *tk, const char *ws, const char *author,
		    const char *text, const char *id, int hint, const char *lang)
{
	struct xio_inbound in = { 0 };
	struct xio_err err = { 0 };
	char idbuf[32];

	if (!id) {
		snprintf(idbuf, sizeof(idbuf), "m%ld", ++f->seq);
		id = idbuf;
	}
	in.platform = "test";
	in.chat = "C1";
	in.thread = tk;
	in.thread_key = tk;
	in.workspace = ws;
	in.author = author;
	in.text = text;
	in.msg_id = id;
	in.time_ms = f->now;
	in.hint_when_idle = hint;
	in.lang = lang;
	return xio_runner_input(&f->r, &in, &err);
}

static int say(struct fx *f, const char *tk, const char *author, const char *text)
{
	return say_full(f, tk, "W1", author, text, NULL, 1, NULL);
}

/* The open consilium of thread tk (0 when none). */
static int64_t open_id(struct fx *f, const char *tk)
{
	struct xio_consilium_row row = { 0 };
	struct xio_err err;
	int64_t id = 0;

	if (f->w.real.ops->consilium_find_open(f->w.real.impl, tk, &row, &err) == 0)
		id = row.id;
	xio_consilium_row_release(&row);
	return id;
}

/* Counts outbox rows of consilium cid (0 = all) whose payload contains
 * needle (NULL = any). */
static size_t outbox_count(struct fx *f, int64_t cid, const char *needle)
{
	struct xio_outbox_row *v = NULL;
	struct xio_err err;
	size_t n = 0, i, hits = 0;

	assert_int_equal(f->w.real.ops->outbox_list(f->w.real.impl, cid, &v, &n, &err), 0);
	for (i = 0; i < n; i++)
		if ((!cid || v[i].consilium_id == cid) && (!needle || strstr(v[i].payload, needle)))
			hits++;
	xio_outbox_rows_free(v, n);
	return hits;
}

/* Rows in a table, read through a second connection: what a crash right
 * now would leave. */
static size_t table_rows(struct fx *f, const char *table)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	char sql[64];
	size_t n;

	snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s", table);
	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	n = (size_t)sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return n;
}

static size_t message_count(struct fx *f, int64_t cid)
{
	struct xio_message_row *v = NULL;
	struct xio_err err;
	size_t n = 0;

	assert_int_equal(f->w.real.ops->messages_list(f->w.real.impl, cid, &v, &n, &err), 0);
	xio_message_rows_free(v, n);
	return n;
}

static size_t consilium_count(struct fx *f)
{
	int64_t *ids = NULL;
	struct xio_err err;
	size_t n = 0;

	assert_int_equal(f->w.real.ops->consilium_ids(f->w.real.impl, 0, &ids, &n, &err), 0);
	free(ids);
	return n;
}

/* ---- tests ------------------------------------------------------------ */

static void test_open_by_each_alias(void **state)
{
	struct fx *f = *state;
	const char *lines[] = { "/consilium Move billing to Postgres?", "/xio Move billing to Postgres?",
				"/council Move billing to Postgres?", "/консилиум Переносим биллинг?" };
	char tk[16];
	size_t i;

	for (i = 0; i < 4; i++) {
		struct xio_consilium *c;
		struct xio_err err;
		int64_t id;

		snprintf(tk, sizeof(tk), "t%zu", i);
		assert_int_equal(say(f, tk, "Alice", lines[i]), 0);
		id = open_id(f, tk);
		assert_true(id > 0);
		c = xio_runner_load(&f->r, id, &err);
		assert_non_null(c);
		assert_int_equal(c->phase, XIO_PHASE_DISCUSSION);
		assert_string_equal(c->question, strchr(lines[i], ' ') + 1);
		assert_string_equal(c->lang, i == 3 ? "ru" : "en");
		assert_string_equal(c->waiting_for, "Alice");
		xio_consilium_free(c);
		/* the opening command is the transcript's first line */
		assert_true(message_count(f, id) >= 2);
		assert_true(outbox_count(f, id, "Agenda") + outbox_count(f, id, "Повестка") >= 1);
	}
	assert_int_equal(consilium_count(f), 4);
	assert_int_equal(f->r.steps, 4);
	/* a second /consilium in the same thread does not open another */
	assert_int_equal(say(f, "t0", "Bob", "/consilium Something else?"), 0);
	assert_int_equal(consilium_count(f), 4);
	assert_int_equal(outbox_count(f, open_id(f, "t0"), "already running"), 1);
	/* /consilium without a question opens nothing */
	assert_int_equal(say(f, "t9", "Bob", "/consilium"), 0);
	assert_int_equal(open_id(f, "t9"), 0);
}

static void test_inbound_dedupe(void **state)
{
	struct fx *f = *state;
	size_t msgs, rows;
	int64_t id;

	assert_int_equal(say_full(f, "t", "W1", "Alice", "/consilium Q?", "X1", 1, NULL), 0);
	id = open_id(f, "t");
	assert_int_equal(say_full(f, "t", "W1", "Alice", "I think A", "X2", 1, NULL), 0);
	msgs = message_count(f, id);
	rows = outbox_count(f, 0, NULL);
	/* the same platform ids again: nothing happens, nothing is stored */
	assert_int_equal(say_full(f, "t", "W1", "Alice", "I think A", "X2", 1, NULL), XIO_EDUP);
	assert_int_equal(say_full(f, "t", "W1", "Alice", "/consilium Q?", "X1", 1, NULL), XIO_EDUP);
	assert_int_equal(message_count(f, id), msgs);
	assert_int_equal(outbox_count(f, 0, NULL), rows);
	assert_int_equal(consilium_count(f), 1);
	assert_int_equal(f->r.steps, 2);
	/* ids are per message, not per text: the same words with a new id count */
	assert_int_equal(say_full(f, "t", "W1", "Alice", "I think A", "X3", 1, NULL), 0);
	assert_true(message_count(f, id) > msgs);
	/* an idle answer is deduplicated too */
	assert_int_equal(say_full(f, "idle", "W1", "Bob", "hello", "X4", 1, NULL), 0);
	assert_int_equal(say_full(f, "idle", "W1", "Bob", "hello", "X4", 1, NULL), XIO_EDUP);
	assert_int_equal(outbox_count(f, 0, "There is no consilium"), 1);
}

/* Every write of a step fails in turn: each time nothing at all is stored
 * and the same event, delivered again, goes through. */
static void test_store_failure_at_every_write(void **state)
{
	struct fx *f = *state;
	const char *events[][2] = {
		{ "Alice", "/consilium Should we move billing to Postgres?" },
		{ "Bob", "I think we should, by Friday" },
		{ "Alice", "Agreed" },
		{ "Alice", "/decide" },
		{ "Carol", "/status" },
	};
	size_t e;
	int injected = 0;

	for (e = 0; e < sizeof(events) / sizeof(events[0]); e++) {
		char id[16];
		long k;

		snprintf(id, sizeof(id), "E%zu", e);
		for (k = 1;; k++) {
			size_t msgs_before = table_rows(f, "messages"), rows_before = table_rows(f, "outbox");
			size_t cons_before = table_rows(f, "consiliums"), in_before = table_rows(f, "inbound");
			size_t dec_before = table_rows(f, "decisions");
			uint64_t steps = f->r.steps;
			int rc;

			f->w.writes = 0;
			f->w.fail_at = k;
			rc = say_full(f, "t", "W1", events[e][0], events[e][1], id, 1, NULL);
			f->w.fail_at = 0;
			if (rc == 0) {
				assert_true(f->w.writes < k); /* no write left to fail */
				break;
			}
			injected++;
			assert_int_equal(rc, XIO_EIO);
			assert_int_equal(table_rows(f, "messages"), msgs_before);
			assert_int_equal(table_rows(f, "outbox"), rows_before);
			assert_int_equal(table_rows(f, "consiliums"), cons_before);
			assert_int_equal(table_rows(f, "inbound"), in_before);
			assert_int_equal(table_rows(f, "decisions"), dec_before);
			assert_int_equal(f->r.steps, steps);
			assert_true(k < 100);
		}
		/* and once through, it is a duplicate */
		assert_int_equal(say_full(f, "t", "W1", events[e][0], events[e][1], id, 1, NULL),
				 XIO_EDUP);
	}
	assert_true(injected >= 15);
	assert_int_equal(consilium_count(f), 1);
}

static void test_store_locked_by_another_connection(void **state)
{
	struct fx *f = *state;
	sqlite3 *db = NULL;

	assert_int_equal(say_full(f, "t", "W1", "Alice", "/consilium Q?", "L1", 1, NULL), 0);
	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
	/* the store's busy timeout (20 ms) runs out: an error, nothing stored */
	{
		size_t msgs = message_count(f, open_id(f, "t"));
		int rc = say_full(f, "t", "W1", "Alice", "my view", "L2", 1, NULL);

		assert_true(rc < 0 && rc != XIO_EDUP);
		assert_int_equal(message_count(f, open_id(f, "t")), msgs);
	}
	assert_int_equal(sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	/* delivered again once the lock is gone */
	assert_int_equal(say_full(f, "t", "W1", "Alice", "my view", "L2", 1, NULL), 0);
	assert_int_equal(say_full(f, "t", "W1", "Alice", "my view", "L2", 1, NULL), XIO_EDUP);
}

static void test_idle_thread_answers(void **state)
{
	struct fx *f = *state;

	/* plain text with hints on: one hint */
	assert_int_equal(say_full(f, "a", "W1", "Bob", "hello there", NULL, 1, NULL), 0);
	assert_int_equal(outbox_count(f, 0, "There is no consilium in this thread yet"), 1);
	/* hints off (a busy group chat): silence */
	assert_int_equal(say_full(f, "a", "W1", "Bob", "just chatting", NULL, 0, NULL), 0);
	assert_int_equal(outbox_count(f, 0, NULL), 1);
	/* a command that needs a consilium says so, hints or not */
	assert_int_equal(say_full(f, "a", "W1", "Bob", "/pause", NULL, 0, NULL), 0);
	assert_int_equal(outbox_count(f, 0, "/pause works in a consilium"), 1);
	/* an unknown command too */
	assert_int_equal(say_full(f, "a", "W1", "Bob", "/frobnicate", NULL, 0, NULL), 0);
	assert_int_equal(outbox_count(f, 0, "I don't know the command /frobnicate"), 1);
	/* /consilium without a question: its usage */
	assert_int_equal(say_full(f, "a", "W1", "Bob", "/consilium", NULL, 0, NULL), 0);
	assert_int_equal(outbox_count(f, 0, "Usage: /consilium <question>"), 1);
	/* Cyrillic text gets the Russian hint; a configured language wins */
	assert_int_equal(say_full(f, "a", "W1", "Боб", "привет", NULL, 1, NULL), 0);
	assert_int_equal(outbox_count(f, 0, "В этой ветке ещё нет консилиума"), 1);
	assert_int_equal(say_full(f, "a", "W1", "Bob", "hi", NULL, 1, "ru"), 0);
	assert_int_equal(outbox_count(f, 0, "В этой ветке ещё нет консилиума"), 2);
	/* nothing was opened, and the rows are bound to no consilium */
	assert_int_equal(consilium_count(f), 0);
	assert_int_equal(outbox_count(f, 0, "\"thread\":\"a\""), 6);
}

static void test_help_without_consilium(void **state)
{
	struct fx *f = *state;

	assert_int_equal(say_full(f, "h", "W1", "Bob", "/help", NULL, 0, NULL), 0);
	assert_int_equal(outbox_count(f, 0, "/amend <field> <text>"), 1);
	assert_int_equal(outbox_count(f, 0, "nothing to help"), 0);
	assert_int_equal(say_full(f, "h", "W1", "Боб", "/help", NULL, 0, "ru"), 0);
	assert_int_equal(outbox_count(f, 0, "/amend"), 2);
	assert_int_equal(consilium_count(f), 0);
}

/* Opens a consilium in tk, decides, delivers the decision by feeding it (as
 * the producer would) and approves; returns its id. */
static int64_t run_to_approval(struct fx *f, const char *tk, const char *ws, const char *q,
			       const char *decision)
{
	struct xio_outbox_row *v = NULL;
	struct xio_event ev = { 0 };
	struct xio_err err;
	char line[256], logj[512];
	int64_t id, produce_id = 0;
	size_t n = 0, i;
	json_object *log, *tasks;
	char *status = NULL, *lj = NULL, *tj = NULL;

	snprintf(line, sizeof(line), "/consilium %s", q);
	assert_int_equal(say_full(f, tk, ws, "Alice", line, NULL, 1, NULL), 0);
	id = open_id(f, tk);
	assert_true(id > 0);
	assert_int_equal(say_full(f, tk, ws, "Alice", "/decide", NULL, 1, NULL), 0);
	assert_int_equal(f->w.real.ops->outbox_list(f->w.real.impl, id, &v, &n, &err), 0);
	for (i = 0; i < n; i++)
		if (strcmp(v[i].kind, "produce") == 0)
			produce_id = v[i].id;
	xio_outbox_rows_free(v, n);
	assert_true(produce_id > 0);
	snprintf(logj, sizeof(logj),
		 "{\"question\":\"%s\",\"alternatives\":[],\"decision\":\"%s\","
		 "\"rationale\":\"cheaper\",\"risks\":[]}", q, decision);
	log = json_tokener_parse(logj);
	tasks = json_tokener_parse("[]");
	ev.kind = XIO_EV_DECISION_READY;
	ev.now = f->now;
	ev.log = log;
	ev.tasks = tasks;
	ev.source = "extractor";
	assert_int_equal(xio_runner_feed(&f->r, id, &ev, produce_id, &err), 0);
	json_object_put(log);
	json_object_put(tasks);
	/* the produce row was closed in the same transaction */
	assert_int_equal(f->w.real.ops->outbox_list(f->w.real.impl, id, &v, &n, &err), 0);
	for (i = 0; i < n; i++)
		if (v[i].id == produce_id)
			assert_int_equal(v[i].state, XIO_OUTBOX_DONE);
	xio_outbox_rows_free(v, n);
	assert_int_equal(f->w.real.ops->decision_get(f->w.real.impl, id, &status, &lj, &tj, &err), 0);
	assert_string_equal(status, "draft");
	free(status);
	free(lj);
	free(tj);
	assert_int_equal(say_full(f, tk, ws, "Bob", "/approve", NULL, 1, NULL), 0);
	assert_int_equal(open_id(f, tk), 0); /* closed */
	return id;
}

/* After /approve or /stop a command that needs an open consilium says what
 * became of the last one, not that there is "nothing to status". */
static void test_commands_after_close(void **state)
{
	struct fx *f = *state;

	run_to_approval(f, "c", "W1", "Billing?", "Go");
	assert_int_equal(say_full(f, "c", "W1", "Bob", "/status", NULL, 0, NULL), 0);
	assert_int_equal(say_full(f, "c", "W1", "Bob", "/approve", NULL, 0, NULL), 0);
	assert_int_equal(outbox_count(f, 0, "The consilium “Billing?” was approved on 20"), 2);
	assert_int_equal(outbox_count(f, 0, "nothing to"), 0);
	assert_int_equal(say_full(f, "c", "W1", "Bob", "/consilium Again?", NULL, 0, NULL), 0);
	assert_int_equal(say_full(f, "c", "W1", "Bob", "/stop", NULL, 0, NULL), 0);
	assert_int_equal(say_full(f, "c", "W1", "Bob", "/amend decision X", NULL, 0, NULL), 0);
	assert_int_equal(outbox_count(f, 0, "The consilium “Again?” was stopped without a decision"), 1);
}

static void test_feed_marks_outbox_done_atomically(void **state)
{
	struct fx *f = *state;
	struct xio_outbox_row *v = NULL;
	struct xio_event ev = { 0 };
	struct xio_err err;
	int64_t id, produce_id = 0;
	size_t n = 0, i, msgs;
	json_object *log, *tasks;
	long k;

	assert_int_equal(say(f, "t", "Alice", "/consilium Q?"), 0);
	id = open_id(f, "t");
	assert_int_equal(say(f, "t", "Alice", "/decide"), 0);
	assert_int_equal(f->w.real.ops->outbox_list(f->w.real.impl, id, &v, &n, &err), 0);
	for (i = 0; i < n; i++)
		if (strcmp(v[i].kind, "produce") == 0)
			produce_id = v[i].id;
	xio_outbox_rows_free(v, n);
	assert_true(produce_id > 0);
	log = json_tokener_parse("{\"question\":\"Q?\",\"alternatives\":[],\"decision\":\"Go\","
				 "\"rationale\":\"r\",\"risks\":[]}");
	tasks = json_tokener_parse("[]");
	ev.kind = XIO_EV_DECISION_READY;
	ev.now = f->now;
	ev.log = log;
	ev.tasks = tasks;
	ev.source = "extractor";
	/* a failure at any write, the last (marking the row done) included,
	 * leaves both the consilium and the row as they were */
	for (k = 1;; k++) {
		int rc;

		msgs = message_count(f, id);
		f->w.writes = 0;
		f->w.fail_at = k;
		rc = xio_runner_feed(&f->r, id, &ev, produce_id, &err);
		f->w.fail_at = 0;
		if (rc == 0)
			break;
		assert_int_equal(message_count(f, id), msgs);
		assert_int_equal(outbox_count(f, id, "Go"), 0);
		assert_int_equal(f->w.real.ops->outbox_list(f->w.real.impl, id, &v, &n, &err), 0);
		for (i = 0; i < n; i++)
			if (v[i].id == produce_id)
				assert_int_equal(v[i].state, XIO_OUTBOX_PENDING);
		xio_outbox_rows_free(v, n);
		assert_true(k < 50);
	}
	assert_true(k > 2);
	assert_int_equal(f->w.real.ops->outbox_list(f->w.real.impl, id, &v, &n, &err), 0);
	for (i = 0; i < n; i++)
		if (v[i].id == produce_id)
			assert_int_equal(v[i].state, XIO_OUTBOX_DONE);
	xio_outbox_rows_free(v, n);
	{
		struct xio_consilium *c = xio_runner_load(&f->r, id, &err);

		assert_non_null(c);
		assert_int_equal(c->phase, XIO_PHASE_APPROVAL);
		xio_consilium_free(c);
	}
	json_object_put(log);
	json_object_put(tasks);
	/* feeding an unknown consilium fails cleanly */
	assert_true(xio_runner_feed(&f->r, 9999, &ev, 0, &err) < 0);
}

static int64_t wake_of(struct fx *f, int64_t id)
{
	struct xio_consilium_row row = { 0 };
	struct xio_err err;
	int64_t w;

	assert_int_equal(f->w.real.ops->consilium_get(f->w.real.impl, id, &row, &err), 0);
	w = row.wake_at;
	xio_consilium_row_release(&row);
	return w;
}

static void test_timers_on_manual_clock(void **state)
{
	struct fx *f = *state;
	struct xio_consilium *c;
	struct xio_err err;
	int64_t id, t0 = f->now;

	assert_int_equal(say(f, "t", "Alice", "/consilium Q?"), 0);
	assert_int_equal(say(f, "t", "Bob", "hi all"), 0);
	id = open_id(f, "t");
	assert_int_equal(wake_of(f, id), t0 + 600 * 1000); /* Alice's answer is due */
	/* nothing is due yet */
	f->now = t0 + 599 * 1000;
	xio_runner_tick(&f->r);
	assert_int_equal(outbox_count(f, id, "has not answered"), 0);
	/* the human timeout passes: the Moderator moves on */
	f->now = t0 + 601 * 1000;
	xio_runner_tick(&f->r);
	assert_int_equal(outbox_count(f, id, "Alice has not answered"), 1);
	assert_true(wake_of(f, id) > f->now);
	/* a tick again at the same instant does nothing more */
	xio_runner_tick(&f->r);
	assert_int_equal(outbox_count(f, id, "has not answered"), 1);
	/* the discussion's time limit passes: on to the decision */
	f->now = t0 + 3601 * 1000;
	xio_runner_tick(&f->r);
	assert_int_equal(outbox_count(f, id, "time limit"), 1);
	c = xio_runner_load(&f->r, id, &err);
	assert_non_null(c);
	assert_int_equal(c->phase, XIO_PHASE_DECISION);
	xio_consilium_free(c);
	assert_int_equal(wake_of(f, id), 0);
	/* pausing clears the wake time */
	assert_int_equal(say(f, "p", "Alice", "/consilium P?"), 0);
	assert_int_equal(say(f, "p", "Alice", "/pause"), 0);
	assert_int_equal(wake_of(f, open_id(f, "p")), 0);
	assert_false(xio_runner_all_wait_for_humans(&f->r)); /* "t" is deciding */
}

static void guard_cb(uv_timer_t *t)
{
	(void)t;
}

static int loop_input(struct xio_runner *r, const char *text, const char *id, int64_t at)
{
	struct xio_inbound in = { .platform = "test", .chat = "C", .thread = "t", .thread_key = "t",
				  .workspace = "W1", .author = "Alice", .text = text,
				  .msg_id = id, .time_ms = at };
	struct xio_err err;

	return xio_runner_input(r, &in, &err);
}

/* With a loop, the runner arms its own timer from the stored wake time,
 * delivers the TIMER when it fires, and closes it cleanly. */
static void test_timer_on_loop(void **state)
{
	struct fx *f = *state;
	struct xio_runner r;
	uv_loop_t loop;
	uv_timer_t guard;
	int64_t id, t0 = f->now;
	int spins = 0;

	assert_int_equal(uv_loop_init(&loop), 0);
	assert_int_equal(xio_runner_init(&r, &loop, &f->st, &f->eng, NULL, f->log, &f->clock), 0);
	assert_int_equal(loop_input(&r, "/consilium Q?", "T1", t0), 0);
	id = open_id(f, "t");
	/* the clock jumps past Alice's deadline; the next commit re-arms the
	 * timer, which is now due at once */
	f->now = t0 + 601 * 1000;
	assert_int_equal(loop_input(&r, "/status", "T2", t0), 0);
	assert_int_equal(outbox_count(f, id, "has not answered"), 0);
	/* a guard bounds each wait should the timer be armed wrongly */
	uv_timer_init(&loop, &guard);
	uv_timer_start(&guard, guard_cb, 2000, 2000);
	while (outbox_count(f, id, "has not answered") == 0 && spins++ < 3)
		uv_run(&loop, UV_RUN_ONCE);
	assert_int_equal(outbox_count(f, id, "Alice has not answered"), 1);
	uv_close((uv_handle_t *)&guard, NULL);
	xio_runner_release(&r);
	assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
	assert_int_equal(uv_loop_close(&loop), 0);
}

static void test_precedents_per_workspace(void **state)
{
	struct fx *f = *state;
	int64_t a, b, c;

	run_to_approval(f, "t1", "W1", "Should we move billing to Postgres?", "Move billing in Q1");
	/* the same workspace: the Moderator recalls it */
	assert_int_equal(say_full(f, "t2", "W1", "Alice", "/consilium Postgres for billing reports?",
				  NULL, 1, NULL), 0);
	a = open_id(f, "t2");
	assert_int_equal(outbox_count(f, a, "Earlier decisions"), 1);
	assert_int_equal(outbox_count(f, a, "Move billing in Q1"), 1);
	/* another workspace: nothing leaks across */
	assert_int_equal(say_full(f, "t3", "W2", "Alice", "/consilium Postgres for billing reports?",
				  NULL, 1, NULL), 0);
	b = open_id(f, "t3");
	assert_int_equal(outbox_count(f, b, "Earlier decisions"), 0);
	assert_int_equal(outbox_count(f, b, "Move billing in Q1"), 0);
	/* an unrelated question in the same workspace recalls nothing */
	assert_int_equal(say_full(f, "t4", "W1", "Alice", "/consilium Which logo colour?", NULL, 1,
				  NULL), 0);
	c = open_id(f, "t4");
	assert_int_equal(outbox_count(f, c, "Earlier decisions"), 0);
}

static void test_bad_inbound(void **state)
{
	struct fx *f = *state;
	struct xio_inbound in = { .thread_key = "t", .author = "A", .msg_id = "x" };
	struct xio_err err;

	assert_int_equal(xio_runner_input(&f->r, &in, &err), XIO_EINVAL);
	in.text = "hi";
	in.msg_id = NULL;
	assert_int_equal(xio_runner_input(&f->r, &in, &err), XIO_EINVAL);
	assert_int_equal(consilium_count(f), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_open_by_each_alias, setup, teardown),
		cmocka_unit_test_setup_teardown(test_inbound_dedupe, setup, teardown),
		cmocka_unit_test_setup_teardown(test_store_failure_at_every_write, setup, teardown),
		cmocka_unit_test_setup_teardown(test_store_locked_by_another_connection, setup, teardown),
		cmocka_unit_test_setup_teardown(test_idle_thread_answers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_help_without_consilium, setup, teardown),
		cmocka_unit_test_setup_teardown(test_commands_after_close, setup, teardown),
		cmocka_unit_test_setup_teardown(test_feed_marks_outbox_done_atomically, setup, teardown),
		cmocka_unit_test_setup_teardown(test_timers_on_manual_clock, setup, teardown),
		cmocka_unit_test_setup_teardown(test_timer_on_loop, setup, teardown),
		cmocka_unit_test_setup_teardown(test_precedents_per_workspace, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_inbound, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
