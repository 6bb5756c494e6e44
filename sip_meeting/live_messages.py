"""Translated messages for refusals in the live meeting."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from flask_babel import ngettext

from .labels import format_day


def error_message(key: str, **params: Any) -> str:
    """Return the message for a refusal, in the current locale."""
    messages = {
        "forbidden": lambda: _("You do not have access to this meeting any more. "
                               "Ask the chair for a new link."),
        "not_admitted": lambda: _("Wait until the chair lets you into the meeting."),
        "read_only": lambda: _("You can read the plan but not change it."),
        "chair_only": lambda: _("Only the chair can do that."),
        "not_found": lambda: _("That part of the plan no longer exists. It may have been "
                               "removed by someone else."),
        "removed": lambda: _("Someone removed this part of the plan before your change "
                             "arrived. Nothing was changed. Your text is kept under "
                             "“Not saved”."),
        "closed": lambda: _("The meeting has ended. The plan can no longer be changed."),
        "not_live": lambda: _("The meeting has not started yet. The plan can be changed "
                              "when the chair starts the meeting."),
        "conflict": lambda: _("Someone else changed this at the same time. "
                              "Compare the two texts and choose what to keep."),
        "bad_payload": lambda: _("The change could not be read. Reload the page and try again."),
        "bad_op_id": lambda: _("The change could not be read. Reload the page and try again."),
        "unknown_field": lambda: _("That field does not exist in the plan."),
        "not_text": lambda: _("Write text here."),
        "too_long": lambda: ngettext("The text is too long: at most %(num)d character.",
                                     "The text is too long: at most %(num)d characters.",
                                     params.get("max", 0)),
        "bad_choice": lambda: _("Choose one of the alternatives."),
        "bad_date": lambda: _("Write the date as year-month-day, for example 2027-03-15."),
        "date_range": lambda: _("Choose a date between %(first)s and %(last)s.",
                                first=format_day(params.get("first", "")),
                                last=format_day(params.get("last", ""))),
        "bad_ref": lambda: _("Choose someone or something that belongs to this plan."),
        "too_many_items": lambda: ngettext("The list is full: at most %(num)d item.",
                                           "The list is full: at most %(num)d items.",
                                           params.get("max", 0)),
        "bad_position": lambda: _("The item cannot be moved there."),
        "bad_step": lambda: _("The meeting order has no such step."),
        "already_closed": lambda: _("The meeting is already closed. Nothing was changed."),
        "close_blocked": lambda: ngettext(
            "The plan cannot be closed yet: %(num)d question must be answered first, or set "
            "aside with a reason.",
            "The plan cannot be closed yet: %(num)d questions must be answered first, or set "
            "aside with a reason.", params.get("n", 0)),
        "bad_override": lambda: _("Choose what to set aside and write a short reason."),
        "not_overridable": lambda: _("This cannot be set aside: a plan needs at least one "
                                     "action. If no plan is made, end the meeting without a "
                                     "plan and write why."),
        "nothing_to_override": lambda: _("This no longer stops the meeting from ending, so "
                                         "there is nothing to set aside."),
        "bad_no_plan": lambda: _("Write why no plan was made, in at most 500 characters."),
        "plan_has_actions": lambda: _("The plan has actions, so the meeting ends with the "
                                      "plan."),
        "bad_span": lambda: _("Mark the condition in the text of the action."),
        "bad_word": lambda: _("Choose a word from the plan, at most 80 characters."),
        "bad_explanation": lambda: _("Write the explanation, at most 1000 characters."),
        "bad_answer": lambda: _("Choose one of the answers."),
        "not_closed": lambda: _("You can answer when the meeting has ended."),
        "bad_status": lambda: _("The meeting cannot move to that state now."),
        "bad_participant": lambda: _("That person is not invited to this meeting."),
        "rate_limited": lambda: _("Too many changes in a short time. Wait a moment and "
                                  "try again."),
        "too_many_connections": lambda: _("The meeting is open in too many windows with your "
                                          "link. Close the other windows and reload this page "
                                          "in a minute."),
        "server_error": lambda: _("Something went wrong. Reload the page and try again."),
    }
    return messages.get(key, messages["bad_payload"])()
