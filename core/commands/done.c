/*
 * /done [task] — closes a task of the approved decision: its reminders stop
 * and the tracker is told (a "task_status" outbox row).
 */
#include "engine_int.h"

#include <string.h>

static const char *title_of(struct xio_consilium *c, int idx)
{
	json_object *t = json_object_array_get_idx(c->tasks, (size_t)idx), *v;

	return t && json_object_object_get_ex(t, "title", &v) ? json_object_get_string(v) : "";
}

static void run(struct xio_cmd_ctx *x)
{
	int idx;

	if (!engine_followup_ready(x))
		return;
	idx = engine_find_task(x, x->args);
	if (idx < 0)
		return;
	if (engine_task_finished(x, idx))
		return;
	engine_set_task_status(x, idx, "done");
	engine_say(x, XIO_ROLE_SCRIBE, "cmd.done.ok", "title", title_of(x->c, idx), "name",
		   x->author, NULL);
}

const struct xio_command xio_command_done = {
	"done", NULL, 0, XIO_PHASE_BIT(XIO_PHASE_CLOSED), "/done [task]",
	"cmd.followup.not_approved", run, 1,
};
