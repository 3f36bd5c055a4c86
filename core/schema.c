/*
 * schema.c — compiles a JSON Schema document into a tree of nodes and
 * validates json-c values against it.
 *
 * Compiling does all the checking of the schema itself (keyword values,
 * $ref targets, regex dialect), so validation never meets a malformed schema
 * and cannot fail except for memory.  Nodes point into the parsed schema
 * document (property names, enum and const values), which the compiled
 * schema keeps alive.  Keywords are dispatched through one table, so adding
 * a keyword means adding one row and one handler.
 */
#include "schema.h"
#include "resource.h"

#include <ctype.h>
#include <math.h>
#include <regex.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
	T_NULL = 1 << 0,
	T_BOOLEAN = 1 << 1,
	T_OBJECT = 1 << 2,
	T_ARRAY = 1 << 3,
	T_NUMBER = 1 << 4,
	T_STRING = 1 << 5,
	T_INTEGER = 1 << 6
};

static const struct {
	const char *name;
	unsigned bit;
} type_names[] = {
	{"null", T_NULL},     {"boolean", T_BOOLEAN}, {"object", T_OBJECT},
	{"array", T_ARRAY},   {"number", T_NUMBER},   {"string", T_STRING},
	{"integer", T_INTEGER},
};

/* Limits that keep a hostile schema from costing unbounded time or memory. */
#define SCHEMA_MAX_DEPTH 64       /* nesting of subschemas at compile time */
#define VALIDATE_MAX_DEPTH 256    /* schema recursion */
#define VALIDATE_MAX_STEPS 4000000L /* (schema node, value) visits per call */
#define PATTERN_MAX_LEN 1024
#define PATTERN_MAX_REPEAT 1000   /* largest {n,m} bound */
#define PATTERN_MAX_SIZE 10000    /* atoms after expanding repetition */
#define MAX_REPORTED 10

struct snode;

struct sprop {
	const char *name; /* points into the schema document */
	struct snode *schema;
};

struct snode {
	int is_bool;     /* a boolean schema: true or false */
	int bool_value;
	unsigned types;  /* T_* mask; 0 = no "type" keyword */
	struct sprop *props;
	size_t nprops;
	const char **required;
	size_t nrequired;
	struct snode *additional; /* NULL = keyword absent */
	struct snode *items;
	long long min_items, max_items, min_length, max_length; /* -1 = absent */
	int has_min, has_max, has_xmin, has_xmax;
	double min, max, xmin, xmax;
	json_object *enum_vals; /* array in the schema document, or NULL */
	int has_const;
	json_object *const_val; /* may be NULL = JSON null */
	int has_pattern;
	const char *pattern;
	regex_t re;
	struct snode **any_of;
	size_t nany;
	struct snode **one_of;
	size_t none;
	const char *ref;          /* "$ref" text, or NULL */
	struct snode *ref_target; /* resolved after the whole tree is built */
	struct sprop *defs;       /* root only */
	size_t ndefs;
	int mark; /* cycle search at compile time: 0 new, 1 on path, 2 done */
};

struct xio_schema {
	json_object *doc;
	struct snode *root;
};

/* A JSON pointer being built while walking; truncated (never overrun) when
 * a path is absurdly long, since it only feeds messages. */
struct jptr {
	char buf[256];
	size_t len;
};

static size_t jptr_push(struct jptr *p, const char *token, size_t n)
{
	size_t old = p->len, i;

	if (p->len + 1 < sizeof(p->buf))
		p->buf[p->len++] = '/';
	for (i = 0; i < n; i++) {
		const char *esc = NULL;
		char one[2] = {token[i], 0};

		if (token[i] == '~')
			esc = "~0";
		else if (token[i] == '/')
			esc = "~1";
		else
			esc = one;
		if (token[i] == '\0')
			esc = "\\u0000";
		if (p->len + strlen(esc) + 1 >= sizeof(p->buf))
			break;
		memcpy(p->buf + p->len, esc, strlen(esc));
		p->len += strlen(esc);
	}
	p->buf[p->len] = '\0';
	return old;
}

static size_t jptr_push_index(struct jptr *p, size_t idx)
{
	char tmp[32];
	int n = snprintf(tmp, sizeof(tmp), "%zu", idx);

	return jptr_push(p, tmp, (size_t)n);
}

static void jptr_pop(struct jptr *p, size_t old)
{
	p->len = old;
	p->buf[old] = '\0';
}

static const char *jptr_show(const struct jptr *p)
{
	return p->len ? p->buf : "(root)";
}

/* ---------------------------------------------------------------- compile */

struct compiler {
	struct xio_err *err;
	struct jptr where;
	int depth;
	struct snode *root;
};

static void node_free(struct snode *n);

