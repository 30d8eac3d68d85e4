package atlas

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/stadsnat/accessd/api/activation"
	"github.com/stadsnat/accessd/api/internal/web"
	"github.com/stadsnat/accessd/store"
)

// Bindings finds the access of a device by its live DHCP binding.
type Bindings interface {
	AccessByIP(ip netip.Addr) (accessID string, ok bool)
	AccessByMAC(mac [6]byte) (accessID string, ok bool)
}

// Neighbours is the neighbour table: the MAC behind an address on the
// box's own links.
type Neighbours interface {
	MAC(ctx context.Context, ip netip.Addr) (mac [6]byte, ok bool, err error)
}

// Config is the Atlas section of the configuration, parsed.
type Config struct {
	APIUser        string
	APIKey         string
	ReturnURLs     []*url.URL
	AllowedIPs     []netip.Prefix
	TrustedProxies []netip.Prefix
	NetType        string // port_status's nettype
	// BouncePath and APIPath are where the two URLs are served (default
	// /atlas/bounce and /atlas/api).
	BouncePath, APIPath string
}

// Handler serves the bounce URL and the activation API.
type Handler struct {
	cfg       Config
	allow     *AllowList
	engine    *activation.Engine
	bindings  Bindings
	neighbors Neighbours
	log       *slog.Logger
	bounces   *bounceLog
	userHash  [32]byte
	keyHash   [32]byte
	// ok are the api_user and api_key pairs that checked out (only the
	// configured one can): a new configuration makes a new Handler, and
	// starts with none.
	ok web.Verified[apiCredentials, struct{}]
	// lengths are the answers' Content-Length values.
	lengths web.Lengths
}

// apiCredentials are an API user and key as a call sent them.
type apiCredentials struct{ user, key string }

// New makes the handlers. bindings and neighbours may be nil (every
// visitor is then "not found").
func New(cfg Config, engine *activation.Engine, bindings Bindings, neighbours Neighbours, log *slog.Logger) (*Handler, error) {
	al := NewAllowList(cfg.ReturnURLs)
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if cfg.NetType == "" {
		cfg.NetType = "LAYER2"
	}
	if cfg.BouncePath == "" {
		cfg.BouncePath = "/atlas/bounce"
	}
	if cfg.APIPath == "" {
		cfg.APIPath = "/atlas/api"
	}
	return &Handler{cfg: cfg, allow: al, engine: engine, bindings: bindings, neighbors: neighbours, log: log,
		bounces: newBounceLog(log), userHash: sha256.Sum256([]byte(cfg.APIUser)), keyHash: sha256.Sum256([]byte(cfg.APIKey))}, nil
}

// Bounce outcomes, as the redirect's status says them.
const (
	bounceOK       = "ok"
	bounceNotFound = "not found"
	bounceError    = "error"
)

// Bounce serves the bounce URL.
func (h *Handler) Bounce(w http.ResponseWriter, r *http.Request) {
	b, returnURL, err := parseBounce(r.URL.RawQuery)
	if err != nil {
		h.refuseBounce(w, "bad parameters", err)
		return
	}
	t, err := h.allow.matchEscaped(returnURL)
	if err != nil {
		h.refuseBounce(w, "return_url not allowed", err)
		return
	}
	status, msg, access := bounceOK, "", ""
	switch {
	case !checkBounceKey(h.cfg.APIUser, h.cfg.APIKey, b):
		status, msg = bounceError, "api_key stämmer inte"
	default:
		var err error
		access, err = h.locate(r)
		switch {
		case errors.Is(err, store.ErrNotFound):
			status, msg = bounceNotFound, "Besökarens uttag kunde inte identifieras"
		case err != nil:
			status, msg = bounceError, "Identifieringen misslyckades"
			h.log.Warn("atlas bounce: identifying the visitor failed", "err", err)
		}
	}
	loc := t.with([][2]string{{"status", status}, {"message", msg}, {"uid", access}, {"accessId", access},
		{"api_key", b.APIKey}, {"api_secret", b.APISecret}})
	hd := w.Header()
	web.SetNoStore(hd)
	hd["Location"] = []string{loc}
	w.WriteHeader(http.StatusFound)
	h.bounces.outcome(status, access)
}

