//go:build wasip1

// Command wasm is tollgate's WebAssembly module, wasm/tollgate.wasm: a Go
// wasip1 reactor (-buildmode=c-shared) whose exports are thin wrappers over
// api and core. The ABI (export names, status codes, limits) is defined in
// internal/abi and documented in docs/abi.md.
//
// Every export recovers from panics and turns them into a status code. The
// module keeps one api.Session (loaded policies and tables) per instance;
// an instance serves one call at a time.
package main

import (
	"bytes"
	"runtime"
	"time"
	"unsafe"

	"github.com/tollgate/tollgate/api"
	"github.com/tollgate/tollgate/internal/abi"
)

var (
	// session serves every call of this instance; its regular expressions
	// and its interrupt are the host's (regex.go, pollHost).
	session = api.NewSessionWithOptions(api.SessionOptions{Regex: compileRegex, Interrupt: pollHost})
	// buf is the scratch buffer the host writes requests into and reads
	// responses from. Go's collector never moves it, so its address stays
	// valid until buf_reserve replaces it.
	buf = make([]byte, abi.InitialBuf)
	// in and out are the guest's own copies of a request and a response,
	// kept across calls so a steady stream of calls does not allocate them.
	in, out []byte
)

// main never runs in a reactor; setup happens in package initialisation.
func main() {}

// gcPercent is the collector's setting once the module is initialised.
// Collections are costly in wasm (one thread, no concurrent marking): at
// Go's default of 100 a PIN check spends more time collecting than
// checking. 400 keeps an instance's heap to a few tens of MiB.
const gcPercent = 400

// This init runs after every package's: hosts may start the module with
// GOGC=off in its environment so that initialisation runs without
// collections (about 4x faster to instantiate), and steady state collects
// at gcPercent whatever the environment said.
func init() {
	setGCPercent(gcPercent)
	if setGCPercent(gcPercent) != gcPercent {
		panic("tollgate: setGCPercent does not set the collector's percentage: its declaration no longer matches the runtime's")
	}
}

// setGCPercent is runtime/debug.SetGCPercent without runtime/debug, which
// imports os: os's initialisation opens Stdin, Stdout and Stderr through
// internal/poll and the runtime's network poller, about 31 KB gzip of the
// module for three files it never uses. The runtime defines the function
// under this name for runtime/debug (runtime/mgcpacer.go: "//go:linkname
// setGCPercent runtime/debug.setGCPercent"), so the linker accepts the
// reference; init reads back the value it set, so a toolchain whose
// definition differs fails at the module's start, in every host test.
//
//go:linkname setGCPercent runtime/debug.setGCPercent
func setGCPercent(percent int32) (previous int32)

// pollHost is the session's interrupt: the api calls it during long work
// (PBKDF2 every 1 024 iterations, automaton construction about every
// millisecond). It reads the clock, which is a call into the host
// (WASI clock_time_get), and a host with a deadline ends the call there
// when the deadline has passed (host/wasm.go; docs/abi.md). The module
// never decides to stop by itself: it cannot know the host's deadline.
// During a call that builds automata it also yields, so that the
// collector's marking runs (see buildsAutomata).
func pollHost() bool {
	lastPoll = time.Now()
	if heavyCall {
		runtime.Gosched()
	}
	return false
}

// lastPoll keeps the clock read observable, so no compiler drops it.
var lastPoll time.Time

// buildsAutomata reports whether a call compiles a tables document: it
// allocates fast (building an automaton makes its size in garbage several
// times over), and a single-threaded collector at GOGC 400 falls behind
// and lets the heap grow into the memory cap. Such a call runs at
// heavyGCPercent and yields at every poll. (Hashing allocates nothing:
// it keeps the steady-state setting.)
func buildsAutomata(op string, req []byte) bool {
	switch op {
	case "tables.load", "lint":
		return true
	case "dial":
		// An inline tables document: a second '{' (host.Heavy's test).
		if i := bytes.IndexByte(req, '{'); i >= 0 {
			return bytes.IndexByte(req[i+1:], '{') >= 0
		}
	}
	return len(req) > keepCap
}

// heavyCall is set while a call that builds automata runs,
// heavyGCPercent is its collector setting. Loading a 100 000-row table
// peaked at 59-67 MiB of linear memory at 100 and, under a 64 MiB cap on
// a busy machine, now and then trapped; at 50 it peaks at 47-56 MiB and
// loads about 13 % slower (TestAttackLargeTableFailsOnWasm). 25 is worse
// than either (80 MiB): the collector is then nearly always marking, and
// what is allocated while it marks survives the cycle.
var heavyCall bool

const heavyGCPercent = 50

// abi_version returns a constant: it cannot panic, so it has no recover.
//
//go:wasmexport abi_version
func abiVersion() uint32 { return abi.Version }

