/*
 * dates_tz.c — time zones for the date parser: a small reader of the TZif
 * files in /usr/share/zoneinfo (RFC 8536, versions 1 to 4) and of the POSIX
 * TZ rule in their footer, plus fixed offsets ("UTC", "+03:00").
 *
 * Chosen over setenv("TZ") + localtime_r because that mutates process-wide
 * state, which XIO does not allow; the zone here is an immutable object that
 * can be shared by everything that reads it.
 */
#include "dates.h"
#include "resource.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ZONEINFO_DIR "/usr/share/zoneinfo/"
#define TZIF_MAX (1 << 20)
#define OFFSET_LIMIT (26 * 3600)

/* A POSIX "Mm.w.d/time" transition rule. */
struct tz_rule_day {
	int month, week, wday; /* wday 0 = Sunday */
	int secs;              /* local time of day of the change, may be <0 or >24h */
};

struct xio_tz {
	size_t ntrans;
	int64_t *trans;   /* transition times, seconds, ascending */
	int32_t *offs;    /* offset (s) in force from trans[i] */
	int32_t first_off; /* offset before the first transition */
	int has_rule;     /* footer rule applies after the last transition */
	int rule_dst;     /* the rule has a DST part */
	int32_t std_off, dst_off;
	struct tz_rule_day start, end;
};

static uint32_t be32(const unsigned char *p)
{
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) |
	       ((uint32_t)p[2] << 8) | p[3];
}

static int64_t be64(const unsigned char *p)
{
	return (int64_t)(((uint64_t)be32(p) << 32) | be32(p + 4));
}

/* Parses [+-]hh[:mm[:ss]] at *pp; returns seconds, -1 on junk.  A POSIX TZ
 * offset with no sign is positive. */
static int posix_hms(const char **pp, int *out)
{
	const char *p = *pp;
	int sign = 1, h = 0, m = 0, s = 0, nd = 0;

	if (*p == '+' || *p == '-')
		sign = *p++ == '-' ? -1 : 1;
	while (isdigit((unsigned char)*p) && nd < 3) {
		h = h * 10 + (*p++ - '0');
		nd++;
	}
	if (!nd)
		return -1;
	if (*p == ':') {
		p++;
		if (!isdigit((unsigned char)p[0]) || !isdigit((unsigned char)p[1]))
			return -1;
		m = (p[0] - '0') * 10 + (p[1] - '0');
		p += 2;
		if (*p == ':') {
			p++;
			if (!isdigit((unsigned char)p[0]) || !isdigit((unsigned char)p[1]))
				return -1;
			s = (p[0] - '0') * 10 + (p[1] - '0');
			p += 2;
		}
	}
	*pp = p;
	*out = sign * (h * 3600 + m * 60 + s);
	return 0;
}

static int posix_name(const char **pp)
{
	const char *p = *pp;

	if (*p == '<') {
		while (*p && *p != '>')
			p++;
		if (*p != '>')
			return -1;
		*pp = p + 1;
		return 0;
	}
	while (isalpha((unsigned char)*p))
		p++;
	if (p - *pp < 3)
		return -1;
	*pp = p;
	return 0;
}

static int posix_rule_day(const char **pp, struct tz_rule_day *r)
{
	const char *p = *pp;
	char *end;
	long v[3];
	int i;

	if (*p != 'M') /* Julian forms are not used by the current database */
		return -1;
	p++;
	for (i = 0; i < 3; i++) {
		if (i && *p++ != '.')
			return -1;
		if (!isdigit((unsigned char)*p))
			return -1;
		v[i] = strtol(p, &end, 10);
		p = end;
	}
	if (v[0] < 1 || v[0] > 12 || v[1] < 1 || v[1] > 5 || v[2] < 0 || v[2] > 6)
		return -1;
	r->month = (int)v[0];
	r->week = (int)v[1];
	r->wday = (int)v[2];
	r->secs = 7200;
	if (*p == '/') {
		p++;
		if (posix_hms(&p, &r->secs))
			return -1;
	}
	*pp = p;
	return 0;
}

/* Parses a footer such as "CET-1CEST,M3.5.0,M10.5.0/3" into tz; returns -1
 * on a form we do not know, leaving tz without a rule. */
static int posix_parse(struct xio_tz *tz, const char *s)
{
	const char *p = s;
	int off, doff;

	if (posix_name(&p) || posix_hms(&p, &off))
		return -1;
	tz->std_off = -off;
	if (!*p) {
		tz->rule_dst = 0;
		tz->has_rule = 1;
		return 0;
	}
	if (posix_name(&p))
		return -1;
	tz->dst_off = tz->std_off + 3600;
	if (*p && *p != ',') {
		if (posix_hms(&p, &doff))
			return -1;
		tz->dst_off = -doff;
	}
	if (*p++ != ',' || posix_rule_day(&p, &tz->start) || *p++ != ',' ||
	    posix_rule_day(&p, &tz->end) || *p)
		return -1;
	tz->rule_dst = 1;
	tz->has_rule = 1;
	return 0;
}

