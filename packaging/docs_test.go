package packaging

import (
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stadsnat/accessd/internal/testkit"
)

// helpOutput runs a command that may exit non-zero after printing its usage
// (flag's -h) and returns standard output and standard error together.
func helpOutput(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, errOut, _ := tryCommand(time.Minute, "", nil, name, args...)
	if out+errOut == "" {
		t.Fatalf("%s %s printed nothing", filepath.Base(name), strings.Join(args, " "))
	}
	return out + errOut
}

// flagsOf returns the flag names (without "-") that Go's flag package lists
// in a usage text: lines "  -name ...".
func flagsOf(usage string) []string {
	var names []string
	for _, m := range regexp.MustCompile(`(?m)^  -([A-Za-z0-9-]+)`).FindAllStringSubmatch(usage, -1) {
		names = append(names, m[1])
	}
	return sorted(names)
}

// commandsOf returns the verbs `accessctl help` lists: the first word of each
// line.
func commandsOf(help string) []string {
	var verbs []string
	for _, line := range strings.Split(help, "\n") {
		if f := strings.Fields(line); len(f) > 0 {
			verbs = append(verbs, f[0])
		}
	}
	return sorted(verbs)
}

func sorted(s []string) []string {
	slices.Sort(s)
	return slices.Compact(s)
}

// manSection returns the lines of section name ("# NAME") of a go-md2man
// source.
func manSection(t *testing.T, page, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "docs", "man", page))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	in := false
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "# ") {
			in = line == "# "+name
			continue
		}
		if in {
			out = append(out, line)
		}
	}
	if out == nil {
		t.Fatalf("docs/man/%s has no section # %s", page, name)
	}
	return strings.Join(out, "\n")
}

// manEntries returns the terms of a section's definition list: the first
// **word** of each line followed by a ": definition" line (an option's "-"
// removed).
func manEntries(section string) []string {
	term := regexp.MustCompile(`^\*\*-?([A-Za-z0-9-]+)\*\*`)
	lines := strings.Split(section, "\n")
	var terms []string
	for i := 0; i+1 < len(lines); i++ {
		if m := term.FindStringSubmatch(lines[i]); m != nil && strings.HasPrefix(lines[i+1], ": ") {
			terms = append(terms, m[1])
		}
	}
	return sorted(terms)
}

// completionList returns the words of `local NAME="..."` in the bash
// completion.
func completionList(t *testing.T, name string) []string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("completion", "accessctl"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^\s*local ` + name + `="([^"]*)"`).FindSubmatch(b)
	if m == nil {
		t.Fatalf("completion/accessctl has no local %s=\"...\"", name)
	}
	var words []string
	for _, w := range strings.Fields(string(m[1])) {
		words = append(words, strings.TrimPrefix(w, "-"))
	}
	return sorted(words)
}

// TestDocsMatchCommands keeps the man pages and the bash completion equal to
// what the binaries say: every flag of `accessd -h`, every flag of
// `accessctl -h` and every verb of `accessctl help`, and nothing more.
func TestDocsMatchCommands(t *testing.T) {
	bin := testkit.Binaries(t).Dir
	accessdFlags := flagsOf(helpOutput(t, filepath.Join(bin, "accessd"), "-h"))
	accessctlFlags := flagsOf(helpOutput(t, filepath.Join(bin, "accessctl"), "-h"))
	verbs := commandsOf(command(t, time.Minute, "", nil, filepath.Join(bin, "accessctl"), "help"))
	if len(accessdFlags) == 0 || len(accessctlFlags) == 0 || len(verbs) == 0 {
		t.Fatalf("found no flags or verbs: accessd %v, accessctl %v, verbs %v", accessdFlags, accessctlFlags, verbs)
	}
	for _, c := range []struct {
		name      string
		want, got []string
	}{
		{"accessd(8) OPTIONS vs accessd -h", accessdFlags, manEntries(manSection(t, "accessd.8.md", "OPTIONS"))},
		{"accessctl(8) OPTIONS vs accessctl -h", accessctlFlags, manEntries(manSection(t, "accessctl.8.md", "OPTIONS"))},
		{"accessctl(8) COMMANDS vs accessctl help", verbs, manEntries(manSection(t, "accessctl.8.md", "COMMANDS"))},
		{"completion options vs accessctl -h", accessctlFlags, completionList(t, "options")},
		{"completion commands vs accessctl help", verbs, completionList(t, "commands")},
	} {
		if diff := cmp.Diff(c.want, c.got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", c.name, diff)
		}
	}
}

