package export

import (
	"bytes"
	"errors"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/tollgate/tollgate/core/credential"
)

// Field is a column the vocabulary knows: one of the constants below.
// Its String is the name a finding, a message or a summary gives it
// (docs/audit.md writes the same names).
type Field uint8

// The fields. BAT's Active_* notification-device columns keep their own
// fields, so an administrator can tell the pager from the mobile phone.
const (
	Alias Field = iota + 1
	FirstName
	LastName
	Extension
	AltExtensions // alternate extensions, separated by ";"
	PIN
	Password
	PINHash      // a stored PIN record (core/credential's schemes)
	PasswordHash // a stored password record
	COS          // the class of service
	TransferNumber
	NotificationNumber
	FaxNumber
	DateOfBirth
	ActiveHomePhone
	ActiveMobilePhone
	ActivePager
	ActiveTextPager1
	ActiveWorkPhone

	numFields = iota + 1 // the size of an array indexed by Field
)

var fieldNames = [numFields]string{
	Alias: "alias", FirstName: "first_name", LastName: "last_name", Extension: "extension",
	AltExtensions: "alternate_extensions", PIN: "pin", Password: "password", PINHash: "pin_hash",
	PasswordHash: "password_hash", COS: "cos", TransferNumber: "transfer_number",
	NotificationNumber: "notification_number", FaxNumber: "fax_number", DateOfBirth: "date_of_birth",
	ActiveHomePhone: "active_homephone", ActiveMobilePhone: "active_mobilephone",
	ActivePager: "active_pager", ActiveTextPager1: "active_textpager1", ActiveWorkPhone: "active_workphone",
}

// String is the field's name: "pin", "transfer_number", "active_pager".
func (f Field) String() string {
	if f == 0 || int(f) >= len(fieldNames) {
		return "field(" + strconv.Itoa(int(f)) + ")"
	}
	return fieldNames[f]
}

// Feature is the class-of-service feature whose restriction table applies
// to a number field ("transfer", "outdial" for notification devices,
// "fax"), or "" for a field that holds no phone number.
func (f Field) Feature() string {
	switch {
	case f == TransferNumber:
		return "transfer"
	case f == FaxNumber:
		return "fax"
	case f == NotificationNumber || f >= ActiveHomePhone && f <= ActiveWorkPhone:
		return "outdial"
	}
	return ""
}

// columns lists, per field, the header names that give it, normalized
// (lower case, spaces and underscores removed: normalizeHeader). It is the
// one alias table of the project: docs/audit.md prints it, and every
// reader of exports (the audit, gen, serve --users) maps headers with it.
var columns = [...]struct {
	field Field
	names []string
}{
	{Alias, []string{"alias", "userid", "user", "username", "samaccountname", "mailnickname"}},
	{FirstName, []string{"firstname", "givenname"}},
	{LastName, []string{"lastname", "surname", "sn"}},
	{Extension, []string{"extension", "directorynumber", "dn", "primaryextension", "dtmfaccessid"}},
	{AltExtensions, []string{"alternateextensions", "alternateextension", "altextensions", "altextension"}},
	{PIN, []string{"pin", "voicemailpin", "phonepin", "vmpin"}},
	{Password, []string{"password", "webpassword", "webapplicationpassword"}},
	{PINHash, []string{"pinhash", "pinrecord", "hashedpin"}},
	{PasswordHash, []string{"passwordhash", "passwordrecord", "hashedpassword", "userpassword"}},
	{COS, []string{"cos", "classofservice", "cosdisplayname", "cosname"}},
	{TransferNumber, []string{"transfernumber", "transferextension", "transferto"}},
	{NotificationNumber, []string{"notificationnumber", "notifynumber"}},
	{FaxNumber, []string{"faxnumber", "fax"}},
	{DateOfBirth, []string{"dateofbirth", "dob", "birthdate", "birthday"}},
	// BAT's notification devices: each is checked as a notification number.
	{ActiveHomePhone, []string{"activehomephone"}},
	{ActiveMobilePhone, []string{"activemobilephone"}},
	{ActivePager, []string{"activepager"}},
	{ActiveTextPager1, []string{"activetextpager1"}},
	{ActiveWorkPhone, []string{"activeworkphone"}},
}

