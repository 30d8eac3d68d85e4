package main

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/stadsnat/accessd/cmd/internal/admin"
	"github.com/stadsnat/accessd/cmd/internal/config"
)

// serveAdmin answers the admin protocol on a unix socket of a temporary
// directory, as accessd would, with one access.
func serveAdmin(t *testing.T) string {
	t.Helper()
	sock := filepath.Join(t.TempDir(), "admin.sock")
	ln, err := admin.Listen(sock, 0o600, "")
	if err != nil {
		t.Fatal(err)
	}
	m := admin.NewMux(slog.New(slog.DiscardHandler))
	m.Handle("GET "+admin.PathAccess+"{id}", func(w http.ResponseWriter, r *http.Request) error {
		if r.PathValue("id") != "A1" {
			return admin.Errorf(http.StatusNotFound, "no access %q", r.PathValue("id"))
		}
		return admin.WriteJSON(w, admin.Access{AccessID: "A1", StreetName: "Testvägen", StreetNumber: "1", PostalCode: "10000",
			City: "Ankeborg", CountryCode: "SE", PremisesType: "RESIDENTIAL_HOUSE", Activatable: "YES", Sellable: "YES",
			Option82: "10.0.0.1 ge-0/0/1", DHCPIdentifier: admin.DHCPIdentifier{IPv4CircuitID: "ge-0/0/1"},
			SalesState: "sellable and deliverable", Seq: 7, Created: time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC),
			Modified: time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)})
	})
	srv := &http.Server{Handler: m, ConnContext: admin.ConnContext}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return sock
}

func runCtl(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(args, strings.NewReader(""), &out, &errOut)
	return code, out.String(), errOut.String()
}

// The global flags may precede the command or follow it.
func TestGlobalFlagsBeforeOrAfterTheCommand(t *testing.T) {
	sock := serveAdmin(t)
	var outs []string
	for _, args := range [][]string{
		{"-socket", sock, "-json", "access", "A1"},
		{"access", "A1", "-json", "-socket", sock},
		{"-socket=" + sock, "access", "--json", "A1"},
		{"access", "A1", "--socket=" + sock, "-json=true"},
	} {
		code, out, errOut := runCtl(t, args...)
		if code != 0 {
			t.Fatalf("accessctl %v: exit %d: %s", args, code, errOut)
		}
		outs = append(outs, out)
	}
	for i, out := range outs[1:] {
		if diff := cmp.Diff(outs[0], out); diff != "" {
			t.Errorf("flags after the command (form %d) print otherwise (-want +got):\n%s", i+2, diff)
		}
	}
	code, out, _ := runCtl(t, "access", "A1", "-socket", sock)
	if code != 0 || !strings.Contains(out, "access           A1") || !strings.Contains(out, "sales state      sellable and deliverable") {
		t.Errorf("accessctl access for people: exit %d\n%s", code, out)
	}
	if code, _, errOut := runCtl(t, "access", "A1", "-socket"); code != 2 || !strings.Contains(errOut, "-socket needs a value") {
		t.Errorf("a global flag without its value: exit %d, %q", code, errOut)
	}
	if code, _, errOut := runCtl(t, "access", "NOPE", "-socket", sock); code != 1 || errOut != "accessctl access: no access \"NOPE\"\n" {
		t.Errorf("an unknown access: exit %d, %q", code, errOut)
	}
}

// accessctl -json access prints every key in camelCase (it once mixed
// the store's Seq and Created with the access's camelCase keys).
func TestJSONAccessIsCamelCase(t *testing.T) {
	sock := serveAdmin(t)
	code, out, errOut := runCtl(t, "-json", "-socket", sock, "access", "A1")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(out), &m); err != nil {
		t.Fatal(err)
	}
	camel := regexp.MustCompile(`^[a-z][a-zA-Z0-9]*$`)
	var check func(v any, where string)
	check = func(v any, where string) {
		if o, ok := v.(map[string]any); ok {
			for k, x := range o {
				if !camel.MatchString(k) {
					t.Errorf("%s: key %q is not camelCase", where, k)
				}
				check(x, where+"."+k)
			}
		}
	}
	check(m, "access")
	for _, k := range []string{"accessId", "seq", "created", "modified", "salesState", "dhcpIdentifier"} {
		if _, ok := m[k]; !ok {
			t.Errorf("accessctl -json access lacks %q:\n%s", k, out)
		}
	}
}

// Without flags accessctl finds the socket in $ACCESSD_SOCKET, else (when
// the packaged daemon's socket is absent) the demo's socket under
// $XDG_RUNTIME_DIR, as `accessd -demo` prints.
func TestSocketWithoutFlags(t *testing.T) {
	sock := serveAdmin(t)
	t.Setenv(config.SocketEnv, sock)
	if code, out, errOut := runCtl(t, "access", "A1"); code != 0 || !strings.Contains(out, "Testvägen") {
		t.Errorf("with %s: exit %d, %q %q", config.SocketEnv, code, out, errOut)
	}
	t.Setenv(config.SocketEnv, "")
	if _, err := os.Stat(config.DefaultAdminSocket); err == nil {
		t.Skipf("%s exists on this machine: accessctl rightly takes it over the demo's", config.DefaultAdminSocket)
	}
	runtime := t.TempDir()
	t.Setenv("XDG_RUNTIME_DIR", runtime)
	if code, _, errOut := runCtl(t, "access", "A1"); code != 1 || !strings.Contains(errOut, config.DefaultAdminSocket) {
		t.Errorf("without any socket: exit %d, %q; want 1 naming %s", code, errOut, config.DefaultAdminSocket)
	}
	demo := config.DemoAdminSocket()
	if want := filepath.Join(runtime, "accessd-demo", "admin.sock"); demo != want {
		t.Fatalf("DemoAdminSocket() = %s, want %s", demo, want)
	}
	if err := os.MkdirAll(filepath.Dir(demo), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(sock, demo); err != nil {
		t.Fatal(err)
	}
	if code, out, errOut := runCtl(t, "access", "A1"); code != 0 || !strings.Contains(out, "Testvägen") {
		t.Errorf("with the demo's socket: exit %d, %q %q", code, out, errOut)
	}
}
