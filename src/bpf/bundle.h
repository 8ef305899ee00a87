/* bundle.h - several probe texts compiled as one: one clang run instead of one per probe.
 *
 * Each compile pays a fixed ~0.3 s (bcc parses its helpers twice and re-reads /proc/kallsyms)
 * before the probe's own code; a bundle pays it once. The combined text gives each member its
 * own flags (as #define, undone after it) and its own copy of common.h's per-probe part, with
 * those maps and helpers renamed "<member>__em_..." in its text. The compiled image is then
 * split back into one image per member, by the names each member's text declares; common
 * names come back as written ("em_stats"), so nothing after the compile knows of the bundle.
 *
 * No bcc here: pure text and bookkeeping, unit-tested without BPF.
 */
#ifndef EM_BUNDLE_H
#define EM_BUNDLE_H

#include <stddef.h>

#include "bpf/compile.h"

struct bundle_member {
	const char *name; /* the monitor's name: prefix of its renamed common identifiers */
	const char *text; /* the probe text, common.h inlined */
	const char *const *cflags;
	int ncflags;
};

/* 1 when the member can share a compile: every flag a -D, and its programs written out by
 * name (bcc's *_PROBE() macros make names the split could not attribute). */
int bundle_eligible(const struct bundle_member *mb);

/* The combined text (malloc'd) in *ret: 0, -EINVAL (a member not eligible) or -ENOMEM. */
int bundle_text(const struct bundle_member *mbs, size_t n, char **ret);

/* Splits the image of bundle_text(mbs, n) into ret[0..n): each member's programs and maps,
 * common ones under their written names. 0 and img consumed; or -ENOENT with err naming a
 * program or map that belongs to no member or to several (img and ret untouched). */
int bundle_split(struct bpf_image *img, const struct bundle_member *mbs, size_t n,
		 struct bpf_image **ret, char *err, size_t errlen);

#endif
