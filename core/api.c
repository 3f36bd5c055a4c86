/*
 * api.c — the /api routes, bearer auth, the WebSocket event stream and the
 * operations metrics (see api.h).
 *
 * Reads go straight to the store.  Writes never do: a command becomes a chat
 * line given to xio_runner_input (the same path as a Slack or Telegram
 * message, author = the token's name), and a new participant a JOIN event
 * given to xio_runner_feed, so the engine stays the only writer of a
 * consilium's state.  After each commit the runner calls xio_api_notify,
 * which reads the events committed since the last call once, feeds the
 * metrics that are derived from them, and queues each to the stream clients
 * of its consilium that have not had it yet.
 */
#include "api.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "api_events.h"
#include "dates.h"
#include "decision.h"
#include "resource.h"

#define LIMIT_DEFAULT 50
#define LIMIT_MAX 500
#define NOTIFY_BATCH 1000
#define CATCHUP_PAGE 200
#define TEXT_MAX 2000
#define NAME_MAX_BYTES 80
#define STATS_INTERVAL_MS 5000
#define LAG_INTERVAL_MS 250

struct api_token {
	char *name;
	char *token;
};

struct api_client {
	struct xio_api *api;
	struct xio_ws *ws;
	/* the configured token it was accepted with (a copy): a reload that
	 * drops or changes it closes the stream */
	char *token;
	int64_t cid;
	int64_t last_seq;
	/* sent from the store (catch_up), not by notify, until it has all
	 * that notify has pushed to the others */
	int catching_up;
	struct api_client *prev, *next;
};

struct xio_api {
	struct xio_store *store;
	struct xio_runner *runner;
	struct xio_outbox *outbox;
	struct xio_log *log;
	const struct xio_clock *clock;
	struct xio_metrics *metrics;
	struct api_token *tokens;
	size_t ntokens;
	char *cors_origin;
	size_t ws_max_queue;
	const char *openapi;
	size_t openapi_len;
	uint64_t counter;         /* makes API message ids unique */
	int64_t seen_seq;         /* events up to here are pushed */
	struct api_client *clients;
	size_t nclients;
	/* timers: metrics refresh and loop lag */
	uv_timer_t stats_timer, lag_timer;
	int timers_on;
	int64_t lag_expect;
	double lag_max;
	uint64_t retried_seen;
	struct xio_store_wal_stats wal_seen; /* at the last stats_cb */
	/* metrics */
	struct xio_histogram *h_delivery, *h_ttd, *h_conf, *h_lag;
	struct xio_gauge *g_clients, *g_open, *g_depth, *g_age, *g_lag, *g_wal;
	struct xio_counter *c_retries, *c_dropped;
	struct xio_counter *c_ckpt_thread, *c_ckpt_loop, *c_ckpt_loop_s;
};

static const struct xio_ws_ops stream_ops;

/* ---- parsing ---- */

static int parse_id(const char *s, size_t n, int64_t *id)
{
	int64_t v = 0;
	size_t i;

	if (n == 0 || n > 18 || s[0] == '0')
		return XIO_EINVAL;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return XIO_EINVAL;
		v = v * 10 + (s[i] - '0');
	}
	*id = v;
	return 0;
}

enum xio_api_route xio_api_parse_path(const char *path, int64_t *id)
{
	static const struct {
		const char *tail;
		enum xio_api_route route;
	} subs[] = {
		{ "", XIO_API_CONSILIUM },
		{ "/messages", XIO_API_MESSAGES },
		{ "/participants", XIO_API_PARTICIPANTS },
		{ "/commands", XIO_API_COMMANDS },
		{ "/events", XIO_API_EVENTS },
	};
	const char *p, *slash;
	size_t i;

	*id = 0;
	if (!path)
		return XIO_API_NONE;
	if (!strcmp(path, "/api/openapi.json"))
		return XIO_API_OPENAPI;
	if (!strcmp(path, "/api/consiliums"))
		return XIO_API_CONSILIUMS;
	if (!strcmp(path, "/api/decisions"))
		return XIO_API_DECISIONS;
	if (!strcmp(path, "/api/tasks"))
		return XIO_API_TASKS;
	if (!strcmp(path, "/api/audit"))
		return XIO_API_AUDIT;
	if (strncmp(path, "/api/consiliums/", 16))
		return XIO_API_NONE;
	p = path + 16;
	slash = strchr(p, '/');
	for (i = 0; i < XIO_ARRAY_LEN(subs); i++)
		if (!strcmp(slash ? slash : "", subs[i].tail))
			break;
	if (i == XIO_ARRAY_LEN(subs) || p == slash || !*p)
		return XIO_API_NONE;
	if (parse_id(p, slash ? (size_t)(slash - p) : strlen(p), id)) {
		*id = 0;
		return XIO_API_BAD_ID;
	}
	return subs[i].route;
}

int xio_api_parse_int(const char *s, int64_t min, int64_t max, int64_t *out)
{
	int neg = 0;
	int64_t v = 0;
	size_t i = 0;

	if (!s)
		return XIO_EINVAL;
	if (s[0] == '-' && min < 0) {
		neg = 1;
		i = 1;
	}
	if (!s[i] || strlen(s + i) > 18)
		return XIO_EINVAL;
	for (; s[i]; i++) {
		if (s[i] < '0' || s[i] > '9')
			return XIO_EINVAL;
		v = v * 10 + (s[i] - '0');
	}
	if (neg)
		v = -v;
	if (v < min || v > max)
		return XIO_EINVAL;
	*out = v;
	return 0;
}

int xio_api_parse_time(const char *s, int64_t *ms)
{
	struct tm tm;
	const char *end;
	time_t t;

	if (!s || !*s)
		return XIO_EINVAL;
	if (!xio_api_parse_int(s, 0, 999999999999999LL, ms))
		return 0;
	memset(&tm, 0, sizeof(tm));
	end = strptime(s, "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (!end || *end) {
		memset(&tm, 0, sizeof(tm));
		end = strptime(s, "%Y-%m-%d", &tm);
		if (!end || *end || strlen(s) != 10)
			return XIO_EINVAL;
	}
	if (tm.tm_year < 70 || tm.tm_year > 1100)
		return XIO_EINVAL;
	t = timegm(&tm);
	if (t < 0)
		return XIO_EINVAL;
	*ms = (int64_t)t * 1000;
	return 0;
}

int xio_api_text_ok(const char *s, size_t max, int allow_newlines)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n;

	if (!s)
		return 0;
	n = strlen(s);
	if (n == 0 || n > max)
		return 0;
	while (*p) {
		unsigned c = *p, need, cp, i;

		if (c < 0x80) {
			if ((c < 0x20 && !(allow_newlines && (c == '\n' || c == '\t' || c == '\r'))) ||
			    c == 0x7f)
				return 0;
			p++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			need = 1;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			need = 2;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			need = 3;
			cp = c & 0x07;
		} else {
			return 0;
		}
		for (i = 1; i <= need; i++) {
			if ((p[i] & 0xc0) != 0x80)
				return 0;
			cp = (cp << 6) | (p[i] & 0x3f);
		}
		if ((need == 2 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
		    (need == 3 && (cp < 0x10000 || cp > 0x10ffff)))
			return 0;
		p += need + 1;
	}
	return 1;
}

int xio_api_token_equal(const char *presented, const char *configured)
{
	size_t pl = strlen(presented), cl = strlen(configured), i;
	volatile unsigned char d = (unsigned char)(pl != cl);

	for (i = 0; i < cl; i++)
		d |= (unsigned char)((i < pl ? (unsigned char)presented[i] : 0) ^
				     (unsigned char)configured[i]);
	return cl > 0 && d == 0;
}

/* ---- replies ---- */

static const char *route_label(enum xio_api_route r)
{
	static const char *const names[] = {
		[XIO_API_NONE] = "none",           [XIO_API_OPENAPI] = "openapi",
		[XIO_API_CONSILIUMS] = "consiliums", [XIO_API_CONSILIUM] = "consilium",
		[XIO_API_MESSAGES] = "messages",   [XIO_API_PARTICIPANTS] = "participants",
		[XIO_API_COMMANDS] = "commands",   [XIO_API_EVENTS] = "events",
		[XIO_API_DECISIONS] = "decisions", [XIO_API_TASKS] = "tasks",
		[XIO_API_AUDIT] = "audit",          [XIO_API_BAD_ID] = "none",
	};

	return (size_t)r < XIO_ARRAY_LEN(names) && names[r] ? names[r] : "none";
}

/* One request in progress. */
struct call {
	struct xio_api *api;
	struct xio_http_request *req;
	enum xio_api_route route;
	int64_t id;
	const char *actor; /* token name */
	int64_t t0_mono;
};

static void cors_headers(struct call *c)
{
	if (c->api->cors_origin) {
		xio_http_reply_header(c->req, "Access-Control-Allow-Origin", c->api->cors_origin);
		xio_http_reply_header(c->req, "Vary", "Origin");
	}
}

