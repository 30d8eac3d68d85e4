// Package config parses accessd's YAML configuration strictly into typed
// values: an unknown key, a wrong type or an invalid value is a Problem that
// names the file, the line and the key, and Load reports every problem at
// once rather than the first.
//
// Secrets can be given inline or read from files (password_file,
// api_keys_file, …) so they stay out of the main file; Load reads those files
// and a missing or unreadable one is a problem like any other.
//
// The sections are spread over files of this package, one per subsystem
// (http.go, dhcp.go, snmp.go, …); each section has a validate method that
// reports problems by key path, and Load turns the path into a line through
// the parsed YAML node tree.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Defaults used when a key is absent.
const (
	DefaultPath        = "/etc/accessd/accessd.yaml"
	DefaultStateDir    = "/var/lib/accessd"
	DefaultAdminSocket = "/run/accessd/admin.sock"
	DefaultHTTPListen  = "127.0.0.1:8067"
)

// Config is the whole configuration of accessd.
type Config struct {
	StateDir    string       `yaml:"state_dir"`
	KOID        string       `yaml:"ko_id"`
	Environment string       `yaml:"environment"`
	Log         Log          `yaml:"log"`
	HTTP        HTTP         `yaml:"http"`
	Admin       Admin        `yaml:"admin"`
	Users       []User       `yaml:"users"`
	Import      Import       `yaml:"import"`
	Store       Store        `yaml:"store"`
	DHCP        DHCP         `yaml:"dhcp"`
	SNMP        SNMP         `yaml:"snmp"`
	Atlas       Atlas        `yaml:"atlas"`
	Services    []Service    `yaml:"services"`
	Media       []MediaCode  `yaml:"media_codes"`
	Activation  Activation   `yaml:"activation"`
	Path        string       `yaml:"-"` // the file it came from, for messages
	Raw         []byte       `yaml:"-"` // the file's bytes
	root        *yaml.Node   // for line look-ups
	secretFiles []secretFile // read by Load after decoding
}

// Log configures the daemon's logging.
type Log struct {
	Level  string `yaml:"level"`  // debug | info | warn | error
	Format string `yaml:"format"` // auto | text | json | journal
}

// Admin configures the local admin socket accessctl talks to.
type Admin struct {
	Socket string `yaml:"socket"`
	Mode   string `yaml:"mode"`  // octal file mode of the socket, default 0660
	Group  string `yaml:"group"` // group owning the socket, default: the daemon's
}

// Store configures the bbolt store.
type Store struct {
	TombstoneRetention Duration `yaml:"tombstone_retention"`
	LockTimeout        Duration `yaml:"lock_timeout"`
}

// Problem is one thing wrong with a configuration.
type Problem struct {
	File string
	Line int    // 0 when unknown
	Path string // key path, e.g. users[0].password_file
	Msg  string
}

func (p Problem) String() string {
	var b strings.Builder
	b.WriteString(p.File)
	if p.Line > 0 {
		fmt.Fprintf(&b, ":%d", p.Line)
	}
	b.WriteString(": ")
	if p.Path != "" {
		b.WriteString(p.Path)
		b.WriteString(": ")
	}
	b.WriteString(p.Msg)
	return b.String()
}

// Problems is the error Load returns: every problem found, in line order.
type Problems []Problem

