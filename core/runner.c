/*
 * runner.c — event in, one transaction out.
 */
#include "runner.h"
#include "api_events.h"
#include "commands.h"
#include "scheduler.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PRECEDENTS_MAX 3

static void wake_cb(uv_timer_t *t)
{
	xio_runner_tick(t->data);
}

int xio_runner_init(struct xio_runner *r, uv_loop_t *loop, struct xio_store *store,
		    const struct xio_engine *eng, struct xio_outbox *outbox,
		    struct xio_log *log, const struct xio_clock *clock)
{
	memset(r, 0, sizeof(*r));
	r->store = store;
	r->eng = eng;
	r->outbox = outbox;
	r->log = log;
	r->clock = clock;
	if (loop) {
		uv_timer_init(loop, &r->wake_timer);
		r->wake_timer.data = r;
		r->timer_on = 1;
	}
	return 0;
}

void xio_runner_release(struct xio_runner *r)
{
	if (r->timer_on) {
		r->timer_on = 0;
		uv_close((uv_handle_t *)&r->wake_timer, NULL);
	}
}

static void arm_timer(struct xio_runner *r)
{
	struct xio_err err;
	int64_t at, id, now;

	if (!r->timer_on)
		return;
	if (r->store->ops->consilium_next_wake(r->store->impl, &at, &id, &err)) {
		xio_logf(r->log, XIO_LOG_ERROR, "runner", "next wake: %s", err.msg);
		return;
	}
	if (!at) {
		uv_timer_stop(&r->wake_timer);
		return;
	}
	now = xio_clock_now(r->clock);
	uv_timer_start(&r->wake_timer, wake_cb, at > now ? (uint64_t)(at - now) : 1, 0);
}

struct xio_consilium *xio_runner_load(struct xio_runner *r, int64_t id, struct xio_err *err)
{
	struct xio_consilium_row row = { 0 };
	struct xio_consilium *c;

	if (r->store->ops->consilium_get(r->store->impl, id, &row, err))
		return NULL;
	c = xio_consilium_from_json(row.state_json, err);
	if (c) {
		c->id = row.id;
		c->step = row.step;
	}
	xio_consilium_row_release(&row);
	return c;
}

static const char *persona_name(const struct xio_engine *eng, const char *id)
{
	const struct xio_persona *p = xio_personas_find(eng->personas, id);

	return p ? p->name : id;
}

/* Writes a POST: the transcript line and the outbox row that delivers it. */
static int write_post(struct xio_runner *r, int64_t cid, int64_t step, int64_t reply_to,
		      const char *key, const char *platform, const char *chat, const char *thread,
		      const char *lang, const char *persona_id, const char *text, int64_t now,
		      struct xio_err *err)
{
	const struct xio_persona *p = xio_personas_find(r->eng->personas, persona_id);
	struct xio_message_row m = { 0 };
	struct xio_outbox_row o = { 0 };
	json_object *payload = json_object_new_object();
	int rc;

	if (!payload)
		return xio_err_set(err, XIO_ENOMEM, "out of memory");
	json_object_object_add(payload, "platform", json_object_new_string(platform ? platform : ""));
	json_object_object_add(payload, "chat", json_object_new_string(chat ? chat : ""));
	json_object_object_add(payload, "thread", json_object_new_string(thread ? thread : ""));
	json_object_object_add(payload, "persona_id", json_object_new_string(persona_id));
	json_object_object_add(payload, "persona_name",
			       json_object_new_string(persona_name(r->eng, persona_id)));
	json_object_object_add(payload, "icon", json_object_new_string(p ? p->icon : ""));
	json_object_object_add(payload, "lang", json_object_new_string(lang ? lang : "en"));
	json_object_object_add(payload, "text", json_object_new_string(text ? text : ""));
	rc = 0;
	if (cid) {
		m.consilium_id = cid;
		m.step = step;
		m.author = (char *)persona_name(r->eng, persona_id);
		m.author_kind = "persona";
		m.persona_id = (char *)persona_id;
		m.text = (char *)text;
		m.reply_to = reply_to;
		m.created_at = now;
		rc = r->store->ops->message_append(r->store->impl, &m, err);
	}
	if (!rc) {
		o.key = (char *)key;
		o.consilium_id = cid ? cid : xio_outbox_lane(platform, chat);
		o.kind = "post";
		o.payload = (char *)json_object_to_json_string_ext(payload, JSON_C_TO_STRING_PLAIN |
									    JSON_C_TO_STRING_NOSLASHESCAPE);
		o.next_try_at = now;
		o.created_at = now;
		rc = r->store->ops->outbox_put(r->store->impl, &o, err);
		if (rc == XIO_EDUP)
			rc = 0;
	}
	json_object_put(payload);
	return rc;
}

