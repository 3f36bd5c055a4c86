/*
 * engine.c — the consilium state machine: events in, actions out.
 *
 * No I/O and no clock: everything it needs arrives in the event and in the
 * immutable struct xio_engine.  Helpers never fail loudly: an allocation
 * failure sets out->oom and the step reports XIO_ENOMEM at its end, so the
 * runner rolls the whole step back.
 */
#include "engine_int.h"
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

static const char *const phase_names[] = { "preparation", "discussion", "decision",
					   "approval", "closed" };

const char *xio_phase_name(enum xio_phase p)
{
	return (unsigned)p < XIO_ARRAY_LEN(phase_names) ? phase_names[p] : "unknown";
}

int xio_phase_parse(const char *s, enum xio_phase *out)
{
	size_t i;

	for (i = 0; s && i < XIO_ARRAY_LEN(phase_names); i++)
		if (strcmp(s, phase_names[i]) == 0) {
			*out = (enum xio_phase)i;
			return 0;
		}
	return XIO_EINVAL;
}

const char *xio_detect_lang(const char *configured, const char *text)
{
	const unsigned char *p;

	if (configured && (strcmp(configured, "en") == 0 || strcmp(configured, "ru") == 0))
		return configured;
	/* Cyrillic letters are U+0400..U+04FF: lead bytes 0xD0..0xD3. */
	for (p = (const unsigned char *)(text ? text : ""); *p; p++)
		if (*p >= 0xD0 && *p <= 0xD3 && (p[1] & 0xC0) == 0x80)
			return "ru";
	return "en";
}

/* ---- actions ----------------------------------------------------------- */

void xio_actions_init(struct xio_actions *a)
{
	memset(a, 0, sizeof(*a));
}

void xio_actions_release(struct xio_actions *a)
{
	size_t i;

	for (i = 0; i < a->n; i++) {
		free(a->v[i].persona_id);
		free(a->v[i].text);
		free(a->v[i].status);
	}
	free(a->v);
	memset(a, 0, sizeof(*a));
}

static char *dup_opt(const char *s, int *oom)
{
	char *d;

	if (!s)
		return NULL;
	d = strdup(s);
	if (!d)
		*oom = 1;
	return d;
}

void engine_act_task(struct xio_actions *a, enum xio_action_kind kind, int task,
		     const char *status, int64_t at, const char *text)
{
	engine_act(a, kind, NULL, text, status);
	if (!a->oom) {
		a->v[a->n - 1].task = task;
		a->v[a->n - 1].at = at;
	}
}

/* A persona's posts of one step go out as one message: a chat reads
 * "Round 2 of 5." and "Bench, your view?" as one turn, and Telegram allows a
 * group only 20 bot messages a minute.  Returns 1 when text was appended to
 * the step's previous action (a post by the same persona). */
static int merge_post(struct xio_actions *a, const char *persona_id, const char *text)
{
	struct xio_action *prev = a->n ? &a->v[a->n - 1] : NULL;
	size_t have, add;
	char *joined;

	if (!prev || prev->kind != XIO_ACT_POST || !prev->text || !prev->persona_id ||
	    !persona_id || strcmp(prev->persona_id, persona_id) != 0)
		return 0;
	have = strlen(prev->text);
	add = strlen(text);
	joined = realloc(prev->text, have + 2 + add + 1);
	if (!joined) {
		a->oom = 1;
		return 1;
	}
	memcpy(joined + have, "\n\n", 2);
	memcpy(joined + have + 2, text, add + 1);
	prev->text = joined;
	return 1;
}

void engine_act(struct xio_actions *a, enum xio_action_kind kind,
		const char *persona_id, const char *text, const char *status)
{
	struct xio_action *act;

	if (a->oom)
		return;
	if (kind == XIO_ACT_POST && text && merge_post(a, persona_id, text))
		return;
	if (a->n == a->cap) {
		size_t ncap = a->cap ? a->cap * 2 : 8;
		struct xio_action *nv = realloc(a->v, ncap * sizeof(*nv));

		if (!nv) {
			a->oom = 1;
			return;
		}
		a->v = nv;
		a->cap = ncap;
	}
	act = &a->v[a->n++];
	memset(act, 0, sizeof(*act));
	act->kind = kind;
	act->persona_id = dup_opt(persona_id, &a->oom);
	act->text = dup_opt(text, &a->oom);
	act->status = dup_opt(status, &a->oom);
}

