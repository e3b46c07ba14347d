/*
 * struct flexos__heap_range (src/runtime/heap.h) and the runtime's table
 * of heap ranges, as an attacker inside a compartment knows them (the
 * attack libraries of tests/integration).
 */
#ifndef ATTACKER_HEAP_RANGES_H
#define ATTACKER_HEAP_RANGES_H

#include <stdint.h>

struct range {
	uintptr_t start, end, lowest;
	void *heap;
	int owner;
};
extern struct range flexos__heap_ranges[];
extern uint32_t flexos__heap_nranges;

#endif
