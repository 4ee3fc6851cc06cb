package audit

import (
	"fmt"
	"sort"
	"strings"
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
	ignored []string // headers neither recognized nor Junk, as written
}

// newLayout maps a header record. It fails when a field appears twice.
func newLayout(header []string) (*layout, error) {
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
		l.ignored = append(l.ignored, h)
	}
	sort.Slice(l.numbers, func(a, b int) bool { return l.numbers[a].index < l.numbers[b].index })
	return l, nil
}

// auditable fails when no column the audit can check is present.
func (l *layout) auditable(header []string) error {
	if len(l.numbers) > 0 {
		return nil
	}
	for _, f := range []string{FieldPIN, FieldPassword, FieldPINHash, FieldPasswordHash} {
		if _, ok := l.col[f]; ok {
			return nil
		}
	}
	return fmt.Errorf("header: no column to audit (want a PIN, password, PIN hash, password hash or phone number column; see docs/audit.md); header was %q", strings.Join(header, ","))
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
