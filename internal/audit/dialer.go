package audit

import (
	"context"
	"sync"

	"github.com/tollgate/tollgate/api"
	"github.com/tollgate/tollgate/core/dialplan"
	"github.com/tollgate/tollgate/internal/engine"
)

// typedDial checks numbers through an engine's scalar restriction-table
// entry point (scalarDialer: no JSON, no allocation, one crossing per
// number), which the engines have. The table's name and the deciding
// pattern for the message come from the same tables compiled natively,
// so the findings equal the "dial" operation's.
type typedDial struct {
	d      scalarDialer
	handle api.Handle
	set    *dialplan.Set
	tables sync.Map // cos + "\x00" + feature → int table index, or error
}

// scalarDialer is the engines' scalar dial path (tollgate.Checker has it).
type scalarDialer interface {
	LoadTables(ctx context.Context, t api.TablesRef) (api.TablesInfo, error)
	TableIndex(ctx context.Context, tables api.Handle, table, cos, feature string) (int, error)
	DialNumber(ctx context.Context, tables api.Handle, table int, number []byte) (engine.DialVerdict, error)
}

func newTypedDial(ctx context.Context, e Engine, tablesDoc []byte, set *dialplan.Set) *typedDial {
	d, ok := e.(scalarDialer)
	if !ok {
		return nil
	}
	var ref api.TablesRef
	if err := ref.UnmarshalJSON(tablesDoc); err != nil {
		return nil
	}
	info, err := d.LoadTables(ctx, ref)
	if err != nil {
		return nil // the "dial" operation reports what is wrong, row by row
	}
	return &typedDial{d: d, handle: info.Handle, set: set}
}

func (t *typedDial) table(ctx context.Context, cos, feature string, classes bool) (int, error) {
	key := cos + "\x00" + feature
	if v, ok := t.tables.Load(key); ok {
		if err, bad := v.(error); bad {
			return 0, err
		}
		return v.(int), nil
	}
	var i int
	var err error
	if classes {
		// The engine's scalar entry says only "no such table"; the same
		// tables compiled natively say what the dial operation says (the
		// class of service links no table to the feature), so the finding
		// reads the same on every path.
		if _, err = t.set.ForFeature(cos, feature); err == nil {
			i, err = t.d.TableIndex(ctx, t.handle, "", cos, feature)
		}
	} else {
		i, err = t.d.TableIndex(ctx, t.handle, t.set.DefaultTable().Name(), "", "")
	}
	if err != nil {
		t.tables.Store(key, err)
		return 0, err
	}
	t.tables.Store(key, i)
	return i, nil
}

func (c *checker) typedDial(ctx context.Context, nc numberColumn, number, cos string, out *Record) {
	ti, err := c.dialer.table(ctx, cos, nc.feature, len(c.cos) > 0)
	if err != nil {
		out.add(CodeCheckFailed, nc.field, "the dial check could not run: "+err.Error())
		return
	}
	r, err := c.dialer.d.DialNumber(ctx, c.dialer.handle, ti, []byte(number))
	if err != nil {
		if ctx.Err() == nil {
			out.add(CodeCheckFailed, nc.field, "the dial check could not run: "+err.Error())
		}
		return
	}
	if r.Allowed {
		return
	}
	t := c.dialer.set.Tables()[ti]
	res := dialplan.Result{Reason: r.Reason, Row: int32(r.Row), Alt: int32(r.Alt)}
	out.add(CodeBlockedNumber, nc.field, blockedMessage(t.Name(), r.Reason.String(), r.Row, t.Pattern(res)))
}