int xio_runner_post(struct xio_runner *r, const struct xio_post_target *t, const char *persona_id,
		    const char *text, const char *key, int64_t now, struct xio_err *err)
{
	return write_post(r, t->consilium_id, 0, 0, key, t->platform, t->chat, t->thread, t->lang,
			  persona_id, text, now, err);
}

void xio_runner_on_commit(struct xio_runner *r, void (*cb)(void *ud), void *ud)
{
	r->commit_cb = cb;
	r->commit_ud = ud;
}

static int write_effect(struct xio_runner *r, int64_t cid, const char *key, const char *kind,
			const struct xio_action *act, int64_t now, struct xio_err *err)
{
	struct xio_outbox_row o = { 0 };
	char payload[256];
	int rc;

	/* persona ids are [a-z0-9_-] and purposes fixed words: no escaping needed */
	snprintf(payload, sizeof(payload), "{\"persona_id\":\"%s\",\"purpose\":\"%s\",\"seq\":%lld}",
		 act->persona_id ? act->persona_id : "", act->text ? act->text : "",
		 (long long)act->seq);
	o.key = (char *)key;
	o.consilium_id = cid;
	o.kind = (char *)kind;
	o.payload = payload;
	o.next_try_at = now;
	o.created_at = now;
	rc = r->store->ops->outbox_put(r->store->impl, &o, err);
	return rc == XIO_EDUP ? 0 : rc;
}

static int write_decision(struct xio_runner *r, const struct xio_consilium *c, const char *status,
			  int64_t now, struct xio_err *err)
{
	const char *log = c->decision ? json_object_to_json_string_ext(c->decision, JSON_C_TO_STRING_PLAIN)
				      : "{}";
	char *log_copy = strdup(log);
	const char *tasks;
	int rc;

	if (!log_copy)
		return xio_err_set(err, XIO_ENOMEM, "out of memory");
	tasks = c->tasks ? json_object_to_json_string_ext(c->tasks, JSON_C_TO_STRING_PLAIN) : "[]";
	rc = r->store->ops->decision_put(r->store->impl, c->id, c->workspace, status, log_copy,
					 tasks, now, err);
	free(log_copy);
	return rc;
}

static const char *const kind_names[] = {
	[XIO_ACT_POST] = "post",     [XIO_ACT_ASK] = "ask",       [XIO_ACT_PRODUCE] = "produce",
	[XIO_ACT_RECORD] = "record", [XIO_ACT_EXPORT] = "export", [XIO_ACT_REMIND] = "remind",
	[XIO_ACT_TASK_STATUS] = "task_status", [XIO_ACT_SCHEDULE] = "schedule",
};

static const char *decision_status(const struct xio_consilium *c)
{
	json_object *v;

	if (c->decision && json_object_object_get_ex(c->decision, "status", &v) &&
	    json_object_is_type(v, json_type_string))
		return json_object_get_string(v);
	return "approved";
}

/* A task's new status (already in c->tasks): the decision row and the tasks
 * table, its reminders when it is finished, and a "task_status" row for the
 * tracker — all in the step's transaction. */
