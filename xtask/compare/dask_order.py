"""Python Dask's `order` on the graph shapes our ordering tests use, for comparison.

Run with a virtual environment that has dask (see README):
    python3 -m venv target/pyref && target/pyref/bin/pip install dask
    target/pyref/bin/python xtask/compare/dask_order.py

Prints Dask's peak memory pressure (results held, from `dask.order.diagnostics`) for
each shape, and how long Dask takes to order a 1M-task tree reduction. Our figures for
the same shapes are asserted in dask-graph/tests/order_cases.rs (where requested
results count as held) and printed by `cargo xtask bench`.
"""
import time

from dask.order import diagnostics, order


def f(*args):
    return 0


def tree(leaves):
    d = {}
    level = []
    for i in range(leaves):
        d[('leaf', i)] = (f,)
        level.append(('leaf', i))
    depth = 0
    while len(level) > 1:
        depth += 1
        nxt = []
        for i in range(0, len(level), 2):
            k = ('sum', depth, i // 2)
            d[k] = (f, *level[i:i+2])
            nxt.append(k)
        level = nxt
    return d

def rows(r, c):
    d = {}
    for i in range(r):
        ks = [('x', i, j) for j in range(c)]
        for k in ks:
            d[k] = (f,)
        d[('rowsum', i)] = (f, *ks)
    return d

def centre(r, c):
    d = {}
    tots = []
    for i in range(r):
        xs = [('x', i, j) for j in range(c)]
        for x in xs:
            d[x] = (f,)
        for j in range(c):
            d[('bs', i, j)] = (f, ('x', i, j))
        d[('mean', i)] = (f, *[('bs', i, j) for j in range(c)])
        for j in range(c):
            d[('cen', i, j)] = (f, ('x', i, j), ('mean', i))
        d[('rt', i)] = (f, *[('cen', i, j) for j in range(c)])
        tots.append(('rt', i))
    d['total'] = (f, *tots)
    return d

for name, d in [('tree 4096 leaves', tree(4096)), ('50 row sums of 8 blocks', rows(50, 8)), ('(x - x.mean(axis=1)).sum(), 20x8 blocks', centre(20, 8))]:
    o = order(d)
    info, pressure = diagnostics(d, o)
    peak = max(pressure)
    print(f"{name}: dask peak pressure {peak}")

t = time.perf_counter()
d = tree(500_000)
t1 = time.perf_counter()
o = order(d)
t2 = time.perf_counter()
print(f"dask: build 1M-task tree dict {t1-t:.2f}s, order {t2-t1:.2f}s")
