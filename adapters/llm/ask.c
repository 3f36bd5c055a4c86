/*
 * ask.c — prompts, LLM calls and the events they turn into (see ask.h).
 *
 * A job follows one outbox row ("ask" or "produce") through its stages:
 * an optional summary call (when the transcript is over budget), then the
 * main call; for "produce" the Integrator, maybe its repair, the Scribe,
 * maybe its repair.  Each stage reloads what it needs from the store, so a
 * job holds no state that a restart would miss: a row left in flight is
 * simply performed again by the next process.
 */
#include "ask.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "buf.h"
#include "llm_proto.h"
#include "resource.h"
#include "schema.h"

enum tpl_id { T_TURN, T_SELECT, T_JUDGE, T_INTEGRATOR, T_SCRIBE, T_SUMMARY, T_REPAIR, T_COUNT };
static const char *const tpl_names[T_COUNT] = { "turn", "select", "judge", "integrator",
						"scribe", "summary", "repair" };

enum stage { ST_MAIN, ST_SUMMARY, ST_INTEGRATOR, ST_INTEGRATOR_REPAIR, ST_SCRIBE, ST_SCRIBE_REPAIR };
static const char *const stage_names[] = { "main", "summary", "integrator", "integrator_repair",
					   "scribe", "scribe_repair" };

#define REPLY_MAX 3000
#define LINE_MAX_BYTES 2000

struct xio_llm_ask_job {
	struct xio_llm_ask_job *prev, *next;
	struct xio_llm_ask *a;
	struct xio_outbox_job *job;
	int produce;             /* a "produce" row, not an "ask" */
	char persona_id[64];
	char purpose[16];
	int64_t seq;
	enum stage stage;
	enum stage after_summary; /* the stage a summary call was made for */
	int summarised;          /* a summary was made (or failed) for this job */
	int call_on;
	uint64_t call_id;
	int64_t call_started;
	int stale;
	int64_t llm_ms;          /* time spent in completions */
	char *system, *user;     /* the main prompt, kept for a repair */
	char *answer;            /* the answer being repaired */
	char *fold_summary;      /* summary being computed: covers up to fold_upto */
	int64_t fold_upto;
	json_object *log;        /* produce: the validated decision log */
};

/* ---- templates ------------------------------------------------------- */

static int is_name_char(char ch)
{
	return (ch >= 'a' && ch <= 'z') || ch == '_';
}

char *xio_llm_fill(const char *tpl, const char *const *kv)
{
	struct xio_buf b;
	const char *p = tpl, *q;
	size_t i;
	int rc = 0;

	xio_buf_init(&b, 0);
	while (!rc && *p) {
		q = strchr(p, '{');
		if (!q) {
			rc = xio_buf_puts(&b, p);
			break;
		}
		rc = xio_buf_append(&b, p, (size_t)(q - p));
		p = q + 1;
		while (is_name_char(*p))
			p++;
		if (rc)
			break;
		if (*p == '}' && p > q + 1) {
			for (i = 0; kv && kv[i]; i += 2)
				if (strlen(kv[i]) == (size_t)(p - q - 1) && !memcmp(kv[i], q + 1, (size_t)(p - q - 1)))
					break;
			if (kv && kv[i]) {
				rc = xio_buf_puts(&b, kv[i + 1] ? kv[i + 1] : "");
				p++;
				continue;
			}
		}
		rc = xio_buf_append(&b, q, (size_t)(p - q)); /* not a placeholder we know */
	}
	if (rc || xio_buf_puts(&b, "")) {
		xio_buf_release(&b);
		return NULL;
	}
	return xio_buf_detach(&b);
}

/* Splits a filled template into its system and user messages. */
static int split_prompt(char *filled, char **system, char **user)
{
	static const char sep[] = "=== user ===";
	char *s = strstr(filled, sep);

	*system = *user = NULL;
	if (!s) {
		*user = filled;
		*system = strdup("");
		return *system ? 0 : XIO_ENOMEM;
	}
	*s = '\0';
	*system = filled;
	s += sizeof(sep) - 1;
	while (*s == '\n' || *s == '\r')
		s++;
	*user = strdup(s);
	return *user ? 0 : XIO_ENOMEM;
}

static int lang_idx(const char *lang)
{
	return lang && strcmp(lang, "ru") == 0 ? 1 : 0;
}

static int load_templates(struct xio_llm_ask *a, struct xio_err *err)
{
	static const char *const langs[2] = { "en", "ru" };
	char path[256], over[4200];
	int l, t;

	for (l = 0; l < 2; l++)
		for (t = 0; t < T_COUNT; t++) {
			snprintf(path, sizeof(path), "prompts/%s/%s.txt", langs[l], tpl_names[t]);
			if (a->o.prompts_dir && *a->o.prompts_dir)
				snprintf(over, sizeof(over), "%s/%s/%s.txt", a->o.prompts_dir, langs[l],
					 tpl_names[t]);
			a->tpl[l][t] = xio_resource_load(a->o.prompts_dir && *a->o.prompts_dir ? over : NULL,
							 path, NULL, err);
			if (!a->tpl[l][t])
				return err ? err->code : XIO_EIO;
		}
	return 0;
}

/* ---- schemas --------------------------------------------------------- */

static json_object *load_schema(const char *dir, const char *tool, struct xio_err *err)
{
	char path[128], over[4200];
	json_object *o;
	char *text;

	snprintf(path, sizeof(path), "schemas/%s.json", tool);
	if (dir && *dir)
		snprintf(over, sizeof(over), "%s/%s.json", dir, tool);
	text = xio_resource_load(dir && *dir ? over : NULL, path, NULL, err);
	if (!text)
		return NULL;
	o = json_tokener_parse(text);
	free(text);
	if (!o || !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		xio_err_set(err, XIO_EINVAL, "schema %s: not a JSON object", tool);
		return NULL;
	}
	return o;
}

