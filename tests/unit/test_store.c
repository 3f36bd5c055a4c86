/*
 * test_store.c — the SQLite store: migrations, WAL, rows, dedupe, outbox,
 * decisions and precedent search, bad files.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store.h"

struct fx {
	char dir[64];
	char path[128];
	struct xio_store st;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	strcpy(f->dir, "/tmp/xio-store-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/sub/xio.db", f->dir);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	char cmd[160];

	xio_store_close(&f->st);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

static void test_migrate_from_empty_and_wal(void **state)
{
	struct fx *f = *state;
	struct xio_err err;
	sqlite3 *db;
	sqlite3_stmt *st;
	int v;

	assert_int_equal(xio_store_open_sqlite(&f->st, f->path, 1000, 0, &err), 0);
	assert_int_equal(xio_store_sqlite_version(&f->st, &v), 0);
	assert_int_equal(v, XIO_STORE_SCHEMA_VERSION);
	assert_int_equal(xio_store_ping(&f->st, &err), 0);
	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(st, 0), "wal");
	sqlite3_finalize(st);
	sqlite3_close(db);
}

static void test_migrate_from_each_version(void **state)
{
	struct fx *f = *state;
	struct xio_err err;
	int from, v;

	for (from = 1; from < XIO_STORE_SCHEMA_VERSION; from++) {
		char p[160];
		struct xio_outbox_row row = { 0 };

		snprintf(p, sizeof(p), "%s/v%d.db", f->dir, from);
		assert_int_equal(xio_store_open_sqlite(&f->st, p, 1000, from, &err), 0);
		assert_int_equal(xio_store_sqlite_version(&f->st, &v), 0);
		assert_int_equal(v, from);
		row.key = "k1";
		row.kind = "post";
		row.payload = "{}";
		assert_int_equal(f->st.ops->outbox_put(f->st.impl, &row, &err), 0);
		xio_store_close(&f->st);
		assert_int_equal(xio_store_open_sqlite(&f->st, p, 1000, 0, &err), 0);
		assert_int_equal(xio_store_sqlite_version(&f->st, &v), 0);
		assert_int_equal(v, XIO_STORE_SCHEMA_VERSION);
		/* what the old version stored is still there */
		row.id = 0;
		assert_int_equal(f->st.ops->outbox_put(f->st.impl, &row, &err), XIO_EDUP);
		xio_store_close(&f->st);
	}
}

