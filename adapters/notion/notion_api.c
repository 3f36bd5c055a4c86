/*
 * notion_api.c — the Notion REST client under the exporter: a paced request
 * queue, retries, the error envelope, rich-text splitting and the database
 * schemas (both API versions).
 *
 * Every request goes through one FIFO per integration.  A request leaves the
 * queue no sooner than 1/rate seconds after the previous one, so the
 * integration stays under Notion's average; a 429 pushes the next slot of
 * every request back by its Retry-After.  Reads and property updates are
 * retried here on 5xx and timeouts; creates are not (their outcome is
 * unknown then, and only the exporter, which can query by key, may decide
 * to try again).
 */
#include "notion_int.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const struct xio_notion_field_info xio_notion_fields[XIO_NOTION_NFIELDS] = {
	[XIO_NOTION_D_TITLE] = { "decision.title", "Name", { "title" }, 1 },
	[XIO_NOTION_D_STATUS] = { "decision.status", "Status", { "select", "status" }, 0 },
	[XIO_NOTION_D_DATE] = { "decision.date", "Date", { "date" }, 0 },
	[XIO_NOTION_D_DECISION] = { "decision.decision", "Decision", { "rich_text" }, 0 },
	[XIO_NOTION_D_PARTICIPANTS] = { "decision.participants", "Participants",
					{ "multi_select", "rich_text" }, 0 },
	[XIO_NOTION_D_RISK] = { "decision.risk_priority", "Risk priority",
				{ "select", "rich_text" }, 0 },
	[XIO_NOTION_D_THREAD] = { "decision.thread", "Thread", { "url", "rich_text" }, 0 },
	[XIO_NOTION_D_KEY] = { "decision.key", "XIO key", { "rich_text" }, 1 },
	[XIO_NOTION_T_TITLE] = { "task.title", "Name", { "title" }, 1 },
	[XIO_NOTION_T_OWNER] = { "task.owner", "Owner", { "people" }, 0 },
	[XIO_NOTION_T_OWNER_TEXT] = { "task.owner_text", "Owner name", { "rich_text" }, 0 },
	[XIO_NOTION_T_DUE] = { "task.due", "Due", { "date" }, 0 },
	/* not status: Notion's status options are workflow states, and a
	 * priority written there would land on one of them */
	[XIO_NOTION_T_PRIORITY] = { "task.priority", "Priority", { "select" }, 0 },
	[XIO_NOTION_T_STATUS] = { "task.status", "Status", { "select", "status" }, 0 },
	[XIO_NOTION_T_CONFIDENCE] = { "task.confidence", "Confidence", { "number" }, 0 },
	[XIO_NOTION_T_SOURCE] = { "task.source", "Source", { "rich_text" }, 0 },
	[XIO_NOTION_T_DECISION] = { "task.decision", "Decision", { "relation" }, 0 },
	[XIO_NOTION_T_KEY] = { "task.key", "XIO key", { "rich_text" }, 1 },
};

/* ---- responses ----------------------------------------------------------- */

