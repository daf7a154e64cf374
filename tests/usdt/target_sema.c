// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* wdtest:sema: a probe behind its semaphore, fired only while a tracer has
 * counted it up (the kernel through uprobe ref_ctr_offset, or warden through
 * /proc/PID/mem). */
#define _SDT_HAS_SEMAPHORES 1
#include <sys/sdt.h>
#include "target.h"

unsigned short wdtest_sema_semaphore __attribute__((section(".probes"), used));

__attribute__((noinline)) void wdtest_fire_sema(long i)
{
	if (*(volatile unsigned short *)&wdtest_sema_semaphore)
		STAP_PROBE1(wdtest, sema, i);
}

unsigned short wdtest_sema_count(void)
{
	return *(volatile unsigned short *)&wdtest_sema_semaphore;
}
