/*
 * flexos-link never emits a gate stub for the none backend; these entries
 * exist so that every backend archive has the same symbol set. They are
 * the plain tail call the contract describes: no stack is switched, so
 * shared stacks need nothing else.
 */
	.text
	.globl	flexos__backend_gate
	.type	flexos__backend_gate, @function
	.globl	flexos__backend_gate_shared_stacks
	.type	flexos__backend_gate_shared_stacks, @function
flexos__backend_gate:
flexos__backend_gate_shared_stacks:
	jmp	*%r11
	.size	flexos__backend_gate, .-flexos__backend_gate
	.size	flexos__backend_gate_shared_stacks, .-flexos__backend_gate_shared_stacks
	.section .note.GNU-stack,"",@progbits
