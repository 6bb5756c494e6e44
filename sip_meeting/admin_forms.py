"""Forms of the administration pages and of the invitation to choose a password."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    IntegerField,
    PasswordField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    DataRequired,
    Email,
    EqualTo,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
    ValidationError,
)

from .forms import LANGUAGE_CHOICES

KIND_CHOICES = [
    SelectChoice("municipality", _l("Municipality")),
    SelectChoice("region", _l("Region")),
    SelectChoice("joint", _l("Joint installation of several organisations")),
]
# A password as the command line asks for it: at least 10 characters.
PASSWORD_MIN = 10
PASSWORD_MAX = 200
# Role values of the identity provider: one a line, each a group or role name.
ROLE_VALUES_MAX_LINES = 100
ROLE_VALUE_MAX = 200
# Hosts an identity provider may be reached on without TLS: the machine itself (tests).
LOCAL_HOSTS = ("127.0.0.1", "localhost")
CLAIM = Regexp(r"^[^\s]*$", message=_l("A claim name has no spaces."))


def role_values(text: str | None) -> list[str]:
    """Split the values granting a role, one a line, without blanks or repeats."""
    return list(dict.fromkeys(line.strip() for line in (text or "").splitlines() if line.strip()))


def issuer_problem(url: str) -> str | None:
    """Say what is wrong with an identity provider's address, or None when it is usable."""
    parts = urlsplit(url)
    if not parts.netloc or parts.username or parts.password or parts.query or parts.fragment:
        return _("Give the provider's address, such as https://login.example.se/realms/staff.")
    if parts.scheme == "https":
        return None
    if parts.scheme == "http" and parts.hostname in LOCAL_HOSTS:
        return None
    return _("The provider's address must start with https://.")


class SettingsForm(FlaskForm):
    """An organisation's name, kind, sign-in and retention."""

    name = StringField(_l("Name of the organisation"), validators=[DataRequired(),
                                                                   Length(max=120)])
    kind = SelectField(_l("Kind of organisation"), choices=KIND_CHOICES)
    local_login = BooleanField(
        _l("Allow sign-in with a password"),
        description=_l("Accounts with a password made here or on the command line. Switch it "
                       "off only once sign-in through the identity provider works."))
    oidc_issuer = StringField(
        _l("Identity provider's address (issuer)"),
        description=_l("Leave empty when the organisation has no identity provider."),
        validators=[Optional(), Length(max=500)])
    oidc_client_id = StringField(_l("Client id"), validators=[Length(max=200)])
    oidc_client_secret = PasswordField(
        _l("Client secret"),
        description=_l("Never shown again once saved. Leave empty to keep the secret "
                       "that is stored."),
        validators=[Length(max=500)])
    clear_secret = BooleanField(_l("Remove the stored client secret"))
    oidc_name_claim = StringField(_l("Claim with the person's name"),
                                  validators=[DataRequired(), Length(max=60), CLAIM])
    oidc_email_claim = StringField(_l("Claim with the email address"),
                                   validators=[DataRequired(), Length(max=60), CLAIM])
    oidc_id_claim = StringField(
        _l("Claim with the HSA-id or employee number"),
        description=_l("Optional. Leave empty if it is not needed."),
        validators=[Length(max=60), CLAIM])
    oidc_role_claim = StringField(_l("Claim with the person's groups or roles"),
                                  validators=[Length(max=60), CLAIM])
    oidc_admin_values = TextAreaField(
        _l("Groups that make someone an administrator"),
        description=_l("One group or role per line."), validators=[Length(max=4000)])
    oidc_chair_values = TextAreaField(
        _l("Groups that make someone a chair"),
        description=_l("One group or role per line. Someone in none of these groups cannot "
                       "sign in through the provider."), validators=[Length(max=4000)])
    retention_months = IntegerField(
        _l("Months a closed plan's personal data is kept"),
        description=_l("Counted from the plan's last meeting; from 1 to 120 months."),
        validators=[InputRequired(message=_l("Give a number of months from 1 to 120.")),
                    NumberRange(min=1, max=120,
                                message=_l("Give a number of months from 1 to 120."))])
    purge_unexported = BooleanField(
        _l("Also remove plans never exported"),
        description=_l("Otherwise a plan is kept until a version of it has been exported "
                       "for the organisation's records."))

    def validate_oidc_issuer(self, field) -> None:
        """Require https (or the machine itself) for the identity provider."""
        if field.data and (problem := issuer_problem(field.data.strip())):
            raise ValidationError(problem)

    def validate_oidc_client_id(self, field) -> None:
        """Require a client id with an address, and neither without the other."""
        has_issuer = bool((self.oidc_issuer.data or "").strip())
        if has_issuer and not (field.data or "").strip():
            raise ValidationError(_("Give the client id the provider gave this application."))
        if not has_issuer and (field.data or "").strip():
            raise ValidationError(_("Give the provider's address as well, or leave the "
                                    "client id empty."))

    def validate_oidc_admin_values(self, field) -> None:
        """Keep the list of groups short and each group name short."""
        _check_role_values(field)

    def validate_oidc_chair_values(self, field) -> None:
        """Keep the list of groups short and each group name short."""
        _check_role_values(field)


def _check_role_values(field) -> None:
    values = role_values(field.data)
    if len(values) > ROLE_VALUES_MAX_LINES:
        raise ValidationError(_("Give at most %(num)d groups.", num=ROLE_VALUES_MAX_LINES))
    if any(len(v) > ROLE_VALUE_MAX for v in values):
        raise ValidationError(_("A group name can be at most %(num)d characters long.",
                                num=ROLE_VALUE_MAX))


class RolesMixin:
    """The two roles of an account, at least one of them."""

    is_chair = BooleanField(_l("Chair"),
                            description=_l("Runs meetings and sees the plans they chair or "
                                           "that are shared with them."))
    is_admin = BooleanField(_l("Administrator"),
                            description=_l("Manages the organisation's settings and accounts. "
                                           "Sees no plans as such."))

    def validate_is_admin(self, field) -> None:
        """Refuse an account with no role."""
        if not field.data and not self.is_chair.data:
            raise ValidationError(_("Choose at least one role."))


class InviteForm(RolesMixin, FlaskForm):
    """A person to invite to the organisation."""

    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    email = EmailField(_l("Email"), validators=[
        DataRequired(), Email(check_deliverability=False,
                              message=_l("Give an email address, such as eva@example.se.")),
        Length(max=254)])
    language = SelectField(_l("Language of the invitation"), choices=LANGUAGE_CHOICES)


class RolesForm(RolesMixin, FlaskForm):
    """An account's roles."""


class ChairChoiceForm(FlaskForm):
    """One account of the organisation, chosen from a list the view fills."""

    chair_id = SelectField(_l("Colleague"), coerce=int,
                           validate_choice=True)

    def __init__(self, *args, choices=(), label=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.chair_id.choices = list(choices)
        if label is not None:
            self.chair_id.label.text = label


class PasswordForm(FlaskForm):
    """The password a person chooses when they accept an invitation."""

    password = PasswordField(_l("New password"), description=_l(
        "At least 10 characters. A few words you remember make a good password."),
        validators=[DataRequired(), Length(min=PASSWORD_MIN, max=PASSWORD_MAX, message=_l(
            "Use at least 10 characters (and at most 200)."))])
    repeat = PasswordField(_l("The same password again"), validators=[
        DataRequired(), EqualTo("password", message=_l("The two passwords are not the same."))])

