/*
 * commands.c — the command table, the parser and the one dispatcher that
 * checks arity and phase for every command.
 */
#include "engine_int.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

const struct xio_command *const xio_commands[] = {
	&xio_command_consilium, &xio_command_pause,  &xio_command_resume,
	&xio_command_stop,      &xio_command_decide, &xio_command_approve,
	&xio_command_amend,     &xio_command_status, &xio_command_agenda,
	&xio_command_participants, &xio_command_tasks, &xio_command_done,
	&xio_command_snooze,    &xio_command_remind, &xio_command_export,
	&xio_command_help,
	NULL
};

int xio_command_argc(const char *args)
{
	int n = 0, in = 0;

	for (; args && *args; args++) {
		if (isspace((unsigned char)*args))
			in = 0;
		else if (!in) {
			in = 1;
			n++;
		}
	}
	return n;
}

static const struct xio_command *lookup(const char *name)
{
	size_t i;
	const char *const *a;

	for (i = 0; xio_commands[i]; i++) {
		if (strcasecmp(xio_commands[i]->name, name) == 0)
			return xio_commands[i];
		for (a = xio_commands[i]->aliases; a && *a; a++)
			if (strcasecmp(*a, name) == 0)
				return xio_commands[i];
	}
	return NULL;
}

const struct xio_command *xio_command_parse(const char *line, char *name_out, size_t n,
					    const char **args, int *unknown)
{
	const char *p = line, *start;
	size_t len;

	*unknown = 0;
	*args = "";
	if (n)
		name_out[0] = '\0';
	while (*p && isspace((unsigned char)*p))
		p++;
	if (*p != '/')
		return NULL;
	start = ++p;
	/* Telegram: 1-32 of [a-z0-9_]; we also accept '-', upper case and
	 * non-ASCII letters (UTF-8 bytes), so that "/консилиум" reaches its
	 * alias rather than passing for plain text. */
	while (*p && (isalnum((unsigned char)*p) || (unsigned char)*p >= 0x80 || *p == '_' ||
		      *p == '-'))
		p++;
	len = (size_t)(p - start);
	if (n) {
		snprintf(name_out, n, "%.*s", (int)(len < n ? len : n - 1), start);
	}
	if (*p == '@') /* "/decide@xio_bot" */
		while (*p && !isspace((unsigned char)*p))
			p++;
	if (*p && !isspace((unsigned char)*p)) {
		/* "/etc/passwd" or "/ok!" is text, not a command */
		*unknown = len > 0;
		return NULL;
	}
	while (*p && isspace((unsigned char)*p))
		p++;
	*args = p;
	if (len == 0 || len > 32) {
		*unknown = len > 0;
		return NULL;
	}
	{
		char name[40];
		const struct xio_command *cmd;

		snprintf(name, sizeof(name), "%.*s", (int)len, start);
		cmd = lookup(name);
		if (!cmd)
			*unknown = 1;
		return cmd;
	}
}

void xio_command_dispatch(struct xio_cmd_ctx *x, const char *line)
{
	char name[40], trimmed[4096];
	const struct xio_command *cmd;
	const char *args;
	size_t len;
	int unknown;

	cmd = xio_command_parse(line, name, sizeof(name), &args, &unknown);
	if (!cmd) {
		x->out->refused = 1;
		engine_say(x, XIO_ROLE_MODERATOR, "cmd.unknown", "name", name, NULL);
		return;
	}
	len = strlen(args);
	while (len && isspace((unsigned char)args[len - 1]))
		len--;
	if (len >= sizeof(trimmed))
		len = sizeof(trimmed) - 1;
	memcpy(trimmed, args, len);
	trimmed[len] = '\0';
	x->args = trimmed;
	if (xio_command_argc(trimmed) < cmd->min_args) {
		x->out->refused = 1;
		engine_say(x, XIO_ROLE_MODERATOR, "cmd.usage", "usage", cmd->usage, NULL);
		return;
	}
	if (!(cmd->phases & XIO_PHASE_BIT(x->c->phase))) {
		x->out->refused = 1;
		engine_say(x, XIO_ROLE_MODERATOR,
			   cmd->wrong_phase_key ? cmd->wrong_phase_key : "cmd.wrong_phase",
			   "name", cmd->name, "phase",
			   xio_i18n_get(x->eng->i18n, x->c->lang,
					x->c->phase == XIO_PHASE_PREPARATION ? "phase.preparation"
					: x->c->phase == XIO_PHASE_DISCUSSION ? "phase.discussion"
					: x->c->phase == XIO_PHASE_DECISION  ? "phase.decision"
					: x->c->phase == XIO_PHASE_APPROVAL  ? "phase.approval"
									     : "phase.closed"),
			   NULL);
		return;
	}
	cmd->fn(x);
}
