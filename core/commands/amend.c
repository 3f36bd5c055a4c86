/*
 * /amend <field> <text> — changes the draft before approval.
 *   question|decision|rationale <text>   replaces the field
 *   alternative <title>                  adds an alternative
 *   risk <description>                   adds a risk (impact 3, probability 3)
 *   task <title> [@owner]                adds a task
 *   task <n> owner|due|priority|title|status <value>   changes task n
 * A due date is read like /snooze's times ("next Friday", "Dec 10 15:00",
 * "завтра"); a date that does not exist or has passed is refused, naming it.
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

static json_object *new_task(const char *text, const char *author, int *oom)
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
	if (!t) {
		*oom = 1;
		return NULL;
	}
	engine_json_put(t, "title", json_object_new_string(title), oom);
	engine_json_put(t, "owner", json_object_new_string(*owner ? owner : author), oom);
	if (json_object_object_add_ex(t, "due", NULL, JSON_C_OBJECT_ADD_CONSTANT_KEY))
		*oom = 1;
	engine_json_put(t, "priority", json_object_new_string("medium"), oom);
	engine_json_put(t, "status", json_object_new_string("open"), oom);
	engine_json_put(t, "confidence", json_object_new_double(1.0), oom);
	return t;
}

/* A date-only due means the whole day: it is past only once that day is. */
static int due_is_past(const struct xio_cmd_ctx *x, const struct xio_due *d)
{
	int64_t today;

	if (d->has_time)
		return xio_tz_local_to_ms(x->eng->tz, d->year, d->month, d->day, d->hour,
					  d->minute, NULL) <= x->now;
	today = (x->now + (int64_t)xio_tz_offset_at(x->eng->tz, x->now) * 60000) / 86400000;
	return xio_dates_days_from_civil(d->year, d->month, d->day) < today;
}

/* "2026-02-30": the shape of an ISO date whose day or month does not exist
 * (the date parser only takes real ones). */
static int looks_iso(const char *s)
{
	static const char shape[] = "dddd-dd-dd";
	size_t i;

	for (i = 0; shape[i]; i++)
		if (shape[i] == 'd' ? !isdigit((unsigned char)s[i]) : s[i] != shape[i])
			return 0;
	return 1;
}

/*
 * Reads a due date the way /snooze and /remind read times (dates.c, the
 * chats' zone): "2026-12-10", "2026-12-10 15:00", "next Friday", "Dec 10",
 * "завтра"; "none" clears it.  Writes "YYYY-MM-DD" or an RFC 3339 time into
 * out ("" = no due date) and returns 0, or posts why not and returns -1.
 */
static int read_due(struct xio_cmd_ctx *x, const char *value, char *out, size_t n)
{
	static const char *const none[] = { "none", "no", "-", "нет", NULL };
	const char *const *w;
	struct xio_due d;
	size_t start = 0, len = 0, vlen = strlen(value);
	int found;

	for (w = none; *w; w++)
		if (!strcasecmp(value, *w)) {
			out[0] = '\0';
			return 0;
		}
	found = xio_dates_find_tz(value, vlen, x->now, x->eng->tz, &d, &start, &len);
	if (found < 0) {
		x->out->oom = 1;
		return -1;
	}
	if (!found || start != 0 || len != vlen || !d.has_date) {
		engine_say(x, XIO_ROLE_MODERATOR,
			   looks_iso(value) ? "cmd.amend.no_such_date" : "cmd.amend.bad_due", "due",
			   value, NULL);
		return -1;
	}
	if (due_is_past(x, &d)) {
		engine_say(x, XIO_ROLE_MODERATOR, "cmd.amend.past_due", "due", value, NULL);
		return -1;
	}
	if (xio_due_format(&d, out, n) < 0) {
		engine_say(x, XIO_ROLE_MODERATOR, "cmd.amend.bad_due", "due", value, NULL);
		return -1;
	}
	return 0;
}

/* value when it is one of words (any case), as spelt there; else NULL. */
static const char *one_of(const char *value, const char *const *words)
{
	for (; *words; words++)
		if (!strcasecmp(value, *words))
			return *words;
	return NULL;
}

