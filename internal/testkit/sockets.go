package testkit

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// UDPBound reports whether process pid holds a UDP socket bound to local
// port (IPv4 or IPv6, any address), read from /proc/net/udp{,6} of the
// process's network namespace and the process's file descriptors: a test
// waits for a listener this way instead of for a fixed time.
func UDPBound(pid, port int) (bool, error) {
	inodes := map[string]bool{}
	for _, f := range []string{"udp", "udp6"} {
		if err := boundInodes(filepath.Join("/proc", strconv.Itoa(pid), "net", f), port, inodes); err != nil {
			return false, err
		}
	}
	if len(inodes) == 0 {
		return false, nil
	}
	fdDir := filepath.Join("/proc", strconv.Itoa(pid), "fd")
	fds, err := os.ReadDir(fdDir)
	if err != nil {
		return false, err
	}
	for _, fd := range fds {
		target, err := os.Readlink(filepath.Join(fdDir, fd.Name()))
		if err != nil {
			continue // closed meanwhile
		}
		if ino, ok := strings.CutPrefix(target, "socket:["); ok && inodes[strings.TrimSuffix(ino, "]")] {
			return true, nil
		}
	}
	return false, nil
}

// boundInodes adds the inodes of the sockets on local port listed in a
// /proc/net/udp-style table.
func boundInodes(table string, port int, inodes map[string]bool) error {
	f, err := os.Open(table)
	if os.IsNotExist(err) {
		return nil // no IPv6
	}
	if err != nil {
		return err
	}
	defer f.Close()
	want := fmt.Sprintf(":%04X", port)
	sc := bufio.NewScanner(f)
	sc.Scan() // header
	for sc.Scan() {
		// sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
		fields := strings.Fields(sc.Text())
		if len(fields) > 9 && strings.HasSuffix(fields[1], want) {
			inodes[fields[9]] = true
		}
	}
	return sc.Err()
}
