/*
 * fuzz_dates.c — arbitrary text through xio_dates_find_tz and
 * xio_due_format.  The first byte picks the zone and shifts "now" so that
 * month ends, DST changes and year ends are all reached.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dates.h"

static const char *const zones[] = { "UTC", "Europe/Moscow", "America/New_York",
				      "Australia/Sydney", "+05:30", "Asia/Kolkata" };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct xio_tz *tz;
	struct xio_due d;
	size_t s = 0, l = 0;
	int64_t now = 1764151200000LL; /* 2025-11-26T10:00Z */
	char buf[64];
	int rc;

	if (size > 0) {
		now += (int64_t)(data[0] % 64) * 86400000LL * 6 + (int64_t)(data[0] >> 6) * 3600000LL * 7;
		tz = xio_tz_new(zones[data[0] % (sizeof(zones) / sizeof(zones[0]))], NULL);
	} else {
		tz = xio_tz_new(NULL, NULL);
	}
	if (!tz)
		return 0;
	rc = xio_dates_find_tz((const char *)data, size, now, tz, &d, &s, &l);
	if (rc == 1) {
		if (s > size || l > size - s)
			abort();
		if (xio_due_format(&d, buf, sizeof(buf)) <= 0)
			abort();
		if (d.month < 1 || d.month > 12 || d.day < 1 || d.day > 31 || d.hour > 23 ||
		    d.minute > 59)
			abort();
	}
	xio_tz_free(tz);
	return 0;
}
