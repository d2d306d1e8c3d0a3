/*
 * floors_amd64.S: the bare register switches that bound a goroutine switch
 * from below (WORKLOADS.md, "Floors").  Each function saves the running
 * context on its own stack, stores rsp into *save, loads rsp from `load`
 * and resumes the other context.  A context that was never run is a stack
 * laid out as if it had been switched away from (bench/c/floors.c builds
 * it), so one function does both the first entry and every later switch.
 *
 *   void floor_swap(void **save, void *load)        push the six callee-saved
 *                                                   registers, ret to resume
 *   void floor_swap_jmp(void **save, void *load)    the same, resume with
 *                                                   pop rcx; jmp *rcx (no
 *                                                   return-stack prediction)
 *   void floor_swap_fpcsr(void **save, void *load)  also MXCSR and the x87
 *                                                   control word, which the
 *                                                   ABI makes callee-saved
 *
 * Frame of a switched-out context, from its saved rsp upward:
 *   floor_swap, floor_swap_jmp:  r15 r14 r13 r12 rbx rbp  return-address
 *   floor_swap_fpcsr:  mxcsr(4) fpucw(2) pad(2)  r15 ... rbp  return-address
 */
        .text

        .globl  floor_swap
        .type   floor_swap, @function
floor_swap:
        pushq   %rbp
        pushq   %rbx
        pushq   %r12
        pushq   %r13
        pushq   %r14
        pushq   %r15
        movq    %rsp, (%rdi)
        movq    %rsi, %rsp
        popq    %r15
        popq    %r14
        popq    %r13
        popq    %r12
        popq    %rbx
        popq    %rbp
        ret
        .size   floor_swap, .-floor_swap

        .globl  floor_swap_jmp
        .type   floor_swap_jmp, @function
floor_swap_jmp:
        pushq   %rbp
        pushq   %rbx
        pushq   %r12
        pushq   %r13
        pushq   %r14
        pushq   %r15
        movq    %rsp, (%rdi)
        movq    %rsi, %rsp
        popq    %r15
        popq    %r14
        popq    %r13
        popq    %r12
        popq    %rbx
        popq    %rbp
        popq    %rcx
        jmp     *%rcx
        .size   floor_swap_jmp, .-floor_swap_jmp

        .globl  floor_swap_fpcsr
        .type   floor_swap_fpcsr, @function
floor_swap_fpcsr:
        pushq   %rbp
        pushq   %rbx
        pushq   %r12
        pushq   %r13
        pushq   %r14
        pushq   %r15
        subq    $8, %rsp
        stmxcsr (%rsp)
        fnstcw  4(%rsp)
        movq    %rsp, (%rdi)
        movq    %rsi, %rsp
        ldmxcsr (%rsp)
        fldcw   4(%rsp)
        addq    $8, %rsp
        popq    %r15
        popq    %r14
        popq    %r13
        popq    %r12
        popq    %rbx
        popq    %rbp
        ret
        .size   floor_swap_fpcsr, .-floor_swap_fpcsr

        .section .note.GNU-stack,"",@progbits
