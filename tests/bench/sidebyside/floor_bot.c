/*
 * floor_bot.c — the floor of the side-by-side benchmark: the least a bot can
 * do on this transport (Telegram Bot API over HTTP long polling, libcurl,
 * json-c, SQLite), so the table shows how far above it XIO and the npm peers
 * sit in CPU per update, idle RSS and cold start.
 *
 * It does what the peers do (peers/store.js, peers/telegraf_bot.js) and
 * nothing else: every message is stored in SQLite (WAL, synchronous=NORMAL,
 * one INSERT OR IGNORE per message, each its own transaction) before it is
 * answered with a sendMessage replying to it.  No framework: one process,
 * one thread, one curl multi handle driven by curl_multi_poll.
 *
 * One easy handle does the long polling (getUpdates with offset, limit 100,
 * timeout 30 s).  As soon as a batch is stored the next poll goes out; the
 * replies of the batch queue for a pool of FLOOR_SENDS easy handles, so at
 * most that many sendMessage calls are in flight.  Easy handles are reused
 * and the multi keeps their connections alive, so an update costs two HTTP
 * exchanges on open connections and one SQLite commit.
 *
 * Environment: FAKE_TG_URL (required; e.g. http://127.0.0.1:8081, the bot
 * calls FAKE_TG_URL/bot<token>/<method> as telegraf does with apiRoot),
 * PEER_TOKEN (default 123:ABC), PEER_DB (default floor.db).
 * Exit: 0 after SIGTERM or SIGINT; 1 when it cannot start.
 */

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <json-c/json.h>
#include <sqlite3.h>

#define FLOOR_SENDS 16                  /* sendMessage calls in flight, at most */
#define FLOOR_POLL_TIMEOUT_S 30         /* getUpdates long-poll timeout */
#define FLOOR_POLL_LIMIT 100
#define FLOOR_QUERY_MAX 64              /* room for getUpdates' query string */
#define FLOOR_RETRY_MS 100              /* after a failed getUpdates */
#define FLOOR_TICK_MS 200               /* how soon a signal is noticed */
#define FLOOR_CONNECT_TIMEOUT_MS 10000L
#define FLOOR_SEND_TIMEOUT_MS 30000L
#define FLOOR_POLL_MAX_BODY (16u << 20) /* 100 updates of 4,096 characters fit */
#define FLOOR_SEND_MAX_BODY (64u << 10)

/* A growable body buffer with a hard cap; always NUL-terminated once used. */
struct buf {
	char *p;
	size_t len, cap, max;
};

/* One reusable easy handle and what its transfer needs to outlive the
 * call that started it (curl does not copy CURLOPT_POSTFIELDS). */
struct xfer {
	CURL *easy;
	struct buf body;
	const char *method;  /* for the log */
	long long chat_id;   /* sendMessage: for the log */
	char post[128];
};

struct reply {
	long long chat_id, message_id;
};

struct floor {
	CURLM *multi;
	struct curl_slist *json_hdr;
	char *url_poll;             /* FAKE_TG_URL/bot<token>/getUpdates?... */
	size_t url_poll_base;       /* length up to and including "getUpdates" */
	char *url_send;
	struct xfer poll;
	int polling;                /* poll's handle is in the multi */
	long long offset;           /* next update_id wanted */
	double retry_at;            /* no poll before this (monotonic s) */
	struct xfer send[FLOOR_SENDS];
	int idle[FLOOR_SENDS];      /* indices of send[] not in the multi */
	int nidle;
	struct reply *q;            /* replies waiting for a handle: q[qhead..qlen) */
	size_t qhead, qlen, qcap;
	sqlite3 *db;
	sqlite3_stmt *ins;
	json_tokener *tok;
};

static volatile sig_atomic_t stop_requested;

