/*
 * /resume — continues a paused discussion with the speaker it was waiting
 * for (or the next one).
 */
#include "engine_int.h"

#include <stdlib.h>

static void run(struct xio_cmd_ctx *x)
{
	if (!x->c->paused) {
		x->out->refused = 1;
		engine_say(x, XIO_ROLE_MODERATOR, "cmd.resume.not_paused", NULL);
		return;
	}
	x->c->paused = 0;
	engine_say(x, XIO_ROLE_MODERATOR, "cmd.resume.done", "name", x->author, NULL);
	/* Call again whoever was waited for: the clock restarts for them. */
	free(x->c->waiting_for);
	x->c->waiting_for = NULL;
	if (x->now >= x->c->deadline_at && x->c->deadline_at)
		x->c->deadline_at = x->now + x->eng->time_limit_ms;
	engine_call_next(x);
}

const struct xio_command xio_command_resume = {
	"resume", NULL, 0, XIO_PHASE_BIT(XIO_PHASE_PREPARATION) | XIO_PHASE_BIT(XIO_PHASE_DISCUSSION),
	"/resume", "cmd.resume.wrong_phase", run, 0,
};
