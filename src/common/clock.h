/* clock.h - a clock's time in nanoseconds, for every layer. */
#ifndef EM_CLOCK_H
#define EM_CLOCK_H

#include <stdint.h>
#include <time.h>

/* CLOCK_REALTIME: row timestamps; CLOCK_MONOTONIC: bpf_ktime_get_ns()'s clock, durations. */
static inline uint64_t clock_ns(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

#endif
