/*
 * slack.c — the Slack adapter: Web API calls, the outbound chat port, the
 * inbound queue, Socket Mode and the Events API routes.
 */
#include "slack.h"
#include "buf.h"
#include "commands.h"
#include "http_client.h"
#include "slack_event.h"
#include "slack_sig.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PART_MAX 3000         /* a section block's text limit; far below 40,000 */
#define PARTS_MAX 60
#define USERS_MAX 1024
#define CHANNELS_MAX 256
#define RECENT_MAX 1024
#define RESPONSE_URLS_MAX 64
#define MENTIONS_MAX 16
#define FRAME_MAX (1024 * 1024)
#define HISTORY_PAGES 10

/* Reconnect delays after a dropped Socket Mode connection, jittered ±25%. */
static const int64_t reconnect_backoff_ms[] = { 500, 1000, 2000, 5000, 10000, 30000, 60000 };

/* lws pings an idle connection and hangs up if nothing comes back. */
static const lws_retry_bo_t ws_policy = {
	.secs_since_valid_ping = 30,
	.secs_since_valid_hangup = 70,
};

struct frame {
	struct frame *next;
	struct inbound *work;  /* started once this ack is written */
	size_t len;
	unsigned char data[]; /* LWS_PRE bytes of room, then the text */
};

struct ws_conn {
	struct xio_slack *s;
	struct ws_conn *next;
	struct lws *wsi;
	unsigned id;
	int hello, closing;
	int close_started; /* the close handshake is lws's from here on */
	int replaced;  /* Slack said disconnect: a successor is on its way */
	struct xio_buf rx;
	struct frame *out_head, *out_tail;
};

struct inbound {
	struct inbound *next;
	enum xio_slack_kind kind;
	char *msg_id, *team, *channel, *user, *text, *ts, *thread_ts, *trigger_id, *response_url;
	int pending;  /* users.info lookups in flight */
	int resolved; /* lookups were started */
};

struct user {
	char *id, *name;
};

struct channel {
	char *id;
	int64_t tat;           /* pacing: theoretical arrival time of the next post */
	int64_t blocked_until; /* after a 429 */
};

struct response_url {
	char *trigger_id, *url;
};

struct post_job;

struct xio_slack {
	struct xio_loop *loop;
	struct xio_runner *runner;
	struct xio_store *store;
	const struct xio_i18n *i18n;
	const struct xio_personas *personas;
	struct xio_http_server *srv;
	struct xio_http_client *http;
	struct xio_log *log;
	const struct xio_clock *clock;
	char *mode, *app_token, *bot_token, *signing_secret, *api_url, *lang;
	char *auth_app, *auth_bot;  /* "Authorization: Bearer …" headers */
	int64_t interval_ms;
	int burst;
	int socket;
	char bot_user[64];
	int authed;  /* auth.test answered (or failed): inbound may be applied */
	unsigned rand_state;
	/* Socket Mode */
	struct lws_vhost *vh;
	struct ws_conn *conns;
	struct ws_conn *current;
	unsigned next_conn_id;
	int opening;
	int attempt;
	uv_timer_t retry_timer;
	int retry_on;
	int handles_open;  /* timers still closing; the last frees s */
	/* inbound */
	struct inbound *q_head, *q_tail;
	uv_timer_t work_timer;
	int work_on;
	/* caches */
	struct user users[USERS_MAX];
	size_t nusers;
	struct channel channels[CHANNELS_MAX];
	size_t nchannels;
	char *recent[RECENT_MAX];
	size_t recent_next;
	struct response_url urls[RESPONSE_URLS_MAX];
	size_t urls_next;
	struct post_job *jobs;
	int stopping;
};

static void process_queue(struct xio_slack *s);
static void open_connection(struct xio_slack *s);

/* ---- small helpers ----------------------------------------------------- */

static const char *jstr(json_object *o, const char *k)
{
	json_object *v;

	if (!o || !json_object_object_get_ex(o, k, &v) || !json_object_is_type(v, json_type_string))
		return "";
	return json_object_get_string(v);
}

static int jbool(json_object *o, const char *k)
{
	json_object *v;

	return o && json_object_object_get_ex(o, k, &v) && json_object_get_boolean(v);
}

static char *dupstr(const char *s)
{
	return strdup(s ? s : "");
}

static unsigned next_rand(struct xio_slack *s)
{
	/* xorshift32: jitter only */
	unsigned x = s->rand_state ? s->rand_state : 2463534242u;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	s->rand_state = x;
	return x;
}

static int64_t now_ms(struct xio_slack *s)
{
	return xio_clock_now(s->clock);
}

static const char *user_name(void *ud, const char *id)
{
	struct xio_slack *s = ud;
	size_t i;

	for (i = 0; i < s->nusers; i++)
		if (!strcmp(s->users[i].id, id))
			return s->users[i].name;
	return NULL;
}

static void user_put(struct xio_slack *s, const char *id, const char *name)
{
	struct user *u;
	char *nid, *nname;

	if (user_name(s, id))
		return;
	nid = strdup(id);
	nname = strdup(name);
	if (!nid || !nname) {
		free(nid);
		free(nname);
		return;
	}
	if (s->nusers == USERS_MAX) {
		/* full: the oldest goes (the cache is a convenience) */
		free(s->users[0].id);
		free(s->users[0].name);
		memmove(&s->users[0], &s->users[1], (USERS_MAX - 1) * sizeof(s->users[0]));
		s->nusers--;
	}
	u = &s->users[s->nusers++];
	u->id = nid;
	u->name = nname;
}

static struct channel *channel_get(struct xio_slack *s, const char *id)
{
	size_t i;

	for (i = 0; i < s->nchannels; i++)
		if (!strcmp(s->channels[i].id, id))
			return &s->channels[i];
	if (s->nchannels == CHANNELS_MAX) {
		free(s->channels[0].id);
		memmove(&s->channels[0], &s->channels[1], (CHANNELS_MAX - 1) * sizeof(s->channels[0]));
		s->nchannels--;
	}
	memset(&s->channels[s->nchannels], 0, sizeof(s->channels[0]));
	s->channels[s->nchannels].id = strdup(id);
	if (!s->channels[s->nchannels].id)
		return NULL;
	return &s->channels[s->nchannels++];
}

/* Reserves a post slot on channel ch; returns how long to wait for it. */
static int64_t pace(struct xio_slack *s, const char *chan)
{
	struct channel *ch = channel_get(s, chan);
	int64_t now = now_ms(s), tat, wait;

	if (!ch)
		return 0;
	tat = ch->tat > now ? ch->tat : now;
	wait = tat - now - (int64_t)(s->burst - 1) * s->interval_ms;
	if (wait < 0)
		wait = 0;
	ch->tat = tat + s->interval_ms;
	if (ch->blocked_until > now + wait)
		wait = ch->blocked_until - now;
	return wait;
}

static void recent_add(struct xio_slack *s, const char *id)
{
	char *c = strdup(id);

	if (!c)
		return;
	free(s->recent[s->recent_next]);
	s->recent[s->recent_next] = c;
	s->recent_next = (s->recent_next + 1) % RECENT_MAX;
}

static int recent_has(struct xio_slack *s, const char *id)
{
	size_t i;

	for (i = 0; i < RECENT_MAX; i++)
		if (s->recent[i] && !strcmp(s->recent[i], id))
			return 1;
	return 0;
}

static void url_remember(struct xio_slack *s, const char *trigger, const char *url)
{
	struct response_url *u = &s->urls[s->urls_next];
	char *t = strdup(trigger), *l = strdup(url);

	if (!t || !l || !*url) {
		free(t);
		free(l);
		return;
	}
	free(u->trigger_id);
	free(u->url);
	u->trigger_id = t;
	u->url = l;
	s->urls_next = (s->urls_next + 1) % RESPONSE_URLS_MAX;
}

static const char *url_find(struct xio_slack *s, const char *trigger)
{
	size_t i;

	for (i = 0; i < RESPONSE_URLS_MAX; i++)
		if (s->urls[i].trigger_id && !strcmp(s->urls[i].trigger_id, trigger))
			return s->urls[i].url;
	return NULL;
}

/* ---- Web API ----------------------------------------------------------- */

/* The outcome of a Web API call, classified. */
struct api_result {
	int rc;                 /* 0, XIO_EAGAIN, or a permanent code */
	int64_t retry_after_ms; /* with XIO_EAGAIN; -1 = backoff */
	int sent_maybe;         /* no answer: the request may have arrived */
	json_object *json;      /* the answer when ok (borrowed for the callback) */
	char msg[512];
};

typedef void (*api_cb)(void *ud, struct api_result *r);

struct api_call {
	struct xio_slack *s;
	api_cb cb;
	void *ud;
	char method[48];
};

