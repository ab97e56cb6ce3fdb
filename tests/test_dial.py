"""Dialler URLs, where the dialler comes from (flag, environment, the user's
setting in a real database), `tel` with a stand-in desktop handler run as a
real program, and `callers dial` / `callers dialer` / `callers where`."""

from __future__ import annotations

import asyncio
import json
import os
import stat

import pytest

from callers import access, settings
from callers.cli import main
from callers.dialer import (
    ENV,
    DialerError,
    HandedOver,
    choose,
    dialer_from,
)
from callers.dialer.ami import ami_state
from callers.dialer.baresip import sip_state


@pytest.fixture(autouse=True)
def _no_dialer_from_outside(monkeypatch):
    monkeypatch.delenv(ENV, raising=False)


# -- URLs ---------------------------------------------------------------------


@pytest.mark.parametrize("url, kind, shown", [
    (None, "manual", "manual"),
    ("", "manual", "manual"),
    ("manual", "manual", "manual"),
    ("tel", "tel", "tel"),
    ("tel:", "tel", "tel:"),
    ("tel?to=sip:{number}@pbx.example.com", "tel", "tel?to=sip:{number}@pbx.example.com"),
    ("baresip://127.0.0.1", "baresip", "baresip://127.0.0.1"),
    ("baresip://10.0.0.5:4445?to=sip:{digits}@proxy.example.com;transport=tcp&ring_timeout=30", "baresip",
     "baresip://10.0.0.5:4445?to=sip:{digits}@proxy.example.com;transport=tcp&ring_timeout=30"),
    ("ami://admin:p%40ss@pbx:5038?channel=PJSIP/201&context=from-internal", "ami",
     "ami://admin:***@pbx:5038?channel=PJSIP/201&context=from-internal"),
])
def test_good_urls(url, kind, shown):
    dialer = dialer_from(url)
    assert dialer.kind == kind and dialer.url == shown


def test_url_options_are_read_and_typed():
    d = dialer_from("baresip://h?to=sip:{number}@p&connect_timeout=0.5&ring_timeout=30&dtmf_pause=1.5")
    assert (d.host, d.port, d.to, d.connect_timeout, d.ring_timeout, d.dtmf_pause) == (
        "h", 4444, "sip:{number}@p", 0.5, 30.0, 1.5)
    a = dialer_from("ami://u:p%40ss+1@pbx?channel=PJSIP/201&context=ctx&exten=9{digits}&priority=2&callerid=Desk")
    assert (a.user, a.secret, a.port, a.exten, a.priority, a.callerid) == ("u", "p@ss+1", 5038, "9{digits}", 2,
                                                                            "Desk")


@pytest.mark.parametrize("url, message", [
    ("sip://x", "dialler URL sip://x: unknown kind of dialler; use manual, tel, baresip://HOST:PORT?to=sip:{number}"
                "@PROXY or ami://USER:SECRET@HOST:5038?channel=PJSIP/201&context=from-internal"),
    ("baresip", "dialler URL baresip: unknown kind of dialler"),
    ("tel://phone", "dialler URL tel://phone: `tel` takes no address; use `tel` or tel?to=sip:{number}@pbx.example.com"),
    ("baresip://", "dialler URL baresip://: has no host"),
    ("baresip://h:44x4", "dialler URL baresip://h:44x4: the port '44x4' is not a number from 1 to 65535"),
    ("baresip://h:70000", "dialler URL baresip://h:70000: the port '70000' is not a number from 1 to 65535"),
    ("baresip://h/path", "dialler URL baresip://h/path: has a path (/path); options go after ?"),
    ("baresip://h?to=sip:alice@p", "dialler URL baresip://h?to=sip:alice@p: to=sip:alice@p never says where the "
                                   "number goes: put {number} or {digits} in it"),
    ("baresip://h?to=sip:{phone}@p", "dialler URL baresip://h?to=sip:{phone}@p: to=sip:{phone}@p has {phone}; "
                                     "a template takes {number} (E.164, +12125550284) or {digits} (12125550284)"),
    ("baresip://h?to=sip:{number}}@p", "has an unmatched brace"),
    ("baresip://h?ring_timeout=soon", "dialler URL baresip://h?ring_timeout=soon: ring_timeout=soon is not a "
                                      "number of seconds"),
    ("baresip://h?ring_timeout=0", "ring_timeout=0 must be between 0.5 and 600 seconds"),
    ("baresip://h?dtmf_paus=2", "dialler URL baresip://h?dtmf_paus=2: unknown option 'dtmf_paus' (it takes "
                                "connect_timeout, dtmf_pause, ring_timeout, to)"),
    ("baresip://h?to={number}&to={digits}", "option 'to' is given twice"),
    ("baresip://h?verbose", "option 'verbose' is not name=value"),
    ("ami://pbx?channel=PJSIP/201&context=c", "dialler URL ami://pbx?channel=PJSIP/201&context=c: needs the "
                                              "manager user and secret: ami://USER:SECRET@HOST:5038?…"),
    ("ami://u:s@pbx?context=c", "dialler URL ami://u:***@pbx?context=c: needs ?channel=… (e.g. channel=PJSIP/201)"),
    ("ami://u:s@pbx?channel=PJSIP/201", "needs ?context=… (e.g. context=from-internal)"),
    ("ami://u:s@pbx?channel=PJSIP/{extension}&context=c", "channel=PJSIP/{extension} must name the caller's own "
                                                          "phone, e.g. channel=PJSIP/201"),
    ("ami://u:s@pbx?channel=PJSIP/1&context=c&priority=first", "priority=first must be a whole number from 1 to 99999"),
    ("tel?to={number}", "dialler URL tel?to={number}: to={number} needs a scheme, like tel:{number} or "
                        "sip:{number}@pbx.example.com"),
    ("manual?x=1", "dialler URL manual?x=1: unknown option 'x' (it takes none)"),
    ("baresip://h?to=%0d%0a{number}", "to= holds a control character"),
])
def test_bad_urls_say_what_is_wrong_in_one_line(url, message):
    with pytest.raises(DialerError) as caught:
        dialer_from(url)
    text = str(caught.value)
    assert message in text and "\n" not in text
    assert "s@" not in text  # a secret is never shown


