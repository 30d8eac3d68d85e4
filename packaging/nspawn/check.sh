#!/bin/bash
# Runs inside a booted Debian 12 container (systemd-nspawn --boot), started by
# adt-check.service once the system is up. It installs the accessd package
# under test, checks the product as an operator would, upgrades it, purges it,
# writes one line per check to $ADT/results and powers the container off.
#
#   ok NAME                 a check passed
#   FAIL NAME: DETAIL       a check failed
#   figure NAME VALUE       a measured figure (milliseconds, KiB)
#   done                    the script reached its end
#
# $ADT (/adt) is bound from the host and holds v1.deb and v2.deb (v2 has the
# higher version), demo.csv (the demo inventory, ALS10001 among it) and,
# optionally, big.csv (ACCESSD_FIGURES_ACCESSES generated accesses, for figures).
set -uo pipefail

ADT=/adt
RESULTS=$ADT/results
CONFIG=/etc/accessd/accessd.yaml
HTTP_HOST=127.0.0.1 # the shipped accessd.socket; a drop-in below moves it
HTTP_PORT=8067
WATCHDOG_WAIT=60 # seconds; WatchdogSec=30s plus restart
: >"$RESULTS"

ok() { echo "ok $1" >>"$RESULTS"; }
fail() { echo "FAIL $1: $2" >>"$RESULTS"; }
figure() { echo "figure $1 $2" >>"$RESULTS"; }
check() { # check NAME DETAIL-ON-FAILURE COMMAND...
	local name=$1 detail=$2
	shift 2
	if "$@" >>"$ADT/check.log" 2>&1; then ok "$name"; else fail "$name" "$detail"; fi
}
now_ms() { date +%s%3N; }
prop() { systemctl show -p "$2" --value "$1"; }

# http_get PATH: prints the status code of GET PATH on the HTTP port, from
# bash's /dev/tcp (the container has no curl).
http_get() {
	local line
	exec 3<>"/dev/tcp/$HTTP_HOST/$HTTP_PORT" || return 1
	printf 'GET %s HTTP/1.0\r\nHost: localhost\r\n\r\n' "$1" >&3
	IFS= read -r -t 10 line <&3 || line=
	exec 3<&- 3>&-
	line=${line%$'\r'}
	echo "${line#* }" | cut -d' ' -f1
}
wait_active() { # wait_active UNIT SECONDS
	local i
	for ((i = 0; i < $2 * 10; i++)); do
		[[ $(prop "$1" ActiveState) == active ]] && return 0
		sleep 0.1
	done
	return 1
}
procs_of() { # PIDs whose real uid is that of user $1, read from /proc
	local uid f
	uid=$(id -u "$1") || return 0
	for f in /proc/[0-9]*/status; do
		awk -v uid="$uid" '/^Uid:/ && $2 == uid {split(FILENAME, p, "/"); print p[3]}' "$f" 2>/dev/null
	done
}
snapshot() { # the file tree, without what any boot or dpkg run changes
	find / -xdev \( -path /proc -o -path /sys -o -path /dev -o -path /adt \
		-o -path /var/log/journal -o -path /var/lib/dpkg -o -path /var/cache \
		-o -path /tmp -o -path /var/tmp -o -path /var/lib/systemd/catalog \
		-o -path /var/lib/systemd/random-seed -o -path /var/lib/systemd/timers \
		-o -path /run/systemd -o -path /run/user -o -path /run/log \) -prune -o -print | sort
}

snapshot >"$ADT/before.list"

# --- install: enabled and started, the service active after READY ---------
t0=$(now_ms)
check install "dpkg -i v1.deb failed" dpkg -i "$ADT/v1.deb"
figure install_ms $(($(now_ms) - t0))
for unit in accessd.service accessd.socket accessd-dhcp4.socket; do
	check "enabled $unit" "$unit is $(systemctl is-enabled $unit 2>&1)" systemctl is-enabled -q "$unit"
	check "active $unit" "$unit is $(prop $unit ActiveState)/$(prop $unit SubState)" wait_active "$unit" 30
done
check "ready status" "no STATUS= from the daemon" test -n "$(prop accessd.service StatusText)"
# stderr is the journal: the daemon logs native entries with fields, which
# the sandbox must allow (AF_UNIX to /run/systemd/journal/socket).
check "native journal" "no entry of accessd.service with _TRANSPORT=journal" \
	test -n "$(journalctl -q -u accessd.service _TRANSPORT=journal -o cat -n 1)"
