/*
 * yaml_tree.h — YAML documents as json-c trees.
 *
 * Personas, message catalogues and prompts are YAML; the code that reads them
 * works on json-c trees like everything else.  Scalars stay strings (a
 * catalogue's "yes" is text, not a boolean); callers convert what they need.
 */
#ifndef XIO_YAML_TREE_H
#define XIO_YAML_TREE_H

#include <json-c/json.h>
#include <stddef.h>

#include "err.h"

/*
 * Parses the first document of text (len bytes) into a new json tree (caller
 * puts it): mappings become objects, sequences arrays, scalars strings, an
 * empty document an empty object.  name is used in messages.  On a syntax
 * error returns NULL with err as "name:line:col: problem".  Anchors and
 * aliases are refused (XIO_EINVAL): nothing of ours needs them and they make
 * a small file expand without bound.
 */
json_object *xio_yaml_parse(const char *text, size_t len, const char *name,
			    struct xio_err *err);

#endif
