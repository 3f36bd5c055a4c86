/*
 * dates.h — due-date expressions in English and Russian, and time zones.
 *
 * The rule-based extractor needs to turn "by Friday", "до 1 декабря",
 * "in 3 days", "завтра к 15:00" or "end of month" into a calendar date (and a
 * time when one was said), relative to the moment a message was written and
 * in the chat's time zone.  This module does that with no global state: a
 * zone is a heap object (struct xio_tz) read once from the system's TZif
 * database (/usr/share/zoneinfo) or built from a fixed offset such as "UTC"
 * or "+03:00", and passed explicitly.
 *
 * Resolution rules (documented once, here):
 *  - a bare weekday ("Friday", "by Friday", "до пятницы") is the next such day
 *    strictly after today; "this Friday"/"в эту пятницу" may be today;
 *    "next Monday"/"в следующий понедельник" is that day in the next
 *    calendar week (weeks start on Monday);
 *  - "next week"/"на следующей неделе" is the Friday of next week,
 *    "by next week"/"к следующей неделе" its Monday; "end of week"/"до конца
 *    недели" is this week's Friday (Sunday once Friday has passed);
 *  - "end of day"/"до конца дня" is today (a date, no time), "end of month"
 *    the month's last day, "end of year" 31 December;
 *  - a day and month without a year that already passed this year mean next
 *    year; a time without a date ("by 15:00") is today if still ahead, else
 *    tomorrow;
 *  - "in 3 hours"/"через 2 часа" gives a full time, "in 3 days" a date.
 */
#ifndef XIO_DATES_H
#define XIO_DATES_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

/* A resolved due date.  has_time is set only when a time of day was said
 * (or implied by "in 3 hours"); tz_offset_min is the zone's offset from UTC,
 * in minutes east, at that local date and time (at midnight without one). */
struct xio_due {
	int has_date;
	int has_time;
	int year, month, day, hour, minute;
	int tz_offset_min;
};

/* A time zone: an IANA zone's transitions and rule, or a fixed offset. */
struct xio_tz;

/*
 * Creates a zone from name: "UTC", "Z", "GMT", a fixed offset "+03:00",
 * "-0530", "UTC+3" (east of Greenwich is positive, as people write it), or
 * an IANA name ("Europe/Moscow") read from /usr/share/zoneinfo.  NULL or ""
 * means UTC.  Returns a zone the caller frees with xio_tz_free, or NULL with
 * err naming the zone (XIO_ENOTFOUND unknown zone, XIO_EINVAL malformed
 * name or file, XIO_ENOMEM).
 */
struct xio_tz *xio_tz_new(const char *name, struct xio_err *err);

/* Frees a zone; NULL is ignored. */
void xio_tz_free(struct xio_tz *tz);

/* Offset from UTC in minutes (east positive) in force at at_ms. */
int xio_tz_offset_at(const struct xio_tz *tz, int64_t at_ms);

/*
 * Converts a local wall-clock time in tz to milliseconds since the epoch and
 * the offset in force then.  A time skipped or repeated by a DST change maps
 * to one of its plausible instants.
 */
int64_t xio_tz_local_to_ms(const struct xio_tz *tz, int year, int month,
			   int day, int hour, int minute, int *offset_min);

/*
 * One-shot convenience: the offset of the zone named tz at at_ms in
 * *offset_min.  Returns 0 or a negative XIO_E* code with err naming tz.
 */
int xio_tz_offset_min(const char *tz, int64_t at_ms, int *offset_min,
		      struct xio_err *err);

/*
 * Finds the first due-date expression in text (English or Russian, any
 * case; text need not be valid UTF-8) and resolves it relative to now_ms in
 * tz.  Returns 1 and fills *out, *span_start and *span_len (the bytes of text
 * the expression occupies, including a leading "by"/"до"/"к"; both pointers
 * may be NULL), 0 when there is none.  Never fails otherwise.
 */
int xio_dates_find_tz(const char *text, size_t len, int64_t now_ms,
		      const struct xio_tz *tz, struct xio_due *out,
		      size_t *span_start, size_t *span_len);

/*
 * The same over a NUL-terminated text with a zone name (see xio_tz_new).
 * Returns 1 found, 0 none, or a negative XIO_E* code when tz is unknown.
 */
int xio_dates_find(const char *text, int64_t now_ms, const char *tz,
		   struct xio_due *out, size_t *span_start, size_t *span_len);

/*
 * Writes d as "YYYY-MM-DD", or "YYYY-MM-DDTHH:MM:SS+03:00" when d->has_time,
 * into buf of n bytes.  Returns the length written, or XIO_ETOOBIG if it did
 * not fit, XIO_EINVAL if d has no date.
 */
int xio_due_format(const struct xio_due *d, char *buf, size_t n);

/*
 * Copies n bytes of src into dst (which has room for n + 1) with ASCII and
 * Cyrillic letters lowered and a NUL appended.  Byte lengths are preserved,
 * so an offset found in dst is the same offset in src.  Invalid UTF-8 is
 * copied unchanged.
 */
void xio_dates_fold(char *dst, const char *src, size_t n);

/* Calendar helpers shared with the extractor: days since 1970-01-01 of a
 * proleptic Gregorian date, its inverse, and ISO weekday (1 = Monday). */
int64_t xio_dates_days_from_civil(int y, int m, int d);
void xio_dates_civil_from_days(int64_t z, int *y, int *m, int *d);
int xio_dates_weekday(int64_t days);

#endif
