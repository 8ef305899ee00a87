/* syscall_table.h - syscall numbers to names (tables generated at build time from the kernel
 * headers) and names to categories (a hand-written classification), for syscall reporting. */
#ifndef EM_SYSCALL_TABLE_H
#define EM_SYSCALL_TABLE_H

#include <stddef.h>

/* The tables built in, whatever the build machine: a monitor may read another ABI's numbers. */
enum syscall_abi {
	SYSCALL_ABI_X86_64,
	SYSCALL_ABI_AARCH64,
	SYSCALL_NABIS,
};

enum syscall_category {
	SC_FILE_IO,
	SC_NETWORK,
	SC_MEMORY,
	SC_PROCESS,
	SC_IPC,
	SC_SIGNAL,
	SC_TIME,
	SC_OTHER,
	SC_NCATEGORIES,
};

/*
 * The build machine's ABI (x86_64 or aarch64; on any other machine these know no syscall).
 */

/* The name without "sys_" ("openat"), static storage; NULL when nr has no name. */
const char *syscall_name(unsigned nr);
/* Writes the name, or "syscall_<nr>" when it has none, like snprintf: buf is always terminated
 * (len > 0) and the return value is the length the whole text needs. */
int syscall_name_fmt(unsigned nr, char *buf, size_t len);
/* The number of an exact name ("getppid"), or -1. */
int syscall_number(const char *name);
/* One more than the highest named number, so an array of that size holds every syscall;
 * 0 when the table is empty. */
unsigned syscall_max(void);

/*
 * Any built-in ABI; an abi out of range behaves as an empty table. A table is empty when the
 * build machine lacked its header (the build warned).
 */

const char *syscall_name_abi(enum syscall_abi abi, unsigned nr);
int syscall_number_abi(enum syscall_abi abi, const char *name);
unsigned syscall_max_abi(enum syscall_abi abi);
/* How many numbers have a name. */
unsigned syscall_count_abi(enum syscall_abi abi);

/*
 * Categories, by name, so they are the same on every ABI.
 */

/* "file_io", "network", ...; "other" for a value out of range. */
const char *syscall_category_name(enum syscall_category cat);
/* SC_OTHER for names in no list, and for NULL. Walks the lists: call it once per distinct
 * syscall, not once per event. */
enum syscall_category syscall_category_of(const char *name);
enum syscall_category syscall_category_of_nr(unsigned nr);
/* The category named by a config value ("network", any case), or -EINVAL (NULL or unknown). */
int syscall_category_parse(const char *name);

#endif
