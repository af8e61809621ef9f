#!/usr/bin/env python3
"""test-examples ROOT CC [CC-ARGS...]: every C example in the docs compiles as printed.

Extracts each C code block from README.md and docs/*.md (```c fences), from
the man pages (.Bd -literal blocks outside SYNOPSIS, which repeats the
header's declarations) and from the comments of include/cmsgbuf.h (lines
indented by a tab after " *"), and compiles each with CC as the body of a
function returning int, under -std=c11 -Wall -Wextra -Werror (a fragment may
declare a variable it does not use itself: -Wno-unused-variable).

Every block states what it assumes on the line just before it, in the
comment syntax of its file:

    <!-- assumes: int sock; struct iovec iov; -->      (markdown)
    .\\" assumes: int sock; struct iovec iov;           (man page)
     * assumes: int sock; struct iovec iov;             (header comment)

The assumptions are C declarations, placed at file scope after the headers
every example may use (cmsgbuf.h, err.h, errno.h, stdio.h, stdlib.h,
string.h, unistd.h, sys/socket.h, sys/uio.h); "#define NAME" items (feature
macros) go before them, and "-W..." items are compiler flags for that block
alone (a "before" example that shows a bug a compiler reports gives
-Wno-error, so that the bug is reported without failing the test). "assumes: nothing" assumes nothing. A block without
the line fails, as does one that does not compile; errors point at the line
of the document.
"""
import glob
import os
import re
import subprocess
import sys
import tempfile

HEADERS = ["err.h", "errno.h", "stdio.h", "stdlib.h", "string.h", "unistd.h",
           "sys/socket.h", "sys/uio.h", "cmsgbuf.h"]
FLAGS = ["-std=c11", "-Wall", "-Wextra", "-Werror", "-Wno-unused-variable", "-O2"]


class Block:
    def __init__(self, path, line, assumes, code):
        self.path, self.line, self.assumes, self.code = path, line, assumes, code


def assumes_in(text):
    m = re.search(r"assumes:\s*(.*?)\s*(-->)?\s*$", text)
    return m.group(1) if m else None


def markdown_blocks(path):
    lines = open(path, encoding="utf-8").read().split("\n")
    i = 0
    while i < len(lines):
        if lines[i].strip() == "```c":
            prev = next((lines[j] for j in range(i - 1, -1, -1) if lines[j].strip()), "")
            start = i + 1
            end = start
            while end < len(lines) and lines[end].strip() != "```":
                end += 1
            yield Block(path, start + 1, assumes_in(prev) if prev.startswith("<!--") else None,
                        lines[start:end])
            i = end
        i += 1


def roff_unescape(line):
    return (line.replace("\\(aq", "'").replace("\\(dq", '"').replace("\\-", "-")
            .replace("\\&", "").replace("\\e", "\\"))


def man_blocks(path):
    lines = open(path, encoding="utf-8").read().split("\n")
    section = ""
    i = 0
    while i < len(lines):
        if lines[i].startswith(".Sh "):
            section = lines[i][4:].strip()
        elif lines[i].startswith(".Bd -literal") and section != "SYNOPSIS":
            prev = lines[i - 1] if i else ""
            start = i + 1
            end = start
            while end < len(lines) and lines[end] != ".Ed":
                end += 1
            yield Block(path, start + 1, assumes_in(prev) if prev.startswith('.\\"') else None,
                        [roff_unescape(l) for l in lines[start:end]])
            i = end
        i += 1


def header_blocks(path):
    lines = open(path, encoding="utf-8").read().split("\n")
    i = 0
    while i < len(lines):
        if lines[i].startswith(" *\t"):
            start = i
            code = []
            while i < len(lines) and (lines[i].startswith(" *\t") or lines[i].rstrip() == " *"):
                code.append(lines[i][3:] if lines[i].startswith(" *\t") else "")
                i += 1
            while code and not code[-1]:
                code.pop()
            prev = next((lines[j] for j in range(start - 1, -1, -1) if lines[j].rstrip() != " *"), "")
            yield Block(path, start + 1, assumes_in(prev) if prev.startswith(" * assumes:") else None,
                        ["\t" + l if l else l for l in code])
        i += 1


def assumed(block):
    """The block's assumptions: (#define lines, declarations, compiler flags)."""
    defines, decls, flags = [], [], []
    if block.assumes != "nothing":
        for item in block.assumes.split(";"):
            item = item.strip()
            if item.startswith("#define"):
                defines.append(item)
            elif item.startswith("-W"):
                flags.append(item)
            elif item:
                decls.append(item + ";")
    return defines, decls, flags


def source(block, rel):
    defines, decls, _ = assumed(block)
    out = defines + ["#include <%s>" % h for h in HEADERS] + decls
    # (the block in braces of its own, so that no compiler compares the
    # indentation of its last line with the return's)
    out += ["int example(void);", "int example(void)", "{", "{",
            '#line %d "%s"' % (block.line, rel)] + block.code + ["}", "\treturn 0;", "}", ""]
    return "\n".join(out)


def main():
    root, cc = sys.argv[1], sys.argv[2:]
    blocks = {"markdown": [], "man": [], "header": []}
    for path in [os.path.join(root, "README.md")] + sorted(glob.glob(os.path.join(root, "docs", "*.md"))):
        blocks["markdown"] += markdown_blocks(path)
    for path in sorted(glob.glob(os.path.join(root, "docs", "man", "man3", "*.3"))):
        blocks["man"] += man_blocks(path)
    blocks["header"] += header_blocks(os.path.join(root, "include", "cmsgbuf.h"))

    failed = 0
    with tempfile.TemporaryDirectory() as tmp:
        for kind, found in blocks.items():
            if not found:
                print("FAIL no %s example found: the extractor is broken" % kind)
                failed += 1
            for block in found:
                rel = os.path.relpath(block.path, root)
                where = "%s:%d" % (rel, block.line)
                if block.assumes is None:
                    print("FAIL %s: no 'assumes:' line just before the block" % where)
                    failed += 1
                    continue
                src = os.path.join(tmp, "example.c")
                with open(src, "w", encoding="utf-8") as f:
                    f.write(source(block, rel))
                run = subprocess.run(cc + FLAGS + assumed(block)[2] + ["-I", os.path.join(root, "include"),
                                                   "-c", src, "-o", os.path.join(tmp, "example.o")],
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
                if run.returncode != 0:
                    print("FAIL %s: does not compile\n%s" % (where, run.stdout))
                    failed += 1
                else:
                    print("ok   %s" % where)
    total = sum(len(found) for found in blocks.values())
    print("%d of %d examples compile" % (total - failed, total))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
