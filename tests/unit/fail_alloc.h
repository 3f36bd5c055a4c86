/*
 * fail_alloc.h — a failing allocator for the allocation-failure suites
 * (test_*_oom.c), after sqlite's test_malloc and libuv's test-loop-oom.
 *
 * Include it once, in one test file: it replaces malloc, calloc, realloc
 * and free for the whole binary.  While `armed`, allocation number
 * `fail_at` (counted in `seen`) fails, unless `sparing` is set; `live`
 * counts blocks allocated and not yet freed while armed, so a test can
 * check that every failure path releases what it took.  Under the
 * sanitizers (which own malloc) OOM_SANITIZED is defined instead and the
 * suite skips itself.
 */
#ifndef XIO_TEST_FAIL_ALLOC_H
#define XIO_TEST_FAIL_ALLOC_H

#include <stddef.h>

#if defined(__SANITIZE_ADDRESS__)
#define OOM_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define OOM_SANITIZED 1
#endif
#endif

#ifndef OOM_SANITIZED
extern void *__libc_malloc(size_t n);
extern void *__libc_calloc(size_t n, size_t m);
extern void *__libc_realloc(void *p, size_t n);
extern void __libc_free(void *p);

/* Armed only around the code under test, so cmocka's own use is free. */
static int armed, sparing;
static long fail_at, seen, live;

/* Where an injected failure happens: a place for a debugger's breakpoint
 * ("break oom_hit if fail_at == N") when a run reports allocation N. */
__attribute__((noinline)) static void oom_hit(void)
{
	__asm__ volatile("");
}

static int should_fail(void)
{
	if (armed && !sparing && seen++ == fail_at) {
		oom_hit();
		return 1;
	}
	return 0;
}

void *malloc(size_t n)
{
	void *p = should_fail() ? NULL : __libc_malloc(n);

	if (p && armed)
		live++;
	return p;
}

void *calloc(size_t n, size_t m)
{
	void *p = should_fail() ? NULL : __libc_calloc(n, m);

	if (p && armed)
		live++;
	return p;
}

void *realloc(void *old, size_t n)
{
	void *p = should_fail() ? NULL : __libc_realloc(old, n);

	if (p && !old && armed)
		live++;
	return p;
}

void free(void *p)
{
	if (p && armed)
		live--;
	__libc_free(p);
}
#endif

#endif
