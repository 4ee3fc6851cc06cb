package auditcore

import (
	"strconv"
	"strings"
	"testing"

	"github.com/tollgate/tollgate/api"
)

// TestBlockedMessage holds the one-buffer message to the text the records
// have always carried (the concatenation it replaced), for every reason and
// for names longer than the stack buffer.
func TestBlockedMessage(t *testing.T) {
	want := func(table string, reason api.DialReason, row int, pattern string) string {
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
	long := strings.Repeat("Ünïcode \"quoted\" ", 20)
	for _, tc := range []struct {
		table   string
		reason  api.DialReason
		row     int
		pattern string
	}{
		{"Default Transfer", api.DialMatched, 1, "9011???????*"},
		{"Default Transfer", api.DialMatched, 12345, ""},
		{"t", api.DialTooShort, 0, ""},
		{"t", api.DialTooLong, 0, ""},
		{"t", api.DialReason("invalid"), 0, ""},
		{long, api.DialMatched, 7, long},
		{"", api.DialReason(""), 0, ""},
	} {
		if got, w := BlockedMessage(tc.table, tc.reason, tc.row, tc.pattern), want(tc.table, tc.reason, tc.row, tc.pattern); got != w {
			t.Errorf("BlockedMessage(%q, %q, %d, %q) = %q, want %q", tc.table, tc.reason, tc.row, tc.pattern, got, w)
		}
	}
}
