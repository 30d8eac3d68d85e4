package web

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"net/http"
	"slices"
)

// User is an HTTP Basic user of the service-provider APIs.
type User struct {
	Name         string
	Password     string
	APIs         []string // pi-v1, pi-api, on-api
	PIVersion    string   // "2.3" or "2.2"
	CustomerData string   // store | anonymous | none
}

// Users authenticates HTTP Basic credentials in constant time.
type Users struct {
	byName map[string]userEntry
	dummy  [32]byte
}

type userEntry struct {
	user User
	hash [32]byte
}

// NewUsers indexes users by name.
func NewUsers(us []User) *Users {
	u := &Users{byName: make(map[string]userEntry, len(us)), dummy: sha256.Sum256([]byte("accessd: no such user"))}
	for _, x := range us {
		u.byName[x.Name] = userEntry{user: x, hash: sha256.Sum256([]byte(x.Password))}
	}
	return u
}

// Check returns the user when name and password are right. The password is
// compared as SHA-256 digests with subtle.ConstantTimeCompare, and an
// unknown name costs the same as a wrong password.
func (u *Users) Check(name, password string) (User, bool) {
	got := sha256.Sum256([]byte(password))
	e, known := u.byName[name]
	want := u.dummy
	if known {
		want = e.hash
	}
	ok := subtle.ConstantTimeCompare(got[:], want[:]) == 1
	return e.user, ok && known
}

type userKey struct{}

// UserFrom returns the authenticated user of a request.
func UserFrom(ctx context.Context) (User, bool) {
	u, ok := ctx.Value(userKey{}).(User)
	return u, ok
}

// WithUser returns ctx carrying u (for tests of handlers behind BasicAuth).
func WithUser(ctx context.Context, u User) context.Context {
	return context.WithValue(ctx, userKey{}, u)
}

// BasicAuth lets through requests with the credentials of a user allowed
// to call api; others get 401 with WWW-Authenticate (bad or missing
// credentials) or 403 (a user without that API), written by write.
func BasicAuth(users *Users, api string, write ErrorWriter, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name, pass, ok := r.BasicAuth()
		if !ok {
			write(w, r, Errorf(http.StatusUnauthorized, "authentication required"))
			return
		}
		u, ok := users.Check(name, pass)
		if !ok {
			write(w, r, Errorf(http.StatusUnauthorized, "wrong user name or password"))
			return
		}
		if !slices.Contains(u.APIs, api) {
			write(w, r, Errorf(http.StatusForbidden, "user %q may not use %s", u.Name, api))
			return
		}
		next.ServeHTTP(w, r.WithContext(WithUser(r.Context(), u)))
	})
}
