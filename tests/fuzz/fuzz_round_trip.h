/*
 * fuzz_round_trip.h — the engine-state check the engine fuzz targets share:
 * a consilium written to JSON, read back and written again must give the
 * same text.  Aborts (a finding for libFuzzer) otherwise.
 */
#ifndef XIO_FUZZ_ROUND_TRIP_H
#define XIO_FUZZ_ROUND_TRIP_H

#include <stdlib.h>
#include <string.h>

#include "engine.h"

static void fuzz_check_round_trip(const struct xio_consilium *c)
{
	struct xio_consilium *c2;
	struct xio_err err;
	char *j1 = xio_consilium_to_json(c), *j2;

	if (!j1)
		abort();
	c2 = xio_consilium_from_json(j1, &err);
	if (!c2)
		abort();
	j2 = xio_consilium_to_json(c2);
	if (!j2 || strcmp(j1, j2) != 0)
		abort();
	free(j1);
	free(j2);
	xio_consilium_free(c2);
}

#endif
