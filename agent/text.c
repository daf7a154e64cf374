// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* --format text: one line per event for a terminal (agent/file_output.h). */
#include <arpa/inet.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include "text.h"

static void put(struct wd_jbuf *b, const char *s, size_t n)
{
	if (!wd_jbuf_reserve(b, n))
		return;
	memcpy(b->p + b->len, s, n);
	b->len += n;
}

static void puts_(struct wd_jbuf *b, const char *s)
{
	put(b, s, strlen(s));
}

static void __attribute__((format(printf, 2, 3))) putf(struct wd_jbuf *b, const char *fmt, ...)
{
	char tmp[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n > 0)
		put(b, tmp, (size_t)n < sizeof(tmp) ? (size_t)n : sizeof(tmp) - 1);
}

void wd_text_put_str(struct wd_jbuf *b, const char *str, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *s = (const unsigned char *)str;

	if (!wd_jbuf_reserve(b, 4 * len))
		return;
	for (size_t i = 0; i < len;) {
		size_t n = s[i] >= 0x80 ? wd_utf8_seq(s + i, len - i) : 1;

		if (s[i] >= 0x20 && s[i] != 0x7f && s[i] != '\\' && n) {
			memcpy(b->p + b->len, s + i, n);
			b->len += n;
			i += n;
			continue;
		}
		b->p[b->len++] = '\\';
		b->p[b->len++] = 'x';
		b->p[b->len++] = hex[s[i] >> 4];
		b->p[b->len++] = hex[s[i] & 15];
		i++;
	}
}

static void put_evstr(struct wd_jbuf *b, const struct wd_event_str *s)
{
	if (!s->s)
		return;
	wd_text_put_str(b, s->s, strnlen(s->s, s->len));
	if (s->truncated)
		putf(b, "...(cut, %zu bytes)", s->true_len);
}

static void put_args(struct wd_jbuf *b, const struct wd_event_str *args)
{
	const char *end = args->s + args->len;

	for (const char *p = args->s; p < end;) {
		const char *z = memchr(p, '\0', (size_t)(end - p));
		size_t n = z ? (size_t)(z - p) : (size_t)(end - p);

		put(b, " ", 1);
		wd_text_put_str(b, p, n);
		p += n + 1;
	}
	if (args->truncated)
		putf(b, " ...(argv cut, %zu bytes)", args->true_len);
}

static void put_addr(struct wd_jbuf *b, uint8_t family, const uint8_t *addr, uint16_t port)
{
	char txt[INET6_ADDRSTRLEN] = "?";

	inet_ntop(family == AF_INET6 ? AF_INET6 : AF_INET, addr, txt, sizeof(txt));
	if (family == AF_INET6)
		putf(b, "[%s]:%u", txt, port);
	else
		putf(b, "%s:%u", txt, port);
}

static void put_net(struct wd_jbuf *b, const struct wd_event *ev)
{
	const struct wd_event_net *n = &ev->net;

	puts_(b, n->protocol == 17 ? "udp " : "tcp ");
	put_addr(b, n->family, n->saddr, n->sport);
	if (ev->kind != WD_EV_NET_LISTEN && ev->kind != WD_EV_NET_BIND) {
		puts_(b, ev->kind == WD_EV_NET_ACCEPT ? " <- " : " -> ");
		put_addr(b, n->family, n->daddr, n->dport);
	}
	if (ev->kind == WD_EV_NET_CLOSE)
		putf(b, " sent %" PRIu64 " received %" PRIu64 " in %.3f ms", n->bytes_sent,
		     n->bytes_received, (double)n->duration_ns / 1e6);
	if (n->dns)
		puts_(b, " dns");
	if (n->ret < 0)
		putf(b, " ret %d", n->ret);
}

static void put_file(struct wd_jbuf *b, const struct wd_event *ev)
{
	const struct wd_event_file *f = &ev->file;

	put_evstr(b, &f->path);
	if (f->path2.s) {
		puts_(b, ev->kind == WD_EV_FILE_SYMLINK ? " <- " : " -> ");
		put_evstr(b, &f->path2);
	}
	if (ev->kind == WD_EV_FILE_OPEN)
		putf(b, " flags 0%o", f->flags);
	if (ev->kind == WD_EV_FILE_CHMOD || (ev->kind == WD_EV_FILE_OPEN && (f->flags & 0100)))
		putf(b, " mode 0%o", f->mode & 07777);
	if (ev->kind == WD_EV_FILE_CHOWN)
		putf(b, " owner %d:%d", (int32_t)f->uid, (int32_t)f->gid);
	if (f->inode)
		putf(b, " inode %" PRIu64, f->inode);
}

