/*
 * test_api.c — the HTTP API and the event stream against the real pieces:
 * a SQLite store, the engine with the built-in personas and catalogues, the
 * runner, the HTTP server on the loop, and core/api.c.  The loop runs in the
 * main thread; a client thread makes blocking requests with libcurl and
 * opens WebSockets with a libwebsockets client context of its own.  It only
 * records what it saw; the checks run in the main thread afterwards (cmocka
 * is not thread-safe), including the validation of every recorded JSON body
 * against the schema the OpenAPI description gives for it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <curl/curl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "engine.h"
#include "http_server.h"
#include "i18n.h"
#include "persona.h"
#include "resource.h"
#include "runner.h"
#include "schema.h"
#include "store.h"
#include "ws_client.h"

#define TOKEN "t0ken-for-tests"
#define MAX_RESP 120
#define SLOW_QUEUE (64 << 10) /* the stream's queue bound in the slow-client test */

struct resp {
	const char *label;
	const char *schema; /* component name the body must match, or NULL */
	long status;
	char *body;
	char *headers;
};

struct fx {
	/* the body headers of the next req(), instead of JSON's */
	const char *next_body_headers[3];
	struct xio_loop loop;
	struct xio_log *log;
	FILE *logf;
	struct xio_store store;
	struct xio_personas personas;
	struct xio_i18n i18n;
	struct xio_engine eng;
	struct xio_runner runner;
	struct xio_http_server *srv;
	struct xio_metrics *metrics;
	struct xio_api *api;
	uv_async_t done;
	pthread_t th;
	int port;
	struct resp r[MAX_RESP];
	int nr;
	/* stream results */
	struct wsc_conn ws1, ws2, ws_noauth, ws_missing;
	long long first_last_seq;
	/* the slow client: what the thread runs, the flood it asks for */
	void (*client)(struct fx *fx);
	uv_async_t flood;
	atomic_int flooded; /* set by the loop when the stream dropped it */
	int flood_sent;
	struct wsc_conn ws_slow, ws_resume;
	long long slow_base, slow_after;
	/* the client thread has the loop run poke_fn and waits for it */
	uv_async_t poke;
	void (*poke_fn)(struct fx *fx);
	atomic_int poked;
	struct wsc_conn ws_kept, ws_revoked, ws_before;
	char metrics_text[1 << 16];
};

static void inbound(struct fx *fx, const char *key, const char *author, const char *text,
		    const char *id);

/* ---- client thread ---- */

static size_t write_cb(char *p, size_t sz, size_t n, void *ud)
{
	xio_buf_append(ud, p, sz * n);
	return sz * n;
}

static struct resp *req(struct fx *fx, const char *label, const char *schema, const char *method,
			const char *path, const char *token, const char *body)
{
	struct resp *r;
	struct xio_buf b, h;
	struct curl_slist *sl = NULL;
	char url[600], auth[200];
	CURL *c;

	/* the client thread cannot fail a cmocka check */
	if (fx->nr >= MAX_RESP) {
		fprintf(stderr, "test_api: more than %d requests: raise MAX_RESP\n", MAX_RESP);
		abort();
	}
	r = &fx->r[fx->nr++];
	c = curl_easy_init();
	xio_buf_init(&b, 0);
	xio_buf_init(&h, 0);
	r->label = label;
	r->schema = schema;
	snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", fx->port, path);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 20L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, write_cb);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, write_cb);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, &h);
	if (token) {
		snprintf(auth, sizeof(auth), "Authorization: Bearer %s", token);
		sl = curl_slist_append(sl, auth);
	}
	sl = curl_slist_append(sl, "Expect:");
	if (body) {
		if (fx->next_body_headers[0])
			for (size_t k = 0; k < 3 && fx->next_body_headers[k]; k++)
				sl = curl_slist_append(sl, fx->next_body_headers[k]);
		else
			sl = curl_slist_append(sl, "Content-Type: application/json");
		memset(fx->next_body_headers, 0, sizeof(fx->next_body_headers));
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	}
	if (strcmp(method, "GET") && strcmp(method, "POST"))
		curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, sl);
	if (curl_easy_perform(c) == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
	curl_slist_free_all(sl);
	curl_easy_cleanup(c);
	r->body = xio_buf_detach(&b);
	r->headers = xio_buf_detach(&h);
	return r;
}

static long long last_seq_of(const struct wsc_conn *c)
{
	json_object *o;
	long long seq = 0;

	if (!c->nframes)
		return 0;
	o = json_tokener_parse(c->frames[c->nframes - 1]);
	if (o) {
		json_object *v;

		if (json_object_object_get_ex(o, "seq", &v))
			seq = json_object_get_int64(v);
		json_object_put(o);
	}
	return seq;
}

struct wait_frames {
	struct wsc_conn *c;
	size_t n;
};

static int frames_done(void *ud)
{
	struct wait_frames *w = ud;

	return w->c->nframes >= w->n || w->c->state >= WSC_CLOSED;
}

static int settled(void *ud)
{
	struct wsc_conn *c = ud;

	return c->state != WSC_CONNECTING;
}

/* Reads frames until none arrives for quiet_ms. */
static void drain(struct wsc *w, struct wsc_conn *c, int quiet_ms)
{
	size_t before;

	do {
		struct wait_frames wf = { c, c->nframes + 1 };

		before = c->nframes;
		wsc_service_until(w, frames_done, &wf, quiet_ms);
	} while (c->nframes > before);
}

#define BIG_BODY (100 << 10)

