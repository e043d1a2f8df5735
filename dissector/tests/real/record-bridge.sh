#!/bin/sh
# Records the real captures of the dissector's golden tests (captures/real-*.pcap): for each
# scenario, dumpcap on loopback while record-bridge starts QEMU with the harness guest, starts
# spice-power-bridge on a free port and drives one real SPICE client session against it.
#
#   record-bridge.sh RECORDER BRIDGE OUTDIR [SCENARIO...]
#
# Normally run through `cmake --build <build> --target dissector-record-real`, which passes the
# build tree's record-bridge and spice-power-bridge and writes into dissector/tests/captures.
# Scenarios: result notify refused (default: all three). Needs dumpcap with the right to capture
# on lo (root, or a member of the wireshark group). Environment: DUMPCAP (default dumpcap),
# SNAPLEN (default 512 bytes per frame). Every power-channel frame is far smaller than 512
# bytes; what the snaplen cuts is the main channel's network test (spice-server's two PINGs
# of about 256 KiB), which keeps each capture at a few KB. The built-in SPICE dissector then
# shows the rest of the main channel's server side as undecoded; the power channel is whole.
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
dumpcap=${DUMPCAP:-dumpcap}
snaplen=${SNAPLEN:-512}

tmp=$(mktemp -d)
dumpcap_pid=
finish() {
    if [ -n "$dumpcap_pid" ]; then
        kill -INT "$dumpcap_pid" 2>/dev/null || true
        wait "$dumpcap_pid" 2>/dev/null || true
    fi
    rm -rf "$tmp"
}
trap finish EXIT
trap 'exit 1' INT TERM

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

for scenario in "$@"; do
    port=$(free_port)
    pcap="$tmp/$scenario.pcap"
    # -P: classic pcap (no pcapng section with host and OS details); -s: snaplen.
    "$dumpcap" -i lo -f "tcp port $port" -s "$snaplen" -P -w "$pcap" >"$tmp/dumpcap.log" 2>&1 &
    dumpcap_pid=$!
    i=0
    until grep -q "^Capturing on" "$tmp/dumpcap.log"; do
        i=$((i + 1))
        if [ $i -gt 100 ] || ! kill -0 "$dumpcap_pid" 2>/dev/null; then
            echo "dumpcap did not start:" >&2
            cat "$tmp/dumpcap.log" >&2
            exit 1
        fi
        sleep 0.1
    done
    echo "== $scenario: port $port"
    "$recorder" --bridge "$bridge" --port "$port" --scenario "$scenario"
    sleep 0.5
    kill -INT "$dumpcap_pid"
    wait "$dumpcap_pid" || true
    dumpcap_pid=
    # Only the main channel's network-test PINGs may be cut (the golden tests check that the
    # power channel is whole): name the cut frames so a surprise shows up here.
    cut=$(tshark -n -r "$pcap" -Y "frame.cap_len < frame.len" -T fields -e frame.number \
          -e frame.len 2>/dev/null | tr '\t\n' ': ')
    [ -z "$cut" ] || echo "frames cut at $snaplen bytes (frame:length): $cut"
    chmod 644 "$pcap"
    mv "$pcap" "$outdir/real-$scenario.pcap"
    echo "wrote $outdir/real-$scenario.pcap ($(wc -c <"$outdir/real-$scenario.pcap") bytes," \
         "$(tshark -n -r "$outdir/real-$scenario.pcap" 2>/dev/null | wc -l) frames)"
done
