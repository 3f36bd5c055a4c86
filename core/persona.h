/*
 * persona.h — the bot personas that speak in a consilium's thread.
 *
 * Loaded from YAML (built-in config/personas/default.yaml, or the file named
 * by consilium.personas_file): a list of {id, name, role, icon, expertise,
 * system_prompt, language}.  A valid set has one moderator, one integrator,
 * one scribe and at least two experts.
 */
#ifndef XIO_PERSONA_H
#define XIO_PERSONA_H

#include <stddef.h>

#include "err.h"

enum xio_role {
	XIO_ROLE_MODERATOR = 0,
	XIO_ROLE_EXPERT,
	XIO_ROLE_INTEGRATOR,
	XIO_ROLE_SCRIBE
};

struct xio_persona {
	char *id;            /* [a-z0-9_-]+, unique */
	char *name;          /* display name */
	enum xio_role role;
	char *icon;          /* ":emoji:" or an https URL */
	char *expertise;     /* one line, used in prompts */
	char *system_prompt; /* may be "" */
	char *language;      /* "", "en" or "ru": a persona may insist on one */
};

struct xio_personas {
	struct xio_persona *v;
	size_t n;
};

/*
 * Loads personas from file, or the built-in set when file is NULL or "".
 * Returns 0, or XIO_EINVAL with err naming the file, the persona (index and
 * id) and the key at fault.  Release with xio_personas_release.
 */
int xio_personas_load(struct xio_personas *out, const char *file, struct xio_err *err);

/* Same, from YAML text; name is used in messages. */
int xio_personas_parse(struct xio_personas *out, const char *text, size_t len,
		       const char *name, struct xio_err *err);

void xio_personas_release(struct xio_personas *p);

/* Lookup by id; NULL if none. Borrowed. */
const struct xio_persona *xio_personas_find(const struct xio_personas *p, const char *id);

/* The first persona with role; NULL if none. Borrowed. */
const struct xio_persona *xio_personas_by_role(const struct xio_personas *p, enum xio_role role);

/* "moderator", "expert", ... */
const char *xio_role_name(enum xio_role r);

#endif
