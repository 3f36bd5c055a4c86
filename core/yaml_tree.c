/*
 * yaml_tree.c — libyaml events folded into a json-c tree.
 */
#include "yaml_tree.h"

#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#define YAML_MAX_DEPTH 64

struct frame {
	json_object *node;
	char *key; /* pending key while in a mapping */
};

static int attach(struct frame *stack, int depth, json_object *v)
{
	struct frame *top;

	if (depth < 0)
		return 0;
	top = &stack[depth];
	if (json_object_is_type(top->node, json_type_array))
		return json_object_array_add(top->node, v);
	if (!top->key) {
		/* v is a key: only scalars may be keys */
		if (!json_object_is_type(v, json_type_string)) {
			json_object_put(v);
			return -2;
		}
		top->key = strdup(json_object_get_string(v));
		json_object_put(v);
		return top->key ? 0 : -1;
	}
	json_object_object_add(top->node, top->key, v);
	free(top->key);
	top->key = NULL;
	return 0;
}

json_object *xio_yaml_parse(const char *text, size_t len, const char *name,
			    struct xio_err *err)
{
	struct frame stack[YAML_MAX_DEPTH];
	yaml_parser_t parser;
	yaml_event_t ev;
	json_object *root = NULL, *v;
	int depth = -1, done = 0, i, rc;

	memset(stack, 0, sizeof(stack));
	if (!yaml_parser_initialize(&parser)) {
		xio_err_set(err, XIO_ENOMEM, "%s: out of memory", name);
		return NULL;
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	while (!done) {
		if (!yaml_parser_parse(&parser, &ev)) {
			xio_err_set(err, XIO_EINVAL, "%s:%zu:%zu: %s", name,
				    parser.problem_mark.line + 1,
				    parser.problem_mark.column + 1,
				    parser.problem ? parser.problem : "invalid YAML");
			goto fail;
		}
		v = NULL;
		rc = 0;
		switch (ev.type) {
		case YAML_DOCUMENT_END_EVENT:
		case YAML_STREAM_END_EVENT:
			done = 1;
			break;
		case YAML_ALIAS_EVENT:
			xio_err_set(err, XIO_EINVAL, "%s:%zu: YAML aliases are not supported",
				    name, ev.start_mark.line + 1);
			yaml_event_delete(&ev);
			goto fail;
		case YAML_SCALAR_EVENT:
			v = json_object_new_string_len((const char *)ev.data.scalar.value,
						       (int)ev.data.scalar.length);
			rc = v ? attach(stack, depth, v) : -1;
			if (!rc && depth < 0)
				root = v;
			break;
		case YAML_SEQUENCE_START_EVENT:
		case YAML_MAPPING_START_EVENT:
			if (depth + 1 >= YAML_MAX_DEPTH) {
				xio_err_set(err, XIO_EINVAL, "%s:%zu: nesting too deep", name,
					    ev.start_mark.line + 1);
				yaml_event_delete(&ev);
				goto fail;
			}
			v = ev.type == YAML_SEQUENCE_START_EVENT ? json_object_new_array()
								 : json_object_new_object();
			if (!v) {
				rc = -1;
				break;
			}
			rc = attach(stack, depth, v);
			if (rc)
				break;
			if (depth < 0)
				root = v;
			stack[++depth].node = v;
			break;
		case YAML_SEQUENCE_END_EVENT:
		case YAML_MAPPING_END_EVENT:
			free(stack[depth].key);
			stack[depth].key = NULL;
			depth--;
			break;
		default:
			break;
		}
		if (rc) {
			xio_err_set(err, rc == -2 ? XIO_EINVAL : XIO_ENOMEM,
				    "%s:%zu: %s", name, ev.start_mark.line + 1,
				    rc == -2 ? "a mapping key must be a plain value"
					     : "out of memory");
			yaml_event_delete(&ev);
			goto fail;
		}
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&parser);
	if (!root)
		root = json_object_new_object();
	return root;
fail:
	for (i = 0; i <= depth; i++)
		free(stack[i].key);
	yaml_parser_delete(&parser);
	json_object_put(root);
	return NULL;
}