func (h *Handler) refuseBounce(w http.ResponseWriter, what string, err error) {
	h.bounces.refusal(what, err)
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusBadRequest)
	fmt.Fprintf(w, "400 Bad Request: %s\n", what)
}

// locate finds the visitor's access: its address's binding, else the MAC
// the neighbour table has for the address and that MAC's binding. The
// access must still be in the inventory.
func (h *Handler) locate(r *http.Request) (string, error) {
	ip, err := ClientIP(r, h.cfg.TrustedProxies)
	if err != nil {
		return "", err
	}
	if h.bindings == nil {
		return "", fmt.Errorf("no DHCP bindings: %w", store.ErrNotFound)
	}
	id, ok := h.bindings.AccessByIP(ip)
	if !ok && h.neighbors != nil {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		mac, found, err := h.neighbors.MAC(ctx, ip)
		cancel()
		if err != nil {
			return "", fmt.Errorf("neighbour table: %w", err)
		}
		if found {
			id, ok = h.bindings.AccessByMAC(mac)
		}
	}
	if !ok {
		return "", fmt.Errorf("visitor: %w", store.ErrNotFound)
	}
	if !h.engine.HasAccess(id) {
		return "", fmt.Errorf("access %q of the binding: %w", id, store.ErrNotFound)
	}
	return id, nil
}

// API serves the activation API.
func (h *Handler) API(w http.ResponseWriter, r *http.Request) {
	c, perr := ParseCall(r.URL.RawQuery)
	ip, err := ClientIP(r, h.cfg.TrustedProxies)
	if err != nil || !inPrefixes(ip, h.cfg.AllowedIPs) {
		// A caller outside atlas.allowed_ips fails to authenticate:
		// counted, logged rate-limited and throttled by the guard.
		if tm := web.AuthFailed(w, r, Group, apiUser(r, c)); tm != nil {
			web.PlainText(w, r, tm)
			return
		}
		h.write(w, c.Method, http.StatusForbidden, failure(c.Method, 590, "address not allowed"))
		return
	}
	if !h.authorized(r, c) {
		// Counted, logged (rate-limited, with the user name sent) and
		// throttled by the router's guard.
		if tm := web.AuthFailed(w, r, Group, apiUser(r, c)); tm != nil {
			web.PlainText(w, r, tm)
			return
		}
		// RFC 9110 §15.5.2: a 401 carries a challenge. The API user may
		// come as HTTP Basic too.
		w.Header().Set("WWW-Authenticate", `Basic realm="atlas", charset="UTF-8"`)
		h.write(w, c.Method, http.StatusUnauthorized, failure(c.Method, 591, "wrong api_user or api_key"))
		return
	}
	if perr != nil {
		h.write(w, c.Method, http.StatusBadRequest, failure(c.Method, 592, perr.Error()))
		return
	}
	if c.Method == MethodPortStatus {
		h.portStatus(w, c)
		return
	}
	ans, err := h.call(c)
	if err != nil {
		h.log.Error("atlas API failed", "method", c.Method, "access_id", c.Socket, "err", err)
		h.write(w, c.Method, http.StatusInternalServerError, failure(c.Method, 593, "internal error"))
		return
	}
	h.write(w, c.Method, http.StatusOK, ans)
}

func (h *Handler) write(w http.ResponseWriter, method string, status int, v any) {
	if err := writeXML(w, &h.lengths, status, v); err != nil {
		h.log.Debug("atlas API answer not sent", "method", method, "err", err)
	}
}

// apiUser is the API user a call names: api_user, or HTTP Basic's.
func apiUser(r *http.Request, c Call) string {
	if c.APIUser == "" && c.APIKey == "" {
		if u, _, ok := r.BasicAuth(); ok {
			return u
		}
	}
	return c.APIUser
}

