"""The administration of an organisation: settings, invitations, accounts, plans and the log.

Each administrator acts within their own organisation only; what they see of plans is a
number, a responsible chair and dates, never a word of the plan.
"""

from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest
from conftest import _CHAIR_HASH, CHAIR_PASSWORD, LiveClient
from sqlalchemy import func, select
from test_mail import smtp_server

from sip_meeting.db import atomic, utcnow
from sip_meeting.models import (
    AdminEvent,
    Chair,
    Meeting,
    Organisation,
    Plan,
    PlanShare,
)

ADMIN = "admin@example.se"
PAGES = ("/admin/", "/admin/settings", "/admin/accounts", "/admin/plans", "/admin/audit")


def _account(app, email: str, name: str = "", *, organisation_id: int = 1,
             is_chair: bool = True, is_admin: bool = False, **fields) -> Chair:
    with app.app_context(), atomic() as session:
        chair = Chair(email=email, name=name or email.split("@")[0].title(),
                      password_hash=_CHAIR_HASH, organisation_id=organisation_id,
                      is_chair=is_chair, is_admin=is_admin, **fields)
        session.add(chair)
    return chair


def _signed_in(app, email: str):
    http = app.test_client()
    http.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    response = http.post("/login", data={"email": email, "password": CHAIR_PASSWORD})
    assert response.status_code == 302, response.get_data(as_text=True)
    return http


def _second_organisation(app) -> int:
    with app.app_context(), atomic() as session:
        other = Organisation(slug="region", name="Regionen", kind="region")
        session.add(other)
        session.flush()
        return other.id


def _events(query, action: str | None = None) -> list[AdminEvent]:
    return query(lambda s: s.scalars(select(AdminEvent).where(
        AdminEvent.action == action if action else True).order_by(AdminEvent.id)).all())


@pytest.fixture
def admin(app):
    """An administrator (only) of organisation 1, signed in, reading English."""
    _account(app, ADMIN, "Anna Admin", is_chair=False, is_admin=True)
    return _signed_in(app, ADMIN)


@pytest.fixture
def smtp(app):
    yield from smtp_server(app)


# -- who gets in ------------------------------------------------------------------------------


def test_only_an_active_administrator_sees_the_pages(app, client, admin, query):
    _account(app, "chair@example.se")
    chair = _signed_in(app, "chair@example.se")
    for page in PAGES:
        assert admin.get(page).status_code == 200, page
        assert client.get(page).status_code == 302 and "/login" in client.get(page).location
        assert chair.get(page).status_code == 404, page
    assert "Administration" in admin.get("/admin/").get_data(as_text=True)
    assert "/admin/" not in chair.get("/").get_data(as_text=True)


def test_an_administrator_without_the_chair_role_lands_on_the_administration(admin):
    response = admin.get("/")
    assert response.status_code == 302 and response.location.endswith("/admin/")
    assert admin.get("/plans/new").location.endswith("/admin/")
    page = admin.get("/admin/").get_data(as_text=True)
    assert 'href="/admin/"' in page and "Administration of Organisation" in page


def test_a_deactivated_administrator_is_out(app, admin, query):
    with app.app_context(), atomic() as session:
        session.scalar(select(Chair).where(Chair.email == ADMIN)).deactivated_at = utcnow()
    assert admin.get("/admin/").status_code == 302


# -- settings ---------------------------------------------------------------------------------

GOOD = {"name": "Solby kommun", "kind": "municipality", "local_login": "y",
        "oidc_issuer": "https://login.solby.se/realms/staff", "oidc_client_id": "sip",
        "oidc_client_secret": "s3cret-value", "oidc_name_claim": "name",
        "oidc_email_claim": "email", "oidc_id_claim": "hsa_id", "oidc_role_claim": "groups",
        "oidc_admin_values": "sip-admins\n\n sip-admins \n", "oidc_chair_values": "sip-chairs",
        "retention_months": "36"}


def _organisation(query) -> Organisation:
    return query(lambda s: s.get(Organisation, 1))


