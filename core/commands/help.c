/*
 * /help — every command with its one-line help, in the chat's language.
 */
#include "engine_int.h"

#include <stdio.h>

static void run(struct xio_cmd_ctx *x)
{
	struct xio_buf b;
	size_t i;

	xio_buf_init(&b, 0);
	if (xio_buf_puts(&b, xio_i18n_get(x->eng->i18n, x->c->lang, "help.header")))
		x->out->oom = 1;
	for (i = 0; xio_commands[i]; i++) {
		char key[48];

		snprintf(key, sizeof(key), "help.%s", xio_commands[i]->name);
		if (xio_buf_printf(&b, "\n%s — %s", xio_commands[i]->usage,
				   xio_i18n_get(x->eng->i18n, x->c->lang, key)))
			x->out->oom = 1;
	}
	engine_post(x, XIO_ROLE_MODERATOR, b.data);
	xio_buf_release(&b);
}

const struct xio_command xio_command_help = {
	"help", NULL, 0, XIO_PHASES_ALL, "/help", NULL, run, 0,
};
