# Shared helpers for the namespace integration tests (sourced, bash).
#
# Every test builds its own pair of namespaces with unique names, uses only
# the benchmarking ranges 198.18.0.0/15 and 2001:2::/48, stops only the
# processes it started (by PID) and removes everything on every exit path.

set -u

CT_PASSED=0
CT_FAILED=0
CT_PIDS=()
CT_NETNS=()
CT_USERS=() # login users made for a test (ct_ssh_user), removed at the end
CT_FILES=() # files outside CT_TMP made for a test, removed at the end
CT_TMP=$(mktemp -d /tmp/ctstorm-test.XXXXXX)

ct_skip() {
	echo "SKIP: $*"
	exit 77
}

ct_ok() {
	CT_PASSED=$((CT_PASSED + 1))
	echo "ok - $*"
}

ct_fail() {
	CT_FAILED=$((CT_FAILED + 1))
	echo "FAIL - $*"
}

# ct_check DESCRIPTION COMMAND...: passes when the command succeeds.
ct_check() {
	local what=$1
	shift
	if "$@"; then ct_ok "$what"; else ct_fail "$what"; fi
}

ct_cleanup() {
	local pid ns u f
	ct_restore_max
	[ -n "${CT_MADE_RUN_SSHD:-}" ] && rmdir /run/sshd 2>/dev/null
	for pid in "${CT_PIDS[@]}"; do
		kill -TERM "$pid" 2>/dev/null
	done
	for pid in "${CT_PIDS[@]}"; do
		for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	for ns in "${CT_NETNS[@]}"; do
		ip netns del "$ns" 2>/dev/null
	done
	for u in "${CT_USERS[@]}"; do
		userdel -f "$u" 2>/dev/null
	done
	for f in "${CT_FILES[@]}"; do
		rm -f "$f"
	done
	rm -rf "$CT_TMP"
}

ct_summary() {
	echo "$CT_PASSED passed, $CT_FAILED failed"
	[ "$CT_FAILED" -eq 0 ]
}

# Skips the test unless we are root with ip netns and the given tools.
ct_require() {
	[ "$(id -u)" -eq 0 ] || ct_skip "needs root for network namespaces"
	command -v ip >/dev/null || ct_skip "needs iproute2"
	local tool
	for tool in "$@"; do
		command -v "$tool" >/dev/null || ct_skip "needs $tool (scripts/install-deps.sh installs it)"
	done
	local probe="ctstorm-probe-$$"
	ip netns add "$probe" 2>/dev/null || ct_skip "this kernel or container cannot create network namespaces"
	ip netns del "$probe"
}

# ct_pair PREFIX: client and server namespaces joined by a veth.
# Sets CT_CLI, CT_SRV (namespaces) and CT_CLI_DEV, CT_SRV_DEV (their veth ends);
# client 198.18.0.1 / 2001:2::1, server 198.18.0.2 / 2001:2::2.
ct_pair() {
	local id="$1-$$-$RANDOM"
	CT_CLI="ctc-$id"
	CT_SRV="cts-$id"
	CT_CLI_DEV="vc$$"
	CT_SRV_DEV="vs$$"
	CT_NETNS+=("$CT_CLI" "$CT_SRV")
	ip netns add "$CT_CLI"
	ip netns add "$CT_SRV"
	ip link add "vc$$" netns "$CT_CLI" type veth peer name "vs$$" netns "$CT_SRV"
	ip -n "$CT_CLI" link set lo up
	ip -n "$CT_SRV" link set lo up
	ip -n "$CT_CLI" addr add 198.18.0.1/24 dev "vc$$"
	ip -n "$CT_SRV" addr add 198.18.0.2/24 dev "vs$$"
	ip -n "$CT_CLI" addr add 2001:2::1/64 dev "vc$$" nodad
	ip -n "$CT_SRV" addr add 2001:2::2/64 dev "vs$$" nodad
	ip -n "$CT_CLI" link set "vc$$" up
	ip -n "$CT_SRV" link set "vs$$" up
}

# ct_pair_ipv4_only: no IPv6 in the pair. Its background packets (MLD,
# router solicitations) are new flows, which a test counting conntrack
# entries or drops exactly would see as noise.
ct_pair_ipv4_only() {
	local ns
	for ns in "$CT_CLI" "$CT_SRV"; do ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1; done
}

# ct_start NS LOGFILE COMMAND...: starts a process in a namespace, records its PID.
ct_start() {
	local ns=$1 log=$2
	shift 2
	ip netns exec "$ns" "$@" >"$log" 2>&1 &
	CT_PIDS+=("$!")
	CT_LAST_PID=$!
}