static void stop_cb(int sig)
{
	(void)sig;
	stop_requested = 1;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- buffers and the reply queue ---- */

static int buf_add(struct buf *b, const char *data, size_t len)
{
	if (len > b->max - b->len)
		return -1;
	if (b->len + len + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		char *p;

		while (cap < b->len + len + 1)
			cap *= 2;
		p = realloc(b->p, cap);
		if (!p)
			return -1;
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, data, len);
	b->len += len;
	b->p[b->len] = '\0';
	return 0;
}

/* Returning less than asked makes curl fail the transfer (CURLE_WRITE_ERROR):
 * that is how an answer over the cap or out of memory ends. */
static size_t write_cb(char *data, size_t size, size_t n, void *ud)
{
	return buf_add(ud, data, size * n) < 0 ? 0 : size * n;
}

static int queue_push(struct floor *f, long long chat_id, long long message_id)
{
	if (f->qlen == f->qcap) {
		if (f->qhead > 0) {
			/* reuse the room the sent ones left before growing */
			memmove(f->q, f->q + f->qhead, (f->qlen - f->qhead) * sizeof(*f->q));
			f->qlen -= f->qhead;
			f->qhead = 0;
		} else {
			size_t cap = f->qcap ? f->qcap * 2 : 256;
			struct reply *q = realloc(f->q, cap * sizeof(*q));

			if (!q)
				return -1;
			f->q = q;
			f->qcap = cap;
		}
	}
	f->q[f->qlen].chat_id = chat_id;
	f->q[f->qlen].message_id = message_id;
	f->qlen++;
	return 0;
}

/* ---- transfers ---- */

static int xfer_init(struct xfer *x, const char *method, size_t max_body)
{
	x->method = method;
	x->body.max = max_body;
	x->easy = curl_easy_init();
	if (!x->easy)
		return -1;
	curl_easy_setopt(x->easy, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(x->easy, CURLOPT_WRITEFUNCTION, write_cb);
	curl_easy_setopt(x->easy, CURLOPT_WRITEDATA, &x->body);
	curl_easy_setopt(x->easy, CURLOPT_PRIVATE, x);
	curl_easy_setopt(x->easy, CURLOPT_CONNECTTIMEOUT_MS, FLOOR_CONNECT_TIMEOUT_MS);
	return 0;
}

static void xfer_release(struct floor *f, struct xfer *x, int in_multi)
{
	if (x->easy && in_multi)
		curl_multi_remove_handle(f->multi, x->easy);
	curl_easy_cleanup(x->easy);
	free(x->body.p);
}

/* 0 when the transfer ended with a 200 answer; otherwise -1 and the reason
 * logged under the method (never the URL: it holds the token). */
static int xfer_check(const struct xfer *x, CURLcode rc)
{
	long status = 0;

	if (rc == CURLE_OK) {
		curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &status);
		if (status == 200)
			return 0;
	}
	if (x->chat_id)
		fprintf(stderr, "floor_bot: %s to chat %lld: ", x->method, x->chat_id);
	else
		fprintf(stderr, "floor_bot: %s: ", x->method);
	if (rc != CURLE_OK)
		fprintf(stderr, "%s\n", curl_easy_strerror(rc));
	else
		fprintf(stderr, "HTTP %ld: %.200s\n", status, x->body.p ? x->body.p : "");
	return -1;
}

static void start_poll(struct floor *f)
{
	snprintf(f->url_poll + f->url_poll_base, FLOOR_QUERY_MAX, "?offset=%lld&limit=%d&timeout=%d",
		 f->offset, FLOOR_POLL_LIMIT, FLOOR_POLL_TIMEOUT_S);
	curl_easy_setopt(f->poll.easy, CURLOPT_URL, f->url_poll);
	f->poll.body.len = 0;
	if (curl_multi_add_handle(f->multi, f->poll.easy) != CURLM_OK) {
		fprintf(stderr, "floor_bot: getUpdates: cannot start the transfer\n");
		f->retry_at = now_s() + FLOOR_RETRY_MS / 1000.0;
		return;
	}
	f->polling = 1;
}

/* Hands waiting replies to idle send handles, the most recently used first
 * (its connection is the surest to be still open). */
static void start_sends(struct floor *f)
{
	while (f->nidle > 0 && f->qhead < f->qlen) {
		struct reply *r = &f->q[f->qhead];
		struct xfer *x = &f->send[f->idle[f->nidle - 1]];
		int n;

		n = snprintf(x->post, sizeof(x->post),
			     "{\"chat_id\":%lld,\"text\":\"Noted.\","
			     "\"reply_parameters\":{\"message_id\":%lld}}",
			     r->chat_id, r->message_id);
		x->chat_id = r->chat_id;
		x->body.len = 0;
		curl_easy_setopt(x->easy, CURLOPT_POSTFIELDSIZE, (long)n);
		if (curl_multi_add_handle(f->multi, x->easy) != CURLM_OK) {
			/* leave it queued; the next round tries again */
			fprintf(stderr, "floor_bot: sendMessage: cannot start the transfer\n");
			return;
		}
		f->nidle--;
		if (++f->qhead == f->qlen)
			f->qhead = f->qlen = 0;
	}
}

/* ---- the store ---- */

static int db_open(struct floor *f, const char *path)
{
	static const char setup[] =
		"PRAGMA journal_mode=WAL;"
		"PRAGMA synchronous=NORMAL;"
		"CREATE TABLE IF NOT EXISTS messages ("
		" chat_id INTEGER NOT NULL, message_id INTEGER NOT NULL,"
		" user_id INTEGER, text TEXT, date INTEGER,"
		" PRIMARY KEY (chat_id, message_id))";
	char *msg = NULL;

	if (sqlite3_open(path, &f->db) != SQLITE_OK) {
		fprintf(stderr, "floor_bot: cannot open the database %s: %s\n", path,
			f->db ? sqlite3_errmsg(f->db) : "out of memory");
		return -1;
	}
	if (sqlite3_exec(f->db, setup, NULL, NULL, &msg) != SQLITE_OK) {
		fprintf(stderr, "floor_bot: cannot set up the database %s: %s\n", path,
			msg ? msg : sqlite3_errmsg(f->db));
		sqlite3_free(msg);
		return -1;
	}
	if (sqlite3_prepare_v2(f->db, "INSERT OR IGNORE INTO messages VALUES (?, ?, ?, ?, ?)",
			       -1, &f->ins, NULL) != SQLITE_OK) {
		fprintf(stderr, "floor_bot: database %s: %s\n", path, sqlite3_errmsg(f->db));
		return -1;
	}
	return 0;
}

static void bind_int_or_null(sqlite3_stmt *st, int i, struct json_object *v)
{
	if (v && json_object_is_type(v, json_type_int))
		sqlite3_bind_int64(st, i, json_object_get_int64(v));
	else
		sqlite3_bind_null(st, i);
}

/* Stores one message and queues its reply.  Autocommit makes each INSERT its
 * own transaction, committed to the WAL before the reply is queued, as
 * store.js does.  A message that cannot be stored is logged and not
 * answered. */
static void on_message(struct floor *f, struct json_object *m)
{
	struct json_object *chat = NULL, *id = NULL, *mid = NULL, *from = NULL;
	struct json_object *uid = NULL, *text = NULL, *date = NULL;
	int rc;

	if (!json_object_object_get_ex(m, "chat", &chat) ||
	    !json_object_object_get_ex(chat, "id", &id) ||
	    !json_object_object_get_ex(m, "message_id", &mid) ||
	    !json_object_is_type(id, json_type_int) || !json_object_is_type(mid, json_type_int)) {
		fprintf(stderr, "floor_bot: getUpdates: a message without chat.id or message_id\n");
		return;
	}
	if (json_object_object_get_ex(m, "from", &from))
		json_object_object_get_ex(from, "id", &uid);
	json_object_object_get_ex(m, "text", &text);
	json_object_object_get_ex(m, "date", &date);

	sqlite3_bind_int64(f->ins, 1, json_object_get_int64(id));
	sqlite3_bind_int64(f->ins, 2, json_object_get_int64(mid));
	bind_int_or_null(f->ins, 3, uid);
	/* json-c owns the text until the batch is released, after the step */
	if (text && json_object_is_type(text, json_type_string))
		sqlite3_bind_text(f->ins, 4, json_object_get_string(text),
				  json_object_get_string_len(text), SQLITE_STATIC);
	else
		sqlite3_bind_text(f->ins, 4, "", 0, SQLITE_STATIC);
	bind_int_or_null(f->ins, 5, date);
	rc = sqlite3_step(f->ins);
	sqlite3_reset(f->ins);
	if (rc != SQLITE_DONE) {
		fprintf(stderr, "floor_bot: storing message %lld of chat %lld: %s\n",
			(long long)json_object_get_int64(mid), (long long)json_object_get_int64(id),
			sqlite3_errmsg(f->db));
		return;
	}
	if (queue_push(f, json_object_get_int64(id), json_object_get_int64(mid)) < 0)
		fprintf(stderr, "floor_bot: out of memory; message %lld of chat %lld not answered\n",
			(long long)json_object_get_int64(mid), (long long)json_object_get_int64(id));
}

/* A getUpdates answer: every message stored and its reply queued, the offset
 * moved past the batch.  0, or -1 (logged) when the answer is unusable. */
static int on_updates(struct floor *f)
{
	struct json_object *root = NULL, *ok = NULL, *result = NULL;
	size_t i, n;
	int rc = -1;

	json_tokener_reset(f->tok);
	root = json_tokener_parse_ex(f->tok, f->poll.body.p ? f->poll.body.p : "",
				     (int)f->poll.body.len);
	if (!root || json_tokener_get_error(f->tok) != json_tokener_success) {
		fprintf(stderr, "floor_bot: getUpdates: bad JSON: %.200s\n",
			f->poll.body.p ? f->poll.body.p : "");
		goto out;
	}
	if (!json_object_object_get_ex(root, "ok", &ok) || !json_object_get_boolean(ok) ||
	    !json_object_object_get_ex(root, "result", &result) ||
	    !json_object_is_type(result, json_type_array)) {
		fprintf(stderr, "floor_bot: getUpdates: unexpected answer: %.200s\n", f->poll.body.p);
		goto out;
	}
	n = json_object_array_length(result);
	for (i = 0; i < n; i++) {
		struct json_object *u = json_object_array_get_idx(result, i);
		struct json_object *uid = NULL, *m = NULL;

		if (!json_object_object_get_ex(u, "update_id", &uid) ||
		    !json_object_is_type(uid, json_type_int)) {
			fprintf(stderr, "floor_bot: getUpdates: an update without update_id\n");
			continue;
		}
		/* updates other than new messages are skipped, as the peers'
		 * on('message') skips them */
		if (json_object_object_get_ex(u, "message", &m))
			on_message(f, m);
		if (json_object_get_int64(uid) >= f->offset)
			f->offset = json_object_get_int64(uid) + 1;
	}
	rc = 0;
out:
	json_object_put(root);
	return rc;
}

/* Takes the finished transfers out of the multi. */
static void drain(struct floor *f)
{
	CURLMsg *msg;
	int left;

	while ((msg = curl_multi_info_read(f->multi, &left))) {
		CURLcode rc;
		char *priv = NULL;
		struct xfer *x;

		if (msg->msg != CURLMSG_DONE)
			continue;
		rc = msg->data.result;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &priv);
		x = (struct xfer *)priv;
		/* msg is invalid once its handle has left the multi */
		curl_multi_remove_handle(f->multi, x->easy);
		if (x == &f->poll) {
			f->polling = 0;
			if (xfer_check(x, rc) < 0 || on_updates(f) < 0)
				f->retry_at = now_s() + FLOOR_RETRY_MS / 1000.0;
		} else {
			/* the answer's body is not needed: the status says
			 * whether the reply was taken */
			xfer_check(x, rc);
			f->idle[f->nidle++] = (int)(x - f->send);
		}
	}
}

