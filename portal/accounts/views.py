"""Login, logout, registration, email confirmation and password reset."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from ..auth import is_safe_next
from ..database import commit
from ..extensions import limiter
from ..i18n import current_locale
from ..views_support import commit_or_refuse
from . import services
from .forms import ForgotPasswordForm, LoginForm, RegisterForm, ResendConfirmationForm, ResetPasswordForm

bp = Blueprint("accounts", __name__, url_prefix="/account")


def _login_failed(response) -> bool:
    # Only failed attempts count towards the throttle; a successful login redirects.
    return response.status_code != 302


def _account_key() -> str:
    return "login-account:" + services.normalise_email(request.form.get("email", ""))


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(
    lambda: current_app.config["LOGIN_LIMIT_PER_ADDRESS"],
    methods=["POST"],
    deduct_when=_login_failed,
    scope="login-address",
)
@limiter.limit(
    lambda: current_app.config["LOGIN_LIMIT_PER_ACCOUNT"],
    methods=["POST"],
    deduct_when=_login_failed,
    key_func=_account_key,
    scope="login-account",
)
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = LoginForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
    unconfirmed = False
    if form.validate_on_submit():
        try:
            user = services.authenticate(form.email.data, form.password.data)
        except services.AccountError as exc:
            unconfirmed = exc.field == "unconfirmed"
            form.password.errors = [exc.message]
        else:
            login_user(user, remember=form.remember.data)
            services.record("account.login", user, actor=user)
            commit()
            flash(_("Welcome, %(name)s.", name=user.name), "success")
            target = form.next.data
            return redirect(target if is_safe_next(target) else url_for("main.index"))
    return render_template(
        "accounts/login.html",
        form=form,
        unconfirmed=unconfirmed,
        resend_form=ResendConfirmationForm(email=form.email.data),
    ), 200


@bp.post("/logout")
@login_required
def logout():
    logout_user()
    flash(_("You have logged out."), "info")
    return redirect(url_for("main.index"))


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit("10 per hour", methods=["POST"], scope="register")
def register():
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = RegisterForm()
    if form.validate_on_submit():
        try:
            user = services.register(form.email.data, form.name.data, form.password.data, current_locale())
        except services.AccountError as exc:
            getattr(form, exc.field or "email").errors.append(exc.message)
        else:
            commit()
            return render_template("accounts/check_email.html", email=user.email, purpose="confirm")
    return render_template("accounts/register.html", form=form)


@bp.get("/confirm/<token>")
def confirm_email(token: str):
    if not commit_or_refuse(services.confirm_email, token):
        return redirect(url_for("accounts.login"))
    flash(_("Your email address is confirmed. You can log in now."), "success")
    return redirect(url_for("accounts.login"))


@bp.post("/confirm/resend")
@limiter.limit("5 per hour", scope="resend-confirmation")
def resend_confirmation():
    form = ResendConfirmationForm()
    if form.validate_on_submit():
        user = services.find_user(form.email.data)
        if user and user.email_confirmed_at is None:
            services.send_confirmation(user)
            commit()
    flash(_("If an unconfirmed account uses this address, a new confirmation link is on its way."), "info")
    return redirect(url_for("accounts.login"))


@bp.route("/forgot", methods=["GET", "POST"])
@limiter.limit("10 per hour", methods=["POST"], scope="forgot")
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        services.send_password_reset(form.email.data)
        commit()
        return render_template("accounts/check_email.html", email=form.email.data, purpose="reset")
    return render_template("accounts/forgot.html", form=form)


@bp.route("/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    try:
        services.user_for_reset_token(token)
    except services.AccountError as exc:
        flash(exc.message, "danger")
        return redirect(url_for("accounts.forgot_password"))
    form = ResetPasswordForm()
    if form.validate_on_submit():
        services.reset_password(token, form.password.data)
        commit()
        flash(_("Your password has been changed. Log in with the new one."), "success")
        return redirect(url_for("accounts.login"))
    return render_template("accounts/reset.html", form=form)
