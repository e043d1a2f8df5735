#!/usr/bin/env python3
"""Golden tests of the spicepower plugin, in the style of Wireshark's test/suite_dissectors:
capture bytes -> pcap -> tshark -T json -> compare with a checked-in expectation.

A capture is a recipe, captures/NAME.txt (see captures/README.md for the syntax), or a
checked-in capture file, captures/NAME.pcap or .pcapng, recorded from the real
spice-power-bridge (real/record-bridge.sh); its expectation is expected/NAME.json. A recipe's
expectation pins every frame; a recorded capture's pins what is stable from one recording to
the next (see summarise_recorded). `spptest.py check NAME --update` (re)writes the
expectation; review the diff before committing it.

tshark ignores WIRESHARK_PLUGIN_DIR when uid or gid is 0, so as root every tshark run
happens as uid/gid 65534 via setpriv, in a private sandbox that holds a copy of the plugin
(<sandbox>/plugins/<abi>/epan/spicepower.so), the captures and an empty HOME.
"""
import argparse
import difflib
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile

NOBODY = 65534
BASE_TIME = 1767225600.0   # 2026-01-01 00:00:00 UTC


class Sandbox:
    def __init__(self, args):
        self.args = args
        self.dir = tempfile.mkdtemp(prefix="spptest-")
        os.chmod(self.dir, 0o755)
        self.home = os.path.join(self.dir, "home")
        os.mkdir(self.home)
        os.chmod(self.home, 0o777)
        self.plugin_root = os.path.join(self.dir, "plugins")
        if args.plugin:
            epan = os.path.join(self.plugin_root, args.abi, "epan")
            os.makedirs(epan)
            shutil.copy(args.plugin, os.path.join(epan, "spicepower.so"))
            for root, dirs, files in os.walk(self.plugin_root):
                os.chmod(root, 0o755)
                for f in files:
                    os.chmod(os.path.join(root, f), 0o644)
        self.privileged = os.geteuid() == 0 or os.getegid() == 0 or os.getuid() == 0 or os.getgid() == 0
        if self.privileged and args.plugin:
            so = os.path.join(self.plugin_root, args.abi, "epan", "spicepower.so")
            p = subprocess.run([args.setpriv, "--reuid=%d" % NOBODY, "--regid=%d" % NOBODY, "--clear-groups",
                                "--", "test", "-r", so])
            if p.returncode != 0:
                self.close()
                raise TestFailure("uid %d cannot read %s: point TMPDIR at a directory every user can "
                                  "traverse" % (NOBODY, so))

    def close(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def path(self, name):
        return os.path.join(self.dir, name)

    def tshark(self, *argv, check=True, plugin_dir=True, extra_env=None, discard_output=False):
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": self.home,
            "TZ": "UTC",
            "LC_ALL": "C.UTF-8",
        }
        if plugin_dir:
            env["WIRESHARK_PLUGIN_DIR"] = self.plugin_root
        env.update(extra_env or {})
        cmd = [self.args.tshark] + list(argv)
        if self.privileged:
            cmd = [self.args.setpriv, "--reuid=%d" % NOBODY, "--regid=%d" % NOBODY, "--clear-groups", "--"] + cmd
        p = subprocess.run(cmd, env=env, cwd=self.dir, stdout=subprocess.DEVNULL if discard_output else subprocess.PIPE,
                           stderr=subprocess.PIPE, universal_newlines=True)
        if check and p.returncode != 0:
            raise TestFailure("tshark failed (exit %d): %s\n%s" % (p.returncode, " ".join(cmd), p.stderr))
        # tshark reports dissector bugs and plugin load failures on stderr but exits 0.
        bad = [l for l in p.stderr.splitlines()
               if re.search(r"Dissector bug|assertion|Couldn't load plugin|CRITICAL|WARNING \*\*|"
                            r"found in multiple directories", l)]
        if check and bad:
            raise TestFailure("tshark complained:\n" + "\n".join(bad))
        return p


class TestFailure(Exception):
    pass


# ---- recipes ------------------------------------------------------------------------------

TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|\S+')


