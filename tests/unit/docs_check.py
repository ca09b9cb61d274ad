#!/usr/bin/env python3
"""Keeps the documentation's code compiled (issue 21): every C++ sample lives in a file under
examples/docs/ that the build compiles, and the pages show it rather than a copy.

  docs_check.py pages SOURCE_ROOT   docs/*.md holds no C++ code block (a fenced ```cpp / ```c++
                                    block, a C++-looking unlabelled one, or Doxygen's \\code):
                                    samples are \\snippet regions of examples/docs/*.cpp, and
                                    every \\snippet names a file and region that exist.
  docs_check.py readme SOURCE_ROOT  README.md (GitHub Markdown: no \\snippet there) has exactly
                                    one C++ block, identical to the region `readme` of
                                    examples/docs/readme.cpp.
"""
import pathlib
import re
import sys

FENCE = re.compile(r"^ {0,3}(```+|~~~+)\s*([^\s`]*)")
# Info strings of blocks that are not C++ and need no compiling.
NOT_CPP = {"sh", "bash", "console", "shell", "text", "ini", "sql", "json", "yaml", "toml", "diff"}
# An unlabelled (or "text") block that looks like C++ is a sample in disguise.
LOOKS_CPP = re.compile(r"co_await|#include|\btern::|\bstd::|;\s*$", re.M)
SNIPPET = re.compile(r"^\s*[\\@]snippet\s+(\S+)\s+(.+?)\s*$", re.M)
CODE_CMD = re.compile(r"^\s*[\\@]code\b", re.M)


def blocks(text):
    """(line number, info string, body) of each fenced block."""
    out, lines, i = [], text.split("\n"), 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        fence, info, start = m.group(1), m.group(2).lower(), i
        i += 1
        body = []
        while i < len(lines) and not lines[i].lstrip().startswith(fence):
            body.append(lines[i])
            i += 1
        out.append((start + 1, info, "\n".join(body)))
        i += 1
    return out


def is_cpp(info, body):
    if info in ("", "text"):
        return LOOKS_CPP.search(body) is not None
    return info not in NOT_CPP


def cpp_blocks(text):
    return [(n, info, body) for n, info, body in blocks(text) if is_cpp(info, body)]


def region(path, name):
    """The lines between the two `/// [name]` markers of an examples/docs file, or None."""
    marker = f"/// [{name}]"
    lines = path.read_text().split("\n")
    at = [i for i, line in enumerate(lines) if line.strip() == marker]
    if len(at) != 2:
        return None
    return "\n".join(lines[at[0] + 1:at[1]])


def check_pages(root):
    failures = []
    for page in sorted((root / "docs").glob("*.md")):
        text = page.read_text()
        for n, info, _ in cpp_blocks(text):
            failures.append(f"{page.relative_to(root)}:{n}: a ```{info} block is not compiled: "
                            "move it into examples/docs/ and show it with \\snippet")
        for m in CODE_CMD.finditer(text):
            n = text.count("\n", 0, m.start()) + 1
            failures.append(f"{page.relative_to(root)}:{n}: \\code is not compiled: use \\snippet")
        for m in SNIPPET.finditer(text):
            n = text.count("\n", 0, m.start()) + 1
            path = root / "examples" / "docs" / m.group(1)
            if not path.is_file() or region(path, m.group(2)) is None:
                failures.append(f"{page.relative_to(root)}:{n}: \\snippet {m.group(1)} "
                                f"{m.group(2)}: no such file or region in examples/docs/")
    return failures


def check_readme(root):
    found = cpp_blocks((root / "README.md").read_text())
    if len(found) != 1:
        return [f"README.md: {len(found)} C++ blocks; one is expected (examples/docs/readme.cpp)"]
    n, _, body = found[0]
    want = region(root / "examples" / "docs" / "readme.cpp", "readme")
    if want is None:
        return ["examples/docs/readme.cpp: no `/// [readme]` region"]
    if body.strip("\n") != want.strip("\n"):
        diff = next(i for i, (a, b) in enumerate(
            zip(body.strip("\n").split("\n") + [""], want.strip("\n").split("\n") + [""]))
            if a != b)
        return [f"README.md:{n + 1 + diff}: the example differs from examples/docs/readme.cpp's "
                f"region `readme` (line {diff + 1} of the block): copy the region into README"]
    return []


def main():
    if len(sys.argv) != 3 or sys.argv[1] not in ("pages", "readme"):
        sys.exit(__doc__)
    root = pathlib.Path(sys.argv[2])
    failures = check_pages(root) if sys.argv[1] == "pages" else check_readme(root)
    for f in failures:
        print(f)
    print(f"{len(failures)} problem(s)")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
