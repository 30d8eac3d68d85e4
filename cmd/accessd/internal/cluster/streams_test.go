package cluster

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// A hub retries making its streams while its JetStream cluster cannot
// place them yet, and gives up at once on anything else.
func TestNotYet(t *testing.T) {
	apiErr := func(code jetstream.ErrorCode, desc string) error {
		return fmt.Errorf("stream FACTS: %w", &jetstream.APIError{Code: 400, ErrorCode: code, Description: desc})
	}
	for _, c := range []struct {
		err  error
		want bool
	}{
		{apiErr(10005, "no suitable peers for placement, peer offline"), true},
		{apiErr(10008, "JetStream system temporarily unavailable"), true},
		{apiErr(10009, "JetStream cluster can not handle request"), true},
		{fmt.Errorf("stream FACTS: %w", context.DeadlineExceeded), true},
		{fmt.Errorf("stream FACTS: %w", nats.ErrTimeout), true},
		{fmt.Errorf("stream FACTS: %w", nats.ErrNoResponders), true},
		{apiErr(10074, "replicas > 1 not supported in non-clustered mode"), false},
		{apiErr(jetstream.JSErrCodeStreamNameInUse, "stream name already in use with a different configuration"), false},
		{errors.New("something else"), false},
	} {
		if got := notYet(c.err); got != c.want {
			t.Errorf("notYet(%v) = %v, want %v", c.err, got, c.want)
		}
	}
}

// A consumer listed twice is shown (and gauged) once.
func TestUniqueConsumers(t *testing.T) {
	got := uniqueConsumers([]ConsumerStatus{{Name: "runner"}, {Name: "x_1", Pending: 2}, {Name: "apply-a"}, {Name: "x_1", Pending: 2}})
	want := []string{"apply-a", "runner", "x_1"}
	if len(got) != len(want) {
		t.Fatalf("got %v, want the names %v", got, want)
	}
	for i, c := range got {
		if c.Name != want[i] {
			t.Errorf("consumer %d is %q, want %q (%v)", i, c.Name, want[i], got)
		}
	}
}
