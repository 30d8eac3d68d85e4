package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "dhcpload:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("dhcpload", flag.ContinueOnError)
	fs.SetOutput(out)
	var (
		sink   = fs.Bool("sink", false, "run the do-nothing UDP listener instead of the generator")
		listen = fs.String("listen", "127.0.0.1:6767", "sink: address to listen on")
		decode = fs.Bool("decode", false, "sink: decode every packet (DHCP + default circuit profile)")
		rcvbuf = fs.Int("rcvbuf", 32<<20, "sink: socket receive buffer in bytes (SO_RCVBUFFORCE when root)")
		every  = fs.Duration("interval", time.Second, "sink: progress report interval (0: none)")
		g      genConfig
	)
	fs.StringVar(&g.Target, "target", "127.0.0.1:6767", "UDP address to send to")
	fs.Float64Var(&g.Rate, "rate", 0, "packets per second (0: flat out)")
	fs.DurationVar(&g.Duration, "duration", 10*time.Second, "how long to run (sink: how long to listen)")
	fs.Int64Var(&g.Count, "count", 0, "stop after this many packets (0: by duration)")
	fs.IntVar(&g.Clients, "clients", 10000, "number of distinct clients (MACs)")
	fs.BoolVar(&g.RandomMACs, "random-macs", false, "MACs spread over the key space as real clients' are (02:5e:…), not numbered in order (02:00:…)")
	fs.IntVar(&g.ClientBase, "client-base", 0, "number of the first client: its MAC and requested address (generators for several sites)")
	fs.IntVar(&g.Switches, "switches", 1, "number of switches (remote-ids)")
	fs.IntVar(&g.Ports, "ports", 48, "ports per switch (circuit-ids)")
	fs.IntVar(&g.SwitchBase, "switch-base", 1, "number of the first switch")
	fs.IntVar(&g.PortBase, "port-base", 1, "number of the first port")
	fs.StringVar(&g.RemoteID, "remote-id", "10.0.0.%d", "remote-id pattern (fmt, gets the switch number; empty: none)")
	fs.StringVar(&g.CircuitID, "circuit-id", "ge-0/0/%d", "circuit-id pattern (fmt, gets the port number)")
	fs.StringVar(&g.GIAddr, "giaddr", "10.0.0.1", "relay address written in giaddr")
	fs.StringVar(&g.ServerID, "server-id", "10.0.0.254", "server identifier (option 54) of the REQUESTs")
	fs.Float64Var(&g.Mix, "mix", 0.5, "share of REQUESTs among the packets (0..1)")
	fs.IntVar(&g.Batch, "batch", 32, "packets per sendmmsg (1: one write per packet)")
	fs.BoolVar(&g.AllowNonLoopback, "allow-nonloopback", false, "allow a target outside 127.0.0.0/8 and ::1 (a test namespace address)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if *sink {
		s, err := runSink(ctx, sinkConfig{Listen: *listen, Duration: g.Duration, Decode: *decode, ReadBuffer: *rcvbuf, Interval: *every, Out: out})
		if err != nil {
			return err
		}
		fmt.Fprintln(out, s)
		return nil
	}
	gen, err := newGenerator(g)
	if err != nil {
		return err
	}
	r, err := gen.Run(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintln(out, r)
	return nil
}
