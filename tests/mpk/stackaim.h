/* attack --stack-aim (tests/mpk/stackaim.c). */
#ifndef STACKAIM_H
#define STACKAIM_H

/*
 * In an image with shared stacks, lib1 calls lib2_where with its stack
 * pointer just above lib2's .data: the report (134), or 1 if lib2's frames
 * went into its own private memory. how "register": lib1 registers a
 * stack above lib2's .data (refused) and one of its own (taken): 0 or 1.
 */
int stack_aim(const char *how);

#endif