static void api_done_cb(void *ud, const struct xio_http_response *resp)
{
	struct api_call *call = ud;
	struct api_result r = { .retry_after_ms = -1 };
	struct xio_err err = { 0 };
	json_object *j = NULL;
	const char *ra;

	if (resp->error) {
		r.rc = resp->error == XIO_ECANCELED ? XIO_ECANCELED : XIO_EAGAIN;
		r.sent_maybe = 1;
		snprintf(r.msg, sizeof(r.msg), "slack %s: %s", call->method, resp->error_msg);
		goto out;
	}
	if (resp->status == 429 || resp->status >= 500) {
		ra = xio_http_response_header(resp, "Retry-After");
		if (ra && xio_http_parse_retry_after(ra, now_ms(call->s), &r.retry_after_ms))
			r.retry_after_ms = -1;
		r.rc = XIO_EAGAIN;
		r.sent_maybe = resp->status >= 500;
		snprintf(r.msg, sizeof(r.msg), "slack %s: HTTP %ld%s", call->method, resp->status,
			 resp->status == 429 ? " (rate limited)" : "");
		goto out;
	}
	j = xio_http_response_json(resp, &err);
	if (!j || !json_object_is_type(j, json_type_object)) {
		r.rc = resp->status >= 400 ? XIO_EPROTO : XIO_EAGAIN;
		r.sent_maybe = 1;
		snprintf(r.msg, sizeof(r.msg), "slack %s: HTTP %ld, answer is not a JSON object",
			 call->method, resp->status);
		goto out;
	}
	if (!jbool(j, "ok")) {
		const char *e = jstr(j, "error");

		if (!strcmp(e, "ratelimited") || !strcmp(e, "internal_error") ||
		    !strcmp(e, "service_unavailable") || !strcmp(e, "request_timeout") ||
		    !strcmp(e, "fatal_error")) {
			r.rc = XIO_EAGAIN;
			r.sent_maybe = strcmp(e, "ratelimited") != 0;
		} else if (!strcmp(e, "invalid_auth") || !strcmp(e, "not_authed") ||
			   !strcmp(e, "token_revoked") || !strcmp(e, "account_inactive") ||
			   !strcmp(e, "missing_scope")) {
			r.rc = XIO_EAUTH;
		} else {
			r.rc = XIO_EINVAL;
		}
		snprintf(r.msg, sizeof(r.msg), "slack %s: %s", call->method, *e ? e : "ok:false");
		goto out;
	}
	r.json = j;
out:
	call->cb(call->ud, &r);
	json_object_put(j);
	free(call);
}

/* Calls a Web API method with a JSON body (taken: put by this function).
 * max_attempts 1 leaves retrying to the caller.  cb always runs, later. */
static void api(struct xio_slack *s, const char *method, json_object *body, const char *auth,
		int max_attempts, int idempotent, api_cb cb, void *ud)
{
	struct xio_http_request req = { 0 };
	struct api_call *call = calloc(1, sizeof(*call));
	const char *headers[3] = { auth, "Content-Type: application/json; charset=utf-8", NULL };
	char url[1024], logu[96];
	struct xio_err err = { 0 };
	struct api_result r = { .retry_after_ms = -1 };
	int rc;

	if (!call || !body || !s->http) {
		free(call);
		json_object_put(body);
		r.rc = s->http ? XIO_EAGAIN : XIO_ECANCELED;
		snprintf(r.msg, sizeof(r.msg), "slack %s: out of memory", method);
		cb(ud, &r);
		return;
	}
	call->s = s;
	call->cb = cb;
	call->ud = ud;
	snprintf(call->method, sizeof(call->method), "%s", method);
	if (!strncmp(method, "https://", 8) || !strncmp(method, "http://", 7)) {
		snprintf(url, sizeof(url), "%s", method); /* a response_url */
		snprintf(call->method, sizeof(call->method), "response_url");
		headers[0] = headers[1];
		headers[1] = NULL;
	} else {
		snprintf(url, sizeof(url), "%s/%s", s->api_url, method);
	}
	snprintf(logu, sizeof(logu), "slack %s", call->method);
	req.method = "POST";
	req.url = url;
	req.log_url = logu;
	req.headers = headers;
	req.max_attempts = max_attempts;
	req.idempotent = idempotent;
	req.timeout_ms = 15000;
	rc = xio_http_send_json(s->http, &req, body, api_done_cb, call, NULL, &err);
	json_object_put(body);
	if (rc) {
		free(call);
		r.rc = rc == XIO_ESTATE ? XIO_ECANCELED : XIO_EAGAIN;
		snprintf(r.msg, sizeof(r.msg), "%s: %.200s", logu, err.msg);
		cb(ud, &r);
	}
}

/* ---- outbound: post and check ------------------------------------------ */

struct post_job {
	struct xio_slack *s;
	struct post_job *next;
	xio_chat_done_cb cb;
	void *ud;
	char *key, *channel, *thread, *placeholder, *username, *icon, *response_url;
	char **parts;
	int nparts;
	uint64_t found;      /* parts already in Slack (from a check) */
	int part;            /* next part to post */
	int scribe;          /* a decision log or task list */
	int checking;        /* 1: ops->check; 2: a check before posting */
	int posted_any;
	char *first_ts;
	char cursor[256];
	int pages;
	uv_timer_t timer;
	int timer_on;
};

static void job_post_next(struct post_job *j);
static void job_check(struct post_job *j);

static void job_timer_closed_cb(uv_handle_t *h)
{
	struct post_job *j = h->data;

	xio_slack_parts_free(j->parts, j->nparts);
	free(j->key);
	free(j->channel);
	free(j->thread);
	free(j->placeholder);
	free(j->username);
	free(j->icon);
	free(j->response_url);
	free(j->first_ts);
	free(j);
}

static void job_free(struct post_job *j)
{
	struct post_job **pp;

	for (pp = &j->s->jobs; *pp; pp = &(*pp)->next)
		if (*pp == j) {
			*pp = j->next;
			break;
		}
	uv_close((uv_handle_t *)&j->timer, job_timer_closed_cb);
}

static void alias_put(struct xio_slack *s, const char *alias, const char *target)
{
	struct xio_err err = { 0 };
	int rc = s->store->ops->thread_alias_put(s->store->impl, alias, target, now_ms(s), &err);

	if (rc && rc != XIO_EDUP)
		xio_logf(s->log, XIO_LOG_ERROR, "slack", "thread alias %s: %s", alias, err.msg);
}

static char *alias_get(struct xio_slack *s, const char *alias)
{
	struct xio_err err = { 0 };
	char *t = NULL;
	int rc = s->store->ops->thread_alias_get(s->store->impl, alias, &t, &err);

	if (rc && rc != XIO_ENOTFOUND)
		xio_logf(s->log, XIO_LOG_ERROR, "slack", "thread alias %s: %s", alias, err.msg);
	return rc ? NULL : t;
}

/* A consilium opened by /xio got its thread: record both directions, in one
 * transaction, so a crash leaves both or neither (and check() finds the
 * message again if neither). */
static void record_thread(struct xio_slack *s, const char *chan, const char *placeholder,
			  const char *ts)
{
	struct xio_err err = { 0 };
	char a1[512], a2[512], key[512];

	snprintf(a1, sizeof(a1), "slack:first:%s:%s", chan, placeholder);
	snprintf(a2, sizeof(a2), "slack:thread:%s:%s", chan, ts);
	snprintf(key, sizeof(key), "slack:%s:%s", chan, placeholder);
	if (xio_store_begin(s->store, &err)) {
		xio_logf(s->log, XIO_LOG_ERROR, "slack", "thread of %s: %s", key, err.msg);
		return;
	}
	alias_put(s, a1, ts);
	alias_put(s, a2, key);
	if (xio_store_commit(s->store, &err))
		xio_logf(s->log, XIO_LOG_ERROR, "slack", "thread of %s: %s", key, err.msg);
	else
		xio_logf(s->log, XIO_LOG_INFO, "slack", "consilium %s now lives in thread %s", key, ts);
}

/* A post cut short (shutdown, no answer): the next attempt checks first. */
static void mark_unsure(struct xio_slack *s, const char *key)
{
	char a[512];
	struct xio_err err = { 0 };

	snprintf(a, sizeof(a), "slack:unsure:%s", key);
	if (xio_store_begin(s->store, &err) == 0) {
		alias_put(s, a, "1");
		xio_store_commit(s->store, &err);
	}
}

static void job_finish(struct post_job *j, int rc, int64_t retry_after, const char *msg)
{
	char result[512];

	if (rc == 0 || rc == 1) {
		if (j->placeholder && j->first_ts)
			record_thread(j->s, j->channel, j->placeholder, j->first_ts);
		snprintf(result, sizeof(result), "{\"channel\":\"%s\",\"ts\":\"%s\"}", j->channel,
			 j->first_ts ? j->first_ts : "");
		j->cb(j->ud, rc, -1, result, NULL);
	} else {
		if (j->posted_any)
			mark_unsure(j->s, j->key);
		j->cb(j->ud, rc, retry_after, NULL, msg);
	}
	job_free(j);
}

/* Replaces "@Name" (and, in the Scribe's task list, ": Name;") by a Slack
 * mention when Name is a known user's display name. */
