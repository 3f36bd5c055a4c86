/*
 * notion.h — the Notion adapter: exports approved decisions as a page in a
 * decisions database and their tasks as rows of a tasks database, exactly
 * once, and checks that both databases have the properties XIO writes.
 *
 * It is the outbox handler of "export" rows (core/outbox.h).  Every page it
 * creates carries an idempotency key in a rich-text property ("XIO key"):
 * the outbox key of the consilium's first export row for the page, that key
 * + ":task:<n>" for task n (1-based).  Whenever the outcome of a create is
 * unknown — the process died with the row in flight, a create timed out or
 * its answer was lost, an earlier attempt failed half way — the databases
 * are queried by key (and the page's blocks counted) before anything is
 * created again, so a retry resumes where the last attempt stopped.
 *
 * Requests are paced to rate_per_sec for the integration (Notion's average
 * is 3/s), a 429 pauses every request for its Retry-After, 5xx answers and
 * timeouts are retried with backoff; permanent errors (validation,
 * unauthorized, not found) fail the export with Notion's message, which is
 * posted to the thread and logged.  Both Notion-Version 2022-06-28
 * (databases) and 2025-09-03 (data sources) are spoken.
 *
 * Everything runs on the loop's thread.
 */
#ifndef XIO_NOTION_H
#define XIO_NOTION_H

#include <json-c/json.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "engine.h"
#include "err.h"
#include "http_client.h"
#include "log.h"
#include "loop.h"
#include "outbox.h"
#include "store.h"

/* The properties XIO writes; their names are configuration. */
enum xio_notion_field {
	XIO_NOTION_D_TITLE = 0,   /* decisions: title (the question) */
	XIO_NOTION_D_STATUS,      /* select | status */
	XIO_NOTION_D_DATE,        /* date */
	XIO_NOTION_D_DECISION,    /* rich_text */
	XIO_NOTION_D_PARTICIPANTS,/* multi_select | rich_text */
	XIO_NOTION_D_RISK,        /* select | rich_text: highest impact x probability */
	XIO_NOTION_D_THREAD,      /* url | rich_text */
	XIO_NOTION_D_KEY,         /* rich_text: the idempotency key */
	XIO_NOTION_T_TITLE,       /* tasks: title */
	XIO_NOTION_T_OWNER,       /* people: owners found in the people map */
	XIO_NOTION_T_OWNER_TEXT,  /* rich_text: owners not in the map */
	XIO_NOTION_T_DUE,         /* date */
	XIO_NOTION_T_PRIORITY,    /* select | status */
	XIO_NOTION_T_STATUS,      /* select | status */
	XIO_NOTION_T_CONFIDENCE,  /* number */
	XIO_NOTION_T_SOURCE,      /* rich_text: the source message */
	XIO_NOTION_T_DECISION,    /* relation to the decision page */
	XIO_NOTION_T_KEY,         /* rich_text: the idempotency key */
	XIO_NOTION_NFIELDS
};

/* Field descriptions: config key suffix, default name, accepted types. */
struct xio_notion_field_info {
	const char *key;          /* "decision.title" -> notion.properties.decision.title */
	const char *def;          /* default property name */
	const char *types[3];     /* accepted Notion types, the first preferred */
	int required;             /* 1: cannot be switched off with "" */
};
extern const struct xio_notion_field_info xio_notion_fields[XIO_NOTION_NFIELDS];

struct xio_notion_opts {
	const char *token;         /* integration token (secret) */
	const char *api_url;       /* "https://api.notion.com/v1" */
	const char *version;       /* "2022-06-28" or "2025-09-03" */
	const char *decisions_db;  /* database ids */
	const char *tasks_db;
	/* Property names by field; NULL = the default, "" = not written
	 * (required fields cannot be ""). */
	const char *props[XIO_NOTION_NFIELDS];
	/* Owner name -> Notion user id, as "Name=user-id" strings; borrowed. */
	const char *const *people;
	size_t npeople;
	double rate_per_sec;       /* pacing; <= 0 = 3 */
	int64_t timeout_ms;        /* per request; <= 0 = 30000 */
	int max_tries;             /* per request for retryable failures; <= 0 = 4 */
	int64_t backoff_base_ms;   /* first retry delay of a request; <= 0 = 500 */
	/* Export handler only: where to find decisions and post links. */
	struct xio_store *store;            /* borrowed */
	const struct xio_engine *eng;       /* borrowed: personas and i18n */
	struct xio_metrics *metrics;        /* borrowed, may be NULL: api="notion" series */
};

