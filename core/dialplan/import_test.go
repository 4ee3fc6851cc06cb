package dialplan

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func loadSample(t *testing.T, name string) *Set {
	t.Helper()
	path := filepath.Join("..", "..", "testdata", "tables", name)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s, err := Load(path, data)
	if err != nil {
		t.Fatalf("Load(%s): %v", name, err)
	}
	return s
}

func TestSamples(t *testing.T) {
	tests := []struct {
		file, table, number string
		allowed             bool
		row                 int32
	}{
		{"outdial.json", "Outdial", "9123", true, 2},
		{"outdial.json", "Outdial", "99914085551234", false, 0}, // twin 99 + 91???????*
		{"cupi-restrictiontable.json", "Default Outdial", "9011441234567", false, 1},
		{"cupi-restrictiontable.json", "Default Outdial", "914085551234", false, 0},
		{"cupi-restrictiontable.json", "Default Outdial", "2000", true, 2},
		{"extensions.conf", "outbound-restricted", "911", true, 0},
		{"extensions.conf", "outbound-restricted", "914085551234", true, -2},
		{"extensions.conf", "outbound-restricted", "919005551234", false, -2},
		{"extensions.conf", "outbound-restricted", "9011441234", false, -2},
		{"extensions.conf", "outbound-restricted", "90", false, -2},
		{"extensions.conf", "outbound-restricted", "2000", true, -2},
		{"extensions.conf", "internal-only", "1234", true, 0},
		{"extensions.conf", "internal-only", "91234", false, 1},
		{"exchange-dialing-rules.txt", "Local", "95551234", true, 0},
		{"exchange-dialing-rules.txt", "Local", "914085551234", true, 1},
		{"exchange-dialing-rules.txt", "Local", "914155551234", false, -1},
		{"exchange-dialing-rules.txt", "TollFree", "918885551234", true, 1},
		{"exchange-dialing-rules.txt", "Anywhere", "9011441234", true, 0},
		{"site.json", "Staff Transfer", "919005551234", false, 3},
		{"site.json", "Staff Transfer", "914085551234", true, 5},
		{"site.json", "Staff Transfer", "999005", false, 0},
		{"site.json", "Route Patterns", "914085551234", true, 0},
		{"site.json", "Route Patterns", "919005551234", false, 1}, // closest: 9.1900XXXXXXX beats 9.1[2-9]XX...
		{"site.json", "Route Patterns", "9011441234#", false, 3},
		{"site.json", "Kamailio", "0033123456789", false, 0},
		{"site.json", "Kamailio", "0612345678", true, 1},
	}
	for _, tc := range tests {
		s := loadSample(t, tc.file)
		tab, ok := s.Table(tc.table)
		if !ok {
			t.Fatalf("%s: no table %q", tc.file, tc.table)
		}
		r := tab.MatchString(tc.number)
		if r.Allowed != tc.allowed || (tc.row != -2 && r.Row != tc.row) {
			t.Errorf("%s %s: Match(%q) = allowed %v row %d (%q), want %v row %d", tc.file, tc.table, tc.number, r.Allowed, r.Row, tab.Pattern(r), tc.allowed, tc.row)
		}
	}
}

func TestAsteriskPrecedence(t *testing.T) {
	// Jared Smith's example and the testsuite's: exact before patterns,
	// _1[2-4]X before _1NX before _1XX.
	in := []string{"_1XX", "_1NX", "100", "_1[2-4]X", "_1X.", "_1X!"}
	want := []string{"100", "_1[2-4]X", "_1NX", "_1XX", "_1X.", "_1X!"}
	got := append([]string(nil), in...)
	for i := range got {
		for j := i + 1; j < len(got); j++ {
			if asteriskCmp(got[j], got[i]) < 0 {
				got[i], got[j] = got[j], got[i]
			}
		}
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("asterisk order %q, want %q", got, want)
		}
	}
}

func TestImportErrors(t *testing.T) {
	tests := []struct {
		name, path, data string
		line             int
		err              error
	}{
		{"exten outside context", "x.conf", "exten => 100,1,Dial()\n", 1, ErrSyntax},
		{"short exten", "x.conf", "[c]\nexten => 100\n", 2, ErrSyntax},
		{"rule with 3 parts", "rules.txt", "Local,9xxx,9xxx\n", 1, ErrSyntax},
		{"cupi without table", "t.json", `{"RestrictionTables": {"RestrictionTable": []}}`, 0, ErrUnknownFormat},
		{"bad asterisk pattern", "x.conf", "[c]\nexten => _9X,1,Dial()\n\nexten => _9.1,1,Hangup()\n", 4, ErrSyntax},
		{"bad exchange mask", "rules.txt", "# rules\nLocal,9xxx,9xxx,ok\nLocal,9*1,9*1,bad\n", 3, ErrSyntax},
	}
	for _, tc := range tests {
		_, err := Load(tc.path, []byte(tc.data))
		var pe *ParseError
		if !errors.As(err, &pe) || pe.Line != tc.line || !errors.Is(err, tc.err) || pe.Path != tc.path {
			t.Errorf("%s: %v, want line %d %v", tc.name, err, tc.line, tc.err)
		}
	}
}
