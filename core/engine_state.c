/*
 * engine_state.c — a consilium's state to and from JSON (the store keeps it
 * as one column), and its allocation.
 */
#include "engine.h"

#include <stdlib.h>
#include <string.h>

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

static void add_str(json_object *o, const char *k, const char *v)
{
	if (v)
		json_object_object_add(o, k, json_object_new_string(v));
}

char *xio_consilium_to_json(const struct xio_consilium *c)
{
	json_object *o = json_object_new_object(), *parts, *agenda;
	char *s = NULL;
	size_t i;

	if (!o)
		return NULL;
	json_object_object_add(o, "v", json_object_new_int(1));
	json_object_object_add(o, "id", json_object_new_int64(c->id));
	add_str(o, "thread_key", c->thread_key);
	add_str(o, "workspace", c->workspace);
	add_str(o, "platform", c->platform);
	add_str(o, "chat", c->chat);
	add_str(o, "thread", c->thread);
	add_str(o, "question", c->question);
	add_str(o, "starter", c->starter);
	add_str(o, "lang", c->lang);
	add_str(o, "phase", xio_phase_name(c->phase));
	add_str(o, "policy", c->policy == XIO_POLICY_SELECTOR ? "selector" : "round_robin");
	json_object_object_add(o, "paused", json_object_new_boolean(c->paused));
	json_object_object_add(o, "round", json_object_new_int(c->round));
	json_object_object_add(o, "max_rounds", json_object_new_int(c->max_rounds));
	add_str(o, "waiting_for", c->waiting_for);
	add_str(o, "last_speaker", c->last_speaker);
	add_str(o, "outcome", c->outcome);
	add_str(o, "decision_source", c->decision_source);
	add_str(o, "asking", c->asking);
	json_object_object_add(o, "ask_seq", json_object_new_int64(c->ask_seq));
	json_object_object_add(o, "started_at", json_object_new_int64(c->started_at));
	json_object_object_add(o, "deadline_at", json_object_new_int64(c->deadline_at));
	json_object_object_add(o, "human_due_at", json_object_new_int64(c->human_due_at));
	json_object_object_add(o, "step", json_object_new_int64(c->step));
	parts = json_object_new_array();
	for (i = 0; parts && i < c->nparts; i++) {
		json_object *p = json_object_new_object();

		if (!p)
			break;
		add_str(p, "name", c->parts[i].name);
		add_str(p, "persona_id", c->parts[i].persona_id);
		json_object_object_add(p, "spoke", json_object_new_boolean(c->parts[i].spoke));
		json_object_object_add(p, "turns", json_object_new_int(c->parts[i].turns));
		json_object_array_add(parts, p);
	}
	json_object_object_add(o, "participants", parts);
	agenda = json_object_new_array();
	for (i = 0; agenda && i < c->nagenda; i++)
		json_object_array_add(agenda, json_object_new_string(c->agenda[i]));
	json_object_object_add(o, "agenda", agenda);
	if (c->decision)
		json_object_object_add(o, "decision", json_object_get(c->decision));
	if (c->tasks)
		json_object_object_add(o, "tasks", json_object_get(c->tasks));
	s = strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
							     JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
	return s;
}

static int get_opt_str(json_object *o, const char *k, char **dst)
{
	json_object *v;

	if (!json_object_object_get_ex(o, k, &v) || json_object_is_type(v, json_type_null))
		return 0;
	if (!json_object_is_type(v, json_type_string))
		return -1;
	*dst = strdup(json_object_get_string(v));
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
	size_t i, n;

	o = json_tokener_parse(json ? json : "");
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
	if (get_opt_str(o, "thread_key", &c->thread_key) || get_opt_str(o, "workspace", &c->workspace) ||
	    get_opt_str(o, "platform", &c->platform) || get_opt_str(o, "chat", &c->chat) ||
	    get_opt_str(o, "thread", &c->thread) || get_opt_str(o, "question", &c->question) ||
	    get_opt_str(o, "starter", &c->starter) || get_opt_str(o, "waiting_for", &c->waiting_for) ||
	    get_opt_str(o, "last_speaker", &c->last_speaker) || get_opt_str(o, "outcome", &c->outcome) ||
	    get_opt_str(o, "decision_source", &c->decision_source) ||
	    get_opt_str(o, "asking", &c->asking) ||
	    get_opt_str(o, "phase", &phase) || get_opt_str(o, "policy", &policy) ||
	    get_opt_str(o, "lang", &lang)) {
		bad = "a text field has the wrong type";
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
	c->round = (int)get_int(o, "round");
	c->max_rounds = (int)get_int(o, "max_rounds");
	c->started_at = get_int(o, "started_at");
	c->deadline_at = get_int(o, "deadline_at");
	c->human_due_at = get_int(o, "human_due_at");
	c->step = get_int(o, "step");
	c->ask_seq = get_int(o, "ask_seq");
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
			    get_opt_str(p, "name", &c->parts[i].name) || !c->parts[i].name ||
			    get_opt_str(p, "persona_id", &c->parts[i].persona_id)) {
				c->nparts = i + 1;
				bad = "a participant is malformed";
				goto fail;
			}
			c->parts[i].spoke = json_object_object_get_ex(p, "spoke", &f) &&
					    json_object_get_boolean(f);
			c->parts[i].turns = (int)get_int(p, "turns");
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
			c->agenda[i] = strdup(json_object_get_string(json_object_array_get_idx(v, i)));
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
	xio_err_set(err, XIO_EINVAL, "consilium state: %s", bad);
	free(phase);
	free(policy);
	free(lang);
	xio_consilium_free(c);
	json_object_put(o);
	return NULL;
}
