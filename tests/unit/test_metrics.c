/*
 * test_metrics.c — the registry renders text that an independent parser of
 * the exposition format (prom_parse.h) accepts and reads back exactly.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <math.h>
#include <string.h>
#include <time.h>

#include "metrics.h"
#include "prom_parse.h"

/* Renders m and parses it back; fails the test with the parser's message. */
static void render_parse(struct xio_metrics *m, struct prom_doc *doc,
			 struct xio_buf *text)
{
	xio_buf_init(text, 0);
	assert_int_equal(xio_metrics_render(m, text), 0);
	if (prom_parse(text->data ? text->data : "", text->len, doc) ||
	    prom_check(doc)) {
		print_error("%s\n--- text ---\n%s", doc->err,
			    text->data ? text->data : "");
		fail();
	}
}

static void test_counter_gauge_labels(void **state)
{
	struct xio_metrics *m = xio_metrics_new();
	struct xio_counter *c1, *c2, *again;
	struct xio_gauge *g;
	struct prom_doc doc;
	struct xio_buf text;

	(void)state;
	assert_non_null(m);
	c1 = xio_metrics_counter(m, "xio_outbox_sent_total", "Effects sent.",
				 "kind", "post", "adapter", "slack", NULL);
	c2 = xio_metrics_counter(m, "xio_outbox_sent_total", "Effects sent.",
				 "kind", "post", "adapter", "telegram", NULL);
	again = xio_metrics_counter(m, "xio_outbox_sent_total", "ignored",
				    "kind", "post", "adapter", "slack", NULL);
	assert_non_null(c1);
	assert_non_null(c2);
	assert_ptr_equal(c1, again);
	assert_int_equal(xio_counter_add(c1, 2), 0);
	assert_int_equal(xio_counter_add(c1, 0.5), 0);
	assert_int_equal(xio_counter_add(c1, -1), XIO_EINVAL);
	assert_int_equal(xio_counter_add(c2, 7), 0);
	g = xio_metrics_gauge(m, "xio_consiliums_active", "Live consiliums.",
			      NULL);
	xio_gauge_set(g, 5);
	xio_gauge_add(g, -2);
	assert_true(xio_gauge_value(g) == 3);

	render_parse(m, &doc, &text);
	assert_int_equal(doc.nfams, 2);
	assert_string_equal(doc.fams[0].name, "xio_outbox_sent_total");
	assert_int_equal(doc.fams[0].type, PROM_COUNTER);
	assert_string_equal(doc.fams[0].help, "Effects sent.");
	assert_int_equal(doc.fams[1].type, PROM_GAUGE);
	assert_true(prom_get(&doc, "xio_outbox_sent_total", "kind", "post",
			     "adapter", "slack", NULL) == 2.5);
	assert_true(prom_get(&doc, "xio_outbox_sent_total", "kind", "post",
			     "adapter", "telegram", NULL) == 7);
	assert_true(prom_get(&doc, "xio_consiliums_active", NULL) == 3);
	/* HELP and TYPE once per family, not per series. */
	assert_non_null(strstr(text.data, "# TYPE xio_outbox_sent_total counter\n"
				       "xio_outbox_sent_total{kind=\"post\""));
	assert_null(strstr(strstr(text.data, "# TYPE xio_outbox_sent_total") + 1,
			   "# TYPE xio_outbox_sent_total"));
	prom_doc_release(&doc);
	xio_buf_release(&text);
	xio_metrics_free(m);
}

static void test_escaping_round_trip(void **state)
{
	static const char *const values[] = {
		"plain", "back\\slash", "quote\"d", "new\nline",
		"all\\\"\n\\n mixed", "", "trailing\\", "utf-8 \xd0\xbf\xd1\x80",
	};
	struct xio_metrics *m = xio_metrics_new();
	struct prom_doc doc;
	struct xio_buf text;
	size_t i;

	(void)state;
	for (i = 0; i < XIO_ARRAY_LEN(values); i++)
		xio_counter_add(xio_metrics_counter(m, "xio_escape_total",
						    "Help with \\ and\nnewline.",
						    "v", values[i], NULL),
				(double)i + 1);
	render_parse(m, &doc, &text);
	assert_string_equal(doc.fams[0].help, "Help with \\ and\nnewline.");
	for (i = 0; i < XIO_ARRAY_LEN(values); i++)
		assert_true(prom_get(&doc, "xio_escape_total", "v", values[i],
				     NULL) == (double)i + 1);
	/* Each series on one line: the newline must not survive raw. */
	assert_null(strstr(text.data, "new\nline"));
	prom_doc_release(&doc);
	xio_buf_release(&text);
	xio_metrics_free(m);
}

