/* suggest.c - "did you mean": the nearest of a list of names to a misspelt one. */
#include <ctype.h>
#include <stdint.h>
#include <string.h>

#include "core/config.h"

const char *config_suggest(const char *word, const char *const *candidates)
{
	size_t prev[65], cur[65];
	size_t wlen, limit, best_d = SIZE_MAX;
	const char *best = NULL;

	if (!word || !candidates)
		return NULL;
	wlen = strlen(word);
	if (wlen > 64)
		return NULL;
	limit = wlen / 3 + 1;
	if (limit > 3)
		limit = 3;
	for (; *candidates; candidates++) {
		const char *c = *candidates;
		size_t clen = strlen(c), i, j;

		if (clen > 64 || (clen > wlen ? clen - wlen : wlen - clen) > limit)
			continue;
		for (j = 0; j <= clen; j++)
			prev[j] = j;
		for (i = 1; i <= wlen; i++) {
			cur[0] = i;
			for (j = 1; j <= clen; j++) {
				size_t sub = prev[j - 1] + (tolower((unsigned char)word[i - 1]) !=
							    tolower((unsigned char)c[j - 1]));
				size_t del = prev[j] + 1, ins = cur[j - 1] + 1;
				size_t best_here = sub < del ? sub : del;

				cur[j] = best_here < ins ? best_here : ins;
			}
			memcpy(prev, cur, (clen + 1) * sizeof(*prev));
		}
		if (prev[clen] <= limit && prev[clen] < best_d) {
			best_d = prev[clen];
			best = c;
		}
	}
	return best;
}
