"""Automatic expert assignment (SPEC §5.4): affinity, min-cost-flow solve, greedy baseline, random draw, replacement.

Pure module: no Flask, no SQLAlchemy. Inputs and conflict rules are in `conflicts.py` (re-exported here).

Rules: every application gets `k` experts having its first-level discipline; no expert exceeds its cap; no hard
conflict (see `conflicts.py`); at most one expert from any one unit per application.

Affinity (integers in thousandths, so that every method compares exactly): 600 if the expert has the application's
second-level discipline, else 300 (same first level only), plus round(400 x Jaccard(keywords)) with keywords
NFKC-normalised and case-folded. Range 300..1000, reported as 0.300..1.000.

Flow model (ortools SimpleMinCostFlow, `solve_max_flow_with_min_cost`): source -> expert (capacity = cap) ->
application (capacity 1, cost 1000 - affinity) -> sink (capacity k). Where two or more candidate experts of one
application share a unit, their arcs go through an intermediate node (application, unit) whose arc to the
application has capacity 1. Every unit of flow crosses exactly one expert->application arc, so the maximum flow
with minimum cost fills as many slots as possible and, among those, maximises total affinity. Disciplines linked
by experts holding several first-level codes form components; each component is solved on its own.

Sparsification: the arc set of a component is the union of (a) each application's top-M experts by affinity
(M = max(3k, k + 10) by default), (b) each expert's top-(2 cap + 4) applications, so that experts no application
ranks first still have arcs, and (c) the greedy baseline's pairs, which makes the flow lexicographically at least as
good as greedy (slots filled, then affinity). Components with at most `exact_limit` application x expert pairs
(default 100,000) get every eligible arc, i.e. an exact optimum. After a solve, if an application is short while
one of its eligible experts outside the graph still has spare capacity and a free unit, every eligible arc of every
short application is added and the component re-solved (at most `max_rounds` times).

Determinism: inputs are sorted by id; candidate lists, greedy and replacement break affinity ties by expert id
(then application id); the flow graph is built in that sorted order, so among equally good flows the solver's
choice is the same for the same input whatever its order; no set or dict iteration order reaches the result; the
only randomness is `random.Random(seed)` in `random_draw`.
"""

from __future__ import annotations

import random
from collections import deque
from collections.abc import Hashable, Iterable
from dataclasses import dataclass, field
from time import perf_counter
from typing import Any, Literal

import numpy as np
from ortools.graph.python.min_cost_flow import SimpleMinCostFlow

from ..experts.conflicts import Application, Expert, Problem, ProblemIndex, Unit, Violation, check_pairs, expand  # noqa: F401  (re-exported)

AFF_SCALE = 1000
SECOND_LEVEL_SCORE = 600
FIRST_LEVEL_SCORE = 300
KEYWORD_WEIGHT = 400
CHUNK_ELEMS = 1 << 22  # application x expert cells per dense block
EXACT_PAIRS = 100_000


@dataclass(frozen=True)
class Shortfall:
    application_id: Hashable
    needed: int
    got: int
    reason_zh: str
    reason_en: str
    kind: str = ""  # no_experts | conflicts | units | capacity


@dataclass(frozen=True)
class AssignmentWarning:
    application_id: Hashable
    expert_id: Hashable
    kind: str  # email_domain | similar_name
    detail: str


Warning = AssignmentWarning  # the name used in the issue (shadows the builtin only inside this module)


@dataclass
class AssignmentResult:
    pairs: list[tuple[Hashable, Hashable, float]]  # (application_id, expert_id, affinity), by application id
    shortfalls: list[Shortfall]
    loads: dict[Hashable, int]  # every expert id -> number of applications
    objective: float  # total affinity
    warnings: list[AssignmentWarning]
    method: str = "flow"  # flow | greedy | random
    seed: int | None = None
    stats: dict[str, Any] = field(default_factory=dict)

    @property
    def filled(self) -> int:
        return len(self.pairs)


