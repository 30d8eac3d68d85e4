package kealease

import (
	"bytes"
	"os"
	"testing"
)

// BenchmarkLatest: fold a 10,000-row lease file (the lab rows repeated).
func BenchmarkLatest(b *testing.B) {
	lab, err := os.ReadFile("testdata/kea-2.2-lab.csv")
	if err != nil {
		b.Fatal(err)
	}
	hdr, rows, _ := bytes.Cut(lab, []byte("\n"))
	var file bytes.Buffer
	file.Write(hdr)
	file.WriteByte('\n')
	for range 1000 { // 10 lab rows x 1000
		file.Write(rows)
		file.WriteByte('\n')
	}
	data := file.Bytes()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := Latest(bytes.NewReader(data)); err != nil {
			b.Fatal(err)
		}
	}
}
