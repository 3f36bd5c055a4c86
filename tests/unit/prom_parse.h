/*
 * prom_parse.h — a small, strict parser of the Prometheus text exposition
 * format 0.0.4, for tests (header-only: every test binary is one .c file).
 *
 * It is written independently of core/metrics.c, from the format's
 * description, so that rendering mistakes show up as parse or check
 * failures: a sample whose family has no # TYPE, a # TYPE after the family's
 * samples or given twice, families interleaved, bad label syntax or escapes,
 * histogram buckets that are not cumulative or whose +Inf bucket differs from
 * _count.  Also used by the fuzz target on arbitrary bytes, so it must never
 * crash whatever it is fed.
 */
#ifndef XIO_TEST_PROM_PARSE_H
#define XIO_TEST_PROM_PARSE_H

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PROM_MAX_LABELS 16
#define PROM_MAX_SAMPLES 20000

enum prom_type { PROM_NONE, PROM_COUNTER, PROM_GAUGE, PROM_HISTOGRAM,
		 PROM_SUMMARY, PROM_UNTYPED };

struct prom_family {
	char *name;
	char *help; /* unescaped, NULL without # HELP */
	enum prom_type type;
	int has_samples;
};

struct prom_sample {
	char *name;
	size_t fam; /* index into families */
	size_t nlabels;
	char *lname[PROM_MAX_LABELS];
	char *lvalue[PROM_MAX_LABELS]; /* unescaped */
	double value;
};

struct prom_doc {
	struct prom_family *fams;
	size_t nfams;
	struct prom_sample *samples;
	size_t nsamples;
	char err[256];
};

static inline int prom_fail(struct prom_doc *d, size_t line, const char *fmt, ...)
{
	va_list ap;
	int n = snprintf(d->err, sizeof(d->err), "line %zu: ", line);

	va_start(ap, fmt);
	if (n > 0 && (size_t)n < sizeof(d->err))
		vsnprintf(d->err + n, sizeof(d->err) - (size_t)n, fmt, ap);
	va_end(ap);
	return -1;
}

static inline void prom_doc_release(struct prom_doc *d)
{
	size_t i, k;

	for (i = 0; i < d->nfams; i++) {
		free(d->fams[i].name);
		free(d->fams[i].help);
	}
	for (i = 0; i < d->nsamples; i++) {
		free(d->samples[i].name);
		for (k = 0; k < d->samples[i].nlabels; k++) {
			free(d->samples[i].lname[k]);
			free(d->samples[i].lvalue[k]);
		}
	}
	free(d->fams);
	free(d->samples);
	memset(d, 0, sizeof(*d));
}

static inline int prom_is_name_char(char c, int first, int colon)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
	    (colon && c == ':'))
		return 1;
	return !first && c >= '0' && c <= '9';
}

/* Reads a metric (colon=1) or label (colon=0) name at *p; returns a copy. */
static inline char *prom_name(const char **p, const char *end, int colon)
{
	const char *s = *p;
	char *r;

	while (*p < end && prom_is_name_char(**p, *p == s, colon))
		(*p)++;
	if (*p == s)
		return NULL;
	r = malloc((size_t)(*p - s) + 1);
	if (!r)
		return NULL;
	memcpy(r, s, (size_t)(*p - s));
	r[*p - s] = '\0';
	return r;
}

/* Unescapes s[0..n) (\\, \n, and \" when quoted); NULL on a bad escape. */
static inline char *prom_unescape(const char *s, size_t n, int quoted)
{
	char *r = malloc(n + 1), *o = r;
	size_t i;

	if (!r)
		return NULL;
	for (i = 0; i < n; i++) {
		if (s[i] != '\\') {
			*o++ = s[i];
			continue;
		}
		if (++i == n)
			goto bad;
		if (s[i] == '\\')
			*o++ = '\\';
		else if (s[i] == 'n')
			*o++ = '\n';
		else if (quoted && s[i] == '"')
			*o++ = '"';
		else
			goto bad;
	}
	*o = '\0';
	return r;
bad:
	free(r);
	return NULL;
}

static inline int prom_value(const char *s, size_t n, double *v)
{
	char tmp[64], *e;

	if (n == 0 || n >= sizeof(tmp))
		return -1;
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	if (!strcmp(tmp, "+Inf")) {
		*v = INFINITY;
		return 0;
	}
	if (!strcmp(tmp, "-Inf")) {
		*v = -INFINITY;
		return 0;
	}
	if (!strcmp(tmp, "NaN")) {
		*v = NAN;
		return 0;
	}
	*v = strtod(tmp, &e);
	return *e || isnan(*v) || isinf(*v) ? -1 : 0;
}

