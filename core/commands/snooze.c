/*
 * /snooze [task] <when> — postpones a task's reminders: its pending ones are
 * replaced by one at <when> ("2d", "3h", "1w", "until Monday", "до
 * понедельника").  The due date itself is unchanged.
 */
#include "engine_int.h"

static void run(struct xio_cmd_ctx *x)
{
	int64_t at;
	int idx = engine_task_at(x, &at);

	if (idx < 0)
		return;
	engine_set_task_status(x, idx, "snoozed");
	engine_act_task(x->out, XIO_ACT_SCHEDULE, idx, NULL, at, "snooze");
	engine_say_task_when(x, "cmd.snooze.ok", idx, at);
}

const struct xio_command xio_command_snooze = {
	"snooze", NULL, 1, XIO_PHASE_BIT(XIO_PHASE_CLOSED), "/snooze [task] <when>",
	"cmd.followup.not_approved", run, 1,
};
