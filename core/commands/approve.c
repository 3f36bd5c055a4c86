/*
 * /approve — accepts the draft decision log and tasks: the consilium closes,
 * the decision is recorded, exported and its reminders scheduled.
 */
#include "engine_int.h"

#include <string.h>

/* 1 when the draft states no decision: none was found in the discussion
 * (the draft then says so in the extractor's words) and none was set with
 * /amend decision.  Approving that would record "no decision" as the
 * decision, and recall it as a precedent. */
static int no_decision(const struct xio_cmd_ctx *x)
{
	const char *none = xio_i18n_get(x->eng->i18n, x->c->lang, "extractor.no_decision");
	json_object *d = NULL;
	const char *text;

	if (!x->c->decision || !json_object_object_get_ex(x->c->decision, "decision", &d) ||
	    !json_object_is_type(d, json_type_string))
		return 1;
	text = json_object_get_string(d);
	return !*text || (none && !strcmp(text, none));
}

static void run(struct xio_cmd_ctx *x)
{
	if (no_decision(x)) {
		x->out->refused = 1;
		engine_say(x, XIO_ROLE_MODERATOR, "cmd.approve.no_decision", NULL);
		return;
	}
	engine_approve(x);
}

const struct xio_command xio_command_approve = {
	"approve", NULL, 0, XIO_PHASE_BIT(XIO_PHASE_APPROVAL),
	"/approve", "cmd.approve.wrong_phase", run, 0,
};
