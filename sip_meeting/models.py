"""The persistent model: chairs, plans, meetings, participants and the plan's content.

A plan is the living SIP of one child; meetings revise it and each closed meeting freezes
it as a numbered version. Every field that can be edited live carries a version number in
the row's ``field_versions`` so concurrent edits can be detected field by field.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    event,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .db import Base, UTCDateTime, utcnow

ROLES = (
    "guardian", "child", "relative", "professional", "coordinator", "interpreter", "chair",
    "observer",
)
FAMILY_ROLES = ("guardian", "child", "relative")
PRINCIPALS = ("municipality", "region", "other", "family")
LEAD_PRINCIPALS = ("municipality", "region")
# What others than the municipality and the region do, when no action of theirs says it.
OTHERS_PART = ("none",)
MEETING_STATUSES = ("draft", "open", "live", "closed")
MEETING_KINDS = ("first", "followup")
ACTION_STATUSES = ("planned", "decided", "ongoing", "done", "cancelled")
GOAL_KINDS = ("long", "short")
CHILD_PARTICIPATION = ("present", "part", "heard_before", "views_brought", "not_taking_part")
CONSENT_FORMS = ("oral", "written")
ATTENDANCE = ("invited", "present", "absent")
REVIEW_OUTCOMES = ("done", "started", "not_started", "not_needed")
# An id that a client or a link has seen is never given to another row, on any database:
# SQLite reuses the largest id after a delete unless the table is AUTOINCREMENT, and a late
# edit addressed to a removed action must not land on a new one (docs/decisions/0013).
NEVER_REUSE_IDS = {"sqlite_autoincrement": True}
# The organisation every installation starts with (created by the migration that brought
# organisations); an account made without naming one belongs to it.
FIRST_ORGANISATION_ID = 1
ORGANISATION_KINDS = ("municipality", "region", "joint")


class Versioned:
    """Mixin for rows with live-editable fields, each with its own version."""

    field_versions: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)

    def version_of(self, field: str) -> int:
        """Return the current version of one field (0 before its first edit)."""
        return (self.field_versions or {}).get(field, 0)

    def bump_version(self, field: str) -> int:
        """Advance one field's version and return the new number."""
        versions = dict(self.field_versions or {})
        versions[field] = versions.get(field, 0) + 1
        self.field_versions = versions
        return versions[field]


