#include <flexos/flexos.h>

int lib_value(int x);

int main(void)
{
	int r;
	flexos_gate_r(libpkru, r, lib_value, 1);
	return r == 2 ? 0 : 1;
}
