//go:build wasip1 && !tollgate_audit

package main

// The audit's operations are built only into wasm/tollgate-audit.wasm
// (the tag tollgate_audit; docs/abi.md, "Audit"): they do not fit in
// wasm/tollgate.wasm's size budget.

func isAudit(string) bool { return false }

func auditCall(_ string, _, out []byte) ([]byte, error) { return out, nil }
