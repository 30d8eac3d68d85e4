package noctest

import (
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/stadsnat/accessd/api/noc"
)

// PortsPerSwitch is how many accesses Generate puts on one switch.
const PortsPerSwitch = 48

var streets = []string{"Storgatan", "Kyrkvägen", "Östra Långgatan", "Skolgatan", "Järnvägsgatan", "Ringvägen", "Parkvägen",
	"Björkvägen", "Tallvägen", "Sjögatan", "Åsgatan", "Fabriksgatan", "Hamngatan", "Torggatan", "Bergsgatan", "Älvgatan"}

// GenID is the AccessId of generated access i.
func GenID(i int) string { return fmt.Sprintf("ALS%07d", i) }

// GenIP is the IP of generated access i's binding.
func GenIP(i int) netip.Addr {
	return netip.AddrFrom4([4]byte{10, byte(64 + i>>16), byte(i >> 8), byte(i)})
}

// GenMAC is the MAC of generated access i's client.
func GenMAC(i int) string {
	return fmt.Sprintf("02:00:%02x:%02x:%02x:%02x", byte(i>>24), byte(i>>16), byte(i>>8), byte(i))
}

// GenSwitch is the switch of generated access i.
func GenSwitch(i int) string {
	s := i / PortsPerSwitch
	return fmt.Sprintf("10.%d.%d.%d", 100+s>>16, s>>8&255, s&255)
}

// Generate makes n accesses as a city network has them, PortsPerSwitch to
// a switch, each with a bound client, a short IP history, a link (most UP
// with a long transition list, some DOWN, some UNKNOWN), two services and
// the longest order list a page shows (shared between accesses: the
// benchmark is of the pages, not of the fake's memory); and the switches'
// poll health and 500 unknown circuits. Access i has GenID(i), GenIP(i)
// and GenMAC(i).
func Generate(n int, now time.Time) *Fake {
	f := New()
	ups := transitions(now, 30)
	services, orders := fullServices(now, 2), fullOrders(now, 12, 10)
	es := make([]Entry, n)
	for i := range es {
		a := noc.Access{ID: GenID(i), StreetName: streets[i%len(streets)], StreetNumber: fmt.Sprint(i/len(streets)%250 + 1),
			PostalCode: fmt.Sprintf("%03d %02d", 100+i%800, i%97), City: "Stadby", CountryCode: "SE", PremisesType: "MDU",
			Apartment: fmt.Sprint(1001 + i%40), Outlet: "1", Activatable: "YES", Sellable: "YES", AccessState: "CONNECTED",
			Media: "fiber", PortSpeedMbps: 1000, Modified: now.Add(-time.Duration(i) * time.Second)}
		if i%3 == 1 {
			a.StreetLittera = "B"
		}
		sw, port := GenSwitch(i), fmt.Sprintf("ge-0/0/%d", i%PortsPerSwitch)
		a.Option82 = sw + " " + port
		a.LastOption82, a.LastOption82Seen = Option82Hex(a.Option82), now.Add(-time.Minute)
		l := &noc.Link{Switch: sw, Port: port, Address: sw + ":161", State: noc.LinkUp, Since: now.Add(-3 * time.Hour), SinceExact: true,
			SpeedMbps: 1000, Admin: "up", Oper: "up", Confirmed: now.Add(-20 * time.Second), Source: "poll",
			Flaps: noc.Flaps{Hour: 1, Day: 9}, FlapTimes: flapTimes(now, 9), Transitions: ups}
		switch i % 50 {
		case 7:
			l.State, l.SpeedMbps, l.Oper, l.Since = noc.LinkDown, 0, "down", now.Add(-15*time.Minute)
		case 13:
			l.State, l.Reason, l.Cause = noc.LinkUnknown, "unreachable", "switch "+sw+":161 does not answer"
		}
		mac, ip := GenMAC(i), GenIP(i)
		es[i] = Entry{Access: a, Link: l, Services: services, Orders: orders,
			Bindings: []noc.Binding{{MAC: mac, IP: ip, State: "bound", Access: a.ID, Circuit: a.Option82, GIAddr: netip.AddrFrom4([4]byte{10, 0, 0, 1}),
				FirstSeen: now.Add(-90 * 24 * time.Hour), LastSeen: now.Add(-time.Minute), Since: now.Add(-5 * 24 * time.Hour),
				Expires: now.Add(time.Hour), Confirmed: true, Source: "relay"}},
			History: []noc.Interval{
				{IP: ip, MAC: mac, Access: a.ID, Circuit: a.Option82, From: now.Add(-5 * 24 * time.Hour), Confirmed: true},
				{IP: ip, MAC: "02:ff:00:00:00:01", Access: a.ID, Circuit: a.Option82, From: now.Add(-40 * 24 * time.Hour), To: now.Add(-5 * 24 * time.Hour), Confirmed: true},
			}}
	}
	f.Put(es...)
	f.SetSwitches(genSwitches(n, now), genProblems(120), noc.SwitchSummary{Interval: time.Minute})
	f.SetUnknown(genUnknown(500, now))
	return f
}

