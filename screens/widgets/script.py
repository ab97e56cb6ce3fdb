"""The fixed script: contacts → referenceability → implementation → features,
then an optional line in the customer's own words.

Each step shows the current answers with their age. Enter confirms the step as
shown (one key when nothing changed) and moves on; every change is posted as an
`Answered` message the moment it is made, so the screen saves it at once.
"""

from __future__ import annotations

import json
from datetime import datetime

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.widgets import ContentSwitcher, Input, OptionList, Static
from textual.widgets.option_list import Option

from callers import phones
from callers.printable import printable
from callers.calls import STEPS, Answer, CallState, Profile
from models.tables import IMPLEMENTATION_STATES, REFERENCE_KINDS
from screens.messages import Answered, EditContact, StepDone
from screens.widgets.call_timer import CallTimer
from screens.widgets.formatting import (
    IMPLEMENTATION_LABELS,
    REFERENCE_ANSWER_LABELS,
    REFERENCE_LABELS,
    STEP_LABELS,
    age,
    assemble,
    confirmed,
)

DONE_KEYS = {"confirm", "state"}


def steps_done(answers: list[Answer]) -> set[str]:
    """The steps confirmed (or, for implementation, set) in this call."""
    return {a.step for a in answers if a.key in DONE_KEYS and a.step in STEPS}


class StepList(OptionList):
    """One step's rows. Enter confirms the step."""

    BINDINGS = [Binding("enter", "select", "Confirm step", id="step-confirm")]

    DEFAULT_CSS = """
    StepList { height: 1fr; border: none; padding: 0; background: transparent; }
    StepList:focus { border: none; }
    """

    step = ""

    def _post(self, key: str, value: str | None = None) -> None:
        self.post_message(Answered(self.step, key, value))

    def confirm(self) -> None:
        self._post("confirm")
        self.post_message(StepDone(self.step))

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.selected(event.option_index)

    def selected(self, index: int) -> None:
        self.confirm()

    def rebuild(self) -> None:
        keep = self.highlighted
        self.set_options(self.rows())
        if self.option_count:
            self.highlighted = min(keep or 0, self.option_count - 1)

    def rows(self) -> list[Option]:
        return []

    def load(self, profile: Profile, now: datetime) -> None:
        self.now = now
        self.highlighted = None
        self.rebuild()


class ContactsList(StepList):
    step = "contacts"
    BINDINGS = [
        Binding("enter", "select", "Confirm step", id="step-confirm"),
        Binding("g", "gone", "Gone", id="contact-gone"),
        Binding("e", "edit", "Correct", id="contact-edit"),
        Binding("a", "add", "Add", id="contact-add"),
    ]

    def load(self, profile: Profile, now: datetime) -> None:
        self.contacts = {
            c.id: {"name": c.name, "role": c.role, "title": c.title, "phone": c.phone, "ext": c.extension,
                   "email": c.email, "gone": not c.active, "confirmed_at": c.confirmed_at}
            for c in profile.contacts
        }
        super().load(profile, now)

    def rows(self) -> list[Option]:
        rows = []
        for cid, c in self.contacts.items():
            if c["gone"]:
                prompt = assemble(("✗ ", "$error"), (c["name"], "strike $text-muted"),
                                          (f"  {c['role']} · gone", "$text-muted"))
            else:
                phone = phones.international(c["phone"], c.get("ext")) if c["phone"] else "no number"
                prompt = assemble(
                    ("● ", "$success"), (c["name"], "bold"), f"  {c['role']}",
                    f" · {c['title']}" if c["title"] else "", "\n  ", (phone, "$text-muted"),
                    (f"  {c['email']}" if c["email"] else "", "$text-muted"),
                    (f"  ({age(c['confirmed_at'], self.now)})" if c["confirmed_at"] else "  (never confirmed)",
                     "$text-muted"))
            rows.append(Option(prompt, id=f"c{cid}"))
        rows.append(Option(Content.styled("+ add a contact (a)", "$text-muted"), id="add"))
        return rows

    def _contact_id(self) -> int | None:
        option = self.highlighted_option
        if option is None or option.id == "add":
            return None
        cid = int(option.id[1:])
        return cid if cid > 0 else None  # a contact just added, not saved yet

    def selected(self, index: int) -> None:
        if self.get_option_at_index(index).id == "add":
            self.action_add()
        else:
            self.confirm()

    def action_gone(self) -> None:
        cid = self._contact_id()
        if cid is None:
            return
        if self.contacts[cid]["gone"]:
            return
        self.contacts[cid]["gone"] = True
        self._post(f"contact:{cid}:gone", "1")
        self.rebuild()

    def action_edit(self) -> None:
        cid = self._contact_id()
        if cid is None:
            self.action_add()
        else:
            self.post_message(EditContact(cid))

    def action_add(self) -> None:
        self.post_message(EditContact(None))

    def apply(self, contact_id: int | None, values: dict[str, str]) -> None:
        """Record a correction (or a new contact) from the contact form."""
        if contact_id is None:
            self._post("add", json.dumps(values, ensure_ascii=False))
            self.contacts[-len(self.contacts) - 1] = {**{"title": None, "phone": None, "email": None},
                                                      **values, "gone": False, "confirmed_at": self.now}
        else:
            current = self.contacts[contact_id]
            for field, value in values.items():
                if (current.get(field) or "") != value:
                    self._post(f"contact:{contact_id}:{field}", value)
                    current[field] = value or None
                    if field == "phone":
                        current["ext"] = None
        self.rebuild()


