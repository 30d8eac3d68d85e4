// Command bench takes every performance figure of accessd in one run and
// prints them as one table: each figure beside its peer measured in the
// same run (nginx, a bare net/http handler, a do-nothing UDP listener,
// net-snmp's snmpbulkwalk, insomniacslk/dhcp), the ratio, the goal of the
// issue that set it and the verdict. `make bench` runs it; `make
// bench-short` (-short) is the form CI runs, a few seconds per figure on
// smaller stores, which fails only when a ratio is below half its goal.
//
//	go run ./cmd/internal/bench            # every figure, about 10 minutes on two cores
//	go run ./cmd/internal/bench -short     # the short form, a few minutes
//
// It builds once — accessd, accessctl, dhcpload and barehttp with the
// release flags, and the test binaries of the load tests and benchmarks —
// then runs each part in turn (plan.go): the opt-in load tests
// (ACCESSD_LOAD=1, ACCESSD_SCALE=1), which write their figures as benchfig
// lines, and go test benchmarks, whose results plan.go names. Each part's
// whole output is kept in -logs. The SNMP part needs root (snmpsimd drops
// root for nobody); without root it is skipped with a line that says so.
// A figure of a test not on this tree yet (TestMemoryFigures, from the
// memory work of issue 15) is listed as not available.
//
// Exit status: 1 when a part failed (its test failed or a peer was
// missing under ACCESSD_REQUIRE_INTEGRATION=1), or with -short when a
// figure is far off (a ratio below half its goal) or has no value — in
// a part taken a second time when its first run had such a figure, since
// a few seconds of load on a shared machine can catch a neighbour's
// burst; 0 otherwise, whatever the other verdicts: the table says them.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/stadsnat/accessd/internal/benchfig"
)

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// options are the command's flags.
type options struct {
	short bool
	logs  string
	only  string
}

func run(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	var o options
	fs.BoolVar(&o.short, "short", false, "the short form CI runs: a few seconds per figure, fails on a ratio below half its goal")
	fs.StringVar(&o.logs, "logs", "", "directory for each part's output (default: a new temporary directory)")
	fs.StringVar(&o.only, "only", "", "run only the parts whose name contains this text")
	if err := fs.Parse(args); err != nil {
		return err
	}
	root, err := moduleRoot()
	if err != nil {
		return err
	}
	if o.logs == "" {
		if o.logs, err = os.MkdirTemp("", "accessd-bench-"); err != nil {
			return err
		}
	} else if err := os.MkdirAll(o.logs, 0o755); err != nil {
		return err
	}
	work, err := os.MkdirTemp("", "accessd-bench-build-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	b := &bench{o: o, root: root, work: work, stderr: stderr, started: time.Now(), load0: loadAvg()}
	parts := b.selected(plan())
	fmt.Fprintf(stderr, "bench: building once into %s (logs in %s)\n", work, o.logs)
	if err := b.build(parts); err != nil {
		return err
	}
	for i, p := range parts {
		b.runPart(i+1, len(parts), p)
	}
	b.print(stdout)
	return b.verdict()
}

// bench is one run of the command.
type bench struct {
	o          options
	root, work string
	stderr     io.Writer
	started    time.Time
	load0      string
	rows       []benchfig.Row
	failed     []string // parts that failed
}

// selected is the plan without the parts -only leaves out.
func (b *bench) selected(all []part) []part {
	var out []part
	for _, r := range all {
		if b.o.only == "" || strings.Contains(strings.ToLower(r.name), strings.ToLower(b.o.only)) {
			out = append(out, r)
		}
	}
	return out
}

// build makes the commands (release flags) and the test binaries of the
// parts, once.
func (b *bench) build(parts []part) error {
	bin := filepath.Join(b.work, "bin")
	cmd := exec.Command("go", "build", "-trimpath", "-ldflags", "-s -w -X main.version=e2e", "-o", bin+string(filepath.Separator),
		"./cmd/accessd", "./cmd/accessctl", "./cmd/dhcpload", "./cmd/internal/barehttp")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if err := b.goTool(cmd); err != nil {
		return err
	}
	if st, err := os.Stat(filepath.Join(bin, "accessd")); err == nil {
		f := binarySize(st.Size())
		b.rows = append(b.rows, benchfig.Row{Figure: &f})
	}
	done := map[string]bool{}
	for _, p := range parts {
		if done[p.pkg] || b.leftOut(p) != "" {
			continue
		}
		done[p.pkg] = true
		if err := b.goTool(exec.Command("go", "test", "-c", "-o", b.testBinary(p), "./"+p.pkg)); err != nil {
			return err
		}
	}
	return nil
}

func (b *bench) goTool(cmd *exec.Cmd) error {
	cmd.Dir = b.root
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s: %v\n%s", strings.Join(cmd.Args, " "), err, out)
	}
	return nil
}

