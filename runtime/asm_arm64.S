/*
 * asm_arm64.S: the goroutine context switch and the goroutine entry
 * trampoline for aarch64 (AAPCS64).  The design is asm_amd64.S's; read
 * that file's essay first.
 *
 *     void gort_swapctx(struct gobuf *save, const struct gobuf *load);
 *
 * On aarch64 a call does not push the return address: on entry sp is
 * already "the stack pointer after return" and x30 holds the return
 * address.  So save->sp = sp, save->pc = x30, save->bp = x29 (frame
 * pointer), save->lr = x30 as well (the register value of frame 0), then
 * x19-x28 and d8-d15 (the low halves of v8-v15, all the AAPCS64 asks a
 * callee to preserve).  Loading restores the same registers, sets sp and
 * branches to load->pc with x30 = load->lr, i.e. the saving call returns.
 *
 * A new goroutine: sp = top of its stack (16-byte aligned), pc =
 * gort_goentry, x19 = the g, x20 = the C function to run.  The trampoline
 * zeroes x29 and x30 (frame-pointer walk ends, and the CFI marks x30
 * undefined so DWARF unwinders stop) and calls x20(x19); it never returns.
 *
 * Offsets are checked against C's struct gobuf with _Static_assert in
 * proc.c.
 */
#define GOBUF_SP     0
#define GOBUF_PC     8
#define GOBUF_BP     16
#define GOBUF_LR     24
#define GOBUF_X19    32
#define GOBUF_X21    48
#define GOBUF_X23    64
#define GOBUF_X25    80
#define GOBUF_X27    96
#define GOBUF_D8     112
#define GOBUF_D10    128
#define GOBUF_D12    144
#define GOBUF_D14    160

    .text

    .globl  gort_swapctx
    .type   gort_swapctx, %function
    .p2align 4
gort_swapctx:
    .cfi_startproc
    /* save: x0 */
    mov     x9, sp
    str     x9, [x0, #GOBUF_SP]
    str     x30, [x0, #GOBUF_PC]
    str     x29, [x0, #GOBUF_BP]
    str     x30, [x0, #GOBUF_LR]
    stp     x19, x20, [x0, #GOBUF_X19]
    stp     x21, x22, [x0, #GOBUF_X21]
    stp     x23, x24, [x0, #GOBUF_X23]
    stp     x25, x26, [x0, #GOBUF_X25]
    stp     x27, x28, [x0, #GOBUF_X27]
    stp     d8, d9, [x0, #GOBUF_D8]
    stp     d10, d11, [x0, #GOBUF_D10]
    stp     d12, d13, [x0, #GOBUF_D12]
    stp     d14, d15, [x0, #GOBUF_D14]
    /* load: x1 */
    ldr     x29, [x1, #GOBUF_BP]
    ldr     x30, [x1, #GOBUF_LR]
    ldp     x19, x20, [x1, #GOBUF_X19]
    ldp     x21, x22, [x1, #GOBUF_X21]
    ldp     x23, x24, [x1, #GOBUF_X23]
    ldp     x25, x26, [x1, #GOBUF_X25]
    ldp     x27, x28, [x1, #GOBUF_X27]
    ldp     d8, d9, [x1, #GOBUF_D8]
    ldp     d10, d11, [x1, #GOBUF_D10]
    ldp     d12, d13, [x1, #GOBUF_D12]
    ldp     d14, d15, [x1, #GOBUF_D14]
    ldr     x9, [x1, #GOBUF_SP]
    ldr     x10, [x1, #GOBUF_PC]
    mov     sp, x9
    /* ret, not br: a return keeps the return-address predictor in step
     * with the stack (asm_amd64.S says why that matters; not measured on
     * arm64 here, where no arm64 machine is at hand). */
    ret     x10
    .cfi_endproc
    .size   gort_swapctx, .-gort_swapctx

    .globl  gort_goentry
    .type   gort_goentry, %function
    .p2align 4
gort_goentry:
    .cfi_startproc
    .cfi_undefined x30
    mov     x29, #0
    mov     x30, #0
    mov     x0, x19
    blr     x20
    brk     #0
    .cfi_endproc
    .size   gort_goentry, .-gort_goentry

    .section .note.GNU-stack,"",%progbits
