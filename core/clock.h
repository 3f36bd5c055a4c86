/*
 * clock.h — an injectable clock.
 *
 * The engine, the scheduler and the outbox never call time() themselves: they
 * ask a struct xio_clock, so tests can run weeks of reminders in milliseconds.
 */
#ifndef XIO_CLOCK_H
#define XIO_CLOCK_H

#include <stdint.h>

struct xio_clock {
	/* Milliseconds since the Unix epoch. */
	int64_t (*now_ms)(void *ud);
	void *ud;
};

/* The wall clock (CLOCK_REALTIME). */
extern const struct xio_clock xio_clock_system;

static inline int64_t xio_clock_now(const struct xio_clock *c)
{
	return c->now_ms(c->ud);
}

/* A manual clock for tests: now_ms returns *(int64_t *)ud. */
int64_t xio_clock_manual_now(void *ud);

/* Monotonic milliseconds, for measuring durations only. */
int64_t xio_clock_mono_ms(void);

/* The same in microseconds, for durations shorter than a millisecond. */
int64_t xio_clock_mono_us(void);

/* The wall clock (CLOCK_REALTIME) in microseconds: xio_clock_system's base,
 * for pacing finer than a millisecond. */
int64_t xio_clock_wall_us(void);

#endif
