/*
 * config.h — XIO's configuration: one YAML file, XIO_* environment variables
 * and the defaults, all described by one table of keys.
 *
 * Every key is declared once, in core/config_keys.c (after redis's
 * static_configs[]): its dotted path, type, default, flags and a one-line
 * doc.  That table drives everything else — parsing and validation of the
 * file, the environment overrides, the defaults, the secret registration with
 * the log redactor and the generated example file config/xio.example.yaml —
 * so a key cannot be documented in one place and parsed differently in
 * another.
 *
 * Precedence, lowest first: the table's default, the file, the environment
 * variable named after the path (llm.base_url -> XIO_LLM_BASE_URL), then
 * xio_config_set() (command-line flags, tests).  YAML scalars are typed by
 * the table, not by YAML's own guessing: `port: "8080"` is the integer 8080
 * and `model: 1.0` is the string "1.0".  Inside file values, ${VAR} and
 * ${VAR:-default} are replaced from the environment before the value is
 * typed, and $$ stands for a literal $.
 *
 * Loading reports every error of a file, not just the first, each as
 * "FILE:LINE: key: what is wrong" (environment errors as
 * "env XIO_NAME: key: what is wrong").  Secret values never appear in an
 * error message.
 *
 * To add a key: add one row to the table in core/config_keys.c, then
 * regenerate the example with `xio check-config --print-example >
 * config/xio.example.yaml` (test_config fails until you do).
 */
#ifndef XIO_CONFIG_H
#define XIO_CONFIG_H

#include <json-c/json.h>
#include <stddef.h>
#include <stdio.h>

#include "buf.h"
#include "err.h"

struct xio_log;

enum xio_cfg_type {
	XIO_CFG_STRING,  /* any string */
	XIO_CFG_INT,     /* decimal integer within [min, max] */
	XIO_CFG_BOOL,    /* true/false (also yes/no, on/off, 1/0) */
	XIO_CFG_DOUBLE,  /* finite decimal number */
	XIO_CFG_ENUM,    /* one of choices[] */
	XIO_CFG_STRLIST  /* YAML sequence of strings; comma-separated in env */
};

enum {
	XIO_CFG_F_NONE = 0,
	/* The value is a credential: never printed, registered with the log
	 * redactor by xio_config_register_secrets(). */
	XIO_CFG_F_SECRET = 1 << 0
};

struct xio_config_key {
	const char *path;            /* dotted, e.g. "llm.base_url" */
	enum xio_cfg_type type;
	const char *def;             /* default, written as in an env variable */
	int flags;                   /* XIO_CFG_F_* */
	long long min, max;          /* XIO_CFG_INT only */
	const char *const *choices;  /* XIO_CFG_ENUM only; NULL-terminated */
	const char *doc;             /* one line, for the example file */
};

struct xio_config; /* opaque */

/*
 * Loads file (YAML) on top of the defaults, then applies the XIO_*
 * environment.  file == NULL means no file: defaults + environment.
 * On success returns 0 and *out (caller frees with xio_config_free).  On
 * failure returns a negative XIO_E* code (XIO_EINVAL for bad content,
 * XIO_ENOTFOUND / XIO_EIO for a file that cannot be read, XIO_ENOMEM),
 * sets *out to NULL and puts every error message, joined by '\n', in err
 * (cut short with "(N more)" when they do not fit).
 */
int xio_config_load(struct xio_config **out, const char *file,
		    struct xio_err *err);

/*
 * As xio_config_load, and in addition appends every error, one per line and
 * never cut short, to report (may be NULL).  For `xio check-config`.
 */
int xio_config_load_report(struct xio_config **out, const char *file,
			   struct xio_buf *report, struct xio_err *err);

/*
 * As xio_config_load_report for YAML text already in memory (len bytes at
 * data, need not be NUL-terminated); name stands for the file in messages.
 * For tests and the fuzzer.
 */
int xio_config_load_buffer(struct xio_config **out, const char *name,
			   const char *data, size_t len, struct xio_buf *report,
			   struct xio_err *err);

/* Frees cfg and every value it returned. NULL is a no-op. */
void xio_config_free(struct xio_config *cfg);