// Full is a network whose every list is longer than a page shows, with
// long values: the heaviest pages there can be. Its access is FULL1.
func Full(now time.Time) *Fake {
	f := New()
	e := sampleUp(now)
	e.Access.ID = "FULL1"
	e.Access.Population = strings.Repeat("Stadby norra ", 4)
	e.Access.CPESwitch, e.Access.CPERouter = "Zyxel XGS1930-28HP rev. B", "Technicolor DGA0122 v2"
	e.Link.Transitions, e.Link.FlapTimes = transitions(now, 60), flapTimes(now, 200)
	e.Link.Flaps = noc.Flaps{Hour: 12, Day: 200, AtLeast: true}
	e.Bindings = nil
	for j := range 4 {
		e.Bindings = append(e.Bindings, noc.Binding{MAC: GenMAC(900 + j), IP: GenIP(900 + j), State: "bound", Access: "FULL1",
			Circuit: e.Access.Option82, GIAddr: netip.AddrFrom4([4]byte{10, 0, 0, 1}), FirstSeen: now.Add(-90 * 24 * time.Hour),
			LastSeen: now, Since: now.Add(-time.Hour), Expires: now.Add(time.Hour), Confirmed: true, Source: "snoop"})
	}
	e.History = nil
	for j := range 60 {
		e.History = append(e.History, noc.Interval{IP: GenIP(1000 + j), MAC: GenMAC(2000 + j), Access: "FULL1", Circuit: e.Access.Option82,
			From: now.Add(-time.Duration(j+1) * 24 * time.Hour), To: now.Add(-time.Duration(j) * 24 * time.Hour), Confirmed: true})
	}
	e.Services, e.Orders = fullServices(now, 6), fullOrders(now, 30, 20)
	f.Put(e)
	f.SetSwitches(genSwitches(250*PortsPerSwitch, now), genProblems(80), noc.SwitchSummary{Interval: time.Minute})
	f.SetUnknown(genUnknown(250, now))
	return f
}

// transitions are n transitions of a flapping port, newest first.
func transitions(now time.Time, n int) []noc.Transition {
	out := make([]noc.Transition, n)
	for j := range out {
		at := now.Add(-time.Duration(j+1) * 47 * time.Minute)
		up := j%2 == 0
		tr := noc.Transition{At: at, Since: at.Add(-3 * time.Second), SinceExact: true, Admin: "up", Source: "trap"}
		if up {
			tr.From, tr.To, tr.Oper, tr.SpeedMbps = noc.LinkDown, noc.LinkUp, "up", 1000
		} else {
			tr.From, tr.To, tr.Oper, tr.Flap = noc.LinkUp, noc.LinkDown, "down", true
		}
		out[j] = tr
	}
	out[n-1].From = ""
	return out
}

func flapTimes(now time.Time, n int) []time.Time {
	out := make([]time.Time, n)
	for j := range out {
		out[j] = now.Add(-24 * time.Hour).Add(time.Duration(j+1) * 24 * time.Hour / time.Duration(n+1))
	}
	return out
}

