/*
 * /pause — stops calling on speakers at once (not after the current turn);
 * messages are still recorded.
 */
#include "engine_int.h"

static void run(struct xio_cmd_ctx *x)
{
	if (x->c->paused) {
		x->out->refused = 1;
		engine_say(x, XIO_ROLE_MODERATOR, "cmd.pause.already", NULL);
		return;
	}
	x->c->paused = 1;
	x->c->human_due_at = 0;
	engine_say(x, XIO_ROLE_MODERATOR, "cmd.pause.done", "name", x->author, NULL);
}

const struct xio_command xio_command_pause = {
	"pause", NULL, 0, XIO_PHASE_BIT(XIO_PHASE_PREPARATION) | XIO_PHASE_BIT(XIO_PHASE_DISCUSSION),
	"/pause", "cmd.pause.wrong_phase", run, 0,
};
