package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestPolicyFileAdministratorMustUnlock: every command that takes
// --policy FILE, on both engines, reads seed 003's "Enter 0 or check the
// Administrator Must Unlock check box" as one setting: a lockout duration
// of 0, or admin_must_unlock alone, is a valid policy (issue 13). Fields
// that contradict each other still exit 2 naming field, value and range.
func TestPolicyFileAdministratorMustUnlock(t *testing.T) {
	dir := t.TempDir()
	write := func(name, doc string) string {
		f := filepath.Join(dir, name)
		if err := os.WriteFile(f, []byte(doc), 0o600); err != nil {
			t.Fatal(err)
		}
		return f
	}
	valid := []string{
		write("zero.json", `{"extends":"cucm","pin":{"lockout_minutes":0},"password":{"lockout_minutes":0}}`),
		write("checkbox.json", `{"extends":"cucm","pin":{"admin_must_unlock":true},"password":{"admin_must_unlock":true}}`),
		write("cuc.json", `{"extends":"cuc","pin":{"admin_must_unlock":true}}`),
	}
	users := write("users.csv", "Alias,Extension,PIN\nann,20001,80241795\n")
	for _, engine := range []string{"native", "wasm"} {
		for _, pol := range valid {
			for _, args := range [][]string{
				{"pin", "--policy", pol, "73916482"},
				{"pin", "--policy", pol, "--min-length", "9", "739164825"},
				{"password", "--policy", pol, "Tr0ub4dor&3x"},
				{"audit", "--policy", pol, users},
				{"gen", "--policy", pol, "--in", users, "-o", filepath.Join(t.TempDir(), "pins.csv")},
			} {
				args = append(args[:1], append([]string{"--engine", engine}, args[1:]...)...)
				if code, out, errs := runCLI(t, "", args...); code != exitOK {
					t.Errorf("tollgate %s = %d; want %d\n%s%s", strings.Join(args, " "), code, exitOK, out, errs)
				}
			}
		}
	}

	// at is where the field's value is in the file.
	for _, tc := range []struct{ name, doc, at, say string }{
		{"both.json", `{"extends":"cucm","pin":{"admin_must_unlock":true,"lockout_minutes":30}}`, ": line 1, column 69",
			"policy: pin.lockout_minutes: 30 is out of range 0 (admin_must_unlock is true; set it to false for a timed lockout)"},
		{"unchecked.json", `{"extends":"cucm","pin":{"admin_must_unlock":false,"lockout_minutes":0}}`, ": line 1, column 70",
			"policy: pin.lockout_minutes: 0 is out of range 1..1440 (0 means an administrator must unlock, and admin_must_unlock is false)"},
		{"nist.json", `{"extends":"nist-800-63b-4","password":{"lockout_minutes":15}}`, ": line 1, column 59",
			"policy: password.lockout_minutes: 15 is out of range 0 (admin_must_unlock is true"},
	} {
		pol := write(tc.name, tc.doc)
		for _, engine := range []string{"native", "wasm"} {
			for _, args := range [][]string{
				{"pin", "--engine", engine, "--policy", pol, "73916482"},
				{"password", "--engine", engine, "--policy", pol, "Tr0ub4dor&3x"},
				{"serve", "--engine", engine, "--policy", pol, "--listen", "127.0.0.1:0"},
			} {
				code, _, errs := runCLI(t, "", args...)
				if code != exitUsage || !strings.Contains(errs, "--policy "+pol+tc.at+": "+tc.say) {
					t.Errorf("tollgate %s = %d, stderr %q; want %d saying %q", strings.Join(args, " "), code, errs, exitUsage, tc.say)
				}
			}
		}
	}
}
