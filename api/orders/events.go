package orders

import (
	"bufio"
	"encoding/json"
	"net/http"

	"github.com/stadsnat/accessd/api/internal/web"
	"github.com/stadsnat/accessd/api/onapi"
	"github.com/stadsnat/accessd/store"
)

// eventBody is one order event: the event id and the order's fields as
// they were when it happened.
type eventBody struct {
	Event string  `json:"event"`
	Order piOrder `json:"order"`
}

// eventPage is how many events one read transaction streams.
const eventPage = 1000

// events serves orderevents/: the calling provider's events after ?since=
// (all without it), oldest first, as a JSON array streamed page by page
// (the feed is append-only, so pages from successive transactions join
// up). PI-API's feed has DONE_SUCCESS and DONE_FAILED only, ON-API's every
// change of state.
func (d Deps) events(base string, on bool) web.HandlerFunc {
	feed := store.FeedDone
	if on {
		base, feed = onapi.Base, store.FeedStates
	}
	return func(w http.ResponseWriter, r *http.Request) error {
		u, _ := web.UserFrom(r.Context())
		params, err := web.Params(r, false)
		if err != nil {
			return err
		}
		var since uint64
		for k, v := range params {
			if k != "since" {
				return web.Errorf(http.StatusBadRequest, "Unknown parameter: '%s'", clip(k))
			}
			seq, ok := store.ParseEventID(v)
			if ok {
				err := d.DB.Orders().View(func(o *store.OrderTx) error {
					ok = o.FeedHas(u.Name, feed, seq)
					return nil
				})
				if err != nil {
					return web.Internal(err)
				}
			}
			if !ok {
				return web.Errorf(http.StatusBadRequest, "Unknown event: '%s'", clip(v))
			}
			since = seq
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		bw := bufio.NewWriterSize(w, 32<<10)
		enc := json.NewEncoder(bw)
		enc.SetEscapeHTML(false)
		bw.WriteByte('[')
		first := true
		for {
			var page []store.OrderEvent
			err := d.DB.Orders().View(func(o *store.OrderTx) error {
				var err error
				page, err = o.OrderEvents(u.Name, feed, since, eventPage)
				return err
			})
			if err != nil {
				return err // the answer has started: only logged
			}
			for _, ev := range page {
				if !first {
					bw.WriteByte(',')
				}
				first = false
				enc.Encode(eventBody{Event: store.EventID(ev.Seq), Order: piOrder{Path: base + "orders/" + ev.OrderID,
					AccessID: ev.AccessID, Service: ev.Service, Operation: string(ev.Operation), State: string(ev.State), Message: ev.Message}})
				since = ev.Seq
			}
			if len(page) < eventPage {
				break
			}
		}
		bw.WriteString("]\n")
		return bw.Flush()
	}
}

// serviceLine is one line of GET /api/2.3/services/.
type serviceLine struct {
	Service     string `json:"service"`
	AccessID    string `json:"accessId"`
	SPReference string `json:"spReference"`
}

// services serves GET /api/2.3/services/: the calling provider's active
// services, one JSON object a line (application/x-ldjson), streamed from
// one read transaction.
func (d Deps) services(w http.ResponseWriter, r *http.Request) error {
	u, _ := web.UserFrom(r.Context())
	w.Header().Set("Content-Type", "application/x-ldjson")
	w.WriteHeader(http.StatusOK)
	bw := bufio.NewWriterSize(w, 32<<10)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	err := d.DB.Orders().EachServiceOf(u.Name, func(s store.Service) error {
		return enc.Encode(serviceLine{Service: s.UID, AccessID: s.AccessID, SPReference: s.SPReference})
	})
	if err != nil {
		return err
	}
	return bw.Flush()
}
