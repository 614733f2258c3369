package app

import (
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// layers are the packages of docs/architecture.md's "Layers", top first:
// a package imports only packages of lower layers. Test helpers
// (internal/…, storage/storagetest, bot/corpus) are imported only by tests
// and the tools in cmd/, and are not listed; a package missing from the list
// fails the test, so that a new one is placed on purpose.
var layers = [][]string{
	{"cmd/banchengshi", "cmd/bcs-dialog", "cmd/bcs-load", "cmd/bcs-load/null", "cmd/bcs-sandbox"},
	{"app"},
	{"handlers", "web", "sandbox"},
	{"intake", "open311"},
	{"notify", "schedule"},
	{"bot", "desk", "sms"},
	{"staff", "notify/queue"},
	{"wecom", "storage", "configs"},
	{"cases", "pii", "metrics"},
}

var testHelpers = map[string]bool{
	"internal/browsertest": true, "internal/clocktest": true, "internal/faultnet": true,
	"storage/storagetest": true, "bot/corpus": true,
}

// Imports only go downwards, as docs/architecture.md draws them.
func TestImportsGoDownTheLayers(t *testing.T) {
	const module = "banchengshi"
	rank := map[string]int{}
	for i, row := range layers {
		for _, p := range row {
			rank[p] = i
		}
	}
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	seen := map[string]bool{}
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if name := d.Name(); path != root && (strings.HasPrefix(name, ".") || name == "testdata") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		rel, err := filepath.Rel(root, filepath.Dir(path))
		if err != nil {
			return err
		}
		pkg := filepath.ToSlash(rel)
		if testHelpers[pkg] {
			return nil
		}
		from, ok := rank[pkg]
		if !ok {
			if !seen[pkg] {
				t.Errorf("package %s is on no layer: place it in docs/architecture.md and in layers", pkg)
			}
			seen[pkg] = true
			return nil
		}
		seen[pkg] = true
		f, err := parser.ParseFile(fset, path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		for _, imp := range f.Imports {
			p, err := strconv.Unquote(imp.Path.Value)
			if err != nil {
				return err
			}
			dep, ours := strings.CutPrefix(p, module+"/")
			if !ours {
				continue
			}
			to, ok := rank[dep]
			switch {
			case testHelpers[dep] && from != 0:
				t.Errorf("%s imports %s: test and load-run helpers serve only tests and the tools in cmd/", fset.Position(imp.Pos()), dep)
			case !ok && !testHelpers[dep] || ok && to <= from:
				t.Errorf("%s imports %s: imports go only to a lower layer", fset.Position(imp.Pos()), dep)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for p := range rank {
		if !seen[p] {
			t.Errorf("layers lists %s, which has no Go files", p)
		}
	}
}
