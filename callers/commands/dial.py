"""`callers dial NUMBER`, `callers dial --test` and `callers dialer [set URL|clear]`.

The dialler is `--dialer URL`, else CALLERS_DIALER, else the user's own
setting in the database (`callers dialer set URL`), else manual.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os

from callers.invocation import acting_user, add_command, current_user, db_url, open_db
from callers.dialer import (
    ANSWERED,
    Answered,
    Choice,
    Dialer,
    DialerError,
    Dtmf,
    Ended,
    HandedOver,
    Ringing,
    choose,
    dialer_from,
)
from callers.errors import CallersError

ORDER = 14
SETTING = "dialer"
WORDS = {"answered": "answered", "busy": "busy", "no_answer": "no answer", "failed": "failed",
         "cancelled": "cancelled"}


def me(args) -> str:
    return getattr(args, "caller", None) or current_user()


def stored_dialer(args, user: str | None) -> str | None:
    """The user's dialler setting, read without creating or upgrading the
    database (a SQLite file that does not exist has no settings)."""
    from callers import settings
    from models.db import connect, sqlite_path

    url = db_url(args)
    path = sqlite_path(url)
    if path is not None and not path.is_file():
        return None
    connect(url)
    if user is None:  # whoever runs this: on PostgreSQL with users, the login's user
        from callers import access

        user = access.identify(getattr(args, "caller", None), current_user())
    return settings.get_user(SETTING, user)


def chosen(args, user: str | None = None) -> Choice:
    return choose(getattr(args, "dialer", None), os.environ, lambda: stored_dialer(args, user), user or me(args))


def dialer_for(choice: Choice) -> Dialer:
    try:
        return dialer_from(choice.url)
    except DialerError as exc:
        raise DialerError(f"{exc} ({choice.source})") from None


def describe(args, user: str | None = None) -> str:
    """One line for `callers where`: the dialler in use (for `user`, default
    whoever runs callers) and where it came from."""
    try:
        choice = chosen(args, user)
    except Exception as exc:  # the database is only consulted for the per-user setting
        from models.db import first_line

        return f"dialler: manual (by default; the per-user setting could not be read: {first_line(exc)})"
    return f"dialler: {choice.shown} ({choice.source})"


# -- callers dial -------------------------------------------------------------


def run_dial(args) -> int:
    choice = chosen(args)
    dialer = dialer_for(choice)
    if args.test:
        if args.number:
            raise CallersError("`callers dial --test` calls nobody: give no NUMBER")
        print(f"{asyncio.run(_test(dialer))} (dialler {choice.source})")
        return 0
    if not args.number:
        raise CallersError("`callers dial` needs a NUMBER (or --test to check the dialler)")
    number, extension = _number(args.number, args.region)
    if args.hangup_after is not None and args.hangup_after < 0:
        raise CallersError("--hangup-after takes a number of seconds, 0 or more")
    say = None if args.format == "json" else (lambda line: print(line, flush=True))
    result = asyncio.run(_dial(dialer, number, extension, args.hangup_after, say))
    if args.format == "json":
        print(json.dumps(as_json(number, result), ensure_ascii=False))
    else:
        print(as_text(number, result))
    return 0


def _number(raw: str, region: str | None) -> tuple[str, str | None]:
    from callers import phones

    try:
        phone = phones.parse(raw, region)
    except phones.PhoneError as exc:
        reason = str(exc)
        if "no country code" in reason:
            reason = "it has no country code: write it as +CC… or give --region CC"
        raise CallersError(f"cannot dial {raw!r}: {reason}") from None
    return phone.e164, phone.extension


async def _test(dialer: Dialer) -> str:
    try:
        return await dialer.test()
    finally:
        await dialer.close()


async def _dial(dialer: Dialer, number: str, extension: str | None, hangup_after: float | None, say):
    """Place the call and follow it to its end; returns the last event
    (Ended, or HandedOver for tel)."""
    call = None
    try:
        call = await dialer.dial(number, extension)
        if say:
            say(f"dialling {number}" + (f" ext. {extension}" if extension else "")
                + f": {call.target} through {dialer.url}")
        last = hanging = None
        async for event in call:
            last = event
            if say and isinstance(event, Ringing):
                say("ringing")
            elif say and isinstance(event, Answered):
                say("answered" + (f"; hanging up in {hangup_after:g} s" if hangup_after is not None else ""))
            elif say and isinstance(event, Dtmf):
                say(f"could not send {event.digits} as DTMF: {event.problem}" if event.problem
                    else f"sent {event.digits} as DTMF")
            if isinstance(event, Answered) and hangup_after is not None:
                hanging = asyncio.create_task(_hang_up_later(call, hangup_after))
        if hanging is not None:
            hanging.cancel()
        return last
    finally:
        if call is not None and not call.done:  # interrupted: hang up before leaving
            await asyncio.shield(call.hangup())
        await dialer.close()


async def _hang_up_later(call, seconds: float) -> None:
    await asyncio.sleep(seconds)
    await call.hangup()


def as_json(number: str, last) -> dict:
    if isinstance(last, HandedOver):
        return {"number": number, "state": None, "cause": f"handed {last.uri} to {last.handler}",
                "code": None, "ring_seconds": None, "talk_seconds": None}
    assert isinstance(last, Ended)
    return {"number": number, "state": last.state, "cause": last.cause, "code": last.code,
            "ring_seconds": last.ring_seconds, "talk_seconds": last.talk_seconds}


def as_text(number: str, last) -> str:
    if isinstance(last, HandedOver):
        return f"{number}: handed {last.uri} to {last.handler} (what happens next is up to the phone)"
    assert isinstance(last, Ended)
    why = f" ({last.cause})" if last.cause else ""
    if last.state == ANSWERED:
        who = "callers" if last.by == "caller" else "the far end"
        return (f"{number}: answered after {last.ring_seconds:.1f} s, talked {last.talk_seconds:.1f} s; "
                f"{who} hung up{why}")
    return f"{number}: {WORDS[last.state]} after {last.ring_seconds:.1f} s{why}"


# -- callers dialer -------------------------------------------------------------


def run_dialer(args) -> int:
    from callers import access, settings

    action = args.action or "show"
    if action == "show":
        if args.url:
            raise CallersError("`callers dialer` shows a dialler; to change it: `callers dialer set URL`")
        print(describe(args, args.user))
        return 0
    open_db(args)
    user = acting_user(args)
    target = args.user or user
    if not access.single_user():
        access.require(user, "admin")
        access.person(target)  # must be a user here
    if action == "set":
        if not args.url:
            raise CallersError("`callers dialer set` needs the dialler URL")
        dialer_from(args.url)  # a bad URL is refused before it is stored
        settings.put_user(SETTING, target, args.url.strip())
        shown = Choice(args.url.strip(), "").shown
        print(f"{target}'s dialler is now {shown}"
              + ("; note: everyone who can read this database can read its secret" if shown != args.url.strip()
                 else ""))
        return 0
    if args.url:
        raise CallersError("`callers dialer clear` takes no URL")
    settings.put_user(SETTING, target, None)
    print(f"{target} has no dialler setting now (CALLERS_DIALER or manual applies)")
    return 0


def register(sub, common) -> None:
    p = add_command(sub, common, "dial", run_dial,
                    "place one call through the dialler (softphone or PBX), or check it with --test",
                    example=["callers dial --test",
                             "callers dial +12125550284 --hangup-after 5 --format json",
                             "callers dial +12125550284 --dialer 'baresip://127.0.0.1:4444?to=sip:{number}@pbx.example'"])
    p.add_argument("number", nargs="?", metavar="NUMBER",
                   help="the number to call, with +country code (an extension like 'ext. 23' is sent as DTMF)")
    p.add_argument("--test", action="store_true", help="check the connection to the dialler; call nobody")
    p.add_argument("--hangup-after", type=float, metavar="SECONDS",
                   help="hang up SECONDS after the answer (default: when either side hangs up)")
    p.add_argument("--format", choices=("text", "json"), default="text", help="output format (default text)")
    p.add_argument("--dialer", metavar="URL",
                   help="manual, tel, baresip://HOST:PORT?to=sip:{number}@PROXY or "
                   "ami://USER:SECRET@HOST:5038?channel=PJSIP/201&context=… "
                   "(default: $CALLERS_DIALER, else your setting, else manual)")
    p.add_argument("--region", metavar="CC", help="country of a NUMBER written without +country code")

    p = add_command(sub, common, "dialer", run_dialer,
                    "show the dialler in use, or set or clear a person's dialler in the database",
                    example=["callers dialer",
                             "callers dialer set 'baresip://127.0.0.1:4444?to=sip:{number}@pbx.example' --for ana",
                             "callers dialer clear --for ana"])
    p.add_argument("action", nargs="?", choices=("show", "set", "clear"), help="default: show")
    p.add_argument("url", nargs="?", metavar="URL", help="with set: the dialler URL")
    p.add_argument("--for", dest="user", metavar="NAME", help="whose setting (default: yours)")
    p.add_argument("--as", dest="caller", metavar="NAME", default=argparse.SUPPRESS,
                   help="who is doing this (default: the OS user name)")
