"""The administration pages of an organisation: settings, accounts, plans and the audit log.

Only an active administrator gets in (accounts.may_administer); anyone signed in without
that role is told the pages do not exist, as for another organisation's objects: every
account, plan and share looked up must belong to the administrator's organisation. The
plan pages show responsibilities, never a word of the plan: no child's name either.
"""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from sqlalchemy import func, select

from . import accounts, admin_log, admin_ops, admin_views
from .admin_forms import InviteForm, RolesForm, SettingsForm, role_values
from .db import atomic, db_session
from .forms import ConfirmForm
from .i18n import current_language
from .mailer import mail_enabled
from .models import Chair, Plan, PlanShare
from .staff_invites import invitation_url, send_invitation

bp = Blueprint("admin", __name__, url_prefix="/admin")
PAGE_SIZE = 50


@bp.before_request
def require_admin():
    """Send a visitor to the login page; anyone but an active administrator gets 404."""
    if g.get("chair") is None:
        return redirect(url_for("auth.login", next=request.full_path))
    if not accounts.may_administer(g.chair):
        abort(404)
    return None


@bp.context_processor
def page_helpers() -> dict:
    """Give the administration's templates the words of the log and the invitation's days."""
    return {"action_label": admin_log.action_label, "detail_lines": admin_views.detail_lines,
            "target_text": admin_views.target_text, "short_date": admin_views.short_date,
            "invite_days": admin_ops.INVITE_DAYS}


def _account(chair_id: int) -> Chair:
    chair = db_session().get(Chair, chair_id)
    if chair is None or chair.organisation_id != g.chair.organisation_id:
        abort(404)
    return chair


def _plan(plan_id: int) -> Plan:
    plan = db_session().get(Plan, plan_id)
    if plan is None or plan.organisation_id != g.chair.organisation_id:
        abort(404)
    return plan


def _page() -> int:
    value = request.args.get("page", "1")
    return max(1, min(int(value), 10**6)) if value.isdigit() else 1


def _refused(err: admin_ops.AdminError) -> None:
    flash(admin_views.error_text(str(err)), "error")


@bp.get("/")
def index():
    """Show the organisation at a glance, with the latest administrative actions."""
    org = g.chair.organisation
    return render_template("admin/index.html", org=org,
                           counts=admin_views.account_counts(db_session(), org.id),
                           plans=db_session().scalar(select(func.count(Plan.id)).where(
                               Plan.organisation_id == org.id)),
                           events=admin_views.audit_page(db_session(), org.id, 1, 5)[0])


@bp.route("/settings", methods=["GET", "POST"])
def settings():
    """Change the organisation's name, sign-in and retention."""
    org = g.chair.organisation
    form = SettingsForm(obj=org)
    # The secret is write-only: it is never put in the page.
    form.oidc_client_secret.data = form.oidc_client_secret.data if form.is_submitted() else ""
    stored = _("A client secret is stored.") if org.oidc_client_secret else \
        _("No client secret is stored.")
    form.oidc_client_secret.description = f"{form.oidc_client_secret.description} {stored}"
    if form.validate_on_submit() and _local_login_allowed(form, org):
        values = {name: getattr(form, name).data for name in admin_ops.SETTINGS}
        values.update({name: (values[name] or "").strip() for name in
                       ("oidc_issuer", "oidc_client_id", "oidc_name_claim", "oidc_email_claim",
                        "oidc_id_claim", "oidc_role_claim")})
        for name in ("oidc_admin_values", "oidc_chair_values"):
            values[name] = "\n".join(role_values(values[name]))
        with atomic() as session:
            changed = admin_ops.apply_settings(session, g.chair, org, values,
                                               clear_secret=form.clear_secret.data)
        flash(_("The settings are saved.") if changed else _("Nothing was changed."), "success")
        return redirect(url_for("admin.settings"))
    return render_template("admin/settings.html", form=form, org=org), \
        400 if form.errors else 200


def _local_login_allowed(form: SettingsForm, org) -> bool:
    if form.local_login.data:
        return True
    problem = admin_ops.local_login_problem(db_session(), org, form.oidc_issuer.data or "",
                                            form.oidc_client_id.data or "")
    if problem:
        form.local_login.errors = [admin_views.error_text(problem)]
        return False
    return True


