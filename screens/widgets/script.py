"""The fixed script: contacts → referenceability → implementation → features,
then an optional line in the customer's own words. Before them, only when a
department marked a forward done since the customer's last call, "Was it
fixed?" (`callers.loop`): y yes, n no (reopened), p partly, Enter skips.

Each step shows the stored answers with their age. Only a choice the caller
makes writes an answer, the moment it is made (an `Answered` message the
screen saves at once). Enter on a step that holds stored facts confirms them
as still true (one key when nothing changed); Enter on a step that holds none
(`calls.holds_facts`) moves on and records nothing: the step is *not asked*,
and its facts stay unknown. Nothing is pre-selected where nothing is stored.

Longer than 500 lines because it holds the script's step widgets ("was it fixed?", contacts,
references, implementation, features, words) and the panel that moves between
them; each step widget is short. The next split, when it grows: one module per step.
"""

from __future__ import annotations

import json
from datetime import datetime
from math import ceil

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.css.query import NoMatches
from textual.content import Content
from textual.widget import Widget
from textual.widgets import ContentSwitcher, Input, OptionList, Static
from textual.widgets.option_list import Option

from callers import calls, phones
from callers.printable import printable
from callers.calls import IMPLEMENTATION_STATES, REFERENCE_KINDS, STEPS, CallState, Profile
from screens.messages import StepShown
from screens.messages import Answered, EditContact, FixedAnswered, StepDone, WordsDone
from screens.widgets.call_timer import CallTimer
from screens.widgets.formatting import (
    IMPLEMENTATION_LABELS,
    REFERENCE_ANSWER_LABELS,
    REFERENCE_LABELS,
    STEP_LABELS,
    age,
    ago,
    assemble,
    assemble_line,
    confirmed,
)

ORDER = (*STEPS, "comment")
COMMENT_HINT = "in their words (F4): one line, optional"
LOOP = "fixed"  # "Was it fixed?": a step only when there is something to ask
LOOP_ORDER = (LOOP, *ORDER)


class StepKeys:
    """What every step has: its facts, the answers it posts, and Enter."""

    step = ""
    noun = "rows"  # what the "more below" mark counts
    profile: Profile | None = None
    now: datetime | None = None
    answered = False  # an answer was posted from this step since it was loaded

    def start(self, profile: Profile, now: datetime) -> None:
        self.profile, self.now, self.answered = profile, now, False

    @property
    def has_facts(self) -> bool:
        """Enter confirms something: facts stored, or answers given in this call."""
        return self.answered or (self.profile is not None and calls.holds_facts(self.profile, self.step))

    def _post(self, key: str, value: str | None = None) -> None:
        self.answered = True
        self.post_message(Answered(self.step, key, value))

    def confirm(self) -> None:
        """Enter: "still true" when there is something to confirm; then the next step."""
        if self.has_facts:
            self._post("confirm")
        self.post_message(StepDone(self.step))

    def hidden(self) -> tuple[int, int]:
        """(rows above, rows below) the visible part."""
        return 0, 0

    def show_more(self) -> None:
        """Say how many rows are out of sight, on the line under the step."""
        if not self.is_attached:
            return
        above, below = self.hidden()
        parts = []
        if above:
            parts.append(f"▲ {above} above")
        if below:
            parts.append(f"▼ {below} more {self.noun} below (PgDn)")
        text = " · ".join(parts)
        if text != getattr(self, "_more", ""):  # most customers: nothing out of sight, nothing to redraw
            self._more = text
            label = self.parent.query_one(".step-more", Static)
            label.update(text)
            label.display = bool(text)


