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

static int usage(FILE *f, int status)
{
	fprintf(f, "usage: xio check-config FILE\n"
		   "       xio check-config --print-example\n"
		   "\n"
		   "Checks FILE and the XIO_* environment variables: prints \"FILE: ok\" and\n"
		   "exits 0, or prints every error as FILE:LINE: key: message and exits 1.\n"
		   "--print-example writes the example configuration (every key, its\n"
		   "default and doc) to stdout.\n");
	return status;
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
	if (argv[1][0] == '-' && argv[1][1])
		return usage(stderr, 2);

	xio_buf_init(&report, 0);
	rc = xio_config_load_report(&cfg, argv[1], &report, &err);
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
