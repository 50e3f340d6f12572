"""The ranking pages through the test client: options, order, saved defaults, CSV, query count, access."""

import csv
import io
import re
import time

from sqlalchemy import insert, select

from portal.audit.models import AuditEntry
from portal.reviews.models import UnitReview
from portal.reviews.ranking.services import mark_changed
from tests.conftest import PASSWORD
from tests.factories import add_applications, add_evaluations, call_of, top_scores, unit_id


def _order(page, ids):
    names = {str(v): k for k, v in ids.items()}
    return [names[i] for i in re.findall(r'data-application="(\d+)"', page)]


def test_page_shows_options_and_normalising_changes_the_order(client, hand_case, admin):
    call, ids = hand_case
    response = client.get(f"/office/calls/{call.id}/ranking")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert _order(page, ids) == ["C", "B", "A"]  # plain mean: the lenient expert's candidate first
    assert 'name="normalise"' in page and 'name="trimmed"' in page and 'name="familiarity"' in page
    assert "checked" not in page.split('id="opt-normalise"')[1].split(">")[0]
    assert "陈䶮" in page and "78.25" in page and "同行评价" in page and "单位考评" in page
    assert "评价缺失" in page  # A and C have two experts of the three expected (badge and legend)

    page = client.get(f"/office/calls/{call.id}/ranking?applied=1&normalise=1").get_data(as_text=True)
    assert _order(page, ids) == ["A", "B", "C"]
    assert "checked" in page.split('id="opt-normalise"')[1].split(">")[0]
    assert "84.74" in page and "ranking.csv?" in page and "normalise=1" in page

    # English labels come from the same pairs.
    client.get("/lang/en")
    page = client.get(f"/office/calls/{call.id}/ranking").get_data(as_text=True)
    assert "Peer review" in page and "Missing evaluations" in page


def test_options_saved_as_the_default_change_the_plain_page(client, hand_case, admin, db):
    call, ids = hand_case
    page = client.get(f"/office/calls/{call.id}/ranking?applied=1&normalise=1&threshold=12").get_data(as_text=True)
    assert f'action="/office/calls/{call.id}/ranking/options"' in page
    response = client.post_form(f"/office/calls/{call.id}/ranking/options", {"normalise": "y", "threshold": "12"})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/office/calls/{call.id}/ranking")
    page = client.get(f"/office/calls/{call.id}/ranking").get_data(as_text=True)
    assert _order(page, ids) == ["A", "B", "C"] and 'value="12"' in page
    assert "/ranking/options" not in page  # nothing to save: these are the defaults now
    entry = db.session.execute(select(AuditEntry).where(AuditEntry.action == "call.aggregation_saved")).scalar_one()
    assert entry.actor_id == admin.id and entry.data["after"]["disagreement_threshold"] == 12

    response = client.post_form(f"/office/calls/{call.id}/ranking/options", {"threshold": "-3"})
    assert response.status_code == 302
    db.session.expire_all()
    assert call_of(db, "bairen").aggregation["normalise"] is True  # refused: unchanged


def test_bad_threshold_falls_back_to_the_default(client, hand_case, admin):
    call, ids = hand_case
    response = client.get(f"/office/calls/{call.id}/ranking?threshold=abc")
    assert response.status_code == 200 and "is-invalid" in response.get_data(as_text=True)


def _rows(response):
    body = response.get_data()
    assert body.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def test_csv_has_a_bom_the_header_and_a_row_per_application(client, hand_case, admin):
    call, ids = hand_case
    response = client.get(f"/office/calls/{call.id}/ranking.csv?applied=1&normalise=1")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = _rows(response)
    assert "单位考评" in rows[0] and "同行评价" in rows[0]
    assert len(rows) == 1 + 3
    assert [r[1] for r in rows[1:]] == ["安娜", "白桦", "陈䶮"]  # normalised order; the rare 䶮 intact
    assert rows[1][0] == "1" and "数学" in rows[1][4]

    client.get("/lang/en")
    rows = _rows(client.get(f"/office/calls/{call.id}/ranking.csv"))
    assert rows[0][:5] == ["Rank", "Applicant", "Unit", "Unit rank", "Discipline"]
    assert "Peer review" in rows[0] and "Final score" in rows[0] and "Flags" in rows[0]
    assert [r[1] for r in rows[1:]] == ["陈䶮", "白桦", "安娜"]  # plain mean
    final = rows[0].index("Final score")
    assert rows[1][final] == "78.25" and rows[1][-1] == "Missing evaluations"


