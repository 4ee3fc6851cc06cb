package host

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/tollgate/tollgate/core/dialplan"
)

// DialResult is the verdict on one dialed number from the scalar hot path.
// The "dial" operation through Do gives the same verdict with the table
// name, the pattern and the normalized number in JSON.
type DialResult struct {
	Allowed bool
	Reason  dialplan.Reason // Reason.String() is the api's reason code
	// Row is the deciding row (0-based), -1 when no row decided.
	Row int
	// Alt is 0 for the row's own pattern, k for its twin behind trunk
	// access code k-1.
	Alt int
	// Normalized reports that separators (space - ( ) .) were dropped.
	Normalized bool
}

func fromResult(r *dialplan.Result) DialResult {
	return DialResult{Allowed: r.Allowed, Reason: r.Reason, Row: int(r.Row), Alt: int(r.Alt), Normalized: r.Dropped > 0}
}

// ErrNoTable is returned when a tables handle or a table is not loaded.
var ErrNoTable = errors.New("tollgate: no such tables handle or table")

// ErrNewline is returned by DialBatch for a number containing a newline:
// the batch form separates numbers with newlines.
var ErrNewline = errors.New("tollgate: a number in a batch contains a newline")

// Dialer is the typed restriction-table interface of both engines.
type Dialer interface {
	// LoadTables runs "tables.load" with doc (a built-in set name as a JSON
	// string, or a tables document) and returns the engine-wide handle.
	LoadTables(ctx context.Context, doc []byte) (int, error)
	// TableIndex resolves a table of a loaded set by name, for Dial.
	TableIndex(ctx context.Context, tables int, name string) (int, error)
	// FeatureTable resolves the table a class of service uses for a
	// feature (transfer, outdial, fax, system_transfer).
	FeatureTable(ctx context.Context, tables int, cos, feature string) (int, error)
	// Dial matches one number: no JSON, no allocation.
	Dial(ctx context.Context, tables, table int, number []byte) (DialResult, error)
	// DialBatch matches numbers[i] into out[i] for i < min(len(numbers),
	// len(out)), crossing into the module once per buffer-full. Numbers
	// travel newline-separated, so one holding a newline is an error
	// (ErrNewline) and a trailing \r is dropped, as in a CRLF file.
	DialBatch(ctx context.Context, tables, table int, numbers [][]byte, out []DialResult) error
}

func (e *engine) LoadTables(ctx context.Context, doc []byte) (int, error) {
	resp, err := e.Do(ctx, "tables.load", doc)
	if err != nil {
		return 0, err
	}
	var r struct {
		Handle int `json:"handle"`
	}
	if err := json.Unmarshal(resp, &r); err != nil {
		return 0, &Fault{Op: "tables.load", Status: "bad_response", Err: err}
	}
	return r.Handle, nil
}

// isFault reports whether err means the worker must be discarded. It is a
// function so that the hot path's error variable does not escape.
func isFault(err error) bool {
	if err == nil || errors.Is(err, errTooLarge) {
		return false // refused before it reached the module
	}
	var f *Fault
	return errors.As(err, &f)
}

// with runs f on a pooled worker that has caught up with the load log.
func (e *engine) with(ctx context.Context, tables int, f func(ctx context.Context, w worker) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	p := e.main
	w, err := p.get(ctx)
	if err != nil {
		return err
	}
	if err := e.catchUp(ctx, w); err != nil {
		p.put(w, true)
		return err
	}
	err = f(ctx, w)
	p.put(w, isFault(err))
	return err
}

func (e *engine) TableIndex(ctx context.Context, tables int, name string) (i int, err error) {
	err = e.with(ctx, tables, func(ctx context.Context, w worker) error { i, err = w.tableIndex(ctx, tables, name); return err })
	return i, err
}

func (e *engine) FeatureTable(ctx context.Context, tables int, cos, feature string) (i int, err error) {
	err = e.with(ctx, tables, func(ctx context.Context, w worker) error {
		i, err = w.tableIndex(ctx, tables, cos+"\n"+feature)
		return err
	})
	return i, err
}

func (e *engine) Dial(ctx context.Context, tables, table int, number []byte) (r DialResult, err error) {
	// Inlined rather than through with: this is the hot path, and a closure
	// capturing the result would allocate.
	if err := ctx.Err(); err != nil {
		return r, err
	}
	p := e.main
	w, err := p.get(ctx)
	if err != nil {
		return r, err
	}
	if err = e.catchUp(ctx, w); err == nil {
		r, err = w.dial(ctx, tables, table, number)
	}
	p.put(w, isFault(err))
	return r, err
}

func (e *engine) DialBatch(ctx context.Context, tables, table int, numbers [][]byte, out []DialResult) error {
	n := min(len(numbers), len(out))
	return e.with(ctx, tables, func(ctx context.Context, w worker) error {
		return w.dialBatch(ctx, tables, table, numbers[:n], out[:n])
	})
}

// Native dial: the same matcher, reached through the session's handle.

func (w *nativeWorker) table(th, ti int) (*dialplan.Table, error) {
	set, ok := w.s.TablesByHandle(th)
	if !ok {
		return nil, ErrNoTable
	}
	ts := set.Tables()
	if ti < 0 || ti >= len(ts) {
		return nil, ErrNoTable
	}
	return ts[ti], nil
}

func (w *nativeWorker) tableIndex(_ context.Context, th int, name string) (int, error) {
	set, ok := w.s.TablesByHandle(th)
	if !ok {
		return 0, ErrNoTable
	}
	var t *dialplan.Table
	if cos, feature, isCOS := cut(name); isCOS {
		var err error
		if t, err = set.ForFeature(cos, feature); err != nil {
			return 0, ErrNoTable
		}
	} else if t, ok = set.Table(name); !ok {
		return 0, ErrNoTable
	}
	for i, x := range set.Tables() {
		if x == t {
			return i, nil
		}
	}
	return 0, ErrNoTable
}

func cut(s string) (before, after string, found bool) {
	for i := 0; i < len(s); i++ {
		if s[i] == '\n' {
			return s[:i], s[i+1:], true
		}
	}
	return s, "", false
}

func (w *nativeWorker) dial(_ context.Context, th, ti int, number []byte) (DialResult, error) {
	t, err := w.table(th, ti)
	if err != nil {
		return DialResult{}, err
	}
	r := t.Match(number)
	return fromResult(&r), nil
}

func (w *nativeWorker) dialBatch(_ context.Context, th, ti int, numbers [][]byte, out []DialResult) error {
	t, err := w.table(th, ti)
	if err != nil {
		return err
	}
	for i, num := range numbers {
		if bytes.IndexByte(num, '\n') >= 0 {
			return fmt.Errorf("%w (number %d)", ErrNewline, i)
		}
		if len(num) > 0 && num[len(num)-1] == '\r' {
			num = num[:len(num)-1] // as the module's batch form does
		}
		r := t.Match(num)
		out[i] = fromResult(&r)
	}
	return nil
}