// buf_ptr and buf_cap answer 0 if anything went wrong; hosts treat a zero
// address or size as a fault.
//
//go:wasmexport buf_ptr
func bufPtr() (p uint32) {
	defer func() {
		if recover() != nil {
			p = 0
		}
	}()
	return uint32(uintptr(unsafe.Pointer(&buf[0])))
}

//go:wasmexport buf_cap
func bufCap() (n uint32) {
	defer func() {
		if recover() != nil {
			n = 0
		}
	}()
	return uint32(len(buf))
}

//go:wasmexport buf_reserve
func bufReserve(n uint32) (status uint32) {
	defer func() {
		if recover() != nil {
			status = abi.StatusPanic
		}
	}()
	if n > abi.MaxBuf {
		return abi.StatusTooLarge
	}
	grow(int(n))
	return abi.StatusOK
}

// grow replaces buf with one of at least n bytes; the contents are not kept.
func grow(n int) {
	if n <= len(buf) {
		return
	}
	c := 2 * len(buf)
	for c < n {
		c *= 2
	}
	buf = make([]byte, min(c, abi.MaxBuf))
}

//go:wasmexport call
func call(opLen, reqLen uint32) (r uint32) {
	defer func() {
		if recover() != nil {
			r = reply(abi.StatusPanic, panicResponse)
		}
	}()
	if uint64(opLen)+uint64(reqLen) > uint64(len(buf)) {
		return abi.PackCall(abi.StatusBadArgs, 0)
	}
	op := string(buf[:opLen])
	// The request is copied out of buf: the response is written back over
	// it, and nothing the api keeps may alias the host's buffer.
	in = append(in[:0], buf[opLen:opLen+reqLen]...)
	if buildsAutomata(op, in) {
		heavyCall = true
		setGCPercent(heavyGCPercent)
		defer func() {
			heavyCall = false
			setGCPercent(gcPercent)
		}()
	}
	var err error
	if isAudit(op) {
		out, err = auditCall(op, in, out[:0])
		if err != nil {
			out = api.AppendError(out[:0], err)
		}
	} else {
		out, err = session.Do(op, in, out[:0])
	}
	status := uint32(abi.StatusOK)
	if err != nil {
		status = abi.StatusOpError
	}
	r = reply(status, out)
	// Keep the copies for the next call unless one was unusually large:
	// an instance should not hold megabytes for a request seen once.
	if cap(in) > keepCap {
		in = nil
	}
	if cap(out) > keepCap {
		out = nil
	}
	return r
}

// keepCap is the largest request or response copy kept between calls.
const keepCap = 1 << 20

// panicResponse is the api's error object for a recovered panic. It names
// no input: a panic value might hold part of one.
var panicResponse = []byte(`{"error":{"code":"internal","message":"the module panicked; the instance should be discarded"}}`)

// reply copies resp into buf, growing it when needed, and packs the result.
func reply(status uint32, resp []byte) uint32 {
	if len(resp) > abi.MaxBuf {
		return abi.PackCall(abi.StatusTooLarge, 0)
	}
	grow(len(resp))
	copy(buf, resp)
	return abi.PackCall(status, uint32(len(resp)))
}

// hog keeps what FaultMemory allocates reachable so the collector cannot
// free it.
var hog [][]byte

//go:wasmexport fault
func fault(kind uint32) (status uint32) {
	defer func() {
		if recover() != nil {
			status = abi.StatusPanic
		}
	}()
	switch kind {
	case abi.FaultPanic:
		panic("tollgate: fault injection")
	case abi.FaultMemory:
		// Runs until the runtime cannot grow memory and aborts: a trap the
		// host must survive.
		for {
			hog = append(hog, make([]byte, 1<<20))
		}
	}
	return abi.StatusBadArgs
}

// data_load loads a data artifact's payload (docs/abi.md, "Data
// artifacts"): buf[0, nameLen) holds its name, the payload follows. The
// host has verified the artifact's container and checksum. The module
// adopts the payload's bytes rather than copying them, and starts a new
// scratch buffer; the host re-reads buf_ptr and buf_cap. The result is
// packed as call's: ok, or op_error with the api's error object in the new
// buffer.
//
//go:wasmexport data_load
func dataLoad(nameLen, n uint32) (r uint32) {
	defer func() {
		if recover() != nil {
			r = reply(abi.StatusPanic, panicResponse)
		}
	}()
	if uint64(nameLen)+uint64(n) > uint64(len(buf)) {
		return abi.PackCall(abi.StatusBadArgs, 0)
	}
	name := string(buf[:nameLen])
	payload := buf[nameLen : nameLen+n : nameLen+n]
	buf = make([]byte, abi.InitialBuf)
	if err := session.LoadPayload(name, payload); err != nil {
		return reply(abi.StatusOpError, api.AppendError(nil, err))
	}
	return abi.PackCall(abi.StatusOK, 0)
}
