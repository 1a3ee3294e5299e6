#!/usr/bin/env python3
"""Checks that docs/journey's chapters cannot rot silently.

For every Markdown file in the folder (docs/journey by default):
  - every relative link points at a file or folder that exists in the repository;
  - a link whose text is a code name, [`name`](path), points at a file that defines that name
    (a C function, macro, type or enum constant; a test; a TypeScript, JavaScript or Python
    function), and so does a code name written just before a link, "`name` in [file](path)" or
    "`name` ([file](path))";
  - a link whose text is a path shows the path it points at;
  - a code name in backticks that starts like boltrtc's (brtc_, BRTC_, pc_, test_) and is not
    linked is defined somewhere in the repository's code;
  - every RFC link is well formed (rfc-editor.org/rfc/rfcN or datatracker.ietf.org/doc/html/
    with a #section-X or #appendix-X anchor or none) and says what it links to: "RFC N" in the
    text for rfcN, "§X" for #section-X, "appendix X" for #appendix-X, the draft's name for a
    draft;
and every numbered chapter (NN-*.md) is linked from the folder's README.md.

  check_links.py [--dir DIR] [--rename OLD=NEW ...] [--expect-errors FILE]

--rename pretends that OLD was renamed NEW in the repository's code, to show that the check
fails when a name a chapter links to changes: with it, the check passes only if it reports
every OLD as no longer defined where a chapter links it, and nothing else. --expect-errors
compares the errors found with the lines of FILE (for the self-check on tests/docs/fixtures)
and fails unless they are the same. Exit status 0 when all is well."""
import argparse
import os
import re
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
CODE_DIRS = ("src", "include", "tests", "apps", "examples", "bench", "fuzz", "web/src",
             "docs/journey/tools")
CODE_EXTS = (".c", ".h", ".ts", ".mjs", ".js", ".py")

LINK_RE = re.compile(r"\[((?:[^\[\]]|\[[^\]]*\])*)\]\(([^)\s]+)\)")
IDENT_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
NAMED_BEFORE_LINK_RE = re.compile(r"`([A-Za-z_][A-Za-z0-9_]*)`(?: in | \()\[[^\]]*\]\(([^)\s]+)\)")
PREFIXED_RE = re.compile(r"^(brtc_|BRTC_|pc_|test_)[A-Za-z0-9_]*$")
RFC_URL_RE = re.compile(
    r"^https://(?:www\.rfc-editor\.org/rfc/(rfc\d+)(?:\.html)?"
    r"|datatracker\.ietf\.org/doc/html/(rfc\d+|draft-[a-z0-9-]+-\d\d))"
    r"(?:#(section|appendix)-([0-9A-Z]+(?:\.[0-9]+)*))?$")


class Source:
    """The repository's files, read once, with the pretended renames applied."""

    def __init__(self, renames):
        self.renames = renames
        self.cache = {}
        self.all_code = None

    def text(self, path):
        if path not in self.cache:
            with open(path, encoding="utf-8", errors="replace") as f:
                t = f.read()
            for old, new in self.renames:
                t = re.sub(rf"\b{re.escape(old)}\b", new, t)
            self.cache[path] = t
        return self.cache[path]

    def code_files(self):
        if self.all_code is None:
            self.all_code = []
            for d in CODE_DIRS:
                for base, dirs, files in os.walk(os.path.join(ROOT, d)):
                    dirs[:] = [x for x in dirs if x not in ("node_modules", "dist", "__pycache__",
                                                            "fixtures", "corpus")]
                    self.all_code += [os.path.join(base, f) for f in files if f.endswith(CODE_EXTS)]
        return self.all_code


def _after_parens(text, open_at):
    """The first character after the parenthesis group opening at open_at, skipping blanks and
    comments; '' at the end."""
    depth, i = 0, open_at
    while i < len(text):
        if text[i] == "(":
            depth += 1
        elif text[i] == ")":
            depth -= 1
            if depth == 0:
                break
        i += 1
    i += 1
    while i < len(text):
        if text[i].isspace():
            i += 1
        elif text.startswith("/*", i):
            end = text.find("*/", i)
            i = len(text) if end < 0 else end + 2
        elif text.startswith("//", i):
            end = text.find("\n", i)
            i = len(text) if end < 0 else end + 1
        else:
            return text[i]
    return ""


