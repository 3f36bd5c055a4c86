/*
 * api_events.c — a step's stream events and audit lines, written in the
 * step's transaction (see api_events.h).
 */
#include "api_events.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"

static char *dup_or_null(const char *s, int *oom)
{
	char *d;

	if (!s)
		return NULL;
	d = strdup(s);
	if (!d)
		*oom = 1;
	return d;
}

int xio_api_snap_take(struct xio_api_snap *s, const struct xio_consilium *c)
{
	size_t i;
	int oom = 0;

	memset(s, 0, sizeof(*s));
	s->phase = c->phase;
	s->paused = c->paused;
	s->round = c->round;
	s->waiting_for = dup_or_null(c->waiting_for, &oom);
	s->outcome = dup_or_null(c->outcome, &oom);
	if (c->nparts) {
		s->turns = calloc(c->nparts, sizeof(int));
		s->spoke = calloc(c->nparts, sizeof(int));
		if (!s->turns || !s->spoke)
			return XIO_ENOMEM;
		for (i = 0; i < c->nparts; i++) {
			s->turns[i] = c->parts[i].turns;
			s->spoke[i] = c->parts[i].spoke;
		}
		s->nparts = c->nparts;
	}
	return oom ? XIO_ENOMEM : 0;
}

void xio_api_snap_release(struct xio_api_snap *s)
{
	free(s->waiting_for);
	free(s->outcome);
	free(s->turns);
	free(s->spoke);
	memset(s, 0, sizeof(*s));
}

static int str_eq(const char *a, const char *b)
{
	return (!a && !b) || (a && b && !strcmp(a, b));
}

static json_object *jstr_or_null(const char *s)
{
	return s ? json_object_new_string(s) : NULL;
}

/* Appends one event; takes data. */
static int put_event(struct xio_store *store, int64_t cid, const char *type, json_object *data,
		     int64_t now, struct xio_err *err)
{
	struct xio_event_row row = { 0 };
	int rc;

	if (!data)
		return xio_err_set(err, XIO_ENOMEM, "out of memory");
	row.consilium_id = cid;
	row.type = (char *)type;
	row.data = (char *)json_object_to_json_string_ext(data, JSON_C_TO_STRING_PLAIN |
								 JSON_C_TO_STRING_NOSLASHESCAPE);
	row.created_at = now;
	rc = row.data ? store->ops->event_append(store->impl, &row, err)
		      : xio_err_set(err, XIO_ENOMEM, "out of memory");
	json_object_put(data);
	return rc;
}

static json_object *chat_message(const char *author, const char *kind, const char *persona_id,
				 const char *text, int64_t step)
{
	json_object *o = json_object_new_object();

	if (!o)
		return NULL;
	json_object_object_add(o, "author", json_object_new_string(author ? author : ""));
	json_object_object_add(o, "author_kind", json_object_new_string(kind));
	json_object_object_add(o, "persona_id", jstr_or_null(persona_id));
	json_object_object_add(o, "text", json_object_new_string(text ? text : ""));
	json_object_object_add(o, "step", json_object_new_int64(step));
	return o;
}

static const char *persona_name(const struct xio_engine *eng, const char *id)
{
	const struct xio_persona *p = eng ? xio_personas_find(eng->personas, id) : NULL;

	return p ? p->name : id;
}

static int record_participants(struct xio_store *store, const struct xio_api_snap *b,
			       const struct xio_consilium *c, int64_t now, struct xio_err *err)
{
	size_t i;
	int rc = 0;

	for (i = 0; !rc && i < c->nparts; i++) {
		const struct xio_participant *p = &c->parts[i];
		int joined = i >= b->nparts;
		json_object *o;

		if (!joined && b->turns[i] == p->turns && b->spoke[i] == p->spoke)
			continue;
		o = json_object_new_object();
		if (o) {
			json_object_object_add(o, "name", json_object_new_string(p->name));
			json_object_object_add(o, "kind", json_object_new_string(
						       p->persona_id ? "persona" : "human"));
			json_object_object_add(o, "persona_id", jstr_or_null(p->persona_id));
			json_object_object_add(o, "turns", json_object_new_int(p->turns));
			json_object_object_add(o, "spoke", json_object_new_boolean(p->spoke));
			json_object_object_add(o, "joined", json_object_new_boolean(joined));
		}
		rc = put_event(store, c->id, "participant_updated", o, now, err);
	}
	return rc;
}

