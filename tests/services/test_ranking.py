"""A call's ranking from the database (SPEC §4.1): hand-computed orders, flags, user-evaluated calls, saved options."""

import pytest
from sqlalchemy import select

from portal.applications.models import Application
from portal.audit.models import AuditEntry
from portal.reviews.evaluation.schemes import options_for_call
from portal.reviews.ranking.services import RankingError, ranking_for_call, save_options
from tests.factories import (
    AssignmentFactory,
    UnitReviewFactory,
    add_applications,
    add_evaluations,
    build_hand_case,
    call_of,
    top_scores,
    unit_id,
)


def _order(ranking, ids):
    names = {v: k for k, v in ids.items()}
    return [names[row.application.id] for row in ranking.rows]


# ---------------------------------------------------------------- tests


def test_normalisation_undoes_strict_and_lenient_experts(demo):
    # Scheme 'top': final = 0.3 unit + 0.7 peer. The unit gives 80 to all three (one unit, no spread, so
    # normalising leaves it at 80): every final is 24 + 0.7 × peer.
    #   neutral N: A 80, B 75, C 70     strict S (−20): A 60, B 55     lenient L (+15): B 90, C 85
    # Plain mean of peer: A (80+60)/2 = 70, B (75+55+90)/3 = 73.33, C (70+85)/2 = 77.5
    #   finals A 73.00, B 75.33, C 78.25 → C, B, A: C profits from the lenient expert, A suffers the strict one.
    # Normalised: each expert's z-scores: N (mean 75, SD √(50/3)) A +1.2247, B 0, C −1.2247; S A +1, B −1;
    #   L B +1, C −1. Peer = call mean + call SD × mean z, with call mean 515/7 = 73.571 and call SD √140.816
    #   = 11.867 over the seven raw peer scores. Mean z: A +1.1124, B 0, C −1.1124
    #   → peer A 86.771, B 73.571, C 60.371 → finals A 84.74, B 75.50, C 66.26 → A, B, C: every expert
    #   preferred A to B to C, and now the order says so.
    call, ids = build_hand_case(demo)

    plain = ranking_for_call(call, options_for_call(call))
    assert _order(plain, ids) == ["C", "B", "A"]
    assert [round(r.final, 2) for r in plain.rows] == [78.25, 75.33, 73.00]
    assert [r.rank for r in plain.rows] == [1, 2, 3]
    b = plain.rows[1]
    assert b.component_scores["unit"] == pytest.approx(80) and b.n_evaluations == {"unit": 1, "peer": 3}
    assert b.std_dev == pytest.approx(14.337, abs=1e-3)  # below 15: no disagreement

    normalised = ranking_for_call(call, options_for_call(call, normalise=True))
    assert _order(normalised, ids) == ["A", "B", "C"]
    assert [round(r.final, 2) for r in normalised.rows] == [84.74, 75.50, 66.26]
    assert normalised.rows[0].component_scores["peer"] == pytest.approx(86.771, abs=1e-3)

    # Two experts of three for A and C: the program expects three.
    flags = {name: plain.rows[i].flags for i, name in enumerate(_order(plain, ids))}
    assert flags == {"A": ("missing",), "B": (), "C": ("missing",)}


def test_flags_disagreement_missing_integrity_and_tie_at_the_quota(demo):
    call = call_of(demo, "bairen")
    call.program.experts_per_application = 3
    call.total_quota = 1
    names = ["分歧", "缺失", "诚信甲", "诚信乙", "已澄清", "并列甲", "并列乙"]
    d, m, i1, i2, cleared, t1, t2 = add_applications(demo, call, names)
    demo.session.get(Application, i1).integrity_flag = True
    demo.session.get(Application, cleared).integrity_cleared_reason = "经核实，举报不属实"
    demo.session.get(Application, t2).state = "reviewed"
    outside = add_applications(demo, call, ["未进入评审"], state="unit_endorsed")
    demo.session.commit()
    unit_key, experts = f"unit:{unit_id(demo)}", ["user:1", "user:2", "user:3"]
    panel = {
        d: [40, 90, 65],
        i1: [70, 70, 70],
        i2: [72, 72, 72],
        cleared: [71, 71, 71],
        t1: [90, 90, 90],
        t2: [90, 90, 90],
    }
    rows = [(x, unit_key, "unit", top_scores(80)) for x in (d, m, i1, i2, cleared, t1, t2)]
    for application_id, scores in panel.items():
        for expert, score in zip(experts, scores, strict=True):
            extra = {"integrity_ok": False} if expert == "user:1" and application_id in (i2, cleared) else {}
            rows.append((application_id, expert, "peer", top_scores(score), extra))
    add_evaluations(demo, rows)

    ranking = ranking_for_call(call, options_for_call(call))
    by_id = {row.application.id: row for row in ranking.rows}
    assert outside[0] not in by_id and len(ranking.rows) == 7
    # SD of 40, 90, 65 is 20.4 > 15
    assert by_id[d].flags == ("disagreement",) and by_id[d].std_dev == pytest.approx(20.412, abs=1e-3)
    assert by_id[m].flags == ("missing",) and by_id[m].final is None and by_id[m].rank is None
    assert by_id[i1].flags == ("integrity",)  # the application's own flag
    assert by_id[i2].flags == ("integrity",)  # an evaluator answered "no" to the integrity question
    assert by_id[cleared].flags == () and by_id[cleared].integrity_cleared
    # 24 + 0.7 × 90 = 87 for both, straddling a quota of one: both flagged, both ranked 1, line after the first.
    assert by_id[t1].flags == by_id[t2].flags == ("tie_at_quota",)
    assert [r.application.id for r in ranking.rows] == [t1, t2, i2, cleared, i1, d, m]
    assert [r.rank for r in ranking.rows] == [1, 1, 3, 4, 5, 6, None]
    assert ranking.quota_line_after == 1

    # With the threshold raised above 20.4 the disagreement disappears.
    relaxed = ranking_for_call(call, options_for_call(call, disagreement_threshold=21))
    assert next(r for r in relaxed.rows if r.application.id == d).flags == ()