int xio_notion_parse_response(long status, const char *body, size_t len,
			      const char *retry_after, json_object **out,
			      int64_t *retry_after_ms, char *msg, size_t msglen)
{
	struct json_tokener *tok = NULL;
	json_object *j = NULL, *v;
	const char *code = NULL, *text = NULL;
	int rc;

	if (out)
		*out = NULL;
	*retry_after_ms = -1;
	if (msglen)
		msg[0] = '\0';
	if (body && len) {
		tok = json_tokener_new();
		if (!tok) {
			snprintf(msg, msglen, "out of memory");
			return XIO_ENOMEM;
		}
		j = json_tokener_parse_ex(tok, body, (int)(len > 0x7fffffff ? 0x7fffffff : len));
		if (j && json_tokener_get_parse_end(tok) < len) {
			/* trailing bytes after one value: not what Notion sends */
			size_t i;

			for (i = json_tokener_get_parse_end(tok); i < len; i++)
				if (!isspace((unsigned char)body[i]))
					break;
			if (i < len) {
				json_object_put(j);
				j = NULL;
			}
		}
		json_tokener_free(tok);
	}
	if (status >= 200 && status < 300) {
		if (!j || !json_object_is_type(j, json_type_object)) {
			snprintf(msg, msglen, "HTTP %ld with a body that is not a JSON object", status);
			json_object_put(j);
			return XIO_EPROTO;
		}
		if (out)
			*out = j;
		else
			json_object_put(j);
		return 0;
	}
	if (j && json_object_is_type(j, json_type_object)) {
		if (json_object_object_get_ex(j, "code", &v) && json_object_is_type(v, json_type_string))
			code = json_object_get_string(v);
		if (json_object_object_get_ex(j, "message", &v) && json_object_is_type(v, json_type_string))
			text = json_object_get_string(v);
	}
	snprintf(msg, msglen, "HTTP %ld %s: %s", status, code ? code : "error",
		 text ? text : "(no message)");
	json_object_put(j);
	if (status == 429 || status == 409 || status >= 500) {
		if (retry_after && *retry_after) {
			char *end;
			double secs = strtod(retry_after, &end);

			if (end != retry_after && secs >= 0 && secs < 86400)
				*retry_after_ms = (int64_t)(secs * 1000.0);
		}
		rc = XIO_EAGAIN;
	} else if (status == 401 || status == 403) {
		rc = XIO_EAUTH;
	} else if (status == 404) {
		rc = XIO_ENOTFOUND;
	} else if (status >= 400) {
		rc = XIO_EINVAL;
	} else {
		rc = XIO_EPROTO;
	}
	return rc;
}

/* ---- rich text ----------------------------------------------------------- */

/* Length in bytes of the UTF-8 sequence starting with c (1 for a stray
 * byte, so that broken input still advances). */
static size_t u8len(unsigned char c)
{
	return c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 1;
}

int xio_notion_rich_text(json_object *arr, const char *text, size_t max_items, int *truncated)
{
	const char *p = text ? text : "";
	size_t items = 0;

	if (truncated)
		*truncated = 0;
	while (*p) {
		const char *start = p;
		size_t units = 0;
		json_object *item, *t, *s;

		if (items == max_items) {
			if (truncated)
				*truncated = 1;
			return 0;
		}
		while (*p) {
			size_t l = u8len((unsigned char)*p), k;
			size_t u = l == 4 ? 2 : 1; /* astral characters are 2 UTF-16 units */

			for (k = 1; k < l; k++)
				if (!p[k])
					break;
			if (k < l)
				l = k;
			if (units + u > XIO_NOTION_TEXT_MAX)
				break;
			units += u;
			p += l;
		}
		item = json_object_new_object();
		t = json_object_new_object();
		s = json_object_new_string_len(start, (int)(p - start));
		if (!item || !t || !s) {
			json_object_put(item);
			json_object_put(t);
			json_object_put(s);
			return XIO_ENOMEM;
		}
		json_object_object_add(t, "content", s);
		json_object_object_add(item, "type", json_object_new_string("text"));
		json_object_object_add(item, "text", t);
		if (json_object_array_add(arr, item)) {
			json_object_put(item);
			return XIO_ENOMEM;
		}
		items++;
	}
	return 0;
}

/* ---- the paced queue ------------------------------------------------------ */

static void pump(struct xio_notion *n);

static void pace_cb(uv_timer_t *t)
{
	pump(t->data);
}

static void req_free(struct nreq *r)
{
	if (!r)
		return;
	free(r->method);
	free(r->path);
	free(r->body);
	free(r);
}

static void queue_push(struct xio_notion *n, struct nreq *r, int front)
{
	r->next = NULL;
	if (front) {
		r->next = n->q_head;
		n->q_head = r;
		if (!n->q_tail)
			n->q_tail = r;
		return;
	}
	if (n->q_tail)
		n->q_tail->next = r;
	else
		n->q_head = r;
	n->q_tail = r;
}

static void finish_req(struct nreq *r, int rc, json_object *ans, int64_t retry_after,
		       const char *msg, int unknown)
{
	struct xio_notion *n = r->n;

	if (rc)
		n->stats.failures++;
	r->cb(r->ud, rc, ans, retry_after, msg ? msg : "", unknown);
	req_free(r);
}

