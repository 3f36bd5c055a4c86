/*
 * /agenda [item; item; ...] — shows the agenda, or replaces it (items split
 * on ';' or new lines) before the decision.
 */
#include "engine_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void show(struct xio_cmd_ctx *x)
{
	struct xio_buf b;
	size_t i;

	xio_buf_init(&b, 0);
	for (i = 0; i < x->c->nagenda; i++)
		if (xio_buf_printf(&b, "%s%zu. %s", i ? "\n" : "", i + 1, x->c->agenda[i]))
			x->out->oom = 1;
	engine_say(x, XIO_ROLE_MODERATOR, "cmd.agenda.show", "agenda", b.data ? b.data : "", NULL);
	xio_buf_release(&b);
}

static void set(struct xio_cmd_ctx *x)
{
	char *copy = strdup(x->args), *tok, *save = NULL;
	char **items = NULL;
	size_t n = 0, i;

	if (!copy) {
		x->out->oom = 1;
		return;
	}
	for (tok = strtok_r(copy, ";\n", &save); tok; tok = strtok_r(NULL, ";\n", &save)) {
		char **nv;
		size_t len;

		while (*tok == ' ')
			tok++;
		len = strlen(tok);
		while (len && tok[len - 1] == ' ')
			tok[--len] = '\0';
		if (!len || n >= 20)
			continue;
		nv = realloc(items, (n + 1) * sizeof(*nv));
		if (!nv || !(nv[n] = strdup(tok))) {
			items = nv ? nv : items;
			x->out->oom = 1;
			break;
		}
		items = nv;
		n++;
	}
	free(copy);
	if (x->out->oom) {
		for (i = 0; i < n; i++)
			free(items[i]);
		free(items);
		return;
	}
	for (i = 0; i < x->c->nagenda; i++)
		free(x->c->agenda[i]);
	free(x->c->agenda);
	x->c->agenda = items;
	x->c->nagenda = n;
	show(x);
}

static void run(struct xio_cmd_ctx *x)
{
	if (!*x->args) {
		show(x);
		return;
	}
	if (x->c->phase != XIO_PHASE_PREPARATION && x->c->phase != XIO_PHASE_DISCUSSION) {
		engine_say(x, XIO_ROLE_MODERATOR, "cmd.agenda.frozen", NULL);
		return;
	}
	set(x);
}

const struct xio_command xio_command_agenda = {
	"agenda", NULL, 0, XIO_PHASES_ALL, "/agenda [item; item; ...]", NULL, run, 0,
};
