/* An "unmodified" library: nothing in it knows about FlexOS. */
int lib_counter;       /* alone in its section: may be listed in shared_data */
int lib_neighbour = 7; /* see auto-lib2 below */
int lib_other_counter;

static int helper(int x)
{
	return x * 2;
}

__attribute__((noinline)) int lib_inner(int x)
{
	return helper(x) + 1;
}

/* Calls inside the library: these must stay direct calls. */
int lib_work(int x)
{
	return lib_inner(x) + lib_inner(1) + lib_counter;
}

/* Calls a function pointer the application hands it. */
int lib_apply(int (*fn)(int), int x)
{
	return fn(x) + 1;
}
