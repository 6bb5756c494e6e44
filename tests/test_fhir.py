"""The plan as an HL7 FHIR R4 Bundle: valid by HL7's definitions, complete, and stable."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from fhir.resources.R4B.bundle import Bundle
from sqlalchemy import select
from test_document import _action, make_snapshot

from sip_meeting.demo import DEMO_EMAIL, DEMO_PASSWORD
from sip_meeting.fhir import plan_bundle, plan_bundle_json
from sip_meeting.models import Meeting

MAPPING = Path(__file__).parent.parent / "docs" / "fhir-mapping.md"


def full_snapshot() -> dict:
    """A version holding every kind of content a plan can hold."""
    snap = make_snapshot()
    snap["participants"] += [
        {"id": 4, "name": "Alva", "organisation": "", "role": "child", "principal": "family",
         "language": "sv", "attendance": "present"},
        {"id": 5, "name": "Farmor Inga", "organisation": "", "role": "relative",
         "principal": "family", "language": "sv", "attendance": "present"},
        {"id": 6, "name": "Hassan Ali", "organisation": "Tolkförmedlingen", "role": "interpreter",
         "principal": "other", "language": "ar", "attendance": "present"},
        {"id": 7, "name": "Lena Berg", "organisation": "Socialtjänsten", "role": "coordinator",
         "principal": "municipality", "language": "sv", "attendance": "present"},
    ]
    snap["sections"].update(review_situation_change="Ja, morgnarna går bättre.",
                            others_part="none", child_views_brought_by="Karin Holm")
    snap["actions"] += [
        _action(14, "Följa med Alva till simhallen", "Farmor Inga", responsible_participant_id=5,
                principal="family", due_date="2027-04-20", status="planned",
                depends_on_id=11, goal_id=1),
        _action(15, "Ansöka om korttidsvistelse", "Skolans kurator", principal="municipality",
                when_note="Efter sommaren", status="", review_outcome="not_needed",
                condition_review="Villkoret föll bort."),
        _action(16, "Öva på bussen", "", principal="family", status="cancelled",
                due_date="2027-05-01"),
        _action(17, "Boka tolk till uppföljningen", "Lena Berg", responsible_participant_id=7,
                organisation="Socialtjänsten", principal="municipality", status="done",
                due_date="2027-06-01", review_outcome="done", review_comment="Bokad."),
    ]
    snap["consents"].append({
        "id": 2, "given_by": "Farmor Inga", "form": "written", "given_at": "2027-03-15",
        "organisations": "Habiliteringen", "information": "Allt om simningen",
        "exclusions": "Inget om ekonomin", "valid_until": "2027-12-31",
        "withdrawn_at": "2027-03-20", "withdrawn_by": "Farmor Inga", "withdrawn_scope": ""})
    snap["consents"].append({
        "id": 3, "given_by": "Sara Berg", "form": "", "given_at": "", "organisations": "",
        "information": "", "exclusions": "", "valid_until": "", "withdrawn_at": "2027-03-21",
        "withdrawn_by": "Sara Berg", "withdrawn_scope": "Bara sömnen"})
    snap["overrides"].append({"rule": "followup_date", "item_id": None, "reason": "Bokas i mars",
                              "by": "Eva Lund", "at": "2027-03-15T14:29:30+00:00",
                              "message": "Boka uppföljningen"})
    snap["explanations"].append({"word": "utredning", "term_id": None,
                                 "text": "Hos BUP: en bedömning av läkare och psykolog."})
    return snap


# --- what the FHIR library and the bundle's own references say --------------------------------


def validate(bundle: dict) -> Bundle:
    """Parse a bundle with HL7's R4B resource models and check what they leave to the caller.

    The models check structure, cardinality and data types. Their metadata also says which
    codes a required binding allows and which resource types a reference may point to: both
    are checked here, and every urn:uuid reference must resolve within the bundle (except
    CarePlan.replaces, which names the previous version's bundle).
    """
    model = Bundle.model_validate(bundle)
    by_url = {e.fullUrl: e.resource for e in model.entry}
    assert len(by_url) == len(model.entry), "fullUrls are unique"
    problems: list[str] = []

    def walk(node: Any, path: str) -> None:
        for name, field in type(node).model_fields.items():
            value = getattr(node, name, None)
            if value is None:
                continue
            extra = field.json_schema_extra or {}
            for i, item in enumerate(value if isinstance(value, list) else [value]):
                where = f"{path}.{name}[{i}]"
                if extra.get("enum_values") and item not in extra["enum_values"]:
                    problems.append(f"{where}: {item!r} not in {extra['enum_values']}")
                allowed = extra.get("enum_reference_types")
                if allowed and getattr(item, "reference", None) and name != "replaces":
                    target = by_url.get(item.reference)
                    if target is None:
                        problems.append(f"{where}: {item.reference} is not in the bundle")
                    elif target.get_resource_type() not in allowed and "Resource" not in allowed:
                        problems.append(f"{where}: {target.get_resource_type()} not in {allowed}")
                    elif item.type and item.type != target.get_resource_type():
                        problems.append(f"{where}: type {item.type} but points to "
                                        f"{target.get_resource_type()}")
                if hasattr(type(item), "model_fields"):
                    walk(item, where)

    walk(model, "Bundle")
    assert problems == []
    return model


def resources(model: Bundle, kind: str) -> list:
    return [e.resource for e in model.entry if e.resource.get_resource_type() == kind]


def resolve(model: Bundle, reference) -> Any:
    return next(e.resource for e in model.entry if e.fullUrl == reference.reference)


def person_name(model: Bundle, reference) -> str:
    if reference.reference is None:
        return reference.display
    return resolve(model, reference).name[0].text


def assert_round_trip(snapshot: dict, model: Bundle) -> None:
    """Read the bundle back and find every goal, action, person and consent of the version."""
    (care_plan,) = resources(model, "CarePlan")
    goals = {resolve(model, ref).description.text for ref in care_plan.goal}
    assert goals == {g["text"] for g in snapshot["goals"]}
    assert {g.description.text for g in resources(model, "Goal")} == goals
    activities = {a.id: a.detail for a in care_plan.activity}
    assert set(activities) == {f"action-{a['id']}" for a in snapshot["actions"]}
    for action in snapshot["actions"]:
        detail = activities[f"action-{action['id']}"]
        assert detail.description == action["what"]
        who = [person_name(model, p) for p in detail.performer
               if p.reference is None or resolve(model, p).get_resource_type() != "Organization"]
        assert who == ([action["responsible_name"]] if action["responsible_name"] else
                       ["The family"] if action["principal"] == "family" else [])
        if action["goal_id"] is not None:
            goal = next(g for g in snapshot["goals"] if g["id"] == action["goal_id"])
            assert [resolve(model, ref).description.text for ref in detail.goal] == [goal["text"]]
        if action["due_date"]:
            assert str(detail.scheduledPeriod.end) == action["due_date"]
    (team,) = [resolve(model, ref) for ref in care_plan.careTeam]
    members = [person_name(model, p.member) for p in team.participant]
    assert members == [p["name"] for p in snapshot["participants"]] + [
        snapshot["meeting"]["chair"]]
    consents = [resolve(model, ref) for ref in care_plan.supportingInfo
                if ref.type == "Consent"]
    assert len(consents) == len(snapshot["consents"])
    for consent, given in zip(consents, snapshot["consents"], strict=True):
        assert consent.patient.reference == care_plan.subject.reference
        assert given["given_by"] in consent.text.div


# --- the bundle itself --------------------------------------------------------------------------


def test_a_plan_with_every_kind_of_content_validates_and_round_trips():
    snapshot = full_snapshot()
    model = validate(plan_bundle(snapshot))
    assert model.type == "collection"
    assert_round_trip(snapshot, model)
    # and through its JSON form, as a receiving system reads the file
    assert_round_trip(snapshot, validate(json.loads(plan_bundle_json(snapshot, "en"))))


def test_the_care_plan_says_what_plan_it_is_and_who_answers_for_it():
    model = validate(plan_bundle(full_snapshot()))
    (care_plan,) = resources(model, "CarePlan")
    assert (care_plan.status, care_plan.intent) == ("active", "plan")
    assert [c.code for c in care_plan.category[0].coding] == ["sip"]
    assert care_plan.title == "Coordinated individual plan (SIP) for Alva"
    assert str(care_plan.period.end) == "2027-06-10"
    author = resolve(model, care_plan.author)
    assert author.get_resource_type() == "Organization"
    assert [c.code for c in author.type[0].coding] == ["municipality"]
    notes = [n.text for n in care_plan.note]
    assert "Person who follows the plan: Karin Holm" in notes
    assert "What works well: Alva trivs med sin assistent." in notes
    assert any(n.text.startswith("Left open in the meeting, and why:") and n.authorString ==
               "Eva Lund" for n in care_plan.note)
    # version 3 follows version 2, named by the id its bundle gives it
    version_2 = plan_bundle(make_snapshot(version=2))["entry"][0]["fullUrl"]
    assert [r.reference for r in care_plan.replaces] == [version_2]


def test_actions_map_status_schedule_performers_conditions_and_fallbacks():
    model = validate(plan_bundle(full_snapshot()))
    (care_plan,) = resources(model, "CarePlan")
    by_id = {a.id: a for a in care_plan.activity}
    assert {k: a.detail.status for k, a in by_id.items()} == {
        "action-11": "scheduled", "action-12": "not-started", "action-13": "in-progress",
        "action-14": "not-started", "action-15": "unknown", "action-16": "cancelled",
        "action-17": "completed"}
    sleep = by_id["action-12"]
    assert [resolve(model, p).name if p.type == "Organization" else p.display
            for p in sleep.detail.performer] == ["Omar Said", "BUP Norr"]
    assert resolve(model, sleep.detail.performer[0]).get_resource_type() == "Practitioner"
    assert [n.text for n in sleep.progress] == [
        "Decision by 2027-05-20", "Hangs on a condition",
        "If it does not happen: what then? Karin ringer BUP den 21 maj.",
        "Comment: Remissen är skickad."]
    # no date: when it happens is said in words; with a date the words become a note
    assert sleep.detail.scheduledString == "Besked per brev"
    assert sleep.detail.scheduledPeriod is None
    dated = validate(plan_bundle(make_snapshot(actions=[{
        **make_snapshot()["actions"][1], "due_date": "2027-05-30"}])))
    (dated_plan,) = resources(dated, "CarePlan")
    assert str(dated_plan.activity[0].detail.scheduledPeriod.end) == "2027-05-30"
    assert "When: Besked per brev" in [n.text for n in dated_plan.activity[0].progress]
    assert by_id["action-15"].detail.scheduledString == "Efter sommaren"
    assert [c.code for c in by_id["action-15"].outcomeCodeableConcept[0].coding] == [
        "not_needed"]
    swim = by_id["action-14"]
    assert "Comes after: Ordna skolskjuts" in [n.text for n in swim.progress]
    assert resolve(model, swim.detail.performer[0]).get_resource_type() == "RelatedPerson"
    assert "What the child or the family does: Sara har Alva klar kl. 7.45." in [
        n.text for n in by_id["action-11"].progress]
    # a responsible person written as text only is named, never made into a resource
    assert by_id["action-15"].detail.performer[0].display == "Skolans kurator"


def test_people_are_named_only_as_the_plan_names_them():
    snapshot = full_snapshot()
    bundle = plan_bundle(snapshot)
    model = validate(bundle)
    (patient,) = resources(model, "Patient")
    assert [(n.text, n.given, n.family) for n in patient.name] == [("Alva", None, None)]
    people = [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] in
              ("Patient", "RelatedPerson", "Practitioner")]
    assert not [p for p in people if {"identifier", "birthDate", "telecom", "address",
                                      "gender"} & set(p)]
    # the child's own line in the meeting is the same Patient, not a second person
    (team,) = resources(model, "CareTeam")
    child = next(p for p in team.participant if p.role[0].coding[0].code == "child")
    assert child.member.reference == f"urn:uuid:{patient.id}"
    guardian = next(r for r in resources(model, "RelatedPerson") if r.name[0].text == "Sara Berg")
    assert guardian.relationship[0].coding[0].code == "GUARD"
    teacher = next(p for p in team.participant if p.member.display == "Karin Holm")
    assert resolve(model, teacher.onBehalfOf).name == "Ekbackens skola"
    assert [n.text for n in team.note] == ["Not present at the meeting: Omar Said"]


def test_consents_keep_their_scope_exceptions_and_withdrawals():
    model = validate(plan_bundle(full_snapshot()))
    first, withdrawn, partly = resources(model, "Consent")
    assert (first.status, withdrawn.status, partly.status) == ("active", "inactive", "active")
    assert first.scope.coding[0].code == "patient-privacy"
    assert str(first.provision.period.end) == "2028-03-15"
    assert first.provision.actor[0].reference.display == "Ekbackens skola, BUP Norr"
    assert first.provision.code[0].text == "Skolsituationen och sömnen"
    assert first.category[1].coding[0].code == "oral"
    assert resolve(model, first.performer[0]).name[0].text == "Sara Berg"
    assert [(p.type, p.code[0].text) for p in withdrawn.provision.provision] == [
        ("deny", "Inget om ekonomin"), ("deny", "All of the consent")]
    assert [(p.type, p.code[0].text, str(p.period.start))
            for p in partly.provision.provision] == [("deny", "Bara sömnen", "2027-03-21")]
    assert "Withdrawn by: Sara Berg" in partly.text.div


def test_the_follow_up_is_a_proposed_appointment_on_its_day():
    model = validate(plan_bundle(full_snapshot()))
    (appointment,) = resources(model, "Appointment")
    assert appointment.status == "proposed"
    period = appointment.requestedPeriod[0]
    assert (str(period.start), str(period.end)) == ("2027-06-10", "2027-06-10")
    assert appointment.description == "Follow-up: Möte på skolan"
    convener = appointment.participant[1]
    assert resolve(model, convener.actor).name[0].text == "Karin Holm"
    without = validate(plan_bundle(make_snapshot(sections={
        **make_snapshot()["sections"], "followup_date": ""})))
    assert resources(without, "Appointment") == []
    assert resources(without, "CarePlan")[0].period.end is None


def test_a_re_export_gives_the_same_bundle_and_ids_follow_the_plan():
    snapshot = full_snapshot()
    assert plan_bundle_json(snapshot, "en") == plan_bundle_json(json.loads(
        json.dumps(snapshot)), "en")
    entries = plan_bundle(snapshot)["entry"]
    assert all(re.fullmatch(r"urn:uuid:[0-9a-f-]{36}", e["fullUrl"])
               and e["fullUrl"] == f"urn:uuid:{e['resource']['id']}" for e in entries)
    # the next version keeps the ids of the same goals and people, but is a new CarePlan
    this, later = plan_bundle(snapshot), plan_bundle({**snapshot, "version": 4})
    urls = {e["resource"]["resourceType"]: e["fullUrl"] for e in this["entry"]}
    later_urls = {e["resource"]["resourceType"]: e["fullUrl"] for e in later["entry"]}
    assert urls["Goal"] == later_urls["Goal"] and urls["Patient"] == later_urls["Patient"]
    assert urls["CarePlan"] != later_urls["CarePlan"]
    # another installation (another public address) never gives the same ids
    other = plan_bundle(snapshot, issuer="https://sip.other.example")
    assert not {e["fullUrl"] for e in this["entry"]} & {e["fullUrl"] for e in other["entry"]}
    assert plan_bundle(snapshot, "https://sip.example/") == plan_bundle(snapshot,
                                                                         "https://sip.example")


def test_a_follow_up_or_expiry_set_before_its_start_keeps_the_periods_valid():
    snapshot = full_snapshot()
    snapshot["sections"]["followup_date"] = "2027-03-01"  # before the close: set aside
    snapshot["consents"][0]["valid_until"] = "2027-01-01"
    model = validate(plan_bundle(snapshot))
    assert resources(model, "CarePlan")[0].period.end is None
    assert str(resources(model, "Appointment")[0].requestedPeriod[0].start) == "2027-03-01"
    consent = resources(model, "Consent")[0]
    assert consent.provision.period.end is None and "2027-01-01" in consent.text.div


def test_control_characters_and_blank_texts_never_reach_the_bundle():
    snapshot = make_snapshot()
    snapshot["actions"][0]["what"] = "Ordna\x07 skolskjuts "
    snapshot["actions"][0]["family_part"] = "   "
    snapshot["goals"][0]["text"] = "Alva\x00 går i skolan"
    model = validate(plan_bundle(snapshot))
    (care_plan,) = resources(model, "CarePlan")
    assert care_plan.activity[0].detail.description == "Ordna skolskjuts"
    assert care_plan.activity[0].progress is None
    assert resolve(model, care_plan.goal[0]).description.text == "Alva går i skolan"


def test_labels_are_in_the_chosen_language(app):
    with app.app_context():
        sv = json.loads(plan_bundle_json(make_snapshot(), "sv"))
        en = json.loads(plan_bundle_json(make_snapshot(), "en"))
    assert sv["entry"][0]["resource"]["title"] == "Samordnad individuell plan (SIP) för Alva"
    assert en["entry"][0]["resource"]["title"] == "Coordinated individual plan (SIP) for Alva"
    # the plan's own words are the same in both
    assert [a["detail"]["description"] for a in sv["entry"][0]["resource"]["activity"]] == [
        a["detail"]["description"] for a in en["entry"][0]["resource"]["activity"]]


def test_the_mapping_document_names_every_resource_and_code_system_the_bundle_uses():
    bundle = json.dumps(plan_bundle(full_snapshot()))
    text = MAPPING.read_text()
    kinds = set(re.findall(r'"resourceType": "(\w+)"', bundle))
    systems = set(re.findall(r'"system": "([^"]+)"', bundle))
    assert kinds - set(re.findall(r"`(\w+)`", text)) == set()
    assert {s for s in systems if s not in text} == set()


# --- the export command, the download and who may have it ------------------------------------


def _demo(runner, query) -> int:
    runner.invoke(args=["demo"])
    return query(lambda s: s.scalar(select(Meeting.id).where(Meeting.status == "closed")))


def test_the_demo_plan_exports_validates_and_round_trips(runner, query, tmp_path):
    meeting_id = _demo(runner, query)
    out, again, plan = tmp_path / "plan.json", tmp_path / "again.json", tmp_path / "v.json"
    for path, fmt in ((out, "fhir"), (again, "fhir"), (plan, "json")):
        result = runner.invoke(args=["export", str(meeting_id), "--format", fmt, "-o",
                                     str(path)])
        assert result.exit_code == 0, result.output
    snapshot = json.loads(plan.read_bytes())
    model = validate(json.loads(out.read_bytes()))
    assert_round_trip(snapshot, model)
    assert resources(model, "CarePlan")[0].title == "Samordnad individuell plan (SIP) för Nils"
    assert out.read_bytes() == again.read_bytes()


@pytest.mark.parametrize("status", ["missing", "open"])
def test_export_refuses_what_it_cannot_export_as_the_other_formats_do(
        runner, make_meeting, tmp_path, status):
    meeting_id = 999 if status == "missing" else make_meeting().id
    messages = []
    for fmt in ("json", "fhir"):
        out = tmp_path / f"x.{fmt}"
        result = runner.invoke(args=["export", str(meeting_id), "--format", fmt, "-o", str(out)])
        assert result.exit_code == 1 and not out.exists()
        messages.append(result.output)
    assert messages[0] == messages[1]
    assert ("does not exist" if status == "missing" else "not closed") in messages[1]


def test_the_chair_downloads_the_bundle_from_the_closed_meetings_page(runner, query, app):
    meeting_id = _demo(runner, query)
    chair = app.test_client()
    chair.post("/login", data={"email": DEMO_EMAIL, "password": DEMO_PASSWORD})
    page = chair.get(f"/meetings/{meeting_id}").get_data(as_text=True)
    link = f'href="/meetings/{meeting_id}/plan.fhir.json"'
    assert link in page and "Ladda ner planen för andra system (FHIR, .json)" in page
    response = chair.get(f"/meetings/{meeting_id}/plan.fhir.json")
    assert response.status_code == 200
    assert response.mimetype == "application/fhir+json"
    assert response.headers["Content-Disposition"] == \
        'attachment; filename="sip-plan-nils-version-1.fhir.json"'
    assert "no-store" in response.headers["Cache-Control"]
    model = validate(response.get_json(force=True))
    assert resources(model, "CarePlan")[0].title.startswith("Samordnad individuell plan")
    chair.post("/language", data={"lang": "en", "next": "/"})
    assert "Download the plan for other systems (FHIR, .json)" in chair.get(
        f"/meetings/{meeting_id}").get_data(as_text=True)
    english = chair.get(f"/meetings/{meeting_id}/plan.fhir.json")
    assert english.headers["Content-Disposition"] == \
        'attachment; filename="sip-plan-nils-version-1.fhir.json"'
    assert english.get_json(force=True)["entry"][0]["resource"]["title"] == \
        "Coordinated individual plan (SIP) for Nils"
    # an open meeting's page offers no download, and its address gives nothing
    open_id = query(lambda s: s.scalar(select(Meeting.id).where(Meeting.status != "closed")))
    assert "plan.fhir.json" not in chair.get(f"/meetings/{open_id}").get_data(as_text=True)
    assert chair.get(f"/meetings/{open_id}/plan.fhir.json").status_code == 404


def test_no_one_else_may_download_the_bundle(runner, query, app, make_chair, login, client):
    output = runner.invoke(args=["demo"]).output
    meeting_id = query(lambda s: s.scalar(select(Meeting.id).where(Meeting.status == "closed")))
    url = f"/meetings/{meeting_id}/plan.fhir.json"
    assert app.test_client().get(url).status_code == 404  # no one logged in
    make_chair("other@example.se", "Annan Ordförande")
    login("other@example.se")
    assert client.get(url).status_code == 404  # another meeting's chair
    links = [line.rsplit("/", 1)[1] for line in output.splitlines()
             if "Family link" in line or "Join link for Sara Berg" in line]
    assert len(links) == 3  # two of this meeting's family, one of Alva's meeting
    for token in links:
        participant = app.test_client()
        assert participant.get(f"/j/{token}").status_code == 302
        assert participant.get(url).status_code == 404, token