static int write_task_status(struct xio_runner *r, const struct xio_consilium *c, const char *key,
			     const struct xio_action *act, int64_t now, struct xio_err *err)
{
	json_object *task = c->tasks ? json_object_array_get_idx(c->tasks, (size_t)act->task) : NULL;
	json_object *payload = json_object_new_object(), *title = NULL;
	struct xio_outbox_row o = { 0 };
	int rc;

	if (!payload)
		return xio_err_set(err, XIO_ENOMEM, "out of memory");
	rc = write_decision(r, c, decision_status(c), now, err);
	if (!rc && act->status && (!strcmp(act->status, "done") || !strcmp(act->status, "cancelled")))
		rc = r->store->ops->reminders_cancel(r->store->impl, c->id, act->task, err);
	if (!rc) {
		if (task)
			json_object_object_get_ex(task, "title", &title);
		json_object_object_add(payload, "task", json_object_new_int(act->task));
		json_object_object_add(payload, "status",
				       json_object_new_string(act->status ? act->status : ""));
		json_object_object_add(payload, "title", json_object_get(title));
		o.key = (char *)key;
		o.consilium_id = c->id;
		o.kind = "task_status";
		o.payload = (char *)json_object_to_json_string_ext(payload, JSON_C_TO_STRING_PLAIN);
		o.next_try_at = now;
		o.created_at = now;
		rc = r->store->ops->outbox_put(r->store->impl, &o, err);
		if (rc == XIO_EDUP)
			rc = 0;
	}
	json_object_put(payload);
	return rc;
}

/* A follow-up reminder the engine asked for (/snooze replaces the task's
 * pending ones, /remind adds one). */
static int write_schedule(struct xio_runner *r, const struct xio_consilium *c,
			  const struct xio_action *act, int64_t now, struct xio_err *err)
{
	struct xio_reminder_row rem = { 0 };
	const char *kind = act->text ? act->text : "custom";
	char key[96];
	int rc = 0;

	if (!strcmp(kind, "snooze"))
		rc = r->store->ops->reminders_cancel(r->store->impl, c->id, act->task, err);
	if (rc)
		return rc;
	snprintf(key, sizeof(key), "c%lld:t%d:%s:s%lld", (long long)c->id, act->task, kind,
		 (long long)c->step);
	rem.key = key;
	rem.consilium_id = c->id;
	rem.task_idx = act->task;
	rem.kind = (char *)kind;
	rem.thread_key = c->thread_key;
	rem.due_at = act->at;
	rem.state = XIO_REMINDER_PENDING;
	rem.created_at = now;
	rc = r->store->ops->reminder_put(r->store->impl, &rem, err);
	return rc == XIO_EDUP ? 0 : rc;
}

/* Writes everything a step produced, inside the caller's transaction. */
static int apply_step(struct xio_runner *r, struct xio_consilium *c, const struct xio_actions *a,
		      const struct xio_event *ev, const char *input_id, int64_t now,
		      struct xio_err *err)
{
	struct xio_consilium_row row = { 0 };
	/* What the step says answers its input; a step without one (a timer,
	 * a model's answer) goes on from the line before each of its posts. */
	int64_t reply_to = XIO_MSG_REPLY_LAST;
	char key[96];
	size_t i;
	int rc = 0;

	if (a->record_input && ev->text) {
		struct xio_message_row m = { 0 };

		m.consilium_id = c->id;
		m.step = c->step;
		m.author = (char *)(ev->author ? ev->author : "");
		m.author_kind = ev->kind == XIO_EV_COMMAND ? "command" : "human";
		m.text = (char *)ev->text;
		m.platform_id = (char *)input_id;
		m.reply_to = XIO_MSG_REPLY_LAST;
		m.created_at = now;
		rc = r->store->ops->message_append(r->store->impl, &m, err);
		reply_to = m.id;
	}
	for (i = 0; !rc && i < a->n; i++) {
		const struct xio_action *act = &a->v[i];

		snprintf(key, sizeof(key), "c%lld:s%lld:%zu", (long long)c->id, (long long)c->step, i);
		switch (act->kind) {
		case XIO_ACT_POST:
			rc = write_post(r, c->id, c->step, reply_to, key, c->platform, c->chat,
					c->thread, c->lang,
					act->persona_id, act->text, now, err);
			break;
		case XIO_ACT_RECORD:
			rc = write_decision(r, c, act->status, now, err);
			break;
		case XIO_ACT_TASK_STATUS:
			rc = write_task_status(r, c, key, act, now, err);
			break;
		case XIO_ACT_SCHEDULE:
			rc = write_schedule(r, c, act, now, err);
			break;
		default:
			rc = write_effect(r, c->id, key, kind_names[act->kind], act, now, err);
			break;
		}
	}
	if (rc)
		return rc;
	row.id = c->id;
	row.question = c->question;
	row.phase = (char *)xio_phase_name(c->phase);
	row.state_json = xio_consilium_to_json(c);
	row.step = c->step;
	row.wake_at = xio_consilium_wake_at(c);
	row.updated_at = now;
	if (!row.state_json)
		return xio_err_set(err, XIO_ENOMEM, "out of memory");
	rc = r->store->ops->consilium_update(r->store->impl, &row, err);
	free(row.state_json);
	return rc;
}

