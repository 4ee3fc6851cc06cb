//go:build darwin || freebsd

package engine

// mapNoReserve: a PROT_NONE mapping commits nothing on these systems.
const mapNoReserve = 0
