"""Exports (SPEC §8): applications, evaluations (with an anonymised option) and rankings as CSV and Excel."""

import csv
import io

import pytest
from openpyxl import load_workbook

from portal.applications.models import Application
from portal.reviews.models import Evaluation


def _sheet(response):
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(response.data), read_only=True).worksheets[0]
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def _csv(response):
    assert response.status_code == 200 and response.headers["Content-Type"].startswith("text/csv")
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")  # Excel opens the UTF-8 with its Chinese intact
    return list(csv.reader(io.StringIO(text[1:])))


def test_applications_as_listed_in_excel_and_csv(client, db, hand_case, admin):
    call, ids = hand_case
    db.session.get(Application, ids["B"]).title = '=HYPERLINK("http://evil")'
    db.session.commit()
    rows = _sheet(client.get(f"/office/calls/{call.id}/applications.xlsx?state=under_review"))
    assert rows[0][:3] == ["编号", "申请人", "单位"]
    listed = {row[0]: row for row in rows[1:]}
    assert set(ids.values()) <= set(listed)
    assert listed[ids["C"]][1] == "陈䶮"
    assert listed[ids["B"]][4] == '\'=HYPERLINK("http://evil")'  # never run as a formula
    one = _csv(client.get(f"/office/calls/{call.id}/applications.csv?q=陈䶮"))
    assert [row[1] for row in one[1:]] == ["陈䶮"]


def test_evaluations_with_names_or_anonymised(client, db, hand_case, admin):
    call, ids = hand_case
    evaluation = db.session.query(Evaluation).filter_by(application_id=ids["A"], evaluator_key="user:9002").one()
    evaluation.comment_confidential = "仅供评审组参考"
    evaluation.comment_for_applicant = "建议加强国际合作"
    db.session.commit()
    full = _sheet(client.get(f"/office/calls/{call.id}/evaluations.xlsx"))
    header = full[0]
    assert header[:5] == ["编号", "申请人", "单位", "评价类型", "评价人"]
    assert "同行评价：科研业绩" in header and "单位考评：影响力" in header and "保密意见" in header
    assert len(full) == 1 + 10  # three unit assessments and seven expert scores
    strict = [row for row in full[1:] if row[0] == ids["A"] and row[4] == "user:9002"][0]
    assert strict[header.index("评分")] == 60 and strict[header.index("保密意见")] == "仅供评审组参考"
    assert strict[header.index("同行评价：科研业绩")] == 60 and strict[header.index("单位考评：科研业绩")] is None

    anonymous = _csv(client.get(f"/office/calls/{call.id}/evaluations.csv?anonymised=1"))
    text = "\n".join(",".join(row) for row in anonymous)
    assert "安娜" not in text and "仅供评审组参考" not in text and "user:9002" not in text
    assert "申请人" not in anonymous[0] and "保密意见" not in anonymous[0]
    assert "建议加强国际合作" in text  # what the applicant may read stays
    evaluators = {row[2] for row in anonymous[1:]}
    assert evaluators == {"评审人 1", "评审人 2", "评审人 3", "评审人 4"}  # the unit and three experts


def test_the_ranking_in_excel_has_numbers(client, hand_case, admin):
    call, ids = hand_case
    rows = _sheet(client.get(f"/office/calls/{call.id}/ranking.xlsx"))
    assert [row[1] for row in rows[1:]] == ["陈䶮", "白桦", "安娜"]  # plain mean: C, B, A
    final = rows[0].index("综合得分")
    assert rows[1][final] == pytest.approx(78.25)
    page = client.get(f"/office/calls/{call.id}/ranking").get_data(as_text=True)
    assert "ranking.xlsx" in page
