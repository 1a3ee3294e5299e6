#!/usr/bin/env python3
"""libboltrtc's boundary, checked on the built shared library and the sources:

  exports   the .so's exported functions are exactly the brtc_* functions that
            include/boltrtc/ declares with BRTC_EXPORT; every function declared there carries
            BRTC_EXPORT; the SONAME is libboltrtc.so.<abi> (BOLTRTC_ABI); NEEDED names only OpenSSL and
            the C library (no libvpx, turbojpeg, openh264, cJSON, http-parser, libwebsockets).
  includes  apps/ and examples/ include only include/boltrtc/ headers (apps/ also the
            server's own signal/server.h and websocket/websocket.h, whose frames the camera's
            room client reuses, and the media sources' sources/source.h), and headers of
            their own folder.
  program   a program (the boltrtc server, an example) loads libboltrtc.so.<abi> (BOLTRTC_ABI): it is
            built on the shared library, not on the cores' insides.

  check_boundary.py exports LIB.so MAJOR HEADER_DIR...
  check_boundary.py includes SOURCE_DIR
  check_boundary.py program MAJOR PROGRAM...
Prints what is wrong and exits 1, or prints a summary and exits 0."""
import pathlib
import re
import subprocess
import sys

# What the library may depend on at run time. Sanitizer runtimes appear in sanitizer builds.
ALLOWED_NEEDED = re.compile(r"^(libssl\.so\.3|libcrypto\.so\.3|libc\.so\.6|libpthread\.so\.0|"
                            r"libm\.so\.6|libdl\.so\.2|ld-linux.*|lib(a|ub|l)san\.so\.\d+|"
                            r"libgcc_s\.so\.1|libstdc\+\+\.so\.6)$")
# Symbols a sanitizer or the toolchain adds to every shared object.
TOOLCHAIN_SYMBOL = re.compile(r"^(_init|_fini|__(asan|ubsan|lsan|sanitizer|odr_asan|sancov).*)$")

DECLARATION = re.compile(r"^(?!typedef\b)(?:BRTC_EXPORT\s+)?[A-Za-z_][\w\s\*]*?\b(brtc_\w+)\s*\(",
                         re.M)
EXPORTED = re.compile(r"^BRTC_EXPORT\s+[^;]*?\b(brtc_\w+)\s*\(", re.M)


def strip_comments(text):
    return re.sub(r"/\*.*?\*/", lambda m: "\n" * m.group(0).count("\n"), text, flags=re.S)


def header_functions(dirs):
    declared, marked = {}, set()
    for d in dirs:
        for h in sorted(pathlib.Path(d).glob("*.h")):
            text = strip_comments(h.read_text())
            for m in DECLARATION.finditer(text):
                declared[m.group(1)] = h.name
            marked.update(m.group(1) for m in EXPORTED.finditer(text))
    return declared, marked


def dynamic(lib, *args):
    return subprocess.run(args + (lib,), check=True, capture_output=True, text=True).stdout


def check_exports(lib, major, header_dirs):
    faults = []
    declared, marked = header_functions(header_dirs)
    for name in sorted(set(declared) - marked):
        faults.append(f"{declared[name]}: {name} is declared without BRTC_EXPORT")
    exported = set()
    for line in dynamic(lib, "nm", "-D", "--defined-only").splitlines():
        parts = line.split()
        if len(parts) == 3 and not TOOLCHAIN_SYMBOL.match(parts[2]):
            exported.add(parts[2])
    for name in sorted(exported - marked):
        faults.append(f"{lib}: exports {name}, which include/boltrtc/ does not declare "
                      "with BRTC_EXPORT")
    for name in sorted(marked - exported):
        faults.append(f"{lib}: does not export {name}, declared with BRTC_EXPORT in "
                      f"{declared.get(name, '?')}")
    soname, needed = None, []
    for line in dynamic(lib, "readelf", "-d").splitlines():
        m = re.search(r"\((SONAME|NEEDED)\)\s+.*\[(.+)\]", line)
        if m and m.group(1) == "SONAME":
            soname = m.group(2)
        elif m:
            needed.append(m.group(2))
    if soname != f"libboltrtc.so.{major}":
        faults.append(f"{lib}: SONAME is {soname}, not libboltrtc.so.{major}")
    for n in needed:
        if not ALLOWED_NEEDED.match(n):
            faults.append(f"{lib}: needs {n}; libboltrtc links OpenSSL and libc only")
    if not faults:
        print(f"ok: {len(exported)} exported functions, all declared with BRTC_EXPORT; "
              f"SONAME {soname}; NEEDED {', '.join(needed)}")
    return faults


INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def check_includes(src):
    faults, seen = [], 0
    # apps/ may also use the media sources, a tools library on top of libboltrtc like the
    # server (src/sources: files, the test pattern, cameras; `boltrtc publish` plays them).
    for folder, allowed in (("apps", {"signal/server.h", "websocket/websocket.h", "sources/source.h"}),
                            ("examples", set())):
        for f in sorted((pathlib.Path(src) / folder).glob("*.[ch]")):
            for inc in INCLUDE.findall(f.read_text()):
                seen += 1
                own = "/" not in inc and (f.parent / inc).is_file()  # the folder's own header
                if not inc.startswith("boltrtc/") and inc not in allowed and not own:
                    faults.append(f"{folder}/{f.name}: includes \"{inc}\", not a public header")
    if not faults:
        print(f"ok: {seen} includes in apps/ and examples/, all public (or the server's own)")
    return faults


def check_programs(major, programs):
    faults = []
    for p in programs:
        needed = re.findall(r"\(NEEDED\)\s+.*\[(.+)\]", dynamic(p, "readelf", "-d"))
        if f"libboltrtc.so.{major}" not in needed:
            faults.append(f"{p}: does not load libboltrtc.so.{major} (NEEDED {', '.join(needed)})")
    if not faults:
        print(f"ok: {len(programs)} programs load libboltrtc.so.{major}")
    return faults


def main(argv):
    if len(argv) >= 4 and argv[1] == "exports":
        faults = check_exports(argv[2], argv[3], argv[4:])
    elif len(argv) >= 4 and argv[1] == "program":
        faults = check_programs(argv[2], argv[3:])
    elif len(argv) == 3 and argv[1] == "includes":
        faults = check_includes(argv[2])
    else:
        print(__doc__)
        return 2
    for f in faults:
        print("FAIL", f)
    return 1 if faults else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