/* The decision log as the Integrator writes it: without what XIO fills
 * in itself (participants, thread, timestamps, status). */
static json_object *integrator_schema(json_object *full)
{
	static const char *const ours[] = { "participants", "thread", "created_at", "updated_at",
					    "status", "$id", "$schema" };
	json_object *props = NULL;
	size_t i;

	json_object_object_get_ex(full, "properties", &props);
	for (i = 0; i < XIO_ARRAY_LEN(ours); i++) {
		json_object_object_del(full, ours[i]);
		if (props)
			json_object_object_del(props, ours[i]);
	}
	return full;
}

/* {"tasks": [task]} with the task schema's $defs hoisted to the root, so
 * its "#/$defs/..." references still resolve. */
static json_object *scribe_schema(json_object *task)
{
	json_object *root = json_object_new_object(), *props = json_object_new_object();
	json_object *arr = json_object_new_object(), *defs = NULL, *req = json_object_new_array();

	if (json_object_object_get_ex(task, "$defs", &defs))
		json_object_object_add(root, "$defs", json_object_get(defs));
	json_object_object_del(task, "$defs");
	json_object_object_del(task, "$id");
	json_object_object_del(task, "$schema");
	json_object_object_add(arr, "type", json_object_new_string("array"));
	json_object_object_add(arr, "items", task);
	json_object_object_add(props, "tasks", arr);
	json_object_object_add(root, "type", json_object_new_string("object"));
	json_object_object_add(root, "properties", props);
	json_object_array_add(req, json_object_new_string("tasks"));
	json_object_object_add(root, "required", req);
	return root;
}

static json_object *select_schema(const char *const *names, size_t n)
{
	json_object *root = json_object_new_object(), *props = json_object_new_object();
	json_object *next = json_object_new_object(), *en = json_object_new_array();
	json_object *req = json_object_new_array();
	size_t i;

	for (i = 0; i < n; i++)
		json_object_array_add(en, json_object_new_string(names[i]));
	json_object_object_add(next, "type", json_object_new_string("string"));
	json_object_object_add(next, "enum", en);
	json_object_object_add(props, "next", next);
	json_object_object_add(root, "type", json_object_new_string("object"));
	json_object_object_add(root, "properties", props);
	json_object_array_add(req, json_object_new_string("next"));
	json_object_object_add(root, "required", req);
	json_object_object_add(root, "additionalProperties", json_object_new_boolean(0));
	return root;
}

static json_object *make_judge_schema(void)
{
	return json_tokener_parse("{\"type\":\"object\",\"properties\":{\"consensus\":{\"type\":"
				  "\"boolean\"},\"reason\":{\"type\":\"string\"}},\"required\":"
				  "[\"consensus\",\"reason\"],\"additionalProperties\":false}");
}

/* ---- lifecycle --------------------------------------------------------- */

static void watch_cb(uv_timer_t *t);

int xio_llm_ask_init(struct xio_llm_ask *a, uv_loop_t *loop, struct xio_llm *llm,
		     struct xio_runner *runner, struct xio_producer *producer,
		     const struct xio_llm_ask_opts *o, struct xio_log *log, struct xio_err *err);

static void perform(void *ud, struct xio_outbox_job *job);

static void release_data(struct xio_llm_ask *a)
{
	int l, t;

	for (l = 0; l < 2; l++)
		for (t = 0; t < T_COUNT; t++) {
			free(a->tpl[l][t]);
			a->tpl[l][t] = NULL;
		}
	json_object_put(a->log_schema);
	json_object_put(a->tasks_schema);
	json_object_put(a->judge_schema);
	a->log_schema = a->tasks_schema = a->judge_schema = NULL;
}

int xio_llm_ask_init(struct xio_llm_ask *a, uv_loop_t *loop, struct xio_llm *llm,
		     struct xio_runner *runner, struct xio_producer *producer,
		     const struct xio_llm_ask_opts *o, struct xio_log *log, struct xio_err *err)
{
	json_object *s;
	int rc;

	memset(a, 0, sizeof(*a));
	a->handler.kind = "ask";
	a->handler.perform = perform;
	a->handler.ud = a;
	a->llm = llm;
	a->runner = runner;
	a->producer = producer;
	a->log = log;
	a->o = *o;
	if (a->o.context_budget_tokens <= 0)
		a->o.context_budget_tokens = 6000;
	if (a->o.stale_check_ms <= 0)
		a->o.stale_check_ms = 1000;
	rc = load_templates(a, err);
	if (rc)
		goto fail;
	s = load_schema(o->schemas_dir, "notion.decision_log", err);
	if (!s) {
		rc = err ? err->code : XIO_EINVAL;
		goto fail;
	}
	a->log_schema = integrator_schema(s);
	s = load_schema(o->schemas_dir, "notion.task", err);
	if (!s) {
		rc = err ? err->code : XIO_EINVAL;
		goto fail;
	}
	a->tasks_schema = scribe_schema(s);
	a->judge_schema = make_judge_schema();
	if (!a->tasks_schema || !a->judge_schema) {
		rc = xio_err_set(err, XIO_ENOMEM, "llm: out of memory");
		goto fail;
	}
	if (loop) {
		uv_timer_init(loop, &a->watch);
		a->watch.data = a;
		uv_timer_start(&a->watch, watch_cb, (uint64_t)a->o.stale_check_ms,
			       (uint64_t)a->o.stale_check_ms);
		uv_unref((uv_handle_t *)&a->watch);
		a->watch_on = 1;
	}
	return 0;
fail:
	release_data(a);
	return rc;
}

void xio_llm_ask_hook_producer(struct xio_llm_ask *a)
{
	if (a->producer) {
		a->producer->llm_produce = xio_llm_ask_produce;
		a->producer->llm_ud = a;
	}
}

void xio_llm_ask_release(struct xio_llm_ask *a)
{
	if (a->producer && a->producer->llm_ud == a) {
		a->producer->llm_produce = NULL;
		a->producer->llm_ud = NULL;
	}
	if (a->watch_on) {
		a->watch_on = 0;
		uv_close((uv_handle_t *)&a->watch, NULL);
	}
	release_data(a);
}

