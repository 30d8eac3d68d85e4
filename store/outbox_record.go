package store

import (
	"encoding/binary"
	"fmt"
	"math"
	"time"
)

// The persisted form of the outbox's records (outbox.go says what they
// are for): the binary entry and parked records, and their sealed reads
// (codec.go).

// The entry record (binary, version 1): format byte, varint created unix
// ns, uvarint attempts, then uvarint length + bytes of key, idempotency
// key, kind and payload. Sink and seq are in the record's key. A parked
// record follows it with varint parked unix ns and the error text.
const outboxFormat = 1

func encodeOutboxEntry(e *OutboxEntry) []byte {
	n := 1 + 2*binary.MaxVarintLen64 + 4*binary.MaxVarintLen32 + sumLen + len(e.Key) + len(e.IdempotencyKey) + len(e.Kind) + len(e.Payload)
	b := make([]byte, 0, n)
	b = append(b, outboxFormat)
	b = binary.AppendVarint(b, e.Created.UnixNano())
	b = binary.AppendUvarint(b, uint64(max(e.Attempts, 0)))
	for _, s := range []string{e.Key, e.IdempotencyKey, e.Kind} {
		b = binary.AppendUvarint(b, uint64(len(s)))
		b = append(b, s...)
	}
	b = binary.AppendUvarint(b, uint64(len(e.Payload)))
	return append(b, e.Payload...)
}

// decodeOutboxEntry decodes a record of sink at seq; every field is a
// copy, valid after the transaction.
func decodeOutboxEntry(sink string, seq uint64, v []byte) (OutboxEntry, []byte, error) {
	e := OutboxEntry{Sink: sink, Seq: seq}
	if len(v) == 0 || v[0] != outboxFormat {
		return e, nil, fmt.Errorf("outbox entry %s/%d: unknown format", sink, seq)
	}
	r := varintReader{b: v, p: 1}
	e.Created = time.Unix(0, r.varint()).UTC()
	if a := r.uvarint(); a <= math.MaxInt32 {
		e.Attempts = int(a)
	} else {
		r.bad = true
	}
	e.Key, e.IdempotencyKey, e.Kind = string(r.bytes()), string(r.bytes()), string(r.bytes())
	if p := r.bytes(); len(p) > 0 {
		e.Payload = append([]byte(nil), p...)
	}
	if r.bad {
		return e, nil, fmt.Errorf("outbox entry %s/%d: %w", sink, seq, errShortRecord)
	}
	return e, v[r.p:], nil
}

// openOutboxEntry checks the sealed record of sink at seq, stored in
// bucket at k, and decodes it (decodeOutboxEntry); a bad checksum or a
// record that does not decode is a DamageError.
func openOutboxEntry(bucket, k []byte, sink string, seq uint64, v []byte) (OutboxEntry, []byte, error) {
	b, err := open(bucket, k, v)
	if err != nil {
		return OutboxEntry{}, nil, err
	}
	e, rest, err := decodeOutboxEntry(sink, seq, b)
	if err != nil {
		return e, nil, damaged(ErrKindDecode, bucket, k, err)
	}
	return e, rest, nil
}

// openOutboxParked is openOutboxEntry for a parked record.
func openOutboxParked(k []byte, sink string, seq uint64, v []byte) (OutboxParked, error) {
	b, err := open(bucketOutboxParked, k, v)
	if err != nil {
		return OutboxParked{}, err
	}
	p, err := decodeOutboxParked(sink, seq, b)
	if err != nil {
		return p, damaged(ErrKindDecode, bucketOutboxParked, k, err)
	}
	return p, nil
}

// outboxKeyAndSize reads only what dropping a record needs: its key, and
// its size (OutboxEntry.Size) from the lengths, without copying the
// payload.
func outboxKeyAndSize(sink string, seq uint64, v []byte) (string, int64, error) {
	if len(v) == 0 || v[0] != outboxFormat {
		return "", 0, fmt.Errorf("outbox entry %s/%d: unknown format", sink, seq)
	}
	r := varintReader{b: v, p: 1}
	r.varint()
	r.uvarint()
	key := string(r.bytes())
	n := len(sink) + len(key) + len(r.bytes()) + len(r.bytes()) + len(r.bytes())
	if r.bad {
		return "", 0, fmt.Errorf("outbox entry %s/%d: %w", sink, seq, errShortRecord)
	}
	e := OutboxEntry{}
	return key, e.Size() + int64(n), nil
}

// outboxCreated reads only the Created time of a record.
func outboxCreated(v []byte) time.Time {
	r := varintReader{b: v, p: 1}
	return time.Unix(0, r.varint()).UTC()
}

func encodeOutboxParked(p *OutboxParked) []byte {
	b := encodeOutboxEntry(&p.OutboxEntry)
	b = binary.AppendVarint(b, p.Parked.UnixNano())
	b = binary.AppendUvarint(b, uint64(len(p.Error)))
	return append(b, p.Error...)
}

func decodeOutboxParked(sink string, seq uint64, v []byte) (OutboxParked, error) {
	e, rest, err := decodeOutboxEntry(sink, seq, v)
	if err != nil {
		return OutboxParked{}, err
	}
	r := varintReader{b: rest}
	p := OutboxParked{OutboxEntry: e, Parked: time.Unix(0, r.varint()).UTC(), Error: string(r.bytes())}
	if r.bad {
		return p, fmt.Errorf("parked outbox entry %s/%d: %w", sink, seq, errShortRecord)
	}
	return p, nil
}

// varintReader reads what the binary records hold; bad is set once
// anything is cut short.
type varintReader struct {
	b   []byte
	p   int
	bad bool
}

func (r *varintReader) uvarint() uint64 {
	if r.bad || r.p >= len(r.b) {
		r.bad = r.bad || r.p > len(r.b)
		return 0
	}
	x, n := binary.Uvarint(r.b[r.p:])
	if n <= 0 {
		r.bad = true
		return 0
	}
	r.p += n
	return x
}

func (r *varintReader) varint() int64 {
	if r.bad || r.p >= len(r.b) {
		return 0
	}
	x, n := binary.Varint(r.b[r.p:])
	if n <= 0 {
		r.bad = true
		return 0
	}
	r.p += n
	return x
}

func (r *varintReader) bytes() []byte {
	n := r.uvarint()
	if r.bad || uint64(len(r.b)-r.p) < n {
		r.bad = true
		return nil
	}
	s := r.b[r.p : r.p+int(n)]
	r.p += int(n)
	return s
}
