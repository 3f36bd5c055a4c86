/*
 * log.h — structured logging with secret redaction.
 *
 * One line per record on a file descriptor (stderr by default): a JSON object
 * {"time","level","module","msg", ...fields} when the descriptor is not a
 * terminal (for log shippers), a readable "time LEVEL module: msg k=v" line
 * when it is.  Every line passes through the redactor before it is written:
 * registered secrets (tokens from the config) and anything shaped like a
 * credential (Bearer headers, xoxb-/xapp- Slack tokens, Telegram bot tokens,
 * sk- keys, Notion secret_/ntn_ tokens) become "[REDACTED]".  There is no
 * global logger; a struct xio_log * is passed to whoever logs.
 */
#ifndef XIO_LOG_H
#define XIO_LOG_H

#include <json-c/json.h>
#include <stdarg.h>

enum xio_log_level {
	XIO_LOG_DEBUG = 0,
	XIO_LOG_INFO,
	XIO_LOG_WARN,
	XIO_LOG_ERROR,
	XIO_LOG_OFF
};

enum xio_log_format {
	XIO_LOG_AUTO = 0, /* human when fd is a tty, JSON otherwise */
	XIO_LOG_JSON,
	XIO_LOG_HUMAN
};

struct xio_log;

/*
 * Creates a logger writing to fd (not closed by xio_log_free).  Returns NULL
 * when out of memory.  Caller frees with xio_log_free.
 */
struct xio_log *xio_log_new(int fd, enum xio_log_format format,
			    enum xio_log_level min_level);

/* Frees the logger and its copies of secrets. NULL is a no-op. */
void xio_log_free(struct xio_log *log);

/* Sets the minimum level written. */
void xio_log_set_level(struct xio_log *log, enum xio_log_level level);

/* Parses "debug|info|warn|error|off"; returns 0 or XIO_EINVAL. */
int xio_log_level_parse(const char *s, enum xio_log_level *out);

/*
 * Registers a secret that must never appear in a log line (the logger keeps a
 * copy).  Strings shorter than 4 characters are ignored: redacting "ab"
 * everywhere would mangle logs without protecting anything.  Returns 0 or
 * XIO_ENOMEM.
 */
int xio_log_add_secret(struct xio_log *log, const char *secret);

/*
 * Returns a newly allocated copy of text with every secret and credential
 * shape replaced by "[REDACTED]"; caller frees.  NULL when out of memory.
 */
char *xio_log_redact(const struct xio_log *log, const char *text);

/*
 * Writes one record.  fields (may be NULL) is borrowed: a JSON object whose
 * members are added to the record.  log may be NULL (nothing is written).
 */
void xio_log_fields(struct xio_log *log, enum xio_log_level level,
		    const char *module, json_object *fields,
		    const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* Writes one record without extra fields. */
void xio_logf(struct xio_log *log, enum xio_log_level level,
	      const char *module, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

void xio_logv(struct xio_log *log, enum xio_log_level level,
	      const char *module, json_object *fields, const char *fmt,
	      va_list ap);

#define xio_log_debug(l, m, ...) xio_logf((l), XIO_LOG_DEBUG, (m), __VA_ARGS__)
#define xio_log_info(l, m, ...) xio_logf((l), XIO_LOG_INFO, (m), __VA_ARGS__)
#define xio_log_warn(l, m, ...) xio_logf((l), XIO_LOG_WARN, (m), __VA_ARGS__)
#define xio_log_error(l, m, ...) xio_logf((l), XIO_LOG_ERROR, (m), __VA_ARGS__)

#endif
