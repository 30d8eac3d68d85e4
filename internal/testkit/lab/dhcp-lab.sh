#!/usr/bin/env bash
# dhcp-lab.sh up|down|status|client [dhclient|udhcpc]|renew
#
# accessd's DHCP relay lab, by hand: network namespaces and veth pairs on this
# machine only (10.NET.x.x exists only inside the namespaces made here). The
# Go tests build the same topology themselves (internal/testkit.DHCPLab).
#
#   [cli]   cli0 (dhclient or udhcpc) ── rl-down 10.NET.1.1/24  [relay] dhcrelay -a (inserts Option 82)
#                                        rl-srv  10.NET.0.1/30 ── srv0 10.NET.0.2/30  [srv] accessd, UDP 67
#                                        rl-kea  10.NET.0.5/30 ── kea0 10.NET.0.6/30  [kea] kea-dhcp4 (the real server)
#
# dhcrelay relays every request to Kea and to 10.NET.0.2 (the "second
# helper-address": accessd's relay copy). Nothing listens on UDP 67 in srv:
# run accessd there, e.g.
#   ip netns exec ${NS_PREFIX}srv accessd -config my.yaml   (dhcp.relay: {listen: "0.0.0.0:67", allowed_sources: [10.NET.0.1/32]})
# dhcrelay -a sends circuit-id "rl-down" (its downstream interface) and no
# remote-id: the demo inventory's ALS30001 has Option82 "rl-down".
#
# Environment (for up):
#   NS_PREFIX=adl-   namespace names: ${NS_PREFIX}cli, relay, srv, kea
#   NET=250          second octet of every address
#   LAB_RUN=/tmp/accessd-lab   configurations, PIDs and logs go to $LAB_RUN/dhcp
#   CLIENT=dhclient  dhclient | udhcpc | none
#   LEASE=60 T1=20 T2=40   Kea's timers (short: renewals within a minute)
#   SID_OVERRIDE=0   1: Kea's server-id is the relay's address, so renewals are
#                    relayed to accessd too (what a Cisco ip helper-address sees)
# Every process started here is stopped by the PID recorded at its start.
set -euo pipefail

P="${NS_PREFIX:-adl-}"
NET="${NET:-250}"
RUN="${LAB_RUN:-/tmp/accessd-lab}/dhcp"
CLIENT="${CLIENT:-dhclient}" LEASE="${LEASE:-60}" T1="${T1:-20}" T2="${T2:-40}" SID_OVERRIDE="${SID_OVERRIDE:-0}"
CLI="${P}cli" RELAY="${P}relay" SRV="${P}srv" KEA="${P}kea"
RELAY_DOWN="10.$NET.1.1" SRV_IP="10.$NET.0.2" KEA_IP="10.$NET.0.6"

say() { echo "[dhcp-lab] $*" >&2; }
in_ns() { local ns=$1; shift; ip netns exec "$ns" "$@"; }
need() { command -v "$1" >/dev/null 2>&1 || { say "$1 is missing (apt-get install $2; .ci/install-deps installs every peer)"; exit 1; }; }
ns_exists() { ip netns list | grep -qE "^$1( |$)"; }

# start NAME NS PROGRAM ARGS...: ip netns exec execs the program, so $! is its PID
start() {
	local name=$1 ns=$2; shift 2
	nohup ip netns exec "$ns" "$@" >"$RUN/$name.log" 2>&1 </dev/null &
	echo $! >"$RUN/$name.pid"
	say "started $name (pid $!) in $ns; log $RUN/$name.log"
}

stop() {
	local f="$RUN/$1.pid" pid
	[[ -f $f ]] || return 0
	pid=$(<"$f")
	if kill -0 "$pid" 2>/dev/null; then
		kill "$pid" 2>/dev/null || true
		for _ in $(seq 30); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
		kill -0 "$pid" 2>/dev/null && kill -9 "$pid" 2>/dev/null || true
		say "stopped $1 (pid $pid)"
	fi
	rm -f "$f"
}

