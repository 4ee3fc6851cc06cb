package engine

import (
	"context"
	"strconv"
	"sync"

	"github.com/dlclark/regexp2"
	"github.com/tetratelabs/wazero"
	wapi "github.com/tetratelabs/wazero/api"

	"github.com/tollgate/tollgate/core/dialplan"
	"github.com/tollgate/tollgate/internal/abi"
)

// The module's regular expressions (the regex dialect of restriction
// tables) run here, natively, through the imports of abi.ImportModule: the
// module carries no regex engine, and regexp2's match timeout fires, which
// it could not inside a busy wasm call. Patterns compile with the options
// and timeout the native core uses, so both engines give the same verdicts.

// The host's patterns time out as the native core's do: regexp2's clock
// ticks every dialplan.RegexClockPeriod (set before any match can run).
func init() { regexp2.SetTimeoutCheckPeriod(dialplan.RegexClockPeriod) }

// MaxRegexPerInstance is how many distinct patterns one module instance
// may compile. Beyond it regex_compile refuses (the table fails to load
// with that message) and the instance is discarded after its call, so the
// next call starts clean. Compiling the same text again reuses its id, so
// inline documents seen over and over do not count twice.
const MaxRegexPerInstance = 4096

// errTooManyRegex is regex_compile's message beyond MaxRegexPerInstance.
var errTooManyRegex = "tollgate host: more than " + strconv.Itoa(MaxRegexPerInstance) +
	" distinct regular expressions in one module instance"

// guestMemory is what the imports need of an instance's linear memory
// (wapi.Memory; a plain slice in the fuzz test).
type guestMemory interface {
	Read(offset, n uint32) ([]byte, bool)
	Write(offset uint32, b []byte) bool
}

// regexSet is one instance's compiled patterns: an id is an index. The
// compiled patterns themselves are shared (sharedRegexes).
type regexSet struct {
	byText map[string]int32
	res    []*regexp2.Regexp
	full   bool // a compile was refused at the limit: discard the instance
}

// regexRegistry maps each live instance (its wapi.Module) to its set. An
// instance's entry is dropped when the host closes it (wasmWorker.close).
// A sync.Map: every regex_match looks its instance up, from as many
// goroutines as the pool has instances, and entries change only when an
// instance comes or goes.
type regexRegistry struct{ sets sync.Map } // any -> *regexSet

var regexes regexRegistry

// set returns key's set, creating it.
func (r *regexRegistry) set(key any) *regexSet {
	if s, ok := r.sets.Load(key); ok {
		return s.(*regexSet)
	}
	s, _ := r.sets.LoadOrStore(key, &regexSet{byText: map[string]int32{}})
	return s.(*regexSet)
}

// lookup returns key's set or nil.
func (r *regexRegistry) lookup(key any) *regexSet {
	s, _ := r.sets.Load(key)
	rs, _ := s.(*regexSet)
	return rs
}

// drop forgets key's set and releases its patterns.
func (r *regexRegistry) drop(key any) {
	s, ok := r.sets.LoadAndDelete(key)
	if !ok {
		return
	}
	for text := range s.(*regexSet).byText {
		sharedRegexes.release(text)
	}
}

// sharedRegexes holds each distinct pattern compiled once for the process:
// every pooled instance replays the same loaded tables and would otherwise
// compile (and keep) its own copy of every pattern. A regexp2.Regexp is
// safe for concurrent use. An entry lives while some instance holds it.
var sharedRegexes = regexCache{m: map[string]*sharedRegex{}}

type regexCache struct {
	mu sync.Mutex
	m  map[string]*sharedRegex
}

type sharedRegex struct {
	re   *regexp2.Regexp
	refs int // instances holding it
}

// acquire returns text compiled as the native core compiles it.
func (c *regexCache) acquire(text string) (*regexp2.Regexp, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if s := c.m[text]; s != nil {
		s.refs++
		return s.re, nil
	}
	re, err := regexp2.Compile(text, regexp2.None)
	if err != nil {
		return nil, err
	}
	re.MatchTimeout = dialplan.RegexTimeout
	c.m[text] = &sharedRegex{re: re, refs: 1}
	return re, nil
}

func (c *regexCache) release(text string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if s := c.m[text]; s != nil {
		if s.refs--; s.refs <= 0 {
			delete(c.m, text)
		}
	}
}

func (c *regexCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.m)
}

