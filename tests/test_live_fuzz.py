"""Every socket event answers every payload a client can send, and nothing raises on the server.

Each event of the `/live` namespace (found from LiveNamespace's `on_*` methods, so that a new
event is covered without touching this file) gets hundreds of generated payloads, sent both
from the chair's console and from an admitted participant in a live meeting. The answer must
be `{ok: true, …}` or a translated refusal; a handler that raised would leave no answer (the
test client swallows it) or answer `server_error` and log at ERROR level.

The rate limits are turned off here (they have their own tests): one socket sends far more
than a person could.
"""

from __future__ import annotations

import logging

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sip_meeting.events import LiveNamespace
from sip_meeting.fields import SCHEMA

EVENTS = sorted(name[3:] for name in dir(LiveNamespace)
                if name.startswith("on_") and name not in ("on_connect", "on_disconnect"))
EXAMPLES = {"sqlite": 150, "postgresql": 50}  # per event; each is sent by two sockets

# Most generated payloads are well-formed JSON of the protocol's keys with plausible or
# wrong-typed values, so that they reach the operations' own checks; some carry a value no
# handler may see (a huge integer, NaN, a lone surrogate, NUL, bytes) or are far too large.
FIELDS = sorted({name for fields in SCHEMA.values() for name in fields})
ENTITIES = ["plan", "meeting", "goal", "action", "consent"]
safe_text = st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\x00"),
                    max_size=30)
safe_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-3, max_value=8),
    st.integers(min_value=-(2**53 - 1), max_value=2**53 - 1),
    st.floats(allow_nan=False, allow_infinity=False), safe_text,
    st.sampled_from(ENTITIES + FIELDS + ["all", "", "2027-03-15", "yes", "LSS"]))
nasty_scalars = st.one_of(
    st.sampled_from([2**53, -(2**53), 2**63 - 1, 2**63, 2**64, -(2**63) - 1, 10**40,
                     float("nan"), float("inf"), float("-inf"),
                     "\ud800", "a\udfffb", "\x00", "op\x00id"]),
    st.integers(), st.text(st.characters(exclude_categories=()), min_size=1, max_size=10),
    st.binary(max_size=8))


def _json(leaves):
    return st.recursive(leaves, lambda inner: st.lists(inner, max_size=4)
                        | st.dictionaries(safe_text, inner, max_size=4), max_leaves=10)


safe_values = _json(safe_scalars)
any_values = _json(st.one_of(safe_scalars, nasty_scalars))
ids = st.one_of(st.integers(min_value=0, max_value=3), st.integers(min_value=-1, max_value=8))
PLAUSIBLE = {
    "entity": st.sampled_from(ENTITIES), "field": st.sampled_from(FIELDS),
    "id": ids, "item_id": ids | st.none(), "action_id": ids, "request_id": ids | st.none(),
    "participant_id": ids | st.just("all"), "position": ids, "step": ids,
    "start": st.integers(0, 30), "end": st.integers(0, 30), "base_version": ids,
    "base": safe_text, "value": safe_text | safe_scalars, "text": safe_text, "reason": safe_text,
    "word": safe_text, "term_id": st.none() | safe_text,
    "values": st.dictionaries(st.sampled_from(FIELDS), safe_scalars, max_size=4),
    "rule": st.sampled_from(["conditional", "action_who", "strengths", "nope"]),
    "answer": st.sampled_from(["yes", "partly", "no", "maybe"]),
    "spoken": st.booleans(), "named": st.booleans(), "on_wall": st.booleans(),
    "active": st.booleans(), "last_seq": ids | st.none() | st.integers(0, 60),
}
protocol = st.fixed_dictionaries(
    {"op_id": st.uuids().map(str) | safe_scalars},
    optional={key: st.one_of(plausible, plausible, safe_values)
              for key, plausible in PLAUSIBLE.items()})
PAIRS = [(entity, name) for entity, fields in SCHEMA.items() for name in fields]
complete = st.tuples(
    st.sampled_from(PAIRS),
    st.fixed_dictionaries({"op_id": st.uuids().map(str),
                           **{key: st.one_of(plausible, plausible, plausible, safe_scalars)
                              for key, plausible in PLAUSIBLE.items()},
                           # the rows the fixture made: plan, meeting, action and goal 1
                           "id": st.sampled_from([1, 1, 1, 2]),
                           "value": safe_text | safe_text | safe_scalars}),
).map(lambda pair: {**pair[1], "entity": pair[0][0], "field": pair[0][1]})
poisoned = st.fixed_dictionaries(
    {"op_id": st.uuids().map(str) | any_values},
    optional={key: st.one_of(plausible, any_values) for key, plausible in PLAUSIBLE.items()})