def test_settings_are_saved_and_logged_and_the_secret_never_shown(admin, query):
    response = admin.post("/admin/settings", data=GOOD)
    assert response.status_code == 302
    org = _organisation(query)
    assert (org.name, org.oidc_issuer, org.oidc_client_secret, org.retention_months) == \
        ("Solby kommun", "https://login.solby.se/realms/staff", "s3cret-value", 36)
    assert org.oidc_admin_values == "sip-admins" and org.local_login and not org.purge_unexported
    page = admin.get("/admin/settings").get_data(as_text=True)
    assert "s3cret-value" not in page and "A client secret is stored." in page
    [event] = _events(query, "settings_changed")
    assert event.detail["changes"]["name"] == {"before": "Organisation", "after": "Solby kommun"}
    assert event.detail["changes"]["oidc_client_secret"] == {"changed": True}
    assert "s3cret-value" not in str(event.detail)
    audit = admin.get("/admin/audit").get_data(as_text=True)
    assert "Client secret: changed" in audit and "Organisation → Solby kommun" in audit

    # An empty secret keeps the stored one; asking removes it.
    assert admin.post("/admin/settings", data={**GOOD, "oidc_client_secret": "",
                                               "purge_unexported": "y"}).status_code == 302
    org = _organisation(query)
    assert org.oidc_client_secret == "s3cret-value" and org.purge_unexported
    admin.post("/admin/settings", data={**GOOD, "oidc_client_secret": "", "clear_secret": "y"})
    assert _organisation(query).oidc_client_secret == ""


@pytest.mark.parametrize("change,message", [
    ({"oidc_issuer": "http://login.solby.se"}, "must start with https://"),
    ({"oidc_issuer": "login.solby.se"}, "Give the provider's address"),
    ({"oidc_client_id": ""}, "Give the client id"),
    ({"oidc_issuer": "", "oidc_client_id": "sip"}, "Give the provider's address as well"),
    ({"retention_months": "0"}, "from 1 to 120"),
    ({"retention_months": "121"}, "from 1 to 120"),
    ({"retention_months": "many"}, "from 1 to 120"),
    ({"name": ""}, "This field is required"),
    ({"kind": "country"}, "Not a valid choice"),
    ({"oidc_email_claim": "e mail"}, "A claim name has no spaces"),
    ({"oidc_chair_values": "\n".join(f"g{i}" for i in range(101))}, "at most 100 groups"),
    ({"local_login": ""}, "no active administrator has signed in through the identity"),
    ({"local_login": "", "oidc_issuer": "", "oidc_client_id": ""},
     "before the identity provider is set up"),
])
def test_bad_settings_are_explained_and_change_nothing(admin, query, change, message):
    response = admin.post("/admin/settings", data={**GOOD, **change})
    assert response.status_code == 400
    assert message in html.unescape(response.get_data(as_text=True))
    org = _organisation(query)
    assert (org.name, org.oidc_issuer, org.retention_months, org.local_login) == \
        ("Organisation", "", 24, True)
    assert _events(query) == []


def test_the_machine_itself_may_be_a_provider_without_tls(admin, query):
    data = {**GOOD, "oidc_issuer": "http://127.0.0.1:8080/realms/test"}
    assert admin.post("/admin/settings", data=data).status_code == 302
    assert _organisation(query).oidc_issuer == "http://127.0.0.1:8080/realms/test"


def test_password_sign_in_goes_off_once_an_administrator_signed_in_through_the_provider(
        app, admin, query):
    _account(app, "it@example.se", is_chair=False, is_admin=True, oidc_subject="sub-1")
    assert admin.post("/admin/settings", data={**GOOD, "local_login": ""}).status_code == 302
    assert _organisation(query).local_login is False


# -- invitations ------------------------------------------------------------------------------


def _invite(admin, email="nils@example.se", name="Nils Ek", **extra):
    return admin.post("/admin/accounts", data={"email": email, "name": name, "is_chair": "y",
                                               "language": "sv", **extra})


def _link(message) -> str:
    body = message.get_body(preferencelist=("plain",)).get_content()
    return re.search(r"http://localhost(/invite/\S+)", body).group(1)


