package noctest

import (
	"net/netip"
	"time"

	"github.com/stadsnat/accessd/api/noc"
)

// Sample is a small network as the NOC sees it at now: accesses with a
// port UP and flapping (ALS10001), DOWN (ALS10002), UNKNOWN behind an
// unreachable switch (ALS10003), without a port (ALS10004), and one whose
// inventory values are hostile (EVIL1); four switches, one unreachable;
// three unknown circuits.
func Sample(now time.Time) *Fake {
	f := New()
	f.Put(sampleUp(now), sampleDown(now), sampleUnknown(now), sampleNoPort(now), Hostile(now))
	f.SetSwitches([]noc.Switch{
		{Address: "192.0.2.11:161", Names: []string{"192.0.2.11"}, Group: "access", Reachable: true, LastSeen: now.Add(-20 * time.Second),
			PolledAt: now.Add(-20 * time.Second), Boot: now.Add(-40 * 24 * time.Hour), MaxRepetitions: 24, PacketsLastCycle: 2,
			PortsUp: 46, PortsDown: 2},
		{Address: "192.0.2.12:161", Names: []string{"192.0.2.12", "sw-ost-2"}, Group: "access", Reachable: true, LastSeen: now.Add(-25 * time.Second),
			PolledAt: now.Add(-25 * time.Second), Boot: now.Add(-3 * time.Hour), Restarts: 1, MaxRepetitions: 24, PacketsLastCycle: 14,
			LastCycleFull: true, PortsUp: 40, PortsDown: 6, PortsUnknown: 2},
		{Address: "192.0.2.13:161", Names: []string{"192.0.2.13"}, Group: "access", Reachable: false, UnreachableSince: now.Add(-95 * time.Minute),
			LastSeen: now.Add(-95 * time.Minute), PolledAt: now.Add(-30 * time.Second), Err: "request timeout (after 3 tries)",
			MaxRepetitions: 24, PortsUnknown: 48},
		{Address: "192.0.2.14:161", Names: []string{"192.0.2.14"}, Group: "core", Reachable: true, LastSeen: now.Add(-10 * time.Second),
			PolledAt: now.Add(-10 * time.Second), MaxRepetitions: 48, PacketsLastCycle: 1, PortsUp: 12},
	}, []string{
		`switch "sw-vast-9" of ALS10077: not an IP address and not in snmp.switches`,
		`switch "192.0.2.300" of ALS10078: not an IP address`,
	}, noc.SwitchSummary{Interval: time.Minute})
	f.SetUnknown([]noc.UnknownCircuit{
		{Key: "192.0.2.12 ge-0/0/47", Reason: "no access", Profile: "juniper", RemoteID: "192.0.2.12", CircuitID: "ge-0/0/47",
			GIAddr: netip.MustParseAddr("10.20.0.1"), Option82: Option82Hex("192.0.2.12 ge-0/0/47"), Count: 31,
			FirstSeen: now.Add(-26 * time.Hour), LastSeen: now.Add(-4 * time.Minute), LastMAC: "02:00:5e:00:47:01"},
		{Key: "192.0.2.11 ge-0/0/9", Reason: "ambiguous", Profile: "juniper", RemoteID: "192.0.2.11", CircuitID: "ge-0/0/9",
			GIAddr: netip.MustParseAddr("10.20.0.1"), Option82: Option82Hex("192.0.2.11 ge-0/0/9"), Count: 4,
			FirstSeen: now.Add(-2 * time.Hour), LastSeen: now.Add(-35 * time.Minute), LastMAC: "02:00:5e:00:09:01"},
		{Key: "hex:5203FF0102", Reason: "undecodable: sub-option 255 of length 1 runs past the option",
			GIAddr: netip.MustParseAddr("10.20.0.1"), Option82: "5203FF0102", Count: 1,
			FirstSeen: now.Add(-50 * time.Hour), LastSeen: now.Add(-50 * time.Hour), LastMAC: "02:00:5e:00:ff:01"},
	})
	return f
}

