"""Who may do what: every route and every live event, for every kind of caller.

Each endpoint of the application (each rule of the URL map, by method) and each event of the
live namespace has one line in ROUTES or EVENTS saying who may use it. The first tests fail
when the application has a route or an event these tables do not name, so nothing new reaches
anyone unchecked. The others try each one as each actor of two seeded organisations and
expect what the line says: allowed, or refused the way the project refuses (404 for another's
object, so that its existence is not given away; the login page for someone not signed in; an
administrator without the chair role sent to the administration; 403 for a colleague doing
what only the responsible chair does), with the database unchanged by every refusal, and no
page showing the plan's child to anyone else or an account of the other organisation.

Each organisation has an owner of a plan (a closed first meeting with its version, a live
follow-up with participants), a colleague the plan is shared with, a chair it is not shared
with (who has a plan and a meeting of their own), a deactivated chair the plan was shared
with, and an account that only administers. The database is seeded once per database kind;
a case that changed it puts the seed back before the next one.
"""

from __future__ import annotations

import secrets
import shutil
import uuid
from dataclasses import dataclass, field
from datetime import date, time, timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest
from conftest import _CHAIR_HASH, CHAIR_PASSWORD, LiveClient, _truncate_pg
from sqlalchemy import delete, insert, select

from sip_meeting import create_app, planning, retention
from sip_meeting.db import Base, atomic, utcnow
from sip_meeting.events import LiveNamespace
from sip_meeting.glossary_views import get_glossary
from sip_meeting.models import (
    FIRST_ORGANISATION_ID,
    Action,
    Chair,
    Delivery,
    Goal,
    Organisation,
    Participant,
    Plan,
    PlanShare,
    TermRequest,
)
from sip_meeting.security import hash_token
from sip_meeting.versions import freeze

# -- who ------------------------------------------------------------------------------------

# Every actor is a browser of its own; those of organisation A are the ones plan P concerns.
ACTORS = (
    "anonymous",
    "participant",            # opened their links to P's closed meeting C and live meeting M
    "other_participant",      # opened a link to another plan's meeting, same organisation
    "other_org_participant",  # opened a link to a meeting of organisation B
    "owner",                  # the chair responsible for P
    "colleague",              # a chair of A with whom P is shared
    "unshared_chair",         # a chair of A with a plan of their own; P is not shared with them
    "deactivated_chair",      # P was shared with them; signed in, then deactivated
    "other_org_chair",        # the chair responsible for organisation B's plan
    "other_org_shared",       # a chair of B with a share of P (a share that crosses organisations)
    "admin",                  # administers A; not a chair
    "other_org_admin",        # administers B; not a chair
)
PLAN_CHAIRS = {"owner", "colleague"}
ACTIVE_CHAIRS = PLAN_CHAIRS | {"unshared_chair", "other_org_chair", "other_org_shared"}
ADMINS = {"admin", "other_org_admin"}
# Plan P's child: no one else may ever be shown this name.
SECRET_CHILD = "Tindra"
ENTITLED_TO_P = PLAN_CHAIRS | {"participant"}
# The accounts of organisation A are "Owner Ahlgrensson", owner@a.example.se and so on, those
# of B "Owner Bergqvistsson", owner@b.example.se: what an actor of A or of B is never shown.
SURNAMES = {"a": "Ahlgrensson", "b": "Bergqvistsson"}
OTHER_ORG_MARKS = {"a": ("@b.example.se", SURNAMES["b"]), "b": ("@a.example.se", SURNAMES["a"])}
TEXT_TYPES = ("text/", "application/json", "application/fhir+json")

# Who a route is for, and how everyone else is refused.
PUBLIC = "public"                 # anyone
LINK = "link-holder"              # anyone holding the personal join link: it is the credential
PARTICIPANT = "participant"       # a browser that joined this meeting through its link
CHAIR_OF_PLAN = "chair-of-plan"   # an active chair responsible for the plan or shared it
CHAIR_FILE = "chair-of-plan-file"  # the same, for a download: never a login page, 404
OWNER_OF_PLAN = "owner-of-plan"   # the chair responsible: a colleague is refused with 403
ANY_CHAIR = "any-chair"           # any active chair (what they see is scoped to them)
ADMIN_PAGE = "admin"              # any active administrator, about their own organisation
ADMIN_OF_ORG = "admin-of-org"     # an active administrator of the object's organisation
STAFF = "staff"                   # any active chair or administrator (their organisation's counts)
TRANSPORT = "socket.io"           # answered by the Socket.IO server before Flask, alike to all


def expected(who: str, actor: str) -> str:
    """Return what a route of this kind answers this actor: allowed, login, 403 or 404."""
    if who in (PUBLIC, LINK, TRANSPORT):
        return "allowed"
    if who == PARTICIPANT:
        return "allowed" if actor == "participant" else "404"
    if who == CHAIR_FILE:
        return "allowed" if actor in PLAN_CHAIRS else "404"
    if who == STAFF:
        return "allowed" if actor in ACTIVE_CHAIRS | ADMINS else "login"
    if who in (ADMIN_PAGE, ADMIN_OF_ORG):
        if actor == "admin" or (actor in ADMINS and who == ADMIN_PAGE):
            return "allowed"
        # signed in without the role, or another organisation's: as if it did not exist
        return "404" if actor in ACTIVE_CHAIRS | ADMINS else "login"
    if actor in ADMINS:
        return "admin-home"  # signed in without the chair role: sent to their own pages
    if actor not in ACTIVE_CHAIRS:
        return "login"  # nobody signed in as an active chair
    if who == ANY_CHAIR:
        return "allowed"
    if who == OWNER_OF_PLAN and actor == "colleague":
        return "403"  # may see the plan, not decide who else does
    assert who in (CHAIR_OF_PLAN, OWNER_OF_PLAN), who
    return "allowed" if actor in PLAN_CHAIRS else "404"


