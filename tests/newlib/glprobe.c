/*
 * The same probes as nlprobe.c, compiled against glibc, for a compartment
 * that keeps glibc: the key-0 memory a newlib compartment may not touch
 * is reachable from here (docs/threat-model.md).
 */
long gl_probe_read(const void *p);

long gl_probe_read(const void *p)
{
	return *(const volatile long *)p;
}