def test_an_invitation_by_email_lets_the_person_choose_a_password(app, admin, smtp, query):
    response = _invite(admin)
    assert response.status_code == 302
    [message] = smtp.messages
    assert message["To"] == "nils@example.se"
    assert message["Subject"] == "Ditt konto för SIP-möten på Organisation"
    body = message.get_body(preferencelist=("plain",)).get_content()
    assert "Anna Admin" in body and "mötesledare" in body
    path = _link(message)
    invited = query(lambda s: s.scalar(select(Chair).where(Chair.email == "nils@example.se")))
    assert invited.password_hash is None and invited.is_chair and not invited.is_admin
    assert path.rsplit("/", 1)[1] not in invited.invite_token_hash  # only the hash is kept

    person = app.test_client()
    form = person.get(path)
    assert form.status_code == 200 and "Välj ditt lösenord" in form.get_data(as_text=True)
    short = person.post(path, data={"password": "kort", "repeat": "kort"})
    assert short.status_code == 400 and "minst 10 tecken" in short.get_data(as_text=True)
    other = person.post(path, data={"password": "ett bra lösenord", "repeat": "ett annat"})
    assert other.status_code == 400 and "inte likadana" in other.get_data(as_text=True)
    done = person.post(path, data={"password": "ett bra lösenord", "repeat": "ett bra lösenord"})
    assert done.status_code == 302 and done.location == "/"
    assert "Mina möten" in person.get("/").get_data(as_text=True)  # signed in

    used = app.test_client().get(path)
    assert used.status_code == 404 and "Inbjudan fungerar inte" in used.get_data(as_text=True)
    fresh = app.test_client()
    assert fresh.post("/login", data={"email": "nils@example.se",
                                      "password": "ett bra lösenord"}).status_code == 302
    assert [e.action for e in _events(query)] == ["account_invited", "invitation_accepted"]
    accounts = admin.get("/admin/accounts").get_data(as_text=True)
    assert "Nils Ek" in accounts and "Password" in accounts


def test_an_expired_or_unknown_invitation_says_so(app, admin, smtp, query):
    _invite(admin)
    path = _link(smtp.messages[0])
    with app.app_context(), atomic() as session:
        chair = session.scalar(select(Chair).where(Chair.email == "nils@example.se"))
        chair.invite_expires_at = utcnow() - timedelta(minutes=1)
    for address in (path, "/invite/no-such-invitation", "/invite/" + "x" * 300):
        response = app.test_client().get(address)
        assert response.status_code == 404
        assert "Inbjudan fungerar inte" in response.get_data(as_text=True)
    assert app.test_client().post(path, data={"password": "ett bra lösenord",
                                              "repeat": "ett bra lösenord"}).status_code == 404
    assert query(lambda s: s.scalar(select(Chair.password_hash).where(
        Chair.email == "nils@example.se"))) is None


def test_a_new_invitation_replaces_the_old_link(app, admin, smtp, query):
    _invite(admin)
    first = _link(smtp.messages[0])
    chair_id = query(lambda s: s.scalar(select(Chair.id).where(Chair.email == "nils@example.se")))
    assert admin.post(f"/admin/accounts/{chair_id}/invitation").status_code == 302
    second = _link(smtp.messages[1])
    assert app.test_client().get(first).status_code == 404
    assert app.test_client().get(second).status_code == 200
    assert _events(query)[-1].action == "invitation_sent_again"


def test_without_email_the_administrator_is_shown_the_link(app, admin, query):
    page = _invite(admin, is_admin="y").get_data(as_text=True)
    assert "Email is not set up" in page
    path = re.search(r"http://localhost(/invite/[A-Za-z0-9_\-]+)", page).group(1)
    person = app.test_client()
    person.post(path, data={"password": "ett bra lösenord", "repeat": "ett bra lösenord"})
    assert person.get("/").status_code == 200  # a chair too: the start page
    assert person.get("/admin/").status_code == 200


def test_with_password_sign_in_off_the_invitation_points_to_the_provider(app, admin, smtp,
                                                                         query):
    with app.app_context(), atomic() as session:
        session.get(Organisation, 1).local_login = False
    _invite(admin)
    body = smtp.messages[0].get_body(preferencelist=("plain",)).get_content()
    assert "/invite/" not in body and "http://localhost/login" in body
    assert "nils@example.se" in body
    assert query(lambda s: s.scalar(select(Chair.invite_token_hash).where(
        Chair.email == "nils@example.se"))) is None


@pytest.mark.parametrize("data,message", [
    ({"email": "CHAIR@example.se"}, "already has an account"),
    ({"email": "not-an-address"}, "Give an email address"),
    ({"name": ""}, "This field is required"),
    ({"is_chair": ""}, "Choose at least one role"),
])
def test_a_bad_invitation_is_explained_and_creates_nothing(app, admin, smtp, query, data,
                                                           message):
    _account(app, "chair@example.se")
    response = _invite(admin, **data)
    assert response.status_code == 400 and message in response.get_data(as_text=True)
    assert query(lambda s: s.scalar(select(func.count(Chair.id)))) == 2
    assert smtp.messages == [] and _events(query) == []


