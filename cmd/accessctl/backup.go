package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"syscall"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/stadsnat/accessd/cmd/internal/config"
	"github.com/stadsnat/accessd/store"
)

// cmdBackup fetches an online, consistent copy of the store and writes it
// atomically (temporary file, fsync, rename), then checks the copy.
func cmdBackup(ctx context.Context, c *cli, args []string) error {
	if len(args) != 1 {
		return usagef("want one FILE")
	}
	dst := args[0]
	resp, err := c.client.Send(ctx, http.MethodGet, "/v1/backup", nil, "")
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

// checkStoreFile opens a store file read-only and runs bbolt's
// consistency check on it.
func checkStoreFile(path string) error {
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

// cmdRestore replaces the store file with a backup. The daemon must be
// stopped: the store's file lock tells.
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
	target := filepath.Join(cfg.StateDir, store.FileName)
	// Holding the lock proves accessd is stopped, and keeps it from starting.
	lock, err := bolt.Open(target, 0o640, &bolt.Options{Timeout: time.Second})
	if err != nil {
		return fmt.Errorf("cannot lock %s (stop accessd first): %w", target, err)
	}
	defer lock.Close()
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
	fmt.Fprintf(c.stdout, "store %s restored from %s; start accessd again\n", target, src)
	return nil
}
