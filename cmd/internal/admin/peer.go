package admin

import (
	"bufio"
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/user"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/stadsnat/accessd/api/httperr"
)

// Peer is the process at the other end of a unix connection, from
// SO_PEERCRED: for a client, the process that connected; for accessctl,
// the process that made the listening socket.
type Peer struct {
	PID      int
	UID, GID uint32
	Known    bool // false when the credentials could not be read
	// Groups are the peer's supplementary groups when it connected
	// (SO_PEERGROUPS; GroupsKnown false when the kernel does not say).
	Groups      []uint32
	GroupsKnown bool
}

// PeerOf reads the credentials of c's peer. c is a *net.UnixConn, or
// wraps one (NetConn).
func PeerOf(c net.Conn) Peer {
	for {
		nc, ok := c.(interface{ NetConn() net.Conn })
		if !ok {
			break
		}
		c = nc.NetConn()
	}
	uc, ok := c.(*net.UnixConn)
	if !ok {
		return Peer{}
	}
	raw, err := uc.SyscallConn()
	if err != nil {
		return Peer{}
	}
	var p Peer
	raw.Control(func(fd uintptr) {
		cred, err := syscall.GetsockoptUcred(int(fd), syscall.SOL_SOCKET, syscall.SO_PEERCRED)
		if err == nil {
			p = Peer{PID: int(cred.Pid), UID: cred.Uid, GID: cred.Gid, Known: true}
			p.Groups, p.GroupsKnown = peerGroupsOf(int(fd))
		}
	})
	return p
}

// peerGroupsOf reads the peer's supplementary groups (SO_PEERGROUPS,
// Linux 4.13): what it had when it connected, seen even where /proc hides
// its process (the unit's ProtectProc=invisible).
func peerGroupsOf(fd int) ([]uint32, bool) {
	buf := make([]uint32, 64)
	for range 2 {
		n := uint32(len(buf) * 4)
		_, _, errno := syscall.Syscall6(syscall.SYS_GETSOCKOPT, uintptr(fd), syscall.SOL_SOCKET, unix.SO_PEERGROUPS,
			uintptr(unsafe.Pointer(&buf[0])), uintptr(unsafe.Pointer(&n)), 0)
		switch errno {
		case 0:
			return buf[:n/4], true
		case syscall.ERANGE:
			buf = make([]uint32, n/4+1)
			continue
		}
		return nil, false
	}
	return nil, false
}

// PeerUID returns the uid of the process at the other end of a unix
// connection, or -1.
func PeerUID(c net.Conn) int {
	if p := PeerOf(c); p.Known {
		return int(p.UID)
	}
	return -1
}

type peerKey struct{}

// ConnContext is an http.Server's ConnContext for the admin socket: it
// notes the peer's credentials for PeerFrom and Protect.
func ConnContext(ctx context.Context, c net.Conn) context.Context {
	return context.WithValue(ctx, peerKey{}, PeerOf(c))
}

// PeerFrom is the uid of the process that sent a request (-1 when
// unknown).
func PeerFrom(ctx context.Context) int {
	if p, ok := ctx.Value(peerKey{}).(Peer); ok && p.Known {
		return int(p.UID)
	}
	return -1
}

// Authorizer decides who may use the admin socket: root, the daemon's own
// user, and the members of its group (admin.group, else the daemon's
// primary group). The socket's file mode does not protect an abstract
// socket (@name) at all, and a path socket only as far as its directory
// does: every connection is checked, whatever the socket.
type Authorizer struct {
	uid   uint32
	gid   uint32
	group string
	// groupsOf returns the supplementary groups of a peer (tests replace
	// it).
	groupsOf func(p Peer) ([]uint32, error)
}