def parse_tokens(text, where):
    out = bytearray()
    for tok in TOKEN.findall(text):
        if tok.startswith("#"):
            break
        try:
            if tok.startswith('"'):
                out += bytes(tok[1:-1], "utf-8").decode("unicode_escape").encode("latin-1")
            elif ":" in tok:
                kind, value = tok.split(":", 1)
                width = {"u8": 1, "u16": 2, "u32": 4, "u64": 8}[kind]
                out += int(value, 0).to_bytes(width, "little")
            elif "*" in tok:
                pattern, count = tok.split("*", 1)
                out += bytes.fromhex(pattern) * int(count, 0)
            else:
                out += bytes.fromhex(tok)
        except (ValueError, KeyError, OverflowError) as e:
            raise TestFailure("%s: bad token %r (%s)" % (where, tok, e))
    return bytes(out)


def parse_recipe(path):
    """Returns (options, connections); a connection is (client_port, server_port, segments),
    a segment (time, 'I' for client to server or 'O' for server to client, bytes)."""
    options = {"tshark": [], "stats": False, "two_pass": True, "export_pdu": None}
    conns = []
    cur = None
    clock = 0.0
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            where = "%s:%d" % (os.path.basename(path), n)
            line = line.rstrip("\n")
            s = line.strip()
            if s.startswith("#!"):
                key, _, value = s[2:].partition(":")
                key, value = key.strip(), value.strip()
                if key == "tshark":
                    options["tshark"] += shlex.split(value)
                elif key == "stats":
                    options["stats"] = value == "yes"
                elif key == "export-pdu":
                    options["export_pdu"] = value
                elif key == "two-pass":
                    options["two_pass"] = value != "no"
                else:
                    raise TestFailure("%s: unknown option %r" % (where, key))
                continue
            if not s or s.startswith("#"):
                continue
            if s.startswith("@conn"):
                parts = s.split()
                cur = (int(parts[1]), int(parts[2]), [])
                conns.append(cur)
            elif s.startswith("@wait"):
                clock += float(s.split()[1]) / 1000.0
            elif s[0] in "<>":
                if cur is None:
                    cur = (40001, 5930, [])
                    conns.append(cur)
                clock += 0.001
                cur[2].append([clock, "I" if s[0] == ">" else "O", bytearray(parse_tokens(s[1:], where))])
            elif s[0] == "+":
                if cur is None or not cur[2]:
                    raise TestFailure("%s: '+' continues no segment" % where)
                cur[2][-1][2] += parse_tokens(s[1:], where)
            else:
                raise TestFailure("%s: cannot parse %r" % (where, line))
    return options, conns


def write_text2pcap_input(segments, out, with_direction=True):
    for t, direction, data in segments:
        if not with_direction:
            direction = ""
        secs = BASE_TIME + t
        whole = int(secs)
        micros = int(round((secs - whole) * 1e6))
        import time as _time
        out.write("%s%s.%06d\n" % (direction + " " if direction else "", _time.strftime("%Y-%m-%d %H:%M:%S", _time.gmtime(whole)), micros))
        for off in range(0, len(data), 16):
            out.write("%06x  %s\n" % (off, " ".join("%02x" % b for b in data[off:off + 16])))


