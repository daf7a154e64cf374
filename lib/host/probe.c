// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Feature probes (see warden/features.h).  Each probe builds the smallest
 * object that exercises one kernel feature and reads the kernel's answer:
 * success -> 1, EINVAL/E2BIG before the verifier ran -> 0, EPERM -> -EPERM
 * ("refused", not "missing"), anything else -> -errno (cannot decide).
 *
 * Generic questions ("can I load BPF", "global data", "prog_name") load a
 * TRACEPOINT program, or KPROBE, never SOCKET_FILTER first: RHEL/CentOS 7
 * (3.10 + back-ported BPF) answers EINVAL to BPF_PROG_LOAD of every type but
 * KPROBE, TRACEPOINT and PERF_EVENT (libbpf PRs #230, #320, #384, #568).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <linux/btf.h>
#include "kconfig.h"
#include "probe.h"
#include "spec/btf.h"
#include "sys/error.h"
#include "sys/sys.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define LOG_SIZE 4096

/* ---- cache ------------------------------------------------------------ */

/* A slot holds result + CACHE_BIAS, 0 = not probed yet.  Results are 1, 0 or
 * -errno (>= -4095).  Races between threads are benign: both compute the
 * same answer; the atomics only keep the accesses well defined. */
#define CACHE_BIAS 4096
#define PROG_CACHE_N 64
#define MAP_CACHE_N 64
#define HELPER_CACHE_N 256
#define BTF_KIND_CACHE_N 21 /* BTF_KIND_* 0..19, then WD_BTF_FUNC_GLOBAL */

enum scalar_feature {
	F_BPF, F_BTF, F_KERN_BTF, F_PROG_NAME, F_GLOBAL_DATA, F_MMAPABLE,
	F_BATCH, F_COOKIE, F__COUNT
};

static int16_t cache_scalar[F__COUNT];
static int16_t cache_prog[PROG_CACHE_N];
static int16_t cache_map[MAP_CACHE_N];
static int16_t cache_helper[PROG_CACHE_N][HELPER_CACHE_N];
static int16_t cache_btf_kind[BTF_KIND_CACHE_N];
static int16_t cache_link[WD_LINK__COUNT];
static int16_t cache_base_type;

static bool cache_get(const int16_t *slot, int *out)
{
	int v = __atomic_load_n(slot, __ATOMIC_RELAXED);

	if (!v)
		return false;
	*out = v - CACHE_BIAS;
	return true;
}

static int cache_put(int16_t *slot, int r)
{
	if (r < -4095)
		r = -EINVAL;
	__atomic_store_n(slot, (int16_t)(r + CACHE_BIAS), __ATOMIC_RELAXED);
	return r;
}

void wd_probe_reset_cache(void)
{
	memset(cache_scalar, 0, sizeof(cache_scalar));
	memset(cache_prog, 0, sizeof(cache_prog));
	memset(cache_map, 0, sizeof(cache_map));
	memset(cache_helper, 0, sizeof(cache_helper));
	memset(cache_btf_kind, 0, sizeof(cache_btf_kind));
	memset(cache_link, 0, sizeof(cache_link));
	cache_base_type = 0;
}

/* Run fn once per slot; NULL slot (argument out of the cache's range): run
 * every time. */
#define CACHED(slot, expr)                                        \
	do {                                                      \
		int16_t *slot_ = (slot);                          \
		int r_;                                           \
		if (slot_ && cache_get(slot_, &r_))               \
			return r_;                                \
		r_ = (expr);                                      \
		return slot_ ? cache_put(slot_, r_) : r_;         \
	} while (0)

const char *wd_probe_result_str(int r)
{
	static _Thread_local char buf[64];

	if (r == 1)
		return "yes";
	if (r == 0)
		return "no";
	/* EPERM is privilege or policy: this host refuses trampolines to root
	 * holding CAP_BPF and CAP_SYS_ADMIN (issue 13), so never only "privilege" */
	if (r == -EPERM)
		return "refused (EPERM: no privilege, or lockdown/LSM policy)";
	snprintf(buf, sizeof(buf), "unknown (%s)", strerror(-r));
	return buf;
}

/* Names for debug lines, never NULL. */
static const char *ptname(unsigned int type)
{
	const char *n = wd_prog_type_name(type);

	return n ? n : "(unknown)";
}

static const char *mtname(unsigned int type)
{
	const char *n = wd_map_type_name(type);

	return n ? n : "(unknown)";
}

/* ---- instructions ------------------------------------------------------ */

#define INSN(c, d, s, o, i) \
	((struct bpf_insn){ .code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i) })
#define MOV64_IMM(d, i)   INSN(BPF_ALU64 | BPF_MOV | BPF_K, d, 0, 0, i)
#define EXIT_INSN()       INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)
#define CALL_HELPER(id)   INSN(BPF_JMP | BPF_CALL, 0, 0, 0, id)
#define ST_MEM_DW(d, o, i) INSN(BPF_ST | BPF_MEM | BPF_DW, d, 0, o, i)
#define LD_MAP_VALUE(d, fd, o) \
	INSN(BPF_LD | BPF_DW | BPF_IMM, d, BPF_PSEUDO_MAP_VALUE, 0, fd), INSN(0, 0, 0, 0, o)

static const struct bpf_insn ret0_insns[] = { MOV64_IMM(0, 0), EXIT_INSN() };

/* ---- loading a minimal program ------------------------------------------ */

/* What a program type needs beyond `r0 = 0; exit` to get past
 * bpf_prog_load_check_attach() and into the verifier. */
struct prog_req {
	uint32_t expected_attach_type;
	uint32_t prog_flags;
	const char *btf_func;   /* attach_btf_id = this vmlinux function */
	bool kern_version;
};

static struct prog_req prog_req(unsigned int type)
{
	struct prog_req r = { 0 };