# -- deactivation and roles -------------------------------------------------------------------


def _chair_id(query, email="chair@example.se") -> int:
    return query(lambda s: s.scalar(select(Chair.id).where(Chair.email == email)))


def test_deactivation_signs_the_person_out_and_closes_their_meeting(app, live, query):
    _account(app, ADMIN, "Anna Admin", is_chair=False, is_admin=True)
    admin = _signed_in(app, ADMIN)
    live.start()
    sara = live.join()
    chair_id = _chair_id(query)
    confirm = admin.get(f"/admin/accounts/{chair_id}/deactivate").get_data(as_text=True)
    assert "responsible for 1 plan" in confirm

    assert admin.post(f"/admin/accounts/{chair_id}/deactivate").status_code == 302

    assert not live.chair.socket.is_connected("/live")
    [told] = [e["args"][0] for e in live.chair.socket.queue if e["name"] == "logged_out"]
    assert "utloggad" in told["message"]
    assert sara.socket.is_connected("/live")  # the participants stay
    assert live.chair.http.get("/").status_code == 302
    assert app.test_client().post("/login", data={"email": "chair@example.se",
                                                  "password": CHAIR_PASSWORD}).status_code == 400
    again = LiveClient(app, live.meeting.id, "console", live.chair.http)
    assert not again.socket.is_connected("/live")
    [event] = _events(query, "account_deactivated")
    assert event.detail["sessions_ended"] == 1 and event.actor_name == "Anna Admin"
    assert "Deactivated" in admin.get("/admin/accounts").get_data(as_text=True)

    assert admin.post(f"/admin/accounts/{chair_id}/reactivate").status_code == 302
    assert _signed_in(app, "chair@example.se").get("/").status_code == 200
    assert _events(query)[-1].action == "account_reactivated"


def test_the_last_administrator_cannot_leave(app, admin, query):
    me = _chair_id(query, ADMIN)
    refused = admin.post(f"/admin/accounts/{me}/deactivate", follow_redirects=True)
    assert "at least one active administrator" in refused.get_data(as_text=True)
    demoted = admin.post(f"/admin/accounts/{me}", data={"is_chair": "y"}, follow_redirects=True)
    assert "at least one active administrator" in demoted.get_data(as_text=True)
    mine = query(lambda s: s.get(Chair, me))
    assert mine.active and mine.is_admin and not mine.is_chair and _events(query) == []

    _account(app, "second@example.se", is_chair=False, is_admin=True)
    assert admin.post(f"/admin/accounts/{me}", data={"is_chair": "y"}).status_code == 302
    mine = query(lambda s: s.get(Chair, me))
    assert mine.is_chair and not mine.is_admin
    [event] = _events(query, "roles_changed")
    assert (event.detail["before"], event.detail["after"]) == (["admin"], ["chair"])
    assert admin.get("/admin/").status_code == 404  # no longer an administrator


def test_an_account_needs_a_role(app, admin, query):
    _account(app, "chair@example.se")
    response = admin.post(f"/admin/accounts/{_chair_id(query)}",
                          data={"is_chair": "", "is_admin": ""})
    assert response.status_code == 400 and "Choose at least one role" in \
        response.get_data(as_text=True)
    assert query(lambda s: s.get(Chair, _chair_id(query)).is_chair)


# -- sharing and handing over -----------------------------------------------------------------


