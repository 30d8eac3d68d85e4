package benchfig

import (
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Row is a line of the table: a figure, or a note in its place (a run
// skipped and why, a figure not available on this tree).
type Row struct {
	Figure *Figure
	Note   string
}

// header names the table's columns.
var header = []string{"figure", "accessd", "peer (same run)", "ratio", "goal", "verdict", "from"}

// Table writes rows as a table whose columns line up: figure, accessd,
// peer, ratio, goal, verdict and where the goal comes from. Notes take a
// whole line.
func Table(w io.Writer, rows []Row) error {
	cells := [][]string{header}
	for _, r := range rows {
		if r.Figure == nil {
			cells = append(cells, nil)
			continue
		}
		cells = append(cells, cellsOf(*r.Figure))
	}
	width := make([]int, len(header))
	for _, c := range cells {
		for i, s := range c {
			width[i] = max(width[i], utf8.RuneCountInString(s))
		}
	}
	var b strings.Builder
	for i, c := range cells {
		if c == nil { // cells[i] is rows[i-1]'s
			fmt.Fprintf(&b, "  %s\n", rows[i-1].Note)
			continue
		}
		for j, s := range c {
			if j == len(c)-1 {
				b.WriteString(s)
				break
			}
			pad := width[j] - utf8.RuneCountInString(s)
			if j == 1 || j == 3 || j == 4 { // numbers: right-aligned
				b.WriteString(strings.Repeat(" ", pad) + s + "  ")
			} else {
				b.WriteString(s + strings.Repeat(" ", pad) + "  ")
			}
		}
		b.WriteString("\n")
		if i == 0 {
			total := len(width)*2 - 2
			for _, n := range width {
				total += n
			}
			b.WriteString(strings.Repeat("-", total) + "\n")
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// cellsOf is the table's cells of f.
func cellsOf(f Figure) []string {
	peer, ratio, goal := "—", "—", "—"
	if f.Peer != "" {
		peer = f.Peer + " " + Number(f.PeerValue) + " " + f.Unit
		if r, ok := f.Ratio(); ok {
			ratio = strconv.FormatFloat(r, 'f', 2, 64)
		}
		if f.Goal != 0 {
			goal = "≥ " + strconv.FormatFloat(f.Goal, 'f', 2, 64)
		}
	} else if f.Goal != 0 {
		op := "≤ "
		if f.Higher {
			op = "≥ "
		}
		goal = op + limit(f.Goal) + " " + f.Unit
	}
	v := f.Judge().String()
	if f.Scaled {
		v = "(short run)"
	}
	return []string{f.Name, Number(f.Value) + " " + f.Unit, peer, ratio, goal, v, f.Source}
}

// Number formats a figure's value: thousands separated by commas from
// 1,000, three significant digits below.
func Number(v float64) string {
	a := math.Abs(v)
	switch {
	case math.IsNaN(v) || math.IsInf(v, 0):
		return "?"
	case a >= 1000:
		s := strconv.FormatInt(int64(math.Round(a)), 10)
		var b strings.Builder
		if v < 0 {
			b.WriteByte('-')
		}
		for i, c := range s {
			if i > 0 && (len(s)-i)%3 == 0 {
				b.WriteByte(',')
			}
			b.WriteRune(c)
		}
		return b.String()
	case a >= 100:
		return strconv.FormatFloat(v, 'f', 0, 64)
	case a >= 10:
		return strconv.FormatFloat(v, 'f', 1, 64)
	case a >= 1 || a == 0:
		return strconv.FormatFloat(v, 'f', 2, 64)
	}
	return strconv.FormatFloat(v, 'g', 3, 64)
}

// limit formats a goal's limit: whole numbers without decimals.
func limit(v float64) string {
	if v == math.Trunc(v) && math.Abs(v) < 1000 {
		return strconv.FormatFloat(v, 'f', 0, 64)
	}
	return Number(v)
}
