#ifndef ATK_H
#define ATK_H
long atk_vm_read(long pid, long addr);
long atk_vm_write(long pid, long addr);
long atk_ptrace(long pid);
long atk_proc_mem(long pid, long addr);
long atk_mprotect_read(long addr);
long atk_open_shadow(void);
long atk_socket(void);
long atk_exec(void);
long atk_kill(long pid);
long atk_compute(long n);
long atk_forge(long lanes, long ncomp, long target, long entry);
long sib_pid(void);
long sib_secret(void);
#endif
