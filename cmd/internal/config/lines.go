package config

import (
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// lineOf finds the line of a key path like "users[1].password_file" in the
// node tree; for a path that is absent it returns the line of its nearest
// present ancestor (or 0).
func lineOf(root *yaml.Node, path string) int {
	if root == nil {
		return 0
	}
	n := root
	if n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	line := 0
	for _, part := range splitPath(path) {
		next, keyLine := step(n, part)
		if keyLine > 0 {
			line = keyLine
		}
		if next == nil {
			return line
		}
		n = next
		if keyLine == 0 {
			line = n.Line
		}
	}
	return line
}

// splitPath turns a.b[2].c into ["a", "b", "[2]", "c"].
func splitPath(path string) []string {
	var parts []string
	for _, seg := range strings.Split(path, ".") {
		for seg != "" {
			i := strings.IndexByte(seg, '[')
			switch {
			case i < 0:
				parts = append(parts, seg)
				seg = ""
			case i > 0:
				parts = append(parts, seg[:i])
				seg = seg[i:]
			default:
				j := strings.IndexByte(seg, ']')
				if j < 0 {
					parts = append(parts, seg)
					seg = ""
					continue
				}
				parts = append(parts, seg[:j+1])
				seg = seg[j+1:]
			}
		}
	}
	return parts
}

// step descends one path element, returning the child and the line of the
// mapping key (0 for sequence items).
func step(n *yaml.Node, part string) (*yaml.Node, int) {
	if strings.HasPrefix(part, "[") {
		i, err := strconv.Atoi(strings.Trim(part, "[]"))
		if err != nil || n.Kind != yaml.SequenceNode || i < 0 || i >= len(n.Content) {
			return nil, 0
		}
		return n.Content[i], 0
	}
	if n.Kind != yaml.MappingNode {
		return nil, 0
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == part {
			return n.Content[i+1], n.Content[i].Line
		}
	}
	return nil, 0
}

// depth counts the elements of a key path ("users[0].apis[1]": 4).
func depth(path string) int {
	if path == "" {
		return 0
	}
	return len(splitPath(path))
}

// nodeAt is the value at a key path, nil when absent.
func nodeAt(root *yaml.Node, path string) *yaml.Node {
	if root == nil {
		return nil
	}
	n := root
	if n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	for _, part := range splitPath(path) {
		if n = resolved(n); n == nil {
			return nil
		}
		if n, _ = step(n, part); n == nil {
			return nil
		}
	}
	return resolved(n)
}

func resolved(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && i < maxDepth; i++ {
		n = n.Alias
	}
	return n
}

// given reports whether the file gives a key a value that is not empty.
func (v *validator) given(path string) bool {
	n := nodeAt(v.root, path)
	return n != nil && !(n.Kind == yaml.ScalarNode && (n.Value == "" || isNull(n)))
}
