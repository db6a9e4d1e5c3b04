//go:build amd64 && !purego

#include "textflag.h"

// func bf16ToF32AVX2(dst *float32, src *byte, n int)
// n is a multiple of 16. Each 8 halves are zero-extended to 32 bits and
// shifted into the high half: exactly the bfloat16 → float32 widening.
TEXT ·bf16ToF32AVX2(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
	SHRQ $4, CX
	JZ   done

loop:
	VPMOVZXWD (SI), Y0
	VPMOVZXWD 16(SI), Y1
	VPSLLD    $16, Y0, Y0
	VPSLLD    $16, Y1, Y1
	VMOVDQU   Y0, (DI)
	VMOVDQU   Y1, 32(DI)
	ADDQ      $32, SI
	ADDQ      $64, DI
	DECQ      CX
	JNZ       loop

done:
	VZEROUPPER
	RET

// func bf16ToF32AVX2Stream(dst *float32, src *byte, n int)
// As bf16ToF32AVX2 with non-temporal stores: dst must be 32-byte aligned.
// Streaming stores skip reading each destination line before writing it,
// which is a third of the memory traffic of a large conversion.
TEXT ·bf16ToF32AVX2Stream(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
	SHRQ $4, CX
	JZ   done

loop:
	VPMOVZXWD (SI), Y0
	VPMOVZXWD 16(SI), Y1
	VPSLLD    $16, Y0, Y0
	VPSLLD    $16, Y1, Y1
	VMOVNTDQ  Y0, (DI)
	VMOVNTDQ  Y1, 32(DI)
	ADDQ      $32, SI
	ADDQ      $64, DI
	DECQ      CX
	JNZ       loop

done:
	SFENCE
	VZEROUPPER
	RET
