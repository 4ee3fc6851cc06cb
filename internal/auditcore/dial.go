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

// BlockedMessage says which table, row and pattern refuse a number. It
// is built in one buffer: one string per refused number, not three.
func BlockedMessage(table string, reason api.DialReason, row int, pattern string) string {
	var buf [160]byte
	b := append(buf[:0], "the restriction table "...)
	b = strconv.AppendQuote(b, table)
	b = append(b, " would refuse this number: "...)
	switch reason {
	case api.DialMatched:
		b = append(b, "row "...)
		b = strconv.AppendInt(b, int64(row), 10)
		b = append(b, ", pattern "...)
		b = append(b, pattern...)
	case api.DialTooShort:
		b = append(b, "too short for the table's digit limits"...)
	case api.DialTooLong:
		b = append(b, "too long for the table's digit limits"...)
	default:
		b = append(b, reason...)
	}
	return string(b)
}
