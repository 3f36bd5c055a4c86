/*
 * notion.c — the Notion adapter's life cycle, `xio notion-check`'s schema
 * check and task status updates.  The export itself is in notion_export.c,
 * the request queue in notion_api.c.
 */
#include "notion_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *dup_trim_slash(const char *s)
{
	char *d = strdup(s);
	size_t l;

	if (!d)
		return NULL;
	l = strlen(d);
	while (l && d[l - 1] == '/')
		d[--l] = '\0';
	return d;
}

static void status_perform(void *ud, struct xio_outbox_job *job);

int xio_notion_new(struct xio_notion **out, struct xio_loop *loop,
		   const struct xio_notion_opts *o, struct xio_log *log, struct xio_err *err)
{
	struct xio_notion *n = NULL;
	struct xio_http_client_opts ho = { 0 };
	size_t i;
	int rc = 0, f, g;

	*out = NULL;
	if (!o->token || !*o->token)
		return xio_err_set(err, XIO_EINVAL, "notion.token is empty");
	if (!o->decisions_db || !*o->decisions_db)
		return xio_err_set(err, XIO_EINVAL, "notion.decisions_db is empty: the id of the decisions database is needed");
	if (!o->tasks_db || !*o->tasks_db)
		return xio_err_set(err, XIO_EINVAL, "notion.tasks_db is empty: the id of the tasks database is needed");
	if (!o->api_url || (strncmp(o->api_url, "http://", 7) && strncmp(o->api_url, "https://", 8)))
		return xio_err_set(err, XIO_EINVAL, "notion.api_url must be an http(s) URL");
	if (!o->version || (strcmp(o->version, "2022-06-28") && strcmp(o->version, "2025-09-03")))
		return xio_err_set(err, XIO_EINVAL, "notion.version must be 2022-06-28 or 2025-09-03");
	if (strchr(o->token, '\r') || strchr(o->token, '\n'))
		return xio_err_set(err, XIO_EINVAL, "notion.token contains a line break");
	n = calloc(1, sizeof(*n));
	if (!n)
		return xio_err_set(err, XIO_ENOMEM, "out of memory");
	n->loop = loop;
	n->log = log;
	n->store = o->store;
	n->eng = o->eng;
	n->data_sources = strcmp(o->version, "2025-09-03") == 0;
	n->interval_ms = (int64_t)(1000.0 / (o->rate_per_sec > 0 ? o->rate_per_sec : 3.0));
	n->timeout_ms = o->timeout_ms > 0 ? o->timeout_ms : 30000;
	n->max_tries = o->max_tries > 0 ? o->max_tries : 4;
	n->backoff_base_ms = o->backoff_base_ms > 0 ? o->backoff_base_ms : 500;
	n->token = strdup(o->token);
	n->api_url = dup_trim_slash(o->api_url);
	n->version = strdup(o->version);
	n->decisions.id = strdup(o->decisions_db);
	n->tasks.id = strdup(o->tasks_db);
	if (!n->token || !n->api_url || !n->version || !n->decisions.id || !n->tasks.id) {
		rc = xio_err_set(err, XIO_ENOMEM, "out of memory");
		goto out;
	}
	for (f = 0; f < XIO_NOTION_NFIELDS; f++) {
		const char *name = o->props[f] ? o->props[f] : xio_notion_fields[f].def;

		if (!*name && xio_notion_fields[f].required) {
			rc = xio_err_set(err, XIO_EINVAL, "notion.properties.%s cannot be empty",
					 xio_notion_fields[f].key);
			goto out;
		}
		n->props[f] = strdup(name);
		if (!n->props[f]) {
			rc = xio_err_set(err, XIO_ENOMEM, "out of memory");
			goto out;
		}
	}
	/* two fields of one database on one property would overwrite each other */
	for (f = 0; f < XIO_NOTION_NFIELDS; f++)
		for (g = f + 1; g < XIO_NOTION_NFIELDS; g++)
			if (*n->props[f] && (f <= XIO_NOTION_D_KEY) == (g <= XIO_NOTION_D_KEY) &&
			    strcmp(n->props[f], n->props[g]) == 0) {
				rc = xio_err_set(err, XIO_EINVAL,
						 "notion.properties.%s and notion.properties.%s both name '%s'",
						 xio_notion_fields[f].key, xio_notion_fields[g].key, n->props[f]);
				goto out;
			}
	if (o->npeople) {
		n->people = calloc(o->npeople, sizeof(char *));
		if (!n->people) {
			rc = xio_err_set(err, XIO_ENOMEM, "out of memory");
			goto out;
		}
	}
	for (i = 0; i < o->npeople; i++) {
		const char *eq = strchr(o->people[i], '=');

		if (!eq || eq == o->people[i] || !eq[1]) {
			rc = xio_err_set(err, XIO_EINVAL,
					 "notion.people item %zu: expected 'Owner name=notion-user-id'", i + 1);
			goto out;
		}
		n->people[i] = strdup(o->people[i]);
		if (!n->people[i]) {
			rc = xio_err_set(err, XIO_ENOMEM, "out of memory");
			goto out;
		}
		n->npeople++;
	}
	ho.log = log;
	ho.max_per_host = 16;
	ho.metrics = o->metrics;
	ho.api = "notion";
	n->m_retries = xio_http_retries_counter(o->metrics, "notion");
	ho.default_timeout_ms = n->timeout_ms;
	rc = xio_http_client_new(&n->http, loop, &ho, err);
	if (rc)
		goto out;
	uv_timer_init(&loop->uv, &n->pace);
	n->pace.data = n;
	n->handler.kind = "export";
	n->handler.perform = notion_export_perform;
	n->handler.ud = n;
	n->status_handler.kind = "task_status";
	n->status_handler.perform = status_perform;
	n->status_handler.ud = n;
	*out = n;
	n = NULL;
out:
	if (n) {
		for (f = 0; f < XIO_NOTION_NFIELDS; f++)
			free(n->props[f]);
		for (i = 0; i < n->npeople; i++)
			free(n->people[i]);
		free(n->people);
		free(n->decisions.id);
		free(n->tasks.id);
		free(n->token);
		free(n->api_url);
		free(n->version);
		free(n);
	}
	return rc;
}