func fullServices(now time.Time, n int) []noc.Service {
	out := make([]noc.Service, n)
	for j := range out {
		out[j] = noc.Service{SubscriptionID: fmt.Sprintf("S-%06d", 500+j), UID: "BB-1000", Name: "Bredband 1000/1000 med fast IP-adress",
			Type: "broadband", Owner: "bredbandsleverantoren-i-stadby", Origin: "pi-api-2.3", Activated: "2026-01-15", Commitment: "2027-01-15",
			Release: "2027-06-30", OrderID: fmt.Sprintf("O-%06d", 700+j), Since: now.Add(-40 * 24 * time.Hour),
			EquipmentMACs: []string{GenMAC(3000 + j), GenMAC(4000 + j)}}
	}
	return out
}

// fullOrders are n orders, newest first, each with events events.
func fullOrders(now time.Time, n, events int) []noc.Order {
	out := make([]noc.Order, n)
	for j := range out {
		t := now.Add(-time.Duration(j+1) * 72 * time.Hour)
		o := noc.Order{ID: fmt.Sprintf("O-%06d", 900-j), Owner: "bredbandsleverantoren-i-stadby", Channel: "on-api-2.6", Service: "BB-1000",
			Operation: "ACTIVATE", State: "DONE_FAILED", Message: "activation hook: exit status 3: the CPE did not answer on the management VLAN within 120 s",
			Attempts: 3, Due: t, Created: t, Updated: t.Add(time.Hour)}
		for k := range events {
			o.Events = append(o.Events, noc.OrderEvent{Time: t.Add(time.Duration(k) * time.Minute), Kind: "order", State: "IN_PROGRESS",
				Message: "activation hook attempt failed: the CPE did not answer on the management VLAN; retrying in 60 s"})
		}
		out[j] = o
	}
	return out
}

func genSwitches(accesses int, now time.Time) []noc.Switch {
	n := (accesses + PortsPerSwitch - 1) / PortsPerSwitch
	out := make([]noc.Switch, n)
	for s := range out {
		addr := GenSwitch(s * PortsPerSwitch)
		sw := noc.Switch{Address: addr + ":161", Names: []string{addr}, Group: "access", Reachable: true, LastSeen: now.Add(-20 * time.Second),
			PolledAt: now.Add(-20 * time.Second), Boot: now.Add(-30 * 24 * time.Hour), MaxRepetitions: 24, PacketsLastCycle: 2,
			PortsUp: PortsPerSwitch - 3, PortsDown: 3}
		switch {
		case s%50 == 13:
			sw.Reachable, sw.UnreachableSince, sw.Err = false, now.Add(-time.Hour), "request timeout (after 3 tries)"
			sw.PortsUp, sw.PortsDown, sw.PortsUnknown, sw.PacketsLastCycle = 0, 0, PortsPerSwitch, 0
		case s%20 == 3:
			sw.PortsUp, sw.PortsUnknown, sw.Err = PortsPerSwitch-5, 2, "2 ports not found by ifName, ifDescr or ifAlias"
		}
		out[s] = sw
	}
	return out
}

func genProblems(n int) []string {
	out := make([]string, n)
	for j := range out {
		out[j] = fmt.Sprintf("switch %q of ALS%07d: not an IP address and not in snmp.switches", fmt.Sprintf("sw-%04d", j), 9000000+j)
	}
	return out
}

func genUnknown(n int, now time.Time) []noc.UnknownCircuit {
	out := make([]noc.UnknownCircuit, n)
	for j := range out {
		sw, port := GenSwitch(j*PortsPerSwitch), fmt.Sprintf("ge-0/0/%d", 47-j%5)
		out[j] = noc.UnknownCircuit{Key: sw + " " + port, Reason: "no access", Profile: "juniper", RemoteID: sw, CircuitID: port,
			GIAddr: netip.AddrFrom4([4]byte{10, 0, 0, 1}), Option82: Option82Hex(sw + " " + port), Count: uint64(1 + j*7),
			FirstSeen: now.Add(-time.Duration(j+2) * time.Hour), LastSeen: now.Add(-time.Duration(j) * time.Minute), LastMAC: GenMAC(5000 + j)}
	}
	return out
}