func (b *bench) testBinary(p part) string {
	return filepath.Join(b.work, strings.ReplaceAll(p.pkg, "/", "_")+".test")
}

// leftOut says why part p does not run here ("" when it does).
func (b *bench) leftOut(p part) string {
	switch {
	case b.o.short && p.fullOnly != "":
		return "left out of the short run (" + p.fullOnly + "); make bench takes it"
	case p.root != "" && os.Geteuid() != 0:
		return "skipped: needs root (" + p.root + "); run make bench as root for it"
	}
	for _, c := range p.needs {
		if _, err := exec.LookPath(c); err != nil {
			return "skipped: " + c + " is not installed (.ci/install-deps installs it)"
		}
	}
	return ""
}

// requireAll reports whether a missing peer is a failure
// (ACCESSD_REQUIRE_INTEGRATION=1, as CI sets it).
func requireAll() bool { return os.Getenv("ACCESSD_REQUIRE_INTEGRATION") == "1" }

// part runs part p and adds its figures (or a note) to the table.
func (b *bench) runPart(i, n int, p part) {
	if why := b.leftOut(p); why != "" {
		if strings.HasPrefix(why, "skipped: ") && !strings.Contains(why, "root") && requireAll() {
			b.failed = append(b.failed, describe(p, why))
		}
		b.note(describe(p, why))
		fmt.Fprintf(b.stderr, "bench: [%d/%d] %s\n", i, n, describe(p, why))
		return
	}
	if p.optional && !b.has(p) {
		b.note(describe(p, p.test+" is not available on this tree"))
		fmt.Fprintf(b.stderr, "bench: [%d/%d] %s: %s not available on this tree\n", i, n, p.name, p.test)
		return
	}
	fmt.Fprintf(b.stderr, "bench: [%d/%d] %s (about %s)…\n", i, n, p.name, p.about)
	log, figs, err := b.take(i, n, p)
	if far := farOff(figs); b.o.short && err == nil && far != "" {
		// A short run is seconds long: a neighbour's burst can sink one
		// figure. A regression shows again; a burst seldom does.
		fmt.Fprintf(b.stderr, "bench: [%d/%d] far off its goal (%s): taking the part once more\n", i, n, far)
		b.note(describe(p, "taken twice: the first run had "+far+" far off its goal"))
		log, figs, err = b.take(i, n, p)
	}
	if skip := skipped(log); skip != "" && err == nil && len(figs) == 0 {
		b.note(describe(p, "skipped: "+skip))
		return
	}
	for _, f := range figs {
		b.rows = append(b.rows, benchfig.Row{Figure: &f})
	}
	if err != nil {
		b.failed = append(b.failed, describe(p, err.Error()))
		b.note(describe(p, "FAILED: "+err.Error()))
	}
}

func (b *bench) note(s string) { b.rows = append(b.rows, benchfig.Row{Note: s}) }

// take runs p once and reads its figures.
func (b *bench) take(i, n int, p part) ([]string, []benchfig.Figure, error) {
	start := time.Now()
	log, err := b.exec(p)
	figs, perr := b.figuresOf(p, log)
	if perr != nil {
		err = errors.Join(err, perr)
	}
	fmt.Fprintf(b.stderr, "bench: [%d/%d] done in %v: %d figures\n", i, n, time.Since(start).Round(time.Second), len(figs))
	return log, figs, err
}

// farOff names the figures far off their goal or without a value ("":
// none).
func farOff(figs []benchfig.Figure) string {
	var names []string
	for _, f := range figs {
		if v := f.Judge(); v == benchfig.FarOff || v == benchfig.Failed {
			names = append(names, f.Name)
		}
	}
	return strings.Join(names, "; ")
}

// has reports whether p's test is in its test binary.
func (b *bench) has(p part) bool {
	out, err := exec.Command(b.testBinary(p), "-test.list", "^"+p.test+"$").Output()
	return err == nil && strings.Contains(string(out), p.test)
}

