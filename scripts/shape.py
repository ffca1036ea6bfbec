#!/usr/bin/env python3
"""The code's shape, as docs/architecture.md promises it: file sizes, and import circles.

    python3 scripts/shape.py           print the figures
    python3 scripts/shape.py --check   also fail (exit 1) when a promise is broken:
                                       a circle among src/'s top-level modules, among the
                                       features, or among the core crate's modules; a source
                                       or test file over 600 lines; a handler in
                                       src/features that picks an error's status or
                                       message by hand

Imports are read from the source: `use` trees (groups expanded) and inline `crate::`/`super::`
paths, each resolved to the longest module path that is a file. A module's edges are the
modules its files name. Good enough for a convention check; the compiler is not involved.
"""
import os, re, statistics, sys
from collections import defaultdict

ROOTS = ['src', 'crates/zhengwu-core/src', 'crates/zhengwu-types/src', 'crates/zhengwu-crypto/src']
# Sizes are checked in the tests too.
SIZE_ROOTS = ROOTS + ['tests', 'crates/zhengwu-core/tests', 'bench']
MAX_LINES = 600
WHOLE: set = set()  # files allowed to stay whole past the limit (none)


def rs_files(root):
    for d, _, fs in os.walk(root):
        for f in sorted(fs):
            if f.endswith('.rs'):
                yield os.path.join(d, f)


def module_of(path, root):
    rel = os.path.relpath(path, root)[:-3].split(os.sep)
    if rel[-1] in ('mod', 'lib', 'main'):
        rel = rel[:-1]
    return tuple(rel)


def split_top(body):
    parts, depth, cur = [], 0, ''
    for ch in body:
        depth += ch == '{'
        depth -= ch == '}'
        if ch == ',' and depth == 0:
            parts.append(cur)
            cur = ''
        else:
            cur += ch
    return [p.strip() for p in parts + [cur] if p.strip()]


def expand(prefix, body):
    out = []
    for p in split_top(body):
        if '{' in p:
            head, rest = p.split('{', 1)
            if '}' not in rest:
                continue  # not a use tree (a word in a string)
            out += expand(prefix + [x for x in head.strip().rstrip(':').split('::') if x], rest[:rest.rindex('}')])
        else:
            out.append(prefix + [x for x in p.split(' as ')[0].strip().split('::') if x])
    return out


def references(text, me):
    text = re.sub(r'//[^\n]*', '', text)
    paths = []
    for m in re.finditer(r'\buse\s+([^;]+);', text):
        paths += expand([], m.group(1).strip())
    for m in re.finditer(r'(?<![\w$])(crate|super|self)((?:::[A-Za-z_]\w*)+)', text):
        paths.append([m.group(1)] + m.group(2).strip(':').split('::'))
    for p in paths:
        if not p:
            continue
        if p[0] == 'crate':
            yield tuple(p[1:])
        elif p[0] == 'super':
            base, q = list(me), list(p)
            while q and q[0] == 'super':
                base, q = base[:-1], q[1:]
            yield tuple(base + q)
        elif p[0] == 'self':
            yield tuple(list(me) + p[1:])


def file_graph(root):
    files = {module_of(f, root): f for f in rs_files(root)}
    g = defaultdict(set)
    for mod, f in files.items():
        for p in references(open(f, encoding='utf-8').read(), mod):
            for n in range(len(p), 0, -1):
                if p[:n] in files:
                    if p[:n] != mod[:n]:
                        g[mod].add(p[:n])
                    break
    return files, g


def circles(nodes, g):
    """Strongly connected components with more than one node (Tarjan)."""
    index, low, stack, on, out, counter = {}, {}, [], set(), [], [0]
    sys.setrecursionlimit(10000)

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(g.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            c = []
            while True:
                w = stack.pop()
                on.discard(w)
                c.append(w)
                if w == v:
                    break
            if len(c) > 1:
                out.append(sorted(c))

    for v in sorted(nodes):
        if v not in index:
            visit(v)
    return out


def level_circles(root, key):
    files, g = file_graph(root)
    lg = defaultdict(set)
    for a, bs in g.items():
        for b in bs:
            ka, kb = key(a), key(b)
            if ka and kb and ka != kb:
                lg[ka].add(kb)
    nodes = {key(m) for m in files if key(m)}
    return circles(nodes, lg)


def main():
    check = '--check' in sys.argv
    broken = []
    sizes = [(sum(1 for _ in open(f, encoding='utf-8')), f) for r in SIZE_ROOTS for f in rs_files(r)]
    n = sorted(s for s, _ in sizes)
    print(f'source files: {len(n)}, lines: {sum(n)}, median {statistics.median(n):.0f}, '
          f'over 400: {sum(x > 400 for x in n)}, over 600: {sum(x > MAX_LINES for x in n)}, largest {n[-1]}')
    buckets = [(0, 50), (51, 100), (101, 150), (151, 200), (201, 300), (301, 400), (401, 600), (601, None)]
    print('  lines per file: ' + ', '.join(
        f'{a}–{b or "…"}: {sum(a <= x <= (b or 10**9) for x in n)}' for a, b in buckets))
    for s, f in sorted(sizes, reverse=True):
        if s > MAX_LINES:
            print(f'  {s:5} {f}' + ('  (one thing: allowed)' if f in WHOLE else ''))
            if f not in WHOLE:
                broken.append(f'{f}: {s} lines (over {MAX_LINES})')
    checks = [
        ('src: top-level modules', 'src', lambda m: m[:1]),
        ('src: features', 'src', lambda m: m[:2] if m[:1] == ('features',) and len(m) > 1 else None),
        ('zhengwu-core: modules', 'crates/zhengwu-core/src', lambda m: m[:1]),
        ('zhengwu-types: modules', 'crates/zhengwu-types/src', lambda m: m[:1]),
    ]
    for name, root, key in checks:
        cs = level_circles(root, key)
        print(f'{name}: {len(cs)} import circle(s)' + ''.join(
            '\n  ' + ' ↔ '.join('::'.join(m) for m in c) for c in cs))
        broken += [f'{name}: ' + ' ↔ '.join('::'.join(m) for m in c) for c in cs]
    # One error path: handlers do not pick a status or a message for a domain error by hand —
    # `web::errors` does, from each error's `Failure` table.
    by_hand = re.compile(r'Err\((?:\w+::)?\w+Error::(?:NotFound|Forbidden|Db|Audit)\b|"没有权限"|StatusCode::FORBIDDEN, "')
    hand = [f'{f}:{i}' for f in rs_files('src/features') for i, line in enumerate(open(f, encoding='utf-8'), 1)
            if by_hand.search(line)]
    print(f'error matches by hand in features: {len(hand)}' + ''.join(f'\n  {h}' for h in hand))
    broken += [f'{h}: a status or message picked by hand (use web::errors)' for h in hand]
    if check and broken:
        print('error: the shape promised in docs/architecture.md is broken:\n  ' + '\n  '.join(broken))
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
