/* Temporary: subcommands whose modules land in later commits of this issue. */
#include "cmd.h"
#include <stdio.h>
static int later(const char *n) { fprintf(stderr, "xio %s: not built yet\n", n); return 1; }
int xio_cmd_run(int argc, char **argv) { (void)argc; return later(argv[0]); }
