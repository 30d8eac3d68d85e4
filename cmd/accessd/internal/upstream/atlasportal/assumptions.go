package atlasportal

import "time"

// This file holds every assumption the package makes about Atlas's
// serviceguide_log beyond its documentation. The documentation gives the
// methods, their parameters, the status and message-type values, the
// api_login answer, the 20-minute life of its hash and the elements of
// customer_info's <customer>; it gives no other answer. Each assumption
// below is marked A1…A14; the XML types are the answers as assumed, the
// golden samples in testdata/ are written from them, and portaltest (the
// test portal) answers the same way. When the real portal differs, this
// file and testdata/ are what change.
//
// Decoding is tolerant throughout: unknown elements and attributes are
// ignored, the root element's name and the order of elements are not
// checked, and a missing required element is an error naming it.

// A1 — Envelope. Every method answers an XML document shaped like
// api_login's documented answer: a root element (named after the method),
// a <response> with the method's data, and <status>, which is "success" or
// "failed".
type envelope struct {
	Status   *string `xml:"status"`
	Response failure `xml:"response"`
}

// failure is what every <response> may carry when <status> is failed
// (A2); the answer types embed it in their <response>.
type failure struct {
	Code    string `xml:"code"`
	Message string `xml:"message"`
}

// A2 — Failures. A refusal is <status>failed</status> with the reason in
// <response><message> (and perhaps a <code>, which is kept but not
// interpreted), answered with HTTP 200 as the plain API's other answers
// are. No error codes are documented, so a failed answer is never parsed
// for meaning.
const statusSuccess, statusFailed = "success", "failed"

// A3 — Authentication failures. A failed answer to api_login means the
// api_user/api_key pair was refused: the sink pauses (outbox.AuthRefused).
// A missing, unknown or expired hash cannot be told from any other failed
// answer (A2), so a failed answer to a method that carries the hash makes
// the client log in again once and repeat the call once; a second failed
// answer is the method's own refusal. HTTP 401 or 403 are read as an
// authentication failure too.
const reloginOnFailure = true

// A4 — HTTP status. XML answers come with 200 (A2). 5xx, 408 and 429 are
// the portal or its proxy being unavailable: transient. Another 4xx whose
// body is not a serviceguide_log answer is a permanent refusal.

// A5 — The hash. api_login's hash is valid 20 minutes from the login
// (documented). The client renews it after hashRenewAfter, leaving two
// minutes for latency and for the portal's clock running ahead of ours.
const (
	hashLifetime   = 20 * time.Minute
	hashRenewAfter = 18 * time.Minute
)

// loginXML is api_login's documented answer:
// <api_login><response><message/><hash_key/></response><status>success</status></api_login>.
type loginXML struct {
	Status   *string `xml:"status"`
	Response struct {
		failure
		HashKey *string `xml:"hash_key"`
	} `xml:"response"`
}

// A6 — Dates. orders(date) and an order's date are local dates
// (Europe/Stockholm: the portal is Swedish) written YYYY-MM-DD, and
// orders(date) lists the orders created on or after that date. The
// follower asks from one day before its last complete poll, so an order
// created around midnight, or while the clocks disagree, is not missed;
// the overlap's repeats are dropped by order id.
const dateLayout = time.DateOnly

// A7 — orders(date). <response> holds one <order> per order, each with at
// least its <id>; anything else in it (a status, a creation time) is
// ignored, since order_info is read for every new id.
type ordersXML struct {
	Status   *string `xml:"status"`
	Response struct {
		failure
		Order []struct {
			ID *string `xml:"id"`
		} `xml:"order"`
	} `xml:"response"`
}

// A8 — order_info(id). <response><order> holds the order with the names
// Atlas uses for the same values when it calls the KO's activation API's
// service_order (socket, service_uid, date, customer, order, xspcid):
//
//	id           required  the order's id (the activation API's "order")
//	status       required  one of the six documented statuses
//	socket       required  the access (AccessId) the service is for
//	service_uid  required  the service, as in the KO's service catalogue
//	date         optional  the requested activation date (A6); empty: as soon as possible
//	customer     optional  the customer's id, for customer_info
//	xspcid       optional  the service provider's customer id
//	created      optional  when the order was placed; informational
//
// A9 — Every order the portal lists is an activation of service_uid on
// socket: Tjänsteguiden sells services, and ends them through the
// activation API's service_deactivate, not through an order.
type orderInfoXML struct {
	Status   *string `xml:"status"`
	Response struct {
		failure
		Order *struct {
			ID         *string `xml:"id"`
			Status     *string `xml:"status"`
			Socket     *string `xml:"socket"`
			ServiceUID *string `xml:"service_uid"`
			Date       string  `xml:"date"`
			Customer   string  `xml:"customer"`
			XSPCID     string  `xml:"xspcid"`
			Created    string  `xml:"created"`
		} `xml:"order"`
	} `xml:"response"`
}

// A10 — customer_info(id). <response><customer> holds the documented
// elements (id, socket, serial, firstname, surname, email, address, zip,
// city) and <data> with phone and premise; <data> is read inside
// <customer> or beside it, since the documentation does not say which.
// Only <id> is required.
type customerInfoXML struct {
	Status   *string `xml:"status"`
	Response struct {
		failure
		Customer *customerXML `xml:"customer"`
		Data     *dataXML     `xml:"data"`
	} `xml:"response"`
}

type customerXML struct {
	ID        *string  `xml:"id"`
	Socket    string   `xml:"socket"`
	Serial    string   `xml:"serial"`
	FirstName string   `xml:"firstname"`
	Surname   string   `xml:"surname"`
	Email     string   `xml:"email"`
	Address   string   `xml:"address"`
	Zip       string   `xml:"zip"`
	City      string   `xml:"city"`
	Data      *dataXML `xml:"data"`
}

type dataXML struct {
	Phone   string `xml:"phone"`
	Premise string `xml:"premise"`
}

// A11 — set_status and add_message answer the envelope alone (A1); a
// set_status to the status the order already has succeeds and changes
// nothing.
type ackXML = envelope

// A12 — add_message is documented with api_user, id, message and type but
// without hash, unlike every other method. The client sends the hash as
// well: a portal that needs it has it, one that does not ignores it.
const addMessageSendsHash = true

// A13 — The order of statuses. The documentation lists the statuses but
// not which change is "backwards". accessd ranks them as an order moves
// through them: new, received, waiting (scheduled for a later date),
// active (activation under way), then delivered or cancelled, which are
// final. A change to a lower rank, or away from a final status, is
// backwards: accessd never sends one, and the test portal refuses it.
func rank(s Status) int {
	switch s {
	case StatusNew:
		return 0
	case StatusReceived:
		return 1
	case StatusWaiting:
		return 2
	case StatusActive:
		return 3
	case StatusDelivered, StatusCancelled:
		return 4
	}
	return -1
}

// A14 — Encoding and size. Answers are UTF-8, or declare ISO-8859-1 or
// windows-1252 in their XML declaration (both are decoded); ids are
// decimal integers ("int" in the documentation) of at most 18 digits; no
// answer is larger than maxAnswer.
const (
	maxAnswer   = 8 << 20
	maxIDDigits = 18
)
