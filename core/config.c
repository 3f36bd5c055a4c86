/*
 * config.c — loading, checking and reading the configuration.
 *
 * A load runs in three passes over the key table (core/config_keys.c):
 * every key gets its default; the YAML file is read with libyaml's event
 * API into a raw json-c tree of strings, arrays and objects, each node
 * tagged with the line of the key that introduced it, and that tree is
 * walked key by key, each scalar having its ${VAR} references replaced and
 * then typed by the table; finally the XIO_* environment variables are
 * applied.  The typed values live in a second json-c tree nested like the
 * file, with a per-key array of borrowed pointers into it for the getters.
 *
 * Errors are collected, not returned at the first one, so a user fixes a
 * file in one round: malformed YAML stops the parse (libyaml cannot go on
 * after it), but every bad key, type, range and variable is reported.  The
 * collection is capped so that a hostile file cannot make it grow without
 * bound.
 */
#include "config.h"
#include "log.h"
#include "resource.h"

#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <yaml.h>

#define CONFIG_MAX_FILE (1 << 20)  /* a config is a few KiB; refuse more */
#define CONFIG_MAX_DEPTH 32        /* the table nests 2 deep; room for typos */
#define CONFIG_MAX_ERRORS 200      /* enough for any real file */
#define CONFIG_MAX_SUGGEST 20      /* "did you mean" costs an edit distance */
#define CONFIG_MAX_PATH 256        /* longer paths cannot be declared keys */
#define CONFIG_SHOW 64             /* bytes of a value quoted in a message */

struct xio_config {
	char *file;            /* file name, load_buffer name or "(defaults)" */
	json_object *root;     /* typed values, nested as in the file */
	json_object **vals;    /* vals[i]: key i's value, borrowed from root */
	int *lines;            /* lines[i]: file line that set key i, else 0 */
	char *names;           /* every path, '.' as NUL: the tree's keys */
	struct xio_buf refs;   /* the variables the file names as ${NAME},
				* each NUL-terminated */
	size_t *name_off;      /* name_off[i]: key i's path in names */
	size_t nkeys;
};

/* The errors of one load, one "where:line: key: message" line each. */
struct diag {
	struct xio_buf text;
	int count;   /* lines in text */
	int dropped; /* errors past CONFIG_MAX_ERRORS, counted only */
	int nomem;   /* an allocation failed while recording */
};

/* State of one load. */
struct load {
	struct xio_config *cfg;
	const char *name;  /* file name for messages */
	struct diag d;
	char **keys;       /* member names of the raw tree (constant keys there) */
	size_t nkeys, capkeys;
};

/* Keeps key (taken, freed on failure too) until the raw tree is freed. */
static int load_keep_key(struct load *L, char *key)
{
	char **v;

	if (L->nkeys == L->capkeys) {
		size_t cap = L->capkeys ? 2 * L->capkeys : 32;

		v = realloc(L->keys, cap * sizeof(*v));
		if (!v) {
			free(key);
			return XIO_ENOMEM;
		}
		L->keys = v;
		L->capkeys = cap;
	}
	L->keys[L->nkeys++] = key;
	return 0;
}

/* Raw-tree nodes carry (line << 1 | is_null) as json-c userdata. */
#define NODE_NULL 1

static void node_mark(json_object *o, int line, int is_null)
{
	json_object_set_userdata(o, (void *)(intptr_t)(((intptr_t)line << 1) | is_null),
				 NULL);
}

static int node_line(json_object *o)
{
	return (int)((intptr_t)json_object_get_userdata(o) >> 1);
}

static int node_is_null(json_object *o)
{
	return (int)((intptr_t)json_object_get_userdata(o) & NODE_NULL);
}

/* ---- messages ---------------------------------------------------------- */

/*
 * Copies at most CONFIG_SHOW bytes of s into dst for a message, with control
 * bytes as \xNN: a hostile file must not write escape sequences to the
 * terminal that runs check-config.
 */
static const char *printable(char *dst, size_t n, const char *s)
{
	size_t o = 0, i;

	for (i = 0; s[i] && i < CONFIG_SHOW && o + 5 < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c == 0x7f)
			o += (size_t)snprintf(dst + o, n - o, "\\x%02x", c);
		else
			dst[o++] = (char)c;
	}
	if (s[i] && o + 4 < n) {
		memcpy(dst + o, "...", 3);
		o += 3;
	}
	dst[o] = '\0';
	return dst;
}

/* A value as quoted in a message; secrets are never shown. */
static const char *quoted(char *dst, size_t n, const struct xio_config_key *k,
			  const char *s)
{
	char tmp[CONFIG_SHOW * 4 + 8];

	if (k->flags & XIO_CFG_F_SECRET)
		snprintf(dst, n, "(a secret value)");
	else
		snprintf(dst, n, "\"%s\"", printable(tmp, sizeof(tmp), s));
	return dst;
}

static void diag_add(struct diag *d, const char *where, int line,
		     const char *key, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

/* Records one error: "where:line: key: message" (line and key optional). */
static void diag_add(struct diag *d, const char *where, int line,
		     const char *key, const char *fmt, ...)
{
	va_list ap;
	int rc;

	if (d->count >= CONFIG_MAX_ERRORS) {
		d->dropped++;
		return;
	}
	d->count++;
	if (line > 0)
		rc = xio_buf_printf(&d->text, "%s:%d: ", where, line);
	else
		rc = xio_buf_printf(&d->text, "%s: ", where);
	if (!rc && key)
		rc = xio_buf_printf(&d->text, "%s: ", key);
	va_start(ap, fmt);
	if (!rc)
		rc = xio_buf_vprintf(&d->text, fmt, ap);
	va_end(ap);
	if (!rc)
		rc = xio_buf_puts(&d->text, "\n");
	if (rc)
		d->nomem = 1;
}

/*
 * Copies the collected messages into err, joined by '\n', as many whole
 * lines as fit, then "(N more)"; the full list goes to the report.
 */
static void diag_to_err(const struct diag *d, const char *name, int code,
			struct xio_err *err)
{
	const char *p = d->text.data;
	size_t used = 0, cap = sizeof(err->msg);
	int left = d->count + d->dropped;

	if (!err)
		return;
	err->code = code;
	err->msg[0] = '\0';
	while (p && *p) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		size_t need = len + (used ? 1 : 0) + (left > 1 ? 24 : 0);

		if (used + need >= cap) {
			if (used == 0) { /* one very long line: cut it */
				snprintf(err->msg, cap, "%.*s", (int)len, p);
				used = strlen(err->msg);
				left--;
			}
			break;
		}
		used += (size_t)snprintf(err->msg + used, cap - used, "%s%.*s",
					 used ? "\n" : "", (int)len, p);
		left--;
		p = nl ? nl + 1 : p + len;
	}
	if (left > 0 && used < cap)
		snprintf(err->msg + used, cap - used, "%s(%d more)", used ? "\n" : "",
			 left);
	if (!err->msg[0])
		snprintf(err->msg, cap, "%s: %s", name, xio_strerror(code));
}