def _nested(depth: int) -> list:
    value: list = ["deep"]
    for _ in range(depth):
        value = [value]
    return value


huge = st.sampled_from([
    _nested(20),
    _nested(200),
    list(range(5000)),
    {f"k{i}": i for i in range(2000)},
    {"op_id": "w", "values": {"what": "x" * 200_000}},
])
payloads = st.one_of(complete, complete, complete, protocol, poisoned, any_values, huge)
# Most events carry one payload; a client may also send none, or several.
single = payloads.map(lambda p: (p,))
arguments = st.one_of(single, single, single, single, single, single,
                      st.just(()), st.tuples(payloads, payloads))


def _assert_answered(answer, who: str, event: str, args) -> None:
    assert isinstance(answer, dict), f"{who} {event}{args!r}: no answer ({answer!r})"
    assert isinstance(answer.get("ok"), bool), f"{who} {event}{args!r}: {answer!r}"
    if not answer["ok"]:
        assert isinstance(answer.get("message"), str) and answer["message"].strip(), answer
        assert isinstance(answer.get("code"), str), answer
        assert answer["code"] != "server_error", f"{who} {event}{args!r}: raised on the server"


@pytest.fixture
def meeting(app, live):
    """A live meeting with the chair's console and one admitted participant, no rate limits."""
    app.config.update(LIVE_EVENTS_PER_SECOND=0, LIVE_TYPING_PER_SECOND=0)
    live.start()
    live.sara = live.join()
    live.chair.op("add_item", entity="action", values={"what": "Ringa skolan om Alva"})
    live.chair.op("add_item", entity="goal", values={"text": "Alva trivs i skolan"})
    live.sara.op("ask_term", word="LSS", named=True)
    return live


def _readmit(live, answer, event) -> None:
    """Let the participant in again if a generated payload happened to dismiss them."""
    if event == "dismiss" and answer.get("ok"):
        live.chair.op("admit", participant_id=live.sara.participant_id)
        live.sara.received()


