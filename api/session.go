package api

import (
	"bytes"
	"context"
	"sync"
	"sync/atomic"

	"github.com/tollgate/tollgate/core"
	"github.com/tollgate/tollgate/core/destination"
	"github.com/tollgate/tollgate/core/dialplan"
	"github.com/tollgate/tollgate/internal/digest"
)

// Session runs the operations against the documents it has loaded. It is
// safe for concurrent use: compiled documents are immutable and shared by
// every caller, so one Session serves a whole process (the native engine)
// or one WebAssembly instance.
//
// Loaded documents are content-addressed: loading the same document
// again returns the same handle and costs a hash of its text; Unload
// drops one load, and the document when no load is left.
type Session struct {
	opts SessionOptions

	loadMu sync.Mutex               // serializes loads and unloads
	reg    atomic.Pointer[registry] // read without a lock on every request

	// Inline documents repeated in many requests are compiled once.
	cacheMu      sync.Mutex
	inlinePolicy map[string]*core.Policy
	inlineTables map[string]*dialplan.Set
	cachedBytes  int64 // of text and automata in inlineTables

	passwords    atomic.Pointer[core.PasswordList] // the "passwords" data artifact (data.go)
	destinations atomic.Pointer[destination.Table] // the "destinations" data artifact
}

// SessionOptions configure a Session. The zero value is the defaults.
type SessionOptions struct {
	// Regex compiles the rows of regex-dialect tables; nil is the build's
	// default (dialplan.Options).
	Regex dialplan.RegexCompiler
	// Interrupt, when set, is polled during long work (PBKDF2, building
	// automata) besides the context of the call: the WebAssembly module
	// passes one that asks its host whether the call's deadline passed.
	// When it says stop, the operation answers ErrInterrupted.
	Interrupt func() bool
}

// stopper is one operation's interrupt: its context's end (a nil context
// is the module's, which has none) or the session's Interrupt. It remembers that it fired, so that work which
// stopped part-way is never taken for an answer.
type stopper struct {
	ctx   context.Context
	poll  func() bool
	fired bool
}

func (s *Session) stopper(ctx context.Context) *stopper {
	return &stopper{ctx: ctx, poll: s.opts.Interrupt}
}

func (st *stopper) stop() bool {
	if !st.fired && (st.ctx != nil && st.ctx.Err() != nil || st.poll != nil && st.poll()) {
		st.fired = true
	}
	return st.fired
}

// registry is the loaded documents; replaced, never modified, once
// published.
type registry struct {
	next  Handle
	docs  map[Handle]*loaded
	byKey map[docKey]Handle
}

type docKey struct {
	kind byte     // 'p' policy, 't' tables
	sum  [32]byte // SHA-256
}

type loaded struct {
	key    docKey
	refs   int
	policy *core.Policy
	set    *dialplan.Set
}

// maxCached bounds the inline caches so a stream of distinct inline
// documents cannot grow a session without limit.
const maxCached = 256

// NewSession returns a Session with the default options and nothing
// loaded.
func NewSession() *Session { return NewSessionWithOptions(SessionOptions{}) }

// NewSessionWithOptions returns a Session with opts and nothing loaded.
func NewSessionWithOptions(opts SessionOptions) *Session {
	s := &Session{opts: opts}
	s.reg.Store(&registry{docs: map[Handle]*loaded{}, byKey: map[docKey]Handle{}})
	return s
}

func (s *Session) lookup(h Handle) *loaded { return s.reg.Load().docs[h] }

// load adds a compiled document under its key, or counts one more load of
// the same document.
func (s *Session) load(key docKey, compile func() (*loaded, error)) (Handle, *loaded, error) {
	s.loadMu.Lock()
	defer s.loadMu.Unlock()
	old := s.reg.Load()
	if h, ok := old.byKey[key]; ok {
		l := *old.docs[h]
		l.refs++
		s.publish(old, h, &l)
		return h, &l, nil
	}
	l, err := compile()
	if err != nil {
		return 0, nil, err
	}
	if old.next == ^Handle(0) {
		return 0, nil, &Error{Code: ErrBadRequest, Message: "this session has run out of handles"}
	}
	l.key, l.refs = key, 1
	h := old.next
	s.publish(old, h, l)
	return h, l, nil
}

