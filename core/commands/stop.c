/*
 * /stop — ends the consilium at once without a decision; the transcript is
 * kept and the thread is free for a new one.
 */
#include "engine_int.h"

#include <stdlib.h>
#include <string.h>

static void run(struct xio_cmd_ctx *x)
{
	engine_set_phase(x, XIO_PHASE_CLOSED);
	free(x->c->outcome);
	x->c->outcome = strdup("stopped");
	if (!x->c->outcome)
		x->out->oom = 1;
	x->c->paused = 0;
	/* a draft left behind is dead: its record and the stream say so */
	if (x->c->decision)
		engine_act(x->out, XIO_ACT_RECORD, NULL, NULL, "stopped");
	engine_say(x, XIO_ROLE_MODERATOR, "cmd.stop.done", "name", x->author, NULL);
}

const struct xio_command xio_command_stop = {
	"stop", NULL, 0, XIO_PHASES_ALL & ~XIO_PHASE_BIT(XIO_PHASE_CLOSED),
	"/stop", "cmd.stop.wrong_phase", run, 0,
};