static void client(struct fx *fx)
{
	struct wsc w, wn;
	char path[200], *big;
	int i;

	/* auth */
	req(fx, "no token", "Error", "GET", "/api/consiliums", NULL, NULL);
	req(fx, "wrong token", "Error", "GET", "/api/consiliums", "nope", NULL);
	req(fx, "token prefix", "Error", "GET", "/api/consiliums", "t0ken", NULL);
	req(fx, "openapi", NULL, "GET", "/api/openapi.json", NULL, NULL);
	/* lists, filters, pagination */
	req(fx, "list", "ConsiliumPage", "GET", "/api/consiliums", TOKEN, NULL);
	req(fx, "list named token", "ConsiliumPage", "GET", "/api/consiliums", "panel-secret", NULL);
	req(fx, "chat filter", "ConsiliumPage", "GET", "/api/consiliums?chat=slack:C1", TOKEN, NULL);
	req(fx, "chat prefix only at ':'", "ConsiliumPage", "GET", "/api/consiliums?chat=slack:C", TOKEN, NULL);
	req(fx, "phase filter", "ConsiliumPage", "GET", "/api/consiliums?phase=closed", TOKEN, NULL);
	req(fx, "bad phase", "Error", "GET", "/api/consiliums?phase=nope", TOKEN, NULL);
	req(fx, "since future", "ConsiliumPage", "GET", "/api/consiliums?since=2999-01-01", TOKEN, NULL);
	req(fx, "bad since", "Error", "GET", "/api/consiliums?since=yesterday", TOKEN, NULL);
	req(fx, "page 1", "ConsiliumPage", "GET", "/api/consiliums?limit=2", TOKEN, NULL);
	req(fx, "page 2", "ConsiliumPage", "GET", "/api/consiliums?limit=2&cursor=2", TOKEN, NULL);
	req(fx, "bad limit", "Error", "GET", "/api/consiliums?limit=0", TOKEN, NULL);
	req(fx, "bad cursor", "Error", "GET", "/api/consiliums?cursor=abc", TOKEN, NULL);
	req(fx, "unknown param", "Error", "GET", "/api/consiliums?color=red", TOKEN, NULL);
	req(fx, "twice", "Error", "GET", "/api/consiliums?limit=1&limit=2", TOKEN, NULL);
	req(fx, "trailing ?", "ConsiliumPage", "GET", "/api/consiliums?", TOKEN, NULL);
	req(fx, "trailing &", "DecisionList", "GET", "/api/decisions?q=postgres&", TOKEN, NULL);
	req(fx, "empty part", "ConsiliumPage", "GET", "/api/consiliums?limit=1&&phase=closed", TOKEN, NULL);
	req(fx, "only &", "ConsiliumPage", "GET", "/api/consiliums?&", TOKEN, NULL);
	req(fx, "one", "Consilium", "GET", "/api/consiliums/1", TOKEN, NULL);
	req(fx, "missing", "Error", "GET", "/api/consiliums/999", TOKEN, NULL);
	req(fx, "bad id", "Error", "GET", "/api/consiliums/01", TOKEN, NULL);
	req(fx, "no route", "Error", "GET", "/api/nothing", TOKEN, NULL);
	req(fx, "messages page", "MessagePage", "GET", "/api/consiliums/1/messages?limit=2", TOKEN, NULL);
	req(fx, "messages all", "MessagePage", "GET", "/api/consiliums/1/messages?limit=500", TOKEN, NULL);
	req(fx, "participants", "ParticipantList", "GET", "/api/consiliums/1/participants", TOKEN, NULL);

	/* the stream from the start, then a reconnect after commands */
	wsc_init(&w, fx->port, TOKEN, 64);
	wsc_connect(&w, &fx->ws1, "/api/consiliums/1/events");
	wsc_service_until(&w, settled, &fx->ws1, 5000);
	drain(&w, &fx->ws1, 300);
	fx->first_last_seq = last_seq_of(&fx->ws1);
	wsc_conn_close(&w, &fx->ws1);

	req(fx, "pause", "ConsiliumSummary", "POST", "/api/consiliums/1/commands", TOKEN,
	    "{\"command\":\"pause\"}");
	req(fx, "pause again", "Error", "POST", "/api/consiliums/1/commands", TOKEN,
	    "{\"command\":\"pause\"}");
	req(fx, "bad command", "Error", "POST", "/api/consiliums/1/commands", TOKEN,
	    "{\"command\":\"consilium\",\"args\":\"x\"}");
	req(fx, "bad json", "Error", "POST", "/api/consiliums/1/commands", TOKEN, "{\"command\":");
	req(fx, "not object", "Error", "POST", "/api/consiliums/1/commands", TOKEN, "[1]");
	req(fx, "extra field", "Error", "POST", "/api/consiliums/1/commands", TOKEN,
	    "{\"command\":\"pause\",\"as\":\"root\"}");
	req(fx, "command missing", "Error", "POST", "/api/consiliums/999/commands", TOKEN,
	    "{\"command\":\"pause\"}");
	req(fx, "bad utf8", "Error", "POST", "/api/consiliums/1/participants", TOKEN,
	    "{\"name\":\"\xc3\x28\"}");
	req(fx, "control char", "Error", "POST", "/api/consiliums/1/participants", TOKEN,
	    "{\"name\":\"a\\u0007b\"}");
	req(fx, "name newline", "Error", "POST", "/api/consiliums/1/participants", TOKEN,
	    "{\"name\":\"a\\nb\"}");
	req(fx, "name tab", "Error", "POST", "/api/consiliums/1/participants", TOKEN,
	    "{\"name\":\"a\\tb\"}");
	req(fx, "name blank", "Error", "POST", "/api/consiliums/1/participants", TOKEN,
	    "{\"name\":\"   \"}");
	req(fx, "name line separator", "Error", "POST", "/api/consiliums/1/participants", TOKEN,
	    "{\"name\":\"a\\u2028b\"}");
	req(fx, "name zero width", "Error", "POST", "/api/consiliums/1/participants", TOKEN,
	    "{\"name\":\"a\\u200bb\"}");
	req(fx, "name bom", "Error", "POST", "/api/consiliums/1/participants", TOKEN,
	    "{\"name\":\"\\ufeffEve\"}");
	req(fx, "name c1", "Error", "POST", "/api/consiliums/1/participants", TOKEN,
	    "{\"name\":\"a\\u0085b\"}");
	req(fx, "name persona", "Error", "POST", "/api/consiliums/1/participants", TOKEN,
	    "{\"name\":\"mODERATOR\"}");
	req(fx, "name too long", "Error", "POST", "/api/consiliums/1/participants", TOKEN,
	    "{\"name\":\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"}");
	req(fx, "name trimmed", "ParticipantAdded", "POST", "/api/consiliums/1/participants", TOKEN,
	    "{\"name\":\"  Eve \"}");
	req(fx, "name cyrillic", "ParticipantAdded", "POST", "/api/consiliums/1/participants", TOKEN,
	    "{\"name\":\"Дана Петрова\"}");
	req(fx, "add participant", "ParticipantAdded", "POST", "/api/consiliums/1/participants",
	    TOKEN, "{\"name\":\"Dana\"}");
	/* the body cap is http.max_body_bytes (1 MiB here), not 64 KiB */
	big = malloc(BIG_BODY + 2);
	if (big) {
		memset(big, ' ', BIG_BODY + 1);
		memcpy(big, "{\"name\":\"Zed\"", 13);
		big[BIG_BODY] = '}';
		big[BIG_BODY + 1] = '\0';
		req(fx, "body 100 KiB", "ParticipantAdded", "POST", "/api/consiliums/1/participants",
		    TOKEN, big);
		free(big);
	}
	big = malloc((1 << 20) + 2);
	if (big) {
		memset(big, ' ', (1 << 20) + 1);
		memcpy(big, "{\"name\":\"Zed\"", 13);
		big[1 << 20] = '}';
		big[(1 << 20) + 1] = '\0';
		req(fx, "body over 1 MiB", "Error", "POST", "/api/consiliums/1/participants", TOKEN,
		    big);
		free(big);
	}
	req(fx, "add again", "ParticipantAdded", "POST", "/api/consiliums/1/participants", TOKEN,
	    "{\"name\":\"Dana\"}");
	req(fx, "participants after", "ParticipantList", "GET", "/api/consiliums/1/participants",
	    TOKEN, NULL);
	req(fx, "put", "Error", "PUT", "/api/consiliums/1", TOKEN, NULL);

	snprintf(path, sizeof(path), "/api/consiliums/1/events?after=%lld", fx->first_last_seq);
	wsc_connect(&w, &fx->ws2, path);
	wsc_service_until(&w, settled, &fx->ws2, 5000);
	drain(&w, &fx->ws2, 300);
	/* live: a command while connected */
	req(fx, "resume", "ConsiliumSummary", "POST", "/api/consiliums/1/commands", TOKEN,
	    "{\"command\":\"resume\"}");
	req(fx, "resume not paused", "Error", "POST", "/api/consiliums/1/commands", TOKEN,
	    "{\"command\":\"resume\"}");
	req(fx, "approve in discussion", "Error", "POST", "/api/consiliums/1/commands", TOKEN,
	    "{\"command\":\"approve\"}");
	req(fx, "decide", "ConsiliumSummary", "POST", "/api/consiliums/1/commands", TOKEN,
	    "{\"command\":\"decide\"}");
	req(fx, "decide twice", "Error", "POST", "/api/consiliums/1/commands", TOKEN,
	    "{\"command\":\"decide\"}");
	req(fx, "pause in decision", "Error", "POST", "/api/consiliums/1/commands", TOKEN,
	    "{\"command\":\"pause\"}");
	req(fx, "participants after commands", "ParticipantList", "GET",
	    "/api/consiliums/1/participants", TOKEN, NULL);
	drain(&w, &fx->ws2, 300);
	wsc_conn_close(&w, &fx->ws2);
	/* refused upgrades */
	wsc_connect(&w, &fx->ws_missing, "/api/consiliums/999/events");
	wsc_service_until(&w, settled, &fx->ws_missing, 5000);
	wsc_release(&w);
	wsc_init(&wn, fx->port, NULL, 16);
	wsc_connect(&wn, &fx->ws_noauth, "/api/consiliums/1/events");
	wsc_service_until(&wn, settled, &fx->ws_noauth, 5000);
	wsc_release(&wn);

	req(fx, "events over http", "EventPage", "GET", "/api/consiliums/1/events?after=0&limit=3",
	    TOKEN, NULL);
	req(fx, "after command", "Consilium", "GET", "/api/consiliums/1", TOKEN, NULL);
	req(fx, "closed command", "Error", "POST", "/api/consiliums/3/commands", TOKEN,
	    "{\"command\":\"pause\"}");
	req(fx, "search", "DecisionList", "GET", "/api/decisions?q=postgres", TOKEN, NULL);
	req(fx, "search none", "DecisionList", "GET", "/api/decisions?q=kubernetes", TOKEN, NULL);
	req(fx, "search no q", "Error", "GET", "/api/decisions", TOKEN, NULL);
	req(fx, "tasks", "TaskPage", "GET", "/api/tasks", TOKEN, NULL);
	req(fx, "tasks owner", "TaskPage", "GET", "/api/tasks?owner=ALICE&status=open", TOKEN, NULL);
	req(fx, "tasks owner ru", "TaskPage", "GET", "/api/tasks?owner=%D0%B1%D0%BE%D0%B1", TOKEN, NULL);
	req(fx, "tasks bad status", "Error", "GET", "/api/tasks?status=OPEN", TOKEN, NULL);
	req(fx, "audit", "AuditPage", "GET", "/api/audit?actor=api", TOKEN, NULL);
	req(fx, "audit named", "AuditPage", "GET", "/api/audit?consilium=1&actor=panel", TOKEN, NULL);
	req(fx, "audit bad", "Error", "GET", "/api/audit?consilium=-1", TOKEN, NULL);
	req(fx, "audit opening", "AuditPage", "GET", "/api/audit?consilium=1&actor=alice", TOKEN, NULL);
	req(fx, "panel pause", "ConsiliumSummary", "POST", "/api/consiliums/2/commands",
	    "panel-secret", "{\"command\":\"pause\"}");
	req(fx, "audit named after", "AuditPage", "GET", "/api/audit?actor=panel", TOKEN, NULL);
	fx->next_body_headers[0] = "Content-Type: text/plain";
	req(fx, "text body", "Error", "POST", "/api/consiliums/2/commands", TOKEN,
	    "{\"command\":\"resume\"}");
	fx->next_body_headers[0] = "Content-Type: application/json; charset=utf-8";
	fx->next_body_headers[1] = "Content-Encoding: gzip";
	req(fx, "encoded body", "Error", "POST", "/api/consiliums/2/commands", TOKEN,
	    "{\"command\":\"resume\"}");
	fx->next_body_headers[0] = "Content-Type: Application/JSON; charset=utf-8";
	req(fx, "json charset body", "ConsiliumSummary", "POST", "/api/consiliums/2/commands", TOKEN,
	    "{\"command\":\"resume\"}");
	req(fx, "metrics", NULL, "GET", "/metrics", NULL, NULL);
	for (i = 0; i < fx->nr; i++)
		if (!strcmp(fx->r[i].label, "metrics"))
			snprintf(fx->metrics_text, sizeof(fx->metrics_text), "%s", fx->r[i].body);
}

