"""Talent Program Portal: the application factory."""

from __future__ import annotations

import logging

from flask import Flask, has_request_context, request, session
from flask_login import current_user

from .i18n import is_english


def create_app(config: dict | None = None) -> Flask:
    """Build the application; `config` overrides settings read from the environment."""
    from .config import load_config

    app = Flask(__name__, template_folder="../templates", static_folder="static")
    app.config.update(load_config(config))
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
    # WeasyPrint and fontTools log every rendering step at INFO: noise in the log and time per letter.
    for name in ("weasyprint", "fontTools"):
        logging.getLogger(name).setLevel(logging.WARNING)

    _init_extensions(app)
    _register_hooks()
    _register_blueprints(app)
    _register_security(app)
    _register_template_helpers(app)
    _register_errors(app)

    from .cli import register_cli

    register_cli(app)
    check_pdf_libraries(app)
    return app


def check_pdf_libraries(app: Flask) -> bool:
    """Warn loudly at start-up when HarfBuzz's subsetter is missing: letters then render ~50 times slower."""
    import ctypes.util

    if ctypes.util.find_library("harfbuzz-subset"):
        return True
    app.logger.warning(
        "\n" + "!" * 78 + "\n! libharfbuzz-subset is not installed: PDF letters and application books will "
        "render about\n! 50 times slower (seconds instead of milliseconds). Install it with:\n"
        "!     sudo apt-get install libharfbuzz-subset0\n" + "!" * 78
    )
    return False


def select_locale() -> str:
    """The language chosen in this session, else the user's, else Chinese."""
    from flask import current_app

    languages = current_app.config["LANGUAGES"]
    if not has_request_context():
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    chosen = session.get("lang")
    if chosen in languages:
        return chosen
    if current_user and current_user.is_authenticated and current_user.locale in languages:
        return current_user.locale
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def _init_extensions(app: Flask) -> None:
    from .extensions import babel, bootstrap, csrf, db, limiter, login_manager, migrate

    db.init_app(app)
    from .database import configure_sqlite

    with app.app_context():
        configure_sqlite(db.engine)
    migrate.init_app(app, db, render_as_batch=True, compare_type=True)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    bootstrap.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.session_protection = "strong"

    from flask_babel import lazy_gettext as _l

    login_manager.login_message = _l("Please log in to see this page.")
    login_manager.login_message_category = "warning"

    # Import every model so metadata (and Alembic autogenerate) sees all tables.
    from . import models  # noqa: F401
    from .accounts.models import User

    @login_manager.user_loader
    def load_user(user_id: str):
        return db.session.get(User, int(user_id))


def _register_hooks() -> None:
    """What runs around every commit and flush, registered here rather than as a side effect of an import."""
    from . import jobs
    from .notifications.services import register_hooks as register_outbox
    from .reviews.ranking.services import register_listeners as register_ranking_listeners

    register_outbox()
    register_ranking_listeners()  # rankings stay fresh whoever imported what
    jobs.configure(create_app)  # a job worker without an app of its own makes one (`flask jobs worker` gives its own)


def _register_blueprints(app: Flask) -> None:
    from .accounts.views import bp as accounts_bp
    from .admin.views import bp as admin_bp
    from .applications.call_views import bp as programs_bp
    from .applications.profile_views import bp as profile_bp
    from .applications.referee_views import bp as referees_bp
    from .applications.views import bp as applications_bp
    from .main import bp as main_bp
    from .office.call_views import bp as call_office_bp
    from .office.program_views import bp as program_office_bp

    app.register_blueprint(main_bp)
    app.register_blueprint(programs_bp)
    app.register_blueprint(program_office_bp)
    app.register_blueprint(call_office_bp)
    app.register_blueprint(profile_bp)
    app.register_blueprint(applications_bp)
    app.register_blueprint(referees_bp)

    from .reviews.evaluation.expert_views import bp as expert_bp
    from .reviews.evaluation.external_views import bp as evaluate_bp
    from .reviews.experts.views import bp as pool_bp
    from .reviews.office_views import bp as office_bp
    from .reviews.ranking.views import bp as ranking_bp
    from .reviews.unit.views import bp as unit_bp

    for blueprint in (unit_bp, office_bp, pool_bp, ranking_bp, expert_bp, evaluate_bp):
        app.register_blueprint(blueprint)

    from .decisions.feedback_views import bp as feedback_bp
    from .decisions.public_views import bp as notice_bp
    from .decisions.views import bp as decisions_bp
    from .letters.applicant_views import bp as my_letters_bp
    from .letters.verify_views import bp as verify_bp
    from .letters.views import bp as letters_bp
    from .stats.views import bp as stats_bp

    for blueprint in (decisions_bp, notice_bp, feedback_bp, letters_bp, my_letters_bp, verify_bp, stats_bp):
        app.register_blueprint(blueprint)
    app.register_blueprint(accounts_bp)
    app.register_blueprint(admin_bp)