/*
 * Typed getters.  path must be a declared key of the matching type (string
 * getter: XIO_CFG_STRING or XIO_CFG_ENUM); anything else is a programmer
 * error: assert() in debug builds, a zero value ("" / 0 / 0.0 / NULL)
 * otherwise.  Returned strings and arrays are owned by cfg and valid until
 * xio_config_free() or an xio_config_set() of the same key.
 */
const char *xio_config_str(const struct xio_config *cfg, const char *path);
long long xio_config_int(const struct xio_config *cfg, const char *path);
int xio_config_bool(const struct xio_config *cfg, const char *path);
double xio_config_double(const struct xio_config *cfg, const char *path);
/* A json array of strings (borrowed; do not put it). */
json_object *xio_config_list(const struct xio_config *cfg, const char *path);
/* 1 when the list key path holds word ("chat.adapters" holds "slack"). */
int xio_config_list_has(const struct xio_config *cfg, const char *path, const char *word);

/* The file the config came from, the name given to load_buffer, or
 * "(defaults)" when there was none.  Owned by cfg. */
const char *xio_config_file(const struct xio_config *cfg);

/* The line of the file where path was set; 0 when the value is the default
 * or came from the environment / xio_config_set. */
int xio_config_line(const struct xio_config *cfg, const char *path);

/*
 * Sets path from text, typed as an environment value would be (comma
 * separated for string lists; no ${} substitution).  Returns 0,
 * XIO_ENOTFOUND for an undeclared key, XIO_EINVAL for a value of the wrong
 * type or range (cfg unchanged; err says why), or XIO_ENOMEM.
 */
int xio_config_set(struct xio_config *cfg, const char *path,
		   const char *value, struct xio_err *err);

/*
 * Registers the value of every XIO_CFG_F_SECRET key with the log's redactor
 * (each item of a secret list, and for "name=token" items the token too).
 * Returns 0 or XIO_ENOMEM.
 */
int xio_config_register_secrets(const struct xio_config *cfg,
				struct xio_log *log);

/* The key table (static, never freed); *n receives its length. */
const struct xio_config_key *xio_config_keys(size_t *n);

/* Looks up a declared key by path; NULL when there is none. */
const struct xio_config_key *xio_config_key_find(const char *path);

/*
 * Writes into dst (size n) the environment variable that sets key path:
 * "llm.base_url" -> "XIO_LLM_BASE_URL".  Returns 0, or XIO_ETOOBIG when n is
 * too small.
 */
int xio_config_env_name(const char *path, char *dst, size_t n);

/*
 * Writes the example configuration generated from the table — every key,
 * its doc as a comment line and its default, nested as YAML mappings — to f.
 * config/xio.example.yaml is this output.  Returns 0 or XIO_EIO.
 */
int xio_config_write_example(FILE *f);

/* Receives one problem found by xio_config_check: the key and why. */
typedef void (*xio_config_report_fn)(void *ud, const char *path, const char *msg);

/*
 * Checks what a key's type cannot (core/config_check.c): list entries of
 * the form name=value, the time zone, the quiet hours, an adapter's keys
 * when chat.adapters lists it.  Calls report once per problem; nothing when
 * cfg is fine.  Returns 0, or XIO_ENOMEM when a check could not run.
 * Loading runs it, so a file that fails it does not load.
 */
int xio_config_check(const struct xio_config *cfg, xio_config_report_fn report, void *ud);

/*
 * Calls cb(ud, name, hint) for each variable of env (a NULL-terminated
 * "NAME=value" array, e.g. environ) whose name starts with XIO_, sets no
 * key, and is within a few letters of one: a misspelt XIO_TELEGRAM_TOKEN
 * is otherwise silently ignored.  hint is the variable it most likely
 * meant.  Left alone: names far from every key (other tools' XIO_BIN,
 * say), XIO_CONFIG (the config file's path) and the variables cfg's file
 * names as ${NAME} (cfg may be NULL).  Nothing is allocated.
 */
void xio_config_unknown_env(const struct xio_config *cfg, char *const *env,
			    void (*cb)(void *ud, const char *name, const char *hint), void *ud);

#endif