/* ---- jobs -------------------------------------------------------------- */

static void job_unlink(struct xio_llm_ask_job *j)
{
	struct xio_llm_ask *a = j->a;

	if (j->prev)
		j->prev->next = j->next;
	else if (a->jobs == j)
		a->jobs = j->next;
	if (j->next)
		j->next->prev = j->prev;
	j->prev = j->next = NULL;
}

static void job_free(struct xio_llm_ask_job *j)
{
	job_unlink(j);
	free(j->system);
	free(j->user);
	free(j->answer);
	free(j->fold_summary);
	json_object_put(j->log);
	free(j);
}

/* Finishes the outbox row and the job. */
static void job_done(struct xio_llm_ask_job *j, int rc, int64_t retry_ms, const char *result,
		     const char *msg)
{
	struct xio_outbox_job *job = j->job;

	job_free(j);
	xio_outbox_done(job, rc, retry_ms, result, msg);
}

static const struct xio_persona *persona_of(struct xio_llm_ask *a, const char *id)
{
	return xio_personas_find(a->runner->eng->personas, id);
}

static const struct xio_persona *role_of(struct xio_llm_ask *a, enum xio_role r)
{
	return xio_personas_by_role(a->runner->eng->personas, r);
}

/* Is the question this job answers still the one the engine waits for? */
static int is_stale(const struct xio_llm_ask_job *j, const struct xio_consilium *c)
{
	if (j->produce)
		return c->phase != XIO_PHASE_DECISION;
	return c->phase != XIO_PHASE_DISCUSSION || c->ask_seq != j->seq;
}

static void record(struct xio_llm_ask_job *j, const struct xio_llm_result *r, const char *outcome,
		   const char *error, int64_t overhead_ms)
{
	struct xio_store *st = j->a->runner->store;
	struct xio_llm_call_row row = { 0 };
	struct xio_err err;

	row.consilium_id = j->job->row.consilium_id;
	row.outbox_key = j->job->row.key;
	row.purpose = j->stage == ST_MAIN ? j->purpose : stage_names[j->stage];
	row.persona_id = j->persona_id;
	row.model = r->model;
	row.outcome = outcome;
	row.error = error;
	row.prompt_tokens = r->prompt_tokens;
	row.completion_tokens = r->completion_tokens;
	row.latency_ms = r->latency_ms;
	row.first_token_ms = r->first_token_ms;
	row.overhead_ms = overhead_ms;
	row.attempts = r->attempts;
	row.created_at = xio_clock_now(j->a->runner->clock);
	if (st->ops->llm_call_put && st->ops->llm_call_put(st->impl, &row, &err))
		xio_logf(j->a->log, XIO_LOG_WARN, "llm", "cannot record a completion: %s", err.msg);
}

/* Time this row has spent inside XIO, LLM time excluded. */
static int64_t overhead(const struct xio_llm_ask_job *j)
{
	int64_t d = xio_clock_now(j->a->runner->clock) - j->job->row.created_at - j->llm_ms;

	return d > 0 ? d : 0;
}

/* A short reason for the thread (the log has the details). */
static const char *reason_key(int error)
{
	switch (error) {
	case XIO_EAUTH:
		return "llm.err_auth";
	case XIO_ENOTFOUND:
		return "llm.err_model";
	case XIO_ETIMEDOUT:
		return "llm.err_timeout";
	case XIO_EINVAL:
		return "llm.err_invalid";
	default:
		return "llm.err_unavailable";
	}
}

/* ---- transcript and context -------------------------------------------- */

struct context {
	char *transcript;   /* "Name: text" lines after the summary */
	char *summary;      /* stored summary, or NULL */
	char *fold;         /* lines to fold into a new summary, or NULL */
	int64_t fold_upto;  /* last message id in fold */
	char *participants;
	char *agenda;
};

static void context_release(struct context *x)
{
	free(x->transcript);
	free(x->summary);
	free(x->fold);
	free(x->participants);
	free(x->agenda);
	memset(x, 0, sizeof(*x));
}

static int line_of(struct xio_buf *b, const struct xio_message_row *m)
{
	size_t n = strlen(m->text);

	if (n > LINE_MAX_BYTES)
		n = LINE_MAX_BYTES;
	while (n > 0 && n < strlen(m->text) && ((unsigned char)m->text[n] & 0xC0) == 0x80)
		n--;
	if (xio_buf_printf(b, "%s: ", m->author) || xio_buf_append(b, m->text, n) ||
	    xio_buf_puts(b, n < strlen(m->text) ? " …\n" : "\n"))
		return XIO_ENOMEM;
	return 0;
}

static int wanted(const struct xio_message_row *m)
{
	return strcmp(m->author_kind, "human") == 0 || strcmp(m->author_kind, "persona") == 0;
}

/*
 * Reads the transcript.  When it is over budget and may_fold is set, the
 * older lines that do not fit in half the budget go to x->fold for a new
 * summary; without may_fold they are simply left out (the summary failed).
 */
static int build_context(struct xio_llm_ask *a, const struct xio_consilium *c, int may_fold,
			 struct context *x, struct xio_err *err)
{
	struct xio_store *st = a->runner->store;
	struct xio_message_row *rows = NULL;
	struct xio_buf t, f, p;
	int64_t upto = 0, budget = a->o.context_budget_tokens * 4, total = 0, keep = 0;
	size_t n = 0, i, first = 0;
	int rc;

