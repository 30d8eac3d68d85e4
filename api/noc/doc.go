// Package noc is accessd's status pages for the NOC, under /noc/:
// server-rendered HTML (html/template, one embedded style sheet, no
// script) that a browser with JavaScript off uses fully, with forms that
// GET and plain links.
//
// # Pages
//
//	GET /noc/                      the search box; ?q=VALUE[&kind=KIND] searches
//	                               (kind: access, address, ip, mac, option82,
//	                               circuit; none: the value's form decides, and
//	                               an AccessId that exists goes to its page, 303)
//	GET /noc/access/{AccessId}     an access: inventory, link state and speed
//	                               with since, transitions, flap counts and a
//	                               24-hour SVG timeline, DHCP bindings and
//	                               IP/MAC history, services, orders and events
//	GET /noc/switches[?trouble=1][&page=N]  poll health of the switches, 50 a page
//	GET /noc/circuits[?page=N]     the unknown circuits, 50 a page
//	GET /noc/static/noc-HASH.css   the style sheet (cacheable: its name
//	                               changes with its content)
//
// Anything else under /noc/ is a 404 page, a method other than GET or
// HEAD a 405 page (Allow: GET, HEAD), a malformed parameter a 400 page
// naming the parameter, an unknown access a 404 page.
//
// # Headers
//
// Every response, pages and errors alike, carries
//
//	Content-Security-Policy: default-src 'none'; style-src 'self'; img-src 'self' data:;
//	    form-action 'self'; frame-ancestors 'none'; base-uri 'none'
//	X-Content-Type-Options: nosniff
//	Referrer-Policy: no-referrer
//	X-Frame-Options: DENY
//	Cross-Origin-Opener-Policy: same-origin
//	Cross-Origin-Resource-Policy: same-origin
//
// and every page and error Cache-Control: no-store (the style sheet:
// private, max-age=31536000, immutable).
//
// # What is shown, and what is not
//
// Every value is escaped by html/template (inventory values are hostile
// input too). The pages show what the NOC needs: the premises, the
// technical inventory fields, link states, IPs and MACs; never the
// customer data an order may carry (the Order view type has no field for
// it). Search values are shown back in the search box but never logged:
// error causes never repeat them, and a failed page is logged with its
// route pattern ("GET /noc/access/{id}"), never its path or query.
//
// # Mounting
//
// The Handler does no authentication. It is an API group (Routes): the
// daemon hands it to api.New like every other group, which mounts it at
// Prefix behind the router's HTTP Basic authentication for users whose
// apis list Group ("noc") — with whatever failure throttling that
// authentication has for every group — counts it in the per-group HTTP
// metrics, and writes its 401 and 403 with Handler.WriteError, so they are
// HTML pages with the same headers:
//
//	h, err := noc.New(noc.Options{Source: src, Log: log, Location: stockholm})
//	router := api.New(api.Options{Users: users, …}, …, h)
//
// The group is off (not mounted: /noc/ is a 404 of the router) unless
// some user has "noc" in its apis. TestMount mounts it the same way by
// hand, and api's TestNOCGroup through api.New.
//
// # The Source
//
// The pages read everything through the Source interface and its own view
// types, so this package depends on no store or subsystem; the daemon
// implements it. Each method is an indexed look-up bounded by the limit
// the page passes, so pages stay under 50 KB and answer fast with 100,000
// accesses.
package noc
