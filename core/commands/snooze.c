/*
 * /snooze [task] <when> — postpones a task's reminders: its pending ones are
 * replaced by one at <when> ("2d", "3h", "1w", "until Monday", "до
 * понедельника").  The due date itself is unchanged.
 */
#include "engine_int.h"

#include <stdio.h>

static void run(struct xio_cmd_ctx *x)
{
	char sel[256], when[32];
	json_object *t, *v;
	int64_t at;
	int idx;

	if (!engine_followup_ready(x))
		return;
	if (!engine_split_when(x, sel, sizeof(sel), &at)) {
		engine_say(x, XIO_ROLE_SCRIBE, "cmd.snooze.bad_when", NULL);
		return;
	}
	if (at <= x->now) {
		engine_say(x, XIO_ROLE_SCRIBE, "cmd.snooze.past", NULL);
		return;
	}
	idx = engine_find_task(x, sel);
	if (idx < 0)
		return;
	t = json_object_array_get_idx(x->c->tasks, (size_t)idx);
	engine_set_task_status(x, idx, "snoozed");
	engine_act_task(x->out, XIO_ACT_SCHEDULE, idx, NULL, at, "snooze");
	xio_sched_format_local(x->eng->tz, at, when, sizeof(when));
	engine_say(x, XIO_ROLE_SCRIBE, "cmd.snooze.ok", "title",
		   json_object_object_get_ex(t, "title", &v) ? json_object_get_string(v) : "",
		   "when", when, NULL);
}

const struct xio_command xio_command_snooze = {
	"snooze", NULL, 1, XIO_PHASE_BIT(XIO_PHASE_CLOSED), "/snooze [task] <when>",
	"cmd.followup.not_approved", run, 1,
};
