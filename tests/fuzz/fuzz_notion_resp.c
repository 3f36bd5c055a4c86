/*
 * fuzz_notion_resp.c — the parsing of Notion's answers on arbitrary bytes:
 * xio_notion_parse_response with every class of status, the Retry-After
 * value taken from the input, and the rich-text splitter on the same bytes
 * (which must cut only between characters and keep every item within 2000
 * UTF-16 units).  No crash, no leak, no undefined behaviour; an accepted
 * retry delay is never negative.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "notion/notion.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const long statuses[] = { 200, 201, 400, 401, 403, 404, 409, 429, 500, 503, 529, 302 };
	json_object *out = NULL, *arr;
	int64_t ra;
	char msg[256], retry[16], *s;
	size_t i, rl;
	int rc, trunc;

	if (size > 1 << 16)
		return 0;
	s = malloc(size + 1);
	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	/* the first bytes (up to a newline) are the Retry-After value */
	for (rl = 0; rl < size && rl < sizeof(retry) - 1 && s[rl] != '\n'; rl++)
		retry[rl] = s[rl];
	retry[rl] = '\0';
	for (i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++) {
		rc = xio_notion_parse_response(statuses[i], s, size, retry, &out, &ra, msg, sizeof(msg));
		if (rc == 0 && !out)
			abort();
		if (rc != 0 && out)
			abort();
		if (ra < -1)
			abort();
		json_object_put(out);
		out = NULL;
	}
	arr = json_object_new_array();
	if (arr && xio_notion_rich_text(arr, s, 100, &trunc) == 0) {
		for (i = 0; i < json_object_array_length(arr); i++) {
			json_object *t, *c;

			json_object_object_get_ex(json_object_array_get_idx(arr, i), "text", &t);
			json_object_object_get_ex(t, "content", &c);
			/* bytes are at most 4 per 2 units, at least 1 per unit */
			if (json_object_get_string_len(c) > 4 * 2000 || json_object_get_string_len(c) == 0)
				abort();
		}
	}
	json_object_put(arr);
	free(s);
	return 0;
}
