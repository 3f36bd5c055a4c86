/*
 * produce.c — the decision draft from the transcript, validated, fed back.
 */
#include "produce.h"
#include "decision.h"
#include "extract.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

static void perform(void *ud, struct xio_outbox_job *job);

int xio_producer_init(struct xio_producer *p, struct xio_runner *runner, const char *schemas_dir,
		      const char *tz, struct xio_log *log, struct xio_err *err)
{
	int rc;

	memset(p, 0, sizeof(*p));
	p->handler.kind = "produce";
	p->handler.perform = perform;
	p->handler.ud = p;
	p->runner = runner;
	p->log = log;
	p->tz = strdup(tz && *tz ? tz : "UTC");
	if (!p->tz)
		return xio_err_set(err, XIO_ENOMEM, "out of memory");
	rc = xio_schema_load_tool(&p->log_schema, schemas_dir, "notion.decision_log", err);
	if (!rc)
		rc = xio_schema_load_tool(&p->task_schema, schemas_dir, "notion.task", err);
	if (rc)
		xio_producer_release(p);
	return rc;
}

void xio_producer_release(struct xio_producer *p)
{
	xio_schema_free(p->log_schema);
	xio_schema_free(p->task_schema);
	free(p->tz);
	p->log_schema = p->task_schema = NULL;
	p->tz = NULL;
}

int xio_producer_validate(void *ud, json_object *log, json_object *tasks, struct xio_err *err)
{
	struct xio_producer *p = ud;
	struct xio_err e;
	size_t i, n;
	int rc;

	rc = xio_schema_validate(p->log_schema, log, &e);
	if (rc)
		return xio_err_set(err, rc, "decision log: %s", e.msg);
	if (!json_object_is_type(tasks, json_type_array))
		return xio_err_set(err, XIO_EINVAL, "tasks: not an array");
	n = json_object_array_length(tasks);
	for (i = 0; i < n; i++) {
		rc = xio_schema_validate(p->task_schema, json_object_array_get_idx(tasks, i), &e);
		if (rc)
			return xio_err_set(err, rc, "task %zu: %s", i + 1, e.msg);
	}
	return 0;
}

static json_object *get(json_object *o, const char *k)
{
	json_object *v = NULL;

	json_object_object_get_ex(o, k, &v);
	return v;
}

static json_object *copy_or(json_object *v, json_object *dflt)
{
	json_object *c = NULL;

	if (!v || json_object_deep_copy(v, &c, NULL)) {
		return dflt;
	}
	json_object_put(dflt);
	return c;
}

static const char *str_or(json_object *o, const char *k, const char *dflt)
{
	json_object *v = get(o, k);

	return v && json_object_is_type(v, json_type_string) ? json_object_get_string(v) : dflt;
}

/*
 * Extractor output -> schema-shaped decision log.  The decision is the one
 * that stands (xio_extract_final_decision), not every decision sentence
 * glued together; its rationale is the reason said with it ("because
 * ..."), and the other decisions — superseded, or weaker ones said after
 * it — follow there under other_label, for the humans who approve the
 * draft to see.
 */
