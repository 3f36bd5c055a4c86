/*
 * cmd_extract.c — `xio extract [--lang en|ru] [--now ISO8601] [--tz ZONE] FILE`:
 * runs the rule-based extractor (core/extract.h) over a transcript of
 * "Name: text" lines and prints the decisions, alternatives, risks and tasks
 * as JSON, for scripts and for measuring extraction quality.
 *
 * FILE "-" is stdin.  Without --now the wall clock is used, without --tz UTC.
 * Exit status: 0 ok, 1 the file could not be read or extraction failed,
 * 2 bad arguments (printed with the usage).
 */
#include "cmd.h"

#include "buf.h"
#include "clock.h"
#include "dates.h"
#include "extract.h"
#include "resource.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TRANSCRIPT_MAX (16u << 20)

static int usage(const char *why)
{
	if (why)
		fprintf(stderr, "xio extract: %s\n", why);
	fprintf(stderr,
		"usage: xio extract [--lang en|ru] [--now ISO8601] [--tz ZONE] FILE\n"
		"  FILE       transcript of 'Name: text' lines; '-' reads stdin\n"
		"  --lang     only the English or Russian lexicon (default: both)\n"
		"  --now      the time the messages were written, e.g. 2025-11-26T10:00:00+03:00\n"
		"             (default: now; without an offset it is read in --tz)\n"
		"  --tz       the chat's time zone: IANA name, UTC or +03:00 (default UTC)\n");
	return 2;
}

static int digits(const char *s, int n, int *v)
{
	int i;

	*v = 0;
	for (i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		*v = *v * 10 + (s[i] - '0');
	}
	return 0;
}

/* "YYYY-MM-DD[THH:MM[:SS][.fff]][Z|±HH:MM]" → ms; a missing offset means tz. */
static int parse_now(const char *s, const struct xio_tz *tz, int64_t *ms)
{
	int y, mo, d, h = 0, mi = 0, sec = 0, oh, om, sign;
	const char *p = s + 10;
	int64_t t;

	if (strlen(s) < 10 || digits(s, 4, &y) || s[4] != '-' || digits(s + 5, 2, &mo) ||
	    s[7] != '-' || digits(s + 8, 2, &d) || mo < 1 || mo > 12 || d < 1 || d > 31)
		return -1;
	if (*p == 'T' || *p == 't' || *p == ' ') {
		if (digits(p + 1, 2, &h) || p[3] != ':' || digits(p + 4, 2, &mi))
			return -1;
		p += 6;
		if (*p == ':') {
			if (digits(p + 1, 2, &sec))
				return -1;
			p += 3;
		}
		if (*p == '.')
			for (p++; isdigit((unsigned char)*p); p++)
				;
		if (h > 23 || mi > 59 || sec > 60)
			return -1;
	}
	if (!*p) {
		*ms = xio_tz_local_to_ms(tz, y, mo, d, h, mi, NULL) + sec * 1000;
		return 0;
	}
	t = (xio_dates_days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec) * 1000;
	if ((*p == 'Z' || *p == 'z') && !p[1]) {
		*ms = t;
		return 0;
	}
	if ((*p != '+' && *p != '-') || digits(p + 1, 2, &oh))
		return -1;
	sign = *p == '-' ? -1 : 1;
	p += 3;
	if (*p == ':')
		p++;
	if (digits(p, 2, &om) || p[2] || oh > 14 || om > 59)
		return -1;
	*ms = t - (int64_t)sign * (oh * 60 + om) * 60000;
	return 0;
}

static char *read_stdin(size_t *len, struct xio_err *err)
{
	struct xio_buf b;
	char chunk[8192];
	size_t n;
	int rc = 0;

	xio_buf_init(&b, TRANSCRIPT_MAX);
	while ((n = fread(chunk, 1, sizeof(chunk), stdin)) > 0)
		if ((rc = xio_buf_append(&b, chunk, n)))
			break;
	if (!rc && ferror(stdin))
		rc = XIO_EIO;
	if (!rc && !b.data)
		rc = xio_buf_append(&b, "", 0);
	if (rc) {
		xio_err_set(err, rc, "stdin: %s", rc == XIO_ETOOBIG ? "input too large" : xio_strerror(rc));
		xio_buf_release(&b);
		return NULL;
	}
	*len = b.len;
	return xio_buf_detach(&b);
}

int xio_cmd_extract(int argc, char **argv)
{
	const char *lang = NULL, *now_s = NULL, *tz_s = NULL, *file = NULL;
	struct xio_extract_transcript tr = { 0 };
	struct xio_extract_opts opts;
	struct xio_err err = { 0, "" };
	struct xio_tz *tz = NULL;
	json_object *out = NULL;
	char *text = NULL;
	size_t len = 0;
	int64_t now;
	int i, status = 1;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char **slot = NULL;

		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			usage(NULL);
			return 0;
		}
		if (strcmp(a, "--lang") == 0)
			slot = &lang;
		else if (strcmp(a, "--now") == 0)
			slot = &now_s;
		else if (strcmp(a, "--tz") == 0)
			slot = &tz_s;
		if (slot) {
			if (i + 1 >= argc)
				return usage("option needs a value");
			*slot = argv[++i];
			continue;
		}
		if (strncmp(a, "--lang=", 7) == 0) {
			lang = a + 7;
		} else if (strncmp(a, "--now=", 6) == 0) {
			now_s = a + 6;
		} else if (strncmp(a, "--tz=", 5) == 0) {
			tz_s = a + 5;
		} else if (a[0] == '-' && a[1]) {
			fprintf(stderr, "xio extract: unknown option '%s'\n", a);
			return usage(NULL);
		} else if (file) {
			return usage("only one FILE may be given");
		} else {
			file = a;
		}
	}
	if (!file)
		return usage("no FILE given");
	if (lang && strcmp(lang, "en") != 0 && strcmp(lang, "ru") != 0)
		return usage("--lang must be en or ru");
	tz = xio_tz_new(tz_s, &err);
	if (!tz) {
		fprintf(stderr, "xio extract: %s\n", err.msg);
		return usage(NULL);
	}
	now = xio_clock_now(&xio_clock_system);
	if (now_s && parse_now(now_s, tz, &now)) {
		fprintf(stderr, "xio extract: --now '%s' is not an ISO 8601 time\n", now_s);
		status = usage(NULL);
		goto out;
	}
	text = strcmp(file, "-") == 0 ? read_stdin(&len, &err)
				       : xio_file_read(file, TRANSCRIPT_MAX, &len, &err);
	if (!text) {
		fprintf(stderr, "xio extract: cannot read %s\n", err.msg);
		goto out;
	}
	if (xio_extract_parse_transcript(text, len, now, &tr, &err)) {
		fprintf(stderr, "xio extract: %s: %s\n", file, err.msg);
		goto out;
	}
	memset(&opts, 0, sizeof(opts));
	opts.lang = lang;
	opts.tz = tz_s;
	opts.now_ms = now;
	out = xio_extract_run(tr.msgs, tr.n, &opts, &err);
	if (!out) {
		fprintf(stderr, "xio extract: %s: %s\n", file, err.msg);
		goto out;
	}
	printf("%s\n", json_object_to_json_string_ext(out, JSON_C_TO_STRING_PRETTY |
							   JSON_C_TO_STRING_SPACED |
							   JSON_C_TO_STRING_NOSLASHESCAPE));
	status = fflush(stdout) == 0 ? 0 : 1;
out:
	json_object_put(out);
	xio_extract_transcript_release(&tr);
	free(text);
	xio_tz_free(tz);
	return status;
}