def test_a_shared_plan_lets_the_colleague_chair_the_meeting_live(app, live, query):
    _account(app, "karl@example.se", "Karl Berg")
    karl = _signed_in(app, "karl@example.se")
    meeting, plan_id = live.meeting, live.meeting.plan_id
    assert karl.get(f"/plans/{plan_id}").status_code == 404
    refused = LiveClient(app, meeting.id, "console", karl)
    assert not refused.socket.is_connected("/live")

    page = live.chair.http.get(f"/plans/{plan_id}").get_data(as_text=True)
    assert "Karl Berg (karl@example.se)" in page  # offered as a colleague
    karl_id = _chair_id(query, "karl@example.se")
    shared = live.chair.http.post(f"/plans/{plan_id}/shares", data={"share-chair_id": karl_id})
    assert shared.status_code == 302

    assert "Alva" in karl.get("/").get_data(as_text=True)  # on the colleague's start page
    assert karl.get(f"/plans/{plan_id}").status_code == 200
    assert karl.get(f"/meetings/{meeting.id}").status_code == 200
    console = LiveClient(app, meeting.id, "console", karl)
    assert console.socket.is_connected("/live")
    assert console.op("start")["ok"]
    assert query(lambda s: s.get(Meeting, meeting.id).status) == "live"
    # The colleague sees who the plan is shared with, but only its chair changes that.
    assert karl.post(f"/plans/{plan_id}/shares", data={"share-chair_id": karl_id}
                     ).status_code == 403
    [event] = _events(query, "plan_shared")
    assert event.target == f"plan:{plan_id}" and event.detail["colleague"] == "Karl Berg"

    share_id = query(lambda s: s.scalar(select(PlanShare.id)))
    assert live.chair.http.post(f"/plans/{plan_id}/shares/{share_id}/remove").status_code == 302
    assert not console.socket.is_connected("/live")
    assert karl.get(f"/plans/{plan_id}").status_code == 404
    assert live.chair.socket.is_connected("/live")
    assert _events(query)[-1].action == "plan_share_removed"


def test_a_live_event_checks_the_share_of_the_chair_sending_it(app, make_meeting, query):
    """The live path's own check (live.caller, one statement under the meeting's lock)."""
    from sip_meeting import live

    meeting = make_meeting()
    karl = _account(app, "karl@example.se", "Karl Berg")
    lena = _account(app, "lena@example.se", "Lena Ek")
    outsider = _account(app, "ute@example.se", organisation_id=_second_organisation(app))
    with app.app_context(), atomic() as session:
        session.add(PlanShare(plan_id=meeting.plan_id, chair_id=karl.id))

    def caller(chair_id):
        with app.app_context(), atomic() as session:
            state = live.read_meeting(session, meeting.id)
            try:
                return live.caller(session, state, "sv", chair_id=chair_id).id
            except live.LiveError as err:
                return err.code

    assert caller(meeting.chair_id) == meeting.chair_id
    assert caller(karl.id) == karl.id  # shared with him
    assert caller(lena.id) == "forbidden"  # a colleague it is not shared with
    assert caller(outsider.id) == "forbidden"


def test_a_plan_is_shared_only_with_an_active_chair_of_its_organisation(app, make_meeting,
                                                                        login, client, query):
    meeting = make_meeting()
    login()
    other = _second_organisation(app)
    outsider = _account(app, "ute@example.se", organisation_id=other)
    gone = _account(app, "borta@example.se", deactivated_at=utcnow())
    admin_only = _account(app, "it@example.se", is_chair=False, is_admin=True)
    page = client.get(f"/plans/{meeting.plan_id}").get_data(as_text=True)
    for account in (outsider, gone, admin_only):
        assert account.email not in page
        response = client.post(f"/plans/{meeting.plan_id}/shares",
                               data={"share-chair_id": account.id}, follow_redirects=True)
        assert "Välj en aktiv mötesledare" in response.get_data(as_text=True)
    assert query(lambda s: s.scalar(select(func.count(PlanShare.id)))) == 0


def test_handing_over_moves_the_plan_and_its_open_meetings(app, live, make_meeting, query):
    _account(app, ADMIN, "Anna Admin", is_chair=False, is_admin=True)
    admin = _signed_in(app, ADMIN)
    _account(app, "karl@example.se", "Karl Berg")
    karl, karl_id = _signed_in(app, "karl@example.se"), _chair_id(query, "karl@example.se")
    plan_id = live.meeting.plan_id
    with app.app_context(), atomic() as session:  # an earlier meeting, closed, stays Eva's
        closed = Meeting(plan_id=plan_id, chair_id=_chair_id(query), status="closed",
                         starts_at=utcnow() - timedelta(days=200), closed_at=utcnow())
        session.add(closed)
    page = admin.get(f"/admin/plans/{plan_id}").get_data(as_text=True)
    assert "Eva Lund" in page and "Alva" not in page

    response = admin.post(f"/admin/plans/{plan_id}/hand-over",
                          data={"hand-over-chair_id": karl_id})
    assert response.status_code == 302

    plan = query(lambda s: s.get(Plan, plan_id))
    assert plan.chair_id == karl_id
    chairs = query(lambda s: dict(s.execute(select(Meeting.status, Meeting.chair_id).where(
        Meeting.plan_id == plan_id)).all()))
    assert chairs == {"draft": karl_id, "closed": _chair_id(query)}
    assert live.chair.http.get(f"/plans/{plan_id}").status_code == 404
    assert not live.chair.socket.is_connected("/live")
    assert karl.get(f"/plans/{plan_id}").status_code == 200
    [event] = _events(query, "plan_handed_over")
    assert (event.detail["from_chair"], event.detail["to_chair"], event.detail["meetings"]) == \
        ("Eva Lund", "Karl Berg", 1)
    assert "Alva" not in admin.get("/admin/audit").get_data(as_text=True)


