"""The program-office migration on a database that already holds programs, calls and program admins."""

from datetime import datetime

from sqlalchemy import create_engine, text

from tests.conftest import scratch_database
from tests.services.test_setup import _flask

BEFORE = "82bbb13ee54d"


def test_upgrade_from_the_previous_head_keeps_what_offices_had(app, tmp_path):
    url, drop = scratch_database(app)
    try:
        assert _flask(["db", "upgrade", BEFORE], url, tmp_path).returncode == 0
        engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
        now = datetime(2026, 11, 1, 8, 0)
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO users (id, email, name, password_hash, locale, active, created_at) "
                    "VALUES (1, 'office@example.cn', '陈静', 'x', 'zh_CN', true, :now)"
                ),
                {"now": now},
            )
            conn.execute(
                text("INSERT INTO user_roles (user_id, role, granted_at) VALUES (1, 'program_admin', :now)"),
                {"now": now},
            )
            conn.execute(
                text(
                    "INSERT INTO programs (id, code, name_zh, name_en, description_zh, description_en, level, "
                    "category, eligibility_rules, required_documents, extra_fields, referees_required, "
                    "experts_per_application, blind_review, unit_quota, notice_required, created_at) "
                    "VALUES (1, 'bairen', '百人计划', 'Hundred', "
                    "'', '', 'academy', 'top', '[{\"rule\": \"max_age\", \"value\": 40}]', '[{\"code\": \"cv\", "
                    '"zh": "简历", "en": "CV"}]\', \'[]\', 1, 3, false, 4, true, :now)'
                ),
                {"now": now},
            )
            for call_id, year, status in ((1, 2025, "decided"), (2, 2026, "open"), (3, 2027, "draft")):
                conn.execute(
                    text(
                        "INSERT INTO calls (id, program_id, year, title_zh, title_en, opens_at, closes_at, "
                        "cutoff_date, status, aggregation, created_at, ranking_stamp) "
                        "VALUES (:id, 1, :year, 't', 't', :now, :later, '2026-12-31', :status, '{}', :now, 0)"
                    ),
                    {"id": call_id, "year": year, "status": status, "now": now, "later": datetime(2027, 1, 1)},
                )
        engine.dispose()
        upgraded = _flask(["db", "upgrade"], url, tmp_path)
        assert upgraded.returncode == 0, upgraded.stderr
        assert _flask(["db", "check"], url, tmp_path).returncode == 0
        engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
        with engine.connect() as conn:
            version = conn.execute(text("SELECT id, number, eligibility_rules FROM program_rules")).one()
            assert version.number == 1 and "max_age" in str(version.eligibility_rules)
            calls = conn.execute(text("SELECT status, rules_id, unit_quota FROM calls ORDER BY id")).all()
            assert [(c.rules_id, c.unit_quota) for c in calls] == [(version.id, 4), (version.id, 4), (None, 4)]
            # The existing program admin still runs every program (an office-wide grant, no program named).
            assert conn.execute(text("SELECT program_id FROM user_roles")).scalar_one() is None
        engine.dispose()
        assert _flask(["db", "downgrade", BEFORE], url, tmp_path).returncode == 0
    finally:
        drop()