// exec runs p's test binary in its package's directory and returns its
// output, which it keeps in the logs directory too.
func (b *bench) exec(p part) ([]string, error) {
	args := []string{"-test.v", "-test.count", "1", "-test.timeout", "60m"}
	if p.test != "" {
		args = append(args, "-test.run", "^"+p.test+"$")
	} else {
		args = append(args, "-test.run", "^$", "-test.bench", p.bench, "-test.benchmem", "-test.benchtime", p.benchtime(b.o.short))
	}
	cmd := exec.Command(b.testBinary(p), args...)
	cmd.Dir = filepath.Join(b.root, p.pkg)
	cmd.Env = append(os.Environ(), "ACCESSD_LOAD=1", "ACCESSD_TEST_BINS="+filepath.Join(b.work, "bin"))
	if b.o.short {
		cmd.Env = append(cmd.Env, benchfig.EnvShort+"=1")
	}
	if p.env != nil {
		cmd.Env = append(cmd.Env, p.env(b.o.short)...)
	}
	out, err := cmd.CombinedOutput()
	name := filepath.Join(b.o.logs, fmt.Sprintf("%s-%s.log", strings.ReplaceAll(p.pkg, "/", "_"), firstWord(p.test+p.bench)))
	if werr := os.WriteFile(name, out, 0o644); werr != nil {
		fmt.Fprintf(b.stderr, "bench: keeping the log: %v\n", werr)
	}
	if err != nil {
		err = fmt.Errorf("%v (log: %s)", err, name)
	}
	return strings.Split(string(out), "\n"), err
}

// figuresOf reads p's figures from its output.
func (b *bench) figuresOf(p part, log []string) ([]benchfig.Figure, error) {
	figs, _, err := benchfig.Parse(strings.NewReader(strings.Join(log, "\n")))
	if p.figures != nil {
		figs = append(figs, p.figures(log, b.o.short)...)
	}
	if len(p.metrics) > 0 {
		figs = append(figs, metricFigures(p.metrics, benchResults(log))...)
	}
	return figs, err
}

// skipped is the reason a test gave for skipping ("" when it did not).
func skipped(log []string) string {
	for i, l := range log {
		if strings.HasPrefix(strings.TrimSpace(l), "--- SKIP") && i > 0 {
			return strings.TrimSpace(log[i-1])
		}
	}
	return ""
}

func firstWord(s string) string {
	s = strings.Trim(s, "^$")
	if i := strings.IndexAny(s, "(|/"); i > 0 {
		s = s[:i]
	}
	return s
}

// print writes the table with what the reader needs to judge it.
func (b *bench) print(w io.Writer) {
	mode := "make bench (full)"
	if b.o.short {
		mode = "make bench-short (short form: smaller stores, a few seconds per figure; absolute goals are for the full form)"
	}
	fmt.Fprintf(w, "accessd performance figures: %s\n", mode)
	fmt.Fprintf(w, "commit %s, %s, %d CPUs, %s/%s; load average before %s, after %s; took %v\n\n",
		gitDescribe(b.root), runtime.Version(), runtime.NumCPU(), runtime.GOOS, runtime.GOARCH, b.load0, loadAvg(),
		time.Since(b.started).Round(time.Second))
	benchfig.Table(w, b.rows)
	met, missed, far := 0, 0, 0
	for _, r := range b.rows {
		if r.Figure == nil {
			continue
		}
		switch r.Figure.Judge() {
		case benchfig.Met:
			met++
		case benchfig.Missed:
			missed++
		case benchfig.FarOff, benchfig.Failed:
			far++
		}
	}
	fmt.Fprintf(w, "\n%d met, %d not met, %d far off or without a value; ratios read higher-is-better (rates: accessd/peer; times and sizes: peer/accessd).\n", met, missed, far)
	fmt.Fprintf(w, "logs: %s\n", b.o.logs)
}

// verdict is the command's error: failed parts, and with -short a figure
// far off its goal or without a value.
func (b *bench) verdict() error {
	var errs []error
	for _, f := range b.failed {
		errs = append(errs, errors.New(f))
	}
	if b.o.short {
		for _, r := range b.rows {
			if r.Figure == nil {
				continue
			}
			if v := r.Figure.Judge(); v == benchfig.FarOff || v == benchfig.Failed {
				errs = append(errs, fmt.Errorf("%s: %s", r.Figure.Name, v))
			}
		}
	}
	return errors.Join(errs...)
}

// moduleRoot is the directory of accessd's go.mod, at or above the
// working directory.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if b, err := os.ReadFile(filepath.Join(dir, "go.mod")); err == nil && strings.HasPrefix(string(b), "module github.com/stadsnat/accessd\n") {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("run it inside accessd's repository (no go.mod of github.com/stadsnat/accessd above here)")
		}
		dir = parent
	}
}

func gitDescribe(root string) string {
	out, err := exec.Command("git", "-C", root, "describe", "--always", "--dirty").Output()
	if err != nil {
		return "?"
	}
	return strings.TrimSpace(string(out))
}

func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	return strings.Join(strings.Fields(string(b))[:3], " ")
}
