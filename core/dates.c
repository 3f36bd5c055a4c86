/*
 * dates.c — finds and resolves due-date expressions in English and Russian
 * text ("by Friday", "до 1 декабря", "завтра к 15:00", "in 3 days",
 * "end of month").  The rules for what each expression means are in dates.h.
 *
 * The text is first folded to lower case with byte offsets preserved, then
 * scanned word by word; at each word start a set of small matchers is tried
 * (numbers, month and weekday names, relative words).  A match may be
 * completed by a second one next to it ("tomorrow at 15:00", "к 15:00
 * завтра", "end of day Friday") and widened to the preposition before it
 * ("by", "до", "к"), so the extractor can cut the whole phrase from a title.
 * Russian words are matched by stem so that every grammatical case works
 * ("декабрь", "декабря", "декабре").
 */
#include "dates.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum hit_kind {
	HIT_NONE = 0,
	HIT_DATE,     /* a calendar date */
	HIT_TIME,     /* a time of day with no date */
	HIT_DATETIME, /* both */
	HIT_EOD       /* "end of day": today unless a date comes with it */
};

enum week_kind { WEEK_NONE = 0, WEEK_NEXT };

struct hit {
	enum hit_kind kind;
	int64_t days;     /* local date, days since the epoch */
	int hour, minute;
	int exact;        /* days/hour/minute come from "in N hours": no rolling */
	enum week_kind week; /* "next week": Friday, or Monday after "by" */
	size_t start, end;
};

struct ctx {
	const char *orig; /* the text as written */
	const char *t; /* folded text */
	size_t n;
	const struct xio_tz *tz;
	int64_t now_ms;
	int64_t today;  /* local days since the epoch */
	int wd;         /* ISO weekday of today */
	int now_min;    /* local minutes since midnight */
	int year, month, day;
};

/* ---- calendar ---- */

int64_t xio_dates_days_from_civil(int y, int m, int d)
{
	int64_t yy = (int64_t)y - (m <= 2);
	int64_t era = (yy >= 0 ? yy : yy - 399) / 400;
	int64_t yoe = yy - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

	return era * 146097 + doe - 719468;
}

void xio_dates_civil_from_days(int64_t z, int *y, int *m, int *d)
{
	int64_t era, doe, yoe, doy, mp, yy;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	yy = yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = (int)(yy + (*m <= 2));
}

int xio_dates_weekday(int64_t days)
{
	/* 1970-01-01 was a Thursday (4). */
	int64_t w = (days + 3) % 7;

	return (int)(w < 0 ? w + 7 : w) + 1;
}

