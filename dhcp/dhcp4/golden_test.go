package dhcp4

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stadsnat/accessd/dhcp/option82"
	"github.com/stadsnat/accessd/internal/testkit"
)

// TestLabPackets decodes packets that ISC dhcrelay 4.4.3 (-a) relayed in the
// DHCP lab (internal/testkit/lab/dhcp-lab.sh: udhcpc and dhclient behind the
// relay, captured on the second server address) and compares with
// lab.golden.
func TestLabPackets(t *testing.T) {
	files, err := filepath.Glob("testdata/lab-*.bin")
	if err != nil || len(files) == 0 {
		t.Fatalf("no lab packets: %v", err)
	}
	var b strings.Builder
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		p, err := Decode(raw)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		mac, _ := p.MAC()
		fmt.Fprintf(&b, "%s: op=%d hops=%d type=%s mac=%s ciaddr=%s giaddr=%s requested=%v server=%v clientid=%x hostname-len=%d",
			filepath.Base(f), p.Op, p.Hops, p.MessageType, mac, p.CIAddr, p.GIAddr, p.RequestedIP, p.ServerID, p.ClientID, len(p.Hostname))
		for _, o := range p.Option82 {
			for _, fd := range option82.Describe(o, nil) {
				fmt.Fprintf(&b, " %s=%q", fd.Name, fd.Value)
			}
		}
		b.WriteByte('\n')
	}
	testkit.Golden(t, "testdata/lab.golden", b.String())
}
