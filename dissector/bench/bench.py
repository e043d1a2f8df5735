#!/usr/bin/env python3
"""Benchmark of the spicepower plugin: tshark time on generated power-channel captures.

1. Plugin against plain data: a capture of --packets packets (default 200000; one connection,
   link phase, then one mini-header message per TCP segment: RESET/RESULT, PING/PONG, STATE...)
   decoded by the plugin and as data (-d tcp.port==N,data), without a tree (`tshark -q -Y frame`;
   a plain -q would skip dissection) and with one (`tshark -V`, output discarded). Goal <= 1.10.
2. Hostile against benign: the same number of packets, all RESET then all RESULT for POWERON,
   which nobody asked for (request matching must stay linear), against RESET/RESULT pairs.
   Goal <= 1.5.

Each timing runs --runs times, alternating, and the medians of tshark's CPU time (user+sys,
robust against other load on the machine) make the ratios; wall-time medians are printed too.
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
CLIENT_PORT = 40001  # not 40000: Wireshark 4.4 and later decode that port as SAP NI


def le(fmt, *v):
    return struct.pack("<" + fmt, *v)


def link_phase():
    caps = le("II", 0x0b, 0x3e)
    client_link = b"REDQ" + le("III", 2, 2, 26) + le("IBBIII", 0, 12, 0, 1, 1, 18) + caps
    key = bytes.fromhex("30819f300d06092a864886f70d010101050003818d00") + b"\xab" * 140
    reply = b"REDQ" + le("III", 2, 2, 186) + le("I", 0) + key + le("III", 1, 1, 178) + caps
    return [(0, client_link), (1, reply), (0, le("I", 1)), (0, b"\x5a" * 128), (1, le("I", 0))]


def m(t, body):
    return le("HI", t, len(body)) + body


def data_cycle():
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


def mixed_messages(i, total):
    cycle = data_cycle()
    return cycle[i % len(cycle)]


def benign_pairs(i, total):
    """RESET, RESULT RESET OK, and again."""
    return (0, m(101, b"")) if i % 2 == 0 else (1, m(102, le("HI", 101, 0)))


def unanswerable_results(i, total):
    """All RESETs first, then as many RESULTs for a POWERON that nobody sent."""
    return (0, m(101, b"")) if i < total // 2 else (1, m(102, le("HI", 103, 0)))


def write_capture(path, packets, data_message=mixed_messages):
    cli, srv = bytes([10, 0, 0, 1]), bytes([10, 0, 0, 2])
    seq = [1000, 5000]
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
        msgs = link_phase()
        n = 0
        while n < packets:
            d, payload = msgs[n] if n < len(msgs) else data_message(n - len(msgs), packets - len(msgs))
            src, dst = (cli, srv) if d == 0 else (srv, cli)
            sport, dport = (CLIENT_PORT, PORT) if d == 0 else (PORT, CLIENT_PORT)
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
    sandbox.tshark(*argv, discard_output=True)
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
        print("Wireshark: %s" % sandbox.tshark("--version").stdout.splitlines()[0])
        print("packets: %d, runs: %d, CPU medians (wall medians)" % (args.packets, args.runs))
        mixed = capture_of(sandbox, "mixed.pcap", args.packets, mixed_messages)
        decode_as_data = ["-d", "tcp.port==%d,data" % PORT]
        no_tree, tree = ["-q", "-Y", "frame"], ["-V"]
        for label, mode in (("no tree", no_tree), ("tree", tree)):
            compare(sandbox, args.runs, "plugin / data, " + label, "spicepower", mode + ["-r", mixed],
                    "data", mode + ["-r", mixed] + decode_as_data, 1.10)
        hostile = capture_of(sandbox, "hostile.pcap", args.packets, unanswerable_results)
        benign = capture_of(sandbox, "benign.pcap", args.packets, benign_pairs)
        # TCP's sequence analysis is itself quadratic on a stream that is never acknowledged, as
        # the hostile one's first half is; switched off on both sides, it leaves the plugin's cost.
        no_seq = ["-o", "tcp.analyze_sequence_numbers:FALSE"]
        compare(sandbox, args.runs, "hostile / benign", "hostile", no_tree + no_seq + ["-r", hostile],
                "benign", no_tree + no_seq + ["-r", benign], 1.5)
    finally:
        sandbox.close()
    return 0


def capture_of(sandbox, name, packets, data_message):
    path = sandbox.path(name)
    write_capture(path, packets, data_message)
    os.chmod(path, 0o644)
    # The plugin must really decode the file, or the comparison means nothing.
    check = sandbox.tshark("-r", path, "-c", "20", "-T", "fields", "-e", "_ws.col.Protocol").stdout
    if "SPICE Power" not in check:
        raise SystemExit("FAIL: the plugin does not decode the benchmark capture " + name)
    return path


def compare(sandbox, runs, title, label_a, argv_a, label_b, argv_b, goal):
    a, b = [], []
    for _ in range(runs):
        a.append(timed(sandbox, argv_a))
        b.append(timed(sandbox, argv_b))
    cpu = [statistics.median(r[1] for r in x) for x in (a, b)]
    wall = [statistics.median(r[0] for r in x) for x in (a, b)]
    print("%-26s %s %.3f s (%.3f s), %s %.3f s (%.3f s): ratio %.3f (wall %.3f; goal <= %.2f)" % (
        title + ":", label_a, cpu[0], wall[0], label_b, cpu[1], wall[1], cpu[0] / cpu[1], wall[0] / wall[1], goal))


if __name__ == "__main__":
    sys.exit(main())
