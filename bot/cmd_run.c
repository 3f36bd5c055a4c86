/*
 * xio run — the service, as the config file and the XIO_* environment say.
 */
#include "app.h"
#include "cmd.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern char **environ;

static int usage(FILE *f)
{
	fprintf(f, "usage: xio run [-c FILE]\n"
		   "\n"
		   "Runs the service: the chat adapters named in chat.adapters, the HTTP\n"
		   "endpoints (/healthz, /readyz, /metrics) and the follow-up scheduler.\n"
		   "FILE defaults to $XIO_CONFIG; without either, the built-in defaults\n"
		   "(the console adapter and var/xio.db) are used.  Every key can be set\n"
		   "by an environment variable: llm.base_url -> XIO_LLM_BASE_URL.\n");
	return f == stderr ? 2 : 0;
}

/* A misspelt XIO_* variable would otherwise change nothing, silently. */
static void log_unknown(void *ud, const char *name, const char *hint)
{
	struct xio_app *app = ud;

	xio_logf(app->log, XIO_LOG_WARN, "config", "%s sets no setting; did you mean %s?", name,
		 hint);
}

int xio_cmd_run(int argc, char **argv)
{
	struct xio_app_opts o = { .http = 1 };
	struct xio_config *cfg = NULL;
	struct xio_err err = { 0 };
	struct xio_app app;
	const char *file = getenv("XIO_CONFIG");
	size_t i;
	int rc;

	for (i = 1; i < (size_t)argc; i++) {
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help"))
			return usage(stdout);
		if ((!strcmp(argv[i], "-c") || !strcmp(argv[i], "--config")) && i + 1 < (size_t)argc)
			file = argv[++i];
		else {
			fprintf(stderr, "xio run: unknown option '%s'\n", argv[i]);
			return usage(stderr);
		}
	}
	if (file && !*file)
		file = NULL;
	if (xio_config_load(&cfg, file, &err)) {
		fprintf(stderr, "xio run: %s\n", err.msg);
		return 1;
	}
	/* the adapters' names were checked when the config loaded; slack
	 * and telegram are started by bot/wire_*.c from the same list */
	o.console = xio_config_list_has(cfg, "chat.adapters", "console");
	o.reload = 1;
	o.config_file = file;
	rc = xio_app_init(&app, cfg, &o, &err);
	if (rc) {
		fprintf(stderr, "xio run: %s\n", err.msg);
		xio_app_release(&app);
		return 1;
	}
	xio_config_unknown_env(cfg, environ, log_unknown, &app);
	rc = xio_app_run(&app);
	xio_app_release(&app);
	return rc;
}
