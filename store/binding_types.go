package store

import (
	"fmt"
	"net/netip"
	"strconv"
	"time"
)

// The persisted forms of the DHCP domain. The store defines them and
// imports no DHCP package: dhcp/ingest converts the values of its binding
// state machine (dhcp/binding) to and from these at its edge, so the
// store does not depend on the packet parser, and a renumbering in the
// state machine can never change what the bytes of a file mean. The
// numbers below are the bytes of binding records on disk: never change
// one.

// MAC is a client's Ethernet address: 6 bytes in keys and binary
// records, "00:1a:2b:3c:4d:5e" (lower-case hex pairs joined by colons) in
// JSON records.
type MAC [6]byte

// IsZero reports whether m is 00:00:00:00:00:00.
func (m MAC) IsZero() bool { return m == MAC{} }

// String returns "00:1a:2b:3c:4d:5e".
func (m MAC) String() string {
	var b [17]byte
	return string(m.appendText(b[:0]))
}

// AppendText implements encoding.TextAppender.
func (m MAC) AppendText(b []byte) ([]byte, error) { return m.appendText(b), nil }

// MarshalText implements encoding.TextMarshaler.
func (m MAC) MarshalText() ([]byte, error) { return m.appendText(make([]byte, 0, 17)), nil }

func (m MAC) appendText(b []byte) []byte {
	const digits = "0123456789abcdef"
	for i, x := range m {
		if i > 0 {
			b = append(b, ':')
		}
		b = append(b, digits[x>>4], digits[x&0xf])
	}
	return b
}

// UnmarshalText reads the form MarshalText writes (hex digits in either
// case).
func (m *MAC) UnmarshalText(b []byte) error {
	if len(b) != 17 {
		return fmt.Errorf("%w: MAC %q: want 17 characters aa:bb:cc:dd:ee:ff", ErrCorrupt, b)
	}
	var v MAC
	for i := range v {
		if i > 0 && b[3*i-1] != ':' {
			return fmt.Errorf("%w: MAC %q: want ':' at offset %d", ErrCorrupt, b, 3*i-1)
		}
		hi, ok1 := unhex(b[3*i])
		lo, ok2 := unhex(b[3*i+1])
		if !ok1 || !ok2 {
			return fmt.Errorf("%w: MAC %q: byte %d is not hex", ErrCorrupt, b, i)
		}
		v[i] = hi<<4 | lo
	}
	*m = v
	return nil
}

func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// BindingState is the state of a stored binding (one byte of its record).
type BindingState uint8

// The binding states. Tentative and bound are active; the others end the
// binding.
const (
	BindingTentative BindingState = 1
	BindingBound     BindingState = 2
	BindingReleased  BindingState = 3
	BindingExpired   BindingState = 4
	BindingDeclined  BindingState = 5
)

// BindingStates are the states in their order.
var BindingStates = [...]BindingState{BindingTentative, BindingBound, BindingReleased, BindingExpired, BindingDeclined}

var bindingStateNames = [...]string{"", "tentative", "bound", "released", "expired", "declined"}

// String returns the state's name: tentative, bound, released, expired or
// declined.
func (s BindingState) String() string {
	if s != 0 && int(s) < len(bindingStateNames) {
		return bindingStateNames[s]
	}
	return "state(" + strconv.Itoa(int(s)) + ")"
}

// Active reports tentative or bound.
func (s BindingState) Active() bool { return s == BindingTentative || s == BindingBound }

// BindingSource is where a binding's last change came from (one byte of
// its record).
type BindingSource uint8

// The sources of DHCP bindings.
const (
	SourceRelay BindingSource = 1 // the relay copy: this box is an extra DHCP server address
	SourceSnoop BindingSource = 2 // AF_PACKET on the DHCP server's box
	SourceKea   BindingSource = 3 // Kea's lease file
)

// BindingSources are the sources in their order.
var BindingSources = [...]BindingSource{SourceRelay, SourceSnoop, SourceKea}

var bindingSourceNames = [...]string{"", "relay", "snoop", "kea"}

// String returns the source's name: relay, snoop or kea.
func (s BindingSource) String() string {
	if s != 0 && int(s) < len(bindingSourceNames) {
		return bindingSourceNames[s]
	}
	return "source(" + strconv.Itoa(int(s)) + ")"
}

// BindingEventKind is the kind of a stored BindingEvent (its JSON "kind").
type BindingEventKind string

// The kinds of binding events the store keeps for the NOC.
const (
	// EventMACMoved: a client was seen on another access.
	EventMACMoved BindingEventKind = "mac-moved"
	// EventIPTakenOver: another client took an active binding's IP.
	EventIPTakenOver BindingEventKind = "ip-taken-over"
	// EventIPClaimed: another client asked for a bound IP without
	// evidence that the server freed it.
	EventIPClaimed BindingEventKind = "ip-claimed"
	// EventIPChanged: a client changed IP.
	EventIPChanged BindingEventKind = "ip-changed"
	// EventCircuitConflict: two accesses claim one circuit (one by its
	// Option82 text, another by its circuit-id and remote-id).
	EventCircuitConflict BindingEventKind = "circuit-conflict"
)

// BindingInterval is one closed stretch of an IP's history: MAC held IP
// on Access from From to To.
type BindingInterval struct {
	IP        netip.Addr
	MAC       MAC
	Access    string
	Circuit   string
	From, To  time.Time
	Confirmed bool // it reached bound
}
