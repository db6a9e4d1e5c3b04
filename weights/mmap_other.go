//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package weights

// mapFile reads the file into memory where mmap is not available.
func mapFile(path string) ([]byte, func() error, error) { return readWhole(path) }