static json_object *make_log(const struct xio_consilium *c, json_object *ex, const char *no_decision,
			     const char *other_label)
{
	json_object *log = json_object_new_object(), *decisions = get(ex, "decisions"), *thread;
	json_object *alts = json_object_new_array(), *risks = json_object_new_array();
	struct xio_buf r;
	const char *decision = NULL;
	int pick = xio_extract_final_decision(decisions), other;
	size_t i, n;

	xio_buf_init(&r, 7900);
	n = decisions ? json_object_array_length(decisions) : 0;
	if (pick >= 0) {
		json_object *d = json_object_array_get_idx(decisions, (size_t)pick);
		const char *why = str_or(d, "rationale", "");

		decision = str_or(d, "text", "");
		/* capitalised, as a sentence of its own */
		if (*why && xio_buf_printf(&r, "%c%s.", toupper((unsigned char)*why), why + 1))
			n = 0;
	}
	for (i = 0, other = 0; i < n; i++) {
		const char *t = str_or(json_object_array_get_idx(decisions, i), "text", "");

		if ((int)i == pick || !*t)
			continue;
		if (other++ ? xio_buf_printf(&r, "; %s", t)
			    : xio_buf_printf(&r, "%s%s: %s", r.len ? " " : "", other_label, t))
			break;
	}
	json_object_object_add(log, "question", json_object_new_string(c->question ? c->question : ""));
	n = get(ex, "alternatives") ? json_object_array_length(get(ex, "alternatives")) : 0;
	for (i = 0; i < n && i < 20; i++) {
		json_object *a = json_object_array_get_idx(get(ex, "alternatives"), i);
		json_object *o = json_object_new_object();

		json_object_object_add(o, "title", json_object_new_string(str_or(a, "title", "")));
		json_object_object_add(o, "pros", copy_or(get(a, "pros"), json_object_new_array()));
		json_object_object_add(o, "cons", copy_or(get(a, "cons"), json_object_new_array()));
		json_object_array_add(alts, o);
	}
	json_object_object_add(log, "alternatives", alts);
	json_object_object_add(log, "decision",
			       json_object_new_string(decision && *decision ? decision : no_decision));
	json_object_object_add(log, "rationale", json_object_new_string(r.len ? r.data : ""));
	n = get(ex, "risks") ? json_object_array_length(get(ex, "risks")) : 0;
	for (i = 0; i < n; i++) {
		json_object *r = json_object_array_get_idx(get(ex, "risks"), i);
		json_object *o = json_object_new_object();
		json_object *imp = get(r, "impact"), *prob = get(r, "probability");

		json_object_object_add(o, "description", json_object_new_string(str_or(r, "description", "")));
		json_object_object_add(o, "impact", json_object_new_int(imp ? json_object_get_int(imp) : 3));
		json_object_object_add(o, "probability", json_object_new_int(prob ? json_object_get_int(prob) : 3));
		json_object_object_add(o, "mitigation", json_object_new_string(str_or(r, "mitigation", "")));
		json_object_array_add(risks, o);
	}
	json_object_object_add(log, "risks", risks);
	thread = json_object_new_object();
	json_object_object_add(thread, "platform", json_object_new_string(c->platform ? c->platform : "console"));
	json_object_object_add(thread, "chat", json_object_new_string(c->chat ? c->chat : ""));
	json_object_object_add(thread, "thread", json_object_new_string(c->thread ? c->thread : ""));
	json_object_object_add(log, "thread", thread);
	xio_buf_release(&r);
	return log;
}

static json_object *make_tasks(json_object *ex)
{
	json_object *out = json_object_new_array(), *in = get(ex, "tasks");
	size_t i, n = in ? json_object_array_length(in) : 0;

	for (i = 0; i < n; i++) {
		json_object *t = json_object_array_get_idx(in, i), *o = json_object_new_object();
		json_object *due = get(t, "due"), *conf = get(t, "confidence"), *src = get(t, "source");

		json_object_object_add(o, "title", json_object_new_string(str_or(t, "title", "")));
		json_object_object_add(o, "owner", json_object_new_string(str_or(t, "owner", "")));
		json_object_object_add(o, "due", due && json_object_is_type(due, json_type_string)
							 ? json_object_new_string(json_object_get_string(due))
							 : NULL);
		json_object_object_add(o, "priority", json_object_new_string(str_or(t, "priority", "medium")));
		json_object_object_add(o, "status", json_object_new_string("open"));
		json_object_object_add(o, "confidence",
				       xio_confidence_json(conf ? json_object_get_double(conf) : 0.5));
		if (src)
			json_object_object_add(o, "source_message",
					       json_object_new_string(json_object_get_string(src)));
		json_object_array_add(out, o);
	}
	return out;
}

