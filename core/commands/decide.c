/*
 * /decide — ends the discussion now and moves to the decision.
 */
#include "engine_int.h"

static void run(struct xio_cmd_ctx *x)
{
	engine_to_decision(x, "mod.decide");
}

const struct xio_command xio_command_decide = {
	"decide", NULL, 0, XIO_PHASE_BIT(XIO_PHASE_PREPARATION) | XIO_PHASE_BIT(XIO_PHASE_DISCUSSION),
	"/decide", "cmd.decide.wrong_phase", run, 0,
};