static char *link_users(struct xio_slack *s, const char *text, int scribe)
{
	struct xio_buf b;
	const char *p = text;
	int rc = 0;

	xio_buf_init(&b, 0);
	while (*p && !rc) {
		size_t i, best = 0;
		const char *id = NULL;
		int colon = scribe && p[0] == ':' && p[1] == ' ';
		const char *name_at = colon ? p + 2 : p + 1;

		if (*p == '@' || colon) {
			for (i = 0; i < s->nusers; i++) {
				size_t n = strlen(s->users[i].name);

				if (n > 1 && n > best && !strncmp(name_at, s->users[i].name, n) &&
				    (colon ? name_at[n] == ';' : !((name_at[n] >= 'a' && name_at[n] <= 'z') ||
								  (name_at[n] >= 'A' && name_at[n] <= 'Z') ||
								  (name_at[n] >= '0' && name_at[n] <= '9')))) {
					best = n;
					id = s->users[i].id;
				}
			}
		}
		if (id) {
			rc = xio_buf_printf(&b, "%s<@%s>", colon ? ": " : "", id);
			p = name_at + best;
		} else {
			rc = xio_buf_append(&b, p, 1);
			p++;
		}
	}
	if (!rc)
		rc = xio_buf_append(&b, "", 0);
	if (rc) {
		xio_buf_release(&b);
		return NULL;
	}
	return xio_buf_detach(&b);
}

static json_object *blocks_for(const char *text)
{
	json_object *blocks = json_object_new_array(), *sec, *t;
	char **paras = NULL;
	int n, i;

	/* one section per paragraph keeps the log readable and each block far
	 * below the 3000-character section limit */
	n = xio_slack_split(text, 2900, &paras);
	if (!blocks || n < 0) {
		json_object_put(blocks);
		xio_slack_parts_free(paras, n < 0 ? 0 : n);
		return NULL;
	}
	for (i = 0; i < n && i < 50; i++) {
		sec = json_object_new_object();
		t = json_object_new_object();
		json_object_object_add(t, "type", json_object_new_string("mrkdwn"));
		json_object_object_add(t, "text", json_object_new_string(paras[i]));
		json_object_object_add(sec, "type", json_object_new_string("section"));
		json_object_object_add(sec, "text", t);
		json_object_array_add(blocks, sec);
	}
	xio_slack_parts_free(paras, n);
	return blocks;
}

static void job_timer_cb(uv_timer_t *t)
{
	job_post_next(t->data);
}

static void posted_cb(void *ud, struct api_result *r)
{
	struct post_job *j = ud;
	struct xio_slack *s = j->s;

	if (r->rc) {
		if (r->rc == XIO_EAGAIN && r->retry_after_ms >= 0) {
			struct channel *ch = channel_get(s, j->channel);

			if (ch)
				ch->blocked_until = now_ms(s) + r->retry_after_ms;
		}
		if (r->sent_maybe || r->rc == XIO_ECANCELED)
			j->posted_any = 1; /* the check decides next time */
		xio_logf(s->log, r->rc == XIO_EAGAIN || r->rc == XIO_ECANCELED ? XIO_LOG_WARN : XIO_LOG_ERROR,
			 "slack", "%s: %s", j->key, r->msg);
		job_finish(j, r->rc == XIO_ECANCELED ? XIO_EAGAIN : r->rc, r->retry_after_ms, r->msg);
		return;
	}
	j->posted_any = 1;
	if (!j->first_ts) {
		j->first_ts = strdup(jstr(r->json, "ts"));
		if (j->placeholder && !*j->thread) {
			/* later parts go into the new thread */
			free(j->thread);
			j->thread = strdup(jstr(r->json, "ts"));
			if (!j->thread)
				j->thread = dupstr("");
		}
	}
	j->part++;
	job_post_next(j);
}

static void job_post_next(struct post_job *j)
{
	struct xio_slack *s = j->s;
	json_object *body, *meta, *pl;
	int64_t wait;

	while (j->part < j->nparts && j->part < 64 && (j->found & (1ull << j->part)))
		j->part++;
	if (j->part >= j->nparts) {
		/* 1 tells ops->check's caller it was already there */
		job_finish(j, j->checking == 1 ? 1 : 0, -1, NULL);
		return;
	}
	if (s->stopping) {
		job_finish(j, XIO_EAGAIN, -1, "shutting down");
		return;
	}
	if (!j->timer_on) {
		wait = pace(s, j->channel);
		if (wait > 0) {
			j->timer_on = 1;
			uv_timer_start(&j->timer, job_timer_cb, (uint64_t)wait, 0);
			return;
		}
	}
	j->timer_on = 0;
	body = json_object_new_object();
	if (j->response_url) {
		json_object_object_add(body, "response_type", json_object_new_string("ephemeral"));
		json_object_object_add(body, "text", json_object_new_string(j->parts[j->part]));
		j->found = ~0ull; /* one ephemeral answer, not checked */
		j->part = j->nparts;
		api(s, j->response_url, body, NULL, 3, 0, posted_cb, j);
		return;
	}
	json_object_object_add(body, "channel", json_object_new_string(j->channel));
	json_object_object_add(body, "text", json_object_new_string(j->parts[j->part]));
	if (*j->thread)
		json_object_object_add(body, "thread_ts", json_object_new_string(j->thread));
	if (*j->username)
		json_object_object_add(body, "username", json_object_new_string(j->username));
	if (!strncmp(j->icon, "http", 4))
		json_object_object_add(body, "icon_url", json_object_new_string(j->icon));
	else if (*j->icon == ':')
		json_object_object_add(body, "icon_emoji", json_object_new_string(j->icon));
	json_object_object_add(body, "unfurl_links", json_object_new_boolean(0));
	if (j->scribe) {
		json_object *blocks = blocks_for(j->parts[j->part]);

		if (blocks)
			json_object_object_add(body, "blocks", blocks);
	}
	meta = json_object_new_object();
	pl = json_object_new_object();
	json_object_object_add(pl, "key", json_object_new_string(j->key));
	json_object_object_add(pl, "part", json_object_new_int(j->part));
	json_object_object_add(pl, "parts", json_object_new_int(j->nparts));
	json_object_object_add(meta, "event_type", json_object_new_string("xio_outbox"));
	json_object_object_add(meta, "event_payload", pl);
	json_object_object_add(body, "metadata", meta);
	api(s, "chat.postMessage", body, s->auth_bot, 1, 0, posted_cb, j);
}

/* Looks through one page of a thread (or of the channel) for the key. */
static void checked_cb(void *ud, struct api_result *r)
{
	struct post_job *j = ud;
	json_object *msgs, *rm;
	size_t i, n;
	const char *next;

	if (r->rc) {
		xio_logf(j->s->log, XIO_LOG_WARN, "slack", "%s: check: %s", j->key, r->msg);
		j->posted_any = 0;
		job_finish(j, r->rc == XIO_ECANCELED ? XIO_EAGAIN : r->rc, r->retry_after_ms, r->msg);
		return;
	}
	if (json_object_object_get_ex(r->json, "messages", &msgs) &&
	    json_object_is_type(msgs, json_type_array)) {
		n = json_object_array_length(msgs);
		for (i = 0; i < n; i++) {
			json_object *m = json_object_array_get_idx(msgs, i), *md, *pl, *pv;
			int part;

			if (!json_object_object_get_ex(m, "metadata", &md) ||
			    strcmp(jstr(md, "event_type"), "xio_outbox") ||
			    !json_object_object_get_ex(md, "event_payload", &pl) ||
			    strcmp(jstr(pl, "key"), j->key))
				continue;
			part = json_object_object_get_ex(pl, "part", &pv) ? json_object_get_int(pv) : 0;
			if (part >= 0 && part < 64)
				j->found |= 1ull << part;
			if (part == 0 && !j->first_ts)
				j->first_ts = strdup(jstr(m, "ts"));
		}
	}
	next = json_object_object_get_ex(r->json, "response_metadata", &rm) ? jstr(rm, "next_cursor")
									      : "";
	if (*next && ++j->pages < HISTORY_PAGES) {
		snprintf(j->cursor, sizeof(j->cursor), "%s", next);
		job_check(j);
		return;
	}
	if (!j->found) {
		if (j->checking == 1) {
			job_finish(j, 0, -1, NULL); /* not posted: the poster posts it */
			return;
		}
		j->checking = 0;
		j->part = 0;
		job_post_next(j);
		return;
	}
	xio_logf(j->s->log, XIO_LOG_INFO, "slack", "%s: found in Slack (%s)", j->key,
		 j->found + 1 == (1ull << j->nparts) ? "complete" : "partly; posting the rest");
	if (j->placeholder && j->first_ts && !*j->thread) {
		free(j->thread);
		j->thread = strdup(j->first_ts);
		if (!j->thread)
			j->thread = dupstr("");
	}
	/* post what is missing, then report it as delivered */
	j->part = 0;
	job_post_next(j);
}

static void job_check(struct post_job *j)
{
	json_object *body = json_object_new_object();

	json_object_object_add(body, "channel", json_object_new_string(j->channel));
	json_object_object_add(body, "include_all_metadata", json_object_new_boolean(1));
	json_object_object_add(body, "limit", json_object_new_int(200));
	if (*j->cursor)
		json_object_object_add(body, "cursor", json_object_new_string(j->cursor));
	if (*j->thread) {
		json_object_object_add(body, "ts", json_object_new_string(j->thread));
		api(j->s, "conversations.replies", body, j->s->auth_bot, 3, 1, checked_cb, j);
	} else {
		api(j->s, "conversations.history", body, j->s->auth_bot, 3, 1, checked_cb, j);
	}
}