/* ---- the key table ----------------------------------------------------- */

static const struct xio_config_key *table(size_t *n)
{
	return xio_config_keys(n);
}

static int key_index(const char *path)
{
	size_t i, n;
	const struct xio_config_key *k = table(&n);

	for (i = 0; i < n; i++)
		if (strcmp(k[i].path, path) == 0)
			return (int)i;
	return -1;
}

const struct xio_config_key *xio_config_key_find(const char *path)
{
	int i = key_index(path);

	return i < 0 ? NULL : &table(NULL)[i];
}

/* Whether some declared key lies under prefix ("llm" for llm.*). */
static int is_section(const char *prefix)
{
	size_t i, n, pl = strlen(prefix);
	const struct xio_config_key *k = table(&n);

	for (i = 0; i < n; i++)
		if (strncmp(k[i].path, prefix, pl) == 0 && k[i].path[pl] == '.')
			return 1;
	return 0;
}

int xio_config_env_name(const char *path, char *dst, size_t n)
{
	size_t o = 0, i;

	if (n < 5)
		return XIO_ETOOBIG;
	memcpy(dst, "XIO_", 4);
	o = 4;
	for (i = 0; path[i]; i++) {
		if (o + 1 >= n) {
			dst[0] = '\0';
			return XIO_ETOOBIG;
		}
		dst[o++] = path[i] == '.' ? '_' : (char)toupper((unsigned char)path[i]);
	}
	dst[o] = '\0';
	return 0;
}

static size_t edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i, j;
	size_t row[CONFIG_SHOW + 1];

	if (la > CONFIG_SHOW || lb > CONFIG_SHOW)
		return (size_t)-1;
	for (j = 0; j <= lb; j++)
		row[j] = j;
	for (i = 1; i <= la; i++) {
		size_t diag = row[0];

		row[0] = i;
		for (j = 1; j <= lb; j++) {
			size_t up = row[j], best = diag + (a[i - 1] != b[j - 1]);

			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			diag = up;
			row[j] = best;
		}
	}
	return row[lb];
}

/* The declared key closest to an unknown path, if it is a likely typo. */
static const char *suggest(const char *path)
{
	size_t i, n, best = (size_t)-1, d;
	const struct xio_config_key *k = table(&n);
	const char *hit = NULL;

	for (i = 0; i < n; i++) {
		d = edit_distance(path, k[i].path);
		if (d < best) {
			best = d;
			hit = k[i].path;
		}
	}
	return best <= 2 ? hit : NULL;
}

/* ---- typing ------------------------------------------------------------ */

static int parse_int(const struct xio_config_key *k, const char *s,
		     json_object **out, char *msg, size_t n)
{
	char q[CONFIG_SHOW * 4 + 16];
	char *end;
	long long v;

	if (!(isdigit((unsigned char)s[0]) ||
	      ((s[0] == '-' || s[0] == '+') && isdigit((unsigned char)s[1]))))
		goto bad;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (*end)
		goto bad;
	if (errno == ERANGE || v < k->min || v > k->max) {
		snprintf(msg, n, "%s is out of range [%lld..%lld]",
			 quoted(q, sizeof(q), k, s), k->min, k->max);
		return XIO_EINVAL;
	}
	*out = json_object_new_int64(v);
	return *out ? 0 : XIO_ENOMEM;
bad:
	snprintf(msg, n, "expected an integer in [%lld..%lld], got %s", k->min,
		 k->max, quoted(q, sizeof(q), k, s));
	return XIO_EINVAL;
}

static int parse_bool(const struct xio_config_key *k, const char *s,
		      json_object **out, char *msg, size_t n)
{
	static const char *const yes[] = { "true", "yes", "on", "1" };
	static const char *const no[] = { "false", "no", "off", "0" };
	char q[CONFIG_SHOW * 4 + 16];
	size_t i;

	for (i = 0; i < XIO_ARRAY_LEN(yes); i++) {
		if (strcasecmp(s, yes[i]) == 0 || strcasecmp(s, no[i]) == 0) {
			*out = json_object_new_boolean(strcasecmp(s, yes[i]) == 0);
			return *out ? 0 : XIO_ENOMEM;
		}
	}
	snprintf(msg, n, "expected true or false, got %s", quoted(q, sizeof(q), k, s));
	return XIO_EINVAL;
}

static int parse_double(const struct xio_config_key *k, const char *s,
			json_object **out, char *msg, size_t n)
{
	char q[CONFIG_SHOW * 4 + 16];
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (!*s || isspace((unsigned char)*s) || *end || errno == ERANGE ||
	    !isfinite(v)) {
		snprintf(msg, n, "expected a number, got %s", quoted(q, sizeof(q), k, s));
		return XIO_EINVAL;
	}
	*out = json_object_new_double(v);
	return *out ? 0 : XIO_ENOMEM;
}

static int parse_enum(const struct xio_config_key *k, const char *s,
		      json_object **out, char *msg, size_t n)
{
	char q[CONFIG_SHOW * 4 + 16];
	size_t i, o;

	for (i = 0; k->choices[i]; i++) {
		if (strcmp(s, k->choices[i]) == 0) {
			*out = json_object_new_string(s);
			return *out ? 0 : XIO_ENOMEM;
		}
	}
	o = (size_t)snprintf(msg, n, "%s is not one of: ", quoted(q, sizeof(q), k, s));
	for (i = 0; k->choices[i] && o < n; i++)
		o += (size_t)snprintf(msg + o, n - o, "%s%s", i ? ", " : "",
				      k->choices[i]);
	return XIO_EINVAL;
}

