"""Every text the live meeting pages show, translated for the reader.

The pages build their interface in the browser, so they receive their texts as one mapping.
Placeholders are named (``%(name)s``); the page fills them in and never glues fragments.
"""

from __future__ import annotations

from flask_babel import get_translations
from flask_babel import gettext as _


def ngettext(singular: str, plural: str, n: int) -> str:
    """Return the catalogue's form of a text for the count n, its placeholders left for the page.

    The page picks "<key>.one" or "<key>.other" for its count and fills in %(n)s itself.
    """
    return get_translations().ngettext(singular, plural, n)


def _counted(key: str, forms: dict[int, str]) -> dict[str, str]:
    return {f"{key}.one": forms[1], f"{key}.other": forms[2]}


def live_strings() -> dict[str, str]:
    """Return the live pages' texts in the current locale; call inside a request."""
    return {
        **_field_labels(),
        **_choice_labels(),
        **_section_titles(),
        **_status_texts(),
        **_meeting_texts(),
        **_plan_texts(),
        **_console_texts(),
        **_simple_texts(),
        **_room_texts(),
    }


def _field_labels() -> dict[str, str]:
    return {
        "f.meeting.questions": _("Questions the meeting is to answer"),
        "f.plan.situation_works": _("What works well"),
        "f.plan.situation_difficult": _("What is difficult"),
        "f.plan.child_voice": _("The child's own words"),
        "f.plan.child_participation": _("How the child takes part"),
        "f.plan.child_views_brought_by": _("Who brings the child's views to the meeting"),
        "f.plan.child_told_by": _("Who tells the child what the meeting decided"),
        "f.plan.strengths": _("Strengths"),
        "f.plan.lead_principal": _("Principal with the overall responsibility"),
        "f.plan.lead_person": _("Person who follows the plan"),
        "f.plan.contact_between": _("Whom to contact between meetings"),
        "f.plan.followup_date": _("Date of the follow-up"),
        "f.plan.followup_form": _("Form of the follow-up"),
        "f.plan.followup_convener": _("Who calls the follow-up meeting"),
        "f.goal.kind": _("Kind of goal"),
        "f.goal.text": _("Goal"),
        "f.action.what": _("What is done"),
        "f.action.responsible_participant_id": _("Responsible person"),
        "f.action.responsible": _("Responsible person, if not in the meeting"),
        "f.action.organisation": _("Organisation"),
        "f.action.principal": _("Responsible principal"),
        "f.action.due_date": _("Done by"),
        "f.action.decision_date": _("Decision given by"),
        "f.action.when_note": _("When or how often"),
        "f.action.status": _("Status"),
        "f.action.goal_id": _("Goal it serves"),
        "f.action.depends_on_id": _("Waits for action"),
        "f.action.family_part": _("What the child or the family does"),
        "f.action.condition_fallback": _("If it does not happen: what then?"),
        "f.consent.given_by": _("Given by"),
        "f.consent.form": _("Form of consent"),
        "f.consent.given_at": _("Given on"),
        "f.consent.organisations": _("Organisations that may share information"),
        "f.consent.information": _("Which information"),
        "f.consent.exclusions": _("Exceptions"),
        "f.consent.valid_until": _("Valid until"),
        "f.consent.withdrawn_at": _("Withdrawn on"),
        "f.consent.withdrawn_by": _("Withdrawn by"),
        "f.consent.withdrawn_scope": _("What the withdrawal covers"),
        "f.plan.others_part": _("What others than the municipality and the region do"),
    }


