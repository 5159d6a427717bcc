#!/usr/bin/env python3
"""Copies the import closure of the Envoy API roots into the build tree.

Usage: proto_closure.py ROOTS_FILE DEPS_DIR OUT_DIR
Prints the closure (paths relative to OUT_DIR), one per line, sorted.
Protobuf's own well-known types (google/protobuf/*) come from the system.
"""
import os
import re
import sys

IMPORT = re.compile(r'^\s*import\s+(?:public\s+|weak\s+)?"([^"]+)"\s*;', re.M)
# The npm package's validate.proto predates the Envoy protos it ships with.
IGNORE_EMPTY = "  optional bool ignore_empty = 26;\n"


def include_dirs(deps):
    return [os.path.join(deps, d) for d in
            ("envoy-api", "xds", "googleapis", "protoc-gen-validate")]


def find(path, dirs):
    for d in dirs:
        candidate = os.path.join(d, path)
        if os.path.isfile(candidate):
            return candidate
    return None


def patch_validate(text):
    if "ignore_empty" in text.split("message StringRules", 1)[-1].split("\n}\n", 1)[0]:
        return text
    start = text.index("message StringRules")
    brace = text.index("{", start)
    return text[:brace + 1] + "\n" + IGNORE_EMPTY + text[brace + 1:]


def main():
    roots_file, deps, out = sys.argv[1:4]
    dirs = include_dirs(deps)
    with open(roots_file) as f:
        pending = [l.strip() for l in f if l.strip() and not l.startswith("#")]
    seen = set()
    while pending:
        path = pending.pop()
        if path in seen or path.startswith("google/protobuf/"):
            continue
        source = find(path, dirs)
        if source is None:
            sys.exit(f"proto_closure: {path} not found under {deps}")
        seen.add(path)
        with open(source) as f:
            text = f.read()
        if path == "validate/validate.proto":
            text = patch_validate(text)
        pending.extend(IMPORT.findall(text))
        target = os.path.join(out, path)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        old = None
        if os.path.exists(target):
            with open(target) as f:
                old = f.read()
        if old != text:  # keep mtimes stable so protoc does not rerun
            with open(target, "w") as f:
                f.write(text)
    for path in sorted(seen):
        print(path)


if __name__ == "__main__":
    main()
