package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"time"
)

// BindingRecord is a DHCP binding (one client, keyed by its MAC) as the
// store keeps it: the state of the binding plus what the circuit decoder
// made of the client's last Option 82. It has no hostname: that is
// personal data accessd has no use for.
type BindingRecord struct {
	MAC    MAC
	IP     netip.Addr // the zero Addr when none
	State  BindingState
	Access string // "" when unknown
	// Circuit is the circuit key of the client's last Option 82.
	Circuit string
	GIAddr  netip.Addr
	// FirstSeen is the first observation of the MAC, LastSeen the latest.
	FirstSeen time.Time
	LastSeen  time.Time
	// Since starts the current history interval (IP, MAC, access); Ended
	// is when an ended binding ended; Expires when an active one lapses.
	Since   time.Time
	Ended   time.Time
	Expires time.Time
	// LeaseTime is the last lease length learnt.
	LeaseTime time.Duration
	// Confirmed reports that the current interval reached bound.
	Confirmed bool
	// Source is the source of the last state change.
	Source BindingSource
	// RemoteID and CircuitID are the decoded sub-options ("" when absent),
	// Profile the decoder profile that read them.
	RemoteID  string
	CircuitID string
	Profile   string
	// Option82 holds every option 82 instance of the last packet that set
	// the circuit, as concatenated TLVs ("52 LL …", the PI-API/ON-API hex).
	Option82 []byte
}

// Binding records are binary, not JSON: the daemon loads every one at
// start and rewrites many per second under load. Layout (version 1):
//
//	byte     format version (1)
//	6 bytes  MAC
//	byte     state, byte source, byte flags (1 confirmed, 2 IP set, 4 giaddr set)
//	4 bytes  IP, 4 bytes giaddr (zero when unset)
//	varint   first seen, last seen, since, ended, expires: unix nanoseconds, 0 = unset
//	varint   lease time in nanoseconds
//	uvarint length + bytes: access, circuit key, remote-id, circuit-id, profile, option 82
//
// New fields are appended at the end; a record that ends after the fixed
// fields decodes the missing ones as zero.
const bindingFormat = 1

const (
	bflagConfirmed = 1 << iota
	bflagIP
	bflagGIAddr
)

// encodeBinding appends the record's encoding to dst.
func encodeBinding(dst []byte, r *BindingRecord) []byte {
	b := r
	dst = append(dst, bindingFormat)
	dst = append(dst, b.MAC[:]...)
	var flags byte
	if b.Confirmed {
		flags |= bflagConfirmed
	}
	ip, gi := [4]byte{}, [4]byte{}
	if b.IP.Is4() {
		flags |= bflagIP
		ip = b.IP.As4()
	}
	if b.GIAddr.Is4() {
		flags |= bflagGIAddr
		gi = b.GIAddr.As4()
	}
	dst = append(dst, byte(b.State), byte(b.Source), flags)
	dst = append(dst, ip[:]...)
	dst = append(dst, gi[:]...)
	for _, t := range [...]time.Time{b.FirstSeen, b.LastSeen, b.Since, b.Ended, b.Expires} {
		dst = binary.AppendVarint(dst, unixNano(t))
	}
	dst = binary.AppendVarint(dst, int64(b.LeaseTime))
	for _, s := range [...]string{b.Access, b.Circuit, r.RemoteID, r.CircuitID, r.Profile} {
		dst = binary.AppendUvarint(dst, uint64(len(s)))
		dst = append(dst, s...)
	}
	dst = binary.AppendUvarint(dst, uint64(len(r.Option82)))
	return append(dst, r.Option82...)
}

func unixNano(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

func fromUnixNano(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n)
}

// openBinding checks the sealed binding record v stored at key k and
// decodes it; a bad checksum or a record that does not decode is a
// DamageError.
func openBinding(k, v []byte) (BindingRecord, error) {
	b, err := open(bucketBindings, k, v)
	if err != nil {
		return BindingRecord{}, err
	}
	r, err := decodeBinding(b)
	if err != nil {
		return r, damaged(ErrKindDecode, bucketBindings, k, err)
	}
	return r, nil
}

// openInterval checks and decodes a history interval.
func openInterval(k, v []byte) (BindingInterval, error) {
	b, err := open(bucketBindingHistory, k, v)
	if err != nil {
		return BindingInterval{}, err
	}
	iv, err := decodeInterval(k, b)
	if err != nil {
		return iv, damaged(ErrKindDecode, bucketBindingHistory, k, err)
	}
	return iv, nil
}

// ErrCorrupt is the reason of a stored record that cannot be decoded.
var ErrCorrupt = errors.New("corrupt record")

// recordReader reads the variable part of a record and remembers the first
// error with its offset.
type recordReader struct {
	b   []byte
	off int
	err error
}

func (r *recordReader) fail(what string) {
	if r.err == nil {
		r.err = fmt.Errorf("%w: %s at byte %d", ErrCorrupt, what, r.off)
	}
}

func (r *recordReader) done() bool { return r.err != nil || r.off >= len(r.b) }

func (r *recordReader) varint(what string) int64 {
	if r.done() {
		return 0
	}
	v, n := binary.Varint(r.b[r.off:])
	if n <= 0 {
		r.fail("bad " + what)
		return 0
	}
	r.off += n
	return v
}