/* The events table's CREATE statement as stored, or NULL. */
static char *events_sql(const char *path)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	char *sql = NULL;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT sql FROM sqlite_master WHERE name='events'",
					    -1, &st, NULL),
			 SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		sql = strdup((const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	sqlite3_close(db);
	return sql;
}

/* Migration 9 rebuilds an events table that an older build made with
 * AUTOINCREMENT: the events keep their sequence numbers, and the next one
 * follows the last.  A database created since has the table right from
 * migration 5 and skips the rebuild. */
static void test_events_keep_seq_through_v9(void **state)
{
	struct fx *f = *state;
	struct xio_err err;
	struct xio_event_row ev = { 0 }, *rows;
	int64_t last = 0;
	size_t n, i;
	sqlite3 *db;
	char *sql;

	/* a fresh database: no AUTOINCREMENT, and never renamed */
	assert_int_equal(xio_store_open_sqlite(&f->st, f->path, 1000, 0, &err), 0);
	xio_store_close(&f->st);
	sql = events_sql(f->path);
	assert_non_null(sql);
	assert_null(strstr(sql, "AUTOINCREMENT"));
	assert_non_null(strstr(sql, "CREATE TABLE events ("));
	free(sql);
	assert_int_equal(unlink(f->path), 0);

	/* a database at 8 with the table as builds before 9 made it */
	assert_int_equal(xio_store_open_sqlite(&f->st, f->path, 1000, 8, &err), 0);
	xio_store_close(&f->st);
	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db,
				      "DROP TABLE events;"
				      "CREATE TABLE events (seq INTEGER PRIMARY KEY AUTOINCREMENT,"
				      " consilium_id INTEGER NOT NULL, type TEXT NOT NULL,"
				      " data TEXT NOT NULL, created_at INTEGER NOT NULL);"
				      "CREATE INDEX events_consilium ON events(consilium_id, seq);",
				      NULL, NULL, NULL),
			 SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(xio_store_open_sqlite(&f->st, f->path, 1000, 8, &err), 0);
	ev.type = "chat_message";
	ev.data = "{\"text\":\"before\"}";
	for (i = 0; i < 5; i++) {
		ev.consilium_id = 1 + (int64_t)(i % 2);
		assert_int_equal(f->st.ops->event_append(f->st.impl, &ev, &err), 0);
		assert_true(ev.seq > last);
		last = ev.seq;
	}
	xio_store_close(&f->st);
	assert_int_equal(xio_store_open_sqlite(&f->st, f->path, 1000, 0, &err), 0);
	sql = events_sql(f->path);
	assert_non_null(sql);
	assert_null(strstr(sql, "AUTOINCREMENT"));
	free(sql);
	assert_int_equal(f->st.ops->events_list(f->st.impl, 1, 0, 10, &rows, &n, &err), 0);
	assert_int_equal(n, 3);
	assert_int_equal(rows[0].seq, 1);
	assert_int_equal(rows[1].seq, 3);
	assert_int_equal(rows[2].seq, 5);
	assert_string_equal(rows[2].data, "{\"text\":\"before\"}");
	xio_event_rows_free(rows, n);
	ev.consilium_id = 2;
	assert_int_equal(f->st.ops->event_append(f->st.impl, &ev, &err), 0);
	assert_int_equal(ev.seq, last + 1);
	assert_int_equal(f->st.ops->events_list(f->st.impl, 2, 4, 10, &rows, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_int_equal(rows[0].seq, last + 1);
	xio_event_rows_free(rows, n);
}

static void test_newer_schema_refused(void **state)
{
	struct fx *f = *state;
	struct xio_err err;
	sqlite3 *db;

	assert_int_equal(xio_store_open_sqlite(&f->st, f->path, 1000, 0, &err), 0);
	xio_store_close(&f->st);
	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "UPDATE schema_version SET version=99", 0, 0, 0), SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(xio_store_open_sqlite(&f->st, f->path, 1000, 0, &err), XIO_EINVAL);
	assert_non_null(strstr(err.msg, "newer"));
	assert_non_null(strstr(err.msg, f->path));
}

static void test_garbage_file_refused(void **state)
{
	struct fx *f = *state;
	struct xio_err err;
	char p[160];
	FILE *fp;

	snprintf(p, sizeof(p), "%s/garbage.db", f->dir);
	fp = fopen(p, "w");
	fputs("this is not a database, just text that is long enough to matter............"
	      "................................................................", fp);
	fclose(fp);
	assert_int_not_equal(xio_store_open_sqlite(&f->st, p, 1000, 0, &err), 0);
	assert_non_null(strstr(err.msg, p));
	assert_null(f->st.ops);
	snprintf(p, sizeof(p), "/proc/xio-no-such/dir/x.db");
	assert_int_not_equal(xio_store_open_sqlite(&f->st, p, 1000, 0, &err), 0);
	assert_non_null(strstr(err.msg, p));
}

static void test_consilium_rows_and_tx(void **state)
{
	struct fx *f = *state;
	struct xio_err err;
	struct xio_consilium_row r = { 0 }, got = { 0 };
	struct xio_message_row m = { 0 }, *msgs;
	size_t n;
	int64_t wake, id;

	assert_int_equal(xio_store_open_sqlite(&f->st, f->path, 1000, 0, &err), 0);
	r.thread_key = "console:local";
	r.question = "Move billing to Postgres?";
	r.phase = "discussion";
	r.state_json = "{\"a\":1}";
	r.wake_at = 5000;
	assert_int_equal(xio_store_begin(&f->st, &err), 0);
	assert_int_equal(f->st.ops->consilium_insert(f->st.impl, &r, &err), 0);
	assert_true(r.id > 0);
	m.consilium_id = r.id;
	m.author = "Alice";
	m.author_kind = "human";
	m.text = "Привет";
	assert_int_equal(f->st.ops->message_append(f->st.impl, &m, &err), 0);
	assert_int_equal(xio_store_commit(&f->st, &err), 0);

	/* a rolled-back step leaves nothing */
	assert_int_equal(xio_store_begin(&f->st, &err), 0);
	m.text = "lost";
	assert_int_equal(f->st.ops->message_append(f->st.impl, &m, &err), 0);
	xio_store_rollback(&f->st);

	assert_int_equal(f->st.ops->messages_list(f->st.impl, r.id, &msgs, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_string_equal(msgs[0].text, "Привет");
	xio_message_rows_free(msgs, n);

	assert_int_equal(f->st.ops->consilium_find_open(f->st.impl, "console:local", &got, &err), 0);
	assert_int_equal(got.id, r.id);
	assert_string_equal(got.state_json, "{\"a\":1}");
	xio_consilium_row_release(&got);
	assert_int_equal(f->st.ops->consilium_next_wake(f->st.impl, &wake, &id, &err), 0);
	assert_int_equal(wake, 5000);
	r.phase = "closed";
	r.wake_at = 0;
	assert_int_equal(f->st.ops->consilium_update(f->st.impl, &r, &err), 0);
	assert_int_equal(f->st.ops->consilium_find_open(f->st.impl, "console:local", &got, &err),
			 XIO_ENOTFOUND);
	assert_int_equal(f->st.ops->consilium_next_wake(f->st.impl, &wake, &id, &err), 0);
	assert_int_equal(wake, 0);
}

static void test_inbound_and_outbox(void **state)
{
	struct fx *f = *state;
	struct xio_err err;
	struct xio_outbox_row row = { 0 }, *due;
	size_t n;
	int64_t at;

	assert_int_equal(xio_store_open_sqlite(&f->st, f->path, 1000, 0, &err), 0);
	assert_int_equal(f->st.ops->inbound_claim(f->st.impl, "slack:Ev1", 1, &err), 0);
	assert_int_equal(f->st.ops->inbound_claim(f->st.impl, "slack:Ev1", 2, &err), XIO_EDUP);
	row.key = "c1:s1:0";
	row.consilium_id = 1;
	row.kind = "post";
	row.payload = "{\"text\":\"hi\"}";
	row.next_try_at = 100;
	assert_int_equal(f->st.ops->outbox_put(f->st.impl, &row, &err), 0);
	assert_int_equal(f->st.ops->outbox_put(f->st.impl, &row, &err), XIO_EDUP);
	assert_int_equal(f->st.ops->outbox_due(f->st.impl, 50, 10, &due, &n, &err), 0);
	assert_int_equal(n, 0);
	free(due);
	assert_int_equal(f->st.ops->outbox_next_try(f->st.impl, &at, &err), 0);
	assert_int_equal(at, 100);
	assert_int_equal(f->st.ops->outbox_due(f->st.impl, 100, 10, &due, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_string_equal(due[0].key, "c1:s1:0");
	due[0].state = XIO_OUTBOX_DONE;
	due[0].attempts = 1;
	assert_int_equal(f->st.ops->outbox_update(f->st.impl, &due[0], &err), 0);
	xio_outbox_rows_free(due, n);
	assert_int_equal(f->st.ops->outbox_due(f->st.impl, 1000, 10, &due, &n, &err), 0);
	assert_int_equal(n, 0);
	free(due);
	assert_int_equal(f->st.ops->outbox_next_try(f->st.impl, &at, &err), 0);
	assert_int_equal(at, -1);
}

static char *kv(struct xio_store *st, const char *key)
{
	struct xio_err err;
	char *v = NULL;

	if (st->ops->kv_get(st->impl, key, &v, &err))
		return NULL;
	return v;
}

/* A batch is one transaction whose inner transactions are savepoints: an
 * inner rollback undoes only its own writes, the outer commit makes the
 * rest durable, an outer rollback undoes everything. */
static void test_nested_transactions(void **state)
{
	struct fx *f = *state;
	struct xio_err err;
	char *v;

	assert_int_equal(xio_store_open_sqlite(&f->st, f->path, 1000, 0, &err), 0);
	assert_int_equal(xio_store_commit(&f->st, &err), XIO_ESTATE);
	assert_int_equal(xio_store_begin(&f->st, &err), 0);
	assert_int_equal(f->st.ops->kv_put(f->st.impl, "a", "1", &err), 0);
	assert_int_equal(xio_store_begin(&f->st, &err), 0);
	assert_int_equal(f->st.ops->kv_put(f->st.impl, "b", "2", &err), 0);
	xio_store_rollback(&f->st);
	assert_int_equal(xio_store_begin(&f->st, &err), 0);
	assert_int_equal(f->st.ops->kv_put(f->st.impl, "c", "3", &err), 0);
	assert_int_equal(xio_store_begin(&f->st, &err), 0);
	assert_int_equal(f->st.ops->kv_put(f->st.impl, "d", "4", &err), 0);
	assert_int_equal(xio_store_commit(&f->st, &err), 0);
	assert_int_equal(xio_store_commit(&f->st, &err), 0);
	assert_int_equal(xio_store_commit(&f->st, &err), 0);
	v = kv(&f->st, "a");
	assert_string_equal(v, "1");
	free(v);
	assert_null(kv(&f->st, "b"));
	v = kv(&f->st, "d");
	assert_string_equal(v, "4");
	free(v);
	assert_int_equal(xio_store_begin(&f->st, &err), 0);
	assert_int_equal(xio_store_begin(&f->st, &err), 0);
	assert_int_equal(f->st.ops->kv_put(f->st.impl, "e", "5", &err), 0);
	assert_int_equal(xio_store_commit(&f->st, &err), 0);
	xio_store_rollback(&f->st);
	assert_null(kv(&f->st, "e"));
	/* savepoints share a name: a rollback two deep undoes only the
	 * innermost, and the one around it still commits */
	assert_int_equal(xio_store_begin(&f->st, &err), 0);
	assert_int_equal(xio_store_begin(&f->st, &err), 0);
	assert_int_equal(f->st.ops->kv_put(f->st.impl, "f", "6", &err), 0);
	assert_int_equal(xio_store_begin(&f->st, &err), 0);
	assert_int_equal(f->st.ops->kv_put(f->st.impl, "g", "7", &err), 0);
	xio_store_rollback(&f->st);
	assert_int_equal(f->st.ops->kv_put(f->st.impl, "h", "8", &err), 0);
	assert_int_equal(xio_store_commit(&f->st, &err), 0);
	assert_int_equal(xio_store_commit(&f->st, &err), 0);
	v = kv(&f->st, "f");
	assert_string_equal(v, "6");
	free(v);
	assert_null(kv(&f->st, "g"));
	v = kv(&f->st, "h");
	assert_string_equal(v, "8");
	free(v);
	assert_int_equal(xio_store_commit(&f->st, &err), XIO_ESTATE);
}

static off_t file_size(const char *path)
{
	struct stat sb;

	return stat(path, &sb) == 0 ? sb.st_size : -1;
}

static void put_big(struct fx *f, int i, const char *value)
{
	struct xio_err err;
	char key[16];

	snprintf(key, sizeof(key), "k%d", i);
	assert_int_equal(xio_store_begin(&f->st, &err), 0);
	assert_int_equal(f->st.ops->kv_put(f->st.impl, key, value, &err), 0);
	/* not inside a transaction */
	assert_int_equal(xio_store_idle_due(&f->st), 0);
	assert_int_equal(xio_store_commit(&f->st, &err), 0);
}

/* At an idle moment a grown WAL is checkpointed on the store's thread: the
 * call returns at once and the database file grows behind it. */
static void test_idle_checkpoint(void **state)
{
	struct fx *f = *state;
	struct xio_err err;
	struct xio_store_wal_stats ws;
	char big[3000];
	off_t before;
	int i, ms;

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(xio_store_open_sqlite(&f->st, f->path, 1000, 0, &err), 0);
	assert_int_equal(xio_store_idle_due(&f->st), 0);
	for (i = 0; !xio_store_idle_due(&f->st); i++) {
		assert_true(i < 400);
		put_big(f, i, big);
	}
	assert_true(i > 50);
	/* in WAL mode only a checkpoint writes the database file */
	before = file_size(f->path);
	xio_store_idle(&f->st);
	/* asked for; nothing more to do while the thread works */
	assert_int_equal(xio_store_idle_due(&f->st), 0);
	/* idle_due takes the thread's result once it is there */
	for (ms = 0; ms < 10000; ms += 5) {
		assert_int_equal(xio_store_idle_due(&f->st), 0);
		f->st.ops->wal_stats(f->st.impl, &ws);
		if (ws.thread_ckpts == 1)
			break;
		usleep(5000);
	}
	assert_int_equal(ws.thread_ckpts, 1);
	assert_true(file_size(f->path) >= before + (off_t)i * 3000);
	/* all copied, and the WAL is short: nothing due, nothing on the loop */
	assert_int_equal(xio_store_idle_due(&f->st), 0);
	assert_true(ws.pages >= i);
	assert_int_equal(ws.loop_ckpts, 0);
}

/* Under a steady load with idle moments between commits, as the loop runs
 * it, the WAL starts over again and again: its file stays bounded while ten
 * times its bound is written, and every row is there at the end. */
static void test_wal_stays_bounded(void **state)
{
	struct fx *f = *state;
	struct xio_err err;
	struct xio_store_wal_stats ws;
	char *big = malloc(20000), wal[160], *v;
	off_t max = 0, sz;
	int i, n = 0;

	assert_non_null(big);
	memset(big, 'y', 19999);
	big[19999] = '\0';
	snprintf(wal, sizeof(wal), "%s-wal", f->path);
	assert_int_equal(xio_store_open_sqlite(&f->st, f->path, 1000, 0, &err), 0);
	/* 8,000 x 20 kB: 160 MB through a WAL kept under about 16 MiB */
	for (i = 0; i < 8000; i++) {
		put_big(f, i, big);
		if (xio_store_idle_due(&f->st)) {
			xio_store_idle(&f->st);
			n++;
		}
		sz = file_size(wal);
		if (sz > max)
			max = sz;
	}
	assert_true(n > 0);
	assert_true(max < (off_t)24 << 20);
	/* the WAL was started over by checkpoints on the loop's side */
	f->st.ops->wal_stats(f->st.impl, &ws);
	assert_true(ws.thread_ckpts > 0);
	assert_true(ws.loop_ckpts > 0);
	assert_true(ws.pages < 5000);
	for (i = 0; i < 8000; i += 997) {
		char key[16];

		snprintf(key, sizeof(key), "k%d", i);
		assert_int_equal(f->st.ops->kv_get(f->st.impl, key, &v, &err), 0);
		assert_non_null(v);
		assert_string_equal(v, big);
		free(v);
	}
	free(big);
}

/* The dispatcher reads the heads of the consiliums that got rows, one
 * index lookup each. */
static void test_outbox_head_and_touched(void **state)
{
	struct fx *f = *state;
	struct xio_err err;
	struct xio_outbox_row row = { 0 }, head;
	int64_t *ids;
	size_t n;
	int all;

	assert_int_equal(xio_store_open_sqlite(&f->st, f->path, 1000, 0, &err), 0);
	assert_int_equal(f->st.ops->outbox_head(f->st.impl, 7, &head, &err), XIO_ENOTFOUND);
	row.kind = "post";
	row.consilium_id = 7;
	row.key = "c7:s1:0";
	assert_int_equal(f->st.ops->outbox_put(f->st.impl, &row, &err), 0);
	row.key = "c7:s1:1";
	assert_int_equal(f->st.ops->outbox_put(f->st.impl, &row, &err), 0);
	row.consilium_id = 9;
	row.key = "c9:s1:0";
	assert_int_equal(f->st.ops->outbox_put(f->st.impl, &row, &err), 0);
	f->st.ops->outbox_touched(f->st.impl, &ids, &n, &all);
	assert_int_equal(n, 2);
	assert_int_equal(ids[0], 7);
	assert_int_equal(ids[1], 9);
	assert_int_equal(all, 0);
	free(ids);
	f->st.ops->outbox_touched(f->st.impl, &ids, &n, &all);
	assert_int_equal(n, 0);
	free(ids);
	assert_int_equal(f->st.ops->outbox_head(f->st.impl, 7, &head, &err), 0);
	assert_string_equal(head.key, "c7:s1:0");
	head.state = XIO_OUTBOX_DONE;
	assert_int_equal(f->st.ops->outbox_update(f->st.impl, &head, &err), 0);
	xio_outbox_row_release(&head);
	assert_int_equal(f->st.ops->outbox_head(f->st.impl, 7, &head, &err), 0);
	assert_string_equal(head.key, "c7:s1:1");
	xio_outbox_row_release(&head);
}

static void put_decision(struct xio_store *st, int64_t id, const char *ws,
			 const char *status, const char *q, const char *d)
{
	char log[1024];
	struct xio_err err;

	snprintf(log, sizeof(log), "{\"question\":\"%s\",\"decision\":\"%s\",\"rationale\":\"r\"}", q, d);
	assert_int_equal(st->ops->decision_put(st->impl, id, ws, status, log,
					       "[{\"title\":\"Write plan\",\"owner\":\"Bob\",\"due\":\"2026-12-01\",\"priority\":\"high\",\"confidence\":0.8}]",
					       10, &err), 0);
}

static void test_decisions_and_precedents(void **state)
{
	struct fx *f = *state;
	struct xio_err err;
	struct xio_precedent *p;
	char *status, *log, *tasks;
	size_t n;

	assert_int_equal(xio_store_open_sqlite(&f->st, f->path, 1000, 0, &err), 0);
	for (int i = 0; i < 4; i++) {
		struct xio_consilium_row r = { .thread_key = "t", .question = "q", .phase = "closed" };

		assert_int_equal(f->st.ops->consilium_insert(f->st.impl, &r, &err), 0);
	}
	put_decision(&f->st, 1, "T1", "approved", "Should we migrate billing to Postgres?", "Migrate in Q1");
	put_decision(&f->st, 2, "T1", "approved", "Переносим ли базу биллинга в Postgres?", "Переносим");
	put_decision(&f->st, 3, "T2", "approved", "Postgres for analytics?", "No");
	put_decision(&f->st, 4, "T1", "draft", "Postgres upgrade?", "Draft only");
	assert_int_equal(f->st.ops->precedents(f->st.impl, "T1", "Migration of billing: Postgres or MySQL?", 5, &p, &n, &err), 0);
	assert_int_equal(n, 2);
	xio_precedents_free(p, n);
	assert_int_equal(f->st.ops->precedents(f->st.impl, "T1", "база биллинга", 5, &p, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_int_equal(p[0].consilium_id, 2);
	xio_precedents_free(p, n);
	/* FTS syntax in user text must not break the query */
	assert_int_equal(f->st.ops->precedents(f->st.impl, "T1", "\"AND OR NOT* (x", 5, &p, &n, &err), 0);
	xio_precedents_free(p, n);
	assert_int_equal(f->st.ops->decision_get(f->st.impl, 1, &status, &log, &tasks, &err), 0);
	assert_string_equal(status, "approved");
	assert_non_null(strstr(tasks, "Write plan"));
	free(status);
	free(log);
	free(tasks);
	assert_int_equal(f->st.ops->decision_get(f->st.impl, 42, &status, &log, &tasks, &err), XIO_ENOTFOUND);
}

/* The approval time is set by the first "approved" write and kept by the
 * later ones (a task marked done rewrites the row); drafts and amended
 * drafts are not precedents, nor search hits, nor their tasks listed. */
static void test_decision_approval_time(void **state)
{
	struct fx *f = *state;
	const char *log = "{\"question\":\"Which CI?\",\"decision\":\"GitHub Actions\"}";
	const char *tasks = "[{\"title\":\"Move\",\"owner\":\"Bob\",\"confidence\":0.5}]";
	struct xio_list_filter lf = { .limit = 10 };
	struct xio_decision_hit *h;
	struct xio_precedent *p;
	struct xio_task_row *t;
	struct xio_err err;
	size_t n;

	assert_int_equal(xio_store_open_sqlite(&f->st, f->path, 1000, 0, &err), 0);
	for (int i = 0; i < 2; i++) {
		struct xio_consilium_row r = { .thread_key = "t", .question = "q", .phase = "closed" };

		assert_int_equal(f->st.ops->consilium_insert(f->st.impl, &r, &err), 0);
	}
	assert_int_equal(f->st.ops->decision_put(f->st.impl, 1, "T", "draft", log, tasks, 100, &err), 0);
	assert_int_equal(f->st.ops->decision_put(f->st.impl, 1, "T", "approved", log, tasks, 200, &err), 0);
	assert_int_equal(f->st.ops->decision_put(f->st.impl, 1, "T", "approved", log, tasks, 300, &err), 0);
	assert_int_equal(f->st.ops->decision_put(f->st.impl, 2, "T", "amended", log, tasks, 400, &err), 0);
	assert_int_equal(f->st.ops->decisions_search(f->st.impl, "github", 10, &h, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_int_equal(h[0].consilium_id, 1);
	assert_int_equal(h[0].approved_at, 200);
	xio_decision_hits_free(h, n);
	assert_int_equal(f->st.ops->precedents(f->st.impl, "T", "github", 5, &p, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_int_equal(p[0].decided_at, 200);
	xio_precedents_free(p, n);
	assert_int_equal(f->st.ops->tasks_list(f->st.impl, &lf, &t, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_int_equal(t[0].consilium_id, 1);
	xio_task_rows_free(t, n);
}

/* Migration 10 gives a decision approved before it the time of its
 * "approved" artifact event, or its updated_at when it has none; migration
 * 11 gives an old transcript its reply_to column. */
static void test_approval_time_migrated(void **state)
{
	struct fx *f = *state;
	struct xio_decision_hit *h;
	struct xio_err err;
	size_t n;
	sqlite3 *db;

	assert_int_equal(xio_store_open_sqlite(&f->st, f->path, 1000, 9, &err), 0);
	for (int i = 0; i < 2; i++) {
		struct xio_consilium_row r = { .thread_key = "t", .question = "q", .phase = "closed" };

		assert_int_equal(f->st.ops->consilium_insert(f->st.impl, &r, &err), 0);
	}
	xio_store_close(&f->st);
	/* the table and rows as a build at schema 9 wrote them: this build
	 * creates decisions with approved_at from the start */
	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db,
				      "ALTER TABLE decisions DROP COLUMN approved_at;"
				      "ALTER TABLE messages DROP COLUMN reply_to;"
				      "INSERT INTO messages(consilium_id, step, author, author_kind, text, created_at)"
				      " VALUES (1, 0, 'Ann', 'human', 'hi', 900);"
				      "INSERT INTO decisions(consilium_id, workspace, status, log, tasks, updated_at)"
				      " VALUES (1, 'T', 'approved', '{}', '[]', 5000),"
				      " (2, 'T', 'approved', '{}', '[]', 5000);"
				      "INSERT INTO decisions_fts(question, decision, rationale, workspace, consilium_id, rowid)"
				      " VALUES ('Which CI?', 'GitHub', '', 'T', 1, 1), ('Which CI?', 'GitHub', '', 'T', 2, 2);"
				      "INSERT INTO events(consilium_id, type, data, created_at) VALUES"
				      " (1, 'artifact', '{\"status\":\"draft\"}', 1000),"
				      " (1, 'artifact', '{\"status\":\"approved\"}', 3000),"
				      " (2, 'artifact', 'not json', 3500);",
				      NULL, NULL, NULL),
			 SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(xio_store_open_sqlite(&f->st, f->path, 1000, 0, &err), 0);
	assert_int_equal(f->st.ops->decisions_search(f->st.impl, "github", 10, &h, &n, &err), 0);
	assert_int_equal(n, 2);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(h[i].approved_at, h[i].consilium_id == 1 ? 3000 : 5000);
	xio_decision_hits_free(h, n);
	/* migration 11 gave the old transcript its reply_to, empty */
	{
		struct xio_message_row *m;

		assert_int_equal(f->st.ops->messages_list(f->st.impl, 1, &m, &n, &err), 0);
		assert_int_equal(n, 1);
		assert_int_equal(m[0].reply_to, 0);
		xio_message_rows_free(m, n);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_migrate_from_empty_and_wal, setup, teardown),
		cmocka_unit_test_setup_teardown(test_migrate_from_each_version, setup, teardown),
		cmocka_unit_test_setup_teardown(test_events_keep_seq_through_v9, setup, teardown),
		cmocka_unit_test_setup_teardown(test_newer_schema_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_garbage_file_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_consilium_rows_and_tx, setup, teardown),
		cmocka_unit_test_setup_teardown(test_inbound_and_outbox, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nested_transactions, setup, teardown),
		cmocka_unit_test_setup_teardown(test_idle_checkpoint, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wal_stays_bounded, setup, teardown),
		cmocka_unit_test_setup_teardown(test_outbox_head_and_touched, setup, teardown),
		cmocka_unit_test_setup_teardown(test_decisions_and_precedents, setup, teardown),
		cmocka_unit_test_setup_teardown(test_decision_approval_time, setup, teardown),
		cmocka_unit_test_setup_teardown(test_approval_time_migrated, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
