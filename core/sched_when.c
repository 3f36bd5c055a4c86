/*
 * sched_when.c — the scheduler's pure time arithmetic: follow-up durations
 * ("2d", "until Monday"), task due dates, quiet hours, local formatting.
 * Nothing here reads a clock or the store, so the engine's commands can use
 * it inside a pure step, and the fuzzer can hammer it.
 */
#include "scheduler.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#define MIN_MS 60000LL
#define HOUR_MS (60 * MIN_MS)
#define DAY_MS (24 * HOUR_MS)
/* Nobody snoozes for more than ten years; refusing it keeps arithmetic safe. */
#define MAX_AHEAD_MS (3660 * DAY_MS)

struct unit {
	const char *word;
	int64_t ms;
};

/* Longest spellings first within a stem, so "hours" is not read as "h". */
static const struct unit units[] = {
	{ "minutes", MIN_MS }, { "minute", MIN_MS }, { "mins", MIN_MS }, { "min", MIN_MS },
	{ "m", MIN_MS },
	{ "hours", HOUR_MS }, { "hour", HOUR_MS }, { "hrs", HOUR_MS }, { "hr", HOUR_MS },
	{ "h", HOUR_MS },
	{ "days", DAY_MS }, { "day", DAY_MS }, { "d", DAY_MS },
	{ "weeks", 7 * DAY_MS }, { "week", 7 * DAY_MS }, { "wk", 7 * DAY_MS }, { "w", 7 * DAY_MS },
	{ "минуты", MIN_MS }, { "минуту", MIN_MS }, { "минут", MIN_MS }, { "мин", MIN_MS },
	{ "часов", HOUR_MS }, { "часа", HOUR_MS }, { "час", HOUR_MS }, { "ч", HOUR_MS },
	{ "дней", DAY_MS }, { "дня", DAY_MS }, { "день", DAY_MS }, { "дн", DAY_MS },
	{ "д", DAY_MS },
	{ "недели", 7 * DAY_MS }, { "неделю", 7 * DAY_MS }, { "недель", 7 * DAY_MS },
	{ "неделя", 7 * DAY_MS }, { "нед", 7 * DAY_MS }, { "н", 7 * DAY_MS },
};

/* A word ends at the end of text or before a byte that is not a letter or
 * digit (ASCII) and not part of a multibyte character. */
static int word_end(const char *p)
{
	unsigned char c = (unsigned char)*p;

	return !c || (c < 0x80 && !isalnum(c));
}

/* "2d", "3 hours", "in 2 days", "через 3 часа" -> ms.  Returns bytes used or 0. */
static size_t parse_duration(const char *text, int64_t *ms)
{
	char fold[64];
	const char *p;
	size_t n = strnlen(text, sizeof(fold) - 1), i;
	int64_t v = 0;
	int digits = 0;

	xio_dates_fold(fold, text, n);
	p = fold;
	if (strncmp(p, "in ", 3) == 0)
		p += 3;
	else if (strncmp(p, "через ", strlen("через ")) == 0)
		p += strlen("через ");
	while (*p == ' ')
		p++;
	while (isdigit((unsigned char)*p)) {
		if (++digits > 6)
			return 0;
		v = v * 10 + (*p++ - '0');
	}
	if (!digits || v == 0)
		return 0;
	while (*p == ' ')
		p++;
	for (i = 0; i < XIO_ARRAY_LEN(units); i++) {
		size_t l = strlen(units[i].word);

		if (strncmp(p, units[i].word, l) == 0 && word_end(p + l)) {
			if (v > MAX_AHEAD_MS / units[i].ms)
				return 0;
			*ms = v * units[i].ms;
			return (size_t)(p + l - fold);
		}
	}
	return 0;
}

int xio_sched_parse_when(const char *text, int64_t now_ms, const struct xio_tz *tz,
			 int64_t *at_ms)
{
	struct xio_due d;
	size_t start = 0, len = 0, skip = 0;
	int64_t ms;

	while (text[skip] == ' ' || text[skip] == '\t')
		skip++;
	text += skip;
	if (!*text)
		return 0;
	if (parse_duration(text, &ms)) {
		*at_ms = now_ms + ms;
		return 1;
	}
	if (xio_dates_find_tz(text, strlen(text), now_ms, tz, &d, &start, &len) != 1 ||
	    start != 0 || !d.has_date)
		return 0;
	if (d.has_time) {
		/* the parser resolved the offset in force at that local time */
		ms = xio_dates_days_from_civil(d.year, d.month, d.day) * DAY_MS +
		     d.hour * HOUR_MS + d.minute * MIN_MS - d.tz_offset_min * MIN_MS;
	} else if (tz) {
		ms = xio_tz_local_to_ms(tz, d.year, d.month, d.day, XIO_SCHED_DEFAULT_HOUR, 0, NULL);
	} else {
		ms = xio_dates_days_from_civil(d.year, d.month, d.day) * DAY_MS +
		     XIO_SCHED_DEFAULT_HOUR * HOUR_MS;
	}
	if (ms - now_ms > MAX_AHEAD_MS || now_ms - ms > MAX_AHEAD_MS)
		return 0;
	*at_ms = ms;
	return 1;
}

