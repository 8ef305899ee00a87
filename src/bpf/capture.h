/* capture.h - libbcc's stderr, caught around each bcc call. */
#ifndef EM_CAPTURE_H
#define EM_CAPTURE_H

#include <stddef.h>

/*
 * libbcc reports problems by printing to stderr (compiler diagnostics, "cannot attach kprobe").
 * Those would land in the middle of the console table's neighbour stream and outside our log
 * format, so stderr is redirected to a temporary file around each bcc call and the text is
 * returned to the caller, which logs it or puts it in an error message.
 */

struct stderr_capture {
	int saved;
	int tmp;
};

/* Redirects stderr to an unlinked temporary file (left alone when that fails). */
void capture_begin(struct stderr_capture *c);
/* Restores stderr; copies the tail of what was printed (trimmed) into buf. */
void capture_end(struct stderr_capture *c, char *buf, size_t len);
/* Logs captured bcc output at DEBUG, one record per line. */
void log_captured(const char *what, const char *text);

#endif
