/*
 * asm_amd64.S: the goroutine context switch and the goroutine entry
 * trampoline for x86-64 (System V ABI).
 *
 * One primitive does every switch:
 *
 *     void gort_swapctx(struct gobuf *save, const struct gobuf *load);
 *
 * It stores the caller's context into *save exactly as runtime.h describes
 * struct gobuf: sp is the stack pointer as it will be once this call has
 * returned (rsp + 8, past the return address), pc is the return address,
 * bp is rbp, then rbx, r12-r15 (the rest of the callee-saved registers),
 * mxcsr and the x87 control word (the two pieces of floating-point state
 * the ABI says a callee must preserve).  Nothing is mangled, so gdb's
 * unwinder, gort-core and the traceback code can read a parked goroutine's
 * frame 0 straight out of its g.  Then it loads *load the same way and
 * returns to load->pc with rsp = load->sp, which is precisely "the
 * swapctx call that saved *load returns now".  Caller-saved registers need
 * no saving: the C compiler already assumes a call clobbers them.
 *
 * Why push + ret and not jmp: the CPU predicts returns from a stack of
 * the return addresses its calls pushed.  A jmp leaves the entry that
 * `call gort_swapctx` pushed on that stack, so every return the resumed
 * goroutine makes afterwards is predicted one entry off: three mispredicted
 * returns (gopark, chanrecv, gort_chan_recv) per channel wake-up.  With
 * ret the stack stays balanced, and since goroutines park through the same
 * few call sites, the resumed goroutine's returns match the entries the
 * parking one pushed: measured, the unbuffered ping-pong went from 131 to
 * 100 ns a round trip and gort_yield from 19.5 to 9.9 ns (a bare register
 * switch is 9.4).  Only a first start (pc = gort_goentry) mispredicts.
 *
 * Why not ucontext or setjmp: swapcontext makes a sigprocmask system call
 * on every switch, and glibc's jmp_buf mangles sp/pc/bp with a per-process
 * secret (PTR_MANGLE), which debuggers cannot undo.
 *
 * A new goroutine starts with a gobuf that was never saved by swapctx:
 * proc.c sets sp = top of its stack (16-byte aligned), pc = gort_goentry,
 * rbx = the g and r12 = the C function to run (goroutine_main).  The
 * trampoline below passes rbx as the first argument and calls r12 with a
 * zero frame pointer; its CFI declares the return address undefined, so
 * every unwinder (gdb, libdw, our frame-pointer walk, which stops at
 * rbp == 0) ends the goroutine's backtrace cleanly there.  r12 never
 * returns (a dead goroutine switches away for good); ud2 traps if it does.
 *
 * The offsets below are checked against C's struct gobuf with
 * _Static_assert in proc.c.
 */
#define GOBUF_SP     0
#define GOBUF_PC     8
#define GOBUF_BP     16
#define GOBUF_RBX    24
#define GOBUF_R12    32
#define GOBUF_R13    40
#define GOBUF_R14    48
#define GOBUF_R15    56
#define GOBUF_MXCSR  64
#define GOBUF_FPUCW  68

    .text

    .globl  gort_swapctx
    .type   gort_swapctx, @function
    .p2align 4
gort_swapctx:
    .cfi_startproc
    /* save: rdi */
    movq    (%rsp), %rax            /* return address */
    leaq    8(%rsp), %rcx           /* sp after the return */
    movq    %rcx, GOBUF_SP(%rdi)
    movq    %rax, GOBUF_PC(%rdi)
    movq    %rbp, GOBUF_BP(%rdi)
    movq    %rbx, GOBUF_RBX(%rdi)
    movq    %r12, GOBUF_R12(%rdi)
    movq    %r13, GOBUF_R13(%rdi)
    movq    %r14, GOBUF_R14(%rdi)
    movq    %r15, GOBUF_R15(%rdi)
    stmxcsr GOBUF_MXCSR(%rdi)
    fnstcw  GOBUF_FPUCW(%rdi)
    /* load: rsi */
    movq    GOBUF_BP(%rsi), %rbp
    movq    GOBUF_RBX(%rsi), %rbx
    movq    GOBUF_R12(%rsi), %r12
    movq    GOBUF_R13(%rsi), %r13
    movq    GOBUF_R14(%rsi), %r14
    movq    GOBUF_R15(%rsi), %r15
    /* Loading mxcsr and the x87 control word is slow (both serialise
     * parts of the FPU); they almost never differ between goroutines, so
     * load them only when they do. */
    movl    GOBUF_MXCSR(%rsi), %eax
    cmpl    GOBUF_MXCSR(%rdi), %eax
    je      1f
    ldmxcsr GOBUF_MXCSR(%rsi)
1:  movzwl  GOBUF_FPUCW(%rsi), %eax
    cmpw    GOBUF_FPUCW(%rdi), %ax
    je      2f
    fldcw   GOBUF_FPUCW(%rsi)
2:
    movq    GOBUF_PC(%rsi), %rax
    movq    GOBUF_SP(%rsi), %rsp
    pushq   %rax
    ret
    .cfi_endproc
    .size   gort_swapctx, .-gort_swapctx

    .globl  gort_goentry
    .type   gort_goentry, @function
    .p2align 4
gort_goentry:
    .cfi_startproc
    .cfi_undefined rip
    xorl    %ebp, %ebp
    movq    %rbx, %rdi
    call    *%r12
    ud2
    .cfi_endproc
    .size   gort_goentry, .-gort_goentry

    .section .note.GNU-stack,"",@progbits
