/*
 * fuzz_api_params.c — the API's path and query parameter parsers on
 * arbitrary bytes: no crash, no overflow (UBSan), and whatever they accept
 * obeys their contract (ids positive, integers within bounds, accepted text
 * re-validates, a parsed path's id prints back to the same digits).
 *
 * Input: "<path>\n<value>" — the first line is tried as a request path, the
 * rest as a query value for each parser.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s, *nl, *value, digits[48];
	int64_t id = -1, v, ms;
	enum xio_api_route r;

	if (size > 4096)
		return 0;
	s = malloc(size + 1);
	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	nl = strchr(s, '\n');
	value = nl ? nl + 1 : s;
	if (nl)
		*nl = '\0';

	r = xio_api_parse_path(s, &id);
	if (r >= XIO_API_CONSILIUM && r <= XIO_API_EVENTS) {
		if (id <= 0)
			abort();
		snprintf(digits, sizeof(digits), "/api/consiliums/%lld", (long long)id);
		if (strncmp(s, digits, strlen(digits)))
			abort();
	} else if (id != 0) {
		abort();
	}
	if (!xio_api_parse_int(value, 1, 500, &v) && (v < 1 || v > 500))
		abort();
	if (!xio_api_parse_int(value, INT64_MIN / 2, INT64_MAX / 2, &v) &&
	    (v < INT64_MIN / 2 || v > INT64_MAX / 2))
		abort();
	if (!xio_api_parse_time(value, &ms) && ms < 0)
		abort();
	if (xio_api_text_ok(value, 200, 0)) {
		if (strlen(value) > 200 || strpbrk(value, "\n\r\t"))
			abort();
	}
	(void)xio_api_text_ok(value, 4096, 1);
	(void)xio_api_token_equal(value, s);
	free(s);
	return 0;
}
