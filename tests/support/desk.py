"""The desk under a pilot: two due customers to call, and a key presser that
counts keys and waits until the desk has settled."""

from __future__ import annotations

import contextlib
from datetime import timedelta

from callers import clock
from models.tables import Call, Contact, CustomerFeature, Department, Feature, Forward, ForwardEvent
from screens.desk import DeskScreen
from tests.support import factories

NOW = "2026-11-24T15:30:00+00:00"  # a Tuesday: London and Berlin are inside calling hours
SIZE = (80, 24)


# ---- data ------------------------------------------------------------------------


def desk_data(*, markup_names: bool = False, ask_fixed: bool = False) -> dict:
    """Two due customers: Acme (most overdue, with a full profile) then Beta.

    Acme's Support forward was done 12 days ago. `ask_fixed`: nobody has
    asked Acme "Was it fixed?" yet (the desk asks it first); otherwise
    Acme already said it was fixed (a phone call outside the desk), so the
    desk opens on contacts as it did before the question existed."""
    now = clock.now()
    long_ago = clock.to_db(now - timedelta(days=94))
    features = [Feature.create(name=name, position=i)
                for i, name in enumerate(["Reports", "API", "Workflows", "[bold]Dashboards"])]
    acme = factories.customer(
        "[bold]Acme[/bold] Ltd [ERR-7]" if markup_names else "Acme Ltd",
        external_id="ACC-1", industry="Software", employees=250, country="GB", account_manager="Lee Park",
        phone="+44 20 7946 0958 ext. 23", contact_name="[red]Jane Doe" if markup_names else "Jane Doe",
        due=now - timedelta(days=4),
        ref_prospect_call="yes", ref_case_study="not_now", ref_press="no",
        ref_condition="[i]only after go-live" if markup_names else "only after go-live",
        referenceability_confirmed_at=long_ago, implementation_state="live",
        implementation_confirmed_at=long_ago, features_confirmed_at=long_ago, contacts_confirmed_at=long_ago,
        last_reached_at=long_ago, last_call_at=long_ago)
    Contact.update(title="Head of IT", email="jane@acme.example", confirmed_at=long_ago).where(
        Contact.customer == acme.id).execute()
    at = clock.db_now()
    Contact.create(customer=acme, name="Sam User", role="user", title="Analyst", phone="+442079460959",
                   timezone="Europe/London", confirmed_at=long_ago, created_at=at, updated_at=at)
    for feature in features[:2]:
        CustomerFeature.create(customer=acme, feature=feature, in_production=True, confirmed_at=long_ago)
    Call.create(customer=acme, caller="bob", shown_at=long_ago, started_at=long_ago, ended_at=long_ago,
                outcome="completed")
    billing = Department.get(Department.name == "Billing")
    support = Department.get(Department.name == "Support")
    Forward.create(customer=acme, caller="bob", department=billing, note="[ERR-7] invoice twice" if markup_names
                   else "invoice sent twice", status="open", created_at=clock.to_db(now - timedelta(days=3)))
    done = Forward.create(customer=acme, caller="bob", department=support, note="login", status="done",
                          created_at=clock.to_db(now - timedelta(days=20)),
                          resolved_at=clock.to_db(now - timedelta(days=12)), resolution="password reset")
    if not ask_fixed:
        ForwardEvent.create(forward=done, status="fixed", at=clock.to_db(now - timedelta(days=11)), by="bob")
    beta = factories.customer("Beta GmbH", external_id="ACC-2", phone="+49 30 1234567", country="DE",
                              contact_name="Bernd Beta", due=now - timedelta(days=1))
    return {"acme": acme, "beta": beta, "features": features, "done_forward": done}


# ---- driving the app -------------------------------------------------------------


class Keys:
    """Presses keys and counts them; waits until the desk has settled."""

    def __init__(self, app, pilot) -> None:
        self.app, self.pilot, self.count = app, pilot, 0

    async def settle(self) -> None:
        from textual.worker import WorkerFailed

        for _ in range(50):
            try:
                await self.app.workers.wait_for_complete()
            except WorkerFailed:
                pass  # a database error the desk shows (and handles) itself
            await self.pilot.pause()
            if not any(w.is_running for w in self.app.workers) and not getattr(self.desk, "busy", False):
                break
        await self.pilot.pause()

    @property
    def desk(self) -> DeskScreen:
        return next(s for s in self.app.screen_stack if isinstance(s, DeskScreen))

    async def press(self, *keys: str) -> None:
        for key in keys:
            self.count += 1
            await self.pilot.press(key)
            await self.settle()

    async def type(self, text: str) -> None:
        """Typing text into a field (not counted as desk keystrokes)."""
        await self.pilot.press(*text)
        await self.settle()


def shown(app) -> str | None:
    desk = next(s for s in app.screen_stack if isinstance(s, DeskScreen))
    return desk.call.profile.customer.name if desk.call else None


@contextlib.asynccontextmanager
async def desk_app(caller: str = "alice", size: tuple[int, int] = SIZE, notifications: bool = True):
    """The real app on the desk, under a pilot, settled on its first
    customer: yields (app, pilot, keys)."""
    from callers.app import CallersApp

    app = CallersApp(caller=caller)
    async with app.run_test(size=size, notifications=notifications) as pilot:
        keys = Keys(app, pilot)
        await keys.settle()
        yield app, pilot, keys
