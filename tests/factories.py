"""Test data: factory_boy factories for the models, and the builders tests share (PDFs, an eligible applicant for
百人计划, an application in a given state, the demo data's people and objects).

The factories add to the test's session and flush (`db.session` is looked up at each call, since the `db` fixture
swaps it for one bound to the test's rolled-back connection); the test commits where the code under test would
see committed data. A factory sets only what its model needs: everything else keeps the model's defaults, and
traits (``ApplicationFactory(submitted=True)``) say what a test adds.
"""

from __future__ import annotations

import hashlib
import io
import uuid
from datetime import date, timedelta

import factory
from factory.alchemy import SQLAlchemyModelFactory
from flask import current_app
from pypdf import PdfWriter
from sqlalchemy import insert, select

from portal.accounts.models import User, UserRole
from portal.accounts.services import find_user, hash_password
from portal.applications.models import Application, Education, Position, Profile
from portal.applications.services import build_snapshot, start_application
from portal.database import commit, utcnow
from portal.decisions import services as decisions
from portal.decisions.models import Appeal, DecisionSession
from portal.extensions import db
from portal.programs.models import Call, Program, Unit
from portal.reviews.evaluation.schemes import scheme_for_call
from portal.reviews.models import Assignment, Evaluation, ExpertProfile, UnitReview
from portal.reviews.ranking.services import mark_changed

PASSWORD = "correct-horse-battery"
#: States an application reaches only by being submitted: they need a submission time (a check constraint says so).
_UNSUBMITTED = ("draft", "withdrawn")

_hashes: dict[tuple, str] = {}


def password_hash(password: str = PASSWORD) -> str:
    """The argon2id hash of `password` with the running app's parameters, computed once a run: hashing is slow."""
    key = (password, repr(current_app.config.get("PASSWORD_HASH_PARAMS")))
    if key not in _hashes:
        _hashes[key] = hash_password(password)
    return _hashes[key]


class BaseFactory(SQLAlchemyModelFactory):
    class Meta:
        abstract = True
        sqlalchemy_session_factory = lambda: db.session  # noqa: E731  (the session of the running test)
        sqlalchemy_session_persistence = "flush"


# ---------------------------------------------------------------- accounts and units


class UnitFactory(BaseFactory):
    class Meta:
        model = Unit

    code = factory.Sequence(lambda n: f"U-{n:04d}")
    name_zh = factory.Sequence(lambda n: f"测试单位{n}")
    name_en = factory.Sequence(lambda n: f"Test unit {n}")


class UserRoleFactory(BaseFactory):
    """One role of a person: UserRoleFactory(user=u, role="unit_admin", unit=unit)."""

    class Meta:
        model = UserRole

    user = factory.SubFactory("tests.factories.UserFactory")
    role = "applicant"


class UserFactory(BaseFactory):
    """A confirmed account whose password is PASSWORD.

    Roles as conftest's make_user takes them: ``roles=["expert", ("unit_admin", unit_id),
    ("program_admin", None, program_id)]`` (a bare "program_admin" is office-wide), or one trait:
    ``UserFactory(expert=True)``. ``UserFactory(eligible=True)`` is an applicant whom 百人计划's rules admit.
    """

    class Meta:
        model = User

    email = factory.Sequence(lambda n: f"person{n}@example.cn")
    name = "测试用户"
    password_hash = factory.LazyFunction(password_hash)
    locale = "zh_CN"
    email_confirmed_at = factory.LazyFunction(utcnow)

    class Params:
        unconfirmed = factory.Trait(email_confirmed_at=None)
        applicant = factory.Trait(applicant_role=factory.RelatedFactory(UserRoleFactory, "user", role="applicant"))
        expert = factory.Trait(expert_role=factory.RelatedFactory(UserRoleFactory, "user", role="expert"))
        program_admin = factory.Trait(  # office-wide: every program
            program_admin_role=factory.RelatedFactory(UserRoleFactory, "user", role="program_admin")
        )
        sysadmin = factory.Trait(sysadmin_role=factory.RelatedFactory(UserRoleFactory, "user", role="sysadmin"))
        eligible = factory.Trait(
            applicant=True,
            profile=factory.RelatedFactory("tests.factories.ProfileFactory", "user", bairen=True),
            phd=factory.RelatedFactory("tests.factories.EducationFactory", "user", phd_abroad=True),
            post=factory.RelatedFactory("tests.factories.PositionFactory", "user", research_abroad=True),
        )

    @factory.post_generation
    def roles(user, create, extracted, **kwargs):
        """Grant each role once; only a unit admin keeps a unit and only a program admin a program."""
        grants = []
        for role in extracted or ():
            name, unit_id, *rest = (role, None) if isinstance(role, str) else tuple(role)
            program_id = (rest[0] if rest else None) if name == "program_admin" else None
            unit_id = unit_id if name == "unit_admin" else None
            if (name, unit_id, program_id) not in grants:
                grants.append((name, unit_id, program_id))
        for name, unit_id, program_id in grants:
            user.roles.append(UserRole(role=name, unit_id=unit_id, program_id=program_id))
        if grants and create:
            db.session.flush()


