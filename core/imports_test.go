package core

import (
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestNoHeavyImports: the packages the WebAssembly module links from core
// import neither encoding/json, fmt nor reflect outside their tests; the
// three would cost about a third of the module's gzip budget (issue 5).
func TestNoHeavyImports(t *testing.T) {
	banned := map[string]bool{"encoding/json": true, "fmt": true, "reflect": true, "encoding/hex": true}
	for _, dir := range []string{".", "dialplan", "destination", "credential", "artifact", "../internal/digest"} {
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