def test_the_plan_list_shows_responsibility_and_no_content(app, admin, make_meeting, query):
    meeting = make_meeting(child="Alva Ekström")
    _account(app, "karl@example.se", "Karl Berg")
    karl_id = _chair_id(query, "karl@example.se")
    assert admin.post(f"/admin/plans/{meeting.plan_id}/shares",
                      data={"share-chair_id": karl_id}).status_code == 302
    for address in ("/admin/plans", f"/admin/plans/{meeting.plan_id}", "/admin/audit",
                    f"/admin/plans?chair={_chair_id(query)}"):
        page = admin.get(address).get_data(as_text=True)
        assert "Alva" not in page and "Skolan" not in page and "Planera" not in page
    listing = admin.get("/admin/plans").get_data(as_text=True)
    assert f"Plan {meeting.plan_id}" in listing and "Eva Lund" in listing
    assert "Karl Berg" in listing and "Open" in listing
    assert "There are no plans here." in admin.get(f"/admin/plans?chair={karl_id}").get_data(
        as_text=True)


# -- organisations are kept apart -------------------------------------------------------------


def test_another_organisations_administrator_finds_nothing_here(app, admin, make_meeting,
                                                                query):
    meeting = make_meeting()
    eva = _chair_id(query)
    other = _second_organisation(app)
    _account(app, "region-admin@example.se", "Rita Region", organisation_id=other,
             is_chair=False, is_admin=True)
    _account(app, "region-chair@example.se", organisation_id=other)
    stranger = _signed_in(app, "region-admin@example.se")
    plan_id, outsider = meeting.plan_id, _chair_id(query, "region-chair@example.se")
    for method, address, data in [
        ("get", f"/admin/accounts/{eva}", None),
        ("post", f"/admin/accounts/{eva}", {"is_chair": "y", "is_admin": "y"}),
        ("get", f"/admin/accounts/{eva}/deactivate", None),
        ("post", f"/admin/accounts/{eva}/deactivate", {}),
        ("post", f"/admin/accounts/{eva}/reactivate", {}),
        ("post", f"/admin/accounts/{eva}/invitation", {}),
        ("get", f"/admin/plans/{plan_id}", None),
        ("get", f"/admin/plans?chair={eva}", None),
        ("post", f"/admin/plans/{plan_id}/shares", {"share-chair_id": outsider}),
        ("post", f"/admin/plans/{plan_id}/hand-over", {"hand-over-chair_id": outsider}),
        ("post", f"/admin/plans/{plan_id}/shares/1/remove", {}),
    ]:
        response = getattr(stranger, method)(address, data=data)
        assert response.status_code == 404, address
    listing = stranger.get("/admin/accounts").get_data(as_text=True)
    assert "Eva Lund" not in listing and "Anna Admin" not in listing and "Rita Region" in listing
    assert f"Plan {plan_id}" not in stranger.get("/admin/plans").get_data(as_text=True)
    # and an administrator of organisation 1 cannot hand a plan to the region's chair
    handed = admin.post(f"/admin/plans/{plan_id}/hand-over",
                        data={"hand-over-chair_id": outsider}, follow_redirects=True)
    assert "Choose an active chair of the organisation." in handed.get_data(as_text=True)
    assert query(lambda s: s.get(Plan, plan_id).chair_id) == eva
    assert query(lambda s: s.get(Chair, eva).active)
    assert _events(query) == []


# -- the audit log ----------------------------------------------------------------------------


