/*
 * metrics.c — the metrics registry and its Prometheus text rendering.
 *
 * Families live in an array in registration order, each with an array of
 * series; both only grow, so handles (pointers to series) stay valid until
 * the registry is freed.  Lookup is linear: a bot has tens of families and
 * callers are expected to keep their handles, not to look them up per event.
 */
#include "metrics.h"

#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

enum metric_type { METRIC_COUNTER, METRIC_GAUGE, METRIC_HISTOGRAM };

static const char *const type_names[] = { "counter", "gauge", "histogram" };

struct xio_family;

/* One series.  The public handle types wrap it as their only member, so a
 * handle and its series share an address. */
struct xio_series {
	struct xio_family *fam;
	char *values[XIO_METRICS_MAX_LABELS];
	double value;      /* counter, gauge */
	uint64_t *buckets; /* histogram: per-bucket (not cumulative) counts,
			    * nbounds + 1 entries, the last for +Inf */
	double sum;
	uint64_t count;
};

struct xio_counter { struct xio_series s; };
struct xio_gauge { struct xio_series s; };
struct xio_histogram { struct xio_series s; };

struct xio_family {
	char *name;
	char *help;
	enum metric_type type;
	size_t nlabels;
	char *labels[XIO_METRICS_MAX_LABELS];
	double *bounds; /* histogram upper bounds, +Inf excluded */
	size_t nbounds;
	struct xio_series **series;
	size_t nseries, capseries;
};

struct xio_metrics {
	struct xio_family **fams;
	size_t nfams, capfams;
	struct xio_err err;
	struct xio_gauge *proc_rss;   /* process collector, NULL if not added */
	struct xio_gauge *proc_start;
};

static int valid_chars(const char *s, int colon_ok)
{
	size_t i;

	if (!s || !s[0])
		return 0;
	for (i = 0; s[i]; i++) {
		char c = s[i];
		int alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			    c == '_' || (colon_ok && c == ':');

		if (!alpha && !(i > 0 && c >= '0' && c <= '9'))
			return 0;
	}
	return 1;
}

int xio_metrics_name_valid(const char *name)
{
	return valid_chars(name, 1);
}

int xio_metrics_label_name_valid(const char *name)
{
	return valid_chars(name, 0) && strncmp(name, "__", 2) != 0;
}

struct xio_metrics *xio_metrics_new(void)
{
	struct xio_metrics *m = calloc(1, sizeof(*m));

	return m;
}

static void series_free(struct xio_series *s, size_t nlabels)
{
	size_t i;

	if (!s)
		return;
	for (i = 0; i < nlabels; i++)
		free(s->values[i]);
	free(s->buckets);
	free(s);
}

static void family_free(struct xio_family *f)
{
	size_t i;

	if (!f)
		return;
	for (i = 0; i < f->nseries; i++)
		series_free(f->series[i], f->nlabels);
	free(f->series);
	for (i = 0; i < f->nlabels; i++)
		free(f->labels[i]);
	free(f->bounds);
	free(f->help);
	free(f->name);
	free(f);
}

void xio_metrics_free(struct xio_metrics *m)
{
	size_t i;

	if (!m)
		return;
	for (i = 0; i < m->nfams; i++)
		family_free(m->fams[i]);
	free(m->fams);
	free(m);
}

const char *xio_metrics_last_error(const struct xio_metrics *m)
{
	return m && m->err.msg[0] ? m->err.msg : "no error";
}

/* The label pairs of one registration call, borrowed from the caller. */
struct label_args {
	size_t n;
	const char *names[XIO_METRICS_MAX_LABELS];
	const char *values[XIO_METRICS_MAX_LABELS];
};

static int collect_labels(struct xio_metrics *m, const char *metric,
			  va_list ap, struct label_args *la)
{
	const char *k, *v;

	la->n = 0;
	while ((k = va_arg(ap, const char *))) {
		v = va_arg(ap, const char *);
		if (la->n == XIO_METRICS_MAX_LABELS)
			return xio_err_set(&m->err, XIO_EINVAL,
					   "metric %s: more than %d labels",
					   metric, XIO_METRICS_MAX_LABELS);
		if (!xio_metrics_label_name_valid(k))
			return xio_err_set(&m->err, XIO_EINVAL,
					   "metric %s: invalid label name '%s'",
					   metric, k);
		if (!v)
			return xio_err_set(&m->err, XIO_EINVAL,
					   "metric %s: label %s has no value",
					   metric, k);
		for (size_t i = 0; i < la->n; i++)
			if (!strcmp(la->names[i], k))
				return xio_err_set(&m->err, XIO_EINVAL,
						   "metric %s: label %s given twice",
						   metric, k);
		la->names[la->n] = k;
		la->values[la->n] = v;
		la->n++;
	}
	return 0;
}

