package activation

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"
	"unicode/utf8"

	"github.com/stadsnat/accessd/store"
)

// HookInput is the JSON an activation hook reads on stdin.
type HookInput struct {
	Order          string            `json:"order"`
	Operation      store.Operation   `json:"operation"`
	AccessID       string            `json:"accessId"`
	Service        string            `json:"service"`
	ServiceName    string            `json:"serviceName"`
	ServiceType    string            `json:"serviceType"`
	SubscriptionID string            `json:"subscriptionId"`
	Owner          string            `json:"owner"`
	Channel        string            `json:"channel"`
	Date           string            `json:"date,omitempty"`
	SPReference    string            `json:"spReference,omitempty"`
	Equipment      []store.Equipment `json:"equipment"`
	Atlas          *store.AtlasRef   `json:"atlas,omitempty"`
	CustomerRef    string            `json:"customerRef,omitempty"`
	// Customer is set only when the service provider's customer_data is
	// "store" (PI-API 2.2).
	Customer *store.Customer `json:"customer,omitempty"`
	// ProviderCustomer is the customer the provider gave at activation
	// (users[].customer_api.fetch_at_activation); never stored.
	ProviderCustomer *ProviderCustomer `json:"providerCustomer,omitempty"`
	// Where the service goes: the access's switch port identity.
	Option82      string `json:"option82,omitempty"`
	IPv4CircuitID string `json:"ipv4CircuitId,omitempty"`
	IPv4RemoteID  string `json:"ipv4RemoteId,omitempty"`
	Outlet        string `json:"outlet,omitempty"`
	Attempt       int    `json:"attempt"`
}

// Hook runs the KO's provisioning for one order. A nil error means done;
// message is what the service shows (may be empty). A *HookError is a
// refusal with a message for the order; other errors too, with their text.
type Hook interface {
	Run(ctx context.Context, in HookInput) (message string, err error)
}

// HookError is a failed hook run: its message becomes the order's.
type HookError struct {
	Message string
	Err     error // the exit status or the time-out, for logs
}

func (e *HookError) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %v", e.Message, e.Err)
	}
	return e.Message
}

func (e *HookError) Unwrap() error { return e.Err }

// ExecHook runs an executable, without a shell.
type ExecHook struct {
	Path    string
	Args    []string
	Timeout time.Duration // 0 = 30s
	// Env is the environment (nil: PATH, LANG=C.UTF-8 and TZ only, so
	// the daemon's own variables do not leak into it).
	Env []string
}

// maxOutput bounds what is kept of the hook's stdout and stderr.
const maxOutput = 64 << 10

// maxMessage bounds an order's or service's message (ON-API text: 255).
const maxMessage = 255

// Run implements Hook: it starts the executable in its own process group
// with the order on stdin. Exit 0 is success and the first line of stdout
// the message; a non-zero exit is a *HookError with stderr as the message;
// at the time-out the whole process group is killed.
func (h ExecHook) Run(ctx context.Context, in HookInput) (string, error) {
	timeout := h.Timeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	body, err := json.Marshal(in)
	if err != nil {
		return "", err
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, h.Path, h.Args...)
	cmd.Stdin = bytes.NewReader(append(body, '\n'))
	var stdout, stderr capped
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.Env = h.Env
	if cmd.Env == nil {
		cmd.Env = []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "LANG=C.UTF-8", "TZ=Europe/Stockholm"}
	}
	cmd.Dir = "/"
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	// At the time-out, kill the whole group: a hook that started children
	// (ssh, expect, …) must not leave them behind.
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	// Children that keep stdout open must not keep Wait waiting.
	cmd.WaitDelay = 2 * time.Second
	err = cmd.Run()
	if cmd.Process != nil {
		// Kill what is left of the group even after a clean exit of the
		// leader (a background child would outlive it otherwise).
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
	switch {
	case ctx.Err() == context.DeadlineExceeded:
		return "", &HookError{Message: fmt.Sprintf("activation hook timed out after %s", timeout), Err: ctx.Err()}
	case ctx.Err() != nil:
		return "", ctx.Err() // accessd is stopping: not the order's failure
	case err != nil:
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			return "", &HookError{Message: "activation hook could not run", Err: err}
		}
		msg := clean(stderr.String())
		if msg == "" {
			msg = fmt.Sprintf("activation hook failed (%s)", ee.ProcessState)
		}
		return "", &HookError{Message: msg, Err: err}
	}
	line, _, _ := strings.Cut(stdout.String(), "\n")
	return clean(line), nil
}

// clean makes hook output fit a message: valid UTF-8, no control
// characters, one line, at most maxMessage characters.
func clean(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	var b strings.Builder
	sc := bufio.NewScanner(strings.NewReader(s))
	sc.Buffer(make([]byte, 0, 4096), maxOutput)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		if b.Len() > 0 {
			b.WriteString(" ")
		}
		b.WriteString(line)
	}
	out := strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, b.String())
	if utf8.RuneCountInString(out) > maxMessage {
		out = string([]rune(out)[:maxMessage-1]) + "…"
	}
	return out
}

// capped keeps the first maxOutput bytes written to it.
type capped struct{ bytes.Buffer }

func (c *capped) Write(p []byte) (int, error) {
	if room := maxOutput - c.Len(); room > 0 {
		c.Buffer.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}

// checkExecutable reports whether path is an executable regular file.
func checkExecutable(path string) error {
	fi, err := os.Stat(path)
	if err != nil {
		return err
	}
	if !fi.Mode().IsRegular() || fi.Mode().Perm()&0o111 == 0 {
		return fmt.Errorf("%s is not an executable file", path)
	}
	return nil
}

// CheckHook reports whether the hook's executable can run (for start-up
// and reload).
func CheckHook(h ExecHook) error { return checkExecutable(h.Path) }
