/*
 * store_sqlite.c — the SQLite backend of the store.
 *
 * WAL journal with synchronous=NORMAL: a commit survives a process crash (the
 * WAL is written before sqlite3_step returns) and costs no fsync per step;
 * only a power loss can take the last few commits, which the outbox and the
 * inbound dedupe then replay.  Statements are prepared once and reset after
 * each use.  Migrations are an ordered list of SQL scripts; the version table
 * says how many have been applied, and each runs in its own transaction.
 */
#include "store.h"
#include "clock.h"
#include "dates.h"
#include "store_ckpt.h"

#include <ctype.h>
#include <errno.h>
#include <json-c/json.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* The events table as migration 5 creates it and migration 9 rebuilds an
 * older one: one text, so that the two cannot drift apart. */
#define EVENTS_COLUMNS \
	"  seq INTEGER PRIMARY KEY,\n" \
	"  consilium_id INTEGER NOT NULL,\n" \
	"  type TEXT NOT NULL,\n" \
	"  data TEXT NOT NULL,\n" \
	"  created_at INTEGER NOT NULL\n"

static const char *const migrations[] = {
	/* 1: foundation — inbound dedupe and the outbox. */
	"CREATE TABLE inbound (\n"
	"  key TEXT PRIMARY KEY,\n"
	"  received_at INTEGER NOT NULL\n"
	") WITHOUT ROWID;\n"
	"CREATE TABLE outbox (\n"
	"  id INTEGER PRIMARY KEY,\n"
	"  key TEXT NOT NULL UNIQUE,\n"
	"  consilium_id INTEGER NOT NULL,\n"
	"  kind TEXT NOT NULL,\n"
	"  payload TEXT NOT NULL,\n"
	"  state INTEGER NOT NULL DEFAULT 0,\n"
	"  attempts INTEGER NOT NULL DEFAULT 0,\n"
	"  next_try_at INTEGER NOT NULL DEFAULT 0,\n"
	"  last_error TEXT,\n"
	"  result TEXT,\n"
	"  created_at INTEGER NOT NULL\n"
	");\n"
	"CREATE INDEX outbox_due ON outbox(state, next_try_at) WHERE state < 2;\n",

	/* 2: the consilium engine — threads, transcripts, decisions, tasks and
	 * the full-text index that finds precedents. */
	"CREATE TABLE consiliums (\n"
	"  id INTEGER PRIMARY KEY,\n"
	"  thread_key TEXT NOT NULL,\n"
	"  workspace TEXT NOT NULL DEFAULT '',\n"
	"  question TEXT NOT NULL,\n"
	"  phase TEXT NOT NULL,\n"
	"  state TEXT NOT NULL,\n"
	"  step INTEGER NOT NULL DEFAULT 0,\n"
	"  wake_at INTEGER NOT NULL DEFAULT 0,\n"
	"  created_at INTEGER NOT NULL,\n"
	"  updated_at INTEGER NOT NULL\n"
	");\n"
	"CREATE INDEX consiliums_thread ON consiliums(thread_key, phase);\n"
	"CREATE INDEX consiliums_wake ON consiliums(wake_at) WHERE wake_at > 0;\n"
	"CREATE TABLE messages (\n"
	"  id INTEGER PRIMARY KEY,\n"
	"  consilium_id INTEGER NOT NULL REFERENCES consiliums(id),\n"
	"  step INTEGER NOT NULL,\n"
	"  author TEXT NOT NULL,\n"
	"  author_kind TEXT NOT NULL,\n"
	"  persona_id TEXT,\n"
	"  text TEXT NOT NULL,\n"
	"  platform_id TEXT,\n"
	"  created_at INTEGER NOT NULL,\n"
	"  reply_to INTEGER\n" /* schema 11 */
	");\n"
	"CREATE INDEX messages_consilium ON messages(consilium_id, id);\n"
	"CREATE TABLE decisions (\n"
	"  consilium_id INTEGER PRIMARY KEY REFERENCES consiliums(id),\n"
	"  workspace TEXT NOT NULL DEFAULT '',\n"
	"  status TEXT NOT NULL,\n"
	"  log TEXT NOT NULL,\n"
	"  tasks TEXT NOT NULL,\n"
	"  updated_at INTEGER NOT NULL,\n"
	"  approved_at INTEGER NOT NULL DEFAULT 0\n" /* schema 10 */
	");\n"
	"CREATE TABLE tasks (\n"
	"  id INTEGER PRIMARY KEY,\n"
	"  consilium_id INTEGER NOT NULL REFERENCES consiliums(id),\n"
	"  idx INTEGER NOT NULL,\n"
	"  title TEXT NOT NULL,\n"
	"  owner TEXT NOT NULL DEFAULT '',\n"
	"  due TEXT,\n"
	"  priority TEXT NOT NULL DEFAULT 'medium',\n"
	"  status TEXT NOT NULL DEFAULT 'open',\n"
	"  confidence REAL NOT NULL DEFAULT 0,\n"
	"  json TEXT NOT NULL,\n"
	"  UNIQUE(consilium_id, idx)\n"
	");\n"
	"CREATE VIRTUAL TABLE decisions_fts USING fts5(\n"
	"  question, decision, rationale, workspace UNINDEXED,\n"
	"  consilium_id UNINDEXED, tokenize = 'unicode61 remove_diacritics 2');\n",

	/* 3: follow-up — reminders of tasks and decisions.  The partial index
	 * keeps "what is next" a single index probe however many have been
	 * sent. */
	"CREATE TABLE reminders (\n"
	"  id INTEGER PRIMARY KEY,\n"
	"  key TEXT NOT NULL UNIQUE,\n"
	"  consilium_id INTEGER NOT NULL,\n"
	"  task_idx INTEGER NOT NULL DEFAULT -1,\n"
	"  kind TEXT NOT NULL,\n"
	"  thread_key TEXT NOT NULL,\n"
	"  due_at INTEGER NOT NULL,\n"
	"  state INTEGER NOT NULL DEFAULT 0,\n"
	"  created_at INTEGER NOT NULL\n"
	");\n"
	"CREATE INDEX reminders_due ON reminders(due_at) WHERE state = 0;\n"
	"CREATE INDEX reminders_task ON reminders(consilium_id, task_idx);\n",

	/* 4: thread aliases — a chat adapter's second name for a thread (Slack:
	 * the placeholder of a consilium opened by a slash command and the ts of
	 * the bot's first message, which becomes its thread). */
	"CREATE TABLE thread_alias (\n"
	"  alias TEXT PRIMARY KEY,\n"
	"  target TEXT NOT NULL,\n"
	"  created_at INTEGER NOT NULL\n"
	") WITHOUT ROWID;\n"
	/* inbound events an adapter acknowledged before applying them: kept
	 * until applied, replayed at start-up after a crash */
	"CREATE TABLE inbound_pending (\n"
	"  id INTEGER PRIMARY KEY,\n"
	"  key TEXT NOT NULL UNIQUE,\n"
	"  payload TEXT NOT NULL,\n"
	"  received_at INTEGER NOT NULL\n"
	");\n",

	/* 5: operations — the live event stream of each consilium (appended in
	 * the step's transaction) and the append-only audit log.  Before
	 * schema 9 events had AUTOINCREMENT; a database created since gets
	 * them without it here, and 9 repairs the older ones. */
	"CREATE TABLE events (\n" EVENTS_COLUMNS
	");\n"
	"CREATE INDEX events_consilium ON events(consilium_id, seq);\n"
	"CREATE TABLE audit (\n"
	"  id INTEGER PRIMARY KEY AUTOINCREMENT,\n"
	"  at INTEGER NOT NULL,\n"
	"  actor TEXT NOT NULL,\n"
	"  action TEXT NOT NULL,\n"
	"  consilium_id INTEGER NOT NULL DEFAULT 0,\n"
	"  detail TEXT NOT NULL DEFAULT '{}'\n"
	");\n"
	"CREATE INDEX audit_consilium ON audit(consilium_id, id);\n"
	"CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit\n"
	"  BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;\n"
	"CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit\n"
	"  BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;\n",
	/* 6: LLM calls (usage and latency per completion) and the running
	 * summaries that stand in for the older turns of long transcripts. */
	"CREATE TABLE llm_calls (\n"
	"  id INTEGER PRIMARY KEY,\n"
	"  consilium_id INTEGER NOT NULL,\n"
	"  outbox_key TEXT NOT NULL DEFAULT '',\n"
	"  purpose TEXT NOT NULL,\n"
	"  persona_id TEXT NOT NULL DEFAULT '',\n"
	"  model TEXT NOT NULL DEFAULT '',\n"
	"  outcome TEXT NOT NULL,\n"
	"  error TEXT,\n"
	"  prompt_tokens INTEGER NOT NULL DEFAULT -1,\n"
	"  completion_tokens INTEGER NOT NULL DEFAULT -1,\n"
	"  latency_ms INTEGER NOT NULL DEFAULT 0,\n"
	"  first_token_ms INTEGER NOT NULL DEFAULT -1,\n"
	"  overhead_ms INTEGER NOT NULL DEFAULT 0,\n"
	"  attempts INTEGER NOT NULL DEFAULT 0,\n"
	"  created_at INTEGER NOT NULL\n"
	");\n"
	"CREATE INDEX llm_calls_consilium ON llm_calls(consilium_id);\n"
	"CREATE TABLE llm_summaries (\n"
	"  consilium_id INTEGER PRIMARY KEY,\n"
	"  upto_message_id INTEGER NOT NULL,\n"
	"  text TEXT NOT NULL,\n"
	"  updated_at INTEGER NOT NULL\n"
	");\n",

	/* 7: adapter state — small durable values an adapter keeps between
	 * runs (the Telegram polling offset, sent message ids by outbox key,
	 * platform message id -> consilium for reply chains). */
	"CREATE TABLE kv (\n"
	"  key TEXT PRIMARY KEY,\n"
	"  value TEXT NOT NULL\n"
	") WITHOUT ROWID;\n",

	/* 8: the dispatcher reads only the head of each consilium's queue. */
	"CREATE INDEX outbox_pending ON outbox(consilium_id, id) WHERE state < 2;\n",

	/* 9: events without AUTOINCREMENT, which read and wrote the
	 * sqlite_sequence row on every append (four an update: 2.6 % of the
	 * instructions of an update, and a WAL page of every commit).  A
	 * sequence number is still never reused: it is the largest rowid plus
	 * one, and no event is ever deleted (a retention job must keep the
	 * newest row).  The rows keep their numbers.  A repair (see
	 * repairs[]): a database created since has the table right from 5. */
	"CREATE TABLE events_v9 (\n" EVENTS_COLUMNS
	");\n"
	"INSERT INTO events_v9 (seq, consilium_id, type, data, created_at)\n"
	"  SELECT seq, consilium_id, type, data, created_at FROM events;\n"
	"DROP TABLE events;\n"
	"ALTER TABLE events_v9 RENAME TO events;\n"
	"CREATE INDEX events_consilium ON events(consilium_id, seq);\n",

	/* 10: when a decision was approved, set once.  updated_at moves with
	 * every task status (/done), so it cannot say when it was decided.
	 * An older approved row takes the time of its "approved" artifact
	 * event, or updated_at when it has none (approved before schema 5). */
	"ALTER TABLE decisions ADD COLUMN approved_at INTEGER NOT NULL DEFAULT 0;\n"
	"UPDATE decisions SET approved_at = COALESCE(\n"
	"  (SELECT min(e.created_at) FROM events e WHERE e.consilium_id = decisions.consilium_id\n"
	"     AND e.type = 'artifact'\n"
	"     AND CASE WHEN json_valid(e.data) THEN json_extract(e.data, '$.status') END = 'approved'),\n"
	"  updated_at) WHERE status = 'approved';\n",

	/* 11: the reply chain of the transcript: the line each one answers
	 * (lines written before it have none). */
	"ALTER TABLE messages ADD COLUMN reply_to INTEGER;\n",
};

/* Migrations that rebuild or extend what an older build created, run only
 * on a database that had reached `from` before this open: a newer one got
 * the final form from the start (migration 9 cost a fresh database 6 of the
 * 46 million instructions of its cold start: the rename re-reads the whole
 * schema, as each ALTER TABLE does). */
