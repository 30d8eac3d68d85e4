package main_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stadsnat/accessd/internal/testkit"
)

// nobody is the unprivileged user (and group) the socket tests run
// accessctl as.
const nobody = "65534"

// sharedDir is a directory of the test that every user may enter (mode
// perm), removed at the end.
func sharedDir(t *testing.T, perm os.FileMode) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "p-security-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, perm); err != nil {
		t.Fatal(err)
	}
	return dir
}

// copyExecutable copies the program at src into dir, executable by all.
func copyExecutable(t *testing.T, src, dir string) string {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	dst := filepath.Join(dir, filepath.Base(src))
	if err := os.WriteFile(dst, b, 0o755); err != nil {
		t.Fatal(err)
	}
	return dst
}

// run runs a command and returns its exit code and output.
func runCmd(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	cmd := exec.Command(args[0], args[1:]...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		return ee.ExitCode(), out.String(), errb.String()
	case err != nil:
		t.Fatalf("%s: %v", strings.Join(args, " "), err)
	}
	return 0, out.String(), errb.String()
}

// asUser prefixes args with setpriv to run them as uid:gid with the given
// supplementary groups (none when empty).
func asUser(uid, gid string, groups []string, args ...string) []string {
	p := []string{"setpriv", "--reuid=" + uid, "--regid=" + gid}
	if len(groups) == 0 {
		p = append(p, "--clear-groups")
	} else {
		p = append(p, "--groups="+strings.Join(groups, ","))
	}
	return append(append(p, "--"), args...)
}

// Issue 12, item 3, against the real daemon: the admin socket checks
// SO_PEERCRED on every connection, an abstract socket (@name) and a path
// socket whose file mode lets anyone connect alike. nobody is refused
// (and changes nothing: an import is not applied); root and a member of
// admin.group may use it. The refusal is logged.
func TestAdminSocketCredentialsRealDaemon(t *testing.T) {
	testkit.SkipShort(t, "builds and runs the daemon")
	testkit.RequireRoot(t, "running accessctl as another user (setpriv)")
	testkit.RequireCommands(t, "setpriv")
	bins := testkit.Binaries(t)
	shared := sharedDir(t, 0o755)
	ctl := copyExecutable(t, bins.Accessctl, shared)
	csv := filepath.Join(shared, "accesses.csv")
	demo, err := os.ReadFile("../../testdata/demo/accesses.csv")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(csv, demo, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, socket string }{
		{"abstract", "@" + testkit.UniqueName("p-security-adm-", 60)},
		{"path, mode 0666", filepath.Join(shared, "admin.sock")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := &e2e{t: t, dir: t.TempDir(), accessd: bins.Accessd, accessct: ctl, base: "http://" + testkit.FreeTCPAddr(t),
				sock: tc.socket, extra: "admin: {socket: \"" + tc.socket + "\", mode: \"0666\", group: users}\n"}
			e.cfg = filepath.Join(e.dir, "accessd.yaml")
			e.writeConfig("")
			e.run()
			code, _, stderr := runCmd(t, asUser(nobody, nobody, nil, ctl, "-socket", tc.socket, "import", csv)...)
			if code != 1 || !strings.Contains(stderr, "may not use accessd's admin socket") {
				t.Errorf("import as nobody: exit %d, %s", code, stderr)
			}
			code, _, stderr = runCmd(t, asUser(nobody, nobody, nil, ctl, "-socket", tc.socket, "status")...)
			if code != 1 || !strings.Contains(stderr, "may not use") {
				t.Errorf("status as nobody: exit %d, %s", code, stderr)
			}
			code, out, stderr := runCmd(t, asUser(nobody, nobody, []string{"100"}, ctl, "-socket", tc.socket, "-json", "status")...)
			if code != 0 || !strings.Contains(out, `"accesses": 0`) {
				t.Errorf("status as nobody in group users (admin.group): exit %d, %s%s", code, out, stderr)
			}
			code, out, stderr = runCmd(t, ctl, "-socket", tc.socket, "-json", "status")
			if code != 0 || !strings.Contains(out, `"accesses": 0`) {
				t.Errorf("status as root: exit %d, %s%s (nobody's import must not have been applied)", code, out, stderr)
			}
			if !strings.Contains(e.proc.Log(), "admin socket: request refused") {
				t.Error("the refusal is not logged")
			}
		})
	}
}

// TestSquatterHelper is not a test: run by TestSquattedSocket as another
// user, it listens on the socket P_SECURITY_SQUAT names, as someone who
// got there first would, and writes to P_SECURITY_SQUAT_REPORT how many
// bytes each client sent it.
func TestSquatterHelper(t *testing.T) {
	sock, report := os.Getenv("P_SECURITY_SQUAT"), os.Getenv("P_SECURITY_SQUAT_REPORT")
	if sock == "" {
		t.Skip("a helper of TestSquattedSocket")
	}
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(report, []byte("listening\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		c.SetReadDeadline(time.Now().Add(2 * time.Second))
		n, _ := io.Copy(io.Discard, c)
		c.Close()
		f, err := os.OpenFile(report, os.O_APPEND|os.O_WRONLY, 0)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(f, "%d\n", n)
		f.Close()
	}
}

// Issue 12, item 3: a socket another user made where accessctl looks (a
// path in a directory anyone may write to, or an abstract name taken
// first) gets nothing from accessctl: it checks who serves the socket
// before it sends a byte, and says so.
func TestSquattedSocket(t *testing.T) {
	testkit.SkipShort(t, "builds the commands")
	testkit.RequireRoot(t, "running a squatter as another user (setpriv)")
	testkit.RequireCommands(t, "setpriv")
	bins := testkit.Binaries(t)
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	tmp := sharedDir(t, 0o1777)
	helper := copyExecutable(t, self, tmp)
	for _, sock := range []string{filepath.Join(tmp, "admin.sock"), "@" + testkit.UniqueName("p-security-squat-", 60)} {
		report := filepath.Join(tmp, "report-"+strings.TrimPrefix(filepath.Base(sock), "@"))
		sq := testkit.NewProcess(t, asUser(nobody, nobody, nil, helper, "-test.run=^TestSquatterHelper$")...)
		sq.Env = []string{"P_SECURITY_SQUAT=" + sock, "P_SECURITY_SQUAT_REPORT=" + report}
		sq.Name = "squatter on " + sock
		sq.Start()
		sq.WaitReady(10*time.Second, func() error {
			if _, err := os.Stat(report); err != nil {
				return err
			}
			return nil
		})
		code, _, stderr := runCmd(t, bins.Accessctl, "-socket", sock, "import", "../../testdata/demo/accesses.csv")
		if code != 1 || !strings.Contains(stderr, "refusing to talk to "+sock+": it is served by uid 65534") {
			t.Errorf("accessctl import to a squatted %s: exit %d, %s", sock, code, stderr)
		}
		time.Sleep(2500 * time.Millisecond) // the helper's read deadline
		sq.Stop()
		got, err := os.ReadFile(report)
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range strings.Split(strings.TrimSpace(string(got)), "\n")[1:] {
			if l != "0" {
				t.Errorf("the squatter on %s received %s bytes", sock, l)
			}
		}
	}
}