static int digits(const char *p, int n, int *out)
{
	int v = 0, i;

	for (i = 0; i < n; i++) {
		if (!isdigit((unsigned char)p[i]))
			return -1;
		v = v * 10 + (p[i] - '0');
	}
	*out = v;
	return 0;
}

int xio_sched_due_ms(const char *due, const struct xio_tz *tz, int64_t *out)
{
	int y, mo, d, h = XIO_SCHED_DEFAULT_HOUR, mi = 0, sec = 0, oh = 0, om = 0, sign = 1;
	size_t len = due ? strlen(due) : 0;
	const char *p;

	if (len < 10 || digits(due, 4, &y) || due[4] != '-' || digits(due + 5, 2, &mo) ||
	    due[7] != '-' || digits(due + 8, 2, &d) || mo < 1 || mo > 12 || d < 1 || d > 31)
		return XIO_EINVAL;
	if (len == 10) {
		if (tz)
			*out = xio_tz_local_to_ms(tz, y, mo, d, h, 0, NULL);
		else
			*out = xio_dates_days_from_civil(y, mo, d) * DAY_MS + h * HOUR_MS;
		return 0;
	}
	if (len < 16 || (due[10] != 'T' && due[10] != 't' && due[10] != ' ') ||
	    digits(due + 11, 2, &h) || due[13] != ':' || digits(due + 14, 2, &mi) || h > 23 ||
	    mi > 59)
		return XIO_EINVAL;
	p = due + 16;
	if (*p == ':') {
		if (digits(p + 1, 2, &sec))
			return XIO_EINVAL;
		p += 3;
		if (*p == '.')
			for (p++; isdigit((unsigned char)*p); p++)
				;
	}
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		sign = *p == '-' ? -1 : 1;
		if (digits(p + 1, 2, &oh) || p[3] != ':' || digits(p + 4, 2, &om))
			return XIO_EINVAL;
		p += 6;
	} else if (!*p && tz) {
		/* a local time without an offset: the chat's zone */
		*out = xio_tz_local_to_ms(tz, y, mo, d, h, mi, NULL) + sec * 1000LL;
		return 0;
	} else {
		return XIO_EINVAL;
	}
	if (*p)
		return XIO_EINVAL;
	*out = xio_dates_days_from_civil(y, mo, d) * DAY_MS + h * HOUR_MS + mi * MIN_MS +
	       sec * 1000LL - sign * (oh * HOUR_MS + om * MIN_MS);
	return 0;
}

int xio_sched_quiet_parse(const char *spec, int *start_min, int *end_min, struct xio_err *err)
{
	int h1, m1, h2, m2;

	*start_min = *end_min = -1;
	if (!spec || !*spec)
		return 0;
	if (strlen(spec) != 11 || digits(spec, 2, &h1) || spec[2] != ':' ||
	    digits(spec + 3, 2, &m1) || spec[5] != '-' || digits(spec + 6, 2, &h2) ||
	    spec[8] != ':' || digits(spec + 9, 2, &m2) || h1 > 23 || h2 > 23 || m1 > 59 ||
	    m2 > 59 || (h1 == h2 && m1 == m2))
		return xio_err_set(err, XIO_EINVAL,
				   "followup.quiet_hours \"%s\": expected HH:MM-HH:MM, e.g. 22:00-08:00",
				   spec);
	*start_min = h1 * 60 + m1;
	*end_min = h2 * 60 + m2;
	return 0;
}

static int64_t floor_div(int64_t a, int64_t b)
{
	return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

int64_t xio_sched_quiet_end(const struct xio_tz *tz, int start_min, int end_min, int64_t at_ms)
{
	int off = tz ? xio_tz_offset_at(tz, at_ms) : 0, y, m, d, quiet;
	int64_t local = at_ms + off * MIN_MS, days = floor_div(local, DAY_MS), end;
	int minute = (int)((local - days * DAY_MS) / MIN_MS);

	if (start_min < 0)
		return at_ms;
	if (start_min < end_min)
		quiet = minute >= start_min && minute < end_min;
	else
		quiet = minute >= start_min || minute < end_min;
	if (!quiet)
		return at_ms;
	/* the window ends today when we are before its end, else tomorrow */
	if (minute >= end_min)
		days++;
	xio_dates_civil_from_days(days, &y, &m, &d);
	end = tz ? xio_tz_local_to_ms(tz, y, m, d, end_min / 60, end_min % 60, NULL)
		 : days * DAY_MS + end_min * MIN_MS;
	return end > at_ms ? end : at_ms;
}

void xio_sched_format_local(const struct xio_tz *tz, int64_t at_ms, char *buf, size_t n)
{
	int off = tz ? xio_tz_offset_at(tz, at_ms) : 0, y, m, d;
	int64_t local = at_ms + off * MIN_MS, days = floor_div(local, DAY_MS);
	int minute = (int)((local - days * DAY_MS) / MIN_MS);

	xio_dates_civil_from_days(days, &y, &m, &d);
	snprintf(buf, n, "%04d-%02d-%02d %02d:%02d", y, m, d, minute / 60, minute % 60);
}