static void observe(struct call *c, int status)
{
	struct xio_api *api = c->api;
	static const double bounds[] = { 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
					  0.05, 0.1, 0.25, 0.5, 1, 2.5 };
	char code[8];

	if (!api->metrics)
		return;
	snprintf(code, sizeof(code), "%d", status);
	xio_histogram_observe(xio_metrics_histogram(api->metrics, "xio_api_request_seconds",
						    "HTTP API request latency", bounds,
						    XIO_ARRAY_LEN(bounds), "route",
						    route_label(c->route), NULL),
			      (double)(xio_clock_mono_ms() - c->t0_mono) / 1000.0);
	xio_counter_add(xio_metrics_counter(api->metrics, "xio_api_requests_total",
					    "HTTP API requests by route and status", "route",
					    route_label(c->route), "code", code, NULL),
			1);
}

/* Answers with body (taken) as JSON. */
static void reply_obj(struct call *c, int status, json_object *body)
{
	const char *text;

	if (!body) {
		status = 500;
		text = "{\"error\":\"out of memory\",\"status\":500}";
	} else {
		text = json_object_to_json_string_ext(body, JSON_C_TO_STRING_PLAIN |
							     JSON_C_TO_STRING_NOSLASHESCAPE);
	}
	cors_headers(c);
	observe(c, status);
	xio_http_reply(c->req, status, "application/json", text, strlen(text));
	json_object_put(body);
}