class ReferenceList(StepList):
    step = "referenceability"
    BINDINGS = [
        Binding("enter", "select", "Confirm step", id="step-confirm"),
        Binding("y", "answer('yes')", "Yes", id="ref-yes"),
        Binding("n", "answer('no')", "No", id="ref-no"),
        Binding("l", "answer('not_now')", "Not now", id="ref-not-now"),
        Binding("space", "cycle", "Cycle", id="ref-cycle", show=False),
        Binding("c", "condition", "Condition", id="ref-condition"),
    ]
    CYCLE = ("yes", "no", "not_now")

    def load(self, profile: Profile, now: datetime) -> None:
        self.answers = {kind: profile.referenceability.get(kind) for kind in REFERENCE_KINDS}
        super().load(profile, now)

    def rows(self) -> list[Option]:
        style = {"yes": "bold $success", "no": "$error", "not_now": "$warning", None: "$text-muted"}
        return [Option(Content.assemble(f"{REFERENCE_LABELS[kind]:<16}",
                                        (REFERENCE_ANSWER_LABELS[self.answers[kind]], style[self.answers[kind]])),
                       id=kind)
                for kind in REFERENCE_KINDS]

    def action_answer(self, value: str) -> None:
        option = self.highlighted_option
        if option is None:
            return
        self.answers[option.id] = value
        self._post(option.id, value)
        self.rebuild()
        if self.highlighted is not None and self.highlighted < self.option_count - 1:
            self.highlighted += 1

    def action_cycle(self) -> None:
        option = self.highlighted_option
        if option is None:
            return
        current = self.answers[option.id]
        value = self.CYCLE[(self.CYCLE.index(current) + 1) % 3] if current in self.CYCLE else "yes"
        self.answers[option.id] = value
        self._post(option.id, value)
        self.rebuild()

    def action_condition(self) -> None:
        self.screen.query_one("#ref-condition", Input).focus()


class ImplementationList(StepList):
    step = "implementation"

    def load(self, profile: Profile, now: datetime) -> None:
        self.state = profile.implementation_state
        super().load(profile, now)
        if self.state in IMPLEMENTATION_STATES:
            self.highlighted = IMPLEMENTATION_STATES.index(self.state)

    def rows(self) -> list[Option]:
        return [Option(Content.assemble(("● " if s == self.state else "○ ", "$success" if s == self.state else ""),
                                        (IMPLEMENTATION_LABELS[s], "bold" if s == self.state else "")), id=s)
                for s in IMPLEMENTATION_STATES]

    def selected(self, index: int) -> None:
        chosen = IMPLEMENTATION_STATES[index]
        if chosen == self.state:
            self._post("confirm")
        else:
            self.state = chosen
            self._post("state", chosen)
            self.rebuild()
        self.post_message(StepDone(self.step))


