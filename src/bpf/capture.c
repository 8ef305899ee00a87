/* capture.c - libbcc's stderr, caught around each bcc call and handed to our log. */
#define LOG_NAME "ebpf_monitor.loader"

#include "bpf/capture.h"

#include <ctype.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/log.h"

void capture_begin(struct stderr_capture *c)
{
	char path[] = "/tmp/ebpf-monitor-bcc-XXXXXX";

	fflush(stderr);
	c->saved = -1;
	c->tmp = mkostemp(path, O_CLOEXEC);
	if (c->tmp < 0)
		return;
	(void)unlink(path);
	c->saved = dup(STDERR_FILENO);
	if (c->saved < 0 || dup2(c->tmp, STDERR_FILENO) < 0) {
		if (c->saved >= 0)
			close(c->saved);
		close(c->tmp);
		c->saved = c->tmp = -1;
	}
}

/* Restores stderr; copies what bcc printed (trimmed, one line per '\n' kept) into buf. */
void capture_end(struct stderr_capture *c, char *buf, size_t len)
{
	ssize_t n = 0;
	off_t size;

	if (len)
		buf[0] = '\0';
	fflush(stderr);
	if (c->saved < 0)
		return;
	dup2(c->saved, STDERR_FILENO);
	close(c->saved);
	size = lseek(c->tmp, 0, SEEK_END);
	if (len > 1 && size > 0) {
		/* Keep the tail: the last lines of compiler/verifier output say what failed. */
		off_t from = size > (off_t)(len - 1) ? size - (off_t)(len - 1) : 0;

		n = pread(c->tmp, buf, len - 1, from);
		if (n < 0)
			n = 0;
		buf[n] = '\0';
		while (n > 0 && isspace((unsigned char)buf[n - 1]))
			buf[--n] = '\0';
	}
	close(c->tmp);
}

/* Logs captured bcc output at DEBUG, one record per line. */
void log_captured(const char *what, const char *text)
{
	const char *l = text;

	while (l && *l) {
		const char *e = strchr(l, '\n');
		int n = e ? (int)(e - l) : (int)strlen(l);

		if (n > 0)
			log_debug("%s: libbcc: %.*s", what, n, l);
		l = e ? e + 1 : NULL;
	}
}