# ---------------------------------------------------------------- programs and calls


class ProgramFactory(BaseFactory):
    class Meta:
        model = Program

    code = factory.Sequence(lambda n: f"program{n}")
    name_zh = factory.Sequence(lambda n: f"测试计划{n}")
    name_en = factory.Sequence(lambda n: f"Test programme {n}")
    level = "institute"
    category = "young"
    experts_per_application = 3

    class Params:
        #: An institute's young-talent program with one rule and one document, as the call office tests use.
        qingnian = factory.Trait(
            code="qingnian",
            name_zh="青年英才开发计划",
            name_en="Young Talent Programme",
            eligibility_rules=[{"rule": "max_age", "value": 35}],
            required_documents=[{"code": "cv", "zh": "简历", "en": "CV"}],
            extra_fields=[],
            unit_quota=4,
        )


class CallFactory(BaseFactory):
    """A call open now: published, opened yesterday, closing in 30 days."""

    class Meta:
        model = Call

    program = factory.SubFactory(ProgramFactory)
    year = factory.LazyFunction(lambda: utcnow().year)
    title_zh = factory.LazyAttribute(lambda o: f"{o.program.name_zh} {o.year} 年度申报")
    title_en = factory.LazyAttribute(lambda o: f"{o.program.name_en}, {o.year} call")
    opens_at = factory.LazyFunction(lambda: utcnow() - timedelta(days=1))
    closes_at = factory.LazyAttribute(lambda o: o.opens_at + timedelta(days=31))
    cutoff_date = factory.LazyAttribute(lambda o: date(o.year, 12, 31))
    status = "open"

    class Params:
        draft = factory.Trait(status="draft")


# ---------------------------------------------------------------- applicants and applications


class ProfileFactory(BaseFactory):
    class Meta:
        model = Profile

    user = factory.SubFactory(UserFactory, applicant=True)

    class Params:
        #: The person of make_profile: born 1990, a Chinese citizen in 数学 (A01).
        bairen = factory.Trait(
            gender="male",
            birth_date=date(1990, 5, 1),
            nationality="CN",
            id_type="id_card",
            id_number="110101199005011234",
            phone="13800000000",
            discipline_codes=["A01"],
            keywords=["代数几何", "数论"],
        )


class EducationFactory(BaseFactory):
    class Meta:
        model = Education

    user_id = factory.SelfAttribute("user.id")
    degree = "phd"
    institution = "MIT"
    country = "US"
    year = 2014

    class Params:
        user = factory.SubFactory(UserFactory, applicant=True)
        phd_abroad = factory.Trait(institution="Princeton University")


class PositionFactory(BaseFactory):
    class Meta:
        model = Position

    user_id = factory.SelfAttribute("user.id")
    employer = "MIT"
    country = "US"
    title = "Assistant Professor"
    post_level = "assistant_professor"
    start_date = date(2015, 1, 1)
    is_research = True

    class Params:
        user = factory.SubFactory(UserFactory, applicant=True)
        abroad_years = 5
        #: Research abroad from 2015 for `abroad_years` years, as 百人计划 asks.
        research_abroad = factory.Trait(
            end_date=factory.LazyAttribute(lambda o: o.start_date + timedelta(days=int(o.abroad_years * 365.25)))
        )


