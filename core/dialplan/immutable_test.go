package dialplan

import (
	"slices"
	"testing"
)

// TestSetSharesNothing: a compiled Set is immutable, so neither the
// Document it was compiled from nor anything its methods return reaches
// it. Before the Set kept its own copies, Compile aliased the document's
// classes of service and code lists: a caller reusing its Document (or
// editing what ClassesOfService or TrunkAccessCodes returned) changed what
// every other user of the shared Set matched.
func TestSetSharesNothing(t *testing.T) {
	d := &Document{
		TrunkAccessCodes: []string{"99"},
		OutsideLineCodes: []string{"9"},
		Tables: []TableDoc{
			{Name: "Strict", Rows: []RowDoc{{Pattern: "9011*"}, {Pattern: "*", Blocked: b(false)}}},
			{Name: "Open", Rows: []RowDoc{{Pattern: "*", Blocked: b(false)}}},
		},
		ClassesOfService: []ClassOfService{{Name: "Staff", Transfer: "Strict"}},
	}
	s, err := Compile("", d)
	if err != nil {
		t.Fatal(err)
	}
	check := func(when string) {
		t.Helper()
		tab, err := s.ForFeature("Staff", "transfer")
		if err != nil || tab.Name() != "Strict" {
			t.Fatalf("%s: Staff's transfer table is %v (%v), want Strict", when, tab, err)
		}
		r := tab.MatchString("999011442079460000")
		if r.Allowed || tab.Pattern(r) != "999011*" {
			t.Fatalf("%s: the trunk-code twin gives allowed %v pattern %q, want blocked by 999011*", when, r.Allowed, tab.Pattern(r))
		}
		if got := s.ClassesOfService(); len(got) != 1 || got[0] != (ClassOfService{Name: "Staff", Transfer: "Strict"}) {
			t.Fatalf("%s: ClassesOfService %+v", when, got)
		}
		if got := s.TrunkAccessCodes(); !slices.Equal(got, []string{"99"}) {
			t.Fatalf("%s: TrunkAccessCodes %q", when, got)
		}
		if got := s.OutsideLineCodes(); !slices.Equal(got, []string{"9"}) {
			t.Fatalf("%s: OutsideLineCodes %q", when, got)
		}
		if got := s.Tables(); len(got) != 2 || got[0].Name() != "Strict" || got[1].Name() != "Open" {
			t.Fatalf("%s: Tables %v", when, got)
		}
		if tab.NumRows() != 2 || tab.Row(0) != (Row{Pattern: "9011*", Blocked: true}) || tab.Dialect() != DialectCUC || tab.MaxDigits() != 40 {
			t.Fatalf("%s: table settings %d rows, row 0 %+v, dialect %q, max %d", when, tab.NumRows(), tab.Row(0), tab.Dialect(), tab.MaxDigits())
		}
	}
	check("after Compile")

	// The caller edits its document...
	d.ClassesOfService[0].Transfer = "Open"
	d.TrunkAccessCodes[0] = "77"
	d.OutsideLineCodes[0] = "8"
	d.Tables[0].Rows[0].Pattern = "1*"
	d.Tables[0].Name = "Renamed"
	check("after the document changed")

	// ...and what the methods returned.
	s.ClassesOfService()[0].Transfer = "Open"
	s.TrunkAccessCodes()[0] = "77"
	s.OutsideLineCodes()[0] = "8"
	s.Tables()[0] = s.Tables()[1]
	check("after the returned slices changed")

	// Compile filled no defaults into the caller's document.
	if d.Tables[1].Dialect != "" || d.Tables[1].MaxDigits != 0 || d.Tables[1].Order != "" {
		t.Errorf("Compile wrote defaults into the caller's document: %+v", d.Tables[1])
	}
}

// TestTableAt: the dial path's allocation-free lookup by index agrees with
// Tables and Index, and refuses indices out of range.
func TestTableAt(t *testing.T) {
	s, err := Builtin(SetDefault)
	if err != nil {
		t.Fatal(err)
	}
	if s.NumTables() != 4 {
		t.Fatalf("NumTables %d, want 4", s.NumTables())
	}
	for i, want := range s.Tables() {
		got, ok := s.TableAt(i)
		if !ok || got != want || got.Index() != i {
			t.Fatalf("TableAt(%d) = %v %v, want %v at index %d", i, got, ok, want, i)
		}
	}
	for _, i := range []int{-1, 4, 1 << 30} {
		if got, ok := s.TableAt(i); ok || got != nil {
			t.Errorf("TableAt(%d) = %v %v, want nil false", i, got, ok)
		}
	}
	if allocs := testing.AllocsPerRun(100, func() { s.TableAt(2) }); allocs != 0 {
		t.Errorf("TableAt allocates %v times", allocs)
	}
	// The lists are fresh copies.
	Dialects()[0] = "x"
	Features()[0] = "x"
	BuiltinNames()[0] = "x"
	if Dialects()[0] != DialectCUC || Features()[0] != "transfer" || BuiltinNames()[0] != SetDefault {
		t.Errorf("a list function returned shared state: %q %q %q", Dialects(), Features(), BuiltinNames())
	}
}
