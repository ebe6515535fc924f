#!/usr/bin/env python3
"""Fails when the store holds any text twice (issue 12, ADR 0014).

Two checks over every .rs file under crates/store/src:
  1. No two files share a run of RUN or more identical lines (compared trimmed). Blank lines,
     lines of only brackets and punctuation, and column plumbing (a line that binds one
     parameter, or reads one column into a field) neither count nor break a run: two tables with
     like columns bind and read them alike, and that is not a query written twice.
  2. No SQL statement text appears twice anywhere, in one file or in two.
Usage: store_duplicates.py [ROOT]   (ROOT defaults to the repository holding this script)
"""
import os
import re
import sys
from collections import defaultdict

RUN = 6
SQL_START = re.compile(r"^\s*(SELECT|INSERT|UPDATE|DELETE|WITH)\b", re.I)
TRIVIAL = re.compile(r"^[\s{}()\[\];,.?&*|=>-]*$")
PLUMBING = re.compile(r'^(\.bind\(.*\)|\w+: .*\bget(::<[^>]*>)?\(\w+, "\w+"\).*,)$')
STRING = re.compile(r'"((?:[^"\\]|\\.)*)"', re.S)


def rust_files(root):
    base = os.path.join(root, "crates", "store", "src")
    for folder, _, files in os.walk(base):
        for name in sorted(files):
            if name.endswith(".rs"):
                yield os.path.join(folder, name)


def significant_lines(path):
    """(line number, trimmed text) of the lines that count."""
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            text = line.strip()
            if text and not TRIVIAL.match(text) and not PLUMBING.match(text):
                yield number, text


def shared_runs(files):
    """Runs of RUN significant lines that occur in more than one file."""
    seen = defaultdict(set)  # run text -> {(path, first line)}
    for path in files:
        lines = list(significant_lines(path))
        for i in range(len(lines) - RUN + 1):
            window = tuple(text for _, text in lines[i : i + RUN])
            seen[window].add((path, lines[i][0]))
    found = []
    for window, places in seen.items():
        if len({p for p, _ in places}) > 1:
            found.append((window, sorted(places)))
    return found


def literal_text(literal):
    """A Rust string literal's text: a `\\` at a line's end continues it without the next line's indentation."""
    return re.sub(r"\\\n\s*", "", literal)


def concat_spans(source):
    """(start, end, text) of each `concat!(...)`: its literals joined, a macro call kept as `name!()`."""
    for m in re.finditer(r"concat!\(", source):
        depth, i, parts = 1, m.end(), []
        while depth and i < len(source):
            if source[i] == '"':
                lit = STRING.match(source, i)
                parts.append(literal_text(lit.group(1)))
                i = lit.end()
                continue
            call = re.match(r"(\w+)!\(\)", source[i:])
            if call:
                parts.append(call.group(0))
                i += call.end()
                continue
            depth += {"(": 1, ")": -1}.get(source[i], 0)
            i += 1
        yield m.start(), i, "".join(parts)


def sql_texts(path):
    """(line number, normalised text) of each SQL text in the file: a string literal, or a
    `concat!` of literals and column macros."""
    with open(path, encoding="utf-8") as f:
        source = f.read()
    found = []
    spans = list(concat_spans(source))
    for start, _, text in spans:
        found.append((start, text))
    for m in STRING.finditer(source):
        if not any(start <= m.start() < end for start, end, _ in spans):
            found.append((m.start(), literal_text(m.group(1))))
    for offset, text in sorted(found):
        if SQL_START.match(text):
            yield source.count("\n", 0, offset) + 1, " ".join(text.split())


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    files = list(rust_files(root))
    if not files:
        print(f"no store sources under {root}/crates/store/src", file=sys.stderr)
        return 1
    failed = False
    for window, places in shared_runs(files):
        failed = True
        where = ", ".join(f"{os.path.relpath(p, root)}:{n}" for p, n in places)
        print(f"the same {RUN} lines appear in {where}:\n    " + "\n    ".join(window))
    statements = defaultdict(list)
    for path in files:
        for number, text in sql_texts(path):
            statements[text].append(f"{os.path.relpath(path, root)}:{number}")
    count = 0
    for text, places in statements.items():
        count += 1
        if len(places) > 1:
            failed = True
            print(f"this SQL is written {len(places)} times ({', '.join(places)}):\n    {text}")
    if failed:
        return 1
    print(f"ok: {len(files)} store files share no run of {RUN} lines; {count} SQL texts, each written once")
    return 0


if __name__ == "__main__":
    sys.exit(main())
