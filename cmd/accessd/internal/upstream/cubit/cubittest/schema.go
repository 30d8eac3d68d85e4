package cubittest

import (
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

// kind is the JSON type a member must have.
type kind uint8

const (
	kString kind = iota
	kInt         // a JSON number without fraction or exponent
	kNumber      // any JSON number
	kBool
	kObject
)

func (k kind) String() string {
	return [...]string{"a string", "a whole number", "a number", "true or false", "an object"}[k]
}

// field is the rule of one member.
type field struct {
	kind     kind
	required bool
	check    func(v any) string // "" when good; gets string, json.Number, bool
	sub      schema             // kObject
}

// schema maps lower-cased keys to rules: keys match in any case, as in an
// ASP.NET Core service (the seed itself writes description/Description and
// latitude/Latitude).
type schema map[string]field

// problems maps a JSON path to what is wrong there.
type problems map[string][]string

func (p problems) add(path, format string, args ...any) {
	p[path] = append(p[path], fmt.Sprintf(format, args...))
}

// walk checks obj against s, adding to ps under path.
func (s schema) walk(obj map[string]any, path string, ps problems) {
	seen := map[string]bool{}
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		lk := strings.ToLower(k)
		at := path + k
		f, ok := s[lk]
		switch {
		case !ok:
			ps.add(at, "unknown key")
			continue
		case seen[lk]:
			ps.add(at, "given twice")
			continue
		}
		seen[lk] = true
		f.value(obj[k], at, ps)
	}
	for k, f := range s {
		if f.required && !seen[k] {
			ps.add(path+k, "is required")
		}
	}
}

func (f field) value(v any, at string, ps problems) {
	if v == nil {
		if f.required {
			ps.add(at, "is required and may not be null")
		}
		return
	}
	ok := false
	switch f.kind {
	case kString:
		_, ok = v.(string)
	case kBool:
		_, ok = v.(bool)
	case kNumber:
		_, ok = v.(json.Number)
	case kInt:
		var n json.Number
		if n, ok = v.(json.Number); ok {
			_, err := strconv.ParseInt(n.String(), 10, 64)
			ok = err == nil
		}
	case kObject:
		var m map[string]any
		if m, ok = v.(map[string]any); ok {
			f.sub.walk(m, at+".", ps)
			return
		}
	}
	if !ok {
		ps.add(at, "must be %s", f.kind)
		return
	}
	if f.check != nil {
		if msg := f.check(v); msg != "" {
			ps.add(at, "%s", msg)
		}
	}
}

var (
	digits4  = regexp.MustCompile(`^[0-9]{4}$`)
	digits9  = regexp.MustCompile(`^[0-9]{9}$`)
	digits18 = regexp.MustCompile(`^[0-9]{18}$`)
	naering  = regexp.MustCompile(`^[0-9]{2}(\.[0-9]{1,3})?$`)
)

func str(v any) string { s, _ := v.(string); return s }

func match(re *regexp.Regexp, what string) func(any) string {
	return func(v any) string {
		if !re.MatchString(str(v)) {
			return "is not " + what
		}
		return ""
	}
}

func isoDate(v any) string {
	s := str(v)
	if _, err := time.Parse(time.DateOnly, s); err != nil || len(s) != 10 {
		return "is not an ISO date YYYY-MM-DD"
	}
	return ""
}

func between(lo, hi float64) func(any) string {
	return func(v any) string {
		f, err := v.(json.Number).Float64()
		if err != nil || f < lo || f > hi {
			return fmt.Sprintf("is outside %g to %g (WGS84)", lo, hi)
		}
		return ""
	}
}

func oneOf(vals ...string) func(any) string {
	return func(v any) string {
		for _, x := range vals {
			if str(v) == x {
				return ""
			}
		}
		return "must be one of " + strings.Join(vals, ", ")
	}
}

func nonEmpty(v any) string {
	if str(v) == "" {
		return "may not be empty: it is the key"
	}
	return ""
}

func nonNegative(v any) string {
	if strings.HasPrefix(v.(json.Number).String(), "-") {
		return "may not be negative"
	}
	return ""
}