/* Steps c with ev inside an open transaction and writes the result.  refusal (n bytes; NULL = not
 * wanted) receives the engine's explanation when it refused a command,
 * else "". */
static int step_and_apply(struct xio_runner *r, struct xio_consilium *c, const struct xio_event *ev,
			  const char *input_id, char *refusal, size_t n, struct xio_err *err)
{
	struct xio_api_snap before;
	struct xio_actions a;
	int rc;

	xio_actions_init(&a);
	/* ops: the stream's events and the audit lines join the step's
	 * transaction */
	rc = xio_api_snap_take(&before, c);
	if (!rc)
		rc = xio_engine_step(r->eng, c, ev, &a);
	if (rc)
		xio_err_set(err, rc, "consilium %lld: step failed: %s", (long long)c->id,
			    xio_strerror(rc));
	else
		rc = apply_step(r, c, &a, ev, input_id, ev->now, err);
	if (!rc)
		rc = xio_api_record_step(r->store, r->log, r->eng, &before, c, &a, ev, ev->now, err);
	if (!rc && refusal && n) {
		const char *why = "";

		for (size_t i = 0; a.refused && i < a.n; i++)
			if (a.v[i].kind == XIO_ACT_POST && a.v[i].text)
				why = a.v[i].text;
		snprintf(refusal, n, "%s", a.refused && !*why ? "refused" : why);
	}
	xio_api_snap_release(&before);
	xio_actions_release(&a);
	return rc;
}

static void after_commit(struct xio_runner *r)
{
	if (r->committed_cb)
		r->committed_cb(r->committed_ud);
	if (r->outbox)
		xio_outbox_kick(r->outbox);
	arm_timer(r);
	if (r->commit_cb)
		r->commit_cb(r->commit_ud);
}

/*
 * Commits the outermost transaction with the outbox's pass inside it: the
 * rows the steps put are marked in flight by this commit instead of one of
 * their own.  The pass runs in a savepoint, so that its failure costs the
 * pass (tried again later), never the steps.  Returns what the commit
 * returned.
 */
static int commit_with_outbox(struct xio_runner *r, struct xio_err *err)
{
	struct xio_err perr;
	int rc, carried = 0;

	/* only the outermost commit: a job must not start before its
	 * in-flight mark is durable (a caller's own transaction, such as the
	 * scheduler's, commits later) */
	if (r->outbox && xio_store_outermost(r->store) && xio_outbox_can_prepare(r->outbox) &&
	    !xio_store_begin(r->store, &perr)) {
		if (xio_outbox_prepare(r->outbox, &perr)) {
			xio_store_rollback(r->store);
			xio_outbox_abort(r->outbox, perr.msg);
		} else if (xio_store_commit(r->store, &perr)) {
			xio_outbox_abort(r->outbox, perr.msg);
		} else {
			carried = 1;
		}
	}
	rc = xio_store_commit(r->store, err);
	if (carried) {
		if (rc)
			xio_outbox_abort(r->outbox, err->msg);
		else
			xio_outbox_launch(r->outbox);
	}
	return rc;
}

static int finish(struct xio_runner *r, int rc, struct xio_err *err)
{
	if (rc) {
		xio_store_rollback(r->store);
		return rc;
	}
	/* inside a batch this is a savepoint: nothing is carried */
	rc = commit_with_outbox(r, err);
	if (rc)
		return rc;
	r->steps++;
	if (r->batch) {
		r->batch_steps++;
		return 0; /* durable, and announced, at xio_runner_batch_end */
	}
	after_commit(r);
	return 0;
}

int xio_runner_batch_begin(struct xio_runner *r, struct xio_err *err)
{
	int rc = xio_store_begin(r->store, err);

	if (rc)
		return rc;
	r->batch = 1;
	r->batch_steps = 0;
	return 0;
}