static json_object *run_status(const struct xio_consilium *c)
{
	json_object *o = json_object_new_object();

	if (!o)
		return NULL;
	json_object_object_add(o, "phase", json_object_new_string(xio_phase_name(c->phase)));
	json_object_object_add(o, "paused", json_object_new_boolean(c->paused));
	json_object_object_add(o, "round", json_object_new_int(c->round));
	json_object_object_add(o, "waiting_for", jstr_or_null(c->waiting_for));
	json_object_object_add(o, "outcome", jstr_or_null(c->outcome));
	return o;
}

static const char *tool_name(enum xio_action_kind k)
{
	switch (k) {
	case XIO_ACT_ASK:
		return "llm.ask";
	case XIO_ACT_PRODUCE:
		return "decision.produce";
	case XIO_ACT_EXPORT:
		return "tracker.export";
	case XIO_ACT_REMIND:
		return "followup.schedule";
	default:
		return NULL;
	}
}

static int record_action(struct xio_store *store, const struct xio_engine *eng,
			 const struct xio_consilium *c, const struct xio_action *act, int64_t now,
			 struct xio_err *err)
{
	json_object *o;
	const char *tool;

	if (act->kind == XIO_ACT_POST)
		return put_event(store, c->id, "chat_message",
				 chat_message(persona_name(eng, act->persona_id), "persona",
					      act->persona_id, act->text, c->step),
				 now, err);
	if (act->kind == XIO_ACT_RECORD) {
		o = json_object_new_object();
		if (o) {
			json_object_object_add(o, "kind", json_object_new_string("decision_log"));
			json_object_object_add(o, "status",
					       json_object_new_string(act->status ? act->status : ""));
			json_object_object_add(o, "decision", c->decision ? json_object_get(c->decision)
									  : NULL);
			json_object_object_add(o, "tasks",
					       c->tasks ? json_object_get(c->tasks) : json_object_new_array());
		}
		return put_event(store, c->id, "artifact", o, now, err);
	}
	tool = tool_name(act->kind);
	if (!tool)
		return 0;
	o = json_object_new_object();
	if (o) {
		json_object_object_add(o, "tool", json_object_new_string(tool));
		json_object_object_add(o, "persona_id", jstr_or_null(act->persona_id));
		json_object_object_add(o, "purpose",
				       jstr_or_null(act->kind == XIO_ACT_ASK ? act->text : NULL));
		json_object_object_add(o, "seq", json_object_new_int64(act->seq));
	}
	return put_event(store, c->id, "tool_call", o, now, err);
}

int xio_api_audit(struct xio_store *store, int in_tx, int64_t now, const char *actor,
		  const char *action, int64_t consilium_id, json_object *detail,
		  struct xio_err *err)
{
	struct xio_audit_row a = { 0 };
	int rc;

	a.at = now;
	a.actor = (char *)(actor ? actor : "");
	a.action = (char *)action;
	a.consilium_id = consilium_id;
	a.detail = (char *)(detail ? json_object_to_json_string_ext(detail, JSON_C_TO_STRING_PLAIN |
									JSON_C_TO_STRING_NOSLASHESCAPE)
				   : "{}");
	if (in_tx)
		return store->ops->audit_append(store->impl, &a, err);
	rc = xio_store_begin(store, err);
	if (rc)
		return rc;
	rc = store->ops->audit_append(store->impl, &a, err);
	if (rc) {
		xio_store_rollback(store);
		return rc;
	}
	return xio_store_commit(store, err);
}