static const struct {
	int migration, from;
	const char *table, *column; /* an ADD COLUMN: not when it is there */
} repairs[] = {
	{ 9, 5, NULL, NULL },
	{ 10, 2, "decisions", "approved_at" }, /* in migration 2's table now */
	{ 11, 2, "messages", "reply_to" },     /* likewise */
};

static int has_column(sqlite3 *db, const char *table, const char *column)
{
	sqlite3_stmt *st = NULL;
	int found = 0;

	if (sqlite3_prepare_v2(db, "SELECT 1 FROM pragma_table_info(?1) WHERE name = ?2", -1,
			       &st, NULL) == SQLITE_OK) {
		sqlite3_bind_text(st, 1, table, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, column, -1, SQLITE_STATIC);
		found = sqlite3_step(st) == SQLITE_ROW;
	}
	sqlite3_finalize(st);
	return found;
}

static int repair_needed(sqlite3 *db, int migration, int opened_at)
{
	size_t i;

	for (i = 0; i < XIO_ARRAY_LEN(repairs); i++)
		if (repairs[i].migration == migration)
			return opened_at >= repairs[i].from &&
			       !(repairs[i].column && has_column(db, repairs[i].table,
								 repairs[i].column));
	return 1;
}

enum stmt_id {
	S_CONS_INSERT,
	S_CONS_UPDATE,
	S_CONS_GET,
	S_CONS_FIND_OPEN,
	S_CONS_IDS_ALL,
	S_CONS_IDS_OPEN,
	S_CONS_NEXT_WAKE,
	S_MSG_APPEND,
	S_MSG_LIST,
	S_INBOUND_CLAIM,
	S_OUTBOX_PUT,
	S_OUTBOX_DUE,
	S_OUTBOX_UPDATE,
	S_OUTBOX_NEXT,
	S_OUTBOX_LIST,
	S_DEC_PUT,
	S_DEC_GET,
	S_TASKS_DEL,
	S_TASK_PUT,
	S_FTS_DEL,
	S_FTS_PUT,
	S_PRECEDENTS,
	S_CONS_FIND_LATEST,
	S_REM_PUT,
	S_REM_DUE,
	S_REM_NEXT,
	S_REM_STATE,
	S_REM_CANCEL_TASK,
	S_REM_CANCEL_ALL,
	S_REM_LIST,
	S_TASKS_THREAD,
	S_ALIAS_PUT,
	S_ALIAS_GET,
	S_PENDING_PUT,
	S_PENDING_LIST,
	S_PENDING_DEL,
	S_EV_APPEND,
	S_EV_LIST_ONE,
	S_EV_LIST_ALL,
	S_EV_LAST,
	S_AUDIT_APPEND,
	S_AUDIT_LIST,
	S_CONS_LIST,
	S_MSG_PAGE,
	S_TASKS_LIST,
	S_DEC_SEARCH,
	S_LLM_CALL_PUT,
	S_LLM_SUMMARY_GET,
	S_LLM_SUMMARY_PUT,
	S_KV_GET,
	S_KV_PUT,
	S_CONS_OPEN_RANGE,
	S_CONS_REKEY,
	S_OUTBOX_HEADS,
	S_OUTBOX_DEPTH,
	S_OUTBOX_HEAD,
	S_TX_BEGIN,
	S_TX_COMMIT,
	S_TX_SAVEPOINT,
	S_TX_RELEASE,
	S_COUNT
};

static const char *const stmt_sql[S_COUNT] = {
	[S_CONS_INSERT] = "INSERT INTO consiliums(thread_key, workspace, question, phase, state, step, wake_at, created_at, updated_at) VALUES(?,?,?,?,?,?,?,?,?)",
	[S_CONS_UPDATE] = "UPDATE consiliums SET question=?, phase=?, state=?, step=?, wake_at=?, updated_at=? WHERE id=?",
	[S_CONS_GET] = "SELECT id, thread_key, workspace, question, phase, state, step, wake_at, created_at, updated_at FROM consiliums WHERE id=?",
	[S_CONS_FIND_OPEN] = "SELECT id, thread_key, workspace, question, phase, state, step, wake_at, created_at, updated_at FROM consiliums WHERE thread_key=? AND phase<>'closed' ORDER BY id DESC LIMIT 1",
	[S_CONS_IDS_ALL] = "SELECT id FROM consiliums ORDER BY id",
	[S_CONS_IDS_OPEN] = "SELECT id FROM consiliums WHERE phase<>'closed' ORDER BY id",
	[S_CONS_NEXT_WAKE] = "SELECT wake_at, id FROM consiliums WHERE wake_at > 0 ORDER BY wake_at LIMIT 1",
	[S_MSG_APPEND] = "INSERT INTO messages(consilium_id, step, author, author_kind, persona_id, text, platform_id, created_at, reply_to) VALUES(?1,?2,?3,?4,?5,?6,?7,?8,CASE WHEN ?9 < 0 THEN (SELECT max(id) FROM messages WHERE consilium_id=?1) ELSE NULLIF(?9, 0) END)",
	[S_MSG_LIST] = "SELECT id, consilium_id, step, author, author_kind, persona_id, text, platform_id, created_at, reply_to FROM messages WHERE consilium_id=? ORDER BY id",
	[S_ALIAS_PUT] = "INSERT INTO thread_alias(alias, target, created_at) VALUES(?,?,?) ON CONFLICT(alias) DO NOTHING",
	[S_ALIAS_GET] = "SELECT target FROM thread_alias WHERE alias=?",
	[S_PENDING_PUT] = "INSERT INTO inbound_pending(key, payload, received_at) VALUES(?,?,?) ON CONFLICT(key) DO NOTHING",
	[S_PENDING_LIST] = "SELECT key, payload FROM inbound_pending WHERE key LIKE ? ESCAPE '\\' ORDER BY id",
	[S_PENDING_DEL] = "DELETE FROM inbound_pending WHERE key=?",
	[S_INBOUND_CLAIM] = "INSERT INTO inbound(key, received_at) VALUES(?,?) ON CONFLICT(key) DO NOTHING",
	[S_OUTBOX_PUT] = "INSERT INTO outbox(key, consilium_id, kind, payload, state, attempts, next_try_at, created_at) VALUES(?,?,?,?,0,0,?,?) ON CONFLICT(key) DO NOTHING",
	[S_OUTBOX_DUE] = "SELECT id, key, consilium_id, kind, payload, state, attempts, next_try_at, last_error, result, created_at FROM outbox WHERE state < 2 AND next_try_at <= ? ORDER BY id LIMIT ?",
	[S_OUTBOX_UPDATE] = "UPDATE outbox SET state=?, attempts=?, next_try_at=?, last_error=?, result=? WHERE id=?",
	[S_OUTBOX_NEXT] = "SELECT min(next_try_at) FROM outbox WHERE state < 2",
	[S_OUTBOX_LIST] = "SELECT id, key, consilium_id, kind, payload, state, attempts, next_try_at, last_error, result, created_at FROM outbox WHERE consilium_id=? OR ?=0 ORDER BY id",
	[S_DEC_PUT] = "INSERT INTO decisions(consilium_id, workspace, status, log, tasks, updated_at, approved_at) VALUES(?1,?2,?3,?4,?5,?6,CASE WHEN ?3='approved' THEN ?6 ELSE 0 END) ON CONFLICT(consilium_id) DO UPDATE SET workspace=excluded.workspace, status=excluded.status, log=excluded.log, tasks=excluded.tasks, updated_at=excluded.updated_at, approved_at=CASE WHEN decisions.approved_at > 0 THEN decisions.approved_at ELSE excluded.approved_at END",
	[S_DEC_GET] = "SELECT status, log, tasks FROM decisions WHERE consilium_id=?",
	[S_TASKS_DEL] = "DELETE FROM tasks WHERE consilium_id=?",
	[S_TASK_PUT] = "INSERT INTO tasks(consilium_id, idx, title, owner, due, priority, status, confidence, json) VALUES(?,?,?,?,?,?,?,?,?)",
	[S_FTS_DEL] = "DELETE FROM decisions_fts WHERE rowid=?",
	[S_FTS_PUT] = "INSERT INTO decisions_fts(question, decision, rationale, workspace, consilium_id, rowid) VALUES(?,?,?,?,?,?)",
	[S_PRECEDENTS] = "SELECT f.consilium_id, f.question, f.decision, d.approved_at FROM decisions_fts f JOIN decisions d ON d.consilium_id = f.consilium_id WHERE decisions_fts MATCH ? AND f.workspace = ? AND d.status = 'approved' ORDER BY bm25(decisions_fts) LIMIT ?",
	[S_CONS_FIND_LATEST] = "SELECT id, thread_key, workspace, question, phase, state, step, wake_at, created_at, updated_at FROM consiliums WHERE thread_key=? ORDER BY id DESC LIMIT 1",
	[S_REM_PUT] = "INSERT INTO reminders(key, consilium_id, task_idx, kind, thread_key, due_at, state, created_at) VALUES(?,?,?,?,?,?,?,?) ON CONFLICT(key) DO NOTHING",
	[S_REM_DUE] = "SELECT id, key, consilium_id, task_idx, kind, thread_key, due_at, state, created_at FROM reminders WHERE state = 0 AND due_at <= ? ORDER BY thread_key, due_at, id LIMIT ?",
	[S_REM_NEXT] = "SELECT min(due_at) FROM reminders WHERE state = 0",
	[S_REM_STATE] = "UPDATE reminders SET state=? WHERE id=?",
	[S_REM_CANCEL_TASK] = "UPDATE reminders SET state=2 WHERE consilium_id=? AND task_idx=? AND state=0",
	[S_REM_CANCEL_ALL] = "UPDATE reminders SET state=2 WHERE consilium_id=? AND state=0",
	[S_REM_LIST] = "SELECT id, key, consilium_id, task_idx, kind, thread_key, due_at, state, created_at FROM reminders WHERE consilium_id=? OR ?=0 ORDER BY id",
	[S_TASKS_THREAD] = "SELECT t.consilium_id, t.idx, t.title, t.owner, t.due, t.status, EXISTS(SELECT 1 FROM reminders r WHERE r.consilium_id=t.consilium_id AND r.task_idx=t.idx AND r.state=0) FROM tasks t JOIN consiliums c ON c.id=t.consilium_id WHERE c.thread_key=? ORDER BY t.consilium_id, t.idx",
	[S_EV_APPEND] = "INSERT INTO events(consilium_id, type, data, created_at) VALUES(?,?,?,?)",
	[S_EV_LIST_ONE] = "SELECT seq, consilium_id, type, data, created_at FROM events WHERE consilium_id=? AND seq>? ORDER BY seq LIMIT ?",
	[S_EV_LIST_ALL] = "SELECT seq, consilium_id, type, data, created_at FROM events WHERE seq>? ORDER BY seq LIMIT ?",
	[S_EV_LAST] = "SELECT coalesce(max(seq), 0) FROM events",
	[S_AUDIT_APPEND] = "INSERT INTO audit(at, actor, action, consilium_id, detail) VALUES(?,?,?,?,?)",
	[S_AUDIT_LIST] = "SELECT id, at, actor, action, consilium_id, detail FROM audit WHERE (?1<=0 OR consilium_id=?1) AND (?2 IS NULL OR actor=?2) AND at>=?3 AND (?4<=0 OR id<?4) ORDER BY id DESC LIMIT ?5",
	[S_CONS_LIST] = "SELECT id, thread_key, workspace, question, phase, state, step, wake_at, created_at, updated_at FROM consiliums WHERE (?1 IS NULL OR thread_key=?1 OR substr(thread_key, 1, length(?1)+1)=?1||':') AND (?2 IS NULL OR phase=?2) AND updated_at>=?3 AND (?4<=0 OR id<?4) ORDER BY id DESC LIMIT ?5",
	[S_MSG_PAGE] = "SELECT id, consilium_id, step, author, author_kind, persona_id, text, platform_id, created_at, reply_to FROM messages WHERE consilium_id=? AND id>? ORDER BY id LIMIT ?",
	[S_TASKS_LIST] = "SELECT t.id, t.consilium_id, t.idx, t.title, t.owner, t.due, t.priority, t.status, t.confidence FROM tasks t JOIN decisions d ON d.consilium_id = t.consilium_id AND d.status = 'approved' WHERE (?1 IS NULL OR t.owner=?1 COLLATE XIO_FOLD) AND (?2 IS NULL OR t.status=?2) AND (?3<=0 OR t.id<?3) ORDER BY t.id DESC LIMIT ?4",
	[S_DEC_SEARCH] = "SELECT f.consilium_id, d.workspace, f.question, f.decision, d.status, d.approved_at FROM decisions_fts f JOIN decisions d ON d.consilium_id = f.consilium_id WHERE decisions_fts MATCH ? AND d.status = 'approved' ORDER BY bm25(decisions_fts) LIMIT ?",
	[S_LLM_CALL_PUT] = "INSERT INTO llm_calls(consilium_id, outbox_key, purpose, persona_id, model, outcome, error, prompt_tokens, completion_tokens, latency_ms, first_token_ms, overhead_ms, attempts, created_at) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
	[S_LLM_SUMMARY_GET] = "SELECT text, upto_message_id FROM llm_summaries WHERE consilium_id=?",
	[S_LLM_SUMMARY_PUT] = "INSERT INTO llm_summaries(consilium_id, upto_message_id, text, updated_at) VALUES(?,?,?,?) ON CONFLICT(consilium_id) DO UPDATE SET upto_message_id=excluded.upto_message_id, text=excluded.text, updated_at=excluded.updated_at",
	[S_KV_GET] = "SELECT value FROM kv WHERE key=?",
	[S_KV_PUT] = "INSERT INTO kv(key, value) VALUES(?,?) ON CONFLICT(key) DO UPDATE SET value=excluded.value",
	[S_CONS_OPEN_RANGE] = "SELECT id, thread_key FROM consiliums WHERE thread_key >= ?1 AND thread_key < ?2 AND phase<>'closed' ORDER BY id",
	[S_CONS_REKEY] = "UPDATE consiliums SET thread_key=? WHERE id=?",
	[S_OUTBOX_HEADS] = "SELECT o.id, o.key, o.consilium_id, o.kind, o.payload, o.state, o.attempts, o.next_try_at, o.last_error, o.result, o.created_at FROM outbox o JOIN (SELECT min(id) AS id FROM outbox WHERE state < 2 GROUP BY consilium_id) h ON o.id = h.id ORDER BY o.id LIMIT ?",
	[S_OUTBOX_DEPTH] = "SELECT count(*), coalesce(min(created_at), 0) FROM outbox WHERE state < 2",
	[S_OUTBOX_HEAD] = "SELECT id, key, consilium_id, kind, payload, state, attempts, next_try_at, last_error, result, created_at FROM outbox WHERE consilium_id = ? AND state < 2 ORDER BY id LIMIT 1",
	/* Savepoints share one name: SQLite releases or rolls back to the
	 * innermost savepoint of that name, which is the one to act on. */
	[S_TX_BEGIN] = "BEGIN IMMEDIATE",
	[S_TX_COMMIT] = "COMMIT",
	[S_TX_SAVEPOINT] = "SAVEPOINT xio",
	[S_TX_RELEASE] = "RELEASE xio",
};

