package engine

import (
	"bytes"
	"fmt"

	"github.com/tollgate/tollgate/core/dialplan"
)

// DialVerdict is the verdict on one dialed number from the scalar hot path.
// The "dial" operation gives the same verdict with the table name, the
// pattern and the normalized number.
type DialVerdict struct {
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

func verdictOf(r *dialplan.Result) DialVerdict {
	return DialVerdict{Allowed: r.Allowed, Reason: r.Reason, Row: int(r.Row), Alt: int(r.Alt), Normalized: r.Dropped > 0}
}

func hasNewline(b []byte) bool { return bytes.IndexByte(b, '\n') >= 0 }

func newlineAt(i int) error { return fmt.Errorf("%w (number %d)", ErrNewline, i) }
