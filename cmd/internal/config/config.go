// Package config parses accessd's YAML configuration strictly, once, into
// typed values (durations, addresses and prefixes, regular expressions,
// enums): an unknown key, a wrong type or an invalid value is a Problem
// that names the file, the line and the key, and Load reports every
// problem at once rather than the first. Nothing the daemon reads from a
// Config needs parsing again.
//
// Secrets can be given inline or read from files (password_file,
// api_keys_file, …) so they stay out of the main file; Load reads those
// files and a missing or unreadable one is a problem like any other.
//
// Each key declares beside itself whether a reload (SIGHUP) applies it or
// it needs a restart: the struct tag reload:"live" or reload:"restart",
// or reload:"keys" on a section whose keys each say so (see Restart).
//
// The sections are spread over files of this package, one per subsystem
// (http.go, dhcp.go, snmp.go, …); each section has a validate method that
// reports problems by key path, and Load turns the path into a line
// through the parsed YAML node tree.
package config

import (
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"os/user"
	"path/filepath"
	"reflect"
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
	// StoreFile is the name of the store's file in the state directory.
	StoreFile = "accessd.db"
)

// Config is the whole configuration of accessd.
type Config struct {
	StateDir string `yaml:"state_dir" reload:"restart"`
	// Site names this appliance's site in a cluster (cluster.go).
	Site        string      `yaml:"site" reload:"restart"`
	KOID        string      `yaml:"ko_id" reload:"live"`
	Environment Environment `yaml:"environment" reload:"restart"`
	Log         Log         `yaml:"log" reload:"keys"`
	HTTP        HTTP        `yaml:"http" reload:"keys"`
	Admin       Admin       `yaml:"admin" reload:"restart"`
	Users       []User      `yaml:"users" reload:"live"`
	Import      Import      `yaml:"import" reload:"live"`
	Store       Store       `yaml:"store" reload:"keys"`
	DHCP        DHCP        `yaml:"dhcp" reload:"keys"`
	SNMP        SNMP        `yaml:"snmp" reload:"keys"`
	Atlas       Atlas       `yaml:"atlas" reload:"live"`
	Services    []Service   `yaml:"services" reload:"live"`
	Media       []MediaCode `yaml:"media_codes" reload:"live"`
	Activation  Activation  `yaml:"activation" reload:"keys"`
	Upstream    Upstream    `yaml:"upstream" reload:"keys"`
	Cluster     Cluster     `yaml:"cluster" reload:"restart"`
	Path        string      `yaml:"-"` // the file it came from, for messages
}

// StorePath is the store's file.
func (c *Config) StorePath() string { return filepath.Join(c.StateDir, StoreFile) }

// Log configures the daemon's logging.
type Log struct {
	Level  slog.Level `yaml:"level" reload:"live"`
	Format LogFormat  `yaml:"format" reload:"restart"`
}

// Admin configures the local admin socket accessctl talks to. Whatever the
// socket, the daemon lets only root, its own user and the members of
// Group use it (SO_PEERCRED on every connection).
type Admin struct {
	Socket string      `yaml:"socket"`
	Mode   fs.FileMode `yaml:"mode"`  // of the socket, default 0660
	Group  string      `yaml:"group"` // group owning the socket and allowed to use it, default: the daemon's
}

// Store configures the bbolt store.
type Store struct {
	TombstoneRetention Duration `yaml:"tombstone_retention" reload:"live"`
	LockTimeout        Duration `yaml:"lock_timeout" reload:"restart"`
	// MinFreeBytes is the free space on the state directory's file
	// system below which the store goes read-only: reads go on, writes
	// answer 503, and they resume by themselves when there is room.
	MinFreeBytes int64 `yaml:"min_free_bytes" reload:"live"`
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
func Load(path string, opts ...Option) (*Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read configuration: %w", err)
	}
	return Parse(path, b, opts...)
}

// Option changes how a configuration is validated.
type Option func(*options)

type options struct {
	checks []func(*Config) []KeyProblem
}

// KeyProblem is a problem a check outside this package found, by key path
// (e.g. cluster.nats.hub); Load puts it on the key's line.
type KeyProblem struct {
	Path string
	Msg  string
}

// WithCheck adds a check run on the valid, defaulted configuration: the
// rules a subsystem keeps itself (the cluster's) are reported with lines
// like the package's own.
func WithCheck(check func(*Config) []KeyProblem) Option {
	return func(o *options) { o.checks = append(o.checks, check) }
}

// Parse validates a configuration held in memory; name is used in messages
// and relative secret-file paths are resolved against the working directory.
// A value of the wrong type or an unknown key stops there (with every such
// problem and every invalid value); otherwise the invalid values and what
// the validation finds are reported together.
func Parse(name string, b []byte, opts ...Option) (*Config, error) {
	var o options
	for _, f := range opts {
		f(&o)
	}
	root, err := parseYAML(name, b)
	if err != nil {
		return nil, err
	}
	c := &Config{Path: name}
	d := &decoder{file: name}
	d.decode(root, reflect.ValueOf(c).Elem(), "", 0)
	if len(d.structural) > 0 {
		return nil, sortProblems(append(d.structural, d.values...))
	}
	c.applyDefaults()
	v := &validator{c: c, root: root}
	c.validate(v)
	v.readSecrets()
	if ps := append(d.values, v.problems...); len(ps) > 0 {
		return nil, sortProblems(ps)
	}
	for _, check := range o.checks {
		for _, p := range check(c) {
			v.addf(p.Path, "%s", p.Msg)
		}
	}
	if len(v.problems) > 0 {
		return nil, sortProblems(v.problems)
	}
	return c, nil
}