struct sqlite_store {
	sqlite3 *db;
	char *path;
	/* WAL checkpoints (see wal_hook): frames in the WAL after the last
	 * commit, how many of them are known to be in the database file, no
	 * thread checkpoint before the WAL reaches bg_floor frames (after one
	 * that could not copy everything), and the thread */
	int wal_frames, copied, bg_floor;
	struct xio_ckpt *ckpt;
	struct xio_store_wal_stats wal; /* for wal_stats */
	sqlite3_stmt *stmt[S_COUNT];
	int in_tx;
	/* consiliums given outbox rows since outbox_touched last ran */
	int64_t *touched;
	size_t ntouched, captouched;
	int touched_all;
};

/* ---- small helpers ------------------------------------------------- */

static int db_fail(struct sqlite_store *s, struct xio_err *err, const char *what)
{
	int code = sqlite3_errcode(s->db);
	int xcode = XIO_EIO;

	if (code == SQLITE_BUSY || code == SQLITE_LOCKED)
		xcode = XIO_EBUSY;
	else if (code == SQLITE_NOMEM)
		xcode = XIO_ENOMEM;
	return xio_err_set(err, xcode, "store %s: %s: %s", s->path, what,
			   sqlite3_errmsg(s->db));
}

static sqlite3_stmt *stmt(struct sqlite_store *s, enum stmt_id id, struct xio_err *err)
{
	if (!s->stmt[id] &&
	    sqlite3_prepare_v3(s->db, stmt_sql[id], -1, SQLITE_PREPARE_PERSISTENT,
			       &s->stmt[id], NULL) != SQLITE_OK) {
		db_fail(s, err, "prepare");
		return NULL;
	}
	return s->stmt[id];
}

static void bind_text(sqlite3_stmt *st, int i, const char *v)
{
	if (v)
		sqlite3_bind_text(st, i, v, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(st, i);
}

static char *col_text(sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);

	return t ? strdup((const char *)t) : NULL;
}

static int exec_sql(struct sqlite_store *s, const char *sql, struct xio_err *err)
{
	char *msg = NULL;

	if (sqlite3_exec(s->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		int rc = xio_err_set(err, XIO_EIO, "store %s: %s", s->path,
				     msg ? msg : sqlite3_errmsg(s->db));
		sqlite3_free(msg);
		return rc;
	}
	return 0;
}

/* Runs a statement that returns no rows; resets it. */
static int step_done(struct sqlite_store *s, sqlite3_stmt *st, struct xio_err *err,
		     const char *what)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		return db_fail(s, err, what);
	return 0;
}

/*
 * Steps st to the end, growing *v (elements of size sz) with one element per
 * row filled by read.  On success the caller owns *v; on failure the rows
 * read so far are handed to free_rows.
 */
static int collect_rows(struct sqlite_store *s, sqlite3_stmt *st, size_t sz,
			int (*read)(sqlite3_stmt *st, void *row),
			void (*free_rows)(void *v, size_t n), void **out, size_t *n,
			struct xio_err *err, const char *what)
{
	char *v = NULL, *nv;
	size_t cnt = 0, cap = 0;
	int rc;

	*out = NULL;
	*n = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (cnt == cap) {
			cap = cap ? cap * 2 : 16;
			nv = realloc(v, cap * sz);
			if (!nv) {
				free_rows(v, cnt);
				sqlite3_reset(st);
				sqlite3_clear_bindings(st);
				return xio_err_set(err, XIO_ENOMEM, "store: out of memory");
			}
			v = nv;
		}
		memset(v + cnt * sz, 0, sz);
		if (read(st, v + cnt * sz)) {
			free_rows(v, cnt + 1);
			sqlite3_reset(st);
			sqlite3_clear_bindings(st);
			return xio_err_set(err, XIO_ENOMEM, "store: out of memory");
		}
		cnt++;
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc != SQLITE_DONE) {
		free_rows(v, cnt);
		return db_fail(s, err, what);
	}
	*out = v;
	*n = cnt;
	return 0;
}

static int read_message(sqlite3_stmt *st, void *row)
{
	struct xio_message_row *m = row;

	m->id = sqlite3_column_int64(st, 0);
	m->consilium_id = sqlite3_column_int64(st, 1);
	m->step = sqlite3_column_int64(st, 2);
	m->author = col_text(st, 3);
	m->author_kind = col_text(st, 4);
	m->persona_id = col_text(st, 5);
	m->text = col_text(st, 6);
	m->platform_id = col_text(st, 7);
	m->created_at = sqlite3_column_int64(st, 8);
	m->reply_to = sqlite3_column_int64(st, 9);
	return !m->author || !m->author_kind || !m->text;
}

static void free_messages(void *v, size_t n)
{
	xio_message_rows_free(v, n);
}

/* Runs an INSERT ... ON CONFLICT DO NOTHING: 0 and the new rowid in *id, or
 * XIO_EDUP when the unique key was already there (nothing written). */
static int insert_unique(struct sqlite_store *s, sqlite3_stmt *st, int64_t *id,
			 struct xio_err *err, const char *what)
{
	int rc = step_done(s, st, err, what);

	if (rc)
		return rc;
	if (sqlite3_changes(s->db) != 1)
		return XIO_EDUP;
	*id = sqlite3_last_insert_rowid(s->db);
	return 0;
}

/* ---- lifecycle and migrations ---------------------------------------- */

static int get_version(struct sqlite_store *s, int *version, struct xio_err *err)
{
	sqlite3_stmt *st = NULL;
	int rc;

	*version = 0;
	if (exec_sql(s, "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)", err))
		return XIO_EIO;
	if (sqlite3_prepare_v2(s->db, "SELECT max(version) FROM schema_version", -1, &st, NULL) != SQLITE_OK)
		return db_fail(s, err, "read schema version");
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*version = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 0 : db_fail(s, err, "read schema version");
}

static int migrate(struct sqlite_store *s, int target, struct xio_err *err)
{
	char setv[96];
	int version, opened_at, rc;

	rc = get_version(s, &version, err);
	if (rc)
		return rc;
	if (version > (int)XIO_ARRAY_LEN(migrations))
		return xio_err_set(err, XIO_EINVAL,
				   "store %s: schema version %d is newer than this xio "
				   "understands (%d); upgrade xio",
				   s->path, version, (int)XIO_ARRAY_LEN(migrations));
	if (version >= target)
		return 0;
	/* every step in one transaction: a new file is created with one
	 * commit (cold start), and an upgrade is all or nothing */
	if (exec_sql(s, "BEGIN IMMEDIATE", err))
		return XIO_EIO;
	for (opened_at = version; version < target; version++) {
		snprintf(setv, sizeof(setv),
			 "DELETE FROM schema_version; INSERT INTO schema_version VALUES(%d);",
			 version + 1);
		if ((repair_needed(s->db, version + 1, opened_at) &&
		     exec_sql(s, migrations[version], err)) ||
		    exec_sql(s, setv, err)) {
			sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
			return err ? err->code : XIO_EIO;
		}
	}
	if (exec_sql(s, "COMMIT", err))
		return XIO_EIO;
	return 0;
}

static int make_parent_dir(const char *path)
{
	char dir[4096];
	char *slash;
	size_t i;

	if (strlen(path) >= sizeof(dir))
		return -1;
	strcpy(dir, path);
	slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return 0;
	*slash = '\0';
	for (i = 1; dir[i]; i++) {
		if (dir[i] == '/') {
			dir[i] = '\0';
			if (mkdir(dir, 0750) != 0 && errno != EEXIST)
				return -1;
			dir[i] = '/';
		}
	}
	if (mkdir(dir, 0750) != 0 && errno != EEXIST)
		return -1;
	return 0;
}

static void sqlite_close(void *impl)
{
	struct sqlite_store *s = impl;
	size_t i;

	if (!s)
		return;
	/* first: the last connection to close checkpoints the WAL away */
	xio_ckpt_free(s->ckpt);
	for (i = 0; i < S_COUNT; i++)
		sqlite3_finalize(s->stmt[i]);
	if (s->db)
		sqlite3_close(s->db);
	free(s->touched);
	free(s->path);
	free(s);
}

static int sqlite_ping(void *impl, struct xio_err *err)
{
	struct sqlite_store *s = impl;

	return exec_sql(s, "SELECT 1 FROM schema_version LIMIT 1", err);
}

/* Transactions nest: the outermost is BEGIN IMMEDIATE ... COMMIT, an inner
 * one a savepoint.  A batch of inbound updates runs in one outer transaction
 * (one WAL commit for all of them) while each update's step stays atomic:
 * a step that fails rolls back to its savepoint and leaves the others. */
static int sqlite_begin(void *impl, struct xio_err *err)
{
	struct sqlite_store *s = impl;
	sqlite3_stmt *st;
	int rc;

	if (s->in_tx >= 64)
		return xio_err_set(err, XIO_ESTATE, "store %s: transactions nested too deep", s->path);
	st = stmt(s, s->in_tx ? S_TX_SAVEPOINT : S_TX_BEGIN, err);
	rc = st ? step_done(s, st, err, s->in_tx ? "savepoint" : "begin")
		: (err ? err->code : XIO_EIO);
	if (!rc)
		s->in_tx++;
	return rc;
}

