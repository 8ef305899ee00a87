/* prom.h - the Prometheus sink: cumulative counters and histograms from the monitors' rows
 * (the same rows the CSV sink writes), bounded label cardinality, and the exposition text. The
 * HTTP side (libmicrohttpd, in the event loop) is prom_http.h; this part has no I/O at all. */
#ifndef EM_PROM_H
#define EM_PROM_H

#include <stddef.h>

#include "output/sink.h"
#include "output/strbuf.h"

struct prom_sink_options {
	/* Per monitor and label (comm, path, device, ...): the first this many distinct values
	 * seen keep their own series; later ones are counted under the value "other". */
	unsigned max_label_values;
	/* Per metric: series beyond this many fold every bounded label into "other". */
	unsigned max_series;
	/* ebpf_monitor_build_info's labels (NULL: "unknown") */
	const char *version, *bcc_version, *kernel;
};

/* The sink in *ret: 0 or -ENOMEM. */
int prom_sink_create(const struct prom_sink_options *o, struct sink **ret);

/* Appends the whole exposition (text format 0.0.4) to b. 0 or -ENOMEM (b then holds a part). */
int prom_sink_render(struct sink *s, struct strbuf *b);

/* Series currently held over all metrics (the health families not counted). */
size_t prom_sink_series(struct sink *s);

/* Appends s as an exposition label value, without the quotes: '\\', '"' and LF escaped as the
 * format requires; other control characters kept; each byte that is not valid UTF-8 becomes
 * U+FFFD (Prometheus rejects invalid UTF-8 in label values). 0 or -ENOMEM. */
int prom_append_label_value(struct strbuf *b, const char *s);

/* Appends a sample value: integers as integers, others with full precision, NaN/Inf spelled the
 * way the format wants. 0 or -ENOMEM. */
int prom_append_value(struct strbuf *b, double v);

#endif
