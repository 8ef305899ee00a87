/* keyset.h - how many distinct keys a monitor's rows had over its run (the stop's totals):
 * a set of 64-bit hashes of the rows' key cells, bounded in memory. */
#ifndef EM_KEYSET_H
#define EM_KEYSET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "output/row.h"

#define KEYSET_MAX (1u << 17) /* keys counted at most: 2 MiB of hashes */

struct keyset {
	uint64_t *slots; /* open addressing; 0: empty */
	size_t cap, n;
	bool full; /* KEYSET_MAX reached (or no memory): n is a lower bound */
};

/* The hash of a row's key: the cells of the columns in `mask` (bit i: column i) and who. */
uint64_t keyset_hash(const struct column *cols, size_t ncols, const struct cell *cells,
		     uint64_t mask, uint32_t who);
void keyset_add(struct keyset *k, uint64_t hash);
void keyset_free(struct keyset *k);

#endif
