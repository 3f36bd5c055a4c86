/*
 * tg_probe.c — the Telegram adapter's delivery check after a crash.
 *
 * Telegram has no call that lists a bot's messages.  When a post's outcome
 * is unknown (the process died, or a sendMessage got no answer), this looks
 * for the message in the chat instead: message ids are sequential per chat
 * and a bot may edit only its own messages, so editMessageText with the lost
 * part's exact text on the ids the adapter has no record of tells "already
 * there" ("message is not modified") from "never arrived".  See
 * xio_tg_check.
 */
#include "tg_internal.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* After a crash, finds whether a post whose answer was lost reached the
 * chat (see tg_check).  One at a time, in order. */
struct probe {
	struct xio_tg *tg;
	struct probe *next;
	xio_chat_done_cb cb;
	void *ud;
	char *key, *chat, *text;  /* text: the part whose fate is unknown */
	int64_t cid;
	struct bot *bot;
	json_object *ids;         /* parts recorded before the crash */
	size_t nparts;
	int64_t id, top;          /* next candidate; the chat's top before */
	int misses, calls;
};

#define PROBE_BACK 30   /* ids below the chat's known top to look at */
#define PROBE_MISSES 3  /* "not found" in a row above the top: the end */
#define PROBE_MAX 300   /* calls per post, then it counts as not sent */

static void probe_run(struct xio_tg *tg);

static void probe_free(struct probe *pr)
{
	json_object_put(pr->ids);
	free(pr->key);
	free(pr->chat);
	free(pr->text);
	free(pr);
}

/* Ends the running probe with the check's answer and starts the next. */
static void probe_finish(struct probe *pr, int rc, int64_t retry_after_ms, const char *result,
			 const char *msg)
{
	struct xio_tg *tg = pr->tg;

	tg->probes = pr->next;
	pr->cb(pr->ud, rc, retry_after_ms, result, msg);
	probe_free(pr);
	if (!tg->closing)
		probe_run(tg);
}

/* The lost part is message_id: record it as the send would have, then
 * answer: delivered (every part is out) or not yet (the post resumes after
 * the parts recorded). */
static void probe_found(struct probe *pr, int64_t message_id)
{
	struct xio_tg *tg = pr->tg;
	struct xio_err err;
	json_object *rec = NULL;
	int rc;

	xio_logf(tg->log, XIO_LOG_INFO, "telegram",
		 "%s: its lost answer was message %" PRId64 " in chat %s; not sent again",
		 pr->key, message_id, pr->chat);
	tg->st.probe_found++;
	json_object_array_add(pr->ids, json_object_new_int64(message_id));
	rc = xio_tg_record_sent(tg, pr->key, pr->chat, pr->cid, pr->ids, &rec, &err);
	if (rc)
		probe_finish(pr, XIO_EAGAIN, -1, NULL, err.msg);
	else if ((size_t)json_object_array_length(pr->ids) >= pr->nparts)
		probe_finish(pr, 1, -1, json_object_to_json_string_ext(rec, JSON_C_TO_STRING_PLAIN), NULL);
	else
		probe_finish(pr, 0, -1, NULL, NULL);
	json_object_put(rec);
}

static void probe_http_cb(void *ud, const struct xio_http_response *r)
{
	struct probe *pr = ud;
	struct xio_tg *tg = pr->tg;
	struct envelope e;
	char msg[512];

	if (tg->closing || r->error == XIO_ECANCELED) {
		probe_finish(pr, XIO_EAGAIN, -1, NULL, "telegram: shutting down");
		return;
	}
	xio_tg_envelope_read(r, &e);
	if (e.ok || (e.error_code == 400 && strstr(e.description, "message is not modified"))) {
		/* Ours, unrecorded, and now (or already) showing the lost
		 * text.  Only lost posts are ours and unrecorded; if this was
		 * another lost post of the chat, its own probe finds the
		 * message that shows its text: swapped, never doubled. */
		xio_tg_envelope_release(&e);
		probe_found(pr, pr->id);
		return;
	}
	snprintf(msg, sizeof(msg), "telegram editMessageText (delivery check): %lld %s",
		 (long long)e.error_code, e.description);
	if (e.error_code == 429) {
		int64_t ra = (e.retry_after > 0 ? e.retry_after : 1) * 1000;

		xio_tg_envelope_release(&e);
		probe_finish(pr, XIO_EAGAIN, ra, NULL, msg);
		return;
	}
	if (e.error_code != 400 && e.error_code != 403) {
		xio_tg_envelope_release(&e);
		probe_finish(pr, XIO_EAGAIN, -1, NULL, msg);
		return;
	}
	/* not found, not ours, not editable: the next id */
	if (strstr(e.description, "not found") && pr->id > pr->top)
		pr->misses++;
	else if (pr->id > pr->top)
		pr->misses = 0;
	xio_tg_envelope_release(&e);
	pr->id++;
	probe_run(tg);
}