static void reply_error(struct call *c, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void reply_error(struct call *c, int status, const char *fmt, ...)
{
	json_object *o = json_object_new_object();
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (o) {
		json_object_object_add(o, "error", json_object_new_string(msg));
		json_object_object_add(o, "status", json_object_new_int(status));
	}
	if (status == 401)
		xio_http_reply_header(c->req, "WWW-Authenticate", "Bearer");
	reply_obj(c, status, o);
}

static void reply_store_error(struct call *c, const struct xio_err *err)
{
	xio_logf(c->api->log, XIO_LOG_ERROR, "api", "%s %s: %s",
		 xio_http_request_method(c->req), xio_http_request_path(c->req), err->msg);
	reply_error(c, 500, "internal error (the store failed; see the server log)");
}

/* ---- query parameters ---- */

/* Refuses parameters other than those in allowed (NULL-terminated) and
 * repeated ones.  Returns 0, or replies 400 and returns -1. */
static int check_params(struct call *c, const char *const *allowed)
{
	const char *part, *other;
	size_t i, nl;

	for (part = xio_http_request_query_next(c->req, NULL); part;
	     part = xio_http_request_query_next(c->req, part)) {
		nl = strcspn(part, "=");
		for (i = 0; allowed[i]; i++)
			if (strlen(allowed[i]) == nl && !strncmp(allowed[i], part, nl))
				break;
		if (!allowed[i]) {
			reply_error(c, 400, "unknown query parameter '%.*s'", (int)(nl > 64 ? 64 : nl),
				    part);
			return -1;
		}
		for (other = xio_http_request_query_next(c->req, NULL); other != part;
		     other = xio_http_request_query_next(c->req, other))
			if (!strncmp(other, part, nl) && (other[nl] == '=' || !other[nl])) {
				reply_error(c, 400, "query parameter '%s' given twice", allowed[i]);
				return -1;
			}
	}
	return 0;
}

static int param_int(struct call *c, const char *name, int64_t min, int64_t max, int64_t def,
		     int64_t *out)
{
	const char *v = xio_http_request_query_param(c->req, name);

	*out = def;
	if (!v)
		return 0;
	if (xio_api_parse_int(v, min, max, out)) {
		reply_error(c, 400, "query parameter '%s' must be an integer from %lld to %lld", name,
			    (long long)min, (long long)max);
		return -1;
	}
	return 0;
}

static int param_text(struct call *c, const char *name, size_t max, const char **out)
{
	const char *v = xio_http_request_query_param(c->req, name);

	*out = NULL;
	if (!v)
		return 0;
	if (!xio_api_text_ok(v, max, 0)) {
		reply_error(c, 400, "query parameter '%s' must be 1 to %zu bytes of UTF-8 text "
			    "without control characters", name, max);
		return -1;
	}
	*out = v;
	return 0;
}

static int param_time(struct call *c, const char *name, int64_t *out)
{
	const char *v = xio_http_request_query_param(c->req, name);

	*out = 0;
	if (!v)
		return 0;
	if (xio_api_parse_time(v, out)) {
		reply_error(c, 400, "query parameter '%s' must be milliseconds since the epoch or "
			    "an RFC 3339 UTC time like 2024-05-01T12:00:00Z", name);
		return -1;
	}
	return 0;
}

static int page_params(struct call *c, size_t *limit, int64_t *cursor)
{
	int64_t l;

	if (param_int(c, "limit", 1, LIMIT_MAX, LIMIT_DEFAULT, &l) ||
	    param_int(c, "cursor", 1, INT64_MAX / 2, 0, cursor))
		return -1;
	*limit = (size_t)l;
	return 0;
}

/* Adds "items" and "next_cursor" (the last id when the page is full). */
static json_object *page(json_object *items, size_t n, size_t limit, int64_t last)
{
	json_object *o = json_object_new_object();
	char cur[24];

	if (!o || !items) {
		json_object_put(o);
		json_object_put(items);
		return NULL;
	}
	json_object_object_add(o, "items", items);
	snprintf(cur, sizeof(cur), "%lld", (long long)last);
	json_object_object_add(o, "next_cursor",
			       n == limit && n ? json_object_new_string(cur) : NULL);
	return o;
}

/* ---- JSON of rows ---- */

static json_object *jstr(const char *s)
{
	return s ? json_object_new_string(s) : NULL;
}

static json_object *participants_json(const struct xio_consilium *st)
{
	json_object *a = json_object_new_array();
	size_t i;

	for (i = 0; a && st && i < st->nparts; i++) {
		const struct xio_participant *p = &st->parts[i];
		json_object *o = json_object_new_object();

		if (!o)
			break;
		json_object_object_add(o, "name", json_object_new_string(p->name));
		json_object_object_add(o, "kind",
				       json_object_new_string(p->persona_id ? "persona" : "human"));
		json_object_object_add(o, "persona_id", jstr(p->persona_id));
		json_object_object_add(o, "turns", json_object_new_int(p->turns));
		json_object_object_add(o, "spoke", json_object_new_boolean(p->spoke));
		json_object_array_add(a, o);
	}
	return a;
}

static json_object *consilium_json(struct xio_api *api, const struct xio_consilium_row *row,
				   int full)
{
	json_object *o = json_object_new_object();
	struct xio_consilium *st = xio_consilium_from_json(row->state_json, NULL);

	if (!o)
		goto out;
	json_object_object_add(o, "id", json_object_new_int64(row->id));
	json_object_object_add(o, "thread_key", json_object_new_string(row->thread_key ? row->thread_key : ""));
	json_object_object_add(o, "workspace", json_object_new_string(row->workspace ? row->workspace : ""));
	json_object_object_add(o, "platform", json_object_new_string(st && st->platform ? st->platform : ""));
	json_object_object_add(o, "question", json_object_new_string(row->question ? row->question : ""));
	json_object_object_add(o, "phase", json_object_new_string(row->phase ? row->phase : ""));
	json_object_object_add(o, "paused", json_object_new_boolean(st ? st->paused : 0));
	json_object_object_add(o, "round", json_object_new_int(st ? st->round : 0));
	json_object_object_add(o, "waiting_for", jstr(st ? st->waiting_for : NULL));
	json_object_object_add(o, "outcome", jstr(st ? st->outcome : NULL));
	json_object_object_add(o, "participants", json_object_new_int(st ? (int)st->nparts : 0));
	json_object_object_add(o, "step", json_object_new_int64(row->step));
	json_object_object_add(o, "created_at", json_object_new_int64(row->created_at));
	json_object_object_add(o, "updated_at", json_object_new_int64(row->updated_at));
	if (full) {
		json_object *agenda = json_object_new_array(), *d = NULL;
		char *status = NULL, *log = NULL, *tasks = NULL;
		struct xio_err err;
		size_t i;

		for (i = 0; agenda && st && i < st->nagenda; i++)
			json_object_array_add(agenda, json_object_new_string(st->agenda[i]));
		json_object_object_add(o, "agenda", agenda);
		json_object_object_add(o, "participant_list", participants_json(st));
		json_object_object_add(o, "lang", json_object_new_string(st ? st->lang : ""));
		json_object_object_add(o, "policy", json_object_new_string(
					       st && st->policy == XIO_POLICY_SELECTOR ? "selector"
										       : "round_robin"));
		if (!api->store->ops->decision_get(api->store->impl, row->id, &status, &log, &tasks,
						   &err)) {
			d = json_object_new_object();
			if (d) {
				json_object_object_add(d, "status", json_object_new_string(status));
				json_object_object_add(d, "log", json_tokener_parse(log));
				json_object_object_add(d, "tasks", json_tokener_parse(tasks));
			}
		}
		free(status);
		free(log);
		free(tasks);
		json_object_object_add(o, "decision", d);
	}
out:
	xio_consilium_free(st);
	return o;
}

static json_object *event_json(const struct xio_event_row *e)
{
	json_object *o = json_object_new_object();

	if (!o)
		return NULL;
	json_object_object_add(o, "seq", json_object_new_int64(e->seq));
	json_object_object_add(o, "type", json_object_new_string(e->type));
	json_object_object_add(o, "consilium_id", json_object_new_int64(e->consilium_id));
	json_object_object_add(o, "at", json_object_new_int64(e->created_at));
	json_object_object_add(o, "data", json_tokener_parse(e->data ? e->data : "{}"));
	return o;
}

/* ---- handlers ---- */

static const char *const no_params[] = { NULL };

static void get_consiliums(struct call *c)
{
	static const char *const allowed[] = { "chat", "phase", "since", "limit", "cursor", NULL };
	struct xio_list_filter f = { 0 };
	struct xio_consilium_row *rows = NULL;
	enum xio_phase ph;
	json_object *items;
	struct xio_err err;
	size_t n = 0, i;

	if (check_params(c, allowed) || param_text(c, "chat", 300, &f.chat) ||
	    param_text(c, "phase", 20, &f.phase) || param_time(c, "since", &f.since) ||
	    page_params(c, &f.limit, &f.before_id))
		return;
	if (f.phase && xio_phase_parse(f.phase, &ph)) {
		reply_error(c, 400, "query parameter 'phase' must be one of preparation, discussion, "
			    "decision, approval, closed");
		return;
	}
	if (c->api->store->ops->consiliums_list(c->api->store->impl, &f, &rows, &n, &err)) {
		reply_store_error(c, &err);
		return;
	}
	items = json_object_new_array();
	for (i = 0; items && i < n; i++)
		json_object_array_add(items, consilium_json(c->api, &rows[i], 0));
	reply_obj(c, 200, page(items, n, f.limit, n ? rows[n - 1].id : 0));
	xio_consilium_rows_free(rows, n);
}

/* Loads consilium c->id; replies 404 and returns -1 when there is none. */
static int load_row(struct call *c, struct xio_consilium_row *row)
{
	struct xio_err err;
	int rc = c->api->store->ops->consilium_get(c->api->store->impl, c->id, row, &err);

	if (rc == XIO_ENOTFOUND) {
		reply_error(c, 404, "consilium %lld not found", (long long)c->id);
		return -1;
	}
	if (rc) {
		reply_store_error(c, &err);
		return -1;
	}
	return 0;
}

static void get_consilium(struct call *c)
{
	struct xio_consilium_row row = { 0 };

	if (check_params(c, no_params) || load_row(c, &row))
		return;
	reply_obj(c, 200, consilium_json(c->api, &row, 1));
	xio_consilium_row_release(&row);
}

static void get_messages(struct call *c)
{
	static const char *const allowed[] = { "limit", "cursor", NULL };
	struct xio_consilium_row row = { 0 };
	struct xio_message_row *m = NULL;
	json_object *items;
	struct xio_err err;
	size_t limit, n = 0, i;
	int64_t after;

	if (check_params(c, allowed) || page_params(c, &limit, &after) || load_row(c, &row))
		return;
	xio_consilium_row_release(&row);
	if (c->api->store->ops->messages_page(c->api->store->impl, c->id, after, limit, &m, &n,
					      &err)) {
		reply_store_error(c, &err);
		return;
	}
	items = json_object_new_array();
	for (i = 0; items && i < n; i++) {
		json_object *o = json_object_new_object();

		if (!o)
			break;
		json_object_object_add(o, "id", json_object_new_int64(m[i].id));
		json_object_object_add(o, "step", json_object_new_int64(m[i].step));
		json_object_object_add(o, "author", json_object_new_string(m[i].author));
		json_object_object_add(o, "author_kind", json_object_new_string(m[i].author_kind));
		json_object_object_add(o, "persona_id", jstr(m[i].persona_id));
		json_object_object_add(o, "text", json_object_new_string(m[i].text));
		json_object_object_add(o, "platform_id", jstr(m[i].platform_id));
		json_object_object_add(o, "reply_to", m[i].reply_to > 0 ?
						       json_object_new_int64(m[i].reply_to) : NULL);
		json_object_object_add(o, "created_at", json_object_new_int64(m[i].created_at));
		json_object_array_add(items, o);
	}
	reply_obj(c, 200, page(items, n, limit, n ? m[n - 1].id : 0));
	xio_message_rows_free(m, n);
}

static void get_participants(struct call *c)
{
	struct xio_consilium_row row = { 0 };
	struct xio_consilium *st;
	json_object *o;

	if (check_params(c, no_params) || load_row(c, &row))
		return;
	st = xio_consilium_from_json(row.state_json, NULL);
	o = json_object_new_object();
	if (o)
		json_object_object_add(o, "items", participants_json(st));
	reply_obj(c, 200, o);
	xio_consilium_free(st);
	xio_consilium_row_release(&row);
}

/* Parses the body as a JSON object with only the keys in allowed.  Returns
 * it, or replies 400 and returns NULL. */
/* 1 when the request says its body is JSON, as the OpenAPI declares: a
 * form or text/plain body is what a browser page may send across origins
 * without a preflight, so it is refused rather than guessed at. */
static int body_is_json(struct call *c)
{
	char v[128];
	int n = xio_http_request_header(c->req, "Content-Type", v, sizeof(v));

	if (n < 16 || strncasecmp(v, "application/json", 16) || (v[16] && v[16] != ';' &&
								     v[16] != ' '))
		return 0;
	n = xio_http_request_header(c->req, "Content-Encoding", v, sizeof(v));
	return n == XIO_ENOTFOUND || (n >= 0 && !strcasecmp(v, "identity"));
}

static json_object *body_object(struct call *c, const char *const *allowed)
{
	struct json_tokener *tok;
	json_object *o = NULL;
	const char *body;
	size_t len, i;

	if (!body_is_json(c)) {
		reply_error(c, 415, "the body must be sent as Content-Type: application/json, "
			    "without a Content-Encoding");
		return NULL;
	}
	tok = json_tokener_new();
	body = xio_http_request_body(c->req, &len);
	if (!tok) {
		reply_error(c, 500, "out of memory");
		return NULL;
	}
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	if (len && len < 1u << 30)
		o = json_tokener_parse_ex(tok, body, (int)len);
	if (!o || json_tokener_get_parse_end(tok) != len ||
	    !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		json_tokener_free(tok);
		reply_error(c, 400, "the body must be a JSON object (UTF-8)");
		return NULL;
	}
	json_tokener_free(tok);
	json_object_object_foreach(o, k, v) {
		(void)v;
		for (i = 0; allowed[i]; i++)
			if (!strcmp(allowed[i], k))
				break;
		if (!allowed[i]) {
			reply_error(c, 400, "unknown field '%.64s' in the body", k);
			json_object_put(o);
			return NULL;
		}
	}
	return o;
}

/* A string member of o: NULL when absent; replies 400 and sets *bad when it
 * is present but not text of 1..max bytes. */
static const char *body_str(struct call *c, json_object *o, const char *key, size_t max,
			    int required, int *bad)
{
	json_object *v;
	const char *s;

	if (*bad)
		return NULL;
	if (!json_object_object_get_ex(o, key, &v)) {
		if (required) {
			reply_error(c, 400, "field '%s' is required", key);
			*bad = 1;
		}
		return NULL;
	}
	s = json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
	if (!s || (*s && !xio_api_text_ok(s, max, 1)) || (!*s && required) ||
	    strlen(s) != (size_t)json_object_get_string_len(v)) {
		reply_error(c, 400, "field '%s' must be a string of 1 to %zu bytes without control "
			    "characters", key, max);
		*bad = 1;
		return NULL;
	}
	return s;
}

static void audit_api(struct call *c, const char *action, json_object *detail, int status)
{
	struct xio_err err;

	if (detail) {
		json_object_object_add(detail, "method", json_object_new_string(
					       xio_http_request_method(c->req)));
		json_object_object_add(detail, "path", json_object_new_string(
					       xio_http_request_path(c->req)));
		json_object_object_add(detail, "status", json_object_new_int(status));
		json_object_object_add(detail, "remote", json_object_new_string(
					       xio_http_request_remote_addr(c->req)));
	}
	if (xio_api_audit(c->api->store, 0, xio_clock_now(c->api->clock), c->actor, action, c->id,
			  detail, &err))
		xio_logf(c->api->log, XIO_LOG_ERROR, "api", "audit: %s", err.msg);
}

/* The code point at *p (valid UTF-8, as xio_api_text_ok has checked);
 * advances *p past it. */
static unsigned utf8_next(const unsigned char **p)
{
	const unsigned char *s = *p;
	unsigned cp;

	if (s[0] < 0x80) {
		*p += 1;
		return s[0];
	}
	if (s[0] < 0xe0) {
		cp = ((s[0] & 0x1fu) << 6) | (s[1] & 0x3fu);
		*p += 2;
	} else if (s[0] < 0xf0) {
		cp = ((s[0] & 0x0fu) << 12) | ((s[1] & 0x3fu) << 6) | (s[2] & 0x3fu);
		*p += 3;
	} else {
		cp = ((s[0] & 0x07u) << 18) | ((s[1] & 0x3fu) << 12) | ((s[2] & 0x3fu) << 6) |
		     (s[3] & 0x3fu);
		*p += 4;
	}
	return cp;
}

/* Control (Cc) and the format (Cf) and separator characters that print as
 * nothing or move text: a name holding one reads the same as another name,
 * or breaks the line it is shown in. */
static int invisible(unsigned cp)
{
	return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) || cp == 0xad || cp == 0x61c ||
	       cp == 0x180e || (cp >= 0x200b && cp <= 0x200f) || (cp >= 0x2028 && cp <= 0x202e) ||
	       (cp >= 0x2060 && cp <= 0x206f) || cp == 0xfeff || (cp >= 0xfff9 && cp <= 0xfffb) ||
	       (cp >= 0xe0000 && cp <= 0xe007f);
}

