//go:build !cgo || purego

package layers

func kernelVariants() []kernelVariant {
	return []kernelVariant{{"pure-go", func() func() { return func() {} }}}
}