// aliases maps a normalized header name to its field.
var aliases = func() map[string]Field {
	m := map[string]Field{}
	for _, c := range columns {
		for _, n := range c.names {
			m[n] = c.field
		}
	}
	return m
}()

// Names returns the normalized header names that give f, the first being
// the usual one: "extension", "directorynumber", "dn", ... A header cell
// gives f when, lower-cased and with its spaces and underscores removed,
// it is one of them.
func Names(f Field) []string {
	for _, c := range columns {
		if c.field == f {
			return append([]string(nil), c.names...)
		}
	}
	return nil
}

// otherColumns are the columns of user exports (Unity Connection and
// Unified CM BAT, Exchange and Active Directory) that the vocabulary knows
// and that hold nothing to check. A header cell the vocabulary knows (a
// field's name or one of these) may be named in messages and summaries:
// what reaches them is then one of these names, never text of the file.
// Any other cell is named only by its column number, since a file without
// a header has a user's PIN, password or stored record where its header
// should be.
var otherColumns = setOf(
	// Unity Connection BAT
	"displayname", "templatealias", "listindirectory", "corporateemailaddress", "smtpproxyaddresses",
	"emailaddress", "building", "city", "state", "postalcode", "country", "department", "manager",
	"title", "employeeid", "billingid", "timezone", "language", "locale", "address", "initials",
	"xferstring", "mwiextension", "mwimediaswitchdisplayname", "mediaswitchdisplayname",
	"phonesystem", "partition", "searchspace", "callhandlerdisplayname", "failurereason",
	"homephone", "workphone", "mobilephone", "pager", "textpager1", "homephonenumber", "workphonenumber",
	"mobilephonenumber", "pagernumber", "cuciexchangemailbox", "unifiedmessagingaccount",
	// Unified CM BAT and end-user exports
	"middlename", "nickname", "telephonenumber", "mobilenumber", "pagernumber", "homenumber",
	"mailid", "email", "mail", "directoryuri", "department", "userlocale", "presencegroup",
	"associatedpc", "digestcredentials", "primaryextensionpartition", "ipccextension",
	"controlleddevice1", "controlleddevice2", "associateddevices", "devicename", "devicetype",
	"devicepool", "devicedescription", "description", "callingsearchspace", "css", "linetextlabel",
	"displayascii", "externalphonenumbermask", "selfserviceuserid", "userprofile", "userrank",
	"homecluster", "enablemobility", "enablemobilevoiceaccess", "servicesprofile", "status",
	"usertype", "directorysource", "ldapdirectoryname", "uniqueidentifier",
	// Exchange and Active Directory
	"name", "cn", "distinguishedname", "userprincipalname", "upn", "primarysmtpaddress",
	"windowsemailaddress", "proxyaddresses", "umdialplan", "ummailboxpolicy", "umenabled",
	"extensions", "phonenumber", "ipphone", "mobile", "company", "office", "physicaldeliveryofficename",
	"streetaddress", "street", "l", "st", "co", "c", "postofficebox", "employeenumber", "costcenter",
	"enabled", "accountdisabled", "lastlogon", "lastlogontimestamp", "whencreated", "whenchanged",
	"objectguid", "objectsid", "memberof", "notes", "location", "site", "id", "guid", "type",
)

func setOf(names ...string) map[string]bool {
	m := make(map[string]bool, len(names))
	for _, n := range names {
		m[n] = true
	}
	return m
}

// MaxColumns bounds a header. User exports have at most a few hundred
// columns (Unity Connection's BAT users-with-mailbox file, the widest
// known, about 200); a header with more is a file whose lines were not
// split, and what follows it would be read as nothing.
const MaxColumns = 1024

