"""Reading a dialler URL: its parts, its options, one clear line when wrong.

    spec = split("ami://admin:s3cret@pbx:5038?channel=PJSIP/201&context=from-internal")
    spec.kind, spec.host, spec.port, spec.user  # 'ami', 'pbx', 5038, 'admin'
    spec.shown                                  # the URL with the secret as ***
    spec.text("channel", required=True)         # 'PJSIP/201'
    spec.seconds("ring_timeout", 60)            # 60.0
    spec.finish()                               # raises on any option not read

Options are `?name=value&...`, percent-decoded (a `+` stays a `+`). Templates
(`to=`, `exten=`) take `{number}` (E.164, `+12125550284`) and `{digits}` (the
same without the `+`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import unquote, urlsplit

from callers.errors import CallersError

KINDS = ("manual", "tel", "baresip", "ami")
DEFAULT_PORTS = {"baresip": 4444, "ami": 5038}
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
PLACEHOLDERS = ("number", "digits")


class DialerError(CallersError):
    """A dialler that cannot be used: a bad URL, a dialler that is down or
    refuses. The message is one line naming what is wrong."""


def fill(template: str, number: str) -> str:
    """`sip:{number}@pbx` with `+12125550284` -> `sip:+12125550284@pbx`."""
    values = {"number": number, "digits": number.lstrip("+")}
    return _PLACEHOLDER.sub(lambda m: values[m.group(1)], template)


def hide_secret(url: str) -> str:
    """The URL fit for messages and `callers where`: any password as ***."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    user = parts.netloc.rpartition("@")[0].partition(":")[0]
    return parts._replace(netloc=f"{user}:***@{parts.netloc.rpartition('@')[2]}").geturl()


@dataclass
class Spec:
    kind: str
    shown: str
    host: str | None = None
    port: int | None = None
    user: str | None = None
    secret: str | None = None
    query: dict[str, str] = field(default_factory=dict)
    _read: set[str] = field(default_factory=set)

    def fail(self, problem: str) -> DialerError:
        return DialerError(f"dialler URL {self.shown}: {problem}")

    def text(self, name: str, default: str | None = None, *, required: bool = False,
             example: str = "") -> str | None:
        self._read.add(name)
        value = self.query.get(name)
        if value is None or value == "":
            if required:
                raise self.fail(f"needs ?{name}=…" + (f" (e.g. {name}={example})" if example else ""))
            return default
        if any(ord(c) < 32 or c == "\x7f" for c in value):
            raise self.fail(f"{name}= holds a control character")
        return value

    def template(self, name: str, default: str) -> str:
        value = self.text(name, default)
        found = _PLACEHOLDER.findall(value)
        unknown = [p for p in found if p not in PLACEHOLDERS]
        if unknown:
            raise self.fail(f"{name}={value} has {{{unknown[0]}}}; a template takes {{number}} "
                            "(E.164, +12125550284) or {digits} (12125550284)")
        if not found:
            raise self.fail(f"{name}={value} never says where the number goes: put {{number}} "
                            "or {digits} in it")
        if re.search(r"[{}]", _PLACEHOLDER.sub("", value)):
            raise self.fail(f"{name}={value} has an unmatched brace")
        return value

    def seconds(self, name: str, default: float, *, low: float = 0.0, high: float = 600.0) -> float:
        value = self.text(name)
        if value is None:
            return default
        try:
            number = float(value)
        except ValueError:
            raise self.fail(f"{name}={value} is not a number of seconds") from None
        if not low <= number <= high:
            raise self.fail(f"{name}={value} must be between {low:g} and {high:g} seconds")
        return number

    def integer(self, name: str, default: int, *, low: int, high: int) -> int:
        value = self.text(name)
        if value is None:
            return default
        if not value.isdigit() or not low <= int(value) <= high:
            raise self.fail(f"{name}={value} must be a whole number from {low} to {high}")
        return int(value)

    def finish(self) -> None:
        """Every option must have been read: a typo is named, never ignored."""
        unknown = sorted(set(self.query) - self._read)
        if unknown:
            known = ", ".join(sorted(self._read))
            raise self.fail(f"unknown option {unknown[0]!r}" + (f" (it takes {known})" if known else
                                                                 " (it takes none)"))


def split(text: str | None) -> Spec:
    """The parts of a dialler URL; raises DialerError naming what is wrong."""
    raw = (text or "").strip()
    if not raw:
        return Spec("manual", "manual")
    if any(ord(c) < 32 or c == "\x7f" for c in raw):
        raise DialerError("dialler URL: holds a control character")
    head, _, query_text = raw.partition("?")
    scheme = head.partition(":")[0].lower()
    if scheme in ("manual", "tel"):
        bare = scheme
        if head.lower() not in (bare, bare + ":", bare + "://"):
            raise DialerError(f"dialler URL {raw}: `{bare}` takes no address; use `{bare}`"
                              + (" or tel?to=sip:{number}@pbx.example.com" if bare == "tel" else ""))
        spec = Spec(bare, raw)
        spec.query = _query(spec, query_text)
        return spec
    if scheme not in KINDS or "://" not in head:
        shown = hide_secret(raw) if "://" in raw else raw
        raise DialerError(f"dialler URL {shown}: unknown kind of dialler; use manual, tel, "
                          "baresip://HOST:PORT?to=sip:{number}@PROXY or "
                          "ami://USER:SECRET@HOST:5038?channel=PJSIP/201&context=from-internal")
    parts = urlsplit(raw)
    spec = Spec(scheme, hide_secret(raw))
    if parts.fragment:
        raise spec.fail("has a #fragment; options go after ?")
    if parts.path not in ("", "/"):
        raise spec.fail(f"has a path ({parts.path}); options go after ?")
    host = parts.hostname
    if not host:
        raise spec.fail("has no host")
    spec.host = host
    try:
        port = parts.port
    except ValueError:
        raise spec.fail(f"the port {parts.netloc.rpartition(':')[2]!r} is not a number from 1 to 65535") from None
    if port == 0:
        raise spec.fail("the port must be from 1 to 65535")
    spec.port = port or DEFAULT_PORTS[scheme]
    spec.user = unquote(parts.username) if parts.username else None
    spec.secret = unquote(parts.password) if parts.password is not None else None
    spec.query = _query(spec, parts.query)
    return spec


def _query(spec: Spec, text: str) -> dict[str, str]:
    options: dict[str, str] = {}
    for item in filter(None, text.split("&")):
        name, equals, value = item.partition("=")
        name = unquote(name).strip().lower()
        if not equals or not name:
            raise spec.fail(f"option {item!r} is not name=value")
        if name in options:
            raise spec.fail(f"option {name!r} is given twice")
        options[name] = unquote(value)
    return options