class ApplicationFactory(BaseFactory):
    """An application; past draft (``state="under_review"`` or a trait) it has its submission time.

    Only what the model needs is set; ``submitted_application`` below fills it in as an applicant would.
    """

    class Meta:
        model = Application

    call = factory.SubFactory(CallFactory)
    applicant = factory.SubFactory(UserFactory, applicant=True)
    unit = factory.SubFactory(UnitFactory)
    state = "draft"
    submitted_at = factory.LazyAttribute(lambda o: None if o.state in _UNSUBMITTED else utcnow())

    class Params:
        submitted = factory.Trait(state="submitted", submission_count=1)
        under_review = factory.Trait(state="under_review", submission_count=1)
        reviewed = factory.Trait(state="reviewed", submission_count=1)
        awarded = factory.Trait(state="awarded", submission_count=1)
        withdrawn = factory.Trait(state="withdrawn")


# ---------------------------------------------------------------- review


class UnitReviewFactory(BaseFactory):
    class Meta:
        model = UnitReview

    application = factory.SubFactory(ApplicationFactory, submitted=True)
    reviewer_id = factory.SelfAttribute("reviewer.id")

    class Params:
        reviewer = factory.SubFactory(UserFactory)


class ExpertProfileFactory(BaseFactory):
    class Meta:
        model = ExpertProfile

    user = factory.SubFactory(UserFactory, expert=True)
    disciplines = factory.LazyFunction(lambda: ["A01"])


class AssignmentFactory(BaseFactory):
    """An expert asked to evaluate; once the expert has answered (accepted, declined, submitted) it has the time.

    ``external=True``: an evaluator without an account, reached by a token link (kind "user", 用户评价).
    """

    class Meta:
        model = Assignment

    application = factory.SubFactory(ApplicationFactory, under_review=True)
    kind = "expert"
    expert = factory.SubFactory(UserFactory, expert=True)
    status = "invited"
    responded_at = factory.LazyAttribute(lambda o: None if o.status in ("invited", "withdrawn") else utcnow())

    class Params:
        external = factory.Trait(
            kind="user",
            expert=None,
            external_name="用户代表",
            token_hash=factory.Sequence(lambda n: hashlib.sha256(f"assignment-{n}".encode()).hexdigest()),
            external_email=factory.LazyAttribute(lambda o: f"{o.token_hash[:10]}@example.cn"),
        )


class EvaluationFactory(BaseFactory):
    """A submitted peer evaluation: EvaluationFactory(application=a, scores={"performance": 80, ...})."""

    class Meta:
        model = Evaluation

    application = factory.SubFactory(ApplicationFactory, under_review=True)
    evaluator_key = factory.Sequence(lambda n: f"user:{90000 + n}")
    component = "peer"
    scores = factory.LazyFunction(dict)
    integrity_ok = True
    status = "submitted"
    submitted_at = factory.LazyAttribute(lambda o: utcnow() if o.status == "submitted" else None)


# ---------------------------------------------------------------- decisions


class DecisionSessionFactory(BaseFactory):
    class Meta:
        model = DecisionSession

    call = factory.SubFactory(CallFactory)
    status = "draft"
    finalised_at = factory.LazyAttribute(lambda o: utcnow() if o.status == "finalised" else None)

    class Params:
        finalised = factory.Trait(status="finalised")


class AppealFactory(BaseFactory):
    class Meta:
        model = Appeal

    application = factory.SubFactory(ApplicationFactory, state="appeal")
    reason = "专家意见与事实不符，请求复审。" * 3
    status = "pending"


# ---------------------------------------------------------------- files


def pdf_bytes(pages: int = 1, encrypt: str | None = None) -> bytes:
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=595, height=842)
    if encrypt:
        writer.encrypt(encrypt)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


# ---------------------------------------------------------------- the demo data (`flask seed demo`)


def call_of(db, program_code: str) -> Call:
    return db.session.execute(select(Call).join(Program).where(Program.code == program_code)).scalars().first()