/* Equal but for case (Latin and Cyrillic, as persona names are written). */
static int same_folded(const char *a, const char *b)
{
	char fa[4 * NAME_MAX_BYTES + 1], fb[sizeof(fa)];
	size_t n = strlen(a);

	/* folding keeps byte lengths */
	if (n != strlen(b) || n >= sizeof(fa))
		return 0;
	xio_dates_fold(fa, a, n);
	xio_dates_fold(fb, b, n);
	return !memcmp(fa, fb, n);
}

/*
 * Checks a participant name and trims the spaces around it into out (n
 * bytes).  The name becomes a speaker the Moderator addresses and a line of
 * the decision log, so it must be visible text that cannot pass for a
 * persona.  Returns 0, or replies 400 naming the problem and returns -1.
 */
static int participant_name(struct call *c, const char *raw, char *out, size_t n)
{
	const struct xio_personas *ps = c->api->runner && c->api->runner->eng
						? c->api->runner->eng->personas : NULL;
	const unsigned char *p;
	size_t len;
	unsigned cp;

	while (*raw == ' ')
		raw++;
	len = strlen(raw);
	while (len && raw[len - 1] == ' ')
		len--;
	if (!len) {
		reply_error(c, 400, "field 'name' is blank");
		return -1;
	}
	if (len > NAME_MAX_BYTES || len >= n) {
		reply_error(c, 400, "field 'name' is longer than %d bytes", NAME_MAX_BYTES);
		return -1;
	}
	memcpy(out, raw, len);
	out[len] = '\0';
	for (p = (const unsigned char *)out; *p;) {
		cp = utf8_next(&p);
		if (invisible(cp)) {
			reply_error(c, 400, "field 'name' holds a control or invisible character "
				    "(U+%04X)", cp);
			return -1;
		}
	}
	for (size_t i = 0; ps && i < ps->n; i++)
		if (same_folded(out, ps->v[i].name) || same_folded(out, ps->v[i].id)) {
			reply_error(c, 400, "field 'name': '%s' is the name of a persona",
				    ps->v[i].name);
			return -1;
		}
	return 0;
}

static void post_participant(struct call *c)
{
	static const char *const allowed[] = { "name", NULL };
	struct xio_consilium_row row = { 0 };
	struct xio_consilium *st = NULL;
	struct xio_event ev = { 0 };
	json_object *body = NULL, *d, *o;
	struct xio_err err;
	const char *raw;
	char name[NAME_MAX_BYTES + 1];
	int bad = 0, existed, status;

	if (check_params(c, no_params) || !(body = body_object(c, allowed)))
		return;
	/* room for the spaces trimmed around the name */
	raw = body_str(c, body, "name", 4 * NAME_MAX_BYTES, 1, &bad);
	if (bad || participant_name(c, raw, name, sizeof(name)) || load_row(c, &row))
		goto out;
	if (!strcmp(row.phase, "closed")) {
		reply_error(c, 409, "consilium %lld is closed", (long long)c->id);
		goto out;
	}
	st = xio_consilium_from_json(row.state_json, NULL);
	existed = st && xio_consilium_participant(st, name) != NULL;
	ev.kind = XIO_EV_JOIN;
	ev.now = xio_clock_now(c->api->clock);
	ev.author = name;
	if (xio_runner_feed(c->api->runner, c->id, &ev, 0, &err)) {
		reply_store_error(c, &err);
		goto out;
	}
	status = existed ? 200 : 201;
	d = json_object_new_object();
	if (d)
		json_object_object_add(d, "name", json_object_new_string(name));
	audit_api(c, "api.participant_add", d, status);
	json_object_put(d);
	o = json_object_new_object();
	if (o) {
		json_object_object_add(o, "name", json_object_new_string(name));
		json_object_object_add(o, "kind", json_object_new_string("human"));
		json_object_object_add(o, "added", json_object_new_boolean(!existed));
	}
	reply_obj(c, status, o);
out:
	xio_consilium_free(st);
	xio_consilium_row_release(&row);
	json_object_put(body);
}

static void post_command(struct call *c)
{
	static const char *const allowed[] = { "command", "args", NULL };
	static const char *const commands[] = { "pause", "resume", "stop", "decide", "approve",
						NULL };
	struct xio_consilium_row row = { 0 }, after = { 0 };
	struct xio_consilium *st = NULL;
	struct xio_inbound in = { 0 };
	json_object *body = NULL, *d;
	struct xio_err err;
	const char *cmd, *args;
	char *text = NULL, msg_id[200], refusal[400];
	int bad = 0, i;

	if (check_params(c, no_params) || !(body = body_object(c, allowed)))
		return;
	cmd = body_str(c, body, "command", 20, 1, &bad);
	args = body_str(c, body, "args", TEXT_MAX, 0, &bad);
	if (bad)
		goto out;
	for (i = 0; commands[i] && strcmp(commands[i], cmd); i++)
		;
	if (!commands[i]) {
		reply_error(c, 400, "field 'command' must be one of pause, resume, stop, decide, "
			    "approve");
		goto out;
	}
	if (load_row(c, &row))
		goto out;
	if (!strcmp(row.phase, "closed")) {
		reply_error(c, 409, "consilium %lld is closed", (long long)c->id);
		goto out;
	}
	st = xio_consilium_from_json(row.state_json, NULL);
	if (!st) {
		reply_error(c, 500, "consilium %lld: stored state unreadable", (long long)c->id);
		goto out;
	}
	if (asprintf(&text, "/%s%s%s", cmd, args && *args ? " " : "", args ? args : "") < 0) {
		text = NULL;
		reply_error(c, 500, "out of memory");
		goto out;
	}
	snprintf(msg_id, sizeof(msg_id), "api:%s:%lld:%llu", c->actor,
		 (long long)xio_clock_now(c->api->clock), (unsigned long long)++c->api->counter);
	/* Exactly what a chat adapter hands over, addressed to the thread. */
	in.platform = st->platform ? st->platform : "";
	in.chat = st->chat ? st->chat : "";
	in.thread = st->thread ? st->thread : "";
	in.thread_key = row.thread_key;
	in.workspace = row.workspace;
	in.author = c->actor;
	in.text = text;
	in.msg_id = msg_id;
	in.lang = st->lang;
	/* a dashboard or a CI job is not one of the council: it must not be
	 * called on to speak, nor listed in the decision's participants */
	in.observer = 1;
	if (xio_runner_command(c->api->runner, &in, refusal, sizeof(refusal), &err)) {
		reply_store_error(c, &err);
		goto out;
	}
	d = json_object_new_object();
	if (d) {
		json_object_object_add(d, "command", json_object_new_string(cmd));
		json_object_object_add(d, "thread_key", json_object_new_string(row.thread_key));
		if (*refusal)
			json_object_object_add(d, "refused", json_object_new_boolean(1));
	}
	audit_api(c, "api.command", d, *refusal ? 409 : 200);
	json_object_put(d);
	/* the thread got the same answer: the client must not read a 200 as
	 * "done" when nothing changed */
	if (*refusal) {
		reply_error(c, 409, "command '%s' refused: %s", cmd, refusal);
		goto out;
	}
	if (c->api->store->ops->consilium_get(c->api->store->impl, c->id, &after, &err)) {
		reply_store_error(c, &err);
		goto out;
	}
	reply_obj(c, 200, consilium_json(c->api, &after, 0));
out:
	free(text);
	xio_consilium_row_release(&after);
	xio_consilium_free(st);
	xio_consilium_row_release(&row);
	json_object_put(body);
}

static void get_events(struct call *c)
{
	static const char *const allowed[] = { "after", "limit", NULL };
	struct xio_consilium_row row = { 0 };
	struct xio_event_row *ev = NULL;
	json_object *items;
	struct xio_err err;
	int64_t after, limit;
	size_t n = 0, i;

	if (check_params(c, allowed) || param_int(c, "after", 0, INT64_MAX / 2, 0, &after) ||
	    param_int(c, "limit", 1, 1000, 100, &limit) || load_row(c, &row))
		return;
	xio_consilium_row_release(&row);
	if (c->api->store->ops->events_list(c->api->store->impl, c->id, after, (size_t)limit, &ev,
					    &n, &err)) {
		reply_store_error(c, &err);
		return;
	}
	items = json_object_new_array();
	for (i = 0; items && i < n; i++)
		json_object_array_add(items, event_json(&ev[i]));
	reply_obj(c, 200, page(items, n, (size_t)limit, n ? ev[n - 1].seq : 0));
	xio_event_rows_free(ev, n);
}

