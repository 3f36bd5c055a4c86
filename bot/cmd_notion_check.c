/*
 * xio notion-check — reads the schemas of the decisions and tasks databases
 * named in the configuration and reports every property XIO writes that is
 * missing or has the wrong type, with the fix, before anything is exported.
 */
#include "cmd.h"
#include "config.h"
#include "wire.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int usage(FILE *f, int status)
{
	fprintf(f, "usage: xio notion-check [-c FILE] [--set KEY=VALUE]...\n"
		   "\n"
		   "Reads the Notion databases notion.decisions_db and notion.tasks_db\n"
		   "and checks that each property XIO writes (notion.properties.*) exists\n"
		   "with a usable type.  Prints \"notion: ok\" and exits 0, or prints one\n"
		   "line per problem with its fix and exits 1.  FILE defaults to\n"
		   "$XIO_CONFIG.\n");
	return status;
}

struct check_state {
	int done, rc;
	char msg[512];
	uv_loop_t *uv;
};

static void done_cb(void *ud, int rc, const char *msg)
{
	struct check_state *s = ud;

	s->done = 1;
	s->rc = rc;
	snprintf(s->msg, sizeof(s->msg), "%s", msg ? msg : "");
	uv_stop(s->uv);
}

int xio_cmd_notion_check(int argc, char **argv)
{
	struct xio_config *cfg = NULL;
	struct xio_notion *n = NULL;
	struct xio_log *log = NULL;
	struct xio_notion_opts o;
	struct xio_err err = { 0 };
	struct xio_loop loop;
	struct check_state st = { 0 };
	struct xio_buf report;
	const char *file = getenv("XIO_CONFIG");
	const char **people = NULL;
	int i, status = 1, loop_on = 0;

	xio_buf_init(&report, 1 << 20);
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help"))
			return usage(stdout, 0);
		if ((!strcmp(argv[i], "-c") || !strcmp(argv[i], "--config")) && i + 1 < argc)
			file = argv[++i];
		else if (!strcmp(argv[i], "--set") && i + 1 < argc)
			i++; /* applied after loading */
		else
			return usage(stderr, 2);
	}
	if (file && !*file)
		file = NULL;
	if (xio_config_load(&cfg, file, &err)) {
		fprintf(stderr, "xio notion-check: %s\n", err.msg);
		return 1;
	}
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--set")) {
			char *kv = strdup(argv[++i]), *eq = kv ? strchr(kv, '=') : NULL;

			if (!eq) {
				free(kv);
				fprintf(stderr, "xio notion-check: --set needs KEY=VALUE\n");
				status = 2;
				goto out;
			}
			*eq = '\0';
			if (xio_config_set(cfg, kv, eq + 1, &err)) {
				fprintf(stderr, "xio notion-check: --set %s: %s\n", kv, err.msg);
				free(kv);
				goto out;
			}
			free(kv);
		} else if (!strcmp(argv[i], "-c") || !strcmp(argv[i], "--config")) {
			i++;
		}
	}
	if (!*xio_config_str(cfg, "notion.token")) {
		fprintf(stderr, "xio notion-check: notion.token is empty: create an integration at "
				"https://www.notion.so/my-integrations and set XIO_NOTION_TOKEN\n");
		goto out;
	}
	log = xio_log_new(STDERR_FILENO, XIO_LOG_AUTO, XIO_LOG_ERROR);
	if (!log || xio_config_register_secrets(cfg, log)) {
		fprintf(stderr, "xio notion-check: out of memory\n");
		goto out;
	}
	memset(&loop, 0, sizeof(loop));
	if (uv_loop_init(&loop.uv)) {
		fprintf(stderr, "xio notion-check: cannot create the event loop\n");
		goto out;
	}
	loop_on = 1;
	if (xio_notion_opts_from_config(&o, cfg, &people, &err) ||
	    xio_notion_new(&n, &loop, &o, log, &err)) {
		fprintf(stderr, "xio notion-check: %s\n", err.msg);
		goto out;
	}
	st.uv = &loop.uv;
	if (xio_notion_check(n, &report, done_cb, &st)) {
		fprintf(stderr, "xio notion-check: out of memory\n");
		goto out;
	}
	while (!st.done)
		uv_run(&loop.uv, UV_RUN_DEFAULT);
	if (report.len)
		fputs(report.data, stdout);
	if (st.rc == 0) {
		printf("notion: ok (decisions %s, tasks %s, Notion-Version %s)\n",
		       xio_config_str(cfg, "notion.decisions_db"), xio_config_str(cfg, "notion.tasks_db"),
		       xio_config_str(cfg, "notion.version"));
		status = 0;
	} else {
		printf("notion: %s\n", st.msg);
	}
out:
	xio_notion_free(n);
	if (loop_on) {
		uv_run(&loop.uv, UV_RUN_DEFAULT);
		uv_loop_close(&loop.uv);
	}
	free(people);
	xio_buf_release(&report);
	xio_log_free(log);
	xio_config_free(cfg);
	return status;
}
