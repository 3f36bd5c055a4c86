/*
 * fuzz_config.c — feeds arbitrary bytes to the config loader as a YAML file.
 *
 * Whatever the input, loading must either succeed or fail with a message,
 * never crash, leak or read out of bounds; and a successful load must give
 * every declared key a readable value.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct xio_config *cfg = NULL;
	struct xio_buf report;
	struct xio_err err;
	const struct xio_config_key *k;
	size_t i, n;
	int rc;

	xio_buf_init(&report, 0);
	rc = xio_config_load_buffer(&cfg, "fuzz.yaml", (const char *)data, size,
				    &report, &err);
	if (rc == 0) {
		k = xio_config_keys(&n);
		for (i = 0; i < n; i++) {
			switch (k[i].type) {
			case XIO_CFG_STRING:
			case XIO_CFG_ENUM:
				if (!xio_config_str(cfg, k[i].path))
					__builtin_trap();
				break;
			case XIO_CFG_INT:
				if (xio_config_int(cfg, k[i].path) < k[i].min ||
				    xio_config_int(cfg, k[i].path) > k[i].max)
					__builtin_trap();
				break;
			case XIO_CFG_BOOL:
				(void)xio_config_bool(cfg, k[i].path);
				break;
			case XIO_CFG_DOUBLE:
				(void)xio_config_double(cfg, k[i].path);
				break;
			case XIO_CFG_STRLIST:
				if (!xio_config_list(cfg, k[i].path))
					__builtin_trap();
				break;
			}
		}
	} else if (rc != XIO_ENOMEM && (!report.data || !report.len || !err.msg[0])) {
		__builtin_trap(); /* every failure explains itself */
	}
	xio_config_free(cfg);
	xio_buf_release(&report);
	return 0;
}