static const char *role_persona(const struct xio_engine *eng, enum xio_role role)
{
	const struct xio_persona *p = xio_personas_by_role(eng->personas, role);

	return p ? p->id : xio_role_name(role);
}

void engine_post(struct xio_cmd_ctx *x, enum xio_role role, const char *text)
{
	engine_act(x->out, XIO_ACT_POST, role_persona(x->eng, role), text, NULL);
}

void engine_post_owned(struct xio_cmd_ctx *x, enum xio_role role, char *text)
{
	if (!text) {
		x->out->oom = 1;
		return;
	}
	engine_post(x, role, text);
	free(text);
}

void engine_json_put(json_object *o, const char *k, json_object *v, int *oom)
{
	/* a constant key: json-c 0.16 leaks its copy of a key when growing
	 * the table fails */
	if (!v || !o || json_object_object_add_ex(o, k, v, JSON_C_OBJECT_ADD_CONSTANT_KEY)) {
		json_object_put(v);
		*oom = 1;
	}
}

void engine_json_push(json_object *arr, json_object *v, int *oom)
{
	if (!v || !arr || json_object_array_add(arr, v)) {
		json_object_put(v);
		*oom = 1;
	}
}

void engine_say(struct xio_cmd_ctx *x, enum xio_role role, const char *key, ...)
{
	/* xio_i18n_format takes varargs; rebuild the pair list (at most 8). */
	const char *kv[16] = { 0 };
	struct xio_buf b;
	va_list ap;
	size_t n = 0;

	va_start(ap, key);
	while (n < 16) {
		const char *k = va_arg(ap, const char *);

		if (!k)
			break;
		kv[n++] = k;
		kv[n++] = va_arg(ap, const char *);
	}
	va_end(ap);
	xio_buf_init(&b, 0);
	if (xio_i18n_format(x->eng->i18n, x->c->lang, &b, key, kv[0], kv[1], kv[2], kv[3],
			    kv[4], kv[5], kv[6], kv[7], kv[8], kv[9], kv[10], kv[11], kv[12],
			    kv[13], kv[14], kv[15], NULL))
		x->out->oom = 1;
	else
		engine_post(x, role, b.data);
	xio_buf_release(&b);
}

/* ---- participants ------------------------------------------------------ */

struct xio_participant *xio_consilium_participant(struct xio_consilium *c, const char *name)
{
	size_t i;

	for (i = 0; name && i < c->nparts; i++)
		if (strcasecmp(c->parts[i].name, name) == 0)
			return &c->parts[i];
	return NULL;
}

struct xio_participant *engine_add_participant(struct xio_consilium *c, const char *name,
					       const char *persona_id)
{
	struct xio_participant *p = xio_consilium_participant(c, name), *nv;

	if (p)
		return p;
	nv = realloc(c->parts, (c->nparts + 1) * sizeof(*nv));
	if (!nv)
		return NULL;
	c->parts = nv;
	p = &c->parts[c->nparts];
	memset(p, 0, sizeof(*p));
	p->name = strdup(name);
	p->persona_id = persona_id ? strdup(persona_id) : NULL;
	if (!p->name || (persona_id && !p->persona_id)) {
		free(p->name);
		free(p->persona_id);
		return NULL;
	}
	/* Someone who joins mid-round is heard in this round too. */
	c->nparts++;
	return p;
}

static void set_str(char **dst, const char *src, int *oom)
{
	char *d = NULL;

	if (src) {
		d = strdup(src);
		if (!d) {
			*oom = 1;
			return;
		}
	}
	free(*dst);
	*dst = d;
}

/* ---- phases and turns -------------------------------------------------- */

void engine_set_phase(struct xio_cmd_ctx *x, enum xio_phase to)
{
	if (x->c->phase == to)
		return;
	xio_logf(x->eng->log, XIO_LOG_INFO, "engine", "consilium %lld: %s -> %s",
		 (long long)x->c->id, xio_phase_name(x->c->phase), xio_phase_name(to));
	x->c->phase = to;
	if (to != XIO_PHASE_DISCUSSION) {
		set_str(&x->c->waiting_for, NULL, &x->out->oom);
		set_str(&x->c->asking, NULL, &x->out->oom);
		x->c->human_due_at = 0;
	}
}