/* Rolls back the innermost transaction: its savepoint, or all of it. */
static void undo_innermost(struct sqlite_store *s)
{
	if (s->in_tx > 1)
		sqlite3_exec(s->db, "ROLLBACK TO xio; RELEASE xio", NULL, NULL, NULL);
	else
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	s->in_tx--;
}

static int sqlite_commit(void *impl, struct xio_err *err)
{
	struct sqlite_store *s = impl;
	sqlite3_stmt *st;
	int rc;

	if (s->in_tx <= 0)
		return xio_err_set(err, XIO_ESTATE, "store %s: commit without a transaction", s->path);
	st = stmt(s, s->in_tx > 1 ? S_TX_RELEASE : S_TX_COMMIT, err);
	rc = st ? step_done(s, st, err, s->in_tx > 1 ? "release" : "commit")
		: (err ? err->code : XIO_EIO);
	if (rc)
		undo_innermost(s);
	else
		s->in_tx--;
	return rc;
}

static void sqlite_rollback(void *impl)
{
	struct sqlite_store *s = impl;

	if (s->in_tx > 0)
		undo_innermost(s);
}

/* ---- WAL checkpoints ------------------------------------------------- */

/* A checkpoint syncs the WAL, copies it into the database file and syncs
 * that.  Inside a commit it held the update that commits, and every one
 * behind it, for two fdatasyncs: at 1,000 updates/s that was the whole p99
 * (6-8 ms with checkpoints every 1,000 pages, 1 ms without).  So at an idle
 * moment (no socket ready, no timer due) with CKPT_IDLE_PAGES not yet
 * copied, the store hands the checkpoint to a thread (store_ckpt.h) and the
 * loop goes on committing.
 *
 * The thread alone never empties the WAL: SQLite starts it over only when a
 * write finds every frame copied, and under load the loop commits while the
 * thread syncs.  So once the WAL holds CKPT_RESTART_PAGES, the thread is
 * given no more: an idle moment copies what it has not (under a load with
 * gaps, a few commits' frames: syncs of little data, about a millisecond),
 * and the next write starts the WAL over.  One short stall per 2,000 pages
 * instead of a long one per 250.  Under a load without idle moments a
 * commit does it at CKPT_COMMIT_PAGES, after waiting for the thread if it
 * is still at work: the WAL stays under about 16 MiB and a batch. */
#define CKPT_IDLE_PAGES 250
#define CKPT_RESTART_PAGES 2000
#define CKPT_COMMIT_PAGES 4000

enum ckpt_job { CKPT_NONE, CKPT_THREAD, CKPT_INLINE };

/* Takes in a checkpoint's outcome: frames in the WAL it saw, frames copied
 * (-1: it failed). */
static void ckpt_done(struct sqlite_store *s, int nlog, int ncopied)
{
	/* a result from before the WAL started over copies nothing now */
	if (ncopied >= 0 && ncopied <= s->wal_frames && ncopied > s->copied)
		s->copied = ncopied;
	/* failed, or a reader held frames back: wait for more frames rather
	 * than try again at every idle moment */
	if (ncopied < 0 || ncopied < nlog)
		s->bg_floor = s->wal_frames + CKPT_IDLE_PAGES;
}

static void checkpoint(struct sqlite_store *s)
{
	int nlog = -1, ncopied = -1;
	int64_t t0 = xio_clock_mono_us();

	if (sqlite3_wal_checkpoint_v2(s->db, NULL, SQLITE_CHECKPOINT_PASSIVE, &nlog, &ncopied) !=
	    SQLITE_OK)
		nlog = ncopied = -1;
	s->wal.loop_ckpts++;
	s->wal.loop_ckpt_us += xio_clock_mono_us() - t0;
	ckpt_done(s, nlog, ncopied);
}

static int wal_hook(void *ud, sqlite3 *db, const char *name, int frames)
{
	struct sqlite_store *s = ud;

	(void)db;
	(void)name;
	/* fewer frames than before: the WAL started over */
	if (frames < s->wal_frames)
		s->copied = s->bg_floor = 0;
	s->wal_frames = frames;
	if (frames >= CKPT_COMMIT_PAGES) {
		/* else busy: the thread holds the checkpoint lock */
		if (s->ckpt) {
			int64_t t0 = xio_clock_mono_us();

			xio_ckpt_wait(s->ckpt);
			s->wal.loop_ckpt_us += xio_clock_mono_us() - t0;
		}
		checkpoint(s);
	}
	return SQLITE_OK;
}

/* Reads what the thread did, then says what an idle moment should do. */
static enum ckpt_job ckpt_job(struct sqlite_store *s)
{
	int nlog, ncopied, pending;

	if (s->in_tx || s->wal_frames == 0)
		return CKPT_NONE;
	if (s->ckpt && xio_ckpt_take(s->ckpt, &nlog, &ncopied)) {
		s->wal.thread_ckpts++;
		ckpt_done(s, nlog, ncopied);
	}
	if ((s->ckpt && xio_ckpt_running(s->ckpt)) || s->wal_frames < s->bg_floor)
		return CKPT_NONE;
	pending = s->wal_frames - s->copied;
	if (s->wal_frames >= CKPT_RESTART_PAGES && pending > 0)
		return CKPT_INLINE;
	if (pending >= CKPT_IDLE_PAGES)
		return CKPT_THREAD;
	return CKPT_NONE;
}

static void sqlite_wal_stats(void *impl, struct xio_store_wal_stats *out)
{
	struct sqlite_store *s = impl;

	*out = s->wal;
	out->pages = s->wal_frames;
}

static int sqlite_idle_due(void *impl)
{
	return ckpt_job(impl) != CKPT_NONE;
}

static void sqlite_idle(void *impl)
{
	struct sqlite_store *s = impl;

	switch (ckpt_job(s)) {
	case CKPT_THREAD:
		if (s->ckpt && xio_ckpt_request(s->ckpt) == 0)
			break;
		/* no thread: the loop does it, as before there was one */
		/* fall through */
	case CKPT_INLINE:
		checkpoint(s);
		break;
	case CKPT_NONE:
		break;
	}
}

/* ---- consiliums ------------------------------------------------------ */

static void read_consilium(sqlite3_stmt *st, struct xio_consilium_row *r)
{
	memset(r, 0, sizeof(*r));
	r->id = sqlite3_column_int64(st, 0);
	r->thread_key = col_text(st, 1);
	r->workspace = col_text(st, 2);
	r->question = col_text(st, 3);
	r->phase = col_text(st, 4);
	r->state_json = col_text(st, 5);
	r->step = sqlite3_column_int64(st, 6);
	r->wake_at = sqlite3_column_int64(st, 7);
	r->created_at = sqlite3_column_int64(st, 8);
	r->updated_at = sqlite3_column_int64(st, 9);
}

static int sqlite_consilium_insert(void *impl, struct xio_consilium_row *row, struct xio_err *err)
{
	struct sqlite_store *s = impl;
	sqlite3_stmt *st = stmt(s, S_CONS_INSERT, err);
	int rc;

	if (!st)
		return XIO_EIO;
	bind_text(st, 1, row->thread_key);
	bind_text(st, 2, row->workspace ? row->workspace : "");
	bind_text(st, 3, row->question ? row->question : "");
	bind_text(st, 4, row->phase);
	bind_text(st, 5, row->state_json ? row->state_json : "{}");
	sqlite3_bind_int64(st, 6, row->step);
	sqlite3_bind_int64(st, 7, row->wake_at);
	sqlite3_bind_int64(st, 8, row->created_at);
	sqlite3_bind_int64(st, 9, row->updated_at);
	rc = step_done(s, st, err, "insert consilium");
	if (!rc)
		row->id = sqlite3_last_insert_rowid(s->db);
	return rc;
}

static int sqlite_consilium_update(void *impl, const struct xio_consilium_row *row, struct xio_err *err)
{
	struct sqlite_store *s = impl;
	sqlite3_stmt *st = stmt(s, S_CONS_UPDATE, err);

	if (!st)
		return XIO_EIO;
	bind_text(st, 1, row->question ? row->question : "");
	bind_text(st, 2, row->phase);
	bind_text(st, 3, row->state_json ? row->state_json : "{}");
	sqlite3_bind_int64(st, 4, row->step);
	sqlite3_bind_int64(st, 5, row->wake_at);
	sqlite3_bind_int64(st, 6, row->updated_at);
	sqlite3_bind_int64(st, 7, row->id);
	return step_done(s, st, err, "update consilium");
}

static int fetch_consilium(struct sqlite_store *s, sqlite3_stmt *st,
			   struct xio_consilium_row *out, struct xio_err *err,
			   const char *what)
{
	int rc = sqlite3_step(st);

	if (rc == SQLITE_ROW)
		read_consilium(st, out);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc == SQLITE_ROW)
		return 0;
	if (rc == SQLITE_DONE)
		return XIO_ENOTFOUND;
	return db_fail(s, err, what);
}

static int sqlite_consilium_get(void *impl, int64_t id, struct xio_consilium_row *out, struct xio_err *err)
{
	struct sqlite_store *s = impl;
	sqlite3_stmt *st = stmt(s, S_CONS_GET, err);

	if (!st)
		return XIO_EIO;
	sqlite3_bind_int64(st, 1, id);
	return fetch_consilium(s, st, out, err, "get consilium");
}

static int sqlite_consilium_find_open(void *impl, const char *thread_key,
				      struct xio_consilium_row *out, struct xio_err *err)
{
	struct sqlite_store *s = impl;
	sqlite3_stmt *st = stmt(s, S_CONS_FIND_OPEN, err);

	if (!st)
		return XIO_EIO;
	bind_text(st, 1, thread_key);
	return fetch_consilium(s, st, out, err, "find consilium");
}

static int sqlite_consilium_ids(void *impl, int open_only, int64_t **ids, size_t *n,
				struct xio_err *err)
{
	struct sqlite_store *s = impl;
	sqlite3_stmt *st = stmt(s, open_only ? S_CONS_IDS_OPEN : S_CONS_IDS_ALL, err);
	int64_t *v = NULL, *nv;
	size_t cnt = 0, cap = 0;
	int rc;

	*ids = NULL;
	*n = 0;
	if (!st)
		return XIO_EIO;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (cnt == cap) {
			cap = cap ? cap * 2 : 16;
			nv = realloc(v, cap * sizeof(*v));
			if (!nv) {
				free(v);
				sqlite3_reset(st);
				return xio_err_set(err, XIO_ENOMEM, "store: out of memory");
			}
			v = nv;
		}
		v[cnt++] = sqlite3_column_int64(st, 0);
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		free(v);
		return db_fail(s, err, "list consiliums");
	}
	*ids = v;
	*n = cnt;
	return 0;
}

static int sqlite_consilium_next_wake(void *impl, int64_t *wake_at, int64_t *id,
				      struct xio_err *err)
{
	struct sqlite_store *s = impl;
	sqlite3_stmt *st = stmt(s, S_CONS_NEXT_WAKE, err);
	int rc;

	*wake_at = 0;
	*id = 0;
	if (!st)
		return XIO_EIO;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*wake_at = sqlite3_column_int64(st, 0);
		*id = sqlite3_column_int64(st, 1);
	}
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return db_fail(s, err, "next wake");
	return 0;
}

/* ---- transcript ------------------------------------------------------ */

static int sqlite_message_append(void *impl, struct xio_message_row *m, struct xio_err *err)
{
	struct sqlite_store *s = impl;
	sqlite3_stmt *st = stmt(s, S_MSG_APPEND, err);
	int rc;

	if (!st)
		return XIO_EIO;
	sqlite3_bind_int64(st, 1, m->consilium_id);
	sqlite3_bind_int64(st, 2, m->step);
	bind_text(st, 3, m->author ? m->author : "");
	bind_text(st, 4, m->author_kind ? m->author_kind : "human");
	bind_text(st, 5, m->persona_id);
	bind_text(st, 6, m->text ? m->text : "");
	bind_text(st, 7, m->platform_id);
	sqlite3_bind_int64(st, 8, m->created_at);
	sqlite3_bind_int64(st, 9, m->reply_to);
	rc = step_done(s, st, err, "append message");
	if (!rc)
		m->id = sqlite3_last_insert_rowid(s->db);
	return rc;
}

