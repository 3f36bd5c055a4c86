/*
 * test_dates.c — the due-date parser and the time zones, table-driven: each
 * case is a text, the moment it was written and a zone, and the due date
 * (and the phrase) expected.  The case count is printed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dates.h"

/* 2025-11-26 is a Wednesday. */
#define WED_10Z "2025-11-26T10:00"   /* 13:00 in Moscow */
#define WED_2230Z "2025-11-26T22:30" /* Thursday 01:30 in Moscow */
#define DEC_20Z "2025-12-20T09:00"   /* a Saturday in December */
#define FRI_10Z "2025-11-28T10:00"   /* a Friday */
#define SUN_10Z "2025-11-30T10:00"   /* a Sunday */

struct dcase {
	const char *text;
	const char *now; /* UTC, "YYYY-MM-DDTHH:MM" */
	const char *tz;
	const char *due;  /* expected xio_due_format, NULL = nothing found */
	const char *span; /* expected matched phrase, NULL = don't check */
};

static const struct dcase cases[] = {
	/* ISO and numeric dates */
	{ "ship it 2025-12-24", WED_10Z, "UTC", "2025-12-24", "2025-12-24" },
	{ "by 2025-12-24T15:30", WED_10Z, "Europe/Moscow", "2025-12-24T15:30:00+03:00", "by 2025-12-24T15:30" },
	{ "до 1.12", WED_10Z, "UTC", "2025-12-01", "до 1.12" },
	{ "by 01.12", WED_10Z, "UTC", "2025-12-01", "by 01.12" },
	{ "к 15.01.2026", WED_10Z, "UTC", "2026-01-15", "к 15.01.2026" },
	{ "к 15.01.26", WED_10Z, "UTC", "2026-01-15", "к 15.01.26" },
	{ "до 1.11", WED_10Z, "UTC", "2026-11-01", "до 1.11" },
	{ "version 3.5 is out", WED_10Z, "UTC", NULL, NULL },
	{ "v1.12 released", WED_10Z, "UTC", NULL, NULL },
	{ "see 1.2.3 notes", WED_10Z, "UTC", NULL, NULL },
	{ "31.02 is not a date", WED_10Z, "UTC", NULL, NULL },
	{ "2025-13-01 neither", WED_10Z, "UTC", NULL, NULL },
	/* month names, en */
	{ "by Dec 1", WED_10Z, "UTC", "2025-12-01", "by Dec 1" },
	{ "by December 1st", WED_10Z, "UTC", "2025-12-01", "by December 1st" },
	{ "on 3 March", WED_10Z, "UTC", "2026-03-03", "on 3 March" },
	{ "the 5th of January", WED_10Z, "UTC", "2026-01-05", "5th of January" },
	{ "by Dec. 15, 2026", WED_10Z, "UTC", "2026-12-15", "by Dec. 15, 2026" },
	{ "Jan 10 2027", WED_10Z, "UTC", "2027-01-10", "Jan 10 2027" },
	{ "we may 2 things", WED_10Z, "UTC", NULL, NULL },
	/* month names, ru, in several cases */
	{ "до 1 декабря", WED_10Z, "UTC", "2025-12-01", "до 1 декабря" },
	{ "к 10 января", WED_10Z, "UTC", "2026-01-10", "к 10 января" },
	{ "до 1 марта 2026 года", WED_10Z, "UTC", "2026-03-01", "до 1 марта 2026 года" },
	{ "к 5 мая", WED_10Z, "UTC", "2026-05-05", "к 5 мая" },
	{ "до 30 ноября", WED_10Z, "UTC", "2025-11-30", "до 30 ноября" },
	{ "20 ДЕКАБРЯ", WED_10Z, "UTC", "2025-12-20", "20 ДЕКАБРЯ" },
	{ "1-го февраля", WED_10Z, "UTC", "2026-02-01", "1-го февраля" },
	{ "декабрь 3", WED_10Z, "UTC", "2025-12-03", "декабрь 3" },
	{ "до 7 сент", WED_10Z, "UTC", "2026-09-07", "до 7 сент" },
	/* relative days */
	{ "today", WED_10Z, "UTC", "2025-11-26", "today" },
	{ "сегодня", WED_10Z, "UTC", "2025-11-26", "сегодня" },
	{ "do it tomorrow", WED_10Z, "UTC", "2025-11-27", "tomorrow" },
	{ "Завтра", WED_10Z, "UTC", "2025-11-27", "Завтра" },
	{ "послезавтра", WED_10Z, "UTC", "2025-11-28", "послезавтра" },
	{ "the day after tomorrow", WED_10Z, "UTC", "2025-11-28", "the day after tomorrow" },
	/* the chat's zone decides what "tomorrow" is */
	{ "tomorrow", WED_2230Z, "UTC", "2025-11-27", NULL },
	{ "tomorrow", WED_2230Z, "Europe/Moscow", "2025-11-28", NULL },
	{ "tomorrow", WED_2230Z, "+03:00", "2025-11-28", NULL },
	{ "tomorrow", WED_2230Z, "America/New_York", "2025-11-27", NULL },
	/* weekdays */
	{ "by Friday", WED_10Z, "UTC", "2025-11-28", "by Friday" },
	{ "до пятницы", WED_10Z, "UTC", "2025-11-28", "до пятницы" },
	{ "в пятницу", WED_10Z, "UTC", "2025-11-28", "в пятницу" },
	{ "by Wednesday", WED_10Z, "UTC", "2025-12-03", "by Wednesday" },
	{ "в среду", WED_10Z, "UTC", "2025-12-03", "в среду" },
	{ "by Monday", WED_10Z, "UTC", "2025-12-01", "by Monday" },
	{ "к понедельнику", WED_10Z, "UTC", "2025-12-01", "к понедельнику" },
	{ "by Friday", FRI_10Z, "UTC", "2025-12-05", NULL },
	{ "this Friday", WED_10Z, "UTC", "2025-11-28", "this Friday" },
	{ "this Wednesday", WED_10Z, "UTC", "2025-11-26", "this Wednesday" },
	{ "в эту пятницу", WED_10Z, "UTC", "2025-11-28", "в эту пятницу" },
	{ "next Monday", WED_10Z, "UTC", "2025-12-01", "next Monday" },
	{ "next Friday", WED_10Z, "UTC", "2025-12-05", "next Friday" },
	{ "в следующий понедельник", WED_10Z, "UTC", "2025-12-01", "в следующий понедельник" },
	{ "в следующую пятницу", WED_10Z, "UTC", "2025-12-05", "в следующую пятницу" },
	{ "next Monday", SUN_10Z, "UTC", "2025-12-01", NULL },
	{ "on fri", WED_10Z, "UTC", "2025-11-28", "on fri" },
	{ "I sat down", WED_10Z, "UTC", NULL, NULL },
	{ "в среднем", WED_10Z, "UTC", NULL, NULL },
	/* weeks */
	{ "next week", WED_10Z, "UTC", "2025-12-05", "next week" },
	{ "by next week", WED_10Z, "UTC", "2025-12-01", "by next week" },
	{ "на следующей неделе", WED_10Z, "UTC", "2025-12-05", "на следующей неделе" },
	{ "к следующей неделе", WED_10Z, "UTC", "2025-12-01", "к следующей неделе" },
	{ "by the end of the week", WED_10Z, "UTC", "2025-11-28", "by the end of the week" },
	{ "до конца недели", WED_10Z, "UTC", "2025-11-28", "до конца недели" },
	{ "end of week", SUN_10Z, "UTC", "2025-11-30", NULL },
	/* in N units */
	{ "in 3 days", WED_10Z, "UTC", "2025-11-29", "in 3 days" },
	{ "через 3 дня", WED_10Z, "UTC", "2025-11-29", "через 3 дня" },
	{ "in two weeks", WED_10Z, "UTC", "2025-12-10", "in two weeks" },
	{ "через неделю", WED_10Z, "UTC", "2025-12-03", "через неделю" },
	{ "через две недели", WED_10Z, "UTC", "2025-12-10", "через две недели" },
	{ "in a month", WED_10Z, "UTC", "2025-12-26", "in a month" },
	{ "через день", WED_10Z, "UTC", "2025-11-27", "через день" },
	{ "in 2 hours", WED_10Z, "Europe/Moscow", "2025-11-26T15:00:00+03:00", "in 2 hours" },
	{ "через 3 часа", WED_10Z, "UTC", "2025-11-26T13:00:00+00:00", "через 3 часа" },
	{ "in 30 minutes", WED_10Z, "UTC", "2025-11-26T10:30:00+00:00", "in 30 minutes" },
	{ "in the meeting", WED_10Z, "UTC", NULL, NULL },
	/* end of day / month / year */
	{ "by end of day", WED_10Z, "UTC", "2025-11-26", "by end of day" },
	{ "до конца дня", WED_10Z, "UTC", "2025-11-26", "до конца дня" },
	{ "EOD", WED_10Z, "UTC", "2025-11-26", "EOD" },
	{ "end of day tomorrow", WED_10Z, "UTC", "2025-11-27", "end of day tomorrow" },
	{ "завтра до конца дня", WED_10Z, "UTC", "2025-11-27", "завтра до конца дня" },
	{ "by the end of the month", WED_10Z, "UTC", "2025-11-30", "by the end of the month" },
	{ "до конца месяца", WED_10Z, "UTC", "2025-11-30", "до конца месяца" },
	{ "до конца месяца", DEC_20Z, "UTC", "2025-12-31", NULL },
	{ "к концу следующего месяца", WED_10Z, "UTC", "2025-12-31", "к концу следующего месяца" },
	{ "by end of year", WED_10Z, "UTC", "2025-12-31", "by end of year" },
	{ "до конца года", WED_10Z, "UTC", "2025-12-31", "до конца года" },
	{ "до 10 января", DEC_20Z, "UTC", "2026-01-10", NULL },
	/* times */
	{ "by 15:00", WED_10Z, "Europe/Moscow", "2025-11-26T15:00:00+03:00", "by 15:00" },
	{ "к 15:00", WED_10Z, "Europe/Moscow", "2025-11-26T15:00:00+03:00", "к 15:00" },
	{ "к 9:00", WED_10Z, "Europe/Moscow", "2025-11-27T09:00:00+03:00", "к 9:00" },
	{ "by 15:00", WED_10Z, "UTC", "2025-11-26T15:00:00+00:00", NULL },
	{ "by 3pm", WED_10Z, "UTC", "2025-11-26T15:00:00+00:00", "by 3pm" },
	{ "at 9:30 am", WED_10Z, "UTC", "2025-11-27T09:30:00+00:00", "at 9:30 am" },
	{ "tomorrow at 15:00", WED_10Z, "Europe/Moscow", "2025-11-27T15:00:00+03:00", "tomorrow at 15:00" },
	{ "завтра к 15:00", WED_10Z, "Europe/Moscow", "2025-11-27T15:00:00+03:00", "завтра к 15:00" },
	{ "к 15:00 завтра", WED_10Z, "Europe/Moscow", "2025-11-27T15:00:00+03:00", "к 15:00 завтра" },
	{ "by Friday 10:00", WED_10Z, "America/New_York", "2025-11-28T10:00:00-05:00", "by Friday 10:00" },
	{ "до 1 декабря в 12:00", WED_10Z, "Europe/Moscow", "2025-12-01T12:00:00+03:00", "до 1 декабря в 12:00" },
	{ "noon tomorrow", WED_10Z, "UTC", "2025-11-27T12:00:00+00:00", "noon tomorrow" },
	{ "at 25:00", WED_10Z, "UTC", NULL, NULL },
	/* daylight saving: the offset is the one in force on the due date */
	{ "2026-07-01 10:00", WED_10Z, "America/New_York", "2026-07-01T10:00:00-04:00", NULL },
	{ "2026-07-01 10:00", WED_10Z, "Europe/Berlin", "2026-07-01T10:00:00+02:00", NULL },
	{ "2025-12-01 10:00", WED_10Z, "Europe/Berlin", "2025-12-01T10:00:00+01:00", NULL },
	/* the first expression wins; nothing in plain text */
	{ "Friday or Monday", WED_10Z, "UTC", "2025-11-28", "Friday" },
	{ "nothing to see here", WED_10Z, "UTC", NULL, NULL },
	{ "", WED_10Z, "UTC", NULL, NULL },
};