static struct xio_family *family_find(struct xio_metrics *m, const char *name)
{
	size_t i;

	for (i = 0; i < m->nfams; i++)
		if (!strcmp(m->fams[i]->name, name))
			return m->fams[i];
	return NULL;
}

/*
 * Family names must not collide with the extra sample names a histogram
 * renders (foo_bucket, foo_sum, foo_count), or a scraper could not tell the
 * samples apart.
 */
static int name_clashes(struct xio_metrics *m, const char *name,
			enum metric_type type)
{
	static const char *const sfx[] = { "_bucket", "_sum", "_count" };
	size_t i, k, nl = strlen(name), fl;

	for (i = 0; i < m->nfams; i++) {
		const struct xio_family *f = m->fams[i];

		fl = strlen(f->name);
		for (k = 0; k < XIO_ARRAY_LEN(sfx); k++) {
			size_t sl = strlen(sfx[k]);

			if (f->type == METRIC_HISTOGRAM && nl == fl + sl &&
			    !strncmp(name, f->name, fl) && !strcmp(name + fl, sfx[k]))
				return 1;
			if (type == METRIC_HISTOGRAM && fl == nl + sl &&
			    !strncmp(f->name, name, nl) && !strcmp(f->name + nl, sfx[k]))
				return 1;
		}
	}
	return 0;
}

static int family_matches(struct xio_metrics *m, struct xio_family *f,
			  enum metric_type type, const struct label_args *la,
			  const double *bounds, size_t nbounds)
{
	size_t i;

	if (f->type != type)
		return xio_err_set(&m->err, XIO_EINVAL,
				   "metric %s: already registered as a %s",
				   f->name, type_names[f->type]);
	if (f->nlabels != la->n)
		return xio_err_set(&m->err, XIO_EINVAL,
				   "metric %s: registered with %zu labels, not %zu",
				   f->name, f->nlabels, la->n);
	for (i = 0; i < la->n; i++)
		if (strcmp(f->labels[i], la->names[i]))
			return xio_err_set(&m->err, XIO_EINVAL,
					   "metric %s: label %zu is %s, not %s",
					   f->name, i + 1, f->labels[i],
					   la->names[i]);
	if (type == METRIC_HISTOGRAM &&
	    (f->nbounds != nbounds ||
	     (nbounds && memcmp(f->bounds, bounds, nbounds * sizeof(double)))))
		return xio_err_set(&m->err, XIO_EINVAL,
				   "metric %s: registered with other buckets",
				   f->name);
	return 0;
}

static int append_ptr(void ***arr, size_t *n, size_t *cap, void *p)
{
	void **na;
	size_t ncap;

	if (*n == *cap) {
		ncap = *cap ? *cap * 2 : 8;
		na = realloc(*arr, ncap * sizeof(*na));
		if (!na)
			return XIO_ENOMEM;
		*arr = na;
		*cap = ncap;
	}
	(*arr)[(*n)++] = p;
	return 0;
}

static struct xio_family *family_new(struct xio_metrics *m, const char *name,
				     const char *help, enum metric_type type,
				     const struct label_args *la,
				     const double *bounds, size_t nbounds)
{
	struct xio_family *f = calloc(1, sizeof(*f));
	size_t i;

	if (!f)
		goto oom;
	f->type = type;
	f->name = strdup(name);
	f->help = strdup(help ? help : "");
	if (!f->name || !f->help)
		goto oom;
	for (i = 0; i < la->n; i++) {
		f->labels[i] = strdup(la->names[i]);
		if (!f->labels[i])
			goto oom;
		f->nlabels = i + 1;
	}
	if (nbounds) {
		f->bounds = malloc(nbounds * sizeof(double));
		if (!f->bounds)
			goto oom;
		memcpy(f->bounds, bounds, nbounds * sizeof(double));
		f->nbounds = nbounds;
	}
	if (append_ptr((void ***)&m->fams, &m->nfams, &m->capfams, f))
		goto oom;
	return f;
oom:
	family_free(f);
	xio_err_set(&m->err, XIO_ENOMEM, "metric %s: out of memory", name);
	return NULL;
}