/* Appends the string item [p, p+len) to the array, spaces trimmed; skips
 * empty items so that "" and "a," mean what they look like. */
static int list_add(json_object *arr, const char *p, size_t len)
{
	json_object *s;

	while (len && isspace((unsigned char)*p)) {
		p++;
		len--;
	}
	while (len && isspace((unsigned char)p[len - 1]))
		len--;
	if (!len)
		return 0;
	s = json_object_new_string_len(p, (int)len);
	if (!s)
		return XIO_ENOMEM;
	if (json_object_array_add(arr, s)) {
		json_object_put(s);
		return XIO_ENOMEM;
	}
	return 0;
}

static int parse_list(const char *s, json_object **out)
{
	json_object *arr = json_object_new_array();
	const char *comma;
	int rc = 0;

	if (!arr)
		return XIO_ENOMEM;
	while (!rc && (comma = strchr(s, ','))) {
		rc = list_add(arr, s, (size_t)(comma - s));
		s = comma + 1;
	}
	if (!rc)
		rc = list_add(arr, s, strlen(s));
	if (rc) {
		json_object_put(arr);
		return rc;
	}
	*out = arr;
	return 0;
}

/*
 * Types text s as key k says (lists comma-separated).  Returns 0 with a new
 * value in *out, XIO_EINVAL with the reason in msg, or XIO_ENOMEM.
 */
static int parse_typed(const struct xio_config_key *k, const char *s,
		       json_object **out, char *msg, size_t n)
{
	*out = NULL;
	switch (k->type) {
	case XIO_CFG_STRING:
		*out = json_object_new_string(s);
		return *out ? 0 : XIO_ENOMEM;
	case XIO_CFG_INT:
		return parse_int(k, s, out, msg, n);
	case XIO_CFG_BOOL:
		return parse_bool(k, s, out, msg, n);
	case XIO_CFG_DOUBLE:
		return parse_double(k, s, out, msg, n);
	case XIO_CFG_ENUM:
		return parse_enum(k, s, out, msg, n);
	case XIO_CFG_STRLIST:
		return parse_list(s, out);
	}
	snprintf(msg, n, "key of unknown type");
	return XIO_EINVAL;
}

static const char *type_name(const struct xio_config_key *k)
{
	switch (k->type) {
	case XIO_CFG_STRING: return "a string";
	case XIO_CFG_INT: return "an integer";
	case XIO_CFG_BOOL: return "true or false";
	case XIO_CFG_DOUBLE: return "a number";
	case XIO_CFG_ENUM: return "one of its choices";
	case XIO_CFG_STRLIST: return "a list of strings";
	}
	return "a value";
}

/* ---- ${VAR} substitution ----------------------------------------------- */

/*
 * Replaces ${VAR}, ${VAR:-default} and $$ in s, appending the result to
 * out.  A default applies when VAR is unset or empty, as in the shell.  A
 * '$' before anything else is kept.  Returns 0, XIO_EINVAL with the reason
 * in msg, or XIO_ENOMEM.
 */
static int substitute(const char *s, struct xio_buf *out, struct xio_buf *refs, char *msg,
		      size_t n)
{
	char name[128];
	const char *p = s, *q, *val, *def;
	size_t nl, dl = 0;

	while (*p) {
		if (p[0] != '$' || (p[1] != '$' && p[1] != '{')) {
			q = p + 1;
			while (*q && *q != '$')
				q++;
			if (xio_buf_append(out, p, (size_t)(q - p)))
				return XIO_ENOMEM;
			p = q;
			continue;
		}
		if (p[1] == '$') {
			if (xio_buf_append(out, "$", 1))
				return XIO_ENOMEM;
			p += 2;
			continue;
		}
		q = p + 2;
		while (isalnum((unsigned char)*q) || *q == '_')
			q++;
		nl = (size_t)(q - (p + 2));
		if (nl == 0 || isdigit((unsigned char)p[2]) || nl >= sizeof(name) ||
		    (*q != '}' && !(q[0] == ':' && q[1] == '-'))) {
			snprintf(msg, n, "bad variable reference (write ${NAME}, "
				 "${NAME:-default}, or $$ for a literal $)");
			return XIO_EINVAL;
		}
		memcpy(name, p + 2, nl);
		name[nl] = '\0';
		def = NULL;
		if (*q == ':') {
			def = q + 2;
			q = strchr(def, '}');
			if (!q) {
				snprintf(msg, n, "${%s:-...} is not closed with }", name);
				return XIO_EINVAL;
			}
			dl = (size_t)(q - def);
		}
		if (xio_buf_append(refs, name, nl + 1))
			return XIO_ENOMEM;
		val = getenv(name);
		if (def && (!val || !*val)) {
			if (xio_buf_append(out, def, dl))
				return XIO_ENOMEM;
		} else if (!val) {
			snprintf(msg, n, "environment variable %s is not set "
				 "(write ${%s:-default} for a fallback)", name, name);
			return XIO_EINVAL;
		} else if (xio_buf_puts(out, val)) {
			return XIO_ENOMEM;
		}
		p = q + 1;
	}
	/* An empty result must still be a string, not NULL. */
	return xio_buf_append(out, "", 0) ? XIO_ENOMEM : 0;
}

/* ---- the typed tree ---------------------------------------------------- */

/*
 * Puts val (ownership taken, also on failure) at key i's path in the tree.
 * Member names are added as constant keys pointing into cfg->names: json-c
 * 0.16 leaks its own copy of a key when growing a table fails.
 */
static int slot_set(struct xio_config *cfg, size_t i, json_object *val, int line)
{
	const char *path = table(NULL)[i].path, *dot;
	const char *comp = cfg->names + cfg->name_off[i];
	json_object *parent = cfg->root, *child;

	while ((dot = strchr(path, '.'))) {
		if (!json_object_object_get_ex(parent, comp, &child)) {
			child = json_object_new_object();
			if (!child || json_object_object_add_ex(parent, comp, child,
								JSON_C_OBJECT_ADD_CONSTANT_KEY)) {
				json_object_put(child);
				json_object_put(val);
				return XIO_ENOMEM;
			}
		}
		parent = child;
		comp += (dot - path) + 1;
		path = dot + 1;
	}
	if (json_object_object_add_ex(parent, comp, val, JSON_C_OBJECT_ADD_CONSTANT_KEY)) {
		json_object_put(val);
		return XIO_ENOMEM;
	}
	cfg->vals[i] = val;
	cfg->lines[i] = line;
	return 0;
}

