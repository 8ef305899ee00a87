/* term.c - terminal size, resizes, and a full screen that is always given back. */
#include "output/term.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

/* alternate screen on, cursor hidden; and back */
#define TERM_ENTER_SEQ "\033[?1049h\033[?25l"
#define TERM_LEAVE_SEQ "\033[?25h\033[?1049l"

static volatile sig_atomic_t term_winch = 0;

/* What term_enter() changed, for the handlers: plain data, read from signal handlers. */
static struct {
	volatile sig_atomic_t active;
	pid_t owner; /* a forked child (the probe compiler) must not touch the view's terminal */
	int in_fd, out_fd;
	bool raw; /* in_fd's modes were changed: saved holds its own */
	struct termios saved, view;
	bool handlers; /* the fatal, stop and continue handlers are installed */
	struct sigaction old_tstp;
} term;

static const int term_fatal[] = { SIGSEGV, SIGABRT, SIGBUS, SIGFPE, SIGILL, SIGQUIT };

bool term_size(int fd, unsigned *ret_cols, unsigned *ret_rows)
{
	struct winsize ws;

	if (!isatty(fd) || ioctl(fd, TIOCGWINSZ, &ws) < 0 || !ws.ws_col)
		return false;
	*ret_cols = ws.ws_col;
	*ret_rows = ws.ws_row;
	return true;
}

static void term_on_winch(int sig)
{
	(void)sig;
	term_winch = 1;
}

void term_watch_resize(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = term_on_winch;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGWINCH, &sa, NULL);
}

bool term_resized(void)
{
	bool r = term_winch;

	term_winch = 0;
	return r;
}

/* Only async-signal-safe calls: the handlers use it. */
static void term_restore(void)
{
	int e = errno;

	if (term.raw)
		tcsetattr(term.in_fd, TCSAFLUSH, &term.saved);
	(void)!write(term.out_fd, TERM_LEAVE_SEQ, sizeof(TERM_LEAVE_SEQ) - 1);
	errno = e;
}

static void term_reenter(void)
{
	int e = errno;

	if (term.raw)
		tcsetattr(term.in_fd, TCSAFLUSH, &term.view);
	(void)!write(term.out_fd, TERM_ENTER_SEQ, sizeof(TERM_ENTER_SEQ) - 1);
	errno = e;
}

/* A fatal signal: the terminal back, then the default action (a core dump, if so set). */
static void term_on_fatal(int sig)
{
	if (term.active && getpid() == term.owner)
		term_restore();
	term.active = 0;
	signal(sig, SIG_DFL);
	raise(sig);
}

/* Ctrl-Z: the terminal back, then stop as the default would. */
static void term_on_tstp(int sig)
{
	sigset_t m;

	(void)sig;
	if (term.active && getpid() == term.owner)
		term_restore();
	signal(SIGTSTP, SIG_DFL);
	sigemptyset(&m);
	sigaddset(&m, SIGTSTP);
	sigprocmask(SIG_UNBLOCK, &m, NULL);
	raise(SIGTSTP);
	/* continued: take the terminal again */
	sigprocmask(SIG_BLOCK, &m, NULL);
	signal(SIGTSTP, term_on_tstp);
	if (term.active && getpid() == term.owner)
		term_reenter();
	term_winch = 1; /* redraw */
}

static void term_atexit(void)
{
	if (getpid() == term.owner)
		term_leave();
}

static void term_handlers(void)
{
	static bool registered;
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESETHAND;
	sa.sa_handler = term_on_fatal;
	for (size_t i = 0; i < sizeof(term_fatal) / sizeof(term_fatal[0]); i++)
		sigaction(term_fatal[i], &sa, NULL);
	sa.sa_flags = SA_RESTART;
	sa.sa_handler = term_on_tstp;
	sigaction(SIGTSTP, &sa, &term.old_tstp);
	if (!registered)
		registered = atexit(term_atexit) == 0;
	term.handlers = true;
}

int term_enter(int in_fd, int out_fd)
{
	if (term.active)
		return -EBUSY;
	if (!isatty(out_fd))
		return -ENOTTY;
	term.in_fd = in_fd;
	term.out_fd = out_fd;
	term.owner = getpid();
	term.raw = false;
	if (isatty(in_fd) && tcgetattr(in_fd, &term.saved) == 0) {
		term.view = term.saved;
		term.view.c_lflag &= ~(tcflag_t)(ICANON | ECHO);
		term.view.c_cc[VMIN] = 1;
		term.view.c_cc[VTIME] = 0;
		if (tcsetattr(in_fd, TCSAFLUSH, &term.view) < 0)
			return -errno;
		term.raw = true;
	}
	term_handlers();
	term.active = 1;
	term_reenter();
	term_watch_resize();
	return 0;
}

void term_leave(void)
{
	if (!term.active)
		return;
	term.active = 0;
	term_restore();
	if (term.handlers) {
		for (size_t i = 0; i < sizeof(term_fatal) / sizeof(term_fatal[0]); i++)
			signal(term_fatal[i], SIG_DFL);
		sigaction(SIGTSTP, &term.old_tstp, NULL);
		term.handlers = false;
	}
}
