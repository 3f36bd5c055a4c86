/*
 * store.h — persistence of consiliums, transcripts, decisions, tasks, the
 * outbox and inbound deduplication.
 *
 * The store is an interface (struct xio_store_ops) so that a second backend —
 * PostgreSQL for several replicas — can be added without touching the
 * engine.  The embedded default is SQLite in WAL mode (store_sqlite.c).
 *
 * Transactions are explicit and short: the engine's step writes the new
 * consilium state, the transcript lines it produced and its outbox rows
 * between xio_store_begin() and xio_store_commit(), so a crash at any instant
 * leaves either all of a step or none of it.  Transactions nest: an inner
 * begin/commit is a savepoint of the outer one (a batch of inbound updates
 * shares one commit, each update's step still all or nothing), and only the
 * outermost commit makes anything durable.
 *
 * Strings passed in are borrowed for the duration of the call.  Strings
 * handed out in rows are owned by the row and freed by the matching
 * *_release function.
 */
#ifndef XIO_STORE_H
#define XIO_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

/* A consilium's row: the indexed columns plus the engine's state as JSON. */
struct xio_consilium_row {
	int64_t id;          /* 0 before insert */
	char *thread_key;    /* "console:local", "slack:C1:1712.33", ... */
	char *workspace;     /* team/workspace scope for precedents */
	char *question;
	char *phase;         /* "preparation", ..., "closed" */
	char *state_json;    /* the engine's full state */
	int64_t step;        /* number of engine steps applied */
	int64_t wake_at;     /* ms when a timer event is due; 0 = none */
	int64_t created_at, updated_at;
};

/* One line of a thread's transcript. */
struct xio_message_row {
	int64_t id;
	int64_t consilium_id;
	int64_t step;         /* the engine step that recorded it */
	char *author;         /* display name as written */
	char *author_kind;    /* "human", "persona", "system" */
	char *persona_id;     /* persona id for bot lines, else NULL */
	char *text;
	char *platform_id;    /* platform message id, or NULL */
	int64_t reply_to;     /* id of the line this one answers; 0 = none;
			       * XIO_MSG_REPLY_LAST when appending: the
			       * consilium's latest line at that moment */
	int64_t created_at;
};

#define XIO_MSG_REPLY_LAST (-1)

enum xio_outbox_state {
	XIO_OUTBOX_PENDING = 0, /* not yet tried, or waiting for next_try_at */
	XIO_OUTBOX_INFLIGHT,    /* handed to an adapter: outcome unknown */
	XIO_OUTBOX_DONE,
	XIO_OUTBOX_FAILED       /* gave up; kept for inspection */
};

/* An outbound effect, made exactly-once by its key. */
struct xio_outbox_row {
	int64_t id;
	char *key;          /* "c<consilium>:s<step>:<index>" — unique */
	int64_t consilium_id;
	char *kind;         /* "post", "ask", "produce", "export", ... */
	char *payload;      /* JSON */
	int state;          /* enum xio_outbox_state */
	int attempts;
	int64_t next_try_at;
	char *last_error;
	char *result;       /* JSON the adapter returned (message ts, page id) */
	int64_t created_at;
};

/* A precedent: an earlier decision of the same workspace. */
struct xio_precedent {
	int64_t consilium_id;
	char *question;
	char *decision;
	int64_t decided_at;
};

/* A scheduled follow-up message (core/scheduler.h). */
enum xio_reminder_state {
	XIO_REMINDER_PENDING = 0,
	XIO_REMINDER_SENT,      /* its post row was written */
	XIO_REMINDER_CANCELLED  /* the task was done, or snoozed past it */
};

struct xio_reminder_row {
	int64_t id;
	char *key;            /* unique: "c12:t0:before", "d:<thread>:2025-03-04" */
	int64_t consilium_id;
	int task_idx;         /* index in the decision's tasks; -1 = none */
	char *kind;           /* "before", "due", "digest", "review", "snooze", "custom" */
	char *thread_key;
	int64_t due_at;       /* ms when it goes out */
	int state;            /* enum xio_reminder_state */
	int64_t created_at;
};

/* One entry of a consilium's live event stream (api.h serves it over a
 * WebSocket).  seq is global and strictly increasing, never reused. */