void xio_config_free(struct xio_config *cfg)
{
	if (!cfg)
		return;
	json_object_put(cfg->root);
	xio_buf_release(&cfg->refs);
	free(cfg->names);
	free(cfg->name_off);
	free(cfg->vals);
	free(cfg->lines);
	free(cfg->file);
	free(cfg);
}

/* A config holding the table's defaults. */
static int config_new(struct xio_config **out, const char *name,
		      struct xio_err *err)
{
	struct xio_config *cfg = NULL;
	const struct xio_config_key *k;
	json_object *v;
	char msg[256], *p;
	size_t i, size = 0;
	int rc = XIO_ENOMEM;

	*out = NULL;
	k = table(NULL);
	cfg = calloc(1, sizeof(*cfg));
	if (cfg)
		xio_buf_init(&cfg->refs, 0);
	if (!cfg)
		goto out;
	table(&cfg->nkeys);
	cfg->file = strdup(name ? name : "(defaults)");
	cfg->root = json_object_new_object();
	cfg->vals = calloc(cfg->nkeys, sizeof(*cfg->vals));
	cfg->lines = calloc(cfg->nkeys, sizeof(*cfg->lines));
	cfg->name_off = calloc(cfg->nkeys, sizeof(*cfg->name_off));
	for (i = 0; i < cfg->nkeys; i++)
		size += strlen(k[i].path) + 1;
	cfg->names = malloc(size);
	if (!cfg->file || !cfg->root || !cfg->vals || !cfg->lines ||
	    !cfg->name_off || !cfg->names)
		goto out;
	for (i = 0, p = cfg->names; i < cfg->nkeys; i++) {
		cfg->name_off[i] = (size_t)(p - cfg->names);
		for (const char *c = k[i].path; *c; c++)
			*p++ = *c == '.' ? '\0' : *c;
		*p++ = '\0';
	}
	for (i = 0; i < cfg->nkeys; i++) {
		rc = parse_typed(&k[i], k[i].def, &v, msg, sizeof(msg));
		if (rc == XIO_EINVAL) {
			/* A bug in config_keys.c; test_config catches it. */
			xio_err_set(err, rc, "built-in default of %s: %s", k[i].path, msg);
			goto out;
		}
		if (!rc)
			rc = slot_set(cfg, i, v, 0);
		if (rc)
			goto out;
	}
	*out = cfg;
	cfg = NULL;
	rc = 0;
out:
	if (rc == XIO_ENOMEM)
		xio_err_set(err, rc, "%s: out of memory", name ? name : "config");
	xio_config_free(cfg);
	return rc;
}

/* ---- YAML -> raw json-c tree ------------------------------------------- */

static int yaml_fail(struct load *L, yaml_parser_t *p, const char *data)
{
	size_t line = p->problem_mark.line + 1, i;

	if (p->error == YAML_MEMORY_ERROR)
		return XIO_ENOMEM;
	if (p->error == YAML_READER_ERROR) {
		/* Reader errors (bad encoding) carry an offset, not a mark. */
		line = 1;
		for (i = 0; i < p->problem_offset && data[i]; i++)
			line += data[i] == '\n';
	}
	if (p->context)
		diag_add(&L->d, L->name, (int)line, NULL,
			 "malformed YAML: %s (%s at line %zu)",
			 p->problem ? p->problem : "error", p->context,
			 p->context_mark.line + 1);
	else
		diag_add(&L->d, L->name, (int)line, NULL, "malformed YAML: %s",
			 p->problem ? p->problem : "error");
	return XIO_EINVAL;
}

struct yp {
	yaml_parser_t parser;
	struct load *L;
	const char *data;
};

static int yp_next(struct yp *y, yaml_event_t *ev)
{
	if (!yaml_parser_parse(&y->parser, ev))
		return yaml_fail(y->L, &y->parser, y->data);
	return 0;
}

static int yp_fatal(struct yp *y, int line, const char *what)
{
	diag_add(&y->L->d, y->L->name, line, NULL, "%s", what);
	return XIO_EINVAL;
}

static int yp_node(struct yp *y, yaml_event_t *ev, int depth, int line,
		   const char *prefix, json_object **out);

static int yp_scalar(struct yp *y, yaml_event_t *ev, int line, const char *prefix,
		     json_object **out)
{
	char shown[CONFIG_SHOW * 4 + 8];
	const char *v = (const char *)ev->data.scalar.value;
	size_t len = ev->data.scalar.length;
	int is_null;

	if (memchr(v, '\0', len) || len > INT32_MAX) {
		diag_add(&y->L->d, y->L->name, line,
			 prefix ? printable(shown, sizeof(shown), prefix) : NULL, "%s",
			 len > INT32_MAX ? "value too long" : "value contains a NUL character");
		return XIO_EINVAL;
	}
	/* Only an unquoted empty, ~ or null means "no value". */
	is_null = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
		  (len == 0 || strcmp(v, "~") == 0 || strcmp(v, "null") == 0 ||
		   strcmp(v, "Null") == 0 || strcmp(v, "NULL") == 0);
	*out = json_object_new_string_len(v, (int)len);
	if (!*out)
		return XIO_ENOMEM;
	node_mark(*out, line, is_null);
	return 0;
}

static int yp_sequence(struct yp *y, int depth, int line, const char *prefix,
		       json_object **out)
{
	json_object *arr = json_object_new_array(), *item = NULL;
	yaml_event_t ev;
	int rc = 0;

	if (!arr)
		return XIO_ENOMEM;
	node_mark(arr, line, 0);
	for (;;) {
		rc = yp_next(y, &ev);
		if (rc)
			break;
		if (ev.type == YAML_SEQUENCE_END_EVENT) {
			yaml_event_delete(&ev);
			break;
		}
		rc = yp_node(y, &ev, depth + 1, 0, prefix, &item);
		if (rc)
			break;
		if (json_object_array_add(arr, item)) {
			json_object_put(item);
			rc = XIO_ENOMEM;
			break;
		}
	}
	if (rc) {
		json_object_put(arr);
		return rc;
	}
	*out = arr;
	return 0;
}

