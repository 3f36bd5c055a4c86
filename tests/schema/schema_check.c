/*
 * schema_check.c — XIO's side of the differential schema test.
 *
 * usage: schema_check SCHEMA.json DOC.json...
 * Compiles the schema with xio_schema_compile and prints "<path> valid" or
 * "<path> invalid" per document, exactly as ajv_check.mjs does, so that
 * run_diff.sh can diff the two.  Documents are parsed strictly (as
 * JSON.parse would); one that does not parse prints "<path> unparsable".
 * XIO_SCHEMA_VERBOSE=1 prints the violation messages on stderr.
 * Exits 1 if the schema does not compile or a file cannot be read.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "resource.h"
#include "schema.h"

static json_object *parse_strict(const char *text, size_t len, int *ok)
{
	struct json_tokener *tok = json_tokener_new();
	json_object *doc;
	size_t end;

	*ok = 0;
	if (!tok)
		return NULL;
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	doc = json_tokener_parse_ex(tok, text, (int)len + 1);
	end = json_tokener_get_parse_end(tok);
	while (end < len && strchr(" \t\r\n", text[end]))
		end++;
	*ok = json_tokener_get_error(tok) == json_tokener_success && end >= len;
	json_tokener_free(tok);
	if (!*ok) {
		json_object_put(doc);
		return NULL;
	}
	return doc;
}

int main(int argc, char **argv)
{
	struct xio_schema *s = NULL;
	struct xio_err err;
	char *text = NULL;
	int i, ok, rc = 0, verbose = getenv("XIO_SCHEMA_VERBOSE") != NULL;

	if (argc < 2) {
		fprintf(stderr, "usage: schema_check SCHEMA.json DOC.json...\n");
		return 2;
	}
	text = xio_file_read(argv[1], 1 << 20, NULL, &err);
	if (!text || xio_schema_compile(&s, text, &err) != 0) {
		fprintf(stderr, "%s: %s\n", argv[1], err.msg);
		free(text);
		return 1;
	}
	free(text);
	for (i = 2; i < argc; i++) {
		json_object *doc;
		size_t len;

		text = xio_file_read(argv[i], 16 << 20, &len, &err);
		if (!text) {
			fprintf(stderr, "%s\n", err.msg);
			rc = 1;
			break;
		}
		doc = parse_strict(text, len, &ok);
		free(text);
		if (!ok) {
			printf("%s unparsable\n", argv[i]);
			continue;
		}
		if (xio_schema_validate(s, doc, &err) == 0) {
			printf("%s valid\n", argv[i]);
		} else {
			printf("%s invalid\n", argv[i]);
			if (verbose)
				fprintf(stderr, "%s: %s\n", argv[i], err.msg);
		}
		json_object_put(doc);
	}
	xio_schema_free(s);
	return rc;
}
