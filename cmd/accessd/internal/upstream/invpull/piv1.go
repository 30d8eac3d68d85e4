package invpull

import (
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/stadsnat/accessd/store"
	"github.com/stadsnat/accessd/store/inventory"
)

// piv1Fields maps the elements of a PI V1 <Access> (and <AccessId>) to
// the fields of the inventory's access, and the inventory's JSON field
// names (which its validation reports) back to the element names.
var piv1Fields = map[string]struct {
	json string
	set  func(*inventory.Access, string)
}{
	"AccessId":           {"accessId", func(a *inventory.Access, s string) { a.AccessID = s }},
	"StreetName":         {"streetName", func(a *inventory.Access, s string) { a.StreetName = s }},
	"StreetNumber":       {"streetNumber", func(a *inventory.Access, s string) { a.StreetNumber = s }},
	"StreetLittera":      {"streetLittera", func(a *inventory.Access, s string) { a.StreetLittera = s }},
	"PostalCode":         {"postalCode", func(a *inventory.Access, s string) { a.PostalCode = s }},
	"City":               {"city", func(a *inventory.Access, s string) { a.City = s }},
	"CountryCode":        {"countryCode", func(a *inventory.Access, s string) { a.CountryCode = s }},
	"PremisesType":       {"premisesType", func(a *inventory.Access, s string) { a.PremisesType = inventory.PremisesType(s) }},
	"MduApartmentNumber": {"mduApartmentNumber", func(a *inventory.Access, s string) { a.MDUApartmentNumber = s }},
	"MduDistinguisher":   {"mduDistinguisher", func(a *inventory.Access, s string) { a.MDUDistinguisher = s }},
	"Activatable":        {"activatable", func(a *inventory.Access, s string) { a.Activatable = inventory.Availability(s) }},
	"Sellable":           {"sellable", func(a *inventory.Access, s string) { a.Sellable = inventory.Availability(s) }},
	"FiberConverter":     {"coFiberConverter", func(a *inventory.Access, s string) { a.FiberConverter = s }},
	"CpeSwitch":          {"coCpeSwitch", func(a *inventory.Access, s string) { a.CPESwitch = s }},
	"CpeRouter":          {"coCpeRouter", func(a *inventory.Access, s string) { a.CPERouter = s }},
	"Option82":           {"option82", func(a *inventory.Access, s string) { a.Option82 = s }},
	"Population":         {"population", func(a *inventory.Access, s string) { a.Population = s }},
}

// piv1Element returns the PI V1 element name of an inventory JSON field.
func piv1Element(jsonField string) string {
	for el, f := range piv1Fields {
		if f.json == jsonField {
			return el
		}
	}
	return jsonField
}

// ParsePIV1 reads a Com Hem PI V1 export (GET /ko/api/1/): <Entries> with
// <Count> and one <Entry> per access, each <AccessId> and <Access> with the
// field elements. Every access is normalised and validated as the
// inventory's JSON import validates (PI V1's rules); a problem names the
// line of its <Entry> and the element. Count must equal the number of
// entries, so a cut export is refused. Unknown elements are skipped and
// their names returned. When anything is wrong the error is an
// *inventory.Problems listing every problem, and nothing must be applied.
func ParsePIV1(r io.Reader) (in []store.Incoming, ignored []string, err error) {
	d := xml.NewDecoder(r)
	var ps inventory.Problems
	p := &piv1Parser{d: d, ps: &ps, ignored: map[string]bool{}}
	if err := p.entries(); err != nil {
		line, _ := d.InputPos()
		ps.List = append(ps.List, inventory.Problem{Line: line, Message: "invalid XML: " + err.Error()})
	}
	for k := range p.ignored {
		ignored = append(ignored, k)
	}
	if len(ps.List) > 0 {
		return nil, ignored, &ps
	}
	return p.in, ignored, nil
}

type piv1Parser struct {
	d       *xml.Decoder
	ps      *inventory.Problems
	in      []store.Incoming
	ignored map[string]bool
	seen    int // entries read, good or bad
}

func (p *piv1Parser) problem(line int, id, field, msg string) {
	p.ps.List = append(p.ps.List, inventory.Problem{Line: line, AccessID: id, Field: field, Message: msg})
}

// next returns the next start or end element, skipping character data,
// comments, processing instructions and directives.
func (p *piv1Parser) next() (xml.Token, error) {
	for {
		t, err := p.d.Token()
		if err != nil {
			return nil, err
		}
		switch t.(type) {
		case xml.StartElement, xml.EndElement:
			return t, nil
		}
	}
}

