// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * usdt_target: the program tests/test_usdt.c traces.  It prints
 * "ready <pid>", then reads commands on stdin:
 *   fire N   fire every probe N times (i = 0 .. N-1), answer "fired N"
 *   sema     answer "sema <wdtest:sema count> <wdlib:hit count>"
 *   quit     (or EOF) exit
 * Probes: wdtest:args (argument forms written out: registers of 8, 16, 32
 * and 64 bits, memory with and without offset, a constant, a string
 * pointer), wdtest:simple (the compiler's own choice of forms), wdtest:multi
 * (three sites, two argument strings), wdtest:sema
 * (target_sema.c, behind a semaphore) and wdlib:hit (libusdt_lib.so).
 * Built as ET_EXEC (usdt_target) and as PIE (usdt_target_pie).
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/sdt.h>
#include "target.h"

struct rec {
	uint64_t a;    /* 0 */
	uint32_t b;    /* 8 */
	int32_t c;     /* 12 */
};

static const char msg[] = "hello usdt";

/* wdtest:args with every argument form spelled out, so the forms are known
 * whatever the compiler does: "-4@%eax 8@(%rdx) -4@12(%rdx) -2@$-7 8@%rsi
 * -1@%cl 2@%di 8@%r8 -4@-4(%r9)" (registers as the compiler picks them). */
__attribute__((noinline)) static void fire_args(long i)
{
	volatile struct rec r = { .a = 0x1122334455667700ULL + (uint64_t)i, .b = 7,
				  .c = -1000 - (int32_t)i };
	int neg = -1 - (int)i;
	signed char ch = (signed char)(-3 - i);
	unsigned short u16 = (unsigned short)(0xbee0 + i);
	const char *str = msg;
	__asm__ __volatile__(STAP_PROBE_ASM(wdtest, args,
			     -4@%[neg] 8@(%[p]) -4@12(%[p]) -2@$-7 8@%[str] -1@%[ch] 2@%[u16] 8@%[i] -4@-4(%[end]))
			     :: [neg] "r"(neg), [p] "r"(&r), [str] "r"(str), [ch] "r"(ch),
				[u16] "r"(u16), [i] "r"(i), [end] "r"((volatile char *)&r + 16)
			     : "memory");
}

/* wdtest:multi at three sites: the first and the third with the same
 * argument string (one spec for both), the second with another. */
__attribute__((noinline)) static void fire_multi(long i)
{
	__asm__ __volatile__(STAP_PROBE_ASM(wdtest, multi, 8@%[i] -4@$1) :: [i] "D"(i));
	__asm__ __volatile__(STAP_PROBE_ASM(wdtest, multi, 8@%[i] -4@$2) :: [i] "D"(i));
	__asm__ __volatile__(STAP_PROBE_ASM(wdtest, multi, 8@%[i] -4@$1) :: [i] "D"(i));
}

__attribute__((noinline)) static void fire_simple(long i)
{
	static long val = 4242;
	STAP_PROBE3(wdtest, simple, i, &val, msg);
}

int main(void)
{
	char line[64];
	long n;
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("ready %d\n", (int)getpid());
	while (fgets(line, sizeof(line), stdin)) {
		if (sscanf(line, "fire %ld", &n) == 1) {
			for (long i = 0; i < n; i++) {
				fire_args(i);
				fire_simple(i);
				fire_multi(i);
				wdtest_fire_sema(i);
				wdlib_fire(i);
			}
			printf("fired %ld\n", n);
		} else if (!strncmp(line, "sema", 4)) {
			printf("sema %u %u\n", wdtest_sema_count(), wdlib_sema_count());
		} else if (!strncmp(line, "quit", 4)) {
			break;
		}
	}
	return 0;
}
