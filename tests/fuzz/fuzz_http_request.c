/*
 * fuzz_http_request.c — fuzzes the parts of the HTTP server and metrics
 * stack that are XIO's own code.  Request parsing itself is libwebsockets'
 * and is not fuzzed here: driving a real listening server over sockets is
 * far too slow for libFuzzer.  What is fuzzed, on every input:
 *
 *  1. the Prometheus text parser of the tests (tests/unit/prom_parse.h) on
 *     the raw bytes: it must never crash, whatever it is fed;
 *  2. a metrics round trip: the input is cut into label values (any bytes:
 *     quotes, backslashes, newlines, UTF-8 or not), names and numbers; the
 *     registry renders them and the parser must read back exactly the same
 *     label values and numbers, with the histogram checks passing;
 *  3. route matching: xio_http_route_match on (pattern, path) pairs cut from
 *     the input, checked against the rules the header promises.
 *
 * A violated property calls __builtin_trap(), which libFuzzer reports.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http_server.h"
#include "metrics.h"
#include "../unit/prom_parse.h"

#define CHECK(x) do { if (!(x)) __builtin_trap(); } while (0)

/* Copies the next piece (up to a 0xff byte) of the input as a string. */
static char *next_piece(const uint8_t **p, const uint8_t *end)
{
	const uint8_t *s = *p, *e = s;
	char *r;
	size_t i, n = 0;

	while (e < end && *e != 0xff)
		e++;
	r = malloc((size_t)(e - s) + 1);
	if (!r)
		return NULL;
	for (i = 0; s + i < e; i++)
		if (s[i]) /* NUL would end the C string early */
			r[n++] = (char)s[i];
	r[n] = '\0';
	*p = e < end ? e + 1 : e;
	return r;
}

static void fuzz_parser(const uint8_t *data, size_t size)
{
	struct prom_doc doc;

	if (!prom_parse((const char *)data, size, &doc))
		prom_check(&doc);
	prom_doc_release(&doc);
}

static void fuzz_round_trip(const uint8_t *data, size_t size)
{
	static const double bounds[] = { -1, 0, 0.25, 1, 1e9 };
	const uint8_t *p = data, *end = data + size;
	struct xio_metrics *m = xio_metrics_new();
	char *v1 = NULL, *v2 = NULL, *name = NULL;
	struct xio_counter *c;
	struct xio_gauge *g;
	struct xio_histogram *h;
	struct xio_buf text;
	struct prom_doc doc;
	double num = 0, got;
	size_t i;

	xio_buf_init(&text, 0);
	memset(&doc, 0, sizeof(doc));
	v1 = next_piece(&p, end);
	v2 = next_piece(&p, end);
	name = next_piece(&p, end);
	if (!m || !v1 || !v2 || !name)
		goto out;
	if (end - p >= (long)sizeof(double))
		memcpy(&num, p, sizeof(double));
	c = xio_metrics_counter(m, "fz_total", v1, "a", v1, "b", v2, NULL);
	CHECK(c);
	CHECK(xio_counter_add(c, fabs(num)) == (isnan(num) ? XIO_EINVAL : 0));
	g = xio_metrics_gauge(m, "fz_gauge", v2, "v", v2, NULL);
	CHECK(g);
	xio_gauge_set(g, num);
	h = xio_metrics_histogram(m, "fz_hist", "h", bounds, 5, "x", v1, NULL);
	CHECK(h);
	for (i = 0; i < size && i < 64; i++)
		xio_histogram_observe(h, (double)(int8_t)data[i] / 16.0);
	xio_histogram_observe(h, num);
	/* An arbitrary name is either refused or rendered parseably. */
	if (xio_metrics_gauge(m, name, "n", NULL))
		CHECK(xio_metrics_name_valid(name));
	else
		CHECK(!xio_metrics_name_valid(name) ||
		      !strcmp(name, "fz_total") || !strcmp(name, "fz_hist") ||
		      !strcmp(name, "fz_gauge") ||
		      !strncmp(name, "fz_hist_", 8));

	CHECK(xio_metrics_render(m, &text) == 0);
	CHECK(prom_parse(text.data, text.len, &doc) == 0);
	CHECK(prom_check(&doc) == 0);
	got = prom_get(&doc, "fz_total", "a", v1, "b", v2, NULL);
	CHECK(got == xio_counter_value(c));
	got = prom_get(&doc, "fz_gauge", "v", v2, NULL);
	CHECK(isnan(num) ? isnan(got) : got == num);
	CHECK(prom_get(&doc, "fz_hist_count", "x", v1, NULL) ==
	      (double)(size < 64 ? size : 64) + (isnan(num) ? 0 : 1));
out:
	prom_doc_release(&doc);
	xio_buf_release(&text);
	free(name);
	free(v2);
	free(v1);
	xio_metrics_free(m);
}

static void fuzz_route_match(const uint8_t *data, size_t size)
{
	const uint8_t *p = data, *end = data + size;
	char *pat = next_piece(&p, end), *path = next_piece(&p, end);
	size_t pl;
	int s;

	if (!pat || !path)
		goto out;
	s = xio_http_route_match(pat, path);
	pl = strlen(pat);
	if (pl && pat[pl - 1] == '*') {
		CHECK((s >= 0) == !strncmp(pat, path, pl - 1));
		CHECK(s < 200000);
	} else {
		CHECK((s >= 0) == !strcmp(pat, path));
		CHECK(s < 0 || s == 200000);
	}
out:
	free(path);
	free(pat);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_parser(data, size);
	fuzz_round_trip(data, size);
	fuzz_route_match(data, size);
	return 0;
}