def _choice_labels() -> dict[str, str]:
    municipality, region = _("Municipality"), _("Region")
    return {
        "choice.none": _("Not chosen"),
        "ref.none": _("None"),
        "c.action.status.planned": _("Planned"),
        "c.action.status.decided": _("Decided"),
        "c.action.status.ongoing": _("Ongoing"),
        "c.action.status.done": _("Done"),
        "c.action.status.cancelled": _("Cancelled"),
        "c.action.principal.municipality": municipality,
        "c.action.principal.region": region,
        "c.action.principal.other": _("Other organisation"),
        "c.action.principal.family": _("The family"),
        "c.plan.lead_principal.municipality": municipality,
        "c.plan.lead_principal.region": region,
        "c.goal.kind.long": _("Long-term goal"),
        "c.goal.kind.short": _("Short-term goal"),
        "c.plan.child_participation.present": _("Takes part in the whole meeting"),
        "c.plan.child_participation.part": _("Takes part in part of the meeting"),
        "c.plan.child_participation.heard_before": _("Was heard before the meeting"),
        "c.plan.child_participation.views_brought": _("Someone brings the child's views"),
        "c.plan.child_participation.not_taking_part": _("Does not take part"),
        "c.consent.form.oral": _("Oral"),
        "c.consent.form.written": _("Written"),
        "c.plan.others_part.none": _("No one else has a part in this plan"),
        "role.guardian": _("Guardian"),
        "role.child": _("Child or young person"),
        "role.relative": _("Other relative"),
        "role.professional": _("Professional"),
        "role.coordinator": _("Coordinator"),
        "role.interpreter": _("Interpreter"),
        "role.chair": _("Chair or note-taker"),
        "role.observer": _("Observer (reads only)"),
    }


def _section_titles() -> dict[str, str]:
    return {
        "s.questions": _("The meeting's questions"),
        "s.participants": _("Who is here"),
        "s.consent": _("Consent"),
        "s.situation": _("The situation now"),
        "s.child": _("The child's voice"),
        "s.strengths": _("Strengths"),
        "s.goals": _("Goals"),
        "s.actions": _("Actions in the plan"),
        "s.responsibility": _("Overall responsibility"),
        "s.contact": _("Contact between meetings"),
        "s.followup": _("Follow-up"),
    }


def _status_texts() -> dict[str, str]:
    return {
        "save.saved": _("Saved"),
        "save.saving": _("Saving…"),
        "save.offline": _(
            "Offline – your changes are kept here and will be sent when the connection is back"
        ),
        "save.offline_idle": _("Offline – trying to connect again…"),
        "save.connecting": _("Connecting…"),
        "save.closed": _("The meeting has ended. The plan can no longer be changed."),
        "save.attention": _("Not everything is saved. See the marked field."),
        "conn.live": _("Connected"),
        "conn.offline": _("No connection"),
        "err.invalid": _("This value cannot be saved. Check it and try again."),
        "err.too_large": _("The text is too long. Shorten it and try again."),
        "err.forbidden": _("You cannot change this."),
        "err.not_found": _("This part of the plan has been removed."),
        "err.removed": _("Someone removed this part of the plan. Your text was not saved "
                         "there; it is kept under “Not saved”."),
        "unsaved.title": _("Not saved"),
        "unsaved.help": _("Someone removed these parts of the plan while you were writing. "
                          "Your text was not saved. Copy it if you still need it."),
        "unsaved.dismiss": _("Remove from the list"),
        "err.closed": _("The meeting has ended. Nothing more can be changed."),
        "err.generic": _("Something went wrong. Your text is kept here; try again."),
        "err.connect": _("Could not join the meeting. Open your personal link again."),
        "err.kept": _("Your text is kept here so you can fix it."),
        "date.incomplete": _("The date is not complete: fill in the year, the month and the day."),
        "date.range": _("Choose a date between %(first)s and %(last)s."),
        "date.not_saved": _("Until then the date is not saved."),
        "conflict.title": _("Someone else changed this text at the same time"),
        "conflict.help": _("Nothing has been lost. Choose a text, or combine them and edit."),
        "conflict.mine": _("Your text"),
        "conflict.theirs": _("Saved text from %(name)s"),
        "conflict.theirs_anon": _("Saved text"),
        "conflict.keep_mine": _("Use my text"),
        "conflict.keep_theirs": _("Use the saved text"),
        "conflict.combine": _("Combine both and edit"),
        "typing": _("%(name)s is writing here"),
        "someone": _("Someone"),
    }


