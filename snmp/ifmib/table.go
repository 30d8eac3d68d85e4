package ifmib

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// Row is what accessd knows about one interface after decoding varbinds.
// Has says which columns were present; a column the agent does not
// implement (noSuchObject/noSuchInstance) or that was not read stays unset.
type Row struct {
	IfIndex    int
	Name       string // ifName
	Descr      string // ifDescr
	Alias      string // ifAlias
	Admin      AdminStatus
	Oper       OperStatus
	HighSpeed  uint64 // ifHighSpeed, Mbit/s
	Speed      uint64 // ifSpeed, bit/s (4294967295 = "see ifHighSpeed")
	LastChange uint32 // ifLastChange, TimeTicks
	Has        Columns
}

// Columns is a set of columns.
type Columns uint16

// Set returns the set with c added.
func (s Columns) Set(c Column) Columns { return s | 1<<c }

// Contains reports whether c is in the set.
func (s Columns) Contains(c Column) bool { return s&(1<<c) != 0 }

// SpeedMbps returns the interface speed in Mbit/s: ifHighSpeed when the
// agent has it and it is not zero, else ifSpeed rounded to whole Mbit/s
// (ifSpeed's 4294967295 means "too fast for this column": then ifHighSpeed,
// even if zero). ok is false when neither column was read.
func (r Row) SpeedMbps() (mbps uint64, ok bool) {
	hasHigh, hasSpeed := r.Has.Contains(ColHighSpeed), r.Has.Contains(ColSpeed)
	switch {
	case hasHigh && (r.HighSpeed != 0 || !hasSpeed || r.Speed == 0xffffffff):
		return r.HighSpeed, true
	case hasSpeed && r.Speed != 0xffffffff:
		return (r.Speed + 500_000) / 1_000_000, true
	}
	return 0, false
}

// Table accumulates the varbinds of one or more responses: scalars and
// rows by ifIndex.
type Table struct {
	SysUpTime          uint32
	HasSysUpTime       bool
	TableLastChange    uint32
	HasTableLastChange bool
	Rows               map[int]*Row
}

// NewTable returns an empty table.
func NewTable() *Table { return &Table{Rows: make(map[int]*Row)} }

// Decode returns a new table with vbs applied.
func Decode(vbs []Varbind) (*Table, error) {
	t := NewTable()
	err := t.Apply(vbs)
	return t, err
}

// maxReported bounds how many bad varbinds one error lists.
const maxReported = 5

// Apply decodes vbs into the table. Varbinds of other objects are ignored
// (a GETBULK walks past the end of a column); exception values leave the
// column unset. A varbind of a known column or scalar with the wrong type
// or an impossible value is skipped and reported in the returned error,
// which names its OID; the other varbinds are still applied.
func (t *Table) Apply(vbs []Varbind) error {
	if t.Rows == nil {
		t.Rows = make(map[int]*Row)
	}
	var errs []error
	bad := 0
	for i, vb := range vbs {
		if err := t.apply(vb); err != nil {
			bad++
			if bad <= maxReported {
				errs = append(errs, fmt.Errorf("varbind %d: %w", i, err))
			}
		}
	}
	if bad > maxReported {
		errs = append(errs, fmt.Errorf("and %d more bad varbinds", bad-maxReported))
	}
	return errors.Join(errs...)
}

func (t *Table) apply(vb Varbind) error {
	if vb.Type.IsException() {
		return nil
	}
	switch vb.OID {
	case OIDSysUpTime:
		v, err := vb.TimeTicks()
		if err != nil {
			return fmt.Errorf("sysUpTime: %w", err)
		}
		t.SysUpTime, t.HasSysUpTime = v, true
		return nil
	case OIDIfTableLastChange:
		v, err := vb.TimeTicks()
		if err != nil {
			return fmt.Errorf("ifTableLastChange: %w", err)
		}
		t.TableLastChange, t.HasTableLastChange = v, true
		return nil
	}
	col, idx, ok := ColumnOf(vb.OID)
	if !ok {
		return nil
	}
	r, ok := t.Rows[idx]
	if !ok {
		r = &Row{IfIndex: idx}
	}
	if err := r.set(col, vb); err != nil {
		return fmt.Errorf("%s.%d: %w", col, idx, err)
	}
	r.Has = r.Has.Set(col)
	t.Rows[idx] = r
	return nil
}

func (r *Row) set(col Column, vb Varbind) error {
	switch col {
	case ColName, ColDescr, ColAlias:
		if vb.Type != TypeOctetString {
			return fmt.Errorf("want OCTET STRING, got %s", vb.Type)
		}
		// Some agents pad DisplayStrings with NULs.
		s := strings.TrimRight(string(vb.Bytes), "\x00")
		switch col {
		case ColName:
			r.Name = s
		case ColDescr:
			r.Descr = s
		default:
			r.Alias = s
		}
	case ColAdmin, ColOper:
		if vb.Type != TypeInteger {
			return fmt.Errorf("want INTEGER, got %s", vb.Type)
		}
		if vb.Int < 1 || vb.Int > 7 {
			return fmt.Errorf("value %d out of range 1..7", vb.Int)
		}
		if col == ColAdmin {
			r.Admin = AdminStatus(vb.Int)
		} else {
			r.Oper = OperStatus(vb.Int)
		}
	case ColHighSpeed, ColSpeed:
		// Gauge32 by the MIB; a few agents send Counter32 or INTEGER.
		var v uint64
		switch vb.Type {
		case TypeGauge32, TypeCounter32:
			v = vb.Uint
		case TypeInteger:
			if vb.Int < 0 {
				return fmt.Errorf("negative speed %d", vb.Int)
			}
			v = uint64(vb.Int)
		default:
			return fmt.Errorf("want Gauge32, got %s", vb.Type)
		}
		if v > 0xffffffff {
			return fmt.Errorf("speed %d out of 32-bit range", v)
		}
		if col == ColHighSpeed {
			r.HighSpeed = v
		} else {
			r.Speed = v
		}
	case ColLastChange:
		v, err := vb.TimeTicks()
		if err != nil {
			return err
		}
		r.LastChange = v
	}
	return nil
}

// Sorted returns the rows ordered by ifIndex, as values.
func (t *Table) Sorted() []Row {
	out := make([]Row, 0, len(t.Rows))
	for _, idx := range slices.Sorted(maps.Keys(t.Rows)) {
		out = append(out, *t.Rows[idx])
	}
	return out
}
