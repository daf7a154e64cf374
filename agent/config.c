// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * /etc/warden/warden.conf and `warden run` flags (agent/config.h).  The ini
 * syntax is libinih's (Debian libinih-dev): [section], key = value, '#' or
 * ';' comments.  Unknown sections and keys are errors: a typo must not turn
 * a filter off silently.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <ini.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "config.h"
#include "event.h"
#include "warden/events.h"

void wd_config_init(struct wd_agent_config *c)
{
	memset(c, 0, sizeof(*c));
	c->uid = -1;
	c->rotate_keep = 5;
	c->latency_ms = 100;
	c->stats_interval = 60;
	c->transport = WD_EVENTS_AUTO;
	c->stats_file = strdup(WD_CONFIG_DEFAULT_STATS_FILE);
}

void wd_config_free(struct wd_agent_config *c)
{
	free(c->out_file);
	free(c->clickhouse_url);
	free(c->password_file);
	free(c->spool_dir);
	free(c->comm);
	free(c->cgroup_path);
	free(c->container_id);
	free(c->path_prefix);
	free(c->bpf_dir);
	free(c->stats_file);
	memset(c, 0, sizeof(*c));
}

static int set_str(char **dst, const char *v, char *err, size_t errlen)
{
	char *s = strdup(v);

	if (!s) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	free(*dst);
	*dst = s;
	return 0;
}

static int bad(char *err, size_t errlen, const char *fmt, const char *v)
{
	snprintf(err, errlen, fmt, v);
	return -EINVAL;
}

static int parse_bool(const char *v, bool *out)
{
	if (!strcmp(v, "yes") || !strcmp(v, "true") || !strcmp(v, "on") || !strcmp(v, "1"))
		*out = true;
	else if (!strcmp(v, "no") || !strcmp(v, "false") || !strcmp(v, "off") || !strcmp(v, "0"))
		*out = false;
	else
		return -EINVAL;
	return 0;
}

/* A decimal number in [min, max]. */
static int parse_uint(const char *v, uint64_t min, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long n;

	if (!isdigit((unsigned char)*v))
		return -EINVAL;
	errno = 0;
	n = strtoull(v, &end, 10);
	if (errno || *end || n < min || n > max)
		return -EINVAL;
	*out = n;
	return 0;
}

int wd_config_parse_size(const char *s, uint64_t *out)
{
	unsigned long long n, mult = 1;
	char *end;

	if (!isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	n = strtoull(s, &end, 10);
	if (errno)
		return -EINVAL;
	switch (*end) {
	case '\0': break;
	case 'k': case 'K': mult = 1ull << 10; end++; break;
	case 'm': case 'M': mult = 1ull << 20; end++; break;
	case 'g': case 'G': mult = 1ull << 30; end++; break;
	default: return -EINVAL;
	}
	/* "64KiB", "64KB" are accepted as well */
	if (mult > 1 && (*end == 'i' || *end == 'I'))
		end++;
	if (mult > 1 && (*end == 'b' || *end == 'B'))
		end++;
	if (*end || (n && mult > ULLONG_MAX / n))
		return -EINVAL;
	*out = n * mult;
	return 0;
}

int wd_config_parse_kinds(const char *s, uint64_t *out, char *err, size_t errlen)
{
	char *copy = strdup(s), *save = NULL;
	uint64_t mask = 0;
	int rc = 0;

	if (!copy)
		return -ENOMEM;
	for (char *w = strtok_r(copy, ", \t", &save); w; w = strtok_r(NULL, ", \t", &save)) {
		int k = wd_event_kind_from_name(w);
		bool found = false;

		if (!strcmp(w, "all")) {
			mask = 0;
			for (int i = 0; i < WD_EV__COUNT; i++)
				if (i != WD_EV_STATS)
					mask |= 1ull << i;
			continue;
		}
		if (k >= 0 && k != WD_EV_STATS) {
			mask |= 1ull << k;
			continue;
		}
		/* a category word: every kind in it */
		for (int i = 0; i < WD_EV__COUNT; i++) {
			const char *cat = wd_event_kind_category((enum wd_event_kind)i);

			if (i != WD_EV_STATS && cat && !strcmp(cat, w)) {
				mask |= 1ull << i;
				found = true;
			}
		}
		if (!found) {
			char names[512] = "";
			size_t n = 0;

			for (int i = 0; i < WD_EV__COUNT && n < sizeof(names); i++)
				if (i != WD_EV_STATS)
					n += (size_t)snprintf(names + n, sizeof(names) - n, "%s%s",
							      n ? " " : "",
							      wd_event_kind_name((enum wd_event_kind)i));
			snprintf(err, errlen, "unknown event kind '%s' (kinds: %s; or a category: "
				 "process, file, network, driver, host; or all)", w, names);
			rc = -EINVAL;
			break;
		}
	}
	free(copy);
	if (!rc && !mask) {
		snprintf(err, errlen, "no event kind given");
		rc = -EINVAL;
	}
	if (!rc)
		*out = mask;
	return rc;
}

/* Where cgroup2 is mounted: /sys/fs/cgroup on unified hosts,
 * /sys/fs/cgroup/unified on hybrid ones (systemd's legacy layout). */
int wd_cgroup2_mount(char *buf, size_t len)
{
	FILE *f = fopen("/proc/mounts", "re");
	char line[1024], dev[256], dir[768], type[64];
	int rc = -ENOENT;

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%255s %767s %63s", dev, dir, type) == 3 && !strcmp(type, "cgroup2")) {
			snprintf(buf, len, "%s", dir);
			rc = 0;
			break;
		}
	}
	fclose(f);
	return rc;
}