def program_of(db, code: str) -> Program:
    return db.session.execute(select(Program).where(Program.code == code)).scalar_one()


def unit_id(db, code: str = "CAS-AMSS") -> int:
    return db.session.execute(select(Unit.id).where(Unit.code == code)).scalar_one()


def demo_expert(n: int = 1) -> User:
    """The demo's n-th expert (expert@, expert2@ … demo.talent.cn)."""
    return find_user("expert@demo.talent.cn" if n == 1 else f"expert{n}@demo.talent.cn")


def demo_office() -> User:
    """The demo's program office (an office-wide program admin)."""
    return find_user("program@demo.talent.cn")


# ---------------------------------------------------------------- many rows at once, for rankings and long lists


def add_applications(db, call, names, *, unit="CAS-AMSS", state="under_review", discipline="A01") -> list[int]:
    """Applicants and their applications, inserted in bulk (fast enough for a thousand); returns the ids in order."""
    tag = uuid.uuid4().hex[:8]
    emails = [f"r{tag}-{i}@example.cn" for i in range(len(names))]
    db.session.execute(
        insert(User), [{"email": e, "name": n, "password_hash": "!"} for e, n in zip(emails, names, strict=True)]
    )
    users = dict(db.session.execute(select(User.email, User.id).where(User.email.in_(emails))).all())
    now, unit_pk = utcnow(), unit_id(db, unit)
    db.session.execute(
        insert(Application),
        [
            {
                "call_id": call.id,
                "applicant_id": users[e],
                "unit_id": unit_pk,
                "state": state,
                "submitted_at": now,
                "discipline_code": discipline,
                "title": f"课题 {i}",
            }
            for i, e in enumerate(emails)
        ],
    )
    by_user = dict(
        db.session.execute(
            select(Application.applicant_id, Application.id).where(Application.applicant_id.in_(users.values()))
        ).all()
    )
    mark_changed(db.session, call_ids=[call.id])  # Core inserts are not seen by the ranking's change tracking
    db.session.commit()
    return [by_user[users[e]] for e in emails]


def top_scores(value: float) -> dict:
    """Both criteria of the 'top' scheme at the same value, so the component score is that value."""
    return {"performance": value, "influence": value}


def add_evaluations(db, rows) -> None:
    """rows: (application id, evaluator key, component, scores) or with a fifth item of extra columns."""
    now = utcnow()
    values = []
    for row in rows:
        application_id, key, component, scores, *extra = row
        values.append(
            {
                "application_id": application_id,
                "evaluator_key": key,
                "component": component,
                "scores": scores,
                "status": "submitted",
                "submitted_at": now,
                "integrity_ok": True,
                **(extra[0] if extra else {}),
            }
        )
    db.session.execute(insert(Evaluation), values)
    mark_changed(db.session, application_ids={v["application_id"] for v in values})
    db.session.commit()


def build_hand_case(db):
    """Three 'bairen' applications in one unit, a neutral, a strict and a lenient expert: the ranking computed by
    hand in tests/services/test_ranking.py."""
    call = call_of(db, "bairen")
    call.program.experts_per_application = 3
    a, b, c = add_applications(db, call, ["安娜", "白桦", "陈䶮"])
    unit_key = f"unit:{unit_id(db)}"
    neutral, strict, lenient = "user:9001", "user:9002", "user:9003"
    add_evaluations(
        db,
        [(x, unit_key, "unit", top_scores(80)) for x in (a, b, c)]
        + [
            (a, neutral, "peer", top_scores(80)),
            (b, neutral, "peer", top_scores(75)),
            (c, neutral, "peer", top_scores(70)),
            (a, strict, "peer", top_scores(60)),
            (b, strict, "peer", top_scores(55)),  # neutral − 20
            (b, lenient, "peer", top_scores(90)),
            (c, lenient, "peer", top_scores(85)),  # neutral + 15
        ],
    )
    return call, {"A": a, "B": b, "C": c}


# ---------------------------------------------------------------- applicants and their applications


