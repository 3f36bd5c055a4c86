/*
 * engine_followup.c — what the follow-up commands (/done, /snooze, /remind,
 * /tasks after approval) share: naming a task by number or title fragment,
 * changing its status, and rendering the open ones.  Pure like the rest of
 * the engine: a status change edits c->tasks and emits TASK_STATUS, which the
 * runner stores (tasks table, decision) with an outbox row for the tracker.
 */
#include "engine_int.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *tstr(json_object *t, const char *k)
{
	json_object *v;

	if (!t || !json_object_object_get_ex(t, k, &v) || !json_object_is_type(v, json_type_string))
		return "";
	return json_object_get_string(v);
}

static int is_open(json_object *t)
{
	const char *st = tstr(t, "status");

	return !*st || !strcmp(st, "open") || !strcmp(st, "snoozed");
}

int engine_followup_ready(struct xio_cmd_ctx *x)
{
	struct xio_consilium *c = x->c;

	if (c->phase != XIO_PHASE_CLOSED || !c->outcome || strcmp(c->outcome, "approved") != 0) {
		engine_say(x, XIO_ROLE_MODERATOR, "cmd.followup.not_approved", NULL);
		return 0;
	}
	if (!c->tasks || json_object_array_length(c->tasks) == 0) {
		engine_say(x, XIO_ROLE_SCRIBE, "cmd.followup.no_tasks", NULL);
		return 0;
	}
	return 1;
}

/* Case-insensitive substring for ASCII and Cyrillic (folded copies). */
static int contains(const char *hay, const char *needle)
{
	size_t hl = strlen(hay), nl = strlen(needle);
	char *h = malloc(hl + 1), *n = malloc(nl + 1);
	int found = 0;

	if (h && n) {
		xio_dates_fold(h, hay, hl);
		xio_dates_fold(n, needle, nl);
		found = strstr(h, n) != NULL;
	}
	free(h);
	free(n);
	return found;
}

static void list_open(struct xio_cmd_ctx *x, struct xio_buf *b, int only_matching,
		      const char *sel)
{
	size_t i, n = json_object_array_length(x->c->tasks);

	for (i = 0; i < n; i++) {
		json_object *t = json_object_array_get_idx(x->c->tasks, i);

		if (!is_open(t) || (only_matching && !contains(tstr(t, "title"), sel)))
			continue;
		if (xio_buf_printf(b, "%s%zu. %s", b->len ? "\n" : "", i + 1, tstr(t, "title")))
			x->out->oom = 1;
	}
}

int engine_find_task(struct xio_cmd_ctx *x, const char *sel)
{
	size_t i, n = json_object_array_length(x->c->tasks);
	int found = -1, count = 0, ask = 0;
	struct xio_buf b;
	char *end;

	while (*sel && isspace((unsigned char)*sel))
		sel++;
	if (*sel == '#')
		sel++;
	if (isdigit((unsigned char)*sel)) {
		long v = strtol(sel, &end, 10);

		while (*end && isspace((unsigned char)*end))
			end++;
		if (!*end) {
			if (v < 1 || (size_t)v > n) {
				engine_say(x, XIO_ROLE_SCRIBE, "cmd.followup.no_match", "task", sel, NULL);
				return -1;
			}
			return (int)v - 1;
		}
	}
	for (i = 0; i < n; i++) {
		json_object *t = json_object_array_get_idx(x->c->tasks, i);

		if (!is_open(t))
			continue;
		if (*sel ? contains(tstr(t, "title"), sel) : 1) {
			found = (int)i;
			count++;
		}
	}
	if (!*sel && count > 0) {
		/* no name given: the author's own open task, if only one; the
		 * only open task of someone else is not closed unasked */
		int mine = -1, nmine = 0;

		for (i = 0; i < n; i++) {
			json_object *t = json_object_array_get_idx(x->c->tasks, i);

			const char *owner = tstr(t, "owner");

			/* drafts amended before the @ was dropped keep "@Carol" */
			if (*owner == '@')
				owner++;
			if (is_open(t) && strcasecmp(owner, x->author) == 0) {
				mine = (int)i;
				nmine++;
			}
		}
		if (nmine == 1)
			return mine;
		ask = 1;
	}
	if (count == 1 && !ask)
		return found;
	xio_buf_init(&b, 0);
	if (count == 0 && *sel) {
		engine_say(x, XIO_ROLE_SCRIBE, "cmd.followup.no_match", "task", sel, NULL);
	} else if (count == 0) {
		engine_say(x, XIO_ROLE_SCRIBE, "cmd.followup.all_done", NULL);
	} else {
		list_open(x, &b, *sel != '\0', sel);
		engine_say(x, XIO_ROLE_SCRIBE, "cmd.followup.which", "list", b.data ? b.data : "",
			   NULL);
	}
	xio_buf_release(&b);
	return -1;
}

