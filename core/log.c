/*
 * log.c — JSON-lines / human logging and the credential redactor.
 *
 * Redaction runs on the finished line, not on arguments, so a secret cannot
 * slip in through a field, a URL or an error message that quotes a request.
 */
#include "log.h"
#include "buf.h"
#include "err.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define REDACTED "[REDACTED]"

struct xio_log {
	int fd;
	int human;
	enum xio_log_level min_level;
	char **secrets;
	size_t nsecrets;
};

static const char *const level_names[] = { "debug", "info", "warn", "error" };

struct xio_log *xio_log_new(int fd, enum xio_log_format format,
			    enum xio_log_level min_level)
{
	struct xio_log *log = calloc(1, sizeof(*log));

	if (!log)
		return NULL;
	log->fd = fd;
	log->min_level = min_level;
	if (format == XIO_LOG_AUTO)
		log->human = isatty(fd);
	else
		log->human = format == XIO_LOG_HUMAN;
	return log;
}

void xio_log_free(struct xio_log *log)
{
	size_t i;

	if (!log)
		return;
	for (i = 0; i < log->nsecrets; i++)
		free(log->secrets[i]);
	free(log->secrets);
	free(log);
}

void xio_log_set_level(struct xio_log *log, enum xio_log_level level)
{
	if (log)
		log->min_level = level;
}

int xio_log_level_parse(const char *s, enum xio_log_level *out)
{
	size_t i;

	for (i = 0; i < XIO_ARRAY_LEN(level_names); i++) {
		if (strcmp(s, level_names[i]) == 0) {
			*out = (enum xio_log_level)i;
			return 0;
		}
	}
	if (strcmp(s, "off") == 0) {
		*out = XIO_LOG_OFF;
		return 0;
	}
	return XIO_EINVAL;
}

int xio_log_add_secret(struct xio_log *log, const char *secret)
{
	char **v, *copy;

	if (!log || !secret || strlen(secret) < 4)
		return 0;
	copy = strdup(secret);
	if (!copy)
		return XIO_ENOMEM;
	v = realloc(log->secrets, (log->nsecrets + 1) * sizeof(*v));
	if (!v) {
		free(copy);
		return XIO_ENOMEM;
	}
	v[log->nsecrets++] = copy;
	log->secrets = v;
	return 0;
}

static int tok_char(int c)
{
	return isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' ||
	       c == '+' || c == '/' || c == '=';
}

static size_t tok_len(const char *p)
{
	size_t n = 0;

	while (p[n] && tok_char((unsigned char)p[n]))
		n++;
	return n;
}

/* Length of a Telegram bot token ("123456:ABC-def...") starting at p, or 0. */
static size_t telegram_token_len(const char *p)
{
	size_t n = 0, m = 0;

	while (isdigit((unsigned char)p[n]))
		n++;
	if (n < 5 || p[n] != ':')
		return 0;
	while (isalnum((unsigned char)p[n + 1 + m]) || p[n + 1 + m] == '_' ||
	       p[n + 1 + m] == '-')
		m++;
	return m >= 30 ? n + 1 + m : 0;
}

/*
 * If a credential starts at p, returns how many bytes to skip after the kept
 * prefix (*keep), else 0.  The kept prefix lets "Bearer " stay readable.
 */
static size_t credential_at(const char *start, const char *p, size_t *keep)
{
	static const char *const prefixes[] = {
		"xoxb-", "xoxp-", "xoxa-", "xoxr-", "xoxs-", "xapp-",
		"sk-",	 "secret_", "ntn_"
	};
	size_t i, n;

	*keep = 0;
	if (p > start && (isalnum((unsigned char)p[-1]) || p[-1] == '_')) {
		/* Telegram puts the token right after "bot" in its URLs. */
		if (isdigit((unsigned char)p[-1]))
			return 0;
		return telegram_token_len(p);
	}
	if (strncasecmp(p, "bearer ", 7) == 0 || strncasecmp(p, "basic ", 6) == 0) {
		*keep = p[1] == 'e' || p[1] == 'E' ? 7 : 6;
		n = tok_len(p + *keep);
		return n ? *keep + n : 0;
	}
	for (i = 0; i < XIO_ARRAY_LEN(prefixes); i++) {
		size_t pl = strlen(prefixes[i]);

		if (strncmp(p, prefixes[i], pl) == 0) {
			n = tok_len(p + pl);
			if (n >= 6)
				return pl + n;
		}
	}
	return telegram_token_len(p);
}