static int64_t floordiv(int64_t a, int64_t b)
{
	return a >= 0 ? a / b : -((-a + b - 1) / b);
}

static int days_in_month(int y, int m)
{
	static const int dm[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return m == 2 ? 28 + leap : dm[m - 1];
}

/* Seconds since the epoch at which rule day r happens in year y, given the
 * offset in force before it. */
static int64_t rule_instant(int y, const struct tz_rule_day *r, int32_t off)
{
	int64_t first = xio_dates_days_from_civil(y, r->month, 1);
	int wd_first = xio_dates_weekday(first) % 7; /* 0 = Sunday */
	int day = 1 + (r->wday - wd_first + 7) % 7 + (r->week - 1) * 7;

	while (day > days_in_month(y, r->month))
		day -= 7;
	return (first + day - 1) * 86400 + r->secs - off;
}

static int32_t rule_offset(const struct xio_tz *tz, int64_t t)
{
	int y, m, d;
	int64_t s, e;

	if (!tz->rule_dst)
		return tz->std_off;
	xio_dates_civil_from_days(floordiv(t + tz->std_off, 86400), &y, &m, &d);
	s = rule_instant(y, &tz->start, tz->std_off);
	e = rule_instant(y, &tz->end, tz->dst_off);
	if (s < e)
		return t >= s && t < e ? tz->dst_off : tz->std_off;
	return t >= e && t < s ? tz->std_off : tz->dst_off;
}

int xio_tz_offset_at(const struct xio_tz *tz, int64_t at_ms)
{
	int64_t t = at_ms >= 0 ? at_ms / 1000 : -((-at_ms + 999) / 1000);
	size_t lo, hi;

	if (!tz)
		return 0;
	if (tz->ntrans == 0 || t < tz->trans[0]) {
		if (tz->ntrans == 0 && tz->has_rule)
			return rule_offset(tz, t) / 60;
		return tz->first_off / 60;
	}
	if (t >= tz->trans[tz->ntrans - 1] && tz->has_rule)
		return rule_offset(tz, t) / 60;
	lo = 0;
	hi = tz->ntrans; /* trans[lo] <= t < trans[hi] */
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;

		if (tz->trans[mid] <= t)
			lo = mid;
		else
			hi = mid;
	}
	return tz->offs[lo] / 60;
}

int64_t xio_tz_local_to_ms(const struct xio_tz *tz, int year, int month,
			   int day, int hour, int minute, int *offset_min)
{
	int64_t local = (xio_dates_days_from_civil(year, month, day) * 86400 +
			 hour * 3600 + minute * 60) * 1000;
	int off = xio_tz_offset_at(tz, local);
	int off2 = xio_tz_offset_at(tz, local - (int64_t)off * 60000);

	if (off2 != off)
		off = xio_tz_offset_at(tz, local - (int64_t)off2 * 60000);
	if (offset_min)
		*offset_min = off;
	return local - (int64_t)off * 60000;
}

static int tzif_parse(struct xio_tz *tz, const unsigned char *b, size_t n,
		      const char *name, struct xio_err *err)
{
	size_t pos = 0, tsize = 4, cnt[6], need, i;
	const unsigned char *times, *idx, *types;
	int pass, version;

	for (pass = 0; pass < 2; pass++) {
		if (n - pos < 44 || memcmp(b + pos, "TZif", 4) != 0)
			goto bad;
		version = b[pos + 4];
		for (i = 0; i < 6; i++)
			cnt[i] = be32(b + pos + 20 + 4 * i);
		/* isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt */
		if (cnt[3] > 100000 || cnt[4] == 0 || cnt[4] > 256 ||
		    cnt[5] > 65536 || cnt[2] > 100000 || cnt[0] > 256 || cnt[1] > 256)
			goto bad;
		need = cnt[3] * tsize + cnt[3] + cnt[4] * 6 + cnt[5] +
		       cnt[2] * (tsize + 4) + cnt[1] + cnt[0];
		pos += 44;
		if (n - pos < need)
			goto bad;
		if (pass == 0 && version >= '2') {
			pos += need;
			tsize = 8;
			continue;
		}
		break;
	}
	times = b + pos;
	idx = times + cnt[3] * tsize;
	types = idx + cnt[3];
	for (i = 0; i < cnt[4]; i++) {
		int32_t o = (int32_t)be32(types + 6 * i);

		if (o < -OFFSET_LIMIT || o > OFFSET_LIMIT)
			goto bad;
	}
	tz->ntrans = cnt[3];
	if (cnt[3]) {
		tz->trans = calloc(cnt[3], sizeof(*tz->trans));
		tz->offs = calloc(cnt[3], sizeof(*tz->offs));
		if (!tz->trans || !tz->offs)
			return xio_err_set(err, XIO_ENOMEM, "time zone %s: out of memory", name);
	}
	for (i = 0; i < cnt[3]; i++) {
		tz->trans[i] = tsize == 8 ? be64(times + 8 * i) : (int32_t)be32(times + 4 * i);
		if (idx[i] >= cnt[4] || (i && tz->trans[i] < tz->trans[i - 1]))
			goto bad;
		tz->offs[i] = (int32_t)be32(types + 6 * idx[i]);
	}
	/* Before the first transition: the first standard-time type (RFC 8536
	 * says type 0, which every current file makes the local mean time). */
	tz->first_off = (int32_t)be32(types);
	pos += need;
	if (tsize == 8 && pos < n && b[pos] == '\n') {
		const unsigned char *nl = memchr(b + pos + 1, '\n', n - pos - 1);
		char footer[128];
		size_t flen;

		if (nl) {
			flen = (size_t)(nl - (b + pos + 1));
			if (flen > 0 && flen < sizeof(footer)) {
				memcpy(footer, b + pos + 1, flen);
				footer[flen] = '\0';
				if (posix_parse(tz, footer))
					tz->has_rule = 0;
			}
		}
	}
	return 0;
bad:
	return xio_err_set(err, XIO_EINVAL, "time zone %s: malformed TZif file", name);
}