static int yp_mapping(struct yp *y, int depth, int line, const char *prefix,
		      json_object **out)
{
	json_object *obj = json_object_new_object(), *val = NULL, *prev;
	char shown[CONFIG_SHOW * 4 + 8], path[CONFIG_MAX_PATH];
	yaml_event_t ev;
	char *key = NULL;
	int rc = 0, kline;

	if (!obj)
		return XIO_ENOMEM;
	node_mark(obj, line, 0);
	for (;;) {
		rc = yp_next(y, &ev);
		if (rc)
			break;
		if (ev.type == YAML_MAPPING_END_EVENT) {
			yaml_event_delete(&ev);
			break;
		}
		kline = (int)ev.start_mark.line + 1;
		if (ev.type != YAML_SCALAR_EVENT ||
		    memchr(ev.data.scalar.value, '\0', ev.data.scalar.length)) {
			yaml_event_delete(&ev);
			rc = yp_fatal(y, kline, "a mapping key must be a plain string");
			break;
		}
		key = strndup((const char *)ev.data.scalar.value, ev.data.scalar.length);
		yaml_event_delete(&ev);
		rc = key ? load_keep_key(y->L, key) : XIO_ENOMEM;
		if (rc)
			break;
		if (prefix)
			snprintf(path, sizeof(path), "%s.%s", prefix, key);
		else
			snprintf(path, sizeof(path), "%s", key);
		rc = yp_next(y, &ev);
		if (!rc)
			rc = yp_node(y, &ev, depth + 1, kline, path, &val);
		if (rc)
			break;
		if (json_object_object_get_ex(obj, key, &prev)) {
			/* Not fatal: the rest of the file is still checked. */
			diag_add(&y->L->d, y->L->name, kline,
				 printable(shown, sizeof(shown), path),
				 "set twice in one mapping (first at line %d)",
				 node_line(prev));
			json_object_put(val);
		} else if (json_object_object_add_ex(obj, key, val,
						     JSON_C_OBJECT_ADD_CONSTANT_KEY)) {
			json_object_put(val);
			rc = XIO_ENOMEM;
			break;
		}
		val = NULL;
	}
	if (rc) {
		json_object_put(obj);
		return rc;
	}
	*out = obj;
	return 0;
}

/*
 * Builds the node that starts with ev (consumed here).  line is the line of
 * the key that introduced the node, or 0 to use the node's own line: errors
 * about a value are reported on its key's line.  prefix is the node's dotted
 * path (NULL at the top), for messages.
 */
static int yp_node(struct yp *y, yaml_event_t *ev, int depth, int line,
		   const char *prefix, json_object **out)
{
	int own = (int)ev->start_mark.line + 1;
	int rc;

	*out = NULL;
	if (line <= 0)
		line = own;
	if (depth > CONFIG_MAX_DEPTH) {
		rc = yp_fatal(y, own, "mappings or lists nested too deep");
		goto out;
	}
	switch (ev->type) {
	case YAML_SCALAR_EVENT:
		rc = yp_scalar(y, ev, line, prefix, out);
		break;
	case YAML_SEQUENCE_START_EVENT:
		rc = yp_sequence(y, depth, line, prefix, out);
		break;
	case YAML_MAPPING_START_EVENT:
		rc = yp_mapping(y, depth, line, prefix, out);
		break;
	case YAML_ALIAS_EVENT:
		rc = yp_fatal(y, own, "YAML aliases (*name) are not supported");
		break;
	default:
		rc = yp_fatal(y, own, "unexpected YAML structure");
		break;
	}
out:
	yaml_event_delete(ev);
	return rc;
}

/* Parses data as one YAML document whose top level is a mapping. */
static int yp_document(struct load *L, const char *data, size_t len,
		       json_object **out)
{
	struct yp y;
	yaml_event_t ev;
	json_object *root = NULL;
	int rc;

	*out = NULL;
	memset(&y, 0, sizeof(y));
	y.L = L;
	y.data = data;
	if (!yaml_parser_initialize(&y.parser))
		return XIO_ENOMEM;
	yaml_parser_set_input_string(&y.parser, (const unsigned char *)data, len);
	rc = yp_next(&y, &ev); /* STREAM-START */
	if (rc)
		goto out;
	yaml_event_delete(&ev);
	rc = yp_next(&y, &ev);
	if (rc)
		goto out;
	if (ev.type == YAML_STREAM_END_EVENT) {
		yaml_event_delete(&ev);
		rc = yp_fatal(&y, 0, "the file is empty; expected a mapping of "
			      "settings (see `xio check-config --print-example`)");
		goto out;
	}
	yaml_event_delete(&ev); /* DOCUMENT-START */
	rc = yp_next(&y, &ev);
	if (!rc)
		rc = yp_node(&y, &ev, 0, 0, NULL, &root);
	if (rc)
		goto out;
	rc = yp_next(&y, &ev); /* DOCUMENT-END */
	if (rc)
		goto out;
	yaml_event_delete(&ev);
	rc = yp_next(&y, &ev);
	if (rc)
		goto out;
	if (ev.type != YAML_STREAM_END_EVENT) {
		int line = (int)ev.start_mark.line + 1;

		yaml_event_delete(&ev);
		rc = yp_fatal(&y, line, "more than one YAML document in the file");
		goto out;
	}
	yaml_event_delete(&ev);
	if (!json_object_is_type(root, json_type_object)) {
		if (json_object_is_type(root, json_type_string) && node_is_null(root))
			rc = yp_fatal(&y, node_line(root),
				      "the file is empty; expected a mapping of settings");
		else
			rc = yp_fatal(&y, node_line(root),
				      "the top level must be a mapping of settings "
				      "(key: value lines)");
		goto out;
	}
	*out = root;
	root = NULL;
out:
	json_object_put(root);
	yaml_parser_delete(&y.parser);
	return rc;
}

/* ---- raw tree -> typed values ------------------------------------------ */

/* Substitutes and types one scalar; on a bad value records why. */
static int file_scalar(struct load *L, const struct xio_config_key *k,
		       json_object *node, json_object **out)
{
	struct xio_buf sub;
	char msg[512];
	int rc;

	*out = NULL;
	msg[0] = '\0';
	xio_buf_init(&sub, 0);
	rc = substitute(json_object_get_string(node), &sub, &L->cfg->refs, msg, sizeof(msg));
	if (!rc)
		rc = parse_typed(k, sub.data, out, msg, sizeof(msg));
	if (rc == XIO_EINVAL)
		diag_add(&L->d, L->name, node_line(node), k->path, "%s", msg);
	xio_buf_release(&sub);
	return rc;
}

