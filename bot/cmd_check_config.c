/*
 * cmd_check_config.c — `xio check-config`: validates a configuration file
 * (and the XIO_* environment) without starting anything, printing every
 * error at once, or prints the example configuration generated from the
 * key table.
 */
#include "cmd.h"
#include "config.h"

#include <stdio.h>
#include <string.h>

extern char **environ;

static int usage(FILE *f, int status)
{
	fprintf(f, "usage: xio check-config FILE\n"
		   "       xio check-config --print-example\n"
		   "       xio check-config --print-reference\n"
		   "\n"
		   "Checks FILE and the XIO_* environment variables: prints \"FILE: ok\" and\n"
		   "exits 0, or prints every error as FILE:LINE: key: message and exits 1.\n"
		   "--print-example writes the example configuration (every key, its\n"
		   "default and doc) to stdout; --print-reference the same as a Markdown\n"
		   "table (the README's configuration reference).\n");
	return status;
}

static const char *type_text(const struct xio_config_key *k, char *buf, size_t n)
{
	size_t off = 0;
	const char *const *c;

	switch (k->type) {
	case XIO_CFG_STRING: return "string";
	case XIO_CFG_BOOL: return "bool";
	case XIO_CFG_DOUBLE: return "number";
	case XIO_CFG_STRLIST: return "list";
	case XIO_CFG_INT:
		snprintf(buf, n, "int %lld..%lld", k->min, k->max);
		return buf;
	case XIO_CFG_ENUM:
		buf[0] = '\0';
		for (c = k->choices; c && *c && off + 1 < n; c++)
			off += (size_t)snprintf(buf + off, n - off, "%s%s", c == k->choices ? "" : " \\| ", *c);
		return buf;
	}
	return "?";
}

/* The reference table of every key, for the README (a test keeps the two
 * equal, so the README can never drift from the code). */
static int print_reference(FILE *f)
{
	const struct xio_config_key *keys;
	char ename[128], tbuf[256];
	size_t n, i;

	keys = xio_config_keys(&n);
	fprintf(f, "| key | environment | type | default | what it does |\n");
	fprintf(f, "|---|---|---|---|---|\n");
	for (i = 0; i < n; i++) {
		const struct xio_config_key *k = &keys[i];

		xio_config_env_name(k->path, ename, sizeof(ename));
		fprintf(f, "| `%s` | `%s` | %s | %s%s%s | %s%s |\n", k->path, ename,
			type_text(k, tbuf, sizeof(tbuf)), *k->def ? "`" : "", *k->def ? k->def : "(empty)",
			*k->def ? "`" : "", k->doc, k->flags & XIO_CFG_F_SECRET ? " (secret)" : "");
	}
	return fflush(f) ? 1 : 0;
}

/* A misspelt variable is a warning, not an error: the file may be right */
static void warn_unknown(void *ud, const char *name, const char *hint)
{
	(void)ud;
	fprintf(stderr, "warning: %s sets no setting; did you mean %s?\n", name, hint);
}

int xio_cmd_check_config(int argc, char **argv)
{
	struct xio_config *cfg = NULL;
	struct xio_buf report;
	struct xio_err err;
	int rc;

	if (argc != 2)
		return usage(stderr, 2);
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)
		return usage(stdout, 0);
	if (strcmp(argv[1], "--print-example") == 0) {
		if (xio_config_write_example(stdout) || fflush(stdout)) {
			fprintf(stderr, "xio check-config: cannot write the example\n");
			return 1;
		}
		return 0;
	}
	if (strcmp(argv[1], "--print-reference") == 0)
		return print_reference(stdout);
	if (argv[1][0] == '-' && argv[1][1])
		return usage(stderr, 2);

	xio_buf_init(&report, 0);
	rc = xio_config_load_report(&cfg, argv[1], &report, &err);
	xio_config_unknown_env(cfg, environ, warn_unknown, NULL);
	if (rc == 0) {
		printf("%s: ok\n", argv[1]);
	} else if (report.data && report.len) {
		/* Messages never contain secret values (config.h). */
		fputs(report.data, stderr);
	} else {
		fprintf(stderr, "%s\n", err.msg);
	}
	xio_buf_release(&report);
	xio_config_free(cfg);
	return rc == 0 ? 0 : 1;
}