static void http_done_cb(void *ud, const struct xio_http_response *resp)
{
	struct nreq *r = ud;
	struct xio_notion *n = r->n;
	json_object *ans = NULL;
	int64_t ra = -1, now = xio_clock_mono_ms();
	char msg[600];
	int rc, unknown = 0;

	n->inflight--;
	if (resp->error) {
		rc = resp->error == XIO_ECANCELED ? XIO_ECANCELED : XIO_EAGAIN;
		snprintf(msg, sizeof(msg), "%s %s: %s", r->method, r->path,
			 resp->error_msg && *resp->error_msg ? resp->error_msg
							     : xio_strerror(resp->error));
		unknown = rc == XIO_EAGAIN;
	} else {
		char emsg[512];

		rc = xio_notion_parse_response(resp->status, resp->body, resp->body_len,
					       xio_http_response_header(resp, "Retry-After"), &ans,
					       &ra, emsg, sizeof(emsg));
		snprintf(msg, sizeof(msg), "%s %s: %s", r->method, r->path, emsg);
		if (rc == XIO_EAGAIN && resp->status == 429) {
			/* Not performed: every request waits, this one goes first. */
			int64_t wait = ra >= 0 ? ra : 1000;

			n->stats.rate_limited++;
			if (n->next_slot < now + wait)
				n->next_slot = now + wait;
			if (!n->closing && r->tries < XIO_NOTION_MAX_429) {
				r->tries++;
				n->stats.retries++;
				xio_counter_add(n->m_retries, 1);
				xio_logf(n->log, XIO_LOG_WARN, "notion", "%s %s: rate limited; waiting %lld ms",
					 r->method, r->path, (long long)wait);
				queue_push(n, r, 1);
				pump(n);
				return;
			}
		} else if (rc == XIO_EAGAIN) {
			unknown = resp->status >= 500;
		}
	}
	if (rc == XIO_EAGAIN && r->retry_unknown && !n->closing && r->tries + 1 < n->max_tries) {
		/* safe to send again: a read or a property update */
		int64_t delay = n->backoff_base_ms << (r->tries < 6 ? r->tries : 6);

		if (ra > delay)
			delay = ra;
		r->tries++;
		r->not_before = now + delay;
		n->stats.retries++;
		xio_counter_add(n->m_retries, 1);
		xio_logf(n->log, XIO_LOG_WARN, "notion", "%s; retry %d in %lld ms", msg, r->tries,
			 (long long)delay);
		json_object_put(ans);
		queue_push(n, r, 0);
		pump(n);
		return;
	}
	if (rc && rc != XIO_ECANCELED && rc != XIO_EAGAIN)
		xio_logf(n->log, XIO_LOG_ERROR, "notion", "%s", msg);
	finish_req(r, rc, ans, ra, rc ? msg : NULL, unknown);
	json_object_put(ans);
	if (!n->closing)
		pump(n);
}

static int send_one(struct xio_notion *n, struct nreq *r)
{
	char url[2048], auth[600], ver[64];
	const char *headers[4];
	struct xio_http_request req = { 0 };
	struct xio_err err;
	int rc;

	snprintf(url, sizeof(url), "%s%s", n->api_url, r->path);
	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", n->token);
	snprintf(ver, sizeof(ver), "Notion-Version: %s", n->version);
	headers[0] = auth;
	headers[1] = ver;
	headers[2] = r->body ? "Content-Type: application/json" : NULL;
	headers[3] = NULL;
	req.method = r->method;
	req.url = url;
	req.headers = headers;
	req.body = r->body;
	req.body_len = r->body ? strlen(r->body) : 0;
	req.timeout_ms = n->timeout_ms;
	req.max_attempts = 1;
	req.fresh_connection = !r->retry_unknown;
	req.max_body = 16u << 20;
	n->stats.requests++;
	n->inflight++;
	rc = xio_http_send(n->http, &req, http_done_cb, r, NULL, &err);
	if (rc) {
		n->inflight--;
		finish_req(r, rc, NULL, -1, err.msg, 0);
	}
	return rc;
}