/* The audit line of a command typed in a thread; a START event is the
 * /consilium that opened c, its text the question. */
static int audit_command(struct xio_store *store, struct xio_log *log,
			 const struct xio_consilium *c, const struct xio_event *ev, int64_t now,
			 struct xio_err *err)
{
	const char *args = "";
	char name[40];
	char *safe = NULL;
	json_object *d = json_object_new_object();
	int unknown = 0, rc;

	if (!d)
		return xio_err_set(err, XIO_ENOMEM, "out of memory");
	name[0] = '\0';
	if (ev->kind == XIO_EV_START) {
		snprintf(name, sizeof(name), "consilium");
		args = ev->text ? ev->text : "";
	} else {
		xio_command_parse(ev->text ? ev->text : "", name, sizeof(name), &args, &unknown);
	}
	/* A user may paste anything after /amend: the log's filter takes out
	 * configured secrets and credential shapes before it is kept. */
	safe = log ? xio_log_redact(log, args) : strdup(args);
	json_object_object_add(d, "command", json_object_new_string(name));
	json_object_object_add(d, "args", json_object_new_string(safe ? safe : ""));
	json_object_object_add(d, "known", json_object_new_boolean(!unknown));
	json_object_object_add(d, "thread_key", json_object_new_string(c->thread_key ? c->thread_key : ""));
	json_object_object_add(d, "phase_after", json_object_new_string(xio_phase_name(c->phase)));
	rc = xio_api_audit(store, 1, now, ev->author, "command", c->id, d, err);
	free(safe);
	json_object_put(d);
	return rc;
}

int xio_api_record_step(struct xio_store *store, struct xio_log *log,
			const struct xio_engine *eng, const struct xio_api_snap *before,
			const struct xio_consilium *c, const struct xio_actions *a,
			const struct xio_event *ev, int64_t now, struct xio_err *err)
{
	size_t i;
	int rc = 0;

	if (!store->ops->event_append)
		return 0; /* a backend without the operations schema */
	if (ev->kind == XIO_EV_START)
		rc = put_event(store, c->id, "chat_message",
			       chat_message(ev->author, "command", NULL, ev->text, c->step), now, err);
	else if (a->record_input && ev->text)
		rc = put_event(store, c->id, "chat_message",
			       chat_message(ev->author,
					    ev->kind == XIO_EV_COMMAND ? "command" : "human", NULL,
					    ev->text, c->step),
			       now, err);
	if (!rc)
		rc = record_participants(store, before, c, now, err);
	for (i = 0; !rc && i < a->n; i++)
		rc = record_action(store, eng, c, &a->v[i], now, err);
	if (!rc && (ev->kind == XIO_EV_START || before->phase != c->phase ||
		    before->paused != c->paused || before->round != c->round ||
		    !str_eq(before->waiting_for, c->waiting_for) ||
		    !str_eq(before->outcome, c->outcome)))
		rc = put_event(store, c->id, "run_status", run_status(c), now, err);
	if (!rc && (ev->kind == XIO_EV_COMMAND || ev->kind == XIO_EV_START))
		rc = audit_command(store, log, c, ev, now, err);
	for (i = 0; !rc && i < a->n; i++) {
		json_object *d;

		if (a->v[i].kind != XIO_ACT_EXPORT)
			continue;
		d = json_object_new_object();
		if (!d)
			return xio_err_set(err, XIO_ENOMEM, "out of memory");
		json_object_object_add(d, "target", json_object_new_string("tracker"));
		json_object_object_add(d, "thread_key",
				       json_object_new_string(c->thread_key ? c->thread_key : ""));
		rc = xio_api_audit(store, 1, now, ev->author ? ev->author : "xio", "export.queued",
				   c->id, d, err);
		json_object_put(d);
	}
	return rc;
}
