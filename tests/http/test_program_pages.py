"""The program office's program pages: list, create, edit, the three row editors, the try panel, archive and
delete, the optimistic lock (409 keeping what was typed), in Chinese and English."""

import re

import pytest
from sqlalchemy import select

from portal.accounts.models import UserRole
from portal.office import program_admin
from portal.programs.models import Program
from tests.conftest import PASSWORD

SETTINGS = {
    "name_zh": "海外青年学者计划",
    "name_en": "Overseas Young Scholars",
    "description_zh": "试点",
    "description_en": "Pilot",
    "level": "institute",
    "category": "young",
    "experts_per_application": "3",
    "notice_required": "y",
    "notice_days": "5",
    "referees_required": "1",
    "unit_quota": "",
    "unit_scope_id": "0",
}


def page(response):
    return response.get_data(as_text=True)


def program_by_code(db, code):
    db.session.expire_all()
    return db.session.execute(select(Program).where(Program.code == code)).scalar_one()


@pytest.fixture()
def english(client):
    client.get("/lang/en")


@pytest.fixture()
def youth(demo):
    return program_by_code(demo, "youth_talent")


# ---------------------------------------------------------------- list and create


def test_the_list_shows_the_programs_with_their_calls(demo, admin, client):
    body = page(client.get("/office/programs/"))
    assert "青年英才开发计划" in body and "百人计划" in body
    assert 'href="/office/calls/' in body and 'id="new-program"' in body
    assert 'href="/office/programs/"' in page(client.get("/office/"))  # the link on the office's call list


def test_archived_programs_are_behind_a_filter(demo, admin, client, youth):
    program_admin.archive_program(youth, admin, version=youth.version)
    demo.session.commit()
    body = page(client.get("/office/programs/"))
    assert "青年英才开发计划" not in body and "已归档的计划（1）" in body
    assert "青年英才开发计划" in page(client.get("/office/programs/?archived=1"))


def test_create_a_program(demo, admin, client):
    response = client.post_form("/office/programs/new", {**SETTINGS, "code": "overseas_young"})
    assert response.status_code == 302, page(response)
    program = program_by_code(demo, "overseas_young")
    assert (program.notice_days, program.referees_required, program.unit_quota) == (5, 1, None)
    assert [v.number for v in program.rule_versions] == [1]
    body = page(client.get(response.headers["Location"]))
    assert "海外青年学者计划" in body and 'data-number="1"' in body and "陈静" in body


def test_create_shows_the_scheme_version_of_each_category(demo, admin, client):
    body = page(client.get("/office/programs/new"))
    assert "青年人才 · 评价方案第 1 版" in body


def test_create_refuses_bad_input_keeping_it(demo, admin, client):
    response = client.post_form(
        "/office/programs/new", {**SETTINGS, "code": "Bad Code", "experts_per_application": "2", "notice_days": ""}
    )
    assert response.status_code == 400
    body = page(response)
    assert 'value="Bad Code"' in body and 'value="海外青年学者计划"' in body
    assert body.count("invalid-feedback") >= 3
    response = client.post_form("/office/programs/new", {**SETTINGS, "code": "bairen"})
    assert response.status_code == 400 and "bairen" in page(response)


def test_a_holder_of_named_programs_is_granted_the_new_one(demo, client, make_user):
    bairen = program_by_code(demo, "bairen")
    user = make_user("program_admin", email="holder@example.cn")
    user.roles[0].program_id = bairen.id
    demo.session.commit()
    client.login(user.email, PASSWORD)
    assert client.post_form("/office/programs/new", {**SETTINGS, "code": "mine"}).status_code == 302
    mine = program_by_code(demo, "mine")
    assert demo.session.execute(
        select(UserRole).where(UserRole.user_id == user.id, UserRole.program_id == mine.id)
    ).scalar_one()
    body = page(client.get("/office/programs/"))
    assert "海外青年学者计划" in body and "百人计划" in body and "千人计划" not in body
    youth = program_by_code(demo, "youth_talent")
    for path in ("", "/edit", "/documents", "/questions", "/rules", "/versions/1"):
        assert client.get(f"/office/programs/{youth.id}{path}").status_code == 404, path
    assert client.post_form(f"/office/programs/{youth.id}/archive", {"version": youth.version}).status_code == 404


# ---------------------------------------------------------------- settings and the lock


