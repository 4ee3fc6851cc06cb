package auditcore

import (
	"context"
	"errors"
	"io"
	"strconv"

	"github.com/tollgate/tollgate/api"
	"github.com/tollgate/tollgate/core"
	"github.com/tollgate/tollgate/core/credential"
	"github.com/tollgate/tollgate/core/dialplan"
	"github.com/tollgate/tollgate/export"
	"github.com/tollgate/tollgate/internal/jsonx"
)

// Pass is what an in-module audit does with the rows (audit.open's "pass").
type Pass uint8

const (
	PassCheck Pass = iota // the second pass (or the only one, without shared PINs)
	PassCount             // the first pass: digests only
	PassOnce              // an input read once: shared PINs counted as they come
)

// Options are audit.open's.
type Options struct {
	Policy           api.PolicyRef
	Tables           api.TablesRef
	FIPS, Exhaustive bool
	Year             int
	Encoding         export.Encoding
	Pass             Pass
	Key              uint64
	HasKey           bool
	// MemoryLimit ("memory_limit", bytes) is the soft limit the module
	// sets on its own heap (Go's GOMEMLIMIT) for the rest of the
	// instance's life; 0 leaves the instance's. Hosts read this once per
	// audit, the module applies it (wasm/audit.go).
	MemoryLimit int64
	// Interrupt is polled during long work (Config.Interrupt); not read
	// from the request: the module sets its own.
	Interrupt func() bool
}

func badRequest(field, msg string) error {
	return &api.Error{Code: api.ErrBadRequest, Field: field, Message: msg}
}

// ParseOptions reads audit.open's JSON request.
func ParseOptions(data []byte) (Options, error) {
	var o Options
	if len(data) == 0 {
		return o, nil
	}
	d := jsonx.NewDecoder(data)
	err := d.Object(func(key string) error {
		switch key {
		case "policy", "tables":
			var raw []byte
			var name string
			var err error
			if d.Kind() == jsonx.Object {
				raw, err = d.Raw()
			} else {
				name, err = d.String()
			}
			if err != nil {
				return err
			}
			if key == "policy" {
				o.Policy = api.Profile(name)
				if raw != nil {
					o.Policy = api.PolicyJSON(append([]byte(nil), raw...))
				}
			} else {
				o.Tables = api.BuiltinTables(name)
				if raw != nil {
					o.Tables = api.TablesJSON(append([]byte(nil), raw...))
				}
			}
			return nil
		case "fips":
			v, err := d.Bool()
			o.FIPS = v
			return err
		case "exhaustive":
			v, err := d.Bool()
			o.Exhaustive = v
			return err
		case "year":
			v, err := d.Int()
			o.Year = v
			return err
		case "encoding":
			v, err := d.String()
			if err != nil {
				return err
			}
			e, perr := export.ParseEncoding(v)
			if perr != nil {
				return d.Fail(perr.Error())
			}
			o.Encoding = e
			return nil
		case "pass":
			v, err := d.String()
			if err != nil {
				return err
			}
			switch v {
			case "check":
				o.Pass = PassCheck
			case "count":
				o.Pass = PassCount
			case "once":
				o.Pass = PassOnce
			default:
				return d.Fail(`want "check", "count" or "once"`)
			}
			return nil
		case "memory_limit":
			v, err := d.Int()
			if err == nil && v < 0 {
				return d.Fail("want a number of bytes")
			}
			o.MemoryLimit = int64(v)
			return err
		case "key":
			v, err := d.String()
			if err != nil {
				return err
			}
			k, perr := strconv.ParseUint(v, 16, 64)
			if perr != nil || len(v) != 16 {
				return d.Fail("want 16 hex digits")
			}
			o.Key, o.HasKey = k, true
			return nil
		}
		return d.Skip()
	})
	if err == nil {
		err = d.End()
	}
	var je *jsonx.Error
	if errors.As(err, &je) {
		return o, badRequest(d.Path(), je.Error())
	}
	return o, err
}

// Engine is what a Stream checks with: the operations, and the compiled
// form of what it loaded (api.Session has both).
type Engine interface {
	api.Operations
	Compiled(h api.Handle) (*core.Policy, *dialplan.Set)
}