int xio_producer_extract(struct xio_producer *p, const struct xio_consilium *c,
			 json_object **log_out, json_object **tasks_out, struct xio_err *err)
{
	struct xio_store *st = p->runner->store;
	struct xio_message_row *rows = NULL;
	struct xio_extract_msg *msgs = NULL;
	struct xio_extract_opts opts = { 0 };
	const char **names = NULL;
	json_object *ex = NULL;
	size_t n = 0, i, k = 0;
	int rc;

	*log_out = *tasks_out = NULL;
	rc = st->ops->messages_list(st->impl, c->id, &rows, &n, err);
	if (rc)
		return rc;
	msgs = calloc(n ? n : 1, sizeof(*msgs));
	names = calloc(c->nparts ? c->nparts : 1, sizeof(*names));
	if (!msgs || !names) {
		rc = xio_err_set(err, XIO_ENOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < n; i++) {
		const struct xio_persona *persona =
			rows[i].persona_id ? xio_personas_find(p->runner->eng->personas, rows[i].persona_id)
					   : NULL;

		/* humans, and AI experts; never commands or the bot's script */
		if (strcmp(rows[i].author_kind, "human") != 0 &&
		    !(persona && persona->role == XIO_ROLE_EXPERT))
			continue;
		msgs[k].author = rows[i].author;
		msgs[k].text = rows[i].text;
		msgs[k].time_ms = rows[i].created_at;
		msgs[k].id = rows[i].platform_id;
		k++;
	}
	for (i = 0; i < c->nparts; i++)
		names[i] = c->parts[i].name;
	opts.lang = NULL;
	opts.tz = p->tz;
	opts.now_ms = xio_clock_now(p->runner->clock);
	opts.participants = names;
	opts.nparticipants = c->nparts;
	ex = xio_extract_run(msgs, k, &opts, err);
	if (!ex) {
		rc = err ? err->code : XIO_EINVAL;
		goto out;
	}
	*log_out = make_log(c, ex, xio_i18n_get(p->runner->eng->i18n, c->lang, "extractor.no_decision"),
			    xio_i18n_get(p->runner->eng->i18n, c->lang, "extractor.other_decisions"));
	*tasks_out = make_tasks(ex);
out:
	json_object_put(ex);
	free(names);
	free(msgs);
	xio_message_rows_free(rows, n);
	return rc;
}

/* Drops what the schemas refuse, so a draft always reaches the humans (who
 * can amend it) rather than blocking the consilium. */
static void sanitize(struct xio_producer *p, json_object *log, json_object *tasks)
{
	struct xio_err e;
	size_t i;

	for (i = json_object_array_length(tasks); i-- > 0;)
		if (xio_schema_validate(p->task_schema, json_object_array_get_idx(tasks, i), &e)) {
			xio_logf(p->log, XIO_LOG_WARN, "produce", "task %zu dropped: %s", i + 1, e.msg);
			json_object_array_del_idx(tasks, i, 1);
		}
	if (xio_schema_validate(p->log_schema, log, &e)) {
		xio_logf(p->log, XIO_LOG_WARN, "produce", "draft trimmed: %s", e.msg);
		json_object_object_add(log, "alternatives", json_object_new_array());
		json_object_object_add(log, "risks", json_object_new_array());
	}
}

static void perform(void *ud, struct xio_outbox_job *job)
{
	struct xio_producer *p = ud;

	if (p->llm_produce && p->llm_produce(p->llm_ud, job) == 0)
		return;
	xio_producer_run_extractor(p, job, NULL, NULL);
}

void xio_producer_run_extractor(struct xio_producer *p, struct xio_outbox_job *job,
				const char *note_key, const char *note_arg)
{
	struct xio_consilium *c = NULL;
	char *note = NULL;
	json_object *log = NULL, *tasks = NULL;
	struct xio_event ev = { 0 };
	struct xio_err err;
	int rc;

	c = xio_runner_load(p->runner, job->row.consilium_id, &err);
	if (!c) {
		xio_outbox_done(job, XIO_EINVAL, -1, NULL, err.msg);
		return;
	}
	rc = xio_producer_extract(p, c, &log, &tasks, &err);
	if (rc) {
		xio_outbox_done(job, XIO_EAGAIN, -1, NULL, err.msg);
		goto out;
	}
	sanitize(p, log, tasks);
	if (xio_producer_validate(p, log, tasks, &err)) {
		xio_outbox_done(job, XIO_EINVAL, -1, NULL, err.msg);
		goto out;
	}
	ev.kind = XIO_EV_DECISION_READY;
	ev.now = xio_clock_now(p->runner->clock);
	ev.log = log;
	ev.tasks = tasks;
	ev.source = "extractor";
	note = xio_i18n_fmt(p->runner->eng->i18n, c->lang, note_key ? note_key : "extractor.note",
			    "error", note_arg ? note_arg : "", NULL);
	ev.note = note ? note : xio_i18n_get(p->runner->eng->i18n, c->lang, "extractor.note");
	rc = xio_runner_feed(p->runner, c->id, &ev, job->row.id, &err);
	if (rc)
		xio_outbox_done(job, XIO_EAGAIN, -1, NULL, err.msg);
	else
		xio_outbox_done(job, XIO_EDUP, -1, NULL, NULL);
out:
	free(note);
	json_object_put(log);
	json_object_put(tasks);
	xio_consilium_free(c);
}

