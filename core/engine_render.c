/*
 * engine_render.c — the decision log and the tasks as chat text, in the
 * chat's language.  Plain text with light markup that reads well in a
 * terminal, in Slack mrkdwn and in Telegram alike.
 */
#include "engine_int.h"

#include <stdio.h>
#include <string.h>

static const char *str(json_object *o, const char *k)
{
	json_object *v;

	if (!o || !json_object_object_get_ex(o, k, &v) || !json_object_is_type(v, json_type_string))
		return "";
	return json_object_get_string(v);
}

static int num(json_object *o, const char *k)
{
	json_object *v;

	return o && json_object_object_get_ex(o, k, &v) ? json_object_get_int(v) : 0;
}

/* Appends "label: a; b." for a non-empty array; nonzero if an append failed. */
static int list_strings(struct xio_buf *b, json_object *arr, const char *label)
{
	size_t i, n;
	int bad = 0;

	if (!arr || !json_object_is_type(arr, json_type_array))
		return 0;
	n = json_object_array_length(arr);
	if (!n)
		return 0;
	bad |= xio_buf_printf(b, " %s: ", label);
	for (i = 0; i < n; i++) {
		const char *v = json_object_get_string(json_object_array_get_idx(arr, i));

		bad |= xio_buf_printf(b, "%s%s", i ? "; " : "", v ? v : "");
	}
	bad |= xio_buf_puts(b, ".");
	return bad;
}

/* A render is whole or nothing: a text with a piece missing must not be
 * posted, so a failed append makes it NULL (out of memory). */
static char *finish(struct xio_buf *b, int bad)
{
	if (bad) {
		xio_buf_release(b);
		return NULL;
	}
	return xio_buf_detach(b);
}

char *engine_render_decision(const struct xio_engine *eng, const struct xio_consilium *c)
{
	const struct xio_i18n *t = eng->i18n;
	const char *l = c->lang;
	json_object *log = c->decision, *arr;
	struct xio_buf b;
	size_t i, n;
	int bad = 0;

	xio_buf_init(&b, 0);
	bad |= xio_buf_printf(&b, "*%s*\n%s: %s\n", xio_i18n_get(t, l, "render.decision_log"),
		       xio_i18n_get(t, l, "render.question"), str(log, "question"));
	if (json_object_object_get_ex(log, "alternatives", &arr) &&
	    (n = json_object_array_length(arr)) > 0) {
		bad |= xio_buf_printf(&b, "%s:\n", xio_i18n_get(t, l, "render.alternatives"));
		for (i = 0; i < n; i++) {
			json_object *a = json_object_array_get_idx(arr, i), *pc;

			bad |= xio_buf_printf(&b, "  %zu. %s.", i + 1, str(a, "title"));
			if (json_object_object_get_ex(a, "pros", &pc))
				bad |= list_strings(&b, pc, xio_i18n_get(t, l, "render.pros"));
			if (json_object_object_get_ex(a, "cons", &pc))
				bad |= list_strings(&b, pc, xio_i18n_get(t, l, "render.cons"));
			bad |= xio_buf_puts(&b, "\n");
		}
	}
	bad |= xio_buf_printf(&b, "%s: %s\n", xio_i18n_get(t, l, "render.decision"),
		       *str(log, "decision") ? str(log, "decision")
					     : xio_i18n_get(t, l, "render.none"));
	if (*str(log, "rationale"))
		bad |= xio_buf_printf(&b, "%s: %s\n", xio_i18n_get(t, l, "render.rationale"),
			       str(log, "rationale"));
	if (json_object_object_get_ex(log, "risks", &arr) &&
	    (n = json_object_array_length(arr)) > 0) {
		bad |= xio_buf_printf(&b, "%s:\n", xio_i18n_get(t, l, "render.risks"));
		for (i = 0; i < n; i++) {
			json_object *r = json_object_array_get_idx(arr, i);
			int imp = num(r, "impact"), prob = num(r, "probability");

			bad |= xio_buf_printf(&b, "  • %s (%d×%d=%d)", str(r, "description"), imp, prob,
				       imp * prob);
			if (*str(r, "mitigation"))
				bad |= xio_buf_printf(&b, " — %s: %s", xio_i18n_get(t, l, "render.mitigation"),
					       str(r, "mitigation"));
			bad |= xio_buf_puts(&b, "\n");
		}
	}
	if (b.len && b.data[b.len - 1] == '\n')
		b.data[--b.len] = '\0';
	return finish(&b, bad);
}

char *engine_render_tasks(const struct xio_engine *eng, const struct xio_consilium *c)
{
	const struct xio_i18n *t = eng->i18n;
	const char *l = c->lang;
	struct xio_buf b;
	size_t i, n = c->tasks ? json_object_array_length(c->tasks) : 0;
	int bad = 0;

	xio_buf_init(&b, 0);
	bad |= xio_buf_printf(&b, "*%s*", xio_i18n_get(t, l, "render.tasks"));
	if (!n)
		bad |= xio_buf_printf(&b, "\n%s", xio_i18n_get(t, l, "render.no_tasks"));
	for (i = 0; i < n; i++) {
		json_object *task = json_object_array_get_idx(c->tasks, i), *conf;
		const char *due = str(task, "due"), *owner = str(task, "owner");
		char pkey[48];

		snprintf(pkey, sizeof(pkey), "priority.%s", str(task, "priority"));
		bad |= xio_buf_printf(&b, "\n%zu. %s — %s: %s; %s: %s; %s: %s", i + 1, str(task, "title"),
			       xio_i18n_get(t, l, "render.owner"),
			       *owner ? owner : xio_i18n_get(t, l, "render.unassigned"),
			       xio_i18n_get(t, l, "render.due"),
			       *due ? due : xio_i18n_get(t, l, "render.no_due"),
			       xio_i18n_get(t, l, "render.priority"), xio_i18n_get(t, l, pkey));
		if (json_object_object_get_ex(task, "confidence", &conf))
			bad |= xio_buf_printf(&b, "; %s: %.0f%%", xio_i18n_get(t, l, "render.confidence"),
				       json_object_get_double(conf) * 100.0);
	}
	return finish(&b, bad);
}
