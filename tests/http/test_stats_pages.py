"""The statistics page: charts as inline SVG with the numbers also in a table for screen readers."""


def test_statistics_page_draws_every_breakdown(client, db, hand_case, admin):
    call, ids = hand_case
    page = client.get(f"/office/calls/{call.id}/statistics").get_data(as_text=True)
    for section in ("by-state", "by-unit", "by-discipline", "by-gender", "by-age", "assignments", "scores"):
        assert f'id="{section}"' in page
    assert "<svg" in page and "<script" not in page.split("</header>")[-1].split("<footer")[0]
    assert "已提交申请" in page.split('id="summary"')[1].split("</p>")[0]
    # The three hand-case finals (78.25, 75.33, 73.00) fall in the 70-79 band.
    scores = page.split('id="scores"')[1].split("</section>")[0]
    assert "<th>70–79</th><td>3</td>" in scores
    english = client.get(f"/office/calls/{call.id}/statistics?lang=en")
    assert english.status_code == 200


def test_the_call_pages_link_to_the_statistics(client, db, hand_case, admin):
    call, _ids = hand_case
    assert f"/office/calls/{call.id}/statistics" in client.get(f"/office/calls/{call.id}").get_data(as_text=True)
    assert f"/office/calls/{call.id}/statistics" in client.get("/office/").get_data(as_text=True)
