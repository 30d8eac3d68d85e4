// Package portmatch finds an access's switch port among a switch's
// interfaces: it splits the inventory's Option82 text into switch and port,
// and matches the port name against ifName, then ifDescr, then ifAlias,
// after an optional rewrite per switch group (for example circuit
// "Gi1/0/3" ⇔ ifName "GigabitEthernet1/0/3"). It is pure: no I/O.
package portmatch

import (
	"errors"
	"fmt"
	"net/netip"
	"path"
	"regexp"
	"slices"
	"strings"
)

// SplitOption82 splits an inventory Option82 text "192.168.248.85
// ge-0/0/10" into the switch (its management address, the first word) and
// the port (the rest, trimmed). A text without a space names no switch: ok
// is false and port is the trimmed text.
func SplitOption82(text string) (sw, port string, ok bool) {
	text = strings.TrimSpace(text)
	sw, port, ok = strings.Cut(text, " ")
	if !ok {
		return "", text, false
	}
	port = strings.TrimSpace(port)
	if port == "" {
		return "", sw, false
	}
	return sw, port, true
}

// Rewrite turns a port name as the inventory writes it into the name the
// switch uses: a regular expression, matched against the whole name, and
// its replacement (with $1-style references, as regexp.Expand).
type Rewrite struct {
	re          *regexp.Regexp
	replacement string
}

// NewRewrite compiles a rewrite. The pattern is anchored at both ends.
func NewRewrite(pattern, replacement string) (Rewrite, error) {
	re, err := regexp.Compile(`^(?:` + pattern + `)$`)
	if err != nil {
		return Rewrite{}, fmt.Errorf("port rewrite %q: %w", pattern, err)
	}
	return Rewrite{re: re, replacement: replacement}, nil
}

// Apply returns the rewritten name and whether the pattern matched.
func (r Rewrite) Apply(name string) (string, bool) {
	if r.re == nil {
		return name, false
	}
	m := r.re.FindStringSubmatchIndex(name)
	if m == nil {
		return name, false
	}
	return string(r.re.ExpandString(nil, r.replacement, name, m)), true
}

// String returns the rewrite as "pattern => replacement".
func (r Rewrite) String() string {
	if r.re == nil {
		return ""
	}
	p := strings.TrimSuffix(strings.TrimPrefix(r.re.String(), "^(?:"), ")$")
	return p + " => " + r.replacement
}

// Candidates returns the names to look for: the name itself and, if one of
// the rewrites matches (the first that does), its rewritten form.
func Candidates(name string, rewrites []Rewrite) []string {
	out := []string{name}
	for _, r := range rewrites {
		if n, ok := r.Apply(name); ok {
			if n != name {
				out = append(out, n)
			}
			break
		}
	}
	return out
}

// Field is the interface column a port matched on.
type Field string

// The fields, in matching order.
const (
	ByName  Field = "ifName"
	ByDescr Field = "ifDescr"
	ByAlias Field = "ifAlias"
)

// Interface is what matching needs to know about one interface.
type Interface struct {
	IfIndex int
	Name    string
	Descr   string
	Alias   string
}

// Match is a found port.
type Match struct {
	IfIndex int
	By      Field
	// Looked is the candidate name that matched (the rewritten one if the
	// rewrite made the difference).
	Looked string
}

// ErrNotFound: no interface has the name in any field.
var ErrNotFound = errors.New("no interface has this name")

// AmbiguousError: the first field in which the name was found names it
// more than once (typically ifAlias).
type AmbiguousError struct {
	Name     string
	By       Field
	IfIndexs []int
}

func (e *AmbiguousError) Error() string {
	return fmt.Sprintf("%s %q names %d interfaces (ifIndex %v)", e.By, e.Name, len(e.IfIndexs), e.IfIndexs)
}

// Index finds interfaces by name. Build it once per walk with NewIndex.
type Index struct {
	exact map[Field]map[string][]int
	fold  map[Field]map[string][]int
}

