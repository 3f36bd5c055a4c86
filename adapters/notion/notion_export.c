/*
 * notion_export.c — the "export" outbox handler: one approved decision
 * becomes a page in the decisions database (properties + body blocks) and
 * one row per task in the tasks database, related to the page.
 *
 * An export is a small state machine that always asks "what is still
 * missing?": the schemas, then (when an earlier attempt may have done part
 * of the work) a recovery pass that finds the page and the task rows by
 * their keys and counts the page's blocks, then the page, the rest of its
 * blocks in batches, and each missing task row.  A create whose outcome is
 * unknown sends it back to the recovery pass, never straight to a second
 * create; that is what makes the export exactly-once.  Success records the
 * result, queues a "post" row with the page link and marks the export row
 * done in one transaction.
 */
#include "notion_int.h"
#include "api_events.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define MAX_RESTARTS 6

enum rstage { R_NONE = 0, R_PAGE, R_BLOCKS, R_TASKS };

struct notion_export {
	struct xio_notion *n;
	struct xio_outbox_job *job;
	struct notion_export *next;
	char *key;                /* the idempotency key written to Notion */
	struct xio_consilium *c;
	json_object *log, *tasks; /* the decision log and the task array */
	json_object *blocks;      /* every body block, in order */
	size_t *bsize;            /* serialised size of each block */
	size_t nblocks, blocks_done, batch;
	char *page_id, *page_url;
	char **task_ids;
	size_t ntasks, cur_task;
	int schemas_ok;
	enum rstage recover;
	char *cursor;
	int restarts;
};

/* ---- small helpers --------------------------------------------------------- */

static const char *jstr(json_object *o, const char *k)
{
	return notion_str(o, k);
}

static char *text_of(struct notion_export *e, const char *key, ...)
{
	const struct xio_i18n *i18n = e->n->eng ? e->n->eng->i18n : NULL;
	const char *lang = e->c ? e->c->lang : "en";
	struct xio_buf b;
	const char *name, *val, *src;
	va_list ap;

	if (!i18n)
		return strdup(key);
	src = xio_i18n_get(i18n, lang, key);
	xio_buf_init(&b, 1 << 20);
	/* the catalogue's "{name}" placeholders, filled from the pairs */
	while (*src) {
		if (*src == '{') {
			const char *end = strchr(src, '}');
			int found = 0;

			if (end) {
				va_start(ap, key);
				while ((name = va_arg(ap, const char *))) {
					val = va_arg(ap, const char *);
					if (strlen(name) == (size_t)(end - src - 1) &&
					    strncmp(name, src + 1, (size_t)(end - src - 1)) == 0) {
						if (xio_buf_puts(&b, val ? val : "")) {
							va_end(ap);
							xio_buf_release(&b);
							return NULL;
						}
						found = 1;
						break;
					}
				}
				va_end(ap);
				if (found) {
					src = end + 1;
					continue;
				}
			}
		}
		if (xio_buf_append(&b, src, 1)) {
			xio_buf_release(&b);
			return NULL;
		}
		src++;
	}
	if (!b.data)
		return strdup("");
	return xio_buf_detach(&b);
}

static json_object *rich_text(const char *text, int *oom)
{
	json_object *arr = json_object_new_array();

	if (!arr || xio_notion_rich_text(arr, text, XIO_NOTION_RT_ITEMS, NULL)) {
		json_object_put(arr);
		*oom = 1;
		return NULL;
	}
	return arr;
}

/* ---- blocks -------------------------------------------------------------------- */

/* Appends blocks of type holding text: as many as its length needs, each
 * with at most 100 rich-text items of at most 2000 characters. */
static int add_text_blocks(json_object *blocks, const char *type, const char *text)
{
	const char *p = text ? text : "";

	do {
		json_object *b = json_object_new_object(), *body = json_object_new_object(),
			    *arr = json_object_new_array();
		int truncated = 0;
		size_t i, used = 0;

		if (!b || !body || !arr || xio_notion_rich_text(arr, p, XIO_NOTION_RT_ITEMS, &truncated)) {
			json_object_put(b);
			json_object_put(body);
			json_object_put(arr);
			return XIO_ENOMEM;
		}
		for (i = 0; i < json_object_array_length(arr); i++) {
			json_object *t, *c;

			json_object_object_get_ex(json_object_array_get_idx(arr, i), "text", &t);
			json_object_object_get_ex(t, "content", &c);
			used += (size_t)json_object_get_string_len(c);
		}
		json_object_object_add(body, "rich_text", arr);
		json_object_object_add(b, "object", json_object_new_string("block"));
		json_object_object_add(b, "type", json_object_new_string(type));
		json_object_object_add(b, type, body);
		if (json_object_array_add(blocks, b)) {
			json_object_put(b);
			return XIO_ENOMEM;
		}
		p += used;
		if (!truncated)
			break;
	} while (*p);
	return 0;
}

static int add_i18n_block(struct notion_export *e, const char *type, const char *key, ...)
{
	/* at most three name/value pairs; the catalogue decides the wording */
	const char *a[8] = { 0 };
	va_list ap;
	char *t;
	int i, rc;

	va_start(ap, key);
	for (i = 0; i < 8; i++) {
		a[i] = va_arg(ap, const char *);
		if (!a[i])
			break;
	}
	va_end(ap);
	t = text_of(e, key, a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], (const char *)NULL);
	if (!t)
		return XIO_ENOMEM;
	rc = add_text_blocks(e->blocks, type, t);
	free(t);
	return rc;
}