static void pace_closed_cb(uv_handle_t *h)
{
	struct xio_notion *n = h->data;
	size_t i;
	int f;

	notion_db_release(&n->decisions);
	notion_db_release(&n->tasks);
	for (f = 0; f < XIO_NOTION_NFIELDS; f++)
		free(n->props[f]);
	for (i = 0; i < n->npeople; i++)
		free(n->people[i]);
	free(n->people);
	free(n->decisions.id);
	free(n->tasks.id);
	free(n->token);
	free(n->api_url);
	free(n->version);
	free(n);
}

void xio_notion_free(struct xio_notion *n)
{
	if (!n || n->closing)
		return;
	n->closing = 1;
	uv_timer_stop(&n->pace);
	/* in-flight requests complete now with XIO_ECANCELED, then the queue */
	xio_http_client_free(n->http);
	n->http = NULL;
	notion_queue_cancel_all(n);
	notion_export_cancel_all(n);
	uv_close((uv_handle_t *)&n->pace, pace_closed_cb);
}

const struct xio_outbox_handler *xio_notion_handler(struct xio_notion *n)
{
	return &n->handler;
}

const struct xio_outbox_handler *xio_notion_status_handler(struct xio_notion *n)
{
	return &n->status_handler;
}

void xio_notion_stats(const struct xio_notion *n, struct xio_notion_stats *st)
{
	*st = n->stats;
}

int xio_notion_task_key(char *dst, size_t n, const char *export_key, int index)
{
	int w = snprintf(dst, n, "%s:task:%d", export_key, index);

	return w < 0 || (size_t)w >= n ? XIO_ETOOBIG : 0;
}

/* ---- notion-check ---------------------------------------------------------- */

struct check_call {
	struct xio_notion *n;
	struct xio_buf *report;
	xio_notion_done_cb cb;
	void *ud;
	int stage; /* 0 decisions, 1 tasks */
	int failed;
};

