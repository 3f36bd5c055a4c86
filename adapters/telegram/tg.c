/*
 * tg.c — the Telegram adapter: start-up calls, long polling, the webhook
 * route, routing updates to consiliums, and paced, crash-safe sending.
 *
 * Everything runs on the loop.  Bot API calls go through the shared HTTP
 * client with a single attempt each: the adapter decides itself what a
 * failure means (a 429 is waited out, a migrated chat followed, a 5xx handed
 * back to the outbox as XIO_EAGAIN).  Durable adapter state lives in the
 * store's kv table:
 *
 *   tg:offset:<bot>          the next getUpdates offset
 *   tg:sent:<outbox key>     {"chat","ids":[message_id per part]} of a post
 *   tg:msg:<chat>:<msg id>   the consilium a platform message belongs to
 *   tg:migrated:<chat>       the supergroup id a group moved to
 *   tg:ambiguous:<chat>      "1" once the bot said it cannot attribute
 *   tg:top:<chat>            the highest message id known in the chat
 *
 * The delivery check after a crash is in tg_probe.c.
 */
#include "tg_internal.h"
#include "buf.h"
#include "commands.h"
#include "http_client.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define PART_MAX 4000          /* below Telegram's 4096, room for the prefix */
#define MAX_429_WAITS 8        /* then the outbox takes over */
#define BACKOFF_MAX_MS 30000

/* ---- small helpers --------------------------------------------------- */

int64_t xio_tg_now_ms(struct xio_tg *tg)
{
	(void)tg;
	return xio_clock_now(&xio_clock_system);
}

char *xio_tg_kv_get(struct xio_tg *tg, const char *key)
{
	struct xio_err err;
	char *v = NULL;
	int rc = tg->store->ops->kv_get(tg->store->impl, key, &v, &err);

	if (rc && rc != XIO_ENOTFOUND)
		xio_logf(tg->log, XIO_LOG_ERROR, "telegram", "store: %s", err.msg);
	return rc ? NULL : v;
}

/* Writes one value (inside the caller's transaction, if one is open). */
static int kv_put(struct xio_tg *tg, const char *key, const char *value, struct xio_err *err)
{
	return tg->store->ops->kv_put(tg->store->impl, key, value, err);
}