/* A YAML sequence of strings into a json array of strings. */
static int file_list(struct load *L, const struct xio_config_key *k,
		     json_object *node, json_object **out)
{
	json_object *arr = json_object_new_array(), *s = NULL;
	size_t i, n = json_object_array_length(node);
	int rc = 0;

	*out = NULL;
	if (!arr)
		return XIO_ENOMEM;
	for (i = 0; i < n && !rc; i++) {
		json_object *item = json_object_array_get_idx(node, i);

		if (!json_object_is_type(item, json_type_string)) {
			diag_add(&L->d, L->name, node_line(item), k->path,
				 "item %zu: expected a string, got a %s", i + 1,
				 json_object_is_type(item, json_type_array) ? "list" :
									      "mapping");
			rc = XIO_EINVAL;
			break;
		}
		rc = file_scalar(L, &(struct xio_config_key){ .path = k->path,
							       .type = XIO_CFG_STRING,
							       .flags = k->flags },
				 item, &s);
		if (!rc && json_object_array_add(arr, s)) {
			json_object_put(s);
			rc = XIO_ENOMEM;
		}
	}
	if (rc) {
		json_object_put(arr);
		return rc;
	}
	*out = arr;
	return 0;
}

/* Sets key i from the raw node that the file gave it. */
static int file_value(struct load *L, size_t i, json_object *node)
{
	const struct xio_config_key *k = &table(NULL)[i];
	json_object *v = NULL;
	int line = node_line(node), rc;

	if (L->cfg->lines[i] > 0) {
		diag_add(&L->d, L->name, line, k->path, "set twice (first at line %d)",
			 L->cfg->lines[i]);
		return 0;
	}
	if (k->type == XIO_CFG_STRLIST && json_object_is_type(node, json_type_array)) {
		rc = file_list(L, k, node, &v);
	} else if (!json_object_is_type(node, json_type_string)) {
		diag_add(&L->d, L->name, line, k->path, "expected %s, got a %s",
			 type_name(k),
			 json_object_is_type(node, json_type_array) ? "list" : "mapping");
		return 0;
	} else if (node_is_null(node) && k->type != XIO_CFG_STRING &&
		   k->type != XIO_CFG_STRLIST) {
		diag_add(&L->d, L->name, line, k->path, "no value; expected %s",
			 type_name(k));
		return 0;
	} else if (node_is_null(node)) {
		rc = k->type == XIO_CFG_STRING ? ((v = json_object_new_string("")) ? 0 : XIO_ENOMEM) :
						 ((v = json_object_new_array()) ? 0 : XIO_ENOMEM);
	} else {
		rc = file_scalar(L, k, node, &v);
	}
	if (rc == XIO_EINVAL)
		return 0; /* recorded; go on with the next key */
	if (rc)
		return rc;
	return slot_set(L->cfg, i, v, line);
}

/* Walks one mapping of the raw tree; prefix is its dotted path or NULL. */
static int walk(struct load *L, json_object *obj, const char *prefix, int depth)
{
	char path[CONFIG_MAX_PATH], shown[CONFIG_SHOW * 4 + 8];
	int idx, n, rc = 0, line;
	const char *hint;

	json_object_object_foreach(obj, key, val)
	{
		line = node_line(val);
		if (prefix)
			n = snprintf(path, sizeof(path), "%s.%s", prefix, key);
		else
			n = snprintf(path, sizeof(path), "%s", key);
		idx = n > 0 && (size_t)n < sizeof(path) ? key_index(path) : -1;
		if (idx >= 0) {
			rc = file_value(L, (size_t)idx, val);
		} else if (n > 0 && (size_t)n < sizeof(path) && is_section(path)) {
			if (json_object_is_type(val, json_type_object) && depth < CONFIG_MAX_DEPTH)
				rc = walk(L, val, path, depth + 1);
			else if (json_object_is_type(val, json_type_string) &&
				 node_is_null(val))
				; /* "llm:" with every key under it commented out */
			else
				diag_add(&L->d, L->name, line, path,
					 "expected a mapping of %s.* keys", path);
		} else {
			printable(shown, sizeof(shown), path);
			hint = L->d.count < CONFIG_MAX_SUGGEST ? suggest(path) : NULL;
			if (hint)
				diag_add(&L->d, L->name, line, shown,
					 "unknown key (did you mean %s?)", hint);
			else
				diag_add(&L->d, L->name, line, shown, "unknown key");
		}
		if (rc)
			return rc;
	}
	return 0;
}

/* Applies every XIO_* variable named after a key. */
static int apply_env(struct load *L)
{
	const struct xio_config_key *k;
	char name[CONFIG_MAX_PATH + 8], msg[512], where[CONFIG_MAX_PATH + 16];
	json_object *v;
	size_t i, n;
	const char *s;
	int rc;

	k = table(&n);
	for (i = 0; i < n; i++) {
		if (xio_config_env_name(k[i].path, name, sizeof(name)))
			continue;
		s = getenv(name);
		if (!s)
			continue;
		rc = parse_typed(&k[i], s, &v, msg, sizeof(msg));
		if (rc == XIO_EINVAL) {
			snprintf(where, sizeof(where), "env %s", name);
			diag_add(&L->d, where, 0, k[i].path, "%s", msg);
			continue;
		}
		if (!rc)
			rc = slot_set(L->cfg, i, v, 0);
		if (rc)
			return rc;
	}
	return 0;
}

/*
 * The one load path.  data == NULL with name != NULL reads the file name;
 * name == NULL means no file.
 */
static void check_report(void *ud, const char *path, const char *msg)
{
	struct load *L = ud;

	diag_add(&L->d, L->name, xio_config_line(L->cfg, path), path, "%s", msg);
}