@bp.get("/accounts")
def accounts_list():
    """List the organisation's accounts, with the form to invite someone."""
    form = InviteForm(language=current_language(), is_chair=True)
    return _accounts_page(form)


def _accounts_page(form: InviteForm, status: int = 200):
    rows = admin_views.account_rows(db_session(), g.chair.organisation_id)
    return render_template("admin/accounts.html", rows=rows, form=form, confirm=ConfirmForm(),
                           org=g.chair.organisation), status


@bp.post("/accounts")
def invite():
    """Invite a chair or an administrator by email."""
    form = InviteForm()
    if not form.validate_on_submit():
        return _accounts_page(form, 400)
    try:
        with atomic() as session:
            chair, token = admin_ops.invite(
                session, g.chair, email=form.email.data, name=form.name.data,
                is_chair=form.is_chair.data, is_admin=form.is_admin.data,
                locale=form.language.data)
    except admin_ops.AdminError as err:
        form.email.errors = [admin_views.error_text(str(err))]
        return _accounts_page(form, 400)
    return _invitation_result(chair, token)


def _invitation_result(chair: Chair, token: str | None):
    if send_invitation(chair, g.chair, token):
        flash(_("The invitation was sent to %(email)s.", email=chair.email), "success")
        return redirect(url_for("admin.accounts_list"))
    # No email, or it failed: the administrator passes the link (or the advice) on.
    return render_template("admin/invite_link.html", chair=chair,
                           url=invitation_url(token) if token else None,
                           mail_on=mail_enabled(current_app))


