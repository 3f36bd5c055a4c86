/*
 * /approve — accepts the draft decision log and tasks: the consilium closes,
 * the decision is recorded, exported and its reminders scheduled.
 */
#include "engine_int.h"

static void run(struct xio_cmd_ctx *x)
{
	engine_approve(x);
}

const struct xio_command xio_command_approve = {
	"approve", NULL, 0, XIO_PHASE_BIT(XIO_PHASE_APPROVAL),
	"/approve", "cmd.approve.wrong_phase", run, 0,
};