static struct post_job *job_new(struct xio_slack *s, const struct xio_post *p, xio_chat_done_cb cb,
				void *ud, int *rc)
{
	struct post_job *j = calloc(1, sizeof(*j));
	const struct xio_persona *per = xio_personas_find(s->personas, p->persona_id);
	char *esc = NULL, *linked = NULL, a[512];
	const char *url;

	*rc = XIO_ENOMEM;
	if (!j)
		return NULL;
	j->s = s;
	j->cb = cb;
	j->ud = ud;
	uv_timer_init(&s->loop->uv, &j->timer);
	j->timer.data = j;
	j->next = s->jobs;
	s->jobs = j;
	/* the decision log and the task list (rendered records: a bold heading
	 * first) go out as Block Kit sections */
	j->scribe = per && (per->role == XIO_ROLE_SCRIBE || per->role == XIO_ROLE_INTEGRATOR) &&
		    p->text[0] == '*';
	j->key = dupstr(p->key);
	j->channel = dupstr(p->chat);
	j->username = dupstr(p->persona_name);
	j->icon = dupstr(p->icon);
	if (!strncmp(p->thread, "eph:", 4)) {
		url = url_find(s, p->thread + 4);
		if (url)
			j->response_url = strdup(url);
		j->thread = dupstr("");
	} else if (!strncmp(p->thread, "new:", 4)) {
		snprintf(a, sizeof(a), "slack:first:%s:%s", p->chat, p->thread);
		j->thread = alias_get(s, a);
		if (!j->thread) {
			j->thread = dupstr("");
			j->placeholder = dupstr(p->thread);
		}
	} else {
		j->thread = dupstr(p->thread);
	}
	esc = xio_slack_escape(p->text);
	linked = esc ? link_users(s, esc, j->scribe) : NULL;
	if (!j->key || !j->channel || !j->username || !j->icon || !j->thread || !linked ||
	    (j->nparts = xio_slack_split(linked, PART_MAX, &j->parts)) < 0) {
		j->nparts = 0;
		free(esc);
		free(linked);
		job_free(j);
		return NULL;
	}
	free(esc);
	free(linked);
	if (j->nparts > PARTS_MAX) {
		*rc = XIO_ETOOBIG;
		job_free(j);
		return NULL;
	}
	*rc = 0;
	return j;
}

static void slack_post(void *impl, const struct xio_post *p, xio_chat_done_cb cb, void *ud)
{
	struct xio_slack *s = impl;
	struct post_job *j;
	char a[512], *unsure;
	int rc;

	j = job_new(s, p, cb, ud, &rc);
	if (!j) {
		cb(ud, rc == XIO_ETOOBIG ? rc : XIO_EAGAIN, -1, NULL,
		   rc == XIO_ETOOBIG ? "message too long for Slack" : "out of memory");
		return;
	}
	snprintf(a, sizeof(a), "slack:unsure:%s", p->key);
	unsure = j->response_url ? NULL : alias_get(s, a);
	if (unsure) {
		free(unsure);
		j->checking = 2;
		job_check(j);
		return;
	}
	job_post_next(j);
}

static void slack_check(void *impl, const struct xio_post *p, xio_chat_done_cb cb, void *ud)
{
	struct xio_slack *s = impl;
	struct post_job *j;
	int rc;

	if (!strncmp(p->thread, "eph:", 4)) {
		cb(ud, 0, -1, NULL, NULL); /* ephemeral answers leave no trace to look for */
		return;
	}
	j = job_new(s, p, cb, ud, &rc);
	if (!j) {
		cb(ud, XIO_EAGAIN, -1, NULL, "out of memory");
		return;
	}
	j->checking = 1;
	job_check(j);
}

static const struct xio_chat_ops slack_ops = {
	.name = "slack",
	.post = slack_post,
	.check = slack_check,
};

struct xio_chat xio_slack_chat(struct xio_slack *s)
{
	struct xio_chat c = { &slack_ops, s };

	return c;
}

/* ---- inbound ------------------------------------------------------------ */

static void inbound_free(struct inbound *in)
{
	if (!in)
		return;
	free(in->msg_id);
	free(in->team);
	free(in->channel);
	free(in->user);
	free(in->text);
	free(in->ts);
	free(in->thread_ts);
	free(in->trigger_id);
	free(in->response_url);
	free(in);
}

/* Copies a parsed event into a queue item; NULL when out of memory. */
static struct inbound *inbound_new(struct xio_slack *s, const struct xio_slack_event *e)
{
	struct inbound *in = calloc(1, sizeof(*in));
	char id[300];

	if (!in)
		return NULL;
	in->kind = e->kind;
	if (e->kind == XIO_SLACK_COMMAND) {
		snprintf(id, sizeof(id), "slack:cmd:%s", e->trigger_id);
		url_remember(s, e->trigger_id, e->response_url);
	} else {
		snprintf(id, sizeof(id), "slack:ev:%s", e->event_id);
	}
	in->msg_id = strdup(id);
	in->team = dupstr(e->team);
	in->channel = dupstr(e->channel);
	in->user = dupstr(e->user);
	in->text = dupstr(e->text);
	in->ts = dupstr(e->ts);
	in->thread_ts = dupstr(e->thread_ts);
	in->trigger_id = dupstr(e->trigger_id);
	in->response_url = dupstr(e->response_url);
	if (!in->msg_id || !in->team || !in->channel || !in->user || !in->text || !in->ts ||
	    !in->thread_ts || !in->trigger_id || !in->response_url) {
		inbound_free(in);
		return NULL;
	}
	return in;
}

/*
 * Keeps an event in the store before it is acknowledged, so that neither a
 * crash after the ack nor one before it loses it: before, Slack delivers it
 * again; after, start-up replays it.  Returns 0 (or XIO_EDUP: already kept),
 * or a store error: then it must not be acknowledged.
 */
static int persist(struct xio_slack *s, const struct inbound *in)
{
	json_object *o = json_object_new_object();
	struct xio_err err = { 0 };
	int rc;

	if (!o)
		return XIO_ENOMEM;
	json_object_object_add(o, "kind", json_object_new_int((int)in->kind));
	json_object_object_add(o, "team", json_object_new_string(in->team));
	json_object_object_add(o, "channel", json_object_new_string(in->channel));
	json_object_object_add(o, "user", json_object_new_string(in->user));
	json_object_object_add(o, "text", json_object_new_string(in->text));
	json_object_object_add(o, "ts", json_object_new_string(in->ts));
	json_object_object_add(o, "thread_ts", json_object_new_string(in->thread_ts));
	json_object_object_add(o, "trigger_id", json_object_new_string(in->trigger_id));
	json_object_object_add(o, "response_url", json_object_new_string(in->response_url));
	rc = xio_store_begin(s->store, &err);
	if (!rc) {
		rc = s->store->ops->pending_put(s->store->impl, in->msg_id,
						json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN),
						now_ms(s), &err);
		if (rc && rc != XIO_EDUP)
			xio_store_rollback(s->store);
		else
			rc = xio_store_commit(s->store, &err) ? XIO_EIO : rc;
	}
	if (rc && rc != XIO_EDUP)
		xio_logf(s->log, XIO_LOG_ERROR, "slack", "%s: cannot keep it: %s", in->msg_id, err.msg);
	json_object_put(o);
	return rc;
}

static void forget(struct xio_slack *s, const char *msg_id)
{
	struct xio_err err = { 0 };

	if (xio_store_begin(s->store, &err) == 0) {
		if (s->store->ops->pending_del(s->store->impl, msg_id, &err))
			xio_store_rollback(s->store);
		else
			xio_store_commit(s->store, &err);
	}
}

/* Events acknowledged by an earlier process but never applied. */
static struct inbound *restore(const char *key, const char *payload)
{
	json_object *o = json_tokener_parse(payload), *v;
	struct inbound *in = calloc(1, sizeof(*in));

	if (!o || !in) {
		json_object_put(o);
		free(in);
		return NULL;
	}
	in->kind = json_object_object_get_ex(o, "kind", &v) ? (enum xio_slack_kind)json_object_get_int(v)
							     : XIO_SLACK_IGNORE;
	in->msg_id = strdup(key);
	in->team = dupstr(jstr(o, "team"));
	in->channel = dupstr(jstr(o, "channel"));
	in->user = dupstr(jstr(o, "user"));
	in->text = dupstr(jstr(o, "text"));
	in->ts = dupstr(jstr(o, "ts"));
	in->thread_ts = dupstr(jstr(o, "thread_ts"));
	in->trigger_id = dupstr(jstr(o, "trigger_id"));
	in->response_url = dupstr(jstr(o, "response_url"));
	json_object_put(o);
	if (!in->msg_id || !in->team || !in->channel || !in->user || !in->text || !in->ts ||
	    !in->thread_ts || !in->trigger_id || !in->response_url) {
		inbound_free(in);
		return NULL;
	}
	return in;
}

static void work_cb(uv_timer_t *t)
{
	process_queue(t->data);
}

static void kick_queue(struct xio_slack *s)
{
	if (s->work_on && !s->stopping)
		uv_timer_start(&s->work_timer, work_cb, 0, 0);
}

static void enqueue(struct xio_slack *s, struct inbound *in)
{
	if (s->q_tail)
		s->q_tail->next = in;
	else
		s->q_head = in;
	s->q_tail = in;
	kick_queue(s);
}

