/*
 * void flexos__call_in(uint32_t id, void (*fn)(void)): a crossing of the
 * runtime's own, through the gate with the contract of
 * <flexos/backend.h>: %r11 the callee, %r10 its compartment and the
 * entry index FLEXOS_GATE_ENTRY_RUNTIME (the backend knows the function
 * from before any compartment ran: it is not in the table). A tail jump,
 * so the gate returns straight to our caller.
 */
#include <flexos/backend.h>

	.text
	.globl	flexos__call_in
	.hidden	flexos__call_in
	.type	flexos__call_in, @function
flexos__call_in:
	movq	%rsi, %r11
	movl	%edi, %r10d
	movabsq	$(FLEXOS_GATE_ENTRY_RUNTIME << FLEXOS_GATE_ENTRY_SHIFT), %rax
	orq	%rax, %r10
	jmp	flexos__backend_gate_newlib
	.size	flexos__call_in, .-flexos__call_in
	.section .note.GNU-stack,"",@progbits