/* ---- set-up and the loop ---- */

static int setup(struct floor *f, const char *api, const char *token, const char *db)
{
	size_t n = strlen(api) + strlen(token) + 64;
	int i;

	f->url_poll = malloc(n + FLOOR_QUERY_MAX);
	f->url_send = malloc(n);
	if (!f->url_poll || !f->url_send) {
		fprintf(stderr, "floor_bot: out of memory\n");
		return -1;
	}
	f->url_poll_base = (size_t)snprintf(f->url_poll, n, "%s/bot%s/getUpdates", api, token);
	snprintf(f->url_send, n, "%s/bot%s/sendMessage", api, token);
	if (db_open(f, db) < 0)
		return -1;
	f->tok = json_tokener_new();
	f->json_hdr = curl_slist_append(NULL, "Content-Type: application/json");
	f->multi = curl_multi_init();
	if (!f->tok || !f->json_hdr || !f->multi ||
	    xfer_init(&f->poll, "getUpdates", FLOOR_POLL_MAX_BODY) < 0) {
		fprintf(stderr, "floor_bot: out of memory\n");
		return -1;
	}
	/* keep a connection for every handle alive between transfers */
	curl_multi_setopt(f->multi, CURLMOPT_MAXCONNECTS, (long)FLOOR_SENDS + 1);
	curl_easy_setopt(f->poll.easy, CURLOPT_TIMEOUT_MS,
			 (FLOOR_POLL_TIMEOUT_S + 10) * 1000L);
	for (i = 0; i < FLOOR_SENDS; i++) {
		struct xfer *x = &f->send[i];

		if (xfer_init(x, "sendMessage", FLOOR_SEND_MAX_BODY) < 0) {
			fprintf(stderr, "floor_bot: out of memory\n");
			return -1;
		}
		curl_easy_setopt(x->easy, CURLOPT_URL, f->url_send);
		curl_easy_setopt(x->easy, CURLOPT_HTTPHEADER, f->json_hdr);
		curl_easy_setopt(x->easy, CURLOPT_POSTFIELDS, x->post);
		curl_easy_setopt(x->easy, CURLOPT_TIMEOUT_MS, FLOOR_SEND_TIMEOUT_MS);
		f->idle[f->nidle++] = i;
	}
	return 0;
}