def defines(text, path, name):
    """True if the file's text defines name (see the module's doc)."""
    n = re.escape(name)
    if path.endswith((".c", ".h")):
        if re.search(rf"^\s*#\s*define\s+{n}\b", text, re.M):
            return True
        for m in re.finditer(rf"^[A-Za-z_][^;{{}}()\n#]*\b{n}\s*\(", text, re.M):
            nxt = _after_parens(text, m.end() - 1)
            if nxt == "{" or (nxt == ";" and path.endswith(".h")):
                return True
        if path.endswith(".h") and (re.search(rf"^\s+{n}\s*(=|,|$)", text, re.M) or
                                    re.search(rf"}}\s*{n}\s*;", text) or
                                    re.search(rf"\b(struct|enum)\s+{n}\s*{{", text)):
            return True
        return False
    if path.endswith((".ts", ".mjs", ".js")):
        return bool(re.search(rf"\bfunction\s+{n}\s*\(|\b(const|let|var|class)\s+{n}\b", text))
    if path.endswith(".py"):
        return bool(re.search(rf"^\s*(def|class)\s+{n}\b|^{n}\s*=", text, re.M))
    return False


def check_rfc_link(text, url):
    """Errors of one rfc-editor or datatracker link ([] if it is fine)."""
    m = RFC_URL_RE.match(url)
    if not m:
        return [f"malformed RFC link {url}"]
    doc = m.group(1) or m.group(2)
    errors = []
    if doc.startswith("rfc"):
        said = re.search(r"RFC (\d+)", text)
        if not said or f"rfc{said.group(1)}" != doc:
            errors.append(f"link text {text!r} does not name RFC {doc[3:]}")
    elif doc not in text:
        errors.append(f"link text {text!r} does not name {doc}")
    kind, where = m.group(3), m.group(4)
    said_section = re.search(r"§([0-9A-Z]+(?:\.[0-9]+)*)", text)
    said_appendix = re.search(r"appendix ([A-Z](?:\.[0-9]+)*)", text)
    if kind == "section" and (not said_section or said_section.group(1) != where):
        errors.append(f"link text {text!r} does not say §{where}")
    if kind == "appendix" and (not said_appendix or said_appendix.group(1) != where):
        errors.append(f"link text {text!r} does not say appendix {where}")
    if kind is None and (said_section or said_appendix):
        errors.append(f"link text {text!r} names a section the link {url} lacks")
    return errors


def paragraphs(text):
    """(first line number, offsets where its lines start, text with its line breaks made
    spaces) of each paragraph outside code fences, so that a link or a name split over two
    lines is still seen whole."""
    out, buf, first, in_fence = [], [], 0, False

    def flush():
        if buf:
            starts, pos = [], 0
            for line in buf:
                starts.append(pos)
                pos += len(line) + 1
            out.append((first, starts, " ".join(buf)))
        buf.clear()

    for n, line in enumerate(text.split("\n"), 1):
        if line.lstrip().startswith("```"):
            in_fence = not in_fence
            flush()
            continue
        if in_fence or not line.strip():
            flush()
            continue
        if not buf:
            first = n
        buf.append(line)
    flush()
    return out