static int closed(void *ud)
{
	struct wsc_conn *c = ud;

	return c->state >= WSC_CLOSED;
}

/* A stream client that stops reading while consilium 1 gets a flood of
 * long messages: the server must close it with 1008 and the seq to resume
 * after (the close frame must reach it), and a reconnect with ?after= must
 * bring the rest, each event once, although that backlog is bigger than
 * the stream's queue.  The HTTP event pages after the flood are the
 * reference. */
static void client_slow(struct fx *fx)
{
	struct wsc w;
	char path[200];
	const char *after;
	long long from;
	int pages = 0;

	wsc_init(&w, fx->port, TOKEN, 16);
	wsc_connect(&w, &fx->ws_slow, "/api/consiliums/1/events");
	wsc_service_until(&w, settled, &fx->ws_slow, 5000);
	drain(&w, &fx->ws_slow, 200);
	fx->slow_base = last_seq_of(&fx->ws_slow);
	if (fx->ws_slow.state != WSC_OPEN)
		goto out;
	/* the socket fills: nothing is read until the flood is over */
	lws_rx_flow_control(fx->ws_slow.wsi, 0);
	uv_async_send(&fx->flood);
	while (!atomic_load(&fx->flooded))
		uv_sleep(5);
	lws_rx_flow_control(fx->ws_slow.wsi, 1);
	wsc_service_until(&w, closed, &fx->ws_slow, 20000);
	after = strstr(fx->ws_slow.error, "?after=");
	if (!after)
		goto out;
	fx->slow_after = atoll(after + 7);
	snprintf(path, sizeof(path), "/api/consiliums/1/events?after=%lld", fx->slow_after);
	wsc_connect(&w, &fx->ws_resume, path);
	wsc_service_until(&w, settled, &fx->ws_resume, 5000);
	drain(&w, &fx->ws_resume, 500);
	wsc_conn_close(&w, &fx->ws_resume);
out:
	wsc_release(&w);
	/* the reference: every event of consilium 1 after the base, by pages */
	for (from = fx->slow_base; pages < MAX_RESP - 1; pages++) {
		struct resp *r;
		json_object *o, *it;
		size_t n;

		snprintf(path, sizeof(path), "/api/consiliums/1/events?after=%lld&limit=500", from);
		r = req(fx, "events page", "EventPage", "GET", path, TOKEN, NULL);
		o = json_tokener_parse(r->body);
		it = o && json_object_object_get_ex(o, "items", &it) ? it : NULL;
		n = it ? json_object_array_length(it) : 0;
		if (n) {
			json_object *seq;

			json_object_object_get_ex(json_object_array_get_idx(it, n - 1), "seq", &seq);
			from = json_object_get_int64(seq);
		}
		json_object_put(o);
		if (!n)
			break;
	}
}

/* Reads what test_decisions set up: an amended draft, an approved decision
 * whose task was done later, and a draft stopped in approval. */
static void client_decisions(struct fx *fx)
{
	req(fx, "tasks of draft", "TaskPage", "GET", "/api/tasks?owner=yan", TOKEN, NULL);
	req(fx, "tasks of approved", "TaskPage", "GET", "/api/tasks?owner=QUINN", TOKEN, NULL);
	req(fx, "tasks of stopped", "TaskPage", "GET", "/api/tasks?owner=pat", TOKEN, NULL);
	req(fx, "all tasks", "TaskPage", "GET", "/api/tasks", TOKEN, NULL);
	req(fx, "search draft", "DecisionList", "GET", "/api/decisions?q=kubernetes", TOKEN, NULL);
	req(fx, "search approved", "DecisionList", "GET", "/api/decisions?q=github", TOKEN, NULL);
	req(fx, "search stopped", "DecisionList", "GET", "/api/decisions?q=pricing", TOKEN, NULL);
	snprintf(fx->metrics_text, sizeof(fx->metrics_text), "%s",
		 req(fx, "metrics", NULL, "GET", "/metrics", NULL, NULL)->body);
}

/* Runs fn on the loop thread and waits until it has run. */
static void poke(struct fx *fx, void (*fn)(struct fx *fx))
{
	atomic_store(&fx->poked, 0);
	fx->poke_fn = fn;
	uv_async_send(&fx->poke);
	while (!atomic_load(&fx->poked))
		uv_sleep(5);
}

/* What SIGHUP does with a config that adds the tokens, then one that drops
 * "panel" (bot/reload.c calls xio_api_set_tokens). */
static void reload_add_tokens(struct fx *fx)
{
	json_object *named = json_tokener_parse("[\"panel=panel-secret\"]");
	struct xio_err err;

	if (xio_api_set_tokens(fx->api, TOKEN, named, &err))
		fprintf(stderr, "set tokens: %s\n", err.msg);
	json_object_put(named);
}

static void reload_drop_panel(struct fx *fx)
{
	struct xio_err err;

	if (xio_api_set_tokens(fx->api, TOKEN, NULL, &err))
		fprintf(stderr, "set tokens: %s\n", err.msg);
	inbound(fx, "console:t1", "bob", "said after the revocation", "after-revoke");
}

