/*
 * commands.h — the chat commands: a table, one file per command under
 * core/commands/, and one dispatcher that checks arity and phase before
 * calling a handler (after git's builtin table and redis' processCommand).
 *
 * Commands are engine input: the engine's step parses a COMMAND event with
 * xio_command_parse and runs it through xio_command_dispatch, so the
 * engine's unit tests cover every command without an adapter.
 *
 * To add a command: write core/commands/<name>.c defining
 *   const struct xio_command xio_command_<name> = { ... };
 * declare it below, add it to the table in core/commands.c, and add its
 * help text "help.<name>" to both catalogues in config/locales/.
 */
#ifndef XIO_COMMANDS_H
#define XIO_COMMANDS_H

#include <stddef.h>

#include "engine.h"

struct xio_cmd_ctx {
	const struct xio_engine *eng;
	struct xio_consilium *c;
	const struct xio_event *ev;
	struct xio_actions *out;
	const char *args;   /* text after the command name, trimmed ("" if none) */
	const char *author; /* who typed it */
	int64_t now;
};

#define XIO_PHASES_ALL 0x1f
#define XIO_PHASE_BIT(p) (1u << (p))

struct xio_command {
	const char *name;             /* without the slash */
	const char *const *aliases;   /* NULL-terminated, or NULL */
	int min_args;                 /* words required in args */
	unsigned phases;              /* XIO_PHASE_BIT mask where it applies */
	const char *usage;            /* "/amend <field> <text>" */
	const char *wrong_phase_key;  /* catalogue key explaining why not now */
	void (*fn)(struct xio_cmd_ctx *x);
	int followup;                 /* in a thread without an open consilium,
				       * runs on its latest closed one */
};

extern const struct xio_command xio_command_consilium, xio_command_pause,
	xio_command_resume, xio_command_stop, xio_command_decide,
	xio_command_approve, xio_command_amend, xio_command_status,
	xio_command_agenda, xio_command_participants, xio_command_tasks,
	xio_command_done, xio_command_snooze, xio_command_remind,
	xio_command_export, xio_command_help;

/* The table, NULL-terminated. */
extern const struct xio_command *const xio_commands[];

/*
 * Splits a line "/name[@bot] args" into the command and its arguments.
 * Returns the command, or NULL if the line is not a command (no leading
 * slash).  *unknown is set to 1 when it starts with a slash but names no
 * command; name_out receives the name typed (up to n-1 bytes); *args points
 * into line.
 */
const struct xio_command *xio_command_parse(const char *line, char *name_out, size_t n,
					    const char **args, int *unknown);

/* Runs a parsed command line in the context of a consilium (checks arity and
 * phase, answers with help where they fail, and then sets x->out->refused;
 * a command that finds nothing to do sets it too). */
void xio_command_dispatch(struct xio_cmd_ctx *x, const char *line);

/* Counts whitespace-separated words. */
int xio_command_argc(const char *args);

#endif
