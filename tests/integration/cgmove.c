/* cgmove.c - a process that lives about a millisecond, for the attribution tests:
 *   cgmove PROCS COMM N
 * names itself COMM, moves itself into the cgroup whose cgroup.procs file is PROCS (unless
 * PROCS is "-"), makes exactly N getppid(2) calls and exits. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	char pid[32];
	long n;
	int fd, len;

	if (argc != 4) {
		fprintf(stderr, "usage: cgmove PROCS COMM N\n");
		return 2;
	}
	prctl(PR_SET_NAME, argv[2], 0, 0, 0);
	if (strcmp(argv[1], "-")) {
		fd = open(argv[1], O_WRONLY);
		len = snprintf(pid, sizeof(pid), "%d\n", getpid());
		if (fd < 0 || write(fd, pid, (size_t)len) != len) {
			perror(argv[1]);
			return 1;
		}
		close(fd);
	}
	n = strtol(argv[3], NULL, 10);
	for (long i = 0; i < n; i++)
		syscall(SYS_getppid);
	return 0;
}
