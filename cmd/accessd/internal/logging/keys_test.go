package logging

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

// aliases are attribute keys that name an access, an order, a switch or a
// port under another name than NOCFields gives: a line logged with them
// would not be found by `journalctl ACCESS_ID=…`.
var aliases = map[string]string{
	"access": "access_id", "accessId": "access_id", "accessID": "access_id", "accessid": "access_id", "access_ID": "access_id",
	"order": "order_id", "orderId": "order_id", "orderID": "order_id", "local_order": "order_id",
	"switch_addr": "switch", "switch_address": "switch", "port_name": "port",
}

// Every log call of the repository names accesses, orders, switches and
// ports with the keys of NOCFields: a look at the source of every
// Debug/Info/Warn/Error/Log/With call with literal keys.
func TestLogKeysAreConsistent(t *testing.T) {
	root := filepath.Join("..", "..", "..", "..")
	fset := token.NewFileSet()
	calls := 0
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == ".git" || d.Name() == "testdata") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			return err
		}
		ast.Inspect(f, func(n ast.Node) bool {
			for _, k := range logKeys(n) {
				calls++
				if want, bad := aliases[k.Value]; bad {
					t.Errorf("%s: log attribute %q: use %q (the journal field %s)", fset.Position(k.Pos()), k.Value, want, NOCFields[want])
				}
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if calls < 100 {
		t.Fatalf("only %d log attributes found: the scan is broken", calls)
	}
}

// literal is a string literal's value and position.
type literal struct {
	Value string
	pos   token.Pos
}

func (l literal) Pos() token.Pos { return l.pos }

// logKeys returns the literal attribute keys of a log call (x.Info(msg,
// k, v, …), x.Log(ctx, level, msg, k, v, …), x.With(k, v, …)).
func logKeys(n ast.Node) []literal {
	c, ok := n.(*ast.CallExpr)
	if !ok {
		return nil
	}
	sel, ok := c.Fun.(*ast.SelectorExpr)
	if !ok {
		return nil
	}
	first := map[string]int{"Debug": 1, "Info": 1, "Warn": 1, "Error": 1, "Log": 3, "With": 0}
	start, ok := first[sel.Sel.Name]
	if !ok || len(c.Args) <= start {
		return nil
	}
	var out []literal
	for i := start; i < len(c.Args); i += 2 {
		bl, ok := c.Args[i].(*ast.BasicLit)
		if !ok || bl.Kind != token.STRING {
			return out // a slog.Attr or a computed key: pairs no longer line up
		}
		v, err := strconv.Unquote(bl.Value)
		if err != nil {
			return out
		}
		out = append(out, literal{v, bl.Pos()})
	}
	return out
}