	memset(x, 0, sizeof(*x));
	xio_buf_init(&t, 0);
	xio_buf_init(&f, 0);
	xio_buf_init(&p, 0);
	rc = st->ops->messages_list(st->impl, c->id, &rows, &n, err);
	if (rc)
		goto out;
	if (st->ops->llm_summary_get) {
		rc = st->ops->llm_summary_get(st->impl, c->id, &x->summary, &upto, err);
		if (rc == XIO_ENOTFOUND)
			rc = 0;
		if (rc)
			goto out;
	}
	while (first < n && rows[first].id <= upto)
		first++;
	for (i = first; i < n; i++)
		if (wanted(&rows[i]))
			total += (int64_t)(strlen(rows[i].author) + strlen(rows[i].text) + 3);
	if (x->summary)
		total += (int64_t)strlen(x->summary);
	if (total > budget) {
		/* keep the newest lines within half the budget */
		size_t split = n;

		for (i = n; i > first; i--) {
			int64_t len;

			if (!wanted(&rows[i - 1]))
				continue;
			len = (int64_t)(strlen(rows[i - 1].author) + strlen(rows[i - 1].text) + 3);
			if (keep + len > budget / 2)
				break;
			keep += len;
			split = i - 1;
		}
		if (split == n && i > first)
			split = n - 1; /* always keep the last line */
		for (i = first; i < split; i++)
			if (wanted(&rows[i]) && (rc = line_of(&f, &rows[i])))
				goto oom;
		if (may_fold && f.len) {
			x->fold = xio_buf_detach(&f);
			x->fold_upto = rows[split - 1].id;
		}
		first = split;
	}
	for (i = first; i < n; i++)
		if (wanted(&rows[i]) && (rc = line_of(&t, &rows[i])))
			goto oom;
	for (i = 0; i < c->nparts; i++) {
		const struct xio_persona *pp = c->parts[i].persona_id
						       ? persona_of(a, c->parts[i].persona_id)
						       : NULL;

		if (xio_buf_printf(&p, "%s%s (%s)", i ? ", " : "", c->parts[i].name,
				   pp ? pp->expertise : "human"))
			goto oom;
	}
	x->participants = xio_buf_detach(&p);
	xio_buf_reset(&p);
	for (i = 0; i < c->nagenda; i++)
		if (xio_buf_printf(&p, "%s%zu. %s", i ? "\n" : "", i + 1, c->agenda[i]))
			goto oom;
	x->agenda = xio_buf_detach(&p);
	x->transcript = xio_buf_detach(&t);
	if (!x->transcript)
		x->transcript = strdup("");
	if (!x->participants)
		x->participants = strdup("");
	if (!x->agenda)
		x->agenda = strdup("");
	if (!x->transcript || !x->participants || !x->agenda)
		goto oom;
	goto out;
oom:
	rc = xio_err_set(err, XIO_ENOMEM, "out of memory");
out:
	xio_buf_release(&t);
	xio_buf_release(&f);
	xio_buf_release(&p);
	xio_message_rows_free(rows, n);
	if (rc)
		context_release(x);
	return rc;
}

/* ---- calls --------------------------------------------------------------- */

static void llm_done_cb(void *ud, const struct xio_llm_result *r);
static void run(struct xio_llm_ask_job *j);

static int call(struct xio_llm_ask_job *j, const char *system, const char *user,
		const char *assistant, const char *repair, enum xio_llm_format fmt,
		json_object *schema, const char *schema_name, struct xio_err *err)
{
	struct xio_llm_msg m[4];
	struct xio_llm_req req = { 0 };
	size_t n = 0;
	int rc;

	if (system && *system)
		m[n++] = (struct xio_llm_msg){ "system", system };
	m[n++] = (struct xio_llm_msg){ "user", user };
	if (assistant && repair) {
		m[n++] = (struct xio_llm_msg){ "assistant", assistant };
		m[n++] = (struct xio_llm_msg){ "user", repair };
	}
	req.msgs = m;
	req.nmsgs = n;
	req.purpose = j->stage == ST_MAIN ? j->purpose : stage_names[j->stage];
	req.format = fmt;
	req.schema = schema;
	req.schema_name = schema_name;
	rc = xio_llm_chat(j->a->llm, &req, llm_done_cb, j, &j->call_id, err);
	if (!rc) {
		j->call_on = 1;
		j->call_started = xio_clock_mono_ms();
	}
	return rc;
}

static enum xio_llm_format json_format(const struct xio_llm_ask *a)
{
	return a->o.json_schema ? XIO_LLM_JSON_SCHEMA : XIO_LLM_JSON_OBJECT;
}

/* "The JSON must match…" with the schema, when it is not sent as
 * response_format. */
static char *schema_hint(const struct xio_llm_ask *a, json_object *schema)
{
	const char *s;
	char *out;

	if (a->o.json_schema)
		return strdup("");
	s = json_object_to_json_string_ext(schema, JSON_C_TO_STRING_PLAIN);
	out = malloc(strlen(s) + 64);
	if (out)
		sprintf(out, "The JSON must match this JSON Schema:\n%s", s);
	return out;
}

static char *num(char *buf, size_t n, long long v)
{
	snprintf(buf, n, "%lld", v);
	return buf;
}

/* Builds and sends the summary call for x->fold. */
static int start_summary(struct xio_llm_ask_job *j, const struct xio_consilium *c,
			 struct context *x, struct xio_err *err)
{
	struct xio_llm_ask *a = j->a;
	char *prev = NULL, *filled = NULL, *sys = NULL, *usr = NULL;
	const char *kv[16];
	size_t k = 0;
	int rc = XIO_ENOMEM;

	if (x->summary) {
		prev = malloc(strlen(x->summary) + 64);
		if (!prev)
			goto out;
		sprintf(prev, "%s:\n%s\n", lang_idx(c->lang) ? "Прежнее изложение" : "Summary so far",
			x->summary);
	}
	kv[k++] = "question", kv[k++] = c->question;
	kv[k++] = "previous_summary", kv[k++] = prev ? prev : "";
	kv[k++] = "transcript", kv[k++] = x->fold;
	kv[k] = NULL;
	filled = xio_llm_fill(a->tpl[lang_idx(c->lang)][T_SUMMARY], kv);
	if (!filled || split_prompt(filled, &sys, &usr))
		goto out;
	filled = NULL;
	j->fold_upto = x->fold_upto;
	j->after_summary = j->stage;
	j->stage = ST_SUMMARY;
	rc = call(j, sys, usr, NULL, NULL, XIO_LLM_TEXT, NULL, NULL, err);
	if (rc)
		j->stage = j->after_summary;
out:
	if (rc == XIO_ENOMEM && err)
		xio_err_set(err, rc, "out of memory");
	free(filled);
	free(sys);
	free(usr);
	free(prev);
	return rc;
}