class StepList(StepKeys, OptionList):
    """One step's rows. Enter confirms the step (or, on nothing stored, goes on)."""

    BINDINGS = [Binding("enter", "select", "Confirm step", id="step-confirm")]

    DEFAULT_CSS = """
    StepList { height: 1fr; border: none; padding: 0; background: transparent; }
    StepList:focus { border: none; }
    """

    cursor_on_focus = True  # False: the highlight is an answer, never put there by a key that moves

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.selected(event.option_index)

    def action_select(self) -> None:
        if self.highlighted is None:
            self.confirm()
        else:
            super().action_select()

    def selected(self, index: int) -> None:
        self.confirm()

    def rebuild(self) -> None:
        keep = self.highlighted
        if keep is None and self.cursor_on_focus:
            keep = 0
        self.set_options(self.rows())
        if keep is not None and self.option_count:
            self.highlighted = min(keep, self.option_count - 1)
        self.call_after_refresh(self.show_more)

    def rows(self) -> list[Option]:
        return []

    def load(self, profile: Profile, now: datetime) -> None:
        self.start(profile, now)
        self.highlighted = None
        self.rebuild()

    def counted(self, option_index: int) -> bool:
        return True

    def hidden(self) -> tuple[int, int]:
        lines = self._lines
        if not lines:
            return 0, 0
        top = round(self.scroll_y)
        bottom = top + self.scrollable_content_region.height
        above = {i for i, _ in lines[:top] if self.counted(i)}
        below = {i for i, _ in lines[bottom:] if self.counted(i)}
        return len(above), len(below)

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        if round(old_value) != round(new_value):
            self.show_more()

    def on_resize(self) -> None:
        self.call_after_refresh(self.show_more)


class ContactsList(StepList):
    step = "contacts"
    noun = "contacts"
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

    def counted(self, option_index: int) -> bool:
        return option_index < len(self.contacts)  # not the "add a contact" row

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
    noun = "kinds"
    BINDINGS = [
        Binding("enter", "select", "Confirm step", id="step-confirm"),
        Binding("y", "answer('yes')", "Yes", id="ref-yes"),
        Binding("n", "answer('no')", "No", id="ref-no"),
        Binding("l", "answer('not_now')", "Not now", id="ref-not-now"),
        Binding("N", "answer_all('no')", "No to all", id="ref-no-to-all"),
        Binding("space", "cycle", "Cycle", id="ref-cycle", show=False),
        Binding("c", "condition", "Condition", id="ref-condition"),
    ]
    CYCLE = ("yes", "no", "not_now")

    def load(self, profile: Profile, now: datetime) -> None:
        self.answers = {kind: profile.referenceability.get(kind) for kind in REFERENCE_KINDS}
        super().load(profile, now)

    def rows(self) -> list[Option]:
        style = {"yes": "bold $success", "no": "$error", "not_now": "$warning", None: "$text-muted italic"}
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

    def action_answer_all(self, value: str) -> None:
        """One answer for every kind ("no to all references")."""
        self.answers = dict.fromkeys(REFERENCE_KINDS, value)
        self._post("all", value)
        self.rebuild()

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
    """The stored state is highlighted; with none stored nothing is, until
    the caller moves (↓) or picks a state by its digit."""

    step = "implementation"
    noun = "states"
    cursor_on_focus = False
    BINDINGS = [
        Binding("enter", "select", "Confirm step", id="step-confirm"),
        *(Binding(str(n), f"pick({n - 1})", IMPLEMENTATION_LABELS[state], id=f"implementation-{n}", show=False)
          for n, state in enumerate(IMPLEMENTATION_STATES, 1)),
    ]

    def load(self, profile: Profile, now: datetime) -> None:
        self.state = profile.implementation_state
        super().load(profile, now)
        if self.state in IMPLEMENTATION_STATES:
            self.highlighted = IMPLEMENTATION_STATES.index(self.state)

    def rows(self) -> list[Option]:
        return [Option(Content.assemble((f"{n} ", "$text-muted"),
                                        ("● " if s == self.state else "○ ", "$success" if s == self.state else ""),
                                        (IMPLEMENTATION_LABELS[s], "bold" if s == self.state else "")), id=s)
                for n, s in enumerate(IMPLEMENTATION_STATES, 1)]

    def action_pick(self, index: int) -> None:
        self.highlighted = index
        self.selected(index)

    def selected(self, index: int) -> None:
        chosen = IMPLEMENTATION_STATES[index]
        if chosen == self.state:
            self._post("confirm")
        else:
            self.state = chosen
            self._post("state", chosen)
            self.rebuild()
        self.post_message(StepDone(self.step))