static void check_schema_cb(void *ud, int rc, const char *msg)
{
	struct check_call *cc = ud;
	struct xio_notion *n = cc->n;
	struct notion_db *db = cc->stage ? &n->tasks : &n->decisions;

	if (rc) {
		xio_buf_printf(cc->report, "%s database %s: cannot read it: %s%s\n",
			       cc->stage ? "tasks" : "decisions", db->id, msg,
			       rc == XIO_ENOTFOUND ? " (share the database with the integration: "
						     "\"...\" menu > Connections > add it)"
			       : rc == XIO_EAUTH ? " (check notion.token)" : "");
		cc->failed = cc->failed ? cc->failed : rc;
	} else if (notion_check_db(n, cc->stage, cc->report)) {
		cc->failed = cc->failed ? cc->failed : XIO_EINVAL;
	}
	if (cc->stage == 0 && rc != XIO_EAUTH && rc != XIO_ECANCELED) {
		cc->stage = 1;
		rc = notion_load_schema(n, &n->tasks, check_schema_cb, cc);
		if (!rc)
			return;
		cc->failed = rc;
	}
	{
		xio_notion_done_cb cb = cc->cb;
		void *cud = cc->ud;
		int frc = cc->failed;

		free(cc);
		cb(cud, frc, frc ? "the Notion databases do not match the configuration" : "");
	}
}

int xio_notion_check(struct xio_notion *n, struct xio_buf *report, xio_notion_done_cb cb, void *ud)
{
	struct check_call *cc = calloc(1, sizeof(*cc));
	int rc;

	if (!cc)
		return XIO_ENOMEM;
	cc->n = n;
	cc->report = report;
	cc->cb = cb;
	cc->ud = ud;
	rc = notion_load_schema(n, &n->decisions, check_schema_cb, cc);
	if (rc)
		free(cc);
	return rc;
}

/* ---- task status ------------------------------------------------------------ */

struct status_call {
	struct xio_notion *n;
	char *key, *status;
	xio_notion_done_cb cb;
	void *ud;
};

static void status_finish(struct status_call *sc, int rc, const char *msg)
{
	xio_notion_done_cb cb = sc->cb;
	void *ud = sc->ud;

	free(sc->key);
	free(sc->status);
	free(sc);
	cb(ud, rc, msg ? msg : "");
}

/* The value written for a status word in a select or status property. */
const char *notion_status_name(const char *type, const char *status)
{
	if (!type || strcmp(type, "status"))
		return status;
	if (!strcmp(status, "open"))
		return "Not started";
	if (!strcmp(status, "snoozed"))
		return "In progress";
	return "Done"; /* done, cancelled, approved, amended */
}

static void patched_cb(void *ud, int rc, json_object *ans, int64_t ra, const char *msg, int unknown)
{
	(void)ans;
	(void)ra;
	(void)unknown;
	status_finish(ud, rc, msg);
}

static void status_found_cb(void *ud, int rc, json_object *ans, int64_t ra, const char *msg,
			    int unknown)
{
	struct status_call *sc = ud;
	struct xio_notion *n = sc->n;
	const char *prop = n->props[XIO_NOTION_T_STATUS];
	const char *type = notion_prop_type(&n->tasks, prop);
	json_object *results, *page, *body = NULL, *props, *val, *sel;
	char path[512];
	const char *id;

	(void)ra;
	(void)unknown;
	if (rc) {
		status_finish(sc, rc, msg);
		return;
	}
	if (!json_object_object_get_ex(ans, "results", &results) ||
	    !json_object_is_type(results, json_type_array) || json_object_array_length(results) < 1) {
		status_finish(sc, XIO_ENOTFOUND, "no task row has this key");
		return;
	}
	page = json_object_array_get_idx(results, 0);
	id = notion_str(page, "id");
	if (!id) {
		status_finish(sc, XIO_EPROTO, "query result without an id");
		return;
	}
	body = json_object_new_object();
	props = json_object_new_object();
	val = json_object_new_object();
	sel = json_object_new_object();
	if (!body || !props || !val || !sel) {
		json_object_put(body);
		json_object_put(props);
		json_object_put(val);
		json_object_put(sel);
		status_finish(sc, XIO_ENOMEM, "out of memory");
		return;
	}
	json_object_object_add(sel, "name", json_object_new_string(notion_status_name(type, sc->status)));
	json_object_object_add(val, type, sel);
	json_object_object_add(props, prop, val);
	json_object_object_add(body, "properties", props);
	snprintf(path, sizeof(path), "/pages/%s", id);
	rc = notion_request(n, "PATCH", path, body, 1, patched_cb, sc);
	json_object_put(body);
	if (rc)
		status_finish(sc, rc, xio_strerror(rc));
}