struct xio_event_row {
	int64_t seq;
	int64_t consilium_id;
	char *type;         /* "chat_message", "participant_updated", "tool_call",
			     * "artifact", "run_status" */
	char *data;         /* JSON object */
	int64_t created_at;
};

/* One line of the append-only audit log.  detail never holds a secret. */
struct xio_audit_row {
	int64_t id;
	int64_t at;
	char *actor;        /* chat author, or the API token's name */
	char *action;       /* "command", "export", "api.command", ... */
	int64_t consilium_id; /* 0 = not about one consilium */
	char *detail;       /* JSON object */
};

/* A task as mirrored from a decision: for follow-up (tasks_of_thread) and
 * for GET /api/tasks (tasks_list).  Fields a query does not read are 0/NULL. */
struct xio_task_row {
	int64_t id;
	int64_t consilium_id;
	int idx;
	char *title;
	char *owner;
	char *due;          /* "YYYY-MM-DD", RFC 3339, or NULL */
	char *priority;
	char *status;       /* "open", "done", "snoozed", "cancelled" */
	double confidence;
	int pending;        /* follow-up: it has a reminder still to go out */
};

/* An approved decision found by full-text search (drafts are not
 * precedents). */
struct xio_decision_hit {
	int64_t consilium_id;
	char *workspace;
	char *question;
	char *decision;
	char *status;         /* "approved" */
	int64_t approved_at;  /* ms; set once, a task's change does not move it */
};

/* Filters of list queries; zero/NULL fields do not filter.  Lists are newest
 * first (id descending); before_id > 0 continues a page (ids below it). */
struct xio_list_filter {
	const char *chat;       /* consiliums: thread_key equal to it or under
				 * it ("slack:C1" matches "slack:C1:1712.3") */
	const char *phase;      /* consiliums */
	const char *owner;      /* tasks */
	const char *status;     /* tasks */
	const char *actor;      /* audit */
	int64_t consilium_id;   /* audit */
	int64_t since;          /* ms: updated_at (consiliums), at (audit) */
	int64_t before_id;
	size_t limit;           /* rows wanted (required, > 0) */
};

/* One LLM completion made for a consilium: usage and latency, for its
 * record.  Strings borrowed for the call. */
struct xio_llm_call_row {
	int64_t consilium_id;
	const char *outbox_key;   /* the ask/produce row it served */
	const char *purpose;      /* "turn", "select", "judge", "integrator", ... */
	const char *persona_id;
	const char *model;
	const char *outcome;      /* "ok", "error", "invalid" (answer unusable) */
	const char *error;        /* NULL when ok */
	int64_t prompt_tokens, completion_tokens; /* -1 = not reported */
	int64_t latency_ms;       /* the completion, retries included */
	int64_t first_token_ms;   /* -1 = unknown */
	int64_t overhead_ms;      /* time in XIO itself: queueing, prompt building */
	int attempts;
	int64_t created_at;
};

struct xio_store;

/* The SQLite WAL and its checkpoints since the store was opened. */
struct xio_store_wal_stats {
	int64_t pages;             /* in the WAL after the last commit */
	int64_t thread_ckpts;      /* checkpoints run by the store's thread */
	int64_t loop_ckpts;        /* ... and by the caller's thread (the loop) */
	int64_t loop_ckpt_us;      /* time the caller's thread spent in them */
};

struct xio_store_ops {
	const char *name;
	void (*close)(void *impl);
	int (*ping)(void *impl, struct xio_err *err);
	int (*begin)(void *impl, struct xio_err *err);
	int (*commit)(void *impl, struct xio_err *err);
	void (*rollback)(void *impl);

	int (*consilium_insert)(void *impl, struct xio_consilium_row *row, struct xio_err *err);
	int (*consilium_update)(void *impl, const struct xio_consilium_row *row, struct xio_err *err);
	int (*consilium_get)(void *impl, int64_t id, struct xio_consilium_row *out, struct xio_err *err);
	int (*consilium_find_open)(void *impl, const char *thread_key, struct xio_consilium_row *out, struct xio_err *err);
	int (*consilium_ids)(void *impl, int open_only, int64_t **ids, size_t *n, struct xio_err *err);
	int (*consilium_next_wake)(void *impl, int64_t *wake_at, int64_t *id, struct xio_err *err);