static void client_tokens(struct fx *fx)
{
	struct wsc w;

	req(fx, "no tokens", "Error", "GET", "/api/consiliums", TOKEN, NULL);
	req(fx, "no tokens post", "Error", "POST", "/api/consiliums/1/commands", TOKEN,
	    "{\"command\":\"pause\"}");
	req(fx, "no tokens openapi", NULL, "GET", "/api/openapi.json", NULL, NULL);
	wsc_init(&w, fx->port, TOKEN, 16);
	wsc_connect(&w, &fx->ws_before, "/api/consiliums/1/events");
	wsc_service_until(&w, settled, &fx->ws_before, 5000);

	poke(fx, reload_add_tokens);
	req(fx, "tokens added", "ConsiliumPage", "GET", "/api/consiliums", TOKEN, NULL);
	req(fx, "named added", "ConsiliumPage", "GET", "/api/consiliums", "panel-secret", NULL);
	wsc_connect(&w, &fx->ws_kept, "/api/consiliums/1/events");
	wsc_service_until(&w, settled, &fx->ws_kept, 5000);
	w.token = "panel-secret";
	wsc_connect(&w, &fx->ws_revoked, "/api/consiliums/1/events");
	wsc_service_until(&w, settled, &fx->ws_revoked, 5000);
	drain(&w, &fx->ws_kept, 200);
	drain(&w, &fx->ws_revoked, 200);

	poke(fx, reload_drop_panel);
	wsc_service_until(&w, closed, &fx->ws_revoked, 5000);
	drain(&w, &fx->ws_kept, 300);
	wsc_conn_close(&w, &fx->ws_kept);
	wsc_release(&w);
	req(fx, "panel revoked", "Error", "GET", "/api/consiliums", "panel-secret", NULL);
}

static void *client_main(void *arg)
{
	struct fx *fx = arg;

	fx->client(fx);
	uv_async_send(&fx->done);
	return NULL;
}

/* ---- server side ---- */

static void done_cb(uv_async_t *a)
{
	struct fx *fx = a->data;

	uv_close((uv_handle_t *)a, NULL);
	if (!uv_is_closing((uv_handle_t *)&fx->flood))
		uv_close((uv_handle_t *)&fx->flood, NULL);
	uv_close((uv_handle_t *)&fx->poke, NULL);
	xio_api_free(fx->api);
	fx->api = NULL;
	xio_runner_release(&fx->runner);
	xio_http_server_free(fx->srv);
	fx->srv = NULL;
	xio_loop_request_stop(&fx->loop);
}

static void inbound_at(struct fx *fx, const char *key, const char *author, const char *text,
		       const char *id, int64_t at)
{
	struct xio_inbound in = { 0 };
	struct xio_err err;
	char chat[64];

	snprintf(chat, sizeof(chat), "%.*s", (int)strcspn(key + 6, ":"), key + 6);
	in.platform = !strncmp(key, "slack:", 6) ? "slack" : "console";
	in.chat = chat;
	in.thread = "";
	in.thread_key = key;
	in.workspace = "team";
	in.author = author;
	in.text = text;
	in.msg_id = id;
	in.time_ms = at;
	if (xio_runner_input(&fx->runner, &in, &err))
		fail_msg("runner: %s", err.msg);
}

static void inbound(struct fx *fx, const char *key, const char *author, const char *text,
		    const char *id)
{
	inbound_at(fx, key, author, text, id, 0);
}

/* What the producer would hand back after /decide: a draft with one task. */
static void decision_ready(struct fx *fx, int64_t cid, const char *decision, const char *owner,
			   double confidence)
{
	struct xio_event ev = { 0 };
	struct xio_err err;
	char tasks[300];

	snprintf(tasks, sizeof(tasks),
		 "[{\"title\":\"Do it\",\"owner\":\"%s\",\"due\":\"2030-01-01\","
		 "\"priority\":\"high\",\"confidence\":%g}]", owner, confidence);
	ev.kind = XIO_EV_DECISION_READY;
	ev.now = xio_clock_now(&xio_clock_system);
	ev.log = json_object_new_object();
	json_object_object_add(ev.log, "question", json_object_new_string("q"));
	json_object_object_add(ev.log, "decision", json_object_new_string(decision));
	json_object_object_add(ev.log, "rationale", json_object_new_string("because"));
	ev.tasks = json_tokener_parse(tasks);
	ev.source = "extractor";
	if (xio_runner_feed(&fx->runner, cid, &ev, 0, &err))
		fail_msg("decision ready: %s", err.msg);
	json_object_put(ev.log);
	json_object_put(ev.tasks);
}

/* with_tokens 0: the API starts with none, as from a config without them */
static void fx_init(struct fx *fx, void (*client_fn)(struct fx *fx), size_t ws_max_queue,
		    int with_tokens)
{
	struct xio_http_server_opts ho = { 0 };
	struct xio_api_opts ao = { 0 };
	struct xio_err err;
	json_object *named;

	memset(fx, 0, sizeof(*fx));
	fx->client = client_fn;
	fx->logf = tmpfile();
	fx->log = xio_log_new(fileno(fx->logf), XIO_LOG_JSON, XIO_LOG_DEBUG);
	assert_non_null(fx->log);
	assert_int_equal(xio_loop_init(&fx->loop, fx->log, &err), 0);
	if (xio_store_open_sqlite(&fx->store, ":memory:", 1000, 0, &err))
		fail_msg("store: %s", err.msg);
	if (xio_personas_load(&fx->personas, "", &err) || xio_i18n_load(&fx->i18n, "", &err))
		fail_msg("engine: %s", err.msg);
	fx->eng.personas = &fx->personas;
	fx->eng.i18n = &fx->i18n;
	fx->eng.language = "en";
	fx->eng.max_rounds = 3;
	fx->eng.time_limit_ms = 3600000;
	fx->eng.human_timeout_ms = 900000;
	fx->eng.require_approval = 1;
	xio_runner_init(&fx->runner, &fx->loop.uv, &fx->store, &fx->eng, NULL, fx->log,
			&xio_clock_system);
	fx->metrics = xio_metrics_new();
	ho.metrics = fx->metrics;
	if (xio_http_server_new(&fx->srv, &fx->loop, "127.0.0.1", 0, &ho, &err))
		fail_msg("server: %s", err.msg);
	fx->port = xio_http_server_port(fx->srv);

	/* consiliums 1 (console), 2 (slack), 3 (closed, with an approved
	 * decision that search and tasks find) */
	inbound(fx, "console:t1", "alice", "/consilium Should we migrate the billing database?", "m1");
	inbound(fx, "console:t1", "bob", "I think we should, slowly.", "m2");
	inbound(fx, "slack:C1:100.1", "carol", "/consilium Which CI should we use?", "m3");
	inbound(fx, "slack:C12:200.1", "erin", "/consilium Rename the product?", "m4");
	inbound(fx, "slack:C12:200.1", "erin", "/stop", "m5");
	assert_int_equal(fx->store.ops->decision_put(fx->store.impl, 3, "team", "approved",
		"{\"question\":\"Rename the product?\",\"decision\":\"Move billing to Postgres\","
		"\"rationale\":\"postgres replication\"}",
		"[{\"title\":\"Plan cut-over\",\"owner\":\"alice\",\"due\":\"2030-01-01\","
		"\"priority\":\"high\",\"confidence\":0.8},"
		"{\"title\":\"Проверить выгрузки\",\"owner\":\"Боб\",\"due\":null,"
		"\"priority\":\"low\",\"confidence\":0.5}]", 1000, &err), 0);

	named = json_tokener_parse("[\"panel=panel-secret\"]");
	ao.loop = &fx->loop.uv;
	ao.store = &fx->store;
	ao.runner = &fx->runner;
	ao.http = fx->srv;
	ao.metrics = fx->metrics;
	ao.log = fx->log;
	ao.clock = &xio_clock_system;
	ao.token = with_tokens ? TOKEN : NULL;
	ao.named_tokens = with_tokens ? named : NULL;
	ao.ws_max_queue = ws_max_queue;
	if (xio_api_new(&fx->api, &ao, &err))
		fail_msg("api: %s", err.msg);
	json_object_put(named);
}

/* Long messages into consilium 1, a batch per loop turn (so that commits
 * and their events go out between batches), until the stream has dropped
 * its slow client or a bound is reached. */
static void flood_cb(uv_async_t *a)
{
	struct fx *fx = a->data;
	char text[3001], id[32];
	int i;

	memset(text, 'x', sizeof(text) - 1);
	text[sizeof(text) - 1] = '\0';
	for (i = 0; i < 50; i++, fx->flood_sent++) {
		snprintf(id, sizeof(id), "flood%d", fx->flood_sent);
		memcpy(text, id, strlen(id));
		inbound(fx, "console:t1", "bob", text, id);
	}
	if (xio_counter_value(xio_metrics_counter(fx->metrics, "xio_stream_slow_clients_total",
						  "", NULL)) > 0 ||
	    fx->flood_sent >= 4000) {
		uv_close((uv_handle_t *)a, NULL);
		atomic_store(&fx->flooded, 1);
		return;
	}
	uv_async_send(a);
}