def build_capture(args, recipe, out_path, workdir):
    options, conns = parse_recipe(recipe)
    parts = []
    env = dict(os.environ, TZ="UTC")
    for i, (cport, sport, segments) in enumerate(conns):
        txt = os.path.join(workdir, "conn%d.txt" % i)
        pcap = os.path.join(workdir, "conn%d.pcapng" % i)
        with open(txt, "w") as f:
            write_text2pcap_input(segments, f, not options["export_pdu"])
        if options["export_pdu"]:   # one exported PDU per segment, for a named dissector
            framing = ["-P", options["export_pdu"]]
        else:
            framing = ["-D", "-T", "%d,%d" % (cport, sport), "-4", "10.0.0.1,10.0.0.2"]
        subprocess.run([args.text2pcap, "-q", "-t", "%Y-%m-%d %H:%M:%S.%f"] + framing + [txt, pcap],
                       env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        parts.append(pcap)
    subprocess.run([args.mergecap, "-w", out_path] + parts, env=env, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.chmod(out_path, 0o644)
    return options


RECORDED_EXTENSIONS = (".pcap", ".pcapng")


def find_capture(args, name):
    """('recipe', path) for captures/NAME.txt, ('recorded', path) for a checked-in capture."""
    recipe = os.path.join(args.captures, name + ".txt")
    if os.path.exists(recipe):
        return "recipe", recipe
    for ext in RECORDED_EXTENSIONS:
        path = os.path.join(args.captures, name + ext)
        if os.path.exists(path):
            return "recorded", path
    raise TestFailure("no capture %s.txt, .pcap or .pcapng in %s" % (name, args.captures))


def prepare_capture(args, sandbox, name):
    """Puts NAME's capture into the sandbox (readable by uid 65534); returns (kind, path, options)."""
    kind, source = find_capture(args, name)
    if kind == "recipe":
        capture = sandbox.path(name + ".pcapng")
        return kind, capture, build_capture(args, source, capture, sandbox.dir)
    capture = sandbox.path(os.path.basename(source))
    shutil.copyfile(source, capture)
    os.chmod(capture, 0o644)
    options = {"tshark": [], "stats": True, "two_pass": True, "export_pdu": None}
    sidecar = os.path.join(args.captures, name + ".options")
    if os.path.exists(sidecar):     # "#! tshark: ARGS" lines, as in a recipe
        extra, conns = parse_recipe(sidecar)
        if conns:
            raise TestFailure("%s: only #! lines and comments allowed" % sidecar)
        options["tshark"] = extra["tshark"]
    return kind, capture, options


# ---- summarising tshark output -----------------------------------------------------------

def collect_experts(node, out):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "_ws.expert":
                for e in (value if isinstance(value, list) else [value]):
                    ids = [k for k in e if not k.startswith("_ws.expert.")]
                    out.append("%s: %s" % (ids[0] if ids else "?", e.get("_ws.expert.message", "")))
            elif key == "_ws.malformed":
                out.append("_ws.malformed")
            else:
                collect_experts(value, out)
    elif isinstance(node, list):
        for v in node:
            collect_experts(v, out)


# Wireshark 4.4 and later name the frame that completes a TCP reassembly where 4.0 only says that a
# segment belongs to one: the same fact, presented differently.
REASSEMBLED_IN = re.compile(r"\[TCP PDU reassembled in \d+\]")
TCP_REASSEMBLY_NOTE = re.compile(r" \[TCP (?:PDU reassembled in \d+|segment of a reassembled PDU)\]")


def read_infos(sandbox, base):
    """The Info column of each frame, by frame number, in 4.0's presentation."""
    info = sandbox.tshark(*(base + ["-T", "fields", "-e", "frame.number", "-e", "_ws.col.Info"])).stdout
    infos = {}
    for line in info.splitlines():
        num, _, text = line.partition("\t")
        infos[int(num)] = REASSEMBLED_IN.sub("[TCP segment of a reassembled PDU]", text)
    return infos


def summarise(sandbox, capture, options):
    passes = ["-2"] if options["two_pass"] else []
    base = ["-r", capture, "-n"] + passes + options["tshark"]
    js = json.loads(sandbox.tshark(*(base + ["-T", "json", "--no-duplicate-keys"])).stdout)
    infos = read_infos(sandbox, base)
    frames = []
    for pkt in js:
        layers = pkt["_source"]["layers"]
        num = int(layers["frame"]["frame.number"])
        tcp = layers.get("tcp", {})
        experts = []
        collect_experts(layers.get("spicepower", {}), experts)
        collect_experts({k: v for k, v in layers.items() if k == "_ws.malformed"}, experts)
        entry = {
            "frame": num,
            "stream": tcp.get("tcp.stream"),
            "protocols": layers["frame"]["frame.protocols"],
            "info": infos.get(num, ""),
            "experts": experts,
        }
        if "spicepower" in layers:
            entry["spicepower"] = layers["spicepower"]
        frames.append(entry)
    result = {"frames": frames}
    if options["stats"]:
        stats = sandbox.tshark(*(["-r", capture, "-n", "-q", "-z", "spicepower,tree"] + options["tshark"])).stdout
        result["stats"] = stats.splitlines()
    return result


# What a recording does not reproduce: keys, tickets, session ids, timestamps, frame numbers
# (request/response links are kept as "present"). Ports, addresses, TCP stream numbers and
# frame numbers never enter the summary.
VOLATILE_FIELDS = {
    "spicepower.link.connection_id", "spicepower.link.pub_key", "spicepower.ticket",
    "spicepower.notify.time_stamp", "spicepower.response_time",
}
LINK_FIELDS = {"spicepower.response_in", "spicepower.request_in"}
# Keepalive and flow control: spice-server sends PING on a timer (and the client answers PONG
# and ACKs by window), so how many there are and where they fall differs between recordings.
# They are decoded all the same: an expert info or malformed mark in their frames still counts.
KEEPALIVE = {("1", "4"), ("1", "3"), ("0", "3"), ("0", "2"), ("0", "1")}   # (direction, type)
# -z spicepower,tree sections that do not count keepalives.
STABLE_STATS = ("Power actions", "Results by request", "Power states reported")


def flatten_fields(node, out):
    """The leaf fields of one spicepower tree, in tree order (subtree labels dropped)."""
    for key, value in node.items():
        if key == "_ws.expert":
            continue
        if isinstance(value, dict):
            flatten_fields(value, out)
        elif isinstance(value, list) and value and isinstance(value[0], dict):
            for v in value:
                flatten_fields(v, out)
        elif key.startswith("spicepower."):
            out[key] = value


def split_info(info):
    """Splits an Info column at the ", " between messages, not inside a quoted NOTIFY text."""
    parts, cur, quoted, i = [], "", False, 0
    while i < len(info):
        c = info[i]
        if c == '"' and (i == 0 or info[i - 1] != "\\"):
            quoted = not quoted
        if not quoted and info.startswith(", ", i):
            parts.append(cur)
            cur = ""
            i += 2
            continue
        cur += c
        i += 1
    parts.append(cur)
    return parts


def stable_stats(lines):
    """The keepalive-free sections of -z spicepower,tree as {section: {item: count}}."""
    out, section, request = {}, None, None
    for line in lines:
        m = re.match(r"^( *)(\S(?:.*?\S)?)\s{2,}(\d+)\s", line)
        if not m:
            continue
        depth, item, count = len(m.group(1)), m.group(2), int(m.group(3))
        if depth == 0:
            section = item if item in STABLE_STATS else None
            if section:
                out[section] = {"total": count}
        elif section and depth == 1:
            request = item
            out[section][item] = count if section != "Results by request" else {"total": count}
        elif section == "Results by request" and depth == 2:
            out[section][request][item] = count
    return out


def summarise_recorded(sandbox, capture, options):
    """A recorded capture, reduced to what every recording of the same session shares: per TCP
    connection that carried data, in order of its first data, the dissector that owned it; for
    power connections, every message except keepalives with its Info text and its fields (minus
    VOLATILE_FIELDS; request/response links as "present"), and the expert infos; and the
    keepalive-free sections of -z spicepower,tree. TCP sequence analysis is off, so that
    loopback window events ([TCP Window Full] and the like) do not enter the Info column. So a
    retransmitted segment, which a loaded machine sends now and then even on loopback, would read
    as its messages once more: the frames that sequence analysis calls retransmissions are left
    out."""
    base = ["-r", capture, "-n", "-2", "-o", "tcp.analyze_sequence_numbers:FALSE"] + options["tshark"]
    js = json.loads(sandbox.tshark(*(base + ["-T", "json", "--no-duplicate-keys"])).stdout)
    infos = read_infos(sandbox, base)
    retransmitted = {int(n) for n in sandbox.tshark(
        "-r", capture, "-n", "-2", "-Y", "tcp.analysis.retransmission", "-T", "fields", "-e", "frame.number",
        *options["tshark"]).stdout.split()}
    streams = {}
    order = []
    for pkt in js:
        layers = pkt["_source"]["layers"]
        tcp = layers.get("tcp", {})
        if "tcp.stream" not in tcp or int(tcp.get("tcp.len", "0")) == 0:
            continue
        sid = tcp["tcp.stream"]
        if sid not in streams:
            streams[sid] = {"protocols": [], "messages": [], "experts": []}
            order.append(sid)
        st = streams[sid]
        num = int(layers["frame"]["frame.number"])
        if num in retransmitted:
            continue
        top = layers["frame"]["frame.protocols"].split(":")[-1]
        if top not in st["protocols"]:
            st["protocols"].append(top)
        if "spicepower" not in layers:
            continue
        trees = layers["spicepower"]
        trees = trees if isinstance(trees, list) else [trees]
        experts = []
        collect_experts(trees, experts)
        collect_experts({k: v for k, v in layers.items() if k == "_ws.malformed"}, experts)
        st["experts"] += experts
        names = split_info(infos.get(num, ""))
        if len(names) != len(trees):
            names = [infos.get(num, "")] + [""] * (len(trees) - 1)
        for tree, name in zip(trees, names):
            fields = {}
            flatten_fields(tree, fields)
            key = (fields.get("spicepower.direction"), fields.get("spicepower.msg.type"))
            if key in KEEPALIVE:
                continue
            msg = {"info": name}
            for k, v in fields.items():
                if k in VOLATILE_FIELDS:
                    continue
                msg[k] = "present" if k in LINK_FIELDS else v
            st["messages"].append(msg)
    out = []
    for sid in order:
        st = streams[sid]
        if "spicepower" in st["protocols"]:
            out.append({"dissector": "spicepower", "messages": st["messages"], "experts": st["experts"]})
        else:
            # the top protocols of its data frames, minus "tcp" (segments of a reassembly, or
            # frames the snaplen cut)
            out.append({"dissector": "/".join(sorted(p for p in st["protocols"] if p not in ("tcp", ""))) or "tcp"})
    result = {"connections": out}
    if options["stats"]:
        stats = sandbox.tshark(*(["-r", capture, "-n", "-q", "-z", "spicepower,tree"] + options["tshark"])).stdout
        result["stats"] = stable_stats(stats.splitlines())
    return result


def summarise_any(kind, sandbox, capture, options):
    return summarise(sandbox, capture, options) if kind == "recipe" else summarise_recorded(sandbox, capture, options)


def compare(expected_path, actual, update):
    text = json.dumps(actual, indent=1, sort_keys=True, ensure_ascii=False) + "\n"
    if update:
        with open(expected_path, "w", encoding="utf-8") as f:
            f.write(text)
        print("wrote", expected_path)
        return
    if not os.path.exists(expected_path):
        raise TestFailure("no expectation %s (run with --update and review it)" % expected_path)
    with open(expected_path, encoding="utf-8") as f:
        expected = json.load(f)
    if expected != actual:
        want = json.dumps(expected, indent=1, sort_keys=True, ensure_ascii=False).splitlines()
        diff = difflib.unified_diff(want, text.splitlines(), "expected", "actual", lineterm="", n=4)
        raise TestFailure("output differs from %s:\n%s" % (expected_path, "\n".join(diff)))


# ---- commands ------------------------------------------------------------------------------

def cmd_check(args, sandbox):
    for name in args.names:
        kind, capture, options = prepare_capture(args, sandbox, name)
        compare(os.path.join(args.expected, name + ".json"), summarise_any(kind, sandbox, capture, options),
                args.update)
        print("ok", name)


def cmd_plugin(args, sandbox):
    """The plugin loads from the sandbox, the protocol and every documented field exist."""
    plugins = sandbox.tshark("-G", "plugins").stdout
    where = os.path.join(sandbox.plugin_root, args.abi, "epan", "spicepower.so")
    if not any(l.startswith("spicepower.so") and l.rstrip().endswith(where) for l in plugins.splitlines()):
        raise TestFailure("spicepower.so not loaded from %s; tshark -G plugins says:\n%s" % (where, plugins))
    protocols = sandbox.tshark("-G", "protocols").stdout
    if not any(l.split("\t")[2:3] == ["spicepower"] for l in protocols.splitlines()):
        raise TestFailure("protocol spicepower not registered")
    fields = {l.split("\t")[2] for l in sandbox.tshark("-G", "fields").stdout.splitlines()
              if l.count("\t") >= 2}
    with open(args.required) as f:
        required = [l.strip() for l in f if l.strip() and not l.startswith("#")]
    missing = [r for r in required if r not in fields]
    if missing:
        raise TestFailure("fields missing: " + ", ".join(missing))
    heuristics = sandbox.tshark("-G", "heuristic-decodes").stdout.splitlines()
    if ["tcp", "spicepower", "T"] not in [l.split("\t")[:3] for l in heuristics]:
        raise TestFailure("heuristic spicepower not registered and enabled on tcp:\n" + "\n".join(heuristics))
    print("ok plugin: loaded from sandbox, %d required fields present" % len(required))


def cmd_consistency(args, sandbox):
    """Info column and expert messages must be the same on the first pass (tshark without -2)
    and on re-dissection (-2): the per-frame state snapshots make re-dissection start right.
    In a recorded capture only the power channel's frames are compared: the built-in SPICE
    dissector, which decodes the main channel there, labels reassembled segments differently
    on the two passes."""
    for name in args.names:
        kind, capture, options = prepare_capture(args, sandbox, name)
        fields = ["-T", "fields", "-e", "frame.number", "-e", "_ws.col.Info", "-e", "_ws.expert.message"]
        if kind == "recorded":
            fields += ["-Y", "spicepower"]
        one = sandbox.tshark(*(["-r", capture, "-n"] + options["tshark"] + fields)).stdout
        two = sandbox.tshark(*(["-r", capture, "-n", "-2"] + options["tshark"] + fields)).stdout
        # TCP's own note on a segment: from 4.4 on, only the second pass knows which frame
        # completes the reassembly ("[TCP PDU reassembled in N]"); ours is the rest of the line.
        one, two = (TCP_REASSEMBLY_NOTE.sub("", text) for text in (one, two))
        if one != two:
            diff = difflib.unified_diff(one.splitlines(), two.splitlines(), "one pass", "two passes", lineterm="")
            raise TestFailure("%s: passes disagree:\n%s" % (name, "\n".join(diff)))
        print("ok", name)


# Named message types in display filters: each direction's field has its own value names.
NAMED_FILTERS = [
    ('spicepower.client.type == "RESET"', "spicepower.msg.type == 101 && spicepower.direction == 0"),
    ('spicepower.server.type == "RESULT"', "spicepower.msg.type == 102 && spicepower.direction == 1"),
    ('spicepower.server.type == "STATE"', "spicepower.msg.type == 101 && spicepower.direction == 1"),
]


def cmd_filters(args, sandbox):
    """A filter by type name selects exactly the frames that the number and direction select."""
    for name in args.names:
        kind, capture, options = prepare_capture(args, sandbox, name)
        for by_name, by_number in NAMED_FILTERS:
            frames = [sandbox.tshark(*(["-r", capture, "-n", "-Y", f, "-T", "fields", "-e", "frame.number"]
                                       + options["tshark"])).stdout.split() for f in (by_name, by_number)]
            if not frames[1] or frames[0] != frames[1]:
                raise TestFailure("%s: '%s' selects frames %s, '%s' frames %s" % (
                    name, by_name, frames[0], by_number, frames[1]))
        print("ok", name)


def frames_of_verbose(text):
    """tshark -V output split into {frame number: its text}."""
    frames, num, lines = {}, None, []
    for line in text.splitlines():
        m = re.match(r"^Frame (\d+): ", line)
        if m:
            if num is not None:
                frames[num] = "\n".join(lines)
            num, lines = int(m.group(1)), []
        lines.append(line)
    if num is not None:
        frames[num] = "\n".join(lines)
    return frames


def cmd_others(args, sandbox):
    """Connections that are not the power channel look exactly as they do without the plugin:
    every frame of every other TCP stream has the same verbose dissection (frame.protocols
    included) with the plugin loaded as without it, on the first pass and on re-dissection."""
    for name in args.names:
        kind, capture, options = prepare_capture(args, sandbox, name)
        for passes in ([], ["-2"]):
            base = ["-r", capture, "-n"] + passes + options["tshark"]
            streams = sandbox.tshark(*(base + ["-T", "fields", "-e", "frame.number", "-e", "tcp.stream",
                                               "-e", "frame.protocols"])).stdout.splitlines()
            power = {s for _, s, protos in (l.split("\t") for l in streams) if "spicepower" in protos.split(":")}
            others = [int(n) for n, s, _ in (l.split("\t") for l in streams) if s and s not in power]
            if not others:
                raise TestFailure("%s: no frame outside the power channel to compare" % name)
            with_plugin = frames_of_verbose(sandbox.tshark(*(base + ["-V"])).stdout)
            without = frames_of_verbose(sandbox.tshark(*(base + ["-V"]), plugin_dir=False).stdout)
            for num in others:
                if with_plugin.get(num) != without.get(num):
                    diff = difflib.unified_diff((without.get(num) or "").splitlines(),
                                                (with_plugin.get(num) or "").splitlines(),
                                                "without the plugin", "with the plugin", lineterm="")
                    raise TestFailure("%s%s: frame %d differs:\n%s" % (name, " -2" if passes else "", num,
                                                                       "\n".join(diff)))
        print("ok %s: %d frames of other channels as without the plugin" % (name, len(others)))


def cmd_install(args, sandbox):
    """`cmake --install --component dissector` (into a DESTDIR) must put spicepower.so in the
    global plugin dir that this tshark searches, not somewhere under CMAKE_INSTALL_PREFIX."""
    folders = sandbox.tshark("-G", "folders", plugin_dir=False).stdout
    global_dir = [l.split("\t", 1)[1].strip() for l in folders.splitlines() if l.startswith("Global Plugins:")]
    if not global_dir:
        raise TestFailure("tshark -G folders names no global plugin dir:\n" + folders)
    dest = sandbox.path("destdir")
    p = subprocess.run([args.cmake, "--install", args.build_dir, "--component", "dissector"],
                       env=dict(os.environ, DESTDIR=dest), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       universal_newlines=True)
    if p.returncode != 0:
        raise TestFailure("cmake --install failed:\n" + p.stdout)
    want = os.path.join(dest + global_dir[0], "epan", "spicepower.so")
    if not os.path.isfile(want):
        found = [os.path.join(r, f) for r, _, fs in os.walk(dest) for f in fs]
        raise TestFailure("installed %s, expected %s" % (", ".join(found) or "nothing", want))
    print("ok install: %s" % want[len(dest):])


def cmd_random(args, sandbox):
    """Seeded random inputs, mostly mutations of valid messages, through spicepower.fuzz and
    through TCP: tshark must finish without reporting a dissector bug."""
    import random
    rng = random.Random(int(args.names[0]) if args.names else 1)
    seeds = [
        bytes.fromhex("5245445102000000020000001a000000000000000c00010000000100000012000000") + b"\x0b\0\0\0>\0\0\0",
        b"\x65\x00\x00\x00\x00\x00", b"\x66\x00\x06\x00\x00\x00\x65\x00\x00\x00\x00\x00",
        b"\x07\x00\x1e\x00\x00\x00" + bytes(16) + b"\x02\0\0\0\x02\0\0\0\x03\0\0\0\x02\0\0\0hi\0",
        b"\x05\x00\x0b\x00\x00\x00\x01\x0c\x00" + bytes(8),
    ]
    lines = ["#! export-pdu: spicepower.fuzz", "#! two-pass: no"]
    for _ in range(3000):
        data = bytearray(rng.choice(seeds))
        for _ in range(rng.randint(0, 4)):
            op = rng.randint(0, 2)
            if op == 0 and data:
                data[rng.randrange(len(data))] = rng.randrange(256)
            elif op == 1:
                data = data[:rng.randint(0, len(data))]
            else:
                data += bytes(rng.randrange(256) for _ in range(rng.randint(1, 8)))
        lines.append("> %02x %s" % (rng.randrange(128), data.hex()))
    recipe = sandbox.path("random.txt")
    with open(recipe, "w") as f:
        f.write("\n".join(lines) + "\n")
    capture = sandbox.path("random.pcapng")
    build_capture(args, recipe, capture, sandbox.dir)
    strict = {"WIRESHARK_DEBUG_WMEM_OVERRIDE": "strict"}   # canaries around every allocation
    sandbox.tshark("-r", capture, "-V", extra_env=strict)
    # the same bytes as one TCP stream from each side
    lines = ["@conn 40001 5930", "> " + seeds[0].hex()]
    for _ in range(2000):
        data = bytearray(rng.choice(seeds[1:]))
        if rng.random() < 0.3 and data:
            data[rng.randrange(len(data))] = rng.randrange(256)
        lines.append("%s %s" % (rng.choice("<>"), data.hex()))
    with open(recipe, "w") as f:
        f.write("\n".join(lines) + "\n")
    build_capture(args, recipe, capture, sandbox.dir)
    sandbox.tshark("-r", capture, "-V", "-2", extra_env=strict)
    print("ok random: 5000 mutated inputs, no dissector bug reported")


def tamper(expected):
    """A copy of an expectation with one Info text changed (the last message of either kind)."""
    bad = json.loads(json.dumps(expected))
    if "frames" in bad:
        bad["frames"][-1]["info"] += " (tampered)"
    else:
        power = [c for c in bad["connections"] if c["dissector"] == "spicepower"]
        power[-1]["messages"][-1]["info"] += " (tampered)"
    return bad


def cmd_selftest(args, sandbox):
    """The runner must fail when it should: a wrong expectation, and a tshark without the plugin,
    for each named capture (recipes and recorded captures are summarised differently)."""
    prepared = []
    for name in args.names:
        kind, capture, options = prepare_capture(args, sandbox, name)
        expected_path = os.path.join(args.expected, name + ".json")
        with open(expected_path, encoding="utf-8") as f:
            good = json.load(f)
        actual = summarise_any(kind, sandbox, capture, options)
        compare(expected_path, actual, False)
        # 1. one changed Info column must be caught
        tampered = sandbox.path("tampered-%s.json" % name)
        with open(tampered, "w") as f:
            json.dump(tamper(good), f)
        try:
            compare(tampered, actual, False)
        except TestFailure as e:
            print("ok %s: tampered expectation detected:\n  %s" % (
                name, "\n  ".join(l for l in str(e).splitlines() if l.startswith(("-", "+")) and "tampered" in l)))
        else:
            raise TestFailure("%s: a tampered expectation was not detected" % name)
        prepared.append((name, kind, capture, options, expected_path))
    # 2. without the plugin the same captures must not match
    shutil.rmtree(os.path.join(sandbox.plugin_root, args.abi))
    for name, kind, capture, options, expected_path in prepared:
        try:
            compare(expected_path, summarise_any(kind, sandbox, capture, options), False)
        except TestFailure:
            pass
        else:
            raise TestFailure("%s: output without the plugin matched the expectation" % name)
    print("ok selftest: tampering and a missing plugin are both detected")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--plugin", help="spicepower.so to test")
    ap.add_argument("--abi", default="4.0", help="Wireshark plugin ABI dir name")
    ap.add_argument("--tshark", default="tshark")
    ap.add_argument("--text2pcap", default="text2pcap")
    ap.add_argument("--mergecap", default="mergecap")
    ap.add_argument("--setpriv", default="setpriv")
    ap.add_argument("--captures", default=os.path.join(os.path.dirname(__file__), "captures"))
    ap.add_argument("--expected", default=os.path.join(os.path.dirname(__file__), "expected"))
    ap.add_argument("--required", default=os.path.join(os.path.dirname(__file__), "required-fields.txt"))
    ap.add_argument("--update", action="store_true", help="write the expectations instead of comparing")
    ap.add_argument("--pcap-only", metavar="OUT", help="check: only build the capture of the first name")
    ap.add_argument("--cmake", default="cmake")
    ap.add_argument("--build-dir", help="install: the build tree to install from")
    ap.add_argument("command", choices=["check", "plugin", "selftest", "consistency", "install", "random",
                                        "filters", "others"])
    ap.add_argument("names", nargs="*")
    args = ap.parse_args()

    sandbox = None
    try:
        sandbox = Sandbox(args)
        if args.pcap_only:
            kind, source = find_capture(args, args.names[0])
            if kind == "recipe":
                build_capture(args, source, os.path.abspath(args.pcap_only), sandbox.dir)
            else:
                shutil.copyfile(source, os.path.abspath(args.pcap_only))
            return 0
        {"check": cmd_check, "plugin": cmd_plugin, "selftest": cmd_selftest,
         "consistency": cmd_consistency, "install": cmd_install,
         "random": cmd_random, "filters": cmd_filters, "others": cmd_others}[args.command](args, sandbox)
    except TestFailure as e:
        print("FAIL:", e, file=sys.stderr)
        return 1
    finally:
        if sandbox:
            sandbox.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
