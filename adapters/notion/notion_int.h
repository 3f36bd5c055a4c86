/*
 * notion_int.h — internals shared by the Notion adapter's files: the
 * adapter's state, the paced request queue and the schema cache.
 */
#ifndef XIO_NOTION_INT_H
#define XIO_NOTION_INT_H

#include "notion.h"

#include <uv.h>

#define XIO_NOTION_TEXT_MAX 2000    /* UTF-16 units per rich-text content */
#define XIO_NOTION_RT_ITEMS 100     /* items per rich-text array */
#define XIO_NOTION_BLOCKS_MAX 100   /* block children per request */
#define XIO_NOTION_PAYLOAD_MAX 450000 /* bytes per request (Notion: 500 KB) */
#define XIO_NOTION_LIST_MAX 100     /* relations / people / multi-select options */
#define XIO_NOTION_MAX_429 12       /* 429s one request waits out */

/* Completion of one request.  ans is borrowed (NULL on error); unknown is
 * 1 when the request may have been performed (timeout, 5xx, lost answer). */
typedef void (*nreq_cb)(void *ud, int rc, json_object *ans, int64_t retry_after_ms,
			const char *msg, int unknown);

struct nreq {
	struct xio_notion *n;
	struct nreq *next;
	char *method, *path, *body;
	int retry_unknown;  /* safe to repeat: reads, property updates */
	int tries;
	int64_t not_before; /* monotonic ms of a backoff */
	nreq_cb cb;
	void *ud;
};

struct notion_db {
	char *id;          /* database id from the config */
	char *ds_id;       /* its first data source (2025-09-03) */
	json_object *props;/* name -> type, once loaded */
	int loaded;
};

struct xio_notion {
	struct xio_loop *loop;
	struct xio_http_client *http;
	struct xio_counter *m_retries; /* xio_http_retries_total{api="notion"} */
	struct xio_log *log;
	struct xio_store *store;
	const struct xio_engine *eng;
	struct xio_outbox_handler handler;        /* "export" */
	struct xio_outbox_handler status_handler; /* "task_status" */
	char *token, *api_url, *version;
	int data_sources;          /* 2025-09-03: databases hold data sources */
	char *props[XIO_NOTION_NFIELDS];
	char **people;             /* "Name=id" */
	size_t npeople;
	struct notion_db decisions, tasks;
	int64_t interval_ms, timeout_ms, backoff_base_ms;
	int max_tries;
	uv_timer_t pace;
	int64_t next_slot;         /* monotonic ms the next request may leave */
	struct nreq *q_head, *q_tail;
	unsigned inflight;
	int closing;
	struct notion_export *exports; /* in flight, for shutdown */
	struct xio_notion_stats stats;
};

/* Queues a request (path after the API base, e.g. "/pages"); body is
 * serialised now (borrowed).  cb runs exactly once unless this returns an
 * error. */
int notion_request(struct xio_notion *n, const char *method, const char *path, json_object *body,
		   int retry_unknown, nreq_cb cb, void *ud);
void notion_queue_cancel_all(struct xio_notion *n);

typedef void (*notion_schema_cb)(void *ud, int rc, const char *msg);
/* (Re)loads db's property types (and its data source under 2025-09-03). */
int notion_load_schema(struct xio_notion *n, struct notion_db *db, notion_schema_cb cb, void *ud);
void notion_db_release(struct notion_db *d);
/* Type of property name in db, or NULL. */
const char *notion_prop_type(const struct notion_db *db, const char *name);
/* Appends a line per missing or mistyped property; returns their number. */
int notion_check_db(struct xio_notion *n, int tasks, struct xio_buf *report);

int notion_query_path(struct xio_notion *n, const struct notion_db *db, char *path, size_t len);
json_object *notion_parent(struct xio_notion *n, const struct notion_db *db);
json_object *notion_key_filter(const char *prop, const char *op, const char *value,
			       const char *cursor);
/* Plain text of a title/rich_text property of a page; caller frees. */
char *notion_plain(json_object *page, const char *prop);
const char *notion_str(json_object *o, const char *k);

/* The value written for a status word ("open", "approved", ...) into a
 * property of type (select keeps the word; status maps it to Notion's
 * default options). */
const char *notion_status_name(const char *type, const char *status);

/* notion_export.c */
void notion_export_perform(void *ud, struct xio_outbox_job *job);
void notion_export_cancel_all(struct xio_notion *n);
/* The key written to Notion for a consilium's export (caller frees). */
char *notion_export_key(struct xio_store *st, const struct xio_outbox_row *row);

#endif
