// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* CO-RE relocation: placeholder until the CO-RE engine lands. */
#include <errno.h>
#include "internal.h"

int wd_core_relocate(struct wd_object *obj)
{
	for (size_t i = 0; i < obj->spec->nr_secs; i++)
		if (obj->spec->secs[i].nr_core_relos)
			return wd_err(-ENOTSUP, "section '%s' has CO-RE relocations, not supported yet",
				      obj->spec->secs[i].name);
	return 0;
}
