package store

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"time"
	"unsafe"

	"github.com/stadsnat/accessd/store/inventory"
)

// Access records are stored in a compact binary form, not JSON: a full
// export decodes every record, and reflection-driven JSON decoding cost
// ~10 µs per access where this costs well under one. Layout (version 1):
//
//	byte     format version (1)
//	uvarint  change sequence
//	varint   created, unix nanoseconds
//	varint   modified, unix nanoseconds
//	byte     flags: 1 removed, 2 iptv, 4 rfof
//	varint   portSpeed, priceGroup
//	uvarint length + bytes, for each text field in recordFields order
//	varint   cpeCapacity (added later: a record without it has 0)
//	uvarint length + bytes, the plant as JSON (0: none; see inventory.Plant)
//
// New fields are appended at the end; a record that ends early decodes
// them as zero, so adding one needs no migration.
const recordFormat = 1

const (
	flagRemoved = 1 << iota
	flagIPTV
	flagRFoF
)

// recordFields lists the text fields in their stored order. Append only.
func recordFields(a *inventory.Access) []*string {
	return []*string{
		&a.AccessID, &a.LegacyAccessID, &a.StreetName, &a.StreetNumber, &a.StreetLittera, &a.PostalCode,
		&a.City, &a.CountryCode, (*string)(&a.PremisesType), &a.MDUApartmentNumber, &a.MDUDistinguisher,
		&a.Outlet, &a.Population, (*string)(&a.Activatable), (*string)(&a.Sellable), &a.FiberConverter,
		&a.CPESwitch, &a.CPERouter, &a.Option82, &a.DHCPIdentifier.IPv4CircuitID, &a.DHCPIdentifier.IPv4RemoteID,
		&a.Media, &a.AccessState, &a.NationalAddressUUID,
	}
}

// encodeRecord is r in the layout above, in a buffer with room for its
// checksum (sealOwned).
func encodeRecord(r *AccessRecord) ([]byte, error) {
	n := 1 + 3*binary.MaxVarintLen64 + 1 + 2*binary.MaxVarintLen64 + sumLen
	for _, f := range recordFields(&r.Access) {
		n += binary.MaxVarintLen32 + len(*f)
	}
	return appendRecord(make([]byte, 0, n), r)
}

// appendRecord appends r in the layout above to b.
func appendRecord(b []byte, r *AccessRecord) ([]byte, error) {
	a := r.Access
	fields := recordFields(&a)
	b = append(b, recordFormat)
	b = binary.AppendUvarint(b, r.Seq)
	b = binary.AppendVarint(b, r.Created.UnixNano())
	b = binary.AppendVarint(b, r.Modified.UnixNano())
	var flags byte
	if r.Removed {
		flags |= flagRemoved
	}
	if a.IPTV {
		flags |= flagIPTV
	}
	if a.RFoF {
		flags |= flagRFoF
	}
	b = append(b, flags)
	b = binary.AppendVarint(b, int64(a.PortSpeedMbps))
	b = binary.AppendVarint(b, int64(a.PriceGroup))
	for _, f := range fields {
		b = binary.AppendUvarint(b, uint64(len(*f)))
		b = append(b, *f...)
	}
	b = binary.AppendVarint(b, int64(a.CPECapacityMbps))
	if a.Plant != nil {
		pj, err := json.Marshal(a.Plant)
		if err != nil {
			return nil, fmt.Errorf("encode the plant of access %q: %w", a.AccessID, err)
		}
		b = binary.AppendUvarint(b, uint64(len(pj)))
		b = append(b, pj...)
	}
	return b, nil
}

var errShortRecord = errors.New("record ends early")

// openRecord checks the sealed access record v stored at key k and
// decodes it (decodeRecord); a bad checksum or a record that does not
// decode is a DamageError.
func openRecord(k, v []byte) (AccessRecord, error) {
	b, err := open(bucketAccesses, k, v)
	if err != nil {
		return AccessRecord{}, err
	}
	r, err := decodeRecord(b)
	if err != nil {
		return r, damaged(ErrKindDecode, bucketAccesses, k, err)
	}
	return r, nil
}

// openRecordView is openRecord with decodeRecordView: the record aliases
// the transaction's memory.
func openRecordView(r *AccessRecord, k, v []byte) error {
	b, err := open(bucketAccesses, k, v)
	if err != nil {
		return err
	}
	if err := decodeRecordView(r, b); err != nil {
		return damaged(ErrKindDecode, bucketAccesses, k, err)
	}
	return nil
}

// decodeRecord decodes a record whose text fields share one new string:
// one allocation, valid after the transaction.
func decodeRecord(v []byte) (AccessRecord, error) {
	var r AccessRecord
	err := decodeRecordText(&r, v, string(v))
	return r, err
}

// decodeRecordView decodes a record whose text fields alias v itself, the
// store's read-only memory map: no allocation, but the record is only valid
// until the transaction ends. Exports use it for every record they stream.
func decodeRecordView(r *AccessRecord, v []byte) error {
	if len(v) == 0 {
		return decodeRecordText(r, v, "")
	}
	return decodeRecordText(r, v, unsafe.String(&v[0], len(v)))
}

// decodeRecordText decodes v into r, taking text fields from s, which
// holds the same bytes as v.
func decodeRecordText(r *AccessRecord, v []byte, s string) error {
	*r = AccessRecord{}
	if len(v) == 0 || v[0] != recordFormat {
		return fmt.Errorf("decode access record: unknown format %v", v[:min(len(v), 1)])
	}
	p := 1
	uv := func() uint64 {
		if p >= len(v) {
			p = len(v) + 1
			return 0
		}
		x, n := binary.Uvarint(v[p:])
		if n <= 0 {
			p = len(v) + 1
			return 0
		}
		p += n
		return x
	}
	sv := func() int64 {
		if p >= len(v) {
			p = len(v) + 1
			return 0
		}
		x, n := binary.Varint(v[p:])
		if n <= 0 {
			p = len(v) + 1
			return 0
		}
		p += n
		return x
	}
	r.Seq = uv()
	r.Created = time.Unix(0, sv()).UTC()
	r.Modified = time.Unix(0, sv()).UTC()
	if p >= len(v) {
		return fmt.Errorf("decode access record: %w", errShortRecord)
	}
	flags := v[p]
	p++
	r.Removed = flags&flagRemoved != 0
	r.IPTV = flags&flagIPTV != 0
	r.RFoF = flags&flagRFoF != 0
	r.PortSpeedMbps = int(sv())
	r.PriceGroup = int(sv())
	for _, f := range recordFields(&r.Access) {
		if p >= len(v) {
			break // a field added later: zero
		}
		l := int(uv())
		if l < 0 || p+l > len(v) {
			return fmt.Errorf("decode access record: %w", errShortRecord)
		}
		*f = s[p : p+l]
		p += l
	}
	if p > len(v) {
		return fmt.Errorf("decode access record: %w", errShortRecord)
	}
	if p < len(v) {
		r.CPECapacityMbps = int(sv())
	}
	if p > len(v) {
		return fmt.Errorf("decode access record: %w", errShortRecord)
	}
	if p < len(v) {
		l := int(uv())
		if l < 0 || p+l > len(v) {
			return fmt.Errorf("decode access record: the plant: %w", errShortRecord)
		}
		if l > 0 {
			r.Plant = new(inventory.Plant)
			if err := json.Unmarshal(v[p:p+l], r.Plant); err != nil {
				return fmt.Errorf("decode access record: the plant: %w", err)
			}
		}
		p += l
	}
	return nil
}