static void poke_cb(uv_async_t *a)
{
	struct fx *fx = a->data;

	fx->poke_fn(fx);
	atomic_store(&fx->poked, 1);
}

static void fx_run(struct fx *fx)
{
	assert_int_equal(uv_async_init(&fx->loop.uv, &fx->done, done_cb), 0);
	fx->done.data = fx;
	assert_int_equal(uv_async_init(&fx->loop.uv, &fx->flood, flood_cb), 0);
	fx->flood.data = fx;
	assert_int_equal(uv_async_init(&fx->loop.uv, &fx->poke, poke_cb), 0);
	fx->poke.data = fx;
	assert_int_equal(pthread_create(&fx->th, NULL, client_main, fx), 0);
	xio_loop_run(&fx->loop);
	pthread_join(fx->th, NULL);
	xio_loop_release(&fx->loop);
}

static void fx_release(struct fx *fx)
{
	int i;

	for (i = 0; i < fx->nr; i++) {
		free(fx->r[i].body);
		free(fx->r[i].headers);
	}
	wsc_conn_release(&fx->ws1);
	wsc_conn_release(&fx->ws2);
	wsc_conn_release(&fx->ws_noauth);
	wsc_conn_release(&fx->ws_missing);
	wsc_conn_release(&fx->ws_slow);
	wsc_conn_release(&fx->ws_resume);
	wsc_conn_release(&fx->ws_kept);
	wsc_conn_release(&fx->ws_revoked);
	wsc_conn_release(&fx->ws_before);
	xio_metrics_free(fx->metrics);
	xio_store_close(&fx->store);
	xio_i18n_release(&fx->i18n);
	xio_personas_release(&fx->personas);
	xio_log_free(fx->log);
	fclose(fx->logf);
}

/* ---- checks ---- */

static struct resp *get(struct fx *fx, const char *label)
{
	for (int i = 0; i < fx->nr; i++)
		if (!strcmp(fx->r[i].label, label))
			return &fx->r[i];
	fail_msg("no response '%s'", label);
	return NULL;
}

static json_object *body(struct fx *fx, const char *label, long status)
{
	struct resp *r = get(fx, label);
	json_object *o;

	if (r->status != status)
		fail_msg("%s: status %ld, want %ld: %s", label, r->status, status, r->body);
	o = json_tokener_parse(r->body);
	if (!o)
		fail_msg("%s: not JSON: %s", label, r->body);
	return o;
}

static json_object *field(json_object *o, const char *path)
{
	char key[64];
	const char *dot;

	while (o && *path) {
		dot = strchr(path, '.');
		snprintf(key, sizeof(key), "%.*s", (int)(dot ? dot - path : (long)strlen(path)), path);
		if (json_object_is_type(o, json_type_array))
			o = json_object_array_get_idx(o, (size_t)atoi(key));
		else if (!json_object_object_get_ex(o, key, &o))
			return NULL;
		path = dot ? dot + 1 : "";
	}
	return o;
}

static size_t items(json_object *o)
{
	return json_object_array_length(field(o, "items"));
}

/* A JSON Schema document for component name: the OpenAPI components
 * become $defs (the subset core/schema.h reads). */
static struct xio_schema *component(const char *name)
{
	const struct xio_resource *spec = xio_resource_find("openapi.json");
	struct xio_buf doc;
	struct xio_schema *s = NULL;
	struct xio_err err;
	json_object *root, *schemas;
	const char *text;
	char *fixed, *p;

	assert_non_null(spec);
	root = json_tokener_parse(spec->data);
	assert_non_null(root);
	schemas = field(root, "components.schemas");
	assert_non_null(schemas);
	xio_buf_init(&doc, 0);
	xio_buf_printf(&doc, "{\"$defs\":%s,\"$ref\":\"#/$defs/%s\"}",
		       json_object_to_json_string_ext(schemas, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE), name);
	fixed = xio_buf_detach(&doc);
	while ((p = strstr(fixed, "#/components/schemas/")))
		memmove(p + 8, p + 21, strlen(p + 21) + 1), memcpy(p, "#/$defs/", 8);
	text = fixed;
	if (xio_schema_compile(&s, text, &err))
		fail_msg("schema %s: %s", name, err.msg);
	free(fixed);
	json_object_put(root);
	return s;
}

static void check_against_openapi_n(struct fx *fx, int min_checked)
{
	struct xio_err err;
	int i, checked = 0;

	for (i = 0; i < fx->nr; i++) {
		struct xio_schema *s;
		json_object *o;

		if (!fx->r[i].schema)
			continue;
		o = json_tokener_parse(fx->r[i].body);
		if (!o)
			fail_msg("%s: not JSON: %s", fx->r[i].label, fx->r[i].body);
		s = component(fx->r[i].schema);
		if (xio_schema_validate(s, o, &err))
			fail_msg("%s: body does not match %s: %s\n%s", fx->r[i].label,
				 fx->r[i].schema, err.msg, fx->r[i].body);
		xio_schema_free(s);
		json_object_put(o);
		checked++;
	}
	assert_true(checked >= min_checked);
}

static void check_against_openapi(struct fx *fx)
{
	check_against_openapi_n(fx, 41);
}

/* Every frame is an event with a strictly increasing seq. */
static void check_frames(const struct wsc_conn *c, long long after, long long *last)
{
	long long prev = after;

	for (size_t i = 0; i < c->nframes; i++) {
		json_object *o = json_tokener_parse(c->frames[i]), *v;

		assert_non_null(o);
		assert_true(json_object_object_get_ex(o, "seq", &v));
		if (json_object_get_int64(v) <= prev)
			fail_msg("frame %zu: seq %lld after %lld: %s", i,
				 (long long)json_object_get_int64(v), prev, c->frames[i]);
		prev = json_object_get_int64(v);
		assert_int_equal(json_object_get_int64(field(o, "consilium_id")), 1);
		json_object_put(o);
	}
	*last = prev;
}

static int has_frame(const struct wsc_conn *c, const char *type, const char *needle)
{
	for (size_t i = 0; i < c->nframes; i++)
		if (strstr(c->frames[i], type) && (!needle || strstr(c->frames[i], needle)))
			return 1;
	return 0;
}