def check_file(md, src):
    errors = []
    with open(md, encoding="utf-8") as f:
        text = f.read()
    here = os.path.dirname(md)
    for first, starts, para in paragraphs(text):
        def where(offset):
            return f"{os.path.relpath(md, ROOT)}:{first + sum(1 for s in starts if s <= offset) - 1}"

        linked_spans = []
        for m in LINK_RE.finditer(para):
            label, url = m.group(1), m.group(2)
            at = where(m.start())
            linked_spans.append((m.start(), m.end()))
            if url.startswith(("https://www.rfc-editor.org/", "https://datatracker.ietf.org/",
                               "http://www.rfc-editor.org/", "https://tools.ietf.org/")):
                errors += [f"{at}: {e}" for e in check_rfc_link(label, url)]
                continue
            if re.match(r"^[a-z]+:", url) or url.startswith("#"):
                continue  # other sites are not checked here: no network in tests
            target = os.path.normpath(os.path.join(here, url.split("#")[0]))
            if not (target == ROOT or target.startswith(ROOT + os.sep)):
                errors.append(f"{at}: {url} leaves the repository")
                continue
            if not os.path.exists(target):
                errors.append(f"{at}: {url} does not exist")
                continue
            rel = os.path.relpath(target, ROOT)
            name = label[1:-1] if label.startswith("`") and label.endswith("`") else None
            if name and IDENT_RE.match(name):
                if not os.path.isfile(target) or not defines(src.text(target), target, name):
                    errors.append(f"{at}: {name} is not defined in {rel}")
            elif re.match(r"^[\w./-]+\.\w+$", label) and "/" in label and label.strip("`") != rel:
                if not (rel.endswith(label) and rel.startswith("docs/journey/")):
                    errors.append(f"{at}: link text {label} but the link goes to {rel}")
        for m in NAMED_BEFORE_LINK_RE.finditer(para):
            name, url = m.group(1), m.group(2)
            linked_spans.append((m.start(), m.end()))
            target = os.path.normpath(os.path.join(here, url.split("#")[0]))
            if os.path.isfile(target) and not defines(src.text(target), target, name):
                errors.append(f"{where(m.start())}: {name} is not defined in "
                              f"{os.path.relpath(target, ROOT)}")
        for m in re.finditer(r"`([^`]+)`", para):
            name = m.group(1)
            if any(a <= m.start() < b for a, b in linked_spans) or not PREFIXED_RE.match(name):
                continue
            if not any(defines(src.text(p), p, name) for p in src.code_files()):
                errors.append(f"{where(m.start())}: {name} is defined nowhere in the repository's code")
    return errors


def check_dir(folder, src):
    files = sorted(os.path.join(folder, f) for f in os.listdir(folder) if f.endswith(".md"))
    errors = []
    for md in files:
        errors += check_file(md, src)
    readme = os.path.join(folder, "README.md")
    listed = set()
    if os.path.isfile(readme):
        with open(readme, encoding="utf-8") as f:
            listed = {m.group(2).split("#")[0] for m in LINK_RE.finditer(f.read())}
    for md in files:
        base = os.path.basename(md)
        if re.match(r"^\d\d-.*\.md$", base) and base not in listed:
            errors.append(f"{os.path.relpath(md, ROOT)}: not listed in README.md")
    return errors


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--dir", default=os.path.join(ROOT, "docs", "journey"))
    ap.add_argument("--rename", action="append", default=[], metavar="OLD=NEW")
    ap.add_argument("--expect-errors", metavar="FILE")
    a = ap.parse_args()
    src = Source([tuple(r.split("=", 1)) for r in a.rename])
    errors = check_dir(os.path.abspath(a.dir), src)
    if a.expect_errors:
        with open(a.expect_errors) as f:
            want = [line.rstrip("\n") for line in f if line.strip() and not line.startswith("#")]
        missing = [e for e in want if e not in errors]
        extra = [e for e in errors if e not in want]
        for e in missing:
            print(f"expected but not reported: {e}")
        for e in extra:
            print(f"reported but not expected: {e}")
        sys.exit(1 if missing or extra else 0)
    for e in errors:
        print(e)
    if src.renames:
        olds = [old for old, _ in src.renames]
        unreported = [old for old in olds if not any(f": {old} is not defined" in e for e in errors)]
        others = [e for e in errors if not any(f": {old} is " in e for old in olds)]
        if unreported or others:
            sys.exit(f"check_links: renaming did not show as expected: not reported {unreported}, "
                     f"other errors {len(others)}")
        print(f"check_links: each renamed name is reported ({len(errors)} links)")
        return
    if errors:
        sys.exit(1)
    print(f"check_links: {os.path.relpath(a.dir, ROOT)} is consistent with the code")


if __name__ == "__main__":
    main()