// Stream is one in-module audit: raw bytes in, items out, one call per
// chunk (docs/abi.md, "Audit"). The export's reader runs on a goroutine
// of its own that reads from the chunks as they come, so a chunk may end
// anywhere and the reader is package export's, unchanged; it only runs
// while a call waits for it.
type Stream struct {
	eng    Engine
	opt    Options
	loaded []api.Handle
	policy api.PolicyRef
	tables api.TablesRef
	pol    *core.Policy
	set    *dialplan.Set

	shared *Table // check: the host's shared digests; once: the module's count

	started, finished bool
	err               error
	in                chan []byte
	want              chan struct{}
	done              chan error
	cur               []byte
	final             bool
	out               []byte
	core              *Core
	stop              bool // Close: the reader stops at its next row
	// ctx is Open's: nil inside the module (stopped).
	ctx context.Context
}

// Open starts an audit: the documents are loaded into eng (an invalid
// one fails here, before any row). ctx serves every call of the audit;
// the module passes nil (stopped).
func Open(ctx context.Context, eng Engine, o Options) (*Stream, error) {
	s := &Stream{eng: eng, opt: o, ctx: ctx}
	pi, err := eng.LoadPolicy(ctx, o.Policy)
	if err != nil {
		return nil, err
	}
	s.loaded = append(s.loaded, pi.Handle)
	ti, err := eng.LoadTables(ctx, o.Tables)
	if err != nil {
		s.Close()
		return nil, err
	}
	s.loaded = append(s.loaded, ti.Handle)
	s.policy, s.tables = api.PolicyHandle(pi.Handle), api.TablesHandle(ti.Handle)
	s.pol, _ = eng.Compiled(pi.Handle)
	_, s.set = eng.Compiled(ti.Handle)
	if o.Pass != PassCount {
		s.shared = NewTable()
	}
	return s, nil
}

// Shared adds audit.shared's entries: digests two or more rows hold.
func (s *Stream) Shared(b []byte) error {
	if s.started {
		return badRequest("", "audit.shared after the first audit.rows")
	}
	if len(b)%10 != 0 {
		return badRequest("", "audit.shared: want entries of 10 bytes (field, digest, count)")
	}
	for ; len(b) > 0; b = b[10:] {
		if n := int(b[9]); n > 0 {
			s.shared.Set(le64(b[1:9]), n)
		}
	}
	return nil
}

// SharedBytes is about what the shared digests received so far hold in
// memory (the packed table at its fullest, with a shard's growth): the
// module adds it to audit.open's memory_limit, which is meant for the
// audit's floor, so a file with many shared PINs does not leave its
// collector running at the limit.
func (s *Stream) SharedBytes() int64 {
	if s.shared == nil {
		return 0
	}
	return 16 * int64(s.shared.Distinct())
}

// Rows reads one chunk (empty: the end of the input) and appends the
// items it completes to out.
func (s *Stream) Rows(chunk []byte, out []byte) ([]byte, error) {
	if s.finished {
		if s.err != nil {
			return out, s.err
		}
		return out, badRequest("", "audit.rows after the end of the input")
	}
	s.out = out
	if !s.started {
		s.started = true
		if s.opt.Pass == PassCheck && s.shared != nil {
			s.shared.Freeze() // audit.shared is over: read it without locks
		}
		s.in, s.want, s.done = make(chan []byte), make(chan struct{}), make(chan error, 1)
		go s.run()
		if s.wait() {
			return s.out, s.err
		}
	}
	s.in <- chunk
	s.wait()
	return s.out, s.err
}

// wait runs the reader until it wants the next chunk or ends; true when
// it ended.
func (s *Stream) wait() bool {
	select {
	case <-s.want:
		return false
	case err := <-s.done:
		s.finished, s.err = true, err
		return true
	}
}

// Close ends the audit and unloads its documents. A reader blocked on a
// chunk is released with the end of the input and stops at its next row.
func (s *Stream) Close() {
	if s.started && !s.finished {
		s.stop = true
		s.in <- nil
		s.wait()
	}
	for _, h := range s.loaded {
		s.eng.Unload(s.ctx, h)
	}
	s.loaded = nil
}