def _register_security(app: Flask) -> None:
    csp = "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self' data:",
            "font-src 'self'",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )

    @app.after_request
    def security_headers(response):
        response.headers.setdefault("Content-Security-Policy", csp)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        if app.config["SESSION_COOKIE_SECURE"]:
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        return response


def _register_template_helpers(app: Flask) -> None:
    from flask_babel import format_datetime, get_locale

    from .accounts.models import Role
    from .programs.access import can_manage

    @app.context_processor
    def inject():
        locale = str(get_locale() or app.config["BABEL_DEFAULT_LOCALE"])
        return {
            "current_locale": locale,
            "is_en": is_english(locale),
            "Role": Role,
            "can_manage": can_manage,
            "max_upload_mb": app.config["MAX_UPLOAD_MB"],
        }

    @app.template_filter("localtime")
    def localtime(value, fmt="yyyy-MM-dd HH:mm"):
        """Show a UTC datetime in the configured time zone (Asia/Shanghai by default)."""
        return format_datetime(value, fmt) if value else ""

    _register_status_vocabulary(app)


def _register_status_vocabulary(app: Flask) -> None:
    """The features' status enums, the sets named beside them and the labels templates show, as Jinja globals in
    one place: templates test `a.status == AssignmentStatus.ACCEPTED` or `a.state in EDITABLE_STATES` and show
    `LETTER_JOB_STATUS_LABELS[job.status]`, never spelling a stored value themselves."""
    from .applications import workflow
    from .applications.forms import DEGREE_NAMES
    from .decisions import models as decisions
    from .letters import models as letters
    from .programs.call_workflow import CallState
    from .reviews.assignment import lifecycle as assignments
    from .reviews.models import EvaluationStatus

    app.jinja_env.globals.update(
        State=workflow.State,
        EDITABLE_STATES=workflow.EDITABLE_STATES,
        FEEDBACK_STATES=workflow.FEEDBACK_STATES,
        CallState=CallState,
        DEGREE_NAMES={degree.value: name for degree, name in DEGREE_NAMES.items()},
        AssignmentStatus=assignments.AssignmentStatus,
        OPEN_ASSIGNMENTS=assignments.OPEN,
        LIVE_ASSIGNMENTS=assignments.LIVE,
        EvaluationStatus=EvaluationStatus,
        SessionStatus=decisions.SessionStatus,
        NoticeStatus=decisions.NoticeStatus,
        NOTICE_STATUS_LABELS=decisions.NOTICE_STATUS_LABELS,
        ObjectionStatus=decisions.ObjectionStatus,
        OBJECTION_STATUS_LABELS=decisions.OBJECTION_STATUS_LABELS,
        LetterStatus=letters.LetterStatus,
        LetterJobStatus=letters.LetterJobStatus,
        ACTIVE_JOB_STATUSES=letters.ACTIVE_JOB_STATUSES,
        LETTER_JOB_STATUS_LABELS=letters.LETTER_JOB_STATUS_LABELS,
    )


def _register_errors(app: Flask) -> None:
    from flask import render_template

    def page(code):
        def handler(error):
            return render_template(f"errors/{code}.html", error=error), code

        return handler

    for code in (400, 403, 404, 405, 413, 500):
        app.register_error_handler(code, page(code))

    @app.errorhandler(429)
    def too_many(error):
        from flask_babel import gettext as _

        if request.endpoint == "accounts.login":
            # Keep the person on the login form, with what they typed, and say why.
            from .accounts.forms import LoginForm, ResendConfirmationForm

            form = LoginForm()
            message = _(
                "Too many failed login attempts. For your security, logging in is paused for a few "
                "minutes; try again later or reset your password."
            )
            return render_template(
                "accounts/login.html", form=form, throttled=message, resend_form=ResendConfirmationForm()
            ), 429
        return render_template("errors/429.html", error=error), 429

    from flask_wtf.csrf import CSRFError

    @app.errorhandler(CSRFError)
    def csrf_error(error):
        return render_template("errors/400.html", error=error, csrf=True), 400
