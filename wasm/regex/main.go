//go:build wasip1

// Command regex is wasm/regex.wasm: regexp2, the native core's regex engine,
// alone in a small Go wasip1 reactor. The main module (wasm/tollgate.wasm)
// imports its regular expressions from the host (internal/abi, ImportModule);
// the JS package answers those imports with this module so that the regex
// dialect of restriction tables gives the same verdicts in JS as in Go,
// .NET-style semantics included, which JS RegExp does not share. Browsers
// download it only when a document uses regex rows (docs/js.md).
//
// The ABI is internal/abi's RegexMod* constants (docs/abi.md). Patterns
// compile with regexp2.None and a RegexTimeoutMS match timeout, as in the
// native core; but inside this module the timeout never fires: regexp2's
// clock is a goroutine that a single-threaded wasm call never lets run, so a
// catastrophic pattern runs to its end. Hosts that need a bound run the
// module off the main thread (a worker they can terminate).
package main

import (
	"time"
	"unsafe"

	"github.com/dlclark/regexp2"
	"github.com/tollgate/tollgate/internal/abi"
)

var (
	// buf is the scratch buffer: patterns and inputs in, messages out.
	buf = make([]byte, 4<<10)
	// res holds the compiled patterns; an id is an index. byText makes the
	// same text compile once.
	res    []*regexp2.Regexp
	byText = map[string]int32{}
)

func main() {}

//go:wasmexport version
func version() uint32 { return abi.RegexModVersion }

// buf_ptr and buf_cap answer 0 after a panic: the host discards the instance.
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

//go:wasmexport count
func count() uint32 { return uint32(len(res)) }

//go:wasmexport compile
func compile(n uint32) (r int32) {
	defer func() {
		if recover() != nil {
			r = message("regex module: internal error while compiling; the instance should be discarded")
		}
	}()
	if n > uint32(len(buf)) {
		return message("regex module: compile length beyond the buffer")
	}
	text := string(buf[:n])
	if id, ok := byText[text]; ok {
		return id
	}
	if len(res) >= abi.RegexModMaxPatterns {
		return message("regex module: more than 4096 distinct regular expressions in one instance")
	}
	re, err := regexp2.Compile(text, regexp2.None)
	if err != nil {
		return message(err.Error())
	}
	re.MatchTimeout = abi.RegexTimeoutMS * time.Millisecond
	id := int32(len(res))
	res = append(res, re)
	byText[text] = id
	return id
}

// message writes msg at the start of buf and returns compile's -(n+1).
func message(msg string) int32 {
	if len(msg) > abi.MaxBuf {
		msg = msg[:abi.MaxBuf]
	}
	grow(len(msg))
	return -int32(copy(buf, msg)) - 1
}

//go:wasmexport match
func match(id int32, n uint32) (r int32) {
	defer func() {
		if recover() != nil {
			r = abi.RegexTimeout
		}
	}()
	if id < 0 || int(id) >= len(res) {
		return abi.RegexNoID
	}
	if n > uint32(len(buf)) {
		return abi.RegexTimeout
	}
	m, err := res[id].MatchString(string(buf[:n]))
	switch {
	case err != nil:
		// regexp2's only match error is its timeout.
		return abi.RegexTimeout
	case m:
		return abi.RegexMatch
	}
	return abi.RegexNoMatch
}
