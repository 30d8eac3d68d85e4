package portaltest

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"
)

// spec is what a method takes.
type spec struct {
	required []string
	hash     int // hashNone, hashRequired, hashOptional
}

const (
	hashNone = iota
	hashRequired
	hashOptional
)

// methodSpec gives the documented parameters of each method.
func methodSpec(method string) (spec, bool) {
	switch method {
	case "api_login":
		return spec{required: []string{"api_user", "api_key"}}, true
	case "orders", "customers":
		return spec{required: []string{"date"}, hash: hashRequired}, true
	case "order_info", "customer_info", "order_log":
		return spec{required: []string{"id"}, hash: hashRequired}, true
	case "set_status":
		return spec{required: []string{"id", "status"}, hash: hashRequired}, true
	case "add_message":
		// Documented without hash; A12: a client may send it.
		return spec{required: []string{"api_user", "id", "message", "type"}, hash: hashOptional}, true
	}
	return spec{}, false
}

func rank(status string) int {
	switch status {
	case "new":
		return 0
	case "received":
		return 1
	case "waiting":
		return 2
	case "active":
		return 3
	case "delivered", "cancelled":
		return 4
	}
	return -1
}

func validType(t string) bool {
	return t == "error" || t == "alert" || t == "system" || t == "log"
}

type logEntry struct {
	Time    string `xml:"time"`
	Type    string `xml:"type"`
	Message string `xml:"message"`
}

// ServeHTTP implements http.Handler.
func (p *Portal) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	up := p.uplink
	p.mu.Unlock()
	switch up {
	case Unavailable:
		http.Error(w, "503 Service Unavailable", http.StatusServiceUnavailable)
		return
	case Refusing:
		panic(http.ErrAbortHandler) // the connection is dropped without an answer
	}
	if r.URL.Path != p.opt.LogPath && r.URL.Path != p.opt.LoginPath {
		http.NotFound(w, r)
		return
	}
	if r.Method != http.MethodGet {
		w.Header().Set("Allow", http.MethodGet)
		http.Error(w, "405 method not allowed", http.StatusMethodNotAllowed)
		return
	}
	p.mu.Lock()
	ans := p.dispatch(r.URL.Path, r.URL.RawQuery)
	p.mu.Unlock()
	writeXML(w, ans)
}

// dispatch checks the call and runs it; p.mu is held.
func (p *Portal) dispatch(path, rawQuery string) answer {
	q, err := url.ParseQuery(rawQuery)
	if err != nil {
		p.calls["(malformed)"]++
		return p.fail("api", "malformed query string")
	}
	method := q.Get("method")
	p.calls[method]++
	switch {
	case len(q["method"]) == 0 || method == "":
		return p.fail("api", "missing parameter method")
	case len(q["method"]) > 1:
		return p.fail("api", "parameter method given more than once")
	}
	sp, ok := methodSpec(method)
	if !ok {
		return p.fail("api", fmt.Sprintf("unknown method %q", method))
	}
	if method == "api_login" && path != p.opt.LoginPath || method != "api_login" && path != p.opt.LogPath {
		return p.fail(method, fmt.Sprintf("method %s is not served at %s", method, path))
	}
	if reason := checkParams(sp, q); reason != "" {
		return p.fail(method, reason)
	}
	if sp.hash == hashRequired || sp.hash == hashOptional && q.Has("hash") {
		if reason := p.checkHash(q.Get("hash")); reason != "" {
			return p.fail(method, reason)
		}
	}
	switch method {
	case "api_login":
		return p.login(q)
	case "orders":
		return p.listOrders(q)
	case "customers":
		return p.listCustomers(q)
	case "order_info":
		return p.orderInfo(q)
	case "customer_info":
		return p.customerInfo(q)
	case "order_log":
		return p.orderLog(q)
	case "set_status":
		return p.setStatus(q)
	}
	return p.addMessage(q)
}

// checkParams says what is wrong with the parameters, or "".
func checkParams(sp spec, q url.Values) string {
	for k, vs := range q {
		switch {
		case k != "method" && !slices.Contains(sp.required, k) && !(k == "hash" && sp.hash != hashNone):
			return fmt.Sprintf("unknown parameter %q", k)
		case len(vs) > 1:
			return fmt.Sprintf("parameter %s given more than once", k)
		}
	}
	if sp.hash == hashRequired && q.Get("hash") == "" {
		return "missing parameter hash"
	}
	for _, k := range sp.required {
		v := q.Get(k)
		switch {
		case v == "":
			return "missing parameter " + k
		case (k == "id" || k == "api_user") && !isInt(v):
			return fmt.Sprintf("parameter %s %q is not an integer", k, v)
		case k == "date":
			if _, err := time.Parse(time.DateOnly, v); err != nil {
				return fmt.Sprintf("parameter date %q is not YYYY-MM-DD", v)
			}
		case k == "status" && rank(v) < 0:
			return fmt.Sprintf("status %q is not one of new, received, active, waiting, cancelled, delivered", v)
		case k == "type" && !validType(v):
			return fmt.Sprintf("type %q is not one of error, alert, system, log", v)
		}
	}
	return ""
}

func isInt(v string) bool {
	n, err := strconv.ParseUint(v, 10, 63)
	return err == nil && n > 0 && strconv.FormatUint(n, 10) == v
}

func (p *Portal) checkHash(h string) string {
	exp, ok := p.hashes[h]
	switch {
	case h == "":
		return "missing parameter hash"
	case !ok:
		return "invalid hash: log in with api_login"
	case !p.opt.Now().Before(exp):
		return "hash expired: log in with api_login"
	}
	return ""
}

// answer is one XML answer: root element, <response>, <status> (A1).
type answer struct {
	XMLName  xml.Name
	Response any    `xml:"response"`
	Status   string `xml:"status"`
}

type messageXML struct {
	Message string `xml:"message"`
}

func (p *Portal) fail(method, reason string) answer {
	p.refusals = append(p.refusals, method+": "+reason)
	return answer{XMLName: xml.Name{Local: method}, Response: messageXML{reason}, Status: "failed"}
}

func ok(method string, response any) answer {
	return answer{XMLName: xml.Name{Local: method}, Response: response, Status: "success"}
}

// writeXML writes the answer with HTTP 200 (A2), indented by three
// spaces as Atlas's other APIs answer.
func writeXML(w http.ResponseWriter, a answer) {
	var b bytes.Buffer
	b.WriteString(xml.Header)
	enc := xml.NewEncoder(&b)
	enc.Indent("", "   ")
	if err := enc.Encode(a); err != nil {
		http.Error(w, "encode: "+err.Error(), http.StatusInternalServerError)
		return
	}
	b.WriteByte('\n')
	w.Header().Set("Content-Type", "text/xml; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(b.Len()))
	w.Write(b.Bytes())
}