static int sqlite_messages_list(void *impl, int64_t consilium_id,
				struct xio_message_row **out, size_t *n, struct xio_err *err)
{
	struct sqlite_store *s = impl;
	sqlite3_stmt *st = stmt(s, S_MSG_LIST, err);

	*out = NULL;
	*n = 0;
	if (!st)
		return XIO_EIO;
	sqlite3_bind_int64(st, 1, consilium_id);
	return collect_rows(s, st, sizeof(**out), read_message, free_messages, (void **)out, n, err,
			    "list messages");
}

/* ---- inbound dedupe -------------------------------------------------- */

static int sqlite_inbound_claim(void *impl, const char *key, int64_t now, struct xio_err *err)
{
	struct sqlite_store *s = impl;
	sqlite3_stmt *st = stmt(s, S_INBOUND_CLAIM, err);
	int rc;

	if (!st)
		return XIO_EIO;
	bind_text(st, 1, key);
	sqlite3_bind_int64(st, 2, now);
	rc = step_done(s, st, err, "claim inbound");
	if (rc)
		return rc;
	return sqlite3_changes(s->db) == 1 ? 0 : XIO_EDUP;
}

/* ---- thread aliases ---------------------------------------------------- */

static int sqlite_thread_alias_put(void *impl, const char *alias, const char *target, int64_t now,
				   struct xio_err *err)
{
	struct sqlite_store *s = impl;
	sqlite3_stmt *st = stmt(s, S_ALIAS_PUT, err);
	int rc;

	if (!st)
		return XIO_EIO;
	bind_text(st, 1, alias);
	bind_text(st, 2, target);
	sqlite3_bind_int64(st, 3, now);
	rc = step_done(s, st, err, "put thread alias");
	if (rc)
		return rc;
	return sqlite3_changes(s->db) == 1 ? 0 : XIO_EDUP;
}

static int sqlite_thread_alias_get(void *impl, const char *alias, char **target, struct xio_err *err)
{
	struct sqlite_store *s = impl;
	sqlite3_stmt *st = stmt(s, S_ALIAS_GET, err);
	int rc;

	*target = NULL;
	if (!st)
		return XIO_EIO;
	bind_text(st, 1, alias);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*target = col_text(st, 0);
		rc = *target ? 0 : xio_err_set(err, XIO_ENOMEM, "out of memory");
	} else if (rc == SQLITE_DONE) {
		rc = XIO_ENOTFOUND;
	} else {
		sqlite3_reset(st);
		sqlite3_clear_bindings(st);
		return db_fail(s, err, "get thread alias");
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc;
}

static int sqlite_pending_put(void *impl, const char *key, const char *payload, int64_t now,
			      struct xio_err *err)
{
	struct sqlite_store *s = impl;
	sqlite3_stmt *st = stmt(s, S_PENDING_PUT, err);
	int rc;

	if (!st)
		return XIO_EIO;
	bind_text(st, 1, key);
	bind_text(st, 2, payload);
	sqlite3_bind_int64(st, 3, now);
	rc = step_done(s, st, err, "put pending inbound");
	if (rc)
		return rc;
	return sqlite3_changes(s->db) == 1 ? 0 : XIO_EDUP;
}

static int sqlite_pending_del(void *impl, const char *key, struct xio_err *err)
{
	struct sqlite_store *s = impl;
	sqlite3_stmt *st = stmt(s, S_PENDING_DEL, err);

	if (!st)
		return XIO_EIO;
	bind_text(st, 1, key);
	return step_done(s, st, err, "delete pending inbound");
}

static int sqlite_pending_list(void *impl, const char *prefix, char ***keys, char ***payloads,
			       size_t *n, struct xio_err *err)
{
	struct sqlite_store *s = impl;
	sqlite3_stmt *st = stmt(s, S_PENDING_LIST, err);
	char **k = NULL, **p = NULL, *like = NULL;
	size_t cnt = 0, cap = 0, i, j;
	int rc = 0, step;

	*keys = *payloads = NULL;
	*n = 0;
	if (!st)
		return XIO_EIO;
	like = malloc(2 * strlen(prefix) + 2);
	if (!like)
		return xio_err_set(err, XIO_ENOMEM, "out of memory");
	for (i = j = 0; prefix[i]; i++) {
		if (prefix[i] == '%' || prefix[i] == '_' || prefix[i] == '\\')
			like[j++] = '\\';
		like[j++] = prefix[i];
	}
	like[j++] = '%';
	like[j] = '\0';
	bind_text(st, 1, like);
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		if (cnt == cap) {
			size_t nc = cap ? 2 * cap : 16;
			char **nk = realloc(k, nc * sizeof(*k)), **np;

			if (!nk) {
				rc = xio_err_set(err, XIO_ENOMEM, "out of memory");
				break;
			}
			k = nk;
			np = realloc(p, nc * sizeof(*p));
			if (!np) {
				rc = xio_err_set(err, XIO_ENOMEM, "out of memory");
				break;
			}
			p = np;
			cap = nc;
		}
		k[cnt] = col_text(st, 0);
		p[cnt] = col_text(st, 1);
		if (!k[cnt] || !p[cnt]) {
			free(k[cnt]);
			free(p[cnt]);
			rc = xio_err_set(err, XIO_ENOMEM, "out of memory");
			break;
		}
		cnt++;
	}
	if (!rc && step != SQLITE_DONE)
		rc = db_fail(s, err, "list pending inbound");
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	free(like);
	if (rc) {
		for (i = 0; i < cnt; i++) {
			free(k[i]);
			free(p[i]);
		}
		free(k);
		free(p);
		return rc;
	}
	*keys = k;
	*payloads = p;
	*n = cnt;
	return 0;
}

/* ---- outbox ---------------------------------------------------------- */

static void touch(struct sqlite_store *s, int64_t cid)
{
	if (s->touched_all || (s->ntouched && s->touched[s->ntouched - 1] == cid))
		return; /* a step's rows come together */
	if (s->ntouched >= 65536) {
		/* nobody drains it (a tool without a dispatcher), or a burst: a
		 * full read is cheaper than remembering more */
		free(s->touched);
		s->touched = NULL;
		s->ntouched = s->captouched = 0;
		s->touched_all = 1;
		return;
	}
	if (s->ntouched == s->captouched) {
		size_t cap = s->captouched ? s->captouched * 2 : 64;
		int64_t *v = realloc(s->touched, cap * sizeof(*v));

		if (!v) {
			s->touched_all = 1;
			return;
		}
		s->touched = v;
		s->captouched = cap;
	}
	s->touched[s->ntouched++] = cid;
}

static void sqlite_outbox_touched(void *impl, int64_t **ids, size_t *n, int *all)
{
	struct sqlite_store *s = impl;

	*ids = s->touched;
	*n = s->ntouched;
	*all = s->touched_all;
	s->touched = NULL;
	s->ntouched = s->captouched = 0;
	s->touched_all = 0;
}

static int sqlite_outbox_put(void *impl, struct xio_outbox_row *row, struct xio_err *err)
{
	struct sqlite_store *s = impl;
	sqlite3_stmt *st = stmt(s, S_OUTBOX_PUT, err);

	if (!st)
		return XIO_EIO;
	bind_text(st, 1, row->key);
	sqlite3_bind_int64(st, 2, row->consilium_id);
	bind_text(st, 3, row->kind);
	bind_text(st, 4, row->payload ? row->payload : "{}");
	sqlite3_bind_int64(st, 5, row->next_try_at);
	sqlite3_bind_int64(st, 6, row->created_at);
	touch(s, row->consilium_id);
	return insert_unique(s, st, &row->id, err, "put outbox");
}

static int read_outbox(sqlite3_stmt *st, void *row)
{
	struct xio_outbox_row *r = row;

	r->id = sqlite3_column_int64(st, 0);
	r->key = col_text(st, 1);
	r->consilium_id = sqlite3_column_int64(st, 2);
	r->kind = col_text(st, 3);
	r->payload = col_text(st, 4);
	r->state = sqlite3_column_int(st, 5);
	r->attempts = sqlite3_column_int(st, 6);
	r->next_try_at = sqlite3_column_int64(st, 7);
	r->last_error = col_text(st, 8);
	r->result = col_text(st, 9);
	r->created_at = sqlite3_column_int64(st, 10);
	return !r->key || !r->kind || !r->payload;
}

static void free_outbox(void *v, size_t n)
{
	xio_outbox_rows_free(v, n);
}

static int collect_outbox(struct sqlite_store *s, sqlite3_stmt *st,
			  struct xio_outbox_row **out, size_t *n, struct xio_err *err)
{
	return collect_rows(s, st, sizeof(**out), read_outbox, free_outbox, (void **)out, n, err,
			    "read outbox");
}

static int sqlite_outbox_due(void *impl, int64_t now, size_t max,
			     struct xio_outbox_row **out, size_t *n, struct xio_err *err)
{
	struct sqlite_store *s = impl;
	sqlite3_stmt *st = stmt(s, S_OUTBOX_DUE, err);

	*out = NULL;
	*n = 0;
	if (!st)
		return XIO_EIO;
	sqlite3_bind_int64(st, 1, now);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)max);
	return collect_outbox(s, st, out, n, err);
}

static int sqlite_outbox_list(void *impl, int64_t consilium_id,
			      struct xio_outbox_row **out, size_t *n, struct xio_err *err)
{
	struct sqlite_store *s = impl;
	sqlite3_stmt *st = stmt(s, S_OUTBOX_LIST, err);

	*out = NULL;
	*n = 0;
	if (!st)
		return XIO_EIO;
	sqlite3_bind_int64(st, 1, consilium_id);
	sqlite3_bind_int64(st, 2, consilium_id);
	return collect_outbox(s, st, out, n, err);
}

static int sqlite_outbox_update(void *impl, const struct xio_outbox_row *row, struct xio_err *err)
{
	struct sqlite_store *s = impl;
	sqlite3_stmt *st = stmt(s, S_OUTBOX_UPDATE, err);

	if (!st)
		return XIO_EIO;
	sqlite3_bind_int(st, 1, row->state);
	sqlite3_bind_int(st, 2, row->attempts);
	sqlite3_bind_int64(st, 3, row->next_try_at);
	bind_text(st, 4, row->last_error);
	bind_text(st, 5, row->result);
	sqlite3_bind_int64(st, 6, row->id);
	return step_done(s, st, err, "update outbox");
}

static int sqlite_outbox_next_try(void *impl, int64_t *at, struct xio_err *err)
{
	struct sqlite_store *s = impl;
	sqlite3_stmt *st = stmt(s, S_OUTBOX_NEXT, err);
	int rc;

	*at = -1;
	if (!st)
		return XIO_EIO;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
		*at = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? 0 : db_fail(s, err, "outbox next");
}

/* ---- decisions, tasks, precedents ------------------------------------ */

