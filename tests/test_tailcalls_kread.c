// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Tail-call issue 3 without /proc/kcore (group "doctor"): the fentry
 * trampoline is kernel text with no jited_prog_insns of its own, read from
 * /proc/kcore or, where that is missing (this host: CONFIG_PROC_KCORE off),
 * through a reader program run once with BPF_PROG_TEST_RUN.  The reader is
 * checked against bytes known by another way (a program's JIT image, which
 * BPF_OBJ_GET_INFO_BY_FD returns), then the whole issue-3 check is run with
 * the no-kcore path forced (WARDEN_NO_KCORE=1): it must decide, and decide
 * as /proc/kcore does where the kernel has both (the guests).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/bpf.h>
#include "harness.h"
#include "warden/bpf.h"
#include "warden/features.h"
#include "warden/tailcalls.h"

#define IMG 64

/* An XDP program's JIT image and its address; skips when either is hidden. */
static int jit_of_a_program(uint8_t *img, uint32_t *len, uint64_t *addr)
{
	const struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 2 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	struct wd_prog_load_args a = { .type = BPF_PROG_TYPE_XDP, .insns = insns, .insn_cnt = 2,
				       .license = "GPL", .name = "wd_kread_ref" };
	struct bpf_prog_info info = { 0 };
	uint32_t ilen = sizeof(info);
	uint64_t ksym = 0;
	int fd = wd_sys_prog_load(&a);
	assert_true(fd >= 0);
	assert_int_equal(wd_sys_obj_info(fd, &info, &ilen), 0);
	if (!info.jited_prog_len || !info.nr_jited_ksyms) {
		close(fd);
		return -ENOENT;
	}
	*len = info.jited_prog_len < IMG ? info.jited_prog_len : IMG;
	memset(&info, 0, sizeof(info));
	info.jited_prog_len = *len;
	info.jited_prog_insns = wd_ptr_to_u64(img);
	info.nr_jited_ksyms = 1;
	info.jited_ksyms = wd_ptr_to_u64(&ksym);
	ilen = sizeof(info);
	assert_int_equal(wd_sys_obj_info(fd, &info, &ilen), 0);
	*addr = ksym;
	return fd;
}

static void kernel_read_through_bpf_matches_a_jit_image(void **state)
{
	(void)state;
	uint8_t img[IMG] = { 0 }, got[IMG];
	uint32_t len = 0;
	uint64_t addr = 0;
	char why[200] = "";
	WD_REQUIRE(wd_probe_prog_type(BPF_PROG_TYPE_XDP), "XDP programs (the reference JIT image)");
	int fd = jit_of_a_program(img, &len, &addr), err;
	if (fd < 0)
		WD_SKIP("no JIT image to compare with (net.core.bpf_jit_enable=0?)");
	if (!addr) {
		close(fd);
		WD_SKIP("JIT addresses hidden (kernel.kptr_restrict)");
	}
	memset(got, 0xaa, sizeof(got));
	err = wd_tc_read_kernel(addr, got, len, WD_TC_READ_BPF, why, sizeof(why));
	if (err == -EINVAL && strstr(why, "need 5.10")) {
		close(fd);
		WD_SKIP("%s", why);
	}
	if (err)
		fail_msg("read 0x%llx: %s", (unsigned long long)addr, why);
	printf("# %u bytes at 0x%llx: %s\n", len, (unsigned long long)addr, why);
	assert_non_null(strstr(why, "bpf_probe_read_kernel"));
	assert_memory_equal(got, img, len);
	/* where the kernel has /proc/kcore, it reads the same bytes */
	memset(got, 0xaa, sizeof(got));
	if (!wd_tc_read_kernel(addr, got, len, WD_TC_READ_KCORE, why, sizeof(why)))
		assert_memory_equal(got, img, len);
	close(fd);
}

static void kernel_read_errors_name_the_cause(void **state)
{
	(void)state;
	uint8_t buf[IMG];
	char why[200] = "";
	/* a user-space address is no kernel text: the helper refuses it */
	assert_true(wd_tc_read_kernel(0x1000, buf, 16, WD_TC_READ_BPF, why, sizeof(why)) < 0);
	printf("# %s\n", why);
	assert_non_null(strstr(why, "bpf_probe_read_kernel"));
	assert_true(wd_tc_read_kernel(0x1000, buf, 0, WD_TC_READ_BPF, why, sizeof(why)) == -EINVAL);
	assert_true(wd_tc_read_kernel(0x1000, buf, 4096, WD_TC_READ_BPF, why, sizeof(why)) == -EINVAL);
	assert_non_null(strstr(why, "1..256"));
	if (access("/proc/kcore", F_OK) == 0)
		return;
	/* no /proc/kcore here: asked for it, the error names it; AUTO falls back */
	assert_int_equal(wd_tc_read_kernel(0x1000, buf, 16, WD_TC_READ_KCORE, why, sizeof(why)),
			 -ENOENT);
	assert_non_null(strstr(why, "/proc/kcore"));
	assert_true(wd_tc_read_kernel(0x1000, buf, 16, WD_TC_READ_AUTO, why, sizeof(why)) < 0);
	assert_non_null(strstr(why, "bpf_probe_read_kernel"));
}

static const struct wd_tc_result *issue3(struct wd_tc_result *res)
{
	assert_int_equal(wd_tailcalls_detect(res), 0);
	return &res[WD_TC_TRAMPOLINE_LOOP];
}

static void trampoline_check_decides_without_kcore(void **state)
{
	(void)state;
	struct wd_tc_result res[WD_TC__COUNT], with[WD_TC__COUNT];
	const struct wd_tc_result *r;
	char *old = getenv("WARDEN_NO_KCORE") ? strdup(getenv("WARDEN_NO_KCORE")) : NULL;
	setenv("WARDEN_NO_KCORE", "1", 1);
	r = issue3(res);
	if (old)
		setenv("WARDEN_NO_KCORE", old, 1);
	else
		unsetenv("WARDEN_NO_KCORE");
	free(old);
	printf("# issue 3 without kcore: %s | %s\n", wd_tc_state_name(r->state), r->evidence);
	if (r->state == WD_TC_NOT_EXISTS)
		WD_SKIP("no tail calls from subprograms here: %s", r->evidence);
	if (r->state == WD_TC_CANNOT_DETECT && !strstr(r->evidence, "not readable"))
		WD_SKIP("the trampoline is not reached here (%s): the read runs in the guests",
			r->evidence);
	if (r->state == WD_TC_CANNOT_DETECT)
		fail_msg("trampoline image not read without /proc/kcore: %s", r->evidence);
	assert_non_null(strstr(r->evidence, "bpf_probe_read_kernel"));
	assert_non_null(strstr(r->evidence, "WARDEN_NO_KCORE"));
	/* with /proc/kcore (or the automatic fallback) the verdict is the same */
	r = issue3(with);
	printf("# issue 3 default:      %s | %s\n", wd_tc_state_name(r->state), r->evidence);
	assert_int_equal(r->state, res[WD_TC_TRAMPOLINE_LOOP].state);
}

static const struct CMUnitTest tailcalls_kread_tests[] = {
	cmocka_unit_test(kernel_read_through_bpf_matches_a_jit_image),
	cmocka_unit_test(kernel_read_errors_name_the_cause),
	cmocka_unit_test(trampoline_check_decides_without_kcore),
};

WD_TEST_SET(tailcalls_kread_set, "doctor", tailcalls_kread_tests);