def _meeting_texts() -> dict[str, str]:
    return {
        "lobby.title": _("Welcome, %(name)s"),
        "lobby.wait": _("The chair will let you in soon."),
        "lobby.hint": _("Keep this page open. It changes by itself when the meeting starts."),
        "lobby.dismissed": _("The chair has let you out of the meeting for now."),
        "lobby.invitation": _("Read the invitation"),
        "status.draft": _("The meeting has not opened yet."),
        "status.open": _("The meeting has not started yet."),
        "status.live": _("The meeting is on."),
        "status.closed": _("The meeting has ended."),
        "order.heading": _("How the meeting goes"),
        "order.now": _("Now"),
        "order.step_of": _("Step %(n)s of %(total)s"),
        "order.show_all": _("All steps of the meeting"),
        "plan.skip_to_now": _("Go to the part of the plan being discussed now"),
        "people.heading": _("Who is here"),
        "people.you": _("%(name)s (you)"),
        "people.connected": _("Connected"),
        "people.not_connected": _("Not connected"),
        "people.none": _("No one has been let in yet."),
        "announce.change": _("%(name)s changed: %(field)s"),
        **_counted("announce.changes", {n: ngettext(
            "%(n)s change in the plan", "%(n)s changes in the plan", n) for n in (1, 2)}),
        "announce.step": _("The meeting is now at: %(title)s"),
        "announce.admitted": _("You are in the meeting."),
        "announce.closed": _("The meeting has ended."),
        "wall.present": _("In the meeting"),
        "wall.plan_for": _("The plan for %(child)s"),
        "wall.nothing": _("Nothing written yet."),
        "wall.side": _("About the meeting"),
        "wall.flags": _("Still to settle"),
        "wall.flag.who": _("Who?"),
        "wall.flag.when": _("When?"),
        "wall.flag.if": _("If …"),
    }


def _plan_texts() -> dict[str, str]:
    return {
        "plan.heading": _("The plan for %(child)s"),
        "plan.now": _("Now in the meeting"),
        "plan.rest": _("The rest of the plan"),
        "plan.readonly": _("You follow the meeting and read the plan. The others write in it."),
        "plan.sections": _("Parts of the plan"),
        "plan.add.goal": _("Add a goal"),
        "plan.add.action": _("Add an action"),
        "plan.add.consent": _("Add a consent"),
        "plan.item.goal": _("Goal %(n)s"),
        "plan.item.action": _("Action %(n)s"),
        "plan.item.consent": _("Consent %(n)s"),
        "plan.empty.goal": _("No goals yet."),
        "plan.empty.action": _("No actions yet."),
        "plan.empty.consent": _("No consent recorded yet."),
        "plan.move_up": _("Move %(item)s up"),
        "plan.move_down": _("Move %(item)s down"),
        "plan.remove": _("Remove %(item)s"),
        "plan.remove_confirm": _("Remove %(item)s from the plan?"),
        "plan.moved": _("%(item)s is now number %(n)s."),
        "plan.removed": _("%(item)s was removed."),
        "plan.added": _("%(item)s was added."),
        "plan.up": _("Up"),
        "plan.down": _("Down"),
        "plan.remove_short": _("Remove"),
        "plan.participant_option": _("%(name)s, %(organisation)s"),
        "plan.item_option": _("%(n)s: %(text)s"),
        "plan.untitled": _("(no text yet)"),
        "plan.more.action": _("More about this action"),
        "plan.more.consent": _("If the consent is withdrawn"),
        "plan.not_live": _("The plan can be changed when the chair starts the meeting."),
        "dialog.cancel": _("Cancel"),
        "dialog.confirm_remove": _("Yes, remove"),
    }


def _console_texts() -> dict[str, str]:
    return {
        "console.lobby": _("Waiting to be let in"),
        "console.lobby_empty": _("No one is waiting."),
        "console.waiting_now": _("%(name)s is waiting to be let in."),
        "console.admit": _("Let in"),
        "console.admit_name": _("Let %(name)s in"),
        "console.admit_all": _("Let everyone in"),
        "console.participants": _("Participants"),
        "console.start": _("Start the meeting"),
        "console.prev": _("Previous step"),
        "console.next": _("Next step"),
        "console.step": _("Meeting order"),
        "console.round": _("Has spoken in this step"),
        "console.spoken": _("%(name)s has spoken"),
        "console.spoken_short": _("Has spoken"),
        "console.left": _("Has left"),
        "console.not_joined": _("Has not joined"),
        "console.in_lobby": _("In the lobby"),
        "console.wall": _("Open the wall view"),
        "console.wall_hint": _("Opens in a new window for the projector."),
        "console.end": _("End the meeting"),
        "console.end_title": _("End the meeting now?"),
        "console.end_text": _(
            "After this no one can change the plan. Everyone keeps the plan as it is now."
        ),
        "console.end_yes": _("Yes, end the meeting"),
        "console.offline": _("You are offline. Wait for the connection before you steer."),
    }


