//go:build !((linux || darwin || freebsd) && (amd64 || arm64 || riscv64 || ppc64le || s390x || loong64))

package engine

import "context"

// withLinearMemory keeps wazero's default allocator (linmem_unix.go).
func withLinearMemory(ctx context.Context) context.Context { return ctx }