static inline long prom_family_find(const struct prom_doc *d, const char *name,
				    size_t len)
{
	size_t i;

	for (i = 0; i < d->nfams; i++)
		if (strlen(d->fams[i].name) == len &&
		    !strncmp(d->fams[i].name, name, len))
			return (long)i;
	return -1;
}

/* The family a sample name belongs to, or -1. */
static inline long prom_sample_family(const struct prom_doc *d, const char *n)
{
	static const char *const sfx[] = { "_bucket", "_sum", "_count" };
	size_t nl = strlen(n), k, sl;
	long f = prom_family_find(d, n, nl);

	if (f >= 0 && d->fams[f].type != PROM_HISTOGRAM &&
	    d->fams[f].type != PROM_SUMMARY)
		return f;
	for (k = 0; k < 3; k++) {
		sl = strlen(sfx[k]);
		if (nl <= sl || strcmp(n + nl - sl, sfx[k]))
			continue;
		f = prom_family_find(d, n, nl - sl);
		if (f < 0)
			continue;
		if (d->fams[f].type == PROM_HISTOGRAM ||
		    (d->fams[f].type == PROM_SUMMARY && k > 0))
			return f;
	}
	return -1;
}

static inline int prom_add_family(struct prom_doc *d, const char *name,
				  size_t len)
{
	struct prom_family *nf = realloc(d->fams, (d->nfams + 1) * sizeof(*nf));

	if (!nf)
		return -1;
	d->fams = nf;
	memset(&nf[d->nfams], 0, sizeof(*nf));
	nf[d->nfams].name = malloc(len + 1);
	if (!nf[d->nfams].name)
		return -1;
	memcpy(nf[d->nfams].name, name, len);
	nf[d->nfams].name[len] = '\0';
	d->nfams++;
	return 0;
}

static inline int prom_comment(struct prom_doc *d, size_t ln, const char *p,
			       const char *end)
{
	static const char *const types[] = { "", "counter", "gauge", "histogram",
					     "summary", "untyped" };
	const char *name, *q;
	int is_help, t;
	long f;

	p++; /* '#' */
	while (p < end && *p == ' ')
		p++;
	if (end - p >= 5 && !strncmp(p, "HELP ", 5))
		is_help = 1;
	else if (end - p >= 5 && !strncmp(p, "TYPE ", 5))
		is_help = 0;
	else
		return 0; /* a plain comment */
	p += 5;
	while (p < end && *p == ' ')
		p++;
	name = p;
	while (p < end && prom_is_name_char(*p, p == name, 1))
		p++;
	if (p == name || (p < end && *p != ' '))
		return prom_fail(d, ln, "bad metric name after # %s",
				 is_help ? "HELP" : "TYPE");
	f = prom_family_find(d, name, (size_t)(p - name));
	if (f < 0) {
		if (prom_add_family(d, name, (size_t)(p - name)))
			return prom_fail(d, ln, "out of memory");
		f = (long)d->nfams - 1;
	}
	if (p < end)
		p++;
	if (is_help) {
		if (d->fams[f].help)
			return prom_fail(d, ln, "second # HELP for %s",
					 d->fams[f].name);
		d->fams[f].help = prom_unescape(p, (size_t)(end - p), 0);
		if (!d->fams[f].help)
			return prom_fail(d, ln, "bad escape in # HELP");
		return 0;
	}
	if (d->fams[f].type != PROM_NONE)
		return prom_fail(d, ln, "second # TYPE for %s", d->fams[f].name);
	if (d->fams[f].has_samples)
		return prom_fail(d, ln, "# TYPE for %s after its samples",
				 d->fams[f].name);
	for (q = end; q > p && q[-1] == ' '; q--)
		;
	for (t = 1; t < 6; t++)
		if ((size_t)(q - p) == strlen(types[t]) &&
		    !strncmp(p, types[t], (size_t)(q - p)))
			break;
	if (t == 6)
		return prom_fail(d, ln, "unknown type for %s", d->fams[f].name);
	d->fams[f].type = (enum prom_type)t;
	return 0;
}

