/*
 * metrics.h — counters, gauges and histograms rendered as Prometheus text.
 *
 * A registry (struct xio_metrics) holds metric families; a family has a name,
 * a help text, a type and a fixed list of label names; each distinct tuple of
 * label values is a series, and a series is what callers update through a
 * handle (struct xio_counter / xio_gauge / xio_histogram).  There is no
 * global registry: whoever records metrics is handed the struct xio_metrics *.
 *
 * Registration is get-or-create: asking twice for the same name and label
 * values returns the same handle, so a module may look its series up when it
 * needs them.  Registration fails (NULL, reason in xio_metrics_last_error)
 * on a bad name, a type or label-set clash with an existing family, or out of
 * memory.  Every update function accepts a NULL handle and does nothing, so a
 * failed registration costs a metric, never a crash.
 *
 * xio_metrics_render() writes the text exposition format 0.0.4: one # HELP
 * and one # TYPE line per family, then its samples; label values escaped
 * (backslash, double quote, newline); histograms as cumulative _bucket{le=...}
 * lines ending with le="+Inf", then _sum and _count.
 *
 * Single-threaded like the rest of XIO: no locks.
 */
#ifndef XIO_METRICS_H
#define XIO_METRICS_H

#include <stddef.h>

#include "buf.h"
#include "err.h"

/* Most label names a family may have. */
#define XIO_METRICS_MAX_LABELS 8
/* Most explicit bucket bounds a histogram may have (+Inf is implicit). */
#define XIO_METRICS_MAX_BUCKETS 64

struct xio_metrics;
struct xio_counter;
struct xio_gauge;
struct xio_histogram;

/* Creates an empty registry; NULL when out of memory.  Caller frees with
 * xio_metrics_free. */
struct xio_metrics *xio_metrics_new(void);

/* Frees the registry and every handle it gave out.  NULL is a no-op. */
void xio_metrics_free(struct xio_metrics *m);

/* The reason the last registration on m returned NULL (never NULL itself;
 * valid until the next registration). */
const char *xio_metrics_last_error(const struct xio_metrics *m);

/*
 * Returns the counter series `name{labels}`, creating the family and the
 * series on first use.  The variadic part is label name/value pairs ending
 * with NULL: xio_metrics_counter(m, "xio_outbox_sent_total", "Effects sent.",
 * "kind", "post", "adapter", "slack", NULL).  Strings are copied.  The handle
 * is owned by m and valid until xio_metrics_free.  NULL on error: invalid
 * metric or label name (metric `[a-zA-Z_:][a-zA-Z0-9_:]*`, label
 * `[a-zA-Z_][a-zA-Z0-9_]*`, not starting with "__"), NULL label value, more
 * than XIO_METRICS_MAX_LABELS labels, the name already used by another type or
 * with other label names, or out of memory.
 */
struct xio_counter *xio_metrics_counter(struct xio_metrics *m, const char *name,
					const char *help, ...)
	__attribute__((sentinel));

/* Same as xio_metrics_counter, for a gauge. */
struct xio_gauge *xio_metrics_gauge(struct xio_metrics *m, const char *name,
				    const char *help, ...)
	__attribute__((sentinel));

/*
 * Same as xio_metrics_counter, for a histogram whose upper bucket bounds are
 * bounds[0..nbounds-1]: strictly increasing, not NaN; a trailing +Inf may be
 * given or left out (it is always rendered).  Every series of a family must
 * use the same bounds, and the label name "le" is reserved.
 */
struct xio_histogram *xio_metrics_histogram(struct xio_metrics *m,
					    const char *name, const char *help,
					    const double *bounds, size_t nbounds,
					    ...)
	__attribute__((sentinel));

/* Adds v (>= 0) to the counter.  Returns 0, or XIO_EINVAL for a negative or
 * NaN v (the counter is unchanged).  NULL handle: returns 0, does nothing. */
int xio_counter_add(struct xio_counter *c, double v);

/* The counter's current value (0 for NULL). */
double xio_counter_value(const struct xio_counter *c);

/* Sets / adds to a gauge.  NULL handle: does nothing. */
void xio_gauge_set(struct xio_gauge *g, double v);
void xio_gauge_add(struct xio_gauge *g, double v);
double xio_gauge_value(const struct xio_gauge *g);

/* Records one observation (NaN is ignored).  NULL handle: does nothing. */
void xio_histogram_observe(struct xio_histogram *h, double v);

/*
 * Registers the process collector: two gauges, xio_process_resident_memory_bytes
 * and xio_process_start_time_seconds, refreshed from /proc at every render.
 * Returns 0, XIO_ENOMEM, or XIO_EINVAL if those names are taken by something
 * else (message in err).
 */
int xio_metrics_add_process_collector(struct xio_metrics *m,
				      struct xio_err *err);

/*
 * Appends the whole registry to out in the Prometheus text format 0.0.4
 * (content type "text/plain; version=0.0.4; charset=utf-8").  Families
 * appear in registration order, series likewise.  Returns 0, or
 * XIO_ETOOBIG / XIO_ENOMEM from the buffer (out then holds a truncated text
 * the caller should discard).
 */
int xio_metrics_render(struct xio_metrics *m, struct xio_buf *out);

/* The content type of xio_metrics_render's output. */
#define XIO_METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

/* Returns 1 when name is a valid metric name, else 0. */
int xio_metrics_name_valid(const char *name);

/* Returns 1 when name is a valid label name (not reserved "__..."), else 0. */
int xio_metrics_label_name_valid(const char *name);

/*
 * Appends s to out escaped as a label value (\\, \", \n).  Returns 0 or the
 * buffer's error.  Exposed for tests and for other text exporters.
 */
int xio_metrics_escape_label(struct xio_buf *out, const char *s);

/* Appends v the way the exposition format spells numbers: shortest text that
 * reads back as the same double, "+Inf", "-Inf", "NaN". */
int xio_metrics_format_value(struct xio_buf *out, double v);

#endif