static void pump(struct xio_notion *n)
{
	int64_t now, wait = -1;
	struct nreq **pp;

	if (n->closing)
		return;
	for (;;) {
		now = xio_clock_mono_ms();
		if (n->next_slot > now) {
			wait = n->next_slot - now;
			break;
		}
		/* the first request whose backoff is over */
		for (pp = &n->q_head; *pp && (*pp)->not_before > now; pp = &(*pp)->next)
			;
		if (!*pp) {
			struct nreq *r;

			wait = -1;
			for (r = n->q_head; r; r = r->next)
				if (wait < 0 || r->not_before - now < wait)
					wait = r->not_before - now;
			break;
		}
		{
			struct nreq *r = *pp;

			*pp = r->next;
			if (n->q_tail == r) {
				struct nreq *t = n->q_head;

				while (t && t->next)
					t = t->next;
				n->q_tail = t;
			}
			n->next_slot = (n->next_slot > now - n->interval_ms ? n->next_slot : now) +
				       n->interval_ms;
			send_one(n, r);
			if (n->closing)
				return;
		}
	}
	if (wait >= 0 && n->q_head)
		uv_timer_start(&n->pace, pace_cb, (uint64_t)(wait > 0 ? wait : 1), 0);
}

int notion_request(struct xio_notion *n, const char *method, const char *path, json_object *body,
		   int retry_unknown, nreq_cb cb, void *ud)
{
	struct nreq *r = calloc(1, sizeof(*r));

	if (!r)
		return XIO_ENOMEM;
	r->n = n;
	r->cb = cb;
	r->ud = ud;
	r->retry_unknown = retry_unknown;
	r->method = strdup(method);
	r->path = strdup(path);
	if (body) {
		const char *s = json_object_to_json_string_ext(body, JSON_C_TO_STRING_PLAIN |
								      JSON_C_TO_STRING_NOSLASHESCAPE);

		r->body = s ? strdup(s) : NULL;
		if (!r->body) {
			req_free(r);
			return XIO_ENOMEM;
		}
	}
	if (!r->method || !r->path) {
		req_free(r);
		return XIO_ENOMEM;
	}
	if (n->closing) {
		req_free(r);
		return XIO_ECANCELED;
	}
	queue_push(n, r, 0);
	pump(n);
	return 0;
}

void notion_queue_cancel_all(struct xio_notion *n)
{
	while (n->q_head) {
		struct nreq *r = n->q_head;

		n->q_head = r->next;
		if (!n->q_head)
			n->q_tail = NULL;
		finish_req(r, XIO_ECANCELED, NULL, -1, "shutting down", 0);
	}
}

/* ---- schemas --------------------------------------------------------------- */

void notion_db_release(struct notion_db *d)
{
	free(d->ds_id);
	d->ds_id = NULL;
	json_object_put(d->props);
	d->props = NULL;
	d->loaded = 0;
}

struct schema_call {
	struct xio_notion *n;
	struct notion_db *db;
	notion_schema_cb cb;
	void *ud;
};

static void schema_finish(struct schema_call *sc, int rc, const char *msg)
{
	notion_schema_cb cb = sc->cb;
	void *ud = sc->ud;

	free(sc);
	cb(ud, rc, msg);
}

static int take_props(struct notion_db *db, json_object *ans)
{
	json_object *props, *types;

	if (!json_object_object_get_ex(ans, "properties", &props) ||
	    !json_object_is_type(props, json_type_object))
		return XIO_EPROTO;
	types = json_object_new_object();
	if (!types)
		return XIO_ENOMEM;
	json_object_object_foreach(props, name, p) {
		json_object *t;

		if (json_object_object_get_ex(p, "type", &t) && json_object_is_type(t, json_type_string))
			json_object_object_add(types, name, json_object_new_string(json_object_get_string(t)));
	}
	json_object_put(db->props);
	db->props = types;
	db->loaded = 1;
	return 0;
}

static void ds_cb(void *ud, int rc, json_object *ans, int64_t ra, const char *msg, int unknown)
{
	struct schema_call *sc = ud;

	(void)ra;
	(void)unknown;
	if (!rc && (rc = take_props(sc->db, ans)) == XIO_EPROTO)
		msg = "data source answer without properties";
	schema_finish(sc, rc, msg);
}