static struct xio_participant *next_unspoken(struct xio_consilium *c)
{
	size_t i;

	for (i = 0; i < c->nparts; i++)
		if (!c->parts[i].spoke)
			return &c->parts[i];
	return NULL;
}

static void start_round(struct xio_cmd_ctx *x)
{
	char r[16], m[16];
	size_t i;

	for (i = 0; i < x->c->nparts; i++)
		x->c->parts[i].spoke = 0;
	snprintf(r, sizeof(r), "%d", x->c->round);
	snprintf(m, sizeof(m), "%d", x->c->max_rounds);
	engine_say(x, XIO_ROLE_MODERATOR, "mod.round", "round", r, "max", m, NULL);
}

/* Asks the Moderator (an LLM) to select or judge; its reply is an event. */
static void ask_moderator(struct xio_cmd_ctx *x, const char *purpose)
{
	struct xio_consilium *c = x->c;

	set_str(&c->asking, purpose, &x->out->oom);
	set_str(&c->waiting_for, NULL, &x->out->oom);
	c->human_due_at = 0;
	c->ask_seq++;
	engine_act(x->out, XIO_ACT_ASK, role_persona(x->eng, XIO_ROLE_MODERATOR), purpose, NULL);
	if (!x->out->oom)
		x->out->v[x->out->n - 1].seq = c->ask_seq;
}

static void call_on(struct xio_cmd_ctx *x, struct xio_participant *p)
{
	struct xio_consilium *c = x->c;

	set_str(&c->waiting_for, p->name, &x->out->oom);
	if (p->persona_id) {
		c->human_due_at = 0;
		c->ask_seq++;
		engine_act(x->out, XIO_ACT_ASK, p->persona_id, "turn", NULL);
		if (!x->out->oom)
			x->out->v[x->out->n - 1].seq = c->ask_seq;
	} else {
		c->human_due_at = x->now + x->eng->human_timeout_ms;
		engine_say(x, XIO_ROLE_MODERATOR, "mod.call_on", "name", p->name, NULL);
	}
}

/* The round is over: the next one starts, or the round limit is reached. */
static void end_round(struct xio_cmd_ctx *x)
{
	struct xio_consilium *c = x->c;
	struct xio_participant *p;

	c->round++;
	if (c->round > c->max_rounds) {
		c->round = c->max_rounds;
		engine_to_decision(x, "mod.round_limit");
		return;
	}
	start_round(x);
	if (c->policy == XIO_POLICY_SELECTOR && x->eng->ai_experts) {
		ask_moderator(x, "select");
		return;
	}
	p = next_unspoken(c);
	if (p)
		call_on(x, p);
}

void engine_call_next(struct xio_cmd_ctx *x)
{
	struct xio_consilium *c = x->c;
	struct xio_participant *p;

	if (c->phase != XIO_PHASE_DISCUSSION || c->paused)
		return;
	p = next_unspoken(c);
	if (!p) {
		/* With an LLM the Moderator judges consensus after each round
		 * (a structured yes/no), not a keyword match. */
		if (x->eng->ai_experts)
			ask_moderator(x, "judge");
		else
			end_round(x);
		return;
	}
	if (c->policy == XIO_POLICY_SELECTOR && x->eng->ai_experts) {
		ask_moderator(x, "select");
		return;
	}
	call_on(x, p);
}

/*
 * The selector's choice is checked, never trusted: it must name a
 * participant who has not spoken this round and is not the last expert to
 * speak (unless nobody else is left); otherwise round robin decides.
 */
static struct xio_participant *validate_choice(struct xio_consilium *c, const char *name)
{
	struct xio_participant *p = NULL, *fallback = NULL;
	size_t i, left = 0;

	for (i = 0; i < c->nparts; i++)
		if (!c->parts[i].spoke)
			left++;
	if (name) {
		while (*name == ' ' || *name == '@')
			name++;
		p = xio_consilium_participant(c, name);
	}
	if (p && !p->spoke && (left == 1 || !c->last_speaker || strcasecmp(p->name, c->last_speaker)))
		return p;
	for (i = 0; i < c->nparts; i++) {
		struct xio_participant *q = &c->parts[i];

		if (q->spoke)
			continue;
		if (!fallback)
			fallback = q;
		if (!c->last_speaker || strcasecmp(q->name, c->last_speaker))
			return q;
	}
	return fallback;
}

