"""Benchmark of the automatic expert assignment (SPEC §5.4, §9).

    .venv/bin/python bench/assign.py                    # 10,000 applications x 3,000 experts, k=5
    .venv/bin/python bench/assign.py --scale national   # 270,000 applications x 60,000 experts, k=5
    .venv/bin/python bench/assign.py --check            # also verify every rule pair by pair (not timed)

A synthetic call is generated with a fixed seed: 30 first-level disciplines (3-8 second-level ones each, uneven
sizes), a unit tree (300 units under 30 institutes; national: 3,000 under 300), per-discipline keyword vocabularies,
experts with former units (20 %), some with a second discipline; 0-3 excluded experts per application, declared
conflicts, applicants who are also experts, institutional and public e-mail addresses, Chinese names.
Expert caps are drawn so that total capacity is ~1.2x the k x applications needed.

Timed (`total` is the wall time of all of it, from the input dataclasses to committed rows):
  conflicts  indexing the input + bulk hard-conflict masks
  affinity   discipline/keyword affinity + per-application / per-expert candidate selection
  solve      greedy baseline (its pairs seed the flow graph) + min-cost flow + shortfalls + warnings
  db write   the assignment rows written with sqlite3 executemany into a table
             assignment(application_id, expert_id, affinity) of a fresh SQLite file, committed.
             STAND-IN for the database write: the app's models do not exist yet; switch to them later.
Peak memory is resource.getrusage(RUSAGE_SELF).ru_maxrss of the whole process (generation included).
"""
from __future__ import annotations

import argparse
import os
import resource
import sqlite3
import sys
import tempfile
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from portal.reviews.assignment import (  # noqa: E402
    Application, Expert, Problem, Unit, assign, check_pairs, greedy_assign, prepare,
)

SCALES = {
    "default": dict(apps=10_000, experts=3_000, units=300, roots=30),
    "national": dict(apps=270_000, experts=60_000, units=3_000, roots=300),
}
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建国文辉玲红鹏飞宇浩然子涵欣怡梓轩思远晓东海波志强春梅"
PUBLIC = ["qq.com", "163.com", "126.com", "gmail.com", "foxmail.com", "outlook.com"]
REF_YEAR = 2025
DISCIPLINE_NAMES = [
    ("数学", "Mathematics"), ("力学", "Mechanics"), ("天文学", "Astronomy"), ("物理学", "Physics"),
    ("化学", "Chemistry"), ("地理学", "Geography"), ("地质学", "Geology"), ("地球物理学", "Geophysics"),
    ("大气科学", "Atmospheric sciences"), ("海洋科学", "Marine sciences"), ("生物学", "Biology"),
    ("生态学", "Ecology"), ("农学", "Agronomy"), ("林学", "Forestry"), ("基础医学", "Basic medicine"),
    ("临床医学", "Clinical medicine"), ("药学", "Pharmacy"), ("材料科学", "Materials science"),
    ("冶金工程", "Metallurgy"), ("机械工程", "Mechanical engineering"), ("电气工程", "Electrical engineering"),
    ("电子科学", "Electronics"), ("计算机科学", "Computer science"), ("自动化", "Automation"),
    ("土木工程", "Civil engineering"), ("水利工程", "Hydraulic engineering"), ("化学工程", "Chemical engineering"),
    ("能源科学", "Energy science"), ("环境科学", "Environmental science"), ("管理科学", "Management science"),
]