// publish installs a copy of old with h set to l (or removed when l is
// nil).
func (s *Session) publish(old *registry, h Handle, l *loaded) {
	r := &registry{next: old.next, docs: make(map[Handle]*loaded, len(old.docs)+1), byKey: make(map[docKey]Handle, len(old.byKey)+1)}
	for k, v := range old.docs {
		r.docs[k] = v
	}
	for k, v := range old.byKey {
		r.byKey[k] = v
	}
	if l == nil {
		delete(r.byKey, r.docs[h].key)
		delete(r.docs, h)
	} else {
		r.docs[h] = l
		r.byKey[l.key] = h
		if h >= r.next {
			r.next = h + 1
		}
	}
	s.reg.Store(r)
}

// keyOf is a document's content address. The hash is internal/digest's
// SHA-256 in every build: crypto/sha256 would link the FIPS 140 module
// into the WebAssembly module, and a load is rare enough for plain Go.
func keyOf(kind byte, doc []byte) docKey {
	var d digest.Digest
	d.Init(digest.SHA256)
	d.Write(bytes.TrimSpace(doc))
	k := docKey{kind: kind}
	d.Sum(k.sum[:0])
	return k
}

func noHandle(field string, h Handle) *Error { return UnknownHandle(field, h) }

// LoadPolicy validates a policy (a profile or a document) and returns a
// handle later requests may use in its place.
func (s *Session) LoadPolicy(_ context.Context, p PolicyRef) (PolicyInfo, error) {
	var text []byte
	switch p.kind {
	case refHandle:
		return PolicyInfo{}, &Error{Code: ErrBadRequest, Field: "policy", Message: "load a profile name or a policy document, not a handle"}
	case refName:
		text = []byte(p.name)
	case refDoc:
		text = p.doc
	default:
		text = []byte(DefaultProfile)
	}
	h, l, err := s.load(keyOf('p', text), func() (*loaded, error) {
		pol, err := s.resolvePolicy(p)
		return &loaded{policy: pol}, err
	})
	if err != nil {
		return PolicyInfo{}, err
	}
	return PolicyInfo{Handle: h, Name: l.policy.Name}, nil
}

// LoadTables compiles a tables set (a built-in or a document) and returns
// a handle later requests may use in its place.
func (s *Session) LoadTables(ctx context.Context, t TablesRef) (TablesInfo, error) {
	var text []byte
	switch t.kind {
	case refHandle:
		return TablesInfo{}, &Error{Code: ErrBadRequest, Field: "tables", Message: "load a built-in set name or a tables document, not a handle"}
	case refName:
		text = []byte(t.name)
	case refDoc:
		text = t.doc
	default:
		text = []byte(DefaultTables)
	}
	h, l, err := s.load(keyOf('t', text), func() (*loaded, error) {
		// Kept by handle: not also cached by text.
		set, err := s.compileTables(ctx, t, false)
		return &loaded{set: set}, err
	})
	if err != nil {
		return TablesInfo{}, err
	}
	info := TablesInfo{Handle: h, Tables: make([]string, 0, l.set.NumTables())}
	for _, x := range l.set.Tables() {
		info.Tables = append(info.Tables, x.Name())
	}
	return info, nil
}

// Unload drops one load of handle h; the document goes when no load is
// left. An unknown handle is an error.
func (s *Session) Unload(_ context.Context, h Handle) error {
	s.loadMu.Lock()
	defer s.loadMu.Unlock()
	old := s.reg.Load()
	l, ok := old.docs[h]
	if !ok {
		return UnknownHandle("handle", h)
	}
	if l.refs > 1 {
		c := *l
		c.refs--
		s.publish(old, h, &c)
		return nil
	}
	s.publish(old, h, nil)
	return nil
}

// Tables returns the set loaded under h, for hosts that match numbers
// without a request (the module's scalar dial exports).
func (s *Session) Tables(h Handle) (*dialplan.Set, bool) {
	l := s.lookup(h)
	if l == nil || l.set == nil {
		return nil, false
	}
	return l.set, true
}

// policy resolves a request's policy reference.
func (s *Session) policy(p PolicyRef) (*core.Policy, error) {
	if p.kind == refHandle {
		if l := s.lookup(p.handle); l != nil && l.policy != nil {
			return l.policy, nil
		}
		return nil, noHandle("policy", p.handle)
	}
	return s.resolvePolicy(p)
}

// resolvePolicy returns a built-in profile (compiled once per process) or
// an inline document (compiled once per session, by its text).
func (s *Session) resolvePolicy(p PolicyRef) (*core.Policy, error) {
	switch p.kind {
	case refDefault:
		return builtinPolicy(DefaultProfile)
	case refName:
		return builtinPolicy(p.name)
	}
	s.cacheMu.Lock()
	pol, ok := s.inlinePolicy[string(p.doc)] // no copy to look up
	s.cacheMu.Unlock()
	if ok {
		return pol, nil
	}
	pol, err := core.ParsePolicy(p.doc)
	if err != nil {
		return nil, policyError(err)
	}
	s.cacheMu.Lock()
	if s.inlinePolicy == nil || len(s.inlinePolicy) >= maxCached {
		s.inlinePolicy = map[string]*core.Policy{}
	}
	s.inlinePolicy[string(p.doc)] = pol
	s.cacheMu.Unlock()
	return pol, nil
}

