"""Importing the expert pool from CSV/XLSX: every row checked, all or nothing, re-import updates (SPEC §5.3)."""

import io
import re

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from portal.accounts.models import User
from portal.accounts.services import check_password, find_user, user_for_reset_token
from portal.audit.models import AuditEntry
from portal.database import commit
from portal.notifications.models import OutboxMessage
from portal.reviews.experts import pool_import as pool
from portal.reviews.models import ExpertProfile
from tests.factories import unit_id

ZH_HEADER = "姓名,邮箱,单位代码,职称,学科代码,关键词,曾工作单位,评审上限"
GOOD_ROWS = [
    "李四,lisi@example.cn,CAS-IOP,研究员,A04；A01,凝聚态物理；超导,PKU:2019; THU:2021,8",
    "王五,wangwu@example.cn,USTC,教授,A01 A02,偏微分方程,,",
    '赵六,Zhaoliu@Example.cn,FUDAN,教授,"B01, B02",催化,CAS-ICCAS:2020,12',
]


@pytest.fixture()
def office(demo):
    return find_user("program@demo.talent.cn")


def _csv(lines, encoding="utf-8-sig", header=ZH_HEADER) -> bytes:
    return ("\r\n".join([header, *lines]) + "\r\n").encode(encoding)


def _import(office, filename, data):
    report = pool.import_experts(pool.parse_rows(filename, data), office)
    if report.ok:
        commit()
    return report


def _profile(db, email) -> ExpertProfile:
    return db.session.get(ExpertProfile, find_user(email).id)


def test_csv_with_chinese_headers_and_a_bom(demo, office):
    data = _csv(GOOD_ROWS)
    assert data.startswith(b"\xef\xbb\xbf")
    report = _import(office, "专家.csv", data)
    assert report.ok, report.errors
    assert (report.rows, report.accounts_created, report.profiles_created) == (3, 3, 3)
    li = _profile(demo, "lisi@example.cn")
    assert li.unit_id == unit_id(demo, "CAS-IOP") and li.title == "研究员" and li.load_cap == 8
    assert li.disciplines == ["A04", "A01"] and li.keywords == ["凝聚态物理", "超导"]
    assert li.former_units == [
        {"unit_id": unit_id(demo, "PKU"), "until_year": 2019},
        {"unit_id": unit_id(demo, "THU"), "until_year": 2021},
    ]
    assert _profile(demo, "wangwu@example.cn").load_cap == pool.DEFAULT_LOAD_CAP  # empty cell: the default
    assert _profile(demo, "zhaoliu@example.cn").disciplines == ["B01", "B02"]  # email stored in lower case
    user = find_user("lisi@example.cn")
    assert user.has_role("expert") and user.email_confirmed_at is None
    assert not check_password(user, "") and not check_password(user, user.password_hash)
    entry = demo.session.execute(select(AuditEntry).where(AuditEntry.action == "expert_pool.imported")).scalar_one()
    assert entry.data["accounts_created"] == 3 and entry.actor_id == office.id


def test_xlsx_with_english_headers_and_numbers_as_numbers(demo, office):
    book = Workbook()
    sheet = book.active
    sheet.append(["Name", "Email", "unit_code", "title", "disciplines", "keywords", "former_units", "load_cap"])
    sheet.append(
        ["Ada Chen", "ada@example.cn", "CAS-ICT", "Professor", "F02", "machine learning; compilers", "THU-CS:2022", 6]
    )
    sheet.append([None] * 8)  # a blank line in the middle is skipped, not an error
    sheet.append(["Bo Li", "bo@example.cn", "cas-amss", None, "A01", None, None, 15.0])
    out = io.BytesIO()
    book.save(out)
    rows = pool.parse_rows("experts.xlsx", out.getvalue())
    assert [r["row"] for r in rows] == [2, 4]
    report = _import(office, "experts.xlsx", out.getvalue())
    assert report.ok, report.errors
    ada = _profile(demo, "ada@example.cn")
    assert ada.keywords == ["machine learning", "compilers"] and ada.load_cap == 6
    assert ada.former_units == [{"unit_id": unit_id(demo, "THU-CS"), "until_year": 2022}]
    assert (
        _profile(demo, "bo@example.cn").unit_id == unit_id(demo, "CAS-AMSS")
        and _profile(demo, "bo@example.cn").load_cap == 15
    )


def test_gbk_csv_as_saved_by_excel_on_chinese_windows_and_utf8_without_bom(demo, office):
    data = _csv(GOOD_ROWS[:1], encoding="gbk")
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    assert pool.parse_rows("a.csv", data) == pool.parse_rows("b.csv", _csv(GOOD_ROWS[:1], encoding="utf-8"))
    report = _import(office, "experts.CSV", data)
    assert report.ok, report.errors
    assert _profile(demo, "lisi@example.cn").keywords == ["凝聚态物理", "超导"]
    assert find_user("lisi@example.cn").name == "李四"


def test_one_bad_row_and_nothing_is_written(demo, office):
    users_before = demo.session.execute(select(func.count()).select_from(User)).scalar_one()
    lines = [
        GOOD_ROWS[0],
        "错误甲,not-an-email,CAS-IOP,研究员,A01,,,5",  # row 3: email
        GOOD_ROWS[1],
        "错误乙,bad@example.cn,NOWHERE,研究员,A,,CAS-IOP:2999,101",  # row 5: unit, discipline, year, cap
        GOOD_ROWS[2],
    ]
    report = _import(office, "experts.csv", _csv(lines))
    assert not report.ok
    found = {(e.row, e.field) for e in report.errors}
    assert found == {(3, "email"), (5, "unit_code"), (5, "disciplines"), (5, "former_units"), (5, "load_cap")}
    assert all(e.message and e.column for e in report.errors)
    assert next(e for e in report.errors if e.field == "disciplines").message.count("A01")  # suggests a second level
    demo.session.rollback()
    assert demo.session.execute(select(func.count()).select_from(User)).scalar_one() == users_before
    assert find_user("lisi@example.cn") is None
    assert not demo.session.execute(select(OutboxMessage).where(OutboxMessage.template == "expert_welcome")).first()
    assert not demo.session.execute(select(AuditEntry).where(AuditEntry.action == "expert_pool.imported")).first()