int xio_runner_batch_end(struct xio_runner *r, struct xio_err *err)
{
	int rc;

	r->batch = 0;
	rc = commit_with_outbox(r, err);
	if (rc)
		return rc;
	if (r->batch_steps)
		after_commit(r);
	r->batch_steps = 0;
	return 0;
}

/* Opens a new consilium for in: inserts its row, finds precedents, and
 * applies the START event. */
static int open_consilium(struct xio_runner *r, const struct xio_inbound *in, const char *question,
			  int64_t now, int64_t *opened, struct xio_err *err)
{
	struct xio_consilium_row row = { 0 };
	struct xio_consilium *c = xio_consilium_new();
	struct xio_precedent *prec = NULL;
	const char *pq[PRECEDENTS_MAX], *pd[PRECEDENTS_MAX];
	struct xio_event ev = { 0 };
	size_t np = 0, i;
	int rc;

	if (!c)
		return xio_err_set(err, XIO_ENOMEM, "out of memory");
	c->thread_key = strdup(in->thread_key);
	c->workspace = strdup(in->workspace ? in->workspace : "");
	c->platform = strdup(in->platform ? in->platform : "");
	c->chat = strdup(in->chat ? in->chat : "");
	c->thread = strdup(in->thread ? in->thread : "");
	if (!c->thread_key || !c->workspace || !c->platform || !c->chat || !c->thread) {
		rc = xio_err_set(err, XIO_ENOMEM, "out of memory");
		goto out;
	}
	row.thread_key = c->thread_key;
	row.workspace = c->workspace;
	row.question = (char *)question;
	row.phase = "preparation";
	row.state_json = "{}";
	row.created_at = row.updated_at = now;
	rc = r->store->ops->consilium_insert(r->store->impl, &row, err);
	if (rc)
		goto out;
	c->id = row.id;
	rc = r->store->ops->precedents(r->store->impl, c->workspace, question, PRECEDENTS_MAX, &prec,
				       &np, err);
	if (rc)
		goto out;
	for (i = 0; i < np; i++) {
		pq[i] = prec[i].question;
		pd[i] = prec[i].decision;
	}
	ev.kind = XIO_EV_START;
	ev.now = now;
	ev.author = in->author;
	ev.text = question;
	ev.precedent_questions = pq;
	ev.precedent_decisions = pd;
	ev.nprecedents = np;
	{
		/* the command that opened it is the transcript's first line */
		struct xio_message_row m = { 0 };

		m.consilium_id = c->id;
		m.author = (char *)in->author;
		m.author_kind = "command";
		m.text = (char *)in->text;
		m.platform_id = (char *)in->msg_id;
		m.created_at = now;
		rc = r->store->ops->message_append(r->store->impl, &m, err);
	}
	if (!rc)
		rc = step_and_apply(r, c, &ev, in->msg_id, NULL, 0, err);
	if (!rc) {
		*opened = c->id;
		xio_logf(r->log, XIO_LOG_INFO, "runner", "consilium %lld opened in %s",
			 (long long)c->id, in->thread_key);
	}
out:
	xio_precedents_free(prec, np);
	xio_consilium_free(c);
	return rc;
}

/* The local date an approved decision was approved on ("" if unknown). */
static void approved_on(const struct xio_runner *r, const struct xio_consilium *c, char *buf,
			size_t n)
{
	json_object *v;
	int64_t at;

	buf[0] = '\0';
	if (c->decision && json_object_object_get_ex(c->decision, "updated_at", &v) &&
	    json_object_is_type(v, json_type_string) &&
	    !xio_sched_due_ms(json_object_get_string(v), r->eng->tz, &at)) {
		xio_sched_format_local(r->eng->tz, at, buf, n);
		if (strlen(buf) > 10)
			buf[10] = '\0'; /* the date, not the minute */
	}
}

/* The text for a command in a thread without an open consilium: the
 * usage, an unknown name, or what became of the thread's last consilium
 * (last, may be NULL).  Caller frees; NULL when out of memory. */
