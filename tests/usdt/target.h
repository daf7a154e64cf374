/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The USDT test target (tests/usdt/): probes the tests in tests/test_usdt.c attach to. */
#ifndef WARDEN_USDT_TARGET_H
#define WARDEN_USDT_TARGET_H

/* target_sema.c: wdtest:sema, guarded by its semaphore as real programs do */
void wdtest_fire_sema(long i);
unsigned short wdtest_sema_count(void);
/* lib.c (libusdt_lib.so): wdlib:hit, unconditional, with a semaphore */
void wdlib_fire(long i);
unsigned short wdlib_sema_count(void);

#endif
