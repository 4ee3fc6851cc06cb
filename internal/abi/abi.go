// Package abi is the one definition of the boundary between wasm/tollgate.wasm
// and its hosts: the ABI version, export names, status codes, limits and the
// packing of scalar results. The guest (wasm/), the Go host (host/) and the
// JS package (js/, through the golden file abi.json) all use these values;
// docs/abi.md explains them.
//
// The package has no dependencies so that the guest can import it without
// pulling anything into the module.
package abi

// Version is the ABI version the module exports through abi_version. A host
// refuses a module whose version it does not know. Additive changes (a new
// export, a new status code) keep the version; anything else bumps it.
const Version = 2

// Export names.
const (
	// ExportInitialize is the Go runtime's reactor entry point; every host
	// calls it once before anything else.
	ExportInitialize = "_initialize"
	// ExportVersion: abi_version() -> i32.
	ExportVersion = "abi_version"
	// ExportBufPtr: buf_ptr() -> i32, the address of the scratch buffer.
	ExportBufPtr = "buf_ptr"
	// ExportBufCap: buf_cap() -> i32, its size in bytes.
	ExportBufCap = "buf_cap"
	// ExportBufReserve: buf_reserve(n i32) -> i32 status; grows the scratch
	// buffer to at least n bytes (the address may change).
	ExportBufReserve = "buf_reserve"
	// ExportCall: call(op_len, req_len i32) -> i32 packed (status, length);
	// runs any api operation by name with a JSON request.
	ExportCall = "call"
	// ExportDial: dial(tables, table, num_len i32) -> i32 dial result, or a
	// negated status; the hot path, raw bytes, no JSON.
	ExportDial = "dial"
	// ExportDialBatch: dial_batch(tables, table, in_len i32) -> i32 count,
	// or a negated status; many newline-separated numbers in one call.
	ExportDialBatch = "dial_batch"
	// ExportTableIndex: table_index(tables, name_len i32) -> i32 index, or a
	// negated status; resolves a table name for dial and dial_batch.
	ExportTableIndex = "table_index"
	// ExportFault: fault(kind i32) -> i32; deliberately fails, for host
	// fault tests. kind FaultPanic panics (recovered: StatusPanic), kind
	// FaultMemory allocates until the guest's memory is exhausted (a trap).
	ExportFault = "fault"
	// ExportDataLoad: data_load(name_len, len i32) -> i32 packed (status,
	// length), as call. buf[0, name_len) holds a data artifact's name and
	// the len bytes after it its payload, whose container and checksum
	// the host has verified (docs/abi.md, "Data artifacts"). The module
	// keeps those bytes and starts a new scratch buffer: the host re-reads
	// buf_ptr and buf_cap afterwards. On StatusOpError the new buffer
	// holds the api's error object.
	ExportDataLoad = "data_load"
)

// Host imports: functions the module imports from the host, all in module
// ImportModule. Version 2 added them: regular expressions (the regex
// dialect of restriction tables) run in the host, not in the module, so
// the module carries no backtracking regex engine (about 0.3 MB gzip) and
// the host can bound a match's time with a real clock, which a busy wasm
// call cannot. The Go host implements them with regexp2 (the native core's
// engine, so verdicts agree); the JS package with the same regexp2 code
// compiled to a second module, wasm/regex.wasm, loaded on demand.
const (
	ImportModule = "tollgate_host"
	// ImportRegexCompile: regex_compile(pat_ptr, pat_len, err_ptr, err_cap
	// i32) -> i32. Compiles the UTF-8 pattern in guest memory with regexp2's
	// default options (regexp2.None) and the match timeout RegexTimeoutMS.
	// Returns an id >= 0 that regex_match takes, or, for a pattern that does
	// not compile, -(n+1) where n is the length of the error message the
	// host wrote at err_ptr (at most err_cap bytes; the host truncates).
	// Ids are per module instance and live as long as the instance; the
	// same pattern compiled twice may get the same id. A host may refuse
	// patterns beyond a per-instance limit, as a compile error (the Go host
	// allows host.MaxRegexPerInstance distinct patterns). The guest makes
	// err_cap at least len(pattern)+256, room for regexp2's messages, which
	// quote the pattern, so that they equal the native core's.
	ImportRegexCompile = "regex_compile"
	// ImportRegexMatch: regex_match(id, in_ptr, in_len i32) -> i32, one of
	// RegexNoMatch, RegexMatch, RegexTimeout, RegexNoID.
	ImportRegexMatch = "regex_match"
)

// Results of regex_match.
const (
	RegexNoMatch = 0
	RegexMatch   = 1
	// RegexTimeout: the match ran past RegexTimeoutMS and was abandoned.
	RegexTimeout = 2
	// RegexNoID: the id was never returned by regex_compile to this
	// instance.
	RegexNoID = 3
)

// RegexTimeoutMS is the match timeout hosts apply (core/dialplan's
// RegexTimeout).
const RegexTimeoutMS = 50

// Fault kinds for ExportFault.
const (
	FaultPanic  = 1
	FaultMemory = 2
)

// Status codes. call packs one into the top bits of its result; dial,
// dial_batch and table_index return its negation; buf_reserve returns it.
const (
	// StatusOK: the operation ran and its response is in the buffer.
	StatusOK = 0
	// StatusOpError: the operation could not run (bad request, invalid
	// policy, unknown op, ...); the buffer holds the api's error object
	// {"error": {"code", "message", "field"}}.
	StatusOpError = 1
	// StatusBadArgs: lengths out of range of the buffer, or an unknown
	// fault kind.
	StatusBadArgs = 2
	// StatusTooLarge: a request, reservation or response beyond MaxBuf, or
	// a batch whose results do not fit in the buffer.
	StatusTooLarge = 3
	// StatusPanic: the guest panicked and recovered. For call the buffer
	// holds an {"error": {"code": "internal", ...}} object. The instance's
	// state is undefined afterwards: hosts discard it.
	StatusPanic = 4
	// StatusNoHandle: dial, dial_batch or table_index named a tables handle
	// or table that is not loaded.
	StatusNoHandle = 5
)