static void test_api(void **state)
{
	struct fx fx;
	json_object *o;
	long long last1, last2;

	(void)state;
	fx_init(&fx, client, 0, 1);
	fx_run(&fx);

	/* auth */
	json_object_put(body(&fx, "no token", 401));
	json_object_put(body(&fx, "wrong token", 401));
	json_object_put(body(&fx, "token prefix", 401));
	assert_non_null(strcasestr(get(&fx, "no token")->headers, "www-authenticate: Bearer"));
	o = body(&fx, "openapi", 200);
	assert_string_equal(json_object_get_string(field(o, "openapi")), "3.1.0");
	json_object_put(o);

	/* filters and pages */
	o = body(&fx, "list", 200);
	assert_int_equal(items(o), 3);
	assert_int_equal(json_object_get_int64(field(o, "items.0.id")), 3); /* newest first */
	assert_null(field(o, "next_cursor"));
	json_object_put(o);
	o = body(&fx, "list named token", 200);
	json_object_put(o);
	o = body(&fx, "chat filter", 200);
	assert_int_equal(items(o), 1);
	assert_string_equal(json_object_get_string(field(o, "items.0.thread_key")), "slack:C1:100.1");
	json_object_put(o);
	o = body(&fx, "chat prefix only at ':'", 200);
	assert_int_equal(items(o), 0);
	json_object_put(o);
	o = body(&fx, "phase filter", 200);
	assert_int_equal(items(o), 1);
	assert_int_equal(json_object_get_int64(field(o, "items.0.id")), 3);
	json_object_put(o);
	json_object_put(body(&fx, "bad phase", 400));
	o = body(&fx, "since future", 200);
	assert_int_equal(items(o), 0);
	json_object_put(o);
	json_object_put(body(&fx, "bad since", 400));
	o = body(&fx, "page 1", 200);
	assert_int_equal(items(o), 2);
	assert_string_equal(json_object_get_string(field(o, "next_cursor")), "2");
	json_object_put(o);
	o = body(&fx, "page 2", 200);
	assert_int_equal(items(o), 1);
	assert_int_equal(json_object_get_int64(field(o, "items.0.id")), 1);
	json_object_put(o);
	json_object_put(body(&fx, "bad limit", 400));
	json_object_put(body(&fx, "bad cursor", 400));
	o = body(&fx, "unknown param", 400);
	assert_non_null(strstr(json_object_get_string(field(o, "error")), "color"));
	json_object_put(o);
	json_object_put(body(&fx, "twice", 400));
	/* empty query parts are ignored */
	o = body(&fx, "trailing ?", 200);
	assert_int_equal(items(o), 3);
	json_object_put(o);
	o = body(&fx, "trailing &", 200);
	assert_int_equal(items(o), 1);
	json_object_put(o);
	o = body(&fx, "empty part", 200);
	assert_int_equal(items(o), 1);
	assert_int_equal(json_object_get_int64(field(o, "items.0.id")), 3);
	json_object_put(o);
	o = body(&fx, "only &", 200);
	assert_int_equal(items(o), 3);
	json_object_put(o);
	o = body(&fx, "one", 200);
	assert_string_equal(json_object_get_string(field(o, "phase")), "discussion");
	assert_string_equal(json_object_get_string(field(o, "platform")), "console");
	json_object_put(o);
	json_object_put(body(&fx, "missing", 404));
	json_object_put(body(&fx, "bad id", 400));
	json_object_put(body(&fx, "no route", 404));
	o = body(&fx, "messages page", 200);
	assert_int_equal(items(o), 2);
	assert_string_equal(json_object_get_string(field(o, "items.0.author")), "alice");
	assert_non_null(field(o, "next_cursor"));
	json_object_put(o);
	o = body(&fx, "messages all", 200);
	assert_true(items(o) >= 3);
	assert_string_equal(json_object_get_string(field(o, "items.0.author_kind")), "command");
	/* the Moderator's opening is one message: its paragraphs joined */
	assert_non_null(strstr(json_object_get_string(field(o, "items.1.text")), "Consilium opened"));
	assert_non_null(strstr(json_object_get_string(field(o, "items.1.text")), "\n\nRound 1 of 3."));
	assert_string_equal(json_object_get_string(field(o, "items.2.author")), "bob");
	/* the reply chain: the opening command answers nothing, the
	 * Moderator's opening answers it, bob answers the Moderator, and what
	 * bob's step made the Moderator say answers bob */
	assert_true(json_object_is_type(field(o, "items.0.reply_to"), json_type_null));
	assert_int_equal(json_object_get_int64(field(o, "items.1.reply_to")),
			 json_object_get_int64(field(o, "items.0.id")));
	assert_int_equal(json_object_get_int64(field(o, "items.2.reply_to")),
			 json_object_get_int64(field(o, "items.1.id")));
	/* and every later line answers one before it */
	{
		json_object *list = field(o, "items");
		size_t k;

		for (k = 1; k < json_object_array_length(list); k++) {
			json_object *it = json_object_array_get_idx(list, k), *rt, *id;

			assert_true(json_object_object_get_ex(it, "reply_to", &rt));
			assert_true(json_object_object_get_ex(it, "id", &id));
			assert_true(json_object_is_type(rt, json_type_int));
			assert_true(json_object_get_int64(rt) < json_object_get_int64(id));
		}
	}
	json_object_put(o);

	/* commands move the consilium, through the runner */
	o = body(&fx, "pause", 200);
	assert_true(json_object_get_boolean(field(o, "paused")));
	json_object_put(o);
	/* refused by the engine: 409 with the answer the thread got */
	o = body(&fx, "pause again", 409);
	assert_non_null(strstr(json_object_get_string(field(o, "error")), "command 'pause' refused: "));
	assert_true(strlen(json_object_get_string(field(o, "error"))) > 30);
	json_object_put(o);
	json_object_put(body(&fx, "resume not paused", 409));
	json_object_put(body(&fx, "approve in discussion", 409));
	json_object_put(body(&fx, "decide twice", 409));
	json_object_put(body(&fx, "pause in decision", 409));
	/* the token that ran the commands did not join the council */
	o = body(&fx, "participants after commands", 200);
	assert_true(items(o) >= 1);
	assert_null(strstr(json_object_to_json_string(o), "\"api\""));
	json_object_put(o);
	json_object_put(body(&fx, "bad command", 400));
	json_object_put(body(&fx, "bad json", 400));
	json_object_put(body(&fx, "not object", 400));
	json_object_put(body(&fx, "extra field", 400));
	json_object_put(body(&fx, "command missing", 404));
	json_object_put(body(&fx, "bad utf8", 400));
	json_object_put(body(&fx, "control char", 400));
	{
		static const char *const refused[] = { "name newline", "name tab", "name blank",
							"name line separator", "name zero width",
							"name bom", "name c1", "name persona",
							"name too long" };

		for (size_t i = 0; i < XIO_ARRAY_LEN(refused); i++) {
			o = body(&fx, refused[i], 400);
			assert_non_null(strstr(json_object_get_string(field(o, "error")), "'name'"));
			json_object_put(o);
		}
	}
	o = body(&fx, "name persona", 400);
	assert_non_null(strstr(json_object_get_string(field(o, "error")), "persona"));
	json_object_put(o);
	o = body(&fx, "name trimmed", 201);
	assert_string_equal(json_object_get_string(field(o, "name")), "Eve");
	json_object_put(o);
	json_object_put(body(&fx, "name cyrillic", 201));
	json_object_put(body(&fx, "body 100 KiB", 201));
	json_object_put(body(&fx, "body over 1 MiB", 413));
	o = body(&fx, "add participant", 201);
	assert_true(json_object_get_boolean(field(o, "added")));
	json_object_put(o);
	json_object_put(body(&fx, "add again", 200));
	o = body(&fx, "participants after", 200);
	assert_non_null(strstr(json_object_to_json_string(o), "\"Dana\""));
	json_object_put(o);
	json_object_put(body(&fx, "put", 405));
	o = body(&fx, "resume", 200);
	assert_false(json_object_get_boolean(field(o, "paused")));
	json_object_put(o);
	o = body(&fx, "decide", 200);
	assert_string_equal(json_object_get_string(field(o, "phase")), "decision");
	json_object_put(o);
	o = body(&fx, "after command", 200);
	assert_string_equal(json_object_get_string(field(o, "phase")), "decision");
	json_object_put(o);
	json_object_put(body(&fx, "closed command", 409));

	/* the stream: history, then only what was missed, then live */
	if (fx.ws1.state == WSC_FAILED)
		fail_msg("ws1: %s", fx.ws1.error);
	assert_true(fx.ws1.nframes >= 5);
	check_frames(&fx.ws1, 0, &last1);
	assert_int_equal(last1, fx.first_last_seq);
	assert_true(has_frame(&fx.ws1, "\"chat_message\"", "migrate the billing"));
	assert_true(has_frame(&fx.ws1, "\"run_status\"", "\"discussion\""));
	assert_true(has_frame(&fx.ws1, "\"participant_updated\"", "\"bob\""));
	if (fx.ws2.state == WSC_FAILED)
		fail_msg("ws2: %s", fx.ws2.error);
	check_frames(&fx.ws2, last1, &last2);
	assert_true(last2 > last1);
	assert_true(has_frame(&fx.ws2, "\"run_status\"", "\"paused\":true"));
	assert_true(has_frame(&fx.ws2, "\"participant_updated\"", "\"Dana\""));
	assert_true(has_frame(&fx.ws2, "\"run_status\"", "\"decision\""));
	assert_true(has_frame(&fx.ws2, "\"tool_call\"", "decision.produce"));
	assert_true(has_frame(&fx.ws2, "\"chat_message\"", "\"/decide\""));
	assert_false(has_frame(&fx.ws2, "\"chat_message\"", "migrate the billing"));
	assert_int_equal(fx.ws_missing.state, WSC_FAILED);
	assert_int_equal(fx.ws_noauth.state, WSC_FAILED);
	assert_int_equal(fx.ws_noauth.nframes, 0);
	o = body(&fx, "events over http", 200);
	assert_int_equal(items(o), 3);
	assert_string_equal(json_object_get_string(field(o, "items.0.type")), "chat_message");
	json_object_put(o);

	/* search, tasks, audit */
	o = body(&fx, "search", 200);
	assert_int_equal(items(o), 1);
	assert_int_equal(json_object_get_int64(field(o, "items.0.consilium_id")), 3);
	json_object_put(o);
	o = body(&fx, "search none", 200);
	assert_int_equal(items(o), 0);
	json_object_put(o);
	json_object_put(body(&fx, "search no q", 400));
	o = body(&fx, "tasks", 200);
	assert_int_equal(items(o), 2);
	json_object_put(o);
	/* owner matches whatever the case, in Cyrillic too ("боб" is "Боб") */
	o = body(&fx, "tasks owner ru", 200);
	assert_int_equal(items(o), 1);
	assert_string_equal(json_object_get_string(field(o, "items.0.owner")), "Боб");
	json_object_put(o);
	o = body(&fx, "tasks bad status", 400);
	assert_non_null(strstr(json_object_get_string(field(o, "error")), "open, done, snoozed"));
	json_object_put(o);
	o = body(&fx, "tasks owner", 200);
	assert_int_equal(items(o), 1);
	/* a confidence reads as written, two decimals: not 0.84999999999999998 */
	assert_non_null(strstr(get(&fx, "tasks owner")->body, "\"confidence\":"));
	assert_null(strstr(get(&fx, "tasks owner")->body, "9999"));
	assert_null(strstr(get(&fx, "tasks owner")->body, "0000"));
	assert_string_equal(json_object_get_string(field(o, "items.0.title")), "Plan cut-over");
	json_object_put(o);
	o = body(&fx, "audit", 200);
	/* pause, resume, decide as api.command; two participant adds */
	assert_true(items(o) >= 5);
	assert_non_null(strstr(json_object_to_json_string(o), "api.command"));
	assert_non_null(strstr(json_object_to_json_string(o), "\"command\""));
	assert_non_null(strstr(json_object_to_json_string(o), "\"refused\""));
	assert_non_null(strstr(json_object_to_json_string(o), "409"));
	assert_null(strstr(json_object_to_json_string(o), TOKEN));
	json_object_put(o);
	o = body(&fx, "audit named", 200);
	assert_int_equal(items(o), 0);
	json_object_put(o);
	json_object_put(body(&fx, "audit bad", 400));
	/* who opened a consilium is on record, as any command is */
	o = body(&fx, "audit opening", 200);
	assert_non_null(strstr(json_object_to_json_string(o), "\"command\": \"consilium\""));
	json_object_put(o);
	json_object_put(body(&fx, "panel pause", 200));
	/* a body is JSON by its Content-Type, parameters and case aside */
	json_object_put(body(&fx, "text body", 415));
	json_object_put(body(&fx, "encoded body", 415));
	json_object_put(body(&fx, "json charset body", 200));
	o = body(&fx, "audit named after", 200);
	assert_true(items(o) >= 2); /* the chat command line and the API call */
	assert_null(strstr(json_object_to_json_string(o), "panel-secret"));
	json_object_put(o);

	/* metrics the API keeps */
	assert_non_null(strstr(fx.metrics_text, "xio_api_request_seconds_bucket{route=\"consiliums\""));
	assert_non_null(strstr(fx.metrics_text, "xio_api_requests_total{route=\"consiliums\",code=\"401\"}"));
	assert_non_null(strstr(fx.metrics_text, "xio_stream_delivery_seconds_count"));
	assert_non_null(strstr(fx.metrics_text, "xio_chat_messages_total{platform=\"console\",direction=\"in\"}"));
	assert_non_null(strstr(fx.metrics_text, "xio_stream_events_total{type=\"run_status\"}"));

	check_against_openapi(&fx);
	fx_release(&fx);
}

