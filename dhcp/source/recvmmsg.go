package source

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// batchReader reads datagrams with recvmmsg(2) into fixed buffers, and
// each one's source address into a fixed sockaddr, so that a batch
// allocates nothing: x/net's ipv4.PacketConn.ReadBatch makes a
// *net.UDPAddr per datagram, which flat out was half the daemon's garbage.
type batchReader struct {
	rc    syscall.RawConn
	hdrs  []unix.Mmsghdr
	iovs  []unix.Iovec
	names []unix.RawSockaddrInet6 // large enough for either family
	bufs  []byte
	size  int // bytes per datagram buffer
	// recv is the recvmmsg call rc.Read runs, made once: a closure made
	// at every read (over n and errno) was a heap allocation a batch,
	// the reader's only one. It leaves its outcome in n and errno.
	recv  func(fd uintptr) bool
	n     int
	errno syscall.Errno
}

func newBatchReader(rc syscall.RawConn, n, size int) *batchReader {
	r := &batchReader{rc: rc, hdrs: make([]unix.Mmsghdr, n), iovs: make([]unix.Iovec, n),
		names: make([]unix.RawSockaddrInet6, n), bufs: make([]byte, n*size), size: size}
	for i := range r.hdrs {
		r.iovs[i].Base = &r.bufs[i*size]
		r.iovs[i].SetLen(size)
		h := &r.hdrs[i].Hdr
		h.Name = (*byte)(unsafe.Pointer(&r.names[i]))
		h.Iov = &r.iovs[i]
		h.SetIovlen(1)
	}
	r.recv = r.recvmmsg
	return r
}

// read waits for datagrams and reads up to a batch of them; it returns
// how many.
func (r *batchReader) read() (int, error) {
	for i := range r.hdrs {
		r.hdrs[i].Hdr.Namelen = unix.SizeofSockaddrInet6
		r.hdrs[i].Hdr.Flags = 0
		r.hdrs[i].Len = 0
	}
	r.n, r.errno = 0, 0
	if err := r.rc.Read(r.recv); err != nil {
		return 0, err
	}
	if r.errno != 0 {
		return 0, fmt.Errorf("recvmmsg: %w", r.errno)
	}
	return r.n, nil
}

// recvmmsg reads what the socket fd holds, a batch at most, into r.n (or
// the error into r.errno); it returns false, to wait until the socket is
// readable, when it holds nothing.
func (r *batchReader) recvmmsg(fd uintptr) bool {
	for {
		// A raw syscall: recvmmsg with MSG_DONTWAIT never blocks (it
		// copies what is queued, a batch at most), so the runtime need
		// not be told (entersyscall/exitsyscall). Told, flat out, its
		// sysmon took the reader's P away during the longer copies and
		// handed it to another thread: futex wake-ups, context switches
		// and sysmon's own wake-ups, about a tenth of the daemon's CPU
		// per packet.
		r1, _, e := unix.RawSyscall6(unix.SYS_RECVMMSG, fd, uintptr(unsafe.Pointer(&r.hdrs[0])), uintptr(len(r.hdrs)),
			unix.MSG_DONTWAIT, 0, 0)
		switch e {
		case unix.EINTR:
			continue
		case unix.EAGAIN:
			return false
		}
		r.n, r.errno = int(r1), e
		return true
	}
}

// packet is datagram i of the last read (cut at the buffer size).
func (r *batchReader) packet(i int) []byte {
	off := i * r.size
	return r.bufs[off : off+int(min(r.hdrs[i].Len, uint32(r.size)))]
}

// from is the source address of datagram i of the last read; not valid
// when the kernel gave none it knows.
func (r *batchReader) from(i int) netip.AddrPort {
	return sockaddrAddrPort(&r.names[i], r.hdrs[i].Hdr.Namelen)
}

// sockaddrAddrPort reads an AF_INET or AF_INET6 socket address (an
// IPv4-mapped IPv6 one as IPv4) of l bytes.
func sockaddrAddrPort(sa *unix.RawSockaddrInet6, l uint32) netip.AddrPort {
	switch {
	case sa.Family == unix.AF_INET && l >= unix.SizeofSockaddrInet4:
		sa4 := (*unix.RawSockaddrInet4)(unsafe.Pointer(sa))
		return netip.AddrPortFrom(netip.AddrFrom4(sa4.Addr), port(sa4.Port))
	case sa.Family == unix.AF_INET6 && l >= unix.SizeofSockaddrInet6:
		return netip.AddrPortFrom(netip.AddrFrom16(sa.Addr).Unmap(), port(sa.Port))
	}
	return netip.AddrPort{}
}

// port converts a sockaddr's port, in network byte order.
func port(p uint16) uint16 {
	var b [2]byte
	binary.NativeEndian.PutUint16(b[:], p)
	return binary.BigEndian.Uint16(b[:])
}
