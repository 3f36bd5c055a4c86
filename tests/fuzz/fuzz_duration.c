/*
 * fuzz_duration.c — arbitrary text through the follow-up time parsers:
 * xio_sched_parse_when ("2d", "until Monday", "через 3 часа"), the task due
 * parser xio_sched_due_ms and the quiet-hours spec.  The first byte picks
 * the zone and shifts "now" across DST changes and year ends.  A parsed time
 * must lie within ten years of now and format cleanly.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "scheduler.h"

static const char *const zones[] = { "UTC", "Europe/Berlin", "America/New_York",
				      "Australia/Sydney", "+05:30", "Europe/Moscow" };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct xio_tz *tz;
	char *text, buf[40];
	int64_t now = 1764151200000LL; /* 2025-11-26T10:00Z */
	int64_t at = 0, ms;
	int qs, qe;

	if (size > 4096)
		return 0;
	if (size > 0)
		now += (int64_t)(data[0] % 64) * 86400000LL * 6 + (int64_t)(data[0] >> 6) * 3600000LL * 7;
	tz = xio_tz_new(size ? zones[data[0] % (sizeof(zones) / sizeof(zones[0]))] : NULL, NULL);
	if (!tz)
		return 0;
	text = malloc(size + 1);
	if (!text) {
		xio_tz_free(tz);
		return 0;
	}
	memcpy(text, data, size);
	text[size] = '\0';
	if (xio_sched_parse_when(size ? text + 1 : text, now, tz, &at) == 1) {
		/* an explicit date may be past (the command refuses it); a
		 * duration is ahead; nothing is more than ten years away */
		if (at < now - 3661LL * 86400000LL || at > now + 3661LL * 86400000LL)
			abort();
		xio_sched_format_local(tz, at, buf, sizeof(buf));
		if (strlen(buf) != 16)
			abort();
	}
	if (xio_sched_due_ms(text, tz, &ms) == 0)
		xio_sched_format_local(tz, ms, buf, sizeof(buf));
	if (xio_sched_quiet_parse(text, &qs, &qe, NULL) == 0 && qs >= 0) {
		if (qs >= 1440 || qe >= 1440)
			abort();
		if (xio_sched_quiet_end(tz, qs, qe, now) < now)
			abort();
	}
	free(text);
	xio_tz_free(tz);
	return 0;
}