/* The seq of each frame, in order; returns how many. */
static size_t frame_seqs(const struct wsc_conn *c, long long after, long long *out, size_t max)
{
	size_t i, n = 0;

	for (i = 0; i < c->nframes; i++) {
		json_object *o = json_tokener_parse(c->frames[i]), *v;

		assert_non_null(o);
		assert_true(json_object_object_get_ex(o, "seq", &v));
		if (json_object_get_int64(v) > after) {
			assert_true(n < max);
			out[n++] = json_object_get_int64(v);
		}
		json_object_put(o);
	}
	return n;
}

static void test_stream_slow_client(void **state)
{
	struct fx fx;
	long long *want, *got;
	size_t nwant = 0, ngot = 0, nslow, i, max = 20000, resumed_bytes = 0;

	(void)state;
	fx_init(&fx, client_slow, SLOW_QUEUE, 1);
	fx_run(&fx);
	want = calloc(max, sizeof(*want));
	got = calloc(max, sizeof(*got));
	assert_true(want && got);
	if (fx.ws_slow.state == WSC_FAILED)
		fail_msg("slow client: %s", fx.ws_slow.error);
	assert_true(fx.slow_base > 0);
	/* dropped with a reason that says where to resume */
	if (!strstr(fx.ws_slow.error, "close 1008 too slow: reconnect with ?after="))
		fail_msg("slow client closed without the resume reason: '%s' (after %d messages, %zu frames)",
			 fx.ws_slow.error, fx.flood_sent, fx.ws_slow.nframes);
	assert_true(fx.slow_after > fx.slow_base);
	if (fx.ws_resume.state == WSC_FAILED)
		fail_msg("resume: %s", fx.ws_resume.error);
	/* what it got before the drop, then after the reconnect ... */
	nslow = frame_seqs(&fx.ws_slow, fx.slow_base, got, max);
	assert_true(nslow > 0);
	assert_int_equal(got[nslow - 1], fx.slow_after);
	ngot = nslow + frame_seqs(&fx.ws_resume, fx.slow_after, got + nslow, max - nslow);
	assert_true(ngot > nslow);
	/* the backlog was bigger than the queue: it went out as the client
	 * read, without a second drop */
	for (i = 0; i < fx.ws_resume.nframes; i++)
		resumed_bytes += strlen(fx.ws_resume.frames[i]);
	assert_true(resumed_bytes > SLOW_QUEUE);
	assert_null(strstr(fx.ws_resume.error, "close 1008"));
	/* ... is every event after the base, each once, in order */
	for (int r = 0; r < fx.nr; r++) {
		json_object *o, *it;

		if (strcmp(fx.r[r].label, "events page"))
			continue;
		o = body(&fx, "events page", 200);
		json_object_put(o);
		o = json_tokener_parse(fx.r[r].body);
		assert_non_null(o);
		assert_true(json_object_object_get_ex(o, "items", &it));
		for (i = 0; i < json_object_array_length(it); i++) {
			json_object *seq;

			assert_true(json_object_object_get_ex(json_object_array_get_idx(it, i), "seq",
							      &seq));
			assert_true(nwant < max);
			want[nwant++] = json_object_get_int64(seq);
		}
		json_object_put(o);
	}
	for (i = 0; i < nwant && i < ngot; i++)
		if (got[i] != want[i])
			fail_msg("event %zu: stream seq %lld, store seq %lld (%zu before the drop)", i,
				 got[i], want[i], nslow);
	if (ngot != nwant)
		fail_msg("stream delivered %zu events (%zu before the drop, the last %lld), the store holds %zu (the last %lld)",
			 ngot, nslow, ngot ? got[ngot - 1] : 0, nwant, nwant ? want[nwant - 1] : 0);
	check_against_openapi_n(&fx, 1);
	free(want);
	free(got);
	fx_release(&fx);
}

/* Only approved decisions are precedents, and only their tasks are open
 * work: a draft amended twice, a draft stopped in approval and an approved
 * decision.  decided_at is the approval, not the later /done; the
 * decision metrics take one sample at approval, none per /amend. */