static void on_selected(struct xio_cmd_ctx *x)
{
	struct xio_consilium *c = x->c;
	struct xio_participant *p;

	if (c->phase != XIO_PHASE_DISCUSSION || !c->asking || strcmp(c->asking, "select") ||
	    x->ev->seq != c->ask_seq)
		return; /* stale: asked before a /pause, /decide or /stop */
	set_str(&c->asking, NULL, &x->out->oom);
	if (c->paused)
		return;
	p = validate_choice(c, x->ev->text);
	if (!p) {
		end_round(x);
		return;
	}
	call_on(x, p);
}

static void on_judgement(struct xio_cmd_ctx *x)
{
	struct xio_consilium *c = x->c;

	if (c->phase != XIO_PHASE_DISCUSSION || !c->asking || strcmp(c->asking, "judge") ||
	    x->ev->seq != c->ask_seq)
		return;
	set_str(&c->asking, NULL, &x->out->oom);
	if (c->paused)
		return;
	if (x->ev->consensus) {
		engine_say(x, XIO_ROLE_MODERATOR, "mod.consensus", "reason",
			   x->ev->text ? x->ev->text : "", NULL);
		engine_to_decision(x, NULL);
		return;
	}
	if (x->ev->text && *x->ev->text)
		engine_post(x, XIO_ROLE_MODERATOR, x->ev->text);
	end_round(x);
}

void engine_to_decision(struct xio_cmd_ctx *x, const char *reason_key)
{
	if (reason_key)
		engine_say(x, XIO_ROLE_MODERATOR, reason_key, "name", x->author, NULL);
	engine_set_phase(x, XIO_PHASE_DECISION);
	x->c->paused = 0;
	engine_say(x, XIO_ROLE_INTEGRATOR, "integrator.drafting", NULL);
	engine_act(x->out, XIO_ACT_PRODUCE, NULL, NULL, NULL);
}