class Organisation(Base):
    """A municipality, a region or a joint installation: it owns accounts, plans and settings.

    Nobody sees another organisation's plans (accounts.py). Its settings say how its staff
    sign in (local passwords and/or its OpenID Connect provider) and how long a closed plan's
    personal data is kept.
    """

    __tablename__ = "organisations"
    __table_args__ = NEVER_REUSE_IDS
    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(20), default="municipality")
    # Local password accounts; an administrator may switch them off once sign-in works.
    local_login: Mapped[bool] = mapped_column(Boolean, default=True)
    # OpenID Connect (authorization code flow with PKCE); empty issuer: not configured.
    oidc_issuer: Mapped[str] = mapped_column(String(500), default="")
    oidc_client_id: Mapped[str] = mapped_column(String(200), default="")
    oidc_client_secret: Mapped[str] = mapped_column(String(500), default="")
    oidc_name_claim: Mapped[str] = mapped_column(String(60), default="name")
    oidc_email_claim: Mapped[str] = mapped_column(String(60), default="email")
    # The claim with the person's HSA-id or employee number; empty: not read.
    oidc_id_claim: Mapped[str] = mapped_column(String(60), default="")
    # The claim listing the person's groups or roles, and which values grant which role
    # (one value per line); someone granted neither is refused.
    oidc_role_claim: Mapped[str] = mapped_column(String(60), default="groups")
    oidc_admin_values: Mapped[str] = mapped_column(Text, default="")
    oidc_chair_values: Mapped[str] = mapped_column(Text, default="")
    # Retention: a closed plan's personal data is purged this many months after its last
    # meeting, unless a chair extended it; and only once exported, unless this says otherwise.
    retention_months: Mapped[int] = mapped_column(Integer, default=24)
    purge_unexported: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Chair(Base):
    """An account of staff: a chair, an administrator of its organisation, or both.

    The table keeps its first name: chairs were the only kind of account.
    """

    __tablename__ = "chairs"
    __table_args__ = (UniqueConstraint("organisation_id", "oidc_subject"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id"), index=True, default=FIRST_ORGANISATION_ID)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(120), default="")
    # None for an account that signs in only through the organisation's identity provider.
    password_hash: Mapped[str | None] = mapped_column(String(255))
    # Runs meetings and sees the plans they chair or that are shared with them.
    is_chair: Mapped[bool] = mapped_column(Boolean, default=True)
    # Manages the organisation's settings and accounts; sees no plan content as such.
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    deactivated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The identity provider's stable subject ("sub"), once the person signed in through it.
    oidc_subject: Mapped[str | None] = mapped_column(String(255))
    hsa_id: Mapped[str] = mapped_column(String(64), default="")
    # An invitation to choose a password: the hash of its one-time token and its expiry.
    invite_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    invite_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    locale: Mapped[str | None] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    organisation: Mapped[Organisation] = relationship()
    plans: Mapped[list[Plan]] = relationship(back_populates="chair")

    @property
    def active(self) -> bool:
        """Tell whether the account may sign in and act."""
        return self.deactivated_at is None


class Plan(Versioned, Base):
    """The living SIP for one child, revised over meetings; identified by a first name or alias."""

    __tablename__ = "plans"
    __table_args__ = NEVER_REUSE_IDS
    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    # The chair responsible for the plan; colleagues it is shared with act as chairs too.
    chair_id: Mapped[int] = mapped_column(ForeignKey("chairs.id"), index=True)
    child_name: Mapped[str] = mapped_column(String(60))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closure_reason: Mapped[str] = mapped_column(Text, default="")
    situation_works: Mapped[str] = mapped_column(Text, default="")
    situation_difficult: Mapped[str] = mapped_column(Text, default="")
    child_voice: Mapped[str] = mapped_column(Text, default="")
    child_participation: Mapped[str] = mapped_column(String(20), default="")
    child_views_brought_by: Mapped[str] = mapped_column(String(200), default="")
    child_told_by: Mapped[str] = mapped_column(String(200), default="")
    strengths: Mapped[str] = mapped_column(Text, default="")
    lead_principal: Mapped[str] = mapped_column(String(20), default="")
    lead_person: Mapped[str] = mapped_column(String(200), default="")
    contact_between: Mapped[str] = mapped_column(Text, default="")
    followup_date: Mapped[date | None] = mapped_column(Date)
    followup_form: Mapped[str] = mapped_column(String(200), default="")
    followup_convener: Mapped[str] = mapped_column(String(200), default="")
    review_situation_change: Mapped[str] = mapped_column(Text, default="")
    # "none": the meeting recorded that no one but the municipality and the region has a part.
    others_part: Mapped[str] = mapped_column(String(10), default="")
    # Retention: a chair may keep a closed plan past the organisation's period, with a reason.
    retain_until: Mapped[date | None] = mapped_column(Date)
    retain_reason: Mapped[str] = mapped_column(Text, default="")
    # When the purge removed the plan's personal data; what remains are anonymous counts.
    purged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    chair: Mapped[Chair] = relationship(back_populates="plans")
    shares: Mapped[list[PlanShare]] = relationship(cascade="all, delete-orphan")
    meetings: Mapped[list[Meeting]] = relationship(
        back_populates="plan", order_by="Meeting.starts_at", cascade="all, delete-orphan"
    )
    goals: Mapped[list[Goal]] = relationship(
        order_by="Goal.position", cascade="all, delete-orphan"
    )
    actions: Mapped[list[Action]] = relationship(
        order_by="Action.position", cascade="all, delete-orphan",
        foreign_keys="Action.plan_id",
    )
    consents: Mapped[list[Consent]] = relationship(
        order_by="Consent.position", cascade="all, delete-orphan"
    )
    versions: Mapped[list[PlanVersion]] = relationship(
        order_by="PlanVersion.number", cascade="all, delete-orphan"
    )


class PlanVersion(Base):
    """An immutable snapshot of the plan taken when a meeting closes."""

    __tablename__ = "plan_versions"
    __table_args__ = (UniqueConstraint("plan_id", "number"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"), index=True)
    meeting_id: Mapped[int | None] = mapped_column(ForeignKey("meetings.id", ondelete="SET NULL"))
    number: Mapped[int] = mapped_column(Integer)
    snapshot: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The first time the version was exported (DOCX, JSON or FHIR) for record-keeping.
    exported_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class PlanShare(Base):
    """A plan shared with a colleague of the same organisation, who may then chair it."""

    __tablename__ = "plan_shares"
    __table_args__ = (UniqueConstraint("plan_id", "chair_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"), index=True)
    chair_id: Mapped[int] = mapped_column(ForeignKey("chairs.id", ondelete="CASCADE"),
                                          index=True)
    shared_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("chairs.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Meeting(Versioned, Base):
    """One SIP meeting of a plan: the first one or a follow-up."""

    __tablename__ = "meetings"
    __table_args__ = NEVER_REUSE_IDS
    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"), index=True)
    chair_id: Mapped[int] = mapped_column(ForeignKey("chairs.id"), index=True)
    kind: Mapped[str] = mapped_column(String(10), default="first")
    status: Mapped[str] = mapped_column(String(10), default="draft", index=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    duration_minutes: Mapped[int] = mapped_column(Integer, default=90)
    place: Mapped[str] = mapped_column(String(200), default="")
    video_link: Mapped[str] = mapped_column(String(500), default="")
    purpose: Mapped[str] = mapped_column(Text, default="")
    questions: Mapped[str] = mapped_column(Text, default="")
    prepare: Mapped[str] = mapped_column(Text, default="")
    step: Mapped[int] = mapped_column(Integer, default=0)
    seq: Mapped[int] = mapped_column(Integer, default=0)
    # Who has spoken in each step's round: {"<step index>": [participant ids]}.
    spoken: Mapped[dict[str, list[int]]] = mapped_column(JSON, default=dict)
    # The chair's overrides of blockers at close: [{"rule", "item_id", "reason", "by", "at"}].
    overrides: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    # "Are you satisfied with the meeting?": {"<participant id>": "yes" | "partly" | "no"}.
    satisfaction: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    # Why the meeting ended without a plan ("no plan made"); such a meeting froze no version.
    no_plan_reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    plan: Mapped[Plan] = relationship(back_populates="meetings")
    chair: Mapped[Chair] = relationship()
    participants: Mapped[list[Participant]] = relationship(
        back_populates="meeting", order_by="Participant.position", cascade="all, delete-orphan"
    )


class Participant(Base):
    """A person invited to one meeting, reached through a personal join link."""

    __tablename__ = "participants"
    __table_args__ = NEVER_REUSE_IDS
    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(
        ForeignKey("meetings.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(120))
    organisation: Mapped[str] = mapped_column(String(120), default="")
    role: Mapped[str] = mapped_column(String(20))
    principal: Mapped[str] = mapped_column(String(20))
    email: Mapped[str] = mapped_column(String(254), default="")
    language: Mapped[str] = mapped_column(String(8), default="sv")
    position: Mapped[int] = mapped_column(Integer, default=0)
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    token_issued_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    token_revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    admitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attendance: Mapped[str] = mapped_column(String(10), default="invited")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The person asked to be erased: name replaced, contact details and link removed.
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    meeting: Mapped[Meeting] = relationship(back_populates="participants")

    @property
    def is_family(self) -> bool:
        """Tell whether this person belongs to the child's family."""
        return self.role in FAMILY_ROLES


class Goal(Versioned, Base):
    """A long- or short-term goal of the plan."""

    __tablename__ = "goals"
    __table_args__ = NEVER_REUSE_IDS
    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(10), default="short")
    text: Mapped[str] = mapped_column(Text, default="")
    position: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Action(Versioned, Base):
    """One action of the plan: what is done, by whom, by when."""

    __tablename__ = "actions"
    __table_args__ = NEVER_REUSE_IDS
    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"), index=True)
    what: Mapped[str] = mapped_column(Text, default="")
    responsible_participant_id: Mapped[int | None] = mapped_column(
        ForeignKey("participants.id", ondelete="SET NULL")
    )
    responsible: Mapped[str] = mapped_column(String(200), default="")
    organisation: Mapped[str] = mapped_column(String(120), default="")
    principal: Mapped[str] = mapped_column(String(20), default="")
    due_date: Mapped[date | None] = mapped_column(Date)
    decision_date: Mapped[date | None] = mapped_column(Date)
    when_note: Mapped[str] = mapped_column(String(200), default="")
    status: Mapped[str] = mapped_column(String(10), default="planned")
    goal_id: Mapped[int | None] = mapped_column(ForeignKey("goals.id", ondelete="SET NULL"))
    depends_on_id: Mapped[int | None] = mapped_column(
        ForeignKey("actions.id", ondelete="SET NULL")
    )
    family_part: Mapped[str] = mapped_column(Text, default="")
    condition_fallback: Mapped[str] = mapped_column(Text, default="")
    review_outcome: Mapped[str] = mapped_column(String(12), default="")
    review_comment: Mapped[str] = mapped_column(Text, default="")
    condition_review: Mapped[str] = mapped_column(Text, default="")
    # The number of the first frozen plan version that held this action; None while it is new.
    first_version: Mapped[int | None] = mapped_column(Integer)
    position: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    responsible_participant: Mapped[Participant | None] = relationship()


class Consent(Versioned, Base):
    """A recorded consent to share information between organisations."""

    __tablename__ = "consents"
    __table_args__ = NEVER_REUSE_IDS
    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"), index=True)
    given_by: Mapped[str] = mapped_column(String(200), default="")
    form: Mapped[str] = mapped_column(String(10), default="")
    given_at: Mapped[date | None] = mapped_column(Date)
    organisations: Mapped[str] = mapped_column(Text, default="")
    information: Mapped[str] = mapped_column(Text, default="")
    exclusions: Mapped[str] = mapped_column(Text, default="")
    valid_until: Mapped[date | None] = mapped_column(Date)
    # A withdrawal: when, by whom and what it covers ("" for the whole consent).
    withdrawn_at: Mapped[date | None] = mapped_column(Date)
    withdrawn_by: Mapped[str] = mapped_column(String(200), default="")
    withdrawn_scope: Mapped[str] = mapped_column(Text, default="")
    position: Mapped[int] = mapped_column(Integer, default=0)


class AuditEvent(Base):
    """Who changed what, when, with the value before and after.

    One person's edits of one field in quick succession are one entry (planning.audit), so
    typing does not grow the trail by a row per pause.
    """

    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events_entity", "entity", "entity_id", "field", "id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int | None] = mapped_column(
        ForeignKey("plans.id", ondelete="CASCADE"), index=True
    )
    meeting_id: Mapped[int | None] = mapped_column(
        ForeignKey("meetings.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor_kind: Mapped[str] = mapped_column(String(12))  # chair, participant or system
    actor_id: Mapped[int | None] = mapped_column(Integer)
    actor_name: Mapped[str] = mapped_column(String(120), default="")
    entity: Mapped[str] = mapped_column(String(20))
    entity_id: Mapped[int | None] = mapped_column(Integer)
    field: Mapped[str] = mapped_column(String(40), default="")
    before: Mapped[Any] = mapped_column(JSON, nullable=True)
    after: Mapped[Any] = mapped_column(JSON, nullable=True)


class AdminEvent(Base):
    """An administrative action in an organisation: who did what to which account or plan.

    It names accounts and plan numbers, never plan content.
    """

    __tablename__ = "admin_events"
    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("chairs.id", ondelete="SET NULL"))
    actor_name: Mapped[str] = mapped_column(String(120), default="")
    action: Mapped[str] = mapped_column(String(40))
    target: Mapped[str] = mapped_column(String(120), default="")
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class Operation(Base):
    """A live operation applied to a meeting, kept for de-duplication and catch-up."""

    __tablename__ = "operations"
    __table_args__ = (
        UniqueConstraint("meeting_id", "seq"),
        UniqueConstraint("meeting_id", "op_id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"))
    # None for an operation that changed nothing: its answer is kept so that a resend gets
    # the same answer, but it takes no place in the meeting's sequence.
    seq: Mapped[int | None] = mapped_column(Integer)
    op_id: Mapped[str] = mapped_column(String(64))
    participant_id: Mapped[int | None] = mapped_column(Integer)
    event: Mapped[dict[str, Any]] = mapped_column(JSON)
    result: Mapped[dict[str, Any]] = mapped_column(JSON)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class TermRequest(Base):
    """A participant's "what does this word mean here?", shown to the chair."""

    __tablename__ = "term_requests"
    __table_args__ = NEVER_REUSE_IDS
    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(
        ForeignKey("meetings.id", ondelete="CASCADE"), index=True
    )
    word: Mapped[str] = mapped_column(String(80))
    term_id: Mapped[str | None] = mapped_column(String(60))
    # Only kept when the person asking wants to be named.
    asked_by: Mapped[str | None] = mapped_column(String(120))
    status: Mapped[str] = mapped_column(String(10), default="open")  # open, answered, dismissed
    on_wall: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class TermExplanation(Base):
    """What a word means in this plan, agreed in a meeting and kept with the plan."""

    __tablename__ = "term_explanations"
    __table_args__ = NEVER_REUSE_IDS
    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"), index=True)
    meeting_id: Mapped[int | None] = mapped_column(
        ForeignKey("meetings.id", ondelete="SET NULL")
    )
    word: Mapped[str] = mapped_column(String(80))
    term_id: Mapped[str | None] = mapped_column(String(60))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Delivery(Base):
    """The plan sent by email to one participant after a meeting closed."""

    __tablename__ = "deliveries"
    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(
        ForeignKey("meetings.id", ondelete="CASCADE"), index=True
    )
    participant_id: Mapped[int | None] = mapped_column(
        ForeignKey("participants.id", ondelete="SET NULL")
    )
    status: Mapped[str] = mapped_column(String(10), default="pending")  # pending, sent, failed
    error: Mapped[str] = mapped_column(Text, default="")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ReminderSent(Base):
    """One reminder sent, so the same reminder never goes out twice on the same day."""

    __tablename__ = "reminders_sent"
    __table_args__ = (UniqueConstraint("kind", "subject_id", "recipient", "day"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))  # "action" or "chair_summary"
    subject_id: Mapped[int] = mapped_column(Integer)  # the action's or the chair's id
    recipient: Mapped[str] = mapped_column(String(254))
    day: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class BrowserSession(Base):
    """A signed-in browser, kept on the server so that logging out ends it everywhere.

    The cookie carries only a long random key; its hash is stored here. A chair's login and
    the join links a browser opened (as the hash of each meeting's token) live in this row,
    never in the cookie.
    """

    __tablename__ = "browser_sessions"
    # Sockets are recorded with their session's id: a new session must not take an old one's.
    __table_args__ = NEVER_REUSE_IDS
    id: Mapped[int] = mapped_column(primary_key=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    chair_id: Mapped[int | None] = mapped_column(
        ForeignKey("chairs.id", ondelete="CASCADE"), index=True
    )
    # {"<meeting id>": "<hash of the join token>"}
    tokens: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class LiveServer(Base):
    """A running server process, alive while it keeps writing `seen_at` (presence)."""

    __tablename__ = "live_servers"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class LiveConnection(Base):
    """One open live socket: who it is, in which meeting, held by which server process.

    Presence is read from these rows; a process that died leaves rows that go with it once
    its `seen_at` is stale, and revoking someone disconnects the sockets listed here.
    """

    __tablename__ = "live_connections"
    sid: Mapped[str] = mapped_column(String(64), primary_key=True)
    server_id: Mapped[str] = mapped_column(
        ForeignKey("live_servers.id", ondelete="CASCADE"), index=True
    )
    meeting_id: Mapped[int] = mapped_column(
        ForeignKey("meetings.id", ondelete="CASCADE"), index=True
    )
    participant_id: Mapped[int | None] = mapped_column(
        ForeignKey("participants.id", ondelete="CASCADE"), index=True
    )
    chair_id: Mapped[int | None] = mapped_column(Integer)
    browser_session_id: Mapped[int | None] = mapped_column(Integer, index=True)
    connected_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


@event.listens_for(Plan, "before_insert")
def _plan_belongs_to_its_chairs_organisation(mapper, connection, plan: Plan) -> None:
    """A plan made without naming an organisation belongs to its chair's."""
    del mapper, connection
    if plan.organisation_id is None and plan.chair is not None:
        plan.organisation_id = plan.chair.organisation_id or FIRST_ORGANISATION_ID
