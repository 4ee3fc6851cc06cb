package auditcore

import (
	"context"
	"strconv"

	"github.com/tollgate/tollgate/api"
	"github.com/tollgate/tollgate/export"
)

// typedDial checks numbers with the "dial" operation, for an engine that
// has no scalar dial path (and inside the module).
type typedDial struct{}

func (typedDial) Dial(ctx context.Context, c *Core, field export.Field, number, cos string, s *Scratch, out *Record) {
	s.Dial = api.DialRequest{Tables: c.cfg.Tables, Number: number}
	if c.HasCOS() {
		s.Dial.COS, s.Dial.Feature = cos, field.Feature()
	}
	d, err := c.cfg.Ops.Dial(ctx, &s.Dial)
	if err != nil {
		c.DialFailed(ctx, field, err, out)
		return
	}
	if !d.Allowed {
		out.Add(CodeBlockedNumber, field, BlockedMessage(d.Table, d.Reason, d.Row, d.Pattern))
	}
}

// BlockedMessage says which table, row and pattern refuse a number.
func BlockedMessage(table string, reason api.DialReason, row int, pattern string) string {
	head := "the restriction table " + strconv.Quote(table) + " would refuse this number: "
	switch reason {
	case api.DialMatched:
		return head + "row " + strconv.Itoa(row) + ", pattern " + pattern
	case api.DialTooShort:
		return head + "too short for the table's digit limits"
	case api.DialTooLong:
		return head + "too long for the table's digit limits"
	}
	return head + string(reason)
}