static char *idle_text(struct xio_runner *r, const char *lang, const struct xio_command *cmd,
		       const char *name, const struct xio_consilium *last)
{
	const struct xio_i18n *t = r->eng->i18n;
	char date[32];

	if (!cmd && name)
		return xio_i18n_fmt(t, lang, "cmd.unknown", "name", name, NULL);
	if (!cmd)
		return xio_i18n_fmt(t, lang, "cmd.idle", NULL);
	if (cmd == &xio_command_consilium)
		return xio_i18n_fmt(t, lang, "cmd.usage", "usage", cmd->usage, NULL);
	if (last && last->phase == XIO_PHASE_CLOSED && last->outcome &&
	    !strcmp(last->outcome, "approved")) {
		approved_on(r, last, date, sizeof(date));
		return xio_i18n_fmt(t, lang, *date ? "cmd.closed.approved_on" : "cmd.closed.approved",
				    "question", last->question ? last->question : "", "date", date,
				    "name", cmd->name, NULL);
	}
	if (last && last->phase == XIO_PHASE_CLOSED)
		return xio_i18n_fmt(t, lang, "cmd.closed.stopped", "question",
				    last->question ? last->question : "", "name", cmd->name, NULL);
	return xio_i18n_fmt(t, lang, "cmd.idle_command", "name", cmd->name, NULL);
}

/* Answers in a thread that has no open consilium; last is the thread's
 * latest (closed) one, or NULL. */
static int answer_idle(struct xio_runner *r, const struct xio_inbound *in,
		       const struct xio_command *cmd, const char *name,
		       const struct xio_consilium *last, int64_t now, struct xio_err *err)
{
	const struct xio_persona *mod = xio_personas_by_role(r->eng->personas, XIO_ROLE_MODERATOR);
	const char *lang = last && *last->lang ? last->lang
			   : xio_detect_lang(in->lang ? in->lang : r->eng->language, in->text);
	char key[300], *text;
	int rc;

	if (cmd == &xio_command_help) {
		/* /help works everywhere: run it on a scratch consilium */
		struct xio_consilium *c = xio_consilium_new();
		struct xio_actions a;
		struct xio_event ev = { .kind = XIO_EV_COMMAND, .now = now, .author = in->author,
					.text = in->text };

		if (!c)
			return xio_err_set(err, XIO_ENOMEM, "out of memory");
		snprintf(c->lang, sizeof(c->lang), "%s", lang);
		c->phase = XIO_PHASE_CLOSED;
		xio_actions_init(&a);
		rc = xio_engine_step(r->eng, c, &ev, &a);
		for (size_t i = 0; !rc && i < a.n; i++) {
			snprintf(key, sizeof(key), "in:%s:%zu", in->msg_id, i);
			if (a.v[i].kind == XIO_ACT_POST)
				rc = write_post(r, 0, 0, 0, key, in->platform, in->chat, in->thread, lang,
						a.v[i].persona_id, a.v[i].text, now, err);
		}
		xio_actions_release(&a);
		xio_consilium_free(c);
		return rc;
	}
	text = idle_text(r, lang, cmd, name, last);
	if (!text)
		return xio_err_set(err, XIO_ENOMEM, "out of memory");
	snprintf(key, sizeof(key), "in:%s:0", in->msg_id);
	rc = write_post(r, 0, 0, 0, key, in->platform, in->chat, in->thread, lang,
			mod ? mod->id : "moderator", text, now, err);
	free(text);
	return rc;
}

/* A command in a thread without an open consilium: answered with what
 * became of the thread's last one, when there was one. */
static int answer_closed(struct xio_runner *r, const struct xio_inbound *in,
			 const struct xio_command *cmd, const char *name, int64_t now,
			 struct xio_err *err)
{
	struct xio_consilium_row row = { 0 };
	struct xio_consilium *last = NULL;
	struct xio_err perr;
	int rc = r->store->ops->consilium_find_latest(r->store->impl, in->thread_key, &row, err);

	if (rc == XIO_ENOTFOUND) {
		rc = 0;
	} else if (!rc && !(last = xio_consilium_from_json(row.state_json, &perr))) {
		/* a damaged old state must not cost the answer */
		xio_logf(r->log, XIO_LOG_WARN, "runner", "consilium %lld: %s", (long long)row.id,
			 perr.msg);
	}
	if (!rc)
		rc = answer_idle(r, in, cmd, name, last, now, err);
	xio_consilium_free(last);
	xio_consilium_row_release(&row);
	return rc;
}

