"""Benchmark: one-page Chinese approval letters (入选通知书) rendered to PDF/A-3b (SPEC §9).

    .venv/bin/python bench/letters.py [--n 1000] [--workers 2] [--ablation] [--write-docs]
        [--batch-runs 3] [--database-url postgresql://postgres@127.0.0.1:5432/bench_letters] [--database-url sqlite]

Prints:
    median: X ms      per letter, one process, after a warm-up (targets: <= 50 ms)
    p95: X ms
    rare-character names: median X ms; others: X ms   (target: the same speed)
    batch: X s        all N letters through the job path (RQ, 2 `flask jobs worker` processes; target: 1,000 in <= 30 s)
    size: X KB ...    mean and max per PDF (target: <= 250 KB)
    baseline: X ms    same letter, plain WeasyPrint + system font "Noto Serif CJK SC", 20 renders

The letters use the default template (portal/static/letters/approval.html): letterhead, serial,
recipient, program, ~450 characters of text, terms, seal, QR code, Chinese date. Recipient
names vary; one in four holds a character outside GB 2312 level 1 (䶮, 𠮷, 堃...).
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import random
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from benchdocs import fresh_postgresql, machine, paragraph, replace_section  # noqa: E402

SURNAMES = (
    "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎"
    "余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段雷钱汤尹黎易常武乔贺赖龚文"
)
COMPOUND_SURNAMES = ["欧阳", "司马", "诸葛", "上官", "东方"]
GIVEN = (
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍建国红梅鹏飞宇"
    "浩然晨阳雪婷欣怡子涵思远博文俊杰嘉琪雨萱志宏海燕春林振华晓东立新德明"
)
# Outside GB 2312 level 1 (the core font): level 2, GBK, CJK Ext. A and Ext. B.
RARE = "䶮𠮷堃喆玥珺赟昇淼犇燚垚鑫昊祎婧琦瑄翀骞彧璟昶暐煊珏瑀曌𨱏镕埼珅琸玙璠瑢頔晔"
PROGRAMS = ["青年拔尖人才支持计划", "海外优秀青年学者计划", "领军人才培养计划", "卓越工程师支持计划"]
UNITS = ["华东理工大学", "中国科学院上海有机化学研究所", "浙江大学", "西安交通大学", "武汉大学", "中山大学"]
TOPICS = [
    "面向碳中和的新型催化材料设计与机理研究",
    "大规模图神经网络的高效训练方法",
    "深海极端环境微生物资源挖掘与利用",
    "高性能锂金属电池界面调控研究",
    "复杂地质条件下隧道围岩稳定性分析",
    "肿瘤免疫微环境的单细胞多组学解析",
]
TERMS = [
    "入选者应在收到通知后三十日内签订任务书，明确聘期目标、年度计划和考核指标。",
    "专项经费须按照国家有关规定管理使用，专款专用，不得挪作他用，并接受审计与监督检查。",
    "入选者如调动工作单位、出国（境）超过六个月或发生其他重大事项，应提前书面报告。",
]


def letter_context(i: int) -> dict:
    rng = random.Random(i)
    surname = rng.choice(COMPOUND_SURNAMES) if i % 17 == 0 else rng.choice(SURNAMES)
    given = "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))
    if i % 4 == 1:  # one letter in four: a rare character in the name
        given = given[:-1] + RARE[(i // 4) % len(RARE)]
    code = "-".join("".join(rng.choice("23456789ABCDEFGHJKLMNPQRSTUVWXYZ") for _ in range(4)) for _ in range(3))
    return {
        "issuer_name": "人才计划办公室",
        "serial_year": 2026,
        "serial_no": i + 1,
        "program_name": PROGRAMS[i % len(PROGRAMS)],
        "program_year": 2026,
        "recipient_name": surname + given,
        "unit_name": UNITS[i % len(UNITS)],
        "project_title": TOPICS[i % len(TOPICS)],
        "terms": TERMS,
        "issue_date": datetime.date(2026, 11, 21) + datetime.timedelta(days=i % 40),
        "verification_code": code,
        "verification_url": f"https://talent.example.cn/verify/{code}",
    }


def is_rare(i: int) -> bool:
    return i % 4 == 1


# -- Measurements --------------------------------------------------------------------------------


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))]


def single_process(n: int, warmup: int) -> dict:
    from portal.letters.rendering import default_approval_template, letter_renderer

    renderer, template = letter_renderer(), default_approval_template()
    for i in range(warmup):
        renderer.render(template, letter_context(10_000 + i))
    times, cpu, sizes = [], [], []
    for i in range(n):
        started, started_cpu = time.perf_counter(), time.process_time()
        pdf = renderer.render(template, letter_context(i))
        times.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
        sizes.append(len(pdf))
    rare = [t for i, t in enumerate(times) if is_rare(i)]
    common = [t for i, t in enumerate(times) if not is_rare(i)]
    return {"times": times, "cpu": cpu, "sizes": sizes, "rare": rare, "common": common}


def _bench_env(scratch: Path, database_url: str | None, redis_url: str) -> dict:
    env = dict(os.environ)
    env.update(
        {
            "DATABASE_URL": database_url or f"sqlite:///{scratch / 'bench.db'}",
            "REDIS_URL": redis_url,
            "PORTAL_INSTANCE_DIR": str(scratch / "instance"),
            "UPLOAD_FOLDER": str(scratch / "uploads"),
            "PORTAL_ENV": "development",
            "SECRET_KEY": "bench-letters-secret-key",
            "MAIL_SERVER": "",
        }
    )
    return env


def _setup_batch_database(n: int) -> int:
    """Migrate the scratch database and add n awarded applications of one call; returns the call id."""
    from flask_migrate import upgrade
    from sqlalchemy import select

    from portal.accounts.models import User
    from portal.accounts.services import create_user
    from portal.applications.models import Application
    from portal.database import utcnow
    from portal.extensions import db
    from portal.programs.models import Call, Program, Unit
    from portal.seed import load_demo

    upgrade(directory=str(ROOT / "migrations"))
    load_demo()
    call = db.session.execute(select(Call).join(Program).where(Program.code == "bairen")).scalars().first()
    unit_id = db.session.execute(select(Unit.id).where(Unit.code == "CAS-AMSS")).scalar_one()
    users = [
        User(email=f"bench{i}@example.cn", name=letter_context(i)["recipient_name"], password_hash="!", locale="zh_CN")
        for i in range(n)
    ]
    db.session.add_all(users)
    db.session.flush()
    db.session.add_all(
        [
            Application(
                call_id=call.id,
                applicant_id=user.id,
                unit_id=unit_id,
                state="awarded",
                title=TOPICS[i % len(TOPICS)],
                discipline_code="A01",
                keywords=["数论"],
                plan="研究计划",
                submission_count=1,
                submitted_at=utcnow(),
                state_changed_at=utcnow(),
            )
            for i, user in enumerate(users)
        ]
    )
    create_user("bench-admin@example.cn", "陈静", "a-long-password", [("program_admin", None)], actor="bench")
    db.session.commit()
    return call.id


def batch(n: int, workers: int, database_url: str | None, redis_url: str) -> tuple[float, float, dict]:
    """(wall seconds, CPU seconds of the workers, facts) for n letters through the job path.

    A scratch database (a SQLite file, or the PostgreSQL database of `database_url`, dropped and
    created again) with n awarded applications of one call;
    the batch is started as the web page does (start_batch, run_batch enqueued after the commit)
    on a flushed Redis database; `workers` long-running `flask jobs worker` processes run it. Timed
    from the enqueue to the LetterJob being done: worker start-up and warm-up included."""
    import subprocess

    from redis import Redis

    Redis.from_url(redis_url).flushdb()
    if database_url and database_url.startswith("postgresql"):
        fresh_postgresql(database_url)
    with tempfile.TemporaryDirectory(prefix="bench-letters-") as tmp:
        scratch = Path(tmp)
        env = _bench_env(scratch, database_url, redis_url)
        saved = {key: os.environ.get(key) for key in env}
        os.environ.update(env)
        try:
            from sqlalchemy import func, select

            from portal import create_app
            from portal.accounts.models import User
            from portal.database import after_commit, commit
            from portal.extensions import db
            from portal.letters import services
            from portal.letters.models import Letter, LetterJob
            from portal.programs.models import Call

            app = create_app()
            with app.app_context():
                call_id = _setup_batch_database(n)
                admin = db.session.execute(select(User).where(User.email == "bench-admin@example.cn")).scalar_one()
                job = services.start_batch(db.session.get(Call, call_id), admin)
                job_id = job.id
                after_commit(services.run_batch, job_id)
                cpu_before = resource.getrusage(resource.RUSAGE_CHILDREN)
                started = time.perf_counter()
                commit()  # enqueues run_batch
                log = open(scratch / "workers.log", "w")  # noqa: SIM115 - closed below, once the workers stop
                # Long-running workers, as in production: a burst worker that starts while run_batch is still
                # splitting the batch finds the queue empty and leaves its colleague to do all the chunks.
                procs = [
                    subprocess.Popen(
                        [sys.executable, "-m", "flask", "--app", "portal", "jobs", "worker"],
                        cwd=ROOT,
                        env=env,
                        stdout=log,
                        stderr=log,
                    )
                    for _ in range(workers)
                ]
                status = "queued"
                while status not in ("done", "failed"):
                    time.sleep(0.2)
                    status = db.session.execute(select(LetterJob.status).where(LetterJob.id == job_id)).scalar()
                    db.session.rollback()  # hold no SQLite read lock while the workers write
                    if all(p.poll() is not None for p in procs) and status not in ("done", "failed"):
                        raise RuntimeError(f"workers exited, job {status}: see {scratch / 'workers.log'}")
                wall = time.perf_counter() - started
                for p in procs:  # warm shutdown: each finishes its current job, then exits
                    p.terminate()
                for p in procs:
                    p.wait(timeout=600)
                log.close()
                cpu_after = resource.getrusage(resource.RUSAGE_CHILDREN)
                job = db.session.get(LetterJob, job_id)
                serials = sorted(db.session.execute(select(Letter.serial_no)).scalars())
                facts = {
                    "done": job.done,
                    "failed": job.failed,
                    "total": job.total,
                    "status": job.status,
                    "serials_ok": serials == list(range(1, len(serials) + 1)),
                    "letters": db.session.execute(select(func.count(Letter.id))).scalar(),
                    "chunk": services.BATCH_CHUNK_SIZE,
                    "database": db.engine.dialect.name,
                }
                db.engine.dispose()
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value
    cpu = sum(getattr(cpu_after, field) - getattr(cpu_before, field) for field in ("ru_utime", "ru_stime"))
    return wall, cpu, facts


def baseline_html() -> str:
    """The same letter as the benchmark, for plain WeasyPrint with the system font."""
    from portal.letters.rendering import default_approval_template, letter_renderer

    html = letter_renderer().render_html(default_approval_template(), letter_context(1))
    return html.replace('"Letter Serif"', '"Noto Serif CJK SC"')


def baseline(renders: int = 20) -> float:
    import weasyprint

    from portal.pdf.render import STATIC_ROOT

    html = baseline_html()
    base_url = STATIC_ROOT.as_uri() + "/"
    weasyprint.HTML(string=html, base_url=base_url).write_pdf(pdf_variant="pdf/a-3b")  # imports
    times = []
    for _ in range(renders):
        started = time.perf_counter()
        weasyprint.HTML(string=html, base_url=base_url).write_pdf(pdf_variant="pdf/a-3b")
        times.append(time.perf_counter() - started)
    return statistics.median(times)


#: (configuration, idea switched off, LetterRenderer options, context overrides, share of the
#: letters measured): each optimisation switched off in turn.
ABLATION = [
    ("all optimisations (default)", None, {}, {}, 1),
    (
        "system Noto CJK fonts (20-27 MB collections) instead of the prepared fonts",
        "prepared fonts",
        {"prepared_fonts": False},
        {},
        0.25,
    ),
    (
        "WeasyPrint's own subsetting of the prepared fonts (no preprocessed faces)",
        "subsetting from preprocessed faces",
        {"fast_subset": False},
        {},
        1,
    ),
    (
        "a new FontConfiguration (fontconfig set) per letter",
        "one FontConfiguration per process",
        {"reuse_font_config": False},
        {},
        1,
    ),
    ("template CSS parsed per letter", "parsed template CSS kept", {"cache_stylesheets": False}, {}, 1),
    ("seal drawn as glyph outlines (SVG paths) instead of SVG text", "seal as SVG text", {}, {"seal": "outlines"}, 1),
    ("QR code as an SVG path instead of a 1-pixel-per-module PNG", "QR code as a PNG", {"qr_format": "svg"}, {}, 1),
    (
        "streams compressed twice at level 9 (pydyf default)",
        "streams compressed once at level 1",
        {"compress_once": False},
        {},
        1,
    ),
    ("streams compressed once at level 6", None, {"compress_level": 6}, {}, 1),
    ("streams compressed once at level 9", None, {"compress_level": 9}, {}, 1),
    ("no image cache (seal SVG parsed per letter)", None, {"image_cache": False}, {}, 1),
]


def ablation(n: int) -> list[tuple[str, str | None, float, float, float]]:
    """Median wall and CPU time per letter and mean size, each optimisation switched off in turn.

    Every configuration has its own warmed-up renderer, and the configurations take turns letter
    by letter, so that a change of load on the (shared) machine hits them all alike.
    """
    from urllib.parse import quote

    from portal.letters.rendering import LetterRenderer, default_approval_template, qr_png_data_uri
    from portal.letters.seal import make_seal_svg

    template = default_approval_template()
    outline_seal = "data:image/svg+xml," + quote(make_seal_svg(outlines=True))
    runs = []
    for label, idea, options, overrides, share in ABLATION:
        extra = {"seal_url": outline_seal} if overrides.get("seal") == "outlines" else {}
        renderer = LetterRenderer(**options)
        for i in range(3):
            renderer.render(template, {**letter_context(20_000 + i), **extra})
        runs.append(((label, idea), renderer, extra, share, [], [], []))
    for i in range(n):
        for _label, renderer, extra, share, times, cpu, sizes in runs:
            if share < 1 and i % round(1 / share):
                continue
            context = {**letter_context(i), **extra}
            qr_png_data_uri.cache_clear()  # each configuration encodes its own QR code
            started, started_cpu = time.perf_counter(), time.process_time()
            pdf = renderer.render(template, context)
            times.append(time.perf_counter() - started)
            cpu.append(time.process_time() - started_cpu)
            sizes.append(len(pdf))
    rows = []
    for (label, idea), _renderer, _extra, _share, times, cpu, sizes in runs:
        rows.append(
            (label, idea, statistics.median(times) * 1000, statistics.median(cpu) * 1000, statistics.mean(sizes) / 1000)
        )
        print(
            f"# {label}: median {rows[-1][2]:.1f} ms (CPU {rows[-1][3]:.1f} ms), "
            f"mean size {rows[-1][4]:.1f} KB ({len(times)} letters)",
            flush=True,
        )
    return rows


def versions() -> str:
    import cffi
    import pydyf
    import weasyprint

    harfbuzz = "?"
    try:
        ffi = cffi.FFI()
        ffi.cdef("const char *hb_version_string (void);")
        harfbuzz = ffi.string(ffi.dlopen("libharfbuzz.so.0").hb_version_string()).decode()
    except (OSError, AttributeError):
        pass
    return (
        f"Python {platform.python_version()}, WeasyPrint {weasyprint.__version__}, "
        f"pydyf {pydyf.__version__}, HarfBuzz {harfbuzz}"
    )


def write_docs(path: Path, command: str, results: dict, ablation_rows) -> None:
    """Replace the "## Letters (bench/letters.py)" section of ``path`` (the rest is kept)."""

    heading = "## Letters (bench/letters.py)"
    r = results
    body = [heading, ""]
    body += paragraph(
        f"Command (from the repository root), run on {datetime.date.today().isoformat()} on a "
        f"shared machine: {machine()}; {versions()}:"
    )
    body += [f"    {command}", ""]
    body += paragraph(
        f"{r['n']:,} one-page approval letters (入选通知书) from the default template "
        "`portal/static/letters/approval.html`: letterhead, serial 〔2026〕第0001号, recipient, "
        "~450 characters of text, three terms, seal, QR code and verification code, date in "
        "Chinese. Names vary; one in four has a character outside GB 2312 level 1 (䶮, 𠮷, 堃, "
        "喆...). Every PDF is PDF/A-3b, A4, with its fonts embedded."
    )
    body += [
        "| measure | result | target (SPEC §9) |",
        "| --- | --- | --- |",
        f"| median per letter, one process (CPU time) | {r['median']:.1f} ms ({r['cpu_median']:.1f} ms) | <= 50 ms |",
        f"| p95 per letter | {r['p95']:.1f} ms | |",
        f"| median, names with a rare character / others | {r['rare']:.1f} ms / {r['common']:.1f} ms | same speed |",
        *[
            f"| batch: {r['n']:,} letters through the job path, {r['workers']} RQ workers, {facts['database']}, "
            f"{len(runs)} run(s) (CPU time of the workers) | "
            + ", ".join(f"{wall:.1f} s" for wall, _cpu in runs)
            + " ("
            + ", ".join(f"{cpu:.1f} s" for _wall, cpu in runs)
            + ") | <= 30 s |"
            for facts, runs in r["batches"]
        ],
        f"| size per PDF, mean / max | {r['size_mean']:.1f} KB / {r['size_max']:.1f} KB | <= 250 KB |",
        f"| baseline: plain WeasyPrint, system font Noto Serif CJK SC, same letter | "
        f"{r['baseline']:.1f} ms | (~160 ms) |",
        f"| font preparation (`prepare_fonts()` in the process; `python -m "
        f"portal.pdf.fonts` adds ~0.2 s of start-up), cold / already prepared | "
        f"{r['prepare_cold']:.1f} s / {r['prepare_warm'] * 1000:.0f} ms | once per machine |",
        "",
    ]
    facts = r["batches"][0][0]
    databases = " and ".join(f"{f['database']}" for f, _runs in r["batches"])
    letters_cpu = [cpu / r["n"] * 1000 for _f, runs in r["batches"] for _wall, cpu in runs]
    body += paragraph(
        f"The batch runs through the job path, as in production, on a scratch {databases} database "
        f"(created anew for each run) with {r['n']:,} awarded applications of one call: the batch is "
        "started as the web page starts it (`start_batch`, then `run_batch` enqueued on Redis after the "
        "commit), which reserves the serial numbers of the whole batch in one short transaction and "
        f"splits it into jobs of {facts['chunk']} letters, run by {r['workers']} long-running `flask jobs "
        "worker` processes (RQ SimpleWorker, renderer warmed up once per worker). Each letter is stored "
        "with its PDF, audit entry and email; serial numbers come out consecutive (checked). Timed from "
        "the enqueue to the LetterJob being done, the workers' start-up (~1.5 s) included. The machine "
        f"is shared: its 1-minute load average was {r['load'][0]:.2f} before the run and "
        f"{r['load'][1]:.2f} after the batches. Wall times grow when other processes compete for the "
        "2 cores (the batch most, as it needs both); CPU times (`time.process_time`, `getrusage`) are "
        "what the letters cost whatever else runs."
    )
    body += paragraph(
        "What made the batch fast: a letter costs the workers "
        f"{min(letters_cpu):.0f}-{max(letters_cpu):.0f} ms of CPU time here (start-up and the emails "
        f"included), of which the render is ~{r['cpu_median']:.0f} ms. Each chunk loads its applications, "
        "applicants, units, programs, templates, letters in force and versions once (seven queries) and "
        "keeps them "
        "through the letters' commits, so a letter is rendered outside any transaction and stored in "
        "7 statements (document, letter, email, audit lock + chain head + entry, progress) instead of "
        "~23; the audit entry is written last, so the chain's lock is held only until the commit; the "
        "applicants' emails of a chunk go out together when it ends (one job, one SMTP connection) "
        "instead of one job per letter. Before these changes (commit 722c56c) the same benchmark took "
        "29.9-30.1 s on PostgreSQL on a slower day of the machine (23.1 s on a faster one) and 67 s "
        "on SQLite, where each letter's render held a read transaction that kept the other worker "
        "from writing."
    )
    if ablation_rows:
        default = ablation_rows[0][3]
        body += paragraph(
            "Effect of each optimisation (`--ablation`): each switched off in turn, each "
            "configuration with its own warmed-up renderer, the configurations taking turns "
            f"letter by letter ({min(r['n'], 200)} letters each, 50 with the system fonts), so "
            "that changes of load hit them alike; the load average was "
            f"{r['load_ablation']:.2f} at the end:"
        )
        body += [
            "| configuration | median | median CPU time | CPU time vs default | mean size |",
            "| --- | --- | --- | --- | --- |",
        ]
        body += [
            f"| {label} | {ms:.1f} ms | {cpu:.1f} ms | {cpu - default:+.1f} ms "
            f"({cpu / default - 1:+.0%}) | {kb:.1f} KB |"
            for label, _idea, ms, cpu, kb in ablation_rows
        ]
        body.append("")
        effects = [f"{idea} {cpu - default:.1f} ms" for _label, idea, _ms, cpu, _kb in ablation_rows if idea]
        # The other rows (compression levels, image cache) are variants without a clear effect.
        body += paragraph(
            "What made it fast, as the CPU time each idea saves per letter in this table: "
            + ", ".join(effects)
            + ". The prepared fonts are single-face cuts of Noto CJK made "
            "once per machine: a core of the GB 2312 level-1 hanzi, Latin and punctuation "
            "(4,670 glyphs instead of 65,535) and 1,000-character chunks for every other "
            "character, which Pango falls back to, so a rare name costs no more than another. "
            "Per PDF, HarfBuzz subsets them from faces preprocessed once per process "
            "(`hb_subset_preprocess`), which gives the same font program as WeasyPrint's own "
            "subsetting (checked by the tests). The seal is SVG text in the letter font rather "
            "than glyph outlines, and the QR code a PNG of one pixel per module rather than an "
            "SVG path, because WeasyPrint parses every SVG path again for every PDF."
        )
    replace_section(path, heading, body)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=1000, help="number of letters (default 1000)")
    parser.add_argument("--workers", type=int, default=2, help="batch worker processes")
    parser.add_argument("--warmup", type=int, default=20, help="warm-up renders")
    parser.add_argument("--baseline-renders", type=int, default=20)
    parser.add_argument("--ablation", action="store_true", help="also measure the effect of each optimisation")
    parser.add_argument(
        "--database-url",
        action="append",
        help="batch database: 'sqlite' (a scratch file, the default) or a PostgreSQL URL whose "
        "database name starts with 'bench' (dropped and created for each run); repeat "
        "the option to measure several",
    )
    parser.add_argument("--batch-runs", type=int, default=1, help="batch runs per database (default 1)")
    parser.add_argument(
        "--redis-url", default="redis://127.0.0.1:6379/9", help="Redis database for the batch's queue, flushed first"
    )
    parser.add_argument("--write-docs", action="store_true", help="replace the Letters section of docs/benchmarks.md")
    args = parser.parse_args(argv)

    from portal.pdf import fonts

    manifest = fonts.prepare_fonts()  # no-op when already prepared (set-up step)
    print(f"# fonts: {fonts.default_fonts_dir()} ({len(manifest['files'])} files)", flush=True)
    started = time.perf_counter()
    fonts.prepare_fonts()
    prepare_warm = time.perf_counter() - started
    with tempfile.TemporaryDirectory() as scratch:
        started = time.perf_counter()
        fonts.prepare_fonts(Path(scratch) / "letter-fonts")
        prepare_cold = time.perf_counter() - started
    print(
        f"# font preparation: {prepare_cold:.1f} s cold, {prepare_warm * 1000:.0f} ms when already prepared", flush=True
    )
    load_before = os.getloadavg()[0]
    print(f"# load average before: {load_before:.2f} ({os.cpu_count()} cores)", flush=True)

    single = single_process(args.n, args.warmup)
    times_ms = [t * 1000 for t in single["times"]]
    sizes_kb = [size / 1000 for size in single["sizes"]]
    results = {
        "n": args.n,
        "workers": args.workers,
        "median": statistics.median(times_ms),
        "p95": percentile(times_ms, 95),
        "cpu_median": statistics.median(single["cpu"]) * 1000,
        "rare": statistics.median(single["rare"]) * 1000,
        "common": statistics.median(single["common"]) * 1000,
        "size_mean": statistics.mean(sizes_kb),
        "size_max": max(sizes_kb),
        "prepare_cold": prepare_cold,
        "prepare_warm": prepare_warm,
    }
    print(f"median: {results['median']:.1f} ms (CPU time: {results['cpu_median']:.1f} ms)", flush=True)
    print(f"p95: {results['p95']:.1f} ms", flush=True)
    print(
        f"rare-character names: median {results['rare']:.1f} ms ({len(single['rare'])} "
        f"letters); others: {results['common']:.1f} ms",
        flush=True,
    )

    results["batches"] = []
    for database_url in args.database_url or ["sqlite"]:
        runs = []
        for _ in range(args.batch_runs):
            seconds, cpu, facts = batch(
                args.n, args.workers, None if database_url == "sqlite" else database_url, args.redis_url
            )
            assert facts["status"] == "done" and facts["done"] == facts["total"] == args.n, facts
            assert facts["serials_ok"] and facts["letters"] == args.n, facts
            runs.append((seconds, cpu))
        results["batches"].append((facts, runs))
        walls = ", ".join(f"{wall:.1f}" for wall, _cpu in runs)
        cpus = ", ".join(f"{cpu:.1f}" for _wall, cpu in runs)
        print(
            f"batch: {max(wall for wall, _cpu in runs):.1f} s (slowest of {len(runs)} run(s): {walls} s; "
            f"{args.n} letters through the job path: {args.workers} `flask jobs worker` processes, RQ, "
            f"{facts['database']}; the workers used {cpus} s of CPU time)",
            flush=True,
        )
    print(f"size: {results['size_mean']:.1f} KB mean, {results['size_max']:.1f} KB max", flush=True)
    results["baseline"] = baseline(args.baseline_renders) * 1000
    print(f"baseline: {results['baseline']:.1f} ms", flush=True)

    results["load"] = (load_before, os.getloadavg()[0])
    print(f"# load average after the batch: {results['load'][1]:.2f}", flush=True)
    rows = ablation(min(args.n, 200)) if args.ablation else None
    results["load_ablation"] = os.getloadavg()[0]
    if args.write_docs:
        command = ".venv/bin/python bench/letters.py " + " ".join(argv if argv is not None else sys.argv[1:])
        write_docs(ROOT / "docs" / "benchmarks.md", command.strip(), results, rows)
        print("# wrote docs/benchmarks.md", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