static int64_t utc_ms(const char *s)
{
	int y, mo, d, h, mi;

	assert_int_equal(sscanf(s, "%d-%d-%dT%d:%d", &y, &mo, &d, &h, &mi), 5);
	return (xio_dates_days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60) * 1000;
}

static void test_table(void **state)
{
	size_t i, failed = 0;

	(void)state;
	for (i = 0; i < XIO_ARRAY_LEN(cases); i++) {
		const struct dcase *c = &cases[i];
		struct xio_due d;
		size_t s = 0, l = 0;
		char buf[64] = "";
		int rc = xio_dates_find(c->text, utc_ms(c->now), c->tz, &d, &s, &l);

		if (rc == 1)
			assert_true(xio_due_format(&d, buf, sizeof(buf)) > 0);
		if (c->due ? (rc != 1 || strcmp(buf, c->due) != 0) : rc != 0) {
			fprintf(stderr, "case %zu \"%s\" (%s %s): got rc=%d %s, want %s\n", i,
				c->text, c->now, c->tz, rc, buf, c->due ? c->due : "none");
			failed++;
			continue;
		}
		if (rc == 1 && c->span && (strlen(c->span) != l || memcmp(c->text + s, c->span, l))) {
			fprintf(stderr, "case %zu \"%s\": span \"%.*s\", want \"%s\"\n", i, c->text,
				(int)l, c->text + s, c->span);
			failed++;
		}
	}
	printf("dates: %zu table cases, %zu failed\n", XIO_ARRAY_LEN(cases), failed);
	assert_int_equal(failed, 0);
}