static void db_cb(void *ud, int rc, json_object *ans, int64_t ra, const char *msg, int unknown)
{
	struct schema_call *sc = ud;
	struct xio_notion *n = sc->n;
	json_object *dss, *first, *id;
	char path[512];

	(void)ra;
	(void)unknown;
	if (rc) {
		schema_finish(sc, rc, msg);
		return;
	}
	if (!n->data_sources) {
		rc = take_props(sc->db, ans);
		schema_finish(sc, rc, rc == XIO_EPROTO ? "database answer without properties" : "");
		return;
	}
	if (!json_object_object_get_ex(ans, "data_sources", &dss) ||
	    !json_object_is_type(dss, json_type_array) || json_object_array_length(dss) < 1 ||
	    !(first = json_object_array_get_idx(dss, 0)) ||
	    !json_object_object_get_ex(first, "id", &id) || !json_object_is_type(id, json_type_string)) {
		schema_finish(sc, XIO_EPROTO, "database answer without data_sources (Notion-Version 2025-09-03)");
		return;
	}
	free(sc->db->ds_id);
	sc->db->ds_id = strdup(json_object_get_string(id));
	if (!sc->db->ds_id) {
		schema_finish(sc, XIO_ENOMEM, "out of memory");
		return;
	}
	snprintf(path, sizeof(path), "/data_sources/%s", sc->db->ds_id);
	rc = notion_request(n, "GET", path, NULL, 1, ds_cb, sc);
	if (rc)
		schema_finish(sc, rc, xio_strerror(rc));
}

int notion_load_schema(struct xio_notion *n, struct notion_db *db, notion_schema_cb cb, void *ud)
{
	struct schema_call *sc = calloc(1, sizeof(*sc));
	char path[512];
	int rc;

	if (!sc)
		return XIO_ENOMEM;
	sc->n = n;
	sc->db = db;
	sc->cb = cb;
	sc->ud = ud;
	snprintf(path, sizeof(path), "/databases/%s", db->id);
	rc = notion_request(n, "GET", path, NULL, 1, db_cb, sc);
	if (rc)
		free(sc);
	return rc;
}

const char *notion_prop_type(const struct notion_db *db, const char *name)
{
	json_object *t;

	if (!db->props || !name || !*name || !json_object_object_get_ex(db->props, name, &t))
		return NULL;
	return json_object_get_string(t);
}

static const char *type_label(const char *t)
{
	static const char *const names[][2] = {
		{ "title", "Title" },   { "rich_text", "Text" }, { "select", "Select" },
		{ "status", "Status" }, { "date", "Date" },      { "multi_select", "Multi-select" },
		{ "url", "URL" },       { "people", "Person" },  { "number", "Number" },
		{ "relation", "Relation (to the decisions database)" },
	};
	size_t i;

	for (i = 0; i < XIO_ARRAY_LEN(names); i++)
		if (strcmp(names[i][0], t) == 0)
			return names[i][1];
	return t;
}