static const char *jstr(json_object *o, const char *key)
{
	json_object *v;

	if (!o || !json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

/* Mirrors the tasks of a decision into the tasks table, where follow-up
 * queries them by owner, due date and status. */
static int put_tasks(struct sqlite_store *s, int64_t consilium_id, const char *tasks_json,
		     struct xio_err *err)
{
	sqlite3_stmt *del = stmt(s, S_TASKS_DEL, err), *st = stmt(s, S_TASK_PUT, err);
	json_object *arr = NULL;
	size_t i, n;
	int rc;

	if (!del || !st)
		return XIO_EIO;
	sqlite3_bind_int64(del, 1, consilium_id);
	rc = step_done(s, del, err, "delete tasks");
	if (rc)
		return rc;
	arr = json_tokener_parse(tasks_json);
	if (!arr || !json_object_is_type(arr, json_type_array)) {
		json_object_put(arr);
		return xio_err_set(err, XIO_EINVAL, "store %s: tasks are not a JSON array", s->path);
	}
	n = json_object_array_length(arr);
	for (i = 0; i < n && !rc; i++) {
		json_object *t = json_object_array_get_idx(arr, i), *c;
		const char *status = jstr(t, "status");

		sqlite3_bind_int64(st, 1, consilium_id);
		sqlite3_bind_int64(st, 2, (sqlite3_int64)i);
		bind_text(st, 3, jstr(t, "title") ? jstr(t, "title") : "");
		bind_text(st, 4, jstr(t, "owner") ? jstr(t, "owner") : "");
		bind_text(st, 5, jstr(t, "due"));
		bind_text(st, 6, jstr(t, "priority") ? jstr(t, "priority") : "medium");
		bind_text(st, 7, status ? status : "open");
		sqlite3_bind_double(st, 8, json_object_object_get_ex(t, "confidence", &c)
						   ? json_object_get_double(c) : 0.0);
		bind_text(st, 9, json_object_to_json_string_ext(t, JSON_C_TO_STRING_PLAIN));
		rc = step_done(s, st, err, "put task");
	}
	json_object_put(arr);
	return rc;
}

static int put_fts(struct sqlite_store *s, int64_t consilium_id, const char *workspace,
		   const char *log_json, struct xio_err *err)
{
	sqlite3_stmt *del = stmt(s, S_FTS_DEL, err), *st = stmt(s, S_FTS_PUT, err);
	json_object *log = NULL;
	int rc;

	if (!del || !st)
		return XIO_EIO;
	sqlite3_bind_int64(del, 1, consilium_id);
	rc = step_done(s, del, err, "delete fts");
	if (rc)
		return rc;
	log = json_tokener_parse(log_json ? log_json : "{}");
	bind_text(st, 1, jstr(log, "question") ? jstr(log, "question") : "");
	bind_text(st, 2, jstr(log, "decision") ? jstr(log, "decision") : "");
	bind_text(st, 3, jstr(log, "rationale") ? jstr(log, "rationale") : "");
	bind_text(st, 4, workspace ? workspace : "");
	sqlite3_bind_int64(st, 5, consilium_id);
	/* rowid = consilium id: replacing a decision's entry is a keyed delete,
	 * not a scan of the whole index */
	sqlite3_bind_int64(st, 6, consilium_id);
	rc = step_done(s, st, err, "put fts");
	json_object_put(log);
	return rc;
}

static int sqlite_decision_put(void *impl, int64_t consilium_id, const char *workspace,
			       const char *status, const char *log_json,
			       const char *tasks_json, int64_t now, struct xio_err *err)
{
	struct sqlite_store *s = impl;
	sqlite3_stmt *st = stmt(s, S_DEC_PUT, err);
	int rc;

	if (!st)
		return XIO_EIO;
	sqlite3_bind_int64(st, 1, consilium_id);
	bind_text(st, 2, workspace ? workspace : "");
	bind_text(st, 3, status);
	bind_text(st, 4, log_json ? log_json : "{}");
	bind_text(st, 5, tasks_json ? tasks_json : "[]");
	sqlite3_bind_int64(st, 6, now);
	rc = step_done(s, st, err, "put decision");
	if (!rc)
		rc = put_tasks(s, consilium_id, tasks_json ? tasks_json : "[]", err);
	if (!rc)
		rc = put_fts(s, consilium_id, workspace, log_json, err);
	return rc;
}

static int sqlite_decision_get(void *impl, int64_t consilium_id, char **status,
			       char **log_json, char **tasks_json, struct xio_err *err)
{
	struct sqlite_store *s = impl;
	sqlite3_stmt *st = stmt(s, S_DEC_GET, err);
	int rc;

	*status = *log_json = *tasks_json = NULL;
	if (!st)
		return XIO_EIO;
	sqlite3_bind_int64(st, 1, consilium_id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*status = col_text(st, 0);
		*log_json = col_text(st, 1);
		*tasks_json = col_text(st, 2);
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc == SQLITE_DONE)
		return XIO_ENOTFOUND;
	return rc == SQLITE_ROW ? 0 : db_fail(s, err, "get decision");
}

/*
 * Turns free text into an FTS5 query: each word of 3+ characters becomes a
 * quoted prefix term, OR-ed together, so punctuation and FTS operators in a
 * user's question can never make the MATCH expression invalid.
 */
static char *fts_query(const char *text)
{
	size_t cap = strlen(text) * 4 + 16, len = 0;
	char *q = malloc(cap);
	const unsigned char *p = (const unsigned char *)text;

	if (!q)
		return NULL;
	q[0] = '\0';
	while (*p) {
		const unsigned char *w;
		size_t wl, chars = 0, keep = 0;

		while (*p && !(isalnum(*p) || *p >= 0x80))
			p++;
		w = p;
		while (*p && (isalnum(*p) || *p >= 0x80)) {
			if ((*p & 0xC0) != 0x80) {
				chars++;
				/* keep the first 6 characters: a crude stem that
				 * lets "migrate" find "migration", "базу" "базы" */
				if (chars <= 6)
					keep = (size_t)(p - w) + 1;
			} else if (chars <= 6) {
				keep = (size_t)(p - w) + 1;
			}
			p++;
		}
		wl = (size_t)(p - w);
		if (chars < 3 || wl == 0)
			continue;
		if (len + keep + 8 >= cap)
			break;
		len += (size_t)sprintf(q + len, "%s\"%.*s\"*", len ? " OR " : "", (int)keep,
				       (const char *)w);
	}
	return q;
}

static int sqlite_precedents(void *impl, const char *workspace, const char *query,
			     size_t limit, struct xio_precedent **out, size_t *n,
			     struct xio_err *err)
{
	struct sqlite_store *s = impl;
	sqlite3_stmt *st = stmt(s, S_PRECEDENTS, err);
	struct xio_precedent *v = NULL;
	char *q = NULL;
	size_t cnt = 0;
	int rc = 0, sr;

	*out = NULL;
	*n = 0;
	if (!st)
		return XIO_EIO;
	q = fts_query(query ? query : "");
	if (!q)
		return xio_err_set(err, XIO_ENOMEM, "store: out of memory");
	if (!*q)
		goto out;
	v = calloc(limit ? limit : 1, sizeof(*v));
	if (!v) {
		rc = xio_err_set(err, XIO_ENOMEM, "store: out of memory");
		goto out;
	}
	bind_text(st, 1, q);
	bind_text(st, 2, workspace ? workspace : "");
	sqlite3_bind_int64(st, 3, (sqlite3_int64)limit);
	while (cnt < limit && (sr = sqlite3_step(st)) == SQLITE_ROW) {
		v[cnt].consilium_id = sqlite3_column_int64(st, 0);
		v[cnt].question = col_text(st, 1);
		v[cnt].decision = col_text(st, 2);
		v[cnt].decided_at = sqlite3_column_int64(st, 3);
		cnt++;
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	*out = v;
	*n = cnt;
	v = NULL;
out:
	free(v);
	free(q);
	return rc;
}

/* ---- follow-up ------------------------------------------------------- */

static int sqlite_consilium_find_latest(void *impl, const char *thread_key,
					struct xio_consilium_row *out, struct xio_err *err)
{
	struct sqlite_store *s = impl;
	sqlite3_stmt *st = stmt(s, S_CONS_FIND_LATEST, err);

	if (!st)
		return XIO_EIO;
	bind_text(st, 1, thread_key);
	return fetch_consilium(s, st, out, err, "find latest consilium");
}

static int sqlite_reminder_put(void *impl, struct xio_reminder_row *row, struct xio_err *err)
{
	struct sqlite_store *s = impl;
	sqlite3_stmt *st = stmt(s, S_REM_PUT, err);

	if (!st)
		return XIO_EIO;
	bind_text(st, 1, row->key);
	sqlite3_bind_int64(st, 2, row->consilium_id);
	sqlite3_bind_int(st, 3, row->task_idx);
	bind_text(st, 4, row->kind);
	bind_text(st, 5, row->thread_key ? row->thread_key : "");
	sqlite3_bind_int64(st, 6, row->due_at);
	sqlite3_bind_int(st, 7, row->state);
	sqlite3_bind_int64(st, 8, row->created_at);
	return insert_unique(s, st, &row->id, err, "put reminder");
}

static int read_reminder(sqlite3_stmt *st, void *row)
{
	struct xio_reminder_row *r = row;

	r->id = sqlite3_column_int64(st, 0);
	r->key = col_text(st, 1);
	r->consilium_id = sqlite3_column_int64(st, 2);
	r->task_idx = sqlite3_column_int(st, 3);
	r->kind = col_text(st, 4);
	r->thread_key = col_text(st, 5);
	r->due_at = sqlite3_column_int64(st, 6);
	r->state = sqlite3_column_int(st, 7);
	r->created_at = sqlite3_column_int64(st, 8);
	return !r->key || !r->kind || !r->thread_key;
}

static void free_reminders(void *v, size_t n)
{
	xio_reminder_rows_free(v, n);
}

static int collect_reminders(struct sqlite_store *s, sqlite3_stmt *st,
			     struct xio_reminder_row **out, size_t *n, struct xio_err *err)
{
	return collect_rows(s, st, sizeof(**out), read_reminder, free_reminders, (void **)out, n,
			    err, "read reminders");
}

static int sqlite_reminders_due(void *impl, int64_t now, size_t max,
				struct xio_reminder_row **out, size_t *n, struct xio_err *err)
{
	struct sqlite_store *s = impl;
	sqlite3_stmt *st = stmt(s, S_REM_DUE, err);

	*out = NULL;
	*n = 0;
	if (!st)
		return XIO_EIO;
	sqlite3_bind_int64(st, 1, now);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)max);
	return collect_reminders(s, st, out, n, err);
}

static int sqlite_reminders_list(void *impl, int64_t consilium_id,
				 struct xio_reminder_row **out, size_t *n, struct xio_err *err)
{
	struct sqlite_store *s = impl;
	sqlite3_stmt *st = stmt(s, S_REM_LIST, err);

	*out = NULL;
	*n = 0;
	if (!st)
		return XIO_EIO;
	sqlite3_bind_int64(st, 1, consilium_id);
	sqlite3_bind_int64(st, 2, consilium_id);
	return collect_reminders(s, st, out, n, err);
}

static int sqlite_reminder_next(void *impl, int64_t *at, struct xio_err *err)
{
	struct sqlite_store *s = impl;
	sqlite3_stmt *st = stmt(s, S_REM_NEXT, err);
	int rc;

	*at = 0;
	if (!st)
		return XIO_EIO;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
		*at = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? 0 : db_fail(s, err, "next reminder");
}

static int sqlite_reminder_set_state(void *impl, int64_t id, int state, struct xio_err *err)
{
	struct sqlite_store *s = impl;
	sqlite3_stmt *st = stmt(s, S_REM_STATE, err);

	if (!st)
		return XIO_EIO;
	sqlite3_bind_int(st, 1, state);
	sqlite3_bind_int64(st, 2, id);
	return step_done(s, st, err, "update reminder");
}

static int sqlite_reminders_cancel(void *impl, int64_t consilium_id, int task_idx,
				   struct xio_err *err)
{
	struct sqlite_store *s = impl;
	sqlite3_stmt *st = stmt(s, task_idx < 0 ? S_REM_CANCEL_ALL : S_REM_CANCEL_TASK, err);

	if (!st)
		return XIO_EIO;
	sqlite3_bind_int64(st, 1, consilium_id);
	if (task_idx >= 0)
		sqlite3_bind_int(st, 2, task_idx);
	return step_done(s, st, err, "cancel reminders");
}

static int read_thread_task(sqlite3_stmt *st, void *row)
{
	struct xio_task_row *t = row;

	t->consilium_id = sqlite3_column_int64(st, 0);
	t->idx = sqlite3_column_int(st, 1);
	t->title = col_text(st, 2);
	t->owner = col_text(st, 3);
	t->due = col_text(st, 4);
	t->status = col_text(st, 5);
	t->pending = sqlite3_column_int(st, 6);
	return !t->title || !t->owner || !t->status;
}

static void free_thread_tasks(void *v, size_t n)
{
	xio_task_rows_free(v, n);
}

static int sqlite_tasks_of_thread(void *impl, const char *thread_key,
				  struct xio_task_row **out, size_t *n, struct xio_err *err)
{
	struct sqlite_store *s = impl;
	sqlite3_stmt *st = stmt(s, S_TASKS_THREAD, err);

	*out = NULL;
	*n = 0;
	if (!st)
		return XIO_EIO;
	bind_text(st, 1, thread_key);
	return collect_rows(s, st, sizeof(**out), read_thread_task, free_thread_tasks, (void **)out,
			    n, err, "tasks of thread");
}

/* ---- operations: events, audit, lists -------------------------------- */

static void bind_opt(sqlite3_stmt *st, int i, const char *v)
{
	bind_text(st, i, v && *v ? v : NULL);
}

static int read_event(sqlite3_stmt *st, void *row)
{
	struct xio_event_row *e = row;

	e->seq = sqlite3_column_int64(st, 0);
	e->consilium_id = sqlite3_column_int64(st, 1);
	e->type = col_text(st, 2);
	e->data = col_text(st, 3);
	e->created_at = sqlite3_column_int64(st, 4);
	return 0;
}

static void free_events(void *v, size_t n)
{
	xio_event_rows_free(v, n);
}

static int sqlite_event_append(void *impl, struct xio_event_row *ev, struct xio_err *err)
{
	struct sqlite_store *s = impl;
	sqlite3_stmt *st = stmt(s, S_EV_APPEND, err);
	int rc;

	if (!st)
		return XIO_EIO;
	sqlite3_bind_int64(st, 1, ev->consilium_id);
	bind_text(st, 2, ev->type);
	bind_text(st, 3, ev->data ? ev->data : "{}");
	sqlite3_bind_int64(st, 4, ev->created_at);
	rc = step_done(s, st, err, "append event");
	if (!rc)
		ev->seq = sqlite3_last_insert_rowid(s->db);
	return rc;
}

static int sqlite_events_list(void *impl, int64_t consilium_id, int64_t after_seq, size_t limit,
			      struct xio_event_row **out, size_t *n, struct xio_err *err)
{
	struct sqlite_store *s = impl;
	sqlite3_stmt *st = stmt(s, consilium_id ? S_EV_LIST_ONE : S_EV_LIST_ALL, err);
	int i = 1;

	*out = NULL;
	*n = 0;
	if (!st)
		return XIO_EIO;
	if (consilium_id)
		sqlite3_bind_int64(st, i++, consilium_id);
	sqlite3_bind_int64(st, i++, after_seq);
	sqlite3_bind_int64(st, i, (sqlite3_int64)limit);
	return collect_rows(s, st, sizeof(**out), read_event, free_events, (void **)out, n, err,
			    "list events");
}

static int sqlite_events_last_seq(void *impl, int64_t *seq, struct xio_err *err)
{
	struct sqlite_store *s = impl;
	sqlite3_stmt *st = stmt(s, S_EV_LAST, err);
	int rc;

	*seq = 0;
	if (!st)
		return XIO_EIO;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*seq = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? 0 : db_fail(s, err, "last event");
}

static int read_audit(sqlite3_stmt *st, void *row)
{
	struct xio_audit_row *a = row;

	a->id = sqlite3_column_int64(st, 0);
	a->at = sqlite3_column_int64(st, 1);
	a->actor = col_text(st, 2);
	a->action = col_text(st, 3);
	a->consilium_id = sqlite3_column_int64(st, 4);
	a->detail = col_text(st, 5);
	return 0;
}

static void free_audit(void *v, size_t n)
{
	xio_audit_rows_free(v, n);
}

static int sqlite_audit_append(void *impl, struct xio_audit_row *a, struct xio_err *err)
{
	struct sqlite_store *s = impl;
	sqlite3_stmt *st = stmt(s, S_AUDIT_APPEND, err);
	int rc;

	if (!st)
		return XIO_EIO;
	sqlite3_bind_int64(st, 1, a->at);
	bind_text(st, 2, a->actor ? a->actor : "");
	bind_text(st, 3, a->action ? a->action : "");
	sqlite3_bind_int64(st, 4, a->consilium_id);
	bind_text(st, 5, a->detail ? a->detail : "{}");
	rc = step_done(s, st, err, "append audit");
	if (!rc)
		a->id = sqlite3_last_insert_rowid(s->db);
	return rc;
}

static int sqlite_audit_list(void *impl, const struct xio_list_filter *f,
			     struct xio_audit_row **out, size_t *n, struct xio_err *err)
{
	struct sqlite_store *s = impl;
	sqlite3_stmt *st = stmt(s, S_AUDIT_LIST, err);

	*out = NULL;
	*n = 0;
	if (!st)
		return XIO_EIO;
	sqlite3_bind_int64(st, 1, f->consilium_id);
	bind_opt(st, 2, f->actor);
	sqlite3_bind_int64(st, 3, f->since);
	sqlite3_bind_int64(st, 4, f->before_id);
	sqlite3_bind_int64(st, 5, (sqlite3_int64)f->limit);
	return collect_rows(s, st, sizeof(**out), read_audit, free_audit, (void **)out, n, err,
			    "list audit");
}

static int read_consilium_cb(sqlite3_stmt *st, void *row)
{
	read_consilium(st, row);
	return 0;
}

static void free_consiliums(void *v, size_t n)
{
	xio_consilium_rows_free(v, n);
}

static int sqlite_consiliums_list(void *impl, const struct xio_list_filter *f,
				  struct xio_consilium_row **out, size_t *n, struct xio_err *err)
{
	struct sqlite_store *s = impl;
	sqlite3_stmt *st = stmt(s, S_CONS_LIST, err);

	*out = NULL;
	*n = 0;
	if (!st)
		return XIO_EIO;
	bind_opt(st, 1, f->chat);
	bind_opt(st, 2, f->phase);
	sqlite3_bind_int64(st, 3, f->since);
	sqlite3_bind_int64(st, 4, f->before_id);
	sqlite3_bind_int64(st, 5, (sqlite3_int64)f->limit);
	return collect_rows(s, st, sizeof(**out), read_consilium_cb, free_consiliums, (void **)out,
			    n, err, "list consiliums");
}

static int sqlite_messages_page(void *impl, int64_t consilium_id, int64_t after_id, size_t limit,
				struct xio_message_row **out, size_t *n, struct xio_err *err)
{
	struct sqlite_store *s = impl;
	sqlite3_stmt *st = stmt(s, S_MSG_PAGE, err);

	*out = NULL;
	*n = 0;
	if (!st)
		return XIO_EIO;
	sqlite3_bind_int64(st, 1, consilium_id);
	sqlite3_bind_int64(st, 2, after_id);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)limit);
	return collect_rows(s, st, sizeof(**out), read_message, free_messages, (void **)out, n, err,
			    "list messages");
}

