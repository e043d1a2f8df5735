#!/bin/sh
# Regenerates docs/images/spicy-power-menu.png: spicy (the patched spice-gtk's) under Xvfb,
# connected to the patched QEMU (-spice power-control=on) running the harness guest, with its
# Power menu open and the power state in the status bar.
#
#   docs/images/make-spicy-screenshot.sh BUILD_DIR [OUT.png]
#
# BUILD_DIR is a build tree with the patched QEMU (target qemu-power), spicy (target
# spice-gtk-power) and the guest (qemu-harness/guest/spp-guest.bin). A doc artifact only: CI does
# not run this. Needs (Debian): xvfb xdotool x11-apps netpbm fonts-dejavu-core.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
build=${1:?usage: $0 BUILD_DIR [OUT.png]}
out=${2:-$here/spicy-power-menu.png}
qemu=$build/qemu-harness/qemu/work/prefix/bin/qemu-system-x86_64
spicy=$build/qemu-harness/gtk/work/prefix/bin/spicy
guest=$build/qemu-harness/guest/spp-guest.bin

for tool in Xvfb xdotool xwd xwdtopnm pnmpaste pnmcut pnmtopng; do
    command -v "$tool" >/dev/null || { echo "$0: $tool not found (see the header for packages)" >&2; exit 2; }
done
for file in "$qemu" "$spicy" "$guest"; do
    [ -f "$file" ] || { echo "$0: $file missing: build the tree first" >&2; exit 2; }
done

sandbox=$(mktemp -d)
xvfb_pid=
qemu_pid=
spicy_pid=
finish() {
    for pid in $spicy_pid $qemu_pid $xvfb_pid; do
        kill "$pid" 2>/dev/null || true
    done
    wait 2>/dev/null || true
    rm -rf "$sandbox"
}
trap finish EXIT
trap 'exit 1' INT TERM

# wait_for WHAT COMMAND...: polls COMMAND for 10 s
wait_for() {
    what=$1
    shift
    i=0
    until "$@" >/dev/null 2>&1; do
        i=$((i + 1))
        [ $i -lt 100 ] || { echo "$0: no $what" >&2; cat "$sandbox"/*.log >&2; exit 1; }
        sleep 0.1
    done
}

# Xvfb picks a free display and writes its number to fd 3
Xvfb -displayfd 3 -screen 0 1024x768x24 -nolisten tcp 3>"$sandbox/display" >"$sandbox/xvfb.log" 2>&1 &
xvfb_pid=$!
wait_for "X display" test -s "$sandbox/display"
export DISPLAY=":$(cat "$sandbox/display")"

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cp "$guest" "$sandbox/disk.raw"
truncate -s 1M "$sandbox/disk.raw"
"$qemu" -machine pc,accel=tcg -nodefaults -display none -m 64 -device isa-vga \
    -drive "file=$sandbox/disk.raw,format=raw,if=ide" -serial "file:$sandbox/serial.txt" \
    -spice "port=$port,addr=127.0.0.1,disable-ticketing=on,power-control=on" >"$sandbox/qemu.log" 2>&1 &
qemu_pid=$!
wait_for "guest boot" grep -q "^BOOT 1" "$sandbox/serial.txt"

mkdir -p "$sandbox/home"
env -u XDG_CONFIG_HOME -u XDG_DATA_HOME HOME="$sandbox/home" XDG_RUNTIME_DIR="$sandbox/home" \
    GSETTINGS_BACKEND=memory LC_ALL=C.UTF-8 NO_AT_BRIDGE=1 \
    "$spicy" -h 127.0.0.1 -p "$port" >"$sandbox/spicy.log" 2>&1 &
spicy_pid=$!
wait_for "spicy window" xdotool search --onlyvisible --name "spice display 0:0"
win=$(xdotool search --onlyvisible --name "spice display 0:0" | head -n 1)
xdotool windowmove --sync "$win" 0 0
# the pointer outside the display widget, which would grab the keyboard for the guest
xdotool mousemove 1020 760
xdotool windowfocus --sync "$win"
sleep 1.5   # the power state arrives, the guest's screen is drawn
xdotool key alt+p
sleep 1.5   # the menu is drawn

# The menu is a popup window of its own (named after the program), which Xvfb's root window
# image shows black: it is read by itself and pasted where it is on the screen.
menu=$(xdotool search --onlyvisible --name '^spicy$' | head -n 1)
[ -n "$menu" ] || { echo "$0: the Power menu did not open" >&2; cat "$sandbox"/*.log >&2; exit 1; }
eval "$(xdotool getwindowgeometry --shell "$menu")"
menu_x=$X
menu_y=$Y
xwd -id "$menu" -silent | xwdtopnm 2>/dev/null >"$sandbox/menu.pnm"
eval "$(xdotool getwindowgeometry --shell "$win")"
xwd -root -silent | xwdtopnm 2>/dev/null | pnmpaste "$sandbox/menu.pnm" "$menu_x" "$menu_y" |
    pnmcut 0 0 "$WIDTH" "$HEIGHT" | pnmtopng >"$out"
echo "wrote $out (${WIDTH}x$HEIGHT)"