static void teardown(struct floor *f)
{
	int busy[FLOOR_SENDS] = {0};
	int i;

	for (i = 0; i < f->nidle; i++)
		busy[f->idle[i]] = -1;
	for (i = 0; i < FLOOR_SENDS; i++)
		xfer_release(f, &f->send[i], busy[i] == 0);
	xfer_release(f, &f->poll, f->polling);
	curl_multi_cleanup(f->multi);
	curl_slist_free_all(f->json_hdr);
	if (f->tok)
		json_tokener_free(f->tok);
	sqlite3_finalize(f->ins);
	sqlite3_close(f->db);
	free(f->q);
	free(f->url_poll);
	free(f->url_send);
}

int main(void)
{
	struct floor f;
	struct sigaction sa;
	const char *api = getenv("FAKE_TG_URL");
	const char *token = getenv("PEER_TOKEN");
	const char *db = getenv("PEER_DB");
	int rc = 1;

	memset(&f, 0, sizeof(f));
	if (!api || !*api) {
		fprintf(stderr, "floor_bot: FAKE_TG_URL is not set (the Bot API root, "
			"e.g. http://127.0.0.1:8081)\n");
		return 1;
	}
	if (!token || !*token)
		token = "123:ABC";
	if (!db || !*db)
		db = "floor.db";
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = stop_cb;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		fprintf(stderr, "floor_bot: curl_global_init failed\n");
		return 1;
	}
	if (setup(&f, api, token, db) < 0)
		goto out;

	while (!stop_requested) {
		int running, wait_ms = FLOOR_TICK_MS;
		CURLMcode mc;

		if (!f.polling) {
			double left = f.retry_at - now_s();

			if (left <= 0)
				start_poll(&f);
			else if (left * 1000 < wait_ms)
				wait_ms = (int)(left * 1000) + 1;
		}
		start_sends(&f);
		/* handles just added have a 0 ms timer: the poll returns at
		 * once and the perform below starts them */
		mc = curl_multi_poll(f.multi, NULL, 0, wait_ms, NULL);
		if (mc == CURLM_OK)
			mc = curl_multi_perform(f.multi, &running);
		if (mc != CURLM_OK) {
			fprintf(stderr, "floor_bot: curl multi: %s\n", curl_multi_strerror(mc));
			goto out;
		}
		drain(&f);
	}
	rc = 0;
out:
	teardown(&f);
	curl_global_cleanup();
	return rc;
}