var (
	sText    = field{kind: kString}
	sInt     = field{kind: kInt, check: nonNegative}
	sDate    = field{kind: kString, check: isoDate}
	sPostal  = field{kind: kString, check: match(digits4, "a Norwegian postal code of four digits")}
	location = schema{
		"latitude": {kind: kNumber, check: between(-90, 90)}, "longitude": {kind: kNumber, check: between(-180, 180)},
	}
)

// locationSchema accepts {latitude, longitude} and the seed's 4/4/22
// variant {coordinates: {latitude, longitude}}.
func locationSchema() schema {
	s := schema{"coordinates": {kind: kObject, sub: location}}
	for k, f := range location {
		s[k] = f
	}
	return s
}

func nodeSchema(child string, childSchema schema) schema {
	s := schema{
		"name":     {kind: kString, required: true, check: nonEmpty},
		"address":  {kind: kObject, sub: schema{"addresstext": sText, "postalcode": sPostal}},
		"location": {kind: kObject, sub: locationSchema()},
	}
	if child != "" {
		s[child] = field{kind: kObject, sub: childSchema}
	}
	return s
}

// customerSchema is the seed's customer body. number checks Number.
func customerSchema(number func(any) string) schema {
	return schema{
		"number":    {kind: kString, required: true, check: number},
		"firstname": sText, "lastname": sText,
		"address": {kind: kObject, sub: schema{
			"addresstext": sText, "postalcode": sText, "foreigncity": sText,
			"country": {kind: kString, check: match(regexp.MustCompile(`^[A-Z]{2}$`), "an ISO 3166-1 alpha-2 code")},
		}},
		"email": sText, "phone": sText, "birthdate": sDate,
		"organizationnumber":            {kind: kString, check: match(digits9, "9 digits")},
		"acceptelectroniccommunication": {kind: kBool},
	}
}

// plantSchema is the seed's plant body.
func plantSchema(number func(any) string) schema {
	ns := nodeSchema("", nil)
	tr := nodeSchema("netstation", ns)
	cp := nodeSchema("transformer", tr)
	return schema{
		"customerchangefrom": sDate,
		"customerid":         {kind: kString, check: number},
		"meteringpointid":    {kind: kString, required: true, check: match(digits18, "18 digits")},
		"plantid":            sText, "searchcategory": sText,
		"consumptioncode":          {kind: kInt, required: true, check: nonNegative},
		"industrialclassification": {kind: kString, required: true, check: match(naering, "a næringskode like 55.102")},
		"buildingcode":             sInt,
		"connecteddate":            sDate,
		"status":                   {kind: kString, check: oneOf("Spenningsatt", "Inaktivt", "Terminert")},
		"address": {kind: kObject, sub: schema{
			"addresstext": sText, "postalcode": sPostal, "floor": sText, "apartmentnumber": sText,
			"holdingnumber": sInt, "subholdingnumber": sInt, "leasenumber": sInt, "sectionnumber": sInt,
			"residentialnumber": {kind: kString, check: match(regexp.MustCompile(`^[HUKL][0-9]{4}$`), "a bruksenhetsnummer like H0101")},
		}},
		"meter":               {kind: kObject, sub: schema{"meternumber": sText, "supplier": sText, "modell": sText}},
		"description":         sText,
		"externalplantnumber": sText,
		"technicaldata": {kind: kObject, sub: schema{
			"maincircuitbreakercurrent": sInt, "maincircuitbreakerphase": sInt, "maincircuitbreakeramps": sInt,
			"maincircuitbreakervoltage": sInt, "overloadamps": sInt, "overloadphase": sInt,
			"shortcircuitprotectionamps": sInt, "shortcircuitprotectionphase": sInt, "io": sInt,
			"earthingsystem": sText, "connectiontype": sText,
		}},
		"builtbyelcompanyid": sInt,
		"auditspecificinfo": {kind: kObject, sub: schema{
			"planttype": sText, "inspectionarea": sInt, "riskcategorygroup": sInt, "inspectionrate": sInt,
		}},
		"location":        {kind: kObject, sub: locationSchema()},
		"connectionpoint": {kind: kObject, sub: cp},
	}
}
