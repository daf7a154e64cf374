// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* libusdt_lib.so: a shared library with a USDT probe and a semaphore, so the
 * tests cover addresses relative to wherever the library is mapped. */
#define _SDT_HAS_SEMAPHORES 1
#include <sys/sdt.h>
#include "target.h"

unsigned short wdlib_hit_semaphore __attribute__((section(".probes"), used));

__attribute__((noinline)) void wdlib_fire(long i)
{
	/* unconditional: the probe fires whether or not anyone counts */
	STAP_PROBE2(wdlib, hit, i, i * 3);
	__asm__ __volatile__("" ::: "memory");
}

unsigned short wdlib_sema_count(void)
{
	return *(volatile unsigned short *)&wdlib_hit_semaphore;
}
