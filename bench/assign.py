"""Benchmark of the automatic expert assignment (SPEC §5.4, §9).

    .venv/bin/python bench/assign.py                    # 10,000 applications x 3,000 experts, k=5
    .venv/bin/python bench/assign.py --scale national   # 270,000 applications x 60,000 experts, k=5
    .venv/bin/python bench/assign.py --check            # also verify every rule pair by pair (not timed)
    .venv/bin/python bench/assign.py --database-url postgresql://postgres@127.0.0.1:5432/bench_assign
                                                        # an EMPTY scratch database instead of a temporary SQLite file

A synthetic call is generated with a fixed seed: 30 first-level disciplines (3-8 second-level ones each, uneven
sizes), a unit tree (300 units under 30 institutes; national: 3,000 under 300), per-discipline keyword vocabularies,
experts with former units (20 %), some with a second discipline; 0-3 excluded experts per application, declared
conflicts, applicants who are also experts, institutional and public e-mail addresses, Chinese names.
Expert caps are drawn so that total capacity is ~1.2x the k x applications needed.

Timed (`total` is the wall time of all of it, from the input dataclasses to committed rows):
  conflicts  indexing the input + bulk hard-conflict masks
  affinity   discipline/keyword affinity + per-application / per-expert candidate selection
  solve      greedy baseline (its pairs seed the flow graph) + min-cost flow + shortfalls + warnings
  db write   the solver's pairs written through the app, as portal/reviews/assignment/auto.py commit_preview does: one
             `db.session.execute(insert(Assignment), rows)` (kind expert, status invited, method auto, due date,
             invited_at, created_by) and a commit, in one transaction.
Not timed (setup, before the solve): the app is created with portal.create_app on a fresh SQLite file in a temporary
folder (or on --database-url, which must be an empty database: e.g. a scratch PostgreSQL database that you create
and drop yourself), migrated from empty with flask_migrate.upgrade, and filled with SQLAlchemy Core insert()s with
the rows the assignments refer to: disciplines, units, a program and its call, users (an admin, the experts, the
applicants; an expert who applies is the same user), expert_profiles, applications (under_review, submitted),
exclusions and declared conflicts. Synthetic ids are mapped to database ids by their unique keys (unit code,
e-mail, applicant in the call). An expert drawn as applicant twice in the call gets a second user for the second
application (one live application per applicant per call).
Peak memory is resource.getrusage(RUSAGE_SELF).ru_maxrss of the whole process (generation and setup included).
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta

import numpy as np

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
sys.path.insert(0, ROOT)

from portal.reviews.assignment.solver import (  # noqa: E402
    Application,
    Expert,
    Problem,
    Unit,
    assign,
    check_pairs,
    greedy_assign,
    prepare,
)

SCALES = {
    "default": dict(apps=10_000, experts=3_000, units=300, roots=30),
    "national": dict(apps=270_000, experts=60_000, units=3_000, roots=300),
}
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
    "姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建国文辉玲红鹏飞宇浩然子涵欣怡梓轩思远晓东海波志强春梅"
PUBLIC = ["qq.com", "163.com", "126.com", "gmail.com", "foxmail.com", "outlook.com"]
REF_YEAR = 2025
DISCIPLINE_NAMES = [
    ("数学", "Mathematics"),
    ("力学", "Mechanics"),
    ("天文学", "Astronomy"),
    ("物理学", "Physics"),
    ("化学", "Chemistry"),
    ("地理学", "Geography"),
    ("地质学", "Geology"),
    ("地球物理学", "Geophysics"),
    ("大气科学", "Atmospheric sciences"),
    ("海洋科学", "Marine sciences"),
    ("生物学", "Biology"),
    ("生态学", "Ecology"),
    ("农学", "Agronomy"),
    ("林学", "Forestry"),
    ("基础医学", "Basic medicine"),
    ("临床医学", "Clinical medicine"),
    ("药学", "Pharmacy"),
    ("材料科学", "Materials science"),
    ("冶金工程", "Metallurgy"),
    ("机械工程", "Mechanical engineering"),
    ("电气工程", "Electrical engineering"),
    ("电子科学", "Electronics"),
    ("计算机科学", "Computer science"),
    ("自动化", "Automation"),
    ("土木工程", "Civil engineering"),
    ("水利工程", "Hydraulic engineering"),
    ("化学工程", "Chemical engineering"),
    ("能源科学", "Energy science"),
    ("环境科学", "Environmental science"),
    ("管理科学", "Management science"),
]


def generate(
    apps: int, experts: int, units: int, roots: int, k: int = 5, seed: int = 20250601, cap_factor: float = 1.2
) -> Problem:
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
            GIVEN[int(i)] for i in rng.integers(0, len(GIVEN), n_given)
        )

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
            former = tuple(
                (int(rng.integers(units)), REF_YEAR - int(rng.integers(0, 7))) for _ in range(int(rng.integers(1, 3)))
            )
        expert_objs.append(
            Expert(
                id=i + 1,
                person_id=f"E{i + 1}",
                unit_id=u,
                disciplines=tuple(dict.fromkeys(discs)),
                keywords=keywords(d, s, int(rng.integers(4, 9))),
                former_units=former,
                cap=int(rng.integers(lo_cap, hi_cap + 1)),
                email=email(f"e{i + 1}", u),
                name=name(),
            )
        )
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
        app_objs.append(
            Application(
                id=i + 1,
                person_id=person,
                unit_id=u,
                discipline=(first[d], seconds[d][s]),
                keywords=keywords(d, s, int(rng.integers(3, 7))),
                excluded_expert_ids=excluded,
                email=email(f"a{i + 1}", u),
                name=name(),
            )
        )
    names = {f: DISCIPLINE_NAMES[i] for i, f in enumerate(first)}
    return Problem(unit_objs, expert_objs, app_objs, declared, k=k, reference_year=REF_YEAR, discipline_names=names)


def create_database(url: str | None, tmp: str):
    """The app on a fresh SQLite file in `tmp` (or on `url`, which must be empty), migrated from empty."""
    os.environ["PORTAL_INSTANCE_DIR"] = os.path.join(tmp, "instance")
    os.environ["DATABASE_URL"] = url or f"sqlite:///{os.path.join(tmp, 'portal.db')}"
    from flask_migrate import upgrade
    from sqlalchemy import inspect

    from portal import create_app
    from portal.extensions import db

    app = create_app(
        {
            "SECRET_KEY": "bench",
            "TESTING": True,
            "MAIL_SERVER": "",
            "REDIS_URL": "",
            "RATELIMIT_STORAGE_URI": "memory://",
        }
    )
    with app.app_context():
        tables = inspect(db.engine).get_table_names()
        if tables:
            sys.exit(
                f"{db.engine.url.render_as_string()} is not empty ({len(tables)} tables): "
                "give an empty scratch database"
            )
        upgrade(directory=os.path.join(ROOT, "migrations"))
        db.engine.dispose()
    return app


def fill_database(problem: Problem, k: int) -> dict:
    """Insert (Core, executemany) every row the assignments refer to; return the synthetic -> database id maps."""
    from sqlalchemy import bindparam, insert, select, update

    from portal.accounts.models import User
    from portal.applications.models import Application as AppRow
    from portal.applications.models import Exclusion
    from portal.extensions import db
    from portal.programs.models import Call, Discipline, Program
    from portal.programs.models import Unit as UnitRow
    from portal.reviews.models import DeclaredConflict, ExpertProfile

    now = datetime.now(UTC)
    submitted = now - timedelta(days=30)
    counts = {}
    with db.engine.begin() as conn:

        def put(model, rows):
            if rows:
                conn.execute(insert(model.__table__), rows)
            counts[model.__tablename__] = counts.get(model.__tablename__, 0) + len(rows)

        # disciplines: first level D01.., second level D01.01..
        seconds = sorted(
            {e_d for e in problem.experts for e_d in e.disciplines} | {a.discipline for a in problem.applications}
        )
        firsts = sorted({f for f, _s in seconds})
        names = problem.discipline_names
        put(
            Discipline,
            [{"code": f, "name_zh": names[f][0], "name_en": names[f][1], "parent_code": None} for f in firsts],
        )
        put(
            Discipline,
            [
                {
                    "code": sc,
                    "name_zh": f"{names[f][0]}{sc[len(f) + 1 :]}",
                    "name_en": f"{names[f][1]} {sc[len(f) + 1 :]}",
                    "parent_code": f,
                }
                for f, sc in seconds
            ],
        )

        # units: inserted flat, then the tree linked once every id is known
        code = {u.id: f"U{u.id:05d}" for u in problem.units}
        put(
            UnitRow,
            [
                {
                    "code": code[u.id],
                    "name_zh": (f"研究所{u.id}" if u.parent_id is None else f"部门{u.id}"),
                    "name_en": (f"Institute {u.id}" if u.parent_id is None else f"Department {u.id}"),
                    "parent_id": None,
                    "created_at": now,
                }
                for u in problem.units
            ],
        )
        by_code = dict(conn.execute(select(UnitRow.code, UnitRow.id)).all())
        unit_map = {u.id: by_code[code[u.id]] for u in problem.units}
        links = [
            {"b_id": unit_map[u.id], "b_parent": unit_map[u.parent_id]}
            for u in problem.units
            if u.parent_id is not None
        ]
        if links:
            t = UnitRow.__table__
            conn.execute(update(t).where(t.c.id == bindparam("b_id")).values(parent_id=bindparam("b_parent")), links)

        # program and call
        put(
            Program,
            [
                {
                    "code": "BENCH",
                    "name_zh": "基准测试人才计划",
                    "name_en": "Benchmark talent program",
                    "description_zh": "",
                    "description_en": "",
                    "level": "national",
                    "category": "young",
                    "eligibility_rules": [],
                    "required_documents": [],
                    "extra_fields": [],
                    "referees_required": 0,
                    "experts_per_application": max(k, 3),
                    "blind_review": False,
                    "unit_quota": None,
                    "notice_required": True,
                    "created_at": now,
                }
            ],
        )
        program_id = conn.execute(select(Program.id).where(Program.code == "BENCH")).scalar_one()
        due = (now + timedelta(days=21)).date()
        put(
            Call,
            [
                {
                    "program_id": program_id,
                    "year": problem.reference_year,
                    "title_zh": f"{problem.reference_year}年度",
                    "title_en": f"{problem.reference_year} call",
                    "opens_at": now - timedelta(days=90),
                    "closes_at": now - timedelta(days=45),
                    "cutoff_date": date(problem.reference_year, 1, 1),
                    "total_quota": None,
                    "review_due": due,
                    "status": "review",
                    "scheme_id": None,
                    "aggregation": {},
                    "created_at": now,
                }
            ],
        )
        call_id = conn.execute(select(Call.id).where(Call.program_id == program_id)).scalar_one()

        # users: an admin (who commits the assignment), the experts, the applicants
        def user(email, name):
            return {
                "email": email,
                "name": name,
                "password_hash": "!",
                "locale": "zh_CN",
                "active": True,
                "email_confirmed_at": now,
                "created_at": now,
                "last_login_at": None,
            }

        person_email = {e.person_id: e.email for e in problem.experts}  # person -> e-mail of their account
        applied, app_email, new_users, extra_users = set(), {}, [user("admin@bench.invalid", "管理员")], 0
        for a in problem.applications:
            if a.person_id in applied:  # an expert drawn twice as applicant: a second account, a second person
                app_email[a.id] = a.email
                new_users.append(user(a.email, a.name))
                extra_users += 1
                continue
            applied.add(a.person_id)
            if a.person_id not in person_email:
                person_email[a.person_id] = a.email
                new_users.append(user(a.email, a.name))
            app_email[a.id] = person_email[a.person_id]  # an expert applying keeps their account
        put(User, [user(e.email, e.name) for e in problem.experts] + new_users)
        del new_users
        by_email = dict(conn.execute(select(User.email, User.id)).all())
        admin_id = by_email["admin@bench.invalid"]
        expert_map = {e.id: by_email[e.email] for e in problem.experts}
        person_map = {p: by_email[m] for p, m in person_email.items()}

        put(
            ExpertProfile,
            [
                {
                    "user_id": expert_map[e.id],
                    "unit_id": unit_map[e.unit_id],
                    "title": "研究员",
                    "disciplines": [sc for _f, sc in e.disciplines],
                    "keywords": sorted(e.keywords),
                    "former_units": [{"unit_id": unit_map[u], "until_year": y} for u, y in e.former_units],
                    "load_cap": e.cap,
                }
                for e in problem.experts
            ],
        )
        put(
            AppRow,
            [
                {
                    "call_id": call_id,
                    "applicant_id": by_email[app_email[a.id]],
                    "unit_id": unit_map[a.unit_id],
                    "state": "under_review",
                    "title": f"申请书 {a.id}",
                    "discipline_code": a.discipline[1],
                    "keywords": sorted(a.keywords),
                    "plan": "",
                    "extra": {},
                    "exception_requested": False,
                    "exception_justification": "",
                    "snapshot": None,
                    "book_document_id": None,
                    "submitted_at": submitted,
                    "state_changed_at": submitted,
                    "integrity_flag": False,
                    "integrity_cleared_reason": "",
                    "exception_endorsed": False,
                    "submission_count": 1,
                    "created_at": submitted,
                    "updated_at": submitted,
                }
                for a in problem.applications
            ],
        )
        by_applicant = dict(conn.execute(select(AppRow.applicant_id, AppRow.id).where(AppRow.call_id == call_id)).all())
        app_map = {a.id: by_applicant[by_email[app_email[a.id]]] for a in problem.applications}
        del by_email, by_applicant, app_email

        names_by_expert = {e.id: e.name for e in problem.experts}
        put(
            Exclusion,
            [
                {
                    "application_id": app_map[a.id],
                    "name": names_by_expert[x],
                    "institution": "",
                    "reason": "",
                    "expert_id": expert_map[x],
                }
                for a in problem.applications
                for x in sorted(a.excluded_expert_ids)
            ],
        )
        put(
            DeclaredConflict,
            [
                {
                    "expert_id": person_map[e],
                    "person_id": person_map[p],
                    "relation": "coauthor",
                    "declared_by_id": None,
                    "created_at": now,
                }
                for p, e in sorted(problem.declared_conflicts)
                if p in person_map
            ],
        )
    db.engine.dispose()
    return {
        "app": app_map,
        "expert": expert_map,
        "admin_id": admin_id,
        "due": due,
        "call_id": call_id,
        "counts": counts,
        "extra_users": extra_users,
    }


def write_assignments(pairs: list, ids: dict) -> None:
    """The write of portal/reviews/assignment/auto.py commit_preview: every pair as an Assignment row, one transaction."""
    from sqlalchemy import insert

    from portal.database import utcnow
    from portal.extensions import db
    from portal.reviews.models import Assignment

    app_map, expert_map, actor, due, now = ids["app"], ids["expert"], ids["admin_id"], ids["due"], utcnow()
    db.session.execute(
        insert(Assignment),
        [
            {
                "application_id": app_map[a],
                "kind": "expert",
                "expert_id": expert_map[e],
                "status": "invited",
                "due_date": due,
                "invited_at": now,
                "method": "auto",
                "created_by_id": actor,
                "no_conflict_statement": "",
                "decline_reason": "",
                "external_name": "",
            }
            for a, e, _f in pairs
        ],
    )
    db.session.commit()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scale", choices=sorted(SCALES), default="default")
    ap.add_argument("-k", type=int, default=5)
    ap.add_argument("--seed", type=int, default=20250601)
    ap.add_argument("--check", action="store_true", help="verify every rule pair by pair and run greedy_assign")
    ap.add_argument(
        "--database-url",
        help="an EMPTY database to migrate and write to (default: a fresh SQLite file "
        "in a temporary folder), e.g. postgresql://postgres@127.0.0.1:5432/scratch",
    )
    args = ap.parse_args()
    sc = SCALES[args.scale]
    t = time.perf_counter()
    problem = generate(**sc, k=args.k, seed=args.seed)
    print(
        f"scale: {args.scale}: {sc['apps']:,} applications x {len(problem.experts):,} experts, k={args.k}, "
        f"{sc['units']:,} units, {len(problem.declared_conflicts):,} declared conflicts "
        f"(generated in {time.perf_counter() - t:.1f} s)",
        flush=True,
    )

    with tempfile.TemporaryDirectory(prefix="bench-assign-") as tmp:
        t = time.perf_counter()
        app = create_database(args.database_url, tmp)
        t_migrate = time.perf_counter() - t
        with app.app_context():
            from sqlalchemy import func, select

            from portal.extensions import db
            from portal.reviews.models import Assignment

            t = time.perf_counter()
            ids = fill_database(problem, args.k)
            c = ids["counts"]
            print(
                f"database: {db.engine.dialect.name} {'.'.join(map(str, db.engine.dialect.server_version_info))}"
                f"{'' if args.database_url else ' (fresh file in a temporary folder)'}; untimed setup: migrated "
                f"in {t_migrate:.1f} s, filled in {time.perf_counter() - t:.1f} s ({c['users']:,} users, "
                f"{c['applications']:,} applications, {c['expert_profiles']:,} expert profiles, {c['units']:,} "
                f"units, {c['exclusions']:,} exclusions, {c['declared_conflicts']:,} declared conflicts; "
                f"{ids['extra_users']} second accounts)",
                flush=True,
            )

            t0 = time.perf_counter()
            prep = prepare(problem)
            res = assign(prep)
            t1 = time.perf_counter()
            write_assignments(res.pairs, ids)
            t_db = time.perf_counter() - t1
            total = time.perf_counter() - t0
            written = db.session.execute(select(func.count()).select_from(Assignment)).scalar_one()
            db.session.remove()
            db.engine.dispose()
    tm = res.stats["timings"]
    print(f"conflicts: {tm['index'] + tm['conflicts']:.2f} s")
    print(f"affinity: {tm['affinity'] + tm['candidates']:.2f} s")
    print(f"solve: {tm['solve']:.2f} s")
    print(f"db write: {t_db:.2f} s  ({written:,} assignments in one transaction)")
    print(f"total: {total:.2f} s")
    print(f"objective: {res.objective:.3f} (greedy: {res.stats['greedy_objective']:.3f})")
    print(f"peak memory: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    print(
        f"detail: index {tm['index']:.2f} s, masks {tm['conflicts']:.2f} s, scores {tm['affinity']:.2f} s, "
        f"candidates {tm['candidates']:.2f} s, greedy {tm['greedy']:.2f} s, flow+result "
        f"{tm['solve'] - tm['greedy']:.2f} s (result {tm['result']:.2f} s); arcs {res.stats['arcs']:,}, "
        f"rounds {res.stats['rounds']}; filled {res.filled:,}/{args.k * sc['apps']:,} "
        f"(greedy {res.stats['greedy_filled']:,}), max proven {res.stats['max_filled']}; "
        f"shortfalls {len(res.shortfalls):,}; warnings {len(res.warnings):,}"
    )
    if args.check:
        t = time.perf_counter()
        bad = check_pairs(prep.index, res.pairs)
        g = greedy_assign(prep)
        print(
            f"check: {len(bad)} violations; greedy_assign objective {g.objective:.3f}, filled {g.filled:,} "
            f"({time.perf_counter() - t:.1f} s)"
        )
        if bad:
            print(bad[:10])
            sys.exit(1)
    if written != len(res.pairs):
        sys.exit(f"{written:,} assignments in the database for {len(res.pairs):,} pairs")


if __name__ == "__main__":
    main()
