/* tests/vm/selftest.c: checks that protection keys work where it runs
 * (natively on a PKU host, or in the tests/vm QEMU VM).
 *
 * Allocates a key, tags a page with it, denies access with pkey_set(),
 * reads the page and expects SIGSEGV with si_code == SEGV_PKUERR and
 * si_pkey == the key.  Prints
 *     selftest: PKU fault caught, pkey=N
 * and the PKRU value seen inside the signal handler (compared with the
 * faulting code's), then exits 0.
 * Exits 1 on any other outcome.
 *
 *     cc -o /tmp/selftest tests/vm/selftest.c && tests/vm/run -- /tmp/selftest
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#ifndef SEGV_PKUERR
#define SEGV_PKUERR 4
#endif
#ifndef PKEY_DISABLE_ACCESS
#define PKEY_DISABLE_ACCESS 0x1
#endif

static volatile int *page;
static int key = -1;
static uint32_t pkru_at_fault; /* PKRU of the code that faulted */

static inline uint32_t rdpkru(void)
{
    uint32_t eax, edx;
    __asm__ volatile(".byte 0x0f,0x01,0xee" : "=a"(eax), "=d"(edx) : "c"(0));
    return eax;
}

/* Async-signal-safe output helpers (no stdio in the handler). */
static void put(const char *s) { ssize_t r = write(1, s, strlen(s)); (void)r; }
static void put_num(unsigned long v, unsigned base)
{
    char buf[32];
    int i = sizeof buf;
    buf[--i] = '\0';
    do {
        buf[--i] = "0123456789abcdef"[v % base];
        v /= base;
    } while (v && i > 0);
    put(buf + i);
}

static void on_segv(int sig, siginfo_t *si, void *uc)
{
    uint32_t pkru = rdpkru();
    int pkey;
    (void)sig;
    (void)uc;
#ifdef si_pkey
    pkey = (int)si->si_pkey;
#else
    /* Older headers: in the kernel's siginfo, _pkey follows si_addr and a
     * pointer-sized pad (__ADDR_BND_PKEY_PAD). */
    pkey = (int)*(uint32_t *)((char *)&si->si_addr + 2 * sizeof(void *));
#endif
    put("selftest: in SIGSEGV handler: si_code=");
    put_num((unsigned long)si->si_code, 10);
    put(" si_pkey=");
    put_num((unsigned long)pkey, 10);
    put(" si_addr=0x");
    put_num((unsigned long)si->si_addr, 16);
    put(" PKRU=0x");
    put_num(pkru, 16);
    if (pkru == pkru_at_fault)
        put(" (as at the fault)");
    else {
        put(" (at the fault: 0x");
        put_num(pkru_at_fault, 16);
        put(")");
    }
    put("\n");
    if (si->si_code != SEGV_PKUERR) {
        put("selftest: FAIL: si_code is not SEGV_PKUERR\n");
        _exit(1);
    }
    if (pkey != key) {
        put("selftest: FAIL: si_pkey is not the page's key\n");
        _exit(1);
    }
    if ((void *)si->si_addr != (void *)page) {
        put("selftest: FAIL: si_addr is not the page\n");
        _exit(1);
    }
    put("selftest: PKU fault caught, pkey=");
    put_num((unsigned long)key, 10);
    put("\n");
    _exit(0);
}

int main(void)
{
    long pagesz = sysconf(_SC_PAGESIZE);
    struct sigaction sa;
    int v;

    setvbuf(stdout, NULL, _IONBF, 0);
    key = pkey_alloc(0, 0);
    if (key < 0) {
        printf("selftest: FAIL: pkey_alloc: %s\n", strerror(errno));
        return 1;
    }
    page = mmap(NULL, (size_t)pagesz, PROT_READ | PROT_WRITE,
                MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (page == MAP_FAILED) {
        printf("selftest: FAIL: mmap: %s\n", strerror(errno));
        return 1;
    }
    if (pkey_mprotect((void *)page, (size_t)pagesz, PROT_READ | PROT_WRITE, key) != 0) {
        printf("selftest: FAIL: pkey_mprotect: %s\n", strerror(errno));
        return 1;
    }
    /* A second key, left accessible, tells whether the signal handler runs
     * with the interrupted code's PKRU or with the kernel's default. */
    (void)pkey_alloc(0, 0);
    page[0] = 42;
    if (page[0] != 42) {
        printf("selftest: FAIL: page does not read back\n");
        return 1;
    }
    printf("selftest: pkey=%d, PKRU before deny=0x%x\n", key, rdpkru());
    if (pkey_set(key, PKEY_DISABLE_ACCESS) != 0) {
        printf("selftest: FAIL: pkey_set: %s\n", strerror(errno));
        return 1;
    }
    pkru_at_fault = rdpkru();
    printf("selftest: PKRU after deny=0x%x\n", pkru_at_fault);

    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_segv;
    sa.sa_flags = SA_SIGINFO;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGSEGV, &sa, NULL) != 0) {
        printf("selftest: FAIL: sigaction: %s\n", strerror(errno));
        return 1;
    }
    v = page[0]; /* must fault */
    printf("selftest: FAIL: read a denied page (value %d), no fault\n", v);
    return 1;
}
