package audit

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"unicode"

	"github.com/tollgate/tollgate/core/credential"
)

// Field names a finding may carry: one per recognized column, written as
// in docs/audit.md. BAT's Active_* phone columns keep their own names so
// an administrator can tell the pager from the mobile phone.
const (
	FieldAlias         = "alias"
	FieldFirstName     = "first_name"
	FieldLastName      = "last_name"
	FieldExtension     = "extension"
	FieldAltExtensions = "alternate_extensions"
	FieldPIN           = "pin"
	FieldPassword      = "password"
	FieldPINHash       = "pin_hash"
	FieldPasswordHash  = "password_hash"
	FieldCOS           = "cos"
	FieldTransfer      = "transfer_number"
	FieldNotification  = "notification_number"
	FieldFax           = "fax_number"
	FieldDOB           = "date_of_birth"
)

// aliases maps a normalized header (lower case, spaces and underscores
// removed) to the field it fills. docs/audit.md lists the same table.
var aliases = map[string]string{
	"alias": FieldAlias, "userid": FieldAlias, "user": FieldAlias, "username": FieldAlias,
	"samaccountname": FieldAlias, "mailnickname": FieldAlias,

	"firstname": FieldFirstName, "givenname": FieldFirstName,
	"lastname": FieldLastName, "surname": FieldLastName, "sn": FieldLastName,

	"extension": FieldExtension, "directorynumber": FieldExtension, "dn": FieldExtension,
	"primaryextension": FieldExtension, "dtmfaccessid": FieldExtension,

	"alternateextensions": FieldAltExtensions, "alternateextension": FieldAltExtensions,
	"altextensions": FieldAltExtensions, "altextension": FieldAltExtensions,

	"pin": FieldPIN, "voicemailpin": FieldPIN, "phonepin": FieldPIN, "vmpin": FieldPIN,
	"password": FieldPassword, "webpassword": FieldPassword, "webapplicationpassword": FieldPassword,

	"pinhash": FieldPINHash, "pinrecord": FieldPINHash, "hashedpin": FieldPINHash,
	"passwordhash": FieldPasswordHash, "passwordrecord": FieldPasswordHash,
	"hashedpassword": FieldPasswordHash, "userpassword": FieldPasswordHash,

	"cos": FieldCOS, "classofservice": FieldCOS, "cosdisplayname": FieldCOS, "cosname": FieldCOS,

	"transfernumber": FieldTransfer, "transferextension": FieldTransfer, "transferto": FieldTransfer,
	"notificationnumber": FieldNotification, "notifynumber": FieldNotification,
	"faxnumber": FieldFax, "fax": FieldFax,

	"dateofbirth": FieldDOB, "dob": FieldDOB, "birthdate": FieldDOB, "birthday": FieldDOB,
}

// batPhones are BAT's notification-device columns; each is checked as a
// notification number under its own field name.
var batPhones = map[string]string{
	"activehomephone":   "active_homephone",
	"activemobilephone": "active_mobilephone",
	"activepager":       "active_pager",
	"activetextpager1":  "active_textpager1",
	"activeworkphone":   "active_workphone",
}

// otherColumns are the columns of user exports (Unity Connection and
// Unified CM BAT, Exchange and Active Directory) that the audit knows and
// does not check. A header cell the audit knows (here, in aliases or in
// batPhones) may be named in messages and the summary: what reaches them
// is then one of these names, never text of the file. Any other cell is
// named only by its column number, since a file without a header has a
// user's PIN, password or stored record where its header should be.
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

// maxColumns bounds a header. User exports have at most a few hundred
// columns (Unity Connection's BAT users-with-mailbox file, the widest
// known, about 200); a header with more is a file whose lines were not
// split, and the audit of what follows it would be empty.
const maxColumns = 1024

// normalizeHeader lowers a header name and drops spaces and underscores.
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

// numberColumn is a stored phone number and the feature whose restriction
// table applies to it.
type numberColumn struct {
	index   int
	field   string
	feature string // the class of service feature: transfer, outdial (notification), fax
}

// layout is where each recognized field sits in a row.
type layout struct {
	width   int            // fields in the header
	col     map[string]int // field → index
	numbers []numberColumn
	ignored []string // known columns the audit does not check (otherColumns), as written
	unknown []int    // 1-based numbers of the columns whose names the audit does not know
}