static int cerr(struct compiler *c, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int cerr(struct compiler *c, int code, const char *fmt, ...)
{
	char what[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	return xio_err_set(c->err, code, "schema %s: %s", jptr_show(&c->where),
			   what);
}

static int compile_node(struct compiler *c, json_object *js,
			struct snode **out);

/* Compiles js as the subschema at <where>/key[/index]. */
static int compile_sub(struct compiler *c, json_object *js, const char *key,
		       long index, struct snode **out)
{
	size_t old = c->where.len;
	int rc;

	if (key)
		jptr_push(&c->where, key, strlen(key));
	if (index >= 0)
		jptr_push_index(&c->where, (size_t)index);
	rc = compile_node(c, js, out);
	if (rc == 0)
		jptr_pop(&c->where, old);
	return rc;
}

static int is_json_integer(json_object *v)
{
	double d;

	if (json_object_is_type(v, json_type_int))
		return 1;
	if (!json_object_is_type(v, json_type_double))
		return 0;
	d = json_object_get_double(v);
	return isfinite(d) && floor(d) == d;
}

static int get_count(struct compiler *c, const char *kw, json_object *v,
		     long long *out)
{
	double d;

	if (!is_json_integer(v))
		return cerr(c, XIO_EINVAL, "%s must be a non-negative integer", kw);
	d = json_object_get_double(v);
	if (d < 0 || d > 1e15)
		return cerr(c, XIO_EINVAL, "%s must be a non-negative integer", kw);
	*out = (long long)d;
	return 0;
}

static int get_number(struct compiler *c, const char *kw, json_object *v,
		      double *out)
{
	if (!json_object_is_type(v, json_type_int) &&
	    !json_object_is_type(v, json_type_double))
		return cerr(c, XIO_EINVAL, "%s must be a number", kw);
	*out = json_object_get_double(v);
	if (!isfinite(*out))
		return cerr(c, XIO_EINVAL, "%s must be finite", kw);
	return 0;
}

static int kw_ignore(struct compiler *c, struct snode *n, const char *kw,
		     json_object *v)
{
	(void)c;
	(void)n;
	(void)kw;
	(void)v;
	return 0;
}

static int kw_type(struct compiler *c, struct snode *n, const char *kw,
		   json_object *v)
{
	size_t i, j, count = 1;
	int is_array = json_object_is_type(v, json_type_array);

	if (is_array) {
		count = json_object_array_length(v);
		if (count == 0)
			return cerr(c, XIO_EINVAL, "%s must not be empty", kw);
	}
	for (i = 0; i < count; i++) {
		json_object *t = is_array ? json_object_array_get_idx(v, i) : v;
		const char *name;
		unsigned bit = 0;

		if (!json_object_is_type(t, json_type_string))
			return cerr(c, XIO_EINVAL,
				    "%s must be a type name or an array of them", kw);
		name = json_object_get_string(t);
		for (j = 0; j < XIO_ARRAY_LEN(type_names); j++)
			if (strcmp(name, type_names[j].name) == 0)
				bit = type_names[j].bit;
		if (!bit)
			return cerr(c, XIO_EINVAL, "unknown type \"%s\"", name);
		if (n->types & bit)
			return cerr(c, XIO_EINVAL, "type \"%s\" listed twice", name);
		n->types |= bit;
	}
	return 0;
}

static int kw_properties(struct compiler *c, struct snode *n, const char *kw,
			 json_object *v)
{
	size_t i = 0;
	int rc;

	if (!json_object_is_type(v, json_type_object))
		return cerr(c, XIO_EINVAL, "%s must be an object", kw);
	n->props = calloc((size_t)json_object_object_length(v) + 1,
			  sizeof(*n->props));
	if (!n->props)
		return cerr(c, XIO_ENOMEM, "out of memory");
	json_object_object_foreach(v, key, sub) {
		size_t old = jptr_push(&c->where, kw, strlen(kw));

		n->props[i].name = key;
		rc = compile_sub(c, sub, key, -1, &n->props[i].schema);
		if (rc)
			return rc;
		jptr_pop(&c->where, old);
		n->nprops = ++i;
	}
	return 0;
}

static int kw_defs(struct compiler *c, struct snode *n, const char *kw,
		   json_object *v)
{
	size_t i = 0;
	int rc;

	if (n != c->root)
		return cerr(c, XIO_EINVAL, "%s is supported only at the root", kw);
	if (!json_object_is_type(v, json_type_object))
		return cerr(c, XIO_EINVAL, "%s must be an object", kw);
	n->defs = calloc((size_t)json_object_object_length(v) + 1,
			 sizeof(*n->defs));
	if (!n->defs)
		return cerr(c, XIO_ENOMEM, "out of memory");
	json_object_object_foreach(v, key, sub) {
		size_t old = jptr_push(&c->where, kw, strlen(kw));

		n->defs[i].name = key;
		rc = compile_sub(c, sub, key, -1, &n->defs[i].schema);
		if (rc)
			return rc;
		jptr_pop(&c->where, old);
		n->ndefs = ++i;
	}
	return 0;
}

static int kw_required(struct compiler *c, struct snode *n, const char *kw,
		       json_object *v)
{
	size_t i, j, len;

	if (!json_object_is_type(v, json_type_array))
		return cerr(c, XIO_EINVAL, "%s must be an array of strings", kw);
	len = json_object_array_length(v);
	n->required = calloc(len + 1, sizeof(*n->required));
	if (!n->required)
		return cerr(c, XIO_ENOMEM, "out of memory");
	for (i = 0; i < len; i++) {
		json_object *s = json_object_array_get_idx(v, i);

		if (!json_object_is_type(s, json_type_string))
			return cerr(c, XIO_EINVAL, "%s must be an array of strings", kw);
		for (j = 0; j < i; j++)
			if (strcmp(n->required[j], json_object_get_string(s)) == 0)
				return cerr(c, XIO_EINVAL, "%s lists \"%s\" twice", kw,
					    n->required[j]);
		n->required[i] = json_object_get_string(s);
		n->nrequired = i + 1;
	}
	return 0;
}

static int kw_additional(struct compiler *c, struct snode *n, const char *kw,
			 json_object *v)
{
	return compile_sub(c, v, kw, -1, &n->additional);
}

static int kw_items(struct compiler *c, struct snode *n, const char *kw,
		    json_object *v)
{
	if (json_object_is_type(v, json_type_array))
		return cerr(c, XIO_EINVAL,
			    "%s must be one schema (tuple form is not supported)", kw);
	return compile_sub(c, v, kw, -1, &n->items);
}

static int kw_count(struct compiler *c, struct snode *n, const char *kw,
		    json_object *v)
{
	long long *dst = strcmp(kw, "minItems") == 0	? &n->min_items
			 : strcmp(kw, "maxItems") == 0	? &n->max_items
			 : strcmp(kw, "minLength") == 0 ? &n->min_length
							: &n->max_length;

	return get_count(c, kw, v, dst);
}

static int kw_bound(struct compiler *c, struct snode *n, const char *kw,
		    json_object *v)
{
	if (strcmp(kw, "minimum") == 0) {
		n->has_min = 1;
		return get_number(c, kw, v, &n->min);
	}
	if (strcmp(kw, "maximum") == 0) {
		n->has_max = 1;
		return get_number(c, kw, v, &n->max);
	}
	if (strcmp(kw, "exclusiveMinimum") == 0) {
		n->has_xmin = 1;
		return get_number(c, kw, v, &n->xmin);
	}
	n->has_xmax = 1;
	return get_number(c, kw, v, &n->xmax);
}

static int kw_enum(struct compiler *c, struct snode *n, const char *kw,
		   json_object *v)
{
	if (!json_object_is_type(v, json_type_array) ||
	    json_object_array_length(v) == 0)
		return cerr(c, XIO_EINVAL, "%s must be a non-empty array", kw);
	n->enum_vals = v;
	return 0;
}

static int kw_const(struct compiler *c, struct snode *n, const char *kw,
		    json_object *v)
{
	(void)c;
	(void)kw;
	n->has_const = 1;
	n->const_val = v;
	return 0;
}

/*
 * Checks that a pattern reads the same as POSIX ERE and as ECMAScript (with
 * ajv's "u" flag), and estimates its size after expanding repetition, since
 * glibc's regcomp builds an automaton proportional to it: "(a{999}){999}"
 * would take gigabytes.  Returns NULL if acceptable, else why not.
 */
static const char *pattern_check(const char *p)
{
	struct {
		unsigned long total;
	} stack[16];
	int depth = 0;
	unsigned long total = 0, last = 0;
	size_t i, len = strlen(p);

	if (len > PATTERN_MAX_LEN)
		return "pattern too long";
	for (i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)p[i];
		unsigned long atom = 0;

		if (ch >= 0x80 || ch < 0x20)
			return "pattern must be printable ASCII";
		switch (ch) {
		case '\\':
			if (!p[i + 1])
				return "trailing backslash";
			if (isalnum((unsigned char)p[i + 1]) || (unsigned char)p[i + 1] >= 0x80)
				return "escapes of letters and digits (\\d, \\w, \\1 ...) differ between POSIX and ECMAScript";
			i++;
			atom = 1;
			break;
		case '.':
			return "'.' differs between POSIX and ECMAScript (newlines, code points); use a bracket expression";
		case '[': {
			size_t j = i + 1;

			if (p[j] == '^')
				j++;
			if (p[j] == ']')
				return "']' first in a bracket expression differs between POSIX and ECMAScript";
			for (; p[j] && p[j] != ']'; j++) {
				if (p[j] == '\\')
					return "backslash inside a bracket expression differs between POSIX and ECMAScript";
				if (p[j] == '[' && (p[j + 1] == ':' || p[j + 1] == '=' || p[j + 1] == '.'))
					return "POSIX character classes differ from ECMAScript";
			}
			if (!p[j])
				return "unterminated bracket expression";
			i = j;
			atom = 1;
			break;
		}
		case '(':
			if (depth == (int)XIO_ARRAY_LEN(stack))
				return "groups nested too deeply";
			stack[depth++].total = total;
			total = 0;
			last = 0;
			continue;
		case ')':
			if (depth == 0)
				return "unbalanced ')'";
			atom = total ? total : 1;
			total = stack[--depth].total;
			break;
		case '|':
			last = 0;
			continue;
		case '^':
		case '$':
			last = 0;
			continue;
		case '*':
		case '+':
		case '?':
		case '{': {
			unsigned long n = 0, m, bound;
			int has_m = 0;

			if (!last)
				return "quantifier with nothing to repeat";
			if (ch == '{') {
				size_t j = i + 1;

				if (!isdigit((unsigned char)p[j]))
					return "'{' must start a {n}, {n,} or {n,m} quantifier";
				for (; isdigit((unsigned char)p[j]) && n <= PATTERN_MAX_REPEAT; j++)
					n = n * 10 + (unsigned long)(p[j] - '0');
				m = n;
				if (p[j] == ',') {
					j++;
					m = 0;
					for (; isdigit((unsigned char)p[j]) && m <= PATTERN_MAX_REPEAT; j++) {
						m = m * 10 + (unsigned long)(p[j] - '0');
						has_m = 1;
					}
					if (!has_m)
						m = n + 1;
				}
				if (p[j] != '}')
					return "malformed {n,m} quantifier";
				if (n > PATTERN_MAX_REPEAT || m > PATTERN_MAX_REPEAT)
					return "repetition bound too large";
				if (m < n)
					return "{n,m} with m < n";
				i = j;
				bound = m ? m : 1;
			} else {
				bound = 2;
			}
			total = total - last + last * bound;
			last = 0; /* a quantifier may not follow a quantifier */
			if (total > PATTERN_MAX_SIZE)
				return "pattern expands too much under repetition";
			continue;
		}
		case ']':
		case '}':
			return "unmatched ']' or '}'";
		default:
			atom = 1;
			break;
		}
		total += atom;
		last = atom;
		if (total > PATTERN_MAX_SIZE)
			return "pattern expands too much under repetition";
	}
	if (depth)
		return "unbalanced '('";
	return NULL;
}

static int kw_pattern(struct compiler *c, struct snode *n, const char *kw,
		      json_object *v)
{
	const char *why;
	char msg[128];
	int rc;

	if (!json_object_is_type(v, json_type_string))
		return cerr(c, XIO_EINVAL, "%s must be a string", kw);
	n->pattern = json_object_get_string(v);
	if (strlen(n->pattern) != (size_t)json_object_get_string_len(v))
		return cerr(c, XIO_EINVAL, "%s contains NUL", kw);
	why = pattern_check(n->pattern);
	if (why)
		return cerr(c, XIO_EINVAL, "%s \"%.100s\": %s", kw, n->pattern, why);
	rc = regcomp(&n->re, n->pattern, REG_EXTENDED | REG_NOSUB);
	if (rc) {
		regerror(rc, &n->re, msg, sizeof(msg));
		return cerr(c, rc == REG_ESPACE ? XIO_ENOMEM : XIO_EINVAL,
			    "%s \"%.100s\": %s", kw, n->pattern, msg);
	}
	n->has_pattern = 1;
	return 0;
}

static int kw_combinator(struct compiler *c, struct snode *n, const char *kw,
			 json_object *v)
{
	int any = strcmp(kw, "anyOf") == 0;
	struct snode ***arr = any ? &n->any_of : &n->one_of;
	size_t *count = any ? &n->nany : &n->none;
	size_t i, len;
	int rc;

	if (!json_object_is_type(v, json_type_array) ||
	    json_object_array_length(v) == 0)
		return cerr(c, XIO_EINVAL, "%s must be a non-empty array of schemas", kw);
	len = json_object_array_length(v);
	*arr = calloc(len, sizeof(**arr));
	if (!*arr)
		return cerr(c, XIO_ENOMEM, "out of memory");
	for (i = 0; i < len; i++) {
		rc = compile_sub(c, json_object_array_get_idx(v, i), kw, (long)i,
				 &(*arr)[i]);
		if (rc)
			return rc;
		*count = i + 1;
	}
	return 0;
}

static int kw_ref(struct compiler *c, struct snode *n, const char *kw,
		  json_object *v)
{
	if (!json_object_is_type(v, json_type_string))
		return cerr(c, XIO_EINVAL, "%s must be a string", kw);
	n->ref = json_object_get_string(v);
	return 0;
}

static int kw_uri(struct compiler *c, struct snode *n, const char *kw,
		  json_object *v)
{
	(void)n;
	if (!json_object_is_type(v, json_type_string))
		return cerr(c, XIO_EINVAL, "%s must be a string", kw);
	return 0;
}

/* The keyword table: every keyword the validator knows, and its handler. */
static const struct keyword {
	const char *name;
	int (*compile)(struct compiler *c, struct snode *n, const char *kw,
		       json_object *v);
} keywords[] = {
	{"$schema", kw_uri},
	{"$id", kw_uri},
	{"$comment", kw_uri},
	{"$defs", kw_defs},
	{"$ref", kw_ref},
	{"title", kw_uri},
	{"description", kw_uri},
	{"default", kw_ignore},
	{"examples", kw_ignore},
	{"type", kw_type},
	{"properties", kw_properties},
	{"required", kw_required},
	{"additionalProperties", kw_additional},
	{"items", kw_items},
	{"minItems", kw_count},
	{"maxItems", kw_count},
	{"minLength", kw_count},
	{"maxLength", kw_count},
	{"minimum", kw_bound},
	{"maximum", kw_bound},
	{"exclusiveMinimum", kw_bound},
	{"exclusiveMaximum", kw_bound},
	{"enum", kw_enum},
	{"const", kw_const},
	{"pattern", kw_pattern},
	{"anyOf", kw_combinator},
	{"oneOf", kw_combinator},
};

static int compile_node(struct compiler *c, json_object *js, struct snode **out)
{
	struct snode *n = NULL;
	size_t i;
	int rc = 0;

	*out = NULL;
	if (c->depth >= SCHEMA_MAX_DEPTH)
		return cerr(c, XIO_EINVAL, "schema nested too deeply");
	n = calloc(1, sizeof(*n));
	if (!n)
		return cerr(c, XIO_ENOMEM, "out of memory");
	n->min_items = n->max_items = n->min_length = n->max_length = -1;
	if (!c->root)
		c->root = n;
	if (json_object_is_type(js, json_type_boolean)) {
		n->is_bool = 1;
		n->bool_value = json_object_get_boolean(js);
		goto out;
	}
	if (!json_object_is_type(js, json_type_object)) {
		rc = cerr(c, XIO_EINVAL, "a schema must be an object or a boolean");
		goto out;
	}
	c->depth++;
	json_object_object_foreach(js, key, val) {
		const struct keyword *k = NULL;

		for (i = 0; i < XIO_ARRAY_LEN(keywords); i++)
			if (strcmp(key, keywords[i].name) == 0)
				k = &keywords[i];
		if (!k) {
			rc = cerr(c, XIO_EINVAL, "unsupported keyword \"%.100s\"", key);
			break;
		}
		rc = k->compile(c, n, key, val);
		if (rc)
			break;
	}
	c->depth--;
out:
	if (rc) {
		if (c->root == n)
			c->root = NULL;
		node_free(n);
		return rc;
	}
	*out = n;
	return 0;
}

/* Resolves "#" and "#/$defs/<name>" (with ~0 ~1 escapes) against the root. */
static int resolve_refs(struct compiler *c, struct snode *n)
{
	size_t i;
	int rc;

	if (!n || n->is_bool)
		return 0;
	if (n->ref) {
		const char *r = n->ref;
		char name[256];
		size_t len = 0;

		if (strcmp(r, "#") == 0) {
			n->ref_target = c->root;
		} else if (strncmp(r, "#/$defs/", 8) == 0) {
			for (r += 8; *r && len + 1 < sizeof(name); r++) {
				if (*r == '/' || *r == '%')
					break;
				if (r[0] == '~' && r[1] == '0')
					name[len++] = '~', r++;
				else if (r[0] == '~' && r[1] == '1')
					name[len++] = '/', r++;
				else if (*r == '~')
					break;
				else
					name[len++] = *r;
			}
			name[len] = '\0';
			if (*r)
				return xio_err_set(c->err, XIO_EINVAL,
						   "schema: $ref \"%.200s\" is not of the form #/$defs/<name>",
						   n->ref);
			for (i = 0; i < c->root->ndefs; i++)
				if (strcmp(c->root->defs[i].name, name) == 0)
					n->ref_target = c->root->defs[i].schema;
			if (!n->ref_target)
				return xio_err_set(c->err, XIO_EINVAL,
						   "schema: $ref \"%.200s\" names no $defs entry",
						   n->ref);
		} else {
			return xio_err_set(c->err, XIO_EINVAL,
					   "schema: $ref \"%.200s\" unsupported (only \"#\" and \"#/$defs/<name>\")",
					   n->ref);
		}
	}
	for (i = 0; i < n->nprops; i++)
		if ((rc = resolve_refs(c, n->props[i].schema)))
			return rc;
	for (i = 0; i < n->ndefs; i++)
		if ((rc = resolve_refs(c, n->defs[i].schema)))
			return rc;
	for (i = 0; i < n->nany; i++)
		if ((rc = resolve_refs(c, n->any_of[i])))
			return rc;
	for (i = 0; i < n->none; i++)
		if ((rc = resolve_refs(c, n->one_of[i])))
			return rc;
	if ((rc = resolve_refs(c, n->additional)))
		return rc;
	return resolve_refs(c, n->items);
}

/*
 * Refuses a cycle of $ref/anyOf/oneOf edges that never moves into the
 * instance ({"$defs":{"a":{"$ref":"#/$defs/a"}}}): it could only ever recurse
 * until a limit, so it is a schema bug worth reporting at compile time.
 */
static int inplace_cycle(struct snode *n)
{
	size_t i;

	if (!n || n->is_bool || n->mark == 2)
		return 0;
	if (n->mark == 1)
		return 1;
	n->mark = 1;
	if (inplace_cycle(n->ref_target))
		return 1;
	for (i = 0; i < n->nany; i++)
		if (inplace_cycle(n->any_of[i]))
			return 1;
	for (i = 0; i < n->none; i++)
		if (inplace_cycle(n->one_of[i]))
			return 1;
	n->mark = 2;
	return 0;
}

/* Runs inplace_cycle from every node of the tree. */
static int check_cycles(struct compiler *c, struct snode *n)
{
	size_t i;
	int rc;

	if (!n || n->is_bool)
		return 0;
	if (inplace_cycle(n))
		return xio_err_set(c->err, XIO_EINVAL,
				   "schema: $ref cycle that never descends into the document");
	for (i = 0; i < n->nprops; i++)
		if ((rc = check_cycles(c, n->props[i].schema)))
			return rc;
	for (i = 0; i < n->ndefs; i++)
		if ((rc = check_cycles(c, n->defs[i].schema)))
			return rc;
	for (i = 0; i < n->nany; i++)
		if ((rc = check_cycles(c, n->any_of[i])))
			return rc;
	for (i = 0; i < n->none; i++)
		if ((rc = check_cycles(c, n->one_of[i])))
			return rc;
	if ((rc = check_cycles(c, n->additional)))
		return rc;
	return check_cycles(c, n->items);
}

static void node_free(struct snode *n)
{
	size_t i;

	if (!n)
		return;
	for (i = 0; i < n->nprops; i++)
		node_free(n->props[i].schema);
	free(n->props);
	for (i = 0; i < n->ndefs; i++)
		node_free(n->defs[i].schema);
	free(n->defs);
	for (i = 0; i < n->nany; i++)
		node_free(n->any_of[i]);
	free(n->any_of);
	for (i = 0; i < n->none; i++)
		node_free(n->one_of[i]);
	free(n->one_of);
	node_free(n->additional);
	node_free(n->items);
	free(n->required);
	if (n->has_pattern)
		regfree(&n->re);
	free(n);
}

int xio_schema_compile(struct xio_schema **out, const char *json_text,
		       struct xio_err *err)
{
	struct xio_schema *s = NULL;
	struct json_tokener *tok = NULL;
	struct compiler c;
	enum json_tokener_error jerr;
	size_t len, end;
	int rc = 0;

	*out = NULL;
	memset(&c, 0, sizeof(c));
	c.err = err;
	s = calloc(1, sizeof(*s));
	tok = json_tokener_new();
	if (!s || !tok) {
		rc = xio_err_set(err, XIO_ENOMEM, "schema: out of memory");
		goto out;
	}
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	len = strlen(json_text);
	if (len > INT32_MAX - 1) {
		rc = xio_err_set(err, XIO_ETOOBIG, "schema: too large");
		goto out;
	}
	/* Passing the NUL too tells the tokener the text ends there. */
	s->doc = json_tokener_parse_ex(tok, json_text, (int)len + 1);
	jerr = json_tokener_get_error(tok);
	end = json_tokener_get_parse_end(tok);
	while (jerr == json_tokener_success && end < len &&
	       strchr(" \t\r\n", json_text[end]))
		end++;
	if (jerr != json_tokener_success || end < len) {
		rc = xio_err_set(err, XIO_EINVAL, "schema: not valid JSON at offset %zu: %s",
				 end, jerr != json_tokener_success
					      ? json_tokener_error_desc(jerr)
					      : "trailing characters");
		goto out;
	}
	rc = compile_node(&c, s->doc, &s->root);
	if (rc)
		goto out;
	rc = resolve_refs(&c, s->root);
	if (rc)
		goto out;
	rc = check_cycles(&c, s->root);
	if (rc)
		goto out;
	*out = s;
	s = NULL;
out:
	if (tok)
		json_tokener_free(tok);
	xio_schema_free(s);
	return rc;
}

void xio_schema_free(struct xio_schema *s)
{
	if (!s)
		return;
	node_free(s->root);
	json_object_put(s->doc);
	free(s);
}

/* --------------------------------------------------------------- validate */

/* Shared by a validation and all its anyOf/oneOf sub-validations: nested
 * combinators over shared $defs can cost exponential time, so work is
 * budgeted rather than trusted to be small. */
struct vbudget {
	long steps;
	int exhausted;
};

struct vctx {
	int silent;   /* only count; used inside anyOf/oneOf branches */
	int nerr;
	int depth;
	struct vbudget *budget;
	char msg[sizeof(((struct xio_err *)0)->msg)];
	size_t msglen;
};

static void report(struct vctx *v, const struct jptr *at, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void report(struct vctx *v, const struct jptr *at, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!v->silent && v->nerr < MAX_REPORTED && v->msglen < sizeof(v->msg) - 1) {
		n = snprintf(v->msg + v->msglen, sizeof(v->msg) - v->msglen, "%s%s: ",
			     v->nerr ? "; " : "", jptr_show(at));
		if (n > 0)
			v->msglen += (size_t)n;
		if (v->msglen < sizeof(v->msg) - 1) {
			va_start(ap, fmt);
			n = vsnprintf(v->msg + v->msglen, sizeof(v->msg) - v->msglen, fmt, ap);
			va_end(ap);
			if (n > 0)
				v->msglen += (size_t)n;
		}
		if (v->msglen > sizeof(v->msg) - 1)
			v->msglen = sizeof(v->msg) - 1;
	}
	v->nerr++;
}

static unsigned instance_types(json_object *x)
{
	switch (json_object_get_type(x)) {
	case json_type_null:
		return T_NULL;
	case json_type_boolean:
		return T_BOOLEAN;
	case json_type_object:
		return T_OBJECT;
	case json_type_array:
		return T_ARRAY;
	case json_type_string:
		return T_STRING;
	case json_type_int:
		return T_NUMBER | T_INTEGER;
	case json_type_double:
		return T_NUMBER | (is_json_integer(x) ? T_INTEGER : 0);
	}
	return 0;
}

static const char *type_name(json_object *x)
{
	switch (json_object_get_type(x)) {
	case json_type_null:
		return "null";
	case json_type_boolean:
		return "boolean";
	case json_type_object:
		return "object";
	case json_type_array:
		return "array";
	case json_type_string:
		return "string";
	case json_type_int:
		return "integer";
	case json_type_double:
		return "number";
	}
	return "?";
}

/* JSON equality as enum/const define it: numbers by value (1 == 1.0),
 * objects regardless of key order. */
static int json_equal(json_object *a, json_object *b)
{
	enum json_type ta = json_object_get_type(a), tb = json_object_get_type(b);
	size_t i, len;

	if ((ta == json_type_int || ta == json_type_double) &&
	    (tb == json_type_int || tb == json_type_double)) {
		if (ta == json_type_int && tb == json_type_int) {
			int64_t x = json_object_get_int64(a), y = json_object_get_int64(b);

			if (x != y)
				return 0;
			return x != INT64_MAX ||
			       json_object_get_uint64(a) == json_object_get_uint64(b);
		}
		return json_object_get_double(a) == json_object_get_double(b);
	}
	if (ta != tb)
		return 0;
	switch (ta) {
	case json_type_null:
		return 1;
	case json_type_boolean:
		return !json_object_get_boolean(a) == !json_object_get_boolean(b);
	case json_type_string:
		return json_object_get_string_len(a) == json_object_get_string_len(b) &&
		       memcmp(json_object_get_string(a), json_object_get_string(b),
			      (size_t)json_object_get_string_len(a)) == 0;
	case json_type_array:
		len = json_object_array_length(a);
		if (len != json_object_array_length(b))
			return 0;
		for (i = 0; i < len; i++)
			if (!json_equal(json_object_array_get_idx(a, i),
					json_object_array_get_idx(b, i)))
				return 0;
		return 1;
	case json_type_object: {
		if (json_object_object_length(a) != json_object_object_length(b))
			return 0;
		json_object_object_foreach(a, key, va) {
			json_object *vb;

			if (!json_object_object_get_ex(b, key, &vb) || !json_equal(va, vb))
				return 0;
		}
		return 1;
	}
	default:
		return 0;
	}
}

/* Length in Unicode code points, as JSON Schema counts it. */
static size_t utf8_length(const char *s, size_t n)
{
	size_t i, count = 0;

	for (i = 0; i < n; i++)
		if (((unsigned char)s[i] & 0xC0) != 0x80)
			count++;
	return count;
}

static void validate(const struct snode *n, json_object *x, struct jptr *at,
		     struct vctx *v);

/* Runs n on x in a silent sub-context; returns 1 if x is valid. */
static int matches(const struct snode *n, json_object *x, struct jptr *at,
		   const struct vctx *parent)
{
	struct vctx sub;

	sub.silent = 1;
	sub.nerr = 0;
	sub.depth = parent->depth;
	sub.budget = parent->budget;
	sub.msglen = 0;
	sub.msg[0] = '\0';
	validate(n, x, at, &sub);
	return sub.nerr == 0;
}

#define BAIL_IF_SILENT(v)                         \
	do {                                      \
		if ((v)->silent && (v)->nerr)     \
			return;                   \
	} while (0)

static void validate_object(const struct snode *n, json_object *x,
			    struct jptr *at, struct vctx *v)
{
	size_t i, old;

	for (i = 0; i < n->nrequired; i++) {
		if (!json_object_object_get_ex(x, n->required[i], NULL)) {
			old = jptr_push(at, n->required[i], strlen(n->required[i]));
			report(v, at, "required property missing");
			jptr_pop(at, old);
			BAIL_IF_SILENT(v);
		}
	}
	if (!n->nprops && !n->additional)
		return;
	json_object_object_foreach(x, key, val) {
		const struct snode *ps = NULL;

		for (i = 0; i < n->nprops; i++)
			if (strcmp(n->props[i].name, key) == 0)
				ps = n->props[i].schema;
		old = jptr_push(at, key, strlen(key));
		if (ps) {
			validate(ps, val, at, v);
		} else if (n->additional) {
			if (n->additional->is_bool && !n->additional->bool_value)
				report(v, at, "unexpected property");
			else
				validate(n->additional, val, at, v);
		}
		jptr_pop(at, old);
		BAIL_IF_SILENT(v);
	}
}

static void validate(const struct snode *n, json_object *x, struct jptr *at,
		     struct vctx *v)
{
	unsigned types = instance_types(x);
	size_t i, len, old;

	if (n->is_bool) {
		if (!n->bool_value)
			report(v, at, "not allowed");
		return;
	}
	if (v->depth >= VALIDATE_MAX_DEPTH) {
		report(v, at, "schema recursion too deep");
		return;
	}
	if (++v->budget->steps > VALIDATE_MAX_STEPS) {
		v->budget->exhausted = 1;
		report(v, at, "too expensive to validate");
		return;
	}
	v->depth++;
	if (n->ref_target)
		validate(n->ref_target, x, at, v);
	if (v->silent && v->nerr)
		goto out;
	if (n->types && !(n->types & types)) {
		char want[80] = "";
		size_t k;

		for (k = 0; k < XIO_ARRAY_LEN(type_names); k++)
			if (n->types & type_names[k].bit)
				snprintf(want + strlen(want), sizeof(want) - strlen(want),
					 "%s%s", want[0] ? " or " : "", type_names[k].name);
		report(v, at, "expected %s, got %s", want, type_name(x));
		/* Type-specific keywords below would only repeat the point. */
		goto out;
	}
	if (n->enum_vals) {
		int found = 0;

		len = json_object_array_length(n->enum_vals);
		for (i = 0; i < len && !found; i++)
			found = json_equal(json_object_array_get_idx(n->enum_vals, i), x);
		if (!found) {
			const char *shown = json_object_to_json_string_ext(
				n->enum_vals, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);

			report(v, at, "must be one of %.200s", shown ? shown : "the enum");
		}
	}
	if (n->has_const && !json_equal(n->const_val, x))
		report(v, at, "must equal the constant");
	if (v->silent && v->nerr)
		goto out;
	if (types & T_NUMBER) {
		double d = json_object_get_double(x);

		if (n->has_min && !(d >= n->min))
			report(v, at, "must be >= %g", n->min);
		if (n->has_max && !(d <= n->max))
			report(v, at, "must be <= %g", n->max);
		if (n->has_xmin && !(d > n->xmin))
			report(v, at, "must be > %g", n->xmin);
		if (n->has_xmax && !(d < n->xmax))
			report(v, at, "must be < %g", n->xmax);
	}
	if (types & T_STRING) {
		const char *s = json_object_get_string(x);
		size_t bytes = (size_t)json_object_get_string_len(x);
		size_t cps = utf8_length(s, bytes);

		if (n->min_length >= 0 && cps < (size_t)n->min_length)
			report(v, at, "must have at least %lld characters", n->min_length);
		if (n->max_length >= 0 && cps > (size_t)n->max_length)
			report(v, at, "must have at most %lld characters", n->max_length);
		if (n->has_pattern) {
			regmatch_t m[1];

			/* REG_STARTEND so an embedded NUL cannot end the subject
			 * early and let "^...$" match a prefix. */
			m[0].rm_so = 0;
			m[0].rm_eo = (regoff_t)bytes;
			if (regexec(&n->re, s, 1, m, REG_STARTEND) != 0)
				report(v, at, "does not match the pattern %.60s", n->pattern);
		}
	}
	if (v->silent && v->nerr)
		goto out;
	if (types & T_ARRAY) {
		len = json_object_array_length(x);
		if (n->min_items >= 0 && len < (size_t)n->min_items)
			report(v, at, "must have at least %lld items", n->min_items);
		if (n->max_items >= 0 && len > (size_t)n->max_items)
			report(v, at, "must have at most %lld items", n->max_items);
		for (i = 0; n->items && i < len; i++) {
			old = jptr_push_index(at, i);
			validate(n->items, json_object_array_get_idx(x, i), at, v);
			jptr_pop(at, old);
			if (v->silent && v->nerr)
				goto out;
		}
	}
	if (types & T_OBJECT)
		validate_object(n, x, at, v);
	if (v->silent && v->nerr)
		goto out;
	if (n->nany) {
		int ok = 0;

		for (i = 0; i < n->nany && !ok; i++)
			ok = matches(n->any_of[i], x, at, v);
		if (!ok)
			report(v, at, "matches none of the %zu anyOf alternatives", n->nany);
	}
	if (n->none) {
		size_t count = 0;

		for (i = 0; i < n->none && count < 2; i++)
			count += (size_t)matches(n->one_of[i], x, at, v);
		if (count != 1)
			report(v, at, "must match exactly one oneOf alternative, matches %s",
			       count ? "several" : "none");
	}
out:
	v->depth--;
}

int xio_schema_validate(const struct xio_schema *s, json_object *doc,
			struct xio_err *err)
{
	struct vbudget budget = {0, 0};
	struct vctx v;
	struct jptr at;

	memset(&v, 0, sizeof(v));
	v.budget = &budget;
	at.len = 0;
	at.buf[0] = '\0';
	validate(s->root, doc, &at, &v);
	if (!v.nerr)
		return 0;
	if (budget.exhausted)
		return xio_err_set(err, XIO_EINVAL,
				   "(root): too expensive to validate (over %ld steps)",
				   VALIDATE_MAX_STEPS);
	if (v.nerr > MAX_REPORTED)
		return xio_err_set(err, XIO_EINVAL, "%s (%d more)", v.msg,
				   v.nerr - MAX_REPORTED);
	return xio_err_set(err, XIO_EINVAL, "%s", v.msg);
}

int xio_schema_load_tool(struct xio_schema **out, const char *dir,
			 const char *tool, struct xio_err *err)
{
	char path[4096];
	char *text = NULL;
	const char *p;
	struct xio_err sub;
	int rc;

	*out = NULL;
	if (!tool || !*tool || tool[0] == '.' || strlen(tool) > 200)
		return xio_err_set(err, XIO_EINVAL, "schema: bad tool name \"%.200s\"",
				   tool ? tool : "(null)");
	for (p = tool; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '.' && *p != '_' && *p != '-')
			return xio_err_set(err, XIO_EINVAL,
					   "schema: bad tool name \"%.200s\"", tool);
	xio_err_clear(&sub);
	if (dir && *dir) {
		if ((size_t)snprintf(path, sizeof(path), "%s/%s.json", dir, tool) >=
		    sizeof(path))
			return xio_err_set(err, XIO_EINVAL, "schema: path too long in %.200s", dir);
		text = xio_file_read(path, 1 << 20, NULL, &sub);
	} else {
		snprintf(path, sizeof(path), "schemas/%s.json", tool);
		text = xio_resource_load(NULL, path, NULL, &sub);
	}
	if (!text)
		return xio_err_set(err, sub.code ? sub.code : XIO_EIO, "%s", sub.msg);
	rc = xio_schema_compile(out, text, &sub);
	if (rc)
		xio_err_set(err, rc, "%s: %s", path, sub.msg);
	free(text);
	return rc;
}