def generate(apps: int, experts: int, units: int, roots: int, k: int = 5, seed: int = 20250601,
             cap_factor: float = 1.2) -> Problem:
    rng = np.random.default_rng(seed)
    unit_objs = [Unit(u, None if u < roots else int(rng.integers(0, u))) for u in range(units)]
    root = list(range(units))
    for u in range(roots, units):
        root[u] = root[unit_objs[u].parent_id]
    n_disc = 30
    first = [f"D{i + 1:02d}" for i in range(n_disc)]
    seconds = [[f"{f}.{j + 1:02d}" for j in range(int(rng.integers(3, 9)))] for f in first]
    weights = rng.uniform(0.5, 1.5, n_disc)
    weights /= weights.sum()
    vocab = [[f"{f}-kw{j:03d}" for j in range(150)] for f in first]
    focus = {(d, s): rng.choice(150, 20, replace=False) for d in range(n_disc) for s in range(len(seconds[d]))}

    def keywords(d: int, s: int, n: int) -> frozenset:
        own = rng.random(n) < 0.7
        picks = np.where(own, focus[(d, s)][rng.integers(0, 20, n)], rng.integers(0, 150, n))
        return frozenset(vocab[d][j] for j in picks.tolist())

    def name() -> str:
        n_given = 1 if rng.random() < 0.4 else 2
        return SURNAMES[int(rng.integers(len(SURNAMES)))] + "".join(
            GIVEN[int(i)] for i in rng.integers(0, len(GIVEN), n_given))

    def email(tag: str, u: int) -> str:
        if rng.random() < 0.35:
            return f"{tag}@{PUBLIC[int(rng.integers(len(PUBLIC)))]}"
        inst = root[u] if rng.random() < 0.9 else int(rng.integers(roots))
        return f"{tag}@inst{inst}.ac.cn"

    mean_cap = k * apps / experts * cap_factor
    lo_cap, hi_cap = max(1, round(mean_cap * 0.75)), round(mean_cap * 1.25)
    e_disc = rng.choice(n_disc, experts, p=weights)
    by_disc: list[list[int]] = [[] for _ in range(n_disc)]
    expert_objs = []
    for i in range(experts):
        d = int(e_disc[i])
        s = int(rng.integers(len(seconds[d])))
        discs = [(first[d], seconds[d][s])]
        if rng.random() < 0.3:
            discs.append((first[d], seconds[d][int(rng.integers(len(seconds[d])))]))
        if rng.random() < 0.05:
            d2 = int(rng.integers(n_disc))
            discs.append((first[d2], seconds[d2][int(rng.integers(len(seconds[d2])))]))
            by_disc[d2].append(i + 1)
        by_disc[d].append(i + 1)
        u = int(rng.integers(units))
        former = ()
        if rng.random() < 0.2:
            former = tuple((int(rng.integers(units)), REF_YEAR - int(rng.integers(0, 7)))
                           for _ in range(int(rng.integers(1, 3))))
        expert_objs.append(Expert(
            id=i + 1, person_id=f"E{i + 1}", unit_id=u, disciplines=tuple(dict.fromkeys(discs)),
            keywords=keywords(d, s, int(rng.integers(4, 9))), former_units=former,
            cap=int(rng.integers(lo_cap, hi_cap + 1)), email=email(f"e{i + 1}", u), name=name()))
    a_disc = rng.choice(n_disc, apps, p=weights)
    app_objs, declared = [], set()
    for i in range(apps):
        d = int(a_disc[i])
        s = int(rng.integers(len(seconds[d])))
        pool = by_disc[d]
        person = f"P{i + 1}"
        if pool and rng.random() < 0.01:
            person = f"E{pool[int(rng.integers(len(pool)))]}"  # an expert applying
        n_excl = int(rng.integers(0, 4)) if pool else 0
        excluded = frozenset(pool[int(j)] for j in rng.integers(0, max(len(pool), 1), n_excl))
        if pool and rng.random() < 0.3:
            declared.add((person, f"E{pool[int(rng.integers(len(pool)))]}"))
        u = int(rng.integers(units))
        app_objs.append(Application(
            id=i + 1, person_id=person, unit_id=u, discipline=(first[d], seconds[d][s]),
            keywords=keywords(d, s, int(rng.integers(3, 7))), excluded_expert_ids=excluded,
            email=email(f"a{i + 1}", u), name=name()))
    names = {f: DISCIPLINE_NAMES[i] for i, f in enumerate(first)}
    return Problem(unit_objs, expert_objs, app_objs, declared, k=k, reference_year=REF_YEAR, discipline_names=names)


def write_sqlite(path: str, pairs: list) -> None:
    con = sqlite3.connect(path)
    try:
        con.execute("CREATE TABLE assignment (application_id INTEGER NOT NULL, expert_id INTEGER NOT NULL, "
                    "affinity REAL NOT NULL, PRIMARY KEY (application_id, expert_id))")
        con.executemany("INSERT INTO assignment VALUES (?, ?, ?)", pairs)
        con.commit()
    finally:
        con.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scale", choices=sorted(SCALES), default="default")
    ap.add_argument("-k", type=int, default=5)
    ap.add_argument("--seed", type=int, default=20250601)
    ap.add_argument("--check", action="store_true", help="verify every rule pair by pair and run greedy_assign")
    args = ap.parse_args()
    sc = SCALES[args.scale]
    t = time.perf_counter()
    problem = generate(**sc, k=args.k, seed=args.seed)
    print(f"scale: {args.scale}: {sc['apps']:,} applications x {len(problem.experts):,} experts, k={args.k}, "
          f"{sc['units']:,} units, {len(problem.declared_conflicts):,} declared conflicts "
          f"(generated in {time.perf_counter() - t:.1f} s)", flush=True)

    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        prep = prepare(problem)
        res = assign(prep)
        t1 = time.perf_counter()
        write_sqlite(os.path.join(tmp, "assign.sqlite3"), res.pairs)
        t_db = time.perf_counter() - t1
        total = time.perf_counter() - t0
    tm = res.stats["timings"]
    print(f"conflicts: {tm['index'] + tm['conflicts']:.2f} s")
    print(f"affinity: {tm['affinity'] + tm['candidates']:.2f} s")
    print(f"solve: {tm['solve']:.2f} s")
    print(f"db write: {t_db:.2f} s  (sqlite3 executemany of {len(res.pairs):,} rows into a file: stand-in for the "
          f"app's models)")
    print(f"total: {total:.2f} s")
    print(f"objective: {res.objective:.3f} (greedy: {res.stats['greedy_objective']:.3f})")
    print(f"peak memory: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    print(f"detail: index {tm['index']:.2f} s, masks {tm['conflicts']:.2f} s, scores {tm['affinity']:.2f} s, "
          f"candidates {tm['candidates']:.2f} s, greedy {tm['greedy']:.2f} s, flow+result "
          f"{tm['solve'] - tm['greedy']:.2f} s (result {tm['result']:.2f} s); arcs {res.stats['arcs']:,}, "
          f"rounds {res.stats['rounds']}; filled {res.filled:,}/{args.k * sc['apps']:,} "
          f"(greedy {res.stats['greedy_filled']:,}), max proven {res.stats['max_filled']}; "
          f"shortfalls {len(res.shortfalls):,}; warnings {len(res.warnings):,}")
    if args.check:
        t = time.perf_counter()
        bad = check_pairs(prep.index, res.pairs)
        g = greedy_assign(prep)
        print(f"check: {len(bad)} violations; greedy_assign objective {g.objective:.3f}, filled {g.filled:,} "
              f"({time.perf_counter() - t:.1f} s)")
        if bad:
            print(bad[:10])
            sys.exit(1)


if __name__ == "__main__":
    main()
