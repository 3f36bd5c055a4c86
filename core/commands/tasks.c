/*
 * /tasks — the tasks of the draft or final decision.
 */
#include "engine_int.h"

#include <stdlib.h>

static void run(struct xio_cmd_ctx *x)
{
	char *text;

	if (!x->c->tasks) {
		engine_say(x, XIO_ROLE_SCRIBE, "cmd.tasks.none", NULL);
		return;
	}
	text = engine_render_tasks(x->eng, x->c);
	if (!text) {
		x->out->oom = 1;
		return;
	}
	engine_post(x, XIO_ROLE_SCRIBE, text);
	free(text);
}

const struct xio_command xio_command_tasks = {
	"tasks", NULL, 0, XIO_PHASES_ALL, "/tasks", NULL, run,
};
