/*
 * void flexos__call_in_gate(uint32_t id, void (*fn)(void), void (*gate)(void)):
 * the runtime's own crossing (flexos__call_in, start.c), through gate
 * with the contract of <flexos/backend.h>: %r11 the callee, %r10 its
 * compartment and the entry index FLEXOS_GATE_ENTRY_RUNTIME (the backend
 * knows the function from before any compartment ran: it is not in the
 * table). A tail jump, so the gate returns straight to our caller.
 */
#include <flexos/backend.h>

	.text
	.globl	flexos__call_in_gate
	.hidden	flexos__call_in_gate
	.type	flexos__call_in_gate, @function
flexos__call_in_gate:
	movq	%rsi, %r11
	movl	%edi, %r10d
	movabsq	$(FLEXOS_GATE_ENTRY_RUNTIME << FLEXOS_GATE_ENTRY_SHIFT), %rax
	orq	%rax, %r10
	jmp	*%rdx
	.size	flexos__call_in_gate, .-flexos__call_in_gate
	.section .note.GNU-stack,"",@progbits
