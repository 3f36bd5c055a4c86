/*
 * /status — where the consilium is: phase, round, who is awaited, paused.
 */
#include "engine_int.h"

#include <stdio.h>

static void run(struct xio_cmd_ctx *x)
{
	const struct xio_consilium *c = x->c;
	char round[16], max[16], n[16], phase_key[32];

	snprintf(round, sizeof(round), "%d", c->round);
	snprintf(max, sizeof(max), "%d", c->max_rounds);
	snprintf(n, sizeof(n), "%zu", c->nparts);
	snprintf(phase_key, sizeof(phase_key), "phase.%s", xio_phase_name(c->phase));
	engine_say(x, XIO_ROLE_MODERATOR, "cmd.status.text",
		   "question", c->question,
		   "phase", xio_i18n_get(x->eng->i18n, c->lang, phase_key),
		   "round", round, "max", max, "count", n,
		   "waiting", c->waiting_for ? c->waiting_for
					     : xio_i18n_get(x->eng->i18n, c->lang, "cmd.status.nobody"),
		   "paused", c->paused ? xio_i18n_get(x->eng->i18n, c->lang, "cmd.status.paused") : "",
		   NULL);
}

const struct xio_command xio_command_status = {
	"status", NULL, 0, XIO_PHASES_ALL, "/status", NULL, run, 0,
};