def make_profile(db, user, *, birth: date = date(1990, 5, 1), abroad_years: int = 5, post_level="assistant_professor"):
    """A profile that meets the 百人计划 rules: PhD 2014 abroad, `abroad_years` of research abroad after it."""
    ProfileFactory(user=user, bairen=True, birth_date=birth)
    EducationFactory(user=user, phd_abroad=True)
    PositionFactory(user=user, research_abroad=True, abroad_years=abroad_years, post_level=post_level)
    db.session.commit()


def fill_application(db, application, *, plan: str = "研究代数几何与数论的交叉问题，" * 5):
    """Everything an application needs except referee letters."""
    from portal.storage import save_document

    application.title = "代数几何中的算术问题"
    application.discipline_code = "A01"
    application.plan = plan
    for doc in application.call.required_documents:
        save_document(
            pdf_bytes(2),
            kind=doc["code"],
            original_name=f"{doc['code']}.pdf",
            owner_id=application.applicant_id,
            application_id=application.id,
        )
    db.session.commit()
    db.session.refresh(application)


def started_application(db, user, code: str = "bairen", unit: str = "CAS-AMSS") -> Application:
    """A draft the applicant has started on the call's page (by the applications' own verb)."""
    application = start_application(call_of(db, code), user, unit_id(db, unit))
    db.session.commit()
    return application


def submitted_application(
    db,
    make_user,
    program_code: str = "bairen",
    *,
    unit_code: str = "CAS-AMSS",
    name: str = "申请人",
    discipline: str = "A01",
    exception: bool = False,
    state: str = "submitted",
):
    """An application as if its applicant had gone through every step and submitted it, then left in `state`."""
    user = make_user("applicant", name=name)
    make_profile(db, user)
    application = ApplicationFactory(
        call=call_of(db, program_code),
        applicant=user,
        unit=db.session.get(Unit, unit_id(db, unit_code)),
        title=f"{name}的研究计划",
        discipline_code=discipline,
        keywords=["数论"],
        plan="研究计划" * 20,
        exception_requested=exception,
        exception_justification="成果特别突出，申请破格。" * 3 if exception else "",
    )
    return _submit(db, application, state)


def under_review(db, applicant, code: str = "bairen", unit_code: str = "CAS-AMSS") -> Application:
    """A filled-in application with its snapshot, put straight into review (the unit and formal check passed)."""
    if db.session.get(Profile, applicant.id) is None:
        make_profile(db, applicant)
    application = ApplicationFactory(
        call=call_of(db, code), applicant=applicant, unit=db.session.get(Unit, unit_id(db, unit_code))
    )
    fill_application(db, application)
    return _submit(db, application, "under_review")


def reviewed_applications(db, make_user, scores, program: str = "bairen") -> list[Application]:
    """Applications in state reviewed with one unit and one peer evaluation each, scored as given."""
    applications = []
    for i, score in enumerate(scores):
        application = submitted_application(db, make_user, program, name=f"候选人{i + 1}", state="reviewed")
        definition = scheme_for_call(application.call).definition
        for component, spec in definition["components"].items():
            EvaluationFactory(
                application=application,
                evaluator_key=f"{component}-{i}",
                component=component,
                scores=dict.fromkeys(spec["criteria"], score),
                familiarity="familiar" if component == "peer" else None,
            )
        applications.append(application)
    db.session.commit()
    return applications


def approved_applications(db, make_user, office, scores, program: str = "bairen") -> list[Application]:
    """Reviewed applications (as above) approved by a finalised committee session of 15 with a quorum of 10."""
    applications = reviewed_applications(db, make_user, scores, program)
    session = decisions.open_session(applications[0].call, office, committee_size=15, quorum=10)
    commit()
    for application in applications:
        decisions.record_decision(session, application, "approve", 12, 0, 0, "", office)
    decisions.finalise(session, office, "纪要")
    commit()
    return applications


def _submit(db, application: Application, state: str) -> Application:
    """Freeze the draft into its snapshot as submitting does, and leave it in `state`."""
    now = utcnow()
    application.snapshot = build_snapshot(application, [], now)
    application.state, application.submitted_at, application.submission_count = state, now, 1
    db.session.commit()
    return application
