"""Comparing two plan versions: what a reader of the comparison is told changed."""

from __future__ import annotations

import copy

import pytest

from sip_meeting.diff import diff_versions, word_diff

SITUATION = "Alva trivs i klassen och har två nära vänner. Raster är svåra när det är stökigt."


def version(number: int = 1, **changes) -> dict:
    """Build a small frozen version, the way versions.py writes it."""
    snap = {
        "format": "sip-meeting/plan-version/1", "plan_id": 1, "version": number,
        "sections": {"situation_works": SITUATION, "lead_principal": "municipality",
                     "lead_person": "Anna Berg", "followup_date": "2030-05-01",
                     "strengths": ""},
        "goals": [{"id": 1, "kind": "long", "text": "Alva går i skolan varje dag."},
                  {"id": 2, "kind": "short", "text": "Alva äter lunch i matsalen."}],
        "actions": [
            {"id": 10, "what": "Skolan ordnar en lugn plats på rasten",
             "responsible_participant_id": 5, "responsible": "", "responsible_name": "Karin Ek",
             "principal": "municipality", "due_date": "2030-02-01", "status": "planned",
             "goal_id": 1, "depends_on_id": None, "condition_fallback": ""},
            {"id": 11, "what": "BUP gör en utredning", "responsible_participant_id": None,
             "responsible": "Per Ahl", "responsible_name": "Per Ahl", "principal": "region",
             "due_date": "", "status": "decided", "goal_id": None, "depends_on_id": 10,
             "condition_fallback": ""},
        ],
        "consents": [{"id": 3, "given_by": "Sara Berg", "form": "oral",
                      "organisations": "Skolan, BUP", "given_at": "2030-01-10"}],
        "accepted_conditions": [],
        "explanations": [{"word": "insats", "term_id": "insats", "text": "Stöd från skolan."}],
    }
    for path, value in changes.items():
        _set(snap, path, value)
    return snap


def _set(snap: dict, path: str, value) -> None:
    """Set a value by a path like "actions.0.status" (a value of ... deletes the item)."""
    *parents, last = path.split(".")
    target = snap
    for part in parents:
        target = target[int(part)] if part.isdigit() else target[part]
    key = int(last) if last.isdigit() else last
    if value is ...:
        del target[key]
    else:
        target[key] = value


def test_identical_versions_are_unchanged():
    result = diff_versions(version(1), version(2))
    assert result["unchanged"] is True
    assert (result["old_version"], result["new_version"]) == (1, 2)
    assert result["sections"] == []


@pytest.mark.parametrize("path,value,field,before,after", [
    ("sections.lead_principal", "region", "lead_principal", "municipality", "region"),
    ("sections.strengths", "Alva är nyfiken.", "strengths", "", "Alva är nyfiken."),
    ("sections.followup_date", None, "followup_date", "2030-05-01", ""),
    ("sections.lead_person", "Anna Lind", "lead_person", "Anna Berg", "Anna Lind"),
])
def test_section_field_changes_show_before_and_after(path, value, field, before, after):
    result = diff_versions(version(1), version(2, **{path: value}))
    assert [(c["field"], c["before"], c["after"]) for c in result["sections"]] == \
        [(field, before, after)]
    assert result["unchanged"] is False


def test_missing_and_empty_values_are_the_same():
    old = version(1, **{"sections.strengths": None})
    new = version(2, **{"sections.strengths": ...})
    assert diff_versions(old, new)["sections"] == []


@pytest.mark.parametrize("collection,path,value,expected", [
    ("goals", "goals", [{"id": 1, "kind": "long", "text": "Alva går i skolan varje dag."}],
     {"added": [], "removed": [2], "changed": []}),
    ("goals", "goals.1.text", "Alva äter lunch med en vän.",
     {"added": [], "removed": [], "changed": [2]}),
    ("consents", "consents.0.organisations", "Skolan, BUP, habiliteringen",
     {"added": [], "removed": [], "changed": [3]}),
    ("consents", "consents", [], {"added": [], "removed": [3], "changed": []}),
])
def test_items_are_matched_by_id(collection, path, value, expected):
    result = diff_versions(version(1), version(2, **{path: value}))[collection]
    assert {k: [item["id"] for item in v] for k, v in result.items()} == expected


def test_added_action_is_reported_with_its_fields():
    new = version(2)
    new["actions"].append({"id": 12, "what": "Mamma ringer rektorn", "status": "planned",
                           "responsible_name": "Sara Berg", "goal_id": 2})
    actions = diff_versions(version(1), new)["actions"]
    assert [a["what"] for a in actions["added"]] == ["Mamma ringer rektorn"]
    assert actions["removed"] == actions["changed"] == actions["status_changes"] == []


