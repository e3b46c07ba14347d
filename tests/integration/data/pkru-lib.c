/*
 * A library with one PKRU-writing instruction chosen by -DWRITER:
 * 1 WRPKRU, 2 WRPKRU hidden in an immediate, 3 XRSTOR, 4 XRSTORS;
 * 5 WRPKRU in an executable section not named .text (and a function
 * named like the runtime's, which gains it nothing);
 * 6 WRFSBASE, 7 WRGSBASE (a thread could pass the gate page's owner
 * check with another thread's FS base);
 * 8 WRGSBASE hidden in an immediate (f3 0f ae d8), 9 the same with a
 * segment prefix between (f3 2e 0f ae d8); 10 0f ae d8 in an immediate
 * right after a mov's opcode, which no prefix can precede: no WRGSBASE;
 * 11 a RIP-relative address of lib_data + ADDEND, which the test picks so
 * that the default layout writes WRPKRU's bytes into its displacement
 * (lib_disp_end: right after it); 0 only LFENCE, which shares XRSTOR's
 * opcode but is harmless.
 */
int lib_value(int x);

#if WRITER == 11
static int lib_data __attribute__((used));
#define STR_(x) #x
#define STR(x)  STR_(x)
#endif

#if WRITER == 5
__attribute__((section(".evil"), noinline)) void flexos__evil(void);
__attribute__((section(".evil"), noinline)) void flexos__evil(void)
{
	__asm__ volatile(".byte 0x0f, 0x01, 0xef" ::"a"(0), "c"(0), "d"(0));
}
#endif

int lib_value(int x)
{
#if WRITER == 1
	__asm__ volatile(".byte 0x0f, 0x01, 0xef" ::"a"(0), "c"(0), "d"(0));
#elif WRITER == 2
	__asm__ volatile("movl $0xef010f, %%eax" ::: "eax");
#elif WRITER == 3
	__asm__ volatile("xrstor (%0)" ::"r"(0), "a"(0), "d"(0));
#elif WRITER == 4
	__asm__ volatile("xrstors (%0)" ::"r"(0), "a"(0), "d"(0));
#elif WRITER == 5
	flexos__evil();
#elif WRITER == 6
	__asm__ volatile("wrfsbase %0" ::"r"(0UL));
#elif WRITER == 7
	__asm__ volatile("wrgsbase %0" ::"r"(0UL));
#elif WRITER == 8
	/* f3 0f ae d8 in an immediate: WRGSBASE %eax from its second byte. */
	__asm__ volatile("movl $0xd8ae0ff3, %%eax" ::: "eax");
#elif WRITER == 9
	/* f3 2e 0f ae d8: a segment prefix between changes nothing. */
	__asm__ volatile("movabsq $0xd8ae0f2ef3, %%rax" ::: "rax");
#elif WRITER == 10
	/* 0f ae d8 after a mov's opcode: no prefix can come before it, it runs as nothing. */
	__asm__ volatile("movl $0x00d8ae0f, %%eax" ::: "eax");
#elif WRITER == 11
	__asm__ volatile("leaq	lib_data+" STR(ADDEND) "(%%rip), %%rax\n"
						       ".globl	lib_disp_end\n"
						       "lib_disp_end:" ::
							   : "rax");
#else
	__asm__ volatile("lfence");
#endif
	return x + 1;
}