static int days_in_month(int y, int m)
{
	static const int dm[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return m == 2 ? 28 + leap : dm[m - 1];
}

static int64_t floordiv(int64_t a, int64_t b)
{
	return a >= 0 ? a / b : -((-a + b - 1) / b);
}

/* ---- folding ---- */

void xio_dates_fold(char *dst, const char *src, size_t n)
{
	const unsigned char *s = (const unsigned char *)src;
	unsigned char *d = (unsigned char *)dst;
	size_t i = 0;

	while (i < n) {
		unsigned char c = s[i];

		if (c >= 'A' && c <= 'Z') {
			d[i] = (unsigned char)(c + 32);
			i++;
		} else if (c == 0xD0 && i + 1 < n && s[i + 1] >= 0x90 && s[i + 1] <= 0x9F) {
			/* А..П → а..п */
			d[i] = 0xD0;
			d[i + 1] = (unsigned char)(s[i + 1] + 0x20);
			i += 2;
		} else if (c == 0xD0 && i + 1 < n && s[i + 1] >= 0xA0 && s[i + 1] <= 0xAF) {
			/* Р..Я → р..я */
			d[i] = 0xD1;
			d[i + 1] = (unsigned char)(s[i + 1] - 0x20);
			i += 2;
		} else if (c == 0xD0 && i + 1 < n && s[i + 1] == 0x81) {
			d[i] = 0xD1; /* Ё → ё */
			d[i + 1] = 0x91;
			i += 2;
		} else {
			d[i] = c;
			i++;
		}
	}
	d[n] = '\0';
}

/* ---- word matching over the folded text ---- */

static int is_wc(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c >= 0x80;
}

static int is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

static unsigned char at(const struct ctx *c, size_t p)
{
	return p < c->n ? (unsigned char)c->t[p] : 0;
}

/* End of the exact word w at p, or 0. */
static size_t kw(const struct ctx *c, size_t p, const char *w)
{
	size_t l = strlen(w);

	if (p + l > c->n || memcmp(c->t + p, w, l) != 0 || is_wc(at(c, p + l)))
		return 0;
	return p + l;
}

/* End of the first word of the NULL-terminated list found at p, or 0. */
static size_t kwl(const struct ctx *c, size_t p, const char *const *list)
{
	size_t e;

	for (; *list; list++)
		if ((e = kw(c, p, *list)))
			return e;
	return 0;
}

/* End of the word at p when it starts with stem s, or 0. */
static size_t stem(const struct ctx *c, size_t p, const char *s)
{
	size_t l = strlen(s);

	if (p + l > c->n || memcmp(c->t + p, s, l) != 0)
		return 0;
	p += l;
	while (p < c->n && is_wc(at(c, p)) && !is_digit(at(c, p)))
		p++;
	return p;
}

static size_t skip_sp(const struct ctx *c, size_t p)
{
	while (p < c->n && (at(c, p) == ' ' || at(c, p) == '\t'))
		p++;
	return p;
}

/* Up to maxd digits at p not followed by another digit: end, or 0. */
static size_t num(const struct ctx *c, size_t p, int maxd, int *v)
{
	size_t q = p;
	int x = 0;

	while (q < c->n && is_digit(at(c, q)) && (int)(q - p) < maxd)
		x = x * 10 + (at(c, q++) - '0');
	if (q == p || is_digit(at(c, q)))
		return 0;
	*v = x;
	return q;
}

/* After p, a word from list preceded by spaces: end, or 0. */
static size_t then_kwl(const struct ctx *c, size_t p, const char *const *list)
{
	return kwl(c, skip_sp(c, p), list);
}

/* ---- lexicon ---- */

struct name_num {
	const char *w;
	int v;
	int is_stem;
};

static const struct name_num months[] = {
	{ "january", 1, 0 }, { "jan", 1, 0 }, { "february", 2, 0 }, { "feb", 2, 0 },
	{ "march", 3, 0 }, { "mar", 3, 0 }, { "april", 4, 0 }, { "apr", 4, 0 },
	{ "may", 5, 0 }, { "june", 6, 0 }, { "jun", 6, 0 }, { "july", 7, 0 },
	{ "jul", 7, 0 }, { "august", 8, 0 }, { "aug", 8, 0 }, { "september", 9, 0 },
	{ "sept", 9, 0 }, { "sep", 9, 0 }, { "october", 10, 0 }, { "oct", 10, 0 },
	{ "november", 11, 0 }, { "nov", 11, 0 }, { "december", 12, 0 }, { "dec", 12, 0 },
	{ "январ", 1, 1 }, { "янв", 1, 0 }, { "феврал", 2, 1 }, { "фев", 2, 0 },
	{ "март", 3, 1 }, { "мар", 3, 0 }, { "апрел", 4, 1 }, { "апр", 4, 0 },
	{ "май", 5, 0 }, { "мая", 5, 0 }, { "мае", 5, 0 }, { "июн", 6, 1 },
	{ "июл", 7, 1 }, { "август", 8, 1 }, { "авг", 8, 0 }, { "сентябр", 9, 1 },
	{ "сен", 9, 0 }, { "сент", 9, 0 }, { "октябр", 10, 1 }, { "окт", 10, 0 },
	{ "ноябр", 11, 1 }, { "ноя", 11, 0 }, { "декабр", 12, 1 }, { "дек", 12, 0 },
	{ NULL, 0, 0 }
};

/* Weekdays, ISO numbered.  Abbreviations are "weak": only after a
 * preposition, because "sat" and "sun" are also ordinary words. */
static const struct name_num weekdays[] = {
	{ "monday", 1, 0 }, { "tuesday", 2, 0 }, { "wednesday", 3, 0 },
	{ "thursday", 4, 0 }, { "friday", 5, 0 }, { "saturday", 6, 0 },
	{ "sunday", 7, 0 }, { "mondays", 1, 0 }, { "fridays", 5, 0 },
	{ "понедельник", 1, 1 }, { "вторник", 2, 1 }, { "среда", 3, 0 },
	{ "среды", 3, 0 }, { "среду", 3, 0 }, { "среде", 3, 0 },
	{ "четверг", 4, 1 }, { "пятниц", 5, 1 }, { "суббот", 6, 1 },
	{ "воскресень", 7, 1 }, { "воскресенье", 7, 0 },
	{ NULL, 0, 0 }
};

static const struct name_num weekdays_weak[] = {
	{ "mon", 1, 0 }, { "tue", 2, 0 }, { "tues", 2, 0 }, { "wed", 3, 0 },
	{ "thu", 4, 0 }, { "thur", 4, 0 }, { "thurs", 4, 0 }, { "fri", 5, 0 },
	{ "sat", 6, 0 }, { "sun", 7, 0 }, { "пн", 1, 0 }, { "вт", 2, 0 },
	{ "ср", 3, 0 }, { "чт", 4, 0 }, { "пт", 5, 0 }, { "сб", 6, 0 },
	{ "вс", 7, 0 }, { NULL, 0, 0 }
};

static const struct name_num counts[] = {
	{ "a", 1, 0 }, { "an", 1, 0 }, { "one", 1, 0 }, { "two", 2, 0 },
	{ "three", 3, 0 }, { "four", 4, 0 }, { "five", 5, 0 }, { "six", 6, 0 },
	{ "seven", 7, 0 }, { "eight", 8, 0 }, { "nine", 9, 0 }, { "ten", 10, 0 },
	{ "a couple of", 2, 0 }, { "a few", 3, 0 }, { "couple of", 2, 0 },
	{ "один", 1, 0 }, { "одну", 1, 0 }, { "одна", 1, 0 }, { "два", 2, 0 },
	{ "две", 2, 0 }, { "три", 3, 0 }, { "четыре", 4, 0 }, { "пять", 5, 0 },
	{ "шесть", 6, 0 }, { "семь", 7, 0 }, { "восемь", 8, 0 },
	{ "девять", 9, 0 }, { "десять", 10, 0 }, { "пару", 2, 0 },
	{ "несколько", 3, 0 }, { NULL, 0, 0 }
};

enum unit { U_MIN = 1, U_HOUR, U_DAY, U_WEEK, U_MONTH };

static const struct name_num units[] = {
	{ "minutes", U_MIN, 0 }, { "minute", U_MIN, 0 }, { "mins", U_MIN, 0 },
	{ "min", U_MIN, 0 }, { "hours", U_HOUR, 0 }, { "hour", U_HOUR, 0 },
	{ "hrs", U_HOUR, 0 }, { "h", U_HOUR, 0 }, { "days", U_DAY, 0 },
	{ "day", U_DAY, 0 }, { "business days", U_DAY, 0 }, { "weeks", U_WEEK, 0 },
	{ "week", U_WEEK, 0 }, { "months", U_MONTH, 0 }, { "month", U_MONTH, 0 },
	{ "минут", U_MIN, 1 }, { "час", U_HOUR, 1 }, { "день", U_DAY, 0 },
	{ "дня", U_DAY, 0 }, { "дней", U_DAY, 0 }, { "сутки", U_DAY, 0 },
	{ "суток", U_DAY, 0 }, { "недел", U_WEEK, 1 }, { "месяц", U_MONTH, 1 },
	{ NULL, 0, 0 }
};

/* Matches an entry of tab at p; returns its end and value, or 0. */
static size_t lex(const struct ctx *c, size_t p, const struct name_num *tab, int *v)
{
	size_t e, best = 0;

	for (; tab->w; tab++) {
		e = tab->is_stem ? stem(c, p, tab->w) : kw(c, p, tab->w);
		if (e > best) {
			best = e;
			*v = tab->v;
		}
	}
	return best;
}

/* ---- resolution helpers ---- */

static int64_t add_months(const struct ctx *c, int64_t days, int k)
{
	int y, m, d, mm;

	xio_dates_civil_from_days(days, &y, &m, &d);
	mm = m - 1 + k;
	y += mm / 12;
	m = mm % 12 + 1;
	if (d > days_in_month(y, m))
		d = days_in_month(y, m);
	(void)c;
	return xio_dates_days_from_civil(y, m, d);
}

/* A day and month (year 0 = not said): days, or -1 when invalid. */
static int64_t resolve_dm(const struct ctx *c, int d, int m, int y)
{
	int64_t days;

	if (m < 1 || m > 12 || d < 1)
		return -1;
	if (y) {
		if (y < 100)
			y += 2000;
		if (y < 1970 || y > 2200 || d > days_in_month(y, m))
			return -1;
		return xio_dates_days_from_civil(y, m, d);
	}
	if (d > days_in_month(2000, m))
		return -1;
	y = c->year;
	if (d > days_in_month(y, m))
		y++;
	days = xio_dates_days_from_civil(y, m, d);
	if (days < c->today) {
		y++;
		while (d > days_in_month(y, m))
			y++;
		days = xio_dates_days_from_civil(y, m, d);
	}
	return days;
}

static int64_t next_weekday(const struct ctx *c, int wd, int allow_today)
{
	int ahead = (wd - c->wd + 7) % 7;

	if (ahead == 0 && !allow_today)
		ahead = 7;
	return c->today + ahead;
}

static int64_t next_week_day(const struct ctx *c, int wd)
{
	return c->today + (8 - c->wd) + (wd - 1);
}

static struct hit mk(enum hit_kind k, int64_t days, size_t start, size_t end)
{
	struct hit h;

	memset(&h, 0, sizeof(h));
	h.kind = k;
	h.days = days;
	h.start = start;
	h.end = end;
	return h;
}

/* ---- matchers: each returns a hit starting at p, kind HIT_NONE if not ---- */

/* Optional year after a day-month: " 2025", ", 2025", " 2025 года", " 2025г". */
static size_t opt_year(const struct ctx *c, size_t p, int *y)
{
	size_t q = p, e;
	int v;

	*y = 0;
	if (at(c, q) == ',')
		q++;
	q = skip_sp(c, q);
	if (q == p || !(e = num(c, q, 4, &v)) || e - q != 4)
		return p;
	*y = v;
	q = e;
	if ((e = then_kwl(c, q, (const char *const[]){ "года", "г", "год", NULL }))) {
		q = e;
		if (at(c, q) == '.')
			q++;
	}
	return q;
}

/* "3pm", "3 pm", "3:30 p.m." after a number: returns end and adjusts *h. */
static size_t opt_ampm(const struct ctx *c, size_t p, int *h)
{
	size_t q = skip_sp(c, p);
	int pm;

	if (kw(c, q, "am") || kw(c, q, "a.m"))
		pm = 0;
	else if (kw(c, q, "pm") || kw(c, q, "p.m"))
		pm = 1;
	else if (q + 4 <= c->n && (!memcmp(c->t + q, "a.m.", 4) || !memcmp(c->t + q, "p.m.", 4)))
		pm = c->t[q] == 'p';
	else
		return 0;
	if (*h < 1 || *h > 12)
		return 0;
	*h = *h % 12 + (pm ? 12 : 0);
	q += c->t[q + 1] == '.' ? 3 : 2;
	if (at(c, q) == '.')
		q++;
	return q;
}

static struct hit match_number(const struct ctx *c, size_t p)
{
	int a, b, y, h, mi, v;
	size_t e, q;
	int64_t days;

	/* ISO 2025-12-01[T15:00[:00]] */
	if ((e = num(c, p, 4, &y)) && e - p == 4 && at(c, e) == '-' &&
	    (q = num(c, e + 1, 2, &a)) && at(c, q) == '-' && (e = num(c, q + 1, 2, &b)) &&
	    (days = resolve_dm(c, b, a, y)) >= 0 &&
	    (!is_wc(at(c, e)) || (at(c, e) == 't' && is_digit(at(c, e + 1))))) {
		struct hit r = mk(HIT_DATE, days, p, e);

		if ((at(c, e) == 't' || at(c, e) == ' ') && (q = num(c, e + 1, 2, &h)) &&
		    at(c, q) == ':' && (q = num(c, q + 1, 2, &mi)) && h < 24 && mi < 60) {
			if (at(c, q) == ':' && is_digit(at(c, q + 1)) && is_digit(at(c, q + 2)))
				q += 3;
			r.kind = HIT_DATETIME;
			r.hour = h;
			r.minute = mi;
			r.end = q;
		}
		return r;
	}
	if (!(e = num(c, p, 2, &a)))
		return mk(HIT_NONE, 0, 0, 0);
	/* 1.12, 01.12.2025, 1.12.25 */
	if (at(c, e) == '.' && (q = num(c, e + 1, 2, &b))) {
		size_t mlen = q - e - 1;

		y = 0;
		if (at(c, q) == '.' && is_digit(at(c, q + 1))) {
			size_t r = num(c, q + 1, 4, &y);

			if (!r || (r - q - 1 != 2 && r - q - 1 != 4))
				return mk(HIT_NONE, 0, 0, 0);
			q = r;
		}
		/* "3.5" is a number, not 3 May: the month needs two digits or a year. */
		if ((mlen == 2 || y) && !is_wc(at(c, q)) &&
		    !(at(c, q) == '.' && is_digit(at(c, q + 1))) && (days = resolve_dm(c, a, b, y)) >= 0)
			return mk(HIT_DATE, days, p, q);
		return mk(HIT_NONE, 0, 0, 0);
	}
	/* 15:00, 9:30am */
	if (at(c, e) == ':' && (q = num(c, e + 1, 2, &mi)) && q - e == 3 && a < 24 && mi < 60) {
		struct hit r = mk(HIT_TIME, 0, p, q);

		h = a;
		if ((e = opt_ampm(c, q, &h)))
			r.end = e;
		r.hour = h;
		r.minute = mi;
		return r;
	}
	/* 3pm */
	h = a;
	if ((q = opt_ampm(c, e, &h))) {
		struct hit r = mk(HIT_TIME, 0, p, q);

		r.hour = h;
		return r;
	}
	/* 1 December, 1st of Dec, 1-го декабря */
	q = e;
	if ((e = kwl(c, q, (const char *const[]){ "st", "nd", "rd", "th", NULL })))
		q = e;
	else if (at(c, q) == '-' && (e = kwl(c, q + 1, (const char *const[]){ "го", "е", NULL })))
		q = e;
	q = skip_sp(c, q);
	if ((e = kw(c, q, "of")))
		q = skip_sp(c, e);
	if ((e = lex(c, q, months, &v))) {
		e = opt_year(c, e, &y);
		if ((days = resolve_dm(c, a, v, y)) >= 0)
			return mk(HIT_DATE, days, p, e);
	}
	return mk(HIT_NONE, 0, 0, 0);
}

/* "December 1", "Dec 1st, 2025", "декабрь 1" */
static struct hit match_month_first(const struct ctx *c, size_t p)
{
	int m, d, y;
	size_t e, q;
	int64_t days;

	if (!(e = lex(c, p, months, &m)))
		return mk(HIT_NONE, 0, 0, 0);
	/* "we may 2 things": the verb, unless written as a name. */
	if (e - p == 3 && !memcmp(c->t + p, "may", 3) && c->orig[p] != 'M')
		return mk(HIT_NONE, 0, 0, 0);
	if (at(c, e) == '.')
		e++;
	q = skip_sp(c, e);
	if (q == e || !(e = num(c, q, 2, &d)))
		return mk(HIT_NONE, 0, 0, 0);
	if ((q = kwl(c, e, (const char *const[]){ "st", "nd", "rd", "th", NULL })))
		e = q;
	if (is_wc(at(c, e)) || at(c, e) == ':')
		return mk(HIT_NONE, 0, 0, 0);
	e = opt_year(c, e, &y);
	if ((days = resolve_dm(c, d, m, y)) < 0)
		return mk(HIT_NONE, 0, 0, 0);
	return mk(HIT_DATE, days, p, e);
}

static const char *const w_this[] = { "this", "coming", "this coming", "эту", "этот",
				      "эта", "это", "этой", "ближайшую", "ближайший",
				      "ближайшая", "ближайшей", "ближайшего", NULL };
static const char *const w_next[] = { "next", "следующий", "следующую", "следующая",
				      "следующей", "следующего", "следующем", "будущий",
				      "будущую", "будущей", "следующее", NULL };
static const char *const w_week[] = { "week", "неделе", "неделю", "недели", "неделя", NULL };

static struct hit match_words(const struct ctx *c, size_t p, int weak_ok)
{
	size_t e, q;
	int v;

	if ((e = kwl(c, p, (const char *const[]){ "today", "tonight", "сегодня",
					       "сегодняшнего", NULL })))
		return mk(HIT_DATE, c->today, p, e);
	if ((e = kwl(c, p, (const char *const[]){ "day after tomorrow", "послезавтра", NULL })))
		return mk(HIT_DATE, c->today + 2, p, e);
	if ((e = kwl(c, p, (const char *const[]){ "the day after tomorrow", NULL })))
		return mk(HIT_DATE, c->today + 2, p, e);
	if ((e = kwl(c, p, (const char *const[]){ "tomorrow", "tmrw", "tmr", "завтра",
					       "завтрашнего", NULL })))
		return mk(HIT_DATE, c->today + 1, p, e);
	/* this Friday / next Monday / next week */
	if ((e = kwl(c, p, w_this))) {
		q = skip_sp(c, e);
		if ((e = lex(c, q, weekdays, &v)) || (e = lex(c, q, weekdays_weak, &v)))
			return mk(HIT_DATE, next_weekday(c, v, 1), p, e);
		if ((e = kwl(c, q, w_week))) {
			int fri = (int)(5 - c->wd);

			return mk(HIT_DATE, c->today + (fri >= 0 ? fri : 7 - c->wd), p, e);
		}
	}
	if ((e = kwl(c, p, w_next))) {
		q = skip_sp(c, e);
		if ((e = lex(c, q, weekdays, &v)) || (e = lex(c, q, weekdays_weak, &v)))
			return mk(HIT_DATE, next_week_day(c, v), p, e);
		if ((e = kwl(c, q, w_week))) {
			struct hit r = mk(HIT_DATE, next_week_day(c, 5), p, e);

			r.week = WEEK_NEXT;
			return r;
		}
		if ((e = kwl(c, q, (const char *const[]){ "month", "месяце", "месяц", NULL })))
			return mk(HIT_DATE, add_months(c, c->today, 1), p, e);
	}
	if ((e = lex(c, p, weekdays, &v)) || (weak_ok && (e = lex(c, p, weekdays_weak, &v))))
		return mk(HIT_DATE, next_weekday(c, v, 0), p, e);
	/* end of day / week / month / year */
	if ((e = kwl(c, p, (const char *const[]){ "end of", "the end of", "конца", "конце",
					       "конец", "концу", NULL }))) {
		q = skip_sp(c, e);
		if ((e = kw(c, q, "the")))
			q = skip_sp(c, e);
		if ((e = kwl(c, q, (const char *const[]){ "day", "дня", "the day",
						       "business", "today", "сегодняшнего дня",
						       "рабочего дня", NULL }))) {
			if ((q = then_kwl(c, e, (const char *const[]){ "day", NULL })))
				e = q;
			return mk(HIT_EOD, c->today, p, e);
		}
		if ((e = kwl(c, q, (const char *const[]){ "week", "недели", "this week",
						       "этой недели", NULL }))) {
			int fri = 5 - c->wd;

			return mk(HIT_DATE, c->today + (fri >= 0 ? fri : 7 - c->wd), p, e);
		}
		if ((e = kwl(c, q, (const char *const[]){ "next week", "следующей недели", NULL })))
			return mk(HIT_DATE, next_week_day(c, 5), p, e);
		if ((e = kwl(c, q, (const char *const[]){ "month", "месяца", "this month",
						       "этого месяца", NULL }))) {
			return mk(HIT_DATE, xio_dates_days_from_civil(c->year, c->month,
					days_in_month(c->year, c->month)), p, e);
		}
		if ((e = kwl(c, q, (const char *const[]){ "next month", "следующего месяца", NULL }))) {
			int y = c->year + (c->month == 12), m = c->month % 12 + 1;

			return mk(HIT_DATE, xio_dates_days_from_civil(y, m, days_in_month(y, m)), p, e);
		}
		if ((e = kwl(c, q, (const char *const[]){ "year", "года", "this year",
						       "этого года", NULL })))
			return mk(HIT_DATE, xio_dates_days_from_civil(c->year, 12, 31), p, e);
		if ((e = kwl(c, q, (const char *const[]){ "tomorrow", "завтрашнего дня", NULL })))
			return mk(HIT_DATE, c->today + 1, p, e);
	}
	if ((e = kwl(c, p, (const char *const[]){ "eod", "cob", "eob", NULL })))
		return mk(HIT_EOD, c->today, p, e);
	if ((e = kwl(c, p, (const char *const[]){ "eow", NULL })))
		return mk(HIT_DATE, c->today + (5 - c->wd >= 0 ? 5 - c->wd : 7 - c->wd), p, e);
	if ((e = kwl(c, p, (const char *const[]){ "eom", NULL })))
		return mk(HIT_DATE, xio_dates_days_from_civil(c->year, c->month,
				days_in_month(c->year, c->month)), p, e);
	if ((e = kwl(c, p, (const char *const[]){ "noon", "midday", "полдень", "полудня", NULL }))) {
		struct hit r = mk(HIT_TIME, 0, p, e);

		r.hour = 12;
		return r;
	}
	/* in 3 days, within a week, через 2 дня, через неделю */
	if ((e = kwl(c, p, (const char *const[]){ "in", "within", "через", "в течение",
					       "в течении", NULL }))) {
		int k = 1, u;
		int ru = (unsigned char)c->t[p] >= 0x80;

		q = skip_sp(c, e);
		if ((e = num(c, q, 3, &k)) || (e = lex(c, q, counts, &k)))
			q = skip_sp(c, e);
		else if (!ru)
			return mk(HIT_NONE, 0, 0, 0);
		if ((e = lex(c, q, units, &u)) && k > 0) {
			struct hit r = mk(HIT_DATE, c->today, p, e);

			switch (u) {
			case U_MIN:
			case U_HOUR: {
				int64_t ms = c->now_ms + (int64_t)k * (u == U_MIN ? 60000 : 3600000);
				int64_t lsec = floordiv(ms, 1000) + (int64_t)xio_tz_offset_at(c->tz, ms) * 60;

				r.kind = HIT_DATETIME;
				r.exact = 1;
				r.days = floordiv(lsec, 86400);
				r.hour = (int)(lsec - r.days * 86400) / 3600;
				r.minute = (int)((lsec - r.days * 86400) % 3600) / 60;
				break;
			}
			case U_DAY: r.days += k; break;
			case U_WEEK: r.days += 7 * k; break;
			default: r.days = add_months(c, c->today, k); break;
			}
			return r;
		}
	}
	return mk(HIT_NONE, 0, 0, 0);
}

/* Prepositions that belong to a due phrase ("by Friday", "до пятницы"). */
static const char *const preps[] = { "by", "before", "until", "till", "til", "on",
				     "at", "due by", "due", "for", "no later than", "not later than",
				     "до", "к", "ко", "в", "во", "на", "не позднее",
				     "не позже", "по", NULL };
static const char *const strong_preps[] = { "by", "before", "until", "till", "due",
					    "до", "к", "ко", "не позднее", "не позже",
					    NULL };

/* Start of the preposition word(s) right before p, or p. *strong tells
 * whether it was a deadline preposition ("by", "до"). */
static size_t prep_before(const struct ctx *c, size_t p, int *strong, int *any)
{
	size_t s, w;
	const char *const *l;

	*strong = 0;
	*any = 0;
	for (s = p; s > 0 && (at(c, s - 1) == ' ' || at(c, s - 1) == '\t'); s--)
		;
	if (s == p || s == 0)
		return p;
	/* Try each preposition ending at s. */
	for (l = preps; *l; l++) {
		size_t len = strlen(*l);

		if (len > s)
			continue;
		w = s - len;
		if (memcmp(c->t + w, *l, len) == 0 && (w == 0 || !is_wc(at(c, w - 1)))) {
			const char *const *k;

			*any = 1;
			for (k = strong_preps; *k; k++)
				if (strcmp(*k, *l) == 0)
					*strong = 1;
			return w;
		}
	}
	return p;
}

static int is_word_start(const struct ctx *c, size_t p)
{
	return p == 0 || !is_wc(at(c, p - 1));
}

static struct hit match_at(const struct ctx *c, size_t p)
{
	struct hit h;
	int strong, any;

	if (is_digit(at(c, p))) {
		/* "v1.2", "#12", "x2.5" start with a non-space char: skipped by
		 * the word-start rule; a leading '-' or '.' means a number. */
		if (p > 0 && (at(c, p - 1) == '.' || at(c, p - 1) == '-' ||
			      at(c, p - 1) == '/' || at(c, p - 1) == ':' || at(c, p - 1) == ','))
			return mk(HIT_NONE, 0, 0, 0);
		return match_number(c, p);
	}
	h = match_month_first(c, p);
	if (h.kind)
		return h;
	prep_before(c, p, &strong, &any);
	return match_words(c, p, any);
}

/* Joins a second expression that completes the first ("tomorrow at 15:00"). */
static void complete(const struct ctx *c, struct hit *h)
{
	size_t q = h->end;
	struct hit g;

	if (h->kind == HIT_DATETIME)
		return;
	if (at(c, q) == ',')
		q++;
	q = skip_sp(c, q);
	{
		size_t e = kwl(c, q, (const char *const[]){ "at", "by", "on", "before", "в",
							 "к", "до", "около", "not later than",
							 NULL });

		if (e)
			q = skip_sp(c, e);
	}
	if (q >= c->n || !is_word_start(c, q))
		return;
	g = match_at(c, q);
	if (g.kind == HIT_NONE)
		return;
	if ((h->kind == HIT_DATE || h->kind == HIT_EOD) && g.kind == HIT_TIME) {
		h->kind = HIT_DATETIME;
		h->hour = g.hour;
		h->minute = g.minute;
		h->end = g.end;
	} else if (h->kind == HIT_TIME && (g.kind == HIT_DATE || g.kind == HIT_EOD)) {
		h->kind = HIT_DATETIME;
		h->days = g.days;
		h->end = g.end;
	} else if (h->kind == HIT_EOD && g.kind == HIT_DATE) {
		h->kind = HIT_DATE;
		h->days = g.days;
		h->end = g.end;
	} else if (h->kind == HIT_DATE && g.kind == HIT_EOD) {
		h->end = g.end;
	}
}

int xio_dates_find_tz(const char *text, size_t len, int64_t now_ms,
		      const struct xio_tz *tz, struct xio_due *out,
		      size_t *span_start, size_t *span_len)
{
	struct ctx c;
	char *folded;
	size_t p;
	struct hit h;
	int64_t lsec;
	int found = 0;

	memset(&h, 0, sizeof(h));
	folded = malloc(len + 1);
	if (!folded)
		return XIO_ENOMEM;
	xio_dates_fold(folded, text, len);
	c.orig = text;
	c.t = folded;
	c.n = len;
	c.tz = tz;
	c.now_ms = now_ms;
	lsec = floordiv(now_ms, 1000) + (int64_t)xio_tz_offset_at(tz, now_ms) * 60;
	c.today = floordiv(lsec, 86400);
	c.now_min = (int)((lsec - c.today * 86400) / 60);
	c.wd = xio_dates_weekday(c.today);
	xio_dates_civil_from_days(c.today, &c.year, &c.month, &c.day);

	for (p = 0; p < len; p++) {
		if (!is_word_start(&c, p) || !is_wc(at(&c, p)))
			continue;
		h = match_at(&c, p);
		if (h.kind != HIT_NONE) {
			found = 1;
			break;
		}
	}
	if (found) {
		int strong, any;
		size_t s;

		complete(&c, &h);
		s = prep_before(&c, h.start, &strong, &any);
		if (h.week == WEEK_NEXT && strong)
			h.days = next_week_day(&c, 1);
		/* "by 15:00": today while it is still ahead, else tomorrow. */
		if (h.kind == HIT_TIME) {
			h.days = c.today + (h.hour * 60 + h.minute <= c.now_min);
			h.kind = HIT_DATETIME;
		}
		h.start = s;
		if (out) {
			memset(out, 0, sizeof(*out));
			out->has_date = 1;
			out->has_time = h.kind == HIT_DATETIME;
			xio_dates_civil_from_days(h.days, &out->year, &out->month, &out->day);
			out->hour = out->has_time ? h.hour : 0;
			out->minute = out->has_time ? h.minute : 0;
			xio_tz_local_to_ms(tz, out->year, out->month, out->day, out->hour,
					   out->minute, &out->tz_offset_min);
		}
		if (span_start)
			*span_start = h.start;
		if (span_len)
			*span_len = h.end - h.start;
	}
	free(folded);
	return found;
}

int xio_dates_find(const char *text, int64_t now_ms, const char *tz,
		   struct xio_due *out, size_t *span_start, size_t *span_len)
{
	struct xio_tz *z = xio_tz_new(tz, NULL);
	int rc;

	if (!z)
		return XIO_ENOTFOUND;
	rc = xio_dates_find_tz(text, strlen(text), now_ms, z, out, span_start, span_len);
	xio_tz_free(z);
	return rc;
}

int xio_due_format(const struct xio_due *d, char *buf, size_t n)
{
	int r, off;

	if (!d || !d->has_date)
		return XIO_EINVAL;
	if (!d->has_time) {
		r = snprintf(buf, n, "%04d-%02d-%02d", d->year, d->month, d->day);
	} else {
		off = d->tz_offset_min < 0 ? -d->tz_offset_min : d->tz_offset_min;
		r = snprintf(buf, n, "%04d-%02d-%02dT%02d:%02d:00%c%02d:%02d", d->year,
			     d->month, d->day, d->hour, d->minute,
			     d->tz_offset_min < 0 ? '-' : '+', off / 60, off % 60);
	}
	if (r < 0 || (size_t)r >= n)
		return XIO_ETOOBIG;
	return r;
}
