package audit

import (
	"context"
	"errors"
	"strconv"
	"unsafe"

	"github.com/tollgate/tollgate/api"
	"github.com/tollgate/tollgate/core/dialplan"
	"github.com/tollgate/tollgate/export"
	"github.com/tollgate/tollgate/internal/auditcore"
	"github.com/tollgate/tollgate/internal/engine"
)

// scalarDialer is the engines' scalar dial path: the table resolved once
// per class of service and feature, then one number at a time with no
// JSON and no allocation (tollgate.Checker has it).
type scalarDialer interface {
	TableIndex(ctx context.Context, tables api.Handle, table, cos, feature string) (int, error)
	DialNumber(ctx context.Context, tables api.Handle, table int, number []byte) (engine.DialVerdict, error)
}

// scalarDial checks numbers through an engine's scalar dial path. The
// verdict says which row decided; the table's name and the row's pattern
// for the message come from the same tables compiled here, in the same
// order as the engine's, so the findings equal the "dial" operation's.
type scalarDial struct {
	d      scalarDialer
	handle api.Handle
	set    *dialplan.Set
	// tables holds the table index (or the error) per class of service
	// and feature: resolved before the first row, read-only after.
	tables map[cosFeature]tableIndex
}

type cosFeature struct{ cos, feature string }

type tableIndex struct {
	i   int
	err error
}

// newScalarDial resolves, for every class of service the tables define
// and every feature the export's number columns use, the table a number
// is matched against. Tables without classes of service have one table
// for everything, their default.
func newScalarDial(ctx context.Context, d scalarDialer, h api.Handle, set *dialplan.Set, numbers []export.NumberColumn) (*scalarDial, error) {
	sd := &scalarDial{d: d, handle: h, set: set, tables: map[cosFeature]tableIndex{}}
	classes := set.ClassesOfService()
	if len(classes) == 0 {
		i, err := d.TableIndex(ctx, h, set.DefaultTable().Name(), "", "")
		if err != nil {
			return nil, err
		}
		sd.tables[cosFeature{}] = tableIndex{i: i}
		return sd, nil
	}
	for _, cs := range classes {
		for _, nc := range numbers {
			k := cosFeature{cs.Name, nc.Field.Feature()}
			if _, done := sd.tables[k]; done {
				continue
			}
			// The engine's scalar entry says only "no such table"; the
			// same tables compiled here say what the dial operation says
			// (the class of service links no table to the feature), so
			// the finding reads the same on every path.
			if _, err := set.ForFeature(k.cos, k.feature); err != nil {
				sd.tables[k] = tableIndex{err: err}
				continue
			}
			i, err := d.TableIndex(ctx, h, "", k.cos, k.feature)
			if err != nil {
				return nil, err
			}
			sd.tables[k] = tableIndex{i: i}
		}
	}
	return sd, nil
}

func (sd *scalarDial) Dial(ctx context.Context, c *auditcore.Core, field export.Field, number, cos string, _ *auditcore.Scratch, out *Record) {
	k := cosFeature{}
	if c.HasCOS() {
		k = cosFeature{cos, field.Feature()}
	}
	t, ok := sd.tables[k]
	if !ok {
		t.err = errors.New("no table resolved for class of service " + export.Quote(cos)) // cannot happen: tablesCOS maps to a known class
	}
	if t.err != nil {
		out.Add(CodeCheckFailed, field, "the dial check could not run: "+t.err.Error())
		return
	}
	// The engines neither keep nor change the number (the native one
	// matches it in place, the wasm one copies it into the module), so it
	// is lent without the copy a conversion would make on every row.
	v, err := sd.d.DialNumber(ctx, sd.handle, t.i, unsafe.Slice(unsafe.StringData(number), len(number)))
	if err != nil {
		c.DialFailed(ctx, field, err, out)
		return
	}
	if v.Allowed {
		return
	}
	tab, ok := sd.set.TableAt(t.i)
	if !ok { // cannot happen: the engine's set is this one, in the same order
		out.Add(CodeCheckFailed, field, "the dial check could not run: the engine answered with table "+strconv.Itoa(t.i)+", which the tables do not have")
		return
	}
	res := dialplan.Result{Reason: v.Reason, Row: int32(v.Row), Alt: int32(v.Alt)}
	out.Add(CodeBlockedNumber, field, auditcore.BlockedMessage(tab.Name(), api.DialReason(v.Reason.String()), v.Row, tab.Pattern(res)))
}