struct user_lookup {
	struct xio_slack *s;
	struct inbound *in;
	char id[64];
};

static void user_info_cb(void *ud, struct api_result *r)
{
	struct user_lookup *l = ud;
	struct xio_slack *s = l->s;
	json_object *u, *prof;

	if (r->rc == 0 && json_object_object_get_ex(r->json, "user", &u)) {
		const char *name = "";

		if (json_object_object_get_ex(u, "profile", &prof))
			name = jstr(prof, "display_name");
		if (!*name)
			name = prof ? jstr(prof, "real_name") : "";
		if (!*name)
			name = jstr(u, "real_name");
		if (!*name)
			name = jstr(u, "name");
		user_put(s, l->id, *name ? name : l->id);
	} else if (r->rc != XIO_ECANCELED) {
		xio_logf(s->log, XIO_LOG_WARN, "slack", "users.info %s: %s; shown by id", l->id, r->msg);
		user_put(s, l->id, l->id);
	}
	if (r->rc != XIO_ECANCELED && --l->in->pending == 0)
		kick_queue(s);
	free(l);
}

/* Starts users.info for every unknown user the item names; returns how many
 * are in flight. */
static int resolve_users(struct xio_slack *s, struct inbound *in)
{
	char *ids[MENTIONS_MAX + 1];
	size_t n, i;

	n = xio_slack_mentions(in->text, ids, MENTIONS_MAX);
	ids[n] = strdup(in->user);
	if (ids[n])
		n++;
	for (i = 0; i < n; i++) {
		struct user_lookup *l;
		json_object *body;

		if (!*ids[i] || user_name(s, ids[i]) || !strcmp(ids[i], s->bot_user) ||
		    !(l = calloc(1, sizeof(*l)))) {
			free(ids[i]);
			continue;
		}
		l->s = s;
		l->in = in;
		snprintf(l->id, sizeof(l->id), "%s", ids[i]);
		body = json_object_new_object();
		json_object_object_add(body, "user", json_object_new_string(ids[i]));
		in->pending++;
		api(s, "users.info", body, s->auth_bot, 3, 1, user_info_cb, l);
		free(ids[i]);
	}
	return in->pending;
}

static int open_in(struct xio_slack *s, const char *thread_key)
{
	struct xio_consilium_row row = { 0 };
	struct xio_err err = { 0 };
	int rc = s->store->ops->consilium_find_open(s->store->impl, thread_key, &row, &err);

	xio_consilium_row_release(&row);
	return rc == 0;
}

/* The consilium address of a thread: the alias made when a slash-command
 * consilium got its thread, else channel + thread ts. */
static char *thread_key_of(struct xio_slack *s, const char *chan, const char *thread)
{
	char a[512], *t;

	snprintf(a, sizeof(a), "slack:thread:%s:%s", chan, thread);
	t = alias_get(s, a);
	if (t)
		return t;
	snprintf(a, sizeof(a), "slack:%s:%s", chan, thread);
	return strdup(a);
}

/* Answers a slash command at once, ephemerally, outside the outbox (a hint,
 * not part of any consilium's record). */
static void ephemeral_done_cb(void *ud, struct api_result *r)
{
	struct xio_slack *s = ud;

	if (r->rc && r->rc != XIO_ECANCELED)
		xio_logf(s->log, XIO_LOG_WARN, "slack", "ephemeral answer: %s", r->msg);
}

static void ephemeral(struct xio_slack *s, const char *trigger, const char *text)
{
	const char *url = url_find(s, trigger);
	json_object *body;

	if (!url)
		return;
	body = json_object_new_object();
	json_object_object_add(body, "response_type", json_object_new_string("ephemeral"));
	json_object_object_add(body, "text", json_object_new_string(text));
	api(s, url, body, NULL, 3, 0, ephemeral_done_cb, s);
}

/* The channel's open consiliums: their thread keys (caller frees). */
static size_t channel_open(struct xio_slack *s, const char *chan, char **keys, char **questions,
			   size_t max)
{
	struct xio_err err = { 0 };
	int64_t *ids = NULL;
	size_t n = 0, i, found = 0;
	char prefix[300];

	snprintf(prefix, sizeof(prefix), "slack:%s:", chan);
	if (s->store->ops->consilium_ids(s->store->impl, 1, &ids, &n, &err))
		return 0;
	for (i = 0; i < n && found < max; i++) {
		struct xio_consilium_row row = { 0 };

		if (s->store->ops->consilium_get(s->store->impl, ids[i], &row, &err) == 0 &&
		    !strncmp(row.thread_key, prefix, strlen(prefix))) {
			keys[found] = row.thread_key;
			questions[found] = row.question;
			row.thread_key = row.question = NULL;
			found++;
		}
		xio_consilium_row_release(&row);
	}
	free(ids);
	return found;
}

/* Follow-up commands (the table's followup flag) act on a decision's tasks,
 * which outlive the consilium: with none open, `/xio done 2` means the
 * channel's latest closed one.  Returns its thread key (caller frees) or
 * NULL. */
static char *channel_latest_closed(struct xio_slack *s, const char *chan, const char *line)
{
	const struct xio_command *cmd;
	struct xio_list_filter f = { 0 };
	struct xio_consilium_row *rows = NULL;
	struct xio_err err = { 0 };
	const char *args;
	char chat[300], name[40], *key = NULL;
	size_t n = 0;
	int unknown = 0;

	cmd = xio_command_parse(line, name, sizeof(name), &args, &unknown);
	if (!cmd || !cmd->followup)
		return NULL;
	snprintf(chat, sizeof(chat), "slack:%s", chan);
	f.chat = chat;
	f.phase = "closed";
	f.limit = 1;
	if (s->store->ops->consiliums_list(s->store->impl, &f, &rows, &n, &err) == 0 && n == 1 &&
	    rows[0].thread_key)
		key = strdup(rows[0].thread_key);
	xio_consilium_rows_free(rows, n);
	return key;
}

static void apply(struct xio_slack *s, struct inbound *in)
{
	struct xio_inbound x = { 0 };
	struct xio_err err = { 0 };
	char *text = NULL, *line = NULL, *key = NULL, thread[300], tkey[600];
	const char *author = user_name(s, in->user);
	int rc, open;

	x.platform = "slack";
	x.chat = in->channel;
	x.workspace = in->team;
	x.author = author ? author : in->user;
	x.msg_id = in->msg_id;
	x.lang = s->lang;
	text = xio_slack_untag(in->text, s->bot_user, user_name, s);
	if (!text)
		goto nomem;
	if (in->kind == XIO_SLACK_COMMAND) {
		char *keys[8] = { 0 }, *qs[8] = { 0 };
		size_t n = 0, i;

		line = xio_slack_command_line(text, 1);
		if (!line)
			goto nomem;
		snprintf(thread, sizeof(thread), "eph:%s", in->trigger_id);
		if (!strncmp(line, "/consilium ", 11))
			snprintf(thread, sizeof(thread), "new:%s", in->trigger_id);
		snprintf(tkey, sizeof(tkey), "slack:%s:%s", in->channel, thread);
		if (strncmp(line, "/consilium", 10) && strncmp(line, "/help", 5))
			n = channel_open(s, in->channel, keys, qs, 8);
		if (n == 0 && (keys[0] = channel_latest_closed(s, in->channel, line))) {
			snprintf(tkey, sizeof(tkey), "%s", keys[0]);
		} else if (n == 1) {
			snprintf(tkey, sizeof(tkey), "%s", keys[0]);
		} else if (n > 1) {
			struct xio_buf list;
			char *msg;

			xio_buf_init(&list, 0);
			for (i = 0; i < n; i++)
				xio_buf_printf(&list, "%s• %s", i ? "\n" : "", qs[i]);
			msg = xio_i18n_fmt(s->i18n, s->lang && strcmp(s->lang, "auto") ? s->lang : "en",
					   "slack.which_thread", "command", line + 1,
					   "list", list.data ? list.data : "", NULL);
			if (msg)
				ephemeral(s, in->trigger_id, msg);
			free(msg);
			xio_buf_release(&list);
			xio_logf(s->log, XIO_LOG_INFO, "slack",
				 "%s in %s: %zu consiliums open; asked which thread", line, in->channel, n);
		}
		for (i = 0; i < 8; i++) {
			free(keys[i]);
			free(qs[i]);
		}
		if (n > 1)
			goto out;
		x.thread = thread;
		x.thread_key = tkey;
		x.text = line;
		x.hint_when_idle = 1;
	} else {
		const char *th = *in->thread_ts ? in->thread_ts : in->ts;

		if (in->kind == XIO_SLACK_MESSAGE && !*in->thread_ts)
			goto out; /* top-level chatter is not for the bot */
		if (in->kind == XIO_SLACK_MESSAGE && *s->bot_user) {
			char tag[80];

			snprintf(tag, sizeof(tag), "<@%s", s->bot_user);
			if (!strcmp(in->user, s->bot_user) || strstr(in->text, tag))
				goto out; /* its own, or the app_mention event carries it */
		}
		key = thread_key_of(s, in->channel, th);
		if (!key)
			goto nomem;
		open = open_in(s, key);
		if (in->kind == XIO_SLACK_MESSAGE && !open)
			goto out; /* a thread the bot does not own */
		if (in->kind == XIO_SLACK_MENTION) {
			line = xio_slack_command_line(text, !open);
			if (!line)
				goto nomem;
		}
		snprintf(thread, sizeof(thread), "%s", th);
		x.thread = thread;
		x.thread_key = key;
		x.text = line ? line : text;
		x.hint_when_idle = in->kind == XIO_SLACK_MENTION;
	}
	rc = xio_runner_input(s->runner, &x, &err);
	if (rc == XIO_EDUP)
		xio_logf(s->log, XIO_LOG_INFO, "slack", "%s: seen before; ignored", in->msg_id);
	else if (rc)
		xio_logf(s->log, XIO_LOG_ERROR, "slack", "%s: %s", in->msg_id, err.msg);
	goto out;
nomem:
	xio_logf(s->log, XIO_LOG_ERROR, "slack", "%s: out of memory; dropped", in->msg_id);
out:
	free(text);
	free(line);
	free(key);
}

