#!/usr/bin/env python3
"""Benchmark of the spicepower plugin: tshark time on a generated power-channel capture
with the plugin, against the same file decoded as plain data (-d tcp.port==N,data).

Writes a capture of --packets packets (default 200000): one connection, link phase, then
one mini-header message per TCP segment (RESET/RESULT, PING/PONG, STATE...). Times
`tshark -q -Y frame -r F` (a plain -q would skip dissection) --runs times each way,
alternating, and prints the medians of tshark's CPU time (user+sys, robust against other
load on the machine) and of wall time, and their ratios; the goal is <= 1.10.
"""
import argparse
import os
import resource
import statistics
import struct
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests"))
import spptest  # noqa: E402  (sandbox handling: root runs tshark as nobody)

PORT = 5930


def le(fmt, *v):
    return struct.pack("<" + fmt, *v)


def link_phase():
    caps = le("II", 0x0b, 0x3e)
    client_link = b"REDQ" + le("III", 2, 2, 26) + le("IBBIII", 0, 12, 0, 1, 1, 18) + caps
    key = bytes.fromhex("30819f300d06092a864886f70d010101050003818d00") + b"\xab" * 140
    reply = b"REDQ" + le("III", 2, 2, 186) + le("I", 0) + key + le("III", 1, 1, 178) + caps
    return [(0, client_link), (1, reply), (0, le("I", 1)), (0, b"\x5a" * 128), (1, le("I", 0))]


def data_cycle():
    def m(t, body):
        return le("HI", t, len(body)) + body
    return [
        (0, m(101, b"")),                          # RESET
        (1, m(102, le("HI", 101, 0))),             # RESULT OK
        (1, m(4, le("IQ", 1, 123456789))),         # PING
        (0, m(3, le("IQ", 1, 123456789))),         # PONG
        (1, m(101, le("B", 1))),                   # STATE ON
        (0, m(102, b"")),                          # POWEROFF
        (1, m(102, le("HI", 102, 3))),             # RESULT DENIED
        (0, m(2, b"")),                            # ACK
    ]


def write_capture(path, packets):
    cli, srv = bytes([10, 0, 0, 1]), bytes([10, 0, 0, 2])
    seq = [1000, 5000]
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
        msgs = link_phase()
        cycle = data_cycle()
        n = 0
        while n < packets:
            d, payload = msgs[n] if n < len(msgs) else cycle[(n - len(msgs)) % len(cycle)]
            src, dst = (cli, srv) if d == 0 else (srv, cli)
            sport, dport = (40000, PORT) if d == 0 else (PORT, 40000)
            tcp = struct.pack("!HHIIBBHHH", sport, dport, seq[d], seq[1 - d], 5 << 4, 0x18, 65535, 0, 0)
            ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp) + len(payload), n & 0xffff, 0, 64, 6, 0,
                             src, dst)
            eth = b"\x02\x00\x00\x00\x00\x02" + b"\x02\x00\x00\x00\x00\x01" + b"\x08\x00"
            frame = eth + ip + tcp + payload
            t = 1767225600 * 1000000 + n * 100
            f.write(struct.pack("<IIII", t // 1000000, t % 1000000, len(frame), len(frame)))
            f.write(frame)
            seq[d] += len(payload)
            n += 1


def timed(sandbox, argv):
    """(wall seconds, CPU seconds of tshark): CPU time is what the ratio uses, because it
    does not depend on what else the machine is running."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.monotonic()
    sandbox.tshark(*argv)
    wall = time.monotonic() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--plugin", required=True)
    ap.add_argument("--abi", default="4.0")
    ap.add_argument("--tshark", default="tshark")
    ap.add_argument("--setpriv", default="setpriv")
    ap.add_argument("--packets", type=int, default=200000)
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    if args.runs < 3:
        ap.error("--runs must be at least 3")

    sandbox = spptest.Sandbox(args)
    try:
        capture = sandbox.path("bench.pcap")
        write_capture(capture, args.packets)
        os.chmod(capture, 0o644)
        # The plugin must really decode the file, or the comparison means nothing.
        check = sandbox.tshark("-r", capture, "-c", "20", "-T", "fields", "-e", "_ws.col.Protocol").stdout
        if "SPICE Power" not in check:
            print("FAIL: the plugin does not decode the benchmark capture", file=sys.stderr)
            return 1
        plugin, data = [], []
        for _ in range(args.runs):
            plugin.append(timed(sandbox, ["-q", "-Y", "frame", "-r", capture]))
            data.append(timed(sandbox, ["-q", "-Y", "frame", "-r", capture, "-d", "tcp.port==%d,data" % PORT]))
        print("packets: %d, runs: %d, tshark -q -Y frame" % (args.packets, args.runs))
        for label, runs in (("spicepower", plugin), ("data", data)):
            print("%-11s CPU median %.3f s (%s); wall median %.3f s" % (
                label + ":", statistics.median(r[1] for r in runs), ", ".join("%.3f" % r[1] for r in runs),
                statistics.median(r[0] for r in runs)))
        ratio = statistics.median(r[1] for r in plugin) / statistics.median(r[1] for r in data)
        wall_ratio = statistics.median(r[0] for r in plugin) / statistics.median(r[0] for r in data)
        print("ratio (CPU): %.3f  (wall: %.3f; goal <= 1.10)" % (ratio, wall_ratio))
    finally:
        sandbox.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