# veth NS_A IF_A NS_B IF_B: a pair, up, transmit checksum offload off
veth() {
	ip link add "$2" netns "$1" type veth peer name "$4" netns "$3"
	in_ns "$1" ethtool -K "$2" tx off >/dev/null 2>&1 || true
	in_ns "$3" ethtool -K "$4" tx off >/dev/null 2>&1 || true
	in_ns "$1" ip link set "$2" up
	in_ns "$3" ip link set "$4" up
}

kea_conf() {
	local sid=""
	[[ $SID_OVERRIDE == 1 ]] && sid=", {\"name\": \"dhcp-server-identifier\", \"data\": \"$RELAY_DOWN\"}"
	cat >"$RUN/kea-dhcp4.json" <<JSON
{"Dhcp4": {
  "interfaces-config": {"interfaces": ["kea0"], "dhcp-socket-type": "udp"},
  "lease-database": {"type": "memfile", "persist": true, "lfc-interval": 0, "name": "$RUN/kea-leases4.csv"},
  "store-extended-info": true,
  "valid-lifetime": $LEASE, "renew-timer": $T1, "rebind-timer": $T2,
  "subnet4": [{"id": 1, "subnet": "10.$NET.1.0/24", "pools": [{"pool": "10.$NET.1.100 - 10.$NET.1.199"}],
               "option-data": [{"name": "routers", "data": "$RELAY_DOWN"}$sid]}],
  "loggers": [{"name": "kea-dhcp4", "severity": "INFO", "output_options": [{"output": "$RUN/kea.log"}]}]
}}
JSON
}

# The client's hook configures cli0 inside its namespace (never the
# distribution's hook, which would rewrite the host's resolv.conf).
client_hook() {
	cat >"$RUN/client-hook.sh" <<'HOOK'
#!/bin/sh
if [ -n "$reason" ]; then # dhclient
	case "$reason" in
	PREINIT) ip link set dev "$interface" up ;;
	BOUND | RENEW | REBIND | REBOOT)
		ip addr replace "$new_ip_address/$new_subnet_mask" dev "$interface"
		for r in $new_routers; do ip route replace default via "$r" dev "$interface"; break; done ;;
	EXPIRE | FAIL | RELEASE | STOP) ip addr flush dev "$interface" ;;
	esac
else # udhcpc
	case "$1" in
	deconfig) ip link set dev "$interface" up; ip addr flush dev "$interface" ;;
	bound | renew)
		ip addr replace "$ip/$mask" dev "$interface"
		for r in $router; do ip route replace default via "$r" dev "$interface"; break; done ;;
	esac
fi
exit 0
HOOK
	chmod +x "$RUN/client-hook.sh"
}

start_client() {
	case "$CLIENT" in
	dhclient)
		need dhclient isc-dhcp-client
		start client "$CLI" dhclient -4 -d -v -sf "$RUN/client-hook.sh" -lf "$RUN/dhclient.leases" -pf "$RUN/dhclient.pid" cli0 ;;
	udhcpc)
		need busybox busybox
		start client "$CLI" busybox udhcpc -f -i cli0 -s "$RUN/client-hook.sh" -t 10 -T 2 -x hostname:labcli ;;
	none) return 0 ;;
	*) say "CLIENT=$CLIENT: want dhclient, udhcpc or none"; exit 2 ;;
	esac
	echo "$CLIENT" >"$RUN/client.kind"
	for _ in $(seq 60); do
		if in_ns "$CLI" ip -4 -br addr show dev cli0 | grep -q "10\.$NET\.1\."; then
			say "client lease: $(in_ns "$CLI" ip -4 -br addr show dev cli0)"
			return 0
		fi
		sleep 0.5
	done
	say "no lease after 30 s: see $RUN/client.log, $RUN/kea.log, $RUN/dhcrelay.log"
	return 1
}

