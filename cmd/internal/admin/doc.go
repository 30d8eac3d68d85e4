// Package admin is the protocol between accessctl and the running accessd:
// HTTP/1.1 with JSON bodies over the daemon's unix socket (admin.socket).
// The socket's file mode and owner decide who may use it; the daemon also
// logs the peer's uid.
//
// This package is the protocol's one home: every request's path and every
// answer's type (status, inventory, DHCP, SNMP, orders: every JSON key in
// camelCase), the client accessctl uses, and the server side the daemon's
// subsystems register their handlers on (Mux). It imports no domain
// package: the daemon's subsystems convert what they hold into these
// types, and accessctl decodes only these.
//
// A failed request answers in the convention of the HTTP APIs (package
// httperr): a status and the body {"cause": "...", "problems": [...]}; the
// client returns it as an *httperr.Error.
package admin
