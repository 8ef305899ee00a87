/* test_kversion.c - the kernel version code that kprobe loads carry before 5.0: from the vDSO's
 * note, Ubuntu's version_signature or uname -r, as the kernel computes KERNEL_VERSION. */
#include <check.h>
#include <elf.h>
#include <stddef.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "core/kversion.h"
#include "testutil.h"

START_TEST(test_code)
{
	ck_assert_uint_eq(kversion_code(4, 9, 0), 0x040900);
	ck_assert_uint_eq(kversion_code(3, 10, 0), 0x030a00);
	/* 4.19+ cap the sublevel: Debian 9's 4.9.337 is 4.9.255 */
	ck_assert_uint_eq(kversion_code(4, 9, 337), 0x0409ff);
}
END_TEST

START_TEST(test_signature)
{
	ck_assert_uint_eq(kversion_from_signature("Ubuntu 4.15.0-213.224-generic 4.15.18\n"),
			  kversion_code(4, 15, 18));
	ck_assert_uint_eq(kversion_from_signature("Ubuntu 5.4.0-150.167-generic 5.4.233"),
			  kversion_code(5, 4, 233));
	ck_assert_uint_eq(kversion_from_signature("Ubuntu 4.15.0-213.224-generic 4.15.18-rc1\n"),
			  0);
	ck_assert_uint_eq(kversion_from_signature(""), 0);
	ck_assert_uint_eq(kversion_from_signature(NULL), 0);
}
END_TEST

START_TEST(test_release)
{
	ck_assert_uint_eq(kversion_from_release("3.10.0-1160.el7.x86_64"), kversion_code(3, 10, 0));
	ck_assert_uint_eq(kversion_from_release("6.18.44-fc-v1300"), kversion_code(6, 18, 44));
	ck_assert_uint_eq(kversion_from_release("4.18"), kversion_code(4, 18, 0));
	ck_assert_uint_eq(kversion_from_release("linux"), 0);
	ck_assert_uint_eq(kversion_from_release(NULL), 0);
}
END_TEST

/* A minimal ELF image: header, one PT_NOTE program header, a note that is not Linux's, then
 * Linux's. */
struct image {
	Elf64_Ehdr eh;
	Elf64_Phdr ph;
	Elf64_Nhdr n1;
	char name1[4];
	unsigned desc1;
	Elf64_Nhdr n2;
	char name2[8];
	unsigned desc2;
};

static void make_image(struct image *im)
{
	memset(im, 0, sizeof(*im));
	memcpy(im->eh.e_ident, ELFMAG, SELFMAG);
	im->eh.e_ident[EI_CLASS] = ELFCLASS64;
	im->eh.e_phoff = offsetof(struct image, ph);
	im->eh.e_phentsize = sizeof(Elf64_Phdr);
	im->eh.e_phnum = 1;
	im->ph.p_type = PT_NOTE;
	im->ph.p_offset = offsetof(struct image, n1);
	im->ph.p_filesz = sizeof(*im) - offsetof(struct image, n1);
	im->n1.n_namesz = 4;
	im->n1.n_descsz = 4;
	memcpy(im->name1, "GNU", 4);
	im->desc1 = 0xdead;
	im->n2.n_namesz = 6;
	im->n2.n_descsz = 4;
	memcpy(im->name2, "Linux", 6);
	im->desc2 = 0x040912;
}

START_TEST(test_elf_note)
{
	struct image im;

	make_image(&im);
	ck_assert_uint_eq(kversion_from_elf_note(&im, sizeof(im)), 0x040912);
	/* cut short: the note lies past the end */
	ck_assert_uint_eq(kversion_from_elf_note(&im, offsetof(struct image, desc2)), 0);
	/* a program header table that claims more entries than fit */
	im.eh.e_phnum = 1000;
	ck_assert_uint_eq(kversion_from_elf_note(&im, sizeof(im)), 0);
	make_image(&im);
	im.ph.p_filesz = 1u << 30;
	ck_assert_uint_eq(kversion_from_elf_note(&im, sizeof(im)), 0);
	make_image(&im);
	im.eh.e_ident[1] = 'X';
	ck_assert_uint_eq(kversion_from_elf_note(&im, sizeof(im)), 0);
	ck_assert_uint_eq(kversion_from_elf_note(NULL, 0), 0);
}
END_TEST

/* The machine's own vDSO carries the version the kernel was built as. Where the process has
 * no vDSO (under valgrind, which hides it), the fallbacks answer. */
START_TEST(test_running_kernel)
{
	const char *src = NULL;
	unsigned v = kversion_running(&src);
	struct utsname u;

	ck_assert_uint_ne(v, 0);
	if (getauxval(AT_SYSINFO_EHDR))
		ck_assert_str_eq(src, "vDSO note");
	else if (access("/proc/version_signature", R_OK) == 0)
		ck_assert_str_eq(src, "/proc/version_signature");
	else
		ck_assert_str_eq(src, "uname -r");
	ck_assert_int_eq(uname(&u), 0);
	/* major.minor always agree with uname -r; the sublevel may not (Debian's 6.1.0-57). */
	ck_assert_uint_eq(v >> 8, kversion_from_release(u.release) >> 8);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("kversion");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_code);
	tcase_add_test(tc, test_signature);
	tcase_add_test(tc, test_release);
	tcase_add_test(tc, test_elf_note);
	tcase_add_test(tc, test_running_kernel);
	suite_add_tcase(s, tc);
	return test_run_suite(s);
}