static void get_decisions(struct call *c)
{
	static const char *const allowed[] = { "q", "limit", NULL };
	struct xio_decision_hit *h = NULL;
	json_object *items, *o;
	struct xio_err err;
	const char *q;
	int64_t limit;
	size_t n = 0, i;

	if (check_params(c, allowed) || param_text(c, "q", 500, &q) ||
	    param_int(c, "limit", 1, 100, 20, &limit))
		return;
	if (!q) {
		reply_error(c, 400, "query parameter 'q' (the text to search for) is required");
		return;
	}
	if (c->api->store->ops->decisions_search(c->api->store->impl, q, (size_t)limit, &h, &n,
						 &err)) {
		reply_store_error(c, &err);
		return;
	}
	items = json_object_new_array();
	for (i = 0; items && i < n; i++) {
		o = json_object_new_object();
		if (!o)
			break;
		json_object_object_add(o, "consilium_id", json_object_new_int64(h[i].consilium_id));
		json_object_object_add(o, "workspace", json_object_new_string(h[i].workspace ? h[i].workspace : ""));
		json_object_object_add(o, "question", json_object_new_string(h[i].question ? h[i].question : ""));
		json_object_object_add(o, "decision", json_object_new_string(h[i].decision ? h[i].decision : ""));
		json_object_object_add(o, "status", json_object_new_string(h[i].status ? h[i].status : ""));
		json_object_object_add(o, "decided_at", json_object_new_int64(h[i].approved_at));
		json_object_array_add(items, o);
	}
	o = json_object_new_object();
	if (o)
		json_object_object_add(o, "items", items);
	else
		json_object_put(items);
	reply_obj(c, 200, o);
	xio_decision_hits_free(h, n);
}

/* A status tasks can have (decision.h's names), so a typo is a 400, not an
 * empty list. */
static int known_task_status(const char *s)
{
	int i;

	for (i = XIO_TASK_OPEN; i <= XIO_TASK_CANCELLED; i++)
		if (!strcmp(s, xio_task_status_name((enum xio_task_status)i)))
			return 1;
	return 0;
}

static void get_tasks(struct call *c)
{
	static const char *const allowed[] = { "owner", "status", "limit", "cursor", NULL };
	struct xio_list_filter f = { 0 };
	struct xio_task_row *t = NULL;
	json_object *items, *o;
	struct xio_err err;
	size_t n = 0, i;

	if (check_params(c, allowed) || param_text(c, "owner", 200, &f.owner) ||
	    param_text(c, "status", 40, &f.status) || page_params(c, &f.limit, &f.before_id))
		return;
	if (f.status && !known_task_status(f.status)) {
		reply_error(c, 400, "query parameter 'status' must be one of open, done, snoozed, "
			    "cancelled");
		return;
	}
	if (c->api->store->ops->tasks_list(c->api->store->impl, &f, &t, &n, &err)) {
		reply_store_error(c, &err);
		return;
	}
	items = json_object_new_array();
	for (i = 0; items && i < n; i++) {
		o = json_object_new_object();
		if (!o)
			break;
		json_object_object_add(o, "id", json_object_new_int64(t[i].id));
		json_object_object_add(o, "consilium_id", json_object_new_int64(t[i].consilium_id));
		json_object_object_add(o, "index", json_object_new_int64(t[i].idx));
		json_object_object_add(o, "title", json_object_new_string(t[i].title ? t[i].title : ""));
		json_object_object_add(o, "owner", json_object_new_string(t[i].owner ? t[i].owner : ""));
		json_object_object_add(o, "due", jstr(t[i].due));
		json_object_object_add(o, "priority", json_object_new_string(t[i].priority ? t[i].priority : ""));
		json_object_object_add(o, "status", json_object_new_string(t[i].status ? t[i].status : ""));
		json_object_object_add(o, "confidence", xio_confidence_json(t[i].confidence));
		json_object_array_add(items, o);
	}
	reply_obj(c, 200, page(items, n, f.limit, n ? t[n - 1].id : 0));
	xio_task_rows_free(t, n);
}

static void get_audit(struct call *c)
{
	static const char *const allowed[] = { "consilium", "actor", "since", "limit", "cursor",
					       NULL };
	struct xio_list_filter f = { 0 };
	struct xio_audit_row *a = NULL;
	json_object *items, *o;
	struct xio_err err;
	size_t n = 0, i;

	if (check_params(c, allowed) ||
	    param_int(c, "consilium", 1, INT64_MAX / 2, 0, &f.consilium_id) ||
	    param_text(c, "actor", 200, &f.actor) || param_time(c, "since", &f.since) ||
	    page_params(c, &f.limit, &f.before_id))
		return;
	if (c->api->store->ops->audit_list(c->api->store->impl, &f, &a, &n, &err)) {
		reply_store_error(c, &err);
		return;
	}
	items = json_object_new_array();
	for (i = 0; items && i < n; i++) {
		o = json_object_new_object();
		if (!o)
			break;
		json_object_object_add(o, "id", json_object_new_int64(a[i].id));
		json_object_object_add(o, "at", json_object_new_int64(a[i].at));
		json_object_object_add(o, "actor", json_object_new_string(a[i].actor ? a[i].actor : ""));
		json_object_object_add(o, "action", json_object_new_string(a[i].action ? a[i].action : ""));
		json_object_object_add(o, "consilium_id",
				       a[i].consilium_id ? json_object_new_int64(a[i].consilium_id) : NULL);
		json_object_object_add(o, "detail", json_tokener_parse(a[i].detail ? a[i].detail : "{}"));
		json_object_array_add(items, o);
	}
	reply_obj(c, 200, page(items, n, f.limit, n ? a[n - 1].id : 0));
	xio_audit_rows_free(a, n);
}

/* The configured token the request carries, or NULL. */
static const struct api_token *authenticate(struct xio_api *api, struct xio_http_request *req)
{
	char hdr[600];
	const struct api_token *found = NULL;
	const char *tok;
	size_t i;
	int n = xio_http_request_header(req, "Authorization", hdr, sizeof(hdr));

	if (n < 8 || strncasecmp(hdr, "Bearer ", 7))
		return NULL;
	tok = hdr + 7;
	while (*tok == ' ')
		tok++;
	/* every token is compared, so the time says nothing about which */
	for (i = 0; i < api->ntokens; i++)
		if (xio_api_token_equal(tok, api->tokens[i].token) && !found)
			found = &api->tokens[i];
	return found;
}

#define NO_TOKENS_MSG "the API has no tokens: set http.api_token or http.api_tokens " \
	"(a reload with SIGHUP applies them)"

static void api_cb(struct xio_http_request *req, void *ud)
{
	struct call c = { 0 };
	const struct api_token *tok;
	const char *method = xio_http_request_method(req);
	/* the server answers a HEAD with the GET's headers and no body */
	int get = !strcmp(method, "GET") || !strcmp(method, "HEAD");

	c.api = ud;
	c.req = req;
	c.t0_mono = xio_clock_mono_ms();
	c.route = xio_api_parse_path(xio_http_request_path(req), &c.id);
	if (!strcmp(method, "OPTIONS")) {
		/* CORS preflight (mounted only when an origin is configured) */
		cors_headers(&c);
		xio_http_reply_header(req, "Access-Control-Allow-Methods", "GET, POST, OPTIONS");
		xio_http_reply_header(req, "Access-Control-Allow-Headers",
				      "Authorization, Content-Type");
		xio_http_reply_header(req, "Access-Control-Max-Age", "600");
		observe(&c, 204);
		xio_http_reply(req, 204, NULL, NULL, 0);
		return;
	}
	if (c.route == XIO_API_OPENAPI && get) {
		cors_headers(&c);
		observe(&c, 200);
		xio_http_reply(req, 200, "application/json", c.api->openapi, c.api->openapi_len);
		return;
	}
	/* The routes are mounted without tokens too, so that a reload adding
	 * the first one takes effect at once; until then no credential can
	 * pass, which is a 403 rather than a challenge. */
	if (!c.api->ntokens) {
		reply_error(&c, 403, NO_TOKENS_MSG);
		return;
	}
	tok = authenticate(c.api, req);
	if (!tok) {
		reply_error(&c, 401, "missing or wrong bearer token (Authorization: Bearer <token>)");
		return;
	}
	c.actor = tok->name;
	switch (c.route) {
	case XIO_API_CONSILIUMS:
		if (get)
			return get_consiliums(&c);
		break;
	case XIO_API_CONSILIUM:
		if (get)
			return get_consilium(&c);
		break;
	case XIO_API_MESSAGES:
		if (get)
			return get_messages(&c);
		break;
	case XIO_API_PARTICIPANTS:
		return get ? get_participants(&c) : post_participant(&c);
	case XIO_API_COMMANDS:
		if (!get)
			return post_command(&c);
		break;
	case XIO_API_EVENTS:
		if (get)
			return get_events(&c);
		break;
	case XIO_API_DECISIONS:
		if (get)
			return get_decisions(&c);
		break;
	case XIO_API_TASKS:
		if (get)
			return get_tasks(&c);
		break;
	case XIO_API_AUDIT:
		if (get)
			return get_audit(&c);
		break;
	case XIO_API_OPENAPI:
		break;
	case XIO_API_NONE:
		reply_error(&c, 404, "no such API resource");
		return;
	case XIO_API_BAD_ID:
		reply_error(&c, 400, "a consilium id is a positive integer (no sign, no leading "
			    "zero, at most 18 digits)");
		return;
	}
	xio_http_reply_header(req, "Allow", c.route == XIO_API_COMMANDS ? "POST" : "GET, HEAD");
	reply_error(&c, 405, "method %s not allowed here", method);
}