	switch (type) {
	case BPF_PROG_TYPE_KPROBE:
		/* 4.1 - 4.20 compare kern_version with LINUX_VERSION_CODE;
		 * dropped in 5.0 (commit 6c4fc209fcf9). */
		r.kern_version = true;
		break;
	case BPF_PROG_TYPE_CGROUP_SOCK_ADDR:
		r.expected_attach_type = BPF_CGROUP_INET4_CONNECT;
		break;
	case BPF_PROG_TYPE_CGROUP_SOCKOPT:
		r.expected_attach_type = BPF_CGROUP_GETSOCKOPT;
		break;
	case BPF_PROG_TYPE_SK_LOOKUP:
		r.expected_attach_type = BPF_SK_LOOKUP;
		break;
	case BPF_PROG_TYPE_LIRC_MODE2:
		r.expected_attach_type = BPF_LIRC_MODE2;
		break;
	case BPF_PROG_TYPE_TRACING:
		r.expected_attach_type = BPF_TRACE_FENTRY;
		r.btf_func = "bpf_fentry_test1"; /* net/bpf/test_run.c, made to be traced */
		break;
	case BPF_PROG_TYPE_LSM:
		r.expected_attach_type = BPF_LSM_MAC;
		r.btf_func = "bpf_lsm_file_open";
		break;
	case BPF_PROG_TYPE_EXT:
		/* No target program: a kernel that knows EXT says "Cannot
		 * replace kernel functions" from the verifier. */
		r.btf_func = "bpf_fentry_test1";
		break;
	case BPF_PROG_TYPE_SYSCALL:
		r.prog_flags = BPF_F_SLEEPABLE; /* 5.14: syscall programs must be sleepable */
		break;
	case WD_PROG_TYPE_NETFILTER:
		r.expected_attach_type = WD_ATTACH_NETFILTER;
		break;
	default:
		break;
	}
	return r;
}

/* No kernel BTF function to attach to: load without attach_btf_id.  A kernel
 * that does not know the type answers EINVAL before the verifier (0); one
 * that does rejects the missing btf_id, and whether the type would work with
 * kernel BTF cannot be told: -EOPNOTSUPP. */
static int no_btf_load(unsigned int type, struct prog_req req)
{
	char log[LOG_SIZE] = "";
	struct wd_prog_load_args a = {
		.type = type, .expected_attach_type = req.expected_attach_type,
		.prog_flags = req.prog_flags, .insns = ret0_insns,
		.insn_cnt = sizeof(ret0_insns) / sizeof(ret0_insns[0]), .license = "GPL",
		.log_buf = log, .log_size = sizeof(log), .log_level = 1,
	};
	int fd = wd_sys_prog_load(&a);

	if (fd >= 0)
		close(fd); /* should not happen: the kernel wants a btf_id */
	if ((fd == -EINVAL || fd == -E2BIG) && !log[0])
		return -EINVAL;
	return fd == -EPERM ? -EPERM : -EOPNOTSUPP;
}

/* Load insns as `type` with what the type requires.  Returns the fd or
 * -errno; the verifier log (level 1) lands in log when given. */
static int load_minimal(unsigned int type, const struct bpf_insn *insns, uint32_t cnt,
			const char *name, char *log, uint32_t log_size)
{
	struct prog_req req = prog_req(type);
	struct wd_prog_load_args a = { 0 };

	if (log)
		log[0] = '\0';
	if (req.btf_func) {
		int id = wd_probe_kern_btf_func_id(req.btf_func);
		if (id < 0) {
			wd_debug("probe: prog type %s needs kernel BTF function '%s': %s",
				 ptname(type), req.btf_func, strerror(-id));
			return no_btf_load(type, req);
		}
		a.attach_btf_id = (uint32_t)id;
	}
	a.type = type;
	a.expected_attach_type = req.expected_attach_type;
	a.prog_flags = req.prog_flags;
	a.kern_version = req.kern_version ? wd_kernel_version_code() : 0;
	a.insns = insns;
	a.insn_cnt = cnt;
	a.license = "GPL";
	a.name = name;
	if (log) {
		a.log_buf = log;
		a.log_size = log_size;
		a.log_level = 1;
	}
	return wd_sys_prog_load(&a);
}

static int close_ok(int fd)
{
	close(fd);
	return 1;
}

/* An fd: the feature exists (1).  EPERM/EACCES: no privilege, cannot decide
 * (-EPERM).  EINVAL/E2BIG: the kernel does not know the request (0): an
 * unknown BTF kind is "Invalid kind", a command it lacks EINVAL, a field it
 * does not know E2BIG. */
static int judge_simple(int ret, const char *what)
{
	if (ret >= 0)
		return close_ok(ret);
	wd_debug("probe: %s: %s", what, strerror(-ret));
	if (ret == -EPERM || ret == -EACCES)
		return -EPERM;
	return ret == -EINVAL || ret == -E2BIG ? 0 : ret;
}

/* As judge_simple, and EOPNOTSUPP/ENOTSUPP are "not here" too: the kernel
 * knows the request but was built without it (kprobe_multi without
 * CONFIG_FPROBE), or the map type has no such operation. */
static int judge_unsupported(int ret, const char *what)
{
	if (ret == -EOPNOTSUPP || ret == -WD_ENOTSUPP) {
		wd_debug("probe: %s: %s", what, strerror(-ret));
		return 0;
	}
	return judge_simple(ret, what);
}

/* ---- program types ------------------------------------------------------- */

static int probe_prog_type(unsigned int type)
{
	char log[LOG_SIZE] = ""; /* zeroed: see probe_helper() */
	int ret = load_minimal(type, ret0_insns, ARRAY_SIZE(ret0_insns), NULL, log, sizeof(log));

	if (ret >= 0)
		return close_ok(ret);
	if (ret == -EOPNOTSUPP && prog_req(type).btf_func)
		return ret; /* no kernel BTF: cannot decide */
	/* The verifier ran (it wrote the log): the kernel knows the type. */
	if (log[0])
		return 1;
	/* Struct_ops without attach_btf_id: -ENOTSUPP from the verifier, whose
	 * log may stay empty before 5.2's "processed N insns" line. */
	if (type == BPF_PROG_TYPE_STRUCT_OPS && ret == -WD_ENOTSUPP)
		return 1;
	if (ret == -EPERM || ret == -EACCES) {
		wd_debug("probe: prog type %s refused (%s): cannot decide",
			 ptname(type), strerror(-ret));
		return -EPERM;
	}
	/* Unknown type: EINVAL from find_prog_type(); fields the kernel does
	 * not know (attach_btf_id before 5.5): E2BIG. */
	if (ret == -EINVAL || ret == -E2BIG)
		return 0;
	wd_debug("probe: prog type %s: unexpected %s", ptname(type), strerror(-ret));
	return ret;
}

