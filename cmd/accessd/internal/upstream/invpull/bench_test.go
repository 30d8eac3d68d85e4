package invpull

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"strconv"
	"testing"

	"github.com/stadsnat/accessd/store/inventory"
	"github.com/stadsnat/accessd/store/inventory/invtest"
)

// piv1Export writes n generated accesses as a PI V1 export.
func piv1Export(n int) []byte {
	var b bytes.Buffer
	b.WriteString(`<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\n<Entries>\n<Count>" + strconv.Itoa(n) + "</Count>\n")
	el := func(name, v string) {
		b.WriteString("<" + name + ">")
		xml.EscapeText(&b, []byte(v))
		b.WriteString("</" + name + ">")
	}
	for a := range invtest.All(n, 1) {
		b.WriteString("<Entry>")
		el("AccessId", a.AccessID)
		b.WriteString("<Access>")
		pt, _ := a.PremisesType.PIV1()
		for _, f := range [][2]string{
			{"StreetName", a.StreetName}, {"StreetNumber", a.StreetNumber}, {"StreetLittera", a.StreetLittera},
			{"PostalCode", a.PostalCode}, {"City", a.City}, {"CountryCode", a.CountryCode}, {"PremisesType", string(pt)},
			{"MduApartmentNumber", a.MDUApartmentNumber}, {"MduDistinguisher", a.PIV1MDUDistinguisher()},
			{"Activatable", string(a.Activatable)}, {"Sellable", string(a.Sellable)}, {"FiberConverter", a.FiberConverter},
			{"CpeSwitch", a.CPESwitch}, {"CpeRouter", a.CPERouter}, {"Option82", a.Option82}, {"Population", a.Population},
		} {
			el(f[0], f[1])
		}
		b.WriteString("</Access></Entry>\n")
	}
	b.WriteString("</Entries>\n")
	return b.Bytes()
}

// BenchmarkParsePIV1 parses a PI V1 export of 100,000 accesses.
func BenchmarkParsePIV1(b *testing.B) {
	doc := piv1Export(100_000)
	b.SetBytes(int64(len(doc)))
	b.ReportAllocs()
	for b.Loop() {
		in, _, err := ParsePIV1(bytes.NewReader(doc))
		if err != nil || len(in) != 100_000 {
			b.Fatalf("%d accesses, %v", len(in), err)
		}
	}
}

// BenchmarkParseAccessesJSON parses an ON-API answer of 100,000 accesses,
// every one completed through a lookup.
func BenchmarkParseAccessesJSON(b *testing.B) {
	const n = 100_000
	look := mapLookup{}
	var buf bytes.Buffer
	buf.WriteByte('[')
	for a := range invtest.All(n, 1) {
		look[a.AccessID] = a
		if buf.Len() > 1 {
			buf.WriteString(",\n")
		}
		obj, _ := json.Marshal(map[string]any{
			"accessId": a.AccessID, "streetName": a.StreetName, "streetNumber": a.StreetNumber, "postalCode": a.PostalCode,
			"city": a.City, "countryCode": a.CountryCode, "premisesType": a.PremisesType, "mduApartmentNumber": a.MDUApartmentNumber,
			"mduDistinguisher": a.MDUDistinguisher, "priceGroup": 0, "accessState": "CONNECTED",
		})
		buf.Write(obj)
	}
	buf.WriteByte(']')
	doc := buf.Bytes()
	b.SetBytes(int64(len(doc)))
	b.ReportAllocs()
	for b.Loop() {
		in, _, err := ParseAccessesJSON(doc, ONAPI, look, inventory.Date{Year: 2025, Month: 6, Day: 1})
		if err != nil || len(in) != n {
			b.Fatalf("%d accesses, %v", len(in), err)
		}
	}
}

// BenchmarkPullPIV1IntoStore is a whole pull of 100,000 accesses from an
// HTTP source into a real store file, updating every access.
func BenchmarkPullPIV1IntoStore(b *testing.B) {
	doc := piv1Export(100_000)
	h := newHarness(b, PIV1, "application/xml", nil)
	h.src.set(doc, lm1)
	b.SetBytes(int64(len(doc)))
	for b.Loop() {
		res, err := h.p.Pull(context.Background(), Full)
		if err != nil || res.Accesses != 100_000 {
			b.Fatalf("%+v, %v", res, err)
		}
	}
}