def _simple_texts() -> dict[str, str]:
    return {
        "simple.now": _("Right now"),
        "simple.step.opening": _("We say hello and tell who we are."),
        "simple.step.situation": _("We talk about what is good and what is hard right now."),
        "simple.step.needs": _("We decide what to aim for and who helps with what."),
        "simple.step.summary": _("We go through who does what, and when."),
        "simple.step.closing": _("We decide when we meet again. Thank you for coming!"),
        "simple.voice": _("What you think"),
        "simple.voice_hint": _(
            "Write what you want to say. It goes into the plan as you write it."
        ),
        "simple.actions": _("Who does what, and when"),
        "simple.action": _("%(who)s: %(what)s"),
        "simple.when": _("When: %(when)s"),
        "simple.no_date": _("No date yet"),
        "simple.no_actions": _("Nothing has been decided yet."),
    }


def _room_texts() -> dict[str, str]:
    return {
        "flag.blocker": _("Needed before the meeting ends"),
        "flag.warning": _("Worth a look"),
        "flag.advice": _("Tip"),
        "flag.suggestion": _("Suggestion"),
        "flag.quote": _("About the words: “%(phrase)s”"),
        **_counted("flag.count", {n: ngettext("%(n)s question", "%(n)s questions", n)
                                  for n in (1, 2)}),
        "mine.title": _("Questions for you"),
        "mine.hint": _("These are about actions you are responsible for."),
        "mine.go": _("Show"),
        "meter.heading": _("The plan so far"),
        "meter.title": _("How complete the plan is"),
        "meter.percent": _("%(n)s percent complete"),
        "meter.waiting": _("The plan is being checked…"),
        **_counted("meter.overridden", {n: ngettext(
            "%(n)s set aside with a reason", "%(n)s set aside with a reason", n)
            for n in (1, 2)}),
        "cond.rewrite": _("Rewrite"),
        "cond.split": _("Make the condition an action of its own"),
        "cond.accept": _("Accept with a fallback plan"),
        "cond.split_done": _("The condition is now %(item)s. Write who does it and when."),
        "cond.accepted": _("Conditions we have accepted"),
        "cond.accepted_item": _("%(item)s: %(what)s"),
        "cond.accepted_fallback": _("If the condition is not met: %(text)s"),
        "hint.action.condition_fallback": _(
            "If the condition is not met: who does what, and when?"
        ),
        "hint.plan.others_part": _(
            "Choose this only if no one but the municipality and the region has an action in "
            "the plan. Otherwise choose “Other organisation” or “The family” as the principal "
            "of their actions."
        ),
        "hint.consent.withdrawn_scope": _("Leave empty if all of the consent is withdrawn."),
        "flag.at_close": _("Must be settled before the meeting ends."),
        "words.in_text": _("Words in the text:"),
        "words.here": _("In this plan, “%(word)s” means: %(text)s"),
        "words.loading": _("Getting the explanation…"),
        "words.failed": _("The explanation could not be loaded. Try again later."),
        "words.meanings": _("What the word means in different organisations"),
        "words.ask_them": _("A question to ask: %(question)s"),
        "words.ask": _("What does the word mean here?"),
        "words.ask_hint": _("The chair gets your question and can explain the word to everyone."),
        "words.show_name": _("Show my name"),
        "words.asked": _("Your question about “%(word)s” has been sent to the chair."),
        "words.ask_any": _("Ask about a word"),
        "words.ask_any_button": _("Ask"),
        "words.ask_selected": _("Ask about “%(word)s”"),
        "words.explained": _("Words we have explained"),
        "words.none": _("No words have been explained yet."),
        "dialog.close": _("Close"),
        "s.review": _("How the last plan went"),
        "s.words": _("Words in the plan"),
        "review.hint": _("For each action: was it done? Did the conditions hold?"),
        "f.action.review_outcome": _("How did it go?"),
        "f.action.review_comment": _("Comment on how it went"),
        "f.action.condition_review": _(
            "Did the condition hold? If not, did what we decided happen?"
        ),
        "f.plan.review_situation_change": _("Has the child's situation changed as we intended?"),
        "c.action.review_outcome.done": _("Done as planned"),
        "c.action.review_outcome.started": _("Started"),
        "c.action.review_outcome.not_started": _("Not started"),
        "c.action.review_outcome.not_needed": _("No longer needed"),
        "happy.question": _("Are you satisfied with the meeting?"),
        "happy.yes": _("Yes"),
        "happy.partly": _("Partly"),
        "happy.no": _("No"),
        "happy.thanks": _("Thank you for your answer."),
        "closing.title": _("The meeting has ended"),
        "closing.text": _("Thank you for taking part. The plan is on your own page."),
        "closing.open_plan": _("Open the plan"),
        "closing.meeting_page": _("Open the meeting page"),
        "closing.print_plan": _("Print the plan"),
        "closing.wall_title": _("Thank you! The meeting has ended."),
        "closing.wall_text": _(
            "Scan the code or open the link to read the plan. It opens on the phone you joined "
            "the meeting with."
        ),
        "closing.followup": _("Next meeting: %(date)s"),
        "closing.no_followup": _("No date for the next meeting yet."),
        "closing.no_plan": _("The meeting ended without a plan."),
        "closing.no_plan_reason": _("Why: %(reason)s"),
        "gate.title": _("Before the meeting can end"),
        **_counted("gate.blocked", {n: ngettext(
            "The meeting cannot end yet: %(n)s thing is missing.",
            "The meeting cannot end yet: %(n)s things are missing.", n) for n in (1, 2)}),
        **_counted("gate.text", {n: ngettext(
            "%(n)s thing must be settled before the meeting can end. Fill it in, or set it "
            "aside with a reason. The reasons become part of the plan.",
            "%(n)s things must be settled before the meeting can end. Fill them in, or set "
            "them aside with a reason. The reasons become part of the plan.", n)
            for n in (1, 2)}),
        "gate.not_overridable": _(
            "This cannot be set aside: a plan needs at least one action. Write the plan's "
            "first action, or end the meeting without a plan."
        ),
        "gate.save_reason": _("Save the reason"),
        "gate.no_plan": _("End the meeting without a plan"),
        "gate.no_plan_reason": _("Why is no plan made?"),
        "gate.no_plan_hint": _(
            "The meeting ends, and no plan is written down. The reason is kept with the "
            "meeting."
        ),
        "gate.all_set": _("Everything is filled in or set aside. Try to end the meeting again."),
        "gate.concerns": _("Concerns: %(where)s"),
        "gate.removed_item": _("An action that has been removed"),
        "gate.rule_gone": _("Something the plan lacked"),
        "gate.reason": _("Reason (at most 500 characters)"),
        "gate.reason_needed": _("Write a reason."),
        "gate.override": _("Set aside with a reason"),
        "gate.set_aside": _("Set aside with a reason."),
        "gate.try_again": _("Try to end the meeting again"),
        "gate.later": _("Go on with the meeting"),
        "gate.overrides": _("Set aside with reasons"),
        "gate.reason_was": _("Reason: %(reason)s (%(name)s)"),
        "gate.withdraw": _("Take back"),
        "requests.title": _("Questions about words"),
        "requests.none": _("No one has asked about a word."),
        "requests.by": _("Asked by %(name)s"),
        "requests.anon": _("Asked without a name"),
        "requests.on_wall": _("Shown on the wall"),
        "requests.show": _("Show on the wall"),
        "requests.hide": _("Take down from the wall"),
        "requests.explain": _("Explain"),
        "requests.explain_label": _("What does “%(word)s” mean in this plan?"),
        "requests.save": _("Save the explanation"),
        "requests.glossary": _("The glossary"),
        "requests.dismiss": _("Set aside"),
        "requests.new": _("Someone asks what “%(word)s” means."),
        "requests.wall_title": _("Words we are clearing up"),
        "console.dismiss": _("Send back to the waiting room"),
        # The visible words first, so that a name spoken by voice control matches the button.
        "console.dismiss_name": _("Send back to the waiting room: %(name)s"),
        "console.dismiss_title": _("Send %(name)s back to the waiting room?"),
        "console.dismiss_text": _("You can let them in again from the list of people waiting."),
        "console.dismiss_yes": _("Yes, send back"),
    }
