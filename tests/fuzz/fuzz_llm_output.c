/*
 * fuzz_llm_output.c — what a model answers, read as JSON, and what a server
 * answers, read as a response or an error body.
 *
 * Every reader must return cleanly on any bytes; an object found in an
 * answer must survive a round trip through the serialiser.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "llm/llm_proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	struct xio_llm_acc acc;
	struct xio_err err;
	json_object *o;
	char msg[128];

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	o = xio_llm_output_json(text, size, &err);
	if (o) {
		const char *s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
		json_object *back = xio_llm_output_json(s, strlen(s), &err);

		if (!back || !json_object_is_type(back, json_type_object))
			__builtin_trap();
		json_object_put(back);
		json_object_put(o);
	}
	xio_llm_error_text(text, size, msg, sizeof(msg));
	if (strlen(msg) >= sizeof(msg))
		__builtin_trap();
	xio_llm_acc_init(&acc, 1024);
	xio_llm_acc_body(&acc, text, size, &err);
	xio_llm_acc_release(&acc);
	free(text);
	return 0;
}
