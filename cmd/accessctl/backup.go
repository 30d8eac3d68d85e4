package main

import (
	"context"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"syscall"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/stadsnat/accessd/cmd/internal/admin"
	"github.com/stadsnat/accessd/cmd/internal/config"
	"github.com/stadsnat/accessd/internal/storefile"
)

// cmdBackup fetches an online, consistent copy of the store and writes it
// atomically (temporary file, fsync, rename), then checks the copy.
func cmdBackup(ctx context.Context, c *cli, args []string) error {
	if len(args) != 1 {
		return usagef("want one FILE")
	}
	dst := args[0]
	resp, err := c.client.Send(ctx, http.MethodGet, admin.PathBackup, nil, "")
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	tmp, err := os.CreateTemp(filepath.Dir(dst), ".accessd-backup-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	n, err := io.Copy(tmp, resp.Body)
	if err == nil && resp.ContentLength >= 0 && n != resp.ContentLength {
		err = fmt.Errorf("short backup: %d of %d bytes (see accessd's log)", n, resp.ContentLength)
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	if err := checkStoreFile(tmp.Name()); err != nil {
		return fmt.Errorf("the copy does not check out: %w", err)
	}
	if err := os.Rename(tmp.Name(), dst); err != nil {
		return err
	}
	if !c.json {
		fmt.Fprintf(c.stdout, "backup written to %s (%s, checked)\n", dst, humanBytes(n))
	}
	return nil
}

// checkStoreFile checks a store file against its meta pages (a truncated
// file would fault when mapped), then opens it read-only and runs bbolt's
// consistency check on it.
func checkStoreFile(path string) error {
	if _, err := storefile.Check(path); err != nil {
		return err
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		return err
	}
	defer db.Close()
	return db.View(func(tx *bolt.Tx) error {
		for err := range tx.Check() {
			return err
		}
		if tx.Bucket([]byte("meta")) == nil {
			return errors.New("not an accessd store (no meta bucket)")
		}
		return nil
	})
}

// cmdRestore replaces the store file with a backup, also a damaged or
// missing one. The daemon must be stopped: the store's file lock tells.
// The state directory's marker is written for the restored file, so the
// daemon starts on it without taking it for a rollback.
func cmdRestore(_ context.Context, c *cli, args []string) error {
	if len(args) != 1 {
		return usagef("want one backup FILE")
	}
	src := args[0]
	cfgPath := c.cfg
	if cfgPath == "" {
		cfgPath = config.DefaultPath
	}
	cfg, err := config.Load(cfgPath)
	if err != nil {
		return err
	}
	if err := checkStoreFile(src); err != nil {
		return fmt.Errorf("%s is not a good backup: %w", src, err)
	}
	target := cfg.StorePath()
	// Holding bbolt's lock (flock on the file) proves accessd is stopped
	// and keeps it from starting. The file itself is not opened with
	// bbolt: it may be the damaged one being replaced.
	unlock, err := lockStore(target)
	if err != nil {
		return err
	}
	defer unlock()
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	tmp, err := os.CreateTemp(cfg.StateDir, ".accessd-restore-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := io.Copy(tmp, in); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	// Keep the owner and mode of the file the daemon (user accessd) opens.
	if st, err := os.Stat(target); err == nil {
		os.Chmod(tmp.Name(), st.Mode())
		if sys, ok := st.Sys().(*syscall.Stat_t); ok {
			os.Chown(tmp.Name(), int(sys.Uid), int(sys.Gid))
		}
	}
	if err := os.Rename(tmp.Name(), target); err != nil {
		return err
	}
	if err := writeMarkerFor(target); err != nil {
		return fmt.Errorf("store %s restored from %s, but its marker: %w (remove %s before starting accessd)",
			target, src, err, storefile.MarkerPath(target))
	}
	fmt.Fprintf(c.stdout, "store %s restored from %s; start accessd again\n", target, src)
	return nil
}

// lockStore takes bbolt's lock on the store file (creating it when
// missing) and returns its release.
func lockStore(path string) (func(), error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o640)
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	deadline := time.Now().Add(time.Second)
	for {
		err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return func() { syscall.Flock(int(f.Fd()), syscall.LOCK_UN); f.Close() }, nil
		}
		if err != syscall.EWOULDBLOCK || time.Now().After(deadline) {
			f.Close()
			return nil, fmt.Errorf("cannot lock %s (stop accessd first): %w", path, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// writeMarkerFor writes the state directory's marker for the store file
// at path: its identity (meta/created) and its transaction.
func writeMarkerFor(path string) error {
	info, err := storefile.Check(path)
	if err != nil {
		return err
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		return err
	}
	defer db.Close()
	m := storefile.Marker{TxID: info.TxID(), Bytes: info.Size, Written: time.Now().UTC()}
	db.View(func(tx *bolt.Tx) error {
		if b := tx.Bucket([]byte("meta")); b != nil {
			m.Store = hex.EncodeToString(b.Get([]byte("created")))
			if v := b.Get([]byte("access_count")); len(v) == 8 {
				m.Accesses = int(binary.BigEndian.Uint64(v))
			}
		}
		return nil
	})
	return storefile.WriteMarker(storefile.MarkerPath(path), m)
}
