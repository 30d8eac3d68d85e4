// Command accessctl is the operator's tool for a running accessd: it talks
// to the daemon over its admin unix socket (it never opens the database
// file itself, except `restore` with the daemon stopped). Tables for
// people, -json for scripts; a failure exits non-zero with a one-line
// reason.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"

	"github.com/stadsnat/accessd/cmd/internal/admin"
	"github.com/stadsnat/accessd/cmd/internal/config"
)

// version is stamped at build time with -ldflags "-X main.version=…".
var version = "dev"

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// cli is one invocation.
type cli struct {
	socket string
	cfg    string
	json   bool
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	client *admin.Client
}

// verb is one accessctl command.
type verb struct {
	name  string
	args  string // usage of the arguments
	help  string
	run   func(ctx context.Context, c *cli, args []string) error
	local bool // does not need the daemon
}

func verbs() []verb {
	vs := []verb{
		{name: "status", help: "show the daemon's state, store and subsystems", run: cmdStatus},
		{name: "import", args: "[--format csv|json] [--replace] [--dry-run] FILE", help: "import an inventory file (all or nothing)", run: cmdImport},
		{name: "access", args: "ID", help: "show one access", run: cmdAccess},
		{name: "remove", args: "ID", help: "remove an access (it stays as a tombstone for incremental exports)", run: cmdRemove},
		{name: "backup", args: "FILE", help: "write an online, consistent copy of the store to FILE", run: cmdBackup},
		{name: "restore", args: "FILE", help: "replace the store with a backup (the daemon must be stopped)", run: cmdRestore, local: true},
		{name: "version", help: "print accessctl's version", run: cmdVersion, local: true},
		{name: "help", help: "list the commands", run: cmdHelp, local: true},
	}
	vs = append(vs, extraVerbs()...)
	sort.SliceStable(vs, func(i, j int) bool { return vs[i].name < vs[j].name })
	return vs
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	c := &cli{stdin: stdin, stdout: stdout, stderr: stderr}
	fs := flag.NewFlagSet("accessctl", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.socket, "socket", "", "admin socket `path` of accessd (default "+config.DefaultAdminSocket+")")
	fs.StringVar(&c.cfg, "config", "", "read the admin socket path from accessd's configuration `file`")
	fs.BoolVar(&c.json, "json", false, "print JSON for scripts instead of tables")
	fs.Usage = func() { usage(stderr, fs) }
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() == 0 {
		usage(stderr, fs)
		return 2
	}
	name, rest := fs.Arg(0), fs.Args()[1:]
	var v *verb
	for _, x := range verbs() {
		if x.name == name {
			v = &x
		}
	}
	if v == nil {
		fmt.Fprintf(stderr, "accessctl: unknown command %q (accessctl help lists them)\n", name)
		return 2
	}
	if !v.local {
		path, err := c.socketPath()
		if err != nil {
			fmt.Fprintf(stderr, "accessctl: %v\n", err)
			return 1
		}
		c.socket = path
		c.client = admin.NewClient(path)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := v.run(ctx, c, rest); err != nil {
		var ue usageError
		if errors.As(err, &ue) {
			fmt.Fprintf(stderr, "accessctl %s: %v\nusage: accessctl %s %s\n", v.name, err, v.name, v.args)
			return 2
		}
		fmt.Fprintf(stderr, "accessctl %s: %v\n", v.name, err)
		return 1
	}
	return 0
}

// usageError is a wrong invocation (exit 2).
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return usageError{fmt.Sprintf(format, args...)} }

func usage(w io.Writer, fs *flag.FlagSet) {
	fmt.Fprintf(w, "usage: accessctl [-socket PATH | -config FILE] [-json] COMMAND [ARGS]\n\ncommands:\n")
	for _, v := range verbs() {
		fmt.Fprintf(w, "  %-10s %-44s %s\n", v.name, v.args, v.help)
	}
	fmt.Fprintf(w, "\nflags:\n")
	fs.PrintDefaults()
}

// socketPath is -socket, else admin.socket of -config, else the default.
func (c *cli) socketPath() (string, error) {
	if c.socket != "" && c.cfg != "" {
		return "", errors.New("give -socket or -config, not both")
	}
	if c.socket != "" {
		return c.socket, nil
	}
	if c.cfg != "" {
		path, err := config.AdminSocketOf(c.cfg)
		if err != nil {
			return "", fmt.Errorf("%s: %v", c.cfg, strings.ReplaceAll(err.Error(), "\n", "; "))
		}
		return path, nil
	}
	return config.DefaultAdminSocket, nil
}

func cmdVersion(_ context.Context, c *cli, _ []string) error {
	fmt.Fprintf(c.stdout, "accessctl %s\n", version)
	return nil
}

func cmdHelp(_ context.Context, c *cli, _ []string) error {
	for _, v := range verbs() {
		fmt.Fprintf(c.stdout, "%-10s %-44s %s\n", v.name, v.args, v.help)
	}
	return nil
}