class FeatureList(StepList):
    step = "features"
    BINDINGS = [
        Binding("enter", "select", "Confirm step", id="step-confirm"),
        Binding("space", "toggle", "Tick", id="feature-toggle"),
        Binding("x", "toggle", "Tick", id="feature-toggle-x", show=False),
    ]

    def load(self, profile: Profile, now: datetime) -> None:
        self.features = {f.id: [f.name, f.in_production] for f in profile.features}
        super().load(profile, now)

    def rows(self) -> list[Option]:
        if not self.features:
            return [Option(Content.styled("No feature list yet: Enter to go on", "$text-muted"), id="none")]
        return [Option(assemble(("[x] " if on else "[ ] ", "bold $success" if on else "$text-muted"),
                                name), id=f"f{fid}")
                for fid, (name, on) in self.features.items()]

    def action_toggle(self) -> None:
        option = self.highlighted_option
        if option is None or option.id == "none":
            return
        fid = int(option.id[1:])
        self.features[fid][1] = not self.features[fid][1]
        self._post(f"feature:{fid}", "1" if self.features[fid][1] else "0")
        self.rebuild()


SHORT_LABELS = {"contacts": "Contacts", "referenceability": "Refs", "implementation": "Impl.",
                "features": "Features", "comment": "Words"}
STEP_HINTS = {
    "contacts": "g gone · e correct · a add · Enter confirm",
    "referenceability": "y yes · n no · l not now · c condition · Enter confirm",
    "implementation": "↑↓ choose · Enter confirm",
    "features": "Space tick · Enter confirm",
}


class StepBar(Static):
    """'1 Contacts ✓ › 2 References › …' with the current step highlighted."""

    DEFAULT_CSS = "StepBar { width: 1fr; height: 1; padding: 0 1; }"

    def show(self, current: str, done: set[str]) -> None:
        self.current, self.done = current, done
        content = self._content(short=False)
        if self.size.width and content.cell_length > self.size.width - 2:
            content = self._content(short=True)
        self.update(content)

    def on_resize(self) -> None:
        if hasattr(self, "current"):
            self.show(self.current, self.done)

    def _content(self, short: bool) -> Content:
        parts: list = []
        for n, step in enumerate((*STEPS, "comment"), 1):
            if parts:
                parts.append((" " if short else " › ", "$text-muted"))
            name = STEP_LABELS[step] if (step == self.current or not short) else SHORT_LABELS[step]
            label = f"{n} {name}".rstrip() + (" ✓" if step in self.done else "")
            style = "reverse bold" if step == self.current else ("$success" if step in self.done else "$text-muted")
            parts.append((label, style))
        return Content.assemble(*parts)