# -- where the dialler comes from -----------------------------------------------


def test_the_flag_wins_then_the_environment_then_the_setting_then_manual():
    asked = []

    def stored():
        asked.append(True)
        return "tel"

    assert choose("baresip://a", {ENV: "baresip://b"}, stored).source == "from --dialer"
    assert choose(None, {ENV: "baresip://b"}, stored).url == "baresip://b" and not asked
    assert choose(None, {}, stored, "ana") == choose("  ", {ENV: " "}, stored, "ana")
    assert choose(None, {}, stored, "ana").source == "from ana's setting in the database"
    assert choose(None, {}, lambda: None).url == "manual" and choose(None, {}, lambda: None).source == "by default"


def test_the_per_user_setting_is_kept_apart_from_the_shared_settings(db):
    settings.put_user("dialer", "ana", "tel")
    settings.put_user("dialer", "bob", "baresip://127.0.0.1:4444")
    assert settings.get_user("dialer", "ana") == "tel" and settings.get_user("dialer", "eve") is None
    assert settings.all_users("dialer") == {"ana": "tel", "bob": "baresip://127.0.0.1:4444"}
    assert set(settings.get_all()) == set(settings.DEFAULTS)
    settings.put_user("dialer", "ana", None)
    assert settings.all_users("dialer") == {"bob": "baresip://127.0.0.1:4444"}