func (ps Problems) Error() string {
	lines := make([]string, len(ps))
	for i, p := range ps {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

// Load reads and validates the configuration file at path.
func Load(path string) (*Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read configuration: %w", err)
	}
	return Parse(path, b)
}

// Parse validates a configuration held in memory; name is used in messages
// and relative secret-file paths are resolved against the working directory.
func Parse(name string, b []byte) (*Config, error) {
	c := &Config{Path: name, Raw: b}
	var ps Problems
	var root yaml.Node
	if err := yaml.Unmarshal(b, &root); err != nil {
		return nil, Problems{yamlProblem(name, err)}
	}
	c.root = &root
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(c); err != nil && !errors.Is(err, io.EOF) {
		var te *yaml.TypeError
		if !errors.As(err, &te) {
			return nil, Problems{yamlProblem(name, err)}
		}
		for _, m := range te.Errors {
			ps = append(ps, typeProblem(name, m))
		}
	}
	if len(ps) > 0 {
		sortProblems(ps)
		return nil, ps
	}
	c.applyDefaults()
	v := &validator{c: c}
	c.validate(v)
	c.readSecrets(v)
	ps = append(ps, v.problems...)
	if len(ps) > 0 {
		sortProblems(ps)
		return nil, ps
	}
	return c, nil
}

func sortProblems(ps Problems) {
	sort.SliceStable(ps, func(i, j int) bool { return ps[i].Line < ps[j].Line })
}

var (
	reLine     = regexp.MustCompile(`^(?:yaml: )?line (\d+): (.*)$`)
	reNotFound = regexp.MustCompile(`^field (\S+) not found in type (\S+)$`)
	reUnmarsh  = regexp.MustCompile("^cannot unmarshal !!(\\w+) `(.*)` into (\\S+)$")
)

// typeProblem rewrites yaml.v3's type errors, which name Go types, into
// messages about keys and values.
func typeProblem(file, msg string) Problem {
	p := Problem{File: file, Msg: msg}
	if m := reLine.FindStringSubmatch(msg); m != nil {
		p.Line, _ = strconv.Atoi(m[1])
		p.Msg = m[2]
	}
	if m := reNotFound.FindStringSubmatch(p.Msg); m != nil {
		p.Msg = fmt.Sprintf("unknown key %q", m[1])
	} else if m := reUnmarsh.FindStringSubmatch(p.Msg); m != nil {
		p.Msg = fmt.Sprintf("%s %q where %s was expected", kindName(m[1]), m[2], typeName(m[3]))
	}
	return p
}

func kindName(tag string) string {
	switch tag {
	case "str":
		return "text"
	case "int", "float":
		return "number"
	case "bool":
		return "boolean"
	case "seq":
		return "a list"
	case "map":
		return "a mapping"
	}
	return tag
}

func typeName(goType string) string {
	switch {
	case strings.HasPrefix(goType, "[]"):
		return "a list"
	case strings.HasPrefix(goType, "map["):
		return "a mapping"
	case strings.HasPrefix(goType, "int"), strings.HasPrefix(goType, "uint"), strings.HasPrefix(goType, "float"):
		return "a number"
	case goType == "bool":
		return "true or false"
	case goType == "string":
		return "text"
	}
	return "a mapping"
}

func yamlProblem(file string, err error) Problem {
	msg := err.Error()
	p := Problem{File: file, Msg: msg}
	if m := reLine.FindStringSubmatch(msg); m != nil {
		p.Line, _ = strconv.Atoi(m[1])
		p.Msg = m[2]
	}
	return p
}

// validator collects problems by key path.
type validator struct {
	c        *Config
	problems Problems
}

func (v *validator) addf(path, format string, args ...any) {
	v.problems = append(v.problems, Problem{
		File: v.c.Path,
		Line: lineOf(v.c.root, path),
		Path: path,
		Msg:  fmt.Sprintf(format, args...),
	})
}

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

func (c *Config) applyDefaults() {
	if c.StateDir == "" {
		c.StateDir = DefaultStateDir
	}
	if c.Environment == "" {
		c.Environment = "prod"
	}
	if c.Admin.Socket == "" {
		c.Admin.Socket = DefaultAdminSocket
	}
	if c.Admin.Mode == "" {
		c.Admin.Mode = "0660"
	}
	if c.Log.Level == "" {
		c.Log.Level = "info"
	}
	if c.Log.Format == "" {
		c.Log.Format = "auto"
	}
	if c.Store.TombstoneRetention == 0 {
		c.Store.TombstoneRetention = Duration(90 * 24 * hour)
	}
	if c.Store.LockTimeout == 0 {
		c.Store.LockTimeout = Duration(5 * second)
	}
	c.HTTP.applyDefaults()
	c.DHCP.applyDefaults()
	c.SNMP.applyDefaults()
	c.Atlas.applyDefaults()
	c.Activation.applyDefaults()
}

func (c *Config) validate(v *validator) {
	if c.KOID != "" && !reID.MatchString(c.KOID) {
		v.addf("ko_id", "%q: use letters, digits, '-' and '.' only (at most 36)", c.KOID)
	}
	if c.Environment != "test" && c.Environment != "prod" {
		v.addf("environment", "%q: must be test or prod", c.Environment)
	}
	switch c.Log.Level {
	case "debug", "info", "warn", "error":
	default:
		v.addf("log.level", "%q: must be debug, info, warn or error", c.Log.Level)
	}
	switch c.Log.Format {
	case "auto", "text", "json", "journal":
	default:
		v.addf("log.format", "%q: must be auto, text, json or journal", c.Log.Format)
	}
	if _, err := strconv.ParseUint(c.Admin.Mode, 8, 32); err != nil {
		v.addf("admin.mode", "%q: must be an octal file mode such as 0660", c.Admin.Mode)
	}
	if !strings.HasPrefix(c.Admin.Socket, "/") && !strings.HasPrefix(c.Admin.Socket, "@") {
		v.addf("admin.socket", "%q: must be an absolute path (or @name for an abstract socket)", c.Admin.Socket)
	}
	if !strings.HasPrefix(c.StateDir, "/") {
		v.addf("state_dir", "%q: must be an absolute path", c.StateDir)
	}
	c.HTTP.validate(v)
	c.validateUsers(v)
	c.Import.validate(v)
	c.DHCP.validate(v)
	c.SNMP.validate(v)
	c.Atlas.validate(v)
	c.validateServices(v)
	c.Activation.validate(v)
}

var reID = regexp.MustCompile(`^[-0-9a-zA-Z.]{1,36}$`)

// AdminSocketOf reads only admin.socket from the configuration file at
// path (default when absent), without validating the rest or reading
// secret files: what accessctl -config needs, even as a user who may not
// read the secrets.
func AdminSocketOf(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("read configuration: %w", err)
	}
	var c struct {
		Admin struct {
			Socket string `yaml:"socket"`
		} `yaml:"admin"`
	}
	if err := yaml.Unmarshal(b, &c); err != nil {
		return "", Problems{yamlProblem(path, err)}
	}
	if c.Admin.Socket == "" {
		return DefaultAdminSocket, nil
	}
	return c.Admin.Socket, nil
}
