/*
 * persona.c — persona loading and validation.
 */
#include "persona.h"
#include "resource.h"
#include "yaml_tree.h"

#include <ctype.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

static const char *const role_names[] = { "moderator", "expert", "integrator", "scribe" };

const char *xio_role_name(enum xio_role r)
{
	return (unsigned)r < XIO_ARRAY_LEN(role_names) ? role_names[r] : "unknown";
}

static const char *get_str(json_object *o, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static int valid_id(const char *s)
{
	if (!*s || strlen(s) > 32)
		return 0;
	for (; *s; s++)
		if (!(islower((unsigned char)*s) || isdigit((unsigned char)*s) || *s == '_' || *s == '-'))
			return 0;
	return 1;
}

void xio_personas_release(struct xio_personas *p)
{
	size_t i;

	for (i = 0; p->v && i < p->n; i++) {
		free(p->v[i].id);
		free(p->v[i].name);
		free(p->v[i].icon);
		free(p->v[i].expertise);
		free(p->v[i].system_prompt);
		free(p->v[i].language);
	}
	free(p->v);
	p->v = NULL;
	p->n = 0;
}

static char *dup_or_empty(const char *s)
{
	return strdup(s ? s : "");
}

int xio_personas_parse(struct xio_personas *out, const char *text, size_t len,
		       const char *name, struct xio_err *err)
{
	static const char *const allowed[] = { "id", "name", "role", "icon", "expertise",
					       "system_prompt", "language" };
	json_object *root = NULL, *list;
	size_t i, j, n, counts[4] = { 0 };
	int rc = 0;

	memset(out, 0, sizeof(*out));
	root = xio_yaml_parse(text, len, name, err);
	if (!root)
		return XIO_EINVAL;
	list = root;
	if (json_object_is_type(root, json_type_object) &&
	    !json_object_object_get_ex(root, "personas", &list))
		list = NULL;
	if (!list || !json_object_is_type(list, json_type_array)) {
		rc = xio_err_set(err, XIO_EINVAL, "%s: expected a list 'personas:'", name);
		goto out;
	}
	n = json_object_array_length(list);
	out->v = calloc(n ? n : 1, sizeof(*out->v));
	if (!out->v) {
		rc = xio_err_set(err, XIO_ENOMEM, "%s: out of memory", name);
		goto out;
	}
	for (i = 0; i < n; i++) {
		json_object *o = json_object_array_get_idx(list, i);
		struct xio_persona *p = &out->v[i];
		const char *id, *nm, *role, *lang;

		if (!json_object_is_type(o, json_type_object)) {
			rc = xio_err_set(err, XIO_EINVAL, "%s: persona %zu: expected a mapping", name, i + 1);
			goto out;
		}
		json_object_object_foreach(o, k, v)
		{
			(void)v;
			for (j = 0; j < XIO_ARRAY_LEN(allowed); j++)
				if (strcmp(k, allowed[j]) == 0)
					break;
			if (j == XIO_ARRAY_LEN(allowed)) {
				rc = xio_err_set(err, XIO_EINVAL, "%s: persona %zu: unknown key '%s'",
						 name, i + 1, k);
				goto out;
			}
		}
		id = get_str(o, "id");
		nm = get_str(o, "name");
		role = get_str(o, "role");
		lang = get_str(o, "language");
		if (!id || !valid_id(id)) {
			rc = xio_err_set(err, XIO_EINVAL,
					 "%s: persona %zu: 'id' must be 1-32 of a-z 0-9 _ -", name, i + 1);
			goto out;
		}
		for (j = 0; j < i; j++)
			if (strcmp(out->v[j].id, id) == 0) {
				rc = xio_err_set(err, XIO_EINVAL, "%s: persona %zu: duplicate id '%s'",
						 name, i + 1, id);
				goto out;
			}
		if (!nm || !*nm) {
			rc = xio_err_set(err, XIO_EINVAL, "%s: persona %zu (%s): 'name' is required",
					 name, i + 1, id);
			goto out;
		}
		for (j = 0; role && j < XIO_ARRAY_LEN(role_names); j++)
			if (strcmp(role, role_names[j]) == 0)
				break;
		if (!role || j == XIO_ARRAY_LEN(role_names)) {
			rc = xio_err_set(err, XIO_EINVAL,
					 "%s: persona %zu (%s): 'role' must be moderator, expert, "
					 "integrator or scribe", name, i + 1, id);
			goto out;
		}
		if (lang && *lang && strcmp(lang, "en") && strcmp(lang, "ru")) {
			rc = xio_err_set(err, XIO_EINVAL, "%s: persona %zu (%s): 'language' must be en or ru",
					 name, i + 1, id);
			goto out;
		}
		p->role = (enum xio_role)j;
		counts[j]++;
		p->id = strdup(id);
		p->name = strdup(nm);
		p->icon = dup_or_empty(get_str(o, "icon"));
		p->expertise = dup_or_empty(get_str(o, "expertise"));
		p->system_prompt = dup_or_empty(get_str(o, "system_prompt"));
		p->language = dup_or_empty(lang);
		out->n = i + 1;
		if (!p->id || !p->name || !p->icon || !p->expertise || !p->system_prompt || !p->language) {
			rc = xio_err_set(err, XIO_ENOMEM, "%s: out of memory", name);
			goto out;
		}
	}
	if (counts[XIO_ROLE_MODERATOR] != 1 || counts[XIO_ROLE_INTEGRATOR] != 1 ||
	    counts[XIO_ROLE_SCRIBE] != 1 || counts[XIO_ROLE_EXPERT] < 2)
		rc = xio_err_set(err, XIO_EINVAL,
				 "%s: need exactly one moderator, integrator and scribe and at "
				 "least two experts (found %zu, %zu, %zu and %zu)", name,
				 counts[XIO_ROLE_MODERATOR], counts[XIO_ROLE_INTEGRATOR],
				 counts[XIO_ROLE_SCRIBE], counts[XIO_ROLE_EXPERT]);
out:
	json_object_put(root);
	if (rc)
		xio_personas_release(out);
	return rc;
}

int xio_personas_load(struct xio_personas *out, const char *file, struct xio_err *err)
{
	char *text;
	size_t len;
	int rc;

	memset(out, 0, sizeof(*out));
	text = xio_resource_load(file, "personas/default.yaml", &len, err);
	if (!text)
		return err ? err->code : XIO_EIO;
	rc = xio_personas_parse(out, text, len,
				file && *file ? file : "(built-in) personas/default.yaml", err);
	free(text);
	return rc;
}

const struct xio_persona *xio_personas_find(const struct xio_personas *p, const char *id)
{
	size_t i;

	for (i = 0; id && i < p->n; i++)
		if (strcmp(p->v[i].id, id) == 0)
			return &p->v[i];
	return NULL;
}

const struct xio_persona *xio_personas_by_role(const struct xio_personas *p, enum xio_role role)
{
	size_t i;

	for (i = 0; i < p->n; i++)
		if (p->v[i].role == role)
			return &p->v[i];
	return NULL;
}