def test_edit_the_settings(demo, admin, client, youth):
    body = page(client.get(f"/office/programs/{youth.id}/edit"))
    assert f'name="version" type="hidden" value="{youth.version}"' in body or f'value="{youth.version}"' in body
    assert 'name="code"' not in body
    response = client.post_form(
        f"/office/programs/{youth.id}/edit", {**SETTINGS, "version": youth.version, "experts_per_application": "4"}
    )
    assert response.status_code == 302
    youth = program_by_code(demo, "youth_talent")
    assert youth.experts_per_application == 4 and youth.name_en == "Overseas Young Scholars"
    assert youth.updated_by_id == admin.id


def test_a_stale_edit_is_refused_with_409_keeping_what_was_typed(demo, admin, client, youth, make_user):
    loaded = youth.version
    colleague = make_user("program_admin", name="李娜")
    program_admin.update_program(
        youth, colleague, version=loaded, **{k: getattr(youth, k) for k in program_admin.SETTINGS} | {"unit_quota": 9}
    )
    demo.session.commit()
    response = client.post_form(
        f"/office/programs/{youth.id}/edit", {**SETTINGS, "version": loaded, "name_en": "My typed name"}
    )
    assert response.status_code == 409
    body = page(response)
    assert "李娜" in body and 'value="My typed name"' in body
    assert program_by_code(demo, "youth_talent").name_en != "My typed name"


# ---------------------------------------------------------------- documents


def doc_form(version, rows, op="save"):
    data = {"version": version, "op": op}
    for i, row in enumerate(rows):
        for key, value in row.items():
            if value is not None:
                data[f"doc-{i}-{key}"] = value
    return data


def test_documents_editor_add_validate_and_save(demo, admin, client, youth):
    url = f"/office/programs/{youth.id}/documents"
    body = page(client.get(url))
    assert body.count('class="editor-row"') == 3 and 'value="cv"' in body
    rows = [{"code": "cv", "zh": "个人简历", "en": "Curriculum vitae", "required": "on", "max_files": "1"}]
    response = client.post_form(url, doc_form(youth.version, rows, op="add"))
    assert response.status_code == 200 and page(response).count('class="editor-row"') == 2
    rows.append({"code": "CV", "zh": "", "en": "Papers", "max_files": "0"})
    response = client.post_form(url, doc_form(youth.version, rows))
    assert response.status_code == 400
    body = page(response)
    assert body.count("invalid-feedback") == 3 and 'value="Papers"' in body
    rows[1] = {"code": "papers", "zh": "代表性论文", "en": "Papers", "max_files": "5"}
    response = client.post_form(url, doc_form(youth.version, rows))
    assert response.status_code == 302
    youth = program_by_code(demo, "youth_talent")
    assert youth.required_documents == [
        {"code": "cv", "zh": "个人简历", "en": "Curriculum vitae", "required": True, "max_files": 1},
        {"code": "papers", "zh": "代表性论文", "en": "Papers", "required": False, "max_files": 5},
    ]
    assert youth.rule_versions[-1].required_documents == youth.required_documents


def test_rows_move_and_go(demo, admin, client, youth):
    url = f"/office/programs/{youth.id}/documents"
    rows = [{"code": c, "zh": c, "en": c, "max_files": "1"} for c in ("a", "b", "c")]
    body = page(client.post_form(url, doc_form(youth.version, rows, op="up:2")))
    assert re.findall(r'name="doc-\d-code" value="(\w)"', body) == ["a", "c", "b"]
    body = page(client.post_form(url, doc_form(youth.version, rows, op="remove:0")))
    assert re.findall(r'name="doc-\d-code" value="(\w)"', body) == ["b", "c"]


def test_a_stale_editor_save_is_409_and_keeps_the_rows(demo, admin, client, youth):
    url = f"/office/programs/{youth.id}/documents"
    loaded = youth.version
    program_admin.archive_program(youth, admin, version=loaded)
    program_admin.restore_program(youth, admin, version=youth.version)
    demo.session.commit()
    rows = [{"code": "typed_code", "zh": "键入", "en": "Typed", "max_files": "2"}]
    response = client.post_form(url, doc_form(loaded, rows))
    assert response.status_code == 409
    body = page(response)
    assert 'value="typed_code"' in body and "陈静" in body and f'name="version" value="{loaded}"' in body


# ---------------------------------------------------------------- questions