// authorized checks the API user: the api_user and api_key parameters, or
// HTTP Basic. A pair that checked out before is remembered (see
// web.Verified: Atlas asks port_status thousands of times a second with
// the same pair); any other is compared as SHA-256 digests in constant
// time, and remembered only when it checks out. Failures are throttled by
// the router's guard before the handler runs.
func (h *Handler) authorized(r *http.Request, c Call) bool {
	user, key := c.APIUser, c.APIKey
	if user == "" && key == "" {
		if u, p, ok := r.BasicAuth(); ok {
			user, key = u, p
		}
	}
	if h.cfg.APIUser == "" {
		return false
	}
	if _, ok := h.ok.Lookup(apiCredentials{user, key}); ok {
		return true
	}
	uh, kh := sha256.Sum256([]byte(user)), sha256.Sum256([]byte(key))
	if subtle.ConstantTimeCompare(uh[:], h.userHash[:])&subtle.ConstantTimeCompare(kh[:], h.keyHash[:]) != 1 {
		return false
	}
	// (Cloned: the parameters are slices of the request's query.)
	h.ok.Remember(apiCredentials{strings.Clone(user), strings.Clone(key)}, struct{}{})
	return true
}

func (h *Handler) call(c Call) (any, error) {
	switch c.Method {
	case MethodServiceDeliverable:
		v, err := h.engine.Deliverable(c.Socket, c.ServiceUID, activation.OwnerAtlas)
		if err != nil {
			return nil, err
		}
		return deliverableXML(MethodServiceDeliverable, v), nil
	case MethodServiceOrder:
		return h.serviceOrder(c)
	case MethodServiceDeactivate:
		return h.serviceDeactivate(c)
	}
	return nil, fmt.Errorf("method %q", c.Method)
}

// portStatus answers port_status from its stack: the elements of its
// answer are separate variables linked into each other (one holding a
// pointer into itself would move to the heap, golang.org/issue/35518), and
// up to len(room) services need no allocation.
func (h *Handler) portStatus(w http.ResponseWriter, c Call) {
	ps, err := h.engine.PortStatus(c.Socket)
	var (
		resp portStatusResponse
		info portInfo
		svcs servicesXML
		room [4]serviceXML
	)
	out := portStatusXML{Response: &resp, Status: statusSuccess}
	switch {
	case errors.Is(err, store.ErrNotFound):
		out.Status = statusFailed
		resp = portStatusResponse{Code: activation.CodeNotFound, Message: "Uttaget finns inte"}
	case err != nil:
		h.log.Error("atlas API failed", "method", c.Method, "access_id", c.Socket, "err", err)
		h.write(w, c.Method, http.StatusInternalServerError, failure(c.Method, 593, "internal error"))
		return
	default:
		info = h.portInfo(&ps)
		resp.Info, resp.Services = &info, &svcs
		svcs.Service = room[:0]
		for _, s := range ps.Services {
			svcs.Service = append(svcs.Service, serviceXML{
				ID: s.UID, Date: s.Activated, Name: s.Name, Commitment: orZero(s.Commitment), Release: orZero(s.Release), Message: s.Message,
			})
		}
	}
	if err := writePortStatus(w, &h.lengths, http.StatusOK, &out); err != nil {
		h.log.Debug("atlas API answer not sent", "method", c.Method, "err", err)
	}
}

// portInfo is port_status's <info> of an access.
func (h *Handler) portInfo(ps *activation.PortStatus) portInfo {
	a := &ps.Access.Access
	info := portInfo{
		Message: ps.Message, NetType: h.cfg.NetType, Media: a.Media, CoCPE: "NO", DHCPOption: ps.Option82Hex,
		ServicePort: servicePort(string(a.Activatable)),
	}
	if info.DHCPOption == "" {
		// No DHCP packet seen on the access yet: the option its
		// inventory circuit would carry.
		info.DHCPOption = a.Option82Hex()
	}
	if ps.SpeedMbps > 0 {
		info.PortCapacity = mbps(ps.SpeedMbps)
	}
	if a.CPECapacityMbps > 0 {
		info.CPECapacity = mbps(a.CPECapacityMbps) // Mbit/s, as portcapacity and the seed's example
	}
	if a.CPESwitch != "" || a.CPERouter != "" {
		info.CoCPE = "YES"
	}
	return info
}