static int build_blocks(struct notion_export *e)
{
	json_object *alts, *risks;
	size_t i, j;
	int rc;

	e->blocks = json_object_new_array();
	if (!e->blocks)
		return XIO_ENOMEM;
	rc = add_i18n_block(e, "heading_2", "notion.decision", NULL);
	if (!rc)
		rc = add_text_blocks(e->blocks, "paragraph", jstr(e->log, "decision"));
	if (!rc)
		rc = add_i18n_block(e, "heading_2", "notion.rationale", NULL);
	if (!rc)
		rc = add_text_blocks(e->blocks, "paragraph", jstr(e->log, "rationale"));
	if (!rc && json_object_object_get_ex(e->log, "alternatives", &alts) &&
	    json_object_is_type(alts, json_type_array) && json_object_array_length(alts)) {
		rc = add_i18n_block(e, "heading_2", "notion.alternatives", NULL);
		for (i = 0; !rc && i < json_object_array_length(alts); i++) {
			json_object *a = json_object_array_get_idx(alts, i), *l;
			static const char *const kinds[2][2] = { { "pros", "notion.pro" },
								 { "cons", "notion.con" } };
			int k;

			rc = add_text_blocks(e->blocks, "heading_3", jstr(a, "title"));
			for (k = 0; !rc && k < 2; k++) {
				if (!json_object_object_get_ex(a, kinds[k][0], &l) ||
				    !json_object_is_type(l, json_type_array))
					continue;
				for (j = 0; !rc && j < json_object_array_length(l); j++)
					rc = add_i18n_block(e, "bulleted_list_item", kinds[k][1], "text",
							    json_object_get_string(json_object_array_get_idx(l, j)),
							    NULL);
			}
		}
	}
	if (!rc && json_object_object_get_ex(e->log, "risks", &risks) &&
	    json_object_is_type(risks, json_type_array) && json_object_array_length(risks)) {
		rc = add_i18n_block(e, "heading_2", "notion.risks", NULL);
		for (i = 0; !rc && i < json_object_array_length(risks); i++) {
			json_object *r = json_object_array_get_idx(risks, i), *v;
			char imp[16], pro[16], score[16];
			int im = 0, pr = 0;

			if (json_object_object_get_ex(r, "impact", &v))
				im = json_object_get_int(v);
			if (json_object_object_get_ex(r, "probability", &v))
				pr = json_object_get_int(v);
			snprintf(imp, sizeof(imp), "%d", im);
			snprintf(pro, sizeof(pro), "%d", pr);
			snprintf(score, sizeof(score), "%d", im * pr);
			rc = add_i18n_block(e, "bulleted_list_item", "notion.risk", "description",
					    jstr(r, "description"), "impact", imp, "probability", pro,
					    "score", score, NULL);
			if (!rc && jstr(r, "mitigation") && *jstr(r, "mitigation"))
				rc = add_i18n_block(e, "paragraph", "notion.mitigation", "text",
						    jstr(r, "mitigation"), NULL);
		}
	}
	if (rc)
		return rc;
	e->nblocks = json_object_array_length(e->blocks);
	e->bsize = calloc(e->nblocks ? e->nblocks : 1, sizeof(size_t));
	if (!e->bsize)
		return XIO_ENOMEM;
	for (i = 0; i < e->nblocks; i++) {
		size_t len = 0;

		json_object_to_json_string_length(json_object_array_get_idx(e->blocks, i),
						  JSON_C_TO_STRING_PLAIN, &len);
		e->bsize[i] = len + 1;
	}
	return 0;
}

/* A new array of the blocks from e->blocks_done on that fit one request
 * next to `used` bytes; e->batch receives how many. */
static json_object *next_batch(struct notion_export *e, size_t used)
{
	json_object *arr = json_object_new_array();
	size_t i;

	e->batch = 0;
	if (!arr)
		return NULL;
	for (i = e->blocks_done; i < e->nblocks && e->batch < XIO_NOTION_BLOCKS_MAX; i++) {
		if (e->batch && used + e->bsize[i] > XIO_NOTION_PAYLOAD_MAX)
			break;
		used += e->bsize[i];
		json_object_array_add(arr, json_object_get(json_object_array_get_idx(e->blocks, i)));
		e->batch++;
	}
	return arr;
}

/* ---- properties ------------------------------------------------------------------ */

/* Adds field's value for text, shaped for the property's actual type. */
static void set_text(struct notion_export *e, const struct notion_db *db, json_object *props,
		     int field, const char *text, int *oom)
{
	const char *name = e->n->props[field];
	const char *type = notion_prop_type(db, name);
	json_object *v, *inner = NULL;

	if (!*name || !type || !text)
		return;
	v = json_object_new_object();
	if (!v) {
		*oom = 1;
		return;
	}
	if (!strcmp(type, "title") || !strcmp(type, "rich_text")) {
		inner = rich_text(text, oom);
	} else if (!strcmp(type, "url")) {
		inner = *text ? json_object_new_string(text) : NULL;
	} else if (!strcmp(type, "select") || !strcmp(type, "status")) {
		char clean[101];
		size_t i;

		/* option names cannot hold commas and stay short */
		snprintf(clean, sizeof(clean), "%s", notion_status_name(type, text));
		for (i = 0; clean[i]; i++)
			if (clean[i] == ',')
				clean[i] = ' ';
		inner = json_object_new_object();
		if (inner)
			json_object_object_add(inner, "name", json_object_new_string(clean));
	} else if (!strcmp(type, "date")) {
		if (!*text) {
			json_object_put(v);
			return;
		}
		inner = json_object_new_object();
		if (inner)
			json_object_object_add(inner, "start", json_object_new_string(text));
	} else if (!strcmp(type, "multi_select")) {
		inner = json_object_new_array();
	} else {
		json_object_put(v);
		return;
	}
	json_object_object_add(v, type, inner);
	json_object_object_add(props, name, v);
}