static int read_task(sqlite3_stmt *st, void *row)
{
	struct xio_task_row *t = row;

	t->id = sqlite3_column_int64(st, 0);
	t->consilium_id = sqlite3_column_int64(st, 1);
	t->idx = sqlite3_column_int64(st, 2);
	t->title = col_text(st, 3);
	t->owner = col_text(st, 4);
	t->due = col_text(st, 5);
	t->priority = col_text(st, 6);
	t->status = col_text(st, 7);
	t->confidence = sqlite3_column_double(st, 8);
	return 0;
}

static void free_tasks(void *v, size_t n)
{
	xio_task_rows_free(v, n);
}

/* Collation XIO_FOLD: equal when equal but for case, Cyrillic included
 * (NOCASE folds ASCII only, and owners are often Russian names). */
static int fold_cmp(void *ud, int n1, const void *a, int n2, const void *b)
{
	char s1[256], s2[256], *f1 = s1, *f2 = s2;
	int rc;

	(void)ud;
	if ((size_t)n1 >= sizeof(s1))
		f1 = malloc((size_t)n1 + 1);
	if ((size_t)n2 >= sizeof(s2))
		f2 = malloc((size_t)n2 + 1);
	if (!f1 || !f2) {
		/* out of memory: compare as written rather than fail the query */
		rc = memcmp(a, b, (size_t)(n1 < n2 ? n1 : n2));
		rc = rc ? rc : n1 - n2;
	} else {
		xio_dates_fold(f1, a, (size_t)n1);
		xio_dates_fold(f2, b, (size_t)n2);
		rc = memcmp(f1, f2, (size_t)(n1 < n2 ? n1 : n2));
		rc = rc ? rc : n1 - n2;
	}
	if (f1 != s1)
		free(f1);
	if (f2 != s2)
		free(f2);
	return rc;
}

static int sqlite_tasks_list(void *impl, const struct xio_list_filter *f,
			     struct xio_task_row **out, size_t *n, struct xio_err *err)
{
	struct sqlite_store *s = impl;
	sqlite3_stmt *st = stmt(s, S_TASKS_LIST, err);

	*out = NULL;
	*n = 0;
	if (!st)
		return XIO_EIO;
	bind_opt(st, 1, f->owner);
	bind_opt(st, 2, f->status);
	sqlite3_bind_int64(st, 3, f->before_id);
	sqlite3_bind_int64(st, 4, (sqlite3_int64)f->limit);
	return collect_rows(s, st, sizeof(**out), read_task, free_tasks, (void **)out, n, err,
			    "list tasks");
}

static int read_hit(sqlite3_stmt *st, void *row)
{
	struct xio_decision_hit *h = row;

	h->consilium_id = sqlite3_column_int64(st, 0);
	h->workspace = col_text(st, 1);
	h->question = col_text(st, 2);
	h->decision = col_text(st, 3);
	h->status = col_text(st, 4);
	h->approved_at = sqlite3_column_int64(st, 5);
	return 0;
}

static void free_hits(void *v, size_t n)
{
	xio_decision_hits_free(v, n);
}

static int sqlite_decisions_search(void *impl, const char *query, size_t limit,
				   struct xio_decision_hit **out, size_t *n, struct xio_err *err)
{
	struct sqlite_store *s = impl;
	sqlite3_stmt *st = stmt(s, S_DEC_SEARCH, err);
	char *q;
	int rc;

	*out = NULL;
	*n = 0;
	if (!st)
		return XIO_EIO;
	q = fts_query(query ? query : "");
	if (!q)
		return xio_err_set(err, XIO_ENOMEM, "store: out of memory");
	if (!*q) {
		free(q);
		return 0;
	}
	bind_text(st, 1, q);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)limit);
	rc = collect_rows(s, st, sizeof(**out), read_hit, free_hits, (void **)out, n, err,
			  "search decisions");
	free(q);
	return rc;
}


static int sqlite_llm_call_put(void *impl, const struct xio_llm_call_row *c, struct xio_err *err)
{
	struct sqlite_store *s = impl;
	sqlite3_stmt *st = stmt(s, S_LLM_CALL_PUT, err);

	if (!st)
		return XIO_EIO;
	sqlite3_bind_int64(st, 1, c->consilium_id);
	bind_text(st, 2, c->outbox_key ? c->outbox_key : "");
	bind_text(st, 3, c->purpose ? c->purpose : "");
	bind_text(st, 4, c->persona_id ? c->persona_id : "");
	bind_text(st, 5, c->model ? c->model : "");
	bind_text(st, 6, c->outcome ? c->outcome : "error");
	bind_text(st, 7, c->error);
	sqlite3_bind_int64(st, 8, c->prompt_tokens);
	sqlite3_bind_int64(st, 9, c->completion_tokens);
	sqlite3_bind_int64(st, 10, c->latency_ms);
	sqlite3_bind_int64(st, 11, c->first_token_ms);
	sqlite3_bind_int64(st, 12, c->overhead_ms);
	sqlite3_bind_int64(st, 13, c->attempts);
	sqlite3_bind_int64(st, 14, c->created_at);
	return step_done(s, st, err, "record llm call");
}

