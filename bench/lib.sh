# Shared by the bench/ scripts (sourced, bash): builds the release tree,
# loads the namespace helpers, and measures CPU time from /proc.
cd "$(dirname "$0")/.." || exit 1
ROOT=$PWD
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null &&
	cmake --build build -j "$(nproc)" >/dev/null || exit 1
. tests/integration/lib.sh
HZ=$(getconf CLK_TCK)

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