def test_questions_editor(demo, admin, client, youth):
    url = f"/office/programs/{youth.id}/questions"
    assert "没有附加问题。" in page(client.get(url))
    data = {
        "version": youth.version,
        "op": "save",
        "q-0-code": "track",
        "q-0-type": "choice",
        "q-0-zh": "方向",
        "q-0-en": "Track",
        "q-0-required": "on",
        "q-0-choices": "a | 理论 | Theory",
    }
    response = client.post_form(url, data)
    assert response.status_code == 400 and "Theory" in page(response)
    data["q-0-choices"] = "a | 理论 | Theory\nb | 实验 | Experiment"
    data.update(
        {
            "q-1-code": "papers",
            "q-1-type": "number",
            "q-1-zh": "论文数",
            "q-1-en": "Papers",
            "q-1-min": "0",
            "q-1-max": "500",
        }
    )
    assert client.post_form(url, data).status_code == 302
    youth = program_by_code(demo, "youth_talent")
    assert youth.extra_fields[0]["choices"][1] == {"value": "b", "zh": "实验", "en": "Experiment"}
    assert youth.extra_fields[1] == {
        "code": "papers",
        "type": "number",
        "zh": "论文数",
        "en": "Papers",
        "required": False,
        "min": 0,
        "max": 500,
    }


# ---------------------------------------------------------------- rules


def rules_form(version, rows, op="save", **extra):
    data = {"version": version, "op": op, **extra}
    for i, row in enumerate(rows):
        for key, value in row.items():
            data[f"rule-{i}-{'kind' if key == 'rule' else key}"] = value
    return data


YOUTH_RULES = [
    {"rule": "max_age", "value": "35"},
    {"rule": "min_degree", "value": "phd"},
    {"rule": "no_same_level_program"},
]


def test_rules_editor_shows_inputs_and_reasons_in_both_languages(demo, admin, client, youth):
    body = page(client.get(f"/office/programs/{youth.id}/rules"))
    assert body.count('class="border rounded p-3 mb-3 editor-row rule-row"') == 3
    assert 'name="rule-0-value" value="35"' in body
    assert "年龄不超过 35 周岁" in body and "Aged 35 or younger" in body
    assert '<option value="phd" selected>博士</option>' in body
    assert 'name="new_kind"' in body and 'value="company_age_years"' in body


def test_add_a_rule_of_a_kind(demo, admin, client, youth):
    url = f"/office/programs/{youth.id}/rules"
    body = page(client.post_form(url, rules_form(youth.version, YOUTH_RULES, op="add", new_kind="nationality")))
    assert 'name="rule-3-kind" value="nationality"' in body
    assert 'name="rule-3-allowed"' in body and 'name="rule-3-excluded"' in body
    body = page(
        client.post_form(url, rules_form(youth.version, YOUTH_RULES, op="add", new_kind="consecutive_years_abroad"))
    )
    assert 'type="checkbox" id="rule-3-research_only"' in body


def test_rules_are_validated_next_to_the_row(demo, admin, client, youth):
    url = f"/office/programs/{youth.id}/rules"
    rows = YOUTH_RULES + [
        {"rule": "company_age_years", "min": "6", "max": "2"},
        {"rule": "min_extra", "field": "", "value": "3"},
        {"rule": "nationality", "allowed": "USA", "excluded": ""},
    ]
    response = client.post_form(url, rules_form(youth.version, rows))
    assert response.status_code == 400
    body = page(response)
    assert "最小值（6）大于最大值（2）。" in body and "请选择该条件读取的问题。" in body
    assert body.count("invalid-feedback d-block") >= 3
    assert program_by_code(demo, "youth_talent").eligibility_rules[0] == {"rule": "max_age", "value": 35}


def test_company_age_needs_the_founding_date_question(demo, admin, client, youth, english):
    url = f"/office/programs/{youth.id}/rules"
    response = client.post_form(url, rules_form(youth.version, [{"rule": "company_age_years", "min": "1"}]))
    assert response.status_code == 400
    assert "company_founded" in page(response)


def test_save_rules_makes_a_version(demo, admin, client, youth):
    url = f"/office/programs/{youth.id}/rules"
    rows = [{"rule": "max_age", "value": "38"}] + YOUTH_RULES[1:]
    response = client.post_form(url, rules_form(youth.version, rows))
    assert response.status_code == 302
    youth = program_by_code(demo, "youth_talent")
    assert youth.eligibility_rules[0] == {"rule": "max_age", "value": 38}
    assert [v.number for v in youth.rule_versions][-1] >= 2
    number = youth.rule_versions[-1].number
    body = page(client.get(f"/office/programs/{youth.id}"))
    assert f'data-number="{number}"' in body
    body = page(client.get(f"/office/programs/{youth.id}/versions/{number}"))
    assert "年龄不超过 38 周岁" in body
    # Saved again unchanged: no new version.
    client.post_form(url, rules_form(youth.version, rows))
    assert program_by_code(demo, "youth_talent").rule_versions[-1].number == number


