//go:build !wasip1

package main

// These tests run natively: they rebuild wasm/regex.wasm to prove the
// committed artifact fresh, and drive the committed module through wazero
// against regexp2 itself (compile messages and match results must agree
// byte for byte, since the JS package's verdicts rest on them).

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dlclark/regexp2"
	"github.com/tetratelabs/wazero"
	wapi "github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"

	"github.com/tollgate/tollgate/internal/abi"
)

var artifact = filepath.Join("..", "..", filepath.FromSlash(abi.RegexModFile))

func TestArtifactFresh(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the module; skipped with -short")
	}
	// go test puts its own go first on PATH; GOTOOLCHAIN (abi.BuildEnv)
	// makes it run exactly abi.BuildGo, so another local Go is no reason
	// to skip: it fetches BuildGo or fails.
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("no go command on PATH: %v", err)
	}
	env := append(os.Environ(), abi.BuildEnv()...)
	ver := exec.Command(gobin, "env", "GOVERSION")
	ver.Env = env
	if v, err := ver.CombinedOutput(); err != nil || strings.TrimSpace(string(v)) != abi.BuildGo {
		t.Fatalf("go env GOVERSION with GOTOOLCHAIN=%s: %s %v; the artifact is reproducible with %s only", abi.BuildGo, bytes.TrimSpace(v), err, abi.BuildGo)
	}
	out := filepath.Join(t.TempDir(), "regex.wasm")
	args := append(abi.RegexModBuildArgs(), out, "./wasm/regex")
	cmd := exec.Command(gobin, args...)
	cmd.Dir = filepath.Join("..", "..")
	cmd.Env = env
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("building the module: %v\n%s", err, msg)
	}
	got, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile(artifact)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s is stale (%d bytes committed, %d rebuilt): run 'make wasm-regex' and commit it", abi.RegexModFile, len(want), len(got))
	}
}

// TestMakefileFlags holds mk/wasm-regex.mk to abi.RegexModBuildArgs.
func TestMakefileFlags(t *testing.T) {
	mk, err := os.ReadFile(filepath.Join("..", "..", "mk", "wasm-regex.mk"))
	if err != nil {
		t.Fatal(err)
	}
	args := abi.RegexModBuildArgs()
	want := strings.Join(args[:len(args)-2], " ") + " -ldflags='-s -w -buildid=' -o"
	if !strings.Contains(string(mk), "WASM_REGEX_BUILD := "+want+"\n") {
		t.Fatalf("mk/wasm-regex.mk's WASM_REGEX_BUILD differs from abi.RegexModBuildArgs (%q)", want)
	}
}

// mod is one instance of the committed module.
type mod struct {
	t   testing.TB
	ctx context.Context
	m   wapi.Module
}

var compiled struct {
	rt   wazero.Runtime
	code wazero.CompiledModule
}

func newMod(t testing.TB) *mod {
	t.Helper()
	ctx := context.Background()
	if compiled.rt == nil {
		wasm, err := os.ReadFile(artifact)
		if err != nil {
			t.Fatal(err)
		}
		rt := wazero.NewRuntime(ctx)
		wasi_snapshot_preview1.MustInstantiate(ctx, rt)
		code, err := rt.CompileModule(ctx, wasm)
		if err != nil {
			t.Fatal(err)
		}
		compiled.rt, compiled.code = rt, code
	}
	m, err := compiled.rt.InstantiateModule(ctx, compiled.code, wazero.NewModuleConfig().WithName("").WithStartFunctions(abi.RegexModExportInitialize))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close(ctx) })
	return &mod{t, ctx, m}
}

func (m *mod) call(name string, args ...uint64) int32 {
	m.t.Helper()
	r, err := m.m.ExportedFunction(name).Call(m.ctx, args...)
	if err != nil {
		m.t.Fatalf("%s: %v", name, err)
	}
	return int32(uint32(r[0]))
}

// put writes b at the start of the scratch buffer, growing it.
func (m *mod) put(b string) uint64 {
	m.t.Helper()
	if st := m.call(abi.RegexModExportBufReserve, uint64(len(b))); st != abi.StatusOK {
		m.t.Fatalf("buf_reserve(%d) = %d", len(b), st)
	}
	p := uint32(m.call(abi.RegexModExportBufPtr))
	if !m.m.Memory().Write(p, []byte(b)) {
		m.t.Fatalf("writing %d bytes at %d", len(b), p)
	}
	return uint64(len(b))
}

// compile returns the id, or -1 and the message.
func (m *mod) compile(pattern string) (int32, string) {
	r := m.call(abi.RegexModExportCompile, m.put(pattern))
	if r >= 0 {
		return r, ""
	}
	n := uint32(-(r + 1))
	p := uint32(m.call(abi.RegexModExportBufPtr))
	b, ok := m.m.Memory().Read(p, n)
	if !ok {
		m.t.Fatalf("message of %d bytes at %d lies outside memory", n, p)
	}
	return -1, string(b)
}

func (m *mod) match(id int32, in string) int32 {
	return m.call(abi.RegexModExportMatch, uint64(uint32(id)), m.put(in))
}

// native is the oracle: regexp2 as the native core runs it.
func native(pattern, in string) (compileErr string, result int32) {
	re, err := regexp2.Compile(pattern, regexp2.None)
	if err != nil {
		return err.Error(), -1
	}
	re.MatchTimeout = abi.RegexTimeoutMS * time.Millisecond
	ok, err := re.MatchString(in)
	switch {
	case err != nil:
		return "", abi.RegexTimeout
	case ok:
		return "", abi.RegexMatch
	}
	return "", abi.RegexNoMatch
}

