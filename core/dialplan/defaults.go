package dialplan

import (
	"errors"
	"sync"
)

// Built-in set names.
const (
	SetDefault     = "default"
	SetRecommended = "recommended"
)

// BuiltinNames returns the names of the built-in sets, in a new slice.
func BuiltinNames() []string { return []string{SetDefault, SetRecommended} }

func b(v bool) *bool { return &v }

// ciscoLayout is the layout the Unity Connection guide shows for its
// default tables (SAG "Example 1"): long distance (9 + 1 + 7 or more keys)
// and international (9 + 011 + 7 or more) blocked, everything else allowed.
func ciscoLayout(name string) TableDoc {
	return TableDoc{Name: name, Dialect: DialectCUC, MinDigits: 1, MaxDigits: 40, Rows: []RowDoc{
		{Pattern: "91???????*", Blocked: b(true)},
		{Pattern: "9011???????*", Blocked: b(true)},
		{Pattern: "*", Blocked: b(false)},
	}}
}

func blockAll(name string, maxDigits int) TableDoc {
	return TableDoc{Name: name, Dialect: DialectCUC, MinDigits: 1, MaxDigits: maxDigits, Rows: []RowDoc{
		{Pattern: "*", Blocked: b(true)},
	}}
}

// DefaultDocument is the four tables Unity Connection ships, linked by a
// class of service named "Default". Default System Transfer blocks every
// number, as the guide says.
func DefaultDocument() *Document {
	return &Document{
		Tables: []TableDoc{
			ciscoLayout("Default Transfer"),
			ciscoLayout("Default Outdial"),
			ciscoLayout("Default Fax"),
			blockAll("Default System Transfer", 40),
		},
		ClassesOfService: []ClassOfService{{
			Name: "Default", Transfer: "Default Transfer", Outdial: "Default Outdial",
			Fax: "Default Fax", SystemTransfer: "Default System Transfer",
		}},
	}
}

// recommendedLayout applies the guide's best practices for a dial plan with
// outside-line code 9: the international operator (900), international
// numbers (9011), every other operator or 0+ call (90) and long distance
// (91) blocked, E.164 dialing (+) blocked, local and internal numbers
// allowed, and max_digits cut to 20 so trailing keys have no room.
func recommendedLayout(name string) TableDoc {
	return TableDoc{Name: name, Dialect: DialectCUC, MinDigits: 1, MaxDigits: 20, Rows: []RowDoc{
		{Pattern: "900*", Blocked: b(true)},
		{Pattern: "9011*", Blocked: b(true)},
		{Pattern: "90*", Blocked: b(true)},
		{Pattern: "91*", Blocked: b(true)},
		{Pattern: "+*", Blocked: b(true)},
		{Pattern: "*", Blocked: b(false)},
	}}
}

// RecommendedDocument is the stricter set: recommendedLayout for transfer,
// notification and fax, a system-transfer table that blocks everything,
// and the guide's second trunk access code 99, so that 99 + any blocked
// number is blocked too.
func RecommendedDocument() *Document {
	return &Document{
		TrunkAccessCodes: []string{"99"},
		Tables: []TableDoc{
			recommendedLayout("Recommended Transfer"),
			recommendedLayout("Recommended Outdial"),
			recommendedLayout("Recommended Fax"),
			blockAll("Recommended System Transfer", 20),
		},
		ClassesOfService: []ClassOfService{{
			Name: "Recommended", Transfer: "Recommended Transfer", Outdial: "Recommended Outdial",
			Fax: "Recommended Fax", SystemTransfer: "Recommended System Transfer",
		}},
	}
}

var builtins sync.Map // name -> *Set

// Builtin returns the named built-in set ("default" or "recommended"),
// compiled once.
func Builtin(name string) (*Set, error) {
	if s, ok := builtins.Load(name); ok {
		return s.(*Set), nil
	}
	var d *Document
	switch name {
	case SetDefault:
		d = DefaultDocument()
	case SetRecommended:
		d = RecommendedDocument()
	default:
		return nil, errors.New("dialplan: no built-in tables set " + quote(name) + " (default, recommended)")
	}
	s, err := Compile("", d)
	if err != nil {
		panic("dialplan: built-in set " + name + ": " + err.Error())
	}
	builtins.Store(name, s)
	return s, nil
}