// newLayout maps a header record. It fails when a field appears twice, and
// when the record cannot be a header (checkHeader).
func newLayout(header []string) (*layout, error) {
	if err := checkHeader(header); err != nil {
		return nil, err
	}
	l := &layout{width: len(header), col: map[string]int{}}
	for i, h := range header {
		n := normalizeHeader(h)
		if n == "junk" || n == "" {
			continue
		}
		if f, ok := aliases[n]; ok {
			if j, dup := l.col[f]; dup {
				return nil, fmt.Errorf("header: columns %d (%q) and %d (%q) both give %s", j+1, header[j], i+1, h, f)
			}
			l.col[f] = i
			switch f {
			case FieldTransfer:
				l.numbers = append(l.numbers, numberColumn{i, f, "transfer"})
			case FieldNotification:
				l.numbers = append(l.numbers, numberColumn{i, f, "outdial"})
			case FieldFax:
				l.numbers = append(l.numbers, numberColumn{i, f, "fax"})
			}
			continue
		}
		if f, ok := batPhones[n]; ok {
			l.numbers = append(l.numbers, numberColumn{i, f, "outdial"})
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
	sort.Slice(l.numbers, func(a, b int) bool { return l.numbers[a].index < l.numbers[b].index })
	return l, nil
}

// checkHeader refuses a record that cannot be a header, naming columns by
// number only: one with more than maxColumns fields, or with a cell that
// holds a CR or another control character (lines that were not split; a
// tab, and an LF of a quoted cell written on two lines, are allowed), a
// number (no letter, a digit: an extension, a PIN, a date) or a stored
// credential record: the first row of a file without a header.
func checkHeader(header []string) error {
	if len(header) > maxColumns {
		return fmt.Errorf("header: %d columns, more than the %d of any user export: the file's lines were not split into rows (no column is printed)", len(header), maxColumns)
	}
	var ctl, num, rec []int
	for i, h := range header {
		n := normalizeHeader(h)
		if n == "" || n == "junk" || aliases[n] != "" || batPhones[n] != "" || otherColumns[n] {
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
		what = append(what, columnList(ctl)+" a carriage return or control character")
	}
	if len(num) > 0 {
		what = append(what, columnList(num)+" a number")
	}
	if len(rec) > 0 {
		what = append(what, columnList(rec)+" a stored credential record")
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

// maxListed is how many column numbers a message lists.
const maxListed = 10

// columnList writes column numbers as "column 3" or "columns 2, 5 and 9",
// the first maxListed of them and then how many more.
func columnList(cols []int) string {
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
		fmt.Fprintf(&b, " and %d more", len(cols)-shown)
	}
	return b.String()
}

// auditable fails when no column the audit can check is present. It names
// the columns it found by their known names and counts the others.
func (l *layout) auditable() error {
	if len(l.numbers) > 0 {
		return nil
	}
	for _, f := range []string{FieldPIN, FieldPassword, FieldPINHash, FieldPasswordHash} {
		if _, ok := l.col[f]; ok {
			return nil
		}
	}
	var found []string
	for f := range l.col {
		found = append(found, f)
	}
	sort.Strings(found)
	found = append(found, l.ignored...)
	have := "no column whose name it knows"
	if len(found) > 0 {
		have = "columns " + strings.Join(found, ", ")
	}
	if len(l.unknown) > 0 {
		have += fmt.Sprintf("; %d with names it does not know (%s, not printed)", len(l.unknown), columnList(l.unknown))
	}
	return fmt.Errorf("header: no column to audit (want a PIN, password, PIN hash, password hash or phone number column; see docs/audit.md): the header has %s", have)
}

// unknownNote says which columns have names the audit does not know,
// without printing them.
func (l *layout) unknownNote() string {
	return fmt.Sprintf("%s: names the audit does not know (not printed: a file without a header would have a PIN or password there)", columnList(l.unknown))
}

// get returns the field f of a row, trimmed, with BAT's %null% read as
// empty. Passwords are not trimmed: their spaces are part of them.
func (l *layout) get(fields []string, f string) string {
	i, ok := l.col[f]
	if !ok {
		return ""
	}
	return value(fields[i], f != FieldPassword)
}

func value(s string, trim bool) string {
	if trim {
		s = strings.TrimSpace(s)
	}
	if len(s) == 6 && strings.EqualFold(s, "%null%") {
		return ""
	}
	return s
}

// maxQuoted bounds a cell a message quotes. Only a well-formed row's class
// of service is ever quoted (it is in the report anyway; docs/security.md),
// and a cell of a megabyte makes no message.
const maxQuoted = 64

// quoteShort quotes v, cut to maxQuoted characters.
func quoteShort(v string) string {
	if r := []rune(v); len(r) > maxQuoted {
		return strconv.Quote(string(r[:maxQuoted-1])) + "… (" + strconv.Itoa(len(v)) + " bytes)"
	}
	return strconv.Quote(v)
}