/* Applies queued items in arrival order, each once its users are known. */
static void process_queue(struct xio_slack *s)
{
	/* the bot's own user id decides what is its own message and mention */
	while (s->authed && s->q_head && !s->stopping) {
		struct inbound *in = s->q_head;

		if (in->pending)
			return;
		if (!in->resolved) {
			in->resolved = 1;
			if (resolve_users(s, in) > 0)
				return;
		}
		s->q_head = in->next;
		if (!s->q_head)
			s->q_tail = NULL;
		apply(s, in);
		forget(s, in->msg_id);
		inbound_free(in);
	}
}

/* Takes an event Slack delivered (either way); returns 0 or XIO_EDUP. */
static int take_event(struct xio_slack *s, const struct xio_slack_event *e, const char *how)
{
	struct inbound *in;
	int rc;

	switch (e->kind) {
	case XIO_SLACK_COMMAND:
	case XIO_SLACK_MENTION:
	case XIO_SLACK_MESSAGE:
		break;
	case XIO_SLACK_RATE_LIMITED:
		xio_logf(s->log, XIO_LOG_WARN, "slack",
			 "Slack reports app_rate_limited for team %s: some events were dropped", e->team);
		return 0;
	default:
		xio_logf(s->log, XIO_LOG_DEBUG, "slack", "%s: ignored: %s", how, e->why);
		return 0;
	}
	if (*e->event_id && recent_has(s, e->event_id))
		return XIO_EDUP;
	in = inbound_new(s, e);
	if (!in) {
		xio_logf(s->log, XIO_LOG_ERROR, "slack", "%s: out of memory; event refused", how);
		return XIO_ENOMEM;
	}
	rc = persist(s, in);
	if (rc && rc != XIO_EDUP) {
		inbound_free(in);
		return rc;
	}
	if (*e->event_id)
		recent_add(s, e->event_id);
	enqueue(s, in);
	return 0;
}

/* ---- Socket Mode ---------------------------------------------------------- */

