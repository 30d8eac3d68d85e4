package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"golang.org/x/term"

	"github.com/stadsnat/accessd/api/httperr"
	"github.com/stadsnat/accessd/cmd/internal/admin"
)

func cmdImport(ctx context.Context, c *cli, args []string) error {
	fs := flag.NewFlagSet("import", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	format := fs.String("format", "", "csv or json (default: from the file name, else sniffed)")
	replace := fs.Bool("replace", false, "make the file the whole inventory: accesses not in it are removed")
	dryRun := fs.Bool("dry-run", false, "check the file against the inventory, change nothing")
	if err := fs.Parse(args); err != nil {
		return usagef("%v", err)
	}
	if fs.NArg() != 1 {
		return usagef("want one FILE (or - for standard input)")
	}
	name := fs.Arg(0)
	var src io.Reader = c.stdin
	var size int64 = -1
	if name != "-" {
		f, err := os.Open(name)
		if err != nil {
			return err
		}
		defer f.Close()
		if st, err := f.Stat(); err == nil {
			size = st.Size()
		}
		src = f
	}
	q := url.Values{}
	if *format != "" {
		f := strings.ToLower(strings.TrimSpace(*format))
		if !slices.Contains(admin.ImportFormats(), f) {
			return usagef("unknown inventory format %q: want csv or json", *format)
		}
		q.Set("format", f)
	} else if name != "-" {
		q.Set("name", filepath.Base(name)) // the daemon takes the format from it, else sniffs the content
	}
	if *replace {
		q.Set("replace", "1")
	}
	if *dryRun {
		q.Set("dry_run", "1")
	}
	body := &countingReader{r: bufio.NewReaderSize(src, 64<<10)}
	stop := c.progress(filepath.Base(name), body, size)
	var res admin.ImportResult
	err := c.client.Do(ctx, http.MethodPost, admin.PathImport+"?"+q.Encode(), body, "application/octet-stream", &res)
	stop()
	var ae *httperr.Error
	if errors.As(err, &ae) && len(ae.Problems) > 0 {
		if c.json {
			printJSON(c.stdout, ae.Problems)
		} else {
			for _, p := range ae.Problems {
				fmt.Fprintf(c.stderr, "%s: %s\n", name, p.String())
			}
		}
		return errors.New(ae.Cause)
	}
	if err != nil {
		return err
	}
	return c.show(res, func(w io.Writer) error {
		verb := "imported"
		if res.DryRun {
			verb = "checked (dry run, nothing changed)"
		}
		fmt.Fprintf(w, "%s %s: %d accesses in %d ms\n", name, verb, res.Accesses, res.Millis)
		return table(w, [][]string{
			{"created", "updated", "unchanged", "removed"},
			{fmt.Sprint(res.Created), fmt.Sprint(res.Updated), fmt.Sprint(res.Unchanged), fmt.Sprint(res.Removed)},
		})
	})
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n atomic.Int64
}

func (cr *countingReader) Read(p []byte) (int, error) {
	n, err := cr.r.Read(p)
	cr.n.Add(int64(n))
	return n, err
}

// progress draws a progress line on stderr while the file uploads, when
// stderr is a terminal; the returned func clears it.
func (c *cli) progress(name string, cr *countingReader, size int64) func() {
	f, ok := c.stderr.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) || c.json {
		return func() {}
	}
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-done:
				fmt.Fprintf(f, "\r\033[K")
				return
			case <-tick.C:
				n := cr.n.Load()
				if size > 0 && n >= size {
					fmt.Fprintf(f, "\r\033[K%s: sent, accessd is checking and storing…", name)
					continue
				}
				if size > 0 {
					const width = 30
					fill := int(float64(width) * float64(n) / float64(size))
					bar := make([]byte, width)
					for i := range bar {
						bar[i] = ' '
						if i < fill {
							bar[i] = '#'
						}
					}
					fmt.Fprintf(f, "\r\033[K%s [%s] %3d%% %s of %s", name, bar, 100*n/size, humanBytes(n), humanBytes(size))
				} else {
					fmt.Fprintf(f, "\r\033[K%s: %s sent", name, humanBytes(n))
				}
			}
		}
	}()
	return func() { close(done); <-finished }
}
