"""A frozen plan version as an HL7 FHIR R4 Bundle, for the systems of the principals.

`plan_bundle` turns a version snapshot (what `sip-meeting export --format json` writes) into a
FHIR `Bundle` of type `collection`: a `CarePlan` with the actions as activities, the goals as
`Goal`s, the participants as a `CareTeam` of `Practitioner`s, `RelatedPerson`s and the child's
`Patient`, the organisations, each consent as a `Consent` and the follow-up as an
`Appointment`. It is a pure function: dict in, dict out, no database, no network. The mapping
field by field is docs/fhir-mapping.md; change both together.

Ids are name-based UUIDs (version 5) of the plan's own ids, so exporting a version twice gives
the same bundle, and a goal, a person or a consent keeps its id from one version to the next.
Labels are translated when called inside `flask_babel.force_locale`; the plan's own texts are
carried as written. Names are carried only as the plan holds them: no identity numbers.
"""

from __future__ import annotations

import json
import re
import uuid
from html import escape
from typing import Any

from flask_babel import force_locale
from flask_babel import gettext as _

from .i18n import file_name
from .labels import (
    choice_label,
    field_label,
    principal_label,
    role_label,
    rule_label,
    section_title,
)

# The root of every id; an installation's PUBLIC_URL (the `issuer`) is hashed in below it, so
# two installations never give the same plan the same ids.
NAMESPACE = uuid.UUID("6bffad30-1dc6-45b7-bb9d-0a514c50be69")
CODES = "urn:sip-meeting:code:"  # the project's own code systems, see docs/fhir-mapping.md
ROLE_CODE = "http://terminology.hl7.org/CodeSystem/v3-RoleCode"
BCP47 = "urn:ietf:bcp:47"
FHIR_VERSION = "4.0.1"
MIMETYPE = "application/fhir+json"

# The plan's action status and the CarePlan activity's (a required binding).
ACTION_STATUS = {"planned": "not-started", "decided": "scheduled", "ongoing": "in-progress",
                 "done": "completed", "cancelled": "cancelled", "": "unknown"}
FAMILY = {"guardian": ("GUARD", "guardian"), "relative": ("FAMMEMB", "family member")}
# Characters FHIR strings may not hold: control characters other than tab, line feed, return.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# The sections of the plan carried as notes of the CarePlan, in the plan document's order.
PLAN_NOTES = ("situation_works", "situation_difficult", "child_voice", "child_participation",
              "child_views_brought_by", "child_told_by", "strengths", "lead_principal",
              "lead_person", "others_part", "contact_between", "followup_date", "followup_form",
              "followup_convener", "review_situation_change")


def plan_bundle(snapshot: dict[str, Any], issuer: str = "") -> dict[str, Any]:
    """Return the FHIR R4 Bundle (as JSON-ready data) of a frozen plan version.

    issuer: the installation's public address, hashed into every id; "" when it has none.
    """
    return _Builder(snapshot, issuer).bundle()


def plan_bundle_json(snapshot: dict[str, Any], lang: str, issuer: str = "") -> bytes:
    """Return the bundle as UTF-8 JSON with its labels in `lang`, as the exports write it.

    Inside an app the labels are translated; outside one they stay in English.
    """
    with force_locale(lang):
        bundle = plan_bundle(snapshot, issuer)
    return json.dumps(bundle, ensure_ascii=False, indent=2).encode()


def bundle_file_name(snapshot: dict[str, Any], lang: str) -> str:
    """Name the bundle's file in `lang`: "sip-plan-nils-version-1.fhir.json"."""
    with force_locale(lang):
        return file_name(_("sip-plan-%(child)s-version-%(n)s.fhir.json"),
                         child=snapshot.get("child_name") or "", n=snapshot.get("version", ""))


def _text(value: Any) -> str:
    """Return a plan text as a FHIR string: stripped, without control characters."""
    return _CONTROL.sub("", str(value or "")).strip()


def _labelled(label: str, value: Any) -> str:
    value = _text(value)
    if not value:
        return ""
    if label.endswith(("?", ":")):
        return f"{label}\n{value}" if "\n" in value else f"{label} {value}"
    return f"{label}:\n{value}" if "\n" in value else f"{label}: {value}"


def _code(system: str, code: str, display: str = "") -> dict[str, Any]:
    return {"system": system, "code": code, "display": display}


