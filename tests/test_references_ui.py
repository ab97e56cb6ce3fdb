"""The references screen through the pilot, at 80x24 (both engines)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from textual.widgets import DataTable, Input, Select, Static

from callers import clock, names
from callers.app import CallersApp
from models.tables import CustomerFeature, Feature, ReferenceUse, ThankYou
from screens.references import ReferencesScreen, UseModal, references_screen
from tests.support import factories
from tests.support.painted import key_bar_fits, toast_painted


def mk(name: str, confirmed_days: int = 5, **fields):
    values = dict(ref_prospect_call="yes", implementation_state="live", name_key=names.name_key(name),
                  referenceability_confirmed_at=clock.db_now() - timedelta(days=confirmed_days))
    values.update(fields)
    return factories.customer(name, **values)


@pytest.fixture
def data(db, now):
    at = now("2026-11-23T12:00:00+00:00")
    first = mk("Offered [bold] Ltd", external_id="O-1", industry="Banking", country="DE",
               gift_restriction="public body: [no] gifts", ref_condition="only [ERR-7] on Tuesdays")
    CustomerFeature.create(customer=first, feature=Feature.create(name="SSO"), in_production=True)
    mk("Stale Co", external_id="S-1", confirmed_days=200, industry="Retail")
    tired = mk("Tired Co", external_id="T-1", industry="Banking")
    for days in (1, 2):
        ReferenceUse.create(customer=tired, ref_type="prospect-call", requested_by="sales",
                            prospect="Earlier", used_at=clock.to_db(at - timedelta(days=days)))
    mk("Stalled Co", implementation_state="stalled")
    return at


def text(widget: Static) -> str:
    return str(widget.render())


async def settle(app, pilot):
    await pilot.pause()
    await app.workers.wait_for_complete()
    await pilot.pause()


async def test_screen_lists_ranks_and_logs_uses(data):
    app = CallersApp(caller="sally", first=references_screen())
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, ReferencesScreen)
        table = screen.query_one("#ref-table", DataTable)
        assert table.row_count == 3  # the stalled one is not live
        names_shown = [str(table.get_row_at(i)[1]) for i in range(3)]
        assert names_shown == ["Offered [bold] Ltd", "Stale Co", "Tired Co"]
        assert str(table.get_row_at(2)[6]).startswith("resting")
        assert str(table.get_row_at(1)[6]) == "stale"
        assert text(screen.query_one("#ref-status", Static)).startswith("2 offered, 1 resting")
        detail = text(screen.query_one("#ref-detail", Static))
        assert "Offered [bold] Ltd" in detail  # literal, not markup
        assert "Gift restriction: public body: [no] gifts" in detail
        assert "Conditions: only [ERR-7] on Tuesdays" in detail
        assert "Features: SSO" in detail and "Buyer: Jane Doe" in detail
        assert "Why: agreed to prospect calls" in detail
        assert ("Asked: prospect call yes · case study unknown · press unknown · analyst unknown · "
                "site visit unknown") in detail

        await pilot.press("down")
        assert "STALE" in text(screen.query_one("#ref-detail", Static))

        # Log a use of the first customer.
        await pilot.press("up", "u")
        await pilot.pause()
        assert isinstance(app.screen, UseModal)
        await pilot.press(*"Globex", "enter")
        await settle(app, pilot)
        assert isinstance(app.screen, ReferencesScreen)
        painted = await toast_painted(app, pilot, "Logged: Offered [bold] Ltd for Globex; thank-you owed")
        assert "Gift restriction: public body: [no]" in painted
        use = ReferenceUse.get(ReferenceUse.prospect == "Globex")
        assert (use.requested_by, use.ref_type, use.override_reason) == ("sally", "prospect-call", None)
        assert ThankYou.select().where(ThankYou.use == use.id).count() == 1
        assert str(table.get_row_at(0)[4]) == "1"  # reloaded: one use in the window

        # The resting customer needs a reason.
        await pilot.press("down", "down", "u")
        await pilot.pause()
        modal = app.screen
        assert isinstance(modal, UseModal)
        assert "Resting: 2 uses" in text(modal.query_one("#use-resting", Static))
        await pilot.press(*"Initech", "enter")
        await pilot.pause()
        assert app.screen is modal  # refused without a reason
        assert "an override needs a reason" in text(modal.query_one("#use-error", Static))
        modal.query_one("#use-reason", Input).focus()
        await pilot.press(*"CEO asked", "enter")
        await settle(app, pilot)
        assert isinstance(app.screen, ReferencesScreen)
        use = ReferenceUse.get(ReferenceUse.prospect == "Initech")
        assert use.override_reason == "CEO asked"

        # Escape cancels without logging.
        await pilot.press("u")
        await pilot.pause()
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, ReferencesScreen)
        assert ReferenceUse.select().count() == 4


async def test_filters_reload_the_list(data):
    app = CallersApp(caller="sally", first=references_screen({"industry": "banking"}))
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await settle(app, pilot)
        screen = app.screen
        table = screen.query_one("#ref-table", DataTable)
        assert [str(table.get_row_at(i)[1]) for i in range(table.row_count)] == ["Offered [bold] Ltd", "Tired Co"]
        screen.query_one("#ref-state", Select).value = "stalled"
        await settle(app, pilot)
        assert table.row_count == 0
        assert "No referenceable customer fits" in text(screen.query_one("#ref-detail", Static))
        screen.query_one("#ref-state", Select).value = "live"
        await settle(app, pilot)
        box = screen.query_one("#ref-size", Input)
        box.focus()
        await pilot.press(*"lots", "enter")
        await settle(app, pilot)
        assert "is not MIN-MAX employees" in text(screen.query_one("#ref-status", Static))
        box.value = ""
        box.focus()
        await pilot.press("escape")  # back to the list
        assert app.focused is table
        screen.query_one("#ref-type", Select).value = "press"
        await settle(app, pilot)
        assert table.row_count == 0
        assert text(screen.query_one("#ref-status", Static)).startswith("0 offered, 0 resting")


async def test_thank_yous_oldest_first_with_gift_restriction(data):
    from callers import references as refs
    from screens.references import ThanksScreen

    refs.log_use("S-1", "prospect-call", "Later prospect", "sally", now=data)
    refs.log_use("O-1", "prospect-call", "Earlier prospect", "sally", now=data - timedelta(days=3))
    app = CallersApp(caller="mona", first=references_screen())
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await settle(app, pilot)
        await pilot.press("t")
        await settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, ThanksScreen)
        table = screen.query_one("#thanks-table", DataTable)
        assert [str(table.get_row_at(i)[1]) for i in range(2)] == ["Offered [bold] Ltd", "Stale Co"]
        assert text(screen.query_one("#thanks-gift", Static)) == "Gift restriction: public body: [no] gifts"
        await pilot.press("s")
        await settle(app, pilot)
        await toast_painted(app, pilot, "Thank-you to Offered [bold] Ltd marked sent")
        assert table.row_count == 1 and str(table.get_row_at(0)[1]) == "Stale Co"
        sent = ThankYou.get(ThankYou.sent_at.is_null(False))
        assert sent.sent_by == "mona" and sent.customer.name == "Offered [bold] Ltd"
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, ReferencesScreen)


async def test_failures_and_nobody_to_use_are_said(data, monkeypatch):
    """Every notification of the references screen, read once painted."""
    from callers import references as refs
    from callers.errors import CallersError
    from screens.references import ThanksScreen

    app = CallersApp(caller="sally", first=references_screen({"industry": "nothing like this"}))
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await settle(app, pilot)
        await pilot.press("u")
        await toast_painted(app, pilot, "Nobody to use: no customer selected.")

    def refused(*args, **kwargs):
        raise CallersError("Offered [bold] Ltd has not said yes to [press]")

    monkeypatch.setattr(refs, "log_use", refused)
    app = CallersApp(caller="sally", first=references_screen())
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await settle(app, pilot)
        await pilot.press("u")
        await pilot.pause()
        await pilot.press(*"Globex", "enter")
        await settle(app, pilot)
        await toast_painted(app, pilot, "Not logged Offered [bold] Ltd has not said yes to [press]")

        def broken():
            raise CallersError("the [thank-you] list is away")

        monkeypatch.setattr(refs, "thanks_owed", broken)
        await pilot.press("t")
        await settle(app, pilot)
        assert isinstance(app.screen, ThanksScreen)
        text = await toast_painted(app, pilot, "the [thank-you] list is away")
        assert "Traceback" not in text


async def test_keys_fit_80_columns_and_the_palette_lists_them(data):
    from screens.commands import screen_commands
    from screens.references import ThanksScreen

    app = CallersApp(caller="sally", first=references_screen())
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await settle(app, pilot)
        key_bar_fits(app)
        titles = [title for title, _run in screen_commands(app.screen)]
        for expected in ("Log use  (u)", "Thank-yous  (t)", "Refresh  (F5)", "Quit  (^q)"):
            assert expected in titles, titles
        await pilot.press("t")
        await settle(app, pilot)
        assert isinstance(app.screen, ThanksScreen)
        key_bar_fits(app)
