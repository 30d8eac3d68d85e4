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
	socket     string
	cfg        string
	daemonUser string
	json       bool
	stdin      io.Reader
	stdout     io.Writer
	stderr     io.Writer
	client     *admin.Client
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
	fs.StringVar(&c.socket, "socket", "", "admin socket `path` of accessd (default $"+config.SocketEnv+", else "+
		config.DefaultAdminSocket+", else the demo's "+config.DemoAdminSocket()+")")
	fs.StringVar(&c.cfg, "config", "", "read the admin socket path from accessd's configuration `file`")
	fs.BoolVar(&c.json, "json", false, "print JSON for scripts instead of tables")
	fs.StringVar(&c.daemonUser, "daemon-user", admin.DefaultDaemonUser, "the `user` accessd runs as: accessctl sends nothing to a socket served by anyone but root, you or this user")
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
	name := fs.Arg(0)
	rest, err := takeGlobal(fs, fs.Args()[1:])
	if err != nil {
		fmt.Fprintf(stderr, "accessctl: %v\n", err)
		return 2
	}
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
		c.client = admin.NewClient(path).DaemonUser(c.daemonUser)
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

// takeGlobal takes the global flags out of a command's arguments, so that
// they may follow the command as well as precede it (`accessctl access X
// -json` is `accessctl -json access X`). A "--" ends them: it and what
// follows are the command's.
func takeGlobal(fs *flag.FlagSet, args []string) ([]string, error) {
	var rest []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			return append(rest, args[i:]...), nil
		}
		name, value, hasValue := strings.Cut(strings.TrimPrefix(strings.TrimPrefix(a, "-"), "-"), "=")
		f := fs.Lookup(name)
		if !strings.HasPrefix(a, "-") || f == nil {
			rest = append(rest, a)
			continue
		}
		if b, ok := f.Value.(interface{ IsBoolFlag() bool }); ok && b.IsBoolFlag() && !hasValue {
			value = "true"
		} else if !hasValue {
			if i+1 == len(args) {
				return nil, fmt.Errorf("flag -%s needs a value", name)
			}
			i++
			value = args[i]
		}
		if err := fs.Set(name, value); err != nil {
			return nil, fmt.Errorf("flag -%s: %v", name, err)
		}
	}
	return rest, nil
}

// usageError is a wrong invocation (exit 2).
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return usageError{fmt.Sprintf(format, args...)} }

func usage(w io.Writer, fs *flag.FlagSet) {
	fmt.Fprintf(w, "usage: accessctl [-socket PATH | -config FILE] [-daemon-user USER] [-json] COMMAND [ARGS]\n"+
		"(the flags may also follow the command)\n\ncommands:\n")
	for _, v := range verbs() {
		fmt.Fprintf(w, "  %-10s %-44s %s\n", v.name, v.args, v.help)
	}
	fmt.Fprintf(w, "\nflags:\n")
	fs.PrintDefaults()
}

// socketPath is -socket, else admin.socket of -config, else
// $ACCESSD_SOCKET, else the packaged daemon's socket if it exists, else the
// demo's (accessd -demo) if it exists, else the packaged daemon's.
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
	if env := os.Getenv(config.SocketEnv); env != "" {
		return env, nil
	}
	if _, err := os.Stat(config.DefaultAdminSocket); err != nil {
		if demo := config.DemoAdminSocket(); isSocket(demo) {
			return demo, nil
		}
	}
	return config.DefaultAdminSocket, nil
}

// isSocket reports whether path is a unix socket.
func isSocket(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode()&os.ModeSocket != 0
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
