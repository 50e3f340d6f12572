"""Program admins' ranking of a call: final and component scores, flags, switchable aggregation, CSV."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ... import exports
from ...accounts.models import Role
from ...auth import roles_required
from ...database import commit, rollback
from ...i18n import current_locale, pick
from ...programs.access import managed_call_or_404 as _call
from ...programs.models import Call
from ..evaluation.schemes import COMPONENT_LABELS, options_for_call
from ..forms import AggregationOptionsForm
from . import services as service

bp = Blueprint("ranking", __name__, url_prefix="/office")

# Ranked applications per page; the CSV holds them all.
PER_PAGE = 50


def _requested_options(call: Call):
    """The options in the query string over the call's defaults; also whether the threshold was unusable."""
    form = AggregationOptionsForm(formdata=request.args, meta={"csrf": False})
    return form.over(options_for_call(call))


def _page_args() -> dict:
    """The query string of this page less its page number (for the pager's links)."""
    return {key: value for key, value in request.args.items() if key != "page"}


@bp.get("/calls/<int:call_id>/ranking")
@roles_required(Role.PROGRAM_ADMIN)
def call_ranking(call_id: int):
    """The ranking with the options switchable; the same number of queries for 10 or 20,000 applications."""
    call = _call(call_id)
    options, bad_threshold = _requested_options(call)
    result, error = None, None
    page = request.args.get("page", 1, type=int) or 1
    try:
        result = service.ranking_for_call(call, options, page=page, per_page=PER_PAGE)
    except service.RankingError as exc:
        error = exc.message
    is_default = options_for_call(call).to_mapping() == options.to_mapping()
    return render_template(
        "reviews/ranking.html",
        call=call,
        ranking=result,
        error=error,
        options=options,
        bad_threshold=bad_threshold,
        is_default=is_default,
        save_form=AggregationOptionsForm.showing(options),
        csv_args=AggregationOptionsForm.query_args(options),
        page_args=_page_args(),
        component_labels=COMPONENT_LABELS,
        flag_labels=service.FLAG_LABELS,
        flag_order=service.FLAG_ORDER,
    )


@bp.post("/calls/<int:call_id>/ranking/options")
@roles_required(Role.PROGRAM_ADMIN)
def save_options(call_id: int):
    """Make the options on screen the call's default aggregation (audited)."""
    call = _call(call_id)
    form = AggregationOptionsForm()
    if not form.validate_on_submit():
        flash(_("The options were not saved: the disagreement threshold must be a number from 0 to 100."), "danger")
        return redirect(url_for("ranking.call_ranking", call_id=call.id))
    try:
        service.save_options(call, form.stored(), current_user._get_current_object())
    except service.RankingError:
        rollback()
        flash(_("The options were not saved: the disagreement threshold must be a number from 0 to 100."), "danger")
        return redirect(url_for("ranking.call_ranking", call_id=call.id))
    commit()
    flash(_("These options are now the call's default for its ranking."), "success")
    return redirect(url_for("ranking.call_ranking", call_id=call.id))


def ranking_table(ranking: service.Ranking, locale: str) -> tuple[list[str], list[list]]:
    """The ranking as a header (in `locale`) and rows, for the CSV and Excel exports."""
    components = ranking.components
    header = [_("Rank"), _("Applicant"), _("Unit"), _("Unit rank"), _("Discipline")]
    for name in components:
        label = pick(COMPONENT_LABELS.get(name, (name, name)), locale)
        header += [label, _("Evaluations: %(component)s", component=label)]
    header += [_("Final score"), _("Evaluations"), _("Standard deviation"), _("Flags")]
    rows = []
    for row in ranking.rows:
        discipline = ranking.disciplines.get(row.discipline_code)
        cells = [
            row.rank,
            row.applicant_name,
            row.unit.name(locale),
            row.unit_rank,
            " ".join(filter(None, [row.discipline_code, discipline.name(locale) if discipline else ""])),
        ]
        for name in components:
            cells += [row.component_scores.get(name), row.n_evaluations.get(name, 0)]
        cells += [
            row.final,
            row.n_total,
            row.std_dev,
            "; ".join(pick(service.FLAG_LABELS[f], locale) for f in row.flags),
        ]
        rows.append(cells)
    return header, rows


def _export(call_id: int, fmt: str):
    call = _call(call_id)
    options, _bad = _requested_options(call)
    try:
        result = service.ranking_for_call(call, options)
    except service.RankingError as exc:
        flash(_("The ranking cannot be computed: %(detail)s", detail=exc.message), "danger")
        return redirect(url_for("ranking.call_ranking", call_id=call.id))
    header, rows = ranking_table(result, current_locale())
    return exports.download(f"ranking-{call.program.code}-{call.year}", fmt, header, rows, title=_("Ranking"))


@bp.get("/calls/<int:call_id>/ranking.csv")
@roles_required(Role.PROGRAM_ADMIN)
def export_csv(call_id: int):
    """The ranking under the requested options as a CSV file that Excel opens with Chinese intact."""
    return _export(call_id, "csv")


@bp.get("/calls/<int:call_id>/ranking.xlsx")
@roles_required(Role.PROGRAM_ADMIN)
def export_xlsx(call_id: int):
    """The ranking under the requested options as an Excel workbook."""
    return _export(call_id, "xlsx")