static struct xio_series *series_get(struct xio_metrics *m,
				     struct xio_family *f,
				     const struct label_args *la)
{
	struct xio_series *s;
	size_t i, k;

	for (i = 0; i < f->nseries; i++) {
		s = f->series[i];
		for (k = 0; k < la->n; k++)
			if (strcmp(s->values[k], la->values[k]))
				break;
		if (k == la->n)
			return s;
	}
	/* Every handle type has the same layout; allocate the largest name
	 * for clarity, they are one struct xio_series each. */
	s = calloc(1, sizeof(struct xio_counter));
	if (!s)
		goto oom;
	s->fam = f;
	for (k = 0; k < la->n; k++) {
		s->values[k] = strdup(la->values[k]);
		if (!s->values[k])
			goto oom;
	}
	if (f->type == METRIC_HISTOGRAM) {
		s->buckets = calloc(f->nbounds + 1, sizeof(uint64_t));
		if (!s->buckets)
			goto oom;
	}
	if (append_ptr((void ***)&f->series, &f->nseries, &f->capseries, s))
		goto oom;
	return s;
oom:
	series_free(s, la->n);
	xio_err_set(&m->err, XIO_ENOMEM, "metric %s: out of memory", f->name);
	return NULL;
}

static struct xio_series *metric_get(struct xio_metrics *m, const char *name,
				     const char *help, enum metric_type type,
				     const double *bounds, size_t nbounds,
				     va_list ap)
{
	struct label_args la;
	struct xio_family *f;
	size_t i;

	if (!m)
		return NULL;
	xio_err_clear(&m->err);
	if (!xio_metrics_name_valid(name)) {
		xio_err_set(&m->err, XIO_EINVAL, "invalid metric name '%s'",
			    name ? name : "(null)");
		return NULL;
	}
	if (collect_labels(m, name, ap, &la))
		return NULL;
	if (type == METRIC_HISTOGRAM) {
		if (nbounds && isinf(bounds[nbounds - 1]) && bounds[nbounds - 1] > 0)
			nbounds--;
		if (nbounds > XIO_METRICS_MAX_BUCKETS || (nbounds && !bounds)) {
			xio_err_set(&m->err, XIO_EINVAL,
				    "histogram %s: bad bucket list", name);
			return NULL;
		}
		for (i = 0; i < nbounds; i++)
			if (isnan(bounds[i]) || (i && !(bounds[i] > bounds[i - 1])) ||
			    (isinf(bounds[i]) && bounds[i] > 0)) {
				xio_err_set(&m->err, XIO_EINVAL,
					    "histogram %s: bucket bounds must "
					    "increase strictly", name);
				return NULL;
			}
		for (i = 0; i < la.n; i++)
			if (!strcmp(la.names[i], "le")) {
				xio_err_set(&m->err, XIO_EINVAL,
					    "histogram %s: label 'le' is reserved",
					    name);
				return NULL;
			}
	}
	f = family_find(m, name);
	if (f) {
		if (family_matches(m, f, type, &la, bounds, nbounds))
			return NULL;
	} else {
		if (name_clashes(m, name, type)) {
			xio_err_set(&m->err, XIO_EINVAL,
				    "metric %s: clashes with a histogram's "
				    "_bucket/_sum/_count samples", name);
			return NULL;
		}
		f = family_new(m, name, help, type, &la, bounds, nbounds);
		if (!f)
			return NULL;
	}
	return series_get(m, f, &la);
}

struct xio_counter *xio_metrics_counter(struct xio_metrics *m, const char *name,
					const char *help, ...)
{
	struct xio_series *s;
	va_list ap;

	va_start(ap, help);
	s = metric_get(m, name, help, METRIC_COUNTER, NULL, 0, ap);
	va_end(ap);
	return (struct xio_counter *)s;
}

struct xio_gauge *xio_metrics_gauge(struct xio_metrics *m, const char *name,
				    const char *help, ...)
{
	struct xio_series *s;
	va_list ap;

	va_start(ap, help);
	s = metric_get(m, name, help, METRIC_GAUGE, NULL, 0, ap);
	va_end(ap);
	return (struct xio_gauge *)s;
}