@bp.post("/accounts/<int:chair_id>/invitation")
def invite_again(chair_id: int):
    """Send a new invitation; the previous link stops working."""
    chair = _account(chair_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        with atomic() as session:
            token = admin_ops.invite_again(session, g.chair, chair)
    except admin_ops.AdminError as err:
        _refused(err)
        return redirect(url_for("admin.accounts_list"))
    return _invitation_result(chair, token)


@bp.route("/accounts/<int:chair_id>", methods=["GET", "POST"])
def account(chair_id: int):
    """Show an account and change its roles."""
    chair = _account(chair_id)
    form = RolesForm(obj=chair)
    if form.validate_on_submit():
        try:
            with atomic() as session:
                lost_chair = admin_ops.set_roles(session, g.chair, chair,
                                                 is_chair=form.is_chair.data,
                                                 is_admin=form.is_admin.data)
        except admin_ops.AdminError as err:
            _refused(err)
        else:
            if lost_chair:
                admin_ops.close_plan_sockets(chair)
            flash(_("The roles of %(name)s are saved.", name=chair.name or chair.email),
                  "success")
        return redirect(url_for("admin.account", chair_id=chair.id))
    return render_template("admin/account.html", chair=chair, form=form, confirm=ConfirmForm(),
                           plans=admin_views.plan_count(db_session(), chair.id)), \
        400 if form.errors else 200


@bp.route("/accounts/<int:chair_id>/deactivate", methods=["GET", "POST"])
def deactivate(chair_id: int):
    """Ask, then deactivate an account: it is signed out everywhere at once."""
    chair = _account(chair_id)
    form = ConfirmForm()
    if not chair.active:
        return redirect(url_for("admin.account", chair_id=chair.id))
    if form.validate_on_submit():
        try:
            with atomic() as session:
                ended = admin_ops.deactivate(session, g.chair, chair)
        except admin_ops.AdminError as err:
            _refused(err)
            return redirect(url_for("admin.account", chair_id=chair.id))
        admin_ops.close_account_sockets(ended, chair)
        if chair.id == g.chair.id:
            return redirect(url_for("auth.login"))
        flash(_("%(name)s is deactivated and signed out.", name=chair.name or chair.email),
              "success")
        return redirect(url_for("admin.account", chair_id=chair.id))
    return render_template("admin/deactivate.html", chair=chair, confirm=form,
                           plans=admin_views.plan_count(db_session(), chair.id))


@bp.post("/accounts/<int:chair_id>/reactivate")
def reactivate(chair_id: int):
    """Let a deactivated account sign in again."""
    chair = _account(chair_id)
    if ConfirmForm().validate_on_submit():
        with atomic() as session:
            admin_ops.reactivate(session, g.chair, chair)
        flash(_("%(name)s can sign in again.", name=chair.name or chair.email), "success")
    return redirect(url_for("admin.account", chair_id=chair.id))


@bp.get("/plans")
def plans():
    """List the organisation's plans by number and responsible chair, without their content."""
    chair_id = request.args.get("chair", "")
    chair = _account(int(chair_id)) if chair_id.isdigit() and len(chair_id) < 10 else None
    rows, more = admin_views.plan_rows(db_session(), g.chair.organisation_id, _page(),
                                       PAGE_SIZE, chair.id if chair else None)
    return render_template("admin/plans.html", rows=rows, page=_page(), more=more,
                           chair=chair)


@bp.get("/plans/<int:plan_id>")
def plan(plan_id: int):
    """Show who is responsible for a plan and who it is shared with, to change either."""
    plan = _plan(plan_id)
    [row], _more = admin_views.plan_rows(db_session(), plan.organisation_id, 1, 1,
                                         plan_id=plan.id)
    return render_template("admin/plan.html", row=row, confirm=ConfirmForm(),
                           **admin_views.plan_forms(db_session(), plan))


@bp.post("/plans/<int:plan_id>/shares")
def share(plan_id: int):
    """Share a plan with an active chair of the organisation."""
    plan = _plan(plan_id)
    form = admin_views.plan_forms(db_session(), plan)["share_form"]
    if form.validate_on_submit():
        try:
            with atomic() as session:
                admin_ops.share_plan(session, g.chair, plan,
                                     session.get(Chair, form.chair_id.data))
        except admin_ops.AdminError as err:
            _refused(err)
        else:
            flash(_("The plan is shared."), "success")
    else:
        flash(admin_views.form_error(form), "error")
    return redirect(url_for("admin.plan", plan_id=plan.id))


@bp.post("/plans/<int:plan_id>/shares/<int:share_id>/remove")
def remove_share(plan_id: int, share_id: int):
    """Stop sharing a plan with a colleague; their open meeting screens close."""
    plan = _plan(plan_id)
    shared = db_session().get(PlanShare, share_id)
    if shared is None or shared.plan_id != plan.id or not ConfirmForm().validate_on_submit():
        abort(404)
    with atomic() as session:
        colleague_id = admin_ops.remove_share(session, g.chair, shared)
    admin_ops.close_plan_sockets(db_session().get(Chair, colleague_id), plan.id)
    flash(_("The plan is no longer shared with that colleague."), "success")
    return redirect(url_for("admin.plan", plan_id=plan.id))


@bp.post("/plans/<int:plan_id>/hand-over")
def hand_over(plan_id: int):
    """Make another chair responsible for a plan; the previous one keeps nothing."""
    plan = _plan(plan_id)
    form = admin_views.plan_forms(db_session(), plan)["hand_over_form"]
    if not form.validate_on_submit():
        flash(admin_views.form_error(form), "error")
        return redirect(url_for("admin.plan", plan_id=plan.id))
    try:
        with atomic() as session:
            previous_id = admin_ops.hand_over(session, g.chair, plan,
                                              session.get(Chair, form.chair_id.data))
    except admin_ops.AdminError as err:
        _refused(err)
    else:
        previous = db_session().get(Chair, previous_id)
        if not accounts.may_act_on_plan(db_session(), previous, plan.id):
            admin_ops.close_plan_sockets(previous, plan.id)
        flash(_("The plan is handed over."), "success")
    return redirect(url_for("admin.plan", plan_id=plan.id))


@bp.get("/audit")
def audit():
    """Show the organisation's administrative actions, newest first, 50 a page."""
    events, more = admin_views.audit_page(db_session(), g.chair.organisation_id, _page(),
                                          PAGE_SIZE)
    return render_template("admin/audit.html", events=events, page=_page(), more=more)