/* The main prompt of the job's stage. */
static int main_prompt(struct xio_llm_ask_job *j, const struct xio_consilium *c,
		       const struct context *x, char **sys_out, char **usr_out,
		       json_object **schema_out)
{
	struct xio_llm_ask *a = j->a;
	const struct xio_persona *pp = NULL;
	const char *kv[48], *names[64];
	char round[16], maxr[16], turn[16], spoken[16], today[16], *summary = NULL, *hint = NULL;
	char *filled = NULL, *candidates = NULL, *decision = NULL;
	const char *lang = c->lang;
	enum tpl_id t;
	size_t k = 0, i, nn = 0, left = 0;
	struct xio_buf cb;
	time_t now_s = (time_t)(xio_clock_now(a->runner->clock) / 1000);
	struct tm tm;
	int rc = XIO_ENOMEM;

	*sys_out = *usr_out = NULL;
	*schema_out = NULL;
	xio_buf_init(&cb, 0);
	if (j->produce)
		t = j->stage == ST_INTEGRATOR ? T_INTEGRATOR : T_SCRIBE;
	else if (!strcmp(j->purpose, "select"))
		t = T_SELECT;
	else if (!strcmp(j->purpose, "judge"))
		t = T_JUDGE;
	else
		t = T_TURN;
	if (t == T_TURN)
		pp = persona_of(a, j->persona_id);
	else if (t == T_SELECT || t == T_JUDGE)
		pp = role_of(a, XIO_ROLE_MODERATOR);
	else
		pp = role_of(a, t == T_INTEGRATOR ? XIO_ROLE_INTEGRATOR : XIO_ROLE_SCRIBE);
	if (!pp)
		return XIO_ENOTFOUND;
	if (pp->language && *pp->language)
		lang = pp->language;
	if (x->summary) {
		summary = malloc(strlen(x->summary) + 64);
		if (!summary)
			goto out;
		sprintf(summary, "\n%s:\n%s\n", lang_idx(lang) ? "Изложение начала обсуждения"
							       : "Summary of the earlier discussion",
			x->summary);
	}
	/* who may speak next: not yet spoken, not the last expert unless alone */
	for (i = 0; i < c->nparts; i++)
		if (!c->parts[i].spoke)
			left++;
	for (i = 0; i < c->nparts && nn < XIO_ARRAY_LEN(names); i++) {
		const struct xio_participant *q = &c->parts[i];

		if (q->spoke || (left > 1 && c->last_speaker && !strcasecmp(q->name, c->last_speaker)))
			continue;
		names[nn++] = q->name;
		if (xio_buf_printf(&cb, "%s%s", nn > 1 ? ", " : "", q->name))
			goto out;
	}
	candidates = xio_buf_detach(&cb);
	if (t == T_INTEGRATOR)
		*schema_out = json_object_get(a->log_schema);
	else if (t == T_SCRIBE)
		*schema_out = json_object_get(a->tasks_schema);
	else if (t == T_JUDGE)
		*schema_out = json_object_get(a->judge_schema);
	else if (t == T_SELECT)
		*schema_out = select_schema(names, nn);
	if (*schema_out) {
		hint = schema_hint(a, *schema_out);
		if (!hint)
			goto out;
	}
	if (t == T_SCRIBE && j->log) {
		json_object *d = NULL;

		json_object_object_get_ex(j->log, "decision", &d);
		decision = strdup(d ? json_object_get_string(d) : "");
		if (!decision)
			goto out;
	}
	gmtime_r(&now_s, &tm);
	strftime(today, sizeof(today), "%Y-%m-%d", &tm);
	for (i = 0; i < c->nparts; i++)
		if (pp->id && c->parts[i].persona_id && !strcmp(c->parts[i].persona_id, pp->id))
			break;
	num(turn, sizeof(turn), i < c->nparts ? c->parts[i].turns + 1 : 1);
	for (i = 0, left = 0; i < c->nparts; i++)
		if (c->parts[i].spoke)
			left++;
	num(spoken, sizeof(spoken), (long long)left);
	kv[k++] = "system_prompt", kv[k++] = pp->system_prompt ? pp->system_prompt : "";
	kv[k++] = "name", kv[k++] = pp->name;
	kv[k++] = "persona_id", kv[k++] = pp->id;
	kv[k++] = "expertise", kv[k++] = pp->expertise ? pp->expertise : "";
	kv[k++] = "participants", kv[k++] = x->participants;
	kv[k++] = "question", kv[k++] = c->question ? c->question : "";
	kv[k++] = "agenda", kv[k++] = x->agenda;
	kv[k++] = "summary", kv[k++] = summary ? summary : "";
	kv[k++] = "transcript", kv[k++] = *x->transcript ? x->transcript : "(—)";
	kv[k++] = "round", kv[k++] = num(round, sizeof(round), c->round);
	kv[k++] = "max_rounds", kv[k++] = num(maxr, sizeof(maxr), c->max_rounds);
	kv[k++] = "turn", kv[k++] = turn;
	kv[k++] = "spoken", kv[k++] = spoken;
	kv[k++] = "candidates", kv[k++] = candidates ? candidates : "";
	kv[k++] = "last_speaker", kv[k++] = c->last_speaker ? c->last_speaker : "—";
	kv[k++] = "schema_hint", kv[k++] = hint ? hint : "";
	kv[k++] = "today", kv[k++] = today;
	kv[k++] = "decision", kv[k++] = decision ? decision : "";
	kv[k] = NULL;
	filled = xio_llm_fill(a->tpl[lang_idx(lang)][t], kv);
	if (!filled || split_prompt(filled, sys_out, usr_out))
		goto out;
	filled = NULL;
	rc = 0;
out:
	if (rc) {
		free(*sys_out);
		free(*usr_out);
		*sys_out = *usr_out = NULL;
		json_object_put(*schema_out);
		*schema_out = NULL;
	}
	xio_buf_release(&cb);
	free(filled);
	free(summary);
	free(hint);
	free(candidates);
	free(decision);
	return rc;
}