/* The cgroup id is the cgroup2 directory's kernfs node id: the 64-bit
 * handle name_to_handle_at() returns (what bpf_get_current_cgroup_id()
 * reports, as libbpf's selftests read it), else st_ino (equal on 64-bit
 * kernels since 5.5, kernfs commit 67c0496e87d1). */
int wd_cgroup_path_to_id(const char *path, uint64_t *id)
{
	char full[PATH_MAX], root[PATH_MAX];
	struct {
		struct file_handle fh;
		uint64_t id;
	} h;
	struct stat st;
	int mnt, rc;

	if ((rc = wd_cgroup2_mount(root, sizeof(root))))
		return rc;
	if (!strncmp(path, root, strlen(root)) && (path[strlen(root)] == '/' || !path[strlen(root)]))
		snprintf(full, sizeof(full), "%s", path);
	else
		snprintf(full, sizeof(full), "%s/%s", root, path[0] == '/' ? path + 1 : path);
	if (stat(full, &st))
		return -errno;
	if (!S_ISDIR(st.st_mode))
		return -ENOTDIR;
	h.fh.handle_bytes = sizeof(h.id);
	if (name_to_handle_at(AT_FDCWD, full, &h.fh, &mnt, 0) == 0 && h.fh.handle_bytes == 8) {
		memcpy(id, h.fh.f_handle, sizeof(*id));
		return 0;
	}
	*id = st.st_ino;
	return 0;
}

static int set_output(struct wd_agent_config *c, const char *k, const char *v, char *err, size_t errlen)
{
	uint64_t n;
	bool b;

	if (!strcmp(k, "path") || !strcmp(k, "file"))
		return *v ? set_str(&c->out_file, v, err, errlen) : (free(c->out_file), c->out_file = NULL, 0);
	if (!strcmp(k, "stdout")) {
		if (parse_bool(v, &b))
			return bad(err, errlen, "'%s' is not yes or no", v);
		c->out_stdout = b;
		return 0;
	}
	if (!strcmp(k, "format")) {
		if (strcmp(v, "json") && strcmp(v, "text"))
			return bad(err, errlen, "'%s': the format is json or text", v);
		c->format_text = !strcmp(v, "text");
		return 0;
	}
	if (!strcmp(k, "rotate_size")) {
		if (wd_config_parse_size(v, &n))
			return bad(err, errlen, "'%s' is not a size (4096, 64K, 100M, 1G; 0: never)", v);
		if (n && n < 4096)
			return bad(err, errlen, "'%s': rotate at 4096 bytes or more", v);
		c->rotate_size = n;
		return 0;
	}
	if (!strcmp(k, "rotate_keep")) {
		if (parse_uint(v, 0, 1000, &n))
			return bad(err, errlen, "'%s' is not a number of files (0..1000)", v);
		c->rotate_keep = (unsigned int)n;
		return 0;
	}
	return bad(err, errlen, "unknown key '%s' (path, stdout, format, rotate_size, rotate_keep)", k);
}