static void set_json(struct notion_export *e, json_object *props, int field, const char *type,
		     json_object *inner)
{
	json_object *v = json_object_new_object();

	if (!v) {
		json_object_put(inner);
		return;
	}
	json_object_object_add(v, type, inner);
	json_object_object_add(props, e->n->props[field], v);
}

static char *thread_link(const struct xio_consilium *c)
{
	char buf[512], ts[64];
	size_t i, o = 0;

	if (!c || !c->platform)
		return NULL;
	if (!strcmp(c->platform, "slack") && c->chat && *c->chat) {
		for (i = 0; c->thread && c->thread[i] && o + 1 < sizeof(ts); i++)
			if (isdigit((unsigned char)c->thread[i]))
				ts[o++] = c->thread[i];
		ts[o] = '\0';
		if (o)
			snprintf(buf, sizeof(buf), "https://slack.com/archives/%s/p%s", c->chat, ts);
		else
			snprintf(buf, sizeof(buf), "https://slack.com/archives/%s", c->chat);
		return strdup(buf);
	}
	if (!strcmp(c->platform, "telegram") && c->chat && !strncmp(c->chat, "-100", 4)) {
		if (c->thread && *c->thread)
			snprintf(buf, sizeof(buf), "https://t.me/c/%s/%s", c->chat + 4, c->thread);
		else
			snprintf(buf, sizeof(buf), "https://t.me/c/%s", c->chat + 4);
		return strdup(buf);
	}
	return NULL;
}

static const char *risk_priority(json_object *log, int *max_out)
{
	json_object *risks, *v;
	size_t i;
	int max = 0;

	if (json_object_object_get_ex(log, "risks", &risks) && json_object_is_type(risks, json_type_array))
		for (i = 0; i < json_object_array_length(risks); i++) {
			json_object *r = json_object_array_get_idx(risks, i);
			int im = 0, pr = 0;

			if (json_object_object_get_ex(r, "impact", &v))
				im = json_object_get_int(v);
			if (json_object_object_get_ex(r, "probability", &v))
				pr = json_object_get_int(v);
			if (im * pr > max)
				max = im * pr;
		}
	*max_out = max;
	return max >= 15 ? "high" : max >= 8 ? "medium" : max > 0 ? "low" : NULL;
}

static json_object *decision_props(struct notion_export *e, int *oom)
{
	struct xio_notion *n = e->n;
	const struct notion_db *db = &n->decisions;
	json_object *props = json_object_new_object(), *parts;
	const char *status = jstr(e->log, "status"), *date, *risk, *ptype;
	char *link = NULL, day[32];
	int max;

	if (!props) {
		*oom = 1;
		return NULL;
	}
	set_text(e, db, props, XIO_NOTION_D_TITLE, jstr(e->log, "question") ? jstr(e->log, "question")
						  : e->c && e->c->question ? e->c->question : "",
		 oom);
	set_text(e, db, props, XIO_NOTION_D_STATUS, status ? status : "approved", oom);
	date = jstr(e->log, "updated_at") ? jstr(e->log, "updated_at") : jstr(e->log, "created_at");
	if (!date) {
		time_t now = time(NULL);
		struct tm tm;

		gmtime_r(&now, &tm);
		strftime(day, sizeof(day), "%Y-%m-%dT%H:%M:%SZ", &tm);
		date = day;
	}
	set_text(e, db, props, XIO_NOTION_D_DATE, date, oom);
	set_text(e, db, props, XIO_NOTION_D_DECISION, jstr(e->log, "decision"), oom);
	risk = risk_priority(e->log, &max);
	if (risk) {
		ptype = notion_prop_type(db, n->props[XIO_NOTION_D_RISK]);
		if (ptype && !strcmp(ptype, "rich_text")) {
			char t[64];

			snprintf(t, sizeof(t), "%s (%d)", risk, max);
			set_text(e, db, props, XIO_NOTION_D_RISK, t, oom);
		} else {
			set_text(e, db, props, XIO_NOTION_D_RISK, risk, oom);
		}
	}
	link = thread_link(e->c);
	ptype = notion_prop_type(db, n->props[XIO_NOTION_D_THREAD]);
	if (link)
		set_text(e, db, props, XIO_NOTION_D_THREAD, link, oom);
	else if (ptype && !strcmp(ptype, "rich_text") && e->c && e->c->thread_key)
		set_text(e, db, props, XIO_NOTION_D_THREAD, e->c->thread_key, oom);
	free(link);
	set_text(e, db, props, XIO_NOTION_D_KEY, e->key, oom);
	/* participants: the log's list, or who took part in the thread */
	ptype = notion_prop_type(db, n->props[XIO_NOTION_D_PARTICIPANTS]);
	if (*n->props[XIO_NOTION_D_PARTICIPANTS] && ptype) {
		struct xio_buf joined;
		json_object *ms = json_object_new_array();
		size_t i, cnt = 0, total;

		xio_buf_init(&joined, 1 << 20);
		if (!json_object_object_get_ex(e->log, "participants", &parts) ||
		    !json_object_is_type(parts, json_type_array))
			parts = NULL;
		total = parts ? json_object_array_length(parts) : e->c ? e->c->nparts : 0;
		for (i = 0; ms && i < total; i++) {
			const char *name = parts ? json_object_get_string(json_object_array_get_idx(parts, i))
						 : e->c->parts[i].name;
			char clean[101];
			size_t k;

			if (!name || !*name)
				continue;
			snprintf(clean, sizeof(clean), "%s", name);
			for (k = 0; clean[k]; k++)
				if (clean[k] == ',')
					clean[k] = ' ';
			if (cnt < XIO_NOTION_LIST_MAX) {
				json_object *o = json_object_new_object();

				if (o) {
					json_object_object_add(o, "name", json_object_new_string(clean));
					json_object_array_add(ms, o);
				}
			}
			if (cnt)
				xio_buf_puts(&joined, ", ");
			xio_buf_puts(&joined, name);
			cnt++;
		}
		if (!ms)
			*oom = 1;
		else if (!strcmp(ptype, "multi_select"))
			set_json(e, props, XIO_NOTION_D_PARTICIPANTS, "multi_select", ms);
		else {
			json_object_put(ms);
			set_text(e, db, props, XIO_NOTION_D_PARTICIPANTS, joined.data ? joined.data : "", oom);
		}
		xio_buf_release(&joined);
	}
	return props;
}