static void stamp_decision(struct xio_consilium *c, const char *status, int64_t now, int *oom)
{
	char ts[40];
	time_t secs = (time_t)(now / 1000);
	struct tm tm;

	if (!c->decision)
		return;
	gmtime_r(&secs, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
	engine_json_put(c->decision, "status", json_object_new_string(status), oom);
	engine_json_put(c->decision, "updated_at", json_object_new_string(ts), oom);
	if (!json_object_object_get_ex(c->decision, "created_at", NULL))
		engine_json_put(c->decision, "created_at", json_object_new_string(ts), oom);
}

void engine_approve(struct xio_cmd_ctx *x)
{
	struct xio_consilium *c = x->c;

	engine_set_phase(x, XIO_PHASE_CLOSED);
	set_str(&c->outcome, "approved", &x->out->oom);
	stamp_decision(c, "approved", x->now, &x->out->oom);
	engine_act(x->out, XIO_ACT_RECORD, NULL, NULL, "approved");
	engine_say(x, XIO_ROLE_MODERATOR, "mod.approved", "name", x->author, NULL);
	engine_act(x->out, XIO_ACT_EXPORT, NULL, NULL, NULL);
	engine_act(x->out, XIO_ACT_REMIND, NULL, NULL, NULL);
}

/* ---- event handlers ---------------------------------------------------- */

static void on_start(struct xio_cmd_ctx *x)
{
	struct xio_consilium *c = x->c;
	const struct xio_event *ev = x->ev;
	struct xio_buf list;
	size_t i;

	set_str(&c->question, ev->text, &x->out->oom);
	set_str(&c->starter, ev->author, &x->out->oom);
	snprintf(c->lang, sizeof(c->lang), "%s", xio_detect_lang(x->eng->language, ev->text));
	c->policy = x->eng->policy;
	c->max_rounds = x->eng->max_rounds > 0 ? x->eng->max_rounds : 3;
	c->started_at = ev->now;
	c->deadline_at = ev->now + x->eng->time_limit_ms;
	c->phase = XIO_PHASE_PREPARATION;
	if (ev->author && !engine_add_participant(c, ev->author, NULL))
		x->out->oom = 1;
	if (x->eng->ai_experts) {
		for (i = 0; i < x->eng->personas->n; i++) {
			const struct xio_persona *p = &x->eng->personas->v[i];

			if (p->role == XIO_ROLE_EXPERT && !engine_add_participant(c, p->name, p->id))
				x->out->oom = 1;
		}
	}
	if (!c->nagenda) {
		static const char *const keys[] = { "agenda.context", "agenda.options",
						    "agenda.risks", "agenda.decision" };

		free(c->agenda); /* an empty array from a stored state */
		c->agenda = calloc(XIO_ARRAY_LEN(keys), sizeof(char *));
		if (!c->agenda) {
			x->out->oom = 1;
			return;
		}
		for (i = 0; i < XIO_ARRAY_LEN(keys); i++)
			set_str(&c->agenda[c->nagenda++],
				xio_i18n_get(x->eng->i18n, c->lang, keys[i]), &x->out->oom);
	}

	/* Preparation: restate, agenda, missing context, precedents. */
	xio_buf_init(&list, 0);
	for (i = 0; i < c->nagenda; i++)
		if (xio_buf_printf(&list, "%s%zu. %s", i ? "\n" : "", i + 1, c->agenda[i]))
			x->out->oom = 1;
	engine_say(x, XIO_ROLE_MODERATOR, "mod.opening", "question", c->question, "name",
		   ev->author, "agenda", list.data ? list.data : "", NULL);
	xio_buf_reset(&list);
	for (i = 0; i < ev->nprecedents; i++)
		if (xio_buf_printf(&list, "%s• %s — %s", i ? "\n" : "", ev->precedent_questions[i],
				   ev->precedent_decisions[i]))
			x->out->oom = 1;
	if (ev->nprecedents)
		engine_say(x, XIO_ROLE_MODERATOR, "mod.precedents", "list", list.data, NULL);
	xio_buf_release(&list);
	engine_say(x, XIO_ROLE_MODERATOR, "mod.context", NULL);

	/* Discussion starts at once: the context asked for arrives as the first
	 * turns, and a human reply may take a day — nothing waits in memory. */
	engine_set_phase(x, XIO_PHASE_DISCUSSION);
	c->round = 1;
	start_round(x);
	engine_call_next(x);
}

static void on_message(struct xio_cmd_ctx *x)
{
	struct xio_consilium *c = x->c;
	struct xio_participant *p;

	x->out->record_input = 1;
	if (c->phase == XIO_PHASE_CLOSED)
		return;
	p = engine_add_participant(c, x->author, NULL);
	if (!p) {
		x->out->oom = 1;
		return;
	}
	if (c->phase != XIO_PHASE_DISCUSSION || c->paused)
		return;
	p->spoke = 1;
	p->turns++;
	if (!c->waiting_for || strcasecmp(c->waiting_for, x->author) == 0)
		engine_call_next(x);
}

static void on_persona_reply(struct xio_cmd_ctx *x)
{
	struct xio_consilium *c = x->c;
	const struct xio_persona *persona = xio_personas_find(x->eng->personas, x->ev->persona_id);
	struct xio_participant *p;

	if (!persona || c->phase != XIO_PHASE_DISCUSSION || x->ev->seq != c->ask_seq)
		return; /* a late reply after /decide, /stop or a re-ask is dropped */
	p = xio_consilium_participant(c, persona->name);
	engine_act(x->out, XIO_ACT_POST, persona->id, x->ev->text, NULL);
	if (p) {
		p->spoke = 1;
		p->turns++;
	}
	set_str(&c->last_speaker, persona->name, &x->out->oom);
	if (!c->paused && c->waiting_for && strcasecmp(c->waiting_for, persona->name) == 0)
		engine_call_next(x);
}

static void on_decision_ready(struct xio_cmd_ctx *x)
{
	struct xio_consilium *c = x->c;
	json_object *parts;
	size_t i;

	if (c->phase != XIO_PHASE_DECISION)
		return;
	json_object_put(c->decision);
	json_object_put(c->tasks);
	c->decision = NULL;
	c->tasks = NULL;
	if (json_object_deep_copy(x->ev->log, &c->decision, NULL) ||
	    json_object_deep_copy(x->ev->tasks, &c->tasks, NULL)) {
		x->out->oom = 1;
		return;
	}
	set_str(&c->decision_source, x->ev->source, &x->out->oom);
	parts = json_object_new_array();
	for (i = 0; parts && i < c->nparts; i++)
		engine_json_push(parts, json_object_new_string(c->parts[i].name), &x->out->oom);
	engine_json_put(c->decision, "participants", parts, &x->out->oom);
	stamp_decision(c, "draft", x->now, &x->out->oom);
	engine_act(x->out, XIO_ACT_RECORD, NULL, NULL, "draft");
	if (x->ev->note)
		engine_post(x, XIO_ROLE_SCRIBE, x->ev->note);
	engine_post_owned(x, XIO_ROLE_INTEGRATOR, engine_render_decision(x->eng, c));
	engine_post_owned(x, XIO_ROLE_SCRIBE, engine_render_tasks(x->eng, c));
	if (x->eng->require_approval) {
		engine_set_phase(x, XIO_PHASE_APPROVAL);
		engine_say(x, XIO_ROLE_MODERATOR, "mod.approval_ask", NULL);
	} else {
		engine_approve(x);
	}
}

static void on_timer(struct xio_cmd_ctx *x)
{
	struct xio_consilium *c = x->c;
	struct xio_participant *p;

	if (c->phase != XIO_PHASE_DISCUSSION || c->paused)
		return;
	if (c->deadline_at && x->now >= c->deadline_at) {
		engine_to_decision(x, "mod.time_limit");
		return;
	}
	if (c->waiting_for && c->human_due_at && x->now >= c->human_due_at) {
		p = xio_consilium_participant(c, c->waiting_for);
		engine_say(x, XIO_ROLE_MODERATOR, "mod.timeout_skip", "name", c->waiting_for, NULL);
		if (p)
			p->spoke = 1;
		set_str(&c->waiting_for, NULL, &x->out->oom);
		c->human_due_at = 0;
		engine_call_next(x);
	}
}

int xio_engine_step(const struct xio_engine *eng, struct xio_consilium *c,
		    const struct xio_event *ev, struct xio_actions *out)
{
	struct xio_cmd_ctx x = { eng, c, ev, out, "", ev->author ? ev->author : "", ev->now };

	switch (ev->kind) {
	case XIO_EV_START:
		on_start(&x);
		break;
	case XIO_EV_MESSAGE:
		on_message(&x);
		break;
	case XIO_EV_COMMAND:
		out->record_input = 1;
		if (ev->author && !ev->observer && c->phase != XIO_PHASE_CLOSED &&
		    !engine_add_participant(c, ev->author, NULL))
			out->oom = 1;
		xio_command_dispatch(&x, ev->text ? ev->text : "");
		break;
	case XIO_EV_PERSONA_REPLY:
		on_persona_reply(&x);
		break;
	case XIO_EV_DECISION_READY:
		on_decision_ready(&x);
		break;
	case XIO_EV_TIMER:
		on_timer(&x);
		break;
	case XIO_EV_SELECTED:
		on_selected(&x);
		break;
	case XIO_EV_JUDGEMENT:
		on_judgement(&x);
		break;
	case XIO_EV_JOIN:
		if (ev->author && *ev->author && c->phase != XIO_PHASE_CLOSED &&
		    !engine_add_participant(c, ev->author, NULL))
			out->oom = 1;
		break;
	}
	c->step++;
	return out->oom ? XIO_ENOMEM : 0;
}

int64_t xio_consilium_wake_at(const struct xio_consilium *c)
{
	int64_t w = 0;

	if (c->phase != XIO_PHASE_DISCUSSION || c->paused)
		return 0;
	if (c->deadline_at)
		w = c->deadline_at;
	if (c->human_due_at && (!w || c->human_due_at < w))
		w = c->human_due_at;
	return w;
}

int xio_consilium_needs_human(const struct xio_consilium *c)
{
	const struct xio_participant *p = NULL;
	size_t i;

	switch (c->phase) {
	case XIO_PHASE_CLOSED:
	case XIO_PHASE_APPROVAL:
		return 1;
	case XIO_PHASE_DECISION:
	case XIO_PHASE_PREPARATION:
		return 0;
	case XIO_PHASE_DISCUSSION:
		if (c->paused)
			return 1;
		if (c->asking)
			return 0;
		for (i = 0; c->waiting_for && i < c->nparts; i++)
			if (strcasecmp(c->parts[i].name, c->waiting_for) == 0)
				p = &c->parts[i];
		return !p || !p->persona_id;
	}
	return 1;
}