static int set_clickhouse(struct wd_agent_config *c, const char *k, const char *v, char *err,
			  size_t errlen)
{
	uint64_t n;

	if (!*v && (!strcmp(k, "url") || !strcmp(k, "password_file") || !strcmp(k, "spool_dir"))) {
		char **str = k[0] == 'u' ? &c->clickhouse_url : k[0] == 'p' ? &c->password_file : &c->spool_dir;
		free(*str);
		*str = NULL;
		return 0;
	}
	if (!strcmp(k, "url")) {
		if (strncmp(v, "clickhouse://", 13))
			return bad(err, errlen, "'%s': the url starts with clickhouse://", v);
		return set_str(&c->clickhouse_url, v, err, errlen);
	}
	if (!strcmp(k, "password_file"))
		return set_str(&c->password_file, v, err, errlen);
	if (!strcmp(k, "spool_dir"))
		return set_str(&c->spool_dir, v, err, errlen);
	if (!strcmp(k, "spool_max")) {
		if (wd_config_parse_size(v, &n))
			return bad(err, errlen, "'%s' is not a size (256M, 1G)", v);
		c->spool_max_bytes = n;
		return 0;
	}
	if (!strcmp(k, "batch_ms")) {
		if (parse_uint(v, 10, 600000, &n))
			return bad(err, errlen, "'%s' is not milliseconds (10..600000)", v);
		c->batch_ms = (unsigned int)n;
		return 0;
	}
	return bad(err, errlen, "unknown key '%s' (url, password_file, spool_dir, spool_max, batch_ms)", k);
}

static int parse_uid(const char *v, int32_t *uid)
{
	uint64_t n;
	struct passwd *pw;

	if (!parse_uint(v, 0, INT32_MAX, &n)) {
		*uid = (int32_t)n;
		return 0;
	}
	pw = getpwnam(v);
	if (!pw)
		return -EINVAL;
	*uid = (int32_t)pw->pw_uid;
	return 0;
}

/* `key =` with no value: back to the default (no filter). */
static bool clear_filter(struct wd_agent_config *c, const char *k)
{
	char **str = !strcmp(k, "comm") ? &c->comm : !strcmp(k, "cgroup") ? &c->cgroup_path :
		     !strcmp(k, "container") ? &c->container_id :
		     !strcmp(k, "path_prefix") ? &c->path_prefix : NULL;

	if (str) {
		free(*str);
		*str = NULL;
	} else if (!strcmp(k, "pid_tree")) {
		c->pid_tree = 0;
	} else if (!strcmp(k, "uid")) {
		c->uid = -1;
	} else if (!strcmp(k, "kinds")) {
		c->kinds = 0;
	} else {
		return false;
	}
	if (!strcmp(k, "cgroup"))
		c->cgroup_id = 0;
	return true;
}