func check(t testing.TB, m *mod, pattern, in string) {
	t.Helper()
	wantErr, want := native(pattern, in)
	id, msg := m.compile(pattern)
	if msg != wantErr {
		t.Fatalf("compile %q: module says %q, regexp2 %q", pattern, msg, wantErr)
	}
	if id < 0 {
		return
	}
	got := m.match(id, in)
	if got != want && (got == abi.RegexTimeout || want == abi.RegexTimeout) {
		// Both sides run under the 50 ms match timeout: a side that a
		// loaded machine stalled past it is asked once more.
		_, want = native(pattern, in)
		got = m.match(id, in)
	}
	if got != want {
		t.Fatalf("match %q against %q: module %d, regexp2 %d", pattern, in, got, want)
	}
}

func TestParity(t *testing.T) {
	m := newMod(t)
	if v := m.call(abi.RegexModExportVersion); v != abi.RegexModVersion {
		t.Fatalf("version = %d, want %d", v, abi.RegexModVersion)
	}
	cases := []struct{ pattern, in string }{
		{`^9011`, "9011441234"},
		{`^9011`, "91011"},
		{`^9[2-9]\d{9}$`, "92125551234"},
		{`^9[2-9]\d{9}$`, "9212555123"},
		{`^(?<cc>1)?900`, "1900555"}, // .NET named group
		{`(?<=9)011`, "9011"},        // lookbehind, absent from RE2
		{`^\d+$`, "١٢٣"},             // \d is Unicode in regexp2
		{`^(?i)ABC$`, "abc"},         // inline options
		{`^9(?!1)\d+$`, "9255"},      // lookahead
		{`^(\d)\1$`, "77"},           // backreference
		{`^[`, "9"},                  // compile errors quote the pattern
		{`(?<n>`, ""},
		{`a{2,1}`, "aa"},
		{`\p{Nope}`, "x"},
		{`^$`, ""},
		{"^é+$", "éé"},
	}
	for _, c := range cases {
		check(t, m, c.pattern, c.in)
	}
}

func TestSameTextSameID(t *testing.T) {
	m := newMod(t)
	a, _ := m.compile(`^9011`)
	b, _ := m.compile(`^1900`)
	c, _ := m.compile(`^9011`)
	if a != c || a == b {
		t.Fatalf("ids %d %d %d: the same text must reuse its id and another text get another", a, b, c)
	}
	if n := m.call(abi.RegexModExportCount); n != 2 {
		t.Fatalf("count = %d, want 2", n)
	}
}

func TestBadArguments(t *testing.T) {
	m := newMod(t)
	if r := m.call(abi.RegexModExportMatch, 7, 0); r != abi.RegexNoID {
		t.Fatalf("match of an unknown id = %d, want RegexNoID", r)
	}
	if r := m.call(abi.RegexModExportMatch, 0xffffffff, 0); r != abi.RegexNoID {
		t.Fatalf("match of id -1 = %d, want RegexNoID", r)
	}
	cap := m.call(abi.RegexModExportBufCap)
	if r := m.call(abi.RegexModExportCompile, uint64(cap)+1); r >= 0 {
		t.Fatalf("compile beyond the buffer = %d, want an error", r)
	}
	if st := m.call(abi.RegexModExportBufReserve, abi.MaxBuf+1); st != abi.StatusTooLarge {
		t.Fatalf("buf_reserve(MaxBuf+1) = %d, want StatusTooLarge", st)
	}
	id, _ := m.compile(`^9`)
	if r := m.call(abi.RegexModExportMatch, uint64(id), uint64(m.call(abi.RegexModExportBufCap))+1); r != abi.RegexTimeout {
		t.Fatalf("match beyond the buffer = %d, want RegexTimeout (decides nothing)", r)
	}
}

func TestPatternLimit(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles 4097 patterns")
	}
	m := newMod(t)
	for i := 0; i < abi.RegexModMaxPatterns; i++ {
		if id, msg := m.compile("^" + strings.Repeat("9", i%50) + "x" + itoa(i)); id < 0 {
			t.Fatalf("pattern %d refused: %s", i, msg)
		}
	}
	id, msg := m.compile(`^overflow`)
	if id >= 0 || !strings.Contains(msg, "4096") {
		t.Fatalf("pattern beyond the limit: id %d, message %q", id, msg)
	}
	if id, _ := m.compile("^x0"); id != 0 {
		t.Fatalf("a known text beyond the limit still gets its id, got %d", id)
	}
}

func itoa(i int) string {
	var b [20]byte
	p := len(b)
	for {
		p--
		b[p] = byte('0' + i%10)
		i /= 10
		if i == 0 {
			return string(b[p:])
		}
	}
}

// FuzzParity: any pattern and input give the module's answer regexp2's.
func FuzzParity(f *testing.F) {
	for _, s := range [][2]string{{`^9011`, "9011"}, {`(?<=9)0`, "90"}, {`^[`, ""}, {`\d{2,}`, "١٢"}, {`(a|b)*c`, "ababc"}} {
		f.Add(s[0], s[1])
	}
	m := newMod(f)
	f.Fuzz(func(t *testing.T, pattern, in string) {
		if len(pattern) > 200 || len(in) > 200 || strings.ContainsAny(pattern, "*+{") && len(in) > 40 {
			// Keep clear of catastrophic backtracking: the native timeout
			// would fire where the module's cannot.
			return
		}
		m.t = t
		if m.call(abi.RegexModExportCount) >= abi.RegexModMaxPatterns {
			// A full instance refuses new text: start another (the old one
			// is closed with the runtime at exit).
			im, err := compiled.rt.InstantiateModule(m.ctx, compiled.code, wazero.NewModuleConfig().WithName("").WithStartFunctions(abi.RegexModExportInitialize))
			if err != nil {
				t.Fatal(err)
			}
			m.m = im
		}
		check(t, m, pattern, in)
	})
}