func premises(id, street, number, littera, apt string) noc.Access {
	return noc.Access{ID: id, StreetName: street, StreetNumber: number, StreetLittera: littera, PostalCode: "123 45",
		City: "Stadby", CountryCode: "SE", PremisesType: "MDU", Apartment: apt, Distinguisher: "", Outlet: "1",
		Activatable: "YES", Sellable: "YES", AccessState: "CONNECTED", Media: "fiber", PortSpeedMbps: 1000}
}

func sampleUp(now time.Time) Entry {
	a := premises("ALS10001", "Storgatan", "12", "B", "1101")
	a.LegacyID, a.Option82, a.FiberConverter = "L-4711", "192.0.2.11 ge-0/0/1", "MC-220L"
	a.LastOption82, a.LastOption82Seen, a.Modified = Option82Hex(a.Option82), now.Add(-2*time.Minute), now.Add(-30*24*time.Hour)
	mac, ip := "02:00:5e:00:00:15", netip.MustParseAddr("10.20.0.15")
	return Entry{
		Access: a,
		Link: &noc.Link{Switch: "192.0.2.11", Port: "ge-0/0/1", Address: "192.0.2.11:161", State: noc.LinkUp,
			Since: now.Add(-3 * time.Hour), SinceExact: true, SpeedMbps: 1000, Admin: "up", Oper: "up",
			Confirmed: now.Add(-20 * time.Second), Source: "poll", Flaps: noc.Flaps{Hour: 0, Day: 3},
			FlapTimes: []time.Time{now.Add(-20 * time.Hour), now.Add(-9 * time.Hour), now.Add(-3*time.Hour - 10*time.Minute)},
			Transitions: []noc.Transition{
				{At: now.Add(-3 * time.Hour), Since: now.Add(-3 * time.Hour), SinceExact: true, From: noc.LinkDown, To: noc.LinkUp, Admin: "up", Oper: "up", SpeedMbps: 1000, Source: "trap"},
				{At: now.Add(-3*time.Hour - 10*time.Minute), Since: now.Add(-3*time.Hour - 10*time.Minute), SinceExact: true, From: noc.LinkUp, To: noc.LinkDown, Admin: "up", Oper: "down", Source: "trap", Flap: true},
				{At: now.Add(-9 * time.Hour), Since: now.Add(-9*time.Hour - 30*time.Second), SinceExact: true, From: noc.LinkUp, To: noc.LinkUp, Admin: "up", Oper: "up", SpeedMbps: 1000, Source: "poll", Flap: true},
				{At: now.Add(-20 * time.Hour), Since: now.Add(-20 * time.Hour), SinceExact: true, From: noc.LinkDown, To: noc.LinkUp, Admin: "up", Oper: "up", SpeedMbps: 100, Source: "poll"},
				{At: now.Add(-21 * time.Hour), Since: now.Add(-21 * time.Hour), SinceExact: true, From: noc.LinkUp, To: noc.LinkDown, Admin: "up", Oper: "down", Source: "poll", Flap: true},
				{At: now.Add(-30 * time.Hour), Since: now.Add(-31 * time.Hour), SinceExact: false, To: noc.LinkUp, Admin: "up", Oper: "up", SpeedMbps: 1000, Source: "poll"},
			}},
		Bindings: []noc.Binding{{MAC: mac, IP: ip, State: "bound", Access: a.ID, Circuit: a.Option82, GIAddr: netip.MustParseAddr("10.20.0.1"),
			FirstSeen: now.Add(-60 * 24 * time.Hour), LastSeen: now.Add(-2 * time.Minute), Since: now.Add(-6 * 24 * time.Hour),
			Expires: now.Add(58 * time.Minute), Confirmed: true, Source: "relay"}},
		History: []noc.Interval{
			{IP: ip, MAC: mac, Access: a.ID, Circuit: a.Option82, From: now.Add(-6 * 24 * time.Hour), Confirmed: true},
			{IP: netip.MustParseAddr("10.20.0.77"), MAC: mac, Access: a.ID, Circuit: a.Option82, From: now.Add(-20 * 24 * time.Hour), To: now.Add(-6 * 24 * time.Hour), Confirmed: true},
			{IP: netip.MustParseAddr("10.20.0.77"), MAC: "02:00:5e:00:00:99", Access: a.ID, Circuit: a.Option82, From: now.Add(-40 * 24 * time.Hour), To: now.Add(-20 * 24 * time.Hour), Confirmed: true},
		},
		Services: []noc.Service{
			{SubscriptionID: "S-000012", UID: "BB-1000", Name: "Bredband 1000/1000", Type: "broadband", Owner: "bredbandsbolaget", Origin: "pi-api-2.3",
				Activated: "2026-01-15", Commitment: "2026-07-15", OrderID: "O-000031", Since: now.Add(-40 * 24 * time.Hour), EquipmentMACs: []string{mac}},
			{SubscriptionID: "S-000013", UID: "IPTV", Name: "TV", Type: "tv", Owner: "atlas", Origin: "atlas", Activated: "2026-02-01",
				Release: "2026-04-30", OrderID: "O-000032", Since: now.Add(-30 * 24 * time.Hour)},
		},
		Orders: []noc.Order{
			{ID: "O-000032", Owner: "atlas", Channel: "atlas", Service: "IPTV", Operation: "ACTIVATE", State: "DONE_SUCCESS", Message: "activated",
				SubscriptionID: "S-000013", Attempts: 1, Due: now.Add(-30 * 24 * time.Hour), Created: now.Add(-31 * 24 * time.Hour), Updated: now.Add(-30 * 24 * time.Hour),
				Events: []noc.OrderEvent{
					{Time: now.Add(-31 * 24 * time.Hour), Kind: "order", State: "RECEIVED", Message: "order received"},
					{Time: now.Add(-30 * 24 * time.Hour), Kind: "order", State: "IN_PROGRESS", Message: "activation hook started"},
					{Time: now.Add(-30 * 24 * time.Hour), Kind: "order", State: "DONE_SUCCESS", Message: "activated"},
					{Time: now.Add(-30 * 24 * time.Hour), Kind: "service-started", Message: "S-000013"},
				}},
			{ID: "O-000031", Owner: "bredbandsbolaget", Channel: "pi-api-2.3", Service: "BB-1000", Operation: "ACTIVATE", State: "DONE_SUCCESS",
				Message: "activated", SubscriptionID: "S-000012", Attempts: 2, Due: now.Add(-40 * 24 * time.Hour), Created: now.Add(-40 * 24 * time.Hour),
				Updated: now.Add(-40 * 24 * time.Hour), Events: []noc.OrderEvent{
					{Time: now.Add(-40 * 24 * time.Hour), Kind: "order", State: "RECEIVED", Message: "order received"},
					{Time: now.Add(-40 * 24 * time.Hour), Kind: "order", State: "DONE_SUCCESS", Message: "activated"},
				}},
			{ID: "O-000007", Owner: "bredbandsbolaget", Channel: "pi-api-2.2", Service: "BB-100-100", Operation: "ACTIVATE", State: "DONE_FAILED",
				Message: "activation hook: exit status 3", Attempts: 3, Due: now.Add(-90 * 24 * time.Hour), Created: now.Add(-90 * 24 * time.Hour),
				Updated: now.Add(-89 * 24 * time.Hour)},
		},
	}
}