static void test_histogram(void **state)
{
	static const double bounds[] = { 0.005, 0.1, 0.5, 1, 10 };
	static const double obs[] = { 0.001, 0.1, 0.2, 0.7, 3, 100, 0.1, 42 };
	struct xio_metrics *m = xio_metrics_new();
	struct xio_histogram *h, *h2;
	struct prom_doc doc;
	struct xio_buf text;
	double sum = 0;
	size_t i;

	(void)state;
	h = xio_metrics_histogram(m, "xio_http_request_seconds", "Latency.",
				  bounds, XIO_ARRAY_LEN(bounds), "route",
				  "/slack/events", NULL);
	h2 = xio_metrics_histogram(m, "xio_http_request_seconds", "Latency.",
				   bounds, XIO_ARRAY_LEN(bounds), "route",
				   "/healthz", NULL);
	assert_non_null(h);
	assert_non_null(h2);
	for (i = 0; i < XIO_ARRAY_LEN(obs); i++) {
		xio_histogram_observe(h, obs[i]);
		sum += obs[i];
	}
	render_parse(m, &doc, &text);
	/* le is inclusive: 0.1 falls into the 0.1 bucket. */
	assert_true(prom_get(&doc, "xio_http_request_seconds_bucket", "route",
			     "/slack/events", "le", "0.005", NULL) == 1);
	assert_true(prom_get(&doc, "xio_http_request_seconds_bucket", "route",
			     "/slack/events", "le", "0.1", NULL) == 3);
	assert_true(prom_get(&doc, "xio_http_request_seconds_bucket", "route",
			     "/slack/events", "le", "10", NULL) == 6);
	assert_true(prom_get(&doc, "xio_http_request_seconds_bucket", "route",
			     "/slack/events", "le", "+Inf", NULL) == 8);
	assert_true(prom_get(&doc, "xio_http_request_seconds_count", "route",
			     "/slack/events", NULL) == 8);
	assert_true(fabs(prom_get(&doc, "xio_http_request_seconds_sum", "route",
				  "/slack/events", NULL) - sum) < 1e-9);
	assert_true(prom_get(&doc, "xio_http_request_seconds_count", "route",
			     "/healthz", NULL) == 0);
	prom_doc_release(&doc);
	xio_buf_release(&text);
	xio_metrics_free(m);
}

static void test_registration_errors(void **state)
{
	static const double bad[] = { 1, 1 };
	static const double ok[] = { 1, 2 };
	struct xio_metrics *m = xio_metrics_new();

	(void)state;
	assert_true(xio_metrics_name_valid("a:b_c9"));
	assert_false(xio_metrics_name_valid("9abc"));
	assert_false(xio_metrics_name_valid("a-b"));
	assert_false(xio_metrics_name_valid(""));
	assert_null(xio_metrics_counter(m, "bad-name", "h", NULL));
	assert_non_null(strstr(xio_metrics_last_error(m), "bad-name"));
	assert_null(xio_metrics_counter(m, "x_total", "h", "9l", "v", NULL));
	assert_null(xio_metrics_counter(m, "x_total", "h", "__res", "v", NULL));
	assert_null(xio_metrics_counter(m, "x_total", "h", "a", NULL, NULL));
	assert_null(xio_metrics_counter(m, "x_total", "h", "a", "1", "a", "2",
					NULL));
	assert_non_null(xio_metrics_counter(m, "x_total", "h", "a", "1", NULL));
	/* Same name, other type or other label names. */
	assert_null(xio_metrics_gauge(m, "x_total", "h", "a", "1", NULL));
	assert_non_null(strstr(xio_metrics_last_error(m), "counter"));
	assert_null(xio_metrics_counter(m, "x_total", "h", "b", "1", NULL));
	assert_null(xio_metrics_histogram(m, "h_seconds", "h", bad, 2, NULL));
	assert_null(xio_metrics_histogram(m, "h_seconds", "h", ok, 2, "le",
					  "x", NULL));
	assert_non_null(xio_metrics_histogram(m, "h_seconds", "h", ok, 2, NULL));
	assert_null(xio_metrics_histogram(m, "h_seconds", "h", ok, 1, NULL));
	/* Would collide with the histogram's own samples. */
	assert_null(xio_metrics_counter(m, "h_seconds_count", "h", NULL));
	/* NULL handles are harmless. */
	assert_int_equal(xio_counter_add(NULL, 1), 0);
	xio_gauge_set(NULL, 1);
	xio_histogram_observe(NULL, 1);
	xio_metrics_free(m);
	xio_metrics_free(NULL);
}

