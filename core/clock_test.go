package core

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestNoClockNoRandomness: core is rules, so no package under core reads
// the clock, sleeps, starts timers or draws random numbers outside its
// tests; callers pass the time and a source of random bytes in (package
// doc). core/srsv, which needs both, takes them as arguments too.
func TestNoClockNoRandomness(t *testing.T) {
	bannedImports := map[string]bool{"crypto/rand": true, "math/rand": true, "math/rand/v2": true}
	bannedTime := map[string]bool{"Now": true, "Since": true, "Until": true, "Sleep": true, "After": true,
		"AfterFunc": true, "Tick": true, "NewTimer": true, "NewTicker": true}
	files := 0
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") || strings.Contains(path, "testdata") {
			return err
		}
		files++
		af, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		timeName := ""
		for _, imp := range af.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			if bannedImports[p] {
				t.Errorf("%s imports %s: take a source of random bytes as an argument", path, p)
			}
			if p == "time" {
				timeName = "time"
				if imp.Name != nil {
					timeName = imp.Name.Name
				}
			}
		}
		if timeName == "" {
			return nil
		}
		ast.Inspect(af, func(n ast.Node) bool {
			if sel, ok := n.(*ast.SelectorExpr); ok {
				if x, ok := sel.X.(*ast.Ident); ok && x.Name == timeName && bannedTime[sel.Sel.Name] {
					t.Errorf("%s uses time.%s: take the time as an argument", path, sel.Sel.Name)
				}
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files < 20 {
		t.Fatalf("checked only %d files", files)
	}
}