char *xio_log_redact(const struct xio_log *log, const char *text)
{
	struct xio_buf out;
	const char *p = text;
	size_t i;

	xio_buf_init(&out, 0);
	while (*p) {
		size_t keep, n = 0;
		int hit = 0;

		for (i = 0; log && i < log->nsecrets; i++) {
			size_t sl = strlen(log->secrets[i]);

			if (strncmp(p, log->secrets[i], sl) == 0) {
				if (xio_buf_puts(&out, REDACTED))
					goto oom;
				p += sl;
				hit = 1;
				break;
			}
		}
		if (hit)
			continue;
		n = credential_at(text, p, &keep);
		if (n) {
			if (xio_buf_append(&out, p, keep) ||
			    xio_buf_puts(&out, REDACTED))
				goto oom;
			p += n;
			continue;
		}
		if (xio_buf_append(&out, p, 1))
			goto oom;
		p++;
	}
	return xio_buf_detach(&out);
oom:
	xio_buf_release(&out);
	return NULL;
}

static void format_time(char *dst, size_t n)
{
	struct timeval tv;
	struct tm tm;
	char base[32];

	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(dst, n, "%s.%03dZ", base, (int)(tv.tv_usec / 1000));
}

static int build_line(struct xio_log *log, struct xio_buf *line,
		      enum xio_log_level level, const char *module,
		      json_object *fields, const char *msg)
{
	char ts[48];
	int rc = 0;

	format_time(ts, sizeof(ts));
	if (log->human) {
		rc = xio_buf_printf(line, "%s %-5s %s: %s", ts, level_names[level],
				    module, msg);
		if (!rc && fields && json_object_is_type(fields, json_type_object)) {
			json_object_object_foreach(fields, k, v)
			{
				const char *s = json_object_get_string(v);

				rc = xio_buf_printf(line, " %s=%s", k, s ? s : "null");
				if (rc)
					break;
			}
		}
	} else {
		json_object *o = json_object_new_object();

		if (!o)
			return XIO_ENOMEM;
		json_object_object_add(o, "time", json_object_new_string(ts));
		json_object_object_add(o, "level",
				       json_object_new_string(level_names[level]));
		json_object_object_add(o, "module", json_object_new_string(module));
		json_object_object_add(o, "msg", json_object_new_string(msg));
		if (fields && json_object_is_type(fields, json_type_object)) {
			json_object_object_foreach(fields, k, v)
			{
				if (json_object_object_get_ex(o, k, NULL))
					continue;
				json_object_object_add(o, k, json_object_get(v));
			}
		}
		rc = xio_buf_puts(line, json_object_to_json_string_ext(
						o, JSON_C_TO_STRING_PLAIN |
							   JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(o);
	}
	if (!rc)
		rc = xio_buf_puts(line, "\n");
	return rc;
}

void xio_logv(struct xio_log *log, enum xio_log_level level,
	      const char *module, json_object *fields, const char *fmt,
	      va_list ap)
{
	struct xio_buf msg, line;
	char *clean = NULL;
	size_t off;

	if (!log || level < log->min_level || level >= XIO_LOG_OFF)
		return;
	xio_buf_init(&msg, 64 * 1024);
	xio_buf_init(&line, 0);
	if (xio_buf_vprintf(&msg, fmt, ap) == XIO_ETOOBIG)
		xio_buf_puts(&msg, "(message too long)");
	if (build_line(log, &line, level, module ? module : "-", fields,
		       msg.data ? msg.data : ""))
		goto out;
	clean = xio_log_redact(log, line.data);
	if (!clean)
		goto out;
	for (off = 0; clean[off];) {
		ssize_t w = write(log->fd, clean + off, strlen(clean + off));

		if (w <= 0)
			break;
		off += (size_t)w;
	}
out:
	free(clean);
	xio_buf_release(&msg);
	xio_buf_release(&line);
}

void xio_log_fields(struct xio_log *log, enum xio_log_level level,
		    const char *module, json_object *fields, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	xio_logv(log, level, module, fields, fmt, ap);
	va_end(ap);
}

void xio_logf(struct xio_log *log, enum xio_log_level level,
	      const char *module, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	xio_logv(log, level, module, NULL, fmt, ap);
	va_end(ap);
}