def test_status_change_is_called_out_apart_from_other_fields():
    new = version(2, **{"actions.0.status": "done", "actions.0.due_date": "2030-03-01"})
    actions = diff_versions(version(1), new)["actions"]
    assert actions["status_changes"] == [{"id": 10, "name": "Skolan ordnar en lugn plats på rasten",
                                          "before": "planned", "after": "done"}]
    (change,) = actions["changed"]
    assert change["status"] == {"before": "planned", "after": "done"}
    assert [f["field"] for f in change["fields"]] == ["due_date"]


def test_action_named_by_its_new_what_when_renamed():
    new = version(2, **{"actions.1.what": "BUP gör en neuropsykiatrisk utredning"})
    (change,) = diff_versions(version(1), new)["actions"]["changed"]
    assert change["name"] == "BUP gör en neuropsykiatrisk utredning"
    assert change["status"] is None
    assert [(f["field"], f["before"]) for f in change["fields"]] == \
        [("what", "BUP gör en utredning")]


@pytest.mark.parametrize("path,value,field,before,after", [
    # A new participant row for the same person is not a change; another person is.
    ("actions.0.responsible_participant_id", 9, None, None, None),
    ("actions.0.responsible_name", "Lars Ek", "responsible_name", "Karin Ek", "Lars Ek"),
    # References are shown by what they point to.
    ("actions.0.goal_id", 2, "goal_id", "Alva går i skolan varje dag.",
     "Alva äter lunch i matsalen."),
    ("actions.1.depends_on_id", None, "depends_on_id", "Skolan ordnar en lugn plats på rasten",
     ""),
])
def test_action_people_and_references_are_compared_by_name(path, value, field, before, after):
    changed = diff_versions(version(1), version(2, **{path: value}))["actions"]["changed"]
    found = [(f["field"], f["before"], f["after"]) for c in changed for f in c["fields"]]
    assert found == ([] if field is None else [(field, before, after)])


def test_accepted_conditions_added_and_removed():
    condition = {"action_id": 11, "what": "Om hen kommer", "phrase": "Om",
                 "fallback": "Skolan hämtar."}
    old = version(1, accepted_conditions=[condition])
    new = version(2, accepted_conditions=[{**condition, "action_id": 10}])
    result = diff_versions(old, new)["accepted_conditions"]
    assert [c["action_id"] for c in result["added"]] == [10]
    assert [c["action_id"] for c in result["removed"]] == [11]


def test_explanations_added():
    new = version(2)
    new["explanations"].append({"word": "närstående", "term_id": None, "text": "Mormor."})
    result = diff_versions(version(1), new)
    assert [e["word"] for e in result["explanations"]["added"]] == ["närstående"]
    assert result["explanations"]["removed"] == []
    assert result["unchanged"] is False


def test_inputs_are_not_changed():
    old, new = version(1), version(2, **{"actions.0.goal_id": 2})
    kept = copy.deepcopy((old, new))
    diff_versions(old, new)
    assert (old, new) == kept


def _text(segments, ops) -> str:
    return "".join(s["text"] for s in segments if s["op"] in ops)


@pytest.mark.parametrize("after,deleted,inserted", [
    (SITUATION.replace("två nära", "tre nära"), ["två "], ["tre "]),
    (SITUATION.replace(" när det är stökigt", ""), ["när det är stökigt"], []),
    (SITUATION + " Hen vill spela fotboll.", [], ["Hen vill spela fotboll."]),
])
def test_long_text_gets_an_inline_word_diff(after, deleted, inserted):
    segments = word_diff(SITUATION, after)
    assert [s["text"].strip() for s in segments if s["op"] == "delete"] == \
        [d.strip() for d in deleted]
    assert [s["text"].strip() for s in segments if s["op"] == "insert"] == \
        [i.strip() for i in inserted]
    assert _text(segments, {"equal", "insert"}).split() == after.split()
    assert _text(segments, {"equal", "delete"}).split() == SITUATION.split()


@pytest.mark.parametrize("before,after", [
    ("planned", "done"),  # a choice: translated by the page, never split
    ("Kort text", "Annan kort text"),
    ("", SITUATION),  # new text: nothing to compare with
    (None, SITUATION),
    (SITUATION, "Allt är annorlunda nu, vi skriver om hela stycket från början."),
])
def test_short_or_new_texts_get_no_word_diff(before, after):
    assert word_diff(before, after) is None


def test_section_text_change_carries_its_word_diff():
    new = version(2, **{"sections.situation_works": SITUATION.replace("två", "tre")})
    (change,) = diff_versions(version(1), new)["sections"]
    assert {"op": "delete", "text": "två"} in change["words"]
    assert {"op": "insert", "text": "tre"} in change["words"]


def test_word_diff_keeps_line_breaks_and_punctuation_apart():
    before = "Alva trivs i klassen.\nRaster är svåra när det är stökigt."
    after = "Alva trivs i klassen.\nRaster är svåra."
    segments = word_diff(before, after)
    assert segments == [{"op": "equal", "text": "Alva trivs i klassen.\nRaster är svåra"},
                        {"op": "delete", "text": " när det är stökigt"},
                        {"op": "equal", "text": "."}]
