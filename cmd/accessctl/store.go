package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/stadsnat/accessd/cmd/internal/admin"
)

func cmdStatus(ctx context.Context, c *cli, args []string) error {
	if len(args) != 0 {
		return usagef("takes no arguments")
	}
	var s admin.Status
	if err := c.client.Get(ctx, admin.PathStatus, &s); err != nil {
		return err
	}
	return c.show(s, func(w io.Writer) error {
		ready := "yes"
		if !s.Ready {
			ready = "no: " + s.NotReady
		}
		kv := [][2]string{
			{"accessd", s.Version},
			{"ko_id", s.KOID},
			{"environment", s.Environment},
			{"ready", ready},
			{"up since", fmt.Sprintf("%s (%s)", s.Started.Local().Format(time.DateTime), time.Since(s.Started).Round(time.Second))},
			{"config", s.Config},
			{"store", fmt.Sprintf("%s, %s, schema %d", s.Store.File, humanBytes(s.Store.Bytes), s.Store.Schema)},
			{"accesses", fmt.Sprintf("%d (+%d removed, kept for incremental exports)", s.Store.Accesses, s.Store.Tombstones)},
		}
		if s.Store.ReadOnly != "" {
			kv = append(kv, [2]string{"store READ-ONLY", s.Store.ReadOnly})
		}
		if len(s.Store.Errors) > 0 {
			var errs []string
			for k, n := range s.Store.Errors {
				errs = append(errs, fmt.Sprintf("%s %d", k, n))
			}
			sort.Strings(errs)
			kv = append(kv, [2]string{"store ERRORS", strings.Join(errs, ", ") + " (see accessd's log)"})
		}
		if err := pairs(w, kv); err != nil {
			return err
		}
		for _, sec := range s.Sections {
			fmt.Fprintf(w, "\n%s\n", sec.Title)
			if err := pairs(w, sec.Rows); err != nil {
				return err
			}
		}
		return nil
	})
}

func humanBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return strconv.FormatInt(n, 10) + " B"
}

func cmdAccess(ctx context.Context, c *cli, args []string) error {
	if len(args) != 1 {
		return usagef("want one access id")
	}
	var a admin.Access
	if err := c.client.Get(ctx, admin.PathAccess+url.PathEscape(args[0]), &a); err != nil {
		return err
	}
	return c.show(a, func(w io.Writer) error {
		addr := a.StreetName
		if a.StreetNumber != "" {
			addr += " " + a.StreetNumber + a.StreetLittera
		}
		kv := [][2]string{
			{"access", a.AccessID},
			{"address", fmt.Sprintf("%s, %s %s, %s", addr, a.PostalCode, a.City, a.CountryCode)},
			{"premises", a.PremisesType + apartment(a.MDUApartmentNumber, a.MDUDistinguisher)},
			{"option82", a.Option82},
			{"sellable", a.Sellable},
			{"activatable", a.Activatable},
			{"sales state", a.SalesState},
			{"port speed", mbps(a.PortSpeedMbps)},
			{"changed", fmt.Sprintf("%s (change %d)", a.Modified.Local().Format(time.DateTime), a.Seq)},
		}
		if a.DHCPIdentifier != (admin.DHCPIdentifier{}) {
			kv = append(kv, [2]string{"dhcp identifier", fmt.Sprintf("circuit-id %q remote-id %q", a.DHCPIdentifier.IPv4CircuitID, a.DHCPIdentifier.IPv4RemoteID)})
		}
		return pairs(w, kv)
	})
}

func apartment(num, dist string) string {
	switch {
	case num != "":
		return ", apartment " + num
	case dist != "":
		return ", apartment " + dist
	}
	return ""
}

func mbps(n int) string {
	if n == 0 {
		return "unknown"
	}
	return fmt.Sprintf("%d Mbit/s", n)
}

func cmdRemove(ctx context.Context, c *cli, args []string) error {
	if len(args) != 1 {
		return usagef("want one access id")
	}
	if err := c.client.Do(ctx, http.MethodDelete, admin.PathAccess+url.PathEscape(args[0]), nil, "", nil); err != nil {
		return err
	}
	if !c.json {
		fmt.Fprintf(c.stdout, "access %s removed\n", args[0])
	}
	return nil
}