static inline int prom_sample_line(struct prom_doc *d, size_t ln, const char *p,
				   const char *end, long *last_fam)
{
	struct prom_sample s;
	struct prom_sample *ns;
	const char *v;
	size_t k;
	long f;

	memset(&s, 0, sizeof(s));
	s.name = prom_name(&p, end, 1);
	if (!s.name)
		return prom_fail(d, ln, "bad sample name");
	if (p < end && *p == '{') {
		p++;
		while (p < end && *p != '}') {
			const char *vs;
			char *ln_, *lv;

			if (s.nlabels == PROM_MAX_LABELS)
				goto fail_labels;
			ln_ = prom_name(&p, end, 0);
			if (!ln_)
				goto fail_labels;
			s.lname[s.nlabels] = ln_;
			s.lvalue[s.nlabels] = NULL;
			s.nlabels++;
			if (p + 1 >= end || p[0] != '=' || p[1] != '"')
				goto fail_labels;
			p += 2;
			vs = p;
			while (p < end && *p != '"') {
				if (*p == '\\' && p + 1 < end)
					p++;
				p++;
			}
			if (p >= end)
				goto fail_labels;
			lv = prom_unescape(vs, (size_t)(p - vs), 1);
			if (!lv)
				goto fail_labels;
			s.lvalue[s.nlabels - 1] = lv;
			p++;
			for (k = 0; k + 1 < s.nlabels; k++)
				if (!strcmp(s.lname[k], ln_))
					goto fail_labels;
			if (p < end && *p == ',')
				p++;
			else if (p >= end || *p != '}')
				goto fail_labels;
		}
		if (p >= end)
			goto fail_labels;
		p++;
	}
	if (p >= end || *p != ' ')
		goto fail_value;
	while (p < end && *p == ' ')
		p++;
	v = p;
	while (p < end && *p != ' ')
		p++;
	if (prom_value(v, (size_t)(p - v), &s.value))
		goto fail_value;
	while (p < end && *p == ' ')
		p++;
	if (p < end) { /* optional timestamp: an integer */
		const char *t = p;

		if (*p == '-')
			p++;
		while (p < end && *p >= '0' && *p <= '9')
			p++;
		if (p == t || p != end)
			goto fail_value;
	}
	f = prom_sample_family(d, s.name);
	if (f < 0 || d->fams[f].type == PROM_NONE) {
		prom_fail(d, ln, "sample %s has no declared family (# TYPE)",
			  s.name);
		goto fail;
	}
	if (*last_fam != f && d->fams[f].has_samples) {
		prom_fail(d, ln, "samples of %s are not grouped together",
			  d->fams[f].name);
		goto fail;
	}
	if (d->nsamples == PROM_MAX_SAMPLES) {
		prom_fail(d, ln, "too many samples");
		goto fail;
	}
	*last_fam = f;
	d->fams[f].has_samples = 1;
	s.fam = (size_t)f;
	ns = realloc(d->samples, (d->nsamples + 1) * sizeof(*ns));
	if (!ns) {
		prom_fail(d, ln, "out of memory");
		goto fail;
	}
	d->samples = ns;
	ns[d->nsamples++] = s;
	return 0;
fail_labels:
	prom_fail(d, ln, "bad label set in sample %s", s.name);
	goto fail;
fail_value:
	prom_fail(d, ln, "bad value in sample %s", s.name);
fail:
	free(s.name);
	for (k = 0; k < s.nlabels; k++) {
		free(s.lname[k]);
		free(s.lvalue[k]);
	}
	return -1;
}

/* Parses text[0..len) into d (zeroed by the caller or released before).
 * Returns 0, or -1 with d->err saying what and where. */
static inline int prom_parse(const char *text, size_t len, struct prom_doc *d)
{
	const char *p = text, *end = text + len, *nl;
	long last_fam = -1;
	size_t ln = 0;

	memset(d, 0, sizeof(*d));
	if (len && text[len - 1] != '\n')
		return prom_fail(d, 0, "text does not end with a newline");
	while (p < end) {
		ln++;
		nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl)
			nl = end;
		if (memchr(p, '\0', (size_t)(nl - p)))
			return prom_fail(d, ln, "NUL byte");
		if (nl == p) {
			/* blank line */
		} else if (*p == '#') {
			if (prom_comment(d, ln, p, nl))
				return -1;
		} else if (prom_sample_line(d, ln, p, nl, &last_fam)) {
			return -1;
		}
		p = nl + 1;
	}
	return 0;
}