/*
 * While a new consilium runs in a thread, /done, /snooze, /remind and
 * /export are about the decision approved before it: finds the thread's
 * most recent approved consilium other than open (tasks are only stored for
 * drafted decisions, so their rows name the candidates).  Sets *out (caller
 * frees) or leaves it NULL when there is none; returns 0 or a store error.
 */
static int latest_approved(struct xio_runner *r, const char *thread_key, int64_t open,
			   struct xio_consilium **out, struct xio_err *err)
{
	struct xio_task_row *v = NULL;
	size_t n = 0, i;
	int64_t tried = 0;
	int rc;

	*out = NULL;
	rc = r->store->ops->tasks_of_thread(r->store->impl, thread_key, &v, &n, err);
	/* rows come oldest consilium first: walk back from the newest */
	for (i = n; !rc && !*out && i-- > 0;) {
		struct xio_consilium *c;

		if (v[i].consilium_id == open || v[i].consilium_id == tried)
			continue;
		tried = v[i].consilium_id;
		c = xio_runner_load(r, tried, err);
		if (!c) {
			rc = err && err->code ? err->code : XIO_EIO;
			break;
		}
		if (c->phase == XIO_PHASE_CLOSED && c->outcome && !strcmp(c->outcome, "approved"))
			*out = c;
		else
			xio_consilium_free(c);
	}
	xio_task_rows_free(v, n);
	return rc;
}

/* 1 when cmd, typed in a consilium c that has no tasks of its own yet, is
 * a follow-up of an earlier decision rather than of c. */
static int followup_elsewhere(const struct xio_command *cmd, const struct xio_consilium *c)
{
	if (!cmd || !cmd->followup || cmd == &xio_command_tasks)
		return 0; /* /tasks in a running consilium is about its draft */
	if (c->phase == XIO_PHASE_CLOSED)
		return 0;
	return !c->tasks || json_object_array_length(c->tasks) == 0;
}

static int input(struct xio_runner *r, const struct xio_inbound *in, int64_t *consilium_id,
		 char *refusal, size_t n, struct xio_err *err);

int xio_runner_input(struct xio_runner *r, const struct xio_inbound *in, struct xio_err *err)
{
	int64_t consilium_id;

	return input(r, in, &consilium_id, NULL, 0, err);
}

int xio_runner_input_routed(struct xio_runner *r, const struct xio_inbound *in,
			    int64_t *consilium_id, struct xio_err *err)
{
	return input(r, in, consilium_id, NULL, 0, err);
}

int xio_runner_command(struct xio_runner *r, const struct xio_inbound *in, char *refusal,
		       size_t n, struct xio_err *err)
{
	int64_t consilium_id;

	if (n)
		refusal[0] = '\0';
	return input(r, in, &consilium_id, refusal, n, err);
}

