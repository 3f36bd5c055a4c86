/*
 * engine_state.c — a consilium's state to and from JSON (the store keeps it
 * as one column), and its allocation.
 */
#include "engine.h"

#include <stdlib.h>
#include <string.h>

/* Far above any real consilium, far below overflow. */
#define XIO_STATE_COUNTER_MAX ((int64_t)1 << 40)

struct xio_consilium *xio_consilium_new(void)
{
	struct xio_consilium *c = calloc(1, sizeof(*c));

	if (c)
		strcpy(c->lang, "en");
	return c;
}

void xio_consilium_free(struct xio_consilium *c)
{
	size_t i;

	if (!c)
		return;
	free(c->thread_key);
	free(c->workspace);
	free(c->platform);
	free(c->chat);
	free(c->thread);
	free(c->question);
	free(c->starter);
	free(c->waiting_for);
	free(c->last_speaker);
	free(c->outcome);
	free(c->decision_source);
	free(c->asking);
	for (i = 0; i < c->nparts; i++) {
		free(c->parts[i].name);
		free(c->parts[i].persona_id);
	}
	free(c->parts);
	for (i = 0; i < c->nagenda; i++)
		free(c->agenda[i]);
	free(c->agenda);
	json_object_put(c->decision);
	json_object_put(c->tasks);
	free(c);
}

/*
 * Adds v as o[k]; on failure (v NULL from a failed allocation, or the add
 * itself out of memory) releases v and returns -1, so a state is never
 * written with a field silently missing.  k must be a string literal: it is
 * added as a constant key, which also avoids json-c 0.16 leaking its copy of
 * the key when growing the table fails.
 */
static int put(json_object *o, const char *k, json_object *v)
{
	if (!v)
		return -1;
	if (json_object_object_add_ex(o, k, v, JSON_C_OBJECT_ADD_CONSTANT_KEY)) {
		json_object_put(v);
		return -1;
	}
	return 0;
}

static int push(json_object *arr, json_object *v)
{
	if (!v)
		return -1;
	if (json_object_array_add(arr, v)) {
		json_object_put(v);
		return -1;
	}
	return 0;
}

static int add_str(json_object *o, const char *k, const char *v)
{
	return v ? put(o, k, json_object_new_string(v)) : 0;
}

char *xio_consilium_to_json(const struct xio_consilium *c)
{
	json_object *o = json_object_new_object(), *parts = NULL, *agenda = NULL;
	const char *text;
	char *s = NULL;
	size_t i;
	int bad = 0;

	if (!o)
		return NULL;
	bad |= put(o, "v", json_object_new_int(1));
	bad |= put(o, "id", json_object_new_int64(c->id));
	bad |= add_str(o, "thread_key", c->thread_key);
	bad |= add_str(o, "workspace", c->workspace);
	bad |= add_str(o, "platform", c->platform);
	bad |= add_str(o, "chat", c->chat);
	bad |= add_str(o, "thread", c->thread);
	bad |= add_str(o, "question", c->question);
	bad |= add_str(o, "starter", c->starter);
	bad |= add_str(o, "lang", c->lang);
	bad |= add_str(o, "phase", xio_phase_name(c->phase));
	bad |= add_str(o, "policy", c->policy == XIO_POLICY_SELECTOR ? "selector" : "round_robin");
	bad |= put(o, "paused", json_object_new_boolean(c->paused));
	bad |= put(o, "round", json_object_new_int(c->round));
	bad |= put(o, "max_rounds", json_object_new_int(c->max_rounds));
	bad |= add_str(o, "waiting_for", c->waiting_for);
	bad |= add_str(o, "last_speaker", c->last_speaker);
	bad |= add_str(o, "outcome", c->outcome);
	bad |= add_str(o, "decision_source", c->decision_source);
	bad |= add_str(o, "asking", c->asking);
	bad |= put(o, "ask_seq", json_object_new_int64(c->ask_seq));
	bad |= put(o, "started_at", json_object_new_int64(c->started_at));
	bad |= put(o, "deadline_at", json_object_new_int64(c->deadline_at));
	bad |= put(o, "human_due_at", json_object_new_int64(c->human_due_at));
	bad |= put(o, "step", json_object_new_int64(c->step));
	parts = json_object_new_array();
	for (i = 0; !bad && parts && i < c->nparts; i++) {
		json_object *p = json_object_new_object();

		if (!p) {
			bad = 1;
			break;
		}
		bad |= add_str(p, "name", c->parts[i].name);
		bad |= add_str(p, "persona_id", c->parts[i].persona_id);
		bad |= put(p, "spoke", json_object_new_boolean(c->parts[i].spoke));
		bad |= put(p, "turns", json_object_new_int(c->parts[i].turns));
		bad |= push(parts, p);
	}
	bad |= put(o, "participants", parts);
	agenda = json_object_new_array();
	for (i = 0; !bad && agenda && i < c->nagenda; i++)
		bad |= push(agenda, json_object_new_string(c->agenda[i] ? c->agenda[i] : ""));
	bad |= put(o, "agenda", agenda);
	if (c->decision)
		bad |= put(o, "decision", json_object_get(c->decision));
	if (c->tasks)
		bad |= put(o, "tasks", json_object_get(c->tasks));
	if (!bad) {
		/* json-c 0.16 ignores a failed append while printing and returns
		 * the text with a piece missing, valid JSON or not.  This string
		 * becomes the stored state, so print twice (the second print
		 * reuses the grown buffer) and trust the text only if both agree. */
		const int flags = JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE;

		text = json_object_to_json_string_ext(o, flags);
		s = text ? strdup(text) : NULL;
		text = s ? json_object_to_json_string_ext(o, flags) : NULL;
		if (s && (!text || strcmp(s, text) != 0)) {
			free(s);
			s = NULL;
		}
	}
	json_object_put(o);
	return s;
}