class ScriptPanel(Vertical):
    """Timer, step bar, the current step and the 'in their words' line."""

    DEFAULT_CSS = """
    ScriptPanel { height: 1fr; }
    ScriptPanel #call-status { height: 1; }
    ScriptPanel ContentSwitcher { height: 1fr; border: round $secondary; padding: 0 1; }
    ScriptPanel ContentSwitcher:focus-within { border: round $accent; }
    ScriptPanel .step { height: 1fr; }
    ScriptPanel #ref-condition-row { height: 1; }
    ScriptPanel #ref-condition-label { width: auto; color: $text-muted; }
    ScriptPanel #ref-condition { height: 1; border: none; padding: 0 1; margin: 0; width: 1fr; }
    ScriptPanel #comment { height: 1; border: none; padding: 0 1; margin: 0; }
    ScriptPanel #comment:focus, ScriptPanel #ref-condition:focus { background: $boost; }
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.current = STEPS[0]
        self.done: set[str] = set()
        self.profile: Profile | None = None
        self.now: datetime | None = None
        self.saved_condition = ""
        self.saved_note = ""
        self._stale: set[str] = set()  # steps whose list still shows the previous customer

    def compose(self) -> ComposeResult:
        with Horizontal(id="call-status"):
            yield CallTimer(id="call-timer")
            yield StepBar(id="step-bar")
        with ContentSwitcher(initial="step-contacts", id="steps"):
            with Vertical(id="step-contacts", classes="step"):
                yield ContactsList(id="contacts-list")
            with Vertical(id="step-referenceability", classes="step"):
                yield ReferenceList(id="referenceability-list")
                with Horizontal(id="ref-condition-row"):
                    yield Static("Condition (c):", id="ref-condition-label", markup=False)
                    yield Input(placeholder="e.g. only after go-live",
                            id="ref-condition", max_length=500, select_on_focus=False)
            with Vertical(id="step-implementation", classes="step"):
                yield ImplementationList(id="implementation-list")
            with Vertical(id="step-features", classes="step"):
                yield FeatureList(id="features-list")
        yield Input(placeholder="in their words (F4): one line, optional", id="comment", max_length=1000, select_on_focus=False)

    def step_list(self, step: str) -> StepList:
        """The step's list, filled with this customer's answers. Only the
        step on screen is filled when a customer is shown; the others when
        first shown or asked for (four option lists rebuilt per customer
        were a third of the time between the outcome key and the next
        customer on screen)."""
        found = self.query_one(f"#{step}-list", StepList)
        if step in self._stale and self.profile is not None:
            self._stale.discard(step)
            found.load(self.profile, self.now)
        return found

    def load(self, state: CallState, now: datetime) -> None:
        profile = state.profile
        self.profile, self.now = profile, now
        self.done = steps_done(state.answers)
        self._stale = set(STEPS)
        condition = self.query_one("#ref-condition", Input)
        condition.value = self.saved_condition = printable(profile.ref_condition or "")  # as shown: unchanged, unsaved
        comment = self.query_one("#comment", Input)
        comment.value = self.saved_note = printable(state.note or "")
        self.show_step(next((s for s in STEPS if s not in self.done), "comment"), focus=False)

    def refresh_profile(self, profile: Profile, now: datetime) -> None:
        """New facts from the database (e.g. after adding a contact)."""
        self.profile, self.now = profile, now
        for step in STEPS:
            if step in self._stale:
                continue  # filled from the new profile when shown
            step_list = self.step_list(step)
            keep = step_list.highlighted
            step_list.load(profile, now)
            if keep is not None and step_list.option_count:
                step_list.highlighted = min(keep, step_list.option_count - 1)
        self._titles()

    def _titles(self) -> None:
        if self.profile is None or self.now is None:
            return
        p = self.profile
        ages = {"contacts": p.contacts_confirmed_at, "referenceability": p.referenceability_confirmed_at,
                "implementation": p.implementation_confirmed_at, "features": p.features_confirmed_at}
        step = self.current if self.current in STEPS else STEPS[-1]
        switcher = self.query_one("#steps", ContentSwitcher)
        n = STEPS.index(step) + 1
        when = "confirmed in this call" if step in self.done else confirmed(ages[step], self.now)
        switcher.border_title = f"{n} {STEP_LABELS[step]} · {when}"
        switcher.border_subtitle = STEP_HINTS[step]
        self.query_one(StepBar).show(self.current, self.done)

    def show_step(self, step: str, focus: bool = True) -> None:
        self.current = step
        if step in STEPS:
            self.step_list(step)  # filled before it shows
            self.query_one("#steps", ContentSwitcher).current = f"step-{step}"
        self._titles()
        if focus:
            self.focus_current()

    def focus_current(self) -> None:
        if self.current == "comment":
            self.query_one("#comment", Input).focus()
        else:
            step_list = self.step_list(self.current)
            step_list.focus()
            if step_list.highlighted is None and step_list.option_count:
                step_list.highlighted = 0

    def next_step(self) -> None:
        order = (*STEPS, "comment")
        self.show_step(order[min(order.index(self.current) + 1, len(order) - 1)])

    def previous_step(self) -> None:
        order = (*STEPS, "comment")
        self.show_step(order[max(order.index(self.current) - 1, 0)])

    def on_step_done(self, message: StepDone) -> None:
        self.done.add(message.step)
        order = (*STEPS, "comment")
        following = [s for s in order[order.index(message.step) + 1:] if s not in self.done or s == "comment"]
        self.show_step(following[0] if following else "comment")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if event.input.id == "ref-condition":
            self.save_condition()
            self.step_list("referenceability").focus()
        elif event.input.id == "comment":
            self.save_note()

    def on_descendant_blur(self, event) -> None:
        if getattr(event.widget, "id", None) == "ref-condition":
            self.save_condition()

    def save_condition(self) -> None:
        value = self.query_one("#ref-condition", Input).value.strip()
        if value != self.saved_condition:
            self.saved_condition = value
            self.post_message(Answered("referenceability", "condition", value))

    def save_note(self) -> bool:
        """Save the 'in their words' line if it changed. True if it did."""
        value = self.query_one("#comment", Input).value.strip()
        if value == self.saved_note:
            return False
        self.saved_note = value
        self.post_message(Answered("comment", "note", value))
        return True

    def pending_note(self) -> str | None:
        value = self.query_one("#comment", Input).value.strip()
        return value or None
