#!/usr/bin/env bash
# decode-capture.sh CAPTURE PLUGIN: the power-channel traffic of CAPTURE decoded by tshark with the
# spicepower plugin at PLUGIN, on stdout. tshark ignores plugin directories for root, so as root it
# runs as nobody in a private, world-readable sandbox holding copies of both files.
set -euo pipefail
capture=$1 plugin=$2
[ -r "$capture" ] || { echo "decode-capture: cannot read $capture" >&2; exit 1; }
[ -r "$plugin" ] || { echo "decode-capture: no spicepower plugin at $plugin (build with WITH_DISSECTOR)" >&2; exit 1; }
sandbox=$(mktemp -d)
trap 'rm -rf "$sandbox"' EXIT
abi=$(tshark -v 2>/dev/null | sed -n 's/^TShark (Wireshark) \([0-9]*\.[0-9]*\).*/\1/p')
mkdir -p "$sandbox/plugins/$abi/epan" "$sandbox/home"
cp "$plugin" "$sandbox/plugins/$abi/epan/spicepower.so"
cp "$capture" "$sandbox/capture.pcap"
chmod -R a+rX "$sandbox"
chmod 0777 "$sandbox/home"
run_tshark() {
    if [ "$(id -u)" -eq 0 ] || [ "$(id -g)" -eq 0 ]; then
        setpriv --reuid=65534 --regid=65534 --clear-groups -- \
            env HOME="$sandbox/home" WIRESHARK_PLUGIN_DIR="$sandbox/plugins" tshark "$@"
    else
        HOME="$sandbox/home" WIRESHARK_PLUGIN_DIR="$sandbox/plugins" tshark "$@"
    fi
}
run_tshark -r "$sandbox/capture.pcap" -Y spicepower -o gui.column.format:'"No.","%m","Time","%Rt","Source port","%uS","Destination port","%uD","Info","%i"'
run_tshark -r "$sandbox/capture.pcap" -q -z spicepower,tree