@dataclass
class Replacement:
    application_id: Hashable
    declined_expert_id: Hashable
    expert_id: Hashable | None  # None when no feasible replacement exists
    affinity: float
    pairs: list[tuple[Hashable, Hashable, float]]  # current pairs with the declined one replaced (or removed)
    warnings: list[AssignmentWarning]
    shortfall: Shortfall | None


@dataclass
class Prepared:
    """Conflicts and affinities computed in bulk, with the sparse candidate lists; reusable across methods."""

    index: ProblemIndex
    cand_e: list[np.ndarray]  # per group: (apps, M) global expert indices, best first, -1 padding
    cand_aff: list[np.ndarray]
    exp_codes: list[np.ndarray]  # per group: expert-side top-N pairs as application * n_experts + expert
    exp_aff: list[np.ndarray]
    eligible: np.ndarray  # per application: number of conflict-free experts of its discipline
    comp_of_group: np.ndarray
    exact: np.ndarray  # per component: all eligible arcs kept
    timings: dict[str, float]


# -- bulk conflicts + affinity -----------------------------------------------------------------------------
def _block(index: ProblemIndex, g: int, rows: np.ndarray, timings: dict[str, float] | None = None) -> np.ndarray:
    """Affinity (int32, thousandths) of group-g application rows x group-g experts; -1 where hard conflict."""
    t0 = perf_counter()
    G = index.groups[g]
    n, m = len(rows), len(G.exp)
    apps = G.apps[rows]
    aff = np.full((n, m), FIRST_LEVEL_SCORE, dtype=np.int32)
    qi, pos = expand(G.sl_keys, index.a_sl[apps])
    aff[qi, G.sl_e[pos]] = SECOND_LEVEL_SCORE
    cnt = index.a_nkw[apps]
    total = int(cnt.sum())
    if total and len(G.kw_keys):
        row = np.repeat(np.arange(n), cnt)
        kid = index.a_kw_ids[np.repeat(index.a_kw_ptr[apps] - (np.cumsum(cnt) - cnt), cnt) + np.arange(total)]
        qi, pos = expand(G.kw_keys, kid)
        if len(qi):
            inter = np.bincount(row[qi] * m + G.kw_e[pos], minlength=n * m)
            nz = np.flatnonzero(inter)
            r, c = np.divmod(nz, m)
            common = inter[nz]
            aff.flat[nz] += np.rint(KEYWORD_WEIGHT * common / (cnt[r] + G.e_nkw[c] - common)).astype(np.int32)
    t1 = perf_counter()
    aff[index.conflict_mask(g, rows)] = -1
    if timings is not None:
        timings["affinity"] += t1 - t0
        timings["conflicts"] += perf_counter() - t1
    return aff


def _sorted_row(index: ProblemIndex, ai: int) -> tuple[np.ndarray, np.ndarray]:
    """Eligible experts (global indices) of one application, best affinity first, ties by expert id."""
    g = int(index.a_group[ai])
    G = index.groups[g]
    aff = _block(index, g, np.array([index.a_row[ai]]))[0]
    ok = np.flatnonzero(aff >= 0)
    ok = ok[np.lexsort((ok, -aff[ok]))]
    return G.exp[ok], aff[ok]


def _components(index: ProblemIndex) -> np.ndarray:
    parent = list(range(len(index.groups)))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for gs in index.e_groups:
        for g in gs[1:]:
            a, b = find(gs[0]), find(g)
            parent[max(a, b)] = min(a, b)
    return np.array([find(g) for g in range(len(parent))], dtype=np.int64)


