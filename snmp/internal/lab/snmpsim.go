package lab

import (
	"bufio"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stadsnat/accessd/internal/testkit"
)

// SnmpsimOptions configure StartSnmpsim.
type SnmpsimOptions struct {
	Agents    int    // default 50
	Ports     int    // per agent, default 48
	Community string // default "public"
}

// Snmpsim is a running snmpsimd serving Agents simulated switches.
type Snmpsim struct {
	Addrs []string // agent i at Addrs[i] (127.0.0.1:port)
	// PortNames are the ifName of every agent's ports: Gi1/0/1..N-4 and
	// Te1/1/1..4.
	PortNames []string
}

// StartSnmpsim generates agent data (system group, ifTable, ifXTable;
// 1 Gbit/s access ports, 10 Gbit/s uplinks, ~10 % oper down, port 13 admin
// down; no ifTableLastChange) and starts one snmpsimd with --v2c-arch
// serving them on consecutive free loopback ports. It is stopped by its PID
// when the test ends.
func StartSnmpsim(t testing.TB, o SnmpsimOptions) *Snmpsim {
	t.Helper()
	testkit.RequireRoot(t, "snmpsimd (it drops root for nobody)")
	testkit.RequireCommands(t, "snmpsimd", "snmpget")
	if o.Agents == 0 {
		o.Agents = 50
	}
	if o.Ports == 0 {
		o.Ports = 48
	}
	if o.Community == "" {
		o.Community = "public"
	}
	// snmpsimd drops root for nobody, which must read the data and write
	// its index cache: a world-readable directory of our own.
	dir, err := os.MkdirTemp("", "adt-snmpsim-")
	if err != nil {
		t.Fatal(err)
	}
	s := &Snmpsim{}
	t.Cleanup(func() { os.RemoveAll(dir) })
	data, cache := filepath.Join(dir, "data"), filepath.Join(dir, "cache")
	for i := 0; i < o.Agents; i++ {
		writeAgent(t, filepath.Join(data, o.Community, fmt.Sprintf("1.3.6.1.6.1.1.%d.snmprec", i)), i, o.Ports)
	}
	os.MkdirAll(cache, 0o755)
	for _, d := range []string{dir, data, filepath.Join(data, o.Community), cache} {
		os.Chmod(d, 0o755)
	}
	syscall.Chown(cache, 65534, 65534)
	base := freeUDPRange(t, o.Agents)
	args := []string{"--data-dir=" + data, "--cache-dir=" + cache, "--process-user=nobody", "--process-group=nogroup",
		"--logging-method=null", "--v2c-arch"}
	for i := 0; i < o.Agents; i++ {
		addr := fmt.Sprintf("127.0.0.1:%d", base+i)
		s.Addrs = append(s.Addrs, addr)
		args = append(args, "--agent-udpv4-endpoint="+addr)
	}
	for p := 1; p <= o.Ports; p++ {
		s.PortNames = append(s.PortNames, portName(p, o.Ports))
	}
	p := testkit.StartProcess(t, append([]string{"snmpsimd"}, args...)...)
	p.WaitReady(60*time.Second, func() error {
		return exec.Command("snmpget", "-v2c", "-c", o.Community, "-t", "0.3", "-r", "0", s.Addrs[len(s.Addrs)-1],
			".1.3.6.1.2.1.1.5.0").Run()
	})
	return s
}

func portName(p, ports int) string {
	if p > ports-4 {
		return fmt.Sprintf("Te1/1/%d", p-(ports-4))
	}
	return fmt.Sprintf("Gi1/0/%d", p)
}

type rec struct{ oid, tag, val string }

// writeAgent writes one agent's .snmprec (oid|tag|value, sorted by OID).
func writeAgent(t testing.TB, path string, a, ports int) {
	rng := rand.New(rand.NewPCG(uint64(a), 7))
	const ifE, ifX = "1.3.6.1.2.1.2.2.1", "1.3.6.1.2.1.31.1.1.1"
	rs := []rec{
		{"1.3.6.1.2.1.1.1.0", "4", fmt.Sprintf("Lab simulated access switch %d, %d ports (snmpsim)", a, ports)},
		{"1.3.6.1.2.1.1.2.0", "6", "1.3.6.1.4.1.8072.3.2.10"},
		{"1.3.6.1.2.1.1.3.0", "67", strconv.Itoa(8640000 + a)},
		{"1.3.6.1.2.1.1.5.0", "4", fmt.Sprintf("lab-acc-%02d", a)},
		{"1.3.6.1.2.1.2.1.0", "2", strconv.Itoa(ports)},
	}
	for p := 1; p <= ports; p++ {
		uplink := p > ports-4
		mbps, admin, oper := 1000, 1, 1
		if uplink {
			mbps = 10000
		}
		if p == 13 {
			admin = 2
		}
		if admin == 2 || (!uplink && rng.Float64() < 0.10) {
			oper = 2
		}
		descr := strings.Replace(strings.Replace(portName(p, ports), "Gi", "GigabitEthernet", 1), "Te", "TenGigabitEthernet", 1)
		alias := fmt.Sprintf("desk %d-%d", a, p)
		if uplink {
			alias = "uplink"
		}
		idx := strconv.Itoa(p)
		rs = append(rs,
			rec{ifE + ".1." + idx, "2", idx}, rec{ifE + ".2." + idx, "4", descr}, rec{ifE + ".3." + idx, "2", "6"},
			rec{ifE + ".4." + idx, "2", "1500"}, rec{ifE + ".5." + idx, "66", strconv.Itoa(min(mbps*1000000, 4294967295))},
			rec{ifE + ".6." + idx, "4x", fmt.Sprintf("02%02x%02x0000%02x", a>>8, a&0xff, p)},
			rec{ifE + ".7." + idx, "2", strconv.Itoa(admin)}, rec{ifE + ".8." + idx, "2", strconv.Itoa(oper)},
			rec{ifE + ".9." + idx, "67", strconv.Itoa(rng.IntN(8640000))},
			rec{ifE + ".10." + idx, "65", strconv.Itoa(1 + rng.IntN(1<<31-1))},
			rec{ifE + ".16." + idx, "65", strconv.Itoa(1 + rng.IntN(1<<31-1))},
			rec{ifX + ".1." + idx, "4", portName(p, ports)},
			rec{ifX + ".6." + idx, "70", strconv.FormatUint(rng.Uint64N(1<<40), 10)},
			rec{ifX + ".10." + idx, "70", strconv.FormatUint(rng.Uint64N(1<<40), 10)},
			rec{ifX + ".15." + idx, "66", strconv.Itoa(mbps)},
			rec{ifX + ".18." + idx, "4", alias},
		)
	}
	slices.SortFunc(rs, func(x, y rec) int { return compareDotted(x.oid, y.oid) })
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriter(f)
	for _, r := range rs {
		fmt.Fprintf(w, "%s|%s|%s\n", r.oid, r.tag, r.val)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	f.Close()
	os.Chmod(path, 0o644)
}

func compareDotted(x, y string) int {
	xs, ys := strings.Split(x, "."), strings.Split(y, ".")
	for i := 0; i < len(xs) && i < len(ys); i++ {
		a, _ := strconv.Atoi(xs[i])
		b, _ := strconv.Atoi(ys[i])
		if a != b {
			return a - b
		}
	}
	return len(xs) - len(ys)
}