static int load(struct xio_config **out, const char *name, const char *data,
		size_t len, struct xio_buf *report, struct xio_err *err)
{
	struct load L;
	struct xio_err ferr;
	json_object *raw = NULL;
	char *text = NULL;
	int rc;

	*out = NULL;
	memset(&L, 0, sizeof(L));
	xio_buf_init(&L.d.text, 0);
	L.name = name ? name : "(defaults)";
	rc = config_new(&L.cfg, name, err);
	if (rc)
		goto out;
	if (name && !data) {
		text = xio_file_read(name, CONFIG_MAX_FILE, &len, &ferr);
		if (!text) {
			const char *why = ferr.msg;
			size_t nl = strlen(name);

			/* ferr reads "name: reason"; keep the reason. */
			if (strncmp(why, name, nl) == 0 && why[nl] == ':')
				why += nl + 1 + (why[nl + 1] == ' ');
			rc = ferr.code;
			diag_add(&L.d, name, 0, NULL, "cannot read the config file: %s",
				 rc == XIO_ETOOBIG ? "larger than 1 MiB" : why);
			goto done;
		}
		data = text;
	}
	if (data) {
		rc = yp_document(&L, data, len, &raw);
		if (!rc)
			rc = walk(&L, raw, NULL, 0);
		if (rc && rc != XIO_EINVAL)
			goto done;
	}
	rc = apply_env(&L);
	/* values checked one by one first: the rules read them typed */
	if (!rc && !L.d.count)
		rc = xio_config_check(L.cfg, check_report, &L);
done:
	if (!rc && L.d.count)
		rc = XIO_EINVAL;
	if (L.d.nomem)
		rc = XIO_ENOMEM;
	if (L.d.dropped &&
	    xio_buf_printf(&L.d.text, "%s: %d more errors not shown\n", L.name,
			   L.d.dropped))
		L.d.nomem = 1;
	if (rc == XIO_ENOMEM && !L.d.count)
		diag_add(&L.d, L.name, 0, NULL, "out of memory");
	if (rc) {
		diag_to_err(&L.d, L.name, rc, err);
		if (report && L.d.text.data && xio_buf_puts(report, L.d.text.data))
			rc = XIO_ENOMEM;
		goto out;
	}
	*out = L.cfg;
	L.cfg = NULL;
out:
	json_object_put(raw);
	while (L.nkeys)
		free(L.keys[--L.nkeys]);
	free(L.keys);
	free(text);
	xio_buf_release(&L.d.text);
	xio_config_free(L.cfg);
	return rc;
}

int xio_config_load(struct xio_config **out, const char *file, struct xio_err *err)
{
	return load(out, file, NULL, 0, NULL, err);
}

int xio_config_load_report(struct xio_config **out, const char *file,
			   struct xio_buf *report, struct xio_err *err)
{
	return load(out, file, NULL, 0, report, err);
}

int xio_config_load_buffer(struct xio_config **out, const char *name,
			   const char *data, size_t len, struct xio_buf *report,
			   struct xio_err *err)
{
	return load(out, name ? name : "(buffer)", data ? data : "", data ? len : 0,
		    report, err);
}

/* ---- getters ----------------------------------------------------------- */

static json_object *lookup(const struct xio_config *cfg, const char *path,
			   enum xio_cfg_type t1, enum xio_cfg_type t2)
{
	int i = key_index(path);
	const struct xio_config_key *k = table(NULL);

	if (!cfg || i < 0 || (k[i].type != t1 && k[i].type != t2)) {
		assert(!"undeclared config key or getter of the wrong type");
		return NULL;
	}
	return cfg->vals[i];
}

const char *xio_config_str(const struct xio_config *cfg, const char *path)
{
	json_object *v = lookup(cfg, path, XIO_CFG_STRING, XIO_CFG_ENUM);

	return v ? json_object_get_string(v) : "";
}

long long xio_config_int(const struct xio_config *cfg, const char *path)
{
	json_object *v = lookup(cfg, path, XIO_CFG_INT, XIO_CFG_INT);

	return v ? (long long)json_object_get_int64(v) : 0;
}

int xio_config_bool(const struct xio_config *cfg, const char *path)
{
	json_object *v = lookup(cfg, path, XIO_CFG_BOOL, XIO_CFG_BOOL);

	return v ? json_object_get_boolean(v) : 0;
}

double xio_config_double(const struct xio_config *cfg, const char *path)
{
	json_object *v = lookup(cfg, path, XIO_CFG_DOUBLE, XIO_CFG_DOUBLE);

	return v ? json_object_get_double(v) : 0.0;
}

json_object *xio_config_list(const struct xio_config *cfg, const char *path)
{
	return lookup(cfg, path, XIO_CFG_STRLIST, XIO_CFG_STRLIST);
}

int xio_config_list_has(const struct xio_config *cfg, const char *path, const char *word)
{
	json_object *a = xio_config_list(cfg, path);
	size_t i, n = a ? json_object_array_length(a) : 0;

	for (i = 0; i < n; i++)
		if (!strcmp(json_object_get_string(json_object_array_get_idx(a, i)), word))
			return 1;
	return 0;
}

const char *xio_config_file(const struct xio_config *cfg)
{
	return cfg->file;
}

int xio_config_line(const struct xio_config *cfg, const char *path)
{
	int i = key_index(path);

	assert(i >= 0);
	return i < 0 ? 0 : cfg->lines[i];
}

int xio_config_set(struct xio_config *cfg, const char *path, const char *value,
		   struct xio_err *err)
{
	int i = key_index(path), rc;
	json_object *v = NULL;
	char msg[512];

	if (i < 0)
		return xio_err_set(err, XIO_ENOTFOUND, "%s: unknown key", path);
	rc = parse_typed(&table(NULL)[i], value, &v, msg, sizeof(msg));
	if (rc == XIO_EINVAL)
		return xio_err_set(err, rc, "%s: %s", path, msg);
	if (!rc)
		rc = slot_set(cfg, (size_t)i, v, 0);
	if (rc)
		return xio_err_set(err, rc, "%s: out of memory", path);
	return 0;
}

int xio_config_register_secrets(const struct xio_config *cfg, struct xio_log *log)
{
	const struct xio_config_key *k = table(NULL);
	size_t i, j, n;
	int rc;

	for (i = 0; i < cfg->nkeys; i++) {
		json_object *v = cfg->vals[i];

		if (!(k[i].flags & XIO_CFG_F_SECRET))
			continue;
		if (k[i].type != XIO_CFG_STRLIST) {
			rc = xio_log_add_secret(log, json_object_get_string(v));
			if (rc)
				return rc;
			continue;
		}
		n = json_object_array_length(v);
		for (j = 0; j < n; j++) {
			const char *s = json_object_get_string(json_object_array_get_idx(v, j));
			const char *eq = strchr(s, '=');

			rc = xio_log_add_secret(log, s);
			if (!rc && eq)
				rc = xio_log_add_secret(log, eq + 1);
			if (rc)
				return rc;
		}
	}
	return 0;
}