void engine_set_task_status(struct xio_cmd_ctx *x, int idx, const char *status)
{
	json_object *t = json_object_array_get_idx(x->c->tasks, (size_t)idx);
	json_object *s = json_object_new_string(status);

	if (!t || !s || json_object_object_add(t, "status", s)) {
		json_object_put(s);
		x->out->oom = 1;
		return;
	}
	engine_act_task(x->out, XIO_ACT_TASK_STATUS, idx, status, 0, NULL);
}

char *engine_render_open_tasks(const struct xio_engine *eng, const struct xio_consilium *c)
{
	const struct xio_i18n *t = eng->i18n;
	const char *l = c->lang;
	size_t i, n = c->tasks ? json_object_array_length(c->tasks) : 0, open = 0;
	struct xio_buf b;

	xio_buf_init(&b, 0);
	xio_buf_printf(&b, "*%s*", xio_i18n_get(t, l, "cmd.tasks.open"));
	for (i = 0; i < n; i++) {
		json_object *task = json_object_array_get_idx(c->tasks, i);
		const char *due = tstr(task, "due"), *owner = tstr(task, "owner");

		if (!is_open(task))
			continue;
		open++;
		xio_buf_printf(&b, "\n%zu. %s — %s: %s%s; %s: %s", i + 1, tstr(task, "title"),
			       xio_i18n_get(t, l, "render.owner"), *owner ? "@" : "",
			       *owner ? owner : xio_i18n_get(t, l, "render.unassigned"),
			       xio_i18n_get(t, l, "render.due"),
			       *due ? due : xio_i18n_get(t, l, "render.no_due"));
		if (!strcmp(tstr(task, "status"), "snoozed"))
			xio_buf_printf(&b, " (%s)", xio_i18n_get(t, l, "cmd.tasks.snoozed"));
	}
	if (!open)
		xio_buf_printf(&b, "\n%s", xio_i18n_get(t, l, "cmd.followup.all_done"));
	return xio_buf_detach(&b);
}

/*
 * Splits "[task] <when>" at the first word from which a follow-up time
 * parses; the words before it name the task.  Returns 1 with *at and sel
 * (the selector, possibly ""), 0 when no time was found.
 */
int engine_split_when(struct xio_cmd_ctx *x, char *sel, size_t n, int64_t *at)
{
	const char *a = x->args, *p = a;

	while (*p) {
		while (*p && isspace((unsigned char)*p))
			p++;
		if (!*p)
			break;
		if (xio_sched_parse_when(p, x->now, x->eng->tz, at)) {
			size_t len = (size_t)(p - a);

			while (len && isspace((unsigned char)a[len - 1]))
				len--;
			snprintf(sel, n, "%.*s", (int)len, a);
			return 1;
		}
		while (*p && !isspace((unsigned char)*p))
			p++;
	}
	return 0;
}

int engine_task_finished(struct xio_cmd_ctx *x, int idx)
{
	json_object *t = json_object_array_get_idx(x->c->tasks, (size_t)idx);
	const char *st = tstr(t, "status");

	if (is_open(t))
		return 0;
	engine_say(x, XIO_ROLE_SCRIBE,
		   !strcmp(st, "cancelled") ? "cmd.followup.cancelled" : "cmd.done.already", "title",
		   tstr(t, "title"), NULL);
	return 1;
}

int engine_task_at(struct xio_cmd_ctx *x, int64_t *at)
{
	char sel[256];
	int idx;

	if (!engine_followup_ready(x))
		return -1;
	if (!engine_split_when(x, sel, sizeof(sel), at)) {
		engine_say(x, XIO_ROLE_SCRIBE, "cmd.snooze.bad_when", NULL);
		return -1;
	}
	if (*at <= x->now) {
		engine_say(x, XIO_ROLE_SCRIBE, "cmd.snooze.past", NULL);
		return -1;
	}
	idx = engine_find_task(x, sel);
	if (idx >= 0 && engine_task_finished(x, idx))
		return -1;
	return idx;
}

void engine_say_task_when(struct xio_cmd_ctx *x, const char *key, int idx, int64_t at)
{
	json_object *t = json_object_array_get_idx(x->c->tasks, (size_t)idx), *v;
	char when[32];

	xio_sched_format_local(x->eng->tz, at, when, sizeof(when));
	engine_say(x, XIO_ROLE_SCRIBE, key, "title",
		   json_object_object_get_ex(t, "title", &v) ? json_object_get_string(v) : "",
		   "when", when, NULL);
}
