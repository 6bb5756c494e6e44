"""Forms for chair accounts and meeting setup; every message is translatable."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from flask_babel import format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    IntegerField,
    PasswordField,
    SelectField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    DataRequired,
    Email,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
    ValidationError,
)

from .models import FAMILY_ROLES
from .planning import STOCKHOLM, local_to_utc

ROLE_CHOICES = [
    SelectChoice("guardian", _l("Guardian")),
    SelectChoice("child", _l("Child or young person")),
    SelectChoice("relative", _l("Other relative")),
    SelectChoice("professional", _l("Professional")),
    SelectChoice("coordinator", _l("Coordinator")),
    SelectChoice("interpreter", _l("Interpreter")),
    SelectChoice("chair", _l("Chair or note-taker")),
    SelectChoice("observer", _l("Observer (reads only)")),
]
PRINCIPAL_CHOICES = [
    SelectChoice("family", _l("The family")),
    SelectChoice("municipality", _l("Municipality (social services, LSS, school)")),
    SelectChoice("region", _l("Region (healthcare, habilitation, child psychiatry)")),
    SelectChoice("other", _l("Other (for example the Social Insurance Agency)")),
]
LANGUAGE_CHOICES = [SelectChoice("sv", "Svenska"), SelectChoice("en", "English")]


class LoginForm(FlaskForm):
    """A chair's login."""

    email = EmailField(_l("Email"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)])


class PlanForm(FlaskForm):
    """A new plan for a child, who is named by a first name or an alias only."""

    child_name = StringField(
        _l("The child's first name or an alias"),
        description=_l("No surname and no personal identity number are needed."),
        validators=[DataRequired(), Length(max=60)],
    )


# A meeting can be dated from a year back (to record or correct one just held) to five years
# ahead (a follow-up is booked months ahead, never decades). Anything outside is a typing
# mistake, and a year such as 1 or 9999 has no room left for time zones or a meeting's end.
MEETING_DAYS_BACK = 365
MEETING_YEARS_AHEAD = 5


def meeting_date_range(today: date | None = None) -> tuple[date, date]:
    """Return the first and the last day a meeting may be held on, counted from today."""
    today = today or datetime.now(STOCKHOLM).date()
    first = today - timedelta(days=MEETING_DAYS_BACK)
    try:
        last = today.replace(year=today.year + MEETING_YEARS_AHEAD)
    except ValueError:  # 29 February, in a year that has none
        last = today.replace(year=today.year + MEETING_YEARS_AHEAD, day=28)
    return first, last


def meeting_date_in_range(_form, field) -> None:
    """Keep a meeting's date within `meeting_date_range`."""
    if field.data is None:
        return
    first, last = meeting_date_range()
    if not first <= field.data <= last:
        raise ValidationError(_("Choose a date between %(first)s and %(last)s.",
                                first=format_date(first, "long"),
                                last=format_date(last, "long")))


def meeting_date_not_past(form, field) -> None:
    """Refuse a start that has passed unless the chair says the meeting was already held.

    Registering a meeting held on paper is allowed, but only when asked for: a date in the
    past is otherwise a typing mistake that would leave the meeting off "Upcoming". An edit
    that keeps the start the meeting already has is not asked again.
    """
    if field.errors or field.data is None or form.time.data is None or form.held.data:
        return
    starts_at = local_to_utc(field.data, form.time.data)
    if starts_at == getattr(form, "current_start", None):
        return
    if starts_at < datetime.now(UTC):
        raise ValidationError(_("This time has already passed. Choose a later date or time, or "
                                "tick “%(held)s”.", held=form.held.label.text))


class MeetingForm(FlaskForm):
    """When, where and why a meeting is held.

    A view that edits a meeting sets ``current_start`` to its start, which may stay as it is
    even once it has passed.
    """

    date = DateField(_l("Date"), validators=[InputRequired(), meeting_date_in_range,
                                             meeting_date_not_past])
    time = TimeField(_l("Start time"), validators=[InputRequired()])
    held = BooleanField(
        _l("This meeting has already been held"),
        description=_l("Tick this only to register a meeting that took place earlier."),
    )
    duration_minutes = IntegerField(
        _l("Planned length in minutes"),
        default=90,
        validators=[DataRequired(), NumberRange(min=15, max=480)],
    )
    place = StringField(_l("Place"), validators=[Length(max=200)])
    video_link = StringField(
        _l("Video link"),
        validators=[
            Optional(),
            Length(max=500),
            Regexp(r"^https?://[^\s<>\"]+$", message=_l("Give a web address that starts with https://")),
        ],
    )
    purpose = TextAreaField(_l("Purpose of the meeting"), validators=[Length(max=2000)])
    questions = TextAreaField(
        _l("Questions the meeting is to answer"),
        description=_l("One question per line."),
        validators=[Length(max=4000)],
    )
    prepare = TextAreaField(_l("What to prepare"), validators=[Length(max=4000)])

    def validate_place(self, field) -> None:
        """Require somewhere to meet: a place, a video link or both."""
        if not (field.data or "").strip() and not (self.video_link.data or "").strip():
            raise ValidationError(_l("Give a place or a video link."))


class ParticipantForm(FlaskForm):
    """A person invited to a meeting."""

    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    organisation = StringField(_l("Organisation"), validators=[Optional(), Length(max=120)])
    role = SelectField(_l("Role in the meeting"), choices=ROLE_CHOICES)
    principal = SelectField(_l("Belongs to"), choices=PRINCIPAL_CHOICES)
    email = EmailField(
        _l("Email (optional)"),
        validators=[Optional(), Email(check_deliverability=False), Length(max=254)],
    )
    language = SelectField(_l("Preferred language"), choices=LANGUAGE_CHOICES)

    def validate_principal(self, field) -> None:
        """Keep the family's side and the organisations' side apart."""
        family_role = self.role.data in FAMILY_ROLES
        if family_role and field.data != "family":
            raise ValidationError(_l("A member of the family belongs to the family."))
        if not family_role and field.data == "family" and self.role.data != "interpreter":
            raise ValidationError(_l("Choose the organisation this person works for."))


class ConfirmForm(FlaskForm):
    """A button that changes something; carries only the CSRF token."""
