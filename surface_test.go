package tollgate

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestNoMutablePublicState holds the public packages to wazero's rule: a
// public API holds no mutable public symbol (issue 15). An exported
// package-level variable is one any importer can reassign or, for a slice
// or a map, edit in place under every other importer; so the only exported
// variables allowed are error sentinels (var ErrX = errors.New(...)). A
// list is a function returning a fresh slice, a number a constant. And a
// type documented as immutable has no exported fields: its settings are
// read through methods.
//
// The public packages are every package of this module outside internal/
// and outside nested modules (new ones are checked as they appear), plus
// internal/abi, whose build arguments mk/*.mk and abi.json mirror.
func TestNoMutablePublicState(t *testing.T) {
	dirs, err := publicPackageDirs(".")
	if err != nil {
		t.Fatal(err)
	}
	dirs = append(dirs, filepath.Join("internal", "abi"))
	for _, want := range []string{".", "api", filepath.Join("core", "dialplan"), filepath.Join("core", "srsv")} {
		if !slices.Contains(dirs, want) {
			t.Fatalf("the walk found no package in %s (found %q)", want, dirs)
		}
	}
	for _, dir := range dirs {
		found, err := mutableSymbols(dir)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range found {
			t.Error(f)
		}
	}
}

// TestMutableSymbolsFinds proves the check above can fail: it finds each
// kind of mutable public symbol in a package written for the purpose, and
// only those.
func TestMutableSymbolsFinds(t *testing.T) {
	dir := t.TempDir()
	src := `package p

import "errors"

var Names = []string{"a"}
var Index = map[string]int{}
var Limit = 3
var (
	ErrGone        = errors.New("gone")
	ErrAlias error = ErrGone
	hidden         = []string{"fine: unexported"}
	Made           = make([]byte, 4)
)

// Set is compiled and immutable.
type Set struct {
	Doc  []string
	rows []int
}

// Frozen is immutable: nothing exported in it.
type Frozen struct{ rows []int }

// Config is a caller's settings (mutable by design).
type Config struct{ Names []string }
`
	if err := os.WriteFile(filepath.Join(dir, "p.go"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	// Tests may hold what they like.
	if err := os.WriteFile(filepath.Join(dir, "p_test.go"), []byte("package p\n\nvar Fixture = []int{1}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	found, err := mutableSymbols(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range found {
		names = append(names, strings.Fields(f)[0])
	}
	want := []string{"p.Names", "p.Index", "p.Limit", "p.Made", "p.Set.Doc"}
	if !slices.Equal(names, want) {
		t.Fatalf("found %q, want %q:\n%s", names, want, strings.Join(found, "\n"))
	}
	if !strings.Contains(found[0], "p.go:5") {
		t.Errorf("the finding does not say where: %q", found[0])
	}
}

// publicPackageDirs lists the directories under root holding a non-main
// package of root's module that other modules may import.
func publicPackageDirs(root string) ([]string, error) {
	var dirs []string
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			return nil
		}
		name := d.Name()
		if path != root {
			if name == "internal" || name == "testdata" || name == "node_modules" || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") {
				return filepath.SkipDir
			}
			if _, err := os.Stat(filepath.Join(path, "go.mod")); err == nil {
				return filepath.SkipDir // a nested module
			}
		}
		fset := token.NewFileSet()
		files, _ := filepath.Glob(filepath.Join(path, "*.go"))
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") {
				continue
			}
			af, err := parser.ParseFile(fset, f, nil, parser.PackageClauseOnly)
			if err != nil {
				return err
			}
			if af.Name.Name != "main" {
				dirs = append(dirs, path)
			}
			break
		}
		return nil
	})
	return dirs, err
}

// mutableSymbols returns, as "pkg.Name file:line: why", the exported
// package-level variables of dir's package that are not error sentinels,
// and the exported fields of its types whose doc calls them immutable.
func mutableSymbols(dir string) ([]string, error) {
	fset := token.NewFileSet()
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		return nil, err
	}
	var out []string
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		af, err := parser.ParseFile(fset, f, nil, parser.ParseComments|parser.SkipObjectResolution)
		if err != nil {
			return nil, err
		}
		pkg := af.Name.Name
		for _, decl := range af.Decls {
			gd, ok := decl.(*ast.GenDecl)
			if !ok {
				continue
			}
			for _, spec := range gd.Specs {
				switch s := spec.(type) {
				case *ast.ValueSpec:
					if gd.Tok != token.VAR {
						continue
					}
					for i, n := range s.Names {
						if !n.IsExported() || errorSentinel(s, i) {
							continue
						}
						out = append(out, pkg+"."+n.Name+" "+fset.Position(n.Pos()).String()+
							": an exported variable is public mutable state; make it a constant, a function returning a fresh value, or unexported")
					}
				case *ast.TypeSpec:
					doc := s.Doc
					if doc == nil {
						doc = gd.Doc
					}
					st, ok := s.Type.(*ast.StructType)
					if !ok || doc == nil || !strings.Contains(doc.Text(), "immutable") {
						continue
					}
					for _, fld := range st.Fields.List {
						for _, n := range fld.Names {
							if n.IsExported() {
								out = append(out, pkg+"."+s.Name.Name+"."+n.Name+" "+fset.Position(n.Pos()).String()+
									": "+s.Name.Name+" is documented immutable, but any holder can write this field; make it unexported with an accessor")
							}
						}
					}
				}
			}
		}
	}
	return out, nil
}

// errorSentinel reports whether name i of s is an error value: declared
// `error`, made by errors.New or fmt.Errorf, or another package's ErrX.
func errorSentinel(s *ast.ValueSpec, i int) bool {
	if id, ok := s.Type.(*ast.Ident); ok && id.Name == "error" {
		return true
	}
	if s.Type != nil || i >= len(s.Values) || !strings.HasPrefix(s.Names[i].Name, "Err") {
		return false
	}
	switch v := s.Values[i].(type) {
	case *ast.CallExpr:
		sel, ok := v.Fun.(*ast.SelectorExpr)
		if !ok {
			return false
		}
		pkg, ok := sel.X.(*ast.Ident)
		return ok && (pkg.Name == "errors" && sel.Sel.Name == "New" || pkg.Name == "fmt" && sel.Sel.Name == "Errorf")
	case *ast.SelectorExpr:
		return strings.HasPrefix(v.Sel.Name, "Err")
	case *ast.Ident:
		return strings.HasPrefix(v.Name, "Err")
	}
	return false
}