static void conn_free(struct ws_conn *c)
{
	struct ws_conn **pp;
	struct frame *f, *next;

	for (pp = &c->s->conns; *pp; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	if (c->s->current == c)
		c->s->current = NULL;
	for (f = c->out_head; f; f = next) {
		next = f->next;
		/* an ack never written: Slack will deliver the envelope again */
		inbound_free(f->work);
		free(f);
	}
	xio_buf_release(&c->rx);
	free(c);
}

static void retry_cb(uv_timer_t *t)
{
	open_connection(t->data);
}

static void schedule_reconnect(struct xio_slack *s)
{
	size_t n = sizeof(reconnect_backoff_ms) / sizeof(reconnect_backoff_ms[0]);
	int64_t base = reconnect_backoff_ms[(size_t)s->attempt < n ? (size_t)s->attempt : n - 1];
	int64_t delay = base * 3 / 4 + (int64_t)(next_rand(s) % (unsigned)(base / 2 + 1));

	if (s->stopping || !s->retry_on)
		return;
	s->attempt++;
	xio_logf(s->log, XIO_LOG_INFO, "slack", "socket mode: reconnecting in %lld ms (attempt %d)",
		 (long long)delay, s->attempt);
	uv_timer_start(&s->retry_timer, retry_cb, (uint64_t)delay, 0);
}

static int conn_queue(struct ws_conn *c, const char *text, struct inbound *work)
{
	size_t len = strlen(text);
	struct frame *f = malloc(sizeof(*f) + LWS_PRE + len + 1);

	if (!f)
		return XIO_ENOMEM;
	f->next = NULL;
	f->work = work;
	f->len = len;
	memcpy(f->data + LWS_PRE, text, len + 1);
	if (c->out_tail)
		c->out_tail->next = f;
	else
		c->out_head = f;
	c->out_tail = f;
	if (c->wsi)
		lws_callback_on_writable(c->wsi);
	return 0;
}

/* The new connection said hello: it takes over, older ones are let go. */
static void conn_hello(struct ws_conn *c)
{
	struct xio_slack *s = c->s;
	struct ws_conn *o;

	c->hello = 1;
	s->current = c;
	s->attempt = 0;
	xio_logf(s->log, XIO_LOG_INFO, "slack", "socket mode: connection %u ready", c->id);
	for (o = s->conns; o; o = o->next)
		if (o != c && !o->closing && o->wsi) {
			o->closing = 1;
			lws_callback_on_writable(o->wsi);
		}
}

static void conn_frame(struct ws_conn *c, const char *data, size_t len)
{
	struct xio_slack *s = c->s;
	struct xio_slack_envelope env;
	struct xio_slack_event ev;
	struct xio_err err = { 0 };
	struct inbound *work = NULL;
	json_object *ackj;
	char ack[300];

	if (xio_slack_envelope_parse(data, len, &env, &err)) {
		xio_logf(s->log, XIO_LOG_WARN, "slack", "socket mode: %s; frame ignored", err.msg);
		return;
	}
	if (!strcmp(env.type, "hello")) {
		conn_hello(c);
		goto out;
	}
	if (!strcmp(env.type, "disconnect")) {
		xio_logf(s->log, !strcmp(env.reason, "link_disabled") ? XIO_LOG_ERROR : XIO_LOG_INFO,
			 "slack", "socket mode: connection %u: disconnect (%s); opening a new one",
			 c->id, env.reason);
		c->replaced = 1;
		if (s->current == c)
			s->current = NULL;
		open_connection(s);
		goto out;
	}
	/* Ack first (before anything can fail or take time), work after: the
	 * work item rides on the ack frame and starts once it is written. */
	ackj = json_object_new_object();
	if (ackj)
		json_object_object_add(ackj, "envelope_id", json_object_new_string(env.envelope_id));
	snprintf(ack, sizeof(ack), "%s",
		 ackj ? json_object_to_json_string_ext(ackj, JSON_C_TO_STRING_PLAIN) : "");
	json_object_put(ackj);
	if (strlen(ack) + 1 >= sizeof(ack) || !*ack) {
		xio_logf(s->log, XIO_LOG_WARN, "slack", "socket mode: envelope id unusable; not acked");
		goto out;
	}
	if (!strcmp(env.type, "events_api") || !strcmp(env.type, "slash_commands")) {
		int slash = !strcmp(env.type, "slash_commands");

		if (xio_slack_event_parse(env.payload, slash, &ev, &err)) {
			xio_logf(s->log, XIO_LOG_WARN, "slack", "socket mode: envelope %s: %s; acked and dropped",
				 env.envelope_id, err.msg);
		} else if (ev.kind == XIO_SLACK_COMMAND || ev.kind == XIO_SLACK_MENTION ||
			   ev.kind == XIO_SLACK_MESSAGE) {
			if (*ev.event_id && recent_has(s, ev.event_id)) {
				xio_logf(s->log, XIO_LOG_INFO, "slack",
					 "socket mode: event %s delivered again (retry %d); ignored",
					 ev.event_id, env.retry_attempt);
			} else {
				int prc;

				work = inbound_new(s, &ev);
				prc = work ? persist(s, work) : XIO_ENOMEM;
				if (prc && prc != XIO_EDUP) {
					/* not kept, so not acked: Slack delivers it again */
					inbound_free(work);
					goto out;
				}
				if (*ev.event_id)
					recent_add(s, ev.event_id);
			}
		} else {
			take_event(s, &ev, "socket mode");
		}
	} else {
		xio_logf(s->log, XIO_LOG_DEBUG, "slack", "socket mode: %s envelope acked, not used",
			 env.type);
	}
	if (conn_queue(c, ack, work)) {
		inbound_free(work);
		xio_logf(s->log, XIO_LOG_ERROR, "slack", "socket mode: out of memory; envelope %s not acked",
			 env.envelope_id);
	}
out:
	xio_slack_envelope_release(&env);
}

static int ws_cb(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len)
{
	struct ws_conn *c = lws_get_opaque_user_data(wsi);
	struct xio_slack *s;
	struct frame *f;

	(void)user;
	if (!c)
		return reason == LWS_CALLBACK_CLIENT_WRITEABLE ? -1 : 0;
	s = c->s;
	switch (reason) {
	case LWS_CALLBACK_CLIENT_ESTABLISHED:
		xio_logf(s->log, XIO_LOG_INFO, "slack", "socket mode: connection %u open", c->id);
		break;
	case LWS_CALLBACK_CLIENT_RECEIVE:
		if (xio_buf_append(&c->rx, in, len)) {
			xio_logf(s->log, XIO_LOG_WARN, "slack", "socket mode: frame over %d bytes; closing",
				 FRAME_MAX);
			return -1;
		}
		if (lws_is_final_fragment(wsi)) {
			conn_frame(c, c->rx.data ? c->rx.data : "", c->rx.len);
			xio_buf_reset(&c->rx);
		}
		break;
	case LWS_CALLBACK_CLIENT_WRITEABLE:
		f = c->out_head;
		if (f) {
			/* one frame per writable callback */
			if (lws_write(wsi, f->data + LWS_PRE, f->len, LWS_WRITE_TEXT) < (int)f->len)
				return -1;
			c->out_head = f->next;
			if (!c->out_head)
				c->out_tail = NULL;
			if (f->work)
				enqueue(s, f->work);
			free(f);
			if (c->out_head || c->closing)
				lws_callback_on_writable(wsi);
			break;
		}
		if (c->closing && !c->close_started) {
			/* once only: a second close would kill the connection
			 * before its close frame is out */
			c->close_started = 1;
			xio_loop_ws_close(wsi, 1000, NULL);
		}
		break;
	case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
	case LWS_CALLBACK_CLIENT_CLOSED: {
		int was_current = s->current == c || (!s->current && !c->closing && !c->replaced);

		xio_logf(s->log, c->closing ? XIO_LOG_INFO : XIO_LOG_WARN, "slack",
			 "socket mode: connection %u %s%s%.*s", c->id,
			 reason == LWS_CALLBACK_CLIENT_CLOSED ? "closed" : "failed",
			 in && len ? ": " : "", in ? (int)len : 0, in ? (const char *)in : "");
		lws_set_opaque_user_data(wsi, NULL);
		c->wsi = NULL;
		conn_free(c);
		if (was_current && !s->stopping && !s->opening)
			schedule_reconnect(s);
		break;
	}
	default:
		break;
	}
	return 0;
}

static const struct lws_protocols ws_protocols[] = {
	{ "xio-slack", ws_cb, 0, 65536, 0, NULL, 0 },
	{ NULL, NULL, 0, 0, 0, NULL, 0 }
};

static void connect_ws(struct xio_slack *s, const char *url)
{
	struct lws_client_connect_info ci;
	struct ws_conn *c = calloc(1, sizeof(*c));
	char *copy = strdup(url), path[2048];
	const char *prot = NULL, *addr = NULL, *p = NULL;
	int port = 0;

	if (!c || !copy || lws_parse_uri(copy, &prot, &addr, &port, &p) ||
	    (strcmp(prot, "wss") && strcmp(prot, "ws"))) {
		xio_logf(s->log, XIO_LOG_ERROR, "slack", "socket mode: unusable URL from apps.connections.open");
		free(c);
		free(copy);
		schedule_reconnect(s);
		return;
	}
	snprintf(path, sizeof(path), "/%s", p);
	c->s = s;
	c->id = ++s->next_conn_id;
	xio_buf_init(&c->rx, FRAME_MAX);
	c->next = s->conns;
	s->conns = c;
	memset(&ci, 0, sizeof(ci));
	ci.context = s->loop->lws;
	ci.vhost = s->vh;
	ci.address = addr;
	ci.port = port;
	ci.path = path;
	ci.host = addr;
	ci.origin = addr;
	ci.ssl_connection = strcmp(prot, "wss") == 0 ? LCCSCF_USE_SSL : 0;
	ci.local_protocol_name = "xio-slack";
	ci.opaque_user_data = c;
	ci.retry_and_idle_policy = &ws_policy;
	ci.pwsi = &c->wsi;
	/* lws resolves the host synchronously (LOOP.md): one connection every
	 * few hours, so the short stall is accepted. */
	if (!lws_client_connect_via_info(&ci)) {
		/* lws may already have reported CONNECTION_ERROR (and freed c) */
		struct ws_conn *o;

		for (o = s->conns; o; o = o->next)
			if (o == c) {
				xio_logf(s->log, XIO_LOG_WARN, "slack", "socket mode: cannot connect to %s", addr);
				conn_free(c);
				schedule_reconnect(s);
				break;
			}
	}
	free(copy);
}

static void opened_cb(void *ud, struct api_result *r)
{
	struct xio_slack *s = ud;

	s->opening = 0;
	if (r->rc == XIO_ECANCELED)
		return;
	if (r->rc || !*jstr(r->json, "url")) {
		xio_logf(s->log, r->rc == XIO_EAUTH ? XIO_LOG_ERROR : XIO_LOG_WARN, "slack",
			 "socket mode: %s", r->rc ? r->msg : "apps.connections.open gave no url");
		if (r->rc == XIO_EAGAIN && r->retry_after_ms > 0 && !s->stopping) {
			uv_timer_start(&s->retry_timer, retry_cb, (uint64_t)r->retry_after_ms, 0);
			return;
		}
		schedule_reconnect(s);
		return;
	}
	connect_ws(s, jstr(r->json, "url"));
}

static void open_connection(struct xio_slack *s)
{
	if (s->stopping || s->opening)
		return;
	s->opening = 1;
	api(s, "apps.connections.open", json_object_new_object(), s->auth_app, 1, 0, opened_cb, s);
}

/* ---- Events API over HTTP ------------------------------------------------- */

static int verify(struct xio_slack *s, struct xio_http_request *req, const char *what)
{
	char ts[64] = "", sig[128] = "";
	struct xio_err err = { 0 };
	const char *body;
	size_t len;
	int rc;

	xio_http_request_header(req, "X-Slack-Request-Timestamp", ts, sizeof(ts));
	xio_http_request_header(req, "X-Slack-Signature", sig, sizeof(sig));
	body = xio_http_request_body(req, &len);
	rc = xio_slack_sig_verify(s->signing_secret, ts, sig, body, len, now_ms(s) / 1000, &err);
	if (rc) {
		xio_logf(s->log, XIO_LOG_WARN, "slack", "%s from %s refused (401): %s", what,
			 xio_http_request_remote_addr(req), err.msg);
		xio_http_reply_json(req, 401, "{\"error\":\"invalid signature\"}");
	}
	return rc;
}

static void events_cb(struct xio_http_request *req, void *ud)
{
	struct xio_slack *s = ud;
	struct json_tokener *tok = NULL;
	json_object *root = NULL;
	struct xio_slack_event ev;
	struct xio_err err = { 0 };
	char retry[16] = "", *answer = NULL;
	const char *body;
	size_t len;
	int rc;

	if (verify(s, req, "slack event"))
		return;
	body = xio_http_request_body(req, &len);
	tok = json_tokener_new_ex(64);
	if (tok) {
		json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
		root = json_tokener_parse_ex(tok, body, (int)len);
		if (root && (json_tokener_get_error(tok) != json_tokener_success ||
			     tok->char_offset != (int)len)) {
			json_object_put(root);
			root = NULL;
		}
	}
	if (!root || xio_slack_event_parse(root, 0, &ev, &err)) {
		xio_logf(s->log, XIO_LOG_WARN, "slack", "slack event from %s refused (400): %s",
			 xio_http_request_remote_addr(req), root ? err.msg : "malformed JSON");
		xio_http_reply_json(req, 400, "{\"error\":\"malformed event\"}");
		goto out;
	}
	if (ev.kind == XIO_SLACK_URL_VERIFICATION) {
		json_object *a = json_object_new_object();

		json_object_object_add(a, "challenge", json_object_new_string(ev.challenge));
		answer = strdup(json_object_to_json_string_ext(a, JSON_C_TO_STRING_PLAIN));
		json_object_put(a);
		xio_http_reply_json(req, answer ? 200 : 500, answer ? answer : "{}");
		xio_logf(s->log, XIO_LOG_INFO, "slack", "url_verification answered");
		goto out;
	}
	xio_http_request_header(req, "X-Slack-Retry-Num", retry, sizeof(retry));
	rc = take_event(s, &ev, "slack event");
	if (rc && rc != XIO_EDUP) {
		/* not kept: Slack retries it */
		xio_http_reply_json(req, 500, "{\"error\":\"try again\"}");
		goto out;
	}
	if (rc == XIO_EDUP) {
		xio_logf(s->log, XIO_LOG_INFO, "slack", "event %s delivered again (retry %s); ignored",
			 ev.event_id, *retry ? retry : "none");
		xio_http_reply(req, 200, NULL, NULL, 0);
		goto out;
	}
	/* acknowledged now; the event is applied from the loop right after */
	xio_http_reply(req, 200, NULL, NULL, 0);
out:
	free(answer);
	json_object_put(root);
	if (tok)
		json_tokener_free(tok);
}

static void commands_cb(struct xio_http_request *req, void *ud)
{
	struct xio_slack *s = ud;
	json_object *form;
	struct xio_slack_event ev;
	struct xio_err err = { 0 };
	const char *body;
	size_t len;

	if (verify(s, req, "slash command"))
		return;
	body = xio_http_request_body(req, &len);
	form = xio_slack_form_parse(body, len, &err);
	if (!form || xio_slack_event_parse(form, 1, &ev, &err)) {
		xio_logf(s->log, XIO_LOG_WARN, "slack", "slash command from %s refused (400): %s",
			 xio_http_request_remote_addr(req), err.msg);
		xio_http_reply_json(req, 400, "{\"error\":\"malformed command\"}");
		json_object_put(form);
		return;
	}
	if (take_event(s, &ev, "slash command") < 0)
		xio_http_reply_json(req, 500, "{\"error\":\"try again\"}");
	else
		xio_http_reply(req, 200, NULL, NULL, 0);
	json_object_put(form);
}

/* ---- lifecycle ------------------------------------------------------------- */

static char *bearer(const char *token)
{
	size_t n = strlen(token) + 32;
	char *h = malloc(n);

	if (h)
		snprintf(h, n, "Authorization: Bearer %s", token);
	return h;
}

int xio_slack_new(struct xio_slack **out, struct xio_loop *loop, struct xio_runner *runner,
		  struct xio_store *store, const struct xio_i18n *i18n,
		  const struct xio_personas *personas, struct xio_http_server *srv,
		  const struct xio_slack_opts *o, struct xio_log *log, struct xio_err *err)
{
	struct xio_http_client_opts ho = { 0 };
	struct xio_slack *s;
	int rc = 0;

	*out = NULL;
	if (!o->bot_token || !*o->bot_token)
		return xio_err_set(err, XIO_EINVAL, "slack: slack.bot_token is not set");
	if (!strcmp(o->mode, "socket") && (!o->app_token || !*o->app_token))
		return xio_err_set(err, XIO_EINVAL,
				   "slack: slack.mode is socket but slack.app_token (xapp-...) is not set");
	if (!strcmp(o->mode, "events") && (!o->signing_secret || !*o->signing_secret))
		return xio_err_set(err, XIO_EINVAL,
				   "slack: slack.mode is events but slack.signing_secret is not set");
	if (!strcmp(o->mode, "events") && !srv)
		return xio_err_set(err, XIO_EINVAL,
				   "slack: slack.mode is events but the HTTP server is off (http.enabled)");
	s = calloc(1, sizeof(*s));
	if (!s)
		return xio_err_set(err, XIO_ENOMEM, "out of memory");
	s->loop = loop;
	s->runner = runner;
	s->store = store;
	s->i18n = i18n;
	s->personas = personas;
	s->srv = srv;
	s->log = log;
	s->clock = o->clock ? o->clock : &xio_clock_system;
	s->socket = strcmp(o->mode, "events") != 0;
	s->interval_ms = o->post_interval_ms > 0 ? o->post_interval_ms : 1000;
	s->burst = o->post_burst > 0 ? o->post_burst : 3;
	s->rand_state = (unsigned)xio_clock_mono_ms() | 1u;
	s->mode = dupstr(o->mode);
	s->app_token = dupstr(o->app_token);
	s->bot_token = dupstr(o->bot_token);
	s->signing_secret = dupstr(o->signing_secret);
	s->api_url = dupstr(o->api_url && *o->api_url ? o->api_url : "https://slack.com/api");
	s->lang = dupstr(o->lang ? o->lang : "auto");
	s->auth_app = bearer(s->app_token ? s->app_token : "");
	s->auth_bot = bearer(s->bot_token ? s->bot_token : "");
	if (!s->mode || !s->app_token || !s->bot_token || !s->signing_secret || !s->api_url ||
	    !s->lang || !s->auth_app || !s->auth_bot) {
		rc = xio_err_set(err, XIO_ENOMEM, "out of memory");
		goto fail;
	}
	while (strlen(s->api_url) > 1 && s->api_url[strlen(s->api_url) - 1] == '/')
		s->api_url[strlen(s->api_url) - 1] = '\0';
	ho.log = log;
	ho.clock = s->clock;
	ho.metrics = o->metrics;
	ho.api = "slack";
	rc = xio_http_client_new(&s->http, loop, &ho, err);
	if (rc)
		goto fail;
	uv_timer_init(&loop->uv, &s->work_timer);
	s->work_timer.data = s;
	s->work_on = 1;
	uv_timer_init(&loop->uv, &s->retry_timer);
	s->retry_timer.data = s;
	s->retry_on = 1;
	if (s->socket) {
		struct lws_context_creation_info info;

		memset(&info, 0, sizeof(info));
		info.port = CONTEXT_PORT_NO_LISTEN;
		info.protocols = ws_protocols;
		info.vhost_name = "xio-slack-client";
		info.options = LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
		s->vh = lws_create_vhost(loop->lws, &info);
		if (!s->vh) {
			rc = xio_err_set(err, XIO_EIO, "slack: libwebsockets refused the client vhost");
			goto fail;
		}
	} else {
		size_t cap = o->max_body_bytes ? o->max_body_bytes : 256 * 1024;

		if ((rc = xio_http_server_route(srv, "POST", "/slack/events", cap, events_cb, s, err)) ||
		    (rc = xio_http_server_route(srv, "POST", "/slack/commands", cap, commands_cb, s, err)))
			goto fail;
	}
	*out = s;
	return 0;
fail:
	xio_slack_free(s);
	return rc;
}

static void authed_cb(void *ud, struct api_result *r)
{
	struct xio_slack *s = ud;

	if (r->rc == XIO_ECANCELED)
		return;
	s->authed = 1;
	kick_queue(s);
	if (r->rc) {
		xio_logf(s->log, XIO_LOG_ERROR, "slack", "auth.test: %s (the bot's own messages are "
			 "still recognised by their bot_id)", r->msg);
		return;
	}
	snprintf(s->bot_user, sizeof(s->bot_user), "%s", jstr(r->json, "user_id"));
	xio_logf(s->log, XIO_LOG_INFO, "slack", "signed in as %s (team %s)", s->bot_user,
		 jstr(r->json, "team_id"));
}

int xio_slack_start(struct xio_slack *s, struct xio_err *err)
{
	char **keys = NULL, **payloads = NULL;
	size_t n = 0, i;
	int rc;

	rc = s->store->ops->pending_list(s->store->impl, "slack:", &keys, &payloads, &n, err);
	if (rc)
		return rc;
	for (i = 0; i < n; i++) {
		struct inbound *in = restore(keys[i], payloads[i]);

		if (in) {
			if (*in->trigger_id)
				url_remember(s, in->trigger_id, in->response_url);
			enqueue(s, in);
		} else {
			xio_logf(s->log, XIO_LOG_ERROR, "slack", "%s: kept event unreadable; dropped", keys[i]);
		}
		free(keys[i]);
		free(payloads[i]);
	}
	free(keys);
	free(payloads);
	if (n)
		xio_logf(s->log, XIO_LOG_INFO, "slack", "%zu acknowledged events from the last run to apply", n);
	api(s, "auth.test", json_object_new_object(), s->auth_bot, 3, 1, authed_cb, s);
	if (s->socket)
		open_connection(s);
	else
		xio_logf(s->log, XIO_LOG_INFO, "slack",
			 "events API: POST /slack/events and /slack/commands are served");
	return 0;
}

int xio_slack_ready(const struct xio_slack *s)
{
	return !s->socket || (s->current && s->current->hello);
}

static void timer_closed_cb(uv_handle_t *h)
{
	struct xio_slack *s = h->data;

	if (--s->handles_open == 0)
		free(s);
}

void xio_slack_free(struct xio_slack *s)
{
	struct ws_conn *c, *next;
	struct inbound *in, *inext;
	size_t i;

	if (!s)
		return;
	s->stopping = 1;
	for (c = s->conns; c; c = next) {
		next = c->next;
		if (c->wsi) {
			lws_set_opaque_user_data(c->wsi, NULL);
			lws_callback_on_writable(c->wsi); /* closes it */
		}
		conn_free(c);
	}
	/* cancels calls: posts in flight report XIO_EAGAIN and are marked for a
	 * check before the next attempt */
	xio_http_client_free(s->http);
	s->http = NULL;
	while (s->jobs) {
		/* waiting for their pacing slot: give them back to the outbox */
		struct post_job *j = s->jobs;

		uv_timer_stop(&j->timer);
		job_finish(j, XIO_EAGAIN, -1, "shutting down");
	}
	for (in = s->q_head; in; in = inext) {
		inext = in->next;
		inbound_free(in);
	}
	for (i = 0; i < s->nusers; i++) {
		free(s->users[i].id);
		free(s->users[i].name);
	}
	for (i = 0; i < s->nchannels; i++)
		free(s->channels[i].id);
	for (i = 0; i < RECENT_MAX; i++)
		free(s->recent[i]);
	for (i = 0; i < RESPONSE_URLS_MAX; i++) {
		free(s->urls[i].trigger_id);
		free(s->urls[i].url);
	}
	if (s->vh)
		lws_vhost_destroy(s->vh);
	free(s->mode);
	free(s->app_token);
	free(s->bot_token);
	free(s->signing_secret);
	free(s->api_url);
	free(s->lang);
	free(s->auth_app);
	free(s->auth_bot);
	s->handles_open = s->work_on + s->retry_on;
	if (s->work_on)
		uv_close((uv_handle_t *)&s->work_timer, timer_closed_cb);
	if (s->retry_on)
		uv_close((uv_handle_t *)&s->retry_timer, timer_closed_cb);
	if (!s->handles_open)
		free(s); /* the last close callback frees it otherwise */
}