int wd_probe_prog_type(unsigned int type)
{
	CACHED(type < PROG_CACHE_N ? &cache_prog[type] : NULL, probe_prog_type(type));
}

static int probe_base_type(void)
{
	/* SOCKET_FILTER last: only a kernel without CONFIG_BPF_EVENTS lacks
	 * both tracing types, and RHEL 7 refuses SOCKET_FILTER. */
	static const unsigned int order[] = {
		BPF_PROG_TYPE_TRACEPOINT, BPF_PROG_TYPE_KPROBE, BPF_PROG_TYPE_SOCKET_FILTER,
	};
	int last = 0;

	for (size_t i = 0; i < ARRAY_SIZE(order); i++) {
		int fd = load_minimal(order[i], ret0_insns, ARRAY_SIZE(ret0_insns), NULL, NULL, 0);
		if (fd >= 0) {
			close(fd);
			if (i)
				wd_debug("probe: %s programs refused, using %s for generic probes",
					 ptname(order[0]), ptname(order[i]));
			return (int)order[i];
		}
		wd_debug("probe: trivial %s program: %s", ptname(order[i]),
			 strerror(-fd));
		if (fd == -EPERM || fd == -EACCES)
			return -EPERM; /* privilege, not the type: trying others is moot */
		last = fd;
	}
	return last == -EINVAL ? 0 : last;
}

int wd_probe_base_prog_type(void)
{
	CACHED(&cache_base_type, probe_base_type());
}

int wd_probe_bpf(void)
{
	int t = wd_probe_base_prog_type();

	return t > 0 ? 1 : t;
}

/* ---- helpers ------------------------------------------------------------- */

static bool log_says_unknown_helper(const char *log)
{
	/* "invalid func unknown#181": id unknown to this kernel;
	 * "unknown func bpf_sys_bpf#166": known, not for this type (< 6.14?);
	 * "program of this type cannot use helper bpf_sys_bpf#166": same, newer. */
	return strstr(log, "invalid func ") || strstr(log, "unknown func ") ||
	       strstr(log, "program of this type cannot use helper ");
}

static int probe_helper(unsigned int type, unsigned int id)
{
	const struct bpf_insn insns[] = { CALL_HELPER((int32_t)id), MOV64_IMM(0, 0), EXIT_INSN() };
	/* zeroed: valgrind does not see a failing bpf(2) fill the log */
	char log[LOG_SIZE] = "";
	int r = wd_probe_prog_type(type);

	if (r <= 0)
		return r; /* no such program type: no helper for it either */
	if (type == BPF_PROG_TYPE_EXT || type == BPF_PROG_TYPE_STRUCT_OPS)
		return -EOPNOTSUPP; /* cannot load stand-alone */
	r = load_minimal(type, insns, ARRAY_SIZE(insns), NULL, log, sizeof(log));
	if (r >= 0)
		return close_ok(r);
	if (log_says_unknown_helper(log))
		return 0;
	if (!log[0]) {
		wd_debug("probe: helper %u for %s: %s before the verifier ran", id,
			 ptname(type), strerror(-r));
		return r == -EACCES ? -EPERM : r;
	}
	/* Rejected for its arguments ("R1 type=ctx expected=map_ptr"): the
	 * verifier knew the helper and allowed it for the type. */
	return 1;
}

int wd_probe_helper(unsigned int type, unsigned int id)
{
	int16_t *slot = type < PROG_CACHE_N && id < HELPER_CACHE_N ? &cache_helper[type][id] : NULL;

	CACHED(slot, probe_helper(type, id));
}

/* ---- raw BTF -------------------------------------------------------------- */

#define BTF_INFO(kind, kflag, vlen) (((uint32_t)(kflag) << 31) | ((uint32_t)(kind) << 24) | (vlen))
#define BTF_INT_TYPE(name) (name), BTF_INFO(BTF_KIND_INT, 0, 0), 4, BTF_INT_ENC(BTF_INT_SIGNED, 0, 32)

/* Load types + strings as a BTF blob.  Returns the fd or -errno. */
static int load_raw_btf(const uint32_t *types, size_t types_len, const char *strs,
			size_t strs_len)
{
	struct btf_header hdr = {
		.magic = BTF_MAGIC, .version = BTF_VERSION, .hdr_len = sizeof(hdr),
		.type_off = 0, .type_len = (uint32_t)types_len,
		.str_off = (uint32_t)types_len, .str_len = (uint32_t)strs_len,
	};
	uint8_t buf[512];
	size_t size = sizeof(hdr) + types_len + strs_len;

	if (size > sizeof(buf))
		return -E2BIG;
	memcpy(buf, &hdr, sizeof(hdr));
	memcpy(buf + sizeof(hdr), types, types_len);
	memcpy(buf + sizeof(hdr) + types_len, strs, strs_len);
	return wd_sys_btf_load(buf, (uint32_t)size, NULL, 0, 0);
}

#define LOAD_BTF(types, strs) load_raw_btf(types, sizeof(types), strs, sizeof(strs))

static int probe_btf(void)
{
	static const char strs[] = "\0int";
	const uint32_t types[] = { BTF_INT_TYPE(1) };

	return judge_simple(LOAD_BTF(types, strs), "BTF int");
}

int wd_probe_btf(void)
{
	CACHED(&cache_scalar[F_BTF], probe_btf());
}

/* FUNC (4.20) or FUNC with global linkage (5.6): int x(int a) */
static int probe_btf_func(uint32_t linkage)
{
	static const char strs[] = "\0int\0x\0a";
	const uint32_t types[] = {
		BTF_INT_TYPE(1),                                        /* [1] int */
		0, BTF_INFO(BTF_KIND_FUNC_PROTO, 0, 1), 1, 7, 1,        /* [2] (int a) -> int */
		5, BTF_INFO(BTF_KIND_FUNC, 0, linkage), 2,              /* [3] x */
	};

	return judge_simple(LOAD_BTF(types, strs), linkage ? "BTF global func" : "BTF func");
}

/* VAR + DATASEC (5.2): int x in .data */
static int probe_btf_datasec(void)
{
	static const char strs[] = "\0int\0x\0.data";
	const uint32_t types[] = {
		BTF_INT_TYPE(1),                                        /* [1] int */
		5, BTF_INFO(BTF_KIND_VAR, 0, 0), 1, BTF_VAR_GLOBAL_ALLOCATED, /* [2] x */
		7, BTF_INFO(BTF_KIND_DATASEC, 0, 1), 4, 2, 0, 4,        /* [3] .data */
	};

	return judge_simple(LOAD_BTF(types, strs), "BTF datasec");
}

