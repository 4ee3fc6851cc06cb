package core

import (
	"errors"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// policyFields is the file format as the structs' json tags declare it,
// found by reflection (embedded CredentialRule flattened, as
// encoding/json does). ParsePolicy uses explicit tables instead, so that
// the module links no reflect; TestPolicyFieldTables holds the two
// together.
var policyFields = map[reflect.Type]sectionFields{
	reflect.TypeFor[PINPolicy]():      policyFieldsOf(reflect.TypeFor[PINPolicy]()),
	reflect.TypeFor[PasswordPolicy](): policyFieldsOf(reflect.TypeFor[PasswordPolicy]()),
	reflect.TypeFor[AccountPolicy]():  policyFieldsOf(reflect.TypeFor[AccountPolicy]()),
	reflect.TypeFor[HashPolicy]():     policyFieldsOf(reflect.TypeFor[HashPolicy]()),
}

type sectionFields struct {
	names  []string // in declaration order
	byName map[string]reflectField
}

type reflectField struct {
	index []int
	kind  reflect.Kind
}

func policyFieldsOf(t reflect.Type) sectionFields {
	sf := sectionFields{byName: map[string]reflectField{}}
	var walk func(t reflect.Type, prefix []int)
	walk = func(t reflect.Type, prefix []int) {
		for i := range t.NumField() {
			f := t.Field(i)
			index := append(append([]int(nil), prefix...), i)
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if f.Anonymous && name == "" {
				walk(f.Type, index)
				continue
			}
			if name == "" || name == "-" || !f.IsExported() {
				continue
			}
			sf.names = append(sf.names, name)
			sf.byName[name] = reflectField{index: index, kind: f.Type.Kind()}
		}
	}
	walk(t, nil)
	return sf
}

// TestPolicyFieldTables: every json-tagged field of each section is in
// ParsePolicy's table, in declaration order, and setting it through a
// document changes that field and no other; the table names nothing else.
// Adding a struct field without a table entry fails here.
func TestPolicyFieldTables(t *testing.T) {
	checkSection(t, "pin", "PIN", pinFields)
	checkSection(t, "password", "Password", passwordFields)
	checkSection(t, "account", "Account", accountFields)
	checkSection(t, "hash", "Hash", hashFields)
}

// checkSection checks the table of the section whose JSON name is section
// and Go field name goName.
func checkSection(t *testing.T, section, goName string, table []policyField) {
	t.Helper()
	sv := reflect.ValueOf(&Policy{}).Elem().FieldByName(goName)
	want := policyFields[sv.Type()]
	var got []string
	for _, f := range table {
		got = append(got, f.name)
		if n := btoi(f.asInt != nil) + btoi(f.asBool != nil) + btoi(f.asStrings != nil); n != 1 {
			t.Errorf("%s.%s: the table entry needs exactly one accessor", section, f.name)
		}
	}
	if !slices.Equal(got, want.names) {
		t.Errorf("%s: table lists %q; the struct's json fields are %q", section, got, want.names)
	}
	for _, name := range want.names {
		rf := want.byName[name]
		var doc string
		var val any
		switch rf.kind {
		case reflect.Int:
			doc, val = `{"`+name+`": 7919}`, 7919
		case reflect.Bool:
			doc, val = `{"`+name+`": true}`, true
		case reflect.Slice:
			doc, val = `{"`+name+`": ["acme", "tollgate"]}`, []string{"acme", "tollgate"}
		default:
			t.Errorf("%s.%s: kind %s; ParsePolicy reads only integers, booleans and lists of strings", section, name, rf.kind)
			continue
		}
		var p Policy
		if err := decodePolicySection([]byte(doc), section, &p, table, nil); err != nil {
			t.Errorf("%s.%s: %v", section, name, err)
			continue
		}
		var wantP Policy
		reflect.ValueOf(&wantP).Elem().FieldByName(goName).FieldByIndex(rf.index).Set(reflect.ValueOf(val))
		if !reflect.DeepEqual(p, wantP) {
			t.Errorf("%s.%s: setting it gives %+v; want %+v", section, name, p, wantP)
		}
	}
}

// TestParsePolicyEveryField sets every field of a profile through a
// document, with the value it already has, and gets the profile back: no
// field of the file format is dropped on the way in.
func TestParsePolicyEveryField(t *testing.T) {
	for _, name := range ProfileNames() {
		p, _ := Profile(name)
		var b strings.Builder
		b.WriteString(`{"extends": "` + name + `"`)
		for _, sec := range []struct {
			key string
			v   reflect.Value
		}{{"pin", reflect.ValueOf(p.PIN)}, {"password", reflect.ValueOf(p.Password)}, {"account", reflect.ValueOf(p.Account)}} {
			fs := policyFields[sec.v.Type()]
			b.WriteString(`, "` + sec.key + `": {`)
			for i, f := range fs.names {
				if i > 0 {
					b.WriteString(", ")
				}
				v := sec.v.FieldByIndex(fs.byName[f].index)
				b.WriteString(`"` + f + `": `)
				switch {
				case v.Kind() == reflect.Bool:
					b.WriteString(strconv.FormatBool(v.Bool()))
				case v.Kind() == reflect.Slice:
					b.WriteString("null") // every profile's lists are empty
				default:
					b.WriteString(strconv.FormatInt(v.Int(), 10))
				}
			}
			b.WriteString("}")
		}
		b.WriteString("}")
		q, err := ParsePolicy([]byte(b.String()))
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if !reflect.DeepEqual(p, q) {
			t.Errorf("%s: every field given gives %+v; want %+v", name, q, p)
		}
	}
}

// TestParsePolicyUnknownFieldLists: the known-field list of an unknown
// field's error is the section's fields in declaration order.
func TestParsePolicyUnknownFieldLists(t *testing.T) {
	for section, typ := range map[string]reflect.Type{
		"pin": reflect.TypeFor[PINPolicy](), "password": reflect.TypeFor[PasswordPolicy](), "account": reflect.TypeFor[AccountPolicy](),
	} {
		_, err := ParsePolicy([]byte(`{"` + section + `": {"zzzzzz": 1}}`))
		var pe *PolicyError
		if !errors.As(err, &pe) || pe.Field != section+".zzzzzz" {
			t.Fatalf("%s: %v; want an error on %s.zzzzzz", section, err, section)
		}
		if want := strings.Join(policyFields[typ].names, ", "); pe.Allowed != want || !strings.HasSuffix(pe.Msg, "known fields here: "+want) {
			t.Errorf("%s: %q; want the known fields %s", section, err, want)
		}
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}
