//go:build !linux && !purego

package kernels

// requestAMX reports whether tile state may be used: only Linux is known
// to grant it (on request), so elsewhere the AMX kernels stay off.
func requestAMX() bool { return false }