@pytest.mark.parametrize(
    "line, field",
    [
        (",noname@example.cn,,,A01,,,", "name"),
        ("甲,ok@example.cn,,,A01,,,", None),
        ("乙,x@example.cn,,,X99,,,", "disciplines"),
        ("丙,y@example.cn,,,,,,", "disciplines"),
        ("丁,z@example.cn,,,A01,,CAS-IOP,", "former_units"),
        ("戊,w@example.cn,,,A01,,CAS-IOP:23,", "former_units"),
        ("己,v@example.cn,,,A01,,,-1", "load_cap"),
        ("庚,u@example.cn,,,A01,,,7.5", "load_cap"),
    ],
)
def test_each_rule_names_its_column(demo, office, line, field):
    report = pool.import_experts(pool.parse_rows("x.csv", _csv([line])), office)
    assert [e.field for e in report.errors] == ([field] if field else [])


def test_an_email_twice_in_the_file_is_reported_on_the_second_row(demo, office):
    report = pool.import_experts(
        pool.parse_rows("x.csv", _csv([GOOD_ROWS[0], GOOD_ROWS[1], GOOD_ROWS[0].replace("lisi@", "LiSi@")])), office
    )
    assert [(e.row, e.field) for e in report.errors] == [(4, "email")]
    assert "2" in report.errors[0].message


# Messages in either language: the catalogs gain the new strings only at the next `make i18n`.
@pytest.mark.parametrize(
    "filename, data, words",
    [
        ("x.txt", b"name,email\n", r"\.csv"),
        ("x.csv", b"", "empty|空"),
        ("x.csv", "姓名,邮箱\n".encode(), "no expert rows|没有"),
        ("x.csv", "姓名,电话\n张三,123\n".encode(), "电话"),
        ("x.csv", "姓名,职称\n张三,教授\n".encode(), "邮箱"),
        ("x.csv", "姓名,邮箱,email\n张三,a@example.cn,b@example.cn\n".encode(), "邮箱"),
        ("x.xlsx", b"PK\x03\x04 not really a workbook", "XLSX"),
    ],
)
def test_unreadable_files_are_refused_as_a_whole(demo, filename, data, words):
    with pytest.raises(pool.PoolError) as caught:
        pool.parse_rows(filename, data)
    assert re.search(words, caught.value.message)


def test_reimporting_the_same_file_updates_instead_of_duplicating(demo, office):
    _import(office, "experts.csv", _csv(GOOD_ROWS))
    mails = demo.session.execute(select(func.count()).select_from(OutboxMessage)).scalar_one()
    changed = [GOOD_ROWS[0].replace(",8", ",20").replace("超导", "拓扑"), *GOOD_ROWS[1:]]
    report = _import(office, "experts.csv", _csv(changed))
    assert report.ok and (report.accounts_created, report.profiles_created, report.profiles_updated) == (0, 0, 3)
    assert (
        demo.session.execute(select(func.count()).select_from(User).where(User.email.like("%@example.cn"))).scalar_one()
        == 3
    )
    li = _profile(demo, "lisi@example.cn")
    assert li.load_cap == 20 and li.keywords == ["凝聚态物理", "拓扑"]
    assert demo.session.execute(select(func.count()).select_from(OutboxMessage)).scalar_one() == mails  # no re-welcome


def test_an_existing_applicant_gains_the_expert_role(demo, office, make_user):
    applicant = make_user("applicant", email="lisi@example.cn", name="李四本人")
    report = _import(office, "experts.csv", _csv(GOOD_ROWS[:1]))
    assert (report.accounts_created, report.roles_granted, report.profiles_created) == (0, 1, 1)
    demo.session.refresh(applicant)
    assert applicant.has_role("applicant") and applicant.has_role("expert")
    assert applicant.name == "李四本人"  # the person's own account keeps its name
    assert not demo.session.execute(
        select(OutboxMessage).where(
            OutboxMessage.to_address == "lisi@example.cn", OutboxMessage.template == "expert_welcome"
        )
    ).first()


def test_new_experts_get_a_welcome_email_with_a_working_reset_link(demo, office):
    _import(office, "experts.csv", _csv(GOOD_ROWS[:1]))
    mail = demo.session.execute(select(OutboxMessage).where(OutboxMessage.to_address == "lisi@example.cn")).scalar_one()
    assert mail.template == "expert_welcome" and "李四" in mail.body_text
    token = re.search(r"http://portal\.test/account/reset/(\S+)", mail.body_text).group(1)
    assert user_for_reset_token(token).email == "lisi@example.cn"
    assert "http://portal.test/account/forgot" in mail.body_text


def test_the_templates_import_cleanly(demo, office):
    for kind in ("csv", "xlsx"):
        data, mimetype, filename = pool.export_template(kind)
        assert filename.endswith("." + kind)
        rows = pool.parse_rows(filename, data)
        assert len(rows) == 1 and rows[0]["email"] == "zhangsan@example.cn"
        assert pool.import_experts(rows, office).ok
        demo.session.rollback()
    assert pool.export_template("csv")[0].startswith("\ufeff姓名,邮箱".encode())
    sheet = load_workbook(io.BytesIO(pool.export_template("xlsx")[0])).active
    assert [c.value for c in sheet[1]][:2] == ["姓名", "邮箱"]
