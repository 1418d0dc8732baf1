#!/bin/bash
# Installs every Debian 12 package that building, testing and benchmarking
# ctstorm need. Run as root on a fresh machine; safe to run again.
#
#   scripts/install-deps.sh           build + test + benchmark packages
#
# NSD and Knot are installed for the benchmarks only (bench/), Prometheus
# for its promtool, openssh-server for the real-host tests (an sshd per
# namespace). Their packages start a system service where systemd runs;
# this script stops and disables those services again so no server is left
# listening (sshd only where this script installed it).
set -euo pipefail

if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps.sh: run as root (apt-get install)" >&2
	exit 2
fi

PACKAGES=(
	# build
	build-essential cmake pkg-config clang
	libevent-dev libldns-dev libc-ares-dev libnetfilter-conntrack-dev libmnl-dev
	libinih-dev libjansson-dev
	# tests
	libcmocka-dev ldnsutils python3 procps
	# the man pages' and the Debian package's tests; promtool lints the sampler's metrics
	man-db groff-base debhelper lintian prometheus
	# a JUnit consumer for the JUnit test, a JSON Schema validator for the schemas'
	python3-junitparser python3-jsonschema python3-pil
	iproute2 iptables nftables conntrack
	# real DNS clients the tests compare with
	dnsutils knot-dnsutils dnsperf dnsdiag
	# real hosts over ssh: the tests run an sshd per namespace acting as a host,
	# and log in as a user who is not root (sudo -n)
	openssh-client openssh-server sudo passwd
	# peers for the benchmarks, plots for reports, a browser to render them in the tests
	nsd knot gnuplot-nox fonts-dejavu-core chromium
)

export DEBIAN_FRONTEND=noninteractive
# sshd is left as it was found: running where it was installed before (a
# host reached over ssh), stopped and disabled where only we installed it
had_sshd=$(dpkg-query -W -f='${Status}' openssh-server 2>/dev/null | grep -c 'ok installed' || true)
apt-get update -q
apt-get install -y -q --no-install-recommends "${PACKAGES[@]}"

if [ -d /run/systemd/system ]; then
	for svc in nsd knot prometheus; do
		systemctl disable --now "$svc" >/dev/null 2>&1 || true
	done
	if [ "$had_sshd" = 0 ]; then
		systemctl disable --now ssh.service ssh.socket >/dev/null 2>&1 || true
	fi
fi
echo "install-deps.sh: all packages installed"