def test_try_panel_shows_pass_and_fail_for_a_demo_applicant(demo, admin, client, youth):
    url = f"/office/programs/{youth.id}/rules"
    # 李娜 (born 1989, PhD): too old for the unsaved limit of 30, old enough for 60.
    rows = [{"rule": "max_age", "value": "30"}, {"rule": "min_degree", "value": "phd"}]
    response = client.post_form(url, rules_form(youth.version, rows, op="try", try_email="li.na@demo.talent.cn"))
    assert response.status_code == 200
    body = page(response)
    assert 'data-passed="no"' in body and 'data-passed="yes"' in body
    assert "超过上限 30 周岁" in body and "李娜" in body
    assert program_by_code(demo, "youth_talent").eligibility_rules[0]["value"] == 35  # nothing saved
    response = client.post_form(url, rules_form(youth.version, rows, op="try", try_email="nobody@example.cn"))
    assert "trial-results" not in page(response) and "is-invalid" in page(response)


def test_try_panel_in_english(demo, admin, client, youth, english):
    url = f"/office/programs/{youth.id}/rules"
    rows = [{"rule": "max_age", "value": "60"}]
    body = page(client.post_form(url, rules_form(youth.version, rows, op="try", try_email="li.na@demo.talent.cn")))
    assert "is within the limit of 60" in body and "Applicants read (English):" in body
    assert "年龄不超过 60 周岁" in body  # the Chinese reason is shown too


def test_the_rules_page_in_english(demo, admin, client, youth, english):
    body = page(client.get(f"/office/programs/{youth.id}/rules"))
    assert "Eligibility rules" in body and "Add a rule of kind" in body and "Oldest age allowed" in body


# ---------------------------------------------------------------- archive, restore, delete


def test_archive_restore_and_delete(demo, admin, client):
    assert client.post_form("/office/programs/new", {**SETTINGS, "code": "short_lived"}).status_code == 302
    program = program_by_code(demo, "short_lived")
    base = f"/office/programs/{program.id}"
    assert client.post_form(f"{base}/archive", {"version": program.version}).status_code == 302
    assert program_by_code(demo, "short_lived").is_archived
    body = page(client.get(base))
    assert 'id="restore"' in body and 'id="new-call"' not in body
    program = program_by_code(demo, "short_lived")
    client.post_form(f"{base}/restore", {"version": program.version})
    program = program_by_code(demo, "short_lived")
    assert not program.is_archived
    unconfirmed = client.post_form(f"{base}/delete", {"version": program.version})  # one click deletes nothing
    assert "不可撤销" in page(client.get(unconfirmed.headers["Location"]))
    assert program_by_code(demo, "short_lived") is not None
    response = client.post_form(f"{base}/delete", {"version": program.version, "confirm": "yes"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/office/programs/")
    assert demo.session.execute(select(Program).where(Program.code == "short_lived")).first() is None


def test_a_program_with_applications_is_only_archived(demo, admin, client):
    bairen = program_by_code(demo, "bairen")
    body = page(client.get(f"/office/programs/{bairen.id}"))
    assert 'id="delete"' not in body
    response = client.post_form(f"/office/programs/{bairen.id}/delete", {"version": bairen.version})
    assert response.status_code == 302
    assert "该计划已有申请，不能删除：请改为归档。" in page(client.get(response.headers["Location"]))
    assert program_by_code(demo, "bairen") is not None


def test_a_save_racing_past_the_check_is_409_too(demo, admin, client, youth, monkeypatch):
    from sqlalchemy.orm.exc import StaleDataError

    def racing(program, actor, **_kw):
        raise StaleDataError("UPDATE statement on table 'programs' expected to update 1 row(s); 0 were matched.")

    monkeypatch.setattr(program_admin, "update_program", racing)
    response = client.post_form(
        f"/office/programs/{youth.id}/edit", {**SETTINGS, "version": youth.version, "name_en": "Typed while racing"}
    )
    assert response.status_code == 409
    assert 'value="Typed while racing"' in page(response) and "保存了更新的版本" in page(response)


def test_the_offices_call_page_leads_to_its_program(demo, admin, client, youth):
    call = youth.calls[0]
    body = page(client.get(f"/office/calls/{call.id}"))
    assert f'id="program-link" href="/office/programs/{youth.id}"' in body
