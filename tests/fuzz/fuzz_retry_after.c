/*
 * fuzz_retry_after.c — the Retry-After and retry-after-ms parsers on
 * arbitrary header values: no crash, no overflow (UBSan), and any accepted
 * delay lies within [0, one year].
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http_client.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const int64_t year = (int64_t)365 * 24 * 3600 * 1000;
	int64_t now = 1700000000000LL, d;
	char *s;

	if (size > 4096)
		return 0;
	s = malloc(size + 1);
	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	/* The first byte picks "now", so dates on both sides of it are tried. */
	if (size)
		now += ((int64_t)data[0] - 128) * 86400000LL * 365;
	d = -1;
	if (xio_http_parse_retry_after(s, now, &d) == 0 && (d < 0 || d > year))
		abort();
	d = -1;
	if (xio_http_parse_retry_after_ms(s, &d) == 0 && (d < 0 || d > year))
		abort();
	free(s);
	return 0;
}
