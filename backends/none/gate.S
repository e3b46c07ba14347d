/*
 * flexos-link never emits a gate stub for the none backend; these entries
 * exist so that every backend archive has the same symbol set. They are
 * the plain tail call the contract describes: no stack is switched, so
 * shared stacks and newlib compartments need nothing else. The frame is
 * the caller's, as at any function's entry: the default CFI describes it.
 */
	.text
	.globl	flexos__backend_gate
	.type	flexos__backend_gate, @function
	.globl	flexos__backend_gate_shared_stacks
	.type	flexos__backend_gate_shared_stacks, @function
	.globl	flexos__backend_gate_newlib
	.type	flexos__backend_gate_newlib, @function
	.globl	flexos__backend_gate_int
	.type	flexos__backend_gate_int, @function
flexos__backend_gate:
flexos__backend_gate_int:
flexos__backend_gate_shared_stacks:
flexos__backend_gate_newlib:
	.cfi_startproc
	jmp	*%r11
	.cfi_endproc
	.size	flexos__backend_gate, .-flexos__backend_gate
	.size	flexos__backend_gate_shared_stacks, .-flexos__backend_gate_shared_stacks
	.size	flexos__backend_gate_newlib, .-flexos__backend_gate_newlib
	.size	flexos__backend_gate_int, .-flexos__backend_gate_int
	.section .note.GNU-stack,"",@progbits
