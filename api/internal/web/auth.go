package web

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"slices"

	"github.com/stadsnat/accessd/api/httperr"
)

// User is an HTTP Basic user of the service-provider APIs.
type User struct {
	Name     string
	Password string
	APIs     []string // pi-v1, pi-api, on-api, noc, metrics
	// PIVersions are the PI-API versions the user may call ("2.2",
	// "2.3"); empty = all. The URL chooses the version.
	PIVersions   []string
	CustomerData string // store | anonymous | none
}

// Users authenticates HTTP Basic credentials in constant time.
type Users struct {
	byName map[string]*userEntry
	dummy  [32]byte
	// throttle counts, logs and throttles failed logins (nil: none).
	throttle *Throttle
	ok       verified // Authorization values that checked out
}

type userEntry struct {
	user User
	hash [32]byte
}

// NewUsers indexes users by name.
func NewUsers(us []User) *Users {
	u := &Users{byName: make(map[string]*userEntry, len(us)), dummy: sha256.Sum256([]byte("accessd: no such user"))}
	for _, x := range us {
		u.byName[x.Name] = &userEntry{user: x, hash: sha256.Sum256([]byte(x.Password))}
	}
	return u
}

// WithThrottle makes BasicAuth over u report failed logins to t and
// answer 429 to a source t throttles; it returns u.
func (u *Users) WithThrottle(t *Throttle) *Users {
	u.throttle = t
	return u
}

// Grants reports whether some user may call api.
func (u *Users) Grants(api string) bool {
	for _, e := range u.byName {
		if slices.Contains(e.user.APIs, api) {
			return true
		}
	}
	return false
}

// Check returns the user when name and password are right. The password is
// compared as SHA-256 digests with subtle.ConstantTimeCompare, and an
// unknown name costs the same as a wrong password.
func (u *Users) Check(name, password string) (User, bool) {
	e, ok := u.check(name, []byte(password))
	if !ok {
		return User{}, false
	}
	return e.user, true
}

// check is Check on the password's bytes (which it does not keep),
// returning the user's entry: no copy of the user, no allocation.
func (u *Users) check(name string, password []byte) (*userEntry, bool) {
	got := sha256.Sum256(password)
	e, known := u.byName[name]
	want := &u.dummy
	if known {
		want = &e.hash
	}
	ok := subtle.ConstantTimeCompare(got[:], want[:]) == 1
	return e, ok && known
}

// credentials reads HTTP Basic credentials as Request.BasicAuth does
// ("Basic" in any case, standard base64, the first colon splits), into
// buf, which must not escape: a look-up's credentials cost no allocation.
// The name aliases buf (strings.Clone it to keep it). Credentials longer
// than buf are read by Request.BasicAuth.
func credentials(r *http.Request, buf []byte) (name, pass []byte, ok bool) {
	const prefix = "Basic "
	auth := authorization(r)
	if len(auth) < len(prefix) || !asciiEqualFold(auth[:len(prefix)], prefix) {
		return nil, nil, false
	}
	enc := auth[len(prefix):]
	if len(enc) > len(buf)/2 { // (its decoded form is shorter)
		n, p, ok := r.BasicAuth()
		return []byte(n), []byte(p), ok
	}
	src := buf[len(buf)/2:][:copy(buf[len(buf)/2:], enc)]
	n, err := base64.StdEncoding.Decode(buf[:len(buf)/2], src)
	if err != nil {
		return nil, nil, false
	}
	dec := buf[:n]
	i := slices.Index(dec, ':')
	if i < 0 {
		return nil, nil, false
	}
	return dec[:i], dec[i+1:], true
}

// authorization is r.Header.Get("Authorization") without its work of
// canonicalizing a name already canonical (a tenth of a look-up's time).
func authorization(r *http.Request) string {
	if v := r.Header["Authorization"]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// authenticate returns the entry of r's HTTP Basic credentials, a value
// that checked out before or one that checks out now; else the 401 (or
// the throttle's 429) to answer.
func (u *Users) authenticate(w http.ResponseWriter, r *http.Request, api string) (*userEntry, *Error) {
	auth := authorization(r)
	if e, ok := u.ok.Lookup(auth); ok {
		return e, nil
	}
	var buf [512]byte
	name, pass, ok := credentials(r, buf[:])
	if !ok {
		return nil, Errorf(http.StatusUnauthorized, "authentication required")
	}
	e, ok := u.check(string(name), pass)
	if !ok {
		if tm := u.throttle.Failed(w, r, api, string(name)); tm != nil {
			return nil, tm
		}
		return nil, Errorf(http.StatusUnauthorized, "wrong user name or password")
	}
	u.ok.Remember(auth, e)
	return e, nil
}

// asciiEqualFold is strings.EqualFold for ASCII only, as net/http
// compares the scheme.
func asciiEqualFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

type userKey struct{}

// MayUsePI reports whether the user may call PI-API version v.
func (u User) MayUsePI(v string) bool {
	return len(u.PIVersions) == 0 || slices.Contains(u.PIVersions, v)
}

// UserFrom returns the authenticated user of a request.
func UserFrom(ctx context.Context) (User, bool) {
	u, ok := ctx.Value(userKey{}).(*User)
	if !ok {
		return User{}, false
	}
	return *u, true
}

// WithUser returns ctx carrying u (for tests of handlers behind BasicAuth).
func WithUser(ctx context.Context, u User) context.Context {
	return context.WithValue(ctx, userKey{}, &u)
}

// BasicAuth lets through requests with the credentials of a user allowed
// to call api; others get 401 with WWW-Authenticate (bad or missing
// credentials) or 403 (a user without that API), written by write. A
// wrong user name or password is a failed login for users' throttle,
// which answers 429 with Retry-After to a source that failed too often,
// before its credentials are checked, and after: to the requests of a
// source whose allowance ran out while they were checked.
func BasicAuth(users *Users, api string, write ErrorWriter, next http.Handler) http.Handler {
	return Authenticate(users, Route{Auth: api, Errors: write}, next)
}

// Authenticate is BasicAuth for route rt: HTTP Basic for rt.Auth, then
// rt.Permit; the user goes into the request's context unless rt.NoUser.
func Authenticate(users *Users, rt Route, next http.Handler) http.Handler {
	api, write := rt.Auth, rt.Errors
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !users.throttle.Allow(w, r, api, write) {
			return
		}
		e, err := users.authenticate(w, r, api)
		if err != nil {
			write(w, r, err)
			return
		}
		// The source's other requests may have used up its allowance
		// while this one was checked: then even the right password waits.
		if !users.throttle.Allow(w, r, api, write) {
			return
		}
		if !slices.Contains(e.user.APIs, api) {
			write(w, r, Errorf(http.StatusForbidden, "user %q may not use %s", e.user.Name, api))
			return
		}
		if rt.Permit != nil {
			if err := rt.Permit(e.user); err != nil {
				write(w, r, httperr.From(err))
				return
			}
		}
		if rt.NoUser {
			next.ServeHTTP(w, r)
			return
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), userKey{}, &e.user)))
	})
}