/* Edits or adds a task.  Returns 0, or -1 after telling the thread why not. */
static int amend_task(struct xio_cmd_ctx *x, json_object *tasks, const char *rest)
{
	static const char *const fields[] = { "owner", "due", "priority", "title", "status", NULL };
	static const char *const priorities[] = { "low", "medium", "high", NULL };
	static const char *const statuses[] = { "open", "done", "snoozed", "cancelled", NULL };
	const char *key;
	char num[16], field[32], due[40], have[16];
	const char *value;
	json_object *t, *v;
	char *end;
	long n;

	value = after_word(rest, num, sizeof(num));
	n = strtol(num, &end, 10);
	if (*num == '\0' || *end != '\0') {
		engine_json_push(tasks, new_task(rest, x->author, &x->out->oom), &x->out->oom);
		return 0;
	}
	value = after_word(value, field, sizeof(field));
	key = one_of(field, fields);
	if (!key || !*value) {
		engine_say(x, XIO_ROLE_MODERATOR, "cmd.amend.usage", NULL);
		return -1;
	}
	if (n < 1 || (size_t)n > json_object_array_length(tasks)) {
		snprintf(have, sizeof(have), "%zu", json_object_array_length(tasks));
		engine_say(x, XIO_ROLE_MODERATOR, "cmd.amend.no_task", "n", num, "count", have,
			   NULL);
		return -1;
	}
	t = json_object_array_get_idx(tasks, (size_t)n - 1);
	if (!json_object_is_type(t, json_type_object)) {
		/* a damaged stored state: never assert inside json-c */
		engine_say(x, XIO_ROLE_MODERATOR, "cmd.amend.usage", NULL);
		return -1;
	}
	if (!strcmp(key, "owner")) {
		/* "@Carol" is how people name an owner; the @ is the renderer's */
		while (*value == '@')
			value++;
		v = json_object_new_string(value);
	} else if (!strcmp(key, "due")) {
		if (read_due(x, value, due, sizeof(due)))
			return -1;
		/* no due date is JSON null, which engine_json_put would take
		 * for a failed allocation */
		if (!*due && json_object_object_add_ex(t, "due", NULL,
						       JSON_C_OBJECT_ADD_CONSTANT_KEY))
			x->out->oom = 1;
		v = *due ? json_object_new_string(due) : NULL;
	} else if (!strcmp(key, "priority") || !strcmp(key, "status")) {
		int prio = !strcmp(key, "priority");
		const char *word = one_of(value, prio ? priorities : statuses);

		if (!word) {
			engine_say(x, XIO_ROLE_MODERATOR,
				   prio ? "cmd.amend.bad_priority" : "cmd.amend.bad_status", "value",
				   value, NULL);
			return -1;
		}
		v = json_object_new_string(word);
	} else {
		v = json_object_new_string(value);
	}
	if (strcmp(key, "due") || *due)
		engine_json_put(t, key, v, &x->out->oom);
	engine_json_put(t, "confidence", json_object_new_double(1.0), &x->out->oom);
	return 0;
}

/* The array log[key], made one if missing or (from a damaged state) not an
 * array: json-c asserts on adding to anything else.  NULL if out of memory. */
static json_object *array_at(json_object *log, const char *key)
{
	json_object *arr;

	if (json_object_object_get_ex(log, key, &arr) && json_object_is_type(arr, json_type_array))
		return arr;
	int oom = 0;

	arr = json_object_new_array();
	json_object_get(arr); /* kept alive to be returned */
	engine_json_put(log, key, arr, &oom);
	json_object_put(arr);
	return oom ? NULL : arr;
}

static void run(struct xio_cmd_ctx *x)
{
	struct xio_consilium *c = x->c;
	json_object *log = NULL, *tasks = NULL, *arr;
	struct xio_err err = { 0 };
	char field[32];
	const char *value = after_word(x->args, field, sizeof(field));
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
		const char *key = !strcasecmp(field, "question") ? "question"
				  : !strcasecmp(field, "decision") ? "decision" : "rationale";

		engine_json_put(log, key, json_object_new_string(value), &x->out->oom);
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
			engine_json_put(item, "title", json_object_new_string(value), &x->out->oom);
			engine_json_put(item, "pros", json_object_new_array(), &x->out->oom);
			engine_json_put(item, "cons", json_object_new_array(), &x->out->oom);
		} else {
			engine_json_put(item, "description", json_object_new_string(value),
					&x->out->oom);
			engine_json_put(item, "impact", json_object_new_int(3), &x->out->oom);
			engine_json_put(item, "probability", json_object_new_int(3), &x->out->oom);
			engine_json_put(item, "mitigation", json_object_new_string(""), &x->out->oom);
		}
		engine_json_push(arr, item, &x->out->oom);
	} else if (!strcasecmp(field, "task")) {
		bad = amend_task(x, tasks, value); /* answered already when it fails */
	} else {
		engine_say(x, XIO_ROLE_MODERATOR, "cmd.amend.usage", NULL);
		bad = 1;
	}
	if (x->out->oom || bad)
		goto out;
	if (x->eng->validate && x->eng->validate(x->eng->validate_ud, log, tasks, &err)) {
		engine_say(x, XIO_ROLE_MODERATOR, "cmd.amend.invalid", "reason", err.msg, NULL);
		goto out;
	}
	engine_json_put(log, "status", json_object_new_string("amended"), &x->out->oom);
	if (x->out->oom)
		goto out;
	json_object_put(c->decision);
	json_object_put(c->tasks);
	c->decision = log;
	c->tasks = tasks;
	log = tasks = NULL;
	if (!strcasecmp(field, "question")) {
		/* the question corrected in the draft is the consilium's: /status,
		 * the API and later recall show it */
		char *q = strdup(value);

		if (q) {
			free(c->question);
			c->question = q;
		} else {
			x->out->oom = 1;
		}
	}
	engine_act(x->out, XIO_ACT_RECORD, NULL, NULL, "amended");
	engine_say(x, XIO_ROLE_MODERATOR, "cmd.amend.done", "name", x->author, "field", field, NULL);
	if (!strcasecmp(field, "task"))
		engine_post_owned(x, XIO_ROLE_SCRIBE, engine_render_tasks(x->eng, c));
	else
		engine_post_owned(x, XIO_ROLE_INTEGRATOR, engine_render_decision(x->eng, c));
out:
	json_object_put(log);
	json_object_put(tasks);
}

const struct xio_command xio_command_amend = {
	"amend", NULL, 2, XIO_PHASE_BIT(XIO_PHASE_APPROVAL),
	"/amend <field> <text>", "cmd.amend.wrong_phase", run, 0,
};