// TestCopyrightCoversModules checks that debian/copyright has a Files:
// stanza for every Go module linked into the binaries.
func TestCopyrightCoversModules(t *testing.T) {
	bin := testkit.Binaries(t).Dir
	b, err := os.ReadFile("copyright")
	if err != nil {
		t.Fatal(err)
	}
	var patterns []string
	for _, m := range regexp.MustCompile(`(?m)^Files: (.*)$`).FindAllStringSubmatch(string(b), -1) {
		patterns = append(patterns, strings.Fields(m[1])...)
	}
	for _, cmd := range []string{"accessd", "accessctl"} {
		out := command(t, time.Minute, "", nil, "go", "version", "-m", filepath.Join(bin, cmd))
		for _, line := range strings.Split(out, "\n") {
			f := strings.Fields(line)
			if len(f) < 2 || f[0] != "dep" {
				continue
			}
			covered := false
			for _, p := range patterns {
				// "X/*" covers module X and every module below it.
				if dir, ok := strings.CutSuffix(p, "/*"); ok && (f[1] == dir || strings.HasPrefix(f[1], dir+"/")) {
					covered = true
				} else if ok, _ := path.Match(p, f[1]); ok && p != "*" {
					covered = true
				}
				if covered {
					break
				}
			}
			if !covered {
				t.Errorf("packaging/copyright: no Files: stanza covers module %s (linked into %s)", f[1], cmd)
			}
		}
	}
}

// TestCompletionCompletes runs the bash completion the way bash does (with
// bash-completion's helpers) and wants every verb of `accessctl help` for an
// empty word and every flag of `accessctl -h` for "-".
func TestCompletionCompletes(t *testing.T) {
	const helpers = "/usr/share/bash-completion/bash_completion"
	testkit.RequireCommands(t, "bash")
	_, err := os.Stat(helpers)
	testkit.Require(t, err == nil, "bash-completion is not installed")
	bin := testkit.Binaries(t).Dir
	verbs := commandsOf(command(t, time.Minute, "", nil, filepath.Join(bin, "accessctl"), "help"))
	flags := flagsOf(helpOutput(t, filepath.Join(bin, "accessctl"), "-h"))

	script, err := filepath.Abs(filepath.Join("completion", "accessctl"))
	if err != nil {
		t.Fatal(err)
	}
	complete := func(words ...string) []string {
		t.Helper()
		prog := `source "$1"; source "$2"; shift 2
COMP_WORDS=("$@"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
COMP_LINE="${COMP_WORDS[*]}"; COMP_POINT=${#COMP_LINE}
_accessctl accessctl "${COMP_WORDS[-1]}" "${COMP_WORDS[-2]}"
printf '%s\n' "${COMPREPLY[@]}"`
		out := command(t, time.Minute, "", nil, "bash", append([]string{"-c", prog, "bash", helpers, script}, words...)...)
		var got []string
		for _, w := range strings.Fields(out) {
			got = append(got, strings.TrimPrefix(w, "-"))
		}
		return sorted(got)
	}
	if diff := cmp.Diff(verbs, complete("accessctl", "")); diff != "" {
		t.Errorf("accessctl <TAB> (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(verbs, complete("accessctl", "-json", "")); diff != "" {
		t.Errorf("accessctl -json <TAB> (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(flags, complete("accessctl", "-")); diff != "" {
		t.Errorf("accessctl -<TAB> (-want +got):\n%s", diff)
	}
}