class LoopList(StepList):
    """The forwards a department marked done since the customer's last call,
    oldest first: y / n / p answers the highlighted one and goes to the next;
    Enter skips it (nothing recorded); past the last, the next step."""

    step = LOOP
    noun = "forwards"
    BINDINGS = [
        Binding("enter", "select", "Skip", id="fixed-skip"),
        Binding("y", "answer('y')", "Fixed", id="fixed-yes"),
        Binding("n", "answer('n')", "Not fixed", id="fixed-no"),
        Binding("p", "answer('p')", "Partly", id="fixed-partly"),
    ]
    LABELS = {"y": ("fixed", "bold $success"), "p": ("partly fixed", "$warning"),
              "n": ("not fixed: reopened", "$error"), None: ("not asked yet", "$text-muted italic")}

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.questions: list = []  # callers.loop.Question
        self.answers: dict[int, str] = {}  # forward id -> y / n / p given in this call

    @property
    def has_facts(self) -> bool:
        return False  # Enter never confirms anything here

    def load(self, profile: Profile, now: datetime) -> None:
        self.answers = {}
        super().load(profile, now)

    def rows(self) -> list[Option]:
        rows = []
        for q in self.questions:
            label, style = self.LABELS[self.answers.get(q.forward_id)]
            by = f" by {q.resolved_by}" if q.resolved_by else ""
            again = f" · reopened {q.reopened}×" if q.reopened else ""
            rows.append(Option(assemble(
                (q.department, "bold"), (f"  done {ago(q.resolved_at, self.now)}{by}{again}", "$text-muted"),
                "  ", (label, style),
                "\n  ", (q.resolution or "(no note)", ""), ("  · was: ", "$text-muted"), (q.note or "(no note)", "")),
                id=f"f{q.forward_id}"))
        return rows

    def _next(self) -> None:
        index = self.highlighted if self.highlighted is not None else -1
        later = [i for i in range(index + 1, len(self.questions))
                 if self.questions[i].forward_id not in self.answers]
        if later:
            self.highlighted = later[0]
        else:
            self.post_message(StepDone(self.step))

    def selected(self, index: int) -> None:
        self._next()  # Enter: skipped, nothing recorded

    def confirm(self) -> None:
        self.post_message(StepDone(self.step))

    def action_answer(self, key: str) -> None:
        if self.highlighted is None or not self.questions:
            return
        question = self.questions[self.highlighted]
        if question.forward_id in self.answers:
            return  # answered in this call: the department has it
        self.answers[question.forward_id] = key
        self.answered = True
        self.post_message(FixedAnswered(question.forward_id, key))
        self.rebuild()
        self._next()


