package abi

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite abi.json from the Go constants")

// golden is the machine-readable form of this package that the JS package
// mirrors (js/ proves its own constants equal abi.json).
func golden() ([]byte, error) {
	type export struct {
		Params  []string `json:"params"`
		Result  string   `json:"result"`
		Since   int      `json:"since"`
		Summary string   `json:"summary"`
	}
	type imp struct {
		Module  string   `json:"module"`
		Params  []string `json:"params"`
		Result  string   `json:"result"`
		Since   int      `json:"since"`
		Summary string   `json:"summary"`
	}
	g := struct {
		Version int               `json:"version"`
		Exports map[string]export `json:"exports"`
		Imports map[string]imp    `json:"imports"`
		Regex   map[string]int    `json:"regex"`
		Status  map[string]int    `json:"status"`
		Faults  map[string]int    `json:"faults"`
		Limits  map[string]int    `json:"limits"`
		Dial    map[string]int    `json:"dial"`
		Reasons map[string]string `json:"dial_reasons"`
		Build   map[string]any    `json:"build"`
	}{
		Version: Version,
		Exports: map[string]export{
			ExportInitialize: {[]string{}, "", 1, "Go runtime initialisation; call once, first"},
			ExportVersion:    {[]string{}, "i32", 1, "the ABI version"},
			ExportBufPtr:     {[]string{}, "i32", 1, "address of the scratch buffer"},
			ExportBufCap:     {[]string{}, "i32", 1, "size of the scratch buffer"},
			ExportBufReserve: {[]string{"n"}, "i32", 1, "grow the buffer to at least n bytes; status"},
			ExportCall:       {[]string{"op_len", "req_len"}, "i32", 1, "run an api op: status<<24 | response length"},
			ExportDial:       {[]string{"tables", "table", "num_len"}, "i32", 1, "match one number: dial result or -status"},
			ExportDialBatch:  {[]string{"tables", "table", "in_len"}, "i32", 1, "match newline-separated numbers: count or -status"},
			ExportTableIndex: {[]string{"tables", "name_len"}, "i32", 1, "index of a table by name: index or -status"},
			ExportFault:      {[]string{"kind"}, "i32", 1, "fault injection for host tests"},
			ExportDataLoad:   {[]string{"name_len", "len"}, "i32", 2, "load a data artifact's payload (name, then payload, in buf): status<<24 | error length; re-read buf_ptr"},
		},
		Imports: map[string]imp{
			ImportRegexCompile: {ImportModule, []string{"pat_ptr", "pat_len", "err_ptr", "err_cap"}, "i32", 2,
				"compile a pattern: id >= 0, or -(n+1) with an n-byte error message at err_ptr"},
			ImportRegexMatch: {ImportModule, []string{"id", "in_ptr", "in_len"}, "i32", 2,
				"match an input: no_match, match, timeout or no_id"},
		},
		Regex: map[string]int{"no_match": RegexNoMatch, "match": RegexMatch, "timeout": RegexTimeout,
			"no_id": RegexNoID, "timeout_ms": RegexTimeoutMS},
		Status: map[string]int{},
		Faults: map[string]int{"panic": FaultPanic, "memory": FaultMemory},
		Limits: map[string]int{"initial_buf": InitialBuf, "max_buf": MaxBuf, "len_bits": LenBits},
		Dial: map[string]int{
			"allowed_bit": DialAllowedBit, "reason_shift": DialReasonShift, "reason_mask": DialReasonMask,
			"normalized_bit": DialNormalizedBit, "alt_shift": DialAltShift, "alt_mask": DialAltMask,
			"row_shift": DialRowShift, "max_row": DialMaxRow,
		},
		Reasons: map[string]string{},
		Build:   map[string]any{"go": BuildGo, "args": BuildArgs()},
	}
	for s := int32(0); s < 16; s++ {
		if n := StatusName(s); n != "unknown" {
			g.Status[n] = int(s)
		}
	}
	for r := uint32(0); r <= DialReasonMask; r++ {
		if n := DialReasonName(r); n != "unknown" {
			g.Reasons[itoa(int(r))] = n
		}
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	err := enc.Encode(g)
	return b.Bytes(), err
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

// TestGolden keeps abi.json equal to the constants; run with -update after
// an intended change.
func TestGolden(t *testing.T) {
	want, err := golden()
	if err != nil {
		t.Fatal(err)
	}
	if *update {
		if err := os.WriteFile("abi.json", want, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile("abi.json")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("internal/abi/abi.json differs from the Go constants; run go test ./internal/abi -update and review the diff")
	}
}

// TestMakefileAgrees checks that mk/wasm.mk builds with BuildArgs.
func TestMakefileAgrees(t *testing.T) {
	mk, err := os.ReadFile(filepath.Join("..", "..", "mk", "wasm.mk"))
	if err != nil {
		t.Fatal(err)
	}
	args := strings.Join(BuildArgs(), " ")
	args = strings.Replace(args, "-ldflags=-s -w -buildid=", "-ldflags='-s -w -buildid='", 1)
	if !strings.Contains(string(mk), "WASM_BUILD := "+args+"\n") {
		t.Fatalf("mk/wasm.mk: WASM_BUILD is not %q (internal/abi.BuildArgs)", args)
	}
}

// TestToolchainPinned: go.mod's toolchain line is BuildGo, and the make
// targets that build the artifacts run that toolchain, so that a rebuild
// on a machine with another Go is byte for byte the committed one rather
// than a skipped or failed comparison.
func TestToolchainPinned(t *testing.T) {
	mod, err := os.ReadFile(filepath.Join("..", "..", "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	var pinned []string
	for _, line := range strings.Split(string(mod), "\n") {
		if f := strings.Fields(line); len(f) == 2 && f[0] == "toolchain" {
			pinned = append(pinned, f[1])
		}
	}
	if len(pinned) != 1 || pinned[0] != BuildGo {
		t.Errorf("go.mod: toolchain lines %q, want one naming %s (internal/abi.BuildGo)", pinned, BuildGo)
	}
	mk, err := os.ReadFile(filepath.Join("..", "..", "mk", "wasm.mk"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"BUILD_GO   := $(shell sed -n 's/^toolchain //p' go.mod)\n", "WASM_ENV   := GOOS=wasip1 GOARCH=wasm CGO_ENABLED=0 GOTOOLCHAIN=$(BUILD_GO)\n"} {
		if !strings.Contains(string(mk), want) {
			t.Errorf("mk/wasm.mk lacks %q", want)
		}
	}
	rmk, err := os.ReadFile(filepath.Join("..", "..", "mk", "wasm-regex.mk"))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(rmk), "\n") {
		if strings.Contains(line, "$(GO) ") && !strings.Contains(line, "$(WASM_ENV) $(GO) ") {
			t.Errorf("mk/wasm-regex.mk runs go without $(WASM_ENV): %q", strings.TrimSpace(line))
		}
	}
	if env := BuildEnv(); env[len(env)-1] != "GOTOOLCHAIN="+BuildGo {
		t.Errorf("BuildEnv() = %q", env)
	}
}

func TestPacking(t *testing.T) {
	for _, c := range []struct{ s, n uint32 }{{0, 0}, {StatusOpError, 17}, {StatusPanic, MaxBuf}, {127, 1}} {
		r := PackCall(c.s, c.n)
		if int32(r) < 0 {
			t.Errorf("PackCall(%d, %d) = %#x is negative as an i32", c.s, c.n, r)
		}
		if s, n := UnpackCall(r); s != c.s || n != c.n {
			t.Errorf("UnpackCall(PackCall(%d, %d)) = %d, %d", c.s, c.n, s, n)
		}
	}
	for _, c := range []struct {
		allowed    bool
		reason     uint32
		normalized bool
		row, alt   int
	}{{true, DialMatched, false, 0, 0}, {false, DialMatched, true, 41, 2}, {false, DialTooLong, false, -1, 0},
		{false, DialInvalid, true, -1, 0}, {true, DialTimeout, false, DialMaxRow, DialAltMask}} {
		r, ok := PackDial(c.allowed, c.reason, c.normalized, c.row, c.alt)
		if !ok || int32(r) < 0 {
			t.Errorf("PackDial%v = %#x, %v: want a non-negative i32", c, r, ok)
		}
		a, re, no, ro, al := UnpackDial(r)
		if a != c.allowed || re != c.reason || no != c.normalized || ro != c.row || al != c.alt {
			t.Errorf("UnpackDial(PackDial%v) = %v %v %v %v %v", c, a, re, no, ro, al)
		}
	}
	if _, ok := PackDial(true, 0, false, DialMaxRow+1, 0); ok {
		t.Error("PackDial accepted a row beyond DialMaxRow")
	}
	if _, ok := PackDial(true, 0, false, 0, DialAltMask+1); ok {
		t.Error("PackDial accepted an alt beyond DialAltMask")
	}
}