static const char *person_for(struct xio_notion *n, const char *owner)
{
	size_t i, l;

	if (!owner)
		return NULL;
	while (*owner == '@')
		owner++;
	l = strlen(owner);
	for (i = 0; i < n->npeople; i++) {
		const char *eq = strchr(n->people[i], '=');

		if ((size_t)(eq - n->people[i]) == l && strncasecmp(n->people[i], owner, l) == 0)
			return eq + 1;
	}
	return NULL;
}

static json_object *task_props(struct notion_export *e, size_t idx, int *oom)
{
	struct xio_notion *n = e->n;
	const struct notion_db *db = &n->tasks;
	json_object *t = json_object_array_get_idx(e->tasks, idx);
	json_object *props = json_object_new_object(), *v;
	const char *owner = jstr(t, "owner"), *person;
	char key[600];

	if (!props) {
		*oom = 1;
		return NULL;
	}
	set_text(e, db, props, XIO_NOTION_T_TITLE, jstr(t, "title") ? jstr(t, "title") : "", oom);
	person = person_for(n, owner);
	if (person && *n->props[XIO_NOTION_T_OWNER] &&
	    notion_prop_type(db, n->props[XIO_NOTION_T_OWNER])) {
		json_object *arr = json_object_new_array(), *p = json_object_new_object();

		if (!arr || !p) {
			json_object_put(arr);
			json_object_put(p);
			*oom = 1;
		} else {
			json_object_object_add(p, "object", json_object_new_string("user"));
			json_object_object_add(p, "id", json_object_new_string(person));
			json_object_array_add(arr, p);
			set_json(e, props, XIO_NOTION_T_OWNER, "people", arr);
		}
	}
	if (owner && *owner && (!person || !*n->props[XIO_NOTION_T_OWNER]))
		set_text(e, db, props, XIO_NOTION_T_OWNER_TEXT, owner, oom);
	set_text(e, db, props, XIO_NOTION_T_DUE, jstr(t, "due") ? jstr(t, "due") : "", oom);
	if (jstr(t, "priority"))
		set_text(e, db, props, XIO_NOTION_T_PRIORITY, jstr(t, "priority"), oom);
	set_text(e, db, props, XIO_NOTION_T_STATUS, jstr(t, "status") ? jstr(t, "status") : "open", oom);
	if (json_object_object_get_ex(t, "confidence", &v) && *n->props[XIO_NOTION_T_CONFIDENCE] &&
	    notion_prop_type(db, n->props[XIO_NOTION_T_CONFIDENCE]))
		set_json(e, props, XIO_NOTION_T_CONFIDENCE, "number",
			 json_object_new_double(json_object_get_double(v)));
	if (jstr(t, "source_message") && *jstr(t, "source_message"))
		set_text(e, db, props, XIO_NOTION_T_SOURCE, jstr(t, "source_message"), oom);
	if (*n->props[XIO_NOTION_T_DECISION] && notion_prop_type(db, n->props[XIO_NOTION_T_DECISION])) {
		json_object *arr = json_object_new_array(), *p = json_object_new_object();

		if (!arr || !p) {
			json_object_put(arr);
			json_object_put(p);
			*oom = 1;
		} else {
			json_object_object_add(p, "id", json_object_new_string(e->page_id));
			json_object_array_add(arr, p);
			set_json(e, props, XIO_NOTION_T_DECISION, "relation", arr);
		}
	}
	xio_notion_task_key(key, sizeof(key), e->key, (int)idx + 1);
	set_text(e, db, props, XIO_NOTION_T_KEY, key, oom);
	return props;
}

/* ---- ending an export ---------------------------------------------------------- */

static void export_free(struct notion_export *e)
{
	struct notion_export **pp;
	size_t i;

	for (pp = &e->n->exports; *pp; pp = &(*pp)->next)
		if (*pp == e) {
			*pp = e->next;
			break;
		}
	for (i = 0; i < e->ntasks; i++)
		free(e->task_ids[i]);
	free(e->task_ids);
	free(e->bsize);
	free(e->cursor);
	free(e->page_id);
	free(e->page_url);
	free(e->key);
	json_object_put(e->blocks);
	json_object_put(e->log);
	json_object_put(e->tasks);
	xio_consilium_free(e->c);
	free(e);
}