static void test_tz_offsets(void **state)
{
	struct xio_err err;
	int off = 0;

	(void)state;
	assert_int_equal(xio_tz_offset_min("Europe/Moscow", utc_ms(WED_10Z), &off, &err), 0);
	assert_int_equal(off, 180);
	assert_int_equal(xio_tz_offset_min("America/New_York", utc_ms("2025-07-01T12:00"), &off, &err), 0);
	assert_int_equal(off, -240);
	assert_int_equal(xio_tz_offset_min("America/New_York", utc_ms("2025-01-01T12:00"), &off, &err), 0);
	assert_int_equal(off, -300);
	/* The switch itself: 2025-03-09 07:00 UTC is 03:00 EDT. */
	assert_int_equal(xio_tz_offset_min("America/New_York", utc_ms("2025-03-09T06:59"), &off, &err), 0);
	assert_int_equal(off, -300);
	assert_int_equal(xio_tz_offset_min("America/New_York", utc_ms("2025-03-09T07:00"), &off, &err), 0);
	assert_int_equal(off, -240);
	/* Past the last transition in the file: the footer's POSIX rule. */
	assert_int_equal(xio_tz_offset_min("Europe/Berlin", utc_ms("2100-07-01T12:00"), &off, &err), 0);
	assert_int_equal(off, 120);
	assert_int_equal(xio_tz_offset_min("Europe/Berlin", utc_ms("2100-12-01T12:00"), &off, &err), 0);
	assert_int_equal(off, 60);
	assert_int_equal(xio_tz_offset_min("Australia/Sydney", utc_ms("2100-01-15T12:00"), &off, &err), 0);
	assert_int_equal(off, 660);
	assert_int_equal(xio_tz_offset_min("Asia/Kolkata", 0, &off, &err), 0);
	assert_int_equal(off, 330);
	/* fixed offsets */
	assert_int_equal(xio_tz_offset_min("+05:30", 0, &off, &err), 0);
	assert_int_equal(off, 330);
	assert_int_equal(xio_tz_offset_min("-0800", 0, &off, &err), 0);
	assert_int_equal(off, -480);
	assert_int_equal(xio_tz_offset_min("UTC+3", 0, &off, &err), 0);
	assert_int_equal(off, 180);
	assert_int_equal(xio_tz_offset_min("UTC", 0, &off, &err), 0);
	assert_int_equal(off, 0);
	assert_int_equal(xio_tz_offset_min(NULL, 0, &off, &err), 0);
	assert_int_equal(off, 0);
}

