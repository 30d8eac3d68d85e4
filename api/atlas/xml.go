package atlas

import (
	"bytes"
	"encoding/xml"
	"net/http"

	"github.com/stadsnat/accessd/api/internal/web"
)

// The answers, element for element as seed 004 shows them. Note the order
// of <status> and <response>: after it in port_status, before it in
// service_deliverable, as in the seed's examples.

type portStatusXML struct {
	XMLName  xml.Name            `xml:"port_status"`
	Response *portStatusResponse `xml:"response"`
	Status   string              `xml:"status"`
}

type portStatusResponse struct {
	// A failure has code and message instead of info and services.
	Code     int          `xml:"code,omitempty"`
	Message  string       `xml:"message,omitempty"`
	Info     *portInfo    `xml:"info"`
	Services *servicesXML `xml:"services"`
}

type portInfo struct {
	Message      string `xml:"message"`
	NetType      string `xml:"nettype"`
	Media        string `xml:"media"`
	PortCapacity string `xml:"portcapacity"`
	CPECapacity  string `xml:"cpecapacity"`
	CoCPE        string `xml:"cocpe"`
	DHCPOption   string `xml:"dhcpoption"`
	ServicePort  string `xml:"serviceport"`
}

type servicesXML struct {
	Service []serviceXML `xml:"service"`
}

type serviceXML struct {
	ID         string `xml:"id"`
	Date       string `xml:"date"`
	Name       string `xml:"name"`
	Commitment string `xml:"commitment"`
	Release    string `xml:"release"`
	Message    string `xml:"message,omitempty"`
}

// statusFirst is the shape of service_deliverable, service_order and
// service_deactivate: <status>, then <response> when there is one.
type statusFirst struct {
	XMLName  xml.Name
	Status   string       `xml:"status"`
	Response *responseXML `xml:"response"`
}

type responseXML struct {
	Code             int    `xml:"code"`
	Service          string `xml:"service,omitempty"`
	CurrentMedia     *int   `xml:"current_media"`
	RequiredMedia    *int   `xml:"required_media"`
	CurrentCapacity  *int   `xml:"current_capacity"`
	RequiredCapacity *int   `xml:"required_capacity"`
	Hardware         string `xml:"hardware,omitempty"`
	Message          string `xml:"message,omitempty"`
}

const (
	statusSuccess = "success"
	statusFailed  = "failed"
)

// writeXML writes v as the answer, with 3-space indentation as in the seed:
// appended without reflection (xmlappend.go) into a pooled buffer, or for
// a type appendAnswer does not know, by encoding/xml.
// Content-Length's value is shared from lengths (nil: none shared).
func writeXML(w http.ResponseWriter, lengths *web.Lengths, httpStatus int, v any) error {
	buf := web.GetBuffer()
	defer web.PutBuffer(buf)
	b, ok := appendAnswer(buf.B, v)
	if !ok {
		var err error
		if b, err = encodeXML(buf.B, v); err != nil {
			return err
		}
	}
	buf.B = b
	return sendXML(w, lengths, httpStatus, buf)
}

// writePortStatus is writeXML for port_status's answer, which it does not
// keep: the caller's answer stays on its stack.
func writePortStatus(w http.ResponseWriter, lengths *web.Lengths, httpStatus int, p *portStatusXML) error {
	buf := web.GetBuffer()
	defer web.PutBuffer(buf)
	var x xmlw
	buf.B = p.append(append(buf.B, xml.Header...), &x)
	return sendXML(w, lengths, httpStatus, buf)
}

// sendXML ends the answer in buf with a newline and writes it with its
// headers.
func sendXML(w http.ResponseWriter, lengths *web.Lengths, httpStatus int, buf *web.Buffer) error {
	buf.B = append(buf.B, '\n')
	h := w.Header()
	web.SetXMLType(h)
	lengths.SetContentLength(h, len(buf.B))
	web.SetNoStore(h)
	w.WriteHeader(httpStatus)
	_, err := w.Write(buf.B)
	return err
}

// encodeXML appends v after the XML declaration with encoding/xml.
func encodeXML(dst []byte, v any) ([]byte, error) {
	b := bytes.NewBuffer(append(dst, xml.Header...))
	enc := xml.NewEncoder(b)
	enc.Indent("", "   ")
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// failure is the answer of a method that failed with an own code. Its
// root element is the method's name, as in the seed's answers; a call
// without one of the four methods gets <api>, never an element named
// after what the caller sent (which need not even be an XML name).
func failure(method string, code int, msg string) any {
	switch method {
	case MethodPortStatus:
		return portStatusXML{Response: &portStatusResponse{Code: code, Message: msg}, Status: statusFailed}
	case MethodServiceDeliverable, MethodServiceOrder, MethodServiceDeactivate:
	default:
		method = "api"
	}
	return statusFirst{XMLName: xml.Name{Local: method}, Status: statusFailed, Response: &responseXML{Code: code, Message: msg}}
}

func intp(n int) *int { return &n }

func xmlName(method string) xml.Name { return xml.Name{Local: method} }
