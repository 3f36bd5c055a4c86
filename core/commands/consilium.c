/*
 * /consilium <question> — opens a consilium.  Opening is done by the runner
 * (it creates the row); inside a running consilium this only explains that
 * one is already open.
 */
#include "engine_int.h"

static const char *const aliases[] = { "xio", "council", "консилиум", NULL };

static void run(struct xio_cmd_ctx *x)
{
	engine_say(x, XIO_ROLE_MODERATOR, "cmd.consilium.running", "question", x->c->question, NULL);
}

const struct xio_command xio_command_consilium = {
	"consilium", aliases, 1, XIO_PHASES_ALL, "/consilium <question>", NULL, run, 0,
};
