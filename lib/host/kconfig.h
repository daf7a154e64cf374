/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The kernel config reader is public: warden/kconfig.h. */
#ifndef WARDEN_KCONFIG_H
#define WARDEN_KCONFIG_H
#include "warden/kconfig.h"
#endif
