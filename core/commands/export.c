/*
 * /export — exports an approved decision to the tracker again, after a
 * failed export was fixed (a property added, the database shared, the token
 * replaced).  The new export row reuses the idempotency key of the first
 * one, so whatever reached Notion before is found, not created twice.
 */
#include "engine_int.h"

#include <string.h>

static void run(struct xio_cmd_ctx *x)
{
	if (!x->c->outcome || strcmp(x->c->outcome, "approved") != 0 || !x->c->decision) {
		engine_say(x, XIO_ROLE_MODERATOR, "cmd.export.not_approved", NULL);
		return;
	}
	if (!x->eng->can_export) {
		engine_say(x, XIO_ROLE_MODERATOR, "cmd.export.not_configured", NULL);
		return;
	}
	engine_say(x, XIO_ROLE_SCRIBE, "cmd.export.queued", "name", x->author, NULL);
	engine_act(x->out, XIO_ACT_EXPORT, NULL, NULL, NULL);
}

const struct xio_command xio_command_export = {
	"export", NULL, 0, XIO_PHASE_BIT(XIO_PHASE_CLOSED),
	"/export", "cmd.export.wrong_phase", run, 1,
};
