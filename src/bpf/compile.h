/* compile.h - probe text to BPF instructions and maps. libbcc's compiler (clang and LLVM) runs
 * in a short-lived child process: the daemon never maps the compiler's memory, several probes
 * compile at once, and a compiler crash costs one monitor, not the daemon. */
#ifndef EM_COMPILE_H
#define EM_COMPILE_H

#include <stddef.h>

struct image_func {
	char *name;
	void *insns; /* struct bpf_insn[]: map references are this process's map fds */
	size_t size; /* bytes */
};

struct image_map {
	char *name;
	int fd; /* owned by the image */
	int type;
	size_t max_entries;
	size_t key_size;
	size_t value_size;
};

/* What one probe text compiled to: its programs, not yet loaded, and its maps, created. */
struct bpf_image {
	char *license;
	unsigned kern_version;
	struct image_func *funcs;
	size_t nfuncs;
	struct image_map *maps;
	size_t nmaps;
};

struct compile_job;

/* Starts compiling `text` with these flags in a child process (in this process when fork
 * fails). At most compile_parallelism() children run at once: a start beyond that first
 * waits for the oldest. 0 or -errno with err filled. */
int compile_start(const char *name, const char *text, const char *const *cflags, int ncflags,
		  struct compile_job **ret, char *err, size_t errlen);
/* Waits for the job and frees it. 0 with *ret set and diag holding the compiler's warnings
 * (may be empty), or -errno with err naming the problem (compiler diagnostics included). */
int compile_finish(struct compile_job *j, struct bpf_image **ret, char *diag, size_t diaglen,
		   char *err, size_t errlen);
/* Closes the maps' fds and frees. NULL-safe. (bundle.c) */
void bpf_image_free(struct bpf_image *img);
unsigned compile_parallelism(void);

#endif