def test_csv_cells_cannot_start_a_formula(client, db, admin):
    from portal.seed import load_demo

    load_demo()
    call = call_of(db, "bairen")
    add_applications(db, call, ['=HYPERLINK("http://evil")'])
    rows = _rows(client.get(f"/office/calls/{call.id}/ranking.csv"))
    assert rows[1][1].startswith("'=")


def _populate(db, call, n, reviewer_id):
    """n applications with a unit score, three expert scores and a unit review each."""
    ids = add_applications(db, call, [f"申请人{i}" for i in range(n)])
    unit_key = f"unit:{unit_id(db)}"
    rows = []
    for k, application_id in enumerate(ids):
        rows.append((application_id, unit_key, "unit", top_scores(60 + k % 40)))
        for e in range(3):
            rows.append(
                (
                    application_id,
                    f"user:{9000 + (k + e) % 7}",
                    "peer",
                    top_scores(50 + (k * 7 + e * 13) % 50),
                    {"familiarity": "somewhat"},
                )
            )
    add_evaluations(db, rows)
    db.session.execute(
        insert(UnitReview),
        [{"application_id": a, "reviewer_id": reviewer_id, "unit_rank": i + 1} for i, a in enumerate(ids)],
    )
    mark_changed(db.session, call_ids=[call.id])  # Core inserts are not seen by the ranking's change tracking
    db.session.commit()
    return ids


def test_the_ranking_uses_the_same_number_of_queries_for_10_or_1000_applications(
    client, db, admin, make_user, count_queries
):
    from portal.seed import load_demo

    load_demo()
    call = call_of(db, "bairen")
    reviewer = make_user(("unit_admin", unit_id(db)))

    def count(url):
        n, response = count_queries(lambda: client.get(url))
        assert response.status_code == 200
        return n, response

    page_url = f"/office/calls/{call.id}/ranking?applied=1&normalise=1&trimmed=1&familiarity=1"
    csv_url = f"/office/calls/{call.id}/ranking.csv"
    _populate(db, call, 10, reviewer.id)
    client.get("/office/")  # warm up: first-request work is not the page's
    ten_cold, response = count(page_url)  # computes the ranking
    ten, response = count(page_url)  # reuses it
    assert response.get_data(as_text=True).count('class="ranking-row"') == 10
    ten_csv, _ = count(csv_url)

    _populate(db, call, 990, reviewer.id)
    started = time.perf_counter()
    thousand_cold, response = count(page_url)
    elapsed = time.perf_counter() - started
    thousand, response = count(page_url)
    assert response.get_data(as_text=True).count('class="ranking-row"') == 50  # the first page of 20
    assert 'class="pager"' in response.get_data(as_text=True) and "page=20" in response.get_data(as_text=True)
    thousand_csv, response = count(csv_url)
    assert len(_rows(response)) == 1001
    assert (thousand_cold, thousand, thousand_csv) == (ten_cold, ten, ten_csv), (
        ten_cold,
        thousand_cold,
        ten,
        thousand,
        ten_csv,
        thousand_csv,
    )
    assert ten <= ten_cold <= 12, (ten, ten_cold)
    print(
        f"ranking page: {ten_cold} queries computing, {ten} reusing, for 10 and 1,000 applications "
        f"({elapsed:.2f} s for 1,000); "
        f"CSV: {ten_csv}"
    )


ENDPOINTS = [
    ("GET", "/office/calls/{id}/ranking"),
    ("GET", "/office/calls/{id}/ranking.csv"),
    ("POST", "/office/calls/{id}/ranking/options"),
]


def test_only_program_admins_get_in(client, hand_case, make_user, db):
    call, _ids = hand_case
    for method, url in ENDPOINTS:
        url = url.format(id=call.id)
        response = client.get(url) if method == "GET" else client.post_form(url)
        assert response.status_code == 302 and "/account/login" in response.headers["Location"], url
    for role in ("applicant", ("unit_admin", unit_id(db)), "expert", "sysadmin"):
        user = make_user(role)
        client.login(user.email, PASSWORD)
        for method, url in ENDPOINTS:
            url = url.format(id=call.id)
            response = client.get(url) if method == "GET" else client.post_form(url, {"threshold": "10"})
            assert response.status_code == 403, (role, url)
        client.logout()
    assert call_of(db, "bairen").aggregation in (None, {})


def test_unknown_call_is_404(client, hand_case, admin):
    for url in ("/office/calls/999999/ranking", "/office/calls/999999/ranking.csv"):
        assert client.get(url).status_code == 404
    assert client.post_form("/office/calls/999999/ranking/options", {"threshold": "10"}).status_code == 404
