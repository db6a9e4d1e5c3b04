//go:build !amd64 || purego

package kernels

func supported() []ISA { return []ISA{Generic} }

func newKernels(ISA) *Kernels { return genericKernels() }

func hasAVX512BF16() bool { return false }

func hasAMXBF16() bool { return false }
