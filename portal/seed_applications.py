"""Demo applications already submitted, so unit admins, the office and experts have work on a fresh install."""

from __future__ import annotations

from datetime import date

from flask import current_app
from sqlalchemy import select

from .accounts.models import Role
from .accounts.services import create_user, find_user
from .applications.models import Application, Education, Position, Profile
from .applications.services import build_snapshot, check_eligibility, generate_book
from .applications.workflow import State
from .audit.services import record
from .database import after_commit, utcnow
from .extensions import db
from .programs.models import Call, Program, Unit

# email, name, gender, birth, program, unit, discipline, title, keywords
DEMO_APPLICANTS = [
    (
        "li.na@demo.talent.cn",
        "李娜",
        "female",
        date(1989, 4, 12),
        "bairen",
        "CAS-AMSS",
        "A01",
        "模形式与朗兰兹纲领中的算术问题",
        ["模形式", "数论"],
    ),
    (
        "chen.hao@demo.talent.cn",
        "陈浩",
        "male",
        date(1990, 9, 3),
        "bairen",
        "CAS-AMSS",
        "A01",
        "高维代数簇的双有理几何",
        ["代数几何", "双有理几何"],
    ),
    (
        "yang.fan@demo.talent.cn",
        "杨帆",
        "male",
        date(1988, 1, 25),
        "bairen",
        "CAS-AMSS",
        "A01",
        "随机偏微分方程的正则性结构",
        ["概率论", "偏微分方程"],
    ),
    # A mathematician applying in computer science: the demo's deliberately thin discipline (its only expert
    # works in the same institute tree), so automatic assignment shows a reasoned shortfall.
    (
        "wang.lei@demo.talent.cn",
        "王磊",
        "male",
        date(1991, 11, 8),
        "bairen",
        "CAS-AMSS",
        "F02",
        "面向大规模优化问题的可信机器学习算法",
        ["机器学习", "优化"],
    ),
    (
        "zhang.li@demo.talent.cn",
        "张丽",
        "female",
        date(1986, 6, 30),
        "support_talent",
        "CAS-AMSS",
        "A01",
        "高性能计算平台运维与用户支持",
        ["高性能计算", "技术支撑"],
    ),
]


def load_demo_applications(password: str) -> None:
    """Submitted applications of the demo applicants (idempotent)."""
    for email, name, gender, birth, code, unit_code, discipline, title, keywords in DEMO_APPLICANTS:
        user = find_user(email) or create_user(email, name, password, [(Role.APPLICANT.value, None)], actor="seed")
        if db.session.get(Profile, user.id) is None:
            db.session.add(
                Profile(
                    user_id=user.id,
                    gender=gender,
                    birth_date=birth,
                    nationality="CN",
                    id_type="id_card",
                    id_number=f"110101{birth:%Y%m%d}0011",
                    phone="13800138000",
                    discipline_codes=[discipline],
                    keywords=keywords,
                )
            )
            support = code == "support_talent"
            db.session.add(
                Education(
                    user_id=user.id,
                    degree="phd",
                    institution="University of Oxford",
                    country="GB",
                    year=birth.year + 28,
                )
            )
            db.session.add(
                Position(
                    user_id=user.id,
                    employer="中国科学院数学与系统科学研究院" if support else "University of Oxford",
                    country="CN" if support else "GB",
                    title="高级工程师" if support else "Research Fellow",
                    post_level="technical_support" if support else "assistant_professor",
                    start_date=date(birth.year + 29, 1, 1),
                    end_date=None,
                    is_research=not support,
                )
            )
            db.session.flush()
        call = db.session.execute(select(Call).join(Program).where(Program.code == code)).scalars().first()
        existing = (
            db.session.execute(
                select(Application).where(Application.applicant_id == user.id, Application.call_id == call.id)
            )
            .scalars()
            .first()
        )
        if existing is not None:
            if existing.snapshot is not None and existing.book_document_id is None:
                _queue_book(existing)  # seeded before the seed made books
            continue
        unit = db.session.execute(select(Unit).where(Unit.code == unit_code)).scalar_one()
        application = Application(
            call_id=call.id,
            applicant_id=user.id,
            unit_id=unit.id,
            state=State.DRAFT.value,
            title=title,
            discipline_code=discipline,
            keywords=keywords,
            plan=f"{title}：本人拟在未来五年围绕该方向开展系统研究，建设研究团队，"
            "力争取得原创性成果，并积极开展国际合作与人才培养。",
        )
        db.session.add(application)
        db.session.flush()
        now = utcnow()
        application.snapshot = build_snapshot(application, check_eligibility(application), now)
        application.state, application.submitted_at, application.submission_count = "submitted", now, 1
        application.state_changed_at = now
        record(
            "application.submit",
            application,
            actor=user,
            data={"from": "draft", "to": "submitted", "comment": "", "demo": True},
        )
        _queue_book(application)


def _queue_book(application: Application) -> None:
    """Make the application book once the seed commits, as a real submission does (in-process without Redis).
    DEMO_BOOKS=False skips it (the test suite, which loads the demo data hundreds of times)."""
    if current_app.config.get("DEMO_BOOKS", True):
        after_commit(generate_book, application.id, application.submission_count)