// Read is the reader's side of the chunks.
func (s *Stream) Read(p []byte) (int, error) {
	for len(s.cur) == 0 {
		if s.final {
			return 0, io.EOF
		}
		s.want <- struct{}{}
		c := <-s.in
		if len(c) == 0 {
			s.final = true
		}
		s.cur = c
	}
	n := copy(p, s.cur)
	s.cur = s.cur[n:]
	return n, nil
}

func (s *Stream) run() {
	var err error
	defer func() {
		if r := recover(); r != nil {
			err = &api.Error{Code: api.ErrInternal, Message: "the audit panicked; the instance should be discarded"}
		}
		s.done <- err
	}()
	err = s.read()
}

// formatError turns an export's FormatError into the api's error.
func formatError(err error) error {
	var fe *export.FormatError
	if errors.As(err, &fe) {
		return badRequest("header", fe.Error())
	}
	var he headerError
	if errors.As(err, &he) {
		return badRequest("header", he.Error())
	}
	return err
}

func (s *Stream) read() error {
	ctx := s.ctx
	cr, lay, err := export.Open(s, s.opt.Encoding)
	if err != nil {
		return formatError(err)
	}
	if err := Auditable(lay); err != nil {
		return badRequest("header", "line "+strconv.Itoa(cr.HeaderLine())+": "+err.Error())
	}
	shared := lay.Has(export.PIN) || lay.Has(export.PINHash)
	if shared && !s.opt.HasKey {
		return badRequest("key", "the export has a PIN or PIN hash column: audit.open needs a key for the shared-PIN digests")
	}
	s.out = append(s.out, ItemHeader)
	s.out = appendUvarint(s.out, uint64(cr.HeaderLine()))
	h := append([]byte(nil), `{"ignored_columns":[`...)
	for i, c := range lay.Ignored() {
		if i > 0 {
			h = append(h, ',')
		}
		h = jsonx.AppendString(h, c)
	}
	h = append(h, `],"unknown_columns":[`...)
	for i, c := range lay.Unknown() {
		if i > 0 {
			h = append(h, ',')
		}
		h = strconv.AppendInt(h, int64(c), 10)
	}
	h = append(h, `],"count_pass":`...)
	h = strconv.AppendBool(h, NeedsFirstPass(lay))
	if s.opt.Exhaustive {
		// What the search tries, for the host's estimates (the policy
		// may be one the host never compiled: the JS host's).
		minLen, maxLen := searchLengths(s.pol)
		h = append(h, `,"exhaustive":{"min_length":`...)
		h = strconv.AppendInt(h, int64(minLen), 10)
		h = append(h, `,"max_length":`...)
		h = strconv.AppendInt(h, int64(maxLen), 10)
		h = append(h, `,"candidates":`...)
		h = strconv.AppendInt(h, int64(searchSize(minLen, maxLen)), 10)
		h = append(h, '}')
	}
	h = append(h, `,"fields":[`...)
	for i, f := range lay.Fields() {
		if i > 0 {
			h = append(h, ',')
		}
		h = jsonx.AppendString(h, f.String())
	}
	h = append(h, "]}"...)
	s.out = appendStr(s.out, string(h))

	cfg := Config{
		Ops: s.eng, Policy: s.policy, Tables: s.tables, Compiled: s.pol, Set: s.set, Layout: lay,
		FIPS: s.opt.FIPS, Exhaustive: s.opt.Exhaustive, Year: s.opt.Year, Engine: "wasm",
		Warn: func(msg string) { s.out = appendStr(append(s.out, ItemNote), msg) },
		Key:  s.opt.Key, OnePass: s.opt.Pass == PassOnce, Interrupt: s.opt.Interrupt,
	}
	if s.opt.Pass == PassOnce {
		cfg.PBKDF2 = func(line int, r *credential.Record, cands int) {
			s.out = AppendPBKDF2(s.out, PBKDF2{Line: line, Scheme: uint8(r.Scheme()), Iterations: r.Iterations(), Candidates: cands})
		}
	}
	if shared && s.shared != nil {
		cfg.Shared = s.shared
	}
	c := New(cfg)
	s.core = c
	if s.opt.Pass == PassCount {
		err = s.count(cr, lay, c)
	} else {
		err = s.check(ctx, cr, c)
	}
	if err != nil {
		return err
	}
	e := append([]byte(nil), `{"encoding":`...)
	e = jsonx.AppendString(e, string(cr.Encoding()))
	e = append(e, `,"detected":`...)
	e = strconv.AppendInt(e, int64(cr.Detected()), 10)
	e = append(e, `,"offset":`...)
	e = strconv.AppendInt(e, cr.Offset(), 10)
	pins, recs := c.SharedGroups()
	distinct := 0
	if s.opt.Pass == PassOnce && s.shared != nil {
		distinct = s.shared.Distinct()
	}
	e = append(e, `,"distinct_pins":`...)
	e = strconv.AppendInt(e, int64(distinct), 10)
	e = append(e, `,"shared_pins":`...)
	e = strconv.AppendInt(e, int64(pins), 10)
	e = append(e, `,"shared_pin_records":`...)
	e = strconv.AppendInt(e, int64(recs), 10)
	e = append(e, `,"skipped_checks":[`...)
	for i, k := range c.Skipped() {
		if i > 0 {
			e = append(e, ',')
		}
		e = jsonx.AppendString(e, k)
	}
	e = append(e, "]}"...)
	s.out = appendStr(append(s.out, ItemEnd), string(e))
	return nil
}