func (r *recordReader) bytes(what string) []byte {
	if r.done() {
		return nil
	}
	l, n := binary.Uvarint(r.b[r.off:])
	if n <= 0 || l > uint64(len(r.b)-r.off-n) {
		r.fail("bad length of " + what)
		return nil
	}
	r.off += n
	v := r.b[r.off : r.off+int(l)]
	r.off += int(l)
	return v
}

func (r *recordReader) str(what string) string { return string(r.bytes(what)) }

const bindingFixed = 1 + 6 + 3 + 4 + 4

// decodeBinding decodes a record; the result shares no memory with v.
func decodeBinding(v []byte) (BindingRecord, error) {
	var r BindingRecord
	if len(v) < bindingFixed {
		return r, fmt.Errorf("%w: binding record of %d bytes, want at least %d", ErrCorrupt, len(v), bindingFixed)
	}
	if v[0] != bindingFormat {
		return r, fmt.Errorf("%w: binding record format %d, want %d", ErrCorrupt, v[0], bindingFormat)
	}
	b := &r
	copy(b.MAC[:], v[1:7])
	b.State, b.Source = BindingState(v[7]), BindingSource(v[8])
	flags := v[9]
	b.Confirmed = flags&bflagConfirmed != 0
	if flags&bflagIP != 0 {
		b.IP = netip.AddrFrom4([4]byte(v[10:14]))
	}
	if flags&bflagGIAddr != 0 {
		b.GIAddr = netip.AddrFrom4([4]byte(v[14:18]))
	}
	rr := &recordReader{b: v, off: bindingFixed}
	for _, t := range [...]*time.Time{&b.FirstSeen, &b.LastSeen, &b.Since, &b.Ended, &b.Expires} {
		*t = fromUnixNano(rr.varint("time"))
	}
	b.LeaseTime = time.Duration(rr.varint("lease time"))
	for _, s := range [...]*string{&b.Access, &b.Circuit, &r.RemoteID, &r.CircuitID, &r.Profile} {
		*s = rr.str("text field")
	}
	if o := rr.bytes("option 82"); len(o) > 0 {
		r.Option82 = append([]byte(nil), o...)
	}
	if rr.err != nil {
		return BindingRecord{}, fmt.Errorf("binding record: %w", rr.err)
	}
	return r, nil
}

// History keys are IP(4) | from(8) | MAC(6): "who had this IP" is a prefix
// scan in time order. The value (version 1):
//
//	byte     format version (1), byte flags (1 confirmed)
//	varint   to, unix nanoseconds
//	uvarint length + bytes: access, circuit key
const intervalFormat = 1

const intervalKeyLen = 4 + 8 + 6

func intervalKey(iv *BindingInterval) []byte {
	k := make([]byte, 0, intervalKeyLen)
	ip := iv.IP.As4()
	k = append(k, ip[:]...)
	k = binary.BigEndian.AppendUint64(k, uint64(iv.From.UnixNano()))
	return append(k, iv.MAC[:]...)
}

// intervalExpiryKey is to(8) | interval key: the retention purge is a range
// scan from the start.
func intervalExpiryKey(iv *BindingInterval) []byte {
	k := binary.BigEndian.AppendUint64(make([]byte, 0, 8+intervalKeyLen), uint64(iv.To.UnixNano()))
	return append(k, intervalKey(iv)...)
}

func encodeInterval(iv *BindingInterval) []byte {
	v := make([]byte, 0, 2+binary.MaxVarintLen64+2+len(iv.Access)+len(iv.Circuit))
	var flags byte
	if iv.Confirmed {
		flags |= bflagConfirmed
	}
	v = append(v, intervalFormat, flags)
	v = binary.AppendVarint(v, iv.To.UnixNano())
	v = binary.AppendUvarint(v, uint64(len(iv.Access)))
	v = append(v, iv.Access...)
	v = binary.AppendUvarint(v, uint64(len(iv.Circuit)))
	return append(v, iv.Circuit...)
}

func decodeInterval(k, v []byte) (BindingInterval, error) {
	var iv BindingInterval
	if len(k) != intervalKeyLen {
		return iv, fmt.Errorf("%w: history key of %d bytes, want %d", ErrCorrupt, len(k), intervalKeyLen)
	}
	if len(v) < 2 || v[0] != intervalFormat {
		return iv, fmt.Errorf("%w: history record of %d bytes or unknown format", ErrCorrupt, len(v))
	}
	iv.IP = netip.AddrFrom4([4]byte(k[:4]))
	iv.From = time.Unix(0, int64(binary.BigEndian.Uint64(k[4:12])))
	copy(iv.MAC[:], k[12:])
	iv.Confirmed = v[1]&bflagConfirmed != 0
	rr := &recordReader{b: v, off: 2}
	iv.To = time.Unix(0, rr.varint("to"))
	iv.Access = rr.str("access")
	iv.Circuit = rr.str("circuit")
	if rr.err != nil {
		return BindingInterval{}, fmt.Errorf("history record: %w", rr.err)
	}
	return iv, nil
}