func (p *piv1Parser) entries() error {
	t, err := p.next()
	if err == io.EOF {
		p.problem(1, "", "", "the export is empty: an <Entries> element is needed")
		return nil
	}
	if err != nil {
		return err
	}
	if se, ok := t.(xml.StartElement); !ok || se.Name.Local != "Entries" {
		line, _ := p.d.InputPos()
		p.problem(line, "", "", "the root element is not <Entries>")
		return nil
	}
	count, countLine := -1, 0
	for {
		t, err := p.next()
		if err != nil {
			return err
		}
		if _, ok := t.(xml.EndElement); ok {
			break // </Entries>
		}
		se := t.(xml.StartElement)
		line, _ := p.d.InputPos()
		switch se.Name.Local {
		case "Count":
			text, err := p.text()
			if err != nil {
				return err
			}
			n, perr := strconv.Atoi(strings.TrimSpace(text))
			if perr != nil || n < 0 || count >= 0 {
				p.problem(line, "", "Count", strconv.Quote(text)+" is not one count of entries")
				continue
			}
			count, countLine = n, line
		case "Entry":
			if err := p.entry(line); err != nil {
				return err
			}
		default:
			p.ignored[se.Name.Local] = true
			if err := p.d.Skip(); err != nil {
				return err
			}
		}
	}
	if _, err := p.next(); err != io.EOF {
		line, _ := p.d.InputPos()
		p.problem(line, "", "", "something follows </Entries>")
	}
	if count >= 0 && count != p.seen {
		p.problem(countLine, "", "Count", fmt.Sprintf("says %d but the export holds %d entries: it may be cut short", count, p.seen))
	}
	return nil
}

// text returns the character data of the current element and consumes its
// end; a child element is an error.
func (p *piv1Parser) text() (string, error) {
	var b strings.Builder
	for {
		t, err := p.d.Token()
		if err != nil {
			return "", err
		}
		switch t := t.(type) {
		case xml.CharData:
			b.Write(t)
		case xml.EndElement:
			return b.String(), nil
		case xml.StartElement:
			return "", fmt.Errorf("element <%s> inside a field", t.Name.Local)
		}
	}
}

// entry reads one <Entry> that started on line.
func (p *piv1Parser) entry(line int) error {
	p.seen++
	var a inventory.Access
	got := map[string]bool{}
	for {
		t, err := p.next()
		if err != nil {
			return err
		}
		if _, ok := t.(xml.EndElement); ok {
			break // </Entry>
		}
		se := t.(xml.StartElement)
		name := se.Name.Local
		elLine, _ := p.d.InputPos()
		switch {
		case name == "AccessId" || name == "Access":
			if got[name] {
				p.problem(elLine, a.AccessID, name, "appears twice in one entry")
			}
			got[name] = true
			if name == "Access" {
				if err := p.access(&a); err != nil {
					return err
				}
				continue
			}
			text, err := p.text()
			if err != nil {
				return err
			}
			a.AccessID = text
		default:
			p.ignored[name] = true
			if err := p.d.Skip(); err != nil {
				return err
			}
		}
	}
	a = inventory.Normalize(a)
	if err := inventory.Validate(a, inventory.JSON); err != nil {
		var vps *inventory.Problems
		if !errors.As(err, &vps) {
			return err
		}
		for _, vp := range vps.List {
			p.problem(line, a.AccessID, piv1Element(vp.Field), vp.Message)
		}
		return nil
	}
	p.in = append(p.in, store.Incoming{Line: line, Access: a})
	return nil
}

// access reads the fields of an <Access> into a.
func (p *piv1Parser) access(a *inventory.Access) error {
	got := map[string]bool{}
	for {
		t, err := p.next()
		if err != nil {
			return err
		}
		if _, ok := t.(xml.EndElement); ok {
			return nil // </Access>
		}
		name := t.(xml.StartElement).Name.Local
		elLine, _ := p.d.InputPos()
		f, known := piv1Fields[name]
		if !known || name == "AccessId" {
			p.ignored[name] = true
			if err := p.d.Skip(); err != nil {
				return err
			}
			continue
		}
		text, err := p.text()
		if err != nil {
			return err
		}
		if got[name] {
			p.problem(elLine, a.AccessID, name, "appears twice in one access")
			continue
		}
		got[name] = true
		f.set(a, text)
	}
}
