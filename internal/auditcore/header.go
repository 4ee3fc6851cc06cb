package auditcore

import (
	"bytes"
	"sort"
	"strconv"
	"strings"

	"github.com/tollgate/tollgate/export"
)

// Auditable fails when no column the audit can check is present. It names
// the columns it found by their field names and counts the others.
func Auditable(l *export.Layout) error {
	if len(l.Numbers()) > 0 || l.Has(export.PIN) || l.Has(export.Password) || l.Has(export.PINHash) || l.Has(export.PasswordHash) {
		return nil
	}
	var found []string
	for _, f := range l.Fields() {
		found = append(found, f.String())
	}
	sort.Strings(found)
	found = append(found, l.Ignored()...)
	have := "no column whose name it knows"
	if len(found) > 0 {
		have = "columns " + strings.Join(found, ", ")
	}
	if u := l.Unknown(); len(u) > 0 {
		have += "; " + strconv.Itoa(len(u)) + " with names it does not know (" + export.ColumnList(u) + ", not printed)"
	}
	return headerError("header: no column to audit (want a PIN, password, PIN hash, password hash or phone number column; see docs/audit.md): the header has " + have)
}

type headerError string

func (e headerError) Error() string { return string(e) }

// NeedsFirstPass reports whether an audit of an export with layout l
// reads it twice when it can: to count the holders of each PIN and stored
// PIN record (and, natively, to estimate what its PBKDF2 records cost).
func NeedsFirstPass(l *export.Layout) bool {
	return l.Has(export.PIN) || l.Has(export.PINHash) || l.Has(export.PasswordHash)
}

// IsPBKDF2 is a cheap test for the braced PBKDF2 labels, so a first pass
// parses only those records.
func IsPBKDF2(b []byte) bool {
	return len(b) > 8 && b[0] == '{' && bytes.EqualFold(b[1:7], []byte("PBKDF2"))
}