static int set_filter(struct wd_agent_config *c, const char *k, const char *v, char *err, size_t errlen)
{
	uint64_t n;

	if (!*v && clear_filter(c, k))
		return 0;

	if (!strcmp(k, "kinds"))
		return wd_config_parse_kinds(v, &c->kinds, err, errlen);
	if (!strcmp(k, "uid")) {
		if (!strcmp(v, "any") || !*v) {
			c->uid = -1;
			return 0;
		}
		if (parse_uid(v, &c->uid))
			return bad(err, errlen, "'%s' is neither a uid nor a user name", v);
		return 0;
	}
	if (!strcmp(k, "comm")) {
		if (strlen(v) > 15)
			return bad(err, errlen, "'%s': comm is at most 15 characters (the kernel's TASK_COMM_LEN - 1)", v);
		return set_str(&c->comm, v, err, errlen);
	}
	if (!strcmp(k, "cgroup"))
		return set_str(&c->cgroup_path, v, err, errlen);
	if (!strcmp(k, "container")) {
		for (const char *p = v; *p; p++)
			if (!isxdigit((unsigned char)*p))
				return bad(err, errlen, "'%s': a container id is hexadecimal", v);
		return set_str(&c->container_id, v, err, errlen);
	}
	if (!strcmp(k, "path_prefix")) {
		if (v[0] != '/')
			return bad(err, errlen, "'%s': the path prefix is absolute (starts with /)", v);
		return set_str(&c->path_prefix, v, err, errlen);
	}
	if (!strcmp(k, "pid_tree")) {
		if (parse_uint(v, 1, INT32_MAX, &n))
			return bad(err, errlen, "'%s' is not a pid", v);
		c->pid_tree = (uint32_t)n;
		return 0;
	}
	return bad(err, errlen, "unknown key '%s' (kinds, uid, comm, cgroup, container, path_prefix, pid_tree)", k);
}

static int set_agent(struct wd_agent_config *c, const char *k, const char *v, char *err, size_t errlen)
{
	uint64_t n;

	if (!*v && !strcmp(k, "ring_size")) {
		c->ring_bytes = 0;
		return 0;
	}
	if (!*v && !strcmp(k, "bpf_dir")) {
		free(c->bpf_dir);
		c->bpf_dir = NULL;
		return 0;
	}

	if (!strcmp(k, "latency_ms")) {
		if (parse_uint(v, 1, 10000, &n))
			return bad(err, errlen, "'%s' is not milliseconds (1..10000)", v);
		c->latency_ms = (unsigned int)n;
		return 0;
	}
	if (!strcmp(k, "stats_interval")) {
		if (parse_uint(v, 0, 86400, &n))
			return bad(err, errlen, "'%s' is not seconds (0..86400; 0: no stats records)", v);
		c->stats_interval = (unsigned int)n;
		return 0;
	}
	if (!strcmp(k, "ring_size")) {
		if (wd_config_parse_size(v, &n) || (n & (n - 1)) || n < 4096 || n > (1ull << 30))
			return bad(err, errlen, "'%s' is not a power of two from 4K to 1G", v);
		c->ring_bytes = (size_t)n;
		return 0;
	}
	if (!strcmp(k, "transport")) {
		if (!strcmp(v, "auto"))
			c->transport = WD_EVENTS_AUTO;
		else if (!strcmp(v, "ringbuf"))
			c->transport = WD_EVENTS_RINGBUF;
		else if (!strcmp(v, "perfbuf") || !strcmp(v, "perf"))
			c->transport = WD_EVENTS_PERFBUF;
		else
			return bad(err, errlen, "'%s': the transport is auto, ringbuf or perfbuf", v);
		return 0;
	}
	if (!strcmp(k, "bpf_dir"))
		return set_str(&c->bpf_dir, v, err, errlen);
	if (!strcmp(k, "stats_file"))
		return set_str(&c->stats_file, v, err, errlen);
	return bad(err, errlen, "unknown key '%s' (latency_ms, stats_interval, ring_size, transport, "
		   "bpf_dir, stats_file)", k);
}

int wd_config_set(struct wd_agent_config *c, const char *section, const char *key,
		  const char *value, char *err, size_t errlen)
{
	if (!strcmp(section, "output"))
		return set_output(c, key, value, err, errlen);
	if (!strcmp(section, "clickhouse"))
		return set_clickhouse(c, key, value, err, errlen);
	if (!strcmp(section, "filter"))
		return set_filter(c, key, value, err, errlen);
	if (!strcmp(section, "agent"))
		return set_agent(c, key, value, err, errlen);
	if (!*section)
		return bad(err, errlen, "'%s' is outside a section ([output], [clickhouse], [filter], [agent])", key);
	return bad(err, errlen, "unknown section [%s] (output, clickhouse, filter, agent)", section);
}

