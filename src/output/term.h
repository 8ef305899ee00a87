/* term.h - the terminal under the console views: its size and resizes (SIGWINCH), a full
 * screen with keys read one by one, and the terminal put back as it was on every way out. */
#ifndef EM_TERM_H
#define EM_TERM_H

#include <stdbool.h>

/* The size of the terminal fd is (false, *ret_* untouched, when it is not one or does not say:
 * rows are then written at full length). */
bool term_size(int fd, unsigned *ret_cols, unsigned *ret_rows);
/* From now on a SIGWINCH is noted (the handler only sets a flag; epoll_wait returns EINTR). */
void term_watch_resize(void);
/* Whether the terminal was resized (or the view came back from a stop) since the last call. */
bool term_resized(void);

/* Takes the terminal for a full-screen view on out_fd: the alternate screen, no cursor, and
 * when in_fd is a terminal, keys unbuffered and not echoed (signals from Ctrl-C still work).
 * Whatever happens next, the terminal is put back: term_leave(), exit(), a fatal signal
 * (SIGSEGV, SIGABRT, SIGBUS, SIGFPE, SIGILL, SIGQUIT), and around a stop (Ctrl-Z) and
 * continue. 0 or -errno (then nothing was changed). */
int term_enter(int in_fd, int out_fd);
/* Puts the terminal back as term_enter() found it; idempotent. */
void term_leave(void);

#endif
