"""Demo data: units, disciplines, the programs of SPEC §2 with open calls, one account per role."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from sqlalchemy import select

from .accounts.models import Role
from .accounts.services import create_user, find_user
from .database import commit, utcnow
from .extensions import db
from .office import call_life, program_admin
from .programs import call_admin
from .programs.models import Call, Discipline, Program, Unit
from .programs.seed_data import SEED_EXTRA_FIELDS, SEED_RULES
from .reviews.evaluation.schemes import seed_schemes
from .reviews.models import ExpertProfile
from .seed_applications import load_demo_applications

DEMO_PASSWORD = "demo-password-2026"

UNITS = [
    # code, zh, en, parent code
    ("CAS", "中国科学院", "Chinese Academy of Sciences", None),
    ("CAS-AMSS", "数学与系统科学研究院", "Academy of Mathematics and Systems Science", "CAS"),
    ("CAS-IOP", "物理研究所", "Institute of Physics", "CAS"),
    ("CAS-ICT", "计算技术研究所", "Institute of Computing Technology", "CAS"),
    ("CAS-ICCAS", "化学研究所", "Institute of Chemistry", "CAS"),
    ("CAS-IBP", "生物物理研究所", "Institute of Biophysics", "CAS"),
    ("CAS-IGG", "地质与地球物理研究所", "Institute of Geology and Geophysics", "CAS"),
    ("THU", "清华大学", "Tsinghua University", None),
    ("THU-MATH", "清华大学数学科学系", "Tsinghua Department of Mathematical Sciences", "THU"),
    ("THU-CS", "清华大学计算机科学与技术系", "Tsinghua Department of Computer Science and Technology", "THU"),
    ("PKU", "北京大学", "Peking University", None),
    ("PKU-PHY", "北京大学物理学院", "PKU School of Physics", "PKU"),
    ("PKU-CHEM", "北京大学化学与分子工程学院", "PKU College of Chemistry and Molecular Engineering", "PKU"),
    ("USTC", "中国科学技术大学", "University of Science and Technology of China", None),
    ("FUDAN", "复旦大学", "Fudan University", None),
]

DISCIPLINES = [
    ("A", "数理科学", "Mathematical and Physical Sciences", None),
    ("A01", "数学", "Mathematics", "A"),
    ("A02", "力学", "Mechanics", "A"),
    ("A03", "天文学", "Astronomy", "A"),
    ("A04", "物理学", "Physics", "A"),
    ("B", "化学科学", "Chemical Sciences", None),
    ("B01", "合成化学", "Synthetic Chemistry", "B"),
    ("B02", "催化与表界面化学", "Catalysis and Surface Chemistry", "B"),
    ("C", "生命科学", "Life Sciences", None),
    ("C01", "微生物学", "Microbiology", "C"),
    ("C05", "生物物理与生物化学", "Biophysics and Biochemistry", "C"),
    ("D", "地球科学", "Earth Sciences", None),
    ("D02", "地质学", "Geology", "D"),
    ("E", "工程与材料科学", "Engineering and Materials Sciences", None),
    ("E01", "金属材料", "Metallic Materials", "E"),
    ("F", "信息科学", "Information Sciences", None),
    ("F02", "计算机科学", "Computer Science", "F"),
    ("F03", "自动化", "Automation", "F"),
    ("G", "管理科学", "Management Sciences", None),
    ("H", "医学科学", "Medical Sciences", None),
]

REQUIRED_DOCS = [
    {"code": "cv", "zh": "个人简历", "en": "Curriculum vitae"},
    {"code": "degree", "zh": "学位证书", "en": "Degree certificate"},
    {"code": "plan", "zh": "工作计划书", "en": "Work plan"},
]

PROGRAMS = [
    # code, zh, en, level, category, experts, blind, unit quota
    (
        "qianren_long",
        "千人计划·创新人才长期项目",
        "Thousand Talents Plan — Innovative Talents (long-term)",
        "national",
        "leading",
        5,
        False,
        3,
    ),
    (
        "qianren_short",
        "千人计划·创新人才短期项目",
        "Thousand Talents Plan — Innovative Talents (short-term)",
        "national",
        "leading",
        5,
        False,
        3,
    ),
    (
        "qianren_youth",
        "千人计划·青年项目",
        "Thousand Talents Plan — Young Professionals",
        "national",
        "young",
        5,
        True,
        5,
    ),
    (
        "qianren_startup",
        "千人计划·创业人才项目",
        "Thousand Talents Plan — Entrepreneurs",
        "national",
        "industrial",
        3,
        False,
        2,
    ),
    ("bairen", "百人计划", "Hundred Talents Program", "academy", "top", 3, False, 4),
    ("youth_talent", "青年英才开发计划", "Young Talents Development Plan", "institute", "young", 3, False, 6),
    (
        "support_talent",
        "支撑与管理人才培养计划",
        "Support and Management Talents Training Plan",
        "institute",
        "support",
        3,
        False,
        6,
    ),
]

# The expert pool of the demo: (email, name, unit code, disciplines, keywords, title)
DEMO_EXPERTS = [
    ("expert@demo.talent.cn", "王建国", "THU-MATH", ["A01"], ["代数几何", "数论"], "教授"),
    ("expert2@demo.talent.cn", "赵立平", "PKU-PHY", ["A04", "A01"], ["凝聚态物理", "数学物理"], "教授"),
    ("expert3@demo.talent.cn", "孙海涛", "USTC", ["A01"], ["偏微分方程", "数论"], "教授"),
    ("expert4@demo.talent.cn", "周雅琴", "FUDAN", ["A01", "A02"], ["概率论", "随机分析"], "研究员"),
    ("expert5@demo.talent.cn", "吴志强", "CAS-ICT", ["F02"], ["机器学习", "计算机体系结构"], "研究员"),
    ("expert6@demo.talent.cn", "郑晓燕", "PKU-CHEM", ["B01", "B02"], ["催化", "有机合成"], "教授"),
]

DEMO_ACCOUNTS = [
    (Role.APPLICANT.value, "applicant@demo.talent.cn", "张明远", None),
    (Role.UNIT_ADMIN.value, "unit@demo.talent.cn", "李秀英", "CAS-AMSS"),
    (Role.EXPERT.value, "expert@demo.talent.cn", "王建国", None),
    (Role.PROGRAM_ADMIN.value, "program@demo.talent.cn", "陈静", None),
    (Role.SYSADMIN.value, "admin@demo.talent.cn", "刘洋", None),
]

# Program offices bound to some programs (program@demo.talent.cn above runs every program): email, name, programs.
DEMO_OFFICES = [
    ("youth.office@demo.talent.cn", "黄敏", ("youth_talent", "support_talent")),
]


def load_demo(now: datetime | None = None) -> list[tuple[str, str]]:
    """Insert whatever demo rows are missing (safe to run twice); returns (role, email) pairs."""
    now = now or utcnow()
    units = {u.code: u for u in db.session.execute(select(Unit)).scalars()}
    for code, zh, en, parent in UNITS:
        if code not in units:
            units[code] = Unit(code=code, name_zh=zh, name_en=en, parent=units.get(parent))
            db.session.add(units[code])
    existing = set(db.session.execute(select(Discipline.code)).scalars())
    for code, zh, en, parent in DISCIPLINES:
        if code not in existing:
            db.session.add(Discipline(code=code, name_zh=zh, name_en=en, parent_code=parent))
    db.session.flush()

    # Programs and calls are made by the program office's own verbs, as the pages make them.
    programs = {p.code: p for p in db.session.execute(select(Program)).scalars()}
    # Calls open ten days ago and close in sixty days, at 17:00 Beijing time (09:00 UTC).
    opens = (now - timedelta(days=10)).replace(hour=1, minute=0, second=0, microsecond=0)
    closes = (now + timedelta(days=60)).replace(hour=9, minute=0, second=0, microsecond=0)
    year = now.astimezone(timezone(timedelta(hours=8))).year
    for code, zh, en, level, category, experts, blind, quota in PROGRAMS:
        program = programs.get(code)
        if program is None:
            program = program_admin.create_program(
                "seed",
                code=code,
                name_zh=zh,
                name_en=en,
                level=level,
                category=category,
                eligibility_rules=SEED_RULES.get(code, []),
                required_documents=REQUIRED_DOCS,
                extra_fields=SEED_EXTRA_FIELDS.get(code, []),
                referees_required={"national": 2, "academy": 1}.get(level, 0),
                experts_per_application=experts,
                blind_review=blind,
                unit_quota=quota,
                notice_required=True,
                notice_days=7,
            )
            programs[code] = program
        has_call = db.session.execute(select(Call.id).where(Call.program_id == program.id, Call.year == year)).first()
        if not has_call:
            call = call_admin.create_call(
                program,
                actor="seed",
                year=year,
                title_zh=f"{zh} {year} 年度申报",
                title_en=f"{en}, {year} call",
                opens_at=opens,
                closes_at=closes,
                cutoff_date=date(year, 12, 31),
                total_quota=20,
                review_due=(closes + timedelta(days=45)).date(),
            )
            call_life.publish(call, actor="seed", now=now)
    db.session.flush()

    for role, email, name, unit_code in DEMO_ACCOUNTS:
        if find_user(email) is None:
            unit_id = units[unit_code].id if unit_code else None
            create_user(email, name, DEMO_PASSWORD, [(role, unit_id)], actor="seed")
    # A second program office that runs only the institute's own programs: it sees nothing of the others.
    for email, name, codes in DEMO_OFFICES:
        if find_user(email) is None:
            create_user(
                email,
                name,
                DEMO_PASSWORD,
                [(Role.PROGRAM_ADMIN.value, None, programs[code].id) for code in codes],
                actor="seed",
            )
    for email, name, unit_code, disciplines, keywords, title in DEMO_EXPERTS:
        user = find_user(email) or create_user(email, name, DEMO_PASSWORD, [(Role.EXPERT.value, None)], actor="seed")
        if db.session.get(ExpertProfile, user.id) is None:
            db.session.add(
                ExpertProfile(
                    user_id=user.id,
                    unit_id=units[unit_code].id,
                    disciplines=disciplines,
                    keywords=keywords,
                    title=title,
                    load_cap=10,
                )
            )
    seed_schemes()

    load_demo_applications(DEMO_PASSWORD)
    commit()
    return [(role, email) for role, email, _, _ in DEMO_ACCOUNTS] + [
        (Role.PROGRAM_ADMIN.value, email) for email, _, _ in DEMO_OFFICES
    ]