# -- what: the routes -----------------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    """One endpoint and method: who may, where (ids filled from the seed), and what success is.

    ``status`` and ``to`` (a redirect's path) describe the allowed answer; ``changes`` says
    that the allowed request changes the database, so that its refusal is seen to matter.
    """

    who: str
    path: str
    status: int = 200
    data: dict[str, str] = field(default_factory=dict)
    to: str | None = None
    changes: bool = False


def _meeting_form() -> dict[str, str]:
    return {"date": (date.today() + timedelta(days=40)).isoformat(), "time": "13:00",
            "duration_minutes": "90", "place": "Skolan", "purpose": "Följa upp stödet"}


ROUTES: dict[tuple[str, str], Route] = {
    ("auth.login", "GET"): Route(PUBLIC, "/login"),
    ("auth.login", "POST"): Route(PUBLIC, "/login", 400, {"email": "", "password": ""}),
    ("auth.logout", "POST"): Route(PUBLIC, "/logout", 302, to="/login"),
    ("auth.switch_language", "POST"): Route(PUBLIC, "/language", 302,
                                            {"lang": "en", "next": "/glossary"}, to="/glossary"),
    ("glossary.index", "GET"): Route(PUBLIC, "/glossary"),
    ("glossary.term", "GET"): Route(PUBLIC, "/glossary/{term}"),
    ("glossary.term_json", "GET"): Route(PUBLIC, "/glossary/{term}.json"),
    # without the Engine.IO handshake's query: refused by the Socket.IO server, whoever asks
    ("socketio", "GET"): Route(TRANSPORT, "/socket.io/", 400),
    ("invite.join", "GET"): Route(LINK, "/j/{token_m}", 302, to="/m/{meeting}"),
    # a participant's own pages: the live meeting, its invitation, the plan after the close
    ("room.device", "GET"): Route(PARTICIPANT, "/m/{meeting}"),
    ("invite.participant_invitation", "GET"): Route(PARTICIPANT, "/m/{meeting}/invitation"),
    ("invite.participant_ics", "GET"): Route(PARTICIPANT, "/m/{meeting}/invitation.ics"),
    ("handover.family_page", "GET"): Route(PARTICIPANT, "/m/{closed}/plan"),
    ("handover.family_docx", "GET"): Route(PARTICIPANT, "/m/{closed}/plan.docx"),
    ("handover.family_followup_ics", "GET"): Route(PARTICIPANT, "/m/{closed}/followup.ics"),
    ("handover.family_deadlines_ics", "GET"): Route(PARTICIPANT, "/m/{closed}/my-actions.ics"),
    ("handover.satisfaction", "POST"): Route(PARTICIPANT, "/m/{closed}/satisfaction", 302,
                                             {"answer": "yes"}, to="/m/{closed}/plan",
                                             changes=True),
    # any chair: their own start page and new plans; staff: the organisation's counts
    ("chair.dashboard", "GET"): Route(ANY_CHAIR, "/"),
    ("chair.new_plan", "GET"): Route(ANY_CHAIR, "/plans/new"),
    ("chair.new_plan", "POST"): Route(ANY_CHAIR, "/plans/new", 302, {"child_name": "Elsa"},
                                      to="/plans/*/meetings/new", changes=True),
    ("stats.index", "GET"): Route(STAFF, "/statistics"),
    ("stats.download", "GET"): Route(STAFF, "/statistics.csv"),
    # the plan's chairs
    ("chair.plan", "GET"): Route(CHAIR_OF_PLAN, "/plans/{plan}"),
    ("chair.history", "GET"): Route(CHAIR_OF_PLAN, "/plans/{plan}/history"),
    ("chair.new_meeting", "GET"): Route(CHAIR_OF_PLAN, "/plans/{plan}/meetings/new"),
    ("chair.new_meeting", "POST"): Route(CHAIR_OF_PLAN, "/plans/{plan}/meetings/new", 302,
                                         _meeting_form(), to="/meetings/*", changes=True),
    # the plan's last meeting is not closed: the follow-up form sends the chair back
    ("chair.new_followup", "GET"): Route(CHAIR_OF_PLAN, "/plans/{plan}/followup", 302,
                                         to="/plans/{plan}"),
    ("chair.new_followup", "POST"): Route(CHAIR_OF_PLAN, "/plans/{plan}/followup", 302,
                                          _meeting_form(), to="/plans/{plan}"),
    ("chair.meeting", "GET"): Route(CHAIR_OF_PLAN, "/meetings/{meeting}"),
    ("chair.meeting", "POST"): Route(CHAIR_OF_PLAN, "/meetings/{meeting}", 200, {
        "name": "Ali Musa", "role": "professional", "principal": "municipality",
        "language": "sv"}, changes=True),
    ("chair.edit_meeting", "GET"): Route(CHAIR_OF_PLAN, "/meetings/{meeting}/edit"),
    ("chair.edit_meeting", "POST"): Route(CHAIR_OF_PLAN, "/meetings/{meeting}/edit", 302,
                                          _meeting_form(), to="/meetings/{meeting}",
                                          changes=True),
    ("chair.new_link", "POST"): Route(
        CHAIR_OF_PLAN, "/meetings/{meeting}/participants/{waiting}/link", changes=True),
    ("chair.confirm_revoke_link", "GET"): Route(
        CHAIR_OF_PLAN, "/meetings/{meeting}/participants/{waiting}/revoke"),
    ("chair.confirm_remove_participant", "GET"): Route(
        CHAIR_OF_PLAN, "/meetings/{meeting}/participants/{waiting}/remove"),
    ("chair.revoke_link", "POST"): Route(
        CHAIR_OF_PLAN, "/meetings/{meeting}/participants/{waiting}/revoke", 302,
        to="/meetings/{meeting}", changes=True),
    ("chair.remove_participant", "POST"): Route(
        CHAIR_OF_PLAN, "/meetings/{meeting}/participants/{waiting}/remove", 302,
        to="/meetings/{meeting}", changes=True),
    ("chair.set_status", "POST"): Route(CHAIR_OF_PLAN, "/meetings/{meeting}/status/live", 302,
                                        to="/meetings/{meeting}/console"),
    ("chair.retry_delivery", "POST"): Route(
        CHAIR_OF_PLAN, "/meetings/{closed}/deliveries/{delivery}/retry", 302,
        to="/meetings/{closed}", changes=True),
    ("invite.chair_invitation", "GET"): Route(CHAIR_OF_PLAN, "/meetings/{meeting}/invitation"),
    ("room.console", "GET"): Route(CHAIR_OF_PLAN, "/meetings/{meeting}/console"),
    ("room.wall", "GET"): Route(CHAIR_OF_PLAN, "/meetings/{meeting}/wall"),
    ("handover.chair_print", "GET"): Route(CHAIR_OF_PLAN, "/meetings/{closed}/plan"),
    ("versions.index", "GET"): Route(CHAIR_OF_PLAN, "/plans/{plan}/versions"),
    ("versions.show", "GET"): Route(CHAIR_OF_PLAN, "/plans/{plan}/versions/1"),
    ("versions.compare", "GET"): Route(CHAIR_OF_PLAN, "/plans/{plan}/versions/compare?a=1&b=1"),
    # keeping a plan longer; a participant's data, and erasing them (who asked to be forgotten)
    ("retention.extend", "GET"): Route(CHAIR_OF_PLAN, "/plans/{plan}/retention"),
    ("retention.extend", "POST"): Route(CHAIR_OF_PLAN, "/plans/{plan}/retention", 302, {
        "keep_until": (date.today() + timedelta(days=400)).isoformat(),
        "reason": "Beslutet är överklagat"}, to="/plans/{plan}", changes=True),
    # (the teacher: the guardian is also in the live meeting, and is erased once it has ended)
    ("retention.person_json", "GET"): Route(
        CHAIR_OF_PLAN, "/meetings/{closed}/participants/{teacher_c}/data.json",
        changes=True),  # the export is written to the plan's history
    ("retention.erase", "GET"): Route(
        CHAIR_OF_PLAN, "/meetings/{closed}/participants/{teacher_c}/erase"),
    ("retention.erase", "POST"): Route(
        CHAIR_OF_PLAN, "/meetings/{closed}/participants/{teacher_c}/erase", 302,
        to="/meetings/{closed}", changes=True),
    # sharing: only the responsible chair decides who else chairs the plan
    ("sharing.add", "POST"): Route(OWNER_OF_PLAN, "/plans/{plan}/shares", 302,
                                   {"share-chair_id": "{unshared_id}"}, to="/plans/{plan}",
                                   changes=True),
    ("sharing.remove", "POST"): Route(OWNER_OF_PLAN, "/plans/{plan}/shares/{share}/remove",
                                      302, to="/plans/{plan}", changes=True),
    # administration: the pages of the administrator's own organisation
    ("admin.index", "GET"): Route(ADMIN_PAGE, "/admin/"),
    ("admin.settings", "GET"): Route(ADMIN_PAGE, "/admin/settings"),
    ("admin.settings", "POST"): Route(ADMIN_PAGE, "/admin/settings", 302, {
        "name": "Sjöstads kommun", "kind": "municipality", "local_login": "y",
        "oidc_name_claim": "name", "oidc_email_claim": "email", "oidc_role_claim": "groups",
        "retention_months": "36"}, to="/admin/settings", changes=True),
    ("admin.accounts_list", "GET"): Route(ADMIN_PAGE, "/admin/accounts"),
    ("admin.invite", "POST"): Route(ADMIN_PAGE, "/admin/accounts", 200, {
        "email": "ny@example.se", "name": "Ny Ordförande", "is_chair": "y", "language": "sv"},
        changes=True),
    ("admin.audit", "GET"): Route(ADMIN_PAGE, "/admin/audit"),
    # administration: an account or a plan of organisation A (the filter names an account)
    ("admin.plans", "GET"): Route(ADMIN_OF_ORG, "/admin/plans?chair={owner_id}"),
    ("admin.plan", "GET"): Route(ADMIN_OF_ORG, "/admin/plans/{plan}"),
    ("admin.share", "POST"): Route(ADMIN_OF_ORG, "/admin/plans/{plan}/shares", 302,
                                   {"share-chair_id": "{unshared_id}"},
                                   to="/admin/plans/{plan}", changes=True),
    ("admin.remove_share", "POST"): Route(
        ADMIN_OF_ORG, "/admin/plans/{plan}/shares/{share}/remove", 302,
        to="/admin/plans/{plan}", changes=True),
    ("admin.hand_over", "POST"): Route(ADMIN_OF_ORG, "/admin/plans/{plan}/hand-over", 302,
                                       {"hand-over-chair_id": "{colleague_id}"},
                                       to="/admin/plans/{plan}", changes=True),
    ("admin.account", "GET"): Route(ADMIN_OF_ORG, "/admin/accounts/{unshared_id}"),
    ("admin.account", "POST"): Route(ADMIN_OF_ORG, "/admin/accounts/{unshared_id}", 302,
                                     {"is_chair": "y", "is_admin": "y"},
                                     to="/admin/accounts/{unshared_id}", changes=True),
    ("admin.deactivate", "GET"): Route(ADMIN_OF_ORG, "/admin/accounts/{unshared_id}/deactivate"),
    ("admin.deactivate", "POST"): Route(ADMIN_OF_ORG, "/admin/accounts/{unshared_id}/deactivate",
                                        302, to="/admin/accounts/{unshared_id}", changes=True),
    ("admin.reactivate", "POST"): Route(
        ADMIN_OF_ORG, "/admin/accounts/{deactivated_id}/reactivate", 302,
        to="/admin/accounts/{deactivated_id}", changes=True),
    ("admin.invite_again", "POST"): Route(
        ADMIN_OF_ORG, "/admin/accounts/{invited_id}/invitation", changes=True),
    # an invitation to choose a password: the one-time link is the credential
    ("staff_invite.accept", "GET"): Route(LINK, "/invite/{invite_token}"),
    ("staff_invite.accept", "POST"): Route(LINK, "/invite/{invite_token}", 302, {
        "password": "ett långt lösenord", "repeat": "ett långt lösenord"}, to="/",
        changes=True),
    # sign-in through organisation B's provider, which does not answer: alike for everyone
    ("oidc.start", "GET"): Route(PUBLIC, "/login/sso/{b_slug}", 503),
    ("oidc.callback", "GET"): Route(PUBLIC, "/login/sso/{b_slug}/callback?code=x&state=y", 503),
    # the plan's chairs' downloads
    ("invite.chair_ics", "POST"): Route(
        CHAIR_FILE, "/meetings/{meeting}/participants/{participant}/invitation.ics",
        data={"token": "{token_m}"}),
    # (a download marks the version as exported for the organisation's records)
    ("handover.chair_docx", "GET"): Route(CHAIR_FILE, "/meetings/{closed}/plan.docx",
                                          changes=True),
    ("handover.chair_fhir", "GET"): Route(CHAIR_FILE, "/meetings/{closed}/plan.fhir.json",
                                          changes=True),
    ("handover.chair_json", "GET"): Route(CHAIR_FILE, "/meetings/{closed}/plan.json",
                                          changes=True),
}


# -- what: the live events ------------------------------------------------------------------

# Who may send an event on a socket of meeting M (only those who may connect ever can).
IN_MEETING = "anyone-in-the-meeting"  # its chairs and its admitted participants
CHAIRS_ONLY = "chair-of-plan"
PARTICIPANTS_ONLY = "participant"     # a chair is answered read_only: it is theirs to answer
ANY_SOCKET = "any-socket"             # leaving: whoever is connected


@dataclass(frozen=True)
class Event:
    """A live event: who may send it and a payload (ids filled from the seed)."""

    who: str
    payload: dict[str, Any] = field(default_factory=dict)


EVENTS: dict[str, Event] = {
    "connect": Event(IN_MEETING),
    "disconnect": Event(ANY_SOCKET),
    "sync": Event(IN_MEETING, {"last_seq": None}),
    "typing": Event(IN_MEETING, {"entity": "plan", "field": "strengths", "active": True}),
    "edit": Event(IN_MEETING, {"entity": "plan", "id": "{plan}", "field": "strengths",
                               "base_version": 0, "base": "", "value": "Tycker om att rita"}),
    "add_item": Event(IN_MEETING, {"entity": "goal", "values": {"text": "Trivs på rasterna"}}),
    "remove_item": Event(IN_MEETING, {"entity": "goal", "id": "{goal}"}),
    "move_item": Event(IN_MEETING, {"entity": "action", "id": "{action2}", "position": 0}),
    "split_condition": Event(IN_MEETING, {"action_id": "{conditional}", "start": 0,
                                          "end": 2}),
    "ask_term": Event(IN_MEETING, {"word": "LSS", "term_id": None, "named": False}),
    "admit": Event(CHAIRS_ONLY, {"participant_id": "{waiting}"}),
    "dismiss": Event(CHAIRS_ONLY, {"participant_id": "{participant}"}),
    "set_step": Event(CHAIRS_ONLY, {"step": 1}),
    "start": Event(CHAIRS_ONLY),
    "end": Event(CHAIRS_ONLY),
    "end_without_plan": Event(CHAIRS_ONLY, {"reason": "Familjen ville vänta"}),
    "mark_spoken": Event(CHAIRS_ONLY, {"participant_id": "{participant}", "spoken": True}),
    "override": Event(CHAIRS_ONLY, {"rule": "action_who", "item_id": "{action2}",
                                    "reason": "Tas vid nästa möte"}),
    "show_term": Event(CHAIRS_ONLY, {"request_id": "{term_request}", "on_wall": True}),
    "dismiss_term": Event(CHAIRS_ONLY, {"request_id": "{term_request}"}),
    "explain_term": Event(CHAIRS_ONLY, {"request_id": "{term_request}", "word": "LSS",
                                        "term_id": None, "text": "Lagen om stöd och service"}),
    "answer_satisfaction": Event(PARTICIPANTS_ONLY, {"answer": "yes"}),
}


def may_connect(actor: str) -> set[str]:
    """Return the views of meeting M this actor's browser may open a socket for."""
    if actor in PLAN_CHAIRS:
        return {"console", "wall"}
    return {"device"} if actor == "participant" else set()


def expected_event(who: str, actor: str) -> str:
    """Return what an event answers a connected actor: allowed or forbidden."""
    if who in (IN_MEETING, ANY_SOCKET):
        return "allowed"
    if who == CHAIRS_ONLY:
        return "allowed" if actor in PLAN_CHAIRS else "forbidden"
    assert who == PARTICIPANTS_ONLY, who
    return "allowed" if actor == "participant" else "forbidden"


# -- the seeded world -----------------------------------------------------------------------

# Sockets and the processes holding them are not put back: the namespace keeps its own record.
NOT_RESTORED = {"live_servers", "live_connections"}


def _fill(value: Any, ids: dict[str, Any]) -> Any:
    """Fill "{name}" placeholders from the seed's ids, keeping an id an int where it is one."""
    if isinstance(value, dict):
        return {k: _fill(v, ids) for k, v in value.items()}
    if isinstance(value, str) and value.startswith("{") and value.endswith("}") \
            and value.count("{") == 1:
        return ids[value[1:-1]]
    if isinstance(value, str):
        return value.format(**ids)
    return value


class World:
    """Two organisations seeded once, a browser cookie per actor, and a way back to the seed."""

    def __init__(self, app):
        self.app = app
        self.ids: dict[str, Any] = {}
        self.cookies: dict[str, str | None] = {}
        self.tables = [t for t in Base.metadata.sorted_tables if t.name not in NOT_RESTORED]
        self.seed_rows: dict[str, list[tuple]] = {}

    # seeding

    def seed(self) -> None:
        with self.app.app_context(), atomic() as s:
            a = s.get(Organisation, FIRST_ORGANISATION_ID)
            b = Organisation(slug="region-b", name="Region B", kind="region")
            s.add(b)
            s.flush()
            self.ids.update(self._organisation(s, a, "a", SECRET_CHILD))
            other = self._organisation(s, b, "b", "Vilgot")
            self.ids.update({f"b_{k}": v for k, v in other.items()})
            # A share across organisations cannot be made through the pages; were one in the
            # database, it must give nothing.
            s.add(PlanShare(plan_id=self.ids["plan"], chair_id=other["colleague_id"]))
            # B signs in through a provider that does not answer
            b.oidc_issuer, b.oidc_client_id = "http://127.0.0.1:9/realms/b", "sip-meeting"
            b.oidc_client_secret = "not-a-secret"
            self.ids["b_slug"] = b.slug
        with self.app.app_context():
            self.ids["term"] = next(iter(get_glossary().terms))
        self._sign_in()
        with self.app.app_context(), atomic() as s:
            s.get(Chair, self.ids["deactivated_id"]).deactivated_at = utcnow()
            # what the purge leaves of a plan (retention.purge_plan): the hash of the link
            # stays, revoked, so that the link can say the plan was purged
            gone = s.get(Plan, self.ids["gone_plan"])
            gone.purged_at, gone.child_name = utcnow(), retention.MARKER
            s.get(Participant, self.ids["gone_person"]).token_revoked_at = utcnow()
        self.seed_rows = self.dump()

    def _organisation(self, s, org: Organisation, key: str, child: str) -> dict[str, Any]:
        def account(name: str, **fields) -> Chair:
            fields.setdefault("password_hash", _CHAIR_HASH)
            chair = Chair(organisation_id=org.id, email=f"{name}@{key}.example.se",
                          name=f"{name.title()} {SURNAMES[key]}", **fields)
            s.add(chair)
            return chair

        owner, colleague = account("owner"), account("colleague")
        unshared, deactivated = account("unshared"), account("deactivated")
        admin = account("admin", is_chair=False, is_admin=True)
        invite_token = secrets.token_urlsafe(32)
        invited = account("invited", password_hash=None, invite_token_hash=hash_token(
            invite_token), invite_expires_at=utcnow() + timedelta(days=7))
        s.flush()
        today = date.today()
        plan = planning.create_plan(s, owner, child)
        plan.followup_date = today + timedelta(days=90)
        for colleague_id in (colleague.id, deactivated.id):
            s.add(PlanShare(plan_id=plan.id, chair_id=colleague_id, shared_by_id=owner.id))
        s.flush()
        share = s.scalar(select(PlanShare.id).where(PlanShare.plan_id == plan.id,
                                                     PlanShare.chair_id == colleague.id))
        first = planning.schedule_meeting(
            s, owner, plan, planning.local_to_utc(today - timedelta(days=3), time(13, 0)),
            place="Skolan", purpose="Planera stödet")
        guardian = planning.add_participant(s, owner, first, name="Sara Berg", role="guardian",
                                            principal="family", email="sara@example.se")
        teacher = planning.add_participant(s, owner, first, name="Karin Holm",
                                           role="professional", principal="municipality")
        token_c = planning.issue_link(s, owner, guardian)
        planning.issue_link(s, owner, teacher)
        s.add(Goal(plan_id=plan.id, kind="short", text="Alva trivs i skolan", position=1))
        s.add(Action(plan_id=plan.id, what="Skolan ordnar en lugn plats på rasten", position=1,
                     responsible_participant_id=guardian.id, principal="municipality",
                     responsible="Karin Holm", due_date=today + timedelta(days=30)))
        s.flush()
        first.status, first.started_at, first.closed_at = "closed", utcnow(), utcnow()
        freeze(s, first)
        delivery = Delivery(meeting_id=first.id, participant_id=guardian.id, status="failed",
                            error="mailbox full", attempts=1)
        s.add(delivery)
        meeting, links = planning.schedule_followup(
            s, owner, plan, planning.local_to_utc(today, time(9, 0)), place="Skolan",
            purpose="Följa upp planen")
        meeting.status, meeting.started_at = "live", utcnow()
        (participant, token_m), (waiting, _token) = links
        participant.admitted_at = utcnow()
        goal = Goal(plan_id=plan.id, kind="long", text="Gå i skolan hela dagar", position=2)
        action2 = Action(plan_id=plan.id, what="Habiliteringen ger stöd kring sömnen", position=2)
        conditional = Action(plan_id=plan.id, what="Om det behövs söker familjen assistans",
                             position=3, principal="family")
        request = TermRequest(meeting_id=meeting.id, word="LSS")
        s.add_all([goal, action2, conditional, request])
        # a second plan of the owner, shared alike, whose personal data the purge removes once
        # the participant has opened its link (World.seed)
        gone = planning.create_plan(s, owner, "Signe")
        s.add(PlanShare(plan_id=gone.id, chair_id=colleague.id, shared_by_id=owner.id))
        gone_meeting = planning.schedule_meeting(
            s, owner, gone, planning.local_to_utc(today - timedelta(days=5), time(10, 0)),
            place="Skolan")
        gone_person = planning.add_participant(s, owner, gone_meeting, name="Sara Berg",
                                               role="guardian", principal="family")
        token_gone = planning.issue_link(s, owner, gone_person)
        gone_meeting.status, gone_meeting.closed_at = "closed", utcnow()
        freeze(s, gone_meeting)
        # the unshared chair's own plan and meeting, with a participant of their own
        own_plan = planning.create_plan(s, unshared, "Nils")
        own_meeting = planning.schedule_meeting(
            s, unshared, own_plan, planning.local_to_utc(today, time(14, 0)), place="Skolan")
        own_meeting.status = "live"
        stranger = planning.add_participant(s, unshared, own_meeting, name="Lars Ek",
                                            role="guardian", principal="family")
        token_other = planning.issue_link(s, unshared, stranger)
        s.flush()
        return {
            "owner_id": owner.id, "colleague_id": colleague.id, "unshared_id": unshared.id,
            "deactivated_id": deactivated.id, "admin_id": admin.id, "plan": plan.id,
            "invited_id": invited.id, "invite_token": invite_token, "share": share,
            "closed": first.id, "meeting": meeting.id, "participant": participant.id,
            "participant_c": guardian.id, "teacher_c": teacher.id, "waiting": waiting.id,
            "token_c": token_c, "token_m": token_m, "token_other": token_other, "goal": goal.id,
            "action2": action2.id, "conditional": conditional.id, "term_request": request.id,
            "delivery": delivery.id,
            "own_plan": own_plan.id, "own_meeting": own_meeting.id, "gone_plan": gone.id,
            "gone_meeting": gone_meeting.id, "gone_person": gone_person.id,
            "token_gone": token_gone,
            "emails": {"owner": owner.email, "colleague": colleague.email,
                       "unshared": unshared.email, "deactivated": deactivated.email,
                       "admin": admin.email},
        }

    def _sign_in(self) -> None:
        ids = self.ids
        logins = {
            "owner": ids["emails"]["owner"], "colleague": ids["emails"]["colleague"],
            "unshared_chair": ids["emails"]["unshared"],
            "deactivated_chair": ids["emails"]["deactivated"],
            "other_org_chair": ids["b_emails"]["owner"],
            "other_org_shared": ids["b_emails"]["colleague"],
            "admin": ids["emails"]["admin"], "other_org_admin": ids["b_emails"]["admin"],
        }
        links = {"participant": [ids["token_c"], ids["token_m"], ids["token_gone"]],
                 "other_participant": [ids["token_other"]],
                 "other_org_participant": [ids["b_token_m"]]}
        for actor in ACTORS:
            http = self.app.test_client()
            if actor in logins:
                answer = http.post("/login", data={"email": logins[actor],
                                                   "password": CHAIR_PASSWORD})
                assert answer.status_code == 302, actor
            for token in links.get(actor, []):
                assert http.get(f"/j/{token}").status_code == 302, actor
            cookie = http.get_cookie(self.app.config["SESSION_COOKIE_NAME"])
            self.cookies[actor] = cookie.value if cookie else None

    # clients

    def client(self, actor: str):
        """Return a new browser with this actor's cookie."""
        http = self.app.test_client()
        if self.cookies[actor]:
            http.set_cookie(self.app.config["SESSION_COOKIE_NAME"], self.cookies[actor])
        return http

    # the database, dumped and put back

    def dump(self) -> dict[str, list[tuple]]:
        with self.app.app_context(), atomic() as s:
            return {t.name: [tuple(row) for row in s.execute(
                select(t).order_by(*t.primary_key.columns)).all()] for t in self.tables}

    def reset(self) -> None:
        """Put the seed back if a case changed anything."""
        if self.dump() == self.seed_rows:
            return
        with self.app.app_context(), atomic() as s:
            for table in reversed(self.tables):
                s.execute(delete(table))
            for table in self.tables:
                rows = self.seed_rows[table.name]
                if rows:
                    names = [c.name for c in table.columns]
                    s.execute(insert(table), [dict(zip(names, row, strict=True))
                                              for row in rows])
        assert self.dump() == self.seed_rows


def _dispose(app) -> None:
    app.extensions["sip_db"].kw["bind"].dispose()


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def world(request, tmp_path_factory):
    """Seed both organisations once per database kind."""
    folder = tmp_path_factory.mktemp("deny-matrix")
    if request.param == "sqlite":
        path = folder / "matrix.sqlite"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        url = f"sqlite:///{path}"
    else:
        url = request.getfixturevalue("pg_migrated")
        _truncate_pg(url)
    app = create_app({
        "TESTING": True, "SECRET_KEY": "test-secret", "DATABASE_URL": url,
        "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False, "ANNOTATION_DELAY": 0,
        "SOCKETIO_ASYNC_MODE": "threading", "EMAIL_PLAN_AFTER_CLOSE": False,
        "INSTANCE_PATH": str(folder / "instance"),
    })
    world = World(app)
    world.seed()
    yield world
    _dispose(app)


# -- the tables cover everything ------------------------------------------------------------


def _endpoints(app) -> set[tuple[str, str]]:
    return {(rule.endpoint, method) for rule in app.url_map.iter_rules()
            if rule.endpoint != "static" for method in rule.methods - {"HEAD", "OPTIONS"}}


def _events() -> set[str]:
    return {name[3:] for name in dir(LiveNamespace) if name.startswith("on_")}


def test_every_route_is_in_the_matrix(world):
    missing = sorted(_endpoints(world.app) - set(ROUTES))
    assert not missing, f"routes nobody has said who may use (add them to ROUTES): {missing}"
    gone = sorted(set(ROUTES) - _endpoints(world.app))
    assert not gone, f"ROUTES names routes the application no longer has: {gone}"


def test_every_live_event_is_in_the_matrix():
    assert _events() == set(EVENTS), (
        f"events nobody has said who may send: {sorted(_events() - set(EVENTS))}; "
        f"no longer handled: {sorted(set(EVENTS) - _events())}")


@pytest.mark.parametrize("actor,path", [
    ("unshared_chair", "/plans/{own_plan}"),
    ("other_participant", "/m/{own_meeting}"),
    ("other_org_chair", "/plans/{b_plan}"),
    ("other_org_shared", "/plans/{b_plan}"),
    ("other_org_participant", "/m/{b_meeting}"),
    ("other_org_admin", "/admin/plans/{b_plan}"),
])
def test_those_refused_p_reach_what_is_theirs(world, actor, path):
    """The refusals above come from who the actors are, not from a browser that is not
    signed in: each reaches their own plan or meeting."""
    world.reset()
    assert world.client(actor).get(path.format(**world.ids)).status_code == 200


def test_the_deactivated_chair_was_refused_for_being_deactivated(world):
    world.reset()
    with world.app.app_context(), atomic() as s:
        s.get(Chair, world.ids["deactivated_id"]).deactivated_at = None
    try:
        page = world.client("deactivated_chair").get(f"/plans/{world.ids['plan']}")
        assert page.status_code == 200 and SECRET_CHILD in page.get_data(as_text=True)
    finally:
        world.reset()


# -- the routes, as every actor -------------------------------------------------------------


def _location(response) -> str:
    return urlsplit(response.headers.get("Location", "")).path


def _path_matches(pattern: str, path: str) -> bool:
    parts, got = pattern.split("/"), path.split("/")
    return len(parts) == len(got) and all(p in ("*", g) for p, g in zip(parts, got, strict=True))


def _check_allowed(route: Route, response, ids: dict[str, Any]) -> None:
    assert response.status_code == route.status, response.get_data(as_text=True)[:500]
    if route.to is not None:
        want = route.to.format(**ids)
        assert _path_matches(want, _location(response)), response.headers.get("Location")


DENIED_TO = {"login": "/login", "admin-home": "/admin/"}


def _check_shown(route: Route, actor: str, response) -> None:
    """P's child is shown only to those entitled to P; no account of another organisation
    is shown to anyone, except on a link's own page to whoever holds the link."""
    if not response.mimetype.startswith(TEXT_TYPES):
        return  # documents: built from the version the route gave, checked by their own tests
    body = response.get_data(as_text=True)
    if actor not in ENTITLED_TO_P:
        assert SECRET_CHILD not in body
    if route.who != LINK:
        for mark in OTHER_ORG_MARKS["b" if actor.startswith("other_org") else "a"]:
            assert mark not in body, f"{actor} is shown {mark}"


def _check_denied(outcome: str, response) -> None:
    if outcome in DENIED_TO:
        assert response.status_code == 302 and _location(response) == DENIED_TO[outcome], (
            response.status_code, response.headers.get("Location"))
    else:
        assert response.status_code == int(outcome)


CASES = [pytest.param(endpoint, method, actor, id=f"{endpoint}-{method}-{actor}")
         for (endpoint, method) in ROUTES for actor in ACTORS]


@pytest.mark.parametrize("endpoint,method,actor", CASES)
def test_route(world, endpoint, method, actor):
    route = ROUTES[(endpoint, method)]
    world.reset()
    http = world.client(actor)
    url = route.path.format(**world.ids)
    response = http.open(url, method=method, data=_fill(route.data, world.ids))
    after = world.dump()
    outcome = expected(route.who, actor)
    if outcome == "allowed":
        _check_allowed(route, response, world.ids)
        if route.changes:
            assert after != world.seed_rows, "the allowed request changed nothing"
        _check_shown(route, actor, response)
    else:
        _check_denied(outcome, response)
        _check_shown(route, actor, response)
        changed = [t for t in after if after[t] != world.seed_rows[t]]
        assert not changed, f"a refused request changed {changed}"


# -- the live events, as every actor --------------------------------------------------------


def _socket(world, actor: str, view: str, meeting_key: str = "meeting") -> LiveClient:
    return LiveClient(world.app, world.ids[meeting_key], view, world.client(actor))


def _close(client: LiveClient) -> None:
    if client.socket.is_connected("/live"):
        client.socket.disconnect(namespace="/live")


EVENT_CASES = [pytest.param(event, actor, id=f"{event}-{actor}")
               for event in EVENTS for actor in ACTORS]


@pytest.mark.parametrize("event,actor", EVENT_CASES)
def test_event(world, event, actor):
    spec = EVENTS[event]
    world.reset()
    views = may_connect(actor)
    if not views:  # refused at connect, on every view: no event of theirs is ever handled
        for view in ("console", "wall", "device"):
            client = _socket(world, actor, view)
            connected = client.socket.is_connected("/live")
            _close(client)
            assert not connected, view
        assert world.dump() == world.seed_rows
        return
    client = _socket(world, actor, "device" if actor == "participant" else "console")
    try:
        assert client.socket.is_connected("/live")
        if event == "connect":
            for view in {"console", "wall", "device"} - views:
                other = _socket(world, actor, view)
                refused = not other.socket.is_connected("/live")
                _close(other)
                assert refused, view
            return
        if event == "disconnect":
            client.socket.disconnect(namespace="/live")
            assert not client.socket.is_connected("/live")
            return
        client.received()
        payload = {**_fill(spec.payload, world.ids), "op_id": str(uuid.uuid4())}
        answer = client.call(event, payload)
    finally:
        _close(client)
    after = world.dump()
    if expected_event(spec.who, actor) == "allowed":
        assert answer.get("code") != "forbidden", answer
        assert answer["ok"] is True or answer["code"] in ALLOWED_REFUSALS.get(event, ()), answer
    else:
        assert answer["ok"] is False and answer["code"] == "forbidden", answer
        changed = [t for t in after if after[t] != world.seed_rows[t]]
        assert not changed, f"a refused event changed {changed}"


# What an event allowed to its sender may still answer, given the seeded meeting: it is live
# (so it cannot start again), its plan has blockers (so it cannot end), and a participant's
# satisfaction is asked once the meeting is closed.
ALLOWED_REFUSALS: dict[str, tuple[str, ...]] = {
    "start": ("invalid",),
    "end": ("blocked",),
    "end_without_plan": ("invalid",),  # the plan has actions: the meeting ends with it
    "answer_satisfaction": ("invalid", "not_closed"),
}


# -- access that ends while a socket is open ------------------------------------------------


def _lose_share(s, ids) -> None:
    s.execute(delete(PlanShare).where(PlanShare.plan_id == ids["plan"],
                                      PlanShare.chair_id == ids["colleague_id"]))


def _deactivate(s, ids) -> None:
    s.get(Chair, ids["colleague_id"]).deactivated_at = utcnow()


def _lose_chair_role(s, ids) -> None:
    s.get(Chair, ids["colleague_id"]).is_chair = False


@pytest.mark.parametrize("change", [_lose_share, _deactivate, _lose_chair_role],
                         ids=["share-removed", "deactivated", "chair-role-removed"])
def test_a_colleague_who_loses_the_plan_is_refused_then_disconnected(world, change):
    """Changed as from another process with no message queue: the next event is refused and
    changes nothing, and the process's next check closes the socket; the owner's stays."""
    world.reset()
    colleague = _socket(world, "colleague", "console")
    owner = _socket(world, "owner", "console")
    try:
        assert colleague.socket.is_connected("/live") and owner.socket.is_connected("/live")
        with world.app.app_context(), atomic() as s:
            change(s, world.ids)
        before = world.dump()
        answer = colleague.op("set_step", step=2)
        assert answer["ok"] is False and answer["code"] == "forbidden", answer
        assert world.dump() == before
        namespace = world.app.extensions["socketio"].server.namespace_handlers["/live"]
        with world.app.app_context():
            assert namespace.close_lost_sockets() == 1
        assert not colleague.socket.is_connected("/live")
        assert owner.socket.is_connected("/live")
        assert owner.op("set_step", step=2)["ok"]
        told = [(e["name"], e["args"][0]) for e in colleague.socket.queue
                if e["namespace"] == "/live" and e["name"] in ("op", "revoked")]
        assert [(name, answer["reason"]) for name, answer in told] == [("revoked", "removed")]
    finally:
        _close(colleague)
        _close(owner)


# -- an object of one's own reached through an id of the other organisation ------------------

# The ids inside an address or a form that name a second object (a participant, a delivery, a
# share, a colleague): replaced by organisation B's, the route must find nothing.
NESTED = ("waiting", "participant", "participant_c", "teacher_c", "delivery", "share",
          "unshared_id", "colleague_id", "deactivated_id", "invited_id", "owner_id")
ALLOWED_ACTOR = {CHAIR_OF_PLAN: "owner", CHAIR_FILE: "owner", OWNER_OF_PLAN: "owner",
                 ADMIN_OF_ORG: "admin"}


def _with_other_ids(text: str) -> str:
    for name in NESTED:
        text = text.replace(f"{{{name}}}", f"{{b_{name}}}")
    return text


NESTED_CASES = [
    pytest.param(endpoint, method, id=f"{endpoint}-{method}")
    for (endpoint, method), route in ROUTES.items()
    if route.who in ALLOWED_ACTOR and (
        _with_other_ids(route.path) != route.path
        or any(_with_other_ids(str(v)) != str(v) for v in route.data.values()))]


@pytest.mark.parametrize("endpoint,method", NESTED_CASES)
def test_a_second_id_of_the_other_organisation_is_refused(world, endpoint, method):
    """The plan's own chair or administrator, naming B's participant, share or colleague."""
    route = ROUTES[(endpoint, method)]
    world.reset()
    path = _with_other_ids(route.path)
    data = {k: _with_other_ids(v) for k, v in route.data.items()}
    response = world.client(ALLOWED_ACTOR[route.who]).open(
        path.format(**world.ids), method=method, data=_fill(data, world.ids))
    after = world.dump()
    changed = [t for t in after if after[t] != world.seed_rows[t]]
    assert not changed, f"{endpoint} changed {changed}"
    if path != route.path:  # in the address: not found
        assert response.status_code == 404
    else:  # in a form: the choice is not offered, nothing is done
        assert response.status_code in (302, 400), response.status_code
    for mark in OTHER_ORG_MARKS["a"]:
        assert mark not in response.get_data(as_text=True)


# -- a plan whose personal data was purged ---------------------------------------------------

# Every id of plan P in an address, replaced by the purged plan's (one closed meeting, one
# participant); what is not the purged plan's stays, and the page says "gone" before it looks.
GONE_IDS = {"plan": "gone_plan", "meeting": "gone_meeting", "closed": "gone_meeting",
            "participant": "gone_person", "participant_c": "gone_person",
            "teacher_c": "gone_person", "waiting": "gone_person", "token_m": "token_gone"}
SHOWS_THE_PLAN = (CHAIR_OF_PLAN, CHAIR_FILE, PARTICIPANT, LINK)


def _gone_path(path: str) -> str:
    for mine, gone in GONE_IDS.items():
        path = path.replace(f"{{{mine}}}", f"{{{gone}}}")
    return path


GONE_CASES = [
    pytest.param(endpoint, method, actor, id=f"{endpoint}-{method}-{actor}")
    for (endpoint, method), route in ROUTES.items()
    if route.who in SHOWS_THE_PLAN and _gone_path(route.path) != route.path
    for actor in ACTORS]


@pytest.mark.parametrize("endpoint,method,actor", GONE_CASES)
def test_a_purged_plan_says_so_only_to_those_who_could_open_it(world, endpoint, method, actor):
    """Its chairs and the participant who joined are told the data is gone (410); everyone
    else gets exactly the refusal they get for a plan that is still there, so that nobody
    learns which plans existed."""
    route = ROUTES[(endpoint, method)]
    world.reset()
    path = _gone_path(route.path).format(**world.ids)
    data = {k: _gone_path(v) for k, v in route.data.items()}
    response = world.client(actor).open(path, method=method, data=_fill(data, world.ids))
    outcome = expected(route.who, actor)
    if outcome == "allowed":
        assert response.status_code == 410, response.status_code
    else:
        _check_denied(outcome, response)
    after = world.dump()
    assert not [t for t in after if after[t] != world.seed_rows[t]]
