//go:build wasip1

package main

import (
	"errors"
	"runtime"
	"unsafe"

	"github.com/tollgate/tollgate/core/dialplan"
	"github.com/tollgate/tollgate/internal/abi"
)

// Regular expressions run in the host (ABI v2, docs/abi.md): the module is
// built with the tag tollgate_hostregex, so dialplan links no regex engine
// and this file installs one that hands patterns and inputs to the host's
// tollgate_host imports. The host bounds each match with a real clock,
// which a busy wasm call could not.

//go:wasmimport tollgate_host regex_compile
func hostRegexCompile(patPtr unsafe.Pointer, patLen uint32, errPtr unsafe.Pointer, errCap uint32) int32

//go:wasmimport tollgate_host regex_match
func hostRegexMatch(id int32, inPtr unsafe.Pointer, inLen uint32) int32

var (
	errRegexTimeout = errors.New("the regular expression ran out of time")
	errRegexNoID    = errors.New("the host does not know this regular expression")
	errRegexResult  = errors.New("the host answered regex_match with an unknown result")
)

// errSlack is room in the error buffer beyond the pattern's length:
// regexp2's messages quote the whole pattern after a short prefix, and a
// truncated message would differ from what the native core reports.
const errSlack = 256

func compileRegex(pattern string) (dialplan.Regex, error) {
	eb := make([]byte, len(pattern)+errSlack)
	r := hostRegexCompile(unsafe.Pointer(unsafe.StringData(pattern)), uint32(len(pattern)),
		unsafe.Pointer(unsafe.SliceData(eb)), uint32(len(eb)))
	// The host reads both buffers during the call; nothing may free them
	// before it returns.
	runtime.KeepAlive(pattern)
	runtime.KeepAlive(eb)
	if r >= 0 {
		return hostRegex(r), nil
	}
	n := int(-(r + 1))
	if n > len(eb) {
		n = len(eb)
	}
	return nil, errors.New(string(eb[:n]))
}

// hostRegex is the host's id of a compiled pattern.
type hostRegex int32

func (id hostRegex) MatchString(s string) (bool, error) {
	r := hostRegexMatch(int32(id), unsafe.Pointer(unsafe.StringData(s)), uint32(len(s)))
	runtime.KeepAlive(s)
	switch r {
	case abi.RegexNoMatch:
		return false, nil
	case abi.RegexMatch:
		return true, nil
	case abi.RegexTimeout:
		return false, errRegexTimeout
	case abi.RegexNoID:
		return false, errRegexNoID
	}
	return false, errRegexResult
}