// NewAuthorizer allows root, this process's user and the members of
// group ("" = this process's primary group).
func NewAuthorizer(group string) (*Authorizer, error) {
	a := &Authorizer{uid: uint32(os.Getuid()), gid: uint32(os.Getgid()), group: group, groupsOf: peerGroups}
	if group != "" {
		g, err := user.LookupGroup(group)
		if err != nil {
			return nil, fmt.Errorf("admin.group: %w", err)
		}
		gid, err := strconv.ParseUint(g.Gid, 10, 32)
		if err != nil {
			return nil, fmt.Errorf("admin.group %s: gid %q: %w", group, g.Gid, err)
		}
		a.gid = uint32(gid)
	} else if g, err := user.LookupGroupId(strconv.Itoa(int(a.gid))); err == nil {
		a.group = g.Name
	} else {
		a.group = strconv.Itoa(int(a.gid))
	}
	return a, nil
}

// Allow reports whether p may use the socket.
func (a *Authorizer) Allow(p Peer) bool {
	if !p.Known {
		return false
	}
	if p.UID == 0 || p.UID == a.uid || p.GID == a.gid {
		return true
	}
	groups := p.Groups
	if !p.GroupsKnown {
		var err error
		if groups, err = a.groupsOf(p); err != nil {
			return false
		}
	}
	for _, g := range groups {
		if g == a.gid {
			return true
		}
	}
	return false
}

// Who says who may use the socket, for messages.
func (a *Authorizer) Who() string {
	name := strconv.Itoa(int(a.uid))
	if u, err := user.LookupId(name); err == nil {
		name = u.Username
	}
	return fmt.Sprintf("root, %s or a member of group %s", name, a.group)
}

// peerGroups is where the supplementary groups come from when
// SO_PEERGROUPS does not say: /proc/PID/status, or when the daemon may not
// see the process there (the unit's ProtectProc=invisible hides other
// users' processes), the group database for the peer's user
// (getgrouplist's answer, without NSS).
func peerGroups(p Peer) ([]uint32, error) {
	if gs, err := procGroups(p.PID); err == nil {
		return gs, nil
	}
	u, err := user.LookupId(strconv.FormatUint(uint64(p.UID), 10))
	if err != nil {
		return nil, err
	}
	ids, err := u.GroupIds()
	if err != nil {
		return nil, err
	}
	var out []uint32
	for _, id := range ids {
		if g, err := strconv.ParseUint(id, 10, 32); err == nil {
			out = append(out, uint32(g))
		}
	}
	return out, nil
}

// procGroups reads the Groups: line of /proc/PID/status.
func procGroups(pid int) ([]uint32, error) {
	f, err := os.Open("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		rest, ok := strings.CutPrefix(sc.Text(), "Groups:")
		if !ok {
			continue
		}
		var out []uint32
		for _, f := range strings.Fields(rest) {
			g, err := strconv.ParseUint(f, 10, 32)
			if err != nil {
				return nil, fmt.Errorf("/proc/%d/status: Groups: %q", pid, f)
			}
			out = append(out, uint32(g))
		}
		return out, nil
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	return nil, fmt.Errorf("/proc/%d/status has no Groups line", pid)
}

// Protect answers 403 to every request of a peer a may not allow, before
// h reads anything of it, and closes the connection; the refusal is logged
// at warn, at most once a minute per uid.
func Protect(a *Authorizer, log *slog.Logger, h http.Handler) http.Handler {
	var mu sync.Mutex
	logged := map[uint32]time.Time{}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, _ := r.Context().Value(peerKey{}).(Peer)
		if a.Allow(p) {
			h.ServeHTTP(w, r)
			return
		}
		mu.Lock()
		if now := time.Now(); now.Sub(logged[p.UID]) >= time.Minute {
			logged[p.UID] = now
			if len(logged) > 1000 {
				clear(logged)
			}
			log.Warn("admin socket: request refused, the peer may not use it", "uid", p.UID, "gid", p.GID, "pid", p.PID,
				"credentials_known", p.Known, "allowed", a.Who())
		}
		mu.Unlock()
		w.Header().Set("Connection", "close")
		httperr.WriteJSON(w, httperr.Errorf(http.StatusForbidden, "uid %d may not use accessd's admin socket: %s may", p.UID, a.Who()))
	})
}
