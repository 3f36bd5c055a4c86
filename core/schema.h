/*
 * schema.h — a small JSON Schema (draft 2020-12) validator for the keywords
 * XIO's own schemas use.
 *
 * The Scribe's decision log and tasks, and any LLM output that claims to be
 * one, are checked against the schemas of the tools notion.decision_log and
 * notion.task (config/schemas/) before they are stored or sent.  No C JSON
 * Schema library is packaged, so this one implements exactly: type (a name or
 * an array of names; "integer" accepts 1.0), properties, required,
 * additionalProperties (bool or schema), items (one schema), minItems,
 * maxItems, enum, const, minimum, maximum, exclusiveMinimum,
 * exclusiveMaximum, minLength, maxLength (in Unicode code points), pattern,
 * anyOf, oneOf, $ref to "#" or "#/$defs/<name>", $defs (at the root), and
 * boolean schemas.  $schema, $id, $comment, title, description, default and
 * examples are accepted and ignored.  Any other keyword is a compile error,
 * so a schema using something unsupported can never silently pass.
 *
 * Patterns are POSIX extended regular expressions (regcomp, REG_EXTENDED),
 * which ajv runs as ECMAScript.  To keep both readings identical, compile
 * rejects what the two dialects read differently: escapes of letters or
 * digits (\d, \w, \1 ...), backslashes and [: :] inside brackets, '.',
 * {,n}, non-ASCII bytes, and repetition that would blow up regcomp.  One
 * difference remains and is documented rather than rejected: a negated class
 * [^...] matches one byte here and one code point in ECMAScript, which
 * matters only for counted repetition over non-ASCII text.
 *
 * Tested differentially against ajv (tests/schema/).
 */
#ifndef XIO_SCHEMA_H
#define XIO_SCHEMA_H

#include <json-c/json.h>

#include "err.h"

/* A compiled schema; immutable after compile, so one may be shared. */
struct xio_schema;

/*
 * Parses and compiles the schema in json_text (NUL-terminated).  On success
 * *out is a new schema the caller frees with xio_schema_free().  Returns
 * XIO_EINVAL for malformed JSON, an unsupported keyword, a bad keyword value,
 * a dangling $ref or a pattern outside the supported subset (err names the
 * schema location as a JSON pointer), XIO_ENOMEM on allocation failure.
 * *out is NULL on any error.
 */
int xio_schema_compile(struct xio_schema **out, const char *json_text,
		       struct xio_err *err);

/* Frees a compiled schema.  s may be NULL. */
void xio_schema_free(struct xio_schema *s);

/*
 * Validates doc (which may be NULL, meaning JSON null) against s.  Returns 0
 * if valid; XIO_EINVAL if not, with err->msg listing the first 10 violations
 * as "<json pointer>: <what>" joined by "; " (the document root is written
 * "(root)"), followed by "(N more)" when there were more; XIO_ENOMEM if
 * memory ran out.  doc is not modified and stays owned by the caller.
 */
int xio_schema_validate(const struct xio_schema *s, json_object *doc,
			struct xio_err *err);

/*
 * Loads and compiles the schema of a tool by name ("notion.decision_log"):
 * from <dir>/<tool>.json when dir is non-NULL and non-empty, otherwise the
 * built-in config/schemas/<tool>.json.  The tool name may contain only
 * letters, digits, '.', '_' and '-' (and must not start with '.'), so it can
 * never name a path outside dir.  Returns as xio_schema_compile(), plus
 * XIO_ENOTFOUND / XIO_EIO when the file cannot be read; err names the file.
 */
int xio_schema_load_tool(struct xio_schema **out, const char *dir,
			 const char *tool, struct xio_err *err);

#endif