class FeatureList(StepKeys, Widget, can_focus=True):
    """The feature list in as many columns as the names allow (row by row),
    scrolled by rows with a mark saying how many are out of sight.

    [x] in production, [ ] not in production, [?] not known (the list was
    never confirmed and this feature never answered)."""

    step = "features"
    noun = "features"
    BINDINGS = [
        Binding("enter", "confirm_step", "Confirm step", id="step-confirm"),
        Binding("space", "toggle", "Tick", id="feature-toggle"),
        Binding("x", "toggle", "Tick", id="feature-toggle-x", show=False),
        Binding("n", "none", "None in production", id="feature-none"),
        Binding("up", "move(0, -1)", "Up", id="feature-up", show=False),
        Binding("down", "move(0, 1)", "Down", id="feature-down", show=False),
        Binding("left", "move(-1, 0)", "Left", id="feature-left", show=False),
        Binding("right", "move(1, 0)", "Right", id="feature-right", show=False),
        Binding("pageup", "page(-1)", "Page up", id="feature-page-up", show=False),
        Binding("pagedown", "page(1)", "Page down", id="feature-page-down", show=False),
        Binding("home", "edge(-1)", "First", id="feature-first", show=False),
        Binding("end", "edge(1)", "Last", id="feature-last", show=False),
    ]
    DEFAULT_CSS = """
    FeatureList { height: 1fr; }
    """
    MAX_COLUMNS = 4
    GAP = 2
    NAME_ROOM = 26  # a longer name does not cost a column: it is cut with "…"

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.features: dict[int, list] = {}  # id -> [name, True / False / None (not known)]
        self.cursor: int | None = None
        self.top = 0  # the first row shown

    def load(self, profile: Profile, now: datetime) -> None:
        self.start(profile, now)
        listed = profile.features_confirmed_at is not None
        self.features = {f.id: [f.name, f.in_production if (listed or f.confirmed_at is not None) else None]
                         for f in profile.features}
        self.cursor, self.top = None, 0
        self.rebuild()

    # -- what StepList offers, for the script panel --

    @property
    def option_count(self) -> int:
        return len(self.features)

    @property
    def highlighted(self) -> int | None:
        return self.cursor

    @highlighted.setter
    def highlighted(self, index: int | None) -> None:
        self.cursor = None if index is None or not self.features else max(0, min(index, len(self.features) - 1))
        self._follow()
        self.rebuild()

    def rebuild(self) -> None:
        self.refresh()
        self.call_after_refresh(self.show_more)

    # -- layout --

    def grid(self) -> tuple[int, int, int]:
        """(columns, column width, rows shown) for the current size."""
        width, height = max(1, self.size.width), max(1, self.size.height)
        longest = min(self.NAME_ROOM, max((len(name) for name, _ in self.features.values()), default=0))
        cell = longest + 4 + self.GAP  # "[x] " name, and the gap
        columns = max(1, min(self.MAX_COLUMNS, len(self.features) or 1, width // max(1, min(cell, width))))
        return columns, width // columns, height

    def hidden(self) -> tuple[int, int]:
        if not self.features:
            return 0, 0
        columns, _, shown = self.grid()
        rows = ceil(len(self.features) / columns)
        above = min(len(self.features), self.top * columns)
        below = max(0, len(self.features) - (self.top + shown) * columns) if self.top + shown < rows else 0
        return above, below

    def _follow(self) -> None:
        """Scroll so the cursor's row is shown."""
        if self.cursor is None:
            return
        columns, _, shown = self.grid()
        row = self.cursor // columns
        if row < self.top:
            self.top = row
        elif row >= self.top + shown:
            self.top = row - shown + 1

    def on_resize(self) -> None:
        self._follow()
        self.rebuild()

    def render(self) -> Content:
        if not self.features:
            return Content.styled("No feature list yet: Enter to go on", "$text-muted")
        columns, width, shown = self.grid()
        marks = {True: ("[x] ", "bold $success"), False: ("[ ] ", "$text-muted"), None: ("[?] ", "$warning")}
        lines = []
        ids = list(self.features)
        for row in range(self.top, self.top + shown):
            cells = []
            for col in range(columns):
                index = row * columns + col
                if index >= len(ids):
                    break
                name, state = self.features[ids[index]]
                mark, style = marks[state]
                cell = assemble_line((mark, style), name).truncate(width - self.GAP, ellipsis=True,
                                                                        pad=col < columns - 1)
                if index == self.cursor:
                    cell = cell.stylize("reverse" if self.has_focus else "underline")
                cells.append(cell)
                if col < columns - 1:
                    cells.append(" " * self.GAP)
            lines.append(Content.assemble(*cells))
        return Content("\n").join(lines)

    def on_focus(self) -> None:
        self.refresh()

    def on_blur(self) -> None:
        self.refresh()

    # -- keys --

    def action_move(self, dx: int, dy: int) -> None:
        if not self.features:
            return
        columns, _, _ = self.grid()
        if self.cursor is None:
            self.highlighted = 0
            return
        target = self.cursor + dx + dy * columns
        if 0 <= target < len(self.features):
            self.highlighted = target

    def action_page(self, direction: int) -> None:
        if self.features:
            columns, _, shown = self.grid()
            self.highlighted = (self.cursor or 0) + direction * shown * columns

    def action_edge(self, direction: int) -> None:
        self.highlighted = 0 if direction < 0 else len(self.features) - 1

    def action_confirm_step(self) -> None:
        if self.answered:
            for feature in self.features.values():  # the list is confirmed as it stands
                if feature[1] is None:
                    feature[1] = False
        self.confirm()
        self.rebuild()

    def action_toggle(self) -> None:
        if self.cursor is None or not self.features:
            return
        fid = list(self.features)[self.cursor]
        self.features[fid][1] = not self.features[fid][1]
        self._post(f"feature:{fid}", "1" if self.features[fid][1] else "0")
        self.rebuild()

    def action_none(self) -> None:
        """"None of them is in production": an answer for the whole list."""
        if not self.features:
            return
        for feature in self.features.values():
            feature[1] = False
        self._post("none")
        self.rebuild()


SHORT_LABELS = {"fixed": "Fixed", "contacts": "Contacts", "referenceability": "Refs", "implementation": "Impl.",
                "features": "Features", "comment": "Words"}
# What the keys of a step do; the last part says what Enter does.
STEP_HINTS = {
    "fixed": "y yes · n no · p partly",
    "contacts": "g gone · e correct · a add",
    "referenceability": "y yes · n no · l not now · N no to all · c condition",
    "implementation": "1-4 or ↑↓ Enter choose",
    "features": "Space tick · n none in production",
}
NOT_ASKED = "not asked"


class StepBar(Static):
    """'1 Contacts ✓ 2 Refs ? 3 Impl. …': the current step highlighted, ✓ a
    step answered in this call, 'not asked' (or '?' when short of room) a
    step left without an answer."""

    DEFAULT_CSS = "StepBar { width: 1fr; height: 1; padding: 0 1; }"

    order: tuple[str, ...] = ORDER

    def show(self, current: str, asked: set[str], left: set[str] = frozenset(),
             order: tuple[str, ...] | None = None) -> None:
        self.current, self.asked, self.left = current, asked, left
        self.order = order or self.order
        room = self.size.width - 2 if self.size.width else 0
        # Roomiest first; last, every step by its short name ("1 Fixed" when
        # "Was it fixed?" would push the last step off an 80-column bar).
        for short, words, whole_current in ((False, True, True), (True, True, True), (True, False, True),
                                            (True, False, False)):
            content = self._content(short, words, whole_current)
            if not room or content.cell_length <= room:
                break
        self.update(content)

    def on_resize(self) -> None:
        if hasattr(self, "current"):
            self.show(self.current, self.asked, self.left)

    def _content(self, short: bool, words: bool, whole_current: bool = True) -> Content:
        parts: list = []
        for n, step in enumerate(self.order, 1):
            if parts:
                parts.append((" " if short else " › ", "$text-muted"))
            whole = not short or (whole_current and step == self.current)
            name = STEP_LABELS[step] if whole else SHORT_LABELS[step]
            label = f"{n} {name}".rstrip()
            if step in self.asked:
                label += " ✓"
            style = "reverse bold" if step == self.current else ("$success" if step in self.asked else "$text-muted")
            parts.append((label, style))
            if step in self.left and step not in self.asked:
                parts.append((f" {NOT_ASKED}" if words else " ?", "bold $warning"))
        return Content.assemble(*parts)


class ScriptPanel(Vertical):
    """Timer, step bar, the current step and the 'in their words' line."""

    DEFAULT_CSS = """
    ScriptPanel { height: 1fr; }
    ScriptPanel #call-status { height: 1; }
    ScriptPanel ContentSwitcher { height: 1fr; border: round $secondary; padding: 0 1; }
    ScriptPanel ContentSwitcher:focus-within { border: round $accent; }
    ScriptPanel .step { height: 1fr; }
    ScriptPanel .step-more { height: 1; color: $text-muted; text-style: italic; }
    ScriptPanel #ref-condition-row { height: 1; }
    ScriptPanel #ref-condition-label { width: auto; color: $text-muted; }
    ScriptPanel #ref-condition { height: 1; border: none; padding: 0 1; margin: 0; width: 1fr; }
    ScriptPanel #comment { height: 1; border: none; padding: 0 1; margin: 0; }
    ScriptPanel #comment-hint { height: 1; width: 100%; padding: 0 1; background: $surface; color: $text-disabled; }
    ScriptPanel #comment:focus, ScriptPanel #ref-condition:focus { background: $boost; }
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.current = STEPS[0]
        self.order: tuple[str, ...] = ORDER  # with "fixed" first when there is something to ask
        self.asked: set[str] = set()  # steps with an answer recorded in this call
        self.left: set[str] = set()  # steps the caller has moved on from
        self.profile: Profile | None = None
        self.now: datetime | None = None
        self.saved_condition = ""
        self.saved_note = ""
        self.before_comment: str | None = None  # the step F4 came from
        self._stale: set[str] = set()  # steps whose list still shows the previous customer
        self._made: set[str] = set()  # steps whose box is made (`_step`): the others are made when first shown
        self._questions: list = []  # the call's "Was it fixed?" questions (callers.loop.Question)

    def compose(self) -> ComposeResult:
        with Horizontal(id="call-status"):
            yield CallTimer(id="call-timer")
            yield StepBar(id="step-bar")
        with ContentSwitcher(initial="step-contacts", id="steps"):
            # The desk starts with the contacts step only: the others, hidden
            # until then, are made when first shown (`_step`), so they are not
            # built, styled and restyled before the first customer.
            self._made.add("contacts")
            with Vertical(id="step-contacts", classes="step"):
                for widget, children in self._step_parts("contacts"):
                    yield widget
        # The "in their words" line starts as its placeholder: the Input (with
        # its styles, cursor and timers) is made the first time it is needed
        # (`_comment`), which for most calls is never, and never before the first customer.
        yield Static(COMMENT_HINT, id="comment-hint", markup=False)

    def _comment(self) -> Input:
        """The "in their words" line, made in the placeholder's place if it is not yet made."""
        try:
            return self.query_one("#comment", Input)
        except NoMatches:
            comment = Input(placeholder=COMMENT_HINT, id="comment", max_length=1000, select_on_focus=False)
            hint = self.query_one("#comment-hint", Static)
            self.mount(comment, before=hint)
            hint.remove()
            return comment

    def _typed_note(self) -> str:
        """What the "in their words" line holds ('' while it is its placeholder)."""
        try:
            return self.query_one("#comment", Input).value.strip()
        except NoMatches:
            return ""

    def _step_parts(self, step: str) -> list[tuple[Widget, list[Widget]]]:
        """A step's widgets, as (widget, its children): its list, the "more
        below" line and (references) the condition row."""
        more = Static("", classes="step-more", markup=False)
        more.display = False  # shown when rows are out of sight (`show_more`)
        if step == LOOP:
            loop_list = LoopList(id="fixed-list")
            loop_list.questions = list(self._questions)
            return [(loop_list, []), (more, [])]
        if step == "referenceability":
            condition = Input(placeholder="e.g. only after go-live", id="ref-condition", max_length=500,
                              select_on_focus=False)
            condition.value = self.saved_condition
            return [(ReferenceList(id="referenceability-list"), []), (more, []),
                    (Horizontal(id="ref-condition-row"),
                     [Static("Condition (c):", id="ref-condition-label", markup=False), condition])]
        made = {"contacts": ContactsList, "implementation": ImplementationList, "features": FeatureList}[step]
        return [(made(id=f"{step}-list"), []), (more, [])]

    def _step(self, step: str) -> None:
        """Make the step's box if it is not yet made, in its place among the
        others (the order of LOOP_ORDER), hidden until the switcher shows it.
        Its widgets are mounted at once, so they can be queried and filled."""
        if step in self._made:
            return
        self._made.add(step)
        switcher = self.query_one("#steps", ContentSwitcher)
        box = Vertical(id=f"step-{step}", classes="step")
        box.display = False
        later = [s for s in LOOP_ORDER[LOOP_ORDER.index(step) + 1:] if s in self._made]
        if later:
            switcher.mount(box, before=f"#step-{later[0]}")
        else:
            switcher.mount(box)
        for widget, children in self._step_parts(step):
            box.mount(widget)
            if children:
                widget.mount(*children)
        if step == LOOP and self._questions and self.profile is not None:
            self.query_one("#fixed-list", LoopList).load(self.profile, self.now)

    def step_list(self, step: str) -> StepList | FeatureList:
        """The step's list, filled with this customer's answers. Only the
        step on screen is filled when a customer is shown; the others when
        first shown or asked for (four option lists rebuilt per customer
        were a third of the time between the outcome key and the next
        customer on screen)."""
        self._step(step)
        found = self.query_one(f"#{step}-list")
        if step in self._stale and self.profile is not None:
            self._stale.discard(step)
            found.load(self.profile, self.now)
        return found

    def load(self, state: CallState, now: datetime, start: str | None = None, questions: list | None = None) -> None:
        """Show a call; `start`: the step to open on (else the first not
        answered); `questions`: the forwards to ask "Was it fixed?" about."""
        profile = state.profile
        self.profile, self.now = profile, now
        self.order = LOOP_ORDER if questions else ORDER
        self._questions = list(questions or [])
        if LOOP in self._made:
            loop_list = self.query_one("#fixed-list", LoopList)
            loop_list.questions = list(self._questions)
            if questions:
                loop_list.load(profile, now)
        self.asked = calls.steps_asked(state.answers)
        self.left = set()
        self.before_comment = None
        self._stale = set(STEPS)
        self.saved_condition = printable(profile.ref_condition or "")  # as shown: unchanged, unsaved
        if "referenceability" in self._made:
            self.query_one("#ref-condition", Input).value = self.saved_condition
        self.saved_note = printable(state.note or "")
        if self.saved_note or self.query("#comment"):
            self._comment().value = self.saved_note
        self.show_step(start or next((s for s in STEPS if s not in self.asked), "comment"), focus=False,
                       opening=True)
        self.left = set()  # opening on a step is not leaving the ones before it

    def refresh_profile(self, profile: Profile, now: datetime) -> None:
        """New facts from the database (e.g. after adding a contact)."""
        self.profile, self.now = profile, now
        for step in STEPS:
            if step in self._stale:
                continue  # filled from the new profile when shown
            step_list = self.step_list(step)
            keep = step_list.highlighted
            answered = step_list.answered
            step_list.load(profile, now)
            step_list.answered = answered
            if keep is not None and step_list.option_count:
                step_list.highlighted = min(keep, step_list.option_count - 1)
        self._titles()

    def _titles(self) -> None:
        if self.profile is None or self.now is None:
            return
        step = self.current if self.current in STEPS or self.current == LOOP else STEPS[-1]
        switcher = self.query_one("#steps", ContentSwitcher)
        n = self.order.index(step) + 1
        if step == LOOP:
            asked = len(self.query_one("#fixed-list", LoopList).questions)
            done = "1 forward" if asked == 1 else f"{asked} forwards"
            switcher.border_title = f"{n} {STEP_LABELS[step]} · {done} done since the last call"
            switcher.border_subtitle = f"{STEP_HINTS[step]} · Enter skips"
            self.query_one(StepBar).show(self.current, self.asked, self.left, self.order)
            return
        if step in self.asked:
            when = "answered in this call"
        else:
            when = confirmed(calls.step_confirmed_at(self.profile, step), self.now)
            if step in self.left:
                when += f" · {NOT_ASKED} in this call"
        switcher.border_title = f"{n} {STEP_LABELS[step]} · {when}"
        enter = "Enter confirm" if self.step_list(step).has_facts else "Enter go on"
        switcher.border_subtitle = f"{STEP_HINTS[step]} · {enter}"
        self.query_one(StepBar).show(self.current, self.asked, self.left, self.order)

    def show_step(self, step: str, focus: bool = True, opening: bool = False) -> None:
        if not opening and self.current != step and (self.current in STEPS or self.current == LOOP):
            self.left.add(self.current)  # (opening on a step is not leaving the ones before it)
        changed = self.current != step or opening
        self.current = step
        if step in STEPS or step == LOOP:
            self.step_list(step)  # filled before it shows
            self.query_one("#steps", ContentSwitcher).current = f"step-{step}"
        self._titles()
        if changed:
            self.post_message(StepShown(step, opening))
        if focus:
            self.focus_current()

    def focus_current(self) -> None:
        if self.current == "comment":
            self._comment().focus()
        else:
            step_list = self.step_list(self.current)
            step_list.focus()
            if step_list.highlighted is None and step_list.option_count and getattr(step_list, "cursor_on_focus",
                                                                                    True):
                step_list.highlighted = 0

    def next_step(self) -> None:
        order = self.order
        self.show_step(order[min(order.index(self.current) + 1, len(order) - 1)])

    def previous_step(self) -> None:
        order = self.order
        self.show_step(order[max(order.index(self.current) - 1, 0)])

    def toggle_comment(self) -> None:
        """F4: to the "in their words" line, and from it back to the step the caller was on."""
        if self.current == "comment":
            self.show_step(self.before_comment or next((s for s in STEPS if s not in self.asked), STEPS[0]))
            self.before_comment = None
        else:
            self.before_comment = self.current
            self.show_step("comment")

    def on_answered(self, message: Answered) -> None:
        # Not stopped: the screen saves it.
        if message.step in STEPS and message.step not in self.asked:
            self.asked.add(message.step)
            self._titles()

    def on_fixed_answered(self, message: FixedAnswered) -> None:
        # Not stopped: the screen saves it.
        if LOOP not in self.asked:
            self.asked.add(LOOP)
            self._titles()

    def on_step_done(self, message: StepDone) -> None:
        order = self.order
        following = [s for s in order[order.index(message.step) + 1:] if s not in self.asked or s == "comment"]
        self.show_step(following[0] if following else "comment")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if event.input.id == "ref-condition":
            self.save_condition()
            self.step_list("referenceability").focus()
        elif event.input.id == "comment":
            self.save_note()
            self.post_message(WordsDone())

    def on_descendant_blur(self, event) -> None:
        if getattr(event.widget, "id", None) == "ref-condition":
            self.save_condition()

    def save_condition(self) -> None:
        if "referenceability" not in self._made:
            return  # never shown: nothing typed
        value = self.query_one("#ref-condition", Input).value.strip()
        if value != self.saved_condition:
            self.saved_condition = value
            self.step_list("referenceability").answered = True
            self.post_message(Answered("referenceability", "condition", value))

    def save_note(self) -> bool:
        """Save the 'in their words' line if it changed. True if it did."""
        value = self._typed_note()
        if value == self.saved_note:
            return False
        self.saved_note = value
        self.post_message(Answered("comment", "note", value))
        return True

    def pending_note(self) -> str | None:
        return self._typed_note() or None
