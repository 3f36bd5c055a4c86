/*
 * i18n.c — catalogue loading, lookup with fallback, placeholder filling.
 */
#include "i18n.h"
#include "resource.h"
#include "yaml_tree.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int flatten(json_object *src, const char *prefix, json_object *dst)
{
	json_object_object_foreach(src, k, v)
	{
		char key[256];

		snprintf(key, sizeof(key), "%s%s%s", prefix, *prefix ? "." : "", k);
		if (json_object_is_type(v, json_type_object)) {
			if (flatten(v, key, dst))
				return -1;
		} else if (json_object_is_type(v, json_type_string)) {
			json_object_object_add(dst, key, json_object_get(v));
		} else {
			return -1;
		}
	}
	return 0;
}

static json_object *load_one(const char *dir, const char *lang, struct xio_err *err)
{
	char file[1024], res[64];
	json_object *tree = NULL, *flat = NULL;
	char *text = NULL;
	size_t len;

	snprintf(res, sizeof(res), "locales/%s.yaml", lang);
	if (dir && *dir)
		snprintf(file, sizeof(file), "%s/%s.yaml", dir, lang);
	else
		snprintf(file, sizeof(file), "(built-in) %s", res);
	text = xio_resource_load(dir && *dir ? file : NULL, res, &len, err);
	if (!text)
		return NULL;
	tree = xio_yaml_parse(text, len, file, err);
	free(text);
	if (!tree)
		return NULL;
	flat = json_object_new_object();
	if (!flat || !json_object_is_type(tree, json_type_object) ||
	    flatten(tree, "", flat)) {
		xio_err_set(err, XIO_EINVAL,
			    "%s: a catalogue must be a mapping of keys to texts", file);
		json_object_put(flat);
		flat = NULL;
	}
	json_object_put(tree);
	return flat;
}

int xio_i18n_load(struct xio_i18n *i18n, const char *dir, struct xio_err *err)
{
	memset(i18n, 0, sizeof(*i18n));
	i18n->en = load_one(dir, "en", err);
	if (!i18n->en)
		return err ? err->code : XIO_EINVAL;
	i18n->ru = load_one(dir, "ru", err);
	if (!i18n->ru) {
		json_object_put(i18n->en);
		i18n->en = NULL;
		return err ? err->code : XIO_EINVAL;
	}
	return 0;
}

void xio_i18n_release(struct xio_i18n *i18n)
{
	json_object_put(i18n->en);
	json_object_put(i18n->ru);
	i18n->en = i18n->ru = NULL;
}

const char *xio_i18n_get(const struct xio_i18n *i18n, const char *lang, const char *key)
{
	json_object *v;

	if (lang && strcmp(lang, "ru") == 0 && i18n->ru &&
	    json_object_object_get_ex(i18n->ru, key, &v))
		return json_object_get_string(v);
	if (i18n->en && json_object_object_get_ex(i18n->en, key, &v))
		return json_object_get_string(v);
	return key;
}

static int vformat(const struct xio_i18n *i18n, const char *lang, struct xio_buf *out,
		   const char *key, va_list ap)
{
	const char *names[16], *values[16];
	const char *t = xio_i18n_get(i18n, lang, key), *p;
	size_t n = 0, i;
	int rc = 0;

	while (n < 16) {
		const char *name = va_arg(ap, const char *);

		if (!name)
			break;
		names[n] = name;
		values[n] = va_arg(ap, const char *);
		if (!values[n])
			values[n] = "";
		n++;
	}
	for (p = t; *p && !rc;) {
		const char *close;

		if (*p == '{' && (close = strchr(p, '}')) != NULL) {
			size_t nl = (size_t)(close - p - 1);

			for (i = 0; i < n; i++)
				if (strlen(names[i]) == nl && strncmp(p + 1, names[i], nl) == 0)
					break;
			if (i < n) {
				rc = xio_buf_puts(out, values[i]);
				p = close + 1;
				continue;
			}
		}
		rc = xio_buf_append(out, p, 1);
		p++;
	}
	if (!rc && !out->data)
		rc = xio_buf_append(out, "", 0);
	return rc;
}

int xio_i18n_format(const struct xio_i18n *i18n, const char *lang,
		    struct xio_buf *out, const char *key, ...)
{
	va_list ap;
	int rc;

	va_start(ap, key);
	rc = vformat(i18n, lang, out, key, ap);
	va_end(ap);
	return rc;
}

char *xio_i18n_fmt(const struct xio_i18n *i18n, const char *lang, const char *key, ...)
{
	struct xio_buf b;
	va_list ap;
	int rc;

	xio_buf_init(&b, 0);
	va_start(ap, key);
	rc = vformat(i18n, lang, &b, key, ap);
	va_end(ap);
	if (rc) {
		xio_buf_release(&b);
		return NULL;
	}
	return xio_buf_detach(&b);
}