/* ---- the event stream ---- */

static void client_drop(struct api_client *cl)
{
	struct xio_api *api = cl->api;

	if (cl->prev)
		cl->prev->next = cl->next;
	else
		api->clients = cl->next;
	if (cl->next)
		cl->next->prev = cl->prev;
	api->nclients--;
	xio_gauge_set(api->g_clients, (double)api->nclients);
	free(cl->token);
	free(cl);
}

/* The frame of an event: {"seq":..,"type":..,"consilium_id":..,"at":..,"data":..}.
 * Returns 0 or XIO_ENOMEM; the text is in b. */
static int frame_text(struct xio_buf *b, const struct xio_event_row *e)
{
	int rc = xio_buf_printf(b, "{\"seq\":%lld,\"type\":\"%s\",\"consilium_id\":%lld,"
				"\"at\":%lld,\"data\":",
				(long long)e->seq, e->type, (long long)e->consilium_id,
				(long long)e->created_at);

	if (!rc)
		rc = xio_buf_puts(b, e->data ? e->data : "{}");
	if (!rc)
		rc = xio_buf_puts(b, "}");
	return rc;
}

/* Closes cl's stream with code and a reason that says where to resume,
 * after the frames already queued, and forgets cl. */
static void client_close(struct api_client *cl, int code, const char *why)
{
	char reason[120];

	snprintf(reason, sizeof(reason), "%s: reconnect with ?after=%lld", why,
		 (long long)cl->last_seq);
	xio_logf(cl->api->log, XIO_LOG_WARN, "api", "stream client of consilium %lld: %s",
		 (long long)cl->cid, reason);
	xio_ws_close(cl->ws, code, reason);
	client_drop(cl);
}

/*
 * Sends cl the stored events of its consilium after cl->last_seq, up to
 * what notify has pushed to the others (api->seen_seq), as far as its queue
 * takes them; the rest follow each time the queue has drained
 * (stream_drained_cb).  A client back from a long absence thus gets its
 * backlog at the pace it reads, never more than the queue's bound in
 * memory.  Once it has everything, notify sends it what comes next:
 * nothing twice, nothing skipped.  On a store error, or an event bigger
 * than the whole queue, cl is closed with where to resume (and freed).
 */
static void catch_up(struct api_client *cl)
{
	struct xio_api *api = cl->api;
	struct xio_event_row *ev = NULL;
	struct xio_buf frame;
	struct xio_err err;
	size_t n = 0, i;
	int rc = 0, waiting = 0;

	xio_buf_init(&frame, 0);
	while (cl->catching_up && !waiting) {
		if (api->store->ops->events_list(api->store->impl, cl->cid, cl->last_seq,
						 CATCHUP_PAGE, &ev, &n, &err)) {
			xio_logf(api->log, XIO_LOG_ERROR, "api", "events: %s", err.msg);
			client_close(cl, 1011, "the store failed");
			break;
		}
		for (i = 0; i < n && ev[i].seq <= api->seen_seq; i++) {
			xio_buf_reset(&frame);
			rc = frame_text(&frame, &ev[i]);
			if (!rc)
				rc = xio_ws_queue(cl->ws, frame.data, frame.len, api->ws_max_queue);
			if (rc == XIO_ETOOBIG && xio_ws_queued(cl->ws)) {
				waiting = 1; /* for stream_drained_cb */
				break;
			}
			if (rc)
				break;
			cl->last_seq = ev[i].seq;
		}
		if (!waiting && i < n && ev[i].seq <= api->seen_seq) {
			xio_event_rows_free(ev, n);
			client_close(cl, 1008, rc == XIO_ETOOBIG ? "an event is bigger than the stream's queue"
								  : "out of memory");
			break;
		}
		/* the page ended before the next page, or at an event notify
		 * has yet to push: caught up */
		if (!waiting && (n < CATCHUP_PAGE || i < n))
			cl->catching_up = 0;
		xio_event_rows_free(ev, n);
		ev = NULL;
		xio_ws_flush(cl->ws);
		/* what the socket did not take is written from lws's
		 * writable callback, then stream_drained_cb comes back here */
		if (xio_ws_queued(cl->ws))
			waiting = 1;
	}
	xio_buf_release(&frame);
}

static int stream_accept_cb(void *ud, struct xio_ws *ws, struct xio_http_request *req,
			    char *body, size_t bodylen)
{
	struct xio_api *api = ud;
	struct xio_consilium_row row = { 0 };
	struct api_client *cl = NULL;
	const struct api_token *tok;
	struct xio_err err;
	const char *after_s = xio_http_request_query_param(req, "after"), *part;
	int64_t id, after = 0;
	int rc;

	if (xio_api_parse_path(xio_http_request_path(req), &id) != XIO_API_EVENTS) {
		snprintf(body, bodylen, "{\"error\":\"no such event stream\",\"status\":404}");
		return 404;
	}
	if (!api->ntokens) {
		snprintf(body, bodylen, "{\"error\":\"" NO_TOKENS_MSG "\",\"status\":403}");
		return 403;
	}
	tok = authenticate(api, req);
	if (!tok) {
		snprintf(body, bodylen, "{\"error\":\"missing or wrong bearer token\",\"status\":401}");
		return 401;
	}
	for (part = xio_http_request_query_next(req, NULL); part;
	     part = xio_http_request_query_next(req, part))
		if (strncmp(part, "after=", 6)) {
			snprintf(body, bodylen, "{\"error\":\"unknown query parameter\",\"status\":400}");
			return 400;
		}
	if (after_s && xio_api_parse_int(after_s, 0, INT64_MAX / 2, &after)) {
		snprintf(body, bodylen,
			 "{\"error\":\"query parameter 'after' must be a sequence number\",\"status\":400}");
		return 400;
	}
	rc = api->store->ops->consilium_get(api->store->impl, id, &row, &err);
	xio_consilium_row_release(&row);
	if (rc == XIO_ENOTFOUND) {
		snprintf(body, bodylen, "{\"error\":\"consilium %lld not found\",\"status\":404}",
			 (long long)id);
		return 404;
	}
	if (rc)
		goto fail;
	cl = calloc(1, sizeof(*cl));
	if (!cl || !(cl->token = strdup(tok->token)))
		goto fail;
	cl->api = api;
	cl->ws = ws;
	cl->cid = id;
	cl->last_seq = after;
	cl->catching_up = 1;
	xio_ws_set_user(ws, cl);
	cl->next = api->clients;
	if (api->clients)
		api->clients->prev = cl;
	api->clients = cl;
	api->nclients++;
	xio_gauge_set(api->g_clients, (double)api->nclients);
	catch_up(cl);
	return 0;
fail:
	if (cl)
		free(cl->token);
	free(cl);
	snprintf(body, bodylen, "{\"error\":\"internal error\",\"status\":500}");
	return 500;
}

static void stream_closed_cb(void *ud, struct xio_ws *ws)
{
	struct api_client *cl = xio_ws_user(ws);

	(void)ud;
	if (cl)
		client_drop(cl);
}

static void stream_drained_cb(void *ud, struct xio_ws *ws)
{
	struct api_client *cl = xio_ws_user(ws);

	(void)ud;
	if (cl && cl->catching_up)
		catch_up(cl);
}

static const struct xio_ws_ops stream_ops = {
	.accept = stream_accept_cb,
	.receive = NULL,
	.closed = stream_closed_cb,
	.drained = stream_drained_cb,
};

/* ---- metrics derived from events ---- */

static const char *platform_of(const char *thread_key, char *buf, size_t n)
{
	size_t k = strcspn(thread_key ? thread_key : "", ":");

	snprintf(buf, n, "%.*s", (int)k, thread_key ? thread_key : "");
	return buf[0] ? buf : "unknown";
}