func (r *regexRegistry) len() (n int) {
	r.sets.Range(func(any, any) bool { n++; return true })
	return n
}

// regexCompile implements regex_compile for the instance key. A pointer or
// length outside memory is an answer, never a panic: an error result whose
// message is written only if err_ptr/err_cap are themselves valid.
func regexCompile(key any, mem guestMemory, patPtr, patLen, errPtr, errCap uint32) int32 {
	pat, ok := mem.Read(patPtr, patLen)
	if !ok {
		return compileError(mem, errPtr, errCap, "regex_compile: pattern at "+strconv.FormatUint(uint64(patPtr), 10)+
			" length "+strconv.FormatUint(uint64(patLen), 10)+" lies outside the module's memory")
	}
	s := regexes.set(key)
	if id, ok := s.byText[string(pat)]; ok {
		return id
	}
	if len(s.res) >= MaxRegexPerInstance {
		s.full = true
		return compileError(mem, errPtr, errCap, errTooManyRegex)
	}
	text := string(pat)
	re, err := sharedRegexes.acquire(text)
	if err != nil {
		return compileError(mem, errPtr, errCap, err.Error())
	}
	id := int32(len(s.res))
	s.res = append(s.res, re)
	s.byText[text] = id
	return id
}

// compileError writes msg, truncated to errCap bytes, and returns -(n+1).
func compileError(mem guestMemory, errPtr, errCap uint32, msg string) int32 {
	n := min(uint32(len(msg)), errCap)
	if !mem.Write(errPtr, []byte(msg[:n])) {
		n = 0
	}
	return -int32(n) - 1
}

// regexMatch implements regex_match for the instance key.
func regexMatch(key any, mem guestMemory, id int32, inPtr, inLen uint32) int32 {
	s := regexes.lookup(key)
	if s == nil || id < 0 || int(id) >= len(s.res) {
		return abi.RegexNoID
	}
	in, ok := mem.Read(inPtr, inLen)
	if !ok {
		// An input the host cannot read decides nothing; like a timeout,
		// the number is refused.
		return abi.RegexTimeout
	}
	m, err := s.res[id].MatchString(string(in))
	switch {
	case err != nil:
		// regexp2's only match error is its timeout; the native core turns
		// any error into the timeout reason too.
		return abi.RegexTimeout
	case m:
		return abi.RegexMatch
	}
	return abi.RegexNoMatch
}

// instantiateRegexHost adds the abi.ImportModule host module to rt.
func instantiateRegexHost(ctx context.Context, rt wazero.Runtime) error {
	i32 := wapi.ValueTypeI32
	_, err := rt.NewHostModuleBuilder(abi.ImportModule).
		NewFunctionBuilder().
		WithGoModuleFunction(wapi.GoModuleFunc(func(ctx context.Context, mod wapi.Module, st []uint64) {
			stopIfDone(ctx)
			defer noMemory(st, -1)
			st[0] = wapi.EncodeI32(regexCompile(mod, mod.Memory(), wapi.DecodeU32(st[0]), wapi.DecodeU32(st[1]),
				wapi.DecodeU32(st[2]), wapi.DecodeU32(st[3])))
		}), []wapi.ValueType{i32, i32, i32, i32}, []wapi.ValueType{i32}).
		WithParameterNames("pat_ptr", "pat_len", "err_ptr", "err_cap").
		Export(abi.ImportRegexCompile).
		NewFunctionBuilder().
		WithGoModuleFunction(wapi.GoModuleFunc(func(ctx context.Context, mod wapi.Module, st []uint64) {
			stopIfDone(ctx)
			defer noMemory(st, abi.RegexNoID)
			st[0] = wapi.EncodeI32(regexMatch(mod, mod.Memory(), wapi.DecodeI32(st[0]), wapi.DecodeU32(st[1]),
				wapi.DecodeU32(st[2])))
		}), []wapi.ValueType{i32, i32, i32}, []wapi.ValueType{i32}).
		WithParameterNames("id", "in_ptr", "in_len").
		Export(abi.ImportRegexMatch).
		Instantiate(ctx)
	return err
}

// noMemory answers r when the calling module has no memory: wazero gives
// such a module a nil *MemoryInstance inside a non-nil wapi.Memory, whose
// methods panic. The bounds checks above cover every other case.
func noMemory(st []uint64, r int32) {
	if recover() != nil {
		st[0] = wapi.EncodeI32(r)
	}
}
