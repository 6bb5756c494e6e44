"""The verdict of a fault-injection run: what every device was told, against the database.

Definitions (each counted once per change, by op_id):

- acknowledged: the first answer to the op_id was `ok`; refused: it was `{ok: false, code}`;
  undrained: it never got an answer although the run waited for every outbox to empty.
- LOST, an acknowledged change that is not in the database and was not superseded by a
  later acknowledged change:
  * an answer with a `seq` whose op-log row is missing or holds another op_id;
  * a field: its version in the database is lower than an acknowledged version, or equal to
    the highest acknowledged one with another value, or higher with a value that no
    acknowledged change explains (neither an acknowledged edit nor a change that an
    acknowledged removal cascaded, as its `item_removed` op lists it in `changes` or, for a
    link, the removal of what it pointed to); a field of an item that is gone is superseded
    only if an acknowledged removal took the item;
  * an added item that is gone although no acknowledged removal took it;
  * a removed item that is still there.
- DUPLICATES: an op_id with more than one op-log row or broadcast under more than one seq,
  two answers to one op_id that disagree, or an item in the database that neither the seed
  nor any acknowledged add explains (an add applied twice).
- ids reused: two acknowledged adds answered with the same id.
- DIVERGENT: a device whose copy of the plan after catching up differs from the database
  (every field's value and version, every list's ids in order).

The checks run at every quiet moment of a run (the load paused, every outbox empty, every
device caught up) and at its end; a failure is counted once, however often it is seen.
- phantom ops: a device applied an op under a seq that the op log gives to another op_id.
- contiguous: the op log's seqs are exactly 1..the meeting's seq.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from sip_meeting import fields as F
from sip_meeting.models import Meeting, Operation

LISTS = ("goal", "action", "consent")
MAX_EXAMPLES = 8


@dataclass
class DbState:
    """The plan of one meeting as the database holds it, and the meeting's op log."""

    seq: int
    plan_id: int
    fields: dict[tuple[str, int, str], tuple[Any, int]]
    lists: dict[str, list[int]]
    ops: list[tuple[int | None, str, dict[str, Any]]]  # (seq, op_id, event) by row id
    position_ties: int


def read_database(url: str, meeting_id: int) -> DbState:
    """Read the meeting's plan and op log straight from the database."""
    engine = create_engine(url)
    try:
        with Session(engine) as session:
            meeting = session.get(Meeting, meeting_id)
            plan = meeting.plan
            fields: dict[tuple[str, int, str], tuple[Any, int]] = {}
            for name, v in F.versioned_values("plan", plan).items():
                fields[("plan", plan.id, name)] = (v["value"], v["version"])
            questions = F.versioned_values("meeting", meeting)["questions"]
            fields[("meeting", meeting.id, "questions")] = (questions["value"],
                                                           questions["version"])
            lists: dict[str, list[int]] = {}
            ties = 0
            for entity in LISTS:
                rows = sorted(getattr(plan, entity + "s"), key=lambda r: (r.position, r.id))
                ties += len(rows) - len({r.position for r in rows})
                lists[entity] = [r.id for r in rows]
                for row in rows:
                    for name, v in F.versioned_values(entity, row).items():
                        fields[(entity, row.id, name)] = (v["value"], v["version"])
            ops = [(seq, op_id, event) for seq, op_id, event in session.execute(
                select(Operation.seq, Operation.op_id, Operation.event)
                .where(Operation.meeting_id == meeting_id).order_by(Operation.id))]
            return DbState(meeting.seq, plan.id, fields, lists, ops, ties)
    finally:
        engine.dispose()


def state_of(snapshot: dict[str, Any]) -> tuple[dict, dict[str, list[int]]]:
    """The fields and lists of a snapshot, in the shape DbState keeps them."""
    fields = {}
    plan_id = snapshot["meeting"]["plan_id"]
    for name, v in snapshot["plan"]["fields"].items():
        fields[("plan", plan_id, name)] = (v["value"], v["version"])
    lists = {}
    for entity in LISTS:
        lists[entity] = [item["id"] for item in snapshot[entity + "s"]]
        for item in snapshot[entity + "s"]:
            for name, v in item["fields"].items():
                fields[(entity, item["id"], name)] = (v["value"], v["version"])
    return fields, lists


class Verdict:
    """The failures found, each once by what identifies it, over every look at the database."""

    KINDS = ("lost", "duplicates", "ids_reused", "divergent", "phantom_ops", "undrained", "seq")

    def __init__(self) -> None:
        self.found: dict[str, set[Any]] = {kind: set() for kind in self.KINDS}
        self.examples: dict[str, list[str]] = defaultdict(list)
        self.looks = 0

    def flag(self, kind: str, key: Any, text: str) -> None:
        if key in self.found[kind]:
            return
        self.found[kind].add(key)
        if len(self.examples[kind]) < MAX_EXAMPLES:
            self.examples[kind].append(text)

    def counts(self) -> dict[str, Any]:
        out: dict[str, Any] = {k: len(self.found[k]) for k in self.KINDS if k != "seq"}
        out["seq_contiguous"] = not self.found["seq"]
        out["looks"] = self.looks
        out["examples"] = {k: v for k, v in self.examples.items() if v}
        return out


