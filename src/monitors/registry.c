/* registry.c - the list of built monitors (from monitors.def), lookups, and the config
 * schemas they declare. Their common lifecycle is lifecycle.c, their maps maps.c. */
#include <stdlib.h>
#include <string.h>

#include "monitors/monitor.h"

#define MONITOR(n) &n##_monitor_ops,
const struct monitor_ops *const monitor_registry[] = {
#include "monitors/monitors.def"
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
			.samples = o->samples,
			.attach_choices = monitor_attach_choices(o),
		};
	}
	return n;
}

const char *const *monitor_attach_choices(const struct monitor_ops *o)
{
	static const char *choices[sizeof(monitor_registry) / sizeof(monitor_registry[0])]
				  [MONITOR_MAX_CHOICES];
	static const char *const auto_only[] = { "auto", NULL };
	const char **c = NULL;
	size_t n = 1;

	for (size_t i = 0; i < monitor_registry_count; i++) {
		if (monitor_registry[i] == o)
			c = choices[i];
	}
	if (!c)
		return auto_only;
	if (c[0])
		return c;
	c[0] = "auto";
	for (size_t p = 0; p < o->npoints; p++) {
		if (o->points[p].internal)
			continue;
		for (const struct attach_alt *a = o->points[p].alts; a && a->name; a++) {
			size_t k;

			for (k = 0; k < n && strcmp(c[k], a->name); k++)
				;
			if (k == n && n + 1 < MONITOR_MAX_CHOICES)
				c[n++] = a->name;
		}
	}
	return c;
}