/* Feeds the quality metrics from one committed event. */
static void event_metrics(struct xio_api *api, const struct xio_event_row *e)
{
	struct xio_consilium_row row = { 0 };
	json_object *d = NULL, *v;
	struct xio_err err;
	char platform[32];
	const char *kind, *status, *phase;

	if (!api->metrics)
		return;
	xio_counter_add(xio_metrics_counter(api->metrics, "xio_stream_events_total",
					    "Live events recorded, by type", "type", e->type, NULL),
			1);
	if (strcmp(e->type, "chat_message") && strcmp(e->type, "artifact") &&
	    strcmp(e->type, "run_status"))
		return;
	d = json_tokener_parse(e->data ? e->data : "{}");
	if (!d || api->store->ops->consilium_get(api->store->impl, e->consilium_id, &row, &err))
		goto out;
	if (!strcmp(e->type, "chat_message")) {
		kind = json_object_object_get_ex(d, "author_kind", &v) ? json_object_get_string(v) : "";
		xio_counter_add(xio_metrics_counter(api->metrics, "xio_chat_messages_total",
						    "Thread messages in (from humans) and out (from personas), per platform",
						    "platform", platform_of(row.thread_key, platform, sizeof(platform)),
						    "direction", strcmp(kind, "persona") ? "in" : "out",
						    NULL),
				1);
	} else if (!strcmp(e->type, "artifact")) {
		status = json_object_object_get_ex(d, "status", &v) ? json_object_get_string(v) : "";
		/* "amended" is a draft changed during approval (/amend works only
		 * then): counting it would add a sample per amendment.  A
		 * consilium is approved once, so this is one sample each. */
		if (strcmp(status, "approved"))
			goto out;
		/* the decision is final: how long it took, how sure the tasks are */
		xio_histogram_observe(api->h_ttd, (double)(e->created_at - row.created_at) / 1000.0);
		if (json_object_object_get_ex(d, "tasks", &v) && json_object_is_type(v, json_type_array)) {
			size_t i, n = json_object_array_length(v);

			for (i = 0; i < n; i++) {
				json_object *t = json_object_array_get_idx(v, i), *cf;

				if (json_object_object_get_ex(t, "confidence", &cf))
					xio_histogram_observe(api->h_conf, json_object_get_double(cf));
			}
		}
	} else {
		char *dstatus = NULL, *log = NULL, *tasks = NULL;
		json_object *lj = NULL, *tj = NULL;
		int has_log, has_tasks;

		phase = json_object_object_get_ex(d, "phase", &v) ? json_object_get_string(v) : "";
		if (strcmp(phase, "closed"))
			goto out;
		if (!api->store->ops->decision_get(api->store->impl, e->consilium_id, &dstatus, &log,
						   &tasks, &err)) {
			lj = json_tokener_parse(log);
			tj = json_tokener_parse(tasks);
		}
		/* an "amended" draft that closes was stopped, not decided */
		has_log = dstatus && !strcmp(dstatus, "approved") &&
			  lj && json_object_object_length(lj) > 0;
		has_tasks = has_log && tj && json_object_is_type(tj, json_type_array) &&
			    json_object_array_length(tj) > 0;
		xio_counter_add(xio_metrics_counter(api->metrics, "xio_consiliums_closed_total",
						    "Consiliums closed, by whether they ended with a decision log and tasks",
						    "decision_log", has_log ? "yes" : "no",
						    "tasks", has_tasks ? "yes" : "no", NULL),
				1);
		json_object_put(lj);
		json_object_put(tj);
		free(dstatus);
		free(log);
		free(tasks);
	}
out:
	xio_consilium_row_release(&row);
	json_object_put(d);
}

void xio_api_notify(struct xio_api *api)
{
	struct xio_event_row *ev = NULL;
	struct api_client *cl, *next;
	struct xio_err err;
	size_t n = 0, i;

	for (;;) {
		if (api->store->ops->events_list(api->store->impl, 0, api->seen_seq, NOTIFY_BATCH,
						 &ev, &n, &err)) {
			xio_logf(api->log, XIO_LOG_ERROR, "api", "events: %s", err.msg);
			return;
		}
		for (i = 0; i < n; i++) {
			struct xio_buf frame;
			int built = 0;

			event_metrics(api, &ev[i]);
			xio_buf_init(&frame, 0);
			for (cl = api->clients; cl; cl = next) {
				next = cl->next;
				if (cl->catching_up || cl->cid != ev[i].consilium_id ||
				    cl->last_seq >= ev[i].seq)
					continue;
				/* built once, sent to every client of the consilium */
				if (!built && frame_text(&frame, &ev[i]))
					break;
				built = 1;
				if (xio_ws_queue(cl->ws, frame.data, frame.len, api->ws_max_queue)) {
					xio_counter_add(api->c_dropped, 1);
					client_close(cl, 1008, "too slow");
					continue;
				}
				cl->last_seq = ev[i].seq;
				xio_histogram_observe(api->h_delivery,
						      (double)(xio_clock_now(api->clock) -
							       ev[i].created_at) / 1000.0);
			}
			xio_buf_release(&frame);
			api->seen_seq = ev[i].seq;
		}
		xio_event_rows_free(ev, n);
		/* each client's new frames leave together, one client after
		 * another, rather than event after event */
		for (cl = api->clients; cl; cl = cl->next)
			xio_ws_flush(cl->ws);
		if (n < NOTIFY_BATCH)
			break;
	}
}

static void committed_cb(void *ud)
{
	xio_api_notify(ud);
}

size_t xio_api_clients(const struct xio_api *api)
{
	return api->nclients;
}

/* ---- periodic metrics: open consiliums, outbox, loop lag, WAL ---- */

static void wal_metrics(struct xio_api *api)
{
	struct xio_store_wal_stats w = { 0 }, *seen = &api->wal_seen;

	if (!api->store->ops->wal_stats)
		return;
	api->store->ops->wal_stats(api->store->impl, &w);
	xio_gauge_set(api->g_wal, (double)w.pages);
	xio_counter_add(api->c_ckpt_thread, (double)(w.thread_ckpts - seen->thread_ckpts));
	xio_counter_add(api->c_ckpt_loop, (double)(w.loop_ckpts - seen->loop_ckpts));
	xio_counter_add(api->c_ckpt_loop_s, (double)(w.loop_ckpt_us - seen->loop_ckpt_us) / 1e6);
	*seen = w;
}

static void stats_cb(uv_timer_t *t)
{
	struct xio_api *api = t->data;
	struct xio_outbox_stats st;
	int64_t *ids = NULL, now = xio_clock_now(api->clock), oldest = 0, depth = 0;
	struct xio_err err;
	size_t n = 0;

	if (!api->store->ops->consilium_ids(api->store->impl, 1, &ids, &n, &err))
		xio_gauge_set(api->g_open, (double)n);
	free(ids);
	n = 0;
	if (!api->store->ops->outbox_depth(api->store->impl, &depth, &oldest, &err)) {
		xio_gauge_set(api->g_depth, (double)depth);
		xio_gauge_set(api->g_age, oldest && now > oldest ? (double)(now - oldest) / 1000.0 : 0);
	}
	if (api->outbox) {
		xio_outbox_stats(api->outbox, &st);
		xio_counter_add(api->c_retries, (double)(st.retried - api->retried_seen));
		api->retried_seen = st.retried;
	}
	xio_gauge_set(api->g_lag, api->lag_max);
	api->lag_max = 0;
	wal_metrics(api);
}

/* The loop is late by how much this timer fires after it was due. */
static void lag_cb(uv_timer_t *t)
{
	struct xio_api *api = t->data;
	int64_t now = xio_clock_mono_ms();
	double lag = now > api->lag_expect ? (double)(now - api->lag_expect) / 1000.0 : 0;

	xio_histogram_observe(api->h_lag, lag);
	if (lag > api->lag_max)
		api->lag_max = lag;
	api->lag_expect = now + LAG_INTERVAL_MS;
}