static inline const char *prom_label(const struct prom_sample *s,
				     const char *name)
{
	size_t k;

	for (k = 0; k < s->nlabels; k++)
		if (!strcmp(s->lname[k], name))
			return s->lvalue[k];
	return NULL;
}

/* Same labels, ignoring "le"? */
static inline int prom_same_series(const struct prom_sample *a,
				   const struct prom_sample *b)
{
	size_t k, na = 0, nb = 0;

	for (k = 0; k < a->nlabels; k++) {
		const char *bv;

		if (!strcmp(a->lname[k], "le"))
			continue;
		na++;
		bv = prom_label(b, a->lname[k]);
		if (!bv || strcmp(bv, a->lvalue[k]))
			return 0;
	}
	for (k = 0; k < b->nlabels; k++)
		if (strcmp(b->lname[k], "le"))
			nb++;
	return na == nb;
}

/* Semantic checks after a successful parse: counters non-negative; each
 * histogram series has buckets with increasing le, non-decreasing counts,
 * a last bucket le="+Inf" equal to its _count, and a _sum.  Returns 0 or -1
 * with d->err. */
static inline int prom_check(struct prom_doc *d)
{
	size_t i, j;

	for (i = 0; i < d->nsamples; i++) {
		const struct prom_sample *s = &d->samples[i];
		const struct prom_family *f = &d->fams[s->fam];
		size_t nlen = strlen(f->name);
		double last_le = -INFINITY, last_cnt = 0, le;
		const char *les;
		int seen_first = 0, have_count = 0, have_sum = 0, have_inf = 0;

		if (f->type == PROM_COUNTER && !(s->value >= 0))
			return prom_fail(d, 0, "counter %s is negative", s->name);
		if (f->type != PROM_HISTOGRAM || strcmp(s->name + nlen, "_bucket"))
			continue;
		/* First bucket of its series? */
		for (j = 0; j < i; j++)
			if (d->samples[j].fam == s->fam &&
			    !strcmp(d->samples[j].name, s->name) &&
			    prom_same_series(&d->samples[j], s))
				break;
		if (j < i)
			continue;
		for (j = i; j < d->nsamples; j++) {
			const struct prom_sample *b = &d->samples[j];

			if (b->fam != s->fam || !prom_same_series(b, s))
				continue;
			if (!strcmp(b->name + nlen, "_bucket")) {
				les = prom_label(b, "le");
				if (!les || prom_value(les, strlen(les), &le))
					return prom_fail(d, 0, "%s: bucket without "
							 "a valid le", b->name);
				if (have_inf || (seen_first && !(le > last_le)))
					return prom_fail(d, 0, "%s: le not increasing",
							 b->name);
				if (seen_first && b->value < last_cnt)
					return prom_fail(d, 0, "%s: buckets not "
							 "cumulative", b->name);
				seen_first = 1;
				last_le = le;
				last_cnt = b->value;
				have_inf = isinf(le) && le > 0;
			} else if (!strcmp(b->name + nlen, "_count")) {
				have_count = 1;
				if (b->value != last_cnt || !have_inf)
					return prom_fail(d, 0, "%s: +Inf bucket "
							 "!= _count", f->name);
			} else if (!strcmp(b->name + nlen, "_sum")) {
				have_sum = 1;
			}
		}
		if (!have_inf || !have_count || !have_sum)
			return prom_fail(d, 0, "%s: histogram series lacks +Inf, "
					 "_count or _sum", f->name);
	}
	return 0;
}

/* The value of the sample name{labels...} (NULL-terminated name/value
 * pairs, which must be all its labels), or NAN when absent. */
static inline double prom_get(const struct prom_doc *d, const char *name, ...)
{
	const char *k[PROM_MAX_LABELS], *v[PROM_MAX_LABELS], *a;
	size_t n = 0, i, j;
	va_list ap;

	va_start(ap, name);
	while (n < PROM_MAX_LABELS && (a = va_arg(ap, const char *))) {
		k[n] = a;
		v[n] = va_arg(ap, const char *);
		n++;
	}
	va_end(ap);
	for (i = 0; i < d->nsamples; i++) {
		const struct prom_sample *s = &d->samples[i];

		if (strcmp(s->name, name) || s->nlabels != n)
			continue;
		for (j = 0; j < n; j++) {
			const char *sv = prom_label(s, k[j]);

			if (!sv || strcmp(sv, v[j]))
				break;
		}
		if (j == n)
			return s->value;
	}
	return NAN;
}

#endif