static int sqlite_llm_summary_get(void *impl, int64_t consilium_id, char **text,
				  int64_t *upto_message_id, struct xio_err *err)
{
	struct sqlite_store *s = impl;
	sqlite3_stmt *st = stmt(s, S_LLM_SUMMARY_GET, err);
	int rc;

	*text = NULL;
	*upto_message_id = 0;
	if (!st)
		return XIO_EIO;
	sqlite3_bind_int64(st, 1, consilium_id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*text = col_text(st, 0);
		*upto_message_id = sqlite3_column_int64(st, 1);
		rc = *text ? 0 : xio_err_set(err, XIO_ENOMEM, "store: out of memory");
	} else if (rc == SQLITE_DONE) {
		rc = XIO_ENOTFOUND;
	} else {
		rc = db_fail(s, err, "read llm summary");
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc;
}

static int sqlite_llm_summary_put(void *impl, int64_t consilium_id, const char *text,
				  int64_t upto_message_id, int64_t now, struct xio_err *err)
{
	struct sqlite_store *s = impl;
	sqlite3_stmt *st = stmt(s, S_LLM_SUMMARY_PUT, err);

	if (!st)
		return XIO_EIO;
	sqlite3_bind_int64(st, 1, consilium_id);
	sqlite3_bind_int64(st, 2, upto_message_id);
	bind_text(st, 3, text ? text : "");
	sqlite3_bind_int64(st, 4, now);
	return step_done(s, st, err, "store llm summary");
}


/* ---- adapter state ---------------------------------------------------- */

static int sqlite_kv_get(void *impl, const char *key, char **value, struct xio_err *err)
{
	struct sqlite_store *s = impl;
	sqlite3_stmt *st = stmt(s, S_KV_GET, err);
	int rc;

	*value = NULL;
	if (!st)
		return XIO_EIO;
	bind_text(st, 1, key);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*value = col_text(st, 0);
		rc = *value ? 0 : xio_err_set(err, XIO_ENOMEM, "store: out of memory");
	} else if (rc == SQLITE_DONE) {
		rc = XIO_ENOTFOUND;
	} else {
		rc = db_fail(s, err, "get kv");
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc;
}

static int sqlite_kv_put(void *impl, const char *key, const char *value, struct xio_err *err)
{
	struct sqlite_store *s = impl;
	sqlite3_stmt *st = stmt(s, S_KV_PUT, err);

	if (!st)
		return XIO_EIO;
	bind_text(st, 1, key);
	bind_text(st, 2, value);
	return step_done(s, st, err, "put kv");
}

static int sqlite_consilium_open_prefix(void *impl, const char *prefix, int64_t **ids,
					char ***keys, size_t *n, struct xio_err *err)
{
	struct sqlite_store *s = impl;
	sqlite3_stmt *st = stmt(s, S_CONS_OPEN_RANGE, err);
	size_t plen = strlen(prefix), cnt = 0, cap = 0;
	int64_t *vi = NULL;
	char **vk = NULL, *hi = NULL;
	int rc;

	*ids = NULL;
	*keys = NULL;
	*n = 0;
	if (!st)
		return XIO_EIO;
	/* every key starting with prefix sorts in [prefix, prefix + 0xff) */
	hi = malloc(plen + 2);
	if (!hi)
		return xio_err_set(err, XIO_ENOMEM, "store: out of memory");
	memcpy(hi, prefix, plen);
	hi[plen] = (char)0xff;
	hi[plen + 1] = '\0';
	bind_text(st, 1, prefix);
	sqlite3_bind_text(st, 2, hi, (int)plen + 1, SQLITE_TRANSIENT);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (cnt == cap) {
			size_t ncap = cap ? cap * 2 : 4;
			int64_t *ni = realloc(vi, ncap * sizeof(*ni));
			char **nk;

			if (ni)
				vi = ni;
			nk = ni ? realloc(vk, ncap * sizeof(*nk)) : NULL;
			if (!nk) {
				rc = xio_err_set(err, XIO_ENOMEM, "store: out of memory");
				goto out;
			}
			vk = nk;
			cap = ncap;
		}
		vi[cnt] = sqlite3_column_int64(st, 0);
		vk[cnt] = col_text(st, 1);
		if (!vk[cnt]) {
			rc = xio_err_set(err, XIO_ENOMEM, "store: out of memory");
			goto out;
		}
		cnt++;
	}
	if (rc != SQLITE_DONE) {
		rc = db_fail(s, err, "list open consiliums");
		goto out;
	}
	rc = 0;
	*ids = vi;
	*keys = vk;
	*n = cnt;
	vi = NULL;
	vk = NULL;
	cnt = 0;
out:
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	while (cnt)
		free(vk[--cnt]);
	free(vk);
	free(vi);
	free(hi);
	return rc;
}

static int sqlite_consilium_rekey(void *impl, int64_t id, const char *thread_key,
				  struct xio_err *err)
{
	struct sqlite_store *s = impl;
	sqlite3_stmt *st = stmt(s, S_CONS_REKEY, err);

	if (!st)
		return XIO_EIO;
	bind_text(st, 1, thread_key);
	sqlite3_bind_int64(st, 2, id);
	return step_done(s, st, err, "rekey consilium");
}


static int sqlite_outbox_heads(void *impl, size_t max, struct xio_outbox_row **out, size_t *n,
			       struct xio_err *err)
{
	struct sqlite_store *s = impl;
	sqlite3_stmt *st = stmt(s, S_OUTBOX_HEADS, err);

	*out = NULL;
	*n = 0;
	if (!st)
		return XIO_EIO;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)max);
	return collect_outbox(s, st, out, n, err);
}

static int sqlite_outbox_head(void *impl, int64_t cid, struct xio_outbox_row *out,
			      struct xio_err *err)
{
	struct sqlite_store *s = impl;
	sqlite3_stmt *st = stmt(s, S_OUTBOX_HEAD, err);
	struct xio_outbox_row *rows = NULL;
	size_t n = 0;
	int rc;

	memset(out, 0, sizeof(*out));
	if (!st)
		return XIO_EIO;
	sqlite3_bind_int64(st, 1, cid);
	rc = collect_outbox(s, st, &rows, &n, err);
	if (!rc && n == 0)
		rc = XIO_ENOTFOUND;
	if (!rc) {
		*out = rows[0];
		free(rows);
		return 0;
	}
	xio_outbox_rows_free(rows, n);
	return rc;
}

static int sqlite_outbox_depth(void *impl, int64_t *depth, int64_t *oldest, struct xio_err *err)
{
	struct sqlite_store *s = impl;
	sqlite3_stmt *st = stmt(s, S_OUTBOX_DEPTH, err);
	int rc;

	*depth = *oldest = 0;
	if (!st)
		return XIO_EIO;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*depth = sqlite3_column_int64(st, 0);
		*oldest = sqlite3_column_int64(st, 1);
	}
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? 0 : db_fail(s, err, "outbox depth");
}

static const struct xio_store_ops sqlite_ops = {
	.name = "sqlite",
	.close = sqlite_close,
	.ping = sqlite_ping,
	.begin = sqlite_begin,
	.commit = sqlite_commit,
	.rollback = sqlite_rollback,
	.consilium_insert = sqlite_consilium_insert,
	.consilium_update = sqlite_consilium_update,
	.consilium_get = sqlite_consilium_get,
	.consilium_find_open = sqlite_consilium_find_open,
	.consilium_ids = sqlite_consilium_ids,
	.consilium_next_wake = sqlite_consilium_next_wake,
	.message_append = sqlite_message_append,
	.messages_list = sqlite_messages_list,
	.inbound_claim = sqlite_inbound_claim,
	.outbox_put = sqlite_outbox_put,
	.outbox_due = sqlite_outbox_due,
	.outbox_update = sqlite_outbox_update,
	.outbox_next_try = sqlite_outbox_next_try,
	.outbox_list = sqlite_outbox_list,
	.decision_put = sqlite_decision_put,
	.decision_get = sqlite_decision_get,
	.precedents = sqlite_precedents,
	.consilium_find_latest = sqlite_consilium_find_latest,
	.reminder_put = sqlite_reminder_put,
	.reminders_due = sqlite_reminders_due,
	.reminder_next = sqlite_reminder_next,
	.reminder_set_state = sqlite_reminder_set_state,
	.reminders_cancel = sqlite_reminders_cancel,
	.reminders_list = sqlite_reminders_list,
	.tasks_of_thread = sqlite_tasks_of_thread,
	.thread_alias_put = sqlite_thread_alias_put,
	.thread_alias_get = sqlite_thread_alias_get,
	.pending_put = sqlite_pending_put,
	.pending_list = sqlite_pending_list,
	.pending_del = sqlite_pending_del,
	.event_append = sqlite_event_append,
	.events_list = sqlite_events_list,
	.events_last_seq = sqlite_events_last_seq,
	.audit_append = sqlite_audit_append,
	.audit_list = sqlite_audit_list,
	.consiliums_list = sqlite_consiliums_list,
	.messages_page = sqlite_messages_page,
	.tasks_list = sqlite_tasks_list,
	.decisions_search = sqlite_decisions_search,
	.llm_call_put = sqlite_llm_call_put,
	.llm_summary_get = sqlite_llm_summary_get,
	.llm_summary_put = sqlite_llm_summary_put,
	.kv_get = sqlite_kv_get,
	.kv_put = sqlite_kv_put,
	.consilium_open_prefix = sqlite_consilium_open_prefix,
	.consilium_rekey = sqlite_consilium_rekey,
	.outbox_heads = sqlite_outbox_heads,
	.outbox_depth = sqlite_outbox_depth,
	.outbox_head = sqlite_outbox_head,
	.outbox_touched = sqlite_outbox_touched,
	.idle_due = sqlite_idle_due,
	.idle = sqlite_idle,
	.wal_stats = sqlite_wal_stats,
};

int xio_store_open_sqlite(struct xio_store *out, const char *path,
			  int busy_timeout_ms, int target_version,
			  struct xio_err *err)
{
	struct sqlite_store *s = NULL;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	if (target_version <= 0 || target_version > (int)XIO_ARRAY_LEN(migrations))
		target_version = (int)XIO_ARRAY_LEN(migrations);
	s = calloc(1, sizeof(*s));
	if (!s || !(s->path = strdup(path))) {
		rc = xio_err_set(err, XIO_ENOMEM, "store %s: out of memory", path);
		goto fail;
	}
	if (strcmp(path, ":memory:") != 0 && make_parent_dir(path) != 0) {
		rc = xio_err_set(err, XIO_EIO, "store %s: cannot create its directory: %s",
				 path, strerror(errno));
		goto fail;
	}
	if (sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
					      SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		rc = xio_err_set(err, XIO_EIO, "store %s: cannot open: %s", path,
				 s->db ? sqlite3_errmsg(s->db) : "out of memory");
		goto fail;
	}
	sqlite3_busy_timeout(s->db, busy_timeout_ms);
	sqlite3_extended_result_codes(s->db, 0);
	if (sqlite3_create_collation_v2(s->db, "XIO_FOLD", SQLITE_UTF8, NULL, fold_cmp, NULL) !=
	    SQLITE_OK) {
		rc = xio_err_set(err, XIO_ENOMEM, "store %s: out of memory", path);
		goto fail;
	}
	/* journal_mode answers with a row; a file that is not a database fails
	 * here with "file is not a database". */
	/* Checkpoints: see wal_hook.  journal_size_limit bounds the WAL file
	 * on disk after a checkpoint.  temp_store=MEMORY: the statement
	 * journals of a batch's savepoints and sorts stay off the disk (each
	 * was a file created and unlinked in /var/tmp). */
	rc = exec_sql(s, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
			 "PRAGMA foreign_keys=ON; "
			 "PRAGMA temp_store=MEMORY; "
			 "PRAGMA journal_size_limit=67108864;", err);
	if (rc)
		goto fail;
	/* after the PRAGMAs: it replaces SQLite's auto-checkpoint */
	sqlite3_wal_hook(s->db, wal_hook, s);
	rc = migrate(s, target_version, err);
	if (rc)
		goto fail;
	/* an in-memory database has no WAL; without the thread (out of
	 * memory) the loop checkpoints itself */
	if (strcmp(path, ":memory:") != 0)
		s->ckpt = xio_ckpt_new(path);
	out->ops = &sqlite_ops;
	out->depth = 0;
	out->impl = s;
	return 0;
fail:
	sqlite_close(s);
	return rc ? rc : XIO_EIO;
}

int xio_store_sqlite_version(struct xio_store *st, int *version)
{
	return get_version(st->impl, version, NULL);
}
