/*
 * main.c — the xio executable: a table of subcommands (after git.c), each a
 * function in its own file under bot/.
 */
#include "cmd.h"

#include <stdio.h>
#include <string.h>

static const struct xio_cmd commands[] = {
	{ "run", xio_cmd_run, "run the service as the config file and XIO_* variables say" },
	{ "console", xio_cmd_console, "chat with the bot in this terminal (stdin/stdout)" },
	{ "check-config", xio_cmd_check_config, "validate a config file and exit" },
	{ "extract", xio_cmd_extract, "extract decisions and tasks from a transcript file as JSON" },
	{ "notion-check", xio_cmd_notion_check, "check the Notion databases against the configured properties" },
	{ "version", xio_cmd_version, "print the version" },
	{ "help", xio_cmd_help, "list the subcommands" },
};

int xio_cmd_version(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	printf("xio %s\n", XIO_VERSION);
	return 0;
}

int xio_cmd_help(int argc, char **argv)
{
	size_t i;

	(void)argc;
	(void)argv;
	printf("usage: xio <command> [options]\n\ncommands:\n");
	for (i = 0; i < XIO_ARRAY_LEN(commands); i++)
		printf("  %-13s %s\n", commands[i].name, commands[i].help);
	printf("\nRun 'xio <command> --help' for the options of one command.\n");
	return 0;
}

int main(int argc, char **argv)
{
	size_t i;

	if (argc < 2)
		return xio_cmd_help(argc, argv);
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)
		return xio_cmd_help(argc, argv);
	if (strcmp(argv[1], "--version") == 0)
		return xio_cmd_version(argc, argv);
	for (i = 0; i < XIO_ARRAY_LEN(commands); i++)
		if (strcmp(argv[1], commands[i].name) == 0)
			return commands[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "xio: unknown command '%s' (try 'xio help')\n", argv[1]);
	return 2;
}