/* ---- feeding the engine -------------------------------------------------- */

static void feed(struct xio_llm_ask_job *j, struct xio_event *ev)
{
	struct xio_err err;
	int rc;

	ev->now = xio_clock_now(j->a->runner->clock);
	rc = xio_runner_feed(j->a->runner, j->job->row.consilium_id, ev, j->job->row.id, &err);
	if (rc) {
		job_done(j, XIO_EAGAIN, -1, NULL, err.msg);
		return;
	}
	j->a->fed++;
	job_done(j, XIO_EDUP, -1, NULL, NULL);
}

/* Trims a persona's reply: white space, its own name in front, length. */
static char *clean_reply(const char *text, const char *name)
{
	size_t n, nl = strlen(name);
	char *out;

	while (*text == ' ' || *text == '\n' || *text == '\r' || *text == '\t')
		text++;
	if (nl && !strncasecmp(text, name, nl) && text[nl] == ':') {
		text += nl + 1;
		while (*text == ' ')
			text++;
	}
	n = strlen(text);
	while (n && (text[n - 1] == ' ' || text[n - 1] == '\n' || text[n - 1] == '\r' ||
		     text[n - 1] == '\t'))
		n--;
	if (n > REPLY_MAX) {
		n = REPLY_MAX;
		while (n && ((unsigned char)text[n] & 0xC0) == 0x80)
			n--;
	}
	out = malloc(n + 1);
	if (out) {
		memcpy(out, text, n);
		out[n] = '\0';
	}
	return out;
}

