# Shared by the bench/ scripts (sourced, bash): builds the release tree,
# loads the namespace helpers, and measures CPU time from /proc.
cd "$(dirname "$0")/.." || exit 1
ROOT=$PWD
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null &&
	cmake --build build -j "$(nproc)" >/dev/null || exit 1
. tests/integration/lib.sh
HZ=$(getconf CLK_TCK)
# The binaries measured: this tree's, or others given (an older build, to
# set before against after with the same script and peers).
LOADGEN=${LOADGEN:-$ROOT/build/loadgen/ctstorm-loadgen}
RESPONDER=${RESPONDER:-$ROOT/build/responder/ctstorm-responder}
SAMPLER=${SAMPLER:-$ROOT/build/analysis/ctstorm-sampler}

# utime and stime ticks, apart, of one process (all its threads).
ticks_split() {
	local stat
	stat=$(cat "/proc/$1/stat" 2>/dev/null) || { echo "0 0"; return; }
	stat=${stat##*) }
	set -- $stat
	echo "${12} ${13}"
}

# utime+stime ticks of one process (all its threads).
ticks_of() {
	local stat
	stat=$(cat "/proc/$1/stat" 2>/dev/null) || { echo 0; return; }
	stat=${stat##*) }
	set -- $stat
	echo $((${12} + ${13}))
}

# A process and all its descendants, one PID a line.
descendants() {
	local c
	echo "$1"
	for c in $(ps -o pid= --ppid "$1" 2>/dev/null); do descendants "$c"; done
}

# CPU ticks of a process tree (servers that fork, like NSD).
tree_ticks() {
	local total=0 p
	for p in $(descendants "$1"); do total=$((total + $(ticks_of "$p"))); done
	echo $total
}

# write_nsd_conf DIR ADDR: an NSD configuration serving DIR/example.test.zone
# on ADDR:53 with one server process and rate limiting off.
write_nsd_conf() {
	cat >"$1/nsd.conf" <<CONF
server:
  ip-address: $2
  port: 53
  server-count: 1
  username: ""
  chroot: ""
  zonesdir: "$1"
  database: ""
  pidfile: "$1/nsd.pid"
  xfrdfile: "$1/xfrd.state"
  zonelistfile: "$1/zone.list"
  rrl-ratelimit: 0
  rrl-whitelist-ratelimit: 0
  tcp-count: 1000
  verbosity: 0
remote-control:
  control-enable: no
zone:
  name: example.test
  zonefile: example.test.zone
CONF
}
