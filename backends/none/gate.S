/*
 * flexos-link never emits a gate stub for the none backend; this entry
 * exists so that every backend archive has the same symbol set. It is the
 * plain tail call the contract describes.
 */
	.text
	.globl	flexos__backend_gate
	.type	flexos__backend_gate, @function
flexos__backend_gate:
	jmp	*%r11
	.size	flexos__backend_gate, .-flexos__backend_gate
	.section .note.GNU-stack,"",@progbits