def test_unit_rank_and_discipline_come_along(demo, make_user):
    call, ids = build_hand_case(demo)
    reviewer = make_user(("unit_admin", unit_id(demo)))
    UnitReviewFactory(application=demo.session.get(Application, ids["B"]), reviewer=reviewer, unit_rank=2)
    demo.session.commit()
    ranking = ranking_for_call(call, options_for_call(call))
    row = next(r for r in ranking.rows if r.application.id == ids["B"])
    assert row.unit_rank == 2 and row.applicant_name == "白桦" and row.unit.code == "CAS-AMSS"
    assert ranking.disciplines["A01"].name_zh == "数学"
    assert next(r for r in ranking.rows if r.application.id == ids["A"]).unit_rank is None


def _external(db, application_id, status):
    return AssignmentFactory(application=db.session.get(Application, application_id), external=True, status=status).id


def test_support_call_is_ranked_on_user_evaluations_alone(demo):
    call = call_of(demo, "support_talent")
    x, y, z, w = add_applications(demo, call, ["徐", "杨", "郑", "王"], unit="CAS-IOP")
    rows = []

    def answered(application_id, completion, attitude):
        aid = _external(demo, application_id, "submitted")
        rows.append(
            (
                application_id,
                f"ext:{aid}",
                "user",
                {"completion": completion, "attitude": attitude},
                {"assignment_id": aid},
            )
        )

    answered(x, 90, 80)  # 0.6 × 90 + 0.4 × 80 = 86
    answered(x, 80, 70)  # 76 → mean 81, SD 5
    answered(y, 70, 60)  # 66, but a second invitation is unanswered
    _external(demo, y, "invited")
    _external(demo, w, "declined")  # a declined invitation is not expected any more
    answered(w, 100, 90)  # 96
    add_evaluations(demo, rows)

    ranking = ranking_for_call(call, options_for_call(call))
    assert ranking.components == ["user"]
    assert [r.application.id for r in ranking.rows] == [w, x, y, z]
    assert [None if r.final is None else round(r.final, 2) for r in ranking.rows] == [96.0, 81.0, 66.0, None]
    by_id = {r.application.id: r for r in ranking.rows}
    assert by_id[x].std_dev == pytest.approx(5.0) and by_id[x].n_evaluations == {"user": 2}
    assert by_id[w].flags == by_id[x].flags == ()
    assert by_id[y].flags == ("missing",) and by_id[z].flags == ("missing",)


def test_saved_options_become_the_default_with_an_audit_entry(demo, make_user):
    call = call_of(demo, "bairen")
    admin = make_user("program_admin")
    save_options(call, {"normalise": True, "trimmed": True, "disagreement_threshold": 12}, admin)
    demo.session.commit()
    demo.session.expire_all()
    options = options_for_call(call_of(demo, "bairen"))
    assert options.normalise and options.trimmed and not options.familiarity_weights
    assert options.disagreement_threshold == 12
    entry = demo.session.execute(select(AuditEntry).where(AuditEntry.action == "call.aggregation_saved")).scalar_one()
    assert entry.actor_id == admin.id and entry.data["after"]["normalise"] is True
    with pytest.raises(RankingError):
        save_options(call, {"disagreement_threshold": -1}, admin)
    with pytest.raises(RankingError):
        save_options(call, {"median": True}, admin)


def test_scores_that_do_not_fit_the_scheme_are_reported(demo):
    call = call_of(demo, "bairen")
    (a,) = add_applications(demo, call, ["错"])
    add_evaluations(demo, [(a, "user:1", "peer", {"vision": 80, "organisation": 70})])
    with pytest.raises(RankingError):
        ranking_for_call(call, options_for_call(call))
