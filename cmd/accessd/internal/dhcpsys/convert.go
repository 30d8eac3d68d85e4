package dhcpsys

import (
	"net/netip"
	"time"

	"github.com/stadsnat/accessd/cmd/internal/admin"
	"github.com/stadsnat/accessd/dhcp/binding"
	"github.com/stadsnat/accessd/dhcp/circuit"
	"github.com/stadsnat/accessd/dhcp/option82"
	"github.com/stadsnat/accessd/store"
)

// The admin protocol's forms of what the DHCP service holds.

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

func addrText(a netip.Addr) string {
	if !a.IsValid() {
		return ""
	}
	return a.String()
}

func macText(m store.MAC) string {
	if m.IsZero() {
		return ""
	}
	return m.String()
}

func fromRecord(r *store.BindingRecord) admin.Binding {
	b := admin.Binding{
		MAC: r.MAC.String(), IP: addrText(r.IP), State: r.State.String(), Access: r.Access, Circuit: r.Circuit,
		RemoteID: r.RemoteID, CircuitID: r.CircuitID, Profile: r.Profile, GIAddr: addrText(r.GIAddr),
		FirstSeen: r.FirstSeen, LastSeen: r.LastSeen, Since: r.Since, Ended: timePtr(r.Ended), Expires: timePtr(r.Expires),
		LeaseSecs: int64(r.LeaseTime / time.Second), Confirmed: r.Confirmed,
	}
	if len(r.Option82) > 0 {
		b.Option82 = string(option82.AppendHex(nil, r.Option82, true))
	}
	if r.Source != 0 {
		b.Source = r.Source.String()
	}
	return b
}

func fromRecords(rs []store.BindingRecord) []admin.Binding {
	out := make([]admin.Binding, len(rs))
	for i := range rs {
		out[i] = fromRecord(&rs[i])
	}
	return out
}

func fromCircuit(profile string, c *circuit.Circuit, err error) admin.Decoded {
	d := admin.Decoded{Profile: profile, Key: c.Key, RemoteID: c.RemoteID, CircuitID: c.CircuitID, Switch: c.Switch,
		Module: c.Module, Port: c.Port, VLAN: c.VLAN, Interface: c.Interface}
	if err != nil {
		d.Error = err.Error()
	}
	return d
}

func fromInterval(iv *binding.Interval) admin.Interval {
	return admin.Interval{IP: iv.IP.String(), MAC: iv.MAC.String(), Access: iv.Access, Circuit: iv.Circuit, From: iv.From,
		To: timePtr(iv.To), Confirmed: iv.Confirmed}
}

func fromUnknown(u *store.UnknownCircuit) admin.UnknownCircuit {
	return admin.UnknownCircuit{Key: u.Key, Reason: u.Reason, Profile: u.Profile, RemoteID: u.RemoteID, CircuitID: u.CircuitID,
		GIAddr: addrText(u.GIAddr), Option82: u.Option82, Count: u.Count, FirstSeen: u.FirstSeen, LastSeen: u.LastSeen,
		LastMAC: macText(u.LastMAC)}
}

func fromUnknowns(us []store.UnknownCircuit) []admin.UnknownCircuit {
	out := make([]admin.UnknownCircuit, len(us))
	for i := range us {
		out[i] = fromUnknown(&us[i])
	}
	return out
}

func fromEvent(e *store.BindingEvent) admin.BindingEvent {
	return admin.BindingEvent{Seq: e.Seq, Kind: string(e.Kind), Time: e.Time, MAC: macText(e.MAC), IP: addrText(e.IP), Access: e.Access,
		PrevAccess: e.PrevAccess, PrevIP: addrText(e.PrevIP), PrevMAC: macText(e.PrevMAC), Circuit: e.Circuit, Accesses: e.Accesses}
}
