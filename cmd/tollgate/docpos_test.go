package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// An error about a --policy or --tables JSON file says where in the file
// it is, by line and column, on every command and engine: the audit named
// no file at all ("tables: dialplan: table ... row 1 column 2: ..."), and
// the others named the file but not the line, which a table of thousands
// of rows needs.
func TestDocumentErrorsSayWhere(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		writeFile(t, p, text)
		return p
	}
	// The bad row is in the second table: the loader names the row within
	// its table, and the table is found by its name.
	badRow := write("row.json", `{"tables": [
  {"name": "first", "rows": [{"pattern": "9*", "blocked": true}, {"pattern": "*"}]},
  {"name": "second", "rows": [
    {"pattern": "9011*", "blocked": true},
    {"pattern": "91x*", "blocked": true},
    {"pattern": "*"}]}
]}`)
	badField := write("field.json", "{\"tables\": [{\"name\": \"t\", \"rows\": [\n  {\"pattern\": \"*\", \"blockd\": true}]}]}")
	// An escape before the column: the literal's bytes are not the
	// pattern's, so the position is the literal's start.
	escaped := write("escaped.json", `{"tables": [{"name": "t", "rows": [{"pattern": "\u0039x*"}, {"pattern": "*"}]}]}`)
	// An import format is converted first; its errors give its own lines
	// (the audit gave the converted document's table and row only).
	conf := write("extensions.conf", "[globals]\n\n[internal-only]\nexten => _1XXX,1,Dial(x)\nexten => _9[,1,Dial(x)\n")
	policy := write("policy.json", "{\"extends\": \"cucm\",\n \"pin\": {\"min_length\": 99}}")
	users := write("users.csv", "Alias,PIN\nann,918273\n")
	pins := filepath.Join(dir, "pins.csv")

	rowWant := "--tables " + badRow + ": line 5, column 20: dialplan: table \"second\" row 1 column 3: rows[1].pattern: syntax error"
	fieldWant := "--tables " + badField + ": line 2, column 30: dialplan: tables[0].rows[0].blockd: malformed document: unknown field"
	escWant := "--tables " + escaped + ": line 1, column 48: dialplan: table \"t\" row 0 column 2: rows[0].pattern: syntax error"
	confWant := "dialplan: " + conf + ":5: table \"internal-only\" row 1 column 3: rows[1].pattern: syntax error"
	policyWant := "--policy " + policy + ": line 2, column 24: policy: pin.min_length: 99 is out of range"
	for _, engine := range []string{"native", "wasm"} {
		for _, c := range []struct {
			args []string
			want string
		}{
			{[]string{"audit", "--tables", badRow, users}, rowWant},
			{[]string{"dial", "--tables", badRow, "9123"}, rowWant},
			{[]string{"lint", "--tables", badRow}, rowWant},
			{[]string{"serve", "--tables", badRow, "--listen", "127.0.0.1:0"}, rowWant},
			{[]string{"serve", "--tables", badRow, "--users", users, "--listen", "127.0.0.1:0"}, rowWant},
			{[]string{"audit", "--tables", badField, users}, fieldWant},
			{[]string{"dial", "--tables", badField, "9123"}, fieldWant},
			{[]string{"dial", "--tables", escaped, "9123"}, escWant},
			{[]string{"audit", "--tables", escaped, users}, escWant},
			{[]string{"audit", "--tables", conf, users}, confWant},
			{[]string{"dial", "--tables", conf, "9123"}, confWant},
			{[]string{"audit", "--policy", policy, users}, policyWant},
			{[]string{"gen", "--policy", policy, "--in", users, "-o", pins}, policyWant},
			{[]string{"pin", "--policy", policy, "5827391"}, policyWant},
			{[]string{"password", "--policy", policy, "Tr0ub4dor&3x"}, policyWant},
			{[]string{"serve", "--policy", policy, "--listen", "127.0.0.1:0"}, policyWant},
		} {
			args := append([]string{c.args[0], "--engine", engine}, c.args[1:]...)
			code, out, errs := runCLI(t, "", args...)
			if code != exitUsage || !strings.HasPrefix(errs, "tollgate "+c.args[0]+": ") || !strings.Contains(errs, c.want) || strings.Contains(out+errs, "918273") {
				t.Errorf("tollgate %s: exit %d, stderr:\n%s\nwant exit %d and stderr saying %q", strings.Join(args, " "), code, errs, exitUsage, c.want)
			}
		}
	}
}
