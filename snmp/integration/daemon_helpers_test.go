package integration

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stadsnat/accessd/internal/testkit"
)

// accessd is the real daemon, built from this tree, run as a process.
type accessd struct {
	t    *testing.T
	dir  string
	bin  string // directory with accessd and accessctl
	base string // http://127.0.0.1:port
	sock string
	cfg  string // the configuration file
	head string // the configuration before "snmp:"
	proc *testkit.Process
}

// startAccessd writes a configuration with the given snmp section
// (indented two spaces under "snmp:") and runs the daemon until the test
// ends, which must stop it cleanly.
func startAccessd(t *testing.T, bin, snmpYAML string) *accessd {
	t.Helper()
	dir := t.TempDir()
	addr := testkit.FreeTCPAddr(t)
	a := &accessd{t: t, dir: dir, bin: bin, base: "http://" + addr, sock: filepath.Join(dir, "admin.sock")}
	a.head = fmt.Sprintf(`state_dir: %s
ko_id: ADT
log: {level: debug, format: text}
http: {listen: ["%s"]}
admin: {socket: %s, mode: "0600"}
users:
  - {name: sp, password: pw, apis: [pi-api, on-api]}
`, filepath.Join(dir, "state"), addr, a.sock)
	a.cfg = filepath.Join(dir, "accessd.yaml")
	a.writeSNMP(snmpYAML)
	a.proc = testkit.NewProcess(t, filepath.Join(bin, "accessd"), "-config", a.cfg)
	a.proc.CleanExit = true
	a.proc.Start()
	a.proc.WaitReady(20*time.Second, testkit.HTTPReady(a.base+"/readyz"))
	return a
}

// writeSNMP writes the configuration with this snmp section.
func (a *accessd) writeSNMP(snmpYAML string) {
	a.t.Helper()
	if err := os.WriteFile(a.cfg, []byte(a.head+"snmp:\n"+snmpYAML), 0o600); err != nil {
		a.t.Fatal(err)
	}
}

// reload writes a new snmp section and sends SIGHUP.
func (a *accessd) reload(snmpYAML string) {
	a.t.Helper()
	a.writeSNMP(snmpYAML)
	a.proc.Signal(syscall.SIGHUP)
}

// ctl runs accessctl; it fails the test on a non-zero exit.
func (a *accessd) ctl(args ...string) string {
	a.t.Helper()
	cmd := exec.Command(filepath.Join(a.bin, "accessctl"), append([]string{"-socket", a.sock}, args...)...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		a.t.Fatalf("accessctl %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// importPorts imports one access per port, Option82 "SWITCH PORT" (an
// upsert), and returns their ids by port: ADT0000 for the first port of
// the switch, and so on.
func (a *accessd) importPorts(sw string, ports []string) map[string]string {
	a.t.Helper()
	return a.importSome(sw, ports, 0)
}

// importSome imports ports, numbering their accesses from first.
func (a *accessd) importSome(sw string, ports []string, first int) map[string]string {
	a.t.Helper()
	var b strings.Builder
	b.WriteString("accessId,streetName,streetNumber,postalCode,city,countryCode,premisesType,option82,activationDate,salesStartDate\n")
	ids := map[string]string{}
	for j, p := range ports {
		i := first + j
		id := fmt.Sprintf("ADT%04d", i)
		ids[p] = id
		fmt.Fprintf(&b, "%s,Labbgatan,%d,12345,Labbstad,SE,RESIDENTIAL_HOUSE,%s %s,YES,YES\n", id, i+1, sw, p)
	}
	path := filepath.Join(a.dir, "inventory.csv")
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		a.t.Fatal(err)
	}
	a.ctl("import", path)
	return ids
}

type reply struct {
	status int
	header http.Header
	body   string
}

func (a *accessd) get(path string) reply {
	a.t.Helper()
	req, _ := http.NewRequest("GET", a.base+path, nil)
	req.SetBasicAuth("sp", "pw")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		a.t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return reply{resp.StatusCode, resp.Header, string(b)}
}

// piLink is a PI-API link answer.
type piLink struct {
	Link string `json:"link"`
	Up   *struct {
		Since   string            `json:"since"`
		Mbps    uint64            `json:"mbps"`
		Clients []json.RawMessage `json:"clients"`
	} `json:"up"`
}

// link reads the PI-API link of an access: the status and the answer.
func (a *accessd) link(id string) (int, piLink, string) {
	a.t.Helper()
	r := a.get("/api/2.3/accesses/" + id + "/link")
	var l piLink
	if r.status == http.StatusOK {
		if err := json.Unmarshal([]byte(r.body), &l); err != nil {
			a.t.Fatalf("link of %s: %v: %s", id, err, r.body)
		}
	}
	return r.status, l, r.body
}

// metric returns the sum of a metric's series from /metrics.
func (a *accessd) metric(name string) float64 {
	a.t.Helper()
	resp, err := http.Get(a.base + "/metrics")
	if err != nil {
		a.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	re := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(name) + `(?:\{[^}]*\})? (\S+)$`)
	var sum float64
	for _, m := range re.FindAllStringSubmatch(string(b), -1) {
		v, _ := strconv.ParseFloat(m[1], 64)
		sum += v
	}
	return sum
}

// parseSince reads the "YYYY-MM-DDThh:mm:ssZ" of the answers.
func parseSince(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.Parse("2006-01-02T15:04:05Z", s)
	if err != nil {
		t.Fatalf("since %q: %v", s, err)
	}
	return v
}
