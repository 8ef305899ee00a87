/* exittiny.c - the smallest program that execs and exits 0: static, no libc, no dynamic
 * loader, so an exec benchmark measures exec and not ld.so (bench/run.sh execburst).
 * Built with: cc -O2 -static -nostdlib -o exittiny exittiny.c (x86_64 and arm64). */
void _start(void)
{
#if defined(__x86_64__)
	__asm__ volatile("mov $60, %eax\n\txor %edi, %edi\n\tsyscall");
#elif defined(__aarch64__)
	__asm__ volatile("mov x8, #93\n\tmov x0, #0\n\tsvc #0");
#else
#error "exittiny: add this architecture's exit system call"
#endif
	for (;;)
		;
}