static int probe_btf_float(void) /* 5.13 */
{
	static const char strs[] = "\0float";
	const uint32_t types[] = { 1, BTF_INFO(BTF_KIND_FLOAT, 0, 0), 4 };

	return judge_simple(LOAD_BTF(types, strs), "BTF float");
}

static int probe_btf_decl_tag(void) /* 5.16 */
{
	static const char strs[] = "\0int\0x\0tag";
	const uint32_t types[] = {
		BTF_INT_TYPE(1),                                          /* [1] int */
		5, BTF_INFO(BTF_KIND_VAR, 0, 0), 1, BTF_VAR_STATIC,       /* [2] x */
		7, BTF_INFO(BTF_KIND_DECL_TAG, 0, 0), 2, (uint32_t)-1,    /* [3] tag on x */
	};

	return judge_simple(LOAD_BTF(types, strs), "BTF decl_tag");
}

static int probe_btf_type_tag(void) /* 5.17 */
{
	static const char strs[] = "\0int\0tag";
	const uint32_t types[] = {
		BTF_INT_TYPE(1),                                /* [1] int */
		5, BTF_INFO(BTF_KIND_TYPE_TAG, 0, 0), 1,        /* [2] tag int */
		0, BTF_INFO(BTF_KIND_PTR, 0, 0), 2,             /* [3] ptr to [2] */
	};

	return judge_simple(LOAD_BTF(types, strs), "BTF type_tag");
}

static int probe_btf_enum64(void) /* 6.0 */
{
	static const char strs[] = "\0e\0v";
	const uint32_t types[] = {
		1, BTF_INFO(BTF_KIND_ENUM64, 0, 1), 8, 3, 0xffffffffu, 1, /* [1] e { v = 2^33-1 } */
	};

	return judge_simple(LOAD_BTF(types, strs), "BTF enum64");
}

static int probe_btf_kind(int kind)
{
	int r = wd_probe_btf();

	if (r <= 0)
		return r;
	switch (kind) {
	case BTF_KIND_INT: case BTF_KIND_PTR: case BTF_KIND_ARRAY: case BTF_KIND_STRUCT:
	case BTF_KIND_UNION: case BTF_KIND_ENUM: case BTF_KIND_FWD: case BTF_KIND_TYPEDEF:
	case BTF_KIND_VOLATILE: case BTF_KIND_CONST: case BTF_KIND_RESTRICT:
		return 1; /* the 4.18 set */
	case BTF_KIND_FUNC: case BTF_KIND_FUNC_PROTO:
		return probe_btf_func(BTF_FUNC_STATIC);
	case WD_BTF_FUNC_GLOBAL:
		return probe_btf_func(BTF_FUNC_GLOBAL);
	case BTF_KIND_VAR: case BTF_KIND_DATASEC:
		return probe_btf_datasec();
	case BTF_KIND_FLOAT:
		return probe_btf_float();
	case BTF_KIND_DECL_TAG:
		return probe_btf_decl_tag();
	case BTF_KIND_TYPE_TAG:
		return probe_btf_type_tag();
	case BTF_KIND_ENUM64:
		return probe_btf_enum64();
	default:
		return -EINVAL;
	}
}

int wd_probe_btf_kind(int kind)
{
	int idx = kind == WD_BTF_FUNC_GLOBAL ? BTF_KIND_CACHE_N - 1 : kind;
	bool in = idx >= 0 && idx < BTF_KIND_CACHE_N;

	CACHED(in ? &cache_btf_kind[idx] : NULL, probe_btf_kind(kind));
}

/* ---- kernel BTF -------------------------------------------------------------- */

#define VMLINUX_BTF "/sys/kernel/btf/vmlinux"

static const char *kern_btf_path = VMLINUX_BTF;

void wd_probe_set_kern_btf_path(const char *path)
{
	kern_btf_path = path ? path : VMLINUX_BTF;
	wd_probe_reset_cache();
}

static int probe_kern_btf(void)
{
	struct btf_header hdr;
	int fd = open(kern_btf_path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0) {
		wd_debug("probe: %s: %s", kern_btf_path, strerror(errno));
		return errno == ENOENT ? 0 : -errno;
	}
	n = read(fd, &hdr, sizeof(hdr));
	close(fd);
	if (n != (ssize_t)sizeof(hdr) || hdr.magic != BTF_MAGIC)
		return 0;
	return 1;
}

int wd_probe_kern_btf(void)
{
	CACHED(&cache_scalar[F_KERN_BTF], probe_kern_btf());
}

/* The emulation can point kernel BTF elsewhere (a profile without BTF). */
int wd_probe_kern_btf_func_id(const char *name)
{
	struct wd_btf *own = NULL;
	const struct wd_btf *btf;
	int id;

	if (strcmp(kern_btf_path, VMLINUX_BTF))
		btf = own = wd_btf_load_file(kern_btf_path, NULL);
	else
		btf = wd_btf_vmlinux();
	if (!btf)
		return access(kern_btf_path, F_OK) ? -ENOENT : -EINVAL;
	id = (int)wd_btf_find(btf, name, BTF_KIND_FUNC);
	wd_btf_free(own);
	return id > 0 ? id : -ENOENT;
}

/* ---- maps --------------------------------------------------------------- */

static int create_array(uint32_t value_size, uint32_t flags)
{
	struct wd_map_create_args a = {
		.type = BPF_MAP_TYPE_ARRAY, .key_size = 4, .value_size = value_size,
		.max_entries = 1, .flags = flags,
	};

	return wd_sys_map_create(&a);
}

/* BTF for the local-storage maps: [1] int, [2] struct val { int x; }. */
static int storage_btf(void)
{
	static const char strs[] = "\0int\0val\0x";
	const uint32_t types[] = {
		BTF_INT_TYPE(1),
		5, BTF_INFO(BTF_KIND_STRUCT, 0, 1), 4, 9, 1, 0,
	};

	return LOAD_BTF(types, strs);
}

struct map_probe {
	struct wd_map_create_args a;
	int inner_fd, btf_fd;
	int expect_err;     /* this error also means "the type exists" */
};

