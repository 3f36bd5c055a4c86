/*
 * /amend <field> <text> — changes the draft before approval.
 *   question|decision|rationale <text>   replaces the field
 *   alternative <title>                  adds an alternative
 *   risk <description>                   adds a risk (impact 3, probability 3)
 *   task <title> [@owner]                adds a task
 *   task <n> owner|due|priority|title <value>   changes task n
 * The amended draft is validated against the schemas before it replaces the
 * old one; a change that breaks them is refused with the reason.
 */
#include "engine_int.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *after_word(const char *s, char *word, size_t n)
{
	size_t i = 0;

	while (*s && isspace((unsigned char)*s))
		s++;
	while (*s && !isspace((unsigned char)*s)) {
		if (i + 1 < n)
			word[i++] = *s;
		s++;
	}
	word[i] = '\0';
	while (*s && isspace((unsigned char)*s))
		s++;
	return s;
}

static json_object *new_task(const char *text, const char *author)
{
	json_object *t = json_object_new_object();
	char owner[128] = "", title[1024];
	const char *at = strchr(text, '@');

	snprintf(title, sizeof(title), "%s", text);
	if (at) {
		size_t i = 0;

		for (at++; *at && !isspace((unsigned char)*at) && i + 1 < sizeof(owner); at++)
			owner[i++] = *at;
		owner[i] = '\0';
		/* drop " @owner" from the title */
		char *cut = strchr(title, '@');

		if (cut) {
			char *end = cut;

			while (*end && !isspace((unsigned char)*end))
				end++;
			memmove(cut, end, strlen(end) + 1);
		}
	}
	for (size_t n = strlen(title); n && isspace((unsigned char)title[n - 1]); n--)
		title[n - 1] = '\0';
	json_object_object_add(t, "title", json_object_new_string(title));
	json_object_object_add(t, "owner", json_object_new_string(*owner ? owner : author));
	json_object_object_add(t, "due", NULL);
	json_object_object_add(t, "priority", json_object_new_string("medium"));
	json_object_object_add(t, "status", json_object_new_string("open"));
	json_object_object_add(t, "confidence", json_object_new_double(1.0));
	return t;
}

static int amend_task(struct xio_cmd_ctx *x, json_object *tasks, const char *rest)
{
	char num[16], field[32];
	const char *value;
	json_object *t;
	char *end;
	long n;

	value = after_word(rest, num, sizeof(num));
	n = strtol(num, &end, 10);
	if (*num == '\0' || *end != '\0') {
		json_object_array_add(tasks, new_task(rest, x->author));
		return 0;
	}
	value = after_word(value, field, sizeof(field));
	if (n < 1 || (size_t)n > json_object_array_length(tasks) || !*value)
		return -1;
	t = json_object_array_get_idx(tasks, (size_t)n - 1);
	if (!json_object_is_type(t, json_type_object))
		return -1; /* a damaged stored state: never assert inside json-c */
	if (strcmp(field, "owner") && strcmp(field, "due") && strcmp(field, "priority") &&
	    strcmp(field, "title") && strcmp(field, "status"))
		return -1;
	json_object_object_add(t, field, json_object_new_string(value));
	json_object_object_add(t, "confidence", json_object_new_double(1.0));
	return 0;
}

/* The array log[key], made one if missing or (from a damaged state) not an
 * array: json-c asserts on adding to anything else.  NULL if out of memory. */
static json_object *array_at(json_object *log, const char *key)
{
	json_object *arr;

	if (json_object_object_get_ex(log, key, &arr) && json_object_is_type(arr, json_type_array))
		return arr;
	arr = json_object_new_array();
	if (arr && json_object_object_add(log, key, arr)) {
		json_object_put(arr);
		return NULL;
	}
	return arr;
}

static void run(struct xio_cmd_ctx *x)
{
	struct xio_consilium *c = x->c;
	json_object *log = NULL, *tasks = NULL, *arr;
	struct xio_err err = { 0 };
	char field[32];
	const char *value = after_word(x->args, field, sizeof(field));
	char *text;
	int bad = 0;

	/* no draft in an approval phase only comes from a damaged state: amend
	 * an empty one rather than report it as out of memory */
	if ((c->decision ? json_object_deep_copy(c->decision, &log, NULL)
			 : !(log = json_object_new_object())) ||
	    (c->tasks ? json_object_deep_copy(c->tasks, &tasks, NULL)
		      : !(tasks = json_object_new_array()))) {
		x->out->oom = 1;
		goto out;
	}
	if (!strcasecmp(field, "question") || !strcasecmp(field, "decision") ||
	    !strcasecmp(field, "rationale")) {
		for (char *f = field; *f; f++)
			*f = (char)tolower((unsigned char)*f);
		json_object_object_add(log, field, json_object_new_string(value));
	} else if (!strcasecmp(field, "alternative") || !strcasecmp(field, "risk")) {
		int alt = !strcasecmp(field, "alternative");
		json_object *item = json_object_new_object();

		arr = item ? array_at(log, alt ? "alternatives" : "risks") : NULL;
		if (!arr) {
			json_object_put(item);
			x->out->oom = 1;
			goto out;
		}
		if (alt) {
			json_object_object_add(item, "title", json_object_new_string(value));
			json_object_object_add(item, "pros", json_object_new_array());
			json_object_object_add(item, "cons", json_object_new_array());
		} else {
			json_object_object_add(item, "description", json_object_new_string(value));
			json_object_object_add(item, "impact", json_object_new_int(3));
			json_object_object_add(item, "probability", json_object_new_int(3));
			json_object_object_add(item, "mitigation", json_object_new_string(""));
		}
		if (json_object_array_add(arr, item)) {
			json_object_put(item);
			x->out->oom = 1;
			goto out;
		}
	} else if (!strcasecmp(field, "task")) {
		bad = amend_task(x, tasks, value);
	} else {
		bad = 1;
	}
	if (bad) {
		engine_say(x, XIO_ROLE_MODERATOR, "cmd.amend.usage", NULL);
		goto out;
	}
	if (x->eng->validate && x->eng->validate(x->eng->validate_ud, log, tasks, &err)) {
		engine_say(x, XIO_ROLE_MODERATOR, "cmd.amend.invalid", "reason", err.msg, NULL);
		goto out;
	}
	json_object_object_add(log, "status", json_object_new_string("amended"));
	json_object_put(c->decision);
	json_object_put(c->tasks);
	c->decision = log;
	c->tasks = tasks;
	log = tasks = NULL;
	engine_act(x->out, XIO_ACT_RECORD, NULL, NULL, "amended");
	engine_say(x, XIO_ROLE_MODERATOR, "cmd.amend.done", "name", x->author, "field", field, NULL);
	text = !strcasecmp(field, "task") ? engine_render_tasks(x->eng, c)
					  : engine_render_decision(x->eng, c);
	if (text)
		engine_post(x, !strcasecmp(field, "task") ? XIO_ROLE_SCRIBE : XIO_ROLE_INTEGRATOR, text);
	free(text);
out:
	json_object_put(log);
	json_object_put(tasks);
}

const struct xio_command xio_command_amend = {
	"amend", NULL, 2, XIO_PHASE_BIT(XIO_PHASE_APPROVAL),
	"/amend <field> <text>", "cmd.amend.wrong_phase", run,
};
