#!/usr/bin/env bash
# snmp-lab.sh up|down|status|table|unplug PORT|plug PORT|flap PORT
#
# accessd's SNMP lab, by hand: a real net-snmp snmpd answering IF-MIB on
# 127.0.0.1:$SNMP_PORT (loopback only), whose "switch ports" are veth pairs:
# PORT (acc0, acc1, ...) in this namespace, where snmpd sees it, and its
# peer PORTp in the namespace $PEERNS, hidden from IF-MIB. Its ports are
# the demo inventory's ALS10001-ALS10012 ("127.0.0.1 acc0" ... "127.0.0.1
# acc11"), for accessd on a configuration of your own that imports that
# inventory (accessd -demo simulates its switch itself, on the same port:
# do not run both). The Go tests start their own snmpd the same way
# (snmp/internal/lab).
#
#   unplug accN   the peer goes down, the "cable is pulled": ifAdminStatus up(1), ifOperStatus down(2)
#   flap accN     admin down, then up: ifOperStatus follows in 1-3 s (snmpd caches ifTable ~3 s)
#
# Environment (for up):
#   PORTS=12 IFPREFIX=acc SNMP_PORT=16161 COMMUNITY=public PEERNS=adl-swpeer
#   V3USER=labv3 V3AUTH=labauthpass V3PRIV=labprivpass   (SHA/AES authPriv)
#   SPEEDS="acc0=1000 acc1=100"   ifSpeed/ifHighSpeed in Mb/s (snmpd's interface directive)
#   TRAPSINK=                     host:port for snmpd's own linkUp/linkDown traps (checked every second)
#   LAB_RUN=/tmp/accessd-lab      configuration, PID and log go to $LAB_RUN/snmp
# snmpd is stopped by the PID recorded at its start.
set -euo pipefail

PORTS="${PORTS:-12}" IFPREFIX="${IFPREFIX:-acc}" SNMP_PORT="${SNMP_PORT:-16161}" COMMUNITY="${COMMUNITY:-public}"
PEERNS="${PEERNS:-adl-swpeer}" RUN="${LAB_RUN:-/tmp/accessd-lab}/snmp"
V3USER="${V3USER:-labv3}" V3AUTH="${V3AUTH:-labauthpass}" V3PRIV="${V3PRIV:-labprivpass}"
SPEEDS="${SPEEDS:-${IFPREFIX}0=1000 ${IFPREFIX}1=100}" TRAPSINK="${TRAPSINK:-}"
AGENT="127.0.0.1:$SNMP_PORT"
# Debian has no IF-MIB text (snmp-mibs-downloader is non-free): numeric OIDs.
IFINDEX=.1.3.6.1.2.1.2.2.1.1 IFADMIN=.1.3.6.1.2.1.2.2.1.7 IFOPER=.1.3.6.1.2.1.2.2.1.8
IFNAME=.1.3.6.1.2.1.31.1.1.1.1 IFHIGHSPEED=.1.3.6.1.2.1.31.1.1.1.15 SYSNAME=.1.3.6.1.2.1.1.5.0

say() { echo "[snmp-lab] $*" >&2; }
get() { snmpget -v2c -c "$COMMUNITY" -Oqv -t 1 -r 0 "$AGENT" "$@"; }
running() { [[ -f $RUN/snmpd.pid ]] && kill -0 "$(<"$RUN/snmpd.pid")" 2>/dev/null; }

up() {
	for c in snmpd:snmpd snmpget:snmp ip:iproute2; do
		command -v "${c%%:*}" >/dev/null || { say "${c%%:*} is missing (apt-get install ${c#*:})"; exit 1; }
	done
	if running; then say "snmpd already runs (pid $(<"$RUN/snmpd.pid"))"; exit 1; fi
	mkdir -p "$RUN/persist"
	rm -f "$RUN/persist/snmpd.conf" # forget engineBoots and users of an earlier run
	{
		echo "agentAddress udp:$AGENT"
		echo "dontLogTCPWrappersConnects yes"
		echo "rocommunity $COMMUNITY 127.0.0.1"
		echo "createUser $V3USER SHA $V3AUTH AES $V3PRIV"
		echo "rouser $V3USER priv"
		echo "sysName lab-sw1"
		for s in $SPEEDS; do echo "interface ${s%%=*} 6 $((${s#*=} * 1000000))"; done
		if [[ -n $TRAPSINK ]]; then
			echo "iquerySecName internalUser"
			echo "rouser internalUser"
			echo "trap2sink $TRAPSINK $COMMUNITY"
			echo "notificationEvent labLinkUp .1.3.6.1.6.3.1.1.5.4 $IFINDEX $IFADMIN $IFOPER"
			echo "notificationEvent labLinkDown .1.3.6.1.6.3.1.1.5.3 $IFINDEX $IFADMIN $IFOPER"
			echo "monitor -S -r 1 -e labLinkUp \"linkUp\" $IFOPER != 2"
			echo "monitor -S -r 1 -e labLinkDown \"linkDown\" $IFOPER == 2"
		fi
	} >"$RUN/snmpd.conf"
	# -f: foreground, so $! is snmpd; -C: not /etc/snmp; state in the lab directory
	SNMP_PERSISTENT_DIR="$RUN/persist" MIBS="" nohup snmpd -f -C -c "$RUN/snmpd.conf" -Lf "$RUN/snmpd.log" -I -smux \
		>"$RUN/snmpd.out" 2>&1 </dev/null &
	echo $! >"$RUN/snmpd.pid"
	for _ in $(seq 50); do get "$SYSNAME" >/dev/null 2>&1 && break; sleep 0.2; done
	# The ports come after snmpd: snmpd 5.9 applies its interface directive
	# only to interfaces that appear after it started.
	ip netns list | grep -qE "^$PEERNS( |$)" || ip netns add "$PEERNS"
	for i in $(seq 0 $((PORTS - 1))); do
		local a="$IFPREFIX$i"
		ip link show "$a" >/dev/null 2>&1 || ip link add "$a" type veth peer name "${a}p" netns "$PEERNS"
		ip link set "$a" up
		ip netns exec "$PEERNS" ip link set "${a}p" up
	done
	say "snmpd pid $(<"$RUN/snmpd.pid") on udp:$AGENT; ports ${IFPREFIX}0..${IFPREFIX}$((PORTS - 1)), peers in namespace $PEERNS"
	status
}