up() {
	need ip iproute2; need dhcrelay isc-dhcp-relay; need kea-dhcp4 kea-dhcp4-server
	for ns in "$CLI" "$RELAY" "$SRV" "$KEA"; do
		if ns_exists "$ns"; then say "namespace $ns exists: run $0 down first"; exit 1; fi
	done
	mkdir -p "$RUN"
	rm -f "$RUN"/*.log "$RUN"/kea-leases4.csv* "$RUN"/dhclient.leases
	for ns in "$CLI" "$RELAY" "$SRV" "$KEA"; do
		ip netns add "$ns"
		in_ns "$ns" ip link set lo up
		in_ns "$ns" sysctl -qw net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0
	done
	veth "$CLI" cli0 "$RELAY" rl-down
	veth "$RELAY" rl-srv "$SRV" srv0
	veth "$RELAY" rl-kea "$KEA" kea0
	in_ns "$RELAY" ip addr add "$RELAY_DOWN/24" dev rl-down
	in_ns "$RELAY" ip addr add "10.$NET.0.1/30" dev rl-srv
	in_ns "$RELAY" ip addr add "10.$NET.0.5/30" dev rl-kea
	in_ns "$SRV" ip addr add "$SRV_IP/30" dev srv0
	in_ns "$KEA" ip addr add "$KEA_IP/30" dev kea0
	in_ns "$SRV" ip route add default via "10.$NET.0.1"
	in_ns "$KEA" ip route add default via "10.$NET.0.5"
	in_ns "$RELAY" sysctl -qw net.ipv4.ip_forward=1 # renewals are unicast to Kea through the relay

	kea_conf
	client_hook
	KEA_LOCKFILE_DIR="$RUN" KEA_PIDFILE_DIR="$RUN" start kea "$KEA" kea-dhcp4 -c "$RUN/kea-dhcp4.json"
	start dhcrelay "$RELAY" dhcrelay -4 -d -a -pf "$RUN/dhcrelay.pidfile" -id rl-down -iu rl-srv -iu rl-kea "$KEA_IP" "$SRV_IP"
	# dhcrelay names its last socket when it is ready
	for _ in $(seq 50); do grep -q 'Sending on   Socket/fallback' "$RUN/dhcrelay.log" && break; sleep 0.1; done
	start_client
	status
}

down() {
	for n in client dhcrelay kea; do stop "$n"; done
	for ns in "$CLI" "$RELAY" "$SRV" "$KEA"; do
		if ns_exists "$ns"; then
			local left; left=$(ip netns pids "$ns" 2>/dev/null | tr '\n' ' ')
			[[ -n $left ]] && say "still running in $ns (not started here, left alone): pids $left"
			ip netns del "$ns" && say "deleted namespace $ns"
		fi
	done
}

status() {
	echo "== namespaces"
	ip netns list | grep -E "^($CLI|$RELAY|$SRV|$KEA)( |$)" || echo "(none)"
	echo "== processes"
	for n in kea dhcrelay client; do
		if [[ -f $RUN/$n.pid ]] && kill -0 "$(<"$RUN/$n.pid")" 2>/dev/null; then
			echo "$n: running, pid $(<"$RUN/$n.pid")"
		else
			echo "$n: not running"
		fi
	done
	if ns_exists "$CLI"; then
		echo "== client address"; in_ns "$CLI" ip -4 -br addr show dev cli0 || true
		echo "== Kea's leases (address, hwaddr, expire, hostname)"
		tail -n +2 "$RUN/kea-leases4.csv" 2>/dev/null | cut -d, -f1,2,5,9 || true
	fi
}

renew() {
	local kind pid
	kind=$(cat "$RUN/client.kind" 2>/dev/null || echo none)
	pid=$(cat "$RUN/client.pid" 2>/dev/null || true)
	case "$kind" in
	udhcpc) kill -USR1 "$pid"; say "asked udhcpc $pid to renew (SIGUSR1)" ;;
	dhclient) stop client; CLIENT=dhclient start_client; say "restarted dhclient: an INIT-REBOOT REQUEST with option 50" ;;
	*) say "no client runs" ;;
	esac
}

case "${1:-}" in
up) up ;;
down) down ;;
status) status ;;
client) CLIENT="${2:-$CLIENT}"; stop client; start_client ;;
renew) renew ;;
*) echo "usage: $0 up|down|status|client [dhclient|udhcpc]|renew" >&2; exit 2 ;;
esac
