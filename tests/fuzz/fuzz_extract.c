/*
 * fuzz_extract.c — arbitrary bytes (invalid UTF-8 included) as a transcript:
 * parsed into messages and run through the extractor in both languages and
 * with both lexicons; the result must be a JSON object of four arrays.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "extract.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const langs[] = { NULL, "en", "ru" };
	struct xio_extract_transcript tr;
	struct xio_extract_opts opts;
	json_object *out, *arr;
	char *text;

	if (size > 1 << 16)
		return 0;
	/* The transcript API takes NUL-free text per message; a NUL just ends a
	 * message body early, which is what a C string from a chat would do. */
	text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (xio_extract_parse_transcript(text, size, 1764151200000LL, &tr, NULL) == 0) {
		memset(&opts, 0, sizeof(opts));
		opts.lang = langs[size % 3];
		opts.tz = size % 2 ? "Europe/Moscow" : "UTC";
		opts.now_ms = 1764151200000LL;
		out = xio_extract_run(tr.msgs, tr.n, &opts, NULL);
		if (out) {
			if (!json_object_object_get_ex(out, "tasks", &arr) ||
			    !json_object_is_type(arr, json_type_array))
				abort();
			if (!json_object_to_json_string(out))
				abort();
			json_object_put(out);
		}
		xio_extract_transcript_release(&tr);
	}
	free(text);
	return 0;
}
