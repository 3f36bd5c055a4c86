/*
 * i18n.h — the message catalogues: every text the bot writes, in English and
 * Russian.
 *
 * Catalogues are YAML files (config/locales/en.yaml, ru.yaml), nested
 * mappings flattened to dotted keys ("cmd.pause.done").  Texts hold named
 * placeholders "{name}" filled by xio_i18n_format.  A key missing from a
 * language falls back to English, then to the key itself, so a gap in a
 * translation shows up as a readable key, never as a crash.
 */
#ifndef XIO_I18N_H
#define XIO_I18N_H

#include <json-c/json.h>

#include "buf.h"
#include "err.h"

struct xio_i18n {
	json_object *en; /* flat object: key -> text */
	json_object *ru;
};

/*
 * Loads the catalogues: from dir/en.yaml and dir/ru.yaml when dir is
 * non-empty, otherwise the built-in ones.  Returns 0, or an error naming the
 * file and line.  Release with xio_i18n_release.
 */
int xio_i18n_load(struct xio_i18n *i18n, const char *dir, struct xio_err *err);
void xio_i18n_release(struct xio_i18n *i18n);

/* Returns the text for key in lang ("en"/"ru"), with fallbacks; borrowed,
 * valid while i18n lives.  Never NULL. */
const char *xio_i18n_get(const struct xio_i18n *i18n, const char *lang, const char *key);

/*
 * Appends the text for key to out with "{name}" placeholders replaced by the
 * values given as NULL-terminated name/value pairs.  An unknown placeholder
 * is copied as is.  Returns 0 or the xio_buf error.
 */
int xio_i18n_format(const struct xio_i18n *i18n, const char *lang,
		    struct xio_buf *out, const char *key, ...);

/* Like xio_i18n_format but returns a new string (caller frees), NULL when out
 * of memory. */
char *xio_i18n_fmt(const struct xio_i18n *i18n, const char *lang,
		   const char *key, ...);

#endif
