/*
 * xio console — the bot in this terminal: the console adapter and a SQLite
 * file, no accounts needed.
 */
#include "app.h"
#include "cmd.h"

#include <stdio.h>
#include <string.h>

static int usage(FILE *f)
{
	fprintf(f,
		"usage: xio console [-c FILE] [--db PATH] [--user NAME] [--lang auto|en|ru]\n"
		"                   [--session ID] [--set KEY=VALUE]...\n"
		"\n"
		"Type a message, or 'Name: text' to speak as Name, or a /command.\n"
		"Start with: /consilium <question>.  Input from a pipe or file is a\n"
		"script: xio answers each line before reading the next and exits when\n"
		"the input ends and every consilium waits for a human.\n");
	return f == stderr ? 2 : 0;
}

int xio_cmd_console(int argc, char **argv)
{
	struct xio_app_opts o = { .console = 1, .exit_when_idle = 1 };
	struct xio_config *cfg = NULL;
	struct xio_app app;
	struct xio_err err = { 0 };
	const char *file = NULL;
	int i, rc;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help"))
			return usage(stdout);
		if ((!strcmp(argv[i], "-c") || !strcmp(argv[i], "--config")) && i + 1 < argc)
			file = argv[++i];
	}
	if (xio_config_load(&cfg, file, &err)) {
		fprintf(stderr, "xio console: %s\n", err.msg);
		return 1;
	}
	for (i = 1; i < argc; i++) {
		const char *key = NULL, *val = NULL;
		char kv[512];

		if (!strcmp(argv[i], "-c") || !strcmp(argv[i], "--config")) {
			i++;
			continue;
		}
		if (i + 1 >= argc) {
			fprintf(stderr, "xio console: unknown or incomplete option '%s'\n", argv[i]);
			xio_config_free(cfg);
			return usage(stderr);
		}
		if (!strcmp(argv[i], "--db"))
			key = "store.path";
		else if (!strcmp(argv[i], "--user"))
			key = "console.user";
		else if (!strcmp(argv[i], "--lang"))
			key = "consilium.language";
		else if (!strcmp(argv[i], "--session")) {
			o.session = argv[++i];
			continue;
		} else if (!strcmp(argv[i], "--set")) {
			char *eq;

			snprintf(kv, sizeof(kv), "%s", argv[++i]);
			eq = strchr(kv, '=');
			if (!eq) {
				fprintf(stderr, "xio console: --set needs KEY=VALUE\n");
				xio_config_free(cfg);
				return 2;
			}
			*eq = '\0';
			key = kv;
			val = eq + 1;
		}
		if (!key) {
			fprintf(stderr, "xio console: unknown option '%s'\n", argv[i]);
			xio_config_free(cfg);
			return usage(stderr);
		}
		if (!val)
			val = argv[++i];
		if (xio_config_set(cfg, key, val, &err)) {
			fprintf(stderr, "xio console: %s\n", err.msg);
			xio_config_free(cfg);
			return 2;
		}
	}
	rc = xio_app_init(&app, cfg, &o, &err);
	if (rc) {
		fprintf(stderr, "xio console: %s\n", err.msg);
		xio_app_release(&app);
		return 1;
	}
	rc = xio_app_run(&app);
	xio_app_release(&app);
	return rc;
}