/* Fill the minimal attributes for a map type, as libbpf's probe_map_create. */
static int map_probe_prepare(unsigned int type, struct map_probe *p)
{
	struct wd_map_create_args *a = &p->a;

	a->type = type;
	a->key_size = 4;
	a->value_size = 4;
	a->max_entries = 1;
	switch (type) {
	case BPF_MAP_TYPE_STACK_TRACE:
		a->value_size = 8;
		break;
	case BPF_MAP_TYPE_LPM_TRIE:
		a->key_size = 8;
		a->value_size = 8;
		a->flags = BPF_F_NO_PREALLOC;
		break;
	case BPF_MAP_TYPE_CGROUP_STORAGE:
	case BPF_MAP_TYPE_PERCPU_CGROUP_STORAGE:
		a->key_size = sizeof(struct bpf_cgroup_storage_key);
		a->max_entries = 0;
		break;
	case BPF_MAP_TYPE_QUEUE:
	case BPF_MAP_TYPE_STACK:
	case BPF_MAP_TYPE_BLOOM_FILTER:
		a->key_size = 0;
		break;
	case BPF_MAP_TYPE_RINGBUF:
	case BPF_MAP_TYPE_USER_RINGBUF:
		a->key_size = 0;
		a->value_size = 0;
		a->max_entries = (uint32_t)sysconf(_SC_PAGESIZE);
		break;
	case WD_MAP_TYPE_ARENA:
		a->key_size = 0;
		a->value_size = 0;
		a->flags = BPF_F_MMAPABLE;
		break;
	case BPF_MAP_TYPE_ARRAY_OF_MAPS:
	case BPF_MAP_TYPE_HASH_OF_MAPS:
		p->inner_fd = create_array(4, 0);
		if (p->inner_fd < 0)
			return p->inner_fd;
		a->inner_map_fd = (uint32_t)p->inner_fd;
		break;
	case BPF_MAP_TYPE_SK_STORAGE:
	case BPF_MAP_TYPE_INODE_STORAGE:
	case BPF_MAP_TYPE_TASK_STORAGE:
	case WD_MAP_TYPE_CGRP_STORAGE:
		p->btf_fd = storage_btf();
		if (p->btf_fd < 0)
			return p->btf_fd;
		a->btf_fd = (uint32_t)p->btf_fd;
		a->btf_key_type_id = 1;
		a->btf_value_type_id = 2;
		a->flags = BPF_F_NO_PREALLOC;
		a->max_entries = 0;
		break;
	case BPF_MAP_TYPE_STRUCT_OPS:
		/* Type 1 of vmlinux is no struct_ops value type: a kernel that
		 * knows the map type answers ENOTSUPP (5.6+). */
		a->btf_vmlinux_value_type_id = 1;
		p->expect_err = -WD_ENOTSUPP;
		break;
	default:
		break;
	}
	return 0;
}

static int probe_map_type(unsigned int type)
{
	struct map_probe p = { .inner_fd = -1, .btf_fd = -1 };
	int ret = map_probe_prepare(type, &p);
	char what[64];

	if (ret == 0)
		ret = wd_sys_map_create(&p.a);
	if (p.inner_fd >= 0)
		close(p.inner_fd);
	if (p.btf_fd >= 0)
		close(p.btf_fd);
	if (ret >= 0)
		return close_ok(ret);
	if (p.expect_err && ret == p.expect_err)
		return 1;
	snprintf(what, sizeof(what), "map type %s", mtname(type));
	/* EPERM: no CAP_BPF, or RLIMIT_MEMLOCK on pre-5.11: cannot decide. */
	return judge_unsupported(ret, what);
}

int wd_probe_map_type(unsigned int type)
{
	CACHED(type < MAP_CACHE_N ? &cache_map[type] : NULL, probe_map_type(type));
}

int wd_probe_ringbuf(void)
{
	return wd_probe_map_type(BPF_MAP_TYPE_RINGBUF);
}

static int probe_mmapable(void)
{
	return judge_simple(create_array(4, BPF_F_MMAPABLE), "mmapable array");
}

int wd_probe_mmapable_array(void)
{
	CACHED(&cache_scalar[F_MMAPABLE], probe_mmapable());
}

static int probe_batch(void)
{
	uint32_t keys[1], values[1], out_batch = 0, count = 1;
	int fd = create_array(4, 0), ret;

	if (fd < 0)
		return judge_simple(fd, "array for batch probe");
	ret = wd_sys_map_lookup_batch(fd, NULL, &out_batch, keys, values, &count);
	close(fd);
	/* ENOENT: the batch went to the end of the map, the normal outcome. */
	if (ret == 0 || ret == -ENOENT)
		return 1;
	wd_debug("probe: BPF_MAP_LOOKUP_BATCH: %s", strerror(-ret));
	if (ret == -EPERM)
		return -EPERM;
	return ret == -EINVAL || ret == -EOPNOTSUPP || ret == -WD_ENOTSUPP ? 0 : ret;
}

int wd_probe_batch_ops(void)
{
	CACHED(&cache_scalar[F_BATCH], probe_batch());
}

/* ---- programs with a twist ------------------------------------------------- */

static int probe_prog_name(void)
{
	int t = wd_probe_base_prog_type();

	if (t <= 0)
		return t;
	return judge_simple(load_minimal((unsigned int)t, ret0_insns, ARRAY_SIZE(ret0_insns),
					 "wd_probe", NULL, 0), "prog_name");
}

int wd_probe_prog_name(void)
{
	CACHED(&cache_scalar[F_PROG_NAME], probe_prog_name());
}

static int probe_global_data(void)
{
	int t = wd_probe_base_prog_type(), map_fd, ret;

	if (t <= 0)
		return t;
	map_fd = create_array(32, 0);
	if (map_fd < 0)
		return judge_simple(map_fd, "array for global data probe");
	const struct bpf_insn insns[] = {
		LD_MAP_VALUE(1, map_fd, 0),
		ST_MEM_DW(1, 0, 42),
		MOV64_IMM(0, 0),
		EXIT_INSN(),
	};
	ret = load_minimal((unsigned int)t, insns, ARRAY_SIZE(insns), NULL, NULL, 0);
	close(map_fd);
	if (ret >= 0)
		return close_ok(ret);
	wd_debug("probe: ld_imm64 BPF_PSEUDO_MAP_VALUE: %s", strerror(-ret));
	/* Before 5.2 the verifier says "unrecognized bpf_ld_imm64 insn" (EINVAL). */
	return ret == -EPERM ? -EPERM : 0;
}