def test_the_audit_log_pages_fifty_at_a_time_newest_first(app, admin, query):
    from sip_meeting import admin_log

    with app.app_context(), atomic() as session:
        actor = session.scalar(select(Chair).where(Chair.email == ADMIN))
        for n in range(60):
            admin_log.record(session, actor, "plan_shared", admin_log.plan_target(n + 1),
                             colleague=f"Kollega {n}")
        admin_log.record(session, None, "account_created", "account:99", organisation_id=1,
                         name="Via kommandoraden", email="cli@example.se")
    first = admin.get("/admin/audit").get_data(as_text=True)
    assert first.count("<tr>") == 51  # the heading's row and fifty entries
    assert first.index("Via kommandoraden") < first.index("Plan 60") < first.index("Plan 59")
    assert "The command line or the system" in first and "page=2" in first
    second = admin.get("/admin/audit?page=2").get_data(as_text=True)
    assert second.count("<tr>") == 12 and "Plan 1<" in second and "page=3" not in second
    assert admin.get("/admin/audit?page=x").status_code == 200


# -- the command line -------------------------------------------------------------------------


def test_organisations_are_created_and_listed_on_the_command_line(runner, query):
    made = runner.invoke(args=["org", "create", "region-vast", "Region Väst", "--kind",
                               "region"])
    assert made.exit_code == 0, made.output
    assert "create-chair EMAIL --organisation region-vast --admin" in made.output
    again = runner.invoke(args=["org", "create", "region-vast", "Annan"])
    assert again.exit_code != 0 and "exists" in again.output
    for bad in ("Region Väst", "x-", "-", "a" * 41, "region_vast"):
        result = runner.invoke(args=["org", "create", bad, "Namn"])
        assert result.exit_code != 0 and "lower-case letters" in result.output
    assert runner.invoke(args=["org", "create", "x", "--kind", "country"]).exit_code != 0
    listing = runner.invoke(args=["org", "list"]).output
    assert "default" in listing and "region-vast" in listing and "Region Väst" in listing
    import json

    rows = json.loads(runner.invoke(args=["org", "list", "--json"]).output)
    assert [(r["slug"], r["kind"], r["password_sign_in"]) for r in rows] == \
        [("default", "municipality", True), ("region-vast", "region", True)]
    [event] = _events(query, "organisation_created")
    assert event.organisation_id == rows[1]["id"] and event.detail["slug"] == "region-vast"


PASSWORD_INPUT = "a long enough password\na long enough password\n"


def test_create_chair_makes_an_administrator_of_a_named_organisation(app, runner, query):
    runner.invoke(args=["org", "create", "solby", "Solby kommun"])
    result = runner.invoke(args=["create-chair", "It@Solby.se", "--name", "Ida IT",
                                 "--organisation", "solby", "--admin", "--no-chair"],
                           input=PASSWORD_INPUT)
    assert result.exit_code == 0, result.output
    assert "administrator of solby" in result.output
    ida = query(lambda s: s.scalar(select(Chair).where(Chair.email == "it@solby.se")))
    assert (ida.is_admin, ida.is_chair) == (True, False)
    assert query(lambda s: s.get(Organisation, ida.organisation_id).slug) == "solby"
    [event] = _events(query, "account_created")
    assert event.organisation_id == ida.organisation_id and event.detail["roles"] == ["admin"]
    # she signs in and lands on her organisation's administration
    http = app.test_client()
    http.post("/login", data={"email": "it@solby.se", "password": "a long enough password"})
    assert http.get("/").location.endswith("/admin/")
    assert "Solby kommun" in http.get("/admin/").get_data(as_text=True)


def test_create_chair_without_options_works_as_before(runner, query):
    result = runner.invoke(args=["create-chair", "eva@example.se", "--name", "Eva"],
                           input=PASSWORD_INPUT)
    assert result.exit_code == 0 and result.output.strip().endswith("Chair eva@example.se created.")
    eva = query(lambda s: s.scalar(select(Chair).where(Chair.email == "eva@example.se")))
    assert (eva.organisation_id, eva.is_chair, eva.is_admin) == (1, True, False)


@pytest.mark.parametrize("args,message", [
    (["--no-chair"], "needs --admin"),
    (["--organisation", "nowhere"], "no organisation has the short name nowhere"),
])
def test_create_chair_refuses_an_account_it_cannot_make(runner, query, args, message):
    result = runner.invoke(args=["create-chair", "x@example.se", *args], input=PASSWORD_INPUT)
    assert result.exit_code != 0 and message in result.output
    assert query(lambda s: s.scalar(select(func.count(Chair.id)))) == 0