static int input(struct xio_runner *r, const struct xio_inbound *in, int64_t *consilium_id,
		 char *refusal, size_t n, struct xio_err *err)
{
	struct xio_consilium_row row = { 0 };
	struct xio_consilium *c = NULL;
	const struct xio_command *cmd;
	struct xio_event ev = { 0 };
	char name[40];
	const char *args;
	int64_t now = in->time_ms ? in->time_ms : xio_clock_now(r->clock);
	int rc, unknown, found;

	*consilium_id = 0;
	if (!in->text || !in->thread_key || !in->msg_id || !in->author)
		return xio_err_set(err, XIO_EINVAL, "inbound message without text, thread, id or author");
	rc = xio_store_begin(r->store, err);
	if (rc)
		return rc;
	rc = r->store->ops->inbound_claim(r->store->impl, in->msg_id, now, err);
	if (rc)
		goto out; /* XIO_EDUP: seen before, nothing to do */
	cmd = xio_command_parse(in->text, name, sizeof(name), &args, &unknown);
	rc = r->store->ops->consilium_find_open(r->store->impl, in->thread_key, &row, err);
	found = rc == 0;
	if (rc && rc != XIO_ENOTFOUND)
		goto out;
	rc = 0;
	if (!found && cmd && cmd->followup) {
		/* /done, /snooze, /remind, /tasks act on the thread's latest
		 * consilium even when it is closed */
		rc = r->store->ops->consilium_find_latest(r->store->impl, in->thread_key, &row, err);
		found = rc == 0;
		if (rc && rc != XIO_ENOTFOUND)
			goto out;
		rc = 0;
	}
	if (!found) {
		if (cmd == &xio_command_consilium && *args)
			rc = open_consilium(r, in, args, now, consilium_id, err);
		else if (cmd || unknown)
			rc = answer_closed(r, in, cmd, name, now, err);
		else if (in->hint_when_idle)
			rc = answer_idle(r, in, NULL, NULL, NULL, now, err);
		goto out;
	}
	c = xio_consilium_from_json(row.state_json, err);
	if (!c) {
		rc = err ? err->code : XIO_EINVAL;
		goto out;
	}
	c->id = row.id;
	c->step = row.step;
	if (followup_elsewhere(cmd, c)) {
		struct xio_consilium *prev = NULL;

		rc = latest_approved(r, in->thread_key, c->id, &prev, err);
		if (rc)
			goto out;
		if (prev) {
			xio_consilium_free(c);
			c = prev;
		}
	}
	ev.kind = cmd || unknown ? XIO_EV_COMMAND : XIO_EV_MESSAGE;
	ev.now = now;
	ev.author = in->author;
	ev.observer = in->observer;
	ev.text = in->text;
	rc = step_and_apply(r, c, &ev, in->msg_id, refusal, n, err);
	if (!rc)
		*consilium_id = c->id;
out:
	xio_consilium_free(c);
	xio_consilium_row_release(&row);
	if (rc == XIO_EDUP) {
		xio_store_rollback(r->store);
		*consilium_id = 0;
		return XIO_EDUP;
	}
	rc = finish(r, rc, err);
	if (rc)
		*consilium_id = 0;
	return rc;
}

static int mark_done(struct xio_runner *r, int64_t outbox_id, struct xio_err *err)
{
	struct xio_outbox_row o = { 0 };

	o.id = outbox_id;
	o.state = XIO_OUTBOX_DONE;
	o.attempts = 1;
	o.result = "{\"applied\":true}";
	return r->store->ops->outbox_update(r->store->impl, &o, err);
}

int xio_runner_feed(struct xio_runner *r, int64_t consilium_id, const struct xio_event *ev,
		    int64_t done_outbox_id, struct xio_err *err)
{
	struct xio_consilium *c = NULL;
	int rc = xio_store_begin(r->store, err);

	if (rc)
		return rc;
	c = xio_runner_load(r, consilium_id, err);
	if (!c) {
		rc = err ? err->code : XIO_ENOTFOUND;
		goto out;
	}
	rc = step_and_apply(r, c, ev, NULL, NULL, 0, err);
	if (!rc && done_outbox_id)
		rc = mark_done(r, done_outbox_id, err);
out:
	xio_consilium_free(c);
	return finish(r, rc, err);
}

void xio_runner_tick(struct xio_runner *r)
{
	struct xio_err err;
	int64_t at, id, now;
	int guard = 0;

	for (;;) {
		struct xio_event ev = { 0 };

		now = xio_clock_now(r->clock);
		if (r->store->ops->consilium_next_wake(r->store->impl, &at, &id, &err)) {
			xio_logf(r->log, XIO_LOG_ERROR, "runner", "timers: %s", err.msg);
			break;
		}
		if (!at || at > now || ++guard > 10000)
			break;
		ev.kind = XIO_EV_TIMER;
		ev.now = now;
		if (xio_runner_feed(r, id, &ev, 0, &err)) {
			xio_logf(r->log, XIO_LOG_ERROR, "runner", "consilium %lld: timer: %s",
				 (long long)id, err.msg);
			break;
		}
	}
	arm_timer(r);
}

int xio_runner_all_wait_for_humans(struct xio_runner *r)
{
	struct xio_err err;
	int64_t *ids = NULL;
	size_t n = 0, i;
	int all = 1;

	if (r->store->ops->consilium_ids(r->store->impl, 1, &ids, &n, &err))
		return 1;
	for (i = 0; i < n && all; i++) {
		struct xio_consilium *c = xio_runner_load(r, ids[i], &err);

		if (c && !xio_consilium_needs_human(c))
			all = 0;
		xio_consilium_free(c);
	}
	free(ids);
	return all;
}
