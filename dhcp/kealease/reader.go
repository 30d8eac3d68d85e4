package kealease

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/stadsnat/accessd/dhcp/option82"
)

// MaxLineBytes bounds one line; longer lines are bad rows.
const MaxLineBytes = 64 << 10

// MaxRowErrors bounds how many *RowError values a Reader keeps; it counts
// all of them.
const MaxRowErrors = 100

// Errors.
var (
	ErrNoHeader = errors.New("no header line")
	ErrHeader   = errors.New("invalid header line")
	ErrRow      = errors.New("invalid lease row")
)

// RowError reports a bad row; the stream goes on after it.
type RowError struct {
	Line   int
	Column string // header name of the bad field, "" for the whole row
	Err    error
}

func (e *RowError) Error() string {
	s := "kealease: line " + strconv.Itoa(e.Line)
	if e.Column != "" {
		s += " column " + e.Column
	}
	return s + ": " + e.Err.Error()
}

// Unwrap returns ErrRow and the cause.
func (e *RowError) Unwrap() []error { return []error{ErrRow, e.Err} }

// Reader streams leases from a lease file.
type Reader struct {
	br      *bufio.Reader
	line    int
	header  string
	cols    columns
	lease   Lease
	err     error
	rowErrs []*RowError
	badRows int
}

type columns struct {
	n                                                      int
	address, hwaddr, clientID, valid, expire, subnet       int
	fqdnFwd, fqdnRev, hostname, state, userContext, poolID int
}

// NewReader returns a Reader of r.
func NewReader(r io.Reader) *Reader {
	return &Reader{br: bufio.NewReaderSize(r, MaxLineBytes)}
}

// readLine returns the next line without its line ending. A line longer
// than MaxLineBytes is skipped to its end and reported with tooLong.
func (r *Reader) readLine() (line string, tooLong bool, err error) {
	b, err := r.br.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) {
		for errors.Is(err, bufio.ErrBufferFull) {
			_, err = r.br.ReadSlice('\n')
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return "", true, err
		}
		return "", true, nil
	}
	if err != nil && (!errors.Is(err, io.EOF) || len(b) == 0) {
		return "", false, err
	}
	b = bytes.TrimSuffix(b, []byte("\n"))
	b = bytes.TrimSuffix(b, []byte("\r"))
	return string(b), false, nil
}

// Next advances to the next good row and reports whether there is one. Bad
// rows are recorded (RowErrors, BadRows) and skipped.
func (r *Reader) Next() bool {
	if r.err != nil {
		return false
	}
	for {
		text, tooLong, err := r.readLine()
		if err != nil {
			if !errors.Is(err, io.EOF) {
				r.err = fmt.Errorf("kealease: read after line %d: %w", r.line, err)
				return false
			}
			break
		}
		r.line++
		if tooLong {
			r.addRowError(&RowError{Line: r.line, Err: fmt.Errorf("line longer than %d bytes", MaxLineBytes)})
			continue
		}
		if strings.TrimSpace(text) == "" {
			continue
		}
		if r.header == "" {
			if err := r.parseHeader(text); err != nil {
				r.err = err
				return false
			}
			continue
		}
		if text == r.header {
			continue // repeated header after lease file cleanup
		}
		l, rerr := r.parseRow(text)
		if rerr != nil {
			r.addRowError(rerr)
			continue
		}
		r.lease = l
		return true
	}
	if r.header == "" {
		r.err = fmt.Errorf("kealease: %w", ErrNoHeader)
	}
	return false
}

// Lease returns the row Next advanced to.
func (r *Reader) Lease() Lease { return r.lease }

// Err returns the error that stopped the stream (nil at a clean end).
func (r *Reader) Err() error { return r.err }

// RowErrors returns the first MaxRowErrors bad rows.
func (r *Reader) RowErrors() []*RowError { return r.rowErrs }

// BadRows counts every bad row.
func (r *Reader) BadRows() int { return r.badRows }

// Lines returns the number of lines read so far.
func (r *Reader) Lines() int { return r.line }

func (r *Reader) addRowError(e *RowError) {
	r.badRows++
	if len(r.rowErrs) < MaxRowErrors {
		r.rowErrs = append(r.rowErrs, e)
	}
}

