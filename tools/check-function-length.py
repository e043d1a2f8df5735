#!/usr/bin/env python3
"""Fail when a C/C++ function body in the given trees is longer than the limit.

A function is a line at column 0 that opens a body with "{" (alone, or ending the
signature line) after a signature, up to the matching "}" at column 0. Wireshark-style
field registration tables (functions named proto_register_*) are exempt: they are one
long table by design.

usage: check-function-length.py [--max N] DIR...
"""
import argparse
import os
import re
import sys

EXEMPT = re.compile(r"\bproto_register_\w*\s*\(")
SOURCE = (".c", ".cpp", ".h")


def functions(path):
    with open(path, encoding="utf-8", errors="replace") as f:
        lines = f.read().split("\n")
    start = None
    signature = ""
    for i, line in enumerate(lines):
        if start is None:
            if line.startswith("{") or (re.match(r"^[A-Za-z_].*\)\s*\{\s*$", line) and "=" not in line):
                # the signature is the nearest preceding lines back to a blank line or a ';', '}' or '#'
                j = i if not line.startswith("{") else i - 1
                sig = []
                while j >= 0 and lines[j].strip() and not re.match(r"^[#}]|.*;\s*$", lines[j]):
                    sig.insert(0, lines[j].strip())
                    j -= 1
                signature = " ".join(sig)
                if "(" in signature and not re.match(r"^(struct|enum|union|typedef|static const|const)\b.*=", signature):
                    start = i
        elif line.startswith("}"):
            yield signature, start + 1, i - start - 1
            start = None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--max", type=int, default=100)
    ap.add_argument("dirs", nargs="+")
    args = ap.parse_args()
    bad = 0
    for top in args.dirs:
        if not os.path.isdir(top):
            print(f"check-function-length: {top}: not a directory", file=sys.stderr)
            return 2
        for root, _, files in os.walk(top):
            for name in sorted(files):
                if not name.endswith(SOURCE):
                    continue
                path = os.path.join(root, name)
                for sig, line, length in functions(path):
                    if length > args.max and not EXEMPT.search(sig):
                        name_match = re.search(r"([A-Za-z_]\w*)\s*\(", sig)
                        fn = name_match.group(1) if name_match else sig
                        print(f"{path}:{line}: {fn} is {length} lines long (limit {args.max})")
                        bad += 1
    if bad:
        print(f"check-function-length: {bad} function(s) over {args.max} lines", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