/* Writes a "post" row from the Scribe into the consilium's thread. */
static int put_post(struct notion_export *e, const char *key, const char *text, struct xio_err *err)
{
	struct xio_store *st = e->n->store;
	const struct xio_persona *p = NULL;
	struct xio_outbox_row o = { 0 };
	json_object *payload;
	int rc;

	if (!e->c)
		return 0; /* nowhere to post */
	if (e->n->eng && e->n->eng->personas)
		p = xio_personas_by_role(e->n->eng->personas, XIO_ROLE_SCRIBE);
	payload = json_object_new_object();
	if (!payload)
		return xio_err_set(err, XIO_ENOMEM, "out of memory");
	json_object_object_add(payload, "platform", json_object_new_string(e->c->platform ? e->c->platform : ""));
	json_object_object_add(payload, "chat", json_object_new_string(e->c->chat ? e->c->chat : ""));
	json_object_object_add(payload, "thread", json_object_new_string(e->c->thread ? e->c->thread : ""));
	json_object_object_add(payload, "persona_id", json_object_new_string(p ? p->id : "scribe"));
	json_object_object_add(payload, "persona_name", json_object_new_string(p ? p->name : "Scribe"));
	json_object_object_add(payload, "icon", json_object_new_string(p && p->icon ? p->icon : ""));
	json_object_object_add(payload, "lang", json_object_new_string(e->c->lang));
	json_object_object_add(payload, "text", json_object_new_string(text));
	o.key = (char *)key;
	o.consilium_id = e->job->row.consilium_id;
	o.kind = "post";
	o.payload = (char *)json_object_to_json_string_ext(payload, JSON_C_TO_STRING_PLAIN |
								     JSON_C_TO_STRING_NOSLASHESCAPE);
	o.next_try_at = e->job->row.next_try_at;
	o.created_at = e->job->row.created_at;
	rc = st->ops->outbox_put(st->impl, &o, err);
	json_object_put(payload);
	return rc == XIO_EDUP ? 0 : rc;
}

/* Appends the audit line of an export's end (action "export.done" or
 * "export.failed"): where it went, under which key, and the pages or the
 * error (through the log's redactor).  in_tx: inside the caller's
 * transaction.  Returns 0 or the store's error. */
static int audit_export(struct notion_export *e, int in_tx, const char *action, const char *error,
			struct xio_err *err)
{
	struct xio_outbox_job *job = e->job;
	json_object *d = json_object_new_object();
	char *safe = NULL;
	int rc;

	if (!d)
		return xio_err_set(err, XIO_ENOMEM, "out of memory");
	json_object_object_add(d, "destination", json_object_new_string("notion"));
	json_object_object_add(d, "key", json_object_new_string(job->row.key ? job->row.key : ""));
	if (error) {
		safe = e->n->log ? xio_log_redact(e->n->log, error) : strdup(error);
		json_object_object_add(d, "error", json_object_new_string(safe ? safe : ""));
	} else {
		json_object_object_add(d, "page_id", json_object_new_string(e->page_id ? e->page_id : ""));
		json_object_object_add(d, "url", json_object_new_string(e->page_url ? e->page_url : ""));
		json_object_object_add(d, "tasks", json_object_new_int64((int64_t)e->ntasks));
	}
	rc = xio_api_audit(e->n->store, in_tx, xio_clock_now(&xio_clock_system), "xio", action,
			   job->row.consilium_id, d, err);
	free(safe);
	json_object_put(d);
	return rc;
}

static void finish_retry(struct notion_export *e, int64_t retry_after, const char *msg)
{
	struct xio_outbox_job *job = e->job;

	export_free(e);
	xio_outbox_done(job, XIO_EAGAIN, retry_after, NULL, msg);
}

static void finish_failed(struct notion_export *e, int rc, const char *msg)
{
	struct xio_outbox_job *job = e->job;
	struct xio_err err;
	char key[400], *text;

	xio_logf(e->n->log, XIO_LOG_ERROR, "notion", "%s: export failed: %s", job->row.key, msg);
	e->n->stats.failures++;
	snprintf(key, sizeof(key), "%s:notion-error:%d", job->row.key, job->row.attempts);
	text = text_of(e, "notion.failed", "error", msg, (const char *)NULL);
	if (text && e->n->store && put_post(e, key, text, &err))
		xio_logf(e->n->log, XIO_LOG_ERROR, "notion", "%s: cannot queue the error message: %s",
			 job->row.key, err.msg);
	if (e->n->store && audit_export(e, 0, "export.failed", msg, &err))
		xio_logf(e->n->log, XIO_LOG_ERROR, "notion", "%s: cannot audit the failure: %s",
			 job->row.key, err.msg);
	free(text);
	export_free(e);
	xio_outbox_done(job, rc, -1, NULL, msg);
}