func (s *Stream) check(ctx context.Context, cr *export.Reader, c *Core) error {
	var sc Scratch
	var rec Record
	var arena []string
	for !s.stop {
		row, a, err := cr.Next(arena[:0])
		arena = a
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		c.RowInPlace(ctx, row.Line, row.Bad, row.Fields, &sc, &rec)
		s.out = AppendRecord(s.out, &rec)
		clear(arena) // drop the row's strings (they hold PINs) as soon as possible
	}
	return nil
}

func (s *Stream) count(cr *export.Reader, lay *export.Layout, c *Core) error {
	pinCol, hasPIN := lay.Index(export.PIN)
	hashCol, hasHash := lay.Index(export.PINHash)
	pwCol, hasPWHash := lay.Index(export.PasswordHash)
	var sc Scratch
	var fields []string
	// pbkdf2 reports a PBKDF2 record of field, for the host's estimate of
	// what they cost (the row's fields are copied only for these rows).
	pbkdf2 := func(line int, field export.Field, h []byte) {
		if !IsPBKDF2(h) {
			return
		}
		r, err := credential.Parse(string(h))
		if err != nil || r.Iterations() == 0 {
			return
		}
		fields = fields[:0]
		for i := range cr.NumFields() {
			fields = append(fields, string(cr.Field(i)))
		}
		s.out = AppendPBKDF2(s.out, PBKDF2{Line: line, Field: uint8(field), Scheme: uint8(r.Scheme()),
			Iterations: r.Iterations(), Candidates: c.PBKDF2Candidates(field, fields, &sc)})
		clear(fields)
	}
	for !s.stop {
		row, err := cr.Scan()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if row.Bad != "" || cr.NumFields() != lay.Width() {
			continue
		}
		if hasHash {
			pbkdf2(row.Line, export.PINHash, export.ValueBytes(cr.Field(hashCol)))
		}
		if hasPWHash {
			pbkdf2(row.Line, export.PasswordHash, export.ValueBytes(cr.Field(pwCol)))
		}
		var g Digests
		if hasPIN {
			if v := export.ValueBytes(cr.Field(pinCol)); len(v) > 0 {
				g.Field[g.N], g.Digest[g.N] = uint8(export.PIN), Digest(s.opt.Key, export.PIN, v)
				g.N++
			}
		}
		if hasHash {
			if v := export.ValueBytes(cr.Field(hashCol)); len(v) > 0 {
				g.Field[g.N], g.Digest[g.N] = uint8(export.PINHash), Digest(s.opt.Key, export.PINHash, v)
				g.N++
			}
		}
		if g.N == 0 {
			continue
		}
		s.out = appendUvarint(append(s.out, ItemDigests), uint64(row.Line))
		s.out = append(s.out, byte(g.N))
		for i := range g.N {
			s.out = appendU64(append(s.out, g.Field[i]), g.Digest[i])
		}
	}
	return nil
}
