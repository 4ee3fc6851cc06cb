package export

import (
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestNoHeavyImports: the reader and its decoder import neither
// encoding/json, fmt nor reflect outside their tests, as the packages the
// WebAssembly module links must not (core/imports_test.go): the audit's
// per-row work is to run in the module (issue 16), reading with them.
func TestNoHeavyImports(t *testing.T) {
	banned := map[string]bool{"encoding/json": true, "fmt": true, "reflect": true}
	for _, dir := range []string{".", "internal/textenc"} {
		files, _ := filepath.Glob(filepath.Join(dir, "*.go"))
		if len(files) == 0 {
			t.Fatalf("no Go files in %s", dir)
		}
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") {
				continue
			}
			af, err := parser.ParseFile(token.NewFileSet(), f, nil, parser.ImportsOnly)
			if err != nil {
				t.Fatal(err)
			}
			for _, imp := range af.Imports {
				if p, _ := strconv.Unquote(imp.Path.Value); banned[p] {
					t.Errorf("%s imports %s", f, p)
				}
			}
		}
	}
}