	int (*message_append)(void *impl, struct xio_message_row *m, struct xio_err *err);
	int (*messages_list)(void *impl, int64_t consilium_id, struct xio_message_row **out, size_t *n, struct xio_err *err);

	int (*inbound_claim)(void *impl, const char *key, int64_t now, struct xio_err *err);

	int (*outbox_put)(void *impl, struct xio_outbox_row *row, struct xio_err *err);
	int (*outbox_due)(void *impl, int64_t now, size_t max, struct xio_outbox_row **out, size_t *n, struct xio_err *err);
	int (*outbox_update)(void *impl, const struct xio_outbox_row *row, struct xio_err *err);
	int (*outbox_next_try)(void *impl, int64_t *at, struct xio_err *err);
	int (*outbox_list)(void *impl, int64_t consilium_id, struct xio_outbox_row **out, size_t *n, struct xio_err *err);

	/* Writes a consilium's decision; the first write with status
	 * "approved" also sets its approval time (now), which later writes
	 * (a task's status) keep. */
	int (*decision_put)(void *impl, int64_t consilium_id, const char *workspace, const char *status,
			    const char *log_json, const char *tasks_json, int64_t now, struct xio_err *err);
	int (*decision_get)(void *impl, int64_t consilium_id, char **status, char **log_json, char **tasks_json, struct xio_err *err);
	/* Approved decisions of workspace matching query; decided_at is the
	 * approval time. */
	int (*precedents)(void *impl, const char *workspace, const char *query, size_t limit,
			  struct xio_precedent **out, size_t *n, struct xio_err *err);

	/* ---- follow-up (schema 3) ---- */
	/* The thread's most recent consilium, open or closed; XIO_ENOTFOUND. */
	int (*consilium_find_latest)(void *impl, const char *thread_key, struct xio_consilium_row *out, struct xio_err *err);
	/* Inserts a reminder; XIO_EDUP (nothing written) when its key exists. */
	int (*reminder_put)(void *impl, struct xio_reminder_row *row, struct xio_err *err);
	/* Pending reminders due at or before now, by thread then time, at most max. */
	int (*reminders_due)(void *impl, int64_t now, size_t max, struct xio_reminder_row **out, size_t *n, struct xio_err *err);
	/* The earliest pending due_at in *at, 0 when none is pending. */
	int (*reminder_next)(void *impl, int64_t *at, struct xio_err *err);
	int (*reminder_set_state)(void *impl, int64_t id, int state, struct xio_err *err);
	/* Cancels the pending reminders of a task (task_idx -1: of the whole consilium). */
	int (*reminders_cancel)(void *impl, int64_t consilium_id, int task_idx, struct xio_err *err);
	/* Every reminder of a consilium (0 = all), by id. */
	int (*reminders_list)(void *impl, int64_t consilium_id, struct xio_reminder_row **out, size_t *n, struct xio_err *err);
	/* The tasks of every decision of a thread, oldest consilium first. */
	int (*tasks_of_thread)(void *impl, const char *thread_key, struct xio_task_row **out, size_t *n, struct xio_err *err);

	/* ---- slack (schema 4) ---- */
	/* Thread aliases: a second, adapter-made name for a thread.  put returns
	 * 0, or XIO_EDUP when alias exists already (its target is kept); get
	 * returns 0 and a target the caller frees, or XIO_ENOTFOUND. */
	int (*thread_alias_put)(void *impl, const char *alias, const char *target, int64_t now,
				struct xio_err *err);
	int (*thread_alias_get)(void *impl, const char *alias, char **target, struct xio_err *err);