/* "UTC", "Z", "+03:00", "-0530", "UTC+3", "GMT-02:30" → seconds east. */
static int fixed_offset(const char *name, int *secs)
{
	const char *p = name;
	int sign, h = 0, m = 0, nd = 0;

	if (strcmp(p, "UTC") == 0 || strcmp(p, "Z") == 0 || strcmp(p, "GMT") == 0 ||
	    strcmp(p, "utc") == 0 || strcmp(p, "Etc/UTC") == 0) {
		*secs = 0;
		return 0;
	}
	if (strncmp(p, "UTC", 3) == 0 || strncmp(p, "GMT", 3) == 0)
		p += 3;
	if (*p != '+' && *p != '-')
		return -1;
	sign = *p++ == '-' ? -1 : 1;
	while (isdigit((unsigned char)*p) && nd < 2) {
		h = h * 10 + (*p++ - '0');
		nd++;
	}
	if (!nd)
		return -1;
	if (*p == ':')
		p++;
	if (*p) {
		if (!isdigit((unsigned char)p[0]) || !isdigit((unsigned char)p[1]) || p[2])
			return -1;
		m = (p[0] - '0') * 10 + (p[1] - '0');
	}
	if (h > 14 || m > 59)
		return -1;
	*secs = sign * (h * 3600 + m * 60);
	return 0;
}

static int zone_name_ok(const char *name)
{
	const char *p;

	if (!*name || *name == '/' || strlen(name) > 200 || strstr(name, ".."))
		return 0;
	for (p = name; *p; p++)
		if (!isalnum((unsigned char)*p) && !strchr("/_+-", *p))
			return 0;
	return 1;
}

struct xio_tz *xio_tz_new(const char *name, struct xio_err *err)
{
	struct xio_tz *tz = NULL;
	char *data = NULL;
	char path[256];
	size_t len = 0;
	int secs, rc;

	tz = calloc(1, sizeof(*tz));
	if (!tz) {
		xio_err_set(err, XIO_ENOMEM, "time zone %s: out of memory", name ? name : "UTC");
		return NULL;
	}
	if (!name || !*name || fixed_offset(name, &secs) == 0) {
		tz->first_off = name && *name ? secs : 0;
		return tz;
	}
	if (!zone_name_ok(name)) {
		xio_err_set(err, XIO_ENOTFOUND, "unknown time zone '%s'", name);
		goto fail;
	}
	snprintf(path, sizeof(path), ZONEINFO_DIR "%s", name);
	data = xio_file_read(path, TZIF_MAX, &len, err);
	if (!data) {
		if (err && err->code != XIO_ENOMEM)
			xio_err_set(err, XIO_ENOTFOUND, "unknown time zone '%s'", name);
		goto fail;
	}
	rc = tzif_parse(tz, (const unsigned char *)data, len, name, err);
	free(data);
	if (rc)
		goto fail;
	return tz;
fail:
	xio_tz_free(tz);
	return NULL;
}

void xio_tz_free(struct xio_tz *tz)
{
	if (!tz)
		return;
	free(tz->trans);
	free(tz->offs);
	free(tz);
}

int xio_tz_offset_min(const char *tz, int64_t at_ms, int *offset_min,
		      struct xio_err *err)
{
	struct xio_tz *z = xio_tz_new(tz, err);

	if (!z)
		return err ? err->code : XIO_ENOTFOUND;
	*offset_min = xio_tz_offset_at(z, at_ms);
	xio_tz_free(z);
	return 0;
}
