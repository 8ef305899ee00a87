/* compile.c - runs libbcc's compiler in a child process and brings back what it made.
 *
 * The child (a fork of this process, so libbcc is already loaded) compiles the probe text
 * with bpf_module_create_c_from_string(), which also creates the maps, then sends back over a
 * socketpair: the compiler's messages, the license, the kernel version, every function's
 * instructions and every map's description, with the maps' fds passed as SCM_RIGHTS. The
 * parent rewrites the map references in the instructions (ld_imm64 with BPF_PSEUDO_MAP_FD
 * carries the child's fd numbers) to its own fds, and loads programs from those instructions
 * later with bcc_prog_load(). Why: clang and LLVM leave ~80 MB of code pages and tens of MB of
 * heap in the process that runs them, and each compile spends ~0.2 s re-reading
 * /proc/kallsyms; in children the daemon stays small and the probes compile in parallel.
 */
#define LOG_NAME "ebpf_monitor.loader"

#include "bpf/compile.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bpf/bcc_compat.h"
#include "bpf/capture.h"
#include "core/log.h"

#define IMAGE_MAGIC 0x656d696du /* "emim" */
#define IMAGE_MAX_FDS 250       /* under the kernel's SCM_MAX_FD (253) */
#define DIAG_LEN 4096
#define COMPILE_TIMEOUT_S 300

struct image_header {
	uint32_t magic;
	int32_t status; /* 0, or -errno: then the payload is the diagnostics alone */
	uint32_t nfds;
	uint32_t len;   /* payload bytes that follow */
};

struct compile_job {
	char name[32];
	pid_t pid;        /* 0: done (or compiled in this process) */
	int sock;
	int status;       /* once done */
	struct bpf_image *img;
	char diag[DIAG_LEN];
	struct compile_job *next_running;
};

static struct compile_job *running; /* oldest first */

/* The libbcc calls the compiler makes, from dlopen(EM_LIBBCC_SONAME). */
static struct bcc_api {
	void *lib;
	__typeof__(&bpf_module_create_c_from_string) create;
	__typeof__(&bpf_module_destroy) destroy;
	__typeof__(&bpf_module_license) license;
	__typeof__(&bpf_module_kern_version) kern_version;
	__typeof__(&bpf_num_functions) num_functions;
	__typeof__(&bpf_function_name) function_name;
	__typeof__(&bpf_function_start) function_start;
	__typeof__(&bpf_function_size) function_size;
	__typeof__(&bpf_num_tables) num_tables;
	__typeof__(&bpf_table_name) table_name;
	__typeof__(&bpf_table_fd_id) table_fd;
	__typeof__(&bpf_table_type_id) table_type;
	__typeof__(&bpf_table_max_entries_id) table_max_entries;
	__typeof__(&bpf_table_key_size_id) table_key_size;
	__typeof__(&bpf_table_leaf_size_id) table_leaf_size;
} bcc;

/* 0, or -ELIBACC with err filled. */
static int bcc_api_open(char *err, size_t errlen)
{
	struct sym {
		const char *name;
		void **slot;
	} syms[] = {
		{ "bpf_module_create_c_from_string", (void **)&bcc.create },
		{ "bpf_module_destroy", (void **)&bcc.destroy },
		{ "bpf_module_license", (void **)&bcc.license },
		{ "bpf_module_kern_version", (void **)&bcc.kern_version },
		{ "bpf_num_functions", (void **)&bcc.num_functions },
		{ "bpf_function_name", (void **)&bcc.function_name },
		{ "bpf_function_start", (void **)&bcc.function_start },
		{ "bpf_function_size", (void **)&bcc.function_size },
		{ "bpf_num_tables", (void **)&bcc.num_tables },
		{ "bpf_table_name", (void **)&bcc.table_name },
		{ "bpf_table_fd_id", (void **)&bcc.table_fd },
		{ "bpf_table_type_id", (void **)&bcc.table_type },
		{ "bpf_table_max_entries_id", (void **)&bcc.table_max_entries },
		{ "bpf_table_key_size_id", (void **)&bcc.table_key_size },
		{ "bpf_table_leaf_size_id", (void **)&bcc.table_leaf_size },
	};

	if (bcc.lib)
		return 0;
	bcc.lib = dlopen(EM_LIBBCC_SONAME, RTLD_NOW | RTLD_LOCAL);
	if (!bcc.lib) {
		snprintf(err, errlen,
			 "cannot load %s (install bcc: libbpfcc on Debian, bcc on RHEL): %s",
			 EM_LIBBCC_SONAME, dlerror());
		return -ELIBACC;
	}
	for (size_t i = 0; i < sizeof(syms) / sizeof(syms[0]); i++) {
		*syms[i].slot = dlsym(bcc.lib, syms[i].name);
		if (!*syms[i].slot) {
			snprintf(err, errlen, "%s has no %s", EM_LIBBCC_SONAME, syms[i].name);
			dlclose(bcc.lib);
			bcc.lib = NULL;
			return -ELIBACC;
		}
	}
	return 0;
}

