#!/bin/sh
# Records one real session on loopback for the dissector's golden tests: picks a free TCP port,
# starts dumpcap on lo for that port, runs COMMAND with every argument "@PORT@" replaced by the
# port, stops dumpcap and moves the capture to OUT.pcap.
#
#   capture-lo.sh OUT.pcap COMMAND [ARG...]
#
# Used by record-bridge.sh (captures/real-*.pcap from spice-power-bridge) and by the
# dissector-record-spicy target (captures/real-spicy.pcap from spicy and the patched QEMU).
# Needs dumpcap with the right to capture on lo (root, or a member of the wireshark group).
# Environment: DUMPCAP (default dumpcap), SNAPLEN (default 512 bytes per frame). Every
# power-channel frame is far smaller than 512 bytes; what the snaplen cuts is the main channel's
# network test (spice-server's two PINGs of about 256 KiB) and the display channel's images, which
# keeps each capture at a few KB. The built-in SPICE dissector then shows the rest of those
# channels' server side as undecoded; the power channel is whole.
set -eu

if [ $# -lt 2 ]; then
    echo "usage: $0 OUT.pcap COMMAND [ARG...]" >&2
    exit 2
fi
out=$1
shift
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

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
n=$#
while [ "$n" -gt 0 ]; do
    arg=$1
    shift
    [ "$arg" = "@PORT@" ] && arg=$port
    set -- "$@" "$arg"
    n=$((n - 1))
done

pcap="$tmp/capture.pcap"
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
echo "== $(basename "$out"): port $port"
"$@"
sleep 0.5
kill -INT "$dumpcap_pid"
wait "$dumpcap_pid" || true
dumpcap_pid=
# Only the main channel's network-test PINGs and the display's images may be cut (the golden
# tests check that the power channel is whole): name the cut frames so a surprise shows up here.
cut=$(tshark -n -r "$pcap" -Y "frame.cap_len < frame.len" -T fields -e frame.number \
      -e frame.len 2>/dev/null | tr '\t\n' ': ')
[ -z "$cut" ] || echo "frames cut at $snaplen bytes (frame:length): $cut"
# A loaded machine retransmits on lo now and then; the golden summaries leave those frames out.
again=$(tshark -n -r "$pcap" -Y tcp.analysis.retransmission -T fields -e frame.number 2>/dev/null | tr '\n' ' ')
[ -z "$again" ] || echo "TCP retransmissions (left out of the golden summary): frames $again"
chmod 644 "$pcap"
mv "$pcap" "$out"
echo "wrote $out ($(wc -c <"$out") bytes, $(tshark -n -r "$out" 2>/dev/null | wc -l) frames)"