static const char *jstr(json_object *o, const char *k)
{
	json_object *v;

	if (!o || !json_object_object_get_ex(o, k, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static int jint(json_object *o, const char *k, int64_t *out)
{
	json_object *v;

	if (!o || !json_object_object_get_ex(o, k, &v) || !json_object_is_type(v, json_type_int))
		return 0;
	*out = json_object_get_int64(v);
	return 1;
}

void xio_tg_envelope_read(const struct xio_http_response *r, struct envelope *e)
{
	json_object *params;

	memset(e, 0, sizeof(*e));
	e->status = r->status;
	e->description = r->error_msg && *r->error_msg ? r->error_msg : "no response";
	if (r->error)
		return;
	e->root = json_tokener_parse(r->body);
	if (!e->root || !json_object_is_type(e->root, json_type_object)) {
		e->description = "the Bot API answered with something that is not JSON";
		return;
	}
	json_object_object_get_ex(e->root, "result", &e->result);
	{
		json_object *ok;

		e->ok = json_object_object_get_ex(e->root, "ok", &ok) && json_object_get_boolean(ok);
	}
	jint(e->root, "error_code", &e->error_code);
	if (jstr(e->root, "description"))
		e->description = jstr(e->root, "description");
	if (json_object_object_get_ex(e->root, "parameters", &params)) {
		jint(params, "retry_after", &e->retry_after);
		jint(params, "migrate_to_chat_id", &e->migrate_to);
	}
	if (!e->ok && !e->error_code)
		e->error_code = r->status;
}

void xio_tg_envelope_release(struct envelope *e)
{
	json_object_put(e->root);
	e->root = NULL;
}

/* Sends method with body (borrowed) as bot; cb gets ud. */
int xio_tg_api_call(struct xio_tg *tg, const struct bot *b, const char *method, json_object *body,
		    int64_t timeout_ms, xio_http_done_cb cb, void *ud, uint64_t *id)
{
	struct xio_http_request req = { 0 };
	struct xio_err err;
	char url[1024], log_url[64];
	int rc;

	snprintf(url, sizeof(url), "%s/bot%s/%s", tg->api_url, b->token, method);
	snprintf(log_url, sizeof(log_url), "telegram %s", method);
	req.method = "POST";
	req.url = url;
	req.log_url = log_url;
	req.max_attempts = 1;
	req.timeout_ms = timeout_ms;
	req.max_body = 4u << 20;
	rc = xio_http_send_json(tg->http, &req, body, cb, ud, id, &err);
	if (rc)
		xio_logf(tg->log, XIO_LOG_ERROR, "telegram", "%s", err.msg);
	return rc;
}

/* ---- pacing ------------------------------------------------------------ */

static struct pace *pace_get(struct xio_tg *tg, const struct bot *b, const char *chat)
{
	char key[64];
	unsigned h = 5381;
	struct pace *p;
	const char *s;

	snprintf(key, sizeof(key), "%s:%s", b->id, chat);
	for (s = key; *s; s++)
		h = h * 33 + (unsigned char)*s;
	h %= PACE_BUCKETS;
	for (p = tg->pace[h]; p; p = p->next)
		if (!strcmp(p->key, key))
			return p;
	p = calloc(1, sizeof(*p));
	if (!p || !(p->key = strdup(key))) {
		free(p);
		return NULL;
	}
	p->next = tg->pace[h];
	tg->pace[h] = p;
	return p;
}

int64_t xio_tg_max64(int64_t a, int64_t b)
{
	return a > b ? a : b;
}

/* The highest message id known in chat (0: none). */
int64_t xio_tg_chat_top(struct xio_tg *tg, const char *chat)
{
	struct pace *p = pace_get(tg, &tg->main, chat);
	char k[64], *v;
	int64_t top;

	if (p && p->top_loaded)
		return p->top;
	snprintf(k, sizeof(k), "tg:top:%s", chat);
	v = xio_tg_kv_get(tg, k);
	top = v ? strtoll(v, NULL, 10) : 0;
	free(v);
	if (p) {
		p->top = top;
		p->top_loaded = 1;
	}
	return top;
}

static void remember_sent(struct xio_tg *tg, const char *chat, int64_t message_id)
{
	struct pace *p = pace_get(tg, &tg->main, chat);

	if (p)
		p->recent[p->nrecent++ % XIO_ARRAY_LEN(p->recent)] = message_id;
}

int xio_tg_sent_lately(struct xio_tg *tg, const char *chat, int64_t message_id)
{
	struct pace *p = pace_get(tg, &tg->main, chat);
	size_t i;

	for (i = 0; p && i < XIO_ARRAY_LEN(p->recent); i++)
		if (p->recent[i] == message_id)
			return 1;
	return 0;
}

/* Raises chat's top to message_id; returns 1 when it rose (the caller
 * stores tg:top:<chat>). */
int xio_tg_raise_top(struct xio_tg *tg, const char *chat, int64_t message_id)
{
	struct pace *p;

	if (message_id <= xio_tg_chat_top(tg, chat))
		return 0;
	p = pace_get(tg, &tg->main, chat);
	if (p)
		p->top = message_id;
	return 1;
}

/* Reserves the next slot for one message of bot b into chat: at least
 * chat_interval after the last one there, group_interval in a group (chat
 * ids of groups are negative), bot_interval after the bot's last one. */
static int64_t pace_reserve(struct xio_tg *tg, struct bot *b, const char *chat)
{
	struct pace *p = pace_get(tg, b, chat);
	int group = chat[0] == '-';
	/* in µs, as the intervals are: "now" in whole milliseconds put a slot
	 * a few µs after the last one into the next millisecond, and every
	 * such send waited for a timer */
	int64_t now = xio_clock_wall_us(), t = xio_tg_max64(now, b->tat);

	if (p) {
		t = xio_tg_max64(t, p->tat_chat);
		if (group)
			t = xio_tg_max64(t, p->tat_group);
		p->tat_chat = t + tg->chat_interval_us;
		if (group)
			p->tat_group = t + tg->group_interval_us;
	}
	b->tat = t + tg->bot_interval_us;
	return t <= now ? now / 1000 : (t + 999) / 1000;
}

/* Telegram said "retry after": nothing goes to that chat before then. */
static void pace_hold(struct xio_tg *tg, struct bot *b, const char *chat, int64_t until_ms)
{
	struct pace *p = pace_get(tg, b, chat);

	if (p) {
		p->tat_chat = xio_tg_max64(p->tat_chat, until_ms * 1000);
		p->tat_group = xio_tg_max64(p->tat_group, until_ms * 1000);
	}
}

/* ---- sending ------------------------------------------------------------ */

static void arm_send_timer(struct xio_tg *tg);
static void send_timer_cb(uv_timer_t *t);

static void send_free(struct send *s)
{
	xio_tg_parts_free(s->parts, s->nparts);
	json_object_put(s->ids);
	free(s->key);
	free(s->chat);
	free(s->thread);
	free(s);
}

static void send_finish(struct send *s, int rc, int64_t retry_after_ms, const char *msg)
{
	struct xio_tg *tg = s->tg;
	const char *result = NULL;
	json_object *res = NULL;

	if (s->prev)
		s->prev->next = s->next;
	else
		tg->sends = s->next;
	if (s->next)
		s->next->prev = s->prev;
	if (rc == 0) {
		res = json_object_new_object();
		if (res) {
			json_object_object_add(res, "chat", json_object_new_string(s->chat));
			json_object_object_add(res, "message_id",
					       json_object_get(json_object_array_get_idx(s->ids, 0)));
			json_object_object_add(res, "message_ids", json_object_get(s->ids));
			result = json_object_to_json_string_ext(res, JSON_C_TO_STRING_PLAIN);
		}
	}
	s->cb(s->ud, rc, retry_after_ms, result, msg);
	json_object_put(res);
	send_free(s);
}

/* The persona's bot, or the main bot (then *prefix is set). */
struct bot *xio_tg_bot_for(struct xio_tg *tg, const char *persona_id)
{
	size_t i;

	for (i = 0; persona_id && i < tg->npbots; i++)
		if (!strcmp(tg->pbots[i].persona_id, persona_id))
			return &tg->pbots[i];
	return &tg->main;
}

/* Slack-style icon names of the built-in personas, as emoji. */
static const char *icon_emoji(const char *icon)
{
	static const char *const map[][2] = {
		{ ":compass:", "\xf0\x9f\xa7\xad" },
		{ ":building_construction:", "\xf0\x9f\x8f\x97" },
		{ ":chart_with_upwards_trend:", "\xf0\x9f\x93\x88" },
		{ ":jigsaw:", "\xf0\x9f\xa7\xa9" },
		{ ":memo:", "\xf0\x9f\x93\x9d" },
		{ ":shield:", "\xf0\x9f\x9b\xa1" },
		{ ":bulb:", "\xf0\x9f\x92\xa1" },
		{ ":scales:", "\xe2\x9a\x96" },
	};
	size_t i;

	for (i = 0; icon && i < sizeof(map) / sizeof(map[0]); i++)
		if (!strcmp(icon, map[i][0]))
			return map[i][1];
	/* a URL cannot be shown inline; an unknown :name: would read as noise */
	return NULL;
}

/* Renders p into HTML parts for bot b. */
int xio_tg_render_parts(const struct xio_post *p, const struct bot *b, char ***out, size_t *n)
{
	char prefix[256];
	char **plain = NULL;
	size_t np = 0, i;
	const char *emoji;
	int rc;

	*out = NULL;
	*n = 0;
	prefix[0] = '\0';
	if (!b->persona_id && p->persona_name && *p->persona_name) {
		emoji = icon_emoji(p->icon);
		snprintf(prefix, sizeof(prefix), "%s%s%s", emoji ? emoji : "", emoji ? " " : "",
			 p->persona_name);
	}
	rc = xio_tg_split(p->text, PART_MAX - strlen(prefix), &plain, &np);
	if (rc)
		return rc;
	for (i = 0; i < np; i++) {
		char *h = xio_tg_html(plain[i], prefix);

		if (!h) {
			while (i)
				free(plain[--i]);
			/* plain[i..] still hold text */
			xio_tg_parts_free(plain, np);
			return XIO_ENOMEM;
		}
		free(plain[i]);
		plain[i] = h;
	}
	*out = plain;
	*n = np;
	return 0;
}

/* Follows a chat's migrations (a group that became a supergroup). */
char *xio_tg_resolve_chat(struct xio_tg *tg, const char *chat)
{
	char *cur = strdup(chat), key[64];
	int hops;

	for (hops = 0; cur && hops < 4; hops++) {
		char *next;

		snprintf(key, sizeof(key), "tg:migrated:%s", cur);
		next = xio_tg_kv_get(tg, key);
		if (!next)
			break;
		free(cur);
		cur = next;
	}
	return cur;
}

int64_t xio_tg_consilium_of_key(const char *key)
{
	/* outbox keys of consiliums read "c<id>:s<step>:<i>" */
	return key[0] == 'c' ? strtoll(key + 1, NULL, 10) : 0;
}

static void migrate_chat(struct xio_tg *tg, const char *old_chat, const char *new_chat);

static void send_http_cb(void *ud, const struct xio_http_response *r);
static void send_wait(struct send *s, int64_t due);

static void send_start(struct send *s)
{
	struct xio_tg *tg = s->tg;
	json_object *body = json_object_new_object();
	const char *text = s->parts[json_object_array_length(s->ids)];
	int rc;

	if (!body) {
		send_finish(s, XIO_EAGAIN, -1, "out of memory");
		return;
	}
	if (xio_tg_probing(tg, s->chat)) {
		/* a new message there could be taken for a lost one */
		json_object_put(body);
		send_wait(s, xio_tg_now_ms(tg) + 50);
		return;
	}
	json_object_object_add(body, "chat_id", json_object_new_int64(strtoll(s->chat, NULL, 10)));
	json_object_object_add(body, "text", json_object_new_string(text));
	json_object_object_add(body, "parse_mode", json_object_new_string("HTML"));
	if (s->thread[0] == 't') {
		json_object_object_add(body, "message_thread_id",
				       json_object_new_int64(strtoll(s->thread + 1, NULL, 10)));
	} else if (s->thread[0] == 'r') {
		json_object *rp = json_object_new_object();

		json_object_object_add(rp, "message_id",
				       json_object_new_int64(strtoll(s->thread + 1, NULL, 10)));
		/* the root may be gone (deleted, or left behind by a migration) */
		json_object_object_add(rp, "allow_sending_without_reply", json_object_new_boolean(1));
		json_object_object_add(body, "reply_parameters", rp);
	}
	{
		json_object *lp = json_object_new_object();

		json_object_object_add(lp, "is_disabled", json_object_new_boolean(1));
		json_object_object_add(body, "link_preview_options", lp);
	}
	s->state = SEND_HTTP;
	rc = xio_tg_api_call(tg, s->bot, "sendMessage", body, 30000, send_http_cb, s, NULL);
	json_object_put(body);
	if (rc)
		send_finish(s, XIO_EAGAIN, -1, "telegram sendMessage could not be started");
}

/* Fires send_timer at due, unless it fires sooner already. */
static void send_timer_at(struct xio_tg *tg, int64_t due)
{
	int64_t now;

	if (tg->closing || due >= tg->send_timer_due)
		return;
	now = xio_tg_now_ms(tg);
	tg->send_timer_due = due;
	uv_timer_start(&tg->send_timer, send_timer_cb, due > now ? (uint64_t)(due - now) : 0, 0);
}

static void send_wait(struct send *s, int64_t due)
{
	s->state = SEND_WAITING;
	s->due = due;
	/* no walk over every send here: with a thousand chats sending at
	 * once, that made queueing quadratic */
	send_timer_at(s->tg, due);
}

/* The kv pairs that record message_id in chat: tg:msg (its consilium, 0
 * outside one — every own message is recorded, so that a probe never takes
 * it for a lost one) and tg:top when the chat's top rose. */
struct sent_kv {
	char k[2][96], v[2][32];
	size_t n;
};

static void sent_kv(struct xio_tg *tg, const char *chat, int64_t cid, int64_t message_id,
		    struct sent_kv *o)
{
	o->n = 0;
	snprintf(o->k[o->n], sizeof(o->k[0]), "tg:msg:%s:%" PRId64, chat, message_id);
	snprintf(o->v[o->n++], sizeof(o->v[0]), "%" PRId64, cid);
	if (xio_tg_raise_top(tg, chat, message_id)) {
		snprintf(o->k[o->n], sizeof(o->k[0]), "tg:top:%s", chat);
		snprintf(o->v[o->n++], sizeof(o->v[0]), "%" PRId64, message_id);
	}
}

int xio_tg_record_sent(struct xio_tg *tg, const char *key, const char *chat, int64_t cid,
		       json_object *ids, json_object **rec_out, struct xio_err *err)
{
	json_object *rec = json_object_new_object();
	struct sent_kv kv;
	char k[320];
	size_t i;
	int rc;

	if (rec_out)
		*rec_out = NULL;
	if (!rec)
		return xio_err_set(err, XIO_ENOMEM, "out of memory");
	sent_kv(tg, chat, cid,
		json_object_get_int64(json_object_array_get_idx(ids, json_object_array_length(ids) - 1)),
		&kv);
	json_object_object_add(rec, "chat", json_object_new_string(chat));
	json_object_object_add(rec, "ids", json_object_get(ids));
	snprintf(k, sizeof(k), "tg:sent:%s", key);
	rc = xio_store_begin(tg->store, err);
	if (!rc)
		rc = kv_put(tg, k, json_object_to_json_string_ext(rec, JSON_C_TO_STRING_PLAIN), err);
	for (i = 0; i < kv.n && !rc; i++)
		rc = kv_put(tg, kv.k[i], kv.v[i], err);
	if (rc)
		xio_store_rollback(tg->store);
	else
		rc = xio_store_commit(tg->store, err);
	if (rc || !rec_out)
		json_object_put(rec);
	else
		*rec_out = rec;
	return rc;
}

/* Records a delivered part.  The last part's record (message → consilium,
 * the chat's top) is written with the outbox row's outcome, in the
 * dispatcher's next transaction (no commit of its own); an earlier part's,
 * with the post's progress, at once — a crash before the rest is sent
 * resumes after it. */
static int record_part(struct send *s, int64_t message_id)
{
	struct xio_tg *tg = s->tg;
	struct xio_err err;
	struct sent_kv kv;
	size_t i;
	int rc = 0;

	json_object_array_add(s->ids, json_object_new_int64(message_id));
	remember_sent(tg, s->chat, message_id);
	if ((size_t)json_object_array_length(s->ids) >= s->nparts && tg->outbox) {
		sent_kv(tg, s->chat, s->cid, message_id, &kv);
		for (i = 0; i < kv.n && !rc; i++)
			rc = xio_outbox_defer_kv(tg->outbox, kv.k[i], kv.v[i]);
		if (!rc)
			return 0;
	}
	rc = xio_tg_record_sent(tg, s->key, s->chat, s->cid, s->ids, NULL, &err);
	if (rc)
		xio_logf(tg->log, XIO_LOG_ERROR, "telegram", "%s: sent as message %" PRId64
			 " but not recorded: %s", s->key, message_id, err.msg);
	return rc;
}

static void send_http_cb(void *ud, const struct xio_http_response *r)
{
	struct send *s = ud;
	struct xio_tg *tg = s->tg;
	struct envelope e;
	char msg[512];

	if (tg->closing || r->error == XIO_ECANCELED) {
		send_finish(s, XIO_EAGAIN, -1, "shutting down");
		return;
	}
	xio_tg_envelope_read(r, &e);
	if (e.ok) {
		int64_t mid = 0;

		jint(e.result, "message_id", &mid);
		xio_tg_envelope_release(&e);
		tg->st.sent++;
		/* Telegram has it: even if the record fails, sending it again
		 * would duplicate it, so move on */
		record_part(s, mid);
		if ((size_t)json_object_array_length(s->ids) >= s->nparts)
			send_finish(s, 0, -1, NULL);
		else
			send_wait(s, pace_reserve(tg, s->bot, s->chat));
		return;
	}
	snprintf(msg, sizeof(msg), "telegram sendMessage: %lld %s", (long long)e.error_code,
		 e.description);
	if (e.error_code == 429) {
		int64_t ra = (e.retry_after > 0 ? e.retry_after : 1) * 1000;

		xio_tg_envelope_release(&e);
		tg->st.rate_limited++;
		pace_hold(tg, s->bot, s->chat, xio_tg_now_ms(tg) + ra);
		if (++s->waits429 > MAX_429_WAITS) {
			send_finish(s, XIO_EAGAIN, ra, msg);
			return;
		}
		xio_logf(tg->log, XIO_LOG_WARN, "telegram", "%s: rate limited in chat %s; waiting %lld ms",
			 s->key, s->chat, (long long)ra);
		send_wait(s, pace_reserve(tg, s->bot, s->chat));
		return;
	}
	if (e.error_code == 400 && e.migrate_to) {
		char newchat[32];

		snprintf(newchat, sizeof(newchat), "%" PRId64, e.migrate_to);
		xio_tg_envelope_release(&e);
		migrate_chat(tg, s->chat, newchat);
		free(s->chat);
		s->chat = strdup(newchat);
		if (!s->chat) {
			s->chat = NULL;
			send_finish(s, XIO_EAGAIN, -1, "out of memory");
			return;
		}
		send_wait(s, pace_reserve(tg, s->bot, s->chat));
		return;
	}
	xio_tg_envelope_release(&e);
	if (r->error && r->maybe_sent)
		/* it may have arrived: the outbox checks before sending again */
		send_finish(s, XIO_ETIMEDOUT, -1, msg);
	else if (r->error || e.status >= 500 || e.status == 0)
		send_finish(s, XIO_EAGAIN, -1, msg);
	else if (e.error_code == 401 || e.error_code == 404)
		/* a revoked token or a wrong api_url: worth retrying after a fix */
		send_finish(s, XIO_EAGAIN, 60000, msg);
	else
		send_finish(s, XIO_EINVAL, -1, msg);
}

static void send_timer_cb(uv_timer_t *t)
{
	struct xio_tg *tg = t->data;
	int64_t now = xio_tg_now_ms(tg);
	struct send *s, *next;

	tg->send_timer_due = INT64_MAX;
	for (s = tg->sends; s; s = next) {
		next = s->next;
		if (s->state == SEND_WAITING && s->due <= now)
			send_start(s); /* may finish (and free) s, never next */
	}
	arm_send_timer(tg);
}

/* Re-arms send_timer for the earliest waiting send, or stops it. */
static void arm_send_timer(struct xio_tg *tg)
{
	int64_t first = INT64_MAX;
	struct send *s;

	for (s = tg->sends; s; s = s->next)
		if (s->state == SEND_WAITING && s->due < first)
			first = s->due;
	uv_timer_stop(&tg->send_timer);
	tg->send_timer_due = INT64_MAX;
	if (first != INT64_MAX)
		send_timer_at(tg, first);
}

/* Reads what was already sent for p->key: the chat and the part ids. */
json_object *xio_tg_sent_record(struct xio_tg *tg, const char *key)
{
	char k[320], *v;
	json_object *rec;

	snprintf(k, sizeof(k), "tg:sent:%s", key);
	v = xio_tg_kv_get(tg, k);
	if (!v)
		return NULL;
	rec = json_tokener_parse(v);
	free(v);
	return rec;
}

static void tg_post(void *impl, const struct xio_post *p, xio_chat_done_cb cb, void *ud)
{
	struct xio_tg *tg = impl;
	struct send *s;
	json_object *rec, *ids;
	int rc;

	if (tg->closing) {
		cb(ud, XIO_EAGAIN, -1, NULL, "telegram: shutting down");
		return;
	}
	s = calloc(1, sizeof(*s));
	if (!s) {
		cb(ud, XIO_EAGAIN, -1, NULL, "out of memory");
		return;
	}
	s->tg = tg;
	s->cb = cb;
	s->ud = ud;
	s->key = strdup(p->key);
	s->cid = xio_tg_consilium_of_key(p->key);
	s->thread = strdup(p->thread ? p->thread : "");
	s->bot = xio_tg_bot_for(tg, p->persona_id);
	s->chat = xio_tg_resolve_chat(tg, p->chat);
	s->ids = json_object_new_array();
	s->next = tg->sends;
	if (tg->sends)
		tg->sends->prev = s;
	tg->sends = s;
	if (!s->key || !s->thread || !s->chat || !s->ids) {
		send_finish(s, XIO_EAGAIN, -1, "out of memory");
		return;
	}
	rc = xio_tg_render_parts(p, s->bot, &s->parts, &s->nparts);
	if (rc) {
		send_finish(s, XIO_EAGAIN, -1, "out of memory");
		return;
	}
	/* resume a post whose first parts went out before a crash */
	rec = xio_tg_sent_record(tg, p->key);
	if (rec && json_object_object_get_ex(rec, "ids", &ids) &&
	    json_object_is_type(ids, json_type_array)) {
		json_object_put(s->ids);
		s->ids = json_object_get(ids);
	}
	json_object_put(rec);
	if ((size_t)json_object_array_length(s->ids) >= s->nparts) {
		send_finish(s, 0, -1, NULL);
		return;
	}
	send_wait(s, pace_reserve(tg, s->bot, s->chat));
}

static const struct xio_chat_ops tg_ops = {
	.name = "telegram",
	.post = tg_post,
	.check = xio_tg_check,
};

struct xio_chat xio_tg_chat(struct xio_tg *tg)
{
	struct xio_chat c = { &tg_ops, tg };

	return c;
}

/* ---- migration --------------------------------------------------------- */

/* Moves every open consilium of old_chat to new_chat (keys and state), and
 * remembers the move for posts still addressed to the old id. */
static int migrate_tx(struct xio_tg *tg, const char *old_chat, const char *new_chat,
		      const char *claim, struct xio_err *err)
{
	struct xio_store *st = tg->store;
	char prefix[64], key[64], *nk = NULL;
	int64_t *ids = NULL;
	char **keys = NULL;
	size_t n = 0, i;
	int rc = xio_store_begin(st, err);

	if (rc)
		return rc;
	if (claim) {
		rc = st->ops->inbound_claim(st->impl, claim, xio_tg_now_ms(tg), err);
		if (rc)
			goto out;
	}
	snprintf(key, sizeof(key), "tg:migrated:%s", old_chat);
	rc = st->ops->kv_put(st->impl, key, new_chat, err);
	snprintf(prefix, sizeof(prefix), "telegram:%s:", old_chat);
	if (!rc)
		rc = st->ops->consilium_open_prefix(st->impl, prefix, &ids, &keys, &n, err);
	for (i = 0; !rc && i < n; i++) {
		struct xio_consilium_row row = { 0 };
		struct xio_consilium *c = NULL;
		char *state = NULL, ws[64];
		size_t nklen = strlen(keys[i]) - strlen(prefix) + strlen(new_chat) + 16;

		nk = malloc(nklen);
		if (!nk) {
			rc = xio_err_set(err, XIO_ENOMEM, "out of memory");
			break;
		}
		snprintf(nk, nklen, "telegram:%s:%s", new_chat, keys[i] + strlen(prefix));
		snprintf(ws, sizeof(ws), "telegram:%s", new_chat);
		rc = st->ops->consilium_get(st->impl, ids[i], &row, err);
		if (!rc)
			c = xio_consilium_from_json(row.state_json, err);
		if (!rc && !c)
			rc = XIO_EINVAL;
		if (!rc) {
			free(c->chat);
			free(c->thread_key);
			free(c->workspace);
			c->chat = strdup(new_chat);
			c->thread_key = strdup(nk);
			c->workspace = strdup(ws);
			state = c->chat && c->thread_key && c->workspace ? xio_consilium_to_json(c) : NULL;
			if (!state)
				rc = xio_err_set(err, XIO_ENOMEM, "out of memory");
		}
		if (!rc) {
			free(row.state_json);
			row.state_json = state;
			state = NULL;
			rc = st->ops->consilium_update(st->impl, &row, err);
		}
		if (!rc)
			rc = st->ops->consilium_rekey(st->impl, ids[i], nk, err);
		if (!rc)
			xio_logf(tg->log, XIO_LOG_INFO, "telegram", "consilium %lld moved from chat %s to %s",
				 (long long)ids[i], old_chat, new_chat);
		free(state);
		xio_consilium_free(c);
		xio_consilium_row_release(&row);
		free(nk);
		nk = NULL;
	}
out:
	for (i = 0; i < n; i++)
		free(keys[i]);
	free(keys);
	free(ids);
	if (rc) {
		xio_store_rollback(st);
		return rc;
	}
	return xio_store_commit(st, err);
}

static void migrate_chat(struct xio_tg *tg, const char *old_chat, const char *new_chat)
{
	struct xio_err err;
	int rc = migrate_tx(tg, old_chat, new_chat, NULL, &err);

	if (rc)
		xio_logf(tg->log, XIO_LOG_ERROR, "telegram", "migrating chat %s to %s: %s", old_chat,
			 new_chat, err.msg);
}

/* ---- inbound ------------------------------------------------------------ */

/* Says once per chat that with several consiliums open only replies count. */
static int say_ambiguous(struct xio_tg *tg, const char *chat, const char *claim, const char *lang,
			 struct xio_err *err)
{
	const struct xio_persona *mod = xio_personas_by_role(tg->personas, XIO_ROLE_MODERATOR);
	struct xio_store *st = tg->store;
	struct xio_outbox_row o = { 0 };
	json_object *payload = json_object_new_object();
	char flag[64], key[128];
	int rc;

	if (!payload)
		return xio_err_set(err, XIO_ENOMEM, "out of memory");
	json_object_object_add(payload, "platform", json_object_new_string("telegram"));
	json_object_object_add(payload, "chat", json_object_new_string(chat));
	json_object_object_add(payload, "thread", json_object_new_string(""));
	json_object_object_add(payload, "persona_id", json_object_new_string(mod ? mod->id : "moderator"));
	json_object_object_add(payload, "persona_name", json_object_new_string(mod ? mod->name : "Moderator"));
	json_object_object_add(payload, "icon", json_object_new_string(mod ? mod->icon : ""));
	json_object_object_add(payload, "lang", json_object_new_string(lang));
	json_object_object_add(payload, "text",
			       json_object_new_string(xio_i18n_get(tg->i18n, lang, "telegram.ambiguous")));
	snprintf(flag, sizeof(flag), "tg:ambiguous:%s", chat);
	snprintf(key, sizeof(key), "in:%s:0", claim);
	rc = xio_store_begin(st, err);
	if (rc)
		goto done;
	rc = st->ops->inbound_claim(st->impl, claim, xio_tg_now_ms(tg), err);
	if (!rc)
		rc = st->ops->kv_put(st->impl, flag, "1", err);
	if (!rc) {
		o.key = key;
		o.consilium_id = xio_outbox_lane("telegram", chat);
		o.kind = "post";
		o.payload = (char *)json_object_to_json_string_ext(payload, JSON_C_TO_STRING_PLAIN);
		o.next_try_at = o.created_at = xio_tg_now_ms(tg);
		rc = st->ops->outbox_put(st->impl, &o, err);
	}
	if (rc) {
		xio_store_rollback(st);
		if (rc == XIO_EDUP)
			rc = 0;
	} else {
		rc = xio_store_commit(st, err);
		if (!rc && tg->outbox)
			xio_outbox_kick(tg->outbox);
	}
done:
	json_object_put(payload);
	return rc;
}

/* Remembers which consilium a human message went to, for later replies. */
static void map_message(struct xio_tg *tg, const char *chat, int64_t message_id, int64_t consilium_id)
{
	struct xio_err err;
	char k[96], v[32];

	if (!consilium_id)
		return;
	snprintf(k, sizeof(k), "tg:msg:%s:%" PRId64, chat, message_id);
	snprintf(v, sizeof(v), "%" PRId64, consilium_id);
	if (kv_put(tg, k, v, &err))
		xio_logf(tg->log, XIO_LOG_WARN, "telegram", "message map: %s", err.msg);
}

/* Raises and stores the chat's top message id (inside the poll's batch). */
static void note_top(struct xio_tg *tg, const char *chat, int64_t message_id)
{
	struct xio_err err;
	char k[64], v[32];

	if (!xio_tg_raise_top(tg, chat, message_id))
		return;
	snprintf(k, sizeof(k), "tg:top:%s", chat);
	snprintf(v, sizeof(v), "%" PRId64, message_id);
	if (tg->store->ops->kv_put(tg->store->impl, k, v, &err))
		xio_logf(tg->log, XIO_LOG_WARN, "telegram", "chat %s top message: %s", chat, err.msg);
}

/* The open consilium a replied-to message belongs to: its thread key. */
static char *reply_target(struct xio_tg *tg, const char *chat, int64_t reply_to)
{
	struct xio_consilium_row row = { 0 };
	struct xio_err err;
	char k[96], *v, *key = NULL;

	snprintf(k, sizeof(k), "tg:msg:%s:%" PRId64, chat, reply_to);
	v = xio_tg_kv_get(tg, k);
	if (!v)
		return NULL;
	if (!tg->store->ops->consilium_get(tg->store->impl, strtoll(v, NULL, 10), &row, &err) &&
	    strcmp(row.phase, "closed") != 0)
		key = strdup(row.thread_key);
	xio_consilium_row_release(&row);
	free(v);
	return key;
}

static int handle_parsed(struct xio_tg *tg, const struct xio_tg_update *u, struct xio_err *err)
{
	char chat[32], claim[64], key_buf[96], thread[40], prefix[64], name[40];
	char *key = NULL, *edited = NULL;
	const char *text = u->text, *args, *lang;
	const struct xio_command *cmd;
	struct xio_inbound in = { 0 };
	int64_t consilium_id;
	int unknown, rc = 0, group;

	snprintf(chat, sizeof(chat), "%" PRId64, u->chat_id);
	snprintf(claim, sizeof(claim), "tg:%s:%" PRId64, tg->main.id, u->update_id);
	lang = xio_detect_lang(tg->language, u->text ? u->text : "");
	if (u->kind == XIO_TG_UPD_OTHER)
		goto skip;
	if (u->kind == XIO_TG_UPD_MIGRATE) {
		char other[32];

		if (u->migrate_to) {
			snprintf(other, sizeof(other), "%" PRId64, u->migrate_to);
			rc = migrate_tx(tg, chat, other, claim, err);
		} else {
			snprintf(other, sizeof(other), "%" PRId64, u->migrate_from);
			rc = migrate_tx(tg, other, chat, claim, err);
		}
		return rc == XIO_EDUP ? 0 : rc;
	}
	if (u->from_is_bot || !text || !*text)
		goto skip;
	if (u->command_bot && (!tg->username || strcasecmp(u->command_bot, tg->username))) {
		xio_logf(tg->log, XIO_LOG_DEBUG, "telegram", "update %" PRId64 ": a command for @%s; ignored",
			 u->update_id, u->command_bot);
		goto skip;
	}
	if (u->kind == XIO_TG_UPD_EDITED) {
		/* an edit is recorded as what it is; it never re-runs a command */
		edited = xio_i18n_fmt(tg->i18n, lang, "telegram.edited", "text", text, NULL);
		if (!edited)
			return xio_err_set(err, XIO_ENOMEM, "out of memory");
		text = edited;
	}
	cmd = xio_command_parse(text, name, sizeof(name), &args, &unknown);
	group = strcmp(u->chat_type, "private") != 0;
	thread[0] = '\0';
	if (u->is_forum && u->is_topic_message && u->thread_id > 0) {
		snprintf(key_buf, sizeof(key_buf), "telegram:%s:t%" PRId64, chat, u->thread_id);
		snprintf(thread, sizeof(thread), "t%" PRId64, u->thread_id);
	} else if (cmd == &xio_command_consilium) {
		snprintf(key_buf, sizeof(key_buf), "telegram:%s:m%" PRId64, chat, u->message_id);
		snprintf(thread, sizeof(thread), "r%" PRId64, u->message_id);
	} else {
		int64_t *ids = NULL;
		char **keys = NULL;
		size_t n = 0, i;

		key = u->reply_to ? reply_target(tg, chat, u->reply_to) : NULL;
		if (!key) {
			snprintf(prefix, sizeof(prefix), "telegram:%s:m", chat);
			rc = tg->store->ops->consilium_open_prefix(tg->store->impl, prefix, &ids, &keys, &n, err);
			if (rc)
				goto out;
			if (n == 1)
				key = keys[0], keys[0] = NULL;
			for (i = 0; i < n; i++)
				free(keys[i]);
			free(keys);
			free(ids);
			if (n > 1) {
				char flag[64], *said;

				snprintf(flag, sizeof(flag), "tg:ambiguous:%s", chat);
				said = xio_tg_kv_get(tg, flag);
				if (!said || strcmp(said, "1"))
					rc = say_ambiguous(tg, chat, claim, lang, err);
				free(said);
				goto out;
			}
			if (n <= 1) {
				char flag[64], *said;

				snprintf(flag, sizeof(flag), "tg:ambiguous:%s", chat);
				said = xio_tg_kv_get(tg, flag);
				if (said && !strcmp(said, "1"))
					kv_put(tg, flag, "0", err);
				free(said);
			}
		}
		if (key) {
			const char *m = strrchr(key, ':');

			snprintf(key_buf, sizeof(key_buf), "%s", key);
			if (m && m[1] == 'm')
				snprintf(thread, sizeof(thread), "r%s", m + 2);
			else if (m && m[1] == 't')
				snprintf(thread, sizeof(thread), "%s", m + 1);
		} else {
			/* no consilium here: an answer replies to what it answers */
			snprintf(key_buf, sizeof(key_buf), "telegram:%s", chat);
			snprintf(thread, sizeof(thread), "r%" PRId64, u->message_id);
		}
	}
	in.platform = "telegram";
	in.chat = chat;
	in.thread = thread;
	in.thread_key = key_buf;
	snprintf(prefix, sizeof(prefix), "telegram:%s", chat);
	in.workspace = prefix;
	in.author = u->author;
	in.text = text;
	in.msg_id = claim;
	in.hint_when_idle = !group;
	in.lang = u->lang && !strncmp(u->lang, "ru", 2) ? "ru" : tg->language;
	rc = xio_runner_input_routed(tg->runner, &in, &consilium_id, err);
	if (rc == XIO_EDUP) {
		rc = 0;
		goto out;
	}
	if (!rc) {
		tg->st.updates++;
		map_message(tg, chat, u->message_id, consilium_id);
		note_top(tg, chat, u->message_id);
	}
	goto out;
skip:
	tg->st.skipped++;
out:
	free(key);
	free(edited);
	return rc;
}

static int handle_obj(struct xio_tg *tg, json_object *o, struct xio_err *err)
{
	struct xio_tg_update u;
	int rc = xio_tg_update_parse(o, &u, err);

	if (rc == XIO_EINVAL) {
		xio_logf(tg->log, XIO_LOG_WARN, "telegram", "%s; skipped", err->msg);
		tg->st.skipped++;
		rc = 0;
	} else if (!rc) {
		rc = handle_parsed(tg, &u, err);
	}
	xio_tg_update_release(&u);
	return rc;
}

int xio_tg_handle_update(struct xio_tg *tg, const char *json, size_t len, struct xio_err *err)
{
	struct json_tokener *tok = json_tokener_new();
	json_object *o;
	int rc;

	if (!tok)
		return xio_err_set(err, XIO_ENOMEM, "out of memory");
	o = json_tokener_parse_ex(tok, json, (int)len);
	if (!o || json_tokener_get_error(tok) != json_tokener_success) {
		json_tokener_free(tok);
		json_object_put(o);
		xio_logf(tg->log, XIO_LOG_WARN, "telegram", "an update that is not JSON; skipped");
		tg->st.skipped++;
		return 0;
	}
	json_tokener_free(tok);
	rc = handle_obj(tg, o, err);
	json_object_put(o);
	return rc;
}

/* ---- start-up and polling ---------------------------------------------- */

static void advance(struct xio_tg *tg);

static void ctl_timer_cb(uv_timer_t *t)
{
	advance(t->data);
}

static void retry_later(struct xio_tg *tg, const char *what, const char *why)
{
	tg->backoff_ms = tg->backoff_ms ? tg->backoff_ms * 2 : 500;
	if (tg->backoff_ms > BACKOFF_MAX_MS)
		tg->backoff_ms = BACKOFF_MAX_MS;
	xio_logf(tg->log, XIO_LOG_ERROR, "telegram", "%s: %s; retrying in %lld ms", what, why,
		 (long long)tg->backoff_ms);
	snprintf(tg->last_error, sizeof(tg->last_error), "%s: %s", what, why);
	xio_counter_add(tg->m_retries, 1);
	uv_timer_start(&tg->ctl_timer, ctl_timer_cb, (uint64_t)tg->backoff_ms, 0);
}

static void ignore_cb(void *ud, const struct xio_http_response *r)
{
	struct xio_tg *tg = ud;
	struct envelope e;

	if (tg->closing || r->error == XIO_ECANCELED)
		return;
	xio_tg_envelope_read(r, &e);
	if (!e.ok)
		xio_logf(tg->log, XIO_LOG_WARN, "telegram", "%s: %lld %s", r->log_url,
			 (long long)e.error_code, e.description);
	xio_tg_envelope_release(&e);
}

/* setMyCommands in English (also the default) and Russian, from the
 * command table and the help texts of the catalogues. */
static void set_commands(struct xio_tg *tg)
{
	static const char *const langs[] = { NULL, "en", "ru" };
	size_t l, i;

	for (l = 0; l < 3; l++) {
		json_object *body = json_object_new_object(), *arr = json_object_new_array();
		const char *lang = langs[l] ? langs[l] : "en";

		for (i = 0; arr && xio_commands[i]; i++) {
			json_object *c = json_object_new_object();
			char key[64];

			snprintf(key, sizeof(key), "help.%s", xio_commands[i]->name);
			json_object_object_add(c, "command", json_object_new_string(xio_commands[i]->name));
			json_object_object_add(c, "description",
					       json_object_new_string(xio_i18n_get(tg->i18n, lang, key)));
			json_object_array_add(arr, c);
		}
		json_object_object_add(body, "commands", arr);
		if (langs[l])
			json_object_object_add(body, "language_code", json_object_new_string(langs[l]));
		xio_tg_api_call(tg, &tg->main, "setMyCommands", body, 30000, ignore_cb, tg, NULL);
		json_object_put(body);
	}
}

static void poll_cb(void *ud, const struct xio_http_response *r);

static void poll_updates(struct xio_tg *tg)
{
	json_object *body = json_object_new_object(), *allowed = json_object_new_array();

	json_object_array_add(allowed, json_object_new_string("message"));
	json_object_array_add(allowed, json_object_new_string("edited_message"));
	json_object_object_add(body, "offset", json_object_new_int64(tg->offset));
	json_object_object_add(body, "timeout", json_object_new_int(tg->poll_timeout_s));
	json_object_object_add(body, "limit", json_object_new_int(100));
	json_object_object_add(body, "allowed_updates", allowed);
	tg->polling = 1;
	tg->st.polls++;
	if (xio_tg_api_call(tg, &tg->main, "getUpdates", body, (int64_t)(tg->poll_timeout_s + 15) * 1000,
		     poll_cb, tg, &tg->poll_id)) {
		tg->polling = 0;
		retry_later(tg, "getUpdates", "could not start the request");
	}
	json_object_put(body);
}

static void save_offset(struct xio_tg *tg)
{
	struct xio_err err;
	char k[64], v[32];

	snprintf(k, sizeof(k), "tg:offset:%s", tg->main.id);
	snprintf(v, sizeof(v), "%" PRId64, tg->offset);
	if (kv_put(tg, k, v, &err))
		xio_logf(tg->log, XIO_LOG_ERROR, "telegram", "saving the offset: %s", err.msg);
}

static void poll_cb(void *ud, const struct xio_http_response *r)
{
	struct xio_tg *tg = ud;
	struct envelope e;
	struct xio_err berr;
	size_t i, n;
	int64_t before;
	int failed = 0;

	tg->polling = 0;
	if (tg->closing || r->error == XIO_ECANCELED)
		return;
	xio_tg_envelope_read(r, &e);
	if (!e.ok || !e.result || !json_object_is_type(e.result, json_type_array)) {
		char why[300];

		snprintf(why, sizeof(why), "%lld %s", (long long)e.error_code, e.description);
		xio_tg_envelope_release(&e);
		retry_later(tg, "getUpdates", why);
		return;
	}
	tg->backoff_ms = 0;
	before = tg->offset;
	n = json_object_array_length(e.result);
	/* The whole answer is one transaction (each update a savepoint in it):
	 * one durable commit per getUpdates, and the new offset is committed
	 * with the updates it confirms. */
	if (n && xio_runner_batch_begin(tg->runner, &berr)) {
		xio_tg_envelope_release(&e);
		retry_later(tg, "getUpdates", berr.msg);
		return;
	}
	for (i = 0; i < n; i++) {
		json_object *u = json_object_array_get_idx(e.result, i);
		struct xio_err err;
		int64_t uid = -1;

		jint(u, "update_id", &uid);
		if (handle_obj(tg, u, &err)) {
			/* not stored: do not confirm it; ask again from here */
			xio_logf(tg->log, XIO_LOG_ERROR, "telegram", "update %lld: %s", (long long)uid, err.msg);
			if (uid >= tg->offset)
				tg->offset = uid;
			failed = 1;
			break;
		}
		if (uid >= tg->offset)
			tg->offset = uid + 1;
	}
	xio_tg_envelope_release(&e);
	if (tg->offset != before)
		save_offset(tg);
	if (n && xio_runner_batch_end(tg->runner, &berr)) {
		/* nothing of this answer is stored: fetch it again */
		xio_logf(tg->log, XIO_LOG_ERROR, "telegram", "storing %zu updates: %s", n, berr.msg);
		tg->offset = before;
		failed = 1;
	}
	if (failed) {
		retry_later(tg, "getUpdates", "an update could not be stored");
		return;
	}
	poll_updates(tg);
}

static void step_cb(void *ud, const struct xio_http_response *r)
{
	struct xio_tg *tg = ud;
	static const char *const names[] = { "getMe", "setWebhook/deleteWebhook", "", "" };
	struct envelope e;

	if (tg->closing || r->error == XIO_ECANCELED)
		return;
	xio_tg_envelope_read(r, &e);
	if (!e.ok) {
		char why[300];

		snprintf(why, sizeof(why), "%lld %s", (long long)e.error_code, e.description);
		xio_tg_envelope_release(&e);
		retry_later(tg, names[tg->step], why);
		return;
	}
	if (tg->step == START_GETME) {
		const char *u = jstr(e.result, "username");

		free(tg->username);
		tg->username = strdup(u ? u : "");
		xio_logf(tg->log, XIO_LOG_INFO, "telegram", "connected as @%s", tg->username ? tg->username : "?");
		set_commands(tg);
		tg->step = START_HOOK;
	} else if (tg->step == START_HOOK) {
		xio_logf(tg->log, XIO_LOG_INFO, "telegram", "%s",
			 tg->webhook ? "webhook set; updates arrive on POST /telegram/webhook"
				     : "webhook removed; long polling");
		tg->step = tg->webhook ? START_DONE : START_POLL;
	}
	xio_tg_envelope_release(&e);
	tg->backoff_ms = 0;
	advance(tg);
}

static void advance(struct xio_tg *tg)
{
	json_object *body;

	if (tg->closing)
		return;
	switch (tg->step) {
	case START_GETME:
		if (xio_tg_api_call(tg, &tg->main, "getMe", NULL, 30000, step_cb, tg, NULL))
			retry_later(tg, "getMe", "could not start the request");
		break;
	case START_HOOK:
		body = json_object_new_object();
		if (tg->webhook) {
			json_object *allowed = json_object_new_array();

			json_object_array_add(allowed, json_object_new_string("message"));
			json_object_array_add(allowed, json_object_new_string("edited_message"));
			json_object_object_add(body, "url", json_object_new_string(tg->webhook_url));
			json_object_object_add(body, "secret_token", json_object_new_string(tg->secret));
			json_object_object_add(body, "allowed_updates", allowed);
			json_object_object_add(body, "max_connections", json_object_new_int(40));
		}
		if (xio_tg_api_call(tg, &tg->main, tg->webhook ? "setWebhook" : "deleteWebhook", body, 30000,
			     step_cb, tg, NULL))
			retry_later(tg, "setWebhook", "could not start the request");
		json_object_put(body);
		break;
	case START_POLL:
		if (!tg->polling)
			poll_updates(tg);
		break;
	case START_DONE:
		break;
	}
}

static void webhook_cb(struct xio_http_request *req, void *ud)
{
	struct xio_tg *tg = ud;
	struct xio_err err;
	char got[300];
	const char *body;
	size_t len;
	int n;

	n = xio_http_request_header(req, "X-Telegram-Bot-Api-Secret-Token", got, sizeof(got));
	if (n < 0 || !xio_tg_secret_equal(got, tg->secret)) {
		xio_logf(tg->log, XIO_LOG_WARN, "telegram", "webhook from %s without the right secret token; refused",
			 xio_http_request_remote_addr(req));
		xio_http_reply_json(req, 401, "{\"ok\":false,\"error\":\"bad secret token\"}");
		return;
	}
	if (!tg->username) {
		/* not yet sure which commands are ours: Telegram will retry */
		xio_http_reply_json(req, 503, "{\"ok\":false,\"error\":\"starting\"}");
		return;
	}
	body = xio_http_request_body(req, &len);
	if (xio_tg_handle_update(tg, body, len, &err)) {
		xio_logf(tg->log, XIO_LOG_ERROR, "telegram", "webhook update not stored: %s", err.msg);
		xio_http_reply_json(req, 500, "{\"ok\":false}");
		return;
	}
	xio_http_reply_json(req, 200, "{\"ok\":true}");
}

/* ---- lifecycle ---------------------------------------------------------- */

static int bot_init(struct bot *b, const char *token, const char *persona_id)
{
	const char *colon = strchr(token, ':');
	size_t n = colon ? (size_t)(colon - token) : 0, i;

	if (!n || n >= sizeof(b->id))
		return XIO_EINVAL;
	for (i = 0; i < n; i++)
		if (!isdigit((unsigned char)token[i]))
			return XIO_EINVAL;
	memcpy(b->id, token, n);
	b->id[n] = '\0';
	b->token = strdup(token);
	b->persona_id = persona_id ? strdup(persona_id) : NULL;
	if (!b->token || (persona_id && !b->persona_id))
		return XIO_ENOMEM;
	return 0;
}

static void bot_release(struct bot *b)
{
	free(b->token);
	free(b->persona_id);
}

static void really_free(struct xio_tg *tg)
{
	size_t i;

	for (i = 0; i < PACE_BUCKETS; i++)
		while (tg->pace[i]) {
			struct pace *p = tg->pace[i];

			tg->pace[i] = p->next;
			free(p->key);
			free(p);
		}
	for (i = 0; i < tg->npbots; i++)
		bot_release(&tg->pbots[i]);
	free(tg->pbots);
	bot_release(&tg->main);
	free(tg->api_url);
	free(tg->webhook_url);
	free(tg->secret);
	free(tg->language);
	free(tg->username);
	free(tg);
}

static void timer_close_cb(uv_handle_t *h)
{
	struct xio_tg *tg = h->data;

	if (--tg->timers_open == 0)
		really_free(tg);
}

int xio_tg_new(struct xio_tg **out, struct xio_loop *loop, struct xio_runner *runner,
	       struct xio_store *store, struct xio_outbox *outbox,
	       const struct xio_tg_opts *o, struct xio_log *log, struct xio_err *err)
{
	struct xio_http_client_opts ho = { 0 };
	struct xio_tg *tg;
	size_t i, n;
	int rc;

	*out = NULL;
	if (!o->token || !*o->token)
		return xio_err_set(err, XIO_EINVAL, "telegram.bot_token is empty (get one from @BotFather)");
	if (o->webhook && (!o->webhook_url || !*o->webhook_url))
		return xio_err_set(err, XIO_EINVAL, "telegram.mode is webhook but telegram.webhook_url is empty");
	if (o->webhook && (!o->webhook_secret || !*o->webhook_secret))
		return xio_err_set(err, XIO_EINVAL,
				   "telegram.mode is webhook but telegram.webhook_secret is empty");
	if (o->webhook && !o->http)
		return xio_err_set(err, XIO_EINVAL, "telegram webhook mode needs the HTTP server (http.enabled)");
	if (o->webhook_secret && strspn(o->webhook_secret, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-") !=
					 strlen(o->webhook_secret))
		return xio_err_set(err, XIO_EINVAL,
				   "telegram.webhook_secret: only A-Z a-z 0-9 _ - are allowed");
	tg = calloc(1, sizeof(*tg));
	if (!tg)
		return xio_err_set(err, XIO_ENOMEM, "out of memory");
	tg->loop = loop;
	tg->runner = runner;
	tg->store = store;
	tg->outbox = outbox;
	tg->log = log;
	tg->i18n = o->i18n;
	tg->personas = o->personas;
	tg->server = o->http;
	tg->webhook = o->webhook;
	tg->api_url = strdup(o->api_url && *o->api_url ? o->api_url : "https://api.telegram.org");
	tg->webhook_url = strdup(o->webhook_url ? o->webhook_url : "");
	tg->secret = strdup(o->webhook_secret ? o->webhook_secret : "");
	tg->language = strdup(o->language ? o->language : "auto");
	tg->chat_interval_us = (int64_t)o->chat_interval_ms * 1000;
	tg->group_interval_us = 60000000 / (o->group_per_minute > 0 ? o->group_per_minute : 20);
	tg->bot_interval_us = 1000000 / (o->bot_per_second > 0 ? o->bot_per_second : 30);
	tg->poll_timeout_s = o->poll_timeout_s > 0 ? o->poll_timeout_s : 50;
	uv_timer_init(&loop->uv, &tg->send_timer);
	tg->send_timer_due = INT64_MAX;
	uv_timer_init(&loop->uv, &tg->ctl_timer);
	tg->send_timer.data = tg->ctl_timer.data = tg;
	tg->timers_open = 2;
	if (!tg->api_url || !tg->webhook_url || !tg->secret || !tg->language) {
		rc = xio_err_set(err, XIO_ENOMEM, "out of memory");
		goto fail;
	}
	{
		size_t l = strlen(tg->api_url);

		while (l && tg->api_url[l - 1] == '/')
			tg->api_url[--l] = '\0';
	}
	rc = bot_init(&tg->main, o->token, NULL);
	if (rc) {
		rc = xio_err_set(err, rc, "telegram.bot_token does not look like <bot id>:<secret>");
		goto fail;
	}
	n = o->persona_tokens ? json_object_array_length(o->persona_tokens) : 0;
	if (n) {
		tg->pbots = calloc(n, sizeof(*tg->pbots));
		if (!tg->pbots) {
			rc = xio_err_set(err, XIO_ENOMEM, "out of memory");
			goto fail;
		}
	}
	for (i = 0; i < n; i++) {
		const char *ent = json_object_get_string(json_object_array_get_idx(o->persona_tokens, i));
		const char *eq = ent ? strchr(ent, '=') : NULL;
		char pid[64];

		if (!eq || eq == ent || (size_t)(eq - ent) >= sizeof(pid)) {
			rc = xio_err_set(err, XIO_EINVAL,
					 "telegram.persona_tokens[%zu]: expected persona_id=token", i);
			goto fail;
		}
		snprintf(pid, sizeof(pid), "%.*s", (int)(eq - ent), ent);
		rc = bot_init(&tg->pbots[i], eq + 1, pid);
		tg->npbots = i + 1;
		if (rc) {
			rc = xio_err_set(err, rc, "telegram.persona_tokens[%zu] (%s): the token does not look "
					 "like <bot id>:<secret>", i, pid);
			goto fail;
		}
	}
	ho.log = log;
	ho.max_per_host = 16;
	ho.metrics = o->metrics;
	ho.api = "telegram";
	tg->m_retries = xio_http_retries_counter(o->metrics, "telegram");
	rc = xio_http_client_new(&tg->http, loop, &ho, err);
	if (rc)
		goto fail;
	*out = tg;
	return 0;
fail:
	xio_tg_free(tg);
	return rc;
}

int xio_tg_start(struct xio_tg *tg, struct xio_err *err)
{
	char k[64], *v;

	if (tg->webhook) {
		int rc = xio_http_server_route(tg->server, "POST", "/telegram/webhook", 1u << 20,
					       webhook_cb, tg, err);

		if (rc)
			return rc;
	}
	snprintf(k, sizeof(k), "tg:offset:%s", tg->main.id);
	v = xio_tg_kv_get(tg, k);
	tg->offset = v ? strtoll(v, NULL, 10) : 0;
	free(v);
	tg->step = START_GETME;
	advance(tg);
	return 0;
}

void xio_tg_free(struct xio_tg *tg)
{
	if (!tg)
		return;
	tg->closing = 1;
	/* cancels every call: posts in progress end with XIO_EAGAIN */
	xio_http_client_free(tg->http);
	tg->http = NULL;
	while (tg->sends)
		send_finish(tg->sends, XIO_EAGAIN, -1, "telegram: shutting down");
	xio_tg_probes_cancel(tg);
	uv_timer_stop(&tg->send_timer);
	uv_timer_stop(&tg->ctl_timer);
	uv_close((uv_handle_t *)&tg->send_timer, timer_close_cb);
	uv_close((uv_handle_t *)&tg->ctl_timer, timer_close_cb);
}

int xio_tg_ready(const struct xio_tg *tg, char *why, size_t whylen)
{
	if (tg->step != START_POLL && tg->step != START_DONE) {
		snprintf(why, whylen, "not connected yet%s%s", tg->backoff_ms ? "; " : "",
			 tg->backoff_ms ? tg->last_error : "");
		return 0;
	}
	if (tg->backoff_ms) {
		snprintf(why, whylen, "%s", tg->last_error);
		return 0;
	}
	return 1;
}

void xio_tg_stats(const struct xio_tg *tg, struct xio_tg_stats *st)
{
	*st = tg->st;
}
