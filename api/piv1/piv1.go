// Package piv1 serves Com Hem's Provider Interface API V1: GET /ko/api/1/,
// every access of the KO as XML, or with If-Modified-Since only the
// accesses changed since then (304 Not Modified when none).
//
// The XML is written by hand, element by element in the order of the
// specification's example (seed 003), straight from one read transaction
// of the store, so an export of any size needs no more memory than one
// access. A removed access appears once more in incremental exports with
// Sellable and Activatable "NO".
package piv1

import (
	"bufio"
	"net/http"
	"strconv"
	"unicode/utf8"

	"github.com/stadsnat/accessd/api/internal/web"
	"github.com/stadsnat/accessd/store"
	"github.com/stadsnat/accessd/store/inventory"
)

// Path is where the API lives.
const Path = "/ko/api/1/"

// Handler serves GET /ko/api/1/ from db.
func Handler(db *store.DB) web.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		snap, err := web.Export(w, r, db, "application/xml")
		if err != nil || snap == nil {
			return err
		}
		defer snap.Close()
		w.Header().Set("Content-Type", "application/xml")
		w.WriteHeader(http.StatusOK)
		if r.Method == http.MethodHead {
			return nil
		}
		bw := bufio.NewWriterSize(w, 64<<10)
		bw.WriteString(`<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\n<Entries>\n<Count>")
		bw.WriteString(strconv.Itoa(snap.Count))
		bw.WriteString("</Count>\n")
		err = snap.Each(func(rec *store.AccessRecord) error {
			writeEntry(bw, rec)
			return nil
		})
		if err != nil {
			return err
		}
		bw.WriteString("</Entries>\n")
		return bw.Flush()
	}
}

// writeEntry writes one <Entry> as the specification's example lays it out.
func writeEntry(bw *bufio.Writer, rec *store.AccessRecord) {
	a := &rec.Access
	activatable, sellable := a.Activatable, a.Sellable
	if rec.Removed {
		activatable, sellable = inventory.No, inventory.No
	}
	bw.WriteString("<Entry>\n")
	elem(bw, "    ", "AccessId", a.AccessID)
	bw.WriteString("    <Access>\n")
	const in = "        "
	elem(bw, in, "StreetName", a.StreetName)
	elem(bw, in, "StreetNumber", a.StreetNumber)
	elem(bw, in, "StreetLittera", a.StreetLittera)
	elem(bw, in, "PostalCode", a.PostalCode)
	elem(bw, in, "City", a.City)
	elem(bw, in, "CountryCode", a.CountryCode)
	pt, _ := a.PremisesType.PIV1() // PI V1 knows five types: MDU_TECHNICAL is sent as MDU_COMMON
	elem(bw, in, "PremisesType", string(pt))
	elem(bw, in, "MduApartmentNumber", a.MDUApartmentNumber)
	elem(bw, in, "MduDistinguisher", a.PIV1MDUDistinguisher())
	elem(bw, in, "Activatable", string(activatable))
	elem(bw, in, "Sellable", string(sellable))
	elem(bw, in, "FiberConverter", a.FiberConverter)
	elem(bw, in, "CpeSwitch", a.CPESwitch)
	elem(bw, in, "CpeRouter", a.CPERouter)
	elem(bw, in, "Option82", a.Option82)
	elem(bw, in, "Population", a.Population)
	bw.WriteString("    </Access>\n</Entry>\n")
}

func elem(bw *bufio.Writer, indent, name, value string) {
	bw.WriteString(indent)
	bw.WriteByte('<')
	bw.WriteString(name)
	bw.WriteByte('>')
	escape(bw, value)
	bw.WriteString("</")
	bw.WriteString(name)
	bw.WriteString(">\n")
}

// escape writes s as XML character data: markup characters as entities,
// carriage returns kept as a character reference, and characters XML 1.0
// cannot carry (control characters, invalid UTF-8) as U+FFFD.
func escape(bw *bufio.Writer, s string) {
	last := 0
	for i := 0; i < len(s); {
		r, width := utf8.DecodeRuneInString(s[i:])
		var esc string
		switch {
		case r == '&':
			esc = "&amp;"
		case r == '<':
			esc = "&lt;"
		case r == '>':
			esc = "&gt;"
		case r == '\r':
			esc = "&#xD;"
		case r == utf8.RuneError && width == 1, !isXMLChar(r):
			esc = "\uFFFD"
		default:
			i += width
			continue
		}
		bw.WriteString(s[last:i])
		bw.WriteString(esc)
		i += width
		last = i
	}
	bw.WriteString(s[last:])
}

func isXMLChar(r rune) bool {
	return r == '\t' || r == '\n' || r == '\r' ||
		(r >= 0x20 && r <= 0xD7FF) || (r >= 0xE000 && r <= 0xFFFD) || (r >= 0x10000 && r <= 0x10FFFF)
}