check "user accessd" "no system user accessd" getent passwd accessd
check "config owner" "config is $(stat -c '%U:%G %a' $CONFIG)" test "$(stat -c '%U:%G %a' $CONFIG)" = "root:accessd 640"
check "state dir" "no /var/lib/accessd/accessd.db" test -s /var/lib/accessd/accessd.db
check "import demo" "accessctl import demo.csv failed (check.log)" accessctl import "$ADT/demo.csv"
check "demo access" "accessctl access ALS10001 failed" accessctl access ALS10001
# The NOC finds what happened to an access by its journal field: an
# operator's removal is logged with access_id, which the native journal
# handler sends as ACCESS_ID=.
check "remove an access" "accessctl remove ALS30001 failed" accessctl remove ALS30001
journal_has() { # journal_has FIELD=VALUE TEXT: an entry of accessd.service within 10 s
	for _ in $(seq 50); do
		journalctl -q -u accessd.service "$1" -o cat | grep -q -- "$2" && return 0
		sleep 0.2
	done
	return 1
}
check "journal by ACCESS_ID" "journalctl ACCESS_ID=ALS30001 found no 'access removed' entry" \
	journal_has ACCESS_ID=ALS30001 'access removed'

# --- systemctl start to READY (Type=notify: start returns after READY=1) --
# restart_figures SUFFIX: stop, time the start, then the idle RSS.
restart_figures() {
	systemctl stop accessd.service
	t0=$(now_ms)
	check "start$1" "systemctl start failed" systemctl start accessd.service
	figure "start_to_ready_ms$1" $(($(now_ms) - t0))
	sleep 5
	pid=$(prop accessd.service MainPID)
	figure "idle_rss_kib$1" "$(awk '/^VmRSS:/ {print $2}' "/proc/$pid/status")"
}
restart_figures _demo
# Go raises its soft RLIMIT_NOFILE to the hard limit - 1 at start; the
# seccomp filter (~@resources) must not keep it at 1024 for a server of many
# sockets.
nofile=$(awk '/^Max open files/ {print $4, $5}' "/proc/$pid/limits")
check "open files limit" "open files soft/hard limit is $nofile" test $((${nofile#* } - ${nofile% *})) -le 1
check "readyz" "GET /readyz gave '$(http_get /readyz)'" test "$(http_get /readyz)" = 200
check "livez" "GET /livez gave '$(http_get /livez)'" test "$(http_get /livez)" = 200

# --- socket activation: a connection to the HTTP port starts the daemon ---
systemctl stop accessd.service
check "socket still listening" "accessd.socket is $(prop accessd.socket ActiveState)" test "$(prop accessd.socket ActiveState)" = active
# /livez: the daemon serves the activated socket at once, /readyz may still
# say 503 then.
code=$(http_get /livez)
check "activated by HTTP" "GET /livez on the stopped service gave '$code'" test "$code" = 200
check "active after activation" "accessd.service is $(prop accessd.service ActiveState)" wait_active accessd.service 30
check "readyz after activation" "GET /readyz gave '$(http_get /readyz)'" test "$(http_get /readyz)" = 200
systemctl stop accessd.service
printf 'adt' >/dev/udp/127.0.0.1/67
check "activated by DHCP" "a datagram to port 67 did not start accessd.service" wait_active accessd.service 30

# --- admin socket: root yes, a user outside group accessd no, a member yes -
check "accessctl status as root" "$(accessctl status 2>&1 | tail -1)" accessctl status
check "accessctl -json status" "$(accessctl -json status 2>&1 | tail -1)" accessctl -json status
if setpriv --reuid=nobody --regid=nogroup --clear-groups accessctl status >>"$ADT/check.log" 2>&1; then
	fail "accessctl refused for nobody" "nobody could use the admin socket"
else
	ok "accessctl refused for nobody"
fi
check "accessctl for group accessd" "a member of group accessd was refused" \
	setpriv --reuid=nobody --regid=nogroup --groups="$(getent group accessd | cut -d: -f3)" accessctl status

# --- reload: SIGHUP after -check-config, same process --------------------
pid=$(prop accessd.service MainPID)
check reload "systemctl reload failed" systemctl reload accessd.service
sleep 1
check "reload keeps the process" "MainPID $pid became $(prop accessd.service MainPID)" test "$(prop accessd.service MainPID)" = "$pid"
check "active after reload" "accessd.service is $(prop accessd.service ActiveState)" wait_active accessd.service 10

# --- watchdog: a stopped (hung) daemon is killed and restarted -----------
pid=$(prop accessd.service MainPID)
restarts=$(prop accessd.service NRestarts)
kill -STOP "$pid"
t0=$(now_ms)
for ((i = 0; i < WATCHDOG_WAIT * 10; i++)); do
	newpid=$(prop accessd.service MainPID)
	[[ $newpid != "$pid" && $newpid != 0 && $(prop accessd.service ActiveState) == active ]] && break
	sleep 0.1
done
figure watchdog_restart_ms $(($(now_ms) - t0))
check "watchdog restart" "MainPID $pid -> $newpid, NRestarts $restarts -> $(prop accessd.service NRestarts)" \
	test "$(prop accessd.service NRestarts)" -gt "$restarts" -a "$newpid" != "$pid"
check "watchdog in journal" "no watchdog timeout logged" \
	journalctl -q -u accessd.service -g 'Watchdog timeout'
check "readyz after restart" "GET /readyz gave '$(http_get /readyz)'" test "$(http_get /readyz)" = 200

# --- an admin's drop-in moves the HTTP socket (as accessd(8) tells) -------
mkdir -p /etc/systemd/system/accessd.socket.d
printf '[Socket]\nListenStream=\nListenStream=127.0.0.2:%s\n' "$HTTP_PORT" >/etc/systemd/system/accessd.socket.d/adt.conf
systemctl daemon-reload
# A socket cannot move while the daemon holds it, and a stopped daemon is
# started again by traffic on any of its sockets (the datagram sent to port
# 67 above may still be queued). So as accessd(8) says: the sockets first,
# then the daemon (one systemctl call would stop the daemon first), then
# start the service, which starts its sockets (Sockets= implies Wants=).
check "stop sockets" "systemctl stop accessd.socket accessd-dhcp4.socket failed" \
	systemctl stop accessd.socket accessd-dhcp4.socket
check "stop for drop-in" "systemctl stop accessd.service failed" systemctl stop accessd.service
check "start with drop-in" "systemctl start accessd.service failed" systemctl start accessd.service
check "socket with drop-in" "accessd.socket is $(prop accessd.socket ActiveState)" wait_active accessd.socket 10
check "dhcp4 socket back" "accessd-dhcp4.socket is $(prop accessd-dhcp4.socket ActiveState)" wait_active accessd-dhcp4.socket 10
HTTP_HOST=127.0.0.2
check "readyz on the drop-in's address" "GET /readyz on $HTTP_HOST gave '$(http_get /readyz)'" test "$(http_get /readyz)" = 200
check "shipped address closed" "127.0.0.1:$HTTP_PORT still answers" bash -c "! exec 3<>/dev/tcp/127.0.0.1/$HTTP_PORT"

# --- upgrade: local config and store kept, only the service restarted ----
echo "# adt: a local edit that an upgrade must keep" >>"$CONFIG"
config_sum=$(sha256sum "$CONFIG")
db_inode=$(stat -c %i /var/lib/accessd/accessd.db)
db_size=$(stat -c %s /var/lib/accessd/accessd.db)
pid=$(prop accessd.service MainPID)
sock_http=$(prop accessd.socket ActiveEnterTimestampMonotonic)
sock_dhcp=$(prop accessd-dhcp4.socket ActiveEnterTimestampMonotonic)
v2=$(dpkg-deb -f "$ADT/v2.deb" Version)
check upgrade "dpkg -i v2.deb failed" dpkg -i "$ADT/v2.deb"
check "upgraded" "installed $(dpkg-query -W -f '${Version}' accessd), want $v2" test "$(dpkg-query -W -f '${Version}' accessd)" = "$v2"
check "new binary" "accessd -version: $(accessd -version 2>&1)" test "$(accessd -version 2>&1)" = "accessd $v2"
check "config kept" "the local edit of $CONFIG is gone" test "$(sha256sum "$CONFIG")" = "$config_sum"
check "config owner kept" "config is $(stat -c '%U:%G %a' $CONFIG)" test "$(stat -c '%U:%G %a' $CONFIG)" = "root:accessd 640"
check "no conffile copies" "$(ls /etc/accessd)" test -z "$(find /etc/accessd -name '*.dpkg-*')"
check "store kept" "accessd.db inode $db_inode size $db_size -> $(stat -c '%i %s' /var/lib/accessd/accessd.db)" \
	test "$(stat -c %i /var/lib/accessd/accessd.db)" = "$db_inode" -a "$(stat -c %s /var/lib/accessd/accessd.db)" -ge "$db_size"
check "service restarted" "MainPID still $pid" test "$(prop accessd.service MainPID)" != "$pid"
check "active after upgrade" "accessd.service is $(prop accessd.service ActiveState)" wait_active accessd.service 30
check "sockets not restarted" "accessd.socket $sock_http -> $(prop accessd.socket ActiveEnterTimestampMonotonic), accessd-dhcp4.socket $sock_dhcp -> $(prop accessd-dhcp4.socket ActiveEnterTimestampMonotonic)" \
	test "$(prop accessd.socket ActiveEnterTimestampMonotonic) $(prop accessd-dhcp4.socket ActiveEnterTimestampMonotonic)" = "$sock_http $sock_dhcp"
check "readyz after upgrade" "GET /readyz gave '$(http_get /readyz)'" test "$(http_get /readyz)" = 200
check "accessctl after upgrade" "$(accessctl status 2>&1 | tail -1)" accessctl status
check "store data after upgrade" "accessctl access ALS10001 failed after the upgrade" accessctl access ALS10001

# --- a box with its own DHCP server masks the port 67 socket (accessd(8));
# an upgrade (here a reinstall) must leave it masked and closed ------------
check "mask dhcp4" "systemctl mask --now accessd-dhcp4.socket failed" systemctl mask --now accessd-dhcp4.socket
check "reinstall" "dpkg -i v2.deb (again) failed" dpkg -i "$ADT/v2.deb"
check "dhcp4 stays masked" "accessd-dhcp4.socket is $(systemctl is-enabled accessd-dhcp4.socket 2>&1)/$(prop accessd-dhcp4.socket ActiveState)" \
	test "$(systemctl is-enabled accessd-dhcp4.socket 2>&1)/$(prop accessd-dhcp4.socket ActiveState)" = masked/inactive
check "active without dhcp4" "accessd.service is $(prop accessd.service ActiveState)" wait_active accessd.service 30
check "readyz without dhcp4" "GET /readyz gave '$(http_get /readyz)'" test "$(http_get /readyz)" = 200

# --- figures with a large store (big.csv) --------------------------------
if [[ -f $ADT/big.csv ]]; then
	t0=$(now_ms)
	check "import big" "accessctl import big.csv failed (check.log)" accessctl import --replace "$ADT/big.csv"
	figure import_big_ms $(($(now_ms) - t0))
	restart_figures _big
fi

# --- purge: nothing left --------------------------------------------------
check purge "dpkg -P accessd failed" dpkg -P accessd
systemctl daemon-reload
check "not installed" "dpkg still knows accessd" test -z "$(dpkg-query -W -f '${db:Status-Status}' accessd 2>/dev/null | grep -v not-installed)"
check "no process" "processes of user accessd: $(procs_of accessd)" test -z "$(procs_of accessd)"
check "no unit files" "$(systemctl list-unit-files --no-legend 'accessd*')" test -z "$(systemctl list-unit-files --no-legend 'accessd*')"
# A unit systemd still remembers as "not-found inactive dead" is only waiting
# for its garbage collection; anything else is left over.
check "no units" "$(systemctl list-units --all --plain --no-legend 'accessd*')" \
	test -z "$(systemctl list-units --all --plain --no-legend 'accessd*' | grep -v ' not-found inactive dead')"
check "port closed" "$HTTP_HOST:$HTTP_PORT still answers" bash -c "! exec 3<>/dev/tcp/$HTTP_HOST/$HTTP_PORT"
check "no drop-in or mask" "$(ls -d /etc/systemd/system/accessd* 2>&1)" test -z "$(ls -d /etc/systemd/system/accessd* 2>/dev/null)"
check "no statoverride" "$(dpkg-statoverride --list | grep accessd)" test -z "$(dpkg-statoverride --list | grep accessd)"
check "no files of user accessd" "$(find / -xdev -user accessd 2>/dev/null | head)" test -z "$(find / -xdev -user accessd 2>/dev/null)"
snapshot >"$ADT/after.list"
check "nothing left" "$(diff "$ADT/before.list" "$ADT/after.list" | head -20 | tr '\n' ' ')" diff -q "$ADT/before.list" "$ADT/after.list"

echo done >>"$RESULTS"
# adt-check.service saves the journal and powers off when this script ends.