// tables resolves a request's tables reference.
func (s *Session) tables(ctx context.Context, t TablesRef) (*dialplan.Set, error) {
	if t.kind == refHandle {
		if l := s.lookup(t.handle); l != nil && l.set != nil {
			return l.set, nil
		}
		return nil, noHandle("tables", t.handle)
	}
	return s.compileTables(ctx, t, true)
}

// maxCachedBytes bounds the inline-tables cache by size as well as by
// count: 256 distinct documents of 1 MiB, each with its automata, would
// not fit in a WebAssembly instance.
const maxCachedBytes = 16 << 20

// compileTables returns a built-in set or compiles an inline document
// (interruptibly), cached by its text when cache is set.
func (s *Session) compileTables(ctx context.Context, t TablesRef, cache bool) (*dialplan.Set, error) {
	name := DefaultTables
	switch t.kind {
	case refName:
		name = t.name
	case refDoc:
		doc := bytes.TrimSpace(t.doc)
		s.cacheMu.Lock()
		set, ok := s.inlineTables[string(doc)]
		s.cacheMu.Unlock()
		if ok {
			return set, nil
		}
		st := s.stopper(ctx)
		set, err := dialplan.ParseOptions("", doc, dialplan.Options{Regex: s.opts.Regex, Interrupt: st.stop, Destinations: s.destinations.Load()})
		if st.fired {
			return nil, errInterrupted
		}
		if err != nil {
			return nil, tablesError(err)
		}
		if cache {
			s.cache(doc, set)
		}
		return set, nil
	}
	set, err := dialplan.Builtin(name)
	if err != nil {
		return nil, &Error{Code: ErrInvalidTables, Field: "tables", Message: err.Error()}
	}
	return set, nil
}

// builtinPolicy returns a built-in profile, compiled once per process; a
// *core.Policy is never modified once made.
func builtinPolicy(name string) (*core.Policy, error) {
	for i, n := range profileNames {
		if n == name {
			builtinOnce[i].Do(func() { builtinPolicies[i], _ = core.Profile(n) })
			return builtinPolicies[i], nil
		}
	}
	_, err := core.Profile(name) // the error that names the profiles
	return nil, policyError(err)
}

var (
	profileNames    = core.ProfileNames()
	builtinOnce     = make([]sync.Once, len(profileNames))
	builtinPolicies = make([]*core.Policy, len(profileNames))
)

func policyError(err error) *Error {
	if pe, ok := err.(*core.PolicyError); ok { // never wrapped
		return &Error{Code: ErrInvalidPolicy, Field: pe.Field, Message: pe.Error()}
	}
	return &Error{Code: ErrInvalidPolicy, Message: err.Error()}
}

func (s *Session) cache(doc []byte, set *dialplan.Set) {
	size := int64(len(doc)) + set.Size()
	if size > maxCachedBytes {
		return
	}
	s.cacheMu.Lock()
	defer s.cacheMu.Unlock()
	if s.inlineTables == nil || len(s.inlineTables) >= maxCached || s.cachedBytes+size > maxCachedBytes {
		s.inlineTables, s.cachedBytes = map[string]*dialplan.Set{}, 0
	}
	s.inlineTables[string(doc)] = set
	s.cachedBytes += size
}

func tablesError(err error) *Error {
	if err == dialplan.ErrInterrupted {
		return errInterrupted
	}
	if pe, ok := err.(*dialplan.ParseError); ok { // never wrapped
		if pe.Err == dialplan.ErrNoData {
			return &Error{Code: ErrDataMissing, Field: pe.Field, Message: pe.Msg}
		}
		return &Error{Code: ErrInvalidTables, Field: pe.Field, Message: pe.Error()}
	}
	return &Error{Code: ErrInvalidTables, Message: err.Error()}
}

// Compiled returns what handle h holds, compiled: a policy or a tables
// set (the other nil), or neither for an unknown handle. The audit's core
// reads a loaded policy's PIN lengths and a set's classes of service
// without compiling the document a second time.
func (s *Session) Compiled(h Handle) (*core.Policy, *dialplan.Set) {
	l := s.lookup(h)
	if l == nil {
		return nil, nil
	}
	return l.policy, l.set
}
