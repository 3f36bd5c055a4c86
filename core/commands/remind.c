/*
 * /remind <task> <when> — adds a reminder of a task at <when>, keeping the
 * ones already scheduled.
 */
#include "engine_int.h"

static void run(struct xio_cmd_ctx *x)
{
	int64_t at;
	int idx = engine_task_at(x, &at);

	if (idx < 0)
		return;
	engine_act_task(x->out, XIO_ACT_SCHEDULE, idx, NULL, at, "custom");
	engine_say_task_when(x, "cmd.remind.ok", idx, at);
}

const struct xio_command xio_command_remind = {
	"remind", NULL, 2, XIO_PHASE_BIT(XIO_PHASE_CLOSED), "/remind <task> <when>",
	"cmd.followup.not_approved", run, 1,
};