// StatusName returns the stable name of a status code.
func StatusName(s int32) string {
	switch s {
	case StatusOK:
		return "ok"
	case StatusOpError:
		return "op_error"
	case StatusBadArgs:
		return "bad_args"
	case StatusTooLarge:
		return "too_large"
	case StatusPanic:
		return "panic"
	case StatusNoHandle:
		return "no_handle"
	}
	return "unknown"
}

// Limits.
const (
	// InitialBuf is the scratch buffer's size after _initialize.
	InitialBuf = 64 << 10
	// LenBits is how many low bits of call's result hold the length.
	LenBits = 24
	// MaxBuf is the largest buffer, request or response: what LenBits holds.
	MaxBuf = 1<<LenBits - 1
)

// PackCall packs call's result: status in bits 24..30, length in 0..23.
// The result is never negative as an i32.
func PackCall(status, n uint32) uint32 { return status<<LenBits | n&MaxBuf }

// UnpackCall splits call's result.
func UnpackCall(r uint32) (status, n uint32) { return r >> LenBits, r & MaxBuf }

// Dial results. A non-negative dial result packs:
//
//	bit  0       allowed
//	bits 1..3    reason: DialMatched ... DialTimeout (core/dialplan's Reason)
//	bit  4       normalized: separators (space - ( ) .) were dropped
//	bits 5..11   alt: 0 for the row's own pattern, k for its twin behind
//	             trunk access code k-1
//	bits 12..30  row + 1 of the deciding row, or of the regex row that
//	             ran out of time; 0 when no row decided (a length or
//	             character refusal, no match)
//
// A result whose row or alt does not fit is returned as -StatusTooLarge.
const (
	DialMatched  = 0
	DialTooShort = 1
	DialTooLong  = 2
	DialInvalid  = 3
	DialNoMatch  = 4
	DialTimeout  = 5

	DialAllowedBit    = 1 << 0
	DialReasonShift   = 1
	DialReasonMask    = 7
	DialNormalizedBit = 1 << 4
	DialAltShift      = 5
	DialAltMask       = 127
	DialRowShift      = 12
	// DialMaxRow is the largest row index a dial result can carry.
	DialMaxRow = 1<<19 - 2
)

var dialReasons = [...]string{"matched", "too_short", "too_long", "invalid", "no_match", "timeout"}

// DialReasonName returns the api's reason string for a dial reason.
func DialReasonName(r uint32) string {
	if int(r) < len(dialReasons) {
		return dialReasons[r]
	}
	return "unknown"
}

// PackDial packs a dial result; row is -1 when no row decided. ok is false
// when row or alt is out of range.
func PackDial(allowed bool, reason uint32, normalized bool, row, alt int) (r uint32, ok bool) {
	if row > DialMaxRow || alt < 0 || alt > DialAltMask {
		return 0, false
	}
	if allowed {
		r |= DialAllowedBit
	}
	r |= (reason & DialReasonMask) << DialReasonShift
	if normalized {
		r |= DialNormalizedBit
	}
	r |= uint32(alt) << DialAltShift
	if row >= 0 {
		r |= uint32(row+1) << DialRowShift
	}
	return r, true
}

// UnpackDial splits a non-negative dial result; row is -1 when none decided.
func UnpackDial(r uint32) (allowed bool, reason uint32, normalized bool, row, alt int) {
	return r&DialAllowedBit != 0, r >> DialReasonShift & DialReasonMask,
		r&DialNormalizedBit != 0, int(r>>DialRowShift) - 1, int(r >> DialAltShift & DialAltMask)
}

// BuildArgs returns, in a new slice, the go build arguments that make
// wasm/tollgate.wasm; with GOOS=wasip1 GOARCH=wasm CGO_ENABLED=0 and the
// toolchain BuildGo they reproduce the committed artifact byte for byte.
// mk/wasm.mk uses the same. A function, not a variable, so that no caller
// can change what every other caller builds with.
//
// The tag tollgate_hostregex leaves regexp2 out of the module: regular
// expressions run in the host through the ImportModule imports. The tag
// tollgate_small optimises for code size, as the module must: the
// credential hashes are core/internal/digest's, not the standard
// library's, which link the FIPS 140 module (docs/credentials.md).
func BuildArgs() []string {
	return []string{"build", "-buildmode=c-shared", "-trimpath", "-buildvcs=false", "-tags=tollgate_hostregex,tollgate_small", "-ldflags=-s -w -buildid=", "-o"}
}

// BuildGo is the toolchain the committed artifact is built with; another
// toolchain produces different (equally valid) bytes. go.mod's toolchain
// line names the same (a test checks).
const BuildGo = "go1.26.8"

// BuildEnv is what go build needs in its environment, on top of the
// caller's, to reproduce the committed artifacts: the wasip1 target and,
// through GOTOOLCHAIN, exactly the toolchain BuildGo, so that a machine
// with another Go runs (or downloads) BuildGo instead of building other
// bytes. mk/wasm.mk and mk/wasm-regex.mk set the same.
func BuildEnv() []string {
	return []string{"GOOS=wasip1", "GOARCH=wasm", "CGO_ENABLED=0", "GOFLAGS=", "GOTOOLCHAIN=" + BuildGo}
}