static void finish_ok(struct notion_export *e)
{
	struct xio_outbox_job *job = e->job;
	struct xio_store *st = e->n->store;
	struct xio_outbox_row row = job->row;
	json_object *res = json_object_new_object(), *ids = json_object_new_array();
	char key[400], count[16], *text = NULL;
	struct xio_err err;
	size_t i;
	int rc = XIO_ENOMEM;

	if (!res || !ids)
		goto fail;
	for (i = 0; i < e->ntasks; i++)
		json_object_array_add(ids, json_object_new_string(e->task_ids[i]));
	json_object_object_add(res, "page_id", json_object_new_string(e->page_id));
	json_object_object_add(res, "url", json_object_new_string(e->page_url ? e->page_url : ""));
	json_object_object_add(res, "key", json_object_new_string(e->key));
	json_object_object_add(res, "tasks", ids);
	ids = NULL;
	snprintf(count, sizeof(count), "%zu", e->ntasks);
	text = text_of(e, "notion.exported", "url", e->page_url ? e->page_url : e->page_id, "tasks",
		       count, (const char *)NULL);
	if (!text)
		goto fail;
	snprintf(key, sizeof(key), "%s:notion", job->row.key);
	/* the link and the row's "done" are one transaction: a crash between
	 * them would otherwise post twice or never */
	rc = xio_store_begin(st, &err);
	if (rc)
		goto fail;
	rc = put_post(e, key, text, &err);
	if (!rc) {
		row.state = XIO_OUTBOX_DONE;
		row.attempts++;
		row.last_error = NULL;
		row.result = (char *)json_object_to_json_string_ext(res, JSON_C_TO_STRING_PLAIN |
									  JSON_C_TO_STRING_NOSLASHESCAPE);
		rc = st->ops->outbox_update(st->impl, &row, &err);
	}
	if (!rc)
		rc = audit_export(e, 1, "export.done", NULL, &err);
	if (!rc)
		rc = xio_store_commit(st, &err);
	else
		xio_store_rollback(st);
	if (rc)
		goto fail;
	xio_logf(e->n->log, XIO_LOG_INFO, "notion", "%s: exported to %s with %zu tasks", job->row.key,
		 e->page_url ? e->page_url : e->page_id, e->ntasks);
	e->n->stats.exports++;
	free(text);
	json_object_put(res);
	export_free(e);
	xio_outbox_done(job, XIO_EDUP, -1, NULL, NULL);
	return;
fail:
	free(text);
	json_object_put(res);
	json_object_put(ids);
	/* everything is in Notion; the retry finds it by key and ends here */
	finish_retry(e, -1, rc == XIO_ENOMEM ? "out of memory" : "cannot record the export");
}

/* ---- the state machine --------------------------------------------------------- */

static void advance(struct notion_export *e);

/* A failed request: retry the export, recover, or give up. */
static void on_error(struct notion_export *e, int rc, int64_t ra, const char *msg, int unknown)
{
	if (rc == XIO_ECANCELED) {
		finish_retry(e, 0, "shutting down");
		return;
	}
	if (rc == XIO_EPROTO)
		unknown = 1, rc = XIO_EAGAIN;
	if (rc == XIO_EAGAIN && unknown) {
		/* the create may have happened: look before creating again */
		if (++e->restarts > MAX_RESTARTS) {
			finish_retry(e, ra, msg);
			return;
		}
		e->n->stats.recoveries++;
		xio_logf(e->n->log, XIO_LOG_WARN, "notion", "%s: %s; checking what exists",
			 e->job->row.key, msg);
		e->recover = R_PAGE;
		free(e->cursor);
		e->cursor = NULL;
		advance(e);
		return;
	}
	if (rc == XIO_EAGAIN) {
		finish_retry(e, ra, msg);
		return;
	}
	if (rc == XIO_EINVAL) {
		/* the databases may have changed: read them again next time */
		e->n->decisions.loaded = 0;
		e->n->tasks.loaded = 0;
	}
	finish_failed(e, rc, msg);
}

static void schema_cb(void *ud, int rc, const char *msg)
{
	struct notion_export *e = ud;

	if (rc) {
		on_error(e, rc, -1, msg, 0);
		return;
	}
	advance(e);
}

static void page_created_cb(void *ud, int rc, json_object *ans, int64_t ra, const char *msg, int unknown)
{
	struct notion_export *e = ud;

	if (rc) {
		on_error(e, rc, ra, msg, unknown);
		return;
	}
	e->n->stats.creates++;
	e->page_id = jstr(ans, "id") ? strdup(jstr(ans, "id")) : NULL;
	e->page_url = jstr(ans, "url") ? strdup(jstr(ans, "url")) : NULL;
	if (!e->page_id) {
		on_error(e, XIO_EPROTO, -1, "page created without an id in the answer", 1);
		return;
	}
	e->blocks_done += e->batch;
	advance(e);
}

static void appended_cb(void *ud, int rc, json_object *ans, int64_t ra, const char *msg, int unknown)
{
	struct notion_export *e = ud;

	(void)ans;
	if (rc) {
		on_error(e, rc, ra, msg, unknown);
		return;
	}
	e->blocks_done += e->batch;
	advance(e);
}

static void task_created_cb(void *ud, int rc, json_object *ans, int64_t ra, const char *msg, int unknown)
{
	struct notion_export *e = ud;

	if (rc) {
		on_error(e, rc, ra, msg, unknown);
		return;
	}
	e->n->stats.creates++;
	if (!jstr(ans, "id")) {
		on_error(e, XIO_EPROTO, -1, "row created without an id in the answer", 1);
		return;
	}
	e->task_ids[e->cur_task] = strdup(jstr(ans, "id"));
	if (!e->task_ids[e->cur_task]) {
		on_error(e, XIO_EAGAIN, -1, "out of memory", 1);
		return;
	}
	advance(e);
}

static int take_cursor(struct notion_export *e, json_object *ans)
{
	json_object *more;
	const char *next = jstr(ans, "next_cursor");

	free(e->cursor);
	e->cursor = NULL;
	if (json_object_object_get_ex(ans, "has_more", &more) && json_object_get_boolean(more) && next) {
		e->cursor = strdup(next);
		return e->cursor ? 1 : 0;
	}
	return 0;
}

