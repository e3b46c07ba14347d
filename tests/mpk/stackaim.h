/* attack --stack-aim (tests/mpk/stackaim.c). */
#ifndef STACKAIM_H
#define STACKAIM_H

/*
 * lib1 calls lib2_where with its stack pointer just above lib2's .data: 1
 * if lib2's frames went into its own private memory (shared stacks, limit
 * 11), else 0 (with private stacks the gate's first push faults first).
 */
int stack_aim(void);

#endif