struct xio_histogram *xio_metrics_histogram(struct xio_metrics *m,
					    const char *name, const char *help,
					    const double *bounds, size_t nbounds,
					    ...)
{
	struct xio_series *s;
	va_list ap;

	va_start(ap, nbounds);
	s = metric_get(m, name, help, METRIC_HISTOGRAM, bounds, nbounds, ap);
	va_end(ap);
	return (struct xio_histogram *)s;
}

int xio_counter_add(struct xio_counter *c, double v)
{
	if (!c)
		return 0;
	if (isnan(v) || v < 0)
		return XIO_EINVAL;
	c->s.value += v;
	return 0;
}

double xio_counter_value(const struct xio_counter *c)
{
	return c ? c->s.value : 0;
}

void xio_gauge_set(struct xio_gauge *g, double v)
{
	if (g)
		g->s.value = v;
}

void xio_gauge_add(struct xio_gauge *g, double v)
{
	if (g)
		g->s.value += v;
}

double xio_gauge_value(const struct xio_gauge *g)
{
	return g ? g->s.value : 0;
}

void xio_histogram_observe(struct xio_histogram *h, double v)
{
	const struct xio_family *f;
	size_t i;

	if (!h || isnan(v))
		return;
	f = h->s.fam;
	for (i = 0; i < f->nbounds && v > f->bounds[i]; i++)
		;
	h->s.buckets[i]++;
	h->s.sum += v;
	h->s.count++;
}

/* ---- process collector ---- */

static double process_rss_bytes(void)
{
	FILE *f = fopen("/proc/self/statm", "r");
	unsigned long size = 0, rss = 0;
	long page = sysconf(_SC_PAGESIZE);

	if (!f)
		return 0;
	if (fscanf(f, "%lu %lu", &size, &rss) != 2)
		rss = 0;
	fclose(f);
	return (double)rss * (double)(page > 0 ? page : 4096);
}

/*
 * Start time = the wall clock now - (time since boot now - the process's
 * start in clock ticks since boot, field 22 of /proc/self/stat).  Not
 * btime from /proc/stat: systemd's ProcSubset=pid hides that file, while
 * /proc/self stays.  The comm field (2) may contain spaces and parentheses,
 * so parsing starts after the last ')'.
 */
static double process_start_seconds(void)
{
	char line[1024], *p;
	unsigned long long ticks = 0;
	long hz = sysconf(_SC_CLK_TCK);
	struct timespec real, boot;
	FILE *f;
	size_t n;
	int field;

	f = fopen("/proc/self/stat", "r");
	if (!f)
		return 0;
	n = fread(line, 1, sizeof(line) - 1, f);
	fclose(f);
	line[n] = '\0';
	p = strrchr(line, ')');
	if (!p || hz <= 0)
		return 0;
	/* After ')' comes field 3; advance to field 22. */
	p++;
	for (field = 2; field < 21 && p; field++)
		p = strchr(p + 1, ' ');
	if (!p || sscanf(p, " %llu", &ticks) != 1)
		return 0;
	if (clock_gettime(CLOCK_REALTIME, &real) || clock_gettime(CLOCK_BOOTTIME, &boot))
		return 0;
	return ((double)real.tv_sec + (double)real.tv_nsec / 1e9) -
	       ((double)boot.tv_sec + (double)boot.tv_nsec / 1e9) + (double)ticks / (double)hz;
}

int xio_metrics_add_process_collector(struct xio_metrics *m,
				      struct xio_err *err)
{
	struct xio_gauge *rss, *start;

	rss = xio_metrics_gauge(m, "xio_process_resident_memory_bytes",
				"Resident memory size in bytes.", NULL);
	if (!rss)
		return xio_err_set(err, m->err.code, "%s", m->err.msg);
	start = xio_metrics_gauge(m, "xio_process_start_time_seconds",
				  "Start time of the process since the Unix "
				  "epoch in seconds.", NULL);
	if (!start)
		return xio_err_set(err, m->err.code, "%s", m->err.msg);
	m->proc_rss = rss;
	m->proc_start = start;
	xio_gauge_set(start, process_start_seconds());
	return 0;
}

/* ---- rendering ---- */