static void test_decisions(void **state)
{
	const int64_t approved_at = 2000000000000LL;
	struct fx fx;
	json_object *o;

	(void)state;
	fx_init(&fx, client_decisions, 0, 1);
	/* 1: a draft, amended twice, never approved */
	inbound(&fx, "console:t1", "alice", "/decide", "d1");
	decision_ready(&fx, 1, "Adopt kubernetes", "Zed", 0.5);
	inbound(&fx, "console:t1", "alice", "/amend decision Adopt kubernetes for staging", "d2");
	inbound(&fx, "console:t1", "alice", "/amend task 1 owner Yan", "d3");
	/* 2: amended, then approved; its task is done a minute later */
	inbound(&fx, "slack:C1:100.1", "carol", "/decide", "d4");
	decision_ready(&fx, 2, "Use GitHub Actions", "Quinn", 0.7);
	inbound(&fx, "slack:C1:100.1", "carol", "/amend decision Use GitHub Actions everywhere", "d5");
	inbound_at(&fx, "slack:C1:100.1", "carol", "/approve", "d6", approved_at);
	inbound_at(&fx, "slack:C1:100.1", "carol", "/done 1", "d7", approved_at + 60000);
	/* 4: a draft stopped while awaiting approval */
	inbound(&fx, "slack:C12:200.1", "erin", "/consilium New pricing?", "d8");
	inbound(&fx, "slack:C12:200.1", "erin", "/decide", "d9");
	decision_ready(&fx, 4, "Raise pricing", "Pat", 0.9);
	inbound(&fx, "slack:C12:200.1", "erin", "/stop", "d10");
	fx_run(&fx);

	o = body(&fx, "tasks of draft", 200);
	assert_int_equal(items(o), 0);
	json_object_put(o);
	o = body(&fx, "tasks of approved", 200);
	assert_int_equal(items(o), 1);
	assert_int_equal(json_object_get_int64(field(o, "items.0.consilium_id")), 2);
	assert_string_equal(json_object_get_string(field(o, "items.0.status")), "done");
	json_object_put(o);
	o = body(&fx, "tasks of stopped", 200);
	assert_int_equal(items(o), 0);
	json_object_put(o);
	o = body(&fx, "all tasks", 200);
	assert_int_equal(items(o), 3); /* consilium 2's and the fixture's consilium 3's two */
	json_object_put(o);
	o = body(&fx, "search draft", 200);
	assert_int_equal(items(o), 0);
	json_object_put(o);
	o = body(&fx, "search approved", 200);
	assert_int_equal(items(o), 1);
	assert_int_equal(json_object_get_int64(field(o, "items.0.consilium_id")), 2);
	assert_string_equal(json_object_get_string(field(o, "items.0.status")), "approved");
	assert_int_equal(json_object_get_int64(field(o, "items.0.decided_at")), approved_at);
	json_object_put(o);
	o = body(&fx, "search stopped", 200);
	assert_int_equal(items(o), 0);
	json_object_put(o);
	/* one approval after the API started: one sample each, not three */
	assert_non_null(strstr(fx.metrics_text, "\nxio_time_to_decision_seconds_count 1\n"));
	assert_non_null(strstr(fx.metrics_text, "\nxio_task_confidence_count 1\n"));
	check_against_openapi_n(&fx, 7);
	fx_release(&fx);
}

/* Without tokens the routes exist and answer 403 naming the setting; a
 * reload that adds tokens works at once; one that drops a token closes
 * the streams opened with it (1008) and leaves the others. */
static void test_token_reload(void **state)
{
	struct fx fx;
	json_object *o;

	(void)state;
	fx_init(&fx, client_tokens, 0, 0);
	fx_run(&fx);
	o = body(&fx, "no tokens", 403);
	assert_non_null(strstr(json_object_get_string(field(o, "error")), "http.api_tokens"));
	json_object_put(o);
	json_object_put(body(&fx, "no tokens post", 403));
	json_object_put(body(&fx, "no tokens openapi", 200));
	assert_int_equal(fx.ws_before.state, WSC_FAILED);
	json_object_put(body(&fx, "tokens added", 200));
	json_object_put(body(&fx, "named added", 200));
	if (fx.ws_kept.state == WSC_FAILED || fx.ws_revoked.state == WSC_FAILED)
		fail_msg("streams: %s / %s", fx.ws_kept.error, fx.ws_revoked.error);
	assert_true(fx.ws_revoked.nframes > 0);
	assert_int_equal(fx.ws_revoked.state, WSC_CLOSED);
	if (!strstr(fx.ws_revoked.error, "close 1008 token revoked"))
		fail_msg("revoked stream: '%s'", fx.ws_revoked.error);
	assert_false(has_frame(&fx.ws_revoked, "\"chat_message\"", "after the revocation"));
	assert_true(has_frame(&fx.ws_kept, "\"chat_message\"", "after the revocation"));
	json_object_put(body(&fx, "panel revoked", 401));
	check_against_openapi_n(&fx, 5);
	fx_release(&fx);
}

static void test_params(void **state)
{
	int64_t id, v;

	(void)state;
	assert_int_equal(xio_api_parse_path("/api/consiliums", &id), XIO_API_CONSILIUMS);
	assert_int_equal(xio_api_parse_path("/api/consiliums/42", &id), XIO_API_CONSILIUM);
	assert_int_equal(id, 42);
	assert_int_equal(xio_api_parse_path("/api/consiliums/42/events", &id), XIO_API_EVENTS);
	assert_int_equal(xio_api_parse_path("/api/consiliums/42/events/", &id), XIO_API_NONE);
	/* a route with a malformed id is a 400, not a missing resource */
	assert_int_equal(xio_api_parse_path("/api/consiliums/0", &id), XIO_API_BAD_ID);
	assert_int_equal(xio_api_parse_path("/api/consiliums/-1", &id), XIO_API_BAD_ID);
	assert_int_equal(xio_api_parse_path("/api/consiliums/1234567890123456789", &id),
			 XIO_API_BAD_ID);
	assert_int_equal(xio_api_parse_path("/api/consiliums/abc/messages", &id), XIO_API_BAD_ID);
	assert_int_equal(id, 0);
	assert_int_equal(xio_api_parse_path("/api/consiliums/abc/nope", &id), XIO_API_NONE);
	assert_int_equal(xio_api_parse_path("/api/consiliums//messages", &id), XIO_API_NONE);
	assert_int_equal(xio_api_parse_int("12", 1, 20, &v), 0);
	assert_int_equal(v, 12);
	assert_int_equal(xio_api_parse_int("21", 1, 20, &v), XIO_EINVAL);
	assert_int_equal(xio_api_parse_int("", 1, 20, &v), XIO_EINVAL);
	assert_int_equal(xio_api_parse_int("+1", 1, 20, &v), XIO_EINVAL);
	assert_int_equal(xio_api_parse_int("-1", 0, 20, &v), XIO_EINVAL);
	assert_int_equal(xio_api_parse_int("99999999999999999999", 0, INT64_MAX, &v), XIO_EINVAL);
	assert_int_equal(xio_api_parse_time("2024-05-01T12:00:00Z", &v), 0);
	assert_int_equal(v, 1714564800000LL);
	assert_int_equal(xio_api_parse_time("2024-05-01", &v), 0);
	assert_int_equal(v, 1714521600000LL);
	assert_int_equal(xio_api_parse_time("1714521600000", &v), 0);
	assert_int_equal(xio_api_parse_time("2024-05-01T12:00:00+02:00", &v), XIO_EINVAL);
	assert_int_equal(xio_api_parse_time("2024-13-01", &v), XIO_EINVAL);
	assert_true(xio_api_text_ok("Дана", 80, 0));
	assert_false(xio_api_text_ok("a\nb", 80, 0));
	assert_true(xio_api_text_ok("a\nb", 80, 1));
	assert_false(xio_api_text_ok("\xed\xa0\x80", 80, 0)); /* a surrogate */
	assert_false(xio_api_text_ok("\xc0\xaf", 80, 0));     /* overlong */
	assert_false(xio_api_text_ok("", 80, 0));
	assert_true(xio_api_token_equal("abc", "abc"));
	assert_false(xio_api_token_equal("abcd", "abc"));
	assert_false(xio_api_token_equal("ab", "abc"));
	assert_false(xio_api_token_equal("", ""));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_params),
		cmocka_unit_test(test_api),
		cmocka_unit_test(test_stream_slow_client),
		cmocka_unit_test(test_decisions),
		cmocka_unit_test(test_token_reload),
	};

	curl_global_init(CURL_GLOBAL_DEFAULT);
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	curl_global_cleanup();
	return rc;
}