static void test_values_and_process(void **state)
{
	struct xio_metrics *m = xio_metrics_new();
	struct prom_doc doc;
	struct xio_buf text;
	struct xio_err err;
	double start;

	(void)state;
	xio_gauge_set(xio_metrics_gauge(m, "g_inf", "h", NULL), INFINITY);
	xio_gauge_set(xio_metrics_gauge(m, "g_ninf", "h", NULL), -INFINITY);
	xio_gauge_set(xio_metrics_gauge(m, "g_nan", "h", NULL), NAN);
	xio_gauge_set(xio_metrics_gauge(m, "g_tenth", "h", NULL), 0.1);
	xio_gauge_set(xio_metrics_gauge(m, "g_big", "h", NULL), 1e300);
	xio_gauge_set(xio_metrics_gauge(m, "g_third", "h", NULL), 1.0 / 3);
	assert_int_equal(xio_metrics_add_process_collector(m, &err), 0);
	render_parse(m, &doc, &text);
	assert_non_null(strstr(text.data, "g_inf +Inf\n"));
	assert_non_null(strstr(text.data, "g_ninf -Inf\n"));
	assert_non_null(strstr(text.data, "g_nan NaN\n"));
	assert_non_null(strstr(text.data, "g_tenth 0.1\n"));
	assert_true(prom_get(&doc, "g_third", NULL) == 1.0 / 3);
	assert_true(prom_get(&doc, "g_big", NULL) == 1e300);
	assert_true(prom_get(&doc, "xio_process_resident_memory_bytes", NULL) >
		    1024 * 1024);
	start = prom_get(&doc, "xio_process_start_time_seconds", NULL);
	assert_true(start > (double)time(NULL) - 3600 &&
		    start <= (double)time(NULL) + 1);
	prom_doc_release(&doc);
	xio_buf_release(&text);
	xio_metrics_free(m);
}

/* The checker itself must catch what it claims to catch. */
static void test_parser_rejects(void **state)
{
	static const char *const bad[] = {
		"x 1\n",                                      /* no TYPE */
		"x 1\n# TYPE x gauge\n",                      /* TYPE late */
		"# TYPE x gauge\n# TYPE x gauge\nx 1\n",      /* TYPE twice */
		"# TYPE x gauge\nx{a=\"\\q\"} 1\n",           /* bad escape */
		"# TYPE x gauge\nx{a=\"1\",a=\"2\"} 1\n",     /* dup label */
		"# TYPE x gauge\nx one\n",                    /* bad value */
		"# TYPE x gauge\nx 1",                        /* no final \n */
		"# TYPE x gauge\n# TYPE y gauge\nx 1\ny 1\nx 2\n", /* split */
		"# TYPE h histogram\nh_bucket{le=\"1\"} 2\nh_bucket{le=\"+Inf\"} 1\n"
		"h_sum 1\nh_count 1\n",                       /* not cumulative */
		"# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_bucket{le=\"+Inf\"} 2\n"
		"h_sum 1\nh_count 3\n",                       /* +Inf != count */
		"# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_sum 1\nh_count 1\n",
		"# TYPE c counter\nc -1\n",
	};
	struct prom_doc doc;
	size_t i;
	int rc;

	(void)state;
	for (i = 0; i < XIO_ARRAY_LEN(bad); i++) {
		rc = prom_parse(bad[i], strlen(bad[i]), &doc);
		if (!rc)
			rc = prom_check(&doc);
		if (rc == 0)
			print_error("accepted bad input %zu:\n%s", i, bad[i]);
		assert_int_equal(rc, -1);
		prom_doc_release(&doc);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_counter_gauge_labels),
		cmocka_unit_test(test_escaping_round_trip),
		cmocka_unit_test(test_histogram),
		cmocka_unit_test(test_registration_errors),
		cmocka_unit_test(test_values_and_process),
		cmocka_unit_test(test_parser_rejects),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