int wd_probe_global_data(void)
{
	CACHED(&cache_scalar[F_GLOBAL_DATA], probe_global_data());
}

static int probe_cookie(void)
{
	int t = wd_probe_base_prog_type();

	if (t <= 0)
		return t;
	if (t == BPF_PROG_TYPE_SOCKET_FILTER)
		return 0; /* no tracing program types: no attach cookies */
	return wd_probe_helper((unsigned int)t, BPF_FUNC_get_attach_cookie);
}

int wd_probe_bpf_cookie(void)
{
	CACHED(&cache_scalar[F_COOKIE], probe_cookie());
}

/* ---- links ------------------------------------------------------------------- */

/* No program needed: with a name no kernel has and prog_fd -1, a kernel with
 * the command answers ENOENT (4.17 looks the name up first) or EBADF (5.x
 * gets the program first); one without it answers EINVAL. */
static int probe_link_raw_tp(void)
{
	int ret = wd_sys_raw_tp_open("warden_no_such_tracepoint", -1);

	if (ret >= 0)
		return close_ok(ret);
	if (ret == -ENOENT || ret == -EBADF)
		return 1;
	return judge_simple(ret, "BPF_RAW_TRACEPOINT_OPEN");
}

/* BPF_LINK_CREATE (5.7) gets the program before anything else: EBADF. */
static int probe_link_create(void)
{
	struct wd_link_create_args a = {
		.prog_fd = -1, .target_fd = -1, .attach_type = BPF_CGROUP_INET_INGRESS,
	};
	int ret = wd_sys_link_create(&a);

	if (ret >= 0)
		return close_ok(ret);
	if (ret == -EBADF)
		return 1;
	return judge_simple(ret, "BPF_LINK_CREATE");
}

/* Load `type` with `eat`, then BPF_LINK_CREATE against an invalid target:
 * `yes_err` means the kernel accepted the attach type and looked for the
 * target. */
static int probe_link_with_prog(unsigned int type, uint32_t eat, int target_fd,
				const char *const *syms, int yes_err, const char *what)
{
	struct wd_prog_load_args p = {
		.type = type, .expected_attach_type = eat, .insns = ret0_insns,
		.insn_cnt = ARRAY_SIZE(ret0_insns), .license = "GPL",
		.kern_version = wd_kernel_version_code(),
	};
	int r = wd_probe_prog_type(type), prog_fd, ret;

	if (r <= 0)
		return r;
	prog_fd = wd_sys_prog_load(&p);
	if (prog_fd < 0)
		return judge_simple(prog_fd, what);
	struct wd_link_create_args a = {
		.prog_fd = prog_fd, .target_fd = target_fd, .attach_type = eat,
		.kmulti_syms = syms, .kmulti_cnt = syms ? 1 : 0,
	};
	ret = wd_sys_link_create(&a);
	close(prog_fd);
	if (ret >= 0)
		return close_ok(ret);
	if (ret == yes_err)
		return 1;
	return judge_unsupported(ret, what);
}

static int probe_link(enum wd_link_kind kind)
{
	static const char *const no_sym[] = { "warden_no_such_function" };
	int t = wd_probe_base_prog_type();

	switch (kind) {
	case WD_LINK_RAW_TP:
		return probe_link_raw_tp();
	case WD_LINK_CREATE:
		return probe_link_create();
	case WD_LINK_PERF_EVENT:
		/* 5.15: perf_event_get(-1) -> EBADF; older: EINVAL. */
		if (t <= 0)
			return t;
		if (t == BPF_PROG_TYPE_SOCKET_FILTER)
			return 0;
		return probe_link_with_prog((unsigned int)t, BPF_PERF_EVENT, -1, NULL, -EBADF,
					    "perf_event link");
	case WD_LINK_KPROBE_MULTI:
		/* 5.18: an unknown symbol -> ESRCH (ftrace_lookup_symbols) or
		 * ENOENT; older: EINVAL; no CONFIG_FPROBE: EOPNOTSUPP. */
	{
		int r = probe_link_with_prog(BPF_PROG_TYPE_KPROBE, BPF_TRACE_KPROBE_MULTI, 0,
					     no_sym, -ESRCH, "kprobe_multi link");
		return r == -ENOENT ? 1 : r;
	}
	case WD_LINK_TCX:
		/* 6.6: ifindex 0 -> ENODEV; older: EINVAL. */
		return probe_link_with_prog(BPF_PROG_TYPE_SCHED_CLS, WD_ATTACH_TCX_INGRESS, 0,
					    NULL, -ENODEV, "tcx link");
	default:
		return -EINVAL;
	}
}

int wd_probe_bpf_link(enum wd_link_kind kind)
{
	bool in = kind > 0 && kind < WD_LINK__COUNT;

	CACHED(in ? &cache_link[kind] : NULL, probe_link(kind));
}

const char *wd_link_kind_name(enum wd_link_kind kind)
{
	static const char *const names[WD_LINK__COUNT] = {
		[WD_LINK_RAW_TP] = "raw_tracepoint", [WD_LINK_CREATE] = "link_create",
		[WD_LINK_PERF_EVENT] = "perf_event", [WD_LINK_KPROBE_MULTI] = "kprobe_multi",
		[WD_LINK_TCX] = "tcx",
	};

	return kind > 0 && kind < WD_LINK__COUNT ? names[kind] : NULL;
}

/* ---- names ---------------------------------------------------------------- */

/* From enum bpf_prog_type / bpf_map_type / bpf_attach_type / bpf_func_id of
 * kernel 6.18 (vmlinux BTF), lower case without the prefix, as bpftool. */
static const char *const prog_type_names[] = {
	[0] = "unspec", [1] = "socket_filter", [2] = "kprobe", [3] = "sched_cls",
	[4] = "sched_act", [5] = "tracepoint", [6] = "xdp", [7] = "perf_event",
	[8] = "cgroup_skb", [9] = "cgroup_sock", [10] = "lwt_in", [11] = "lwt_out",
	[12] = "lwt_xmit", [13] = "sock_ops", [14] = "sk_skb", [15] = "cgroup_device",
	[16] = "sk_msg", [17] = "raw_tracepoint", [18] = "cgroup_sock_addr",
	[19] = "lwt_seg6local", [20] = "lirc_mode2", [21] = "sk_reuseport",
	[22] = "flow_dissector", [23] = "cgroup_sysctl", [24] = "raw_tracepoint_writable",
	[25] = "cgroup_sockopt", [26] = "tracing", [27] = "struct_ops", [28] = "ext",
	[29] = "lsm", [30] = "sk_lookup", [31] = "syscall", [32] = "netfilter",
};