// NewIndex indexes ifs by ifName, ifDescr and ifAlias (empty values are
// not indexed).
func NewIndex(ifs []Interface) *Index {
	ix := &Index{exact: map[Field]map[string][]int{}, fold: map[Field]map[string][]int{}}
	for _, f := range []Field{ByName, ByDescr, ByAlias} {
		ix.exact[f], ix.fold[f] = map[string][]int{}, map[string][]int{}
	}
	for _, i := range ifs {
		for f, v := range map[Field]string{ByName: i.Name, ByDescr: i.Descr, ByAlias: i.Alias} {
			if v = strings.TrimSpace(v); v == "" {
				continue
			}
			ix.exact[f][v] = appendUnique(ix.exact[f][v], i.IfIndex)
			k := strings.ToLower(v)
			ix.fold[f][k] = appendUnique(ix.fold[f][k], i.IfIndex)
		}
	}
	return ix
}

func appendUnique(s []int, v int) []int {
	if slices.Contains(s, v) {
		return s
	}
	return append(s, v)
}

// Find looks for the port: for each field in the order ifName, ifDescr,
// ifAlias, each candidate (the name, then its rewrite) exactly; then the
// same again ignoring case. The first field and candidate that names
// exactly one interface wins; one that names several is an
// *AmbiguousError (a later field is not tried: the switch is
// misconfigured and guessing would be worse). No match is ErrNotFound.
func (ix *Index) Find(port string, rewrites []Rewrite) (Match, error) {
	cands := Candidates(strings.TrimSpace(port), rewrites)
	for _, fold := range []bool{false, true} {
		for _, f := range []Field{ByName, ByDescr, ByAlias} {
			for _, c := range cands {
				m, key := ix.exact[f], c
				if fold {
					m, key = ix.fold[f], strings.ToLower(c)
				}
				switch hits := m[key]; len(hits) {
				case 0:
					continue
				case 1:
					return Match{IfIndex: hits[0], By: f, Looked: c}, nil
				default:
					s := slices.Clone(hits)
					slices.Sort(s)
					return Match{}, &AmbiguousError{Name: c, By: f, IfIndexs: s}
				}
			}
		}
	}
	return Match{}, fmt.Errorf("port %q: %w", port, ErrNotFound)
}

// Group splits inventory Option82 texts into the port names wanted per
// switch (sorted, without duplicates), for feeding the poller. Texts that
// name no switch (no space) are returned apart, sorted, for reporting.
func Group(texts []string) (bySwitch map[string][]string, noSwitch []string) {
	bySwitch = make(map[string][]string)
	seen := make(map[[2]string]bool)
	for _, text := range texts {
		sw, port, ok := SplitOption82(text)
		if !ok {
			if port != "" && !slices.Contains(noSwitch, port) {
				noSwitch = append(noSwitch, port)
			}
			continue
		}
		if k := [2]string{sw, port}; !seen[k] {
			seen[k] = true
			bySwitch[sw] = append(bySwitch[sw], port)
		}
	}
	for _, ports := range bySwitch {
		slices.Sort(ports)
	}
	slices.Sort(noSwitch)
	return bySwitch, noSwitch
}

// SwitchMatch makes an inventory switch a member of a group: a CIDR that
// holds the switch's address ("10.1.0.0/16"), or a name pattern of the
// inventory's switch name ("cisco-*", path.Match syntax). It is parsed
// once, by ParseSwitchMatch.
type SwitchMatch struct {
	prefix  netip.Prefix
	pattern string
}

// ParseSwitchMatch reads a CIDR or a name pattern.
func ParseSwitchMatch(s string) (SwitchMatch, error) {
	if p, err := netip.ParsePrefix(s); err == nil {
		return SwitchMatch{prefix: p.Masked()}, nil
	}
	if _, err := path.Match(s, ""); err != nil || s == "" {
		return SwitchMatch{}, fmt.Errorf("%q is neither a CIDR nor a name pattern", s)
	}
	return SwitchMatch{pattern: s}, nil
}

// MustSwitchMatch is ParseSwitchMatch for tests and literals; it panics
// on a bad match.
func MustSwitchMatch(s string) SwitchMatch {
	m, err := ParseSwitchMatch(s)
	if err != nil {
		panic(err)
	}
	return m
}

// Matches reports whether the switch named name, polled at addr (valid or
// not), is a member.
func (m SwitchMatch) Matches(name string, addr netip.Addr) bool {
	if m.prefix.IsValid() {
		return addr.IsValid() && m.prefix.Contains(addr.Unmap())
	}
	ok, _ := path.Match(m.pattern, name)
	return ok
}

// String is the match as it was written.
func (m SwitchMatch) String() string {
	if m.prefix.IsValid() {
		return m.prefix.String()
	}
	return m.pattern
}
