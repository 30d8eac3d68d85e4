// Package piv1 serves Com Hem's Provider Interface API V1: GET /ko/api/1/,
// every access of the KO as XML, or with If-Modified-Since only the
// accesses changed since then (304 Not Modified when none).
//
// The XML is written by hand, element by element in the order of the
// specification's example (seed 003), straight from one read transaction
// of the store, so an export of any size needs no more memory than one
// access. With a directory to keep it in (API.KeepIn) the newest full
// export is also written to a file there, and sent from it while no access
// changes. A removed access appears once more in incremental exports with
// Sellable and Activatable "NO".
package piv1

import (
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"unicode/utf8"

	"github.com/stadsnat/accessd/api/internal/web"
	"github.com/stadsnat/accessd/store"
	"github.com/stadsnat/accessd/store/inventory"
)

// Path is where the API lives.
const Path = "/ko/api/1/"

// API is the PI V1 export.
type API struct {
	db    *store.DB
	cache *exportCache // nil: every export is rendered
}

// New makes the group serving db.
func New(db *store.DB) *API { return &API{db: db} }

// KeepIn makes the group keep the newest full export as a file in dir
// (made 0700 if missing; files of an earlier run are removed), sent as it
// is while no access changes: the full list every service provider polls
// costs one rendering per change of the inventory, not one per request.
func (a *API) KeepIn(dir string, log *slog.Logger) error {
	c, err := newExportCache(dir, log)
	if err != nil {
		return err
	}
	a.cache = c
	return nil
}

// Routes lists GET /ko/api/1/: HTTP Basic for pi-v1, errors as text.
func (a *API) Routes() []web.Route {
	return []web.Route{{Pattern: "GET " + Path, Group: web.GroupPIV1, Auth: web.GroupPIV1, Errors: web.PlainText,
		Handle: a.serve}}
}

// serve answers GET (and HEAD) /ko/api/1/.
func (a *API) serve(w http.ResponseWriter, r *http.Request) error {
	// PI V1 carries Sellable and Activatable as dates, so a date coming
	// changes nothing in it; its five premises types are all it may send.
	snap, err := web.Export(w, r, a.db, "application/xml", store.ExportOptions{OnlyPIV1: true})
	if err != nil || snap == nil {
		return err
	}
	w.Header().Set("Content-Type", "application/xml")
	var keep *cacheWriter
	if a.cache != nil && !snap.Incremental() {
		gen := snap.Generation()
		if f, size := a.cache.open(gen); f != nil {
			// The file needs no read transaction: a long one would hold
			// up the store's writers when the file grows.
			snap.Close()
			w.Header().Set("Content-Length", strconv.FormatInt(size, 10))
			w.WriteHeader(http.StatusOK)
			if r.Method == http.MethodHead {
				f.Close()
				return nil
			}
			return serveFile(w, f)
		}
		if r.Method != http.MethodHead {
			keep = a.cache.create(gen)
		}
	}
	defer snap.Close()
	w.WriteHeader(http.StatusOK)
	if r.Method == http.MethodHead {
		return nil
	}
	err = render(w, snap, keep)
	if keep != nil {
		keep.finish(err == nil)
	}
	return err
}

// render writes the export of snap to w, and to keep when not nil. The
// XML is appended into a buffer written out every 64 KiB: an entry is a
// few dozen appends of constant tags and the values, escaped only where
// they need it.
func render(w io.Writer, snap *store.Snapshot, keep *cacheWriter) error {
	buf := make([]byte, 0, flushAt+4<<10)
	write := func() error {
		if keep != nil {
			keep.Write(buf)
		}
		_, err := w.Write(buf)
		buf = buf[:0]
		return err
	}
	buf = append(buf, `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>`+"\n<Entries>\n<Count>"...)
	buf = strconv.AppendInt(buf, int64(snap.Count), 10)
	buf = append(buf, "</Count>\n"...)
	err := snap.Each(func(rec *store.AccessRecord) error {
		buf = appendEntry(buf, rec)
		if len(buf) >= flushAt {
			return write()
		}
		return nil
	})
	if err != nil {
		return err
	}
	buf = append(buf, "</Entries>\n"...)
	return write()
}

// flushAt is how much XML the export gathers before it writes.
const flushAt = 64 << 10