def test_callers_dialer_set_where_and_clear(db, capsys, monkeypatch):
    url = "ami://desk:s3cret@pbx.example.com?channel=PJSIP/201&context=from-internal"
    assert main(["--as", "ana", "dialer", "set", url]) == 0
    out = capsys.readouterr().out
    assert out == ("ana's dialler is now ami://desk:***@pbx.example.com?channel=PJSIP/201&context=from-internal; "
                   "note: everyone who can read this database can read its secret\n")
    assert main(["--as", "ana", "where"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines == [db.url if db.engine == "sqlite" else lines[0],
                     "dialler: ami://desk:***@pbx.example.com?channel=PJSIP/201&context=from-internal "
                     "(from ana's setting in the database)"]
    assert main(["--as", "bob", "dialer"]) == 0
    assert capsys.readouterr().out == "dialler: manual (by default)\n"
    assert main(["--as", "bob", "dialer", "--for", "ana"]) == 0
    assert capsys.readouterr().out == ("dialler: ami://desk:***@pbx.example.com?channel=PJSIP/201&context=from-"
                                       "internal (from ana's setting in the database)\n")
    monkeypatch.setenv(ENV, "tel")
    assert main(["--as", "ana", "dialer"]) == 0
    assert capsys.readouterr().out == f"dialler: tel (from {ENV})\n"
    monkeypatch.delenv(ENV)
    assert main(["dialer", "clear", "--as", "ana"]) == 0
    assert capsys.readouterr().out == "ana has no dialler setting now (CALLERS_DIALER or manual applies)\n"
    assert settings.get_user("dialer", "ana") is None


def test_a_bad_url_is_refused_before_it_is_stored(db, capsys):
    assert main(["dialer", "set", "baresip://h?to=sip:alice@p", "--as", "ana"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("callers: error: dialler URL baresip://h?to=sip:alice@p: ") and err.count("\n") == 1
    assert settings.all_users("dialer") == {}


def test_once_there_are_users_only_a_supervisor_sets_diallers(db, capsys):
    access.add_user("sam", "supervisor")
    access.add_user("cal", "caller")
    assert main(["dialer", "set", "tel", "--as", "cal"]) == 1
    err = capsys.readouterr().err
    if db.engine == "postgresql":  # the administrator's connection may act for a supervisor only
        assert "--as may name a supervisor, and cal is a caller" in err, err
    else:
        assert "cal is a caller; managing the database needs a supervisor" in err, err
    assert main(["dialer", "set", "tel", "--for", "nobody", "--as", "sam"]) == 1
    assert "'nobody' is not a callers user here" in capsys.readouterr().err
    assert main(["dialer", "set", "tel", "--for", "cal", "--as", "sam"]) == 0
    assert settings.all_users("dialer") == {"cal": "tel"}
    capsys.readouterr()
    assert main(["dialer", "--for", "cal", "--as", "sam"]) == 0
    assert capsys.readouterr().out == "dialler: tel (from cal's setting in the database)\n"


def test_where_never_creates_the_database(tmp_path, capsys, monkeypatch):
    missing = tmp_path / "nowhere" / "callers.db"
    monkeypatch.setenv("CALLERS_DB", str(missing))
    assert main(["where"]) == 0
    assert capsys.readouterr().out == f"{missing}\ndialler: manual (by default)\n"
    assert not missing.exists()


def test_where_with_an_unreachable_database_still_answers(capsys, monkeypatch):
    monkeypatch.setenv("CALLERS_DB", "postgresql://postgres@127.0.0.1:1/test")
    assert main(["where"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[1].startswith("dialler: manual (by default; the per-user setting could not be read: cannot open ")


# -- callers dial: what it refuses ------------------------------------------------


@pytest.mark.parametrize("args, message", [
    (["dial"], "`callers dial` needs a NUMBER (or --test to check the dialler)"),
    (["dial", "--test", "+12125550284"], "`callers dial --test` calls nobody: give no NUMBER"),
    (["dial", "2125550284"], "cannot dial '2125550284': it has no country code: write it as +CC… or give --region CC"),
    (["dial", "call me"], "cannot dial 'call me': phone 'call me' is not a phone number"),
    (["dial", "+12125550284"], "no dialler is set up (manual): dial +12125550284 by hand, or set one with --dialer "
                               "URL, CALLERS_DIALER or `callers dialer set URL`"),
    (["dial", "+12125550284", "--dialer", "baresip://h?x=1"], "dialler URL baresip://h?x=1: unknown option 'x' "
     "(it takes connect_timeout, dtmf_pause, ring_timeout, to) (from --dialer)"),
    (["dial", "+12125550284", "--dialer", "baresip://h", "--hangup-after", "-1"],
     "--hangup-after takes a number of seconds, 0 or more"),
])
def test_callers_dial_refuses_in_one_line(args, message, capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("CALLERS_DB", str(tmp_path / "none.db"))
    assert main(args) == 1
    assert capsys.readouterr().err == f"callers: error: {message}\n"


def test_a_bad_url_in_the_environment_says_where_it_came_from(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv(ENV, "ami://pbx")
    assert main(["dial", "--test"]) == 1
    assert capsys.readouterr().err.endswith(f"(from {ENV})\n")


def test_the_national_number_with_a_region_and_an_extension(capsys, tmp_path, monkeypatch):
    """--region reads a national number; ext. 23 rides along (and is refused by manual, which dials nothing)."""
    monkeypatch.setenv("CALLERS_DB", str(tmp_path / "none.db"))
    assert main(["dial", "(212) 555-0284 ext. 23", "--region", "US"]) == 1
    assert "dial +12125550284 by hand" in capsys.readouterr().err


# -- tel: a stand-in desktop handler, run as a real program -------------------------


def handler(folder, body: str):
    """An `xdg-open` on PATH that records its arguments, one per line."""
    folder.mkdir(exist_ok=True)
    script = folder / "xdg-open"
    script.write_text(f"#!/bin/sh\nfor a in \"$@\"; do printf '%s\\n' \"$a\" >> {folder}/argv; done\n{body}\n")
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return folder / "argv"


@pytest.fixture
def desktop(tmp_path, monkeypatch):
    folder = tmp_path / "bin"
    monkeypatch.setenv("PATH", f"{folder}{os.pathsep}{os.environ['PATH']}")
    return folder


async def test_tel_hands_the_uri_to_the_handler_without_a_shell(desktop):
    argv = handler(desktop, "exit 0")
    dialer = dialer_from("tel?to=sip:{number}@pbx.example.com;x=$(touch%20pwned)")
    call = await dialer.dial("+12125550284", extension="23")
    events = [event async for event in call]
    assert len(events) == 1 and isinstance(events[0], HandedOver)
    assert (events[0].uri, events[0].handler) == ("sip:+12125550284@pbx.example.com;x=$(touch pwned)", "xdg-open")
    assert argv.read_text() == "sip:+12125550284@pbx.example.com;x=$(touch pwned)\n"
    assert not (desktop / "pwned").exists() and not os.path.exists("pwned")
    assert call.done and call.result is None and not dialer.reports_progress


async def test_tel_says_what_the_handler_said_when_it_fails(desktop):
    handler(desktop, "echo \"xdg-open: no method available for opening '$1'\" >&2; exit 3")
    with pytest.raises(DialerError) as caught:
        await dialer_from("tel").dial("+12125550284")
    assert str(caught.value) == ("tel: xdg-open could not open tel:+12125550284: "
                                 "xdg-open: no method available for opening 'tel:+12125550284'")


async def test_a_handler_that_keeps_running_has_taken_the_call(desktop):
    argv = handler(desktop, "sleep 30")
    dialer = dialer_from("tel")
    call = await asyncio.wait_for(dialer.dial("+442079460958"), 10)
    assert isinstance(await anext(aiter(call)), HandedOver)
    assert argv.read_text() == "tel:+442079460958\n"
    await dialer.close()


def test_callers_dial_with_tel_prints_the_handover(desktop, capsys, tmp_path, monkeypatch):
    handler(desktop, "exit 0")
    monkeypatch.setenv("CALLERS_DB", str(tmp_path / "none.db"))
    assert main(["dial", "+1 212 555 0284", "--dialer", "tel", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out) == {
        "number": "+12125550284", "state": None, "cause": "handed tel:+12125550284 to xdg-open", "code": None,
        "ring_seconds": None, "talk_seconds": None}


async def test_tel_test_names_the_handler_and_the_application(desktop):
    handler(desktop, "exit 0")
    mime = desktop / "xdg-mime"
    mime.write_text('#!/bin/sh\n[ "$3" = x-scheme-handler/sip ] && echo linphone.desktop\nexit 0\n')
    mime.chmod(mime.stat().st_mode | stat.S_IXUSR)
    line = await dialer_from("tel?to=sip:{number}@pbx").test()
    assert line == f"tel: hands sip: links to {desktop / 'xdg-open'}, which opens linphone.desktop"
    with pytest.raises(DialerError) as caught:
        await dialer_from("tel").test()
    assert str(caught.value) == ("tel: no application is set to open tel: links (xdg-mime query default "
                                 "x-scheme-handler/tel says nothing); install or configure a softphone")


# -- reading the network's causes ---------------------------------------------------


@pytest.mark.parametrize("cause, state, code", [
    ("486 Busy Here", "busy", 486), ("600 Busy Everywhere", "busy", 600), ("603 Decline", "busy", 603),
    ("480 Temporarily Unavailable", "no_answer", 480), ("408 Request Timeout", "no_answer", 408),
    ("487 Request Terminated", "no_answer", 487), ("404 Not Found", "failed", 404),
    ("503 Service Unavailable", "failed", 503), ("Connection refused", "failed", None), (None, "failed", None),
])
def test_sip_causes(cause, state, code):
    assert sip_state(cause) == (state, code)


@pytest.mark.parametrize("status, cause, state", [
    ("BUSY", 17, "busy"), ("NOANSWER", 19, "no_answer"), ("CANCEL", 16, "cancelled"),
    ("CHANUNAVAIL", 1, "failed"), ("CONGESTION", 34, "failed"), (None, 17, "busy"), (None, 21, "busy"),
    (None, 18, "no_answer"), (None, 20, "no_answer"), (None, 16, "cancelled"), (None, 1, "failed"),
    (None, None, "failed"),
])
def test_pbx_causes(status, cause, state):
    assert ami_state(status, cause) == state
