#!/usr/bin/env python3
"""Checks the size limits issue 11 set for src/: no file over 500 lines, no function over 80.

A function is a brace block whose header (the text since the previous ';', '{' or '}')
ends in a parameter list, and that is not a class, struct, enum, union, namespace,
extern "C" block or initializer. Nested lambdas count towards their enclosing
function. Comments and string/char literals are stripped first so braces in them do
not count. Exit 1 with one line per violation, 0 when clean.
"""
import re
import sys
from pathlib import Path

MAX_FILE = 500
MAX_FUNC = 80
NOT_FUNC = re.compile(r'\b(class|struct|enum|union|namespace)\b|extern\s+"C"|=\s*$|^\s*$')


def strip(text):
    out = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith('//', i):
            j = text.find('\n', i)
            i = n if j < 0 else j
        elif text.startswith('/*', i):
            j = text.find('*/', i + 2)
            seg = text[i:n if j < 0 else j + 2]
            out.append('\n' * seg.count('\n'))
            i = n if j < 0 else j + 2
        elif text.startswith('R"', i):
            m = re.match(r'R"([^(]*)\(', text[i:])
            end = text.find(')' + (m.group(1) if m else '') + '"', i)
            seg = text[i:n if end < 0 else end + 2]
            out.append('""' + '\n' * seg.count('\n'))
            i = n if end < 0 else end + 2 + len(m.group(1) if m else '')
        elif c in '"\'':
            j = i + 1
            while j < n and text[j] != c and text[j] != '\n':
                j += 2 if text[j] == '\\' else 1
            out.append(c + c)
            i = j + 1
        else:
            out.append(c)
            i += 1
    return ''.join(out)


def functions(text):
    """Yields (name, first_line, line_count) of every function body."""
    stack = []  # (is_function_outermost, header, start_line)
    header_start = 0
    line = 1
    in_func = 0
    for i, c in enumerate(text):
        if c == '\n':
            line += 1
        elif c == '{':
            header = text[header_start:i].strip()
            is_func = in_func == 0 and header.endswith(')') or (
                in_func == 0 and re.search(r'\)\s*(const|noexcept|override|final|->\s*[\w:<>]+|\s)*$', header)
                and ')' in header)
            if is_func and NOT_FUNC.search(header.split('(')[0] + ('=' if header.rstrip().endswith('=') else '')):
                is_func = False
            stack.append((bool(is_func), header, line))
            if is_func:
                in_func += 1
            header_start = i + 1
        elif c == '}':
            if stack:
                is_func, header, start = stack.pop()
                if is_func:
                    in_func -= 1
                    name = header.split('(')[0].split()[-1] if header.split('(')[0].split() else '?'
                    yield name, start, line - start + 1
            header_start = i + 1
        elif c == ';':
            header_start = i + 1
    return


def main(root):
    bad = []
    for path in sorted(Path(root).rglob('*')):
        if path.suffix not in ('.cpp', '.h', '.cc', '.hpp', '.c') or not path.is_file():
            continue
        raw = path.read_text(encoding='utf-8', errors='replace')
        lines = raw.count('\n')
        if lines > MAX_FILE:
            bad.append(f'{path}: {lines} lines (limit {MAX_FILE})')
        for name, start, count in functions(strip(raw)):
            if count > MAX_FUNC:
                bad.append(f'{path}:{start}: function {name} is {count} lines (limit {MAX_FUNC})')
    for b in bad:
        print(b)
    return 1 if bad else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else 'src'))