@pytest.mark.parametrize("event", EVENTS)
def test_every_event_answers_every_payload(event, meeting, database_url, caplog):
    kind = "postgresql" if database_url.startswith("postgresql") else "sqlite"
    caplog.set_level(logging.ERROR)
    if event == "answer_satisfaction":  # answered once the meeting has ended
        meeting.end()
    sent = 0

    @settings(max_examples=EXAMPLES[kind], deadline=None, database=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture,
                                     HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(args=arguments)
    def check(args):
        nonlocal sent
        for who, client in (("chair", meeting.chair), ("participant", meeting.sara)):
            answer = client.socket.emit(event, *args, namespace="/live", callback=True)
            _assert_answered(answer, who, event, args)
            errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
            assert not errors, f"{who} {event}{args!r}: {errors[0].getMessage()}"
            _readmit(meeting, answer, event)
            sent += 1
        for client in (meeting.chair, meeting.sara):
            client.received()

    check()
    print(f"{event}: {sent} payloads answered ({kind})")
    assert sent >= EXAMPLES[kind]


# The probe's findings, and their kin: shapes that reached the operations and raised there.
WRONG_SHAPES = [
    ("remove_item", {"op_id": "x", "entity": [1], "id": 1}),
    ("move_item", {"op_id": "x", "entity": {"a": 1}, "id": 1, "position": 0}),
    ("add_item", {"op_id": "x", "entity": ["action"], "values": {}}),
    ("edit", {"op_id": "x", "entity": ["plan"], "id": 1, "field": "strengths",
              "base_version": 0, "base": "", "value": "x"}),
    ("typing", {"entity": ["plan"], "id": 1, "field": {"f": 1}, "active": True}),
    ("override", {"op_id": "x", "rule": ["r"], "item_id": None, "reason": "x"}),
    ("admit", {"op_id": "x", "participant_id": True}),
    ("mark_spoken", {"op_id": "x", "participant_id": [2], "spoken": True}),
]
# Values no handler can store or encode: refused as `invalid` before any handler runs.
UNREADABLE = [
    ("edit", {"op_id": "x", "entity": "action", "id": 2**64, "field": "what",
              "base_version": 0, "base": "", "value": "x"}),
    ("remove_item", {"op_id": "x", "entity": "action", "id": 2**64}),
    ("move_item", {"op_id": "x", "entity": "goal", "id": 2**63, "position": 0}),
    ("edit", {"op_id": "x", "entity": "action", "id": 1, "field": "responsible_participant_id",
              "base_version": 0, "base": None, "value": 2**64}),
    ("admit", {"op_id": "x", "participant_id": 2**64}),
    ("dismiss", {"op_id": "x", "participant_id": -(2**64)}),
    ("show_term", {"op_id": "x", "request_id": 2**64, "on_wall": True}),
    ("split_condition", {"op_id": "x", "action_id": 2**64, "start": 0, "end": 1}),
    ("sync", {"last_seq": 2**64}),
    ("typing", {"entity": "plan", "id": 2**64, "field": "strengths", "active": True}),
    ("edit", {"op_id": "\ud800", "entity": "plan", "id": 1, "field": "strengths",
              "base_version": 0, "base": "", "value": "x"}),
    ("edit", {"op_id": "x", "entity": "plan", "id": 1, "field": "strengths",
              "base_version": 0, "base": "", "value": "Alva \ud800 läser"}),
    ("add_item", {"op_id": "x", "entity": "action", "values": {"what": "Ringa \udc00"}}),
    ("ask_term", {"op_id": "x", "word": "LSS\ud800", "named": False}),
    ("explain_term", {"op_id": "x", "request_id": None, "word": "LSS", "term_id": None,
                      "text": "Lagen \ud800"}),
    ("override", {"op_id": "x", "rule": "r", "item_id": None, "reason": "\udfff"}),
    ("edit", {"op_id": "x\x00", "entity": "plan", "id": 1, "field": "strengths",
              "base_version": 0, "base": "", "value": "x"}),
    ("ask_term", {"op_id": "x", "word": "L\x00SS", "named": False}),
    ("set_step", {"op_id": "x", "step": float("nan")}),
    ("set_step", {"op_id": "x", "step": float("inf")}),
    ("add_item", {"op_id": "x", "entity": "action", "values": {"what": b"bytes"}}),
    ("sync", _nested(40)),
    ("edit", {"op_id": "x", "values": list(range(100_000))}),
    ("edit", {"op_id": "x", "value": "x" * 200_000}),
]


def _no_errors_logged(caplog) -> None:
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []


def test_wrong_shapes_are_refused_by_the_operation(meeting, caplog):
    caplog.set_level(logging.ERROR)
    for event, payload in WRONG_SHAPES:
        for client in (meeting.chair, meeting.sara):
            answer = client.call(event, payload)
            assert answer is not None and answer["ok"] is False, (event, payload, answer)
            assert answer["code"] in ("invalid", "not_found", "forbidden"), (event, answer)
            assert answer["message"], (event, answer)
    _no_errors_logged(caplog)


def test_unreadable_payloads_are_refused_as_invalid(meeting, caplog):
    caplog.set_level(logging.ERROR)
    meeting.chair.received(), meeting.sara.received()
    for event, payload in UNREADABLE:
        for client in (meeting.chair, meeting.sara):
            answer = client.call(event, payload)
            assert answer == {"ok": False, "code": "invalid",
                              "message": "Ändringen gick inte att läsa. Ladda om sidan och "
                                         "försök igen."}, (event, payload)
    assert meeting.chair.received("typing") == [] and meeting.sara.received("op") == []
    _no_errors_logged(caplog)


def test_several_arguments_are_refused_not_dropped(meeting):
    answer = meeting.sara.socket.emit("sync", {"last_seq": None}, {"x": 1}, namespace="/live",
                                      callback=True)
    assert answer["ok"] is False and answer["code"] == "invalid"


def test_an_unexpected_failure_answers_server_error_and_logs_one_line(meeting, monkeypatch,
                                                                      caplog):
    from sip_meeting import plan_ops

    def broken(*args):
        raise RuntimeError("Sara Berg's secret")

    monkeypatch.setattr(plan_ops, "move_item", broken)
    caplog.set_level(logging.ERROR)
    answer = meeting.sara.op("move_item", entity="action", id=1, position=0)
    assert answer["ok"] is False and answer["code"] == "server_error"
    assert answer["message"] == "Något gick fel. Ladda om sidan och försök igen."
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1
    line = errors[0].getMessage()
    assert "move_item" in line and "RuntimeError" in line
    assert "Sara" not in line and "secret" not in line and errors[0].exc_info is None
    # The same socket goes on working.
    assert meeting.sara.call("sync", {"last_seq": None})["ok"] is True
