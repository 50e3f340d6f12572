"""Experts, applications and their conflicts of interest (SPEC §5.3), computed in bulk.

Pure module: no Flask, no SQLAlchemy, no I/O. `assignment.py` builds on it.

Definitions (precise, as implemented both in bulk and in the per-pair reference `pair_hard_conflicts`):

* Unit branch: units form a forest (a unit with ``parent_id=None`` is a top-level unit, i.e. an institute).
  The *branch* of a unit is its top-level ancestor (the unit itself if it has no parent). Two units are in the
  same branch iff they have the same top-level ancestor; this covers the same unit, ancestor/descendant and
  sibling/cousin sub-units of one institute. (A deployment that models the whole academy as one single root
  would make every pair conflict: model institutes as roots.)
* Hard conflicts (the pair is never assigned):
  ``same_branch``  expert's current unit and applicant's unit are in the same branch;
  ``former_unit``  a former unit of the expert, left in ``until_year >= reference_year - conflict_years``
                   (default 3 years), is in the applicant's unit branch;
  ``excluded``     the expert's id is on the application's exclusion list (回避专家);
  ``declared``     the pair {applicant person, expert person} is in ``declared_conflicts`` (unordered, either
                   side may have declared it);
  ``self``         expert's person id == applicant's person id.
  An expert is a candidate for an application only if one of its disciplines has the application's first-level
  code (``discipline`` otherwise) and its cap is > 0.
* Potential conflicts (reported as warnings for assigned pairs, never silently dropped):
  ``email_domain`` same e-mail domain, or one a subdomain of the other, public mail domains excluded
                   (`PUBLIC_MAIL_DOMAINS`);
  ``similar_name`` same name after normalisation (NFKC, case-folded, spaces and punctuation removed, Latin
                   name parts in any order), or Levenshtein distance <= 1 when both normalised names have
                   >= 3 characters.

Bulk computation: experts are grouped by first-level discipline (only same-group pairs are candidates); per
group, a block of applications x experts is masked with numpy: one broadcast comparison of branch ids, then
sparse (row, column) scatters for recent former units (matched by branch through a sorted index), exclusion
lists, declared conflicts and self pairs. No Python loop over pairs.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

PUBLIC_MAIL_DOMAINS = frozenset(
    {
        "qq.com",
        "vip.qq.com",
        "foxmail.com",
        "163.com",
        "126.com",
        "yeah.net",
        "vip.163.com",
        "vip.126.com",
        "sina.com",
        "sina.cn",
        "vip.sina.com",
        "sohu.com",
        "aliyun.com",
        "139.com",
        "189.cn",
        "wo.cn",
        "tom.com",
        "gmail.com",
        "googlemail.com",
        "outlook.com",
        "hotmail.com",
        "live.com",
        "msn.com",
        "yahoo.com",
        "icloud.com",
        "me.com",
        "protonmail.com",
        "proton.me",
    }
)
HARD_KINDS = ("same_branch", "former_unit", "excluded", "declared", "self")
_EXCLUDED, _DECLARED, _SELF = 1, 2, 4  # bit flags of explicit pairs


class Id(Protocol):
    """What a unit's, expert's or application's id must be: hashable and ordered (they are kept in id order)."""

    def __hash__(self) -> int: ...
    def __lt__(self, other: Any, /) -> bool: ...


@dataclass(frozen=True)
class Unit:
    id: Id
    parent_id: Hashable | None = None


@dataclass(frozen=True)
class Expert:
    id: Id
    person_id: Hashable
    unit_id: Hashable
    disciplines: tuple[tuple[str, str], ...]  # (first_level, second_level) pairs, e.g. ("A", "A01")
    keywords: frozenset[str] = frozenset()
    former_units: tuple[tuple[Hashable, int], ...] = ()  # (unit_id, until_year)
    cap: int = 10  # maximum number of applications in this call
    email: str = ""
    name: str = ""


@dataclass(frozen=True)
class Application:
    id: Id
    person_id: Hashable
    unit_id: Hashable
    discipline: tuple[str, str]  # (first_level, second_level)
    keywords: frozenset[str] = frozenset()
    excluded_expert_ids: frozenset[Hashable] = frozenset()
    email: str = ""
    name: str = ""


