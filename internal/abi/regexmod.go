package abi

// The regex module, wasm/regex.wasm: regexp2 (the native core's engine)
// compiled to its own small WebAssembly module, for hosts with no regexp2
// of their own. The JS package instantiates it on demand and answers the
// main module's ImportModule imports with it, so that JS verdicts equal Go's
// byte for byte (JS RegExp lacks regexp2's .NET semantics). The Go host
// never uses it: it runs regexp2 natively.
//
// Its ABI is separate from the main module's and versioned on its own.
// Every export recovers from panics; a trap (memory exhausted) means the
// host discards the instance and compiles its patterns again in a new one.
// docs/abi.md ("The regex module (JS hosts)") explains it.

// RegexModVersion is what the regex module's version export returns.
const RegexModVersion = 1

// Regex module export names.
const (
	// RegexModExportInitialize: the Go runtime's reactor entry point.
	RegexModExportInitialize = "_initialize"
	// RegexModExportVersion: version() -> i32, RegexModVersion.
	RegexModExportVersion = "version"
	// RegexModExportBufPtr: buf_ptr() -> i32, the scratch buffer's address
	// (0 after a recovered panic: discard the instance).
	RegexModExportBufPtr = "buf_ptr"
	// RegexModExportBufCap: buf_cap() -> i32, its size in bytes.
	RegexModExportBufCap = "buf_cap"
	// RegexModExportBufReserve: buf_reserve(n i32) -> i32 status (StatusOK,
	// StatusTooLarge beyond MaxBuf); the address may change.
	RegexModExportBufReserve = "buf_reserve"
	// RegexModExportCompile: compile(len i32) -> i32. Compiles the UTF-8
	// pattern in the first len bytes of the buffer with regexp2.None and a
	// RegexTimeoutMS match timeout. Returns an id >= 0, or -(n+1) with an
	// n-byte error message at the start of the buffer (grown to hold it):
	// regexp2's message, as the native core reports it. The same text
	// compiled again returns the same id. A recovered panic is an error
	// too, with a message that says so.
	RegexModExportCompile = "compile"
	// RegexModExportMatch: match(id, len i32) -> i32, one of RegexNoMatch,
	// RegexMatch, RegexTimeout, RegexNoID, for the UTF-8 input in the first
	// len bytes of the buffer. A recovered panic answers RegexTimeout: the
	// match decided nothing.
	RegexModExportMatch = "match"
	// RegexModExportCount: count() -> i32, how many distinct patterns the
	// instance holds (hosts bound it and tests read it).
	RegexModExportCount = "count"
)

// RegexModMaxPatterns is how many distinct patterns one regex module
// instance holds; beyond it compile answers an error. The JS package
// shares one instance among all main-module instances of a Tollgate and
// starts a fresh one when it is full.
const RegexModMaxPatterns = 4096

// RegexModMaxPerInstance is how many distinct patterns one main-module
// instance may compile through a JS host, as the Go host's
// MaxRegexPerInstance.
const RegexModMaxPerInstance = 4096

// RegexModFile is the committed artifact, relative to the repository root.
const RegexModFile = "wasm/regex.wasm"

// RegexModBuildArgs returns, in a new slice, the go build arguments that
// make wasm/regex.wasm (with GOOS=wasip1 GOARCH=wasm CGO_ENABLED=0 and the
// toolchain BuildGo); mk/wasm-regex.mk uses the same, and a test rebuilds
// and compares.
func RegexModBuildArgs() []string {
	return []string{"build", "-buildmode=c-shared", "-trimpath", "-buildvcs=false", "-ldflags=-s -w -buildid=", "-o"}
}