def evaluate(records: list[Any], devices: list[Any], seed: dict[str, Any], db: DbState,
             verdict: Verdict, label: str, final: bool = True) -> dict[str, Any]:
    """Check one quiet moment (every outbox empty, every device caught up) into `verdict`.

    Returns the counts of what was sent and answered so far; the failures accumulate in
    `verdict`, each flagged once, so a change lost at one look and overwritten by the next is
    still counted. `final`: the run is over, so an unanswered change is undrained.
    """
    verdict.looks += 1

    def flag(kind: str, key: Any, text: str) -> None:
        verdict.flag(kind, key, f"[{label}] {text}")

    refused: Counter[str] = Counter()
    refused_as: Counter[str] = Counter()  # by event and code
    acked = [r for r in records if r.answer is not None and r.answer.get("ok")]
    for r in records:
        if r.answer is not None and not r.answer.get("ok"):
            refused[str(r.answer.get("code"))] += 1
            refused_as[f"{r.event}:{r.answer.get('code')}"] += 1
    undrained = [r for r in records if r.answer is None]
    if final:
        for r in undrained:
            flag("undrained", r.op_id, f"{r.op_id} {r.event} {_short(r.payload)} sent "
                                       f"{r.sends}x")

    # -- the op log ------------------------------------------------------------------------
    logged = [(seq, op_id, event) for seq, op_id, event in db.ops if seq is not None]
    seqs = sorted(seq for seq, _, _ in logged)
    if seqs != list(range(1, db.seq + 1)):
        missing = sorted(set(range(1, db.seq + 1)) - set(seqs))
        flag("seq", "seq", f"meeting seq {db.seq}, {len(seqs)} logged, missing {missing[:10]}, "
                           f"repeated {[s for s, n in Counter(seqs).items() if n > 1][:10]}")
    log_by_seq = {seq: op_id for seq, op_id, _ in logged}
    log_by_op: dict[str, list[int]] = defaultdict(list)
    for seq, op_id, _ in logged:
        log_by_op[op_id].append(seq)
    for op_id, found in log_by_op.items():
        if len(found) > 1:
            flag("duplicates", op_id, f"{op_id} logged under seqs {found}")

    seen: dict[str, set[int]] = defaultdict(set)
    for device in devices:
        with device.seen_lock:
            for op_id, found in device.seen.items():
                seen[op_id] |= found
    for op_id, found in seen.items():
        if len(found) > 1:
            flag("duplicates", op_id, f"{op_id} broadcast under seqs {sorted(found)}")

    for r in records:
        keys = {(a.get("ok"), a.get("seq"), a.get("id"), a.get("version"), a.get("code"))
                for a in r.answers}
        if len(keys) > 1:
            flag("duplicates", r.op_id, f"{r.op_id} answered differently: {r.answers}")

    for r in acked:
        seq = r.answer.get("seq")
        if seq is not None and log_by_seq.get(seq) != r.op_id:
            flag("lost", r.op_id, f"{r.op_id} acknowledged at seq {seq}, the log has "
                                  f"{log_by_seq.get(seq)!r} there")

    for device in devices:
        for seq, op_id in list(device.applied.items()):
            if log_by_seq.get(seq) != op_id:
                flag("phantom_ops", (device.n, seq), f"device {device.n} applied {op_id} as "
                                                     f"seq {seq}, the log has "
                                                     f"{log_by_seq.get(seq)!r}")

    # -- items -----------------------------------------------------------------------------
    present = {e: set(ids) for e, ids in db.lists.items()}
    removed_by: dict[tuple[str, int], str] = {}
    added_by: dict[tuple[str, int], list[str]] = defaultdict(list)
    for r in acked:
        p = r.payload
        if r.event == "remove_item":
            removed_by[(p["entity"], p["id"])] = r.op_id
        elif r.event == "add_item" and isinstance(r.answer.get("id"), int):
            added_by[(p["entity"], r.answer["id"])].append(r.op_id)
    for (entity, item_id), op_ids in added_by.items():
        if len(op_ids) > 1:
            flag("ids_reused", (entity, item_id), f"{entity} {item_id} given to {op_ids}")
        if item_id not in present[entity] and (entity, item_id) not in removed_by:
            for op_id in op_ids:
                flag("lost", op_id, f"added {entity} {item_id} ({op_id}) is gone, nobody "
                                    f"removed it")
    for (entity, item_id), op_id in removed_by.items():
        if item_id in present[entity]:
            flag("lost", op_id, f"removed {entity} {item_id} ({op_id}) is still there")
    seeded = {e: set(ids) for e, ids in seed["lists"].items()}
    for entity in LISTS:
        for item_id in present[entity] - seeded[entity]:
            if (entity, item_id) not in added_by:
                flag("duplicates", (entity, item_id),
                     f"{entity} {item_id} exists but no acknowledged add made it")

    # -- fields ----------------------------------------------------------------------------
    cascades: dict[tuple[str, int, str], dict[int, Any]] = defaultdict(dict)
    acked_ids = {r.op_id for r in acked}
    for _seq, op_id, event in logged:
        if event.get("kind") == "item_removed" and op_id in acked_ids:
            for change in event.get("changes") or []:
                key = (change.get("entity"), change.get("id"), change.get("field"))
                cascades[key][change.get("version")] = change.get("value")
    by_field: dict[tuple[str, int, str], list[Any]] = defaultdict(list)
    for r in acked:
        if r.event == "edit" and isinstance(r.answer.get("version"), int):
            by_field[r.key].append(r)
    for key, edits in by_field.items():
        entity, item_id, name = key
        if key not in db.fields:
            if entity in LISTS and (entity, item_id) in removed_by:
                continue  # superseded: an acknowledged removal took the item
            for r in edits:
                flag("lost", r.op_id, f"{key} acknowledged ({r.op_id}) but the item is gone "
                                      f"and no acknowledged removal took it")
            continue
        value, version = db.fields[key]
        versions: dict[int, set] = defaultdict(set)
        for r in edits:
            versions[r.answer["version"]].add(_hashable(r.answer.get("value")))
        top = max(versions)
        top_ops = [r.op_id for r in edits if r.answer["version"] == top]
        for r in edits:
            if r.answer["version"] > version:
                flag("lost", r.op_id, f"{key} acknowledged at version {r.answer['version']} "
                                      f"({r.op_id}), the database has version {version}")
        if len(versions[top]) > 1:
            problem = f"{key} version {top} acknowledged with {len(versions[top])} values"
        elif version == top and _hashable(value) not in versions[top]:
            problem = (f"{key} version {top}: acknowledged {next(iter(versions[top]))!r}, "
                       f"the database has {value!r}")
        elif version > top and not _explained(key, value, version, versions[top], cascades,
                                              removed_by):
            problem = (f"{key} acknowledged up to version {top} ({top_ops[0]}), the database "
                       f"has version {version} {value!r} that no acknowledged change explains")
        else:
            continue
        for op_id in top_ops:
            flag("lost", op_id, problem)

    # -- devices ---------------------------------------------------------------------------
    for device in devices:
        diffs = _differences(device, db)
        if diffs:
            flag("divergent", device.n, f"device {device.n} ({len(diffs)} differences): "
                                        + "; ".join(diffs[:3]))

    return {
        "sent": len([r for r in records if r.sends]),
        "sent_by_kind": dict(Counter(r.event for r in records)),
        "resends": sum(max(r.sends - 1, 0) for r in records),
        "acked": len(acked),
        "acked_by_kind": dict(Counter(r.event for r in acked)),
        "merged": sum(1 for r in acked if r.answer.get("merged")),
        "unchanged": sum(1 for r in acked if r.event == "edit" and "seq" not in r.answer),
        "resend_recognised": sum(1 for r in records if any(a.get("duplicate")
                                                           for a in r.answers)),
        "refused": dict(sorted(refused.items())),
        "refused_as": dict(refused_as.most_common()),
        "seq": db.seq,
        "position_ties": db.position_ties,
    }