static void status_schema_cb(void *ud, int rc, const char *msg)
{
	struct status_call *sc = ud;
	struct xio_notion *n = sc->n;
	json_object *q;
	char path[512];

	if (rc) {
		status_finish(sc, rc, msg);
		return;
	}
	if (!*n->props[XIO_NOTION_T_STATUS] || !notion_prop_type(&n->tasks, n->props[XIO_NOTION_T_STATUS])) {
		status_finish(sc, XIO_EINVAL, "the tasks database has no status property (see xio notion-check)");
		return;
	}
	q = notion_key_filter(n->props[XIO_NOTION_T_KEY], "equals", sc->key, NULL);
	if (!q) {
		status_finish(sc, XIO_ENOMEM, "out of memory");
		return;
	}
	notion_query_path(n, &n->tasks, path, sizeof(path));
	rc = notion_request(n, "POST", path, q, 1, status_found_cb, sc);
	json_object_put(q);
	if (rc)
		status_finish(sc, rc, xio_strerror(rc));
}

int xio_notion_update_task_status(struct xio_notion *n, const char *task_key, const char *status,
				  xio_notion_done_cb cb, void *ud)
{
	static const char *const ok[] = { "open", "done", "snoozed", "cancelled" };
	struct status_call *sc;
	size_t i;
	int rc;

	for (i = 0; i < XIO_ARRAY_LEN(ok); i++)
		if (status && strcmp(status, ok[i]) == 0)
			break;
	if (i == XIO_ARRAY_LEN(ok) || !task_key || !*task_key)
		return XIO_EINVAL;
	sc = calloc(1, sizeof(*sc));
	if (!sc)
		return XIO_ENOMEM;
	sc->n = n;
	sc->cb = cb;
	sc->ud = ud;
	sc->key = strdup(task_key);
	sc->status = strdup(status);
	if (!sc->key || !sc->status) {
		free(sc->key);
		free(sc->status);
		free(sc);
		return XIO_ENOMEM;
	}
	if (n->tasks.loaded) {
		status_schema_cb(sc, 0, NULL);
		return 0;
	}
	rc = notion_load_schema(n, &n->tasks, status_schema_cb, sc);
	if (rc) {
		free(sc->key);
		free(sc->status);
		free(sc);
	}
	return rc;
}

/* ---- "task_status" outbox rows ---------------------------------------------- */

static void status_row_cb(void *ud, int rc, const char *msg)
{
	struct xio_outbox_job *job = ud;

	if (rc == XIO_ENOTFOUND) {
		/* never exported (or not yet: a later /export writes the task
		 * with its current status) */
		xio_outbox_done(job, 0, -1, "{\"skipped\":\"no task row in Notion\"}", NULL);
		return;
	}
	if (rc == XIO_ECANCELED)
		rc = XIO_EAGAIN;
	xio_outbox_done(job, rc, -1, rc ? NULL : "{\"updated\":true}", rc ? msg : NULL);
}

static void status_perform(void *ud, struct xio_outbox_job *job)
{
	struct xio_notion *n = ud;
	json_object *p = json_tokener_parse(job->row.payload ? job->row.payload : "");
	json_object *v;
	char *key = NULL, tkey[600];
	const char *status = NULL;
	int task = -1, rc;

	if (p && json_object_object_get_ex(p, "task", &v))
		task = json_object_get_int(v);
	if (p && json_object_object_get_ex(p, "status", &v))
		status = json_object_get_string(v);
	if (!n->store || task < 0 || !status) {
		json_object_put(p);
		xio_outbox_done(job, XIO_EINVAL, -1, NULL, "task_status payload without task and status");
		return;
	}
	key = notion_export_key(n->store, &job->row);
	if (key && !strcmp(key, job->row.key)) {
		/* no export row: the key fell back to this row's own */
		free(key);
		json_object_put(p);
		xio_outbox_done(job, 0, -1, "{\"skipped\":\"not exported\"}", NULL);
		return;
	}
	if (!key || xio_notion_task_key(tkey, sizeof(tkey), key, task + 1)) {
		free(key);
		json_object_put(p);
		xio_outbox_done(job, XIO_EAGAIN, -1, NULL, "out of memory");
		return;
	}
	free(key);
	rc = xio_notion_update_task_status(n, tkey, status, status_row_cb, job);
	json_object_put(p);
	if (rc)
		xio_outbox_done(job, rc == XIO_ENOMEM ? XIO_EAGAIN : rc, -1, NULL, xio_strerror(rc));
}
