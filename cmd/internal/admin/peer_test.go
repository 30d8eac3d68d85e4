package admin

import (
	"errors"
	"net"
	"os"
	"path/filepath"
	"testing"
)

func TestAuthorizer(t *testing.T) {
	a := &Authorizer{uid: 998, gid: 997, group: "accessd", groupsOf: func(p Peer) ([]uint32, error) {
		switch p.UID {
		case 1000:
			return []uint32{27, 997}, nil // an operator in group accessd
		case 1002:
			return nil, errors.New("no such process")
		}
		return []uint32{100}, nil
	}}
	for _, tc := range []struct {
		p    Peer
		want bool
	}{
		{Peer{UID: 0, GID: 0, Known: true}, true},
		{Peer{UID: 998, GID: 998, Known: true}, true},
		{Peer{UID: 1001, GID: 997, Known: true}, true},
		{Peer{UID: 1000, GID: 1000, Known: true}, true},
		{Peer{UID: 65534, GID: 65534, Known: true}, false},
		{Peer{UID: 1002, GID: 1002, Known: true}, false},
		{Peer{}, false},
	} {
		if got := a.Allow(tc.p); got != tc.want {
			t.Errorf("Allow(%+v) = %v", tc.p, got)
		}
	}
}

// procGroups reads this process's supplementary groups as the kernel has
// them.
func TestProcGroups(t *testing.T) {
	got, err := procGroups(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.Getgroups()
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Errorf("procGroups = %v, os.Getgroups = %v", got, want)
	}
	if _, err := procGroups(-1); err == nil {
		t.Error("no error for a process that does not exist")
	}
}

// PeerOf reads the credentials of both ends of a unix connection, through
// a wrapper that has NetConn.
func TestPeerOf(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "s")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		if c, err := ln.Accept(); err == nil {
			defer c.Close()
			c.Read(make([]byte, 1))
		}
	}()
	c, err := net.Dial("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	p := PeerOf(wrapped{c})
	if !p.Known || p.UID != uint32(os.Getuid()) || p.PID != os.Getpid() {
		t.Errorf("PeerOf = %+v", p)
	}
	if p := PeerOf(&net.TCPConn{}); p.Known {
		t.Errorf("a TCP connection has credentials: %+v", p)
	}
}

type wrapped struct{ net.Conn }

func (w wrapped) NetConn() net.Conn { return w.Conn }

// The client trusts a socket served by root, by its own user or by the
// daemon's user, and no one else.
func TestClientChecksServer(t *testing.T) {
	c := NewClient("/run/x.sock").DaemonUser("root")
	for _, tc := range []struct {
		p    Peer
		want bool
	}{
		{Peer{UID: 0, Known: true}, true},
		{Peer{UID: uint32(os.Getuid()), Known: true}, true},
		{Peer{UID: 65534, Known: true}, false},
		{Peer{}, false},
	} {
		err := c.checkServer(tc.p)
		var ue *UntrustedServerError
		if (err == nil) != tc.want || (err != nil && !errors.As(err, &ue)) {
			t.Errorf("checkServer(%+v) = %v", tc.p, err)
		}
	}
}

// SO_PEERGROUPS gives the connecting process's supplementary groups.
func TestPeerGroups(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "s")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		if c, err := net.Dial("unix", sock); err == nil {
			defer c.Close()
			c.Read(make([]byte, 1))
		}
	}()
	c, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	p := PeerOf(c)
	want, _ := os.Getgroups()
	if !p.GroupsKnown || len(p.Groups) != len(want) {
		t.Errorf("PeerOf groups = %v (known %v), os.Getgroups = %v", p.Groups, p.GroupsKnown, want)
	}
	a := &Authorizer{uid: 998, gid: 997, groupsOf: func(Peer) ([]uint32, error) { return nil, errors.New("hidden") }}
	if !a.Allow(Peer{UID: 65534, GID: 65534, Known: true, Groups: []uint32{997}, GroupsKnown: true}) {
		t.Error("a member by SO_PEERGROUPS was refused")
	}
}