def _explained(key: tuple[str, int, str], value: Any, version: int, acked_values: set,
               cascades: dict[tuple[str, int, str], dict[int, Any]],
               removed_by: dict[tuple[str, int], str]) -> bool:
    """Tell whether an acknowledged removal accounts for a field's newest version.

    Either the removal's op lists the change, or the field is a link that now points nowhere
    because the acknowledged removal took what it last pointed to.
    """
    entity, _, name = key
    if version in cascades.get(key, {}) and cascades[key][version] == value:
        return True
    field = F.SCHEMA.get(entity, {}).get(name)
    if field is not None and field.type == "ref" and value is None:
        return any((field.ref, target) in removed_by for target in acked_values)
    return False


def _differences(device: Any, db: DbState) -> list[str]:
    diffs = []
    for entity in LISTS:
        if device.lists[entity] != db.lists[entity]:
            diffs.append(f"{entity}s {device.lists[entity]} != {db.lists[entity]}")
    for key, stored in db.fields.items():
        mine = device.fields.get(key)
        if mine is None:
            diffs.append(f"{key} missing (database {stored!r})")
        elif (_hashable(mine[0]), mine[1]) != (_hashable(stored[0]), stored[1]):
            diffs.append(f"{key} {_cut(mine)} != database {_cut(stored)}")
    return diffs


def _hashable(value: Any) -> Any:
    return repr(value) if isinstance(value, (dict, list)) else value


def _cut(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _short(payload: dict[str, Any]) -> str:
    return _cut({k: v for k, v in payload.items() if k not in ("op_id", "base")})