/* Asks about the running probe's next candidate, or ends it. */
static void probe_run(struct xio_tg *tg)
{
	struct probe *pr = tg->probes;
	json_object *body, *lp;
	char k[96], *v;

	if (!pr)
		return;
	for (;;) {
		if (pr->misses >= PROBE_MISSES || pr->calls >= PROBE_MAX) {
			xio_logf(tg->log, XIO_LOG_INFO, "telegram",
				 "%s: not in chat %s after a look at %d messages; sending it",
				 pr->key, pr->chat, pr->calls);
			tg->st.probe_missing++;
			probe_finish(pr, 0, -1, NULL, NULL);
			return;
		}
		snprintf(k, sizeof(k), "tg:msg:%s:%" PRId64, pr->chat, pr->id);
		v = xio_tg_kv_get(tg, k);
		if (!v && !xio_tg_sent_lately(tg, pr->chat, pr->id))
			break;
		/* recorded: a delivered post's or a human's, not the lost one */
		free(v);
		if (pr->id > pr->top)
			pr->misses = 0;
		pr->id++;
	}
	pr->calls++;
	body = json_object_new_object();
	lp = json_object_new_object();
	if (!body || !lp) {
		json_object_put(body);
		json_object_put(lp);
		probe_finish(pr, XIO_EAGAIN, -1, NULL, "out of memory");
		return;
	}
	json_object_object_add(body, "chat_id", json_object_new_int64(strtoll(pr->chat, NULL, 10)));
	json_object_object_add(body, "message_id", json_object_new_int64(pr->id));
	json_object_object_add(body, "text", json_object_new_string(pr->text));
	json_object_object_add(body, "parse_mode", json_object_new_string("HTML"));
	json_object_object_add(lp, "is_disabled", json_object_new_boolean(1));
	json_object_object_add(body, "link_preview_options", lp);
	if (xio_tg_api_call(tg, pr->bot, "editMessageText", body, 30000, probe_http_cb, pr, NULL))
		probe_finish(pr, XIO_EAGAIN, -1, NULL, "telegram editMessageText could not be started");
	json_object_put(body);
}

/*
 * After a crash, tells whether p reached the chat.  Parts recorded as sent
 * are known; the part whose answer was lost with the process is looked
 * for.  Telegram has no way to list a bot's messages, but message ids are
 * sequential per chat and a bot may edit only its own messages: from a little
 * below the chat's highest known id up to its end, each id not recorded (as a
 * delivered post's or a human's) is asked editMessageText with the lost
 * part's exact text.  "message is not modified" means it is that part; an
 * edit that succeeds means it is another lost post's (the only other
 * unrecorded messages of ours), now showing this text — each lost text ends
 * up in the chat once.  "can't be edited" / "not found" move on; three
 * "not found" in a row past the top mean the end of the chat: not sent.
 */
void xio_tg_check(void *impl, const struct xio_post *p, xio_chat_done_cb cb, void *ud)
{
	struct xio_tg *tg = impl;
	json_object *rec = xio_tg_sent_record(tg, p->key), *ids = NULL;
	struct probe *pr = NULL, **tail;
	char **parts = NULL;
	size_t nparts = 0, have = 0;

	if (rec && json_object_object_get_ex(rec, "ids", &ids) &&
	    json_object_is_type(ids, json_type_array))
		have = json_object_array_length(ids);
	else
		ids = NULL;
	if (xio_tg_render_parts(p, xio_tg_bot_for(tg, p->persona_id), &parts, &nparts)) {
		json_object_put(rec);
		cb(ud, XIO_EAGAIN, -1, NULL, "out of memory");
		return;
	}
	if (have && have >= nparts) {
		cb(ud, 1, -1, json_object_to_json_string_ext(rec, JSON_C_TO_STRING_PLAIN), NULL);
		goto out;
	}
	pr = calloc(1, sizeof(*pr));
	if (!pr || !(pr->key = strdup(p->key)) || !(pr->chat = xio_tg_resolve_chat(tg, p->chat)) ||
	    !(pr->text = strdup(parts[have])) ||
	    !(pr->ids = ids ? json_object_get(ids) : json_object_new_array())) {
		if (pr)
			probe_free(pr);
		cb(ud, XIO_EAGAIN, -1, NULL, "out of memory");
		goto out;
	}
	pr->tg = tg;
	pr->cb = cb;
	pr->ud = ud;
	pr->cid = xio_tg_consilium_of_key(p->key);
	pr->bot = xio_tg_bot_for(tg, p->persona_id);
	pr->nparts = nparts;
	pr->top = xio_tg_chat_top(tg, pr->chat);
	if (have)
		pr->top = xio_tg_max64(pr->top, json_object_get_int64(json_object_array_get_idx(ids, have - 1)));
	pr->id = pr->top > PROBE_BACK ? pr->top - PROBE_BACK : 1;
	xio_logf(tg->log, XIO_LOG_INFO, "telegram",
		 "%s: outcome unknown after a restart; looking for it in chat %s from message %" PRId64,
		 p->key, pr->chat, pr->id);
	tg->st.probes++;
	for (tail = &tg->probes; *tail; tail = &(*tail)->next)
		;
	*tail = pr;
	if (tg->probes == pr)
		probe_run(tg);
out:
	xio_tg_parts_free(parts, nparts);
	json_object_put(rec);
}

int xio_tg_probing(struct xio_tg *tg, const char *chat)
{
	struct probe *pr;

	for (pr = tg->probes; pr; pr = pr->next)
		if (!strcmp(pr->chat, chat))
			return 1;
	return 0;
}

void xio_tg_probes_cancel(struct xio_tg *tg)
{
	while (tg->probes)
		probe_finish(tg->probes, XIO_EAGAIN, -1, NULL, "telegram: shutting down");
}