struct xio_notion;

/*
 * Creates the adapter with its own HTTP client on loop (copies opts'
 * strings).  Returns 0 and *out, or XIO_EINVAL with err naming the missing
 * or bad option (token, database ids, property names), XIO_ENOMEM.  Free
 * with xio_notion_free before the loop is released.
 */
int xio_notion_new(struct xio_notion **out, struct xio_loop *loop,
		   const struct xio_notion_opts *opts, struct xio_log *log,
		   struct xio_err *err);

/* Cancels what is in flight (an export in flight stays in flight in the
 * store and is resumed, checked, by the next process) and frees.  NULL is
 * a no-op.  Run the loop afterwards so the HTTP client's handles close. */
void xio_notion_free(struct xio_notion *n);

/* The outbox handler of "export" rows (kind "export"); borrowed, valid
 * while n lives.  Register it with xio_outbox_register. */
const struct xio_outbox_handler *xio_notion_handler(struct xio_notion *n);

/* The outbox handler of "task_status" rows (written by /done and the other
 * follow-up commands: payload {"task": 0-based index, "status"}): sets the
 * status of that task's row.  A task without a row (never exported) is
 * skipped.  Borrowed, valid while n lives. */
const struct xio_outbox_handler *xio_notion_status_handler(struct xio_notion *n);

/*
 * Completion of check/update.  rc 0 or a negative code; msg explains a
 * failure (borrowed for the call).
 */
typedef void (*xio_notion_done_cb)(void *ud, int rc, const char *msg);

/*
 * Reads both databases' schemas and appends to report one line per problem
 * ("tasks: property 'Due' is missing: add a Date property named 'Due', or
 * set notion.properties.task.due to ..."), nothing when all is well.  cb
 * gets 0 when every property is present with a usable type, XIO_EINVAL
 * when report lists problems, another code when Notion could not be read
 * (msg says why).  report is borrowed until cb.  Returns 0, or a negative
 * code (cb not called).
 */
int xio_notion_check(struct xio_notion *n, struct xio_buf *report,
		     xio_notion_done_cb cb, void *ud);

/*
 * Sets the status property of the task row whose key is task_key (export
 * key + ":task:<n>", see xio_notion_task_key) to status ("open", "done",
 * "snoozed", "cancelled"; for a Notion status property the names map to
 * "Not started", "Done", "In progress", "Done").  cb gets 0, XIO_ENOTFOUND
 * when no row has the key, XIO_EAGAIN for a temporary failure, or another
 * code with Notion's message.  Returns 0, or a negative code (cb not called).
 */
int xio_notion_update_task_status(struct xio_notion *n, const char *task_key,
				  const char *status, xio_notion_done_cb cb, void *ud);

/* Writes the key of task index (1-based) of an export: "<key>:task:<index>". */
int xio_notion_task_key(char *dst, size_t n, const char *export_key, int index);

/*
 * Parses a Notion answer (status and body) into rc and a message: 0 for 2xx
 * with a JSON object body (*out = new reference, caller puts; out may be
 * NULL); XIO_EAGAIN for 429/5xx/409 (*retry_after_ms from a Retry-After
 * value, -1 if none); XIO_EAUTH for 401/403; XIO_ENOTFOUND for 404;
 * XIO_EINVAL for other 4xx; XIO_EPROTO for a body that is not the expected
 * JSON.  msg receives "code: message" from Notion's error envelope.  Pure;
 * exposed for tests and the fuzzer.
 */
int xio_notion_parse_response(long status, const char *body, size_t len,
			      const char *retry_after, json_object **out,
			      int64_t *retry_after_ms, char *msg, size_t msglen);

/*
 * Splits text into Notion rich-text items of at most 2000 UTF-16 units,
 * cutting only between UTF-8 characters, appended to arr (at most max_items
 * items; the rest is dropped and *truncated set).  Returns 0 or XIO_ENOMEM.
 * Exposed for tests.
 */
int xio_notion_rich_text(json_object *arr, const char *text, size_t max_items,
			 int *truncated);

/* Counters for tests and metrics. */
struct xio_notion_stats {
	uint64_t requests, retries, rate_limited, creates, recoveries, exports, failures;
};
void xio_notion_stats(const struct xio_notion *n, struct xio_notion_stats *st);

#endif