	/* Inbound events acknowledged to the platform before they were applied
	 * (Slack wants its ack within 3 s): put stores one under its dedupe key
	 * (XIO_EDUP if there already); list returns, oldest first, those whose
	 * key starts with prefix (caller frees every string and both arrays);
	 * del forgets one once applied. */
	int (*pending_put)(void *impl, const char *key, const char *payload, int64_t now,
			   struct xio_err *err);
	int (*pending_list)(void *impl, const char *prefix, char ***keys, char ***payloads, size_t *n,
			    struct xio_err *err);
	int (*pending_del)(void *impl, const char *key, struct xio_err *err);
	/* ---- operations API (api.h), schema version 3 ---- */
	/* Appends an event; sets ev->seq. */
	int (*event_append)(void *impl, struct xio_event_row *ev, struct xio_err *err);
	/* Events with seq > after_seq, oldest first, at most limit; consilium_id
	 * 0 = of every consilium. */
	int (*events_list)(void *impl, int64_t consilium_id, int64_t after_seq, size_t limit,
			   struct xio_event_row **out, size_t *n, struct xio_err *err);
	/* The highest seq stored (0 when none). */
	int (*events_last_seq)(void *impl, int64_t *seq, struct xio_err *err);
	/* Appends an audit line; sets a->id.  The table refuses updates and
	 * deletes. */
	int (*audit_append)(void *impl, struct xio_audit_row *a, struct xio_err *err);
	int (*audit_list)(void *impl, const struct xio_list_filter *f,
			  struct xio_audit_row **out, size_t *n, struct xio_err *err);
	/* Consiliums matching f (chat, phase, since, before_id, limit). */
	int (*consiliums_list)(void *impl, const struct xio_list_filter *f,
			       struct xio_consilium_row **out, size_t *n, struct xio_err *err);
	/* Transcript lines of a consilium with id > after_id, in speaking order,
	 * at most limit. */
	int (*messages_page)(void *impl, int64_t consilium_id, int64_t after_id, size_t limit,
			     struct xio_message_row **out, size_t *n, struct xio_err *err);
	/* Tasks of approved decisions matching f (owner, status, before_id,
	 * limit); a draft's or a stopped consilium's tasks are nobody's work. */
	int (*tasks_list)(void *impl, const struct xio_list_filter *f,
			  struct xio_task_row **out, size_t *n, struct xio_err *err);
	/* Approved decisions of any workspace matching free text, best first. */
	int (*decisions_search)(void *impl, const char *query, size_t limit,
				struct xio_decision_hit **out, size_t *n, struct xio_err *err);
	/* LLM record (schema 3). */
	int (*llm_call_put)(void *impl, const struct xio_llm_call_row *row, struct xio_err *err);
	/* The running summary of consilium_id's older turns: *text (caller
	 * frees) covers messages up to *upto_message_id.  XIO_ENOTFOUND if none. */
	int (*llm_summary_get)(void *impl, int64_t consilium_id, char **text,
			       int64_t *upto_message_id, struct xio_err *err);
	int (*llm_summary_put)(void *impl, int64_t consilium_id, const char *text,
			       int64_t upto_message_id, int64_t now, struct xio_err *err);
	/* Adapter state: small durable values by key.  kv_get sets *value
	 * (caller frees) or returns XIO_ENOTFOUND; kv_put inserts or replaces. */
	int (*kv_get)(void *impl, const char *key, char **value, struct xio_err *err);
	int (*kv_put)(void *impl, const char *key, const char *value, struct xio_err *err);
	/* Open consiliums whose thread key starts with prefix, oldest first:
	 * *ids and *keys (each key and both arrays caller-freed). */
	int (*consilium_open_prefix)(void *impl, const char *prefix, int64_t **ids, char ***keys,
				     size_t *n, struct xio_err *err);
	/* Moves a consilium to another thread key (a chat that changed id). */
	int (*consilium_rekey)(void *impl, int64_t id, const char *thread_key, struct xio_err *err);

	/* ---- outbox at scale (schema 8) ---- */
	/* The first row not yet done of each consilium (the only one the
	 * dispatcher may start), in id order, at most max: read through a
	 * partial index, so a pass costs the number of consiliums with work,
	 * not the number of rows queued behind them. */
	int (*outbox_heads)(void *impl, size_t max, struct xio_outbox_row **out, size_t *n, struct xio_err *err);
	/* Rows not yet done, and the creation time of the oldest (0 if none). */
	int (*outbox_depth)(void *impl, int64_t *depth, int64_t *oldest_created_at, struct xio_err *err);
	/* The first row not yet done of one consilium: 0, or XIO_ENOTFOUND
	 * when it has none.  An index lookup. */
	int (*outbox_head)(void *impl, int64_t consilium_id, struct xio_outbox_row *out,
			   struct xio_err *err);
	/* Hands over the consiliums that got outbox rows since the last call
	 * (a put that was rolled back may be among them), so that the
	 * dispatcher looks at those instead of reading every head.  *ids is
	 * caller-freed; *all is set when some were not remembered (no memory):
	 * then read every head. */
	void (*outbox_touched)(void *impl, int64_t **ids, size_t *n, int *all);

