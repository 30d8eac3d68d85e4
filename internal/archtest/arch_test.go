package archtest

import (
	"bytes"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

const module = "github.com/stadsnat/accessd"

// root is the module's root directory.
func root(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "go.mod")); err != nil {
		t.Fatalf("module root: %v", err)
	}
	return dir
}

// deps lists, for every package of the module, the module's packages it
// depends on (directly or not), without the module prefix.
func deps(t *testing.T) map[string][]string {
	t.Helper()
	cmd := exec.Command("go", "list", "-deps=false", "-f", `{{.ImportPath}}{{range .Deps}} {{.}}{{end}}`, "./...")
	cmd.Dir = root(t)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	m := map[string][]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(line)
		pkg := strings.TrimPrefix(strings.TrimPrefix(f[0], module), "/")
		for _, d := range f[1:] {
			if rest, ok := strings.CutPrefix(d, module+"/"); ok {
				m[pkg] = append(m[pkg], rest)
			}
		}
	}
	return m
}

func under(pkg, dir string) bool { return pkg == dir || strings.HasPrefix(pkg, dir+"/") }

// The store is the database: nothing under store/ depends on the DHCP or
// SNMP domains, the APIs or the commands; accessctl knows the daemon only
// through the admin protocol, never the store; the API packages and the
// domains never depend on the commands.
func TestImportRules(t *testing.T) {
	rules := []struct {
		from  string
		never []string
		why   string
	}{
		{"store", []string{"dhcp", "snmp", "api", "cmd"}, "the store is the database and imports no domain package"},
		{"cmd/accessctl", []string{"store"}, "accessctl speaks the admin protocol, never the store's types"},
		{"api", []string{"cmd"}, "the API groups are built by the daemon, not the other way round"},
		{"dhcp", []string{"cmd", "snmp"}, "the DHCP domain stands on its own"},
		{"snmp", []string{"cmd", "dhcp"}, "the SNMP domain stands on its own"},
	}
	for pkg, ds := range deps(t) {
		for _, r := range rules {
			if !under(pkg, r.from) {
				continue
			}
			for _, d := range ds {
				for _, n := range r.never {
					if under(d, n) && !strings.HasSuffix(pkg, "test") && !under(d, "internal/testkit") {
						t.Errorf("%s depends on %s: %s", pkg, d, r.why)
					}
				}
			}
		}
	}
}

// goFiles lists the module's Go files that go builds (not testdata).
func goFiles(t *testing.T) []string {
	t.Helper()
	var files []string
	dir := root(t)
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".")) && p != dir {
			return filepath.SkipDir
		}
		if !d.IsDir() && strings.HasSuffix(p, ".go") {
			files = append(files, p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// No non-test file over 500 lines, no function over 80 lines once its
// table literals (composite literals of 8 elements or more) are left out.
func TestSizes(t *testing.T) {
	dir := root(t)
	for _, p := range goFiles(t) {
		if strings.HasSuffix(p, "_test.go") {
			continue
		}
		rel, _ := filepath.Rel(dir, p)
		fs := token.NewFileSet()
		f, err := parser.ParseFile(fs, p, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		if n := fs.File(f.Pos()).LineCount(); n > 500 {
			t.Errorf("%s: %d lines (at most 500)", rel, n)
		}
		for _, d := range f.Decls {
			fd, ok := d.(*ast.FuncDecl)
			if !ok || fd.Body == nil {
				continue
			}
			if n := funcLines(fs, fd); n > 80 {
				t.Errorf("%s: func %s has %d lines without its tables (at most 80)", rel, fd.Name.Name, n)
			}
		}
	}
}

// funcLines counts a function's lines, less those of the table literals
// in it.
func funcLines(fs *token.FileSet, fd *ast.FuncDecl) int {
	n := fs.Position(fd.End()).Line - fs.Position(fd.Pos()).Line + 1
	ast.Inspect(fd.Body, func(x ast.Node) bool {
		cl, ok := x.(*ast.CompositeLit)
		if !ok || len(cl.Elts) < 8 {
			return true
		}
		n -= fs.Position(cl.End()).Line - fs.Position(cl.Pos()).Line
		return false
	})
	return n
}

// The daemon package holds process concerns only: well under 1,000 lines.
func TestDaemonPackageSize(t *testing.T) {
	dir := filepath.Join(root(t), "cmd", "accessd", "internal", "daemon")
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	total := 0
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		total += bytes.Count(b, []byte("\n"))
	}
	if total >= 1000 {
		t.Errorf("cmd/accessd/internal/daemon has %d non-test lines (under 1,000)", total)
	}
}

// Every package says what it is for.
func TestPackageDocs(t *testing.T) {
	dir := root(t)
	docs := map[string]bool{}
	seen := map[string]bool{}
	for _, p := range goFiles(t) {
		if strings.HasSuffix(p, "_test.go") {
			continue
		}
		pkgDir := filepath.Dir(p)
		seen[pkgDir] = true
		f, err := parser.ParseFile(token.NewFileSet(), p, nil, parser.PackageClauseOnly|parser.ParseComments)
		if err != nil {
			t.Fatal(err)
		}
		if f.Doc != nil && strings.TrimSpace(f.Doc.Text()) != "" {
			docs[pkgDir] = true
		}
	}
	for d := range seen {
		if !docs[d] {
			rel, _ := filepath.Rel(dir, d)
			t.Errorf("package %s has no package doc", rel)
		}
	}
}

// The repository stands alone: nothing it holds points to the shared
// folder beside the checkout that a user of it does not have.
func TestNothingPointsOutside(t *testing.T) {
	dir := root(t)
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not found")
	}
	cmd := exec.Command("git", "grep", "-n", "-I", "-e", `\.\./shared`, "--", ".")
	cmd.Dir = dir
	out, err := cmd.Output()
	if err == nil && len(out) > 0 {
		t.Errorf("the repository points outside itself:\n%s", out)
	}
}
