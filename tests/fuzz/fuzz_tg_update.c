/*
 * fuzz_tg_update.c — the Telegram update parser and the text rendering on
 * whatever arrives: any bytes are parsed as JSON, read as an update, and
 * its text rendered as HTML and split into messages.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "telegram/tg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct json_tokener *tok = json_tokener_new();
	struct xio_tg_update u;
	struct xio_err err;
	json_object *o;

	memset(&u, 0, sizeof(u));
	if (!tok)
		return 0;
	o = json_tokener_parse_ex(tok, (const char *)data, (int)size);
	if (o && xio_tg_update_parse(o, &u, &err) == 0 && u.text) {
		char *h = xio_tg_html(u.text, u.author);
		char **parts;
		size_t n, i;

		if (xio_tg_split(u.text, 64, &parts, &n) == 0) {
			for (i = 0; i < n; i++)
				if (xio_tg_utf16_len(parts[i], strlen(parts[i])) > 64)
					abort();
			xio_tg_parts_free(parts, n);
		}
		free(h);
	}
	xio_tg_update_release(&u);
	json_object_put(o);
	json_tokener_free(tok);
	return 0;
}