static void recover_cb(void *ud, int rc, json_object *ans, int64_t ra, const char *msg, int unknown)
{
	struct notion_export *e = ud;
	json_object *results;
	size_t i, cnt;

	(void)unknown;
	if (rc) {
		on_error(e, rc, ra, msg, 0);
		return;
	}
	if (!json_object_object_get_ex(ans, "results", &results) ||
	    !json_object_is_type(results, json_type_array)) {
		on_error(e, XIO_EAGAIN, -1, "list answer without results", 0);
		return;
	}
	cnt = json_object_array_length(results);
	switch (e->recover) {
	case R_PAGE:
		if (cnt) {
			json_object *p = json_object_array_get_idx(results, 0);

			free(e->page_id);
			free(e->page_url);
			e->page_id = jstr(p, "id") ? strdup(jstr(p, "id")) : NULL;
			e->page_url = jstr(p, "url") ? strdup(jstr(p, "url")) : NULL;
			if (cnt > 1)
				xio_logf(e->n->log, XIO_LOG_WARN, "notion",
					 "%s: %zu decision pages carry this key; using the first",
					 e->job->row.key, cnt);
			e->blocks_done = 0;
			e->recover = e->page_id ? R_BLOCKS : R_TASKS;
		} else {
			e->recover = R_TASKS;
		}
		break;
	case R_BLOCKS:
		e->blocks_done += cnt;
		if (!take_cursor(e, ans)) {
			if (e->blocks_done > e->nblocks)
				e->blocks_done = e->nblocks;
			e->recover = R_TASKS;
		}
		break;
	case R_TASKS:
		for (i = 0; i < cnt; i++) {
			json_object *p = json_object_array_get_idx(results, i);
			char *k = notion_plain(p, e->n->props[XIO_NOTION_T_KEY]);
			size_t kl = strlen(e->key);
			long idx;

			if (k && strncmp(k, e->key, kl) == 0 && strncmp(k + kl, ":task:", 6) == 0 &&
			    (idx = strtol(k + kl + 6, NULL, 10)) >= 1 && (size_t)idx <= e->ntasks &&
			    !e->task_ids[idx - 1] && jstr(p, "id"))
				e->task_ids[idx - 1] = strdup(jstr(p, "id"));
			free(k);
		}
		if (!take_cursor(e, ans))
			e->recover = R_NONE;
		break;
	default:
		break;
	}
	advance(e);
}

static void send_or_fail(struct notion_export *e, const char *method, const char *path,
			 json_object *body, int retry_unknown, nreq_cb cb)
{
	int rc = body ? notion_request(e->n, method, path, body, retry_unknown, cb, e) : XIO_ENOMEM;

	json_object_put(body);
	if (rc)
		on_error(e, rc == XIO_ENOMEM ? XIO_EAGAIN : rc, -1, xio_strerror(rc), 0);
}

static void advance(struct notion_export *e)
{
	struct xio_notion *n = e->n;
	char path[700], tkey[600];
	json_object *body;
	int oom = 0;

	if (!n->decisions.loaded) {
		int rc = notion_load_schema(n, &n->decisions, schema_cb, e);

		if (rc)
			on_error(e, rc == XIO_ENOMEM ? XIO_EAGAIN : rc, -1, xio_strerror(rc), 0);
		return;
	}
	if (!n->tasks.loaded) {
		int rc = notion_load_schema(n, &n->tasks, schema_cb, e);

		if (rc)
			on_error(e, rc == XIO_ENOMEM ? XIO_EAGAIN : rc, -1, xio_strerror(rc), 0);
		return;
	}
	if (!e->schemas_ok) {
		struct xio_buf report;
		int problems;

		xio_buf_init(&report, 4096);
		problems = notion_check_db(n, 0, &report) + notion_check_db(n, 1, &report);
		if (problems) {
			char msg[1024];
			size_t l;

			snprintf(msg, sizeof(msg), "%s", report.data ? report.data : "schema mismatch");
			l = strlen(msg);
			while (l && msg[l - 1] == '\n')
				msg[--l] = '\0';
			xio_buf_release(&report);
			n->decisions.loaded = n->tasks.loaded = 0;
			finish_failed(e, XIO_EINVAL, msg);
			return;
		}
		xio_buf_release(&report);
		e->schemas_ok = 1;
	}
	switch (e->recover) {
	case R_PAGE:
		notion_query_path(n, &n->decisions, path, sizeof(path));
		send_or_fail(e, "POST", path,
			     notion_key_filter(n->props[XIO_NOTION_D_KEY], "equals", e->key, e->cursor), 1,
			     recover_cb);
		return;
	case R_BLOCKS:
		snprintf(path, sizeof(path), "/blocks/%s/children?page_size=100%s%s", e->page_id,
			 e->cursor ? "&start_cursor=" : "", e->cursor ? e->cursor : "");
		{
			int rc = notion_request(n, "GET", path, NULL, 1, recover_cb, e);

			if (rc)
				on_error(e, rc == XIO_ENOMEM ? XIO_EAGAIN : rc, -1, xio_strerror(rc), 0);
		}
		return;
	case R_TASKS:
		notion_query_path(n, &n->tasks, path, sizeof(path));
		snprintf(tkey, sizeof(tkey), "%s:task:", e->key);
		send_or_fail(e, "POST", path,
			     notion_key_filter(n->props[XIO_NOTION_T_KEY], "starts_with", tkey, e->cursor), 1,
			     recover_cb);
		return;
	default:
		break;
	}
	if (!e->page_id) {
		json_object *props = decision_props(e, &oom), *children;
		size_t used = 0;

		body = json_object_new_object();
		if (props)
			json_object_to_json_string_length(props, JSON_C_TO_STRING_PLAIN, &used);
		children = next_batch(e, used + 200);
		if (oom || !body || !props || !children) {
			json_object_put(body);
			json_object_put(props);
			json_object_put(children);
			on_error(e, XIO_EAGAIN, -1, "out of memory", 0);
			return;
		}
		json_object_object_add(body, "parent", notion_parent(n, &n->decisions));
		json_object_object_add(body, "properties", props);
		json_object_object_add(body, "children", children);
		send_or_fail(e, "POST", "/pages", body, 0, page_created_cb);
		return;
	}
	if (e->blocks_done < e->nblocks) {
		json_object *children = next_batch(e, 100);

		body = json_object_new_object();
		if (!body || !children) {
			json_object_put(body);
			json_object_put(children);
			on_error(e, XIO_EAGAIN, -1, "out of memory", 0);
			return;
		}
		json_object_object_add(body, "children", children);
		snprintf(path, sizeof(path), "/blocks/%s/children", e->page_id);
		send_or_fail(e, "PATCH", path, body, 0, appended_cb);
		return;
	}
	for (e->cur_task = 0; e->cur_task < e->ntasks; e->cur_task++)
		if (!e->task_ids[e->cur_task])
			break;
	if (e->cur_task < e->ntasks) {
		json_object *props = task_props(e, e->cur_task, &oom);

		body = json_object_new_object();
		if (oom || !body || !props) {
			json_object_put(body);
			json_object_put(props);
			on_error(e, XIO_EAGAIN, -1, "out of memory", 0);
			return;
		}
		json_object_object_add(body, "parent", notion_parent(n, &n->tasks));
		json_object_object_add(body, "properties", props);
		send_or_fail(e, "POST", "/pages", body, 0, task_created_cb);
		return;
	}
	finish_ok(e);
}