int xio_metrics_format_value(struct xio_buf *out, double v)
{
	char tmp[64];

	if (isnan(v))
		return xio_buf_puts(out, "NaN");
	if (isinf(v))
		return xio_buf_puts(out, v > 0 ? "+Inf" : "-Inf");
	/* %.15g is exact for most values people write (0.1, 2.5); fall back
	 * to 17 digits, which always round-trips. */
	snprintf(tmp, sizeof(tmp), "%.15g", v);
	if (strtod(tmp, NULL) != v)
		snprintf(tmp, sizeof(tmp), "%.17g", v);
	return xio_buf_puts(out, tmp);
}

static int escape(struct xio_buf *out, const char *s, int quote)
{
	const char *run = s;
	int rc = 0;

	for (; *s && !rc; s++) {
		const char *rep = NULL;

		if (*s == '\\')
			rep = "\\\\";
		else if (*s == '\n')
			rep = "\\n";
		else if (quote && *s == '"')
			rep = "\\\"";
		if (!rep)
			continue;
		rc = xio_buf_append(out, run, (size_t)(s - run));
		if (!rc)
			rc = xio_buf_puts(out, rep);
		run = s + 1;
	}
	if (!rc)
		rc = xio_buf_append(out, run, (size_t)(s - run));
	return rc;
}

int xio_metrics_escape_label(struct xio_buf *out, const char *s)
{
	return escape(out, s, 1);
}

/* Writes `name{l1="v1",...,extra="extra_val"} value\n`; extra may be NULL. */
static int render_sample(struct xio_buf *out, const struct xio_family *f,
			 const struct xio_series *s, const char *suffix,
			 const char *extra, double extra_val, double value)
{
	size_t i;
	int rc;

	rc = xio_buf_printf(out, "%s%s", f->name, suffix);
	if (!rc && (f->nlabels || extra)) {
		rc = xio_buf_puts(out, "{");
		for (i = 0; i < f->nlabels && !rc; i++) {
			rc = xio_buf_printf(out, "%s%s=\"", i ? "," : "",
					    f->labels[i]);
			if (!rc)
				rc = escape(out, s->values[i], 1);
			if (!rc)
				rc = xio_buf_puts(out, "\"");
		}
		if (!rc && extra) {
			rc = xio_buf_printf(out, "%s%s=\"", f->nlabels ? "," : "",
					    extra);
			if (!rc)
				rc = xio_metrics_format_value(out, extra_val);
			if (!rc)
				rc = xio_buf_puts(out, "\"");
		}
		if (!rc)
			rc = xio_buf_puts(out, "}");
	}
	if (!rc)
		rc = xio_buf_puts(out, " ");
	if (!rc)
		rc = xio_metrics_format_value(out, value);
	if (!rc)
		rc = xio_buf_puts(out, "\n");
	return rc;
}

static int render_family(struct xio_buf *out, const struct xio_family *f)
{
	const struct xio_series *s;
	uint64_t cum;
	size_t i, b;
	int rc;

	rc = xio_buf_printf(out, "# HELP %s ", f->name);
	if (!rc)
		rc = escape(out, f->help, 0);
	if (!rc)
		rc = xio_buf_printf(out, "\n# TYPE %s %s\n", f->name,
				    type_names[f->type]);
	for (i = 0; i < f->nseries && !rc; i++) {
		s = f->series[i];
		if (f->type != METRIC_HISTOGRAM) {
			rc = render_sample(out, f, s, "", NULL, 0, s->value);
			continue;
		}
		cum = 0;
		for (b = 0; b <= f->nbounds && !rc; b++) {
			cum += s->buckets[b];
			rc = render_sample(out, f, s, "_bucket", "le",
					   b < f->nbounds ? f->bounds[b] : INFINITY,
					   (double)cum);
		}
		if (!rc)
			rc = render_sample(out, f, s, "_sum", NULL, 0, s->sum);
		if (!rc)
			rc = render_sample(out, f, s, "_count", NULL, 0,
					   (double)s->count);
	}
	return rc;
}

int xio_metrics_render(struct xio_metrics *m, struct xio_buf *out)
{
	size_t i;
	int rc = 0;

	if (m->proc_rss)
		xio_gauge_set(m->proc_rss, process_rss_bytes());
	for (i = 0; i < m->nfams && !rc; i++)
		rc = render_family(out, m->fams[i]);
	return rc;
}