// parseYAML parses the file into its node tree. yaml.v3 reports a syntax
// error only as text ("yaml: line 3: did not find expected key"), with no
// typed form to read the line from: the line is taken from that prefix.
func parseYAML(name string, b []byte) (*yaml.Node, error) {
	var root yaml.Node
	err := yaml.Unmarshal(b, &root)
	if err == nil {
		return &root, nil
	}
	p := Problem{File: name, Msg: strings.TrimPrefix(err.Error(), "yaml: ")}
	if rest, ok := strings.CutPrefix(p.Msg, "line "); ok {
		if num, msg, ok := strings.Cut(rest, ": "); ok {
			if n, err := strconv.Atoi(num); err == nil && n > 0 {
				p.Line, p.Msg = n, msg
			}
		}
	}
	return nil, Problems{p}
}

// sortProblems orders problems by line; on one line, a problem of a whole
// item before those of its keys, else as found.
func sortProblems(ps Problems) Problems {
	sort.SliceStable(ps, func(i, j int) bool {
		if ps[i].Line != ps[j].Line {
			return ps[i].Line < ps[j].Line
		}
		return depth(ps[i].Path) < depth(ps[j].Path)
	})
	return ps
}

// validator collects problems by key path.
type validator struct {
	c           *Config
	root        *yaml.Node
	problems    Problems
	secretFiles []secretFile // read after the validation
}

func (v *validator) addf(path, format string, args ...any) {
	v.problems = append(v.problems, Problem{
		File: v.c.Path,
		Line: lineOf(v.root, path),
		Path: path,
		Msg:  fmt.Sprintf(format, args...),
	})
}

func (v *validator) readSecrets() {
	for _, s := range v.secretFiles {
		b, err := os.ReadFile(s.file)
		if err != nil {
			v.addf(s.path, "%v", err)
			continue
		}
		s.set(strings.TrimRight(string(b), "\r\n"))
	}
}

func (c *Config) applyDefaults() {
	if c.StateDir == "" {
		c.StateDir = DefaultStateDir
	}
	if c.Environment == "" {
		c.Environment = Prod
	}
	if c.Admin.Socket == "" {
		c.Admin.Socket = DefaultAdminSocket
	}
	if c.Admin.Mode == 0 {
		c.Admin.Mode = 0o660
	}
	if c.Log.Format == "" {
		c.Log.Format = LogAuto
	}
	if c.Store.TombstoneRetention == 0 {
		c.Store.TombstoneRetention = Duration(90 * 24 * hour)
	}
	if c.Store.LockTimeout == 0 {
		c.Store.LockTimeout = Duration(5 * second)
	}
	if c.Store.MinFreeBytes == 0 {
		c.Store.MinFreeBytes = 8 << 20
	}
	c.HTTP.applyDefaults()
	c.applyUserDefaults()
	c.DHCP.applyDefaults()
	c.SNMP.applyDefaults()
	c.Atlas.applyDefaults()
	c.applyServiceDefaults()
	c.Activation.applyDefaults()
	c.Upstream.applyDefaults()
	c.Cluster.applyDefaults()
}

func (c *Config) validate(v *validator) {
	if c.KOID != "" && !reID.MatchString(c.KOID) {
		v.addf("ko_id", "%q: use letters, digits, '-' and '.' only (at most 36)", c.KOID)
	}
	if !strings.HasPrefix(c.Admin.Socket, "/") && !strings.HasPrefix(c.Admin.Socket, "@") {
		v.addf("admin.socket", "%q: must be an absolute path (or @name for an abstract socket)", c.Admin.Socket)
	}
	if c.Admin.Group != "" {
		// The group's members may use the admin socket: it must exist.
		if _, err := user.LookupGroup(c.Admin.Group); err != nil {
			v.addf("admin.group", "%q: no such group on this system", c.Admin.Group)
		}
	}
	if !strings.HasPrefix(c.StateDir, "/") {
		v.addf("state_dir", "%q: must be an absolute path", c.StateDir)
	}
	if c.Store.MinFreeBytes < 0 {
		v.addf("store.min_free_bytes", "must not be negative")
	}
	c.HTTP.validate(v)
	c.validateUsers(v)
	c.Import.validate(v)
	c.DHCP.validate(v)
	c.SNMP.validate(v)
	c.Atlas.validate(v)
	c.validateServices(v)
	c.Activation.validate(v)
	c.Upstream.validate(v)
	c.Cluster.validate(v, c.Site)
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
	root, err := parseYAML(path, b)
	if err != nil {
		return "", err
	}
	var c struct {
		Admin struct {
			Socket string `yaml:"socket"`
		} `yaml:"admin"`
	}
	if err := root.Decode(&c); err != nil {
		return "", Problems{{File: path, Line: lineOf(root, "admin.socket"), Path: "admin.socket", Msg: "not text"}}
	}
	if c.Admin.Socket == "" {
		return DefaultAdminSocket, nil
	}
	return c.Admin.Socket, nil
}
