"""Long lists come a page at a time (50 rows), searchable, with what was refused shown on its own page (SPEC §9)."""

import re

import pytest

from portal.applications.models import Application
from portal.decisions import services as decisions
from tests.factories import ExpertProfileFactory, add_applications, add_evaluations, call_of, top_scores, unit_id


@pytest.fixture()
def demo_call(db):
    from portal.seed import load_demo

    load_demo()
    return call_of(db, "bairen")


def _scored(db, call, n, state):
    ids = add_applications(db, call, [f"乙{i:03d}" for i in range(n)], state=state)
    unit_key = f"unit:{unit_id(db)}"
    add_evaluations(
        db,
        [
            row
            for k, a in enumerate(ids)
            for row in (
                (a, unit_key, "unit", top_scores(60 + k % 40)),
                (a, "user:9001", "peer", top_scores(50 + k % 50)),
            )
        ],
    )
    return ids


def test_a_calls_applications_come_fifty_a_page_with_search_and_counts(client, db, demo_call, admin):
    ids = add_applications(db, demo_call, [f"甲{i:03d}" for i in range(120)])
    url = f"/office/calls/{demo_call.id}"
    first = client.get(url).get_data(as_text=True)
    rows = re.findall(r"/office/applications/(\d+)\"", first)
    assert len(rows) == 50
    total = (
        db.session.query(Application).filter(Application.call_id == demo_call.id, Application.state != "draft").count()
    )
    assert f"显示 50 项，共 {total} 项申请" in first and "page=3" in first
    third = client.get(url + "?page=3&state=under_review").get_data(as_text=True)
    assert len(re.findall(r"/office/applications/(\d+)\"", third)) == 20  # 120 under review: 50, 50, 20
    assert "(120)</option>" in third  # the state filter shows each state's count
    found = client.get(url + "?q=甲107").get_data(as_text=True)
    assert re.findall(r"/office/applications/(\d+)\"", found) == [str(ids[107])]
    by_number = client.get(url + f"?q={ids[5]}").get_data(as_text=True)
    assert re.findall(r"/office/applications/(\d+)\"", by_number) == [str(ids[5])]
    nothing = client.get(url + "?q=%25_").get_data(as_text=True)  # LIKE wildcards are searched as text
    assert re.findall(r"/office/applications/(\d+)\"", nothing) == []


def test_the_ranking_pages_keep_positions_and_the_quota_line(client, db, demo_call, admin):
    _scored(db, demo_call, 130, "under_review")
    demo_call.total_quota = 110
    db.session.commit()
    third = client.get(f"/office/calls/{demo_call.id}/ranking?page=3").get_data(as_text=True)
    assert third.count('class="ranking-row"') == 30
    assert 'id="quota-line"' in third  # after position 110, on page 3 (101-130)
    first = client.get(f"/office/calls/{demo_call.id}/ranking").get_data(as_text=True)
    assert 'id="quota-line"' not in first and first.count('class="ranking-row"') == 50
    assert "第 1–50 名，共 130 项" in first


def test_a_refused_decision_is_shown_on_the_page_of_its_application(client, db, demo_call, admin):
    ids = _scored(db, demo_call, 70, "reviewed")
    flagged = ids[0]  # scored lowest of all: on the last page of the ranking
    db.session.get(Application, flagged).integrity_flag = True
    session = decisions.open_session(demo_call, admin, 15, 10, True)
    db.session.commit()
    url = f"/office/decisions/calls/{demo_call.id}"
    assert client.get(url).get_data(as_text=True).count('class="decision-row"') == 50
    assert client.get(url + "?page=2").get_data(as_text=True).count('class="decision-row"') == 20
    response = client.post_form(
        f"/office/decisions/sessions/{session.id}/applications/{flagged}",
        {
            f"d{flagged}-outcome": "approve",
            f"d{flagged}-votes_for": "12",
            f"d{flagged}-votes_against": "0",
            f"d{flagged}-votes_abstain": "0",
        },
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 409
    assert f'data-application="{flagged}"' in page  # the page with the refused application, not page 1
    assert page.count('class="decision-row"') == 20


def test_the_expert_pool_comes_a_page_at_a_time_and_is_searchable(client, db, demo_call, admin, make_user):
    for i in range(55):
        expert = make_user("expert", name=f"池{i:02d}")
        ExpertProfileFactory(user=expert, unit_id=unit_id(db), disciplines=["F0203"])
    db.session.commit()
    page = client.get("/office/experts").get_data(as_text=True)
    assert len(re.findall(r'href="/office/pool/\d+"', page)) == 50
    assert "page=2" in page
    found = client.get("/office/experts?q=池07").get_data(as_text=True)
    assert "池07" in found and "池08" not in found
    by_discipline = client.get("/office/experts?q=F0203").get_data(as_text=True)
    assert len(re.findall(r'href="/office/pool/\d+"', by_discipline)) == 50 and "page=2" in by_discipline