static const char *const map_type_names[] = {
	[0] = "unspec", [1] = "hash", [2] = "array", [3] = "prog_array",
	[4] = "perf_event_array", [5] = "percpu_hash", [6] = "percpu_array",
	[7] = "stack_trace", [8] = "cgroup_array", [9] = "lru_hash",
	[10] = "lru_percpu_hash", [11] = "lpm_trie", [12] = "array_of_maps",
	[13] = "hash_of_maps", [14] = "devmap", [15] = "sockmap", [16] = "cpumap",
	[17] = "xskmap", [18] = "sockhash", [19] = "cgroup_storage",
	[20] = "reuseport_sockarray", [21] = "percpu_cgroup_storage", [22] = "queue",
	[23] = "stack", [24] = "sk_storage", [25] = "devmap_hash", [26] = "struct_ops",
	[27] = "ringbuf", [28] = "inode_storage", [29] = "task_storage",
	[30] = "bloom_filter", [31] = "user_ringbuf", [32] = "cgrp_storage", [33] = "arena",
};

static const char *const attach_type_names[] = {
	[0] = "cgroup_inet_ingress", [1] = "cgroup_inet_egress",
	[2] = "cgroup_inet_sock_create", [3] = "cgroup_sock_ops",
	[4] = "sk_skb_stream_parser", [5] = "sk_skb_stream_verdict", [6] = "cgroup_device",
	[7] = "sk_msg_verdict", [8] = "cgroup_inet4_bind", [9] = "cgroup_inet6_bind",
	[10] = "cgroup_inet4_connect", [11] = "cgroup_inet6_connect",
	[12] = "cgroup_inet4_post_bind", [13] = "cgroup_inet6_post_bind",
	[14] = "cgroup_udp4_sendmsg", [15] = "cgroup_udp6_sendmsg", [16] = "lirc_mode2",
	[17] = "flow_dissector", [18] = "cgroup_sysctl", [19] = "cgroup_udp4_recvmsg",
	[20] = "cgroup_udp6_recvmsg", [21] = "cgroup_getsockopt", [22] = "cgroup_setsockopt",
	[23] = "trace_raw_tp", [24] = "trace_fentry", [25] = "trace_fexit",
	[26] = "modify_return", [27] = "lsm_mac", [28] = "trace_iter",
	[29] = "cgroup_inet4_getpeername", [30] = "cgroup_inet6_getpeername",
	[31] = "cgroup_inet4_getsockname", [32] = "cgroup_inet6_getsockname",
	[33] = "xdp_devmap", [34] = "cgroup_inet_sock_release", [35] = "xdp_cpumap",
	[36] = "sk_lookup", [37] = "xdp", [38] = "sk_skb_verdict", [39] = "sk_reuseport_select",
	[40] = "sk_reuseport_select_or_migrate", [41] = "perf_event",
	[42] = "trace_kprobe_multi", [43] = "lsm_cgroup", [44] = "struct_ops",
	[45] = "netfilter", [46] = "tcx_ingress", [47] = "tcx_egress",
	[48] = "trace_uprobe_multi", [49] = "cgroup_unix_connect", [50] = "cgroup_unix_sendmsg",
	[51] = "cgroup_unix_recvmsg", [52] = "cgroup_unix_getpeername",
	[53] = "cgroup_unix_getsockname", [54] = "netkit_primary", [55] = "netkit_peer",
	[56] = "trace_kprobe_session", [57] = "trace_uprobe_session",
};

