// Package atlas serves Atlas Tjänsteguiden's two URLs on the KO side (seed
// 004, "Aktiverings-API"):
//
//   - The bounce URL (atlas.bounce_path, public). Tjänsteguiden sends the
//     visitor's browser here with return_url, api_key and api_secret. The
//     request is genuine when api_key == md5(api_user + api_key + api_secret)
//     with the configured Atlas user and key (lower-case hex). return_url
//     must match atlas.return_urls — the same scheme, host and port, the
//     path equal to or below the listed one — or the answer is a plain 400
//     page and no redirect at all. The visitor is the connection's address,
//     or X-Forwarded-For's when the connection comes from
//     http.trusted_proxies; the address's live DHCP binding gives the
//     access, else the neighbour table's MAC for it and that MAC's binding.
//     The browser is sent back (302) to return_url with status (ok, not
//     found, error), message, uid and accessId (the access), api_key and
//     api_secret added to return_url's own query.
//
//   - The activation API (atlas.api_path), answering only atlas.allowed_ips
//     and only with the Atlas API user: Atlas sends api_user and api_key as
//     query parameters (its own convention, as in its api_login), and HTTP
//     Basic with the same pair is accepted. ?method=port_status,
//     service_deliverable, service_order or service_deactivate answer XML
//     with the seed's element names and nesting; see xml.go. Failures of the
//     API itself use own codes: 590 address not allowed, 591 wrong API user,
//     592 a bad parameter, 593 an internal error (HTTP 403, 401, 400, 500).
//
// Logs say what happened to which access, never the visitor's address or
// anything about the customer.
package atlas