@dataclass
class Problem:
    units: Sequence[Unit]
    experts: Sequence[Expert]
    applications: Sequence[Application]
    declared_conflicts: Iterable[tuple[Hashable, Hashable]]  # unordered (person_id, person_id) pairs
    k: int
    reference_year: int
    conflict_years: int = 3
    discipline_names: Mapping[str, tuple[str, str]] = field(default_factory=dict)  # code -> (zh, en)


@dataclass(frozen=True)
class Violation:
    application_id: Hashable
    expert_id: Hashable
    kind: str
    detail: str


def expand(keys_sorted: np.ndarray, query: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """All (i, j) with keys_sorted[j] == query[i], as two index arrays (vectorised equi-join)."""
    lo = np.searchsorted(keys_sorted, query, "left")
    hi = np.searchsorted(keys_sorted, query, "right")
    cnt = hi - lo
    total = int(cnt.sum())
    if total == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty
    qi = np.repeat(np.arange(len(query)), cnt)
    starts = np.repeat(lo - (np.cumsum(cnt) - cnt), cnt)
    return qi, np.arange(total) + starts


def normalize_keyword(word: str) -> str:
    return unicodedata.normalize("NFKC", word).strip().casefold()


@dataclass
class Group:
    """Candidates of one first-level discipline: its experts (cap > 0) and applications, plus sorted indexes."""

    code: str
    exp: np.ndarray  # global expert indices, ascending
    apps: np.ndarray  # global application indices, ascending
    e_branch: np.ndarray
    e_unit: np.ndarray
    sl_keys: np.ndarray  # second-level code ids (sorted) ...
    sl_e: np.ndarray  # ... and the local expert holding it
    kw_keys: np.ndarray  # keyword ids (sorted) ...
    kw_e: np.ndarray  # ... and the local expert holding it
    e_nkw: np.ndarray
    former_keys: np.ndarray  # branch ids of recent former units (sorted) ...
    former_e: np.ndarray  # ... and the local expert
    expl_keys: np.ndarray  # local application row (sorted) of explicit conflicts ...
    expl_e: np.ndarray  # ... and the local expert


class ProblemIndex:
    """A `Problem` turned into sorted arrays: experts and applications in id order, everything integer-coded."""

    def __init__(self, problem: Problem):
        self.problem = problem
        self.k = int(problem.k)
        if self.k < 1:
            raise ValueError("k must be >= 1")
        units = sorted(problem.units, key=lambda u: u.id)
        self.experts: list[Expert] = sorted(problem.experts, key=lambda e: e.id)
        self.apps: list[Application] = sorted(problem.applications, key=lambda a: a.id)
        self.unit_pos = _positions([u.id for u in units], "unit")
        self.e_pos = _positions([e.id for e in self.experts], "expert")
        self.a_pos = _positions([a.id for a in self.apps], "application")
        self.unit_root = _roots(units, self.unit_pos)
        self.unit_ids = [u.id for u in units]

        def unit_of(uid: Hashable, what: str) -> int:
            try:
                return self.unit_pos[uid]
            except KeyError:
                raise ValueError(f"unknown unit {uid!r} ({what})") from None

        ne, na = len(self.experts), len(self.apps)
        self.e_unit = np.array([unit_of(e.unit_id, f"expert {e.id!r}") for e in self.experts], dtype=np.int64)
        self.a_unit = np.array([unit_of(a.unit_id, f"application {a.id!r}") for a in self.apps], dtype=np.int64)
        self.e_branch = self.unit_root[self.e_unit] if ne else np.zeros(0, dtype=np.int64)
        self.a_branch = self.unit_root[self.a_unit] if na else np.zeros(0, dtype=np.int64)
        self.e_cap = np.array([max(0, int(e.cap)) for e in self.experts], dtype=np.int64)

        # disciplines: first-level groups and (first, second) codes
        self.group_codes = sorted(
            {a.discipline[0] for a in self.apps} | {f for e in self.experts for f, _ in e.disciplines}
        )
        gpos = {c: i for i, c in enumerate(self.group_codes)}
        self.sl_codes = sorted(
            {tuple(a.discipline) for a in self.apps} | {tuple(d) for e in self.experts for d in e.disciplines}
        )
        slpos = {c: i for i, c in enumerate(self.sl_codes)}
        self.a_group = np.array([gpos[a.discipline[0]] for a in self.apps], dtype=np.int64)
        self.a_sl = np.array([slpos[tuple(a.discipline)] for a in self.apps], dtype=np.int64)
        eg = sorted({(gpos[f], i) for i, e in enumerate(self.experts) for f, _ in e.disciplines})
        esl = sorted({(slpos[tuple(d)], i) for i, e in enumerate(self.experts) for d in e.disciplines})

        # keywords
        a_kw = [sorted({normalize_keyword(w) for w in a.keywords} - {""}) for a in self.apps]
        e_kw = [sorted({normalize_keyword(w) for w in e.keywords} - {""}) for e in self.experts]
        vocab = {w: i for i, w in enumerate(sorted({w for ws in a_kw for w in ws} | {w for ws in e_kw for w in ws}))}
        self.a_kw_ptr = np.zeros(na + 1, dtype=np.int64)
        self.a_kw_ptr[1:] = np.cumsum([len(ws) for ws in a_kw])
        self.a_kw_ids = np.array([vocab[w] for ws in a_kw for w in ws], dtype=np.int64)
        self.a_nkw = np.diff(self.a_kw_ptr)
        ekw_e = np.array([i for i, ws in enumerate(e_kw) for _ in ws], dtype=np.int64)
        ekw_k = np.array([vocab[w] for ws in e_kw for w in ws], dtype=np.int64)
        self.e_nkw = np.array([len(ws) for ws in e_kw], dtype=np.int64)

        # recent former units, as (expert, branch)
        since = int(problem.reference_year) - int(problem.conflict_years)
        fpairs = sorted(
            {
                (i, int(self.unit_root[unit_of(u, f"former unit of expert {e.id!r}")]))
                for i, e in enumerate(self.experts)
                for u, year in e.former_units
                if int(year) >= since
            }
        )
        # explicit pairs: exclusion lists, declared conflicts, self
        persons: dict[Hashable, int] = {}
        self.e_person = np.array([persons.setdefault(e.person_id, len(persons)) for e in self.experts], dtype=np.int64)
        self.a_person = np.array([persons.setdefault(a.person_id, len(persons)) for a in self.apps], dtype=np.int64)
        self.declared = frozenset(frozenset(p) for p in problem.declared_conflicts)
        explicit: dict[tuple[int, int], int] = {}
        for ai, a in enumerate(self.apps):
            for eid in a.excluded_expert_ids:
                ei = self.e_pos.get(eid)
                if ei is not None:
                    explicit[(ai, ei)] = explicit.get((ai, ei), 0) | _EXCLUDED
        e_of_person = _multimap(self.e_person)
        a_of_person = _multimap(self.a_person)
        for ai in range(na):
            for ei in e_of_person.get(int(self.a_person[ai]), ()):
                explicit[(ai, ei)] = explicit.get((ai, ei), 0) | _SELF
        for pair in self.declared:
            ps = [persons[p] for p in pair if p in persons]
            if len(pair) == 1 or len(ps) < len(pair):
                continue  # a person declaring a conflict with themselves, or a person not in this call
            for x, y in (ps, ps[::-1]):
                for ai in a_of_person.get(x, ()):
                    for ei in e_of_person.get(y, ()):
                        explicit[(ai, ei)] = explicit.get((ai, ei), 0) | _DECLARED
        self.explicit = explicit

        # groups
        eg_arr = np.array(eg, dtype=np.int64).reshape(-1, 2)
        esl_arr = np.array(esl, dtype=np.int64).reshape(-1, 2)
        f_arr = np.array(fpairs, dtype=np.int64).reshape(-1, 2)
        x_arr = np.array(sorted(explicit), dtype=np.int64).reshape(-1, 2)
        order = np.argsort(self.a_group, kind="stable")
        bounds = np.searchsorted(self.a_group[order], np.arange(len(self.group_codes) + 1))
        self.groups: list[Group] = []
        self.a_row = np.zeros(na, dtype=np.int64)  # position of each application in its group
        self.e_groups: list[list[int]] = [[] for _ in range(ne)]
        for g, code in enumerate(self.group_codes):
            exp = eg_arr[eg_arr[:, 0] == g, 1]
            exp = exp[self.e_cap[exp] > 0]
            for ei in exp.tolist():
                self.e_groups[ei].append(g)
            apps = order[bounds[g] : bounds[g + 1]]
            eloc = np.full(ne, -1, dtype=np.int64)
            eloc[exp] = np.arange(len(exp))
            aloc = np.full(na, -1, dtype=np.int64)
            aloc[apps] = np.arange(len(apps))
            self.a_row[apps] = np.arange(len(apps))
            sl_keys, sl_e = _local_pairs(esl_arr[:, 0], eloc[esl_arr[:, 1]])
            kw_keys, kw_e = _local_pairs(ekw_k, eloc[ekw_e])
            fo_keys, fo_e = _local_pairs(f_arr[:, 1], eloc[f_arr[:, 0]])
            ok = (aloc[x_arr[:, 0]] >= 0) & (eloc[x_arr[:, 1]] >= 0) if len(x_arr) else np.zeros(0, bool)
            ex_keys, ex_e = _local_pairs(aloc[x_arr[ok, 0]], eloc[x_arr[ok, 1]])
            self.groups.append(
                Group(
                    code,
                    exp,
                    apps,
                    self.e_branch[exp],
                    self.e_unit[exp],
                    sl_keys,
                    sl_e,
                    kw_keys,
                    kw_e,
                    self.e_nkw[exp],
                    fo_keys,
                    fo_e,
                    ex_keys,
                    ex_e,
                )
            )
        self._names: dict[tuple[str, int], tuple[str, str, str]] = {}

    # -- bulk -------------------------------------------------------------------------------------------
    def conflict_mask(self, g: int, rows: np.ndarray) -> np.ndarray:
        """Boolean (len(rows), experts of group g) matrix, True where the pair has a hard conflict.

        `rows` are local positions in `groups[g].apps`."""
        G = self.groups[g]
        ab = self.a_branch[G.apps[rows]]
        mask: np.ndarray = ab[:, None] == G.e_branch[None, :]
        qi, pos = expand(G.former_keys, ab)
        mask[qi, G.former_e[pos]] = True
        qi, pos = expand(G.expl_keys, np.asarray(rows))
        mask[qi, G.expl_e[pos]] = True
        return mask

    # -- per pair (reference implementation, manual changes) --------------------------------------------
    def pair_hard_conflicts(self, ai: int, ei: int) -> list[str]:
        """Hard conflicts of one (application index, expert index) pair, straight from the definitions."""
        a, e, p = self.apps[ai], self.experts[ei], self.problem
        kinds = []

        def root(uid: Hashable) -> int:
            return int(self.unit_root[self.unit_pos[uid]])

        if root(a.unit_id) == root(e.unit_id):
            kinds.append("same_branch")
        since = p.reference_year - p.conflict_years
        if any(year >= since and root(u) == root(a.unit_id) for u, year in e.former_units):
            kinds.append("former_unit")
        if e.id in a.excluded_expert_ids:
            kinds.append("excluded")
        if a.person_id != e.person_id and frozenset((a.person_id, e.person_id)) in self.declared:
            kinds.append("declared")
        if a.person_id == e.person_id:
            kinds.append("self")
        return kinds

    def potential_conflicts(self, ai: int, ei: int) -> list[tuple[str, str]]:
        """Potential conflicts of one pair as (kind, detail)."""
        an, ad, aemail = self._name_info("a", ai)
        en, ed, eemail = self._name_info("e", ei)
        out = []
        if ad and ed and (ad == ed or ad.endswith("." + ed) or ed.endswith("." + ad)):
            out.append(("email_domain", f"{aemail} / {eemail}"))
        why = names_similar(an, en)
        if why:
            out.append(("similar_name", f"{self.apps[ai].name} / {self.experts[ei].name} ({why})"))
        return out

    def _name_info(self, side: str, i: int) -> tuple[str, str, str]:
        key = (side, i)
        info = self._names.get(key)
        if info is None:
            obj = self.apps[i] if side == "a" else self.experts[i]
            info = self._names[key] = (normalize_name(obj.name), email_domain(obj.email), obj.email)
        return info


def check_pairs(index: ProblemIndex | Problem, pairs: Iterable[tuple[Any, ...]]) -> list[Violation]:
    """Check a complete or partial assignment (e.g. after manual changes) pair by pair against every rule."""
    if isinstance(index, Problem):
        index = ProblemIndex(index)
    out: list[Violation] = []
    seen: set[tuple[int, int]] = set()
    loads: dict[int, int] = {}
    per_app: dict[int, list[int]] = {}
    for pair in pairs:
        aid, eid = pair[0], pair[1]
        ai, ei = index.a_pos.get(aid), index.e_pos.get(eid)
        if ai is None or ei is None:
            out.append(Violation(aid, eid, "unknown", "unknown application" if ai is None else "unknown expert"))
            continue
        if (ai, ei) in seen:
            out.append(Violation(aid, eid, "duplicate", "pair listed twice"))
            continue
        seen.add((ai, ei))
        loads[ei] = loads.get(ei, 0) + 1
        per_app.setdefault(ai, []).append(ei)
        if index.apps[ai].discipline[0] not in {f for f, _ in index.experts[ei].disciplines}:
            out.append(Violation(aid, eid, "discipline", f"expert has no discipline {index.apps[ai].discipline[0]}"))
        for kind in index.pair_hard_conflicts(ai, ei):
            out.append(Violation(aid, eid, kind, "hard conflict"))
    for ei, n in sorted(loads.items()):
        if n > index.e_cap[ei]:
            out.append(Violation(None, index.experts[ei].id, "over_cap", f"{n} > cap {int(index.e_cap[ei])}"))
    for ai, eis in sorted(per_app.items()):
        units = [int(index.e_unit[e]) for e in eis]
        if len(set(units)) < len(units):
            out.append(Violation(index.apps[ai].id, None, "same_unit", "two experts from one unit"))
        if len(eis) > index.k:
            out.append(Violation(index.apps[ai].id, None, "too_many", f"{len(eis)} > k {index.k}"))
    return out


# -- potential conflicts helpers -------------------------------------------------------------------------
def email_domain(email: str) -> str:
    """Lower-cased domain of an address, '' if none or a public mail provider."""
    if "@" not in (email or ""):
        return ""
    dom = email.rsplit("@", 1)[1].strip().strip(".").casefold()
    return "" if dom in PUBLIC_MAIL_DOMAINS else dom


def normalize_name(name: str) -> str:
    s = unicodedata.normalize("NFKC", name or "").casefold()
    parts = "".join(c if unicodedata.category(c)[0] not in "PZS" else " " for c in s).split()
    return " ".join(parts)


def names_similar(a: str, b: str) -> str:
    """'' or why two normalised names (see `normalize_name`) look like the same person."""
    if not a or not b:
        return ""
    ca, cb = a.replace(" ", ""), b.replace(" ", "")
    if ca == cb or sorted(a.split()) == sorted(b.split()):
        return "same name"
    if len(ca) >= 3 and len(cb) >= 3 and _within_one_edit(ca, cb):
        return "edit distance 1"
    return ""


def _within_one_edit(a: str, b: str) -> bool:
    if abs(len(a) - len(b)) > 1:
        return False
    if len(a) > len(b):
        a, b = b, a
    i = 0
    while i < len(a) and a[i] == b[i]:
        i += 1
    if len(a) == len(b):
        return a[i + 1 :] == b[i + 1 :]
    return a[i:] == b[i + 1 :]


# -- internals -------------------------------------------------------------------------------------------
def _positions(ids: Sequence[Hashable], what: str) -> dict[Hashable, int]:
    pos = {x: i for i, x in enumerate(ids)}
    if len(pos) != len(ids):
        raise ValueError(f"duplicate {what} ids")
    return pos


def _roots(units: list[Unit], pos: dict[Hashable, int]) -> np.ndarray:
    root = np.full(len(units), -1, dtype=np.int64)
    for i in range(len(units)):
        chain, j = [], i
        while root[j] < 0:
            chain.append(j)
            parent = units[j].parent_id
            if parent is None:
                root[j] = j
                break
            if parent not in pos:
                raise ValueError(f"unit {units[j].id!r} has unknown parent {parent!r}")
            j = pos[parent]
            if j in chain:
                raise ValueError(f"cycle in the unit tree at {units[j].id!r}")
        for c in chain:
            root[c] = root[j]
    return root


def _multimap(values: np.ndarray) -> dict[int, list[int]]:
    out: dict[int, list[int]] = {}
    for i, v in enumerate(values.tolist()):
        out.setdefault(v, []).append(i)
    return out


def _local_pairs(keys: np.ndarray, local: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Keep pairs whose local index is >= 0, sorted by (key, local)."""
    ok = local >= 0
    keys, local = keys[ok], local[ok]
    order = np.lexsort((local, keys))
    return keys[order], local[order]
