/*
 * cmd.h — the subcommands of the xio executable.  To add one: write
 * int xio_cmd_<name>(int argc, char **argv) in bot/cmd_<name>.c (argv[0] is
 * the subcommand's name), declare it here and add a row to main.c's table.
 * Each returns the process exit status: 0 ok, 1 failure, 2 usage error.
 */
#ifndef XIO_BOT_CMD_H
#define XIO_BOT_CMD_H

#include "err.h"

struct xio_cmd {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *help;
};

int xio_cmd_run(int argc, char **argv);
int xio_cmd_console(int argc, char **argv);
int xio_cmd_check_config(int argc, char **argv);
int xio_cmd_extract(int argc, char **argv);
int xio_cmd_notion_check(int argc, char **argv);
int xio_cmd_version(int argc, char **argv);
int xio_cmd_help(int argc, char **argv);

#endif
