package inventory

import (
	"encoding/csv"
	"fmt"
	"io"
	"iter"
)

// CSVWriter writes accesses in the CSV Access Upload API 1.1 format, which
// ReadCSV reads back to the same accesses: a header row, then one row per
// access, LF line ends, fields quoted when they need it. premisesType is
// written as its name, iptv and rfof as YES or NO, portSpeed and priceGroup
// empty when 0.
type CSVWriter struct {
	w      *csv.Writer
	cols   []field
	rec    []string
	header bool
}

// NewCSVWriter returns a CSVWriter writing the given columns, in that order;
// no columns means [CSVColumns]. An unknown or repeated column is an error.
// Columns of [ExtendedCSVColumns] carry the fields CSV 1.1 lacks; without
// them those fields are not written.
func NewCSVWriter(w io.Writer, columns ...string) (*CSVWriter, error) {
	if len(columns) == 0 {
		columns = CSVColumns()
	}
	cols := make([]field, len(columns))
	for i, name := range columns {
		fd, ok := csvField(name)
		if !ok {
			return nil, fmt.Errorf("csv writer: unknown column %q", name)
		}
		for _, c := range cols[:i] {
			if c == fd {
				return nil, fmt.Errorf("csv writer: column %q given twice", name)
			}
		}
		cols[i] = fd
	}
	return &CSVWriter{w: csv.NewWriter(w), cols: cols, rec: make([]string, len(cols))}, nil
}

func (cw *CSVWriter) writeHeader() error {
	if cw.header {
		return nil
	}
	cw.header = true
	for i, fd := range cw.cols {
		cw.rec[i] = CSV.name(fd)
	}
	return cw.w.Write(cw.rec)
}

// Write writes one access, after the header row when it is the first.
func (cw *CSVWriter) Write(a Access) error {
	if err := cw.writeHeader(); err != nil {
		return fmt.Errorf("write CSV header: %w", err)
	}
	for i, fd := range cw.cols {
		cw.rec[i] = csvValue(&a, fd)
	}
	if err := cw.w.Write(cw.rec); err != nil {
		return fmt.Errorf("write CSV: accessId %s: %w", quote(a.AccessID), err)
	}
	return nil
}

// Flush writes the header row if no access was written, and flushes
// buffered rows to the underlying writer.
func (cw *CSVWriter) Flush() error {
	if err := cw.writeHeader(); err != nil {
		return fmt.Errorf("write CSV header: %w", err)
	}
	cw.w.Flush()
	if err := cw.w.Error(); err != nil {
		return fmt.Errorf("write CSV: %w", err)
	}
	return nil
}

// WriteCSV writes all accesses to w with the given columns (none means
// [CSVColumns]).
func WriteCSV(w io.Writer, accesses iter.Seq[Access], columns ...string) error {
	cw, err := NewCSVWriter(w, columns...)
	if err != nil {
		return err
	}
	for a := range accesses {
		if err := cw.Write(a); err != nil {
			return err
		}
	}
	return cw.Flush()
}
