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
 * leaves either all of a step or none of it.
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
	int64_t created_at;
};

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

struct xio_store;

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

	int (*decision_put)(void *impl, int64_t consilium_id, const char *workspace, const char *status,
			    const char *log_json, const char *tasks_json, int64_t now, struct xio_err *err);
	int (*decision_get)(void *impl, int64_t consilium_id, char **status, char **log_json, char **tasks_json, struct xio_err *err);
	int (*precedents)(void *impl, const char *workspace, const char *query, size_t limit,
			  struct xio_precedent **out, size_t *n, struct xio_err *err);

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
};

struct xio_store {
	const struct xio_store_ops *ops;
	void *impl;
};

/* The schema version this build migrates to. */
#define XIO_STORE_SCHEMA_VERSION 3

/*
 * Opens (creating if needed) the SQLite store at path, in WAL mode with
 * synchronous=NORMAL, and migrates it to XIO_STORE_SCHEMA_VERSION.  The
 * directory of path is created if missing.  target_version 0 means the latest
 * (tests pass an earlier one to build old databases).  Returns 0 and fills
 * *out (caller frees with xio_store_close), or an error naming the file:
 * XIO_EIO for an unreadable or corrupt file, XIO_EINVAL for a database from a
 * newer XIO.
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

/* Row release helpers: free the strings a row owns (the row itself is the
 * caller's). */
void xio_consilium_row_release(struct xio_consilium_row *r);
void xio_message_row_release(struct xio_message_row *r);
void xio_outbox_row_release(struct xio_outbox_row *r);
void xio_message_rows_free(struct xio_message_row *v, size_t n);
void xio_outbox_rows_free(struct xio_outbox_row *v, size_t n);
void xio_precedents_free(struct xio_precedent *v, size_t n);

#endif