// normalizeHeader lowers a header name and drops spaces, tabs and
// underscores (and a byte-order mark a reader left in).
func normalizeHeader(h string) string {
	h = strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))
	var b strings.Builder
	for _, r := range strings.ToLower(h) {
		if r != ' ' && r != '_' && r != '\t' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// NumberColumn is a column that holds a phone number.
type NumberColumn struct {
	Index int   // 0-based column
	Field Field // TransferNumber, NotificationNumber, FaxNumber or an Active_* device
}

// Layout is where each field of an export sits in its rows: what its
// header says. It is immutable and safe for concurrent use.
type Layout struct {
	width   int
	col     [numFields]int // field → column + 1; 0 when absent
	numbers []NumberColumn
	ignored []string // known columns that hold nothing to check, as written
	unknown []int    // 1-based numbers of the columns whose names are not known
}

// NewLayout maps a header row. It fails when two columns give the same
// field, and when the row cannot be a header: more than MaxColumns cells,
// or a cell that holds a carriage return or another control character (the
// file's lines were not split), a number, or a stored credential record
// (the first row of a file without a header). Its errors name columns by
// number, or by a name the vocabulary knows, never by other text.
// "Junk" columns (BAT's filler) and empty header cells are skipped.
func NewLayout(header []string) (*Layout, error) {
	if err := checkHeader(header); err != nil {
		return nil, err
	}
	l := &Layout{width: len(header)}
	for i, h := range header {
		n := normalizeHeader(h)
		if n == "junk" || n == "" {
			continue
		}
		if f, ok := aliases[n]; ok {
			if j := l.col[f]; j > 0 {
				return nil, errors.New("header: columns " + strconv.Itoa(j) + " (" + strconv.Quote(header[j-1]) + ") and " +
					strconv.Itoa(i+1) + " (" + strconv.Quote(h) + ") both give " + f.String())
			}
			l.col[f] = i + 1
			if f.Feature() != "" {
				l.numbers = append(l.numbers, NumberColumn{Index: i, Field: f})
			}
			continue
		}
		if otherColumns[n] {
			// A known name: its letters are the list's, written in the
			// file's case with spaces or underscores, and tabs as spaces.
			l.ignored = append(l.ignored, strings.ReplaceAll(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")), "\t", " "))
			continue
		}
		l.unknown = append(l.unknown, i+1)
	}
	return l, nil
}

// checkHeader refuses a record that cannot be a header (NewLayout).
func checkHeader(header []string) error {
	if len(header) > MaxColumns {
		return errors.New("header: " + strconv.Itoa(len(header)) + " columns, more than the " + strconv.Itoa(MaxColumns) +
			" of any user export: the file's lines were not split into rows (no column is printed)")
	}
	var ctl, num, rec []int
	for i, h := range header {
		n := normalizeHeader(h)
		if n == "" || n == "junk" || aliases[n] != 0 || otherColumns[n] {
			continue
		}
		switch {
		case strings.ContainsFunc(h, func(r rune) bool { return unicode.IsControl(r) && r != '\t' && r != '\n' }):
			ctl = append(ctl, i+1)
		case looksLikeRecord(strings.TrimSpace(h)):
			rec = append(rec, i+1)
		case !strings.ContainsFunc(h, unicode.IsLetter) && strings.ContainsFunc(h, unicode.IsDigit):
			num = append(num, i+1)
		}
	}
	var what []string
	if len(ctl) > 0 {
		what = append(what, ColumnList(ctl)+" a carriage return or control character")
	}
	if len(num) > 0 {
		what = append(what, ColumnList(num)+" a number")
	}
	if len(rec) > 0 {
		what = append(what, ColumnList(rec)+" a stored credential record")
	}
	if len(what) == 0 {
		return nil
	}
	msg := "header: line is not a header: " + strings.Join(what, "; ") + ", not a column name"
	if len(ctl) > 0 {
		msg += ": the file's lines were not split into rows"
	} else {
		msg += ": the first line must name the columns (see docs/audit.md)"
	}
	return errors.New(msg + "; no cell is printed, as it may hold a PIN or password")
}

// looksLikeRecord reports whether s is a stored credential record, or one
// whose scheme label core/credential knows.
func looksLikeRecord(s string) bool {
	_, err := credential.Parse(s)
	if err == nil {
		return true
	}
	var ce *credential.Error
	return errors.As(err, &ce) && ce.Reason == credential.Malformed && ce.Scheme != credential.SchemeNone
}

// maxListed is how many column numbers ColumnList lists.
const maxListed = 10

// ColumnList writes 1-based column numbers for a message, as "column 3"
// or "columns 2, 5 and 9": the first ten, then how many more.
func ColumnList(cols []int) string {
	if len(cols) == 1 {
		return "column " + strconv.Itoa(cols[0])
	}
	var b strings.Builder
	b.WriteString("columns ")
	shown := min(len(cols), maxListed)
	for i, c := range cols[:shown] {
		switch {
		case i == 0:
		case i == shown-1 && shown == len(cols):
			b.WriteString(" and ")
		default:
			b.WriteString(", ")
		}
		b.WriteString(strconv.Itoa(c))
	}
	if shown < len(cols) {
		b.WriteString(" and " + strconv.Itoa(len(cols)-shown) + " more")
	}
	return b.String()
}

// Width is the number of cells of the header; a well-formed row has as
// many fields.
func (l *Layout) Width() int { return l.width }

// Index returns the 0-based column of f, if the header has it.
func (l *Layout) Index(f Field) (int, bool) {
	if int(f) >= len(l.col) || l.col[f] == 0 {
		return 0, false
	}
	return l.col[f] - 1, true
}

// Has reports whether the header has f.
func (l *Layout) Has(f Field) bool { _, ok := l.Index(f); return ok }

// Fields returns the fields the header has, in field order.
func (l *Layout) Fields() []Field {
	var out []Field
	for f := Field(1); f < numFields; f++ {
		if l.col[f] > 0 {
			out = append(out, f)
		}
	}
	return out
}

// Numbers returns the columns that hold phone numbers, in column order.
func (l *Layout) Numbers() []NumberColumn { return append([]NumberColumn(nil), l.numbers...) }

// Ignored returns the columns the vocabulary knows that hold nothing to
// check (otherColumns), as the header writes them.
func (l *Layout) Ignored() []string { return append([]string(nil), l.ignored...) }

// Unknown returns the 1-based numbers of the columns whose names the
// vocabulary does not know. Their names are never printed: a file without
// a header has a PIN or a password there.
func (l *Layout) Unknown() []int { return append([]int(nil), l.unknown...) }

// Get returns field f of a well-formed row (Width fields), trimmed, with
// BAT's %null% read as empty; "" when the header lacks f. A password is
// not trimmed: its spaces are part of it.
func (l *Layout) Get(row []string, f Field) string {
	if int(f) >= len(l.col) || l.col[f] == 0 {
		return ""
	}
	s := row[l.col[f]-1]
	if f != Password && untrimmed(s) {
		s = strings.TrimSpace(s)
	}
	if len(s) == 6 && strings.EqualFold(s, "%null%") {
		return ""
	}
	return s
}

// untrimmed reports whether strings.TrimSpace might change s: a byte at
// either end is an ASCII space or control, or part of a multi-byte
// character (Unicode's other spaces are). Most cells have neither, and
// the audit asks about ten a row.
func untrimmed(s string) bool {
	if s == "" {
		return false
	}
	a, b := s[0], s[len(s)-1]
	return a <= ' ' || b <= ' ' || a >= utf8.RuneSelf || b >= utf8.RuneSelf
}

// Value is a cell as the fields read it: trimmed, with BAT's %null% read
// as empty.
func Value(cell string) string {
	if untrimmed(cell) {
		cell = strings.TrimSpace(cell)
	}
	if len(cell) == 6 && strings.EqualFold(cell, "%null%") {
		return ""
	}
	return cell
}

// ValueBytes is Value on bytes, without a copy.
func ValueBytes(b []byte) []byte {
	b = bytes.TrimSpace(b)
	if len(b) == 6 && bytes.EqualFold(b, null) {
		return nil
	}
	return b
}

var null = []byte("%null%")

// maxQuoted bounds a cell Quote writes.
const maxQuoted = 64

// Quote quotes a cell for a message, cut to 64 characters. Only cells that
// are not secrets are ever quoted (a class of service, an extension: what
// a report shows anyway), and a cell of a megabyte makes no message.
func Quote(cell string) string {
	if r := []rune(cell); len(r) > maxQuoted {
		return strconv.Quote(string(r[:maxQuoted-1])) + "… (" + strconv.Itoa(len(cell)) + " bytes)"
	}
	return strconv.Quote(cell)
}
