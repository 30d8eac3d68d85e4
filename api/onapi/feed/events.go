package feed

import (
	"net/http"

	"github.com/stadsnat/accessd/api/internal/web"
	"github.com/stadsnat/accessd/api/onapi"
	"github.com/stadsnat/accessd/store"
)

// event is one element of events/, fields in the order of events.md.
type event struct {
	Type       string `json:"type"`
	ObjectType string `json:"objectType"`
	ObjectID   string `json:"objectId"`
	Path       string `json:"path,omitempty"` // omitted for DELETE
	Time       string `json:"time"`
}

// events serves GET /onapi/2.6/events/: the changes of the accesses and
// of the caller's orders and subscriptions, oldest first, kept
// store.ChangeRetention; with If-Modified-Since those after it, 304 when
// none. The current second is omitted (events.md), so Last-Modified sent
// back misses nothing and repeats nothing. A range scan of the change log
// and of the dates index: cheap enough to poll rapidly.
func (a *API) events(w http.ResponseWriter, r *http.Request) error {
	u, _ := web.UserFrom(r.Context())
	since, incremental := web.IfModifiedSince(r, a.d.DB.Now())
	opts := store.EventsOptions{Owner: u.Name, Dates: &a.cal}
	if incremental {
		opts.Since = since
	}
	ans, err := a.d.DB.Changes().Events(opts)
	if err != nil {
		return web.Internal(err)
	}
	defer ans.Close()
	web.SetLastModified(w, ans.LastModified)
	if incremental && ans.Count == 0 {
		web.NotModified(w, "application/json")
		return nil
	}
	return stream(w, func(put func(any) error) error {
		return ans.Each(func(c store.Change) error {
			e := event{Type: string(c.Kind), ObjectType: c.Object, ObjectID: c.ID, Time: dateTime(c.Time)}
			if c.Kind != store.Delete {
				e.Path = onapi.Base + c.Object + "/" + c.ID
			}
			return put(e)
		})
	})
}