def _concept(system: str, code: str, display: str) -> dict[str, Any]:
    return {"coding": [_code(system, code, display)], "text": display}


def _clean(value: Any) -> Any:
    """Drop what FHIR does not allow to be empty: "", None, [] and {} (at every depth)."""
    if isinstance(value, dict):
        cleaned = {k: _clean(v) for k, v in value.items()}
        return {k: v for k, v in cleaned.items() if v not in ("", None, [], {})}
    if isinstance(value, list):
        cleaned = [_clean(v) for v in value]
        return [v for v in cleaned if v not in ("", None, [], {})]
    return value


class _Builder:
    """Builds one bundle; keeps the resources it made, each once, in the order made."""

    def __init__(self, snapshot: dict[str, Any], issuer: str) -> None:
        self.v = snapshot
        self.ns = uuid.uuid5(NAMESPACE, (issuer or "").rstrip("/"))
        self.plan = f"plan/{snapshot['plan_id']}"
        self.version = f"{self.plan}/version/{snapshot['version']}"
        self.entries: dict[str, dict[str, Any]] = {}
        self.people: dict[int, dict[str, Any]] = {}  # participant id -> reference
        self.patient = self._ref(self._patient())

    # --- ids and references ---------------------------------------------------------------

    def uid(self, name: str) -> str:
        return str(uuid.uuid5(self.ns, name))

    def add(self, name: str, resource: dict[str, Any]) -> dict[str, Any]:
        resource_id = self.uid(name)
        if resource_id not in self.entries:
            self.entries[resource_id] = {"resourceType": resource["resourceType"],
                                         "id": resource_id, **resource}
        return self.entries[resource_id]

    @staticmethod
    def _ref(resource: dict[str, Any], display: str = "") -> dict[str, Any]:
        return {"reference": f"urn:uuid:{resource['id']}", "type": resource["resourceType"],
                "display": display or _display(resource)}

    # --- the bundle -----------------------------------------------------------------------

    def bundle(self) -> dict[str, Any]:
        care_plan = self._care_plan()
        entries = [care_plan] + [r for r in self.entries.values() if r is not care_plan]
        bundle_id = self.uid(f"{self.version}/bundle")
        return _clean({
            "resourceType": "Bundle",
            "id": bundle_id,
            "meta": {"tag": [_code(CODES + "format", self.v.get("format", ""))]},
            "identifier": {"system": "urn:ietf:rfc:3986", "value": f"urn:uuid:{bundle_id}"},
            "type": "collection",
            "timestamp": self.v["frozen_at"],
            "entry": [{"fullUrl": f"urn:uuid:{r['id']}", "resource": r} for r in entries],
        })

    def _patient(self) -> dict[str, Any]:
        child = _text(self.v.get("child_name"))
        # A first name or an alias: carried as the name's text only, never split or completed.
        return self.add(f"{self.plan}/child", {"resourceType": "Patient",
                                               "name": [{"use": "usual", "text": child}]})

    def _care_plan(self) -> dict[str, Any]:
        v, s = self.v, self.v.get("sections") or {}
        meeting = v.get("meeting") or {}
        care_plan = self.add(self.version, {
            "resourceType": "CarePlan",
            "title": _("Coordinated individual plan (SIP) for %(child)s",
                       child=_text(v.get("child_name")))})
        team = self._care_team()
        goals = {g["id"]: self._goal(g) for g in v.get("goals") or []}
        consents = [self._consent(c) for c in v.get("consents") or []]
        followup = self._followup(care_plan)
        lead = s.get("lead_principal") or ""
        care_plan.update({
            "status": "active",
            "intent": "plan",
            "category": [_concept(CODES + "plan-category", "sip",
                                  _("Coordinated individual plan (SIP)"))],
            "description": _text(meeting.get("purpose")),
            "subject": self.patient,
            "period": _period(v["frozen_at"], s.get("followup_date") or ""),
            "created": v["frozen_at"],
            "author": self._ref(self._principal(lead)) if lead else None,
            "contributor": [self._ref(team)],
            "careTeam": [self._ref(team)],
            "goal": [self._ref(g) for g in goals.values()],
            "supportingInfo": [self._ref(c) for c in consents]
            + ([self._ref(followup)] if followup else []),
            "activity": [self._activity(a, goals) for a in v.get("actions") or []],
            "note": [{"text": t} for t in self._plan_notes()]
            + self._override_notes(),
        })
        if int(v["version"]) > 1:  # the version this one follows; it is in an earlier bundle
            previous = self.uid(f"{self.plan}/version/{int(v['version']) - 1}")
            care_plan["replaces"] = [{"reference": f"urn:uuid:{previous}", "type": "CarePlan"}]
        return care_plan

    def _plan_notes(self) -> list[str]:
        v, s = self.v, self.v.get("sections") or {}
        meeting = v.get("meeting") or {}
        about = ", ".join(x for x in (
            choice_label("meeting", "kind", meeting.get("kind") or ""),
            _text(meeting.get("starts_at")), _text(meeting.get("place")),
            _text(meeting.get("video_link"))) if x)
        notes = [_labelled(section_title("meeting"), about),
                 _labelled(section_title("questions"), "\n".join(
                     f"- {_text(q)}" for q in meeting.get("questions") or [] if _text(q)))]
        for name in PLAN_NOTES:
            value = s.get(name) or ""
            if name in ("child_participation", "lead_principal", "others_part"):
                value = choice_label("plan", name, value)
            notes.append(_labelled(field_label("plan", name), value))
        notes += [_labelled(_("Words explained in the meeting") + f" – {_text(e.get('word'))}",
                            e.get("text")) for e in v.get("explanations") or []]
        return [n for n in notes if n]

    def _override_notes(self) -> list[dict[str, Any]]:
        by_id = {a["id"]: a for a in self.v.get("actions") or []}
        notes = []
        for o in self.v.get("overrides") or []:
            action = by_id.get(o.get("item_id"))
            lines = [_text(o.get("message")) or rule_label(o.get("rule") or ""),
                     _("Action: %(what)s", what=_text(action["what"])) if action else "",
                     _("Reason: %(reason)s", reason=_text(o.get("reason")))]
            notes.append({"authorString": _text(o.get("by")), "time": o.get("at") or "",
                          "text": _labelled(section_title("overrides"),
                                            "\n".join(x for x in lines if x))})
        return notes

    # --- people and organisations -------------------------------------------------------------

    def _principal(self, code: str) -> dict[str, Any]:
        """The municipality, the region or another organisation as a kind of principal."""
        return self.add(f"{self.plan}/principal/{code}", {
            "resourceType": "Organization",
            "type": [_concept(CODES + "principal", code, principal_label(code))],
            "name": principal_label(code)})

    def _organisation(self, name: str, principal: str) -> dict[str, Any] | None:
        name = _text(name)
        if not name:
            return None
        kind = principal if principal in ("municipality", "region", "other") else ""
        org = {"resourceType": "Organization", "name": name}
        if kind:
            org["partOf"] = self._ref(self._principal(kind))
        return self.add(f"{self.plan}/organisation/{kind}/{name}", org)

    def _person(self, p: dict[str, Any]) -> dict[str, Any]:
        """The participant's resource: the Patient, a RelatedPerson or a Practitioner."""
        name = _text(p.get("name"))
        language = {"coding": [_code(BCP47, p.get("language") or "")]}
        role = p.get("role") or ""
        key = f"{self.plan}/participant/{p.get('id')}"
        if role == "child":
            return self.entries[self.patient["reference"].removeprefix("urn:uuid:")]
        if role in FAMILY:
            code, display = FAMILY[role]
            return self.add(key, {
                "resourceType": "RelatedPerson", "patient": self.patient,
                "relationship": [{"coding": [_code(ROLE_CODE, code, display)],
                                  "text": role_label(role)}],
                "name": [{"text": name}],
                "communication": [{"language": language}] if p.get("language") else []})
        return self.add(key, {"resourceType": "Practitioner", "name": [{"text": name}],
                              "communication": [language] if p.get("language") else []})

    def _care_team(self) -> dict[str, Any]:
        v = self.v
        meeting = v.get("meeting") or {}
        members, absent = [], []
        for p in v.get("participants") or []:
            person = self._person(p)
            ref = self._ref(person, _text(p.get("name")))
            self.people[p["id"]] = ref
            org = self._organisation(p.get("organisation") or "", p.get("principal") or "")
            members.append({
                "role": [_concept(CODES + "role", p.get("role") or "",
                                  role_label(p.get("role") or ""))],
                "member": ref,
                "onBehalfOf": self._ref(org) if org and person["resourceType"] == "Practitioner"
                else None})
            if p.get("attendance") != "present":
                absent.append(_text(p.get("name")))
        chair = _text(meeting.get("chair"))
        if chair and not any(_text(p.get("name")) == chair and p.get("role") == "chair"
                             for p in v.get("participants") or []):
            person = self.add(f"{self.version}/chair", {"resourceType": "Practitioner",
                                                          "name": [{"text": chair}]})
            members.append({"role": [_concept(CODES + "role", "chair", role_label("chair"))],
                            "member": self._ref(person)})
        return self.add(f"{self.version}/care-team", {
            "resourceType": "CareTeam",
            "status": "active",
            "name": _("The team around %(child)s", child=_text(v.get("child_name"))),
            "subject": self.patient,
            "period": {"start": meeting.get("started_at") or meeting.get("starts_at") or ""},
            "participant": members,
            "note": [{"text": _labelled(_("Not present at the meeting"), ", ".join(absent))}]})

    # --- the plan's content -------------------------------------------------------------------

    def _goal(self, g: dict[str, Any]) -> dict[str, Any]:
        kind = g.get("kind") or ""
        return self.add(f"{self.plan}/goal/{g['id']}", {
            "resourceType": "Goal",
            "lifecycleStatus": "active",
            "category": [_concept(CODES + "goal-kind", kind, choice_label("goal", "kind", kind))]
            if kind else [],
            "description": {"text": _text(g.get("text"))},
            "subject": self.patient})

    def _activity(self, a: dict[str, Any], goals: dict[int, dict[str, Any]]) -> dict[str, Any]:
        by_id = {x["id"]: x for x in self.v.get("actions") or []}
        performers = []
        person = self.people.get(a.get("responsible_participant_id"))
        principal = a.get("principal") or ""
        if person:
            performers.append(person)
        elif _text(a.get("responsible_name") or a.get("responsible")):
            performers.append({"display": _text(a.get("responsible_name")
                                                or a.get("responsible"))})
        org = self._organisation(a.get("organisation") or "", principal)
        if org:
            performers.append(self._ref(org))
        elif principal in ("municipality", "region", "other"):
            performers.append(self._ref(self._principal(principal)))
        elif principal == "family" and not performers:
            performers.append({"display": principal_label("family")})
        detail: dict[str, Any] = {
            "kind": "Task",
            "status": ACTION_STATUS.get(a.get("status") or "", "unknown"),
            "description": _text(a.get("what")),
            "goal": [self._ref(goals[a["goal_id"]])] if a.get("goal_id") in goals else [],
            "performer": performers,
        }
        when_note = _text(a.get("when_note"))
        if a.get("due_date"):
            detail["scheduledPeriod"] = {"end": a["due_date"]}
        elif when_note:
            detail["scheduledString"] = when_note
            when_note = ""
        condition = next((c for c in self.v.get("accepted_conditions") or []
                          if c.get("action_id") == a["id"]), None)
        after = by_id.get(a.get("depends_on_id"))
        notes = [
            _("Decision by %(date)s", date=a["decision_date"]) if a.get("decision_date") else "",
            _("When: %(note)s", note=when_note) if when_note else "",
            _("Comes after: %(what)s", what=_text(after["what"])) if after else "",
            _labelled(field_label("action", "family_part"), a.get("family_part")),
            _condition_note(condition),
            _labelled(field_label("action", "condition_fallback"),
                      a.get("condition_fallback") or (condition or {}).get("fallback")),
            _labelled(field_label("action", "review_comment"), a.get("review_comment")),
            _labelled(field_label("action", "condition_review"), a.get("condition_review")),
        ]
        outcome = a.get("review_outcome") or ""
        return {
            "id": f"action-{a['id']}",
            "outcomeCodeableConcept": [_concept(
                CODES + "review-outcome", outcome,
                choice_label("action", "review_outcome", outcome))] if outcome else [],
            "progress": [{"text": n} for n in notes if n],
            "detail": detail,
        }

    def _consent(self, c: dict[str, Any]) -> dict[str, Any]:
        form = c.get("form") or ""
        withdrawn = bool(c.get("withdrawn_at"))
        given_by = next((ref for p in self.v.get("participants") or []
                         if _text(p.get("name")) == _text(c.get("given_by"))
                         for ref in [self.people.get(p["id"])] if ref), None)
        denials = []
        if _text(c.get("exclusions")):
            denials.append({"type": "deny", "code": [{"text": _text(c["exclusions"])}]})
        if withdrawn:
            denials.append({"type": "deny", "period": {"start": c["withdrawn_at"]},
                            "code": [{"text": _text(c.get("withdrawn_scope"))
                                      or _("All of the consent")}]})
        return self.add(f"{self.plan}/consent/{c['id']}", {
            "resourceType": "Consent",
            "text": {"status": "generated", "div": self._consent_narrative(c)},
            # A withdrawal of the whole consent ends it; one of a part is a denial below.
            "status": "inactive" if withdrawn and not _text(c.get("withdrawn_scope"))
            else "active",
            "scope": _concept("http://terminology.hl7.org/CodeSystem/consentscope",
                              "patient-privacy", "Privacy Consent"),
            "category": [_concept("http://loinc.org", "59284-0", "Patient Consent"),
                         _concept(CODES + "consent-form", form,
                                  choice_label("consent", "form", form)) if form else None],
            "patient": self.patient,
            "dateTime": c.get("given_at") or "",
            "performer": [given_by or {"display": _text(c.get("given_by"))}],
            "policyRule": {"coding": [_code("http://terminology.hl7.org/CodeSystem/v3-ActCode",
                                            "OPTIN", "opt-in")]},
            "provision": {
                "type": "permit",
                "period": _period(c.get("given_at") or "", c.get("valid_until") or ""),
                "actor": [{
                    "role": _concept("http://terminology.hl7.org/CodeSystem/v3-ParticipationType",
                                     "IRCP", "information recipient"),
                    "reference": {"display": _text(c.get("organisations"))},
                }] if _text(c.get("organisations")) else [],
                "code": [{"text": _text(c.get("information"))}],
                "provision": denials,
            },
        })

    @staticmethod
    def _consent_narrative(c: dict[str, Any]) -> str:
        rows = [(field_label("consent", name),
                 choice_label("consent", "form", c.get(name) or "") if name == "form"
                 else _text(c.get(name)))
                for name in ("given_by", "form", "given_at", "organisations", "information",
                             "exclusions", "valid_until", "withdrawn_at", "withdrawn_by",
                             "withdrawn_scope")]
        lines = "".join(f"<p>{escape(label)}: {escape(value)}</p>"
                        for label, value in rows if value)
        return f'<div xmlns="http://www.w3.org/1999/xhtml">{lines or "<p>-</p>"}</div>'

    def _followup(self, care_plan: dict[str, Any]) -> dict[str, Any] | None:
        s = self.v.get("sections") or {}
        day = s.get("followup_date") or ""
        if not day:
            return None
        convener = _text(s.get("followup_convener"))
        person = next((self.people[p["id"]] for p in self.v.get("participants") or []
                       if convener and _text(p.get("name")) == convener
                       and p["id"] in self.people), None)
        participants = [{"actor": self.patient, "status": "needs-action"}]
        if convener:
            participants.append({
                "type": [{"text": field_label("plan", "followup_convener")}],
                "actor": person or {"display": convener}, "status": "accepted"})
        # A day without a time: FHIR lets only a proposed appointment go without start and end.
        return self.add(f"{self.version}/follow-up", {
            "resourceType": "Appointment",
            "status": "proposed",
            "description": _labelled(section_title("followup"),
                                     _text(s.get("followup_form")) or day),
            "requestedPeriod": [{"start": day, "end": day}],
            "created": self.v["frozen_at"][:10],
            "supportingInformation": [self._ref(care_plan)],
            "participant": participants})


def _period(start: str, end: str) -> dict[str, str]:
    """Return a Period; an end before the start (a check set aside at the close) is left out,
    since FHIR forbids it: the day is still in the notes, the narrative or the appointment."""
    if start and end and end < start[:10]:
        end = ""
    return {"start": start, "end": end}


def _condition_note(condition: dict[str, Any] | None) -> str:
    """Say that an action hangs on a condition, quoting its conditional words if known."""
    if condition is None:
        return ""
    words = _text(condition.get("phrase"))
    return _("Hangs on a condition: “%(words)s”", words=words) if words \
        else _("Hangs on a condition")


def _display(resource: dict[str, Any]) -> str:
    """Return the name a reference shows: a person's or organisation's name, a plan's title."""
    names = resource.get("name")
    if isinstance(names, list) and names:
        return names[0].get("text", "")
    if isinstance(names, str):
        return names
    if resource.get("resourceType") == "Goal":
        return resource["description"].get("text", "")
    return resource.get("title") or ""
