/*
 * /participants — who takes part: humans and AI experts, with their turns.
 */
#include "engine_int.h"

#include <stdio.h>

static void run(struct xio_cmd_ctx *x)
{
	struct xio_buf b;
	size_t i;

	xio_buf_init(&b, 0);
	for (i = 0; i < x->c->nparts; i++) {
		const struct xio_participant *p = &x->c->parts[i];

		if (xio_buf_printf(&b, "%s• %s (%s, %d)", i ? "\n" : "", p->name,
				   xio_i18n_get(x->eng->i18n, x->c->lang,
						p->persona_id ? "cmd.participants.ai"
							      : "cmd.participants.human"),
				   p->turns))
			x->out->oom = 1;
	}
	engine_say(x, XIO_ROLE_MODERATOR, "cmd.participants.list", "list", b.data ? b.data : "-",
		   NULL);
	xio_buf_release(&b);
}

const struct xio_command xio_command_participants = {
	"participants", NULL, 0, XIO_PHASES_ALL, "/participants", NULL, run, 0,
};
