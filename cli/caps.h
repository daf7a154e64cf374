/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* What the calling process lacks to do BPF work, for the CLI's messages. */
#ifndef WARDEN_CLI_CAPS_H
#define WARDEN_CLI_CAPS_H

#include <stdbool.h>
#include <stddef.h>

enum cli_need { CLI_NEED_BPF, CLI_NEED_CLEANUP };

/* When the process's effective set lacks what `need` takes, write one
 * sentence naming the missing capabilities into buf and return true. */
bool cli_missing_caps(enum cli_need need, char *buf, size_t size);

#endif