down() {
	if running; then
		local pid; pid=$(<"$RUN/snmpd.pid")
		kill "$pid"
		for _ in $(seq 30); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
		kill -0 "$pid" 2>/dev/null && kill -9 "$pid" || true
		say "stopped snmpd (pid $pid)"
	fi
	rm -f "$RUN/snmpd.pid"
	# deleting the namespace deletes the peers, and with them our ends
	if ip netns list | grep -qE "^$PEERNS( |$)"; then ip netns del "$PEERNS"; say "deleted namespace $PEERNS"; fi
	for i in $(seq 0 $((PORTS - 1))); do
		[[ -e /sys/class/net/$IFPREFIX$i ]] && ip link del "$IFPREFIX$i" 2>/dev/null || true
	done
}

status() {
	if running; then
		echo "snmpd: running, pid $(<"$RUN/snmpd.pid"), udp:$AGENT"
		echo "sysName: $(get "$SYSNAME" 2>&1)"
		echo "ports in IF-MIB: $(snmpwalk -v2c -c "$COMMUNITY" -Oqv "$AGENT" "$IFNAME" 2>/dev/null | grep -c "^\"\?$IFPREFIX[0-9]" || true)"
		echo "v3 authPriv sysName: $(snmpget -v3 -l authPriv -u "$V3USER" -a SHA -A "$V3AUTH" -x AES -X "$V3PRIV" -Oqv "$AGENT" "$SYSNAME" 2>&1)"
	else
		echo "snmpd: not running"
	fi
}

table() {
	echo "ifIndex ifName ifHighSpeed ifAdminStatus ifOperStatus"
	paste -d' ' <(snmpwalk -v2c -c "$COMMUNITY" -Oqv "$AGENT" "$IFINDEX") <(snmpwalk -v2c -c "$COMMUNITY" -Oqv "$AGENT" "$IFNAME") \
		<(snmpwalk -v2c -c "$COMMUNITY" -Oqv "$AGENT" "$IFHIGHSPEED") <(snmpwalk -v2c -c "$COMMUNITY" -Oqv "$AGENT" "$IFADMIN") \
		<(snmpwalk -v2c -c "$COMMUNITY" -Oqv "$AGENT" "$IFOPER")
}

# wait_oper PORT WANT: how long until ifOperStatus of PORT is WANT
wait_oper() {
	local idx t0 v
	idx=$(</sys/class/net/"$1"/ifindex) t0=$(date +%s%N)
	for _ in $(seq 500); do
		v=$(get "$IFOPER.$idx" 2>/dev/null || true)
		[[ $v == "$2" ]] && { echo "$1: ifOperStatus $2 after $((($(date +%s%N) - t0) / 1000000)) ms"; return 0; }
		sleep 0.02
	done
	echo "$1: ifOperStatus still $v, not $2, after 10 s"
	return 1
}

case "${1:-}" in
up) up ;;
down) down ;;
status) status ;;
table) table ;;
unplug) ip netns exec "$PEERNS" ip link set "${2:?port}p" down; wait_oper "$2" 2 ;;
plug) ip netns exec "$PEERNS" ip link set "${2:?port}p" up; wait_oper "$2" 1 ;;
flap) ip link set "${2:?port}" down; wait_oper "$2" 2; ip link set "$2" up; wait_oper "$2" 1 ;;
*) echo "usage: $0 up|down|status|table|unplug PORT|plug PORT|flap PORT" >&2; exit 2 ;;
esac
