package feed

import (
	"bufio"
	"encoding/json"
	"net/http"
	"time"

	"github.com/stadsnat/accessd/api/activation"
	"github.com/stadsnat/accessd/api/internal/web"
	"github.com/stadsnat/accessd/api/onapi"
	"github.com/stadsnat/accessd/store"
	"github.com/stadsnat/accessd/store/inventory"
)

// Deps is what the handlers read.
type Deps struct {
	DB     *store.DB
	Engine *activation.Engine
	// Loc is the zone of the dates (Europe/Stockholm); nil = UTC.
	Loc *time.Location
}

// API is the group of services/, subscriptions/ and events/.
type API struct {
	d   Deps
	cal inventory.Calendar
}

// New makes the group.
func New(d Deps) *API {
	if d.Loc == nil {
		d.Loc = time.UTC
	}
	return &API{d: d, cal: inventory.NewCalendar(d.Loc)}
}

// Routes lists the endpoints; the collections are in the endpoint list.
func (a *API) Routes() []web.Route {
	svc := onapi.NewEndpoint("services", "services/", "services.md")
	svc.Note = "availableDateTime is when an ACTIVATE would be accepted (\"\" when not for a reason other than a date); " +
		"comments carry the reason for the end customer"
	svc.UnsupportedFields = []string{"characteristics"}
	sub := onapi.NewEndpoint("subscriptions", "subscriptions/", "subscriptions.md")
	sub.Note = "subscriptions/{id}: an accessId gives that access's subscriptions, a subscriptionId that subscription"
	sub.UnsupportedFields = []string{"characteristics", "note"}
	ev := onapi.NewEndpoint("events", "events/", "events.md")
	ev.Note = "objectType accesses, orders, subscriptions; kept 7 days; a Sellable or Activatable date coming is an " +
		"UPDATE of the access at local midnight (Europe/Stockholm)"
	return []web.Route{
		onapi.Route(&svc, "services/", a.services),
		onapi.Route(nil, "services/{accessId}", a.servicesOf),
		onapi.Route(&sub, "subscriptions/", a.subscriptions),
		onapi.Route(nil, "subscriptions/{id}", a.subscription),
		onapi.Route(&ev, "events/", a.events),
	}
}

// dateTime is ON-API's dateTime (dataformats.md): UTC, up to four
// decimals.
func dateTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.0000Z") }

// stream writes the items fn yields as one JSON array.
func stream(w http.ResponseWriter, each func(func(any) error) error) error {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	bw := bufio.NewWriterSize(w, 64<<10)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	bw.WriteByte('[')
	first := true
	err := each(func(v any) error {
		if !first {
			bw.WriteByte(',')
		}
		first = false
		return enc.Encode(v)
	})
	if err != nil {
		return err
	}
	bw.WriteString("]\n")
	return bw.Flush()
}

// export opens the collection's snapshot for the request (If-Modified-
// Since), answering 304 itself when nothing changed (nil snapshot).
func (a *API) export(w http.ResponseWriter, r *http.Request, opts store.ExportOptions) (*store.Snapshot, error) {
	return web.Export(w, r, a.d.DB, "application/json", opts)
}