func sampleDown(now time.Time) Entry {
	a := premises("ALS10002", "Storgatan", "12", "B", "1102")
	a.Option82, a.Modified = "192.0.2.11 ge-0/0/2", now.Add(-30*24*time.Hour)
	return Entry{Access: a, Link: &noc.Link{Switch: "192.0.2.11", Port: "ge-0/0/2", Address: "192.0.2.11:161", State: noc.LinkDown,
		Since: now.Add(-40 * time.Minute), SinceExact: true, Admin: "up", Oper: "down", Confirmed: now.Add(-20 * time.Second), Source: "poll",
		Flaps: noc.Flaps{Hour: 1, Day: 1}, FlapTimes: []time.Time{now.Add(-40 * time.Minute)},
		Transitions: []noc.Transition{
			{At: now.Add(-40 * time.Minute), Since: now.Add(-40 * time.Minute), SinceExact: true, From: noc.LinkUp, To: noc.LinkDown, Admin: "up", Oper: "down", Source: "trap", Flap: true},
			{At: now.Add(-10 * 24 * time.Hour), Since: now.Add(-10 * 24 * time.Hour), SinceExact: true, To: noc.LinkUp, Admin: "up", Oper: "up", SpeedMbps: 100, Source: "poll"},
		}}}
}

func sampleUnknown(now time.Time) Entry {
	a := premises("ALS10003", "Östra Långgatan", "3", "", "")
	a.PremisesType, a.Option82, a.Modified = "SFU", "192.0.2.13 1/0/7", now.Add(-30*24*time.Hour)
	return Entry{Access: a, Link: &noc.Link{Switch: "192.0.2.13", Port: "1/0/7", Address: "192.0.2.13:161", State: noc.LinkUnknown,
		Since: now.Add(-95 * time.Minute), SinceExact: true, Confirmed: now.Add(-95 * time.Minute), Source: "poll",
		Reason: "unreachable", Cause: "switch 192.0.2.13:161 has not answered since 95 minutes (request timeout)",
		Transitions: []noc.Transition{
			{At: now.Add(-95 * time.Minute), Since: now.Add(-95 * time.Minute), SinceExact: true, From: noc.LinkUp, To: noc.LinkUnknown, Source: "poll", Problem: "switch unreachable"},
			{At: now.Add(-5 * 24 * time.Hour), Since: now.Add(-5 * 24 * time.Hour), SinceExact: true, To: noc.LinkUp, Admin: "up", Oper: "up", SpeedMbps: 1000, Source: "poll"},
		}}}
}