// mbps is strconv.Itoa without an allocation for the speeds of practice
// (strconv keeps only numbers below 100).
func mbps(n int) string {
	switch n {
	case 100:
		return "100"
	case 250:
		return "250"
	case 500:
		return "500"
	case 1000:
		return "1000"
	case 2500:
		return "2500"
	case 10000:
		return "10000"
	}
	return strconv.Itoa(n)
}

// servicePort is when the port can be served: ASAP once activatable,
// the date when one is set, NO when not planned.
func servicePort(activatable string) string {
	switch activatable {
	case "YES":
		return "ASAP"
	case "", "NO":
		return "NO"
	}
	return activatable
}

func orZero(date string) string {
	if date == "" {
		return "0"
	}
	return date
}

func deliverableXML(method string, v activation.Verdict) statusFirst {
	out := statusFirst{XMLName: xmlName(method), Status: statusSuccess, Response: &responseXML{Code: v.Code}}
	if v.OK() {
		return out
	}
	out.Status = statusFailed
	r := out.Response
	switch v.Code {
	case activation.CodeConflict:
		r.Service = v.Service
	case activation.CodeMedia:
		r.CurrentMedia, r.RequiredMedia = intp(v.CurrentMedia), intp(v.RequiredMedia)
	case activation.CodeCapacity:
		r.CurrentCapacity, r.RequiredCapacity = intp(v.CurrentKbit), intp(v.RequiredKbit)
	case activation.CodeHardware:
		r.Hardware = v.Hardware
	case activation.CodeNotFound:
	default:
		r.Message = v.Message
	}
	return out
}

func (h *Handler) serviceOrder(c Call) (any, error) {
	_, due, _ := h.engine.ParseDate(c.Date)
	key := ""
	if c.Order != "" {
		key = "atlas\x00" + c.Order + "\x00" + c.Socket + "\x00" + c.ServiceUID
	} else {
		// Without Atlas's order id a repeat is the same socket, service
		// and date: after a failed order it is answered 594 as the
		// first was, not placed again.
		last, found, err := h.engine.LastOrder(c.Socket, c.ServiceUID, activation.OwnerAtlas, store.Activate)
		if err != nil {
			return nil, err
		}
		if found && last.State == store.DoneFailed && last.Date == c.Date {
			return failure(MethodServiceOrder, 594, "Beställningen misslyckades: "+last.Message), nil
		}
	}
	res, err := h.engine.Place(activation.Request{
		Owner: activation.OwnerAtlas, Channel: "atlas", AccessID: c.Socket, Service: c.ServiceUID, Operation: store.Activate,
		Due: due, Date: c.Date, Key: key,
		Atlas: &store.AtlasRef{Order: c.Order, Customer: c.Customer, XSPCID: c.XSPCID, Origin: c.Origin},
	})
	if err != nil {
		return nil, err
	}
	switch res.Outcome {
	case activation.Refused:
		return deliverableXML(MethodServiceOrder, res.Verdict), nil
	case activation.Existing:
		if res.Order.State == store.DoneFailed {
			return failure(MethodServiceOrder, 594, "Beställningen misslyckades: "+res.Order.Message), nil
		}
		if res.Order.Operation == store.Deactivate {
			// Its deactivation is pending: the rules' 400 names it.
			return deliverableXML(MethodServiceOrder, res.Verdict), nil
		}
	}
	return statusFirst{XMLName: xmlName(MethodServiceOrder), Status: statusSuccess}, nil
}

func (h *Handler) serviceDeactivate(c Call) (any, error) {
	_, due, _ := h.engine.ParseDate(c.Date)
	res, err := h.engine.Deactivate(c.Socket, c.ServiceUID, c.Date, due, "atlas")
	if err != nil {
		return nil, err
	}
	if res.Outcome == activation.Refused {
		return deliverableXML(MethodServiceDeactivate, res.Verdict), nil
	}
	if res.Outcome == activation.AlreadyDone {
		// Not active (any more): what was asked for holds.
		h.log.Info("atlas service_deactivate of a service that is not active", "access_id", c.Socket, "service", c.ServiceUID)
	}
	return statusFirst{XMLName: xmlName(MethodServiceDeactivate), Status: statusSuccess}, nil
}