int wd_config_add_output(struct wd_agent_config *c, const char *v, bool from_flag, char *err,
			 size_t errlen)
{
	if (from_flag && !c->outputs_from_flags) {
		/* the command line's outputs replace the file's */
		c->outputs_from_flags = true;
		c->out_stdout = false;
		free(c->out_file);
		c->out_file = NULL;
		free(c->clickhouse_url);
		c->clickhouse_url = NULL;
	}
	if (!strcmp(v, "-") || !strcmp(v, "stdout")) {
		c->out_stdout = true;
		return 0;
	}
	if (!strncmp(v, "clickhouse://", 13)) {
		if (c->clickhouse_url)
			return bad(err, errlen, "a second ClickHouse output '%s' (one is supported)", v);
		return set_str(&c->clickhouse_url, v, err, errlen);
	}
	if (strstr(v, "://"))
		return bad(err, errlen, "'%s': outputs are a file path, '-' (stdout) or clickhouse://...", v);
	if (c->out_file)
		return bad(err, errlen, "a second output file '%s' (one is supported)", v);
	return set_str(&c->out_file, v, err, errlen);
}

struct load_ctx {
	struct wd_agent_config *c;
	char msg[512];
	int line;
};

static int on_ini_line(void *user, const char *section, const char *name, const char *value
#if INI_HANDLER_LINENO
		       , int lineno
#endif
)
{
	struct load_ctx *lc = user;
	char err[400];

	if (lc->msg[0])
		return 1;  /* report the first error only */
	if (!name)         /* a section header alone (INI_CALL_HANDLER_ON_NEW_SECTION) */
		return 1;
	if (wd_config_set(lc->c, section, name, value, err, sizeof(err)) == 0)
		return 1;
	snprintf(lc->msg, sizeof(lc->msg), "[%s] %s: %s", section, name, err);
	return 0;
}

int wd_config_load(struct wd_agent_config *c, const char *path, bool must_exist,
		   char *err, size_t errlen)
{
	struct load_ctx lc = { .c = c };
	FILE *f = fopen(path, "re");
	int rc;

	if (!f) {
		if (errno == ENOENT && !must_exist)
			return 0;
		rc = -errno;
		snprintf(err, errlen, "%s: %s%s", path, strerror(errno),
			 errno == ENOENT ? " (give an existing file to --config)" : "");
		return rc;
	}
	rc = ini_parse_file(f, on_ini_line, &lc);
	fclose(f);
	if (rc == 0)
		return 0;
	if (rc == -2) {
		snprintf(err, errlen, "%s: out of memory", path);
		return -ENOMEM;
	}
	if (lc.msg[0])
		snprintf(err, errlen, "%s:%d: %s", path, rc, lc.msg);
	else
		snprintf(err, errlen, "%s:%d: not 'key = value' nor '[section]' (ini syntax)", path, rc);
	return -EINVAL;
}

int wd_config_finish(struct wd_agent_config *c, char *err, size_t errlen)
{
	int rc;

	if (!c->out_stdout && !c->out_file && !c->clickhouse_url)
		c->out_stdout = true;
	if (c->cgroup_path) {
		rc = wd_cgroup_path_to_id(c->cgroup_path, &c->cgroup_id);
		if (rc) {
			snprintf(err, errlen, "cgroup '%s': %s (a cgroup v2 directory, absolute or "
				 "relative to the cgroup2 mount)", c->cgroup_path, strerror(-rc));
			return -EINVAL;
		}
	}
	if (c->clickhouse_url && !*c->clickhouse_url) {
		free(c->clickhouse_url);
		c->clickhouse_url = NULL;
	}
	return 0;
}