/* Copies the string o[k] into *dst (absent or null: left NULL).  Returns -1
 * when it is not a string, or when out of memory (then *nomem is set). */
static int get_opt_str(json_object *o, const char *k, char **dst, int *nomem)
{
	json_object *v;

	if (!json_object_object_get_ex(o, k, &v) || json_object_is_type(v, json_type_null))
		return 0;
	if (!json_object_is_type(v, json_type_string))
		return -1;
	*dst = strdup(json_object_get_string(v));
	if (!*dst)
		*nomem = 1;
	return *dst ? 0 : -1;
}

static int64_t get_int(json_object *o, const char *k)
{
	json_object *v;

	return json_object_object_get_ex(o, k, &v) ? json_object_get_int64(v) : 0;
}

struct xio_consilium *xio_consilium_from_json(const char *json, struct xio_err *err)
{
	struct xio_consilium *c = NULL;
	json_object *o = NULL, *v;
	char *phase = NULL, *policy = NULL, *lang = NULL;
	const char *bad = NULL;
	int64_t round, max_rounds, turns;
	enum json_tokener_error jerr = json_tokener_success;
	int nomem = 0;
	size_t i, n;

	o = json_tokener_parse_verbose(json ? json : "", &jerr);
	/* json-c 0.16 has no error code for memory: a tokener it could not
	 * allocate leaves jerr untouched, and a failure deeper in the parse
	 * reads as a parse error (callers of our own text treat it alike). */
	if (!o && jerr == json_tokener_success) {
		bad = "out of memory";
		goto fail;
	}
	if (!o || !json_object_is_type(o, json_type_object)) {
		bad = "not a JSON object";
		goto fail;
	}
	c = xio_consilium_new();
	if (!c) {
		bad = "out of memory";
		goto fail;
	}
	c->id = get_int(o, "id");
	if (get_opt_str(o, "thread_key", &c->thread_key, &nomem) ||
	    get_opt_str(o, "workspace", &c->workspace, &nomem) ||
	    get_opt_str(o, "platform", &c->platform, &nomem) ||
	    get_opt_str(o, "chat", &c->chat, &nomem) ||
	    get_opt_str(o, "thread", &c->thread, &nomem) ||
	    get_opt_str(o, "question", &c->question, &nomem) ||
	    get_opt_str(o, "starter", &c->starter, &nomem) ||
	    get_opt_str(o, "waiting_for", &c->waiting_for, &nomem) ||
	    get_opt_str(o, "last_speaker", &c->last_speaker, &nomem) ||
	    get_opt_str(o, "outcome", &c->outcome, &nomem) ||
	    get_opt_str(o, "decision_source", &c->decision_source, &nomem) ||
	    get_opt_str(o, "asking", &c->asking, &nomem) ||
	    get_opt_str(o, "phase", &phase, &nomem) ||
	    get_opt_str(o, "policy", &policy, &nomem) ||
	    get_opt_str(o, "lang", &lang, &nomem)) {
		bad = nomem ? "out of memory" : "a text field has the wrong type";
		goto fail;
	}
	if (xio_phase_parse(phase, &c->phase)) {
		bad = "unknown phase";
		goto fail;
	}
	c->policy = policy && strcmp(policy, "selector") == 0 ? XIO_POLICY_SELECTOR
							      : XIO_POLICY_ROUND_ROBIN;
	if (lang && (strcmp(lang, "ru") == 0 || strcmp(lang, "en") == 0))
		strcpy(c->lang, lang);
	c->paused = json_object_object_get_ex(o, "paused", &v) && json_object_get_boolean(v);
	round = get_int(o, "round");
	max_rounds = get_int(o, "max_rounds");
	c->started_at = get_int(o, "started_at");
	c->deadline_at = get_int(o, "deadline_at");
	c->human_due_at = get_int(o, "human_due_at");
	c->step = get_int(o, "step");
	c->ask_seq = get_int(o, "ask_seq");
	/* Counters only ever count up from 0 by one per step: a value outside
	 * that range is a damaged state, and would overflow when stepped. */
	if (c->step < 0 || c->step > XIO_STATE_COUNTER_MAX || c->ask_seq < 0 ||
	    c->ask_seq > XIO_STATE_COUNTER_MAX || round < 0 || round > 1000 ||
	    max_rounds < 0 || max_rounds > 1000) {
		bad = "a counter is out of range";
		goto fail;
	}
	c->round = (int)round;
	c->max_rounds = (int)max_rounds;
	if (json_object_object_get_ex(o, "participants", &v) && json_object_is_type(v, json_type_array)) {
		n = json_object_array_length(v);
		c->parts = calloc(n ? n : 1, sizeof(*c->parts));
		if (!c->parts) {
			bad = "out of memory";
			goto fail;
		}
		for (i = 0; i < n; i++) {
			json_object *p = json_object_array_get_idx(v, i), *f;

			if (!json_object_is_type(p, json_type_object) ||
			    get_opt_str(p, "name", &c->parts[i].name, &nomem) || !c->parts[i].name ||
			    get_opt_str(p, "persona_id", &c->parts[i].persona_id, &nomem)) {
				c->nparts = i + 1;
				bad = nomem ? "out of memory" : "a participant is malformed";
				goto fail;
			}
			c->parts[i].spoke = json_object_object_get_ex(p, "spoke", &f) &&
					    json_object_get_boolean(f);
			turns = get_int(p, "turns");
			c->nparts = i + 1;
			if (turns < 0 || turns > 1000000) {
				bad = "a participant's turns are out of range";
				goto fail;
			}
			c->parts[i].turns = (int)turns;
			c->nparts = i + 1;
		}
	}
	if (json_object_object_get_ex(o, "agenda", &v) && json_object_is_type(v, json_type_array)) {
		n = json_object_array_length(v);
		c->agenda = calloc(n ? n : 1, sizeof(char *));
		if (!c->agenda) {
			bad = "out of memory";
			goto fail;
		}
		for (i = 0; i < n; i++) {
			const char *item = json_object_get_string(json_object_array_get_idx(v, i));

			c->agenda[i] = strdup(item ? item : ""); /* null in a damaged state */
			if (!c->agenda[i]) {
				bad = "out of memory";
				goto fail;
			}
			c->nagenda = i + 1;
		}
	}
	if (json_object_object_get_ex(o, "decision", &v) && json_object_is_type(v, json_type_object))
		c->decision = json_object_get(v);
	if (json_object_object_get_ex(o, "tasks", &v) && json_object_is_type(v, json_type_array))
		c->tasks = json_object_get(v);
	free(phase);
	free(policy);
	free(lang);
	json_object_put(o);
	return c;
fail:
	xio_err_set(err, strcmp(bad, "out of memory") ? XIO_EINVAL : XIO_ENOMEM,
		    "consilium state: %s", bad);
	free(phase);
	free(policy);
	free(lang);
	xio_consilium_free(c);
	json_object_put(o);
	return NULL;
}