static void test_tz_errors(void **state)
{
	struct xio_err err;
	int off = 0;

	(void)state;
	assert_int_equal(xio_tz_offset_min("Mars/Olympus", 0, &off, &err), XIO_ENOTFOUND);
	assert_non_null(strstr(err.msg, "Mars/Olympus"));
	assert_int_equal(xio_tz_offset_min("../../etc/passwd", 0, &off, &err), XIO_ENOTFOUND);
	assert_int_equal(xio_tz_offset_min("Europe", 0, &off, &err), XIO_ENOTFOUND);
	assert_int_equal(xio_tz_offset_min("+25:00", 0, &off, &err), XIO_ENOTFOUND);
	assert_true(xio_dates_find("tomorrow", 0, "No/Such_Zone", NULL, NULL, NULL) < 0);
}

static void test_format(void **state)
{
	struct xio_due d = { 1, 1, 2025, 12, 1, 9, 5, -330 };
	char buf[64];

	(void)state;
	assert_int_equal(xio_due_format(&d, buf, sizeof(buf)), 25);
	assert_string_equal(buf, "2025-12-01T09:05:00-05:30");
	d.has_time = 0;
	assert_int_equal(xio_due_format(&d, buf, sizeof(buf)), 10);
	assert_string_equal(buf, "2025-12-01");
	assert_int_equal(xio_due_format(&d, buf, 5), XIO_ETOOBIG);
	d.has_date = 0;
	assert_int_equal(xio_due_format(&d, buf, sizeof(buf)), XIO_EINVAL);
}

static void test_calendar(void **state)
{
	int y, m, d;
	int64_t z;

	(void)state;
	assert_int_equal(xio_dates_days_from_civil(1970, 1, 1), 0);
	assert_int_equal(xio_dates_weekday(0), 4);
	for (z = -800000; z < 800000; z += 997) {
		xio_dates_civil_from_days(z, &y, &m, &d);
		assert_int_equal(xio_dates_days_from_civil(y, m, d), z);
	}
}

static void test_fold(void **state)
{
	const char *s = "ПЯТНИЦА Ёлка ABC ж\xff";
	char out[64];

	(void)state;
	xio_dates_fold(out, s, strlen(s));
	assert_string_equal(out, "пятница ёлка abc ж\xff");
	assert_int_equal(strlen(out), strlen(s));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_tz_offsets),
		cmocka_unit_test(test_tz_errors),
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_calendar),
		cmocka_unit_test(test_fold),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