func (r *Reader) parseHeader(text string) error {
	names := strings.Split(text, ",")
	c := columns{n: len(names), address: -1, hwaddr: -1, clientID: -1, valid: -1, expire: -1, subnet: -1,
		fqdnFwd: -1, fqdnRev: -1, hostname: -1, state: -1, userContext: -1, poolID: -1}
	for i, n := range names {
		var p *int
		switch strings.TrimSpace(n) {
		case "address":
			p = &c.address
		case "hwaddr":
			p = &c.hwaddr
		case "client_id":
			p = &c.clientID
		case "valid_lifetime":
			p = &c.valid
		case "expire":
			p = &c.expire
		case "subnet_id":
			p = &c.subnet
		case "fqdn_fwd":
			p = &c.fqdnFwd
		case "fqdn_rev":
			p = &c.fqdnRev
		case "hostname":
			p = &c.hostname
		case "state":
			p = &c.state
		case "user_context":
			p = &c.userContext
		case "pool_id":
			p = &c.poolID
		default:
			continue // a column we do not use
		}
		if *p >= 0 {
			return fmt.Errorf("kealease: line %d: %w: column %q twice", r.line, ErrHeader, n)
		}
		*p = i
	}
	for name, idx := range map[string]int{"address": c.address, "hwaddr": c.hwaddr, "valid_lifetime": c.valid, "expire": c.expire} {
		if idx < 0 {
			return fmt.Errorf("kealease: line %d: %w: no %s column (is this a Kea DHCPv4 lease file?)", r.line, ErrHeader, name)
		}
	}
	r.header, r.cols = text, c
	return nil
}

func (r *Reader) parseRow(text string) (Lease, *RowError) {
	f := strings.Split(text, ",")
	if len(f) != r.cols.n {
		return Lease{}, &RowError{Line: r.line, Err: fmt.Errorf("%d fields, header has %d", len(f), r.cols.n)}
	}
	l := Lease{Line: r.line}
	bad := func(col string, err error) (Lease, *RowError) {
		return Lease{}, &RowError{Line: r.line, Column: col, Err: err}
	}
	var err error
	c := r.cols
	if l.Address, err = netip.ParseAddr(f[c.address]); err != nil || !l.Address.Is4() {
		return bad("address", errors.New("not an IPv4 address")) // the value may be one: personal data
	}
	if l.HWAddr, err = colonHex(f[c.hwaddr]); err != nil {
		return bad("hwaddr", err)
	}
	if c.clientID >= 0 {
		if l.ClientID, err = colonHex(f[c.clientID]); err != nil {
			return bad("client_id", err)
		}
	}
	valid, err := strconv.ParseUint(f[c.valid], 10, 32)
	if err != nil {
		return bad("valid_lifetime", fmt.Errorf("not a 32-bit number: %q", f[c.valid]))
	}
	l.ValidLifetime = time.Duration(valid) * time.Second
	exp, err := strconv.ParseInt(f[c.expire], 10, 64)
	if err != nil || exp < 0 || exp > 1<<40 {
		return bad("expire", fmt.Errorf("not a unix time: %q", f[c.expire]))
	}
	l.Expire = time.Unix(exp, 0).UTC()
	if c.subnet >= 0 {
		v, err := strconv.ParseUint(f[c.subnet], 10, 32)
		if err != nil {
			return bad("subnet_id", fmt.Errorf("not a 32-bit number: %q", f[c.subnet]))
		}
		l.SubnetID = uint32(v)
	}
	if c.fqdnFwd >= 0 {
		if l.FQDNFwd, err = parseFlag(f[c.fqdnFwd]); err != nil {
			return bad("fqdn_fwd", err)
		}
	}
	if c.fqdnRev >= 0 {
		if l.FQDNRev, err = parseFlag(f[c.fqdnRev]); err != nil {
			return bad("fqdn_rev", err)
		}
	}
	if c.hostname >= 0 {
		if l.Hostname, err = unescape(f[c.hostname]); err != nil {
			return bad("hostname", err)
		}
	}
	if c.state >= 0 && f[c.state] != "" {
		v, err := strconv.ParseUint(f[c.state], 10, 8)
		if err != nil {
			return bad("state", fmt.Errorf("not a state number: %q", f[c.state]))
		}
		l.State = State(v)
	}
	if c.userContext >= 0 && f[c.userContext] != "" {
		if l.UserContext, err = unescape(f[c.userContext]); err != nil {
			return bad("user_context", err)
		}
		if err := l.parseUserContext(); err != nil {
			return bad("user_context", err)
		}
	}
	if c.poolID >= 0 && f[c.poolID] != "" {
		v, err := strconv.ParseUint(f[c.poolID], 10, 32)
		if err != nil {
			return bad("pool_id", fmt.Errorf("not a 32-bit number: %q", f[c.poolID]))
		}
		l.PoolID = uint32(v)
	}
	return l, nil
}

