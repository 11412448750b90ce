package parse_test

import (
	"flag"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/exlog/exlog/parse"
)

var updateREADME = flag.Bool("update-readme", false, "rewrite the README's field table from keys.go")

// declaredKeys reads keys.go: constant name -> (value, doc).
func declaredKeys(t *testing.T) (names []string, val, doc map[string]string) {
	t.Helper()
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "keys.go", nil, parser.ParseComments)
	if err != nil {
		t.Fatal(err)
	}
	val, doc = map[string]string{}, map[string]string{}
	for _, d := range f.Decls {
		g, ok := d.(*ast.GenDecl)
		if !ok || g.Tok != token.CONST {
			continue
		}
		for _, s := range g.Specs {
			vs := s.(*ast.ValueSpec)
			name := vs.Names[0].Name
			if vs.Doc == nil {
				t.Errorf("%s has no doc comment", name)
			}
			lit, ok := vs.Values[0].(*ast.BasicLit)
			if !ok {
				continue // derived keys such as KeyParamPrefix + "cmsname"
			}
			v, _ := strconv.Unquote(lit.Value)
			if prev, dup := val[name]; dup {
				t.Errorf("%s declared twice (%q)", name, prev)
			}
			val[name] = v
			doc[name] = strings.TrimSpace(vs.Doc.Text())
			names = append(names, name)
		}
	}
	return names, val, doc
}

// eventKinds are the quoted values of the Kind* constants.
var eventKinds = map[string]bool{strconv.Quote(parse.KindSetupRun): true}

// keyUses finds string literals used as field keys or kinds in one file.
func keyUses(fset *token.FileSet, f *ast.File) (out []ast.Expr) {
	ast.Inspect(f, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.CallExpr:
			if se, ok := n.Fun.(*ast.SelectorExpr); ok && len(n.Args) > 0 &&
				(se.Sel.Name == "SetField" || se.Sel.Name == "Field") {
				out = append(out, n.Args[0])
			}
		case *ast.IndexExpr:
			if se, ok := n.X.(*ast.SelectorExpr); ok && se.Sel.Name == "Fields" {
				out = append(out, n.Index)
			}
		case *ast.BinaryExpr:
			// Other types have a Kind too, so only literals that spell an
			// event kind count here.
			if se, ok := n.X.(*ast.SelectorExpr); ok && se.Sel.Name == "Kind" {
				if lit, ok := n.Y.(*ast.BasicLit); ok && eventKinds[lit.Value] {
					out = append(out, n.Y)
				}
			}
		}
		return true
	})
	var lits []ast.Expr
	for _, e := range out {
		if lit, ok := e.(*ast.BasicLit); ok && lit.Kind == token.STRING && lit.Value != `""` {
			lits = append(lits, lit)
		}
	}
	return lits
}

// TestKeysSpelledOnce fails when non-test code outside keys.go spells a
// field key or event kind as a string literal, and when a test uses a key
// that keys.go does not declare. The index's own field names (bleve
// documents) are not event keys and live in package index.
func TestKeysSpelledOnce(t *testing.T) {
	_, val, _ := declaredKeys(t)
	declared := map[string]bool{parse.KindSetupRun: true}
	for _, v := range val {
		declared[v] = true
	}
	root := ".."
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if n := d.Name(); n == "testdata" || strings.HasPrefix(n, ".") && path != root {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || filepath.Base(path) == "keys.go" {
			return nil
		}
		rel, _ := filepath.Rel(root, path)
		if strings.HasPrefix(rel, "index"+string(filepath.Separator)) && !strings.Contains(rel, "synth") {
			return nil // bleve document fields, not event keys
		}
		fset := token.NewFileSet()
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			return err
		}
		test := strings.HasSuffix(path, "_test.go")
		for _, e := range keyUses(fset, f) {
			lit := e.(*ast.BasicLit)
			v, _ := strconv.Unquote(lit.Value)
			switch {
			case !test:
				t.Errorf("%s: key %s spelled as a literal; use the constant from parse/keys.go", fset.Position(lit.Pos()), lit.Value)
			case !declared[v] && !strings.HasPrefix(v, "param."):
				t.Errorf("%s: key %s is not declared in parse/keys.go", fset.Position(lit.Pos()), lit.Value)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

const (
	readmeBegin = "<!-- field keys: generated from parse/keys.go by `go test ./parse -run TestREADMEKeys -update-readme` -->"
	readmeEnd   = "<!-- end of field keys -->"
)

// TestREADMEKeys checks the README's table of field keys against keys.go.
func TestREADMEKeys(t *testing.T) {
	names, val, doc := declaredKeys(t)
	sort.SliceStable(names, func(i, j int) bool { return val[names[i]] < val[names[j]] })
	var b strings.Builder
	b.WriteString(readmeBegin + "\n\n| key | holds |\n|---|---|\n")
	for _, n := range names {
		d := doc[n]
		d = strings.TrimPrefix(d, n+" ")
		d = strings.TrimPrefix(d, "holds ")
		d = strings.ReplaceAll(d, "|", `\|`)
		d = strings.Join(strings.Fields(d), " ")
		b.WriteString("| `" + val[n] + "` | " + d + " |\n")
	}
	b.WriteString("\n" + readmeEnd)
	want := b.String()
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Skipf("README.md not found: %v", err)
	}
	s := string(readme)
	i, j := strings.Index(s, readmeBegin), strings.Index(s, readmeEnd)
	if i < 0 || j < i {
		t.Fatalf("README.md lacks the field-key table markers; add\n%s\n%s\nand run with -update-readme", readmeBegin, readmeEnd)
	}
	got := s[i : j+len(readmeEnd)]
	if got == want {
		return
	}
	if *updateREADME {
		if err := os.WriteFile("../README.md", []byte(s[:i]+want+s[j+len(readmeEnd):]), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Errorf("README.md's field-key table differs from parse/keys.go; run go test ./parse -run TestREADMEKeys -update-readme")
}