int notion_check_db(struct xio_notion *n, int tasks, struct xio_buf *report)
{
	const struct notion_db *db = tasks ? &n->tasks : &n->decisions;
	int first = tasks ? XIO_NOTION_T_TITLE : XIO_NOTION_D_TITLE;
	int last = tasks ? XIO_NOTION_T_KEY : XIO_NOTION_D_KEY;
	const char *which = tasks ? "tasks" : "decisions";
	int f, problems = 0;

	for (f = first; f <= last; f++) {
		const struct xio_notion_field_info *fi = &xio_notion_fields[f];
		const char *name = n->props[f];
		const char *have = notion_prop_type(db, name);
		size_t k;
		int ok = 0;

		if (!*name)
			continue; /* switched off */
		for (k = 0; k < XIO_ARRAY_LEN(fi->types) && fi->types[k]; k++)
			if (have && strcmp(have, fi->types[k]) == 0)
				ok = 1;
		if (ok)
			continue;
		problems++;
		if (!have)
			xio_buf_printf(report,
				       "%s database %s: property '%s' is missing: add a %s property "
				       "named '%s' to the database, or set notion.properties.%s to the "
				       "name of an existing one%s\n",
				       which, db->id, name, type_label(fi->types[0]), name, fi->key,
				       fi->required ? "" : " (or to \"\" to leave it out)");
		else
			xio_buf_printf(report,
				       "%s database %s: property '%s' is of type %s, but XIO writes %s%s%s "
				       "there: change its type to %s, or set notion.properties.%s to "
				       "another property%s\n",
				       which, db->id, name, type_label(have), type_label(fi->types[0]),
				       fi->types[1] ? " or " : "", fi->types[1] ? type_label(fi->types[1]) : "",
				       type_label(fi->types[0]), fi->key,
				       fi->required ? "" : " (or to \"\" to leave it out)");
	}
	if (tasks && *n->props[XIO_NOTION_T_TITLE] && *n->props[XIO_NOTION_D_TITLE] &&
	    strcmp(n->props[XIO_NOTION_T_KEY], n->props[XIO_NOTION_T_TITLE]) == 0) {
		problems++;
		xio_buf_printf(report, "tasks database: the key and the title cannot be the same property\n");
	}
	return problems;
}

/* ---- queries ------------------------------------------------------------- */

int notion_query_path(struct xio_notion *n, const struct notion_db *db, char *path, size_t len)
{
	if (n->data_sources)
		snprintf(path, len, "/data_sources/%s/query", db->ds_id ? db->ds_id : "");
	else
		snprintf(path, len, "/databases/%s/query", db->id);
	return 0;
}

json_object *notion_parent(struct xio_notion *n, const struct notion_db *db)
{
	json_object *p = json_object_new_object();

	if (!p)
		return NULL;
	if (n->data_sources) {
		json_object_object_add(p, "type", json_object_new_string("data_source_id"));
		json_object_object_add(p, "data_source_id", json_object_new_string(db->ds_id ? db->ds_id : ""));
	} else {
		json_object_object_add(p, "database_id", json_object_new_string(db->id));
	}
	return p;
}

json_object *notion_key_filter(const char *prop, const char *op, const char *value,
			       const char *cursor)
{
	json_object *q = json_object_new_object(), *f = json_object_new_object(),
		    *c = json_object_new_object();

	if (!q || !f || !c) {
		json_object_put(q);
		json_object_put(f);
		json_object_put(c);
		return NULL;
	}
	json_object_object_add(c, op, json_object_new_string(value));
	json_object_object_add(f, "property", json_object_new_string(prop));
	json_object_object_add(f, "rich_text", c);
	json_object_object_add(q, "filter", f);
	json_object_object_add(q, "page_size", json_object_new_int(100));
	if (cursor)
		json_object_object_add(q, "start_cursor", json_object_new_string(cursor));
	return q;
}

char *notion_plain(json_object *page, const char *prop)
{
	json_object *props, *p, *arr;
	struct xio_buf b;
	size_t i, n;

	if (!json_object_object_get_ex(page, "properties", &props) ||
	    !json_object_object_get_ex(props, prop, &p))
		return NULL;
	if (!json_object_object_get_ex(p, "rich_text", &arr) &&
	    !json_object_object_get_ex(p, "title", &arr))
		return NULL;
	if (!json_object_is_type(arr, json_type_array))
		return NULL;
	xio_buf_init(&b, 1 << 20);
	n = json_object_array_length(arr);
	for (i = 0; i < n; i++) {
		json_object *it = json_object_array_get_idx(arr, i), *t;

		if (json_object_object_get_ex(it, "plain_text", &t) &&
		    json_object_is_type(t, json_type_string) &&
		    xio_buf_puts(&b, json_object_get_string(t))) {
			xio_buf_release(&b);
			return NULL;
		}
	}
	if (!b.data)
		return strdup("");
	return xio_buf_detach(&b);
}

const char *notion_str(json_object *o, const char *k)
{
	json_object *v;

	if (o && json_object_object_get_ex(o, k, &v) && json_object_is_type(v, json_type_string))
		return json_object_get_string(v);
	return NULL;
}