// appendEntry appends one <Entry> as the specification's example lays it
// out.
func appendEntry(b []byte, rec *store.AccessRecord) []byte {
	a := &rec.Access
	activatable, sellable := a.Activatable, a.Sellable
	if rec.Removed {
		activatable, sellable = inventory.No, inventory.No
	}
	b = append(b, "<Entry>\n    <AccessId>"...)
	b = appendEscaped(b, a.AccessID)
	b = append(b, "</AccessId>\n    <Access>\n        <StreetName>"...)
	b = appendEscaped(b, a.StreetName)
	b = append(b, "</StreetName>\n        <StreetNumber>"...)
	b = appendEscaped(b, a.StreetNumber)
	b = append(b, "</StreetNumber>\n        <StreetLittera>"...)
	b = appendEscaped(b, a.StreetLittera)
	b = append(b, "</StreetLittera>\n        <PostalCode>"...)
	b = appendEscaped(b, a.PostalCode)
	b = append(b, "</PostalCode>\n        <City>"...)
	b = appendEscaped(b, a.City)
	b = append(b, "</City>\n        <CountryCode>"...)
	b = appendEscaped(b, a.CountryCode)
	pt, _ := a.PremisesType.PIV1() // PI V1 knows five types: MDU_TECHNICAL is sent as MDU_COMMON, UNKNOWN not at all
	b = append(b, "</CountryCode>\n        <PremisesType>"...)
	b = appendEscaped(b, string(pt))
	b = append(b, "</PremisesType>\n        <MduApartmentNumber>"...)
	b = appendEscaped(b, a.MDUApartmentNumber)
	b = append(b, "</MduApartmentNumber>\n        <MduDistinguisher>"...)
	b = appendEscaped(b, a.PIV1MDUDistinguisher())
	b = append(b, "</MduDistinguisher>\n        <Activatable>"...)
	b = appendEscaped(b, string(activatable))
	b = append(b, "</Activatable>\n        <Sellable>"...)
	b = appendEscaped(b, string(sellable))
	b = append(b, "</Sellable>\n        <FiberConverter>"...)
	b = appendEscaped(b, a.FiberConverter)
	b = append(b, "</FiberConverter>\n        <CpeSwitch>"...)
	b = appendEscaped(b, a.CPESwitch)
	b = append(b, "</CpeSwitch>\n        <CpeRouter>"...)
	b = appendEscaped(b, a.CPERouter)
	b = append(b, "</CpeRouter>\n        <Option82>"...)
	b = appendEscaped(b, a.Option82)
	b = append(b, "</Option82>\n        <Population>"...)
	b = appendEscaped(b, a.Population)
	return append(b, "</Population>\n    </Access>\n</Entry>\n"...)
}

// plain marks the ASCII bytes that stand for themselves in character data.
var plain = func() (t [utf8.RuneSelf]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '&' && c != '<' && c != '>'
	}
	t['\t'], t['\n'] = true, true
	return t
}()

// appendEscaped appends s as XML character data: markup characters as
// entities, carriage returns kept as a character reference, and
// characters XML 1.0 cannot carry (control characters, invalid UTF-8) as
// U+FFFD. Runs of plain ASCII are copied whole.
func appendEscaped(b []byte, s string) []byte {
	last := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf && plain[c] {
			i++
			continue
		}
		var esc string
		width := 1
		switch c {
		case '&':
			esc = "&amp;"
		case '<':
			esc = "&lt;"
		case '>':
			esc = "&gt;"
		case '\r':
			esc = "&#xD;"
		default:
			var r rune
			r, width = utf8.DecodeRuneInString(s[i:])
			if (r != utf8.RuneError || width > 1) && isXMLChar(r) {
				i += width
				continue
			}
			esc = "\uFFFD"
		}
		b = append(b, s[last:i]...)
		b = append(b, esc...)
		i += width
		last = i
	}
	return append(b, s[last:]...)
}

func isXMLChar(r rune) bool {
	return r == '\t' || r == '\n' || r == '\r' ||
		(r >= 0x20 && r <= 0xD7FF) || (r >= 0xE000 && r <= 0xFFFD) || (r >= 0x10000 && r <= 0x10FFFF)
}
