/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Section name -> program type, expected attach type and attach kind: one table. */
#ifndef WARDEN_SECTION_H
#define WARDEN_SECTION_H

#include <stdbool.h>
#include <stdint.h>

#include "warden/spec.h"

#endif