unsigned compile_parallelism(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	/* Each compile peaks near 150 MB; more than 4 at once buys little. */
	return n < 1 ? 1 : n > 4 ? 4 : (unsigned)n;
}

/* ---- payload: a byte buffer written by the compiler, read by the parent ---- */

struct buf {
	char *p;
	size_t len, cap, off;
	int failed;
};

static void put(struct buf *b, const void *data, size_t n)
{
	if (b->failed)
		return;
	if (b->len + n > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		char *p;

		while (cap < b->len + n)
			cap *= 2;
		p = realloc(b->p, cap);
		if (!p) {
			b->failed = 1;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, data, n);
	b->len += n;
}

static void put_u64(struct buf *b, uint64_t v)
{
	put(b, &v, sizeof(v));
}

static void put_str(struct buf *b, const char *s)
{
	size_t n = s ? strlen(s) : 0;

	put_u64(b, n);
	put(b, s, n);
}

static const void *take(struct buf *b, size_t n)
{
	const void *p;

	if (b->failed || n > b->len - b->off) {
		b->failed = 1;
		return NULL;
	}
	p = b->p + b->off;
	b->off += n;
	return p;
}

static uint64_t take_u64(struct buf *b)
{
	uint64_t v = 0;
	const void *p = take(b, sizeof(v));

	if (p)
		memcpy(&v, p, sizeof(v));
	return v;
}

static void *take_copy(struct buf *b, size_t n, int nul)
{
	const void *src = take(b, n);
	char *p = src ? malloc(n + (size_t)nul) : NULL;

	if (!p) {
		b->failed = 1;
		return NULL;
	}
	memcpy(p, src, n);
	if (nul)
		p[n] = '\0';
	return p;
}

static char *take_str(struct buf *b)
{
	return take_copy(b, (size_t)take_u64(b), 1);
}

/* ---- the compiling side ---- */

/* Describes a compiled bcc module into b; the maps' fds (the module's own) go to fds. */
static int describe_module(void *mod, struct buf *b, int *fds, uint32_t *nfds)
{
	size_t nf = bcc.num_functions(mod), nm = bcc.num_tables(mod);

	put_str(b, bcc.license(mod));
	put_u64(b, bcc.kern_version(mod));
	put_u64(b, nf);
	for (size_t i = 0; i < nf; i++) {
		const char *name = bcc.function_name(mod, i);
		const void *start = bcc.function_start(mod, name);
		size_t size = bcc.function_size(mod, name);

		put_str(b, name);
		put_u64(b, start ? size : 0);
		if (start)
			put(b, start, size);
	}
	put_u64(b, nm);
	*nfds = 0;
	for (size_t i = 0; i < nm; i++) {
		int fd = bcc.table_fd(mod, i);

		put_str(b, bcc.table_name(mod, i));
		put_u64(b, (uint64_t)(int64_t)fd);
		put_u64(b, (uint64_t)(int64_t)bcc.table_type(mod, i));
		put_u64(b, bcc.table_max_entries(mod, i));
		put_u64(b, bcc.table_key_size(mod, i));
		put_u64(b, bcc.table_leaf_size(mod, i));
		if (fd < 0)
			continue;
		if (*nfds == IMAGE_MAX_FDS)
			return -E2BIG;
		fds[(*nfds)++] = fd;
	}
	return b->failed ? -ENOMEM : 0;
}

/* Compiles; fills the header, the payload (diagnostics first) and the fds to pass. */
static void compile_here(const char *text, const char *const *argv, int n,
			 struct image_header *h, struct buf *b, int *fds, void **ret_mod)
{
	struct stderr_capture cap;
	char out[DIAG_LEN];
	void *mod = NULL;
	int r = bcc_api_open(out, sizeof(out));

	if (!r) {
		capture_begin(&cap);
		mod = em_bcc_module_create(bcc.create, text, (const char **)argv, n);
		capture_end(&cap, out, sizeof(out));
		r = mod ? 0 : -EINVAL;
	}
	put_str(b, out);
	h->magic = IMAGE_MAGIC;
	h->nfds = 0;
	h->status = r ? r : describe_module(mod, b, fds, &h->nfds);
	if (h->status) {
		/* the diagnostics alone */
		b->len = sizeof(uint64_t) + strlen(out);
		h->nfds = 0;
	}
	if (b->failed) {
		/* out of memory: an empty answer, its reason in the status */
		h->status = -ENOMEM;
		h->nfds = 0;
		b->len = 0;
	}
	h->len = (uint32_t)b->len;
	*ret_mod = mod;
}

/* 0, or -errno (-EPIPE when nothing more could be sent). */
static int send_all(int sock, const void *p, size_t n)
{
	while (n) {
		ssize_t w = send(sock, p, n, MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		if (w == 0)
			return -EPIPE;
		p = (const char *)p + w;
		n -= (size_t)w;
	}
	return 0;
}

static void child_main(int sock, pid_t parent, const char *text, const char *const *argv,
		       int n)
{
	union {
		char buf[CMSG_SPACE(IMAGE_MAX_FDS * sizeof(int))];
		struct cmsghdr align;
	} u;
	int fds[IMAGE_MAX_FDS];
	struct image_header h;
	struct buf b = { 0 };
	struct iovec iov = { &h, sizeof(h) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	void *mod;

	/* Nothing to finish for a parent that is gone. */
	(void)prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(1);
	(void)prctl(PR_SET_NAME, "em-compile");
	compile_here(text, argv, n, &h, &b, fds, &mod);
	if (h.nfds) {
		struct cmsghdr *c;

		memset(&u, 0, sizeof(u));
		msg.msg_control = u.buf;
		msg.msg_controllen = CMSG_SPACE(h.nfds * sizeof(int));
		c = CMSG_FIRSTHDR(&msg);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(h.nfds * sizeof(int));
		memcpy(CMSG_DATA(c), fds, h.nfds * sizeof(int));
	}
	if (sendmsg(sock, &msg, MSG_NOSIGNAL) != (ssize_t)sizeof(h) || send_all(sock, b.p, b.len))
		_exit(1);
	/* No destructors, no atexit handlers, no stdio flush of the parent's buffers. */
	_exit(0);
}

/* ---- the receiving side ---- */

/* 0, or -errno (-EPROTO at an early end of file). */
static int read_all(int fd, void *p, size_t n)
{
	while (n) {
		ssize_t r = read(fd, p, n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			return -EPROTO;
		p = (char *)p + r;
		n -= (size_t)r;
	}
	return 0;
}

/* Rewrites each ld_imm64 map reference from the compiler's fd number to ours. */
static int relocate(struct image_func *f, const int *from, const int *to, size_t n)
{
	struct bpf_insn *insn = f->insns;
	size_t count = f->size / sizeof(*insn);

	for (size_t i = 0; i < count; i++) {
		size_t k;

		if (insn[i].code != (BPF_LD | BPF_IMM | BPF_DW))
			continue;
		if (insn[i].src_reg == BPF_PSEUDO_MAP_FD) {
			for (k = 0; k < n && from[k] != insn[i].imm; k++)
				;
			if (k == n)
				return -ENOENT;
			insn[i].imm = to[k];
		}
		i++; /* the second half of the 16-byte instruction */
	}
	return 0;
}

/* Builds the image from the payload; takes ownership of fds (closed on failure). */
static int parse_image(struct buf *b, int *fds, uint32_t nfds, struct bpf_image **ret)
{
	struct bpf_image *img = calloc(1, sizeof(*img));
	int from[IMAGE_MAX_FDS], r = -EPROTO;
	uint32_t used = 0;

	if (!img)
		goto fail;
	img->license = take_str(b);
	img->kern_version = (unsigned)take_u64(b);
	img->nfuncs = (size_t)take_u64(b);
	if (b->failed || img->nfuncs > 4096)
		goto fail;
	img->funcs = calloc(img->nfuncs ? img->nfuncs : 1, sizeof(*img->funcs));
	for (size_t i = 0; img->funcs && i < img->nfuncs && !b->failed; i++) {
		img->funcs[i].name = take_str(b);
		img->funcs[i].size = (size_t)take_u64(b);
		img->funcs[i].insns = take_copy(b, img->funcs[i].size, 0);
	}
	img->nmaps = (size_t)take_u64(b);
	if (!img->funcs || b->failed || img->nmaps > 4096)
		goto fail;
	img->maps = calloc(img->nmaps ? img->nmaps : 1, sizeof(*img->maps));
	for (size_t i = 0; img->maps && i < img->nmaps; i++)
		img->maps[i].fd = -1;
	for (size_t i = 0; img->maps && i < img->nmaps && !b->failed; i++) {
		struct image_map *mp = &img->maps[i];
		int child_fd;

		mp->name = take_str(b);
		child_fd = (int)(int64_t)take_u64(b);
		mp->type = (int)(int64_t)take_u64(b);
		mp->max_entries = (size_t)take_u64(b);
		mp->key_size = (size_t)take_u64(b);
		mp->value_size = (size_t)take_u64(b);
		if (child_fd >= 0 && used < nfds) {
			from[used] = child_fd;
			mp->fd = fds[used++];
		}
	}
	if (!img->maps || b->failed || used != nfds)
		goto fail;
	for (size_t i = 0; i < img->nfuncs; i++) {
		if (relocate(&img->funcs[i], from, fds, used))
			goto fail;
	}
	*ret = img;
	return 0;
fail:
	/* fds not yet handed to a map are closed here, the others by bpf_image_free */
	for (uint32_t i = used; i < nfds; i++)
		close(fds[i]);
	bpf_image_free(img);
	return img ? r : -ENOMEM;
}

/* Turns a header + payload into the job's result. */
static void finish_job(struct compile_job *j, const struct image_header *h, struct buf *b,
		       int *fds)
{
	char *diag = take_str(b);

	snprintf(j->diag, sizeof(j->diag), "%s", diag ? diag : "");
	free(diag);
	j->status = h->status;
	if (!j->status)
		j->status = parse_image(b, fds, h->nfds, &j->img);
	else
		for (uint32_t i = 0; i < h->nfds; i++)
			close(fds[i]);
}

/* Reads the child's answer, reaps it, parses. */
static void collect(struct compile_job *j)
{
	union {
		char buf[CMSG_SPACE(IMAGE_MAX_FDS * sizeof(int))];
		struct cmsghdr align;
	} u;
	struct image_header h = { 0 };
	struct iovec iov = { &h, sizeof(h) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf,
			      .msg_controllen = sizeof(u.buf) };
	int fds[IMAGE_MAX_FDS], wst = 0;
	uint32_t nfds = 0;
	struct buf b = { 0 };
	struct pollfd pfd = { .fd = j->sock, .events = POLLIN };
	int ready;
	ssize_t r;

	/* A compiler that hangs (it takes ~0.5 s here, ~20 s under TCG emulation) is killed. */
	do
		ready = poll(&pfd, 1, COMPILE_TIMEOUT_S * 1000);
	while (ready < 0 && errno == EINTR);
	if (ready == 0)
		kill(j->pid, SIGKILL);
	do
		r = recvmsg(j->sock, &msg, MSG_WAITALL | MSG_CMSG_CLOEXEC);
	while (r < 0 && errno == EINTR);
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); r > 0 && c; c = CMSG_NXTHDR(&msg, c)) {
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
			nfds = (uint32_t)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
			memcpy(fds, CMSG_DATA(c), nfds * sizeof(int));
		}
	}
	if (r == (ssize_t)sizeof(h) && h.magic == IMAGE_MAGIC && h.nfds == nfds &&
	    !(msg.msg_flags & MSG_CTRUNC) && h.len < (64u << 20)) {
		b.p = malloc(h.len ? h.len : 1);
		b.len = b.cap = h.len;
		if (b.p && read_all(j->sock, b.p, h.len) == 0) {
			finish_job(j, &h, &b, fds);
			nfds = 0;
		} else {
			j->status = -EPROTO;
		}
	} else {
		j->status = -EPROTO;
	}
	for (uint32_t i = 0; i < nfds; i++)
		close(fds[i]);
	free(b.p);
	close(j->sock);
	j->sock = -1;
	while (waitpid(j->pid, &wst, 0) < 0 && errno == EINTR)
		;
	if (ready == 0) {
		j->status = -ETIMEDOUT;
		snprintf(j->diag, sizeof(j->diag), "the compiler process took more than %d s: killed",
			 COMPILE_TIMEOUT_S);
	} else if (j->status == -EPROTO) {
		if (WIFSIGNALED(wst))
			snprintf(j->diag, sizeof(j->diag), "the compiler process died of signal %d",
				 WTERMSIG(wst));
		else
			snprintf(j->diag, sizeof(j->diag),
				 "the compiler process sent no usable answer (exit status %d)",
				 WIFEXITED(wst) ? WEXITSTATUS(wst) : -1);
	}
	j->pid = 0;
	/* off the running list */
	for (struct compile_job **p = &running; *p; p = &(*p)->next_running) {
		if (*p == j) {
			*p = j->next_running;
			break;
		}
	}
}

static void compile_in_process(struct compile_job *j, const char *text, const char *const *argv,
			       int n)
{
	struct image_header h;
	struct buf b = { 0 };
	int fds[IMAGE_MAX_FDS];
	void *mod;

	compile_here(text, argv, n, &h, &b, fds, &mod);
	/* Our own copies: the module (and its fds) goes now. */
	for (uint32_t i = 0; i < h.nfds; i++) {
		fds[i] = fcntl(fds[i], F_DUPFD_CLOEXEC, 0);
		if (fds[i] < 0 && !h.status)
			h.status = -errno;
	}
	if (mod)
		bcc.destroy(mod);
	if (h.status) {
		for (uint32_t i = 0; i < h.nfds; i++)
			if (fds[i] >= 0)
				close(fds[i]);
		h.nfds = 0;
	}
	if (b.failed) {
		h.status = -ENOMEM;
		h.nfds = 0;
	}
	finish_job(j, &h, &b, fds);
	free(b.p);
}

int compile_start(const char *name, const char *text, const char *const *cflags, int ncflags,
		  struct compile_job **ret, char *err, size_t errlen)
{
	struct compile_job *j = calloc(1, sizeof(*j)), **tail;
	unsigned n = 0;
	int sv[2];
	pid_t parent = getpid();

	if (!j) {
		snprintf(err, errlen, "%s: out of memory", name);
		return -ENOMEM;
	}
	snprintf(j->name, sizeof(j->name), "%s", name);
	j->sock = -1;
	for (struct compile_job *r = running; r; r = r->next_running)
		n++;
	if (n >= compile_parallelism())
		collect(running);
	fflush(NULL); /* nothing buffered may be written twice */
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0) {
		j->pid = fork();
		if (j->pid == 0) {
			close(sv[0]);
			child_main(sv[1], parent, text, cflags, ncflags);
		}
		close(sv[1]);
		if (j->pid > 0) {
			j->sock = sv[0];
			for (tail = &running; *tail; tail = &(*tail)->next_running)
				;
			*tail = j;
			*ret = j;
			return 0;
		}
		close(sv[0]);
	}
	log_warn("%s: cannot start a compiler process (%s): compiling in this process", name,
		 strerror(errno));
	j->pid = 0;
	compile_in_process(j, text, cflags, ncflags);
	*ret = j;
	return 0;
}

int compile_finish(struct compile_job *j, struct bpf_image **ret, char *diag, size_t diaglen,
		   char *err, size_t errlen)
{
	int r;

	if (j->pid)
		collect(j);
	r = j->status;
	if (r) {
		snprintf(err, errlen, "compiling the %s probe failed%s%s", j->name,
			 j->diag[0] ? ": " : "", j->diag);
		bpf_image_free(j->img);
	} else {
		snprintf(diag, diaglen, "%s", j->diag);
		*ret = j->img;
	}
	free(j);
	return r;
}
