/* kversion.c - the running kernel's LINUX_VERSION_CODE (see kversion.h). */
#include "core/kversion.h"

#include <elf.h>
#include <stdio.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/utsname.h>

unsigned kversion_code(unsigned major, unsigned minor, unsigned sub)
{
	return (major << 16) + (minor << 8) + (sub > 255 ? 255 : sub);
}

/* Walks the notes of one PT_NOTE segment for name "Linux", type 0, a 4-byte value. */
static unsigned linux_note(const unsigned char *p, size_t len)
{
	size_t off = 0;

	while (off + sizeof(Elf64_Nhdr) <= len) {
		const Elf64_Nhdr *n = (const Elf64_Nhdr *)(p + off);
		size_t name = (n->n_namesz + 3) & ~(size_t)3, desc = (n->n_descsz + 3) & ~(size_t)3;
		const unsigned char *np = p + off + sizeof(*n);
		unsigned v;

		if (name > len || desc > len || off + sizeof(*n) + name + desc > len)
			return 0;
		if (n->n_type == 0 && n->n_namesz == 6 && memcmp(np, "Linux", 6) == 0 &&
		    n->n_descsz == 4) {
			memcpy(&v, np + name, sizeof(v));
			return v;
		}
		off += sizeof(*n) + name + desc;
	}
	return 0;
}

unsigned kversion_from_elf_note(const void *image, size_t len)
{
	const unsigned char *b = image;
	const Elf64_Ehdr *eh = image;

	if (!image || len < sizeof(*eh) || memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0 ||
	    eh->e_ident[EI_CLASS] != ELFCLASS64 || eh->e_phentsize != sizeof(Elf64_Phdr) ||
	    eh->e_phoff > len || (len - eh->e_phoff) / sizeof(Elf64_Phdr) < eh->e_phnum)
		return 0;
	for (unsigned i = 0; i < eh->e_phnum; i++) {
		const Elf64_Phdr *ph = (const Elf64_Phdr *)(b + eh->e_phoff) + i;
		unsigned v;

		if (ph->p_type != PT_NOTE || ph->p_offset > len ||
		    ph->p_filesz > len - ph->p_offset)
			continue;
		v = linux_note(b + ph->p_offset, ph->p_filesz);
		if (v)
			return v;
	}
	return 0;
}

unsigned kversion_from_signature(const char *line)
{
	const char *last;
	unsigned a, b, c;
	int n = 0;

	if (!line)
		return 0;
	last = strrchr(line, ' ');
	last = last ? last + 1 : line;
	if (sscanf(last, "%u.%u.%u%n", &a, &b, &c, &n) != 3 || (last[n] != '\0' && last[n] != '\n'))
		return 0;
	return kversion_code(a, b, c);
}

unsigned kversion_from_release(const char *release)
{
	unsigned a, b, c = 0;

	if (!release || sscanf(release, "%u.%u.%u", &a, &b, &c) < 2)
		return 0;
	return kversion_code(a, b, c);
}

unsigned kversion_running(const char **ret_source)
{
	/* The vDSO is mapped whole and starts with its ELF header; one page covers its notes. */
	const void *vdso = (const void *)getauxval(AT_SYSINFO_EHDR);
	unsigned v = vdso ? kversion_from_elf_note(vdso, 4096) : 0;
	const char *src = "vDSO note";
	struct utsname u;
	char line[256];
	FILE *f;

	if (!v && (f = fopen("/proc/version_signature", "re"))) {
		if (fgets(line, sizeof(line), f))
			v = kversion_from_signature(line);
		fclose(f);
		src = "/proc/version_signature";
	}
	if (!v && uname(&u) == 0) {
		v = kversion_from_release(u.release);
		src = "uname -r";
	}
	if (ret_source)
		*ret_source = v ? src : "unknown";
	return v;
}