static const char *json_str(json_object *o, const char *k)
{
	json_object *v = NULL;

	if (!json_object_object_get_ex(o, k, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static void finish_ask(struct xio_llm_ask_job *j, const struct xio_llm_result *r,
		       const struct xio_consilium *c)
{
	struct xio_llm_ask *a = j->a;
	struct xio_event ev = { 0 };
	json_object *o = NULL;
	char *text = NULL;
	const char *outcome = "ok";
	const char *lang = c->lang;

	ev.seq = j->seq;
	ev.persona_id = j->persona_id;
	if (!strcmp(j->purpose, "select") || !strcmp(j->purpose, "judge")) {
		if (!r->error) {
			o = xio_llm_output_json(r->text, r->len, NULL);
			if (!o)
				outcome = "invalid";
		} else {
			outcome = "error";
		}
		if (!strcmp(j->purpose, "select")) {
			ev.kind = XIO_EV_SELECTED;
			ev.text = o ? json_str(o, "next") : NULL;
			if (o && !ev.text)
				ev.text = json_str(o, "name");
		} else {
			json_object *v = NULL;

			ev.kind = XIO_EV_JUDGEMENT;
			if (o && json_object_object_get_ex(o, "consensus", &v))
				ev.consensus = json_object_is_type(v, json_type_boolean)
						       ? json_object_get_boolean(v)
						       : json_object_is_type(v, json_type_string) &&
								 (!strcasecmp(json_object_get_string(v), "true") ||
								  !strcasecmp(json_object_get_string(v), "yes"));
			ev.text = o ? json_str(o, "reason") : NULL;
			if (r->error)
				ev.text = text = xio_i18n_fmt(a->runner->eng->i18n, lang, "llm.judge_failed",
							      "error",
							      xio_i18n_get(a->runner->eng->i18n, lang,
									   reason_key(r->error)),
							      NULL);
		}
	} else {
		const struct xio_persona *pp = persona_of(a, j->persona_id);

		ev.kind = XIO_EV_PERSONA_REPLY;
		if (pp && pp->language && *pp->language)
			lang = pp->language;
		if (!r->error)
			text = clean_reply(r->text, pp ? pp->name : "");
		if (!r->error && text && !*text) {
			free(text);
			text = NULL;
			outcome = "invalid";
		}
		if (r->error || !text) {
			free(text);
			if (r->error)
				outcome = "error";
			text = xio_i18n_fmt(a->runner->eng->i18n, lang, "llm.turn_failed", "error",
					    xio_i18n_get(a->runner->eng->i18n, lang,
							 r->error ? reason_key(r->error) : "llm.err_invalid"),
					    NULL);
		}
		ev.text = text;
		if (!text) {
			job_done(j, XIO_EAGAIN, -1, NULL, "out of memory");
			goto out;
		}
	}
	/* recorded before the feed: j is gone after it */
	record(j, r, outcome, r->error ? r->error_msg : NULL, overhead(j));
	feed(j, &ev);
out:
	json_object_put(o);
	free(text);
}

/* ---- produce ----------------------------------------------------------------- */

static void fallback(struct xio_llm_ask_job *j, const char *note_key, const char *arg)
{
	struct xio_producer *p = j->a->producer;
	struct xio_outbox_job *job = j->job;

	j->a->fallbacks++;
	job_free(j);
	xio_producer_run_extractor(p, job, note_key, arg);
}

/* Makes the Integrator's log ours: the fields XIO owns are set or removed. */
static void own_fields(json_object *log, const struct xio_consilium *c)
{
	json_object *thread = json_object_new_object();
	const char *q = json_str(log, "question");

	json_object_object_del(log, "participants");
	json_object_object_del(log, "created_at");
	json_object_object_del(log, "updated_at");
	json_object_object_del(log, "status");
	if (!q || !*q)
		json_object_object_add(log, "question", json_object_new_string(c->question ? c->question : ""));
	json_object_object_add(thread, "platform", json_object_new_string(c->platform && *c->platform ? c->platform : "console"));
	json_object_object_add(thread, "chat", json_object_new_string(c->chat ? c->chat : ""));
	json_object_object_add(thread, "thread", json_object_new_string(c->thread ? c->thread : ""));
	json_object_object_add(log, "thread", thread);
}

static int check_tasks(struct xio_producer *p, json_object *o, json_object **tasks,
		       struct xio_err *err)
{
	json_object *arr = NULL;

	*tasks = NULL;
	if (!json_object_object_get_ex(o, "tasks", &arr) || !json_object_is_type(arr, json_type_array))
		return xio_err_set(err, XIO_EINVAL, "tasks: missing or not an array");
	for (size_t i = 0; i < json_object_array_length(arr); i++) {
		json_object *t = json_object_array_get_idx(arr, i);
		struct xio_err e;

		if (xio_schema_validate(p->task_schema, t, &e))
			return xio_err_set(err, XIO_EINVAL, "tasks/%zu: %s", i, e.msg);
	}
	*tasks = json_object_get(arr);
	return 0;
}

static void produce_answer(struct xio_llm_ask_job *j, const struct xio_llm_result *r,
			   const struct xio_consilium *c)
{
	struct xio_llm_ask *a = j->a;
	struct xio_producer *p = a->producer;
	int repair = j->stage == ST_INTEGRATOR_REPAIR || j->stage == ST_SCRIBE_REPAIR;
	int integ = j->stage == ST_INTEGRATOR || j->stage == ST_INTEGRATOR_REPAIR;
	json_object *o = NULL, *tasks = NULL;
	struct xio_err e;
	int rc;

	if (r->error) {
		record(j, r, "error", r->error_msg, 0);
		fallback(j, "llm.produce_failed",
			 xio_i18n_get(a->runner->eng->i18n, c->lang, reason_key(r->error)));
		return;
	}
	o = xio_llm_output_json(r->text, r->len, &e);
	if (o && integ) {
		own_fields(o, c);
		rc = xio_schema_validate(p->log_schema, o, &e);
	} else if (o) {
		rc = check_tasks(p, o, &tasks, &e);
	} else {
		rc = XIO_EINVAL;
	}
	record(j, r, rc ? "invalid" : "ok", rc ? e.msg : NULL, 0);
	if (rc) {
		json_object_put(o);
		if (repair) {
			xio_logf(a->log, XIO_LOG_WARN, "llm", "consilium %lld: the repaired %s draft is still invalid: %s",
				 (long long)c->id, integ ? "decision" : "tasks", e.msg);
			fallback(j, "extractor.fallback", NULL);
			return;
		}
		/* one repair round, with the errors */
		{
			const char *kv[] = { "errors", e.msg, "what", integ ? "integrator" : "scribe", NULL };
			char *rep = xio_llm_fill(a->tpl[lang_idx(c->lang)][T_REPAIR], kv);
			json_object *schema = json_object_get(integ ? a->log_schema : a->tasks_schema);
			struct xio_err ce;

			free(j->answer);
			j->answer = strndup(r->text, r->len);
			j->stage = integ ? ST_INTEGRATOR_REPAIR : ST_SCRIBE_REPAIR;
			rc = rep && j->answer
				     ? call(j, j->system, j->user, j->answer, rep, json_format(a), schema,
					    integ ? "decision_log" : "tasks", &ce)
				     : xio_err_set(&ce, XIO_ENOMEM, "out of memory");
			json_object_put(schema);
			free(rep);
			if (rc)
				fallback(j, "llm.produce_failed",
					 xio_i18n_get(a->runner->eng->i18n, c->lang, "llm.err_unavailable"));
		}
		return;
	}
	if (integ) {
		json_object_put(j->log);
		j->log = o;
		j->stage = ST_SCRIBE;
		free(j->system);
		free(j->user);
		j->system = j->user = NULL;
		run(j); /* the Scribe next */
		return;
	}
	{
		struct xio_event ev = { 0 };

		ev.kind = XIO_EV_DECISION_READY;
		ev.log = j->log;
		ev.tasks = tasks;
		ev.source = "llm";
		ev.note = NULL;
		if (xio_producer_validate(p, j->log, tasks, &e)) {
			json_object_put(o);
			json_object_put(tasks);
			fallback(j, "extractor.fallback", NULL);
			return;
		}
		feed(j, &ev);
	}
	json_object_put(o);
	json_object_put(tasks);
}

/* ---- the driver ------------------------------------------------------------ */

static void llm_done_cb(void *ud, const struct xio_llm_result *r)
{
	struct xio_llm_ask_job *j = ud;
	struct xio_llm_ask *a = j->a;
	struct xio_consilium *c = NULL;
	struct xio_err err;

	j->call_on = 0;
	j->llm_ms += r->latency_ms;
	if (r->error == XIO_ECANCELED) {
		if (j->stale) {
			a->stale++;
			job_done(j, 0, -1, "{\"stale\":true}", NULL);
		} else {
			/* shutting down: the next process performs the row again */
			job_done(j, XIO_EAGAIN, 0, NULL, "LLM call canceled by shutdown");
		}
		return;
	}
	c = xio_runner_load(a->runner, j->job->row.consilium_id, &err);
	if (!c) {
		job_done(j, XIO_EAGAIN, -1, NULL, err.msg);
		return;
	}
	if (j->stage == ST_SUMMARY) {
		struct xio_store *st = a->runner->store;

		record(j, r, r->error ? "error" : "ok", r->error ? r->error_msg : NULL, 0);
		j->summarised = 1;
		j->stage = j->after_summary;
		if (!r->error && r->len && st->ops->llm_summary_put) {
			if (st->ops->llm_summary_put(st->impl, c->id, r->text, j->fold_upto,
						     xio_clock_now(a->runner->clock), &err))
				xio_logf(a->log, XIO_LOG_WARN, "llm", "cannot store a summary: %s", err.msg);
			else
				a->summaries++;
		}
		xio_consilium_free(c);
		run(j);
		return;
	}
	if (is_stale(j, c)) {
		record(j, r, "stale", NULL, 0);
		a->stale++;
		job_done(j, 0, -1, "{\"stale\":true}", NULL);
	} else if (j->produce) {
		produce_answer(j, r, c);
	} else {
		finish_ask(j, r, c);
	}
	xio_consilium_free(c);
}

/* Runs the job's current stage: summary first if the transcript is over
 * budget, then the stage's prompt. */
static void run(struct xio_llm_ask_job *j)
{
	struct xio_llm_ask *a = j->a;
	struct xio_consilium *c = NULL;
	struct context x;
	json_object *schema = NULL;
	struct xio_err err;
	int rc;

	c = xio_runner_load(a->runner, j->job->row.consilium_id, &err);
	if (!c) {
		job_done(j, XIO_EAGAIN, -1, NULL, err.msg);
		return;
	}
	if (is_stale(j, c)) {
		a->stale++;
		if (j->produce)
			fallback(j, NULL, NULL); /* the engine ignores it out of phase */
		else
			job_done(j, 0, -1, "{\"stale\":true}", NULL);
		xio_consilium_free(c);
		return;
	}
	rc = build_context(a, c, !j->summarised, &x, &err);
	if (rc) {
		job_done(j, XIO_EAGAIN, -1, NULL, err.msg);
		xio_consilium_free(c);
		return;
	}
	if (x.fold) {
		rc = start_summary(j, c, &x, &err);
		if (!rc)
			goto out;
		j->summarised = 1; /* go on without it */
		context_release(&x);
		rc = build_context(a, c, 0, &x, &err);
		if (rc) {
			job_done(j, XIO_EAGAIN, -1, NULL, err.msg);
			goto out_c;
		}
	}
	free(j->system);
	free(j->user);
	j->system = j->user = NULL;
	rc = main_prompt(j, c, &x, &j->system, &j->user, &schema);
	if (!rc) {
		int json = j->produce || strcmp(j->purpose, "turn") != 0;

		rc = call(j, j->system, j->user, NULL, NULL, json ? json_format(a) : XIO_LLM_TEXT,
			  json ? schema : NULL,
			  j->produce ? (j->stage == ST_INTEGRATOR ? "decision_log" : "tasks") : j->purpose,
			  &err);
	} else {
		xio_err_set(&err, rc, "cannot build the %s prompt: %s", j->purpose, xio_strerror(rc));
	}
	json_object_put(schema);
	if (rc) {
		if (j->produce)
			fallback(j, "llm.produce_failed",
				 xio_i18n_get(a->runner->eng->i18n, c->lang, "llm.err_unavailable"));
		else
			job_done(j, rc == XIO_ESTATE ? XIO_EAGAIN : XIO_EINVAL, -1, NULL, err.msg);
	}
out:
	context_release(&x);
out_c:
	xio_consilium_free(c);
}

static struct xio_llm_ask_job *job_new(struct xio_llm_ask *a, struct xio_outbox_job *job)
{
	struct xio_llm_ask_job *j = calloc(1, sizeof(*j));

	if (!j)
		return NULL;
	j->a = a;
	j->job = job;
	j->next = a->jobs;
	if (a->jobs)
		a->jobs->prev = j;
	a->jobs = j;
	return j;
}

static void perform(void *ud, struct xio_outbox_job *job)
{
	struct xio_llm_ask *a = ud;
	struct xio_llm_ask_job *j;
	json_object *p = json_tokener_parse(job->row.payload ? job->row.payload : "");
	const char *pid = p ? json_str(p, "persona_id") : NULL;
	const char *purpose = p ? json_str(p, "purpose") : NULL;
	json_object *seq = NULL;

	if (!pid || !purpose || !json_object_object_get_ex(p, "seq", &seq) ||
	    (strcmp(purpose, "turn") && strcmp(purpose, "select") && strcmp(purpose, "judge"))) {
		json_object_put(p);
		xio_outbox_done(job, XIO_EINVAL, -1, NULL, "ask row: malformed payload");
		return;
	}
	j = job_new(a, job);
	if (!j) {
		json_object_put(p);
		xio_outbox_done(job, XIO_EAGAIN, -1, NULL, "out of memory");
		return;
	}
	snprintf(j->persona_id, sizeof(j->persona_id), "%s", pid);
	snprintf(j->purpose, sizeof(j->purpose), "%s", purpose);
	j->seq = json_object_get_int64(seq);
	j->stage = ST_MAIN;
	json_object_put(p);
	run(j);
}

int xio_llm_ask_produce(void *ud, struct xio_outbox_job *job)
{
	struct xio_llm_ask *a = ud;
	struct xio_llm_ask_job *j = job_new(a, job);

	if (!j)
		return XIO_ENOMEM; /* the extractor runs instead */
	j->produce = 1;
	snprintf(j->purpose, sizeof(j->purpose), "produce");
	j->stage = ST_INTEGRATOR;
	run(j);
	return 0;
}

/* Cancels running calls whose question went stale (/stop, /decide, a newer
 * ask), so their rows stop holding the thread's later posts back. */
static void watch_cb(uv_timer_t *t)
{
	struct xio_llm_ask *a = t->data;
	struct xio_llm_ask_job *j;
	int64_t now = xio_clock_mono_ms();

	for (j = a->jobs; j; j = j->next) {
		struct xio_consilium *c;

		if (!j->call_on || j->stale || now - j->call_started < a->o.stale_check_ms)
			continue;
		c = xio_runner_load(a->runner, j->job->row.consilium_id, NULL);
		if (c && is_stale(j, c)) {
			j->stale = 1;
			xio_llm_cancel(a->llm, j->call_id);
		}
		xio_consilium_free(c);
	}
}
