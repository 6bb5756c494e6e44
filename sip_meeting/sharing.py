"""A chair shares a plan with a colleague of the organisation, who may then chair its meetings.

For a substitute when the chair is ill or away: the colleague sees the plan on their start
page and may run its meetings live. The responsible chair shares and stops sharing; a
colleague sees who else the plan is shared with. Each change is written to the
organisation's audit log. An administrator does the same from the administration pages.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, g, redirect, url_for
from flask_babel import gettext as _

from . import accounts, admin_ops, admin_views
from .access import require_chair
from .db import atomic, db_session
from .forms import ConfirmForm
from .models import Chair, Plan, PlanShare

bp = Blueprint("sharing", __name__)
bp.before_request(require_chair)


def _own_plan(plan_id: int) -> Plan:
    """Return a plan the chair may act on; only its responsible chair may change its shares."""
    plan = accounts.plan_or_404(db_session(), plan_id)
    if plan.chair_id != g.chair.id:
        abort(403)
    return plan


@bp.app_template_global()
def plan_sharing(plan: Plan) -> dict[str, Any]:
    """Return what the plan page's sharing part shows: the shares, and the form if allowed."""
    session = db_session()
    # Only colleagues of the plan's organisation: a share with anyone else gives nothing
    # (accounts.plan_access), and another organisation's account is not shown here.
    shares = [(share, colleague) for share in plan.shares
              if (colleague := session.get(Chair, share.chair_id)).organisation_id
              == plan.organisation_id]
    manage = g.get("chair") is not None and plan.chair_id == g.chair.id
    return {"shares": shares, "manage": manage, "confirm": ConfirmForm(),
            "form": admin_views.plan_forms(session, plan)["share_form"] if manage else None}


@bp.post("/plans/<int:plan_id>/shares")
def add(plan_id: int):
    """Share one's plan with a colleague."""
    plan = _own_plan(plan_id)
    form = admin_views.plan_forms(db_session(), plan)["share_form"]
    if not form.validate_on_submit():
        flash(admin_views.form_error(form), "error")
        return redirect(url_for("chair.plan", plan_id=plan.id) + "#sharing")
    try:
        with atomic() as session:
            share = admin_ops.share_plan(session, g.chair, plan,
                                         session.get(Chair, form.chair_id.data))
    except admin_ops.AdminError as err:
        flash(admin_views.error_text(str(err)), "error")
    else:
        colleague = db_session().get(Chair, share.chair_id)
        flash(_("The plan is shared with %(name)s.", name=colleague.name or colleague.email),
              "success")
    return redirect(url_for("chair.plan", plan_id=plan.id) + "#sharing")


@bp.post("/plans/<int:plan_id>/shares/<int:share_id>/remove")
def remove(plan_id: int, share_id: int):
    """Stop sharing one's plan with a colleague; their open meeting screens close."""
    plan = _own_plan(plan_id)
    share = db_session().get(PlanShare, share_id)
    if share is None or share.plan_id != plan.id or not ConfirmForm().validate_on_submit():
        abort(404)
    with atomic() as session:
        colleague_id = admin_ops.remove_share(session, g.chair, share)
    colleague = db_session().get(Chair, colleague_id)
    admin_ops.close_plan_sockets(colleague, plan.id)
    flash(_("The plan is no longer shared with %(name)s.", name=colleague.name or colleague.email),
          "success")
    return redirect(url_for("chair.plan", plan_id=plan.id) + "#sharing")