static void register_metrics(struct xio_api *api)
{
	static const double delivery[] = { 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1 };
	static const double ttd[] = { 60, 300, 900, 1800, 3600, 7200, 14400, 43200, 86400, 259200,
				      604800 };
	static const double conf[] = { 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1 };
	static const double lag[] = { 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1 };
	struct xio_metrics *m = api->metrics;

	if (!m)
		return;
	api->h_delivery = xio_metrics_histogram(m, "xio_stream_delivery_seconds",
						"From an event's commit to its frame queued for a stream client",
						delivery, XIO_ARRAY_LEN(delivery), NULL);
	api->h_ttd = xio_metrics_histogram(m, "xio_time_to_decision_seconds",
					   "From a consilium's start to its approved decision",
					   ttd, XIO_ARRAY_LEN(ttd), NULL);
	api->h_conf = xio_metrics_histogram(m, "xio_task_confidence",
					    "Confidence of the tasks of approved decisions",
					    conf, XIO_ARRAY_LEN(conf), NULL);
	api->h_lag = xio_metrics_histogram(m, "xio_loop_lag_seconds",
					   "How late a 250 ms loop timer fires", lag,
					   XIO_ARRAY_LEN(lag), NULL);
	api->g_lag = xio_metrics_gauge(m, "xio_loop_lag_max_seconds",
				       "Worst loop lag over the last 5 s", NULL);
	api->g_clients = xio_metrics_gauge(m, "xio_stream_clients",
					   "Connected event-stream WebSocket clients", NULL);
	api->g_open = xio_metrics_gauge(m, "xio_consiliums_open", "Consiliums not closed", NULL);
	api->g_depth = xio_metrics_gauge(m, "xio_outbox_depth",
					 "Outbound effects waiting or in flight", NULL);
	api->g_age = xio_metrics_gauge(m, "xio_outbox_oldest_age_seconds",
				       "Age of the oldest outbound effect not yet done", NULL);
	api->c_retries = xio_metrics_counter(m, "xio_outbox_retries_total",
					     "Outbound effects retried (errors, 429, 5xx)", NULL);
	api->c_dropped = xio_metrics_counter(m, "xio_stream_slow_clients_total",
					     "Stream clients closed because they fell behind", NULL);
	api->g_wal = xio_metrics_gauge(m, "xio_store_wal_pages",
				       "Pages in the SQLite write-ahead log after the last commit", NULL);
	api->c_ckpt_thread = xio_metrics_counter(m, "xio_store_checkpoints_total",
						 "WAL checkpoints, by the thread that ran them",
						 "on", "thread", NULL);
	api->c_ckpt_loop = xio_metrics_counter(m, "xio_store_checkpoints_total",
					       "WAL checkpoints, by the thread that ran them",
					       "on", "loop", NULL);
	api->c_ckpt_loop_s = xio_metrics_counter(m, "xio_store_checkpoint_loop_seconds_total",
						 "Time the event loop spent in WAL checkpoints "
						 "(an update arriving meanwhile waits)", NULL);
	/* every outcome at 0 from the start, so the share is defined at once */
	for (int i = 0; i < 3; i++)
		xio_metrics_counter(m, "xio_consiliums_closed_total",
				    "Consiliums closed, by whether they ended with a decision log and tasks",
				    "decision_log", i ? "yes" : "no", "tasks", i == 2 ? "yes" : "no",
				    NULL);
}

/* ---- lifecycle ---- */

static void tokens_free(struct api_token *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].name);
		free(v[i].token);
	}
	free(v);
}

static int add_token(struct api_token **v, size_t *n, const char *name, size_t nl,
		     const char *token, struct xio_err *err)
{
	struct api_token *nv = realloc(*v, (*n + 1) * sizeof(*nv));

	if (!nv)
		return xio_err_set(err, XIO_ENOMEM, "out of memory");
	*v = nv;
	nv[*n].name = strndup(name, nl);
	nv[*n].token = strdup(token);
	if (!nv[*n].name || !nv[*n].token) {
		free(nv[*n].name);
		free(nv[*n].token);
		return xio_err_set(err, XIO_ENOMEM, "out of memory");
	}
	(*n)++;
	return 0;
}

/* A stream stays open only as long as the token it was opened with is
 * accepted: a revoked token must stop reading at once, not when its
 * client next reconnects.  Same check as for a request, by value: a
 * name whose token changed is revoked too. */
static void close_revoked(struct xio_api *api)
{
	struct api_client *cl, *next;
	size_t i;

	for (cl = api->clients; cl; cl = next) {
		int kept = 0;

		next = cl->next;
		for (i = 0; i < api->ntokens; i++)
			kept |= xio_api_token_equal(cl->token, api->tokens[i].token);
		if (kept)
			continue;
		xio_logf(api->log, XIO_LOG_INFO, "api",
			 "stream client of consilium %lld closed: its token was revoked",
			 (long long)cl->cid);
		xio_ws_close(cl->ws, 1008, "token revoked");
		client_drop(cl);
	}
}

int xio_api_set_tokens(struct xio_api *api, const char *token, json_object *named,
		       struct xio_err *err)
{
	struct api_token *v = NULL;
	size_t nv = 0, i, n;
	int rc = 0;

	if (token && *token && (rc = add_token(&v, &nv, "api", 3, token, err)))
		goto out;
	n = named && json_object_is_type(named, json_type_array) ? json_object_array_length(named) : 0;
	for (i = 0; i < n; i++) {
		const char *e = json_object_get_string(json_object_array_get_idx(named, i));
		const char *eq = e ? strchr(e, '=') : NULL;

		if (!eq || eq == e || !eq[1] || (size_t)(eq - e) > 64) {
			rc = xio_err_set(err, XIO_EINVAL,
					 "http.api_tokens: entry %zu is not name=token "
					 "(a name of 1-64 characters, a non-empty token)", i + 1);
			goto out;
		}
		for (const char *p = e; p < eq; p++)
			if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
			      (*p >= '0' && *p <= '9') || *p == '_' || *p == '-' || *p == '.')) {
				rc = xio_err_set(err, XIO_EINVAL,
						 "http.api_tokens: entry %zu: the name may hold "
						 "only letters, digits, '.', '_' and '-'", i + 1);
				goto out;
			}
		if ((rc = add_token(&v, &nv, e, (size_t)(eq - e), eq + 1, err)))
			goto out;
	}
	tokens_free(api->tokens, api->ntokens);
	api->tokens = v;
	api->ntokens = nv;
	v = NULL;
	nv = 0;
	close_revoked(api);
out:
	tokens_free(v, nv);
	return rc;
}

static void timer_closed_cb(uv_handle_t *h)
{
	struct xio_api *api = h->data;

	if (--api->timers_on == 0)
		free(api);
}

void xio_api_free(struct xio_api *api)
{
	if (!api)
		return;
	while (api->clients) {
		struct api_client *cl = api->clients;

		xio_ws_close(cl->ws, 1001, "server shutting down");
		client_drop(cl);
	}
	if (api->runner && api->runner->committed_ud == api) {
		api->runner->committed_cb = NULL;
		api->runner->committed_ud = NULL;
	}
	tokens_free(api->tokens, api->ntokens);
	free(api->cors_origin);
	if (api->timers_on) {
		uv_close((uv_handle_t *)&api->stats_timer, timer_closed_cb);
		uv_close((uv_handle_t *)&api->lag_timer, timer_closed_cb);
		return; /* freed when both have closed */
	}
	free(api);
}

int xio_api_new(struct xio_api **out, const struct xio_api_opts *o, struct xio_err *err)
{
	const struct xio_resource *spec = xio_resource_find("openapi.json");
	struct xio_api *api = NULL;
	int rc = 0;

	*out = NULL;
	api = calloc(1, sizeof(*api));
	if (!api)
		return xio_err_set(err, XIO_ENOMEM, "out of memory");
	api->store = o->store;
	api->runner = o->runner;
	api->outbox = o->outbox;
	api->log = o->log;
	api->clock = o->clock ? o->clock : &xio_clock_system;
	api->metrics = o->metrics;
	api->ws_max_queue = o->ws_max_queue;
	api->openapi = spec ? spec->data : "{}";
	api->openapi_len = spec ? spec->len : 2;
	if (o->cors_origin && *o->cors_origin) {
		if (!xio_api_text_ok(o->cors_origin, 300, 0)) {
			rc = xio_err_set(err, XIO_EINVAL, "http.cors_origin: not a valid origin");
			goto out;
		}
		api->cors_origin = strdup(o->cors_origin);
		if (!api->cors_origin) {
			rc = xio_err_set(err, XIO_ENOMEM, "out of memory");
			goto out;
		}
	}
	if ((rc = xio_api_set_tokens(api, o->token, o->named_tokens, err)))
		goto out;
	if (api->store->ops->events_last_seq(api->store->impl, &api->seen_seq, err)) {
		rc = err ? err->code : XIO_EIO;
		goto out;
	}
	register_metrics(api);
	/* mounted with no token too: a reload may add the first one */
	if (o->http) {
		if ((rc = xio_http_server_route(o->http, "GET", "/api/*", 0, api_cb, api, err)) ||
		    /* bodies up to http.max_body_bytes, the server's cap */
		    (rc = xio_http_server_route(o->http, "POST", "/api/*", 0, api_cb, api, err)) ||
		    (api->cors_origin &&
		     (rc = xio_http_server_route(o->http, "OPTIONS", "/api/*", 0, api_cb, api,
						 err))) ||
		    (rc = xio_http_server_ws_route(o->http, "/api/consiliums/*", &stream_ops, api,
						   err)))
			goto out;
	}
	if (o->loop) {
		uv_timer_init(o->loop, &api->stats_timer);
		uv_timer_init(o->loop, &api->lag_timer);
		api->stats_timer.data = api->lag_timer.data = api;
		api->timers_on = 2;
		uv_timer_start(&api->stats_timer, stats_cb, STATS_INTERVAL_MS, STATS_INTERVAL_MS);
		api->lag_expect = xio_clock_mono_ms() + LAG_INTERVAL_MS;
		uv_timer_start(&api->lag_timer, lag_cb, LAG_INTERVAL_MS, LAG_INTERVAL_MS);
		/* metrics must not keep a stopping loop alive */
		uv_unref((uv_handle_t *)&api->stats_timer);
		uv_unref((uv_handle_t *)&api->lag_timer);
	}
	if (api->runner) {
		api->runner->committed_cb = committed_cb;
		api->runner->committed_ud = api;
	}
	*out = api;
	api = NULL;
out:
	xio_api_free(api);
	return rc;
}
