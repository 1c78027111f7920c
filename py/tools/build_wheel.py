"""Builds the ipckit wheel from the Bazel-built extension and the package files.

Run by the //py:wheel genrule:

    python3 build_wheel.py --out ipckit-0.2.0-cp311-cp311-linux_x86_64.whl \
        --version 0.2.0 --tag cp311-cp311-linux_x86_64 \
        --extension _ipckit.cpython-311-x86_64-linux-gnu.so py/ipckit/__init__.py ...

The extension links Debian's libabsl_*.so dynamically. Every shared library it
needs, directly or through another, except the C/C++ runtime that every Linux
system has, is copied into ipckit/.libs/ under its soname; the extension's
DT_RPATH ($ORIGIN/.libs, set at link time) makes the loader use those copies.

The zip is deterministic: sorted entries, fixed timestamps and modes.
"""

import argparse
import base64
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile

PACKAGE = "ipckit"
LIBS_DIR = PACKAGE + "/.libs"
# 1980-01-01, the earliest time a zip entry can hold.
ZIP_TIME = (1980, 1, 1, 0, 0, 0)

# Provided by every glibc-based Linux (the manylinux policy's core set); never
# bundled, since a second copy of libc or libstdc++ in one process breaks it.
SYSTEM_LIBS = re.compile(
    r"^(linux-vdso|ld-linux.*|libc|libm|libdl|librt|libpthread|libutil|libresolv|"
    r"libstdc\+\+|libgcc_s)\.so(\.\d+)*$")

METADATA = """\
Metadata-Version: 2.1
Name: ipckit
Version: {version}
Summary: Fast cross-platform IPC: pipes, named pipes, shared memory, channels, file channels and JSON
License: MIT OR Apache-2.0
Requires-Python: >=3.{minor},<3.{next_minor}
Classifier: Programming Language :: Python :: 3
Classifier: Programming Language :: C++
Classifier: Operating System :: POSIX :: Linux
Classifier: Typing :: Typed
Description-Content-Type: text/markdown

# ipckit

Inter-process communication for Python, backed by a C++ core: `AnonymousPipe`,
`NamedPipe`, `SharedMemory` (buffer protocol, zero-copy), `IpcChannel`
(length-prefixed messages and JSON), `FileChannel` (JSON files for
frontend-backend apps) and fast `json_dumps` / `json_loads`.
API-compatible with ipckit 0.1. Try `python -m ipckit demo`.
"""

WHEEL = """\
Wheel-Version: 1.0
Generator: ipckit build_wheel.py
Root-Is-Purelib: false
Tag: {tag}
"""

ENTRY_POINTS = """\
[console_scripts]
ipckit = ipckit.__main__:main
"""


def needed_libraries(path):
    """The DT_NEEDED sonames of an ELF file."""
    out = subprocess.run(["readelf", "-d", path], check=True, capture_output=True, text=True).stdout
    return re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", out)


def resolved_paths(path):
    """soname -> path as the dynamic loader resolves them for `path` (transitively)."""
    out = subprocess.run(["ldd", path], check=True, capture_output=True, text=True).stdout
    paths = {}
    for line in out.splitlines():
        match = re.match(r"\s*(\S+) => (\S+) \(0x", line)
        if match:
            paths[match.group(1)] = match.group(2)
        elif "not found" in line:
            sys.exit("build_wheel: %s: cannot resolve %s" % (path, line.strip()))
    return paths


def libraries_to_bundle(extension):
    """soname -> path of every non-system library the extension needs, recursively."""
    paths = resolved_paths(extension)
    bundle = {}
    pending = needed_libraries(extension)
    while pending:
        soname = pending.pop()
        if soname in bundle or SYSTEM_LIBS.match(soname):
            continue
        if soname not in paths:
            sys.exit("build_wheel: %s needs %s, which ldd did not resolve" % (extension, soname))
        bundle[soname] = paths[soname]
        pending.extend(needed_libraries(paths[soname]))
    return bundle


def record_line(arcname, data):
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode("ascii")
    return "%s,sha256=%s,%d" % (arcname, digest, len(data))


def stripped(path, workdir):
    """The bytes of `path` without debug symbols (a copy is stripped; the input is untouched)."""
    strip = shutil.which("strip")
    if strip is None:
        with open(path, "rb") as f:
            return f.read()
    copy = os.path.join(workdir, os.path.basename(path))
    shutil.copyfile(path, copy)
    subprocess.run([strip, "--strip-debug", copy], check=True)
    with open(copy, "rb") as f:
        return f.read()


def write_wheel(out, entries):
    """Writes (arcname, bytes, executable) entries; RECORD is built and added last."""
    dist_info = [e for e in entries if ".dist-info/" in e[0]]
    files = sorted(e for e in entries if ".dist-info/" not in e[0]) + sorted(dist_info)
    record_name = dist_info[0][0].split("/")[0] + "/RECORD"
    record = "".join(record_line(name, data) + "\n" for name, data, _ in files)
    record += record_name + ",,\n"
    files.append((record_name, record.encode("utf-8"), False))
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as wheel:
        for name, data, executable in files:
            info = zipfile.ZipInfo(name, date_time=ZIP_TIME)
            info.external_attr = ((0o755 if executable else 0o644) | 0o100000) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3  # Unix, so the modes above are honoured
            wheel.writestr(info, data, compresslevel=9)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", required=True)
    parser.add_argument("--version", required=True)
    parser.add_argument("--tag", required=True, help="e.g. cp311-cp311-linux_x86_64")
    parser.add_argument("--extension", required=True)
    parser.add_argument("package_files", nargs="+",
                        help="files of py/ipckit/, placed under ipckit/ by base name")
    args = parser.parse_args()

    match = re.match(r"cp3(\d+)-", args.tag)
    if not match:
        sys.exit("build_wheel: unexpected tag %r" % args.tag)
    minor = int(match.group(1))

    entries = []
    for path in args.package_files:
        with open(path, "rb") as f:
            entries.append(("%s/%s" % (PACKAGE, os.path.basename(path)), f.read(), False))
    with tempfile.TemporaryDirectory() as workdir:
        entries.append(("%s/%s" % (PACKAGE, os.path.basename(args.extension)),
                        stripped(args.extension, workdir), True))
        for soname, path in sorted(libraries_to_bundle(args.extension).items()):
            entries.append(("%s/%s" % (LIBS_DIR, soname), stripped(path, workdir), True))

    dist_info = "%s-%s.dist-info" % (PACKAGE, args.version)
    metadata = METADATA.format(version=args.version, minor=minor, next_minor=minor + 1)
    entries += [
        (dist_info + "/METADATA", metadata.encode("utf-8"), False),
        (dist_info + "/WHEEL", WHEEL.format(tag=args.tag).encode("utf-8"), False),
        (dist_info + "/top_level.txt", (PACKAGE + "\n").encode("utf-8"), False),
        (dist_info + "/entry_points.txt", ENTRY_POINTS.encode("utf-8"), False),
    ]
    names = [name for name, _, _ in entries]
    if len(names) != len(set(names)):
        sys.exit("build_wheel: duplicate entries in %s" % sorted(names))
    write_wheel(args.out, entries)


if __name__ == "__main__":
    main()