/* ---- the example file -------------------------------------------------- */

/* Writes s as a double-quoted YAML scalar that loads back as s ($ doubled
 * because file values go through ${} substitution). */
static void put_quoted(FILE *f, const char *s, size_t len)
{
	size_t i;

	fputc('"', f);
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c == '$')
			fputs("$$", f);
		else if (c < 0x20 || c == 0x7f)
			fprintf(f, "\\x%02x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

static void put_hint(FILE *f, const struct xio_config_key *k)
{
	char env[CONFIG_MAX_PATH + 8];
	size_t i;

	switch (k->type) {
	case XIO_CFG_STRING:
		break;
	case XIO_CFG_INT:
		fprintf(f, " [%lld..%lld]", k->min, k->max);
		break;
	case XIO_CFG_BOOL:
		fputs(" [true/false]", f);
		break;
	case XIO_CFG_DOUBLE:
		fputs(" [number]", f);
		break;
	case XIO_CFG_ENUM:
		fputs(" [", f);
		for (i = 0; k->choices[i]; i++)
			fprintf(f, "%s%s", i ? " | " : "", k->choices[i]);
		fputs("]", f);
		break;
	case XIO_CFG_STRLIST:
		fputs(" [list]", f);
		break;
	}
	if ((k->flags & XIO_CFG_F_SECRET) &&
	    !xio_config_env_name(k->path, env, sizeof(env)))
		fprintf(f, " [secret: set it with %s or ${VAR}]", env);
}

static void put_value(FILE *f, const struct xio_config_key *k)
{
	const char *s = k->def, *comma;
	int first = 1;

	switch (k->type) {
	case XIO_CFG_STRING:
		put_quoted(f, s, strlen(s));
		break;
	case XIO_CFG_STRLIST:
		fputc('[', f);
		while (*s) {
			comma = strchr(s, ',');
			if (!comma)
				comma = s + strlen(s);
			if (comma > s) {
				fputs(first ? "" : ", ", f);
				put_quoted(f, s, (size_t)(comma - s));
				first = 0;
			}
			s = *comma ? comma + 1 : comma;
		}
		fputc(']', f);
		break;
	default:
		fputs(s, f);
		break;
	}
}

int xio_config_write_example(FILE *f)
{
	const struct xio_config_key *k;
	const char *prev = "", *p, *q, *seg;
	size_t i, n, level, common;

	k = table(&n);
	fputs("# XIO configuration: every key, its default, and what it does.\n"
	      "#\n"
	      "# Generated from the key table in core/config_keys.c by\n"
	      "# `xio check-config --print-example`; change the table, not this file.\n"
	      "# Every key can also be set by an environment variable named after its\n"
	      "# path (llm.base_url -> XIO_LLM_BASE_URL), which wins over this file;\n"
	      "# list values are comma-separated there.  Values here may refer to the\n"
	      "# environment: ${VAR}, or ${VAR:-default} when VAR is unset or empty;\n"
	      "# $$ is a literal $.  Check a file with `xio check-config FILE`.\n",
	      f);
	for (i = 0; i < n; i++) {
		/* Components shared with the previous key are already open. */
		p = k[i].path;
		q = prev;
		common = 0;
		for (;;) {
			const char *pd = strchr(p, '.'), *qd = strchr(q, '.');

			if (!pd || !qd || pd - p != qd - q || strncmp(p, q, (size_t)(pd - p)))
				break;
			common++;
			p = pd + 1;
			q = qd + 1;
		}
		if (common == 0)
			fputc('\n', f);
		level = common;
		seg = p;
		while ((q = strchr(seg, '.'))) {
			fprintf(f, "%*s%.*s:\n", (int)(2 * level), "", (int)(q - seg), seg);
			level++;
			seg = q + 1;
		}
		fprintf(f, "%*s# %s", (int)(2 * level), "", k[i].doc);
		put_hint(f, &k[i]);
		fprintf(f, "\n%*s%s: ", (int)(2 * level), "", seg);
		put_value(f, &k[i]);
		fputc('\n', f);
		prev = k[i].path;
	}
	return ferror(f) ? XIO_EIO : 0;
}

/* 1 when a and b end with the same "_WORD" */
static int same_tail(const char *a, const char *b)
{
	const char *ta = strrchr(a, '_'), *tb = strrchr(b, '_');

	return ta && tb && !strcmp(ta, tb);
}

/* 1 when the file names the variable as ${name} */
static int referenced(const struct xio_config *cfg, const char *name)
{
	const char *p = cfg ? cfg->refs.data : NULL;

	for (; p && p < cfg->refs.data + cfg->refs.len; p += strlen(p) + 1)
		if (!strcmp(p, name))
			return 1;
	return 0;
}

void xio_config_unknown_env(const struct xio_config *cfg, char *const *env,
			    void (*cb)(void *ud, const char *name, const char *hint), void *ud)
{
	const struct xio_config_key *k;
	char name[128], known[128], hint[128];
	size_t i, j, n, len, best, d;

	k = table(&n);
	for (i = 0; env && env[i]; i++) {
		const char *eq = strchr(env[i], '=');

		len = eq ? (size_t)(eq - env[i]) : strlen(env[i]);
		if (len < 4 || len >= sizeof(name) || strncmp(env[i], "XIO_", 4))
			continue;
		memcpy(name, env[i], len);
		name[len] = '\0';
		if (!strcmp(name, "XIO_CONFIG") || referenced(cfg, name))
			continue;
		best = (size_t)-1;
		hint[0] = '\0';
		for (j = 0; j < n; j++) {
			if (xio_config_env_name(k[j].path, known, sizeof(known)))
				continue;
			if (!strcmp(known, name))
				break;
			d = edit_distance(name, known);
			if (d > 4)
				continue;
			/* among near names, the one ending alike: XIO_TELEGRAM_TOKEN
			 * meant ..._BOT_TOKEN (4 letters off), not ..._MODE (3) */
			d = d + (same_tail(name, known) ? 0 : 8);
			if (d < best) {
				best = d;
				snprintf(hint, sizeof(hint), "%s", known);
			}
		}
		if (j == n && best != (size_t)-1)
			cb(ud, name, hint);
	}
}