# ct_stop PID: SIGTERM, wait; returns the exit status.
ct_stop() {
	local pid=$1 rc
	kill -TERM "$pid" 2>/dev/null
	wait "$pid"
	rc=$?
	local keep=()
	for p in "${CT_PIDS[@]}"; do [ "$p" != "$pid" ] && keep+=("$p"); done
	CT_PIDS=("${keep[@]}")
	return $rc
}

# ct_wait_dns NS SERVER PORT NAME: waits up to 5 s for an answer.
ct_wait_dns() {
	local i
	for i in $(seq 50); do
		ip netns exec "$1" dig +time=1 +tries=1 @"$2" -p "$3" "$4" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	return 1
}

# nf_conntrack_max is global to the host: ct_save_max remembers it (and
# skips the test where conntrack is not loaded), ct_restore_max puts it
# back; ct_cleanup calls ct_restore_max on every exit path.
CT_SAVED_MAX=
ct_save_max() {
	CT_SAVED_MAX=$(cat /proc/sys/net/netfilter/nf_conntrack_max 2>/dev/null)
	[ -n "$CT_SAVED_MAX" ] || ct_skip "conntrack is not loaded in this kernel"
}
ct_restore_max() {
	[ -n "$CT_SAVED_MAX" ] && echo "$CT_SAVED_MAX" >/proc/sys/net/netfilter/nf_conntrack_max
	return 0
}

# Real hosts for the ssh tests: a namespace acting as a host, with its own
# sshd (a host key and an authorized key made for the test, listening only
# on its lab address), reached with the ssh configuration $CT_SSH_CONFIG.
# ct_ssh_host NS ADDR PORT PATH STATE_DIR: an sshd on ADDR:PORT whose
# sessions get PATH (where their ctstorm is) and CTSTORM_STATE_DIR (the
# host's journal, apart from the controller's on one filesystem).
CT_SSH_CONFIG=
ct_ssh_host() {
	local ns=$1 addr=$2 port=$3 path=$4 state=$5 d=$CT_TMP/ssh
	if [ -z "$CT_SSH_CONFIG" ]; then
		mkdir -p "$d"
		ssh-keygen -q -t ed25519 -N '' -f "$d/host_key"
		ssh-keygen -q -t ed25519 -N '' -f "$d/id"
		cp "$d/id.pub" "$d/authorized_keys"
		: >"$d/known_hosts"
		printf 'Host *\n\tUser root\n\tIdentityFile %s/id\n\tIdentitiesOnly yes\n\tUserKnownHostsFile %s/known_hosts\n\tStrictHostKeyChecking yes\n\tLogLevel ERROR\n' \
			"$d" "$d" >"$d/ssh_config"
		CT_SSH_CONFIG=$d/ssh_config
		if [ ! -d /run/sshd ]; then mkdir -p /run/sshd && CT_MADE_RUN_SSHD=1; fi
	fi
	if [ "$port" = 22 ]; then echo "$addr $(cut -d' ' -f1-2 "$d/host_key.pub")"; else echo "[$addr]:$port $(cut -d' ' -f1-2 "$d/host_key.pub")"; fi >>"$d/known_hosts"
	mkdir -p "$state"
	printf 'Port %s\nListenAddress %s\nHostKey %s/host_key\nAuthorizedKeysFile %s/authorized_keys\nPermitRootLogin prohibit-password\nPasswordAuthentication no\nKbdInteractiveAuthentication no\nUsePAM no\nStrictModes no\nPidFile none\nLogLevel ERROR\nSetEnv CTSTORM_STATE_DIR=%s PATH=%s\n' \
		"$port" "$addr" "$d" "$d" "$state" "$path" >"$d/sshd-$ns-$port.conf"
	ct_start "$ns" "$d/sshd-$ns-$port.log" "$(command -v sshd)" -D -e -f "$d/sshd-$ns-$port.conf"
}

# ct_ssh_user NAME: a login user for the ssh hosts (no home, no password,
# the tests' key), removed at the end; a sudoers rule for it is the test's.
ct_ssh_user() {
	useradd -M -d / -s /bin/sh "$1" || return 1
	CT_USERS+=("$1")
	usermod -p '*' "$1" # '*', not useradd's '!': sshd refuses a locked account
	chmod o+x "$CT_TMP" "$CT_TMP/ssh" # sshd reads the keys as the user
}

# ct_ssh_wait NS ADDR: until ssh from NS to ADDR answers (5 s at most).
ct_ssh_wait() {
	for _ in $(seq 50); do
		ip netns exec "$1" ssh -F "$CT_SSH_CONFIG" -o ConnectTimeout=1 "$2" true 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}
