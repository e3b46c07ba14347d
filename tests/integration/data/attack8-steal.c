/*
 * tests/integration/lend-attack.sh, "steal": the sandbox names a variable
 * of its host, which flexos-link must refuse (a host may use its
 * sandbox's variables, not the reverse).
 */
extern int attack8_host_counter;

int ev_steal(void)
{
	return ++attack8_host_counter;
}
