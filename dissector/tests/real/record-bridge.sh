#!/bin/sh
# Records the real captures of the dissector's golden tests (captures/real-*.pcap): for each
# scenario, dumpcap on loopback (capture-lo.sh) while record-bridge starts QEMU with the harness
# guest, starts spice-power-bridge on a free port and drives one real SPICE client session
# against it.
#
#   record-bridge.sh RECORDER BRIDGE OUTDIR [SCENARIO...]
#
# Normally run through `cmake --build <build> --target dissector-record-real`, which passes the
# build tree's record-bridge and spice-power-bridge and writes into dissector/tests/captures.
# Scenarios: result notify refused (default: all three). Needs dumpcap with the right to capture
# on lo (root, or a member of the wireshark group); DUMPCAP and SNAPLEN as in capture-lo.sh.
set -eu

if [ $# -lt 3 ]; then
    echo "usage: $0 RECORDER BRIDGE OUTDIR [result|notify|refused ...]" >&2
    exit 2
fi
recorder=$1
bridge=$2
outdir=$3
shift 3
[ $# -gt 0 ] || set -- result notify refused

for scenario in "$@"; do
    "$(dirname "$0")/capture-lo.sh" "$outdir/real-$scenario.pcap" \
        "$recorder" --bridge "$bridge" --port @PORT@ --scenario "$scenario"
done