	/* Housekeeping for moments when the process has nothing else to do
	 * (SQLite: checkpoint the WAL early, in a gap, rather than inside a
	 * commit that an update waits for).  idle_due is cheap and says
	 * whether idle has work; idle does it, best effort.  Either may be
	 * NULL. */
	int (*idle_due)(void *impl);
	void (*idle)(void *impl);
	/* What the write-ahead log looks like, for the metrics.  May be NULL
	 * (a backend without one). */
	void (*wal_stats)(void *impl, struct xio_store_wal_stats *out);
};

struct xio_store {
	const struct xio_store_ops *ops;
	void *impl;
	int depth; /* open transactions, kept by the wrappers below */
};

/* The schema version this build migrates to. */
#define XIO_STORE_SCHEMA_VERSION 11

/*
 * Opens (creating if needed) the SQLite store at path, in WAL mode with
 * synchronous=NORMAL, and migrates it to XIO_STORE_SCHEMA_VERSION.  The
 * directory of path is created if missing.  target_version 0 means the latest
 * (tests pass an earlier one to build old databases).  Returns 0 and fills
 * *out (caller frees with xio_store_close), or an error naming the file:
 * XIO_EIO for an unreadable or corrupt file, XIO_EINVAL for a database from a
 * newer XIO.  The store is for one thread; its checkpoint thread, started by
 * the first xio_store_idle that has one to hand over, keeps to a connection
 * of its own and is stopped and joined by xio_store_close.
 */
int xio_store_open_sqlite(struct xio_store *out, const char *path,
			  int busy_timeout_ms, int target_version,
			  struct xio_err *err);

/* Closes the store; safe on a zeroed struct. */
void xio_store_close(struct xio_store *s);

/* Reports the schema version of an open SQLite store (for tests/tools). */
int xio_store_sqlite_version(struct xio_store *s, int *version);

/* Thin wrappers: each calls the backend's slot. Returns as the slot does. */
int xio_store_ping(struct xio_store *s, struct xio_err *err);
int xio_store_begin(struct xio_store *s, struct xio_err *err);
int xio_store_commit(struct xio_store *s, struct xio_err *err);
void xio_store_rollback(struct xio_store *s);

/* 1 when a commit now would be the outermost one, the one that makes the
 * transaction durable (a failed commit undoes its level, as rollback). */
int xio_store_outermost(const struct xio_store *s);

/* 1 when the backend has housekeeping to do at an idle moment (no I/O in
 * flight to answer); 0 otherwise or inside a transaction.  Cheap. */
int xio_store_idle_due(const struct xio_store *s);

/* Does that housekeeping now; best effort, nothing is reported.  Call it
 * only outside a transaction. */
void xio_store_idle(struct xio_store *s);

/* Row release helpers: free the strings a row owns (the row itself is the
 * caller's). */
void xio_consilium_row_release(struct xio_consilium_row *r);
void xio_message_row_release(struct xio_message_row *r);
void xio_outbox_row_release(struct xio_outbox_row *r);
void xio_message_rows_free(struct xio_message_row *v, size_t n);
void xio_outbox_rows_free(struct xio_outbox_row *v, size_t n);
void xio_precedents_free(struct xio_precedent *v, size_t n);
void xio_reminder_row_release(struct xio_reminder_row *r);
void xio_reminder_rows_free(struct xio_reminder_row *v, size_t n);
void xio_consilium_rows_free(struct xio_consilium_row *v, size_t n);
void xio_event_rows_free(struct xio_event_row *v, size_t n);
void xio_audit_rows_free(struct xio_audit_row *v, size_t n);
void xio_task_rows_free(struct xio_task_row *v, size_t n);
void xio_decision_hits_free(struct xio_decision_hit *v, size_t n);

#endif
