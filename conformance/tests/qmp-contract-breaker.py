#!/usr/bin/env python3
"""A QEMU that breaks one point of the QMP contract, for conformance.broken_contract_is_caught.

Used as vmconform's --qemu: runs the real QEMU (REAL_QEMU, default qemu-system-x86_64) with its
first QMP monitor moved to a private socket, and serves the original socket itself, passing every
message through except for the one change that BREAK names:

  reverse-query-jobs   query-jobs lists the jobs oldest first (snapshot-jobs.md §4.10 wants newest first)

Everything else (the second monitor, the serial line, the disks) is QEMU's own. The real QEMU dies
with this process (PR_SET_PDEATHSIG), as vmconform expects of the QEMU it kills.
"""
import ctypes
import json
import os
import selectors
import signal
import socket
import subprocess
import sys

REAL_QEMU = os.environ.get("REAL_QEMU", "qemu-system-x86_64")
BREAK = os.environ.get("BREAK", "reverse-query-jobs")


def die_with_parent():
    ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def moved_monitor(argv):
    """argv with the chardev of QMP monitor qmp0 on a private path; and the original path."""
    out, path = [], None
    for arg in argv:
        if arg.startswith("socket,id=qmp0,path="):
            rest = arg[len("socket,id=qmp0,path="):]
            path = rest.split(",server=")[0]
            arg = arg.replace("path=" + path, "path=" + path + ".real", 1)
        out.append(arg)
    return out, path


def mutate(command, message):
    if BREAK == "reverse-query-jobs" and command == "query-jobs" and isinstance(message.get("return"), list):
        message["return"].reverse()
    return message


class Relay:
    """Client <-> QEMU for one connection, remembering which command each return answers."""

    def __init__(self, client, qemu):
        self.client, self.qemu = client, qemu
        self.pending = []          # command names, in the order sent
        self.from_client = ""
        self.from_qemu = ""
        self.decoder = json.JSONDecoder()

    def client_bytes(self, data):
        self.from_client += data.decode("utf-8", "replace")
        while True:
            text = self.from_client.lstrip()
            try:
                obj, end = self.decoder.raw_decode(text)
            except ValueError:
                return
            self.from_client = text[end:]
            if isinstance(obj, dict) and "execute" in obj:
                self.pending.append(obj["execute"])
            self.qemu.sendall((json.dumps(obj) + "\n").encode())

    def qemu_bytes(self, data):
        self.from_qemu += data.decode("utf-8", "replace")
        while "\n" in self.from_qemu:
            line, self.from_qemu = self.from_qemu.split("\n", 1)
            if not line.strip():
                continue
            message = json.loads(line)
            if ("return" in message or "error" in message) and "QMP" not in message and self.pending:
                message = mutate(self.pending.pop(0), message)
            self.client.sendall((json.dumps(message) + "\r\n").encode())


def serve(path, qemu_proc):
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    listener.listen(4)
    sel = selectors.DefaultSelector()
    sel.register(listener, selectors.EVENT_READ, "listener")
    while qemu_proc.poll() is None:
        for key, _ in sel.select(timeout=0.2):
            if key.data == "listener":
                client, _ = listener.accept()
                qemu = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                qemu.connect(path + ".real")
                relay = Relay(client, qemu)
                sel.register(client, selectors.EVENT_READ, ("client", relay))
                sel.register(qemu, selectors.EVENT_READ, ("qemu", relay))
                continue
            side, relay = key.data
            data = key.fileobj.recv(65536)
            if not data:
                for s in (relay.client, relay.qemu):
                    sel.unregister(s)
                    s.close()
                continue
            (relay.client_bytes if side == "client" else relay.qemu_bytes)(data)


def main():
    argv = sys.argv[1:]
    if "--version" in argv:
        os.execvp(REAL_QEMU, [REAL_QEMU] + argv)
    argv, path = moved_monitor(argv)
    if path is None:
        os.execvp(REAL_QEMU, [REAL_QEMU] + argv)
    qemu_proc = subprocess.Popen([REAL_QEMU] + argv, preexec_fn=die_with_parent)
    for _ in range(200):                      # QEMU makes its socket at start-up
        if os.path.exists(path + ".real") or qemu_proc.poll() is not None:
            break
        subprocess.run(["sleep", "0.02"])
    signal.signal(signal.SIGTERM, lambda *_: (qemu_proc.kill(), sys.exit(0)))
    serve(path, qemu_proc)
    sys.exit(qemu_proc.returncode or 0)


if __name__ == "__main__":
    main()