/* ---- the handler ------------------------------------------------------------------- */

/* The key written to Notion: the outbox key of the consilium's first export
 * row, so that /export (a new row) resumes the same page. */
char *notion_export_key(struct xio_store *st, const struct xio_outbox_row *row)
{
	struct xio_outbox_row *rows = NULL;
	struct xio_err err;
	size_t n = 0, i;
	char *key = NULL;

	if (row->consilium_id &&
	    !st->ops->outbox_list(st->impl, row->consilium_id, &rows, &n, &err)) {
		for (i = 0; i < n; i++)
			if (rows[i].kind && !strcmp(rows[i].kind, "export") &&
			    rows[i].consilium_id == row->consilium_id) {
				key = strdup(rows[i].key);
				break;
			}
		xio_outbox_rows_free(rows, n);
	}
	return key ? key : strdup(row->key);
}

void notion_export_perform(void *ud, struct xio_outbox_job *job)
{
	struct xio_notion *n = ud;
	struct notion_export *e = calloc(1, sizeof(*e));
	struct xio_store *st = n->store;
	struct xio_consilium_row crow = { 0 };
	char *status = NULL, *log_json = NULL, *tasks_json = NULL;
	struct xio_err err;
	int rc;

	if (!e) {
		xio_outbox_done(job, XIO_EAGAIN, -1, NULL, "out of memory");
		return;
	}
	e->n = n;
	e->job = job;
	e->next = n->exports;
	n->exports = e;
	if (!st) {
		finish_failed(e, XIO_ESTATE, "the Notion exporter has no store");
		return;
	}
	e->key = notion_export_key(st, &job->row);
	if (!e->key) {
		finish_retry(e, -1, "out of memory");
		return;
	}
	rc = st->ops->consilium_get(st->impl, job->row.consilium_id, &crow, &err);
	if (!rc) {
		e->c = xio_consilium_from_json(crow.state_json, &err);
		xio_consilium_row_release(&crow);
	}
	rc = st->ops->decision_get(st->impl, job->row.consilium_id, &status, &log_json, &tasks_json, &err);
	if (rc) {
		if (rc == XIO_ENOTFOUND)
			finish_failed(e, rc, "no decision is recorded for this consilium");
		else
			finish_retry(e, -1, err.msg);
		return;
	}
	e->log = json_tokener_parse(log_json ? log_json : "{}");
	e->tasks = json_tokener_parse(tasks_json ? tasks_json : "[]");
	free(status);
	free(log_json);
	free(tasks_json);
	if (!e->log || !json_object_is_type(e->log, json_type_object) || !e->tasks ||
	    !json_object_is_type(e->tasks, json_type_array)) {
		finish_failed(e, XIO_EINVAL, "the stored decision is not a JSON object with a task array");
		return;
	}
	e->ntasks = json_object_array_length(e->tasks);
	e->task_ids = calloc(e->ntasks ? e->ntasks : 1, sizeof(char *));
	if (!e->task_ids || build_blocks(e)) {
		finish_retry(e, -1, "out of memory");
		return;
	}
	/* Whatever an earlier attempt did must be found before anything is
	 * created: after a crash (in flight at start-up), after a failed
	 * attempt, and for a re-export with /export (another row, same key). */
	if (job->unknown_outcome || job->row.attempts > 0 || strcmp(e->key, job->row.key) != 0) {
		e->recover = R_PAGE;
		n->stats.recoveries++;
	}
	advance(e);
}

void notion_export_cancel_all(struct xio_notion *n)
{
	/* Requests were cancelled first, and each cancel ended its export;
	 * anything left waits on nothing and is put back as a retry. */
	while (n->exports)
		finish_retry(n->exports, 0, "shutting down");
}