func sampleNoPort(now time.Time) Entry {
	a := premises("ALS10004", "Kyrkvägen", "1", "", "")
	a.PremisesType, a.Modified = "SFU", now.Add(-30*24*time.Hour)
	return Entry{Access: a}
}

// Hostile is an access whose every inventory value, and the order and
// circuit values that come from service providers and switches, tries to
// break out of the HTML: script elements, quotes, javascript: URLs.
func Hostile(now time.Time) Entry {
	const (
		script = `<script>alert("x")</script>`
		quotes = `"><img src=x onerror=alert(1)>'`
		js     = `javascript:alert(document.cookie)`
	)
	a := noc.Access{ID: "EVIL1", LegacyID: js, StreetName: script, StreetNumber: quotes, StreetLittera: "</td>", PostalCode: js,
		City: `<a href="javascript:alert(1)">x</a>`, CountryCode: "SE", PremisesType: quotes, Apartment: `' onmouseover='alert(1)`,
		Distinguisher: "<!--", Outlet: "]]>", Population: "{{.}}", Activatable: script, Sellable: quotes, AccessState: js,
		Media: "<style>body{display:none}</style>", FiberConverter: "<svg onload=alert(1)>", CPESwitch: js, CPERouter: "&amp;&lt;",
		Option82: js + " " + script, RemoteID: quotes, CircuitID: script, LastOption82: js, LastOption82Seen: now, Modified: now}
	return Entry{
		Access: a,
		Link: &noc.Link{Switch: js, Port: script, Address: quotes, State: noc.LinkUnknown, Reason: script, Cause: quotes,
			Admin: js, Oper: "<b>", Source: script, Transitions: []noc.Transition{{At: now, Since: now, To: noc.LinkUnknown, Problem: script, Source: js}}},
		Bindings: []noc.Binding{{MAC: "02:00:5e:00:ee:01", IP: netip.MustParseAddr("10.20.0.66"), State: script, Access: "EVIL1", Circuit: js,
			Since: now, LastSeen: now, Source: quotes}},
		History: []noc.Interval{{IP: netip.MustParseAddr("10.20.0.66"), MAC: "02:00:5e:00:ee:01", Access: "../../x?<y>", Circuit: script, From: now},
			{IP: netip.MustParseAddr("10.20.0.67"), MAC: "02:00:5e:00:ee:02", Access: js, Circuit: quotes, From: now.Add(-time.Hour), To: now}},
		Services: []noc.Service{{SubscriptionID: script, UID: js, Name: quotes, Type: "</table>", Owner: script, Origin: js, Activated: quotes, OrderID: js, EquipmentMACs: []string{script}}},
		Orders: []noc.Order{{ID: js, Owner: quotes, Channel: script, Service: js, Operation: script, State: quotes, Message: script, Created: now, Updated: now,
			Events: []noc.OrderEvent{{Time: now, Kind: script, State: js, Message: quotes}}}},
	}
}
