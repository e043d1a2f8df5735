#!/bin/sh
# Regenerates docs/images/wireshark-real-capture.png: Wireshark's Qt GUI under Xvfb, decoding a
# real capture of spice-power-bridge (dissector/tests/captures/real-result.pcap) with the
# spicepower plugin, packet list filtered to the power channel, details pane expanded on one
# message.
#
#   docs/images/make-screenshot.sh PLUGIN.so [CAPTURE [OUT.png [FRAME]]]
#
# PLUGIN.so is the build tree's dissector/plugins/4.0/epan/spicepower.so. FRAME is the frame
# number to select (default: the first RESULT INVALID_STATE). A doc artifact only: CI does not run
# this. Needs (Debian): wireshark-qt xvfb xdotool x11-apps netpbm fonts-dejavu-core, plus setpriv
# (util-linux) when run as root.
#
# The plugin is not installed: it is copied into a throwaway sandbox and loaded through
# WIRESHARK_PLUGIN_DIR, and Wireshark runs as uid/gid 65534 when this script runs as root,
# because Wireshark ignores WIRESHARK_PLUGIN_DIR and personal plugin dirs for root (see
# docs/wireshark.md, "The root trap"). The sandbox also holds a fresh HOME with a preferences
# file (layout, columns, fonts), so personal settings do not leak into the picture.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
plugin=${1:?usage: $0 PLUGIN.so [CAPTURE [OUT.png [FRAME]]]}
capture=${2:-$here/../../dissector/tests/captures/real-result.pcap}
out=${3:-$here/wireshark-real-capture.png}
frame=${4:-}
display_num=${DISPLAY_NUM:-97}
width=1400
height=980
upper_pane=420   # packet list height; the details pane starts about 110 px below it

for tool in wireshark tshark Xvfb xdotool xwd xwdtopnm pnmtopng; do
    command -v "$tool" >/dev/null || { echo "$0: $tool not found (see the header for packages)" >&2; exit 2; }
done

sandbox=$(mktemp -d)
xvfb_pid=
ws_pid=
finish() {
    [ -z "$ws_pid" ] || kill "$ws_pid" 2>/dev/null || true
    [ -z "$xvfb_pid" ] || kill "$xvfb_pid" 2>/dev/null || true
    wait 2>/dev/null || true
    rm -rf "$sandbox"
}
trap finish EXIT
trap 'exit 1' INT TERM

chmod 755 "$sandbox"
mkdir -p "$sandbox/plugins/4.0/epan" "$sandbox/home/.config/wireshark"
cp "$plugin" "$sandbox/plugins/4.0/epan/spicepower.so"
cp "$capture" "$sandbox/capture.pcap"
chmod 644 "$sandbox/plugins/4.0/epan/spicepower.so" "$sandbox/capture.pcap"
chmod -R a+rX "$sandbox/plugins"
cat >"$sandbox/home/.config/wireshark/preferences" <<'EOF'
gui.update.enabled: FALSE
gui.layout_type: 1
gui.packet_list_show_minimap: FALSE
gui.qt.font_name: DejaVu Sans Mono,10,-1,5,50,0,0,0,0,0
gui.column.format: "No.", "%m", "Time", "%Rt", "Src port", "%uS", "Dst port", "%uD", "Protocol", "%p", "Length", "%L", "Info", "%i"
EOF
cat >"$sandbox/home/.config/wireshark/recent_common" <<EOF
gui.geometry_main_x: 0
gui.geometry_main_y: 0
gui.geometry_main_width: $width
gui.geometry_main_height: $height
gui.geometry_main_maximized: FALSE
privs.warn_if_elevated: FALSE
EOF
# Pane heights and column widths (the profile's "recent" file).
cat >"$sandbox/home/.config/wireshark/recent" <<EOF
gui.geometry_main_upper_pane: $upper_pane
gui.geometry_main_lower_pane: 390
column.width: %m, 50, %Rt, 110, %uS, 80, %uD, 80, %p, 100, %L, 60, %i, 700
EOF
chmod -R a+rwX "$sandbox/home"

as_user() {
    if [ "$(id -u)" = 0 ] || [ "$(id -g)" = 0 ]; then
        setpriv --reuid=65534 --regid=65534 --clear-groups -- "$@"
    else
        "$@"
    fi
}
run_env() {
    as_user env -i PATH=/usr/bin:/bin HOME="$sandbox/home" WIRESHARK_PLUGIN_DIR="$sandbox/plugins" \
        XDG_RUNTIME_DIR="$sandbox/home" LC_ALL=C.UTF-8 TZ=UTC DISPLAY=":$display_num" \
        QT_QPA_PLATFORM=xcb "$@"
}

if [ -z "$frame" ]; then
    frame=$(run_env tshark -n -2 -r "$sandbox/capture.pcap" -Y "spicepower.result.code == 4" -T fields \
            -e frame.number | head -n 1)
    [ -n "$frame" ] || { echo "$0: no RESULT INVALID_STATE in $capture; pass FRAME" >&2; exit 1; }
fi

Xvfb ":$display_num" -screen 0 "${width}x${height}x24" -nolisten tcp >"$sandbox/xvfb.log" 2>&1 &
xvfb_pid=$!
i=0
until [ -e "/tmp/.X11-unix/X$display_num" ]; do
    i=$((i + 1)); [ $i -lt 100 ] || { cat "$sandbox/xvfb.log" >&2; exit 1; }
    sleep 0.1
done

# -Y: only power-channel frames in the list; -g: select FRAME.
run_env wireshark -r "$sandbox/capture.pcap" -Y spicepower -g "$frame" >"$sandbox/wireshark.log" 2>&1 &
ws_pid=$!

export DISPLAY=":$display_num"
win=
i=0
while [ -z "$win" ]; do
    i=$((i + 1)); [ $i -lt 300 ] || { echo "$0: no Wireshark window" >&2; cat "$sandbox/wireshark.log" >&2; exit 1; }
    sleep 0.2
    win=$(xdotool search --onlyvisible --name "capture.pcap" 2>/dev/null | head -n 1 || true)
done
sleep 3   # let the file load and the selection settle
xdotool windowmove "$win" 0 0 windowsize "$win" "$width" "$height"
sleep 1

# Expand the spicepower subtree in the details pane (the middle pane): click into it, below
# its few collapsed top-level items, go to the last of them (the spicepower tree) and expand
# it with all its subtrees (Shift+Right, "Expand Subtrees").
xdotool mousemove --window "$win" 300 $((upper_pane + 200)) click 1
sleep 0.5
xdotool key --window "$win" End
sleep 0.3
xdotool key --window "$win" shift+Right
sleep 1.5

xwd -root -silent -display ":$display_num" | xwdtopnm 2>/dev/null | pnmtopng >"$out"
echo "wrote $out (frame $frame)"
