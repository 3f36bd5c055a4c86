/*
 * /tasks — the tasks of the draft decision; once the decision is approved,
 * its open tasks with owners and due dates (also in a thread whose
 * consilium is closed: it is a follow-up command).
 */
#include "engine_int.h"

#include <stdlib.h>
#include <string.h>

static void run(struct xio_cmd_ctx *x)
{
	char *text;

	if (!x->c->tasks) {
		engine_say(x, XIO_ROLE_SCRIBE, "cmd.tasks.none", NULL);
		return;
	}
	if (x->c->phase == XIO_PHASE_CLOSED && x->c->outcome &&
	    strcmp(x->c->outcome, "approved") == 0)
		text = engine_render_open_tasks(x->eng, x->c);
	else
		text = engine_render_tasks(x->eng, x->c);
	if (!text) {
		x->out->oom = 1;
		return;
	}
	engine_post(x, XIO_ROLE_SCRIBE, text);
	free(text);
}

const struct xio_command xio_command_tasks = {
	"tasks", NULL, 0, XIO_PHASES_ALL, "/tasks", NULL, run, 1,
};