def prepare(
    problem: Problem | ProblemIndex,
    *,
    per_app: int | None = None,
    per_expert_factor: int = 2,
    exact_limit: int = EXACT_PAIRS,
) -> Prepared:
    """Index the problem, mask hard conflicts and score affinities in bulk, keep the sparse candidate lists."""
    t0 = perf_counter()
    index = problem if isinstance(problem, ProblemIndex) else ProblemIndex(problem)
    timings = {"index": perf_counter() - t0, "conflicts": 0.0, "affinity": 0.0, "candidates": 0.0}
    k, ne = index.k, len(index.experts)
    M = per_app or max(3 * k, k + 10)
    comp = _components(index)
    comp_pairs = np.zeros(len(comp), dtype=np.int64)
    for g, G in enumerate(index.groups):
        comp_pairs[comp[g]] += len(G.apps) * len(G.exp)
    exact = comp_pairs <= exact_limit
    eligible = np.zeros(len(index.apps), dtype=np.int64)
    cand_e, cand_aff, exp_codes, exp_aff = [], [], [], []
    for g, G in enumerate(index.groups):
        na, m = len(G.apps), len(G.exp)
        ex = bool(exact[comp[g]])
        mg = m if ex else min(M, m)
        ce = np.full((na, mg), -1, dtype=np.int64)
        ca = np.full((na, mg), -1, dtype=np.int32)
        n_e = np.minimum(per_expert_factor * (index.e_cap[G.exp] + 2), na)
        nmax = int(n_e.max()) if m else 0
        best = None
        step = max(1, CHUNK_ELEMS // max(m, 1))
        for lo in range(0, na if m else 0, step):
            rows = np.arange(lo, min(na, lo + step))
            aff = _block(index, g, rows, timings)
            t1 = perf_counter()
            eligible[G.apps[rows]] = (aff >= 0).sum(axis=1)
            key = aff.astype(np.int64) * m + (m - 1 - np.arange(m))
            if mg < m:
                part = np.argpartition(-key, mg - 1, axis=1)[:, :mg]
                pk = np.take_along_axis(key, part, axis=1)
            else:
                part, pk = np.broadcast_to(np.arange(m), key.shape), key
            top = np.take_along_axis(part, np.argsort(-pk, axis=1), axis=1)
            ta = np.take_along_axis(aff, top, axis=1)
            ce[rows] = np.where(ta >= 0, G.exp[top], -1)
            ca[rows] = np.where(ta >= 0, ta, -1)
            if not ex and nmax:
                ckey = aff.astype(np.int64) * na + (na - 1 - rows)[:, None]
                if best is not None:
                    ckey = np.concatenate([best, ckey], axis=0)
                best = -np.partition(-ckey, nmax - 1, axis=0)[:nmax] if len(ckey) > nmax else ckey
            timings["candidates"] += perf_counter() - t1
        codes, caff = np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int32)
        if best is not None:
            t1 = perf_counter()
            best = -np.sort(-best, axis=0)
            keep = (best >= 0) & (np.arange(len(best))[:, None] < n_e[None, :])
            _, col = np.nonzero(keep)
            kv = best[keep]
            codes = G.apps[na - 1 - kv % na] * ne + G.exp[col]
            caff = (kv // na).astype(np.int32)
            timings["candidates"] += perf_counter() - t1
        cand_e.append(ce)
        cand_aff.append(ca)
        exp_codes.append(codes)
        exp_aff.append(caff)
    return Prepared(index, cand_e, cand_aff, exp_codes, exp_aff, eligible, comp, exact, timings)


def _prep(problem: Problem | ProblemIndex | Prepared, **kw: Any) -> Prepared:
    return problem if isinstance(problem, Prepared) else prepare(problem, **kw)


def _index(problem: Problem | ProblemIndex | Prepared) -> ProblemIndex:
    if isinstance(problem, Prepared):
        return problem.index
    return problem if isinstance(problem, ProblemIndex) else ProblemIndex(problem)


# -- greedy -------------------------------------------------------------------------------------------------
def _greedy_pairs(prep: Prepared) -> tuple[list[int], list[int], list[int]]:
    """Applications in id order, each taking its best remaining feasible experts."""
    index, k = prep.index, prep.index.k
    cap, unit = index.e_cap.tolist(), index.e_unit.tolist()
    load = [0] * len(cap)
    lists = [(ce.tolist(), ca.tolist()) for ce, ca in zip(prep.cand_e, prep.cand_aff, strict=True)]
    out_a, out_e, out_f = [], [], []
    for ai, (g, r) in enumerate(zip(index.a_group.tolist(), index.a_row.tolist(), strict=True)):
        es, fs = lists[g][0][r], lists[g][1][r]
        used: set[int] = set()
        taken = 0
        for src in (0, 1):
            if src == 1:
                if taken >= k or prep.eligible[ai] <= len(es):
                    break
                row_e, row_f = _sorted_row(index, ai)
                es, fs = row_e[len(es) :].tolist(), row_f[len(fs) :].tolist()
            for e, f in zip(es, fs, strict=True):
                if f < 0 or taken >= k:
                    break
                if load[e] < cap[e] and unit[e] not in used:
                    used.add(unit[e])
                    load[e] += 1
                    taken += 1
                    out_a.append(ai)
                    out_e.append(e)
                    out_f.append(f)
    return out_a, out_e, out_f


def greedy_assign(problem: Problem | ProblemIndex | Prepared, **kw: Any) -> AssignmentResult:
    prep = _prep(problem, **kw)
    t0 = perf_counter()
    a, e, f = _greedy_pairs(prep)
    return _result(
        prep.index,
        np.array(a, dtype=np.int64),
        np.array(e, dtype=np.int64),
        np.array(f, dtype=np.int64),
        "greedy",
        stats={"timings": {**prep.timings, "solve": perf_counter() - t0}},
    )


# -- min-cost flow ------------------------------------------------------------------------------------------
def _solve_flow(index: ProblemIndex, codes: np.ndarray, aff: np.ndarray) -> np.ndarray:
    """Solve one component on the given candidate arcs (unique sorted codes); returns the chosen arc mask."""
    ne, k = len(index.experts), index.k
    a, e = np.divmod(codes, ne)
    ue, e_node = np.unique(e, return_inverse=True)
    ua, a_node = np.unique(a, return_inverse=True)
    n_e, n_a = len(ue), len(ua)
    a0 = 2 + n_e
    nu = len(index.unit_ids)
    ukeys, uinv, ucnt = np.unique(a_node * nu + index.e_unit[e], return_inverse=True, return_counts=True)
    shared = np.flatnonzero(ucnt >= 2)
    unode = np.full(len(ukeys), -1, dtype=np.int64)
    unode[shared] = a0 + n_a + np.arange(len(shared))
    head = np.where(ucnt[uinv] >= 2, unode[uinv], a0 + a_node)
    caps_e = index.e_cap[ue]
    tails = np.concatenate([np.zeros(n_e, np.int64), 2 + e_node, unode[shared], a0 + np.arange(n_a)])
    heads = np.concatenate([2 + np.arange(n_e), head, a0 + ukeys[shared] // nu, np.ones(n_a, np.int64)])
    caps = np.concatenate([caps_e, np.ones(len(codes) + len(shared), np.int64), np.full(n_a, k, np.int64)])
    costs = np.concatenate(
        [np.zeros(n_e, np.int64), AFF_SCALE - aff.astype(np.int64), np.zeros(len(shared) + n_a, np.int64)]
    )
    smcf = SimpleMinCostFlow()
    smcf.add_arcs_with_capacity_and_unit_cost(tails.astype(np.int32), heads.astype(np.int32), caps, costs)
    supply = int(min(caps_e.sum(), k * n_a))
    smcf.set_nodes_supplies(np.array([0, 1], dtype=np.int32), np.array([supply, -supply], dtype=np.int64))
    status = smcf.solve_max_flow_with_min_cost()
    if status != smcf.OPTIMAL:
        raise RuntimeError(f"min-cost flow failed: {status}")
    return np.asarray(smcf.flows(np.arange(n_e, n_e + len(codes), dtype=np.int32))) > 0


def assign(
    problem: Problem | ProblemIndex | Prepared,
    *,
    max_rounds: int = 3,
    search_budget: int = 20_000,
    seed_greedy: bool = True,
    **kw: Any,
) -> AssignmentResult:
    """Optimal assignment by min-cost flow (see the module docstring); `kw` goes to `prepare`.

    `stats["max_filled"]` is True when the number of filled slots is proven maximal on the full (unsparsified)
    problem: exact components, no shortfall, or an augmenting-path search that found nothing."""
    prep = _prep(problem, **kw)
    index, k = prep.index, prep.index.k
    ne = len(index.experts)
    t0 = perf_counter()
    ga, ge, gf = (np.array(x, dtype=np.int64) for x in _greedy_pairs(prep))
    t_greedy = perf_counter() - t0
    g_codes, g_comp = ga * ne + ge, prep.comp_of_group[index.a_group[ga]]
    if not seed_greedy:  # only for testing the sparsification fallback
        g_comp = np.full(len(ga), -1)
    out_codes, out_aff = [], []
    n_arcs, rounds, certified = 0, 0, True
    short_rows: dict[int, tuple[np.ndarray, np.ndarray]] = {}
    for c in np.unique(prep.comp_of_group).tolist():
        groups = np.flatnonzero(prep.comp_of_group == c)
        parts_c, parts_f = [g_codes[g_comp == c]], [gf[g_comp == c]]
        for g in groups.tolist():
            G, ce, ca = index.groups[g], prep.cand_e[g], prep.cand_aff[g]
            ok = ce >= 0
            parts_c += [np.broadcast_to(G.apps[:, None], ce.shape)[ok] * ne + ce[ok], prep.exp_codes[g]]
            parts_f += [ca[ok], prep.exp_aff[g]]
        comp_apps = np.concatenate([index.groups[g].apps for g in groups.tolist()])
        for rnd in range(max_rounds + 1):
            codes, first = np.unique(np.concatenate(parts_c), return_index=True)
            aff = np.concatenate(parts_f)[first]
            chosen = _solve_flow(index, codes, aff) if len(codes) else np.zeros(0, bool)
            rounds = max(rounds, rnd + 1)
            a_ch, e_ch = np.divmod(codes[chosen], ne)
            load = np.bincount(e_ch, minlength=ne)
            got = np.bincount(a_ch, minlength=len(index.apps))
            short = comp_apps[got[comp_apps] < k]
            if not len(short) or prep.exact[c]:
                break
            add_c, add_f, complete = _augmenting_arcs(
                index, short.tolist(), a_ch, e_ch, load, short_rows, search_budget
            )
            if not len(add_c):
                certified = certified and complete
                break
            if rnd == max_rounds:
                certified = False
                break
            parts_c.append(add_c)
            parts_f.append(add_f)
        n_arcs += len(codes)
        out_codes.append(codes[chosen])
        out_aff.append(aff[chosen])
    codes = np.concatenate(out_codes) if out_codes else np.zeros(0, np.int64)
    a, e = np.divmod(codes, ne)
    stats = {
        "timings": {**prep.timings, "greedy": t_greedy, "solve": perf_counter() - t0},
        "arcs": n_arcs,
        "rounds": rounds,
        "max_filled": certified,
        "greedy_objective": int(gf.sum()) / AFF_SCALE,
        "greedy_filled": len(ga),
    }
    return _result(
        index,
        a,
        e,
        np.concatenate(out_aff).astype(np.int64) if out_aff else codes,
        "flow",
        stats=stats,
        rows=short_rows,
    )


# A node of the search in _augmenting_arcs: ("a", application) or ("s", application, unit), the slot the
# application fills with one expert of that unit.
_Node = tuple[Literal["a"], int] | tuple[Literal["s"], int, int]


def _augmenting_arcs(
    index: ProblemIndex,
    short: list[int],
    a_ch: np.ndarray,
    e_ch: np.ndarray,
    load: np.ndarray,
    rows: dict[int, tuple[np.ndarray, np.ndarray]],
    budget: int,
) -> tuple[np.ndarray, np.ndarray, bool]:
    """Arcs missing from the sparse graph that lie on augmenting paths of the full problem.

    Breadth-first search backwards from the short applications over the full residual graph, computing the
    eligible experts of an application only when it is reached: application a -> any eligible expert of a unit a
    does not use yet; expert e -> free (spare capacity: a path) or, for each application a2 that e serves, the slot
    (a2, unit of e); slot (a2, u) -> other eligible experts of unit u for a2, and a2 itself. Returns the new arcs
    (codes, affinities) on the paths found and whether the search was complete (not cut by `budget` rows)."""
    ne, unit, cap = len(index.experts), index.e_unit, index.e_cap
    by_e = np.argsort(e_ch, kind="stable")
    e_sorted, a_by_e = e_ch[by_e], a_ch[by_e]
    # expert -> (application whose eligible arc reached it, previous node)
    seen_e: dict[int, tuple[int, _Node]] = {}
    seen_slot: dict[tuple[int, int], int] = {}
    seen_a: dict[int, _Node | None] = dict.fromkeys(short)
    local: dict[int, tuple[np.ndarray, np.ndarray]] = {}
    queue: deque[_Node] = deque(("a", a) for a in short)
    free: list[int] = []

    def row(a: int) -> tuple[np.ndarray, np.ndarray]:
        r = rows.get(a) or local.get(a)
        if r is None:
            r = _sorted_row(index, a)
            (rows if seen_a.get(a, 0) is None else local)[a] = r  # keep the short ones for the shortfall reasons
        return r

    def mine(a: int) -> np.ndarray:
        lo, hi = np.searchsorted(a_ch, [a, a + 1])
        return e_ch[lo:hi]

    while queue and len(local) <= budget:
        node = queue.popleft()
        a = node[1]
        row_e = row(a)[0]
        if node[0] == "a":
            cands = row_e[~np.isin(unit[row_e], unit[mine(a)])]
        else:
            cands = row_e[(unit[row_e] == node[2]) & ~np.isin(row_e, mine(a))]
            if a not in seen_a:
                seen_a[a] = node
                queue.append(("a", a))
        for e in cands.tolist():
            if e in seen_e:
                continue
            seen_e[e] = (a, node)
            if load[e] < cap[e]:
                free.append(e)
                continue
            lo, hi = np.searchsorted(e_sorted, [e, e + 1])
            for a2 in a_by_e[lo:hi].tolist():
                slot = (a2, int(unit[e]))
                if slot not in seen_slot:
                    seen_slot[slot] = e
                    queue.append(("s", *slot))
    on_path: set[int] = set()
    prev: _Node | None
    for start in free:  # walk each path back to its short application
        at: int | None = start
        while at is not None:
            a, prev = seen_e[at]
            on_path.add(a)
            while prev is not None and prev[0] == "a":
                prev = seen_a[prev[1]]
            at = None if prev is None else seen_slot[prev[1:]]
    if not on_path:
        return np.zeros(0, np.int64), np.zeros(0, np.int32), not queue
    # every eligible arc of the applications on the paths and of the short ones
    apps = sorted(on_path | set(short))
    codes = np.concatenate([a * ne + row(a)[0] for a in apps])
    return codes, np.concatenate([row(a)[1] for a in apps]), not queue


# -- random draw and replacement ----------------------------------------------------------------------------
def random_draw(problem: Problem | ProblemIndex | Prepared, seed: int) -> AssignmentResult:
    """Experts drawn uniformly at random among the feasible ones, applications in id order, `random.Random(seed)`."""
    index = _index(problem)
    rng = random.Random(seed)
    cap, unit = index.e_cap.tolist(), index.e_unit.tolist()
    load = [0] * len(cap)
    out_a, out_e, out_f = [], [], []
    for ai in range(len(index.apps)):
        row_e, row_f = _sorted_row(index, ai)
        order = np.argsort(row_e)
        cands = list(zip(row_e[order].tolist(), row_f[order].tolist(), strict=True))
        used: set[int] = set()
        for _ in range(index.k):
            ok = [(e, f) for e, f in cands if load[e] < cap[e] and unit[e] not in used]
            if not ok:
                break
            e, f = ok[rng.randrange(len(ok))]
            used.add(unit[e])
            load[e] += 1
            out_a.append(ai)
            out_e.append(e)
            out_f.append(f)
    res = _result(
        index,
        np.array(out_a, dtype=np.int64),
        np.array(out_e, dtype=np.int64),
        np.array(out_f, dtype=np.int64),
        "random",
    )
    res.seed = seed
    return res


def replace_expert(
    problem: Problem | ProblemIndex | Prepared,
    current_pairs: Iterable[tuple[Any, ...]],
    application_id: Hashable,
    declined_expert_id: Hashable,
    *,
    exclude: Iterable[Hashable] = (),
) -> Replacement:
    """Best feasible replacement for one declined pair; all other pairs are kept as they are.

    `exclude`: further expert ids not to propose (e.g. experts who declined this application before)."""
    index = _index(problem)
    pairs = [tuple(p) for p in current_pairs]
    ai = index.a_pos[application_id]
    dei = index.e_pos[declined_expert_id]
    load = np.zeros(len(index.experts), dtype=np.int64)
    mine, pos = [], None
    for i, p in enumerate(pairs):
        if p[0] == application_id and p[1] == declined_expert_id:
            pos = i
            continue
        ei = index.e_pos[p[1]]
        load[ei] += 1
        if p[0] == application_id:
            mine.append(ei)
    banned = {dei, *mine, *(index.e_pos[x] for x in exclude if x in index.e_pos)}
    row_e, row_f = _sorted_row(index, ai)
    used = {int(index.e_unit[e]) for e in mine}
    for e, f in zip(row_e.tolist(), row_f.tolist(), strict=True):
        if e not in banned and load[e] < index.e_cap[e] and int(index.e_unit[e]) not in used:
            new = (application_id, index.experts[e].id, f / AFF_SCALE)
            if pos is None:
                pairs.append(new)
            else:
                pairs[pos] = new
            return Replacement(
                application_id, declined_expert_id, new[1], new[2], pairs, _warnings(index, [ai], [e]), None
            )
    if pos is not None:
        del pairs[pos]
    keep = ~np.isin(row_e, sorted(banned - set(mine)))  # the decliner and `exclude` count as unavailable
    sf = _shortfall(index, ai, len(mine), (row_e[keep], row_f[keep]), load, mine)
    return Replacement(application_id, declined_expert_id, None, 0.0, pairs, [], sf)


# -- results ------------------------------------------------------------------------------------------------
def _result(
    index: ProblemIndex,
    a: np.ndarray,
    e: np.ndarray,
    f: np.ndarray,
    method: str,
    *,
    stats: dict[str, Any] | None = None,
    rows: dict[int, tuple[np.ndarray, np.ndarray]] | None = None,
) -> AssignmentResult:
    t0 = perf_counter()
    order = np.lexsort((e, -f, a))
    a, e, f = a[order], e[order], f[order]
    apps, experts = index.apps, index.experts
    pairs = [
        (apps[x].id, experts[y].id, z / AFF_SCALE) for x, y, z in zip(a.tolist(), e.tolist(), f.tolist(), strict=True)
    ]
    load = np.bincount(e, minlength=len(experts))
    got = np.bincount(a, minlength=len(apps))
    bounds = np.searchsorted(a, np.arange(len(apps) + 1))
    shortfalls = []
    for ai in np.flatnonzero(got < index.k).tolist():
        row = (rows or {}).get(ai) or _sorted_row(index, ai)
        shortfalls.append(_shortfall(index, ai, int(got[ai]), row, load, e[bounds[ai] : bounds[ai + 1]].tolist()))
    stats = dict(stats or {})
    stats.setdefault("timings", {})["result"] = perf_counter() - t0
    return AssignmentResult(
        pairs,
        shortfalls,
        dict(zip([x.id for x in experts], load.tolist(), strict=True)),
        int(f.sum()) / AFF_SCALE,
        _warnings(index, a.tolist(), e.tolist()),
        method,
        None,
        stats,
    )


def _warnings(index: ProblemIndex, a: list[int], e: list[int]) -> list[AssignmentWarning]:
    out = []
    for ai, ei in zip(a, e, strict=True):
        for kind, detail in index.potential_conflicts(ai, ei):
            out.append(AssignmentWarning(index.apps[ai].id, index.experts[ei].id, kind, detail))
    return out


def _shortfall(
    index: ProblemIndex, ai: int, got: int, row: tuple[np.ndarray, np.ndarray], load: np.ndarray, mine: list[int]
) -> Shortfall:
    k, app = index.k, index.apps[ai]
    code = app.discipline[0]
    zh, en = index.problem.discipline_names.get(code, ("", ""))
    lz = f"{zh}（{code}）" if zh else code
    le = f"{en} ({code})" if en else code
    pool = len(index.groups[int(index.a_group[ai])].exp)
    row_e = row[0]
    elig = len(row_e)
    units = len(set(index.e_unit[row_e].tolist()))
    others = row_e[~np.isin(row_e, mine)]
    at_cap = int((load[others] >= index.e_cap[others]).sum())
    same_unit = int(np.isin(index.e_unit[others], index.e_unit[mine]).sum()) if mine else 0
    if pool == 0:
        return Shortfall(
            app.id,
            k,
            got,
            f"{lz}学科没有可用的评审专家，需要 {k} 人",
            f"No experts available in discipline {le}; {k} needed",
            "no_experts",
        )
    if elig < k:
        zh_s = f"{lz}学科无利益冲突的专家仅 {elig} 人（学科共 {pool} 人，{pool - elig} 人需回避），需要 {k} 人"
        en_s = (
            f"Only {elig} experts in discipline {le} without conflicts ({pool - elig} of {pool} have a conflict); "
            f"{k} needed"
        )
        if at_cap:
            zh_s += f"；其余专家中 {at_cap} 人已达评审上限"
            en_s += f"; {at_cap} of the others are at their load cap"
        return Shortfall(app.id, k, got, zh_s, en_s, "conflicts")
    if units < k:
        return Shortfall(
            app.id,
            k,
            got,
            f"{lz}学科无利益冲突的 {elig} 名专家仅来自 {units} 个单位（同一单位至多 1 人），需要 {k} 人",
            f"The {elig} experts in discipline {le} without conflicts come from only {units} "
            f"unit{'s' * (units != 1)} "
            f"(at most one per unit); {k} needed",
            "units",
        )
    zh_s = f"{lz}学科有 {elig} 名无利益冲突的专家，但其中 {at_cap} 人已达评审上限"
    en_s = f"{elig} experts in discipline {le} have no conflict, but {at_cap} of them are at their load cap"
    if same_unit:
        zh_s += f"，{same_unit} 人与已分配专家同单位"
        en_s += f" and {same_unit} share a unit with an assigned expert"
    return Shortfall(
        app.id, k, got, zh_s + f"；仅分配到 {got} 人，需要 {k} 人", en_s + f"; got {got}, {k} needed", "capacity"
    )
