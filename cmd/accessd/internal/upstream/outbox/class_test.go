package outbox_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/stadsnat/accessd/cmd/accessd/internal/upstream/internal/remote"
	"github.com/stadsnat/accessd/cmd/accessd/internal/upstream/outbox"
)

// selfClassified is an error of a client that classifies itself with the
// method convention, as cubit.ValidationError and spapi.FormatError do.
type selfClassified struct{ permanent, auth bool }

func (e selfClassified) Error() string   { return "self-classified" }
func (e selfClassified) Permanent() bool { return e.permanent }
func (e selfClassified) Auth() bool      { return e.auth }

// onlyPermanent has the one method.
type onlyPermanent struct{}

func (onlyPermanent) Error() string   { return "only permanent" }
func (onlyPermanent) Permanent() bool { return true }

// TestOneClassification: the outbox's classes and the upstream clients'
// Permanent()/Auth() errors are one scheme. ClassOf reads both, the
// outermost classifying error decides, and an outbox-classified error
// answers the clients' methods too.
func TestOneClassification(t *testing.T) {
	for _, tt := range []struct {
		name string
		err  error
		want outbox.Class
	}{
		{"remote 400", remote.StatusError("POST /x", 400, []byte("bad")), outbox.ClassPermanent},
		{"remote 401", remote.StatusError("POST /x", 401, nil), outbox.ClassAuth},
		{"remote 403 wrapped", fmt.Errorf("deliver: %w", remote.StatusError("GET /x", 403, nil)), outbox.ClassAuth},
		{"remote 503", remote.StatusError("POST /x", 503, nil), outbox.ClassTransient},
		{"remote refused before sending", remote.Refused("cubit", errors.New("payload")), outbox.ClassPermanent},
		{"remote transport failure", remote.Failed("GET /x", errors.New("connection refused")), outbox.ClassTransient},
		{"self-classified permanent", selfClassified{permanent: true}, outbox.ClassPermanent},
		{"self-classified auth wins over permanent", selfClassified{permanent: true, auth: true}, outbox.ClassAuth},
		{"self-classified transient stops the walk", outbox.Permanent(fmt.Errorf("x: %w", selfClassified{})), outbox.ClassPermanent},
		{"inner transient says transient", fmt.Errorf("x: %w", selfClassified{}), outbox.ClassTransient},
		{"one method", fmt.Errorf("x: %w", onlyPermanent{}), outbox.ClassPermanent},
		{"outermost decides", outbox.AuthRefused(remote.StatusError("POST /x", 400, nil)), outbox.ClassAuth},
		{"outermost decides, other way", remote.Refused("op", outbox.AuthRefused(errors.New("x"))), outbox.ClassPermanent},
		{"joined", errors.Join(errors.New("plain"), remote.StatusError("POST /x", 422, nil)), outbox.ClassPermanent},
		{"nothing classifies", errors.New("plain"), outbox.ClassTransient},
		{"nil", nil, outbox.ClassTransient},
	} {
		if got := outbox.ClassOf(tt.err); got != tt.want {
			t.Errorf("%s: ClassOf(%v) = %v, want %v", tt.name, tt.err, got, tt.want)
		}
	}
	if !remote.IsPermanent(fmt.Errorf("w: %w", outbox.Permanent(errors.New("x")))) || remote.IsAuth(outbox.Permanent(errors.New("x"))) {
		t.Error("an outbox.Permanent error does not answer Permanent() true, Auth() false")
	}
	if !remote.IsAuth(outbox.AuthRefused(errors.New("x"))) || remote.IsPermanent(outbox.AuthRefused(errors.New("x"))) {
		t.Error("an outbox.AuthRefused error does not answer Auth() true, Permanent() false")
	}
}