// colonHex parses Kea's "01:aa:bb" (also "" → nil).
func colonHex(s string) ([]byte, error) {
	if s == "" {
		return nil, nil
	}
	out := make([]byte, 0, (len(s)+1)/3)
	for i, part := range strings.Split(s, ":") {
		if len(part) == 0 || len(part) > 2 {
			return nil, fmt.Errorf("byte %d %q is not 1-2 hex digits", i, part)
		}
		v, err := strconv.ParseUint(part, 16, 8)
		if err != nil {
			return nil, fmt.Errorf("byte %d %q is not hex", i, part)
		}
		out = append(out, byte(v))
	}
	return out, nil
}

func parseFlag(s string) (bool, error) {
	switch s {
	case "0", "false", "":
		return false, nil
	case "1", "true":
		return true, nil
	}
	return false, fmt.Errorf("not a boolean: %q", s)
}

// unescape undoes Kea's CSV escaping: "&#x" followed by two hex digits.
func unescape(s string) (string, error) {
	if !strings.Contains(s, "&#x") {
		return s, nil
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		if strings.HasPrefix(s[i:], "&#x") {
			if i+5 > len(s) {
				return "", fmt.Errorf("truncated escape at character %d", i)
			}
			v, err := strconv.ParseUint(s[i+3:i+5], 16, 8)
			if err != nil {
				return "", fmt.Errorf("bad escape %q at character %d", s[i:i+5], i)
			}
			b.WriteByte(byte(v))
			i += 5
			continue
		}
		b.WriteByte(s[i])
		i++
	}
	return b.String(), nil
}

// parseUserContext extracts the relay information of both Kea formats.
func (l *Lease) parseUserContext() error {
	var uc struct {
		ISC struct {
			RelayAgentInfo json.RawMessage `json:"relay-agent-info"`
		} `json:"ISC"`
	}
	dec := json.NewDecoder(strings.NewReader(l.UserContext))
	if err := dec.Decode(&uc); err != nil {
		return fmt.Errorf("not JSON: %w", err)
	}
	raw := bytes.TrimSpace(uc.ISC.RelayAgentInfo)
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	var err error
	if raw[0] == '"' {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return fmt.Errorf("relay-agent-info: %w", err)
		}
		if l.RelayAgentInfo, err = hexField("relay-agent-info", s); err != nil {
			return err
		}
		return nil
	}
	var m struct {
		SubOptions string `json:"sub-options"`
		RemoteID   string `json:"remote-id"`
		RelayID    string `json:"relay-id"`
	}
	if err := json.Unmarshal(raw, &m); err != nil {
		return fmt.Errorf("relay-agent-info: want a hex string or a map: %w", err)
	}
	if l.RelayAgentInfo, err = hexField("relay-agent-info.sub-options", m.SubOptions); err != nil {
		return err
	}
	if l.RemoteID, err = hexField("relay-agent-info.remote-id", m.RemoteID); err != nil {
		return err
	}
	if l.RelayID, err = hexField("relay-agent-info.relay-id", m.RelayID); err != nil {
		return err
	}
	return nil
}

func hexField(name, s string) ([]byte, error) {
	if s == "" {
		return nil, nil
	}
	b, err := option82.DecodeHex(s)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return b, nil
}

func itoa(i int) string { return strconv.Itoa(i) }
