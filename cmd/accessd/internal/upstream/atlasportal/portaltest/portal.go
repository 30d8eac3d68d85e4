// Package portaltest is a test Atlas order portal (serviceguide_log) that
// enforces what the documentation says and what atlasportal's
// assumptions.go assumes, so that a client that gets one thing wrong fails
// its tests:
//
//   - GET only, on LogPath (and api_login on LoginPath); any other path is
//     404, any other HTTP method 405.
//   - method present and known; every parameter of the method present,
//     well-formed (ids are integers, dates YYYY-MM-DD, status and type
//     from the documented lists) and given once; no parameter the method
//     does not take. A failure answers <status>failed</status> with the
//     reason in <response><message> (A2).
//   - api_login checks api_user and api_key and gives a hash valid 20
//     minutes on the portal's clock (Options.Now); every other method but
//     add_message needs a live hash (missing, unknown and expired are
//     refused); add_message needs its documented api_user, which must be
//     the API user, and takes a hash as well (A12), which must then be
//     live.
//   - set_status refuses a change backwards (A13) and counts a repeat of
//     the current status.
//
// It counts every call by method, every login, every status transition
// and message in order, and can be taken down (503) or made to refuse
// connections: an uplink outage. Client returns an *http.Client that
// reaches it in-process (for testing/synctest bubbles, where real sockets
// would stall the fake clock); the Portal is also an http.Handler for an
// httptest.Server.
package portaltest

import (
	"crypto/rand"
	"encoding/hex"
	"maps"
	"slices"
	"sync"
	"time"
)

// Options configure a Portal.
type Options struct {
	APIUser, APIKey string // default "1234" and "test-api-key"
	LogPath         string // default /plain/serviceguide_log
	LoginPath       string // where api_login is served; default LogPath
	// Now is the portal's clock, for the hash's life and order times; nil:
	// time.Now.
	Now func() time.Time
	// NewHash makes a login hash; nil: 16 random bytes in hex.
	NewHash func() string
	// Location is where the portal's dates are local; nil: UTC.
	Location *time.Location
}

// Uplink is how the portal is reached.
type Uplink int

// Uplink states.
const (
	Up          Uplink = iota
	Unavailable        // every request answers 503
	Refusing           // connections are refused (in-process) or dropped (a real server)
)

// Order is an order in the portal.
type Order struct {
	ID         int
	Status     string // default "new"
	Socket     string
	ServiceUID string
	Date       string
	CustomerID int // 0: none
	XSPCID     string
	Created    time.Time // default: the portal's now
}

// Customer is a customer in the portal.
type Customer struct {
	ID                                        int
	Socket, Serial, FirstName, Surname, Email string
	Address, Zip, City, Phone, Premise        string
}

// Transition is one status change set_status made.
type Transition struct {
	Order    int
	From, To string
}

// Message is one add_message.
type Message struct {
	Order   int
	APIUser string
	Type    string
	Text    string
}

// Portal is the test portal. Its methods are safe for concurrent use.
type Portal struct {
	opt Options

	mu          sync.Mutex
	uplink      Uplink
	hashes      map[string]time.Time // hash ⇒ expiry
	orders      map[int]*Order
	customers   map[int]Customer
	calls       map[string]int
	logins      int
	transitions []Transition
	repeats     []Transition
	messages    []Message
	refusals    []string
	logs        map[int][]logEntry
}

// New makes an empty portal.
func New(o Options) *Portal {
	if o.APIUser == "" {
		o.APIUser = "1234"
	}
	if o.APIKey == "" {
		o.APIKey = "test-api-key"
	}
	if o.LogPath == "" {
		o.LogPath = "/plain/serviceguide_log"
	}
	if o.LoginPath == "" {
		o.LoginPath = o.LogPath
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.NewHash == nil {
		o.NewHash = func() string {
			b := make([]byte, 16)
			rand.Read(b)
			return hex.EncodeToString(b)
		}
	}
	if o.Location == nil {
		o.Location = time.UTC
	}
	return &Portal{opt: o, hashes: map[string]time.Time{}, orders: map[int]*Order{}, customers: map[int]Customer{}, calls: map[string]int{},
		logs: map[int][]logEntry{}}
}

// HashLifetime is api_login's documented hash life.
const HashLifetime = 20 * time.Minute

// AddOrder puts an order in the portal, as an end customer's order in
// Tjänsteguiden does.
func (p *Portal) AddOrder(o Order) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if o.Status == "" {
		o.Status = "new"
	}
	if o.Created.IsZero() {
		o.Created = p.opt.Now()
	}
	p.orders[o.ID] = &o
}

// AddCustomer puts a customer in the portal.
func (p *Portal) AddCustomer(c Customer) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.customers[c.ID] = c
}

// SetStatus changes an order's status as Atlas itself does (e.g.
// delivered after a direct activation through the activation API); it is
// not a set_status call and is not counted.
func (p *Portal) SetStatus(id int, status string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if o := p.orders[id]; o != nil {
		o.Status = status
	}
}

// SetUplink takes the portal up or down.
func (p *Portal) SetUplink(u Uplink) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.uplink = u
}

// Status is an order's status ("" when there is no such order).
func (p *Portal) Status(id int) string {
	p.mu.Lock()
	defer p.mu.Unlock()
	if o := p.orders[id]; o != nil {
		return o.Status
	}
	return ""
}

// Statuses is every order's status by id.
func (p *Portal) Statuses() map[int]string {
	p.mu.Lock()
	defer p.mu.Unlock()
	m := map[int]string{}
	for id, o := range p.orders {
		m[id] = o.Status
	}
	return m
}

// Calls counts the requests of a method that reached the portal, refused
// ones included.
func (p *Portal) Calls(method string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.calls[method]
}

// AllCalls is Calls for every method.
func (p *Portal) AllCalls() map[string]int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return maps.Clone(p.calls)
}

// Logins counts successful api_logins.
func (p *Portal) Logins() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.logins
}

// Transitions are the status changes set_status made, in order.
func (p *Portal) Transitions() []Transition {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.transitions)
}

// Repeats are the set_status calls that set the status the order had.
func (p *Portal) Repeats() []Transition {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.repeats)
}

// Messages are the add_message calls accepted, in order.
func (p *Portal) Messages() []Message {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.messages)
}

// Refusals are the failed answers given, "method: reason", in order.
func (p *Portal) Refusals() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.refusals)
}