/* The helper catalogue is frozen at 211 since 6.2: new kernel functions are kfuncs. */
static const char *const helper_names[] = {
	"unspec", "bpf_map_lookup_elem", "bpf_map_update_elem", "bpf_map_delete_elem",
	"bpf_probe_read", "bpf_ktime_get_ns", "bpf_trace_printk", "bpf_get_prandom_u32",
	"bpf_get_smp_processor_id", "bpf_skb_store_bytes", "bpf_l3_csum_replace", "bpf_l4_csum_replace",
	"bpf_tail_call", "bpf_clone_redirect", "bpf_get_current_pid_tgid", "bpf_get_current_uid_gid",
	"bpf_get_current_comm", "bpf_get_cgroup_classid", "bpf_skb_vlan_push", "bpf_skb_vlan_pop",
	"bpf_skb_get_tunnel_key", "bpf_skb_set_tunnel_key", "bpf_perf_event_read", "bpf_redirect",
	"bpf_get_route_realm", "bpf_perf_event_output", "bpf_skb_load_bytes", "bpf_get_stackid",
	"bpf_csum_diff", "bpf_skb_get_tunnel_opt", "bpf_skb_set_tunnel_opt", "bpf_skb_change_proto",
	"bpf_skb_change_type", "bpf_skb_under_cgroup", "bpf_get_hash_recalc", "bpf_get_current_task",
	"bpf_probe_write_user", "bpf_current_task_under_cgroup", "bpf_skb_change_tail",
	"bpf_skb_pull_data", "bpf_csum_update", "bpf_set_hash_invalid", "bpf_get_numa_node_id",
	"bpf_skb_change_head", "bpf_xdp_adjust_head", "bpf_probe_read_str", "bpf_get_socket_cookie",
	"bpf_get_socket_uid", "bpf_set_hash", "bpf_setsockopt", "bpf_skb_adjust_room",
	"bpf_redirect_map", "bpf_sk_redirect_map", "bpf_sock_map_update", "bpf_xdp_adjust_meta",
	"bpf_perf_event_read_value", "bpf_perf_prog_read_value", "bpf_getsockopt", "bpf_override_return",
	"bpf_sock_ops_cb_flags_set", "bpf_msg_redirect_map", "bpf_msg_apply_bytes", "bpf_msg_cork_bytes",
	"bpf_msg_pull_data", "bpf_bind", "bpf_xdp_adjust_tail", "bpf_skb_get_xfrm_state",
	"bpf_get_stack", "bpf_skb_load_bytes_relative", "bpf_fib_lookup", "bpf_sock_hash_update",
	"bpf_msg_redirect_hash", "bpf_sk_redirect_hash", "bpf_lwt_push_encap", "bpf_lwt_seg6_store_bytes",
	"bpf_lwt_seg6_adjust_srh", "bpf_lwt_seg6_action", "bpf_rc_repeat", "bpf_rc_keydown",
	"bpf_skb_cgroup_id", "bpf_get_current_cgroup_id", "bpf_get_local_storage", "bpf_sk_select_reuseport",
	"bpf_skb_ancestor_cgroup_id", "bpf_sk_lookup_tcp", "bpf_sk_lookup_udp", "bpf_sk_release",
	"bpf_map_push_elem", "bpf_map_pop_elem", "bpf_map_peek_elem", "bpf_msg_push_data",
	"bpf_msg_pop_data", "bpf_rc_pointer_rel", "bpf_spin_lock", "bpf_spin_unlock", "bpf_sk_fullsock",
	"bpf_tcp_sock", "bpf_skb_ecn_set_ce", "bpf_get_listener_sock", "bpf_skc_lookup_tcp",
	"bpf_tcp_check_syncookie", "bpf_sysctl_get_name", "bpf_sysctl_get_current_value",
	"bpf_sysctl_get_new_value", "bpf_sysctl_set_new_value", "bpf_strtol", "bpf_strtoul",
	"bpf_sk_storage_get", "bpf_sk_storage_delete", "bpf_send_signal", "bpf_tcp_gen_syncookie",
	"bpf_skb_output", "bpf_probe_read_user", "bpf_probe_read_kernel", "bpf_probe_read_user_str",
	"bpf_probe_read_kernel_str", "bpf_tcp_send_ack", "bpf_send_signal_thread", "bpf_jiffies64",
	"bpf_read_branch_records", "bpf_get_ns_current_pid_tgid", "bpf_xdp_output", "bpf_get_netns_cookie",
	"bpf_get_current_ancestor_cgroup_id", "bpf_sk_assign", "bpf_ktime_get_boot_ns",
	"bpf_seq_printf", "bpf_seq_write", "bpf_sk_cgroup_id", "bpf_sk_ancestor_cgroup_id",
	"bpf_ringbuf_output", "bpf_ringbuf_reserve", "bpf_ringbuf_submit", "bpf_ringbuf_discard",
	"bpf_ringbuf_query", "bpf_csum_level", "bpf_skc_to_tcp6_sock", "bpf_skc_to_tcp_sock",
	"bpf_skc_to_tcp_timewait_sock", "bpf_skc_to_tcp_request_sock", "bpf_skc_to_udp6_sock",
	"bpf_get_task_stack", "bpf_load_hdr_opt", "bpf_store_hdr_opt", "bpf_reserve_hdr_opt",
	"bpf_inode_storage_get", "bpf_inode_storage_delete", "bpf_d_path", "bpf_copy_from_user",
	"bpf_snprintf_btf", "bpf_seq_printf_btf", "bpf_skb_cgroup_classid", "bpf_redirect_neigh",
	"bpf_per_cpu_ptr", "bpf_this_cpu_ptr", "bpf_redirect_peer", "bpf_task_storage_get",
	"bpf_task_storage_delete", "bpf_get_current_task_btf", "bpf_bprm_opts_set", "bpf_ktime_get_coarse_ns",
	"bpf_ima_inode_hash", "bpf_sock_from_file", "bpf_check_mtu", "bpf_for_each_map_elem",
	"bpf_snprintf", "bpf_sys_bpf", "bpf_btf_find_by_name_kind", "bpf_sys_close", "bpf_timer_init",
	"bpf_timer_set_callback", "bpf_timer_start", "bpf_timer_cancel", "bpf_get_func_ip",
	"bpf_get_attach_cookie", "bpf_task_pt_regs", "bpf_get_branch_snapshot", "bpf_trace_vprintk",
	"bpf_skc_to_unix_sock", "bpf_kallsyms_lookup_name", "bpf_find_vma", "bpf_loop",
	"bpf_strncmp", "bpf_get_func_arg", "bpf_get_func_ret", "bpf_get_func_arg_cnt",
	"bpf_get_retval", "bpf_set_retval", "bpf_xdp_get_buff_len", "bpf_xdp_load_bytes",
	"bpf_xdp_store_bytes", "bpf_copy_from_user_task", "bpf_skb_set_tstamp", "bpf_ima_file_hash",
	"bpf_kptr_xchg", "bpf_map_lookup_percpu_elem", "bpf_skc_to_mptcp_sock", "bpf_dynptr_from_mem",
	"bpf_ringbuf_reserve_dynptr", "bpf_ringbuf_submit_dynptr", "bpf_ringbuf_discard_dynptr",
	"bpf_dynptr_read", "bpf_dynptr_write", "bpf_dynptr_data", "bpf_tcp_raw_gen_syncookie_ipv4",
	"bpf_tcp_raw_gen_syncookie_ipv6", "bpf_tcp_raw_check_syncookie_ipv4", "bpf_tcp_raw_check_syncookie_ipv6",
	"bpf_ktime_get_tai_ns", "bpf_user_ringbuf_drain", "bpf_cgrp_storage_get", "bpf_cgrp_storage_delete",
};

#define NAME_LOOKUP(table, i) ((i) < ARRAY_SIZE(table) ? (table)[i] : NULL)

const char *wd_prog_type_name(unsigned int t) { return NAME_LOOKUP(prog_type_names, t); }
const char *wd_map_type_name(unsigned int t) { return NAME_LOOKUP(map_type_names, t); }
const char *wd_attach_type_name(unsigned int t) { return NAME_LOOKUP(attach_type_names, t); }
const char *wd_helper_name(unsigned int id) { return NAME_LOOKUP(helper_names, id); }
unsigned int wd_prog_type_count(void) { return ARRAY_SIZE(prog_type_names); }
unsigned int wd_map_type_count(void) { return ARRAY_SIZE(map_type_names); }
unsigned int wd_attach_type_count(void) { return ARRAY_SIZE(attach_type_names); }
unsigned int wd_helper_count(void) { return ARRAY_SIZE(helper_names); }
