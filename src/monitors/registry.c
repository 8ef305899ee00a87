/* registry.c - the list of built monitors (from monitors.def), lookups, and the config
 * schemas they declare. Their common lifecycle is lifecycle.c, their maps maps.c. */
#include <stdlib.h>
#include <string.h>

#include "monitor.h"

#define MONITOR(n) &n##_monitor_ops,
const struct monitor_ops *const monitor_registry[] = {
#include "monitors.def"
};
#undef MONITOR

const size_t monitor_registry_count = sizeof(monitor_registry) / sizeof(monitor_registry[0]);

const struct monitor_ops *monitor_find(const char *name)
{
	for (size_t i = 0; i < monitor_registry_count; i++) {
		if (!strcmp(monitor_registry[i]->name, name))
			return monitor_registry[i];
	}
	return NULL;
}

size_t monitor_schemas(struct monitor_schema *out, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < monitor_registry_count && n < max; i++, n++) {
		const struct monitor_ops *o = monitor_registry[i];

		out[n] = (struct monitor_schema){
			.name = o->name,
			.options = o->options,
			.options_size = o->options_size,
			.aggregating = o->aggregating,
			.attach_choices = o->attach_choices,
		};
	}
	return n;
}