static void put_exec(struct wd_jbuf *b, const struct wd_event *ev)
{
	const struct wd_event_exec *x = &ev->exec;

	if (ev->proc.exe)
		wd_text_put_str(b, ev->proc.exe, strlen(ev->proc.exe));
	else
		put_evstr(b, &x->filename);
	if (x->args.s)
		put_args(b, &x->args);
	if (x->cwd.s) {
		puts_(b, "  cwd ");
		put_evstr(b, &x->cwd);
	}
	if (x->interpreter.s && x->interpreter.len) {
		puts_(b, "  interpreter ");
		put_evstr(b, &x->interpreter);
	}
	if (x->memfd)
		puts_(b, "  [memfd]");
	if (x->deleted)
		puts_(b, "  [deleted]");
	if (x->ret < 0)
		putf(b, "  ret %d", x->ret);
}

static void put_other(struct wd_jbuf *b, const struct wd_event *ev)
{
	const struct wd_event_other *o = &ev->other;
	const struct wd_event_cred *c = &ev->cred;

	switch (ev->kind) {
	case WD_EV_FORK:
		putf(b, "child %u flags 0x%" PRIx64, o->target_pid, o->flags);
		break;
	case WD_EV_EXIT:
		putf(b, "code %d", o->exit_code);
		if (o->exit_signal)
			putf(b, " signal %d", o->exit_signal);
		break;
	case WD_EV_CRED:
		putf(b, "%s uid %u->%u euid %u->%u gid %u->%u caps 0x%" PRIx64 "->0x%" PRIx64,
		     c->syscall ? c->syscall : "?", c->old_uid, c->new_uid, c->old_euid, c->new_euid,
		     c->old_gid, c->new_gid, c->old_cap_effective, c->new_cap_effective);
		break;
	case WD_EV_PTRACE:
		putf(b, "target %u request %" PRIu64, o->target_pid, o->flags);
		break;
	case WD_EV_NAMESPACE:
		putf(b, "flags 0x%" PRIx64, o->flags);
		break;
	case WD_EV_MOUNT:
	case WD_EV_UMOUNT:
		put_evstr(b, &o->name);
		if (o->target.s) {
			puts_(b, " on ");
			put_evstr(b, &o->target);
		}
		if (o->fstype.s) {
			puts_(b, " type ");
			put_evstr(b, &o->fstype);
		}
		break;
	case WD_EV_BPF_PROG:
	case WD_EV_BPF_MAP:
		put_evstr(b, &o->name);
		putf(b, " type %u", o->bpf_type);
		break;
	case WD_EV_MODULE_LOAD:
	case WD_EV_MEMFD:
		put_evstr(b, &o->name);
		if (ev->kind == WD_EV_MEMFD)
			putf(b, " flags 0x%" PRIx64, o->flags);
		break;
	default:
		break;
	}
	if (ev->kind != WD_EV_EXIT && ev->kind != WD_EV_FORK && ev->kind != WD_EV_CRED && o->ret < 0)
		putf(b, " ret %d", o->ret);
}

static void put_stats(struct wd_jbuf *b, const struct wd_event_stats *s)
{
	uint64_t rx = 0, dr = 0;

	for (int k = 0; k < WD_EV__COUNT; k++) {
		rx += s->received[k];
		dr += s->dropped[k];
	}
	putf(b, "received %" PRIu64 " dropped %" PRIu64 " lost %" PRIu64 " truncated %" PRIu64
	     " output errors %" PRIu64, rx, dr, s->lost_ring, s->truncated, s->output_errors);
}

void wd_text_event(struct wd_jbuf *b, const struct wd_event *ev)
{
	time_t sec = (time_t)(ev->time_ns / 1000000000);
	const char *kind = wd_event_kind_name(ev->kind);
	char hms[16] = "";
	struct tm tm;

	if (localtime_r(&sec, &tm))
		strftime(hms, sizeof(hms), "%H:%M:%S", &tm);
	putf(b, "%s.%03u %-13s ", hms, (unsigned)(ev->time_ns / 1000000 % 1000), kind ? kind : "?");
	if (ev->kind != WD_EV_STATS) {
		wd_text_put_str(b, ev->proc.comm, strnlen(ev->proc.comm, sizeof(ev->proc.comm)));
		putf(b, "(%u) ppid %u uid %u", ev->proc.pid, ev->proc.ppid, ev->proc.uid);
		if (ev->proc.container_id) {
			puts_(b, " ctr ");
			wd_text_put_str(b, ev->proc.container_id, strnlen(ev->proc.container_id, 12));
		}
		puts_(b, "  ");
	}
	if (ev->kind == WD_EV_EXEC)
		put_exec(b, ev);
	else if (ev->kind >= WD_EV_FILE_OPEN && ev->kind <= WD_EV_FILE_TRUNCATE)
		put_file(b, ev);
	else if (ev->kind >= WD_EV_NET_CONNECT && ev->kind <= WD_EV_NET_UDP_SEND)
		put_net(b, ev);
	else if (ev->kind == WD_EV_STATS)
		put_stats(b, &ev->stats);
	else
		put_other(b, ev);
	put(b, "\n", 1);
}
