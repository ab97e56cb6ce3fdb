"""The demo database: customers that look real, 120 days of calls, forwards.

`generate()` fills an open, empty database (see `callers demo`). Everything
follows from one `random.Random(seed)` drawn in a fixed order, so the same
seed, size and clock give identical rows. "Now" is `callers.clock.now()`, so
`CALLERS_NOW` shifts the whole history.

The due-queue columns are not drawn at random: each customer's calls are
replayed through the same rules `callers.calls.end_call` applies (90-day
cycle after a completed call, retries after no answer / voicemail / busy,
parked after `max_attempts`, callbacks, wrong numbers, do not call).

Speed: rows are generated in chunks of customers with their ids precomputed
(no round-trips for foreign keys) and written with multi-row INSERTs, one
write transaction per chunk; memory stays flat whatever the size.
"""

from __future__ import annotations

import bisect
import contextlib
import itertools
import random
import time
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Callable

import phonenumbers

from callers import clock, due, hours, phones, settings
from callers.due import DUE_PARKED
from callers.names import name_key
from models.db import batch_size, connection, database, is_postgres, write_transaction
from models import tallies
from models.vocabulary import FORWARD_RESOLVED
from models.tables import (
    DUE_CALLBACK,
    DUE_NEVER_REACHED,
    DUE_OVERDUE,
    BillingLink,
    Call,
    CallAnswer,
    Contact,
    Customer,
    CustomerFeature,
    Department,
    Feature,
    Forward,
    ForwardEvent,
    Reconciliation,
    ReconciliationFinding,
    ReferenceRequest,
    ReferenceUse,
    ThankYou,
)

# Bump when the generator makes different rows for the same seed (benchmark
# databases cached in bench-data/ are then rebuilt).
VERSION = 3

DAY = 86400
HISTORY_DAYS = 120
CHUNK = 5000  # customers per write transaction
DEFER_INDEXES_FROM = 10_000  # customers: from here, plain indexes are built after the load
FORWARDS_PER_CUSTOMER = 0.4  # default forward count: 120 for 300 customers
SOURCE = "demo"

# ---- the vocabulary ------------------------------------------------------------

FEATURES = [
    ("Invoicing", "Create and send invoices"),
    ("Reporting", "Standard and custom reports"),
    ("Time tracking", "Timesheets and approvals"),
    ("Approvals workflow", "Multi-step approvals"),
    ("Data export", "CSV and Excel exports"),
    ("Single sign-on", "SAML / OpenID Connect login"),
    ("Mobile app", "iOS and Android apps"),
    ("API access", "REST API and webhooks"),
    ("Scheduling", "Resource and shift planning"),
    ("Multi-currency", "Prices and invoices in several currencies"),
    ("Audit log", "Who changed what, and when"),
    ("Integrations hub", "Connectors to ERP and CRM systems"),
]

INDUSTRIES = [
    "Manufacturing", "Logistics", "Healthcare", "Retail", "Financial services", "Insurance",
    "Construction", "Professional services", "Education", "Public sector", "Energy", "Hospitality",
    "Media", "Software", "Telecommunications", "Food and beverage", "Pharmaceuticals", "Real estate",
    "Non-profit", "Automotive",
]
INDUSTRY_WEIGHTS = [14, 9, 8, 9, 7, 4, 6, 9, 4, 4, 3, 3, 3, 6, 2, 4, 2, 2, 2, 3]

# country: (weight, language, TLD, legal forms, fixed-line patterns, mobile patterns)
# A pattern is (country calling code, leading digits, random digits after them);
# every generated number is checked with phonenumbers before it is used.
COUNTRIES = {
    "US": (28, "en", "com", ["Inc.", "LLC", "Corp.", "Inc."],
           [("1", a, 7) for a in ("212", "646", "718", "617", "312", "415", "650", "408", "206",
                                  "512", "214", "303", "404", "305", "602", "215", "202", "313", "612")],
           [("1", a, 7) for a in ("917", "347", "415", "312")]),
    "GB": (12, "en", "co.uk", ["Ltd", "Ltd", "plc", "LLP"],
           [("44", "20", 8), ("44", "161", 7), ("44", "121", 7), ("44", "131", 7), ("44", "141", 7),
            ("44", "113", 7), ("44", "117", 7)],
           [("44", "7", 9)]),
    "DE": (12, "de", "de", ["GmbH", "GmbH", "AG", "GmbH & Co. KG", "SE"],
           [("49", "30", 8), ("49", "89", 8), ("49", "40", 8), ("49", "69", 8), ("49", "221", 7),
            ("49", "711", 7)],
           [("49", "151", 8), ("49", "176", 8)]),
    "FR": (8, "fr", "fr", ["SAS", "SA", "SARL"],
           [("33", d, 8) for d in "12345"],
           [("33", "6", 8)]),
    "CH": (5, "ch", "ch", ["AG", "SA", "GmbH"],
           [("41", a, 7) for a in ("44", "31", "22", "61", "21")],
           [("41", "79", 7)]),
    "AU": (6, "en", "com.au", ["Pty Ltd"],
           [("61", "2", 8), ("61", "3", 8), ("61", "7", 8)],
           [("61", "4", 8)]),
    "JP": (5, "ja", "co.jp", ["K.K.", "Co., Ltd."],
           [("81", "3", 8), ("81", "6", 8), ("81", "52", 7), ("81", "45", 7), ("81", "92", 7)],
           [("81", "90", 8)]),
    "CA": (5, "en", "ca", ["Inc.", "Ltd."],
           [("1", a, 7) for a in ("416", "604", "514", "403", "613")],
           [("1", "647", 7)]),
    "NL": (4, "nl", "nl", ["B.V.", "N.V."],
           [("31", a, 7) for a in ("20", "10", "70", "30")],
           [("31", "6", 8)]),
    "SE": (3, "sv", "se", ["AB"],
           [("46", "8", 7), ("46", "31", 7), ("46", "40", 6)],
           [("46", "70", 7)]),
    "ES": (3, "es", "es", ["S.L.", "S.A."],
           [("34", a, 7) for a in ("91", "93", "96")],
           [("34", "6", 8)]),
    "IT": (3, "it", "it", ["S.p.A.", "S.r.l."],
           [("39", "02", 7), ("39", "06", 7)],
           [("39", "3", 9)]),
    "AT": (2, "de", "at", ["GmbH", "AG"],
           [("43", "1", 7), ("43", "662", 6)],
           [("43", "664", 7)]),
    "IE": (2, "en", "ie", ["Ltd", "DAC"],
           [("353", "1", 7), ("353", "21", 7)],
           [("353", "87", 7)]),
    "SG": (2, "sg", "com.sg", ["Pte. Ltd."],
           [("65", "6", 7)],
           [("65", "9", 7)]),
}

FIRST = {
    "en": ["James", "Mary", "Robert", "Patricia", "John", "Jennifer", "Michael", "Linda", "David",
           "Elizabeth", "William", "Barbara", "Richard", "Susan", "Joseph", "Jessica", "Thomas",
           "Sarah", "Chris", "Karen", "Daniel", "Emily", "Matthew", "Olivia", "Andrew", "Sophie",
           "Ryan", "Hannah", "Liam", "Grace", "Noah", "Chloe", "Ethan", "Amelia", "Oliver", "Zoe"],
    "de": ["Lukas", "Anna", "Jonas", "Lea", "Felix", "Laura", "Maximilian", "Julia", "Paul",
           "Katharina", "Tobias", "Sabine", "Stefan", "Claudia", "Jürgen", "Ute", "Matthias",
           "Birgit", "Andreas", "Petra", "Florian", "Miriam", "Sebastian", "Jana"],
    "fr": ["Camille", "Louis", "Léa", "Hugo", "Manon", "Jules", "Chloé", "Gabriel", "Inès",
           "Arthur", "Juliette", "Raphaël", "Émilie", "Nicolas", "Céline", "Antoine", "Margaux",
           "Julien", "Sophie", "Mathieu", "Élodie", "François"],
    "ja": ["Haruto", "Yui", "Sota", "Aoi", "Yuto", "Hina", "Ren", "Sakura", "Takumi", "Yuna",
           "Kenji", "Akiko", "Hiroshi", "Yuki", "Daiki", "Mei", "Kaito", "Emi", "Shota", "Naomi"],
    "nl": ["Daan", "Emma", "Sem", "Julia", "Lucas", "Sanne", "Bram", "Fleur", "Thijs", "Lotte",
           "Jeroen", "Anouk", "Ruben", "Eva", "Joost", "Marieke"],
    "sv": ["Erik", "Elsa", "Lars", "Astrid", "Oskar", "Maja", "Nils", "Ingrid", "Anders",
           "Karin", "Johan", "Linnea", "Gustav", "Sofia"],
    "es": ["Alejandro", "Lucía", "Javier", "María", "Pablo", "Carmen", "Sergio", "Elena",
           "Diego", "Paula", "Andrés", "Marta", "Álvaro", "Nuria"],
    "it": ["Francesco", "Giulia", "Alessandro", "Chiara", "Lorenzo", "Francesca", "Matteo",
           "Sara", "Andrea", "Valentina", "Marco", "Elisa", "Davide", "Federica"],
    "sg": ["Wei Ling", "Jun Jie", "Hui Min", "Kai Wen", "Mei Ling", "Zhi Hao", "Priya", "Arjun",
           "Siti", "Rahul", "Grace", "Daniel"],
}
LAST = {
    "en": ["Smith", "Johnson", "Williams", "Brown", "Jones", "Miller", "Davis", "Wilson",
           "Anderson", "Taylor", "Thomas", "Moore", "Martin", "Thompson", "White", "Harris",
           "Clark", "Lewis", "Walker", "Hall", "Young", "King", "Wright", "Hughes", "Evans",
           "O'Brien", "O'Connor", "McCarthy", "Murphy", "Kelly", "Patel", "Nguyen", "Chen"],
    "de": ["Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker",
           "Schulz", "Hoffmann", "Schäfer", "Koch", "Bauer", "Richter", "Klein", "Wolf",
           "Schröder", "Neumann", "Schwarz", "Zimmermann", "Braun", "Krüger", "Hofmann", "Vogel"],
    "fr": ["Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand",
           "Leroy", "Moreau", "Simon", "Laurent", "Lefèvre", "Michel", "Garcia", "Fontaine",
           "Rousseau", "Vincent", "Chevalier", "Girard", "Lambert", "Bonnet"],
    "ja": ["Sato", "Suzuki", "Takahashi", "Tanaka", "Watanabe", "Ito", "Yamamoto", "Nakamura",
           "Kobayashi", "Kato", "Yoshida", "Yamada", "Sasaki", "Yamaguchi", "Matsumoto", "Inoue"],
    "nl": ["de Jong", "Jansen", "de Vries", "van den Berg", "van Dijk", "Bakker", "Visser",
           "Smit", "Meijer", "de Boer", "Mulder", "de Groot", "Bos", "Vos"],
    "sv": ["Andersson", "Johansson", "Karlsson", "Nilsson", "Eriksson", "Larsson", "Olsson",
           "Persson", "Svensson", "Gustafsson", "Pettersson", "Lindberg"],
    "es": ["García", "Fernández", "González", "Rodríguez", "López", "Martínez", "Sánchez",
           "Pérez", "Gómez", "Martín", "Jiménez", "Ruiz", "Hernández", "Díaz"],
    "it": ["Rossi", "Russo", "Ferrari", "Esposito", "Bianchi", "Romano", "Colombo", "Ricci",
           "Marino", "Greco", "Bruno", "Gallo", "Conti", "De Luca"],
    "sg": ["Tan", "Lim", "Lee", "Ng", "Ong", "Wong", "Goh", "Chua", "Koh", "Teo", "Nair", "Singh"],
}

PREFIXES = {
    "en": ["Northwind", "Bluestone", "Silverline", "Alpine", "Harbor", "Summit", "Crescent",
           "Granite", "Evergreen", "Red Oak", "Clearwater", "Brightpath", "Ironbridge", "Cedar",
           "Falcon", "Pioneer", "Atlas", "Orion", "Meridian", "Keystone", "Lakeside", "Sterling",
           "Union", "Coastal", "Prairie", "Highland", "Thames", "Pennine", "Kingsway", "Southern Cross",
           "Coral Bay", "Maple Leaf", "Redwood", "Beacon", "Riverside", "Oakridge"],
    "de": ["Nordstern", "Rheinland", "Alpenblick", "Schwarzwald", "Elbtal", "Isar", "Spree",
           "Bergmann", "Hansa", "Bodensee", "Weser", "Main-Taunus", "Brandenburger", "Donau"],
    "fr": ["Lumière", "Atlantique", "Provence", "Rive Gauche", "Bretagne", "Loire", "Horizon",
           "Mistral", "Azur", "Bellevue", "Vendôme", "Garonne"],
    "ja": ["Sakura", "Fuji", "Yamato", "Hikari", "Daiichi", "Asahi", "Kaze", "Midori", "Taiyo",
           "Shinsei", "Nami", "Hoshi"],
    "nl": ["Oranje", "Delta", "Polder", "Maas", "Zuiderzee", "Tulp", "Noordzee", "Kanaal"],
    "sv": ["Norrsken", "Fjäll", "Skärgård", "Vasa", "Göta", "Björk", "Lagom"],
    "es": ["Sol", "Ibérica", "Mediterránea", "Castilla", "Levante", "Cantábrica", "Tajo"],
    "it": ["Aurora", "Dolomiti", "Adriatica", "Toscana", "Vesuvio", "Laguna", "Serenissima"],
    "ch": ["Alpen", "Matterhorn", "Helvet", "Léman", "Säntis", "Rigi", "Jura", "Zürichsee"],
    "sg": ["Lion City", "Merlion", "Straits", "Orchid", "Marina", "Temasek", "Jurong"],
}
CORES = {
    "en": ["Logistics", "Foods", "Health", "Analytics", "Systems", "Energy", "Retail",
           "Manufacturing", "Partners", "Labs", "Capital", "Robotics", "Textiles", "Pharma",
           "Media", "Builders", "Dental", "Insurance", "Freight", "Software", "Engineering",
           "Hospitality", "Consulting", "Distribution"],
    "de": ["Maschinenbau", "Logistik", "Bau", "Technik", "Handel", "Elektro", "Versicherung",
           "Werkzeug", "Medizintechnik", "Software", "Lebensmittel", "Immobilien"],
    "fr": ["Transports", "Industries", "Conseil", "Distribution", "Bâtiment", "Énergie",
           "Santé", "Logiciels", "Assurances", "Hôtellerie"],
    "ja": ["Seiki", "Shoji", "Denki", "Kogyo", "Trading", "Logistics", "Systems", "Foods"],
    "nl": ["Logistiek", "Techniek", "Bouw", "Handel", "Zorg", "Software", "Transport"],
    "sv": ["Bygg", "Teknik", "Logistik", "Data", "Energi", "Vård"],
    "es": ["Logística", "Construcciones", "Energía", "Seguros", "Alimentación", "Sistemas"],
    "it": ["Meccanica", "Logistica", "Costruzioni", "Alimentari", "Assicurazioni", "Sistemi"],
    "ch": ["Präzision", "Treuhand", "Medtech", "Uhren", "Logistik", "Versicherung", "Pharma"],
    "sg": ["Holdings", "Trading", "Logistics", "Engineering", "Marine", "Systems"],
}
# A few names per hundred are here to prove that customer text is data, not markup.
ODD_NAMES = [
    "{p} [EU] Holdings", "{p} [{cc}] {c}", "O'Sullivan & Sons {c}", "{l}'s {c}",
    "D'Angelo {c}", "{p} [bold] {c}", "{p} (Europe) {c} [ERR-7]",
]
BUYER_TITLES = ["CFO", "Head of Finance", "VP Operations", "Managing Director", "Procurement Manager",
                "IT Director", "COO", "CEO", "Head of Customer Service", "Finance Director"]
USER_TITLES = ["Team Lead", "Operations Analyst", "Office Manager", "Project Manager", "Administrator",
               "Accountant", "Dispatcher", "Engineer", "Payroll Specialist", "Planner", "Controller"]
OTHER_TITLES = ["Assistant", "IT Support", "Reception", "Legal Counsel"]

ACCOUNT_MANAGERS = {
    "am": ["Hannah Lee", "Marco Rossi", "Priya Shah", "Jonas Weber", "Claire Dubois", "Tom Becker"],
    # region -> the two account managers who mostly look after it
    "US": (0, 2), "CA": (0, 2), "GB": (2, 0), "IE": (2, 0), "AU": (2, 0), "SG": (2, 0),
    "DE": (3, 5), "AT": (3, 5), "CH": (5, 3), "NL": (3, 2), "SE": (3, 2),
    "FR": (4, 1), "ES": (1, 4), "IT": (1, 4), "JP": (0, 5),
}
CALLERS = ["ana", "ben", "chloe"]
DEPARTMENT_PEOPLE = {
    "billing": ["Bea Keller", "Omar Haddad"],
    "support": ["Sam Okafor", "Lena Braun", "Raj Patel"],
    "other": ["Kim Novak"],
}

ROLE_RANK = {"buyer": 0, "user": 1, "other": 2}  # callers.queue.ROLE_ORDER
FAILURES = ("no_answer", "voicemail", "busy")
FAILURE_CUM = [0.55, 0.85, 1.0]
# What the customer is doing at the end of the history, with weights.
SCENARIOS = ["recent", "overdue", "never", "callback", "needs_number", "unreachable", "do_not_call"]
SCENARIO_WEIGHTS = [38, 17, 25, 6, 5, 5, 4]

COMPLETED_NOTES = [
    "Happy with the new reports", "Renewal coming up in March; wants to talk pricing",
    "New finance team since summer", "Using the mobile app on every site now",
    "Would like training for two new colleagues", "Asked about the [EU] data centre",
    "Rolling out to the second office next quarter", "Quiet year, all fine",
    "Said the last update *broke* nothing, for once", "Wants fewer e-mails from marketing",
]
CALLBACK_NOTES = ["In a meeting, call back", "Asked to call back after their board meeting",
                  "Driving, call back later", "On holiday until next week"]
WRONG_NOTES = ["Number belongs to a dental practice now", "Left the company, nobody knows the new number",
               "Fax tone", "Number not in service"]
DNC_NOTES = ["Asked not to be called again", "Prefers e-mail only; no more calls",
             "Contract ends this year, does not want calls"]
FORWARD_NOTES = {
    "billing": ["Invoice [INV-2291] charged twice", "Wants annual instead of monthly billing",
                "VAT number missing on invoices", "Card expired, asks how to update it",
                "Credit note for the cancelled seats never arrived", "PO number must be on every invoice"],
    "support": ["Export to CSV times out above 10k rows", "SSO login loop since the last update",
                "[ERR-7] when saving an approval", "Mobile app crashes on photo upload",
                "Report totals differ from the invoice list", "API returns 429 during nightly sync"],
    "account_manager": ["Wants to add 40 seats before renewal", "Asks for a price for the API add-on",
                        "New CFO, wants an introduction", "Considering a competitor; unhappy with price",
                        "Wants a roadmap session", "Merging with a sister company, contract questions"],
    "other": ["Asks for an on-site workshop", "Needs help with a data migration"],
}
RESOLUTIONS = {
    "billing": ["Refunded the duplicate charge", "Switched to annual billing", "Reissued invoices with VAT number",
                "Sent the credit note"],
    "support": ["Fixed in release 4.12", "Reset SSO configuration with their IT", "Workaround sent; bug filed",
                "Explained the report filters"],
    "account_manager": ["Quote sent", "Meeting held, renewal on track", "Intro call done",
                        "Discount agreed for renewal"],
    "other": ["Workshop booked", "Migration plan agreed"],
}
RETURN_REASONS = ["Not ours: a sales question", "Not ours: belongs to support", "Not ours: belongs to billing",
                  "Duplicate of an earlier forward"]
WITHDRAW_REASONS = ["Customer solved it themselves", "Raised by mistake"]
REF_CONDITIONS = ["Only after their go-live", "Not more than once a quarter", "Needs approval from [Legal]",
                  "Only for prospects in the same industry", "Not with direct competitors",
                  "English-speaking prospects only"]
GIFT_RESTRICTIONS = ["public body: no gifts", "gifts under 25 EUR only", "no gifts to named staff"]


@dataclass(frozen=True)
class DemoResult:
    customers: int
    contacts: int
    calls: int
    forwards: int
    seconds: float
    setup_seconds: float = 0.0  # of which before the first customer (phone-number pools, features)

    def summary(self, where: str) -> str:
        return (f"{self.customers} customers, {self.calls} calls, {self.forwards} forwards "
                f"in {where} in {self.seconds:.1f} s")


# ---- small helpers ---------------------------------------------------------------


def _cumulative(weights) -> list[float]:
    total = float(sum(weights))
    acc, out = 0.0, []
    for w in weights:
        acc += w
        out.append(acc / total)
    out[-1] = 1.0
    return out


def _ascii(text: str) -> str:
    text = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in text if ch.isascii() and (ch.isalnum() or ch in ".-")).lower()


class _Times:
    """Epoch seconds to the naive-UTC text both engines store (fast: by day and second tables)."""

    HMS = [f"{h:02d}:{m:02d}:{s:02d}" for h in range(24) for m in range(60) for s in range(60)]

    def __init__(self) -> None:
        self.days: dict[int, str] = {}
        self.epoch = date(1970, 1, 1).toordinal()

    def __call__(self, sec: int | None) -> str | None:
        if sec is None:
            return None
        d, rest = divmod(int(sec), DAY)
        text = self.days.get(d)
        if text is None:
            text = self.days[d] = date.fromordinal(self.epoch + d).isoformat() + " "
        return text + self.HMS[rest]


def _epoch(value: datetime) -> int:
    return int(value.astimezone(timezone.utc).timestamp())


def _aware(sec: int) -> datetime:
    return datetime.fromtimestamp(sec, timezone.utc)


# ---- the database side ---------------------------------------------------------

DATA_TABLES = [ReconciliationFinding, Reconciliation, ThankYou, ReferenceUse, ReferenceRequest, BillingLink, ForwardEvent, Forward,
               CallAnswer, Call, CustomerFeature, Contact, Customer]


def customer_count() -> int:
    with connection():
        return Customer.select().count()


def clear() -> None:
    """Delete every customer and what hangs off them (departments, features,
    users and settings stay)."""
    with connection(), write_transaction():
        for model in DATA_TABLES:
            model.delete().execute()


def _insert(table: str, columns: tuple[str, ...], rows: list[tuple]) -> None:
    if not rows:
        return
    db = database.obj
    size = batch_size(len(columns))
    one = "(" + ",".join([db.param] * len(columns)) + ")"
    head = f'INSERT INTO "{table}" ({", ".join(f"{c!s}" for c in columns)}) VALUES '
    full = head + ",".join([one] * size)
    chain = itertools.chain.from_iterable
    for start in range(0, len(rows), size):
        batch = rows[start:start + size]
        sql = full if len(batch) == size else head + ",".join([one] * len(batch))
        db.execute_sql(sql, list(chain(batch)))


@contextlib.contextmanager
def _indexes_deferred(models):
    """Drop the plain (non-unique) indexes of these tables for a bulk load and
    build them again afterwards, from the very statements that made them:
    one sorted build is many times cheaper than a million index updates."""
    db = database.obj
    saved = []
    for model in models:
        for index in db.get_indexes(model._meta.table_name):
            if not index.unique and index.sql:
                saved.append(index)
    with write_transaction():
        for index in saved:
            db.execute_sql(f'DROP INDEX "{index.name}"')
    try:
        yield
    finally:
        with write_transaction():
            for index in saved:
                db.execute_sql(index.sql)


def _next_id(model) -> int:
    value = model.select(model.id).order_by(model.id.desc()).limit(1).scalar()
    return (value or 0) + 1


def _sync_sequences(models) -> None:
    """PostgreSQL: move each id sequence past the ids written explicitly.
    (Engine-specific; belongs in models/db.py, which this area does not own.)"""
    if not is_postgres():
        return
    db = database.obj
    for model in models:
        table = model._meta.table_name
        db.execute_sql(
            f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), "
            f"COALESCE((SELECT MAX(id) FROM \"{table}\"), 0) + 1, false)")


CUSTOMER_COLUMNS = (
    "id", "external_id", "name", "name_key", "industry", "employees", "country", "account_manager",
    "do_not_call", "purchased_at", "source", "gift_restriction", "created_at", "updated_at",
    "implementation_state", "implementation_changed_at", "implementation_confirmed_at",
    "ref_prospect_call", "ref_case_study", "ref_press", "ref_analyst", "ref_site_visit", "ref_condition",
    "referenceability_confirmed_at", "features_confirmed_at", "contacts_confirmed_at",
    "next_due_at", "due_rank", "callback_at", "call_contact", "call_tz", "attempts", "cycle_started_at",
    "last_call_at", "last_reached_at", "needs_number", "unreachable", "claim_holder", "claim_expires_at",
)
CONTACT_COLUMNS = (
    "id", "customer_id", "name", "role", "title", "phone", "extension", "alt_phone", "alt_extension",
    "email", "timezone", "external_id", "do_not_call", "active", "unreachable", "confirmed_at",
    "created_at", "updated_at",
)
CALL_COLUMNS = ("id", "customer_id", "contact_id", "caller", "shown_at", "started_at", "ended_at",
                "outcome", "callback_at", "note", "skip_reason")
FEATURE_COLUMNS = ("id", "customer_id", "feature_id", "in_production", "confirmed_at")
FORWARD_COLUMNS = ("id", "customer_id", "call_id", "contact_id", "caller", "department_id", "assignee",
                   "note", "status", "created_at", "acknowledged_at", "acknowledged_by", "resolved_at",
                   "resolved_by", "resolution")
EVENT_COLUMNS = ("id", "forward_id", "status", "at", "by", "note")


# ---- the generator ----------------------------------------------------------------


class _Generator:
    def __init__(self, customers: int, seed: int, calls_per_customer: float, forwards: int,
                 now: datetime) -> None:
        self.n = customers
        self.rng = random.Random(seed)
        self.now = _epoch(now)
        self.fmt = _Times()
        self.values = settings.get_all()
        self.cycle = int(self.values["cycle_days"]) * DAY
        self.max_attempts = int(self.values["max_attempts"])
        self.rules = hours.Hours.from_settings(self.values)
        self.forward_rate = forwards / customers if customers else 0.0
        self.forward_debt = 0.0
        self.forwards_left = forwards
        # Failed attempts before each completed call: the base plan below makes
        # about 1.6 calls and 0.7 completed calls per customer; the mean number
        # of failures before a success is steered customer by customer so that
        # the calls made follow `calls_per_customer` (as far as 120 days allow).
        self.calls_target = float(calls_per_customer)
        self.base_extra = max(0.0, (self.calls_target - 1.6) / 0.7)
        self.calls_made = 0
        self.customers_made = 0
        self.retry_p = self.base_extra / (1.0 + self.base_extra)
        self.country_codes = list(COUNTRIES)
        self.country_cum = _cumulative([COUNTRIES[c][0] for c in self.country_codes])
        self.industry_cum = _cumulative(INDUSTRY_WEIGHTS)
        self.scenario_cum = _cumulative(SCENARIO_WEIGHTS)
        self.keys: dict[str, str] = {}
        self.emails: dict[str, str] = {}
        self.offsets: dict[str, int] = {}
        self._phone_pools(seed)
        self.ids: dict[str, int] = {}  # the next id of each table
        self.chunk_rows: dict[str, list] = {}
        self.feature_ids: list[int] = []
        self.departments: dict[str, int] = {}  # kind -> id
        self.last_completed: tuple | None = None  # (customer id, AM, completed call) for leftover forwards

    # -- phone numbers: pools of numbers phonenumbers accepts, per country --

    def _phone_pools(self, seed: int) -> None:
        rng = random.Random(f"{seed}:phones")
        self.fixed: dict[str, list[tuple[str, str]]] = {}
        self.mobile: dict[str, list[tuple[str, str]]] = {}
        for code in self.country_codes:
            weight = COUNTRIES[code][0] / 100.0
            want = int(self.n * weight * 2.5)
            self.fixed[code] = self._pool(rng, code, COUNTRIES[code][4], max(24, min(2000, want)))
            self.mobile[code] = self._pool(rng, code, COUNTRIES[code][5], max(8, min(500, want // 3)))

    @staticmethod
    def _pool(rng: random.Random, region: str, patterns, size: int) -> list[tuple[str, str]]:
        seen: dict[str, str] = {}
        tries = 0
        while len(seen) < size and tries < size * 20:
            tries += 1
            cc, lead, digits = patterns[rng.randrange(len(patterns))]
            e164 = "+" + cc + lead + "".join(str(rng.randrange(10)) for _ in range(digits))
            if e164 in seen:
                continue
            number = phonenumbers.parse(e164, None)
            if not phonenumbers.is_valid_number_for_region(number, region):
                continue
            seen[e164] = phones.zone_key(phones.zones_for_e164(e164))
        if not seen:  # the patterns failed: fall back on phonenumbers' example
            example = phonenumbers.example_number(region)
            e164 = phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.E164)
            seen[e164] = phones.zone_key(phones.zones_for_e164(e164))
        return list(seen.items())

    def _offset(self, key: str | None) -> int:
        """The UTC offset (seconds) of a zone key's first zone, now."""
        if key is None:
            return 0
        found = self.offsets.get(key)
        if found is None:
            z = hours.first_zone(key)
            found = self.offsets[key] = int(_aware(self.now).astimezone(z).utcoffset().total_seconds())
        return found

    # -- small draws --

    def _pick(self, items):
        return items[int(self.rng.random() * len(items))]

    def _slot(self, days_ago: int, offset: int) -> int:
        """A weekday, office-hours time `days_ago` days back in a zone; before now."""
        r = self.rng.random
        local_now = self.now + offset
        day = local_now // DAY - days_ago
        for _ in range(10):
            weekday = (day + 3) % 7  # 1970-01-01 was a Thursday
            if weekday >= 5:
                day -= weekday - 4
                continue
            at = day * DAY + 9 * 3600 + int(r() * (7 * 3600 + 50 * 60)) - offset
            if at < self.now - 900:
                return at
            day -= 1
        return self.now - DAY - int(r() * DAY)

    def _company(self, code: str, lang: str) -> str:
        r = self.rng.random
        name_lang = lang if lang in PREFIXES else "en"
        if code == "CH":
            name_lang = "ch"
        legal = self._pick(COUNTRIES[code][3])
        prefixes, cores = PREFIXES[name_lang], CORES[name_lang]
        person_lang = {"ch": "de"}.get(lang, lang)
        roll = r()
        if roll < 0.03:
            return self._pick(ODD_NAMES).format(p=self._pick(prefixes), c=self._pick(cores), cc=code,
                                                l=self._pick(LAST[person_lang]))
        if roll < 0.60:
            base = f"{self._pick(prefixes)} {self._pick(cores)}"
        elif roll < 0.80:
            base = f"{self._pick(LAST[person_lang])} {self._pick(cores)}"
        elif roll < 0.90:
            base = f"{self._pick(LAST[person_lang])} & {self._pick(LAST[person_lang])}"
        else:
            base = self._pick(prefixes)
        return f"{base} {legal}"

    def _key(self, name: str) -> str:
        key = self.keys.get(name)
        if key is None:
            key = self.keys[name] = name_key(name) or name.lower()
        return key

    def _slug(self, text: str) -> str:
        slug = self.emails.get(text)
        if slug is None:
            slug = self.emails[text] = _ascii(text.replace(" ", ".")).strip(".") or "info"
        return slug

    def _person(self, lang: str) -> tuple[str, str, str]:
        r = self.rng.random
        if lang == "ch":
            lang = "de" if r() < 0.6 else "fr"
        firsts, lasts = FIRST[lang], LAST[lang]
        first, last = firsts[int(r() * len(firsts))], lasts[int(r() * len(lasts))]
        if lang == "ja" and r() < 0.5:
            return f"{last} {first}", first, last  # family name first, as on a meishi
        return f"{first} {last}", first, last

    def _employees(self) -> int:
        r = self.rng.random()
        if r < 0.35:
            return 5 + int(self.rng.random() * 45)
        if r < 0.70:
            return 50 + int(self.rng.random() * 200)
        if r < 0.90:
            return 250 + int(self.rng.random() * 750)
        if r < 0.98:
            return 1000 + int(self.rng.random() * 9000)
        return 10000 + int(self.rng.random() * 90000)

    def _failure(self) -> str:
        return FAILURES[bisect.bisect_left(FAILURE_CUM, self.rng.random())]

    def _fails(self, lo: int, hi: int, k: int) -> list[int]:
        """k attempt days (days ago) in (lo, hi], closest to lo first."""
        out, day = [], lo
        r = self.rng.random
        for _ in range(k):
            day += 1 + int(r() * r() * 4)
            if day > hi:
                break
            out.append(day)
        return out

    def _geometric(self, cap: int = 12) -> int:
        k, r, p = 0, self.rng.random, self.retry_p
        while k < cap and r() < p:
            k += 1
        return k

    # -- one customer --

    def customer(self) -> None:
        rng, r = self.rng, self.rng.random
        fmt, now = self.fmt, self.now
        rows = self.chunk_rows
        deficit = self.calls_target * self.customers_made - self.calls_made
        extra = min(12.0, max(0.0, self.base_extra + 0.25 * deficit))
        self.retry_p = extra / (1.0 + extra)
        calls_before = self.ids["call"]
        self.customers_made += 1
        cid = self.ids["customer"]
        self.ids["customer"] += 1

        code = self.country_codes[bisect.bisect_left(self.country_cum, r())]
        lang = COUNTRIES[code][1]
        name = self._company(code, lang)
        industry = INDUSTRIES[bisect.bisect_left(self.industry_cum, r())]
        employees = self._employees()
        am_names = ACCOUNT_MANAGERS["am"]
        pair = ACCOUNT_MANAGERS[code]
        am = am_names[pair[0] if r() < 0.7 else (pair[1] if r() < 0.8 else int(r() * len(am_names)))]
        purchased = now - int((0.35 + r() * 5.6) * 365 * DAY)
        created = now - (HISTORY_DAYS + 1) * DAY - int(r() * 60 * DAY)
        scenario = SCENARIOS[bisect.bisect_left(self.scenario_cum, r())]
        gift = self._pick(GIFT_RESTRICTIONS) if industry == "Public sector" and r() < 0.6 else None

        # Contacts: buyers first, then users, then others (the queue's order).
        roll = r()
        n_contacts = 1 if roll < 0.22 else 2 if roll < 0.62 else 3 if roll < 0.88 else 4
        roles = ["buyer"] + [("buyer" if r() < 0.15 else "user" if r() < 0.9 else "other")
                             for _ in range(n_contacts - 1)]
        roles.sort(key=ROLE_RANK.__getitem__)
        domain = f"{self._slug(self._key(name).split(' ')[0])}.{COUNTRIES[code][2]}"
        fixed, mobile = self.fixed[code], self.mobile[code]
        switchboard = fixed[int(r() * len(fixed))]
        contacts = []  # [id, name, role, title, phone, ext, alt, email, tz, dnc, active, unreachable]
        for j, role in enumerate(roles):
            full, first, last = self._person(lang)
            title = self._pick(BUYER_TITLES if role == "buyer" else USER_TITLES if role == "user" else OTHER_TITLES)
            ext = alt = None
            if scenario == "needs_number" and j > 0:
                phone, tz = None, None  # known by e-mail only
            else:
                roll = r()
                if roll < 0.25 and code in ("US", "GB", "DE", "CA", "CH", "AT", "NL"):
                    phone, tz = switchboard
                    ext = str(100 + int(r() * 800))
                elif roll < 0.88:
                    phone, tz = fixed[int(r() * len(fixed))]
                else:
                    phone, tz = mobile[int(r() * len(mobile))]
                if r() < 0.2:
                    alt = mobile[int(r() * len(mobile))][0]
            email = f"{self._slug(first)}.{self._slug(last)}@{domain}"
            active = j == 0 or r() > 0.06
            dnc = j > 0 and active and r() < 0.03
            contacts.append([self.ids["contact"], full, role, title, phone, ext, alt, email, tz, dnc,
                             active, False])
            self.ids["contact"] += 1

        def callable_now():
            for c in contacts:
                if c[4] is not None and c[10] and not c[9] and not c[11]:
                    return c
            return None

        first_callable = callable_now()
        offset = self._offset(first_callable[8] if first_callable else None)

        # The plan: (days ago, outcome), oldest first, ending the way the scenario ends.
        W = HISTORY_DAYS - 1
        plan: list[tuple[int, str]] = []

        def completed_at(day: int, floor: int) -> None:
            """A completed call `day` days ago, after failed attempts back to `floor`."""
            for d in reversed(self._fails(day, floor, self._geometric())):
                plan.append((d, self._failure()))
            plan.append((day, "completed"))

        def reached_before(shift: int) -> bool:
            """Overdue history (last completed 90-119 days before `shift`)."""
            top = W - shift
            if top < 90:
                return False
            day = 90 + int(r() * (top - 89))
            completed_at(day + shift, W)
            return True

        # (The first contact always has a number, so there is always someone to call.)
        if scenario == "recent":
            day = int(r() * 90)
            if day + 90 <= W and r() < 0.75:
                earlier = day + 90 + int(r() * min(10, W - day - 90 + 1))
                completed_at(earlier, W)
                completed_at(day, earlier - 90)
            else:
                completed_at(day, W)
        elif scenario == "overdue":
            day = 90 + int(r() * (W - 89))
            completed_at(day, W)
            post = self._fails(-1, day - 91, int(r() * r() * 4)) if day > 90 else []
            for d in sorted(post, reverse=True):
                plan.append((d, self._failure()))
        elif scenario == "never":
            roll = r()
            k = 0 if roll < 0.45 else 1 + int(r() * 5)
            for d in sorted(self._fails(-1, W, k), reverse=True):
                plan.append((d, self._failure()))
        elif scenario == "unreachable":
            days = sorted(self._fails(-1, W, self.max_attempts), reverse=True)
            while len(days) < self.max_attempts:
                days.append(0)
            plan.extend((d, self._failure()) for d in days)
        else:  # callback / needs_number / do_not_call: some history, then that outcome
            last = int(r() * (5 if scenario == "callback" else 30))
            if r() < 0.5:
                reached_before(last + 1)
            for d in sorted(self._fails(last, W, int(r() * 3)), reverse=True):
                plan.append((d, self._failure()))
            plan.append((last, {"needs_number": "wrong_number"}.get(scenario, scenario)))

        # Now and then the first number tried was wrong and the next contact took over.
        if (scenario in ("recent", "overdue", "never") and plan and r() < 0.08
                and sum(1 for c in contacts if c[4] and c[10] and not c[9]) >= 2):
            first_day = plan[0][0]
            if first_day < W:
                plan.insert(0, (first_day + 1 + int(r() * (W - first_day)), "wrong_number"))

        # Replay the plan through the outcome rules (callers.calls.outcome_schedule).
        times = sorted(self._slot(d, offset) for d, _ in plan)
        calls = rows["call"]
        completed_calls: list[tuple[int, int, int, int, str]] = []  # (call id, contact id, start, end, caller)
        attempts = 0
        cycle_start = None
        last_reached = None
        last_end = None
        rank = DUE_NEVER_REACHED
        next_due: int | None = created
        callback_at = None
        needs_number = unreachable = do_not_call = False
        caller = self._pick(CALLERS)
        for at, (_, outcome) in zip(times, plan):
            contact = callable_now()
            if contact is None:
                break
            if r() < 0.3:
                caller = self._pick(CALLERS)
            call_id = self.ids["call"]
            self.ids["call"] += 1
            shown = at - 5 - int(r() * 40)
            started = None
            note = None
            cb = None
            if outcome == "completed":
                started = at
                if r() < 0.13:
                    length = 300 + int(rng.expovariate(1 / 100.0))
                else:
                    length = max(70, int(rng.gauss(175, 40)))
                if r() < 0.25:
                    note = self._pick(COMPLETED_NOTES)
            elif outcome in FAILURES:
                length = 15 + int(r() * 45) if outcome != "busy" else 5 + int(r() * 10)
            else:
                started = at
                length = 25 + int(r() * 70)
                note = self._pick(CALLBACK_NOTES if outcome == "callback" else
                                  WRONG_NOTES if outcome == "wrong_number" else DNC_NOTES)
            end = at + length
            if end >= now:
                end = now - 1
            if outcome == "callback":
                cb = self._callback_time(end, offset)
            calls.append((call_id, cid, contact[0], caller, fmt(shown), fmt(started), fmt(end), outcome,
                          fmt(cb), note, None))
            last_end = end
            if cycle_start is None:
                cycle_start = end
            callback_at = None
            if outcome == "completed":
                attempts, last_reached, cycle_start = 0, end, end
                rank, next_due, unreachable = DUE_OVERDUE, end + self.cycle, False
                completed_calls.append((call_id, contact[0], at, end, caller))
            elif outcome == "callback":
                rank, next_due, callback_at = DUE_CALLBACK, cb, cb
            elif outcome == "do_not_call":
                do_not_call, next_due = True, None
            elif outcome == "wrong_number":
                contact[11] = True
                rank = DUE_OVERDUE if last_reached else DUE_NEVER_REACHED
                next_due = end
                if callable_now() is None:
                    needs_number, next_due = True, None
            else:
                attempts += 1
                rank = DUE_OVERDUE if last_reached else DUE_NEVER_REACHED
                if attempts >= self.max_attempts:
                    unreachable, rank = True, DUE_PARKED
                    next_due = max(cycle_start + self.cycle, end)
                else:
                    next_due = None  # worked out below, for the last call only
                    last_failure = (outcome, end)
        best = callable_now()
        call_tz = (best[8] or None) if best else None
        if next_due is None and not (needs_number or do_not_call):
            next_due = self._retry(*last_failure, call_tz)
        if do_not_call:
            next_due = None
        reached = last_reached is not None
        confirmed = fmt(last_reached) if reached else None

        # Profile facts, confirmed on the last completed call.
        impl = impl_changed = None
        refs: list[str | None] = [None] * 5
        ref_condition = None
        if reached:
            roll = r()
            impl = ("live" if roll < 0.55 else "in_progress" if roll < 0.75 else
                    "stalled" if roll < 0.87 else "not_started")
            impl_changed = last_reached if r() < 0.25 else last_reached - int(r() * 400 * DAY)
            roll = r()
            if roll < 0.15 and impl == "live":
                refs = ["yes", "yes" if r() < 0.7 else "not_now", "yes" if r() < 0.4 else "no",
                        "yes" if r() < 0.5 else "no", "yes" if r() < 0.3 else "not_now"]
            elif roll < 0.40:
                refs = ["yes", "not_now" if r() < 0.5 else "no", "no", "no" if r() < 0.7 else "yes", "no"]
            elif roll < 0.52:
                refs = ["not_now"] * 5
            else:
                refs = ["no"] * 5
            if refs[0] == "yes" and r() < 0.3:
                ref_condition = self._pick(REF_CONDITIONS)

        created_text, updated_text = fmt(created), fmt(last_end or created)
        rows["customer"].append((
            cid, f"C-{cid:07d}", name, self._key(name), industry, employees, code, am,
            do_not_call, fmt(purchased), SOURCE, gift, created_text, updated_text,
            impl, fmt(impl_changed), confirmed,
            refs[0], refs[1], refs[2], refs[3], refs[4], ref_condition,
            confirmed, confirmed, confirmed,
            fmt(next_due), rank, fmt(callback_at), best[0] if best else None, call_tz,
            attempts, fmt(cycle_start), fmt(last_end), fmt(last_reached), needs_number, unreachable, None, None,
        ))
        contact_rows = rows["contact"]
        for c in contacts:
            contact_rows.append((c[0], cid, c[1], c[2], c[3], c[4], c[5], c[6], None, c[7], c[8] or None,
                                 f"P-{c[0]:07d}", c[9], c[10], c[11], confirmed, created_text, updated_text))

        if reached and impl != "not_started":
            k = (2 + int(r() * 7) if impl == "live" else int(r() * 4) if impl == "in_progress"
                 else int(r() * 3))
            if k:
                features = rows["customer_feature"]
                for index in sorted(rng.sample(range(min(len(self.feature_ids), k + 4)), k)):
                    features.append((self.ids["customer_feature"], cid, self.feature_ids[index],
                                     r() > 0.08, confirmed))
                    self.ids["customer_feature"] += 1

        # Forwards: a steady share per customer, raised on completed calls.
        self.forward_debt += self.forward_rate
        if completed_calls and self.forward_debt >= 1 and self.forwards_left > 0:
            count = min(int(self.forward_debt), 3 * len(completed_calls), self.forwards_left)
            for i in range(count):
                self._forward(cid, am, completed_calls[-1 - (i % len(completed_calls))])
            self.forward_debt -= count
            self.forwards_left -= count
        if completed_calls:
            self.last_completed = (cid, am, completed_calls[-1])
        self.calls_made += self.ids["call"] - calls_before

    def _callback_time(self, end: int, offset: int) -> int:
        r = self.rng.random
        days = (0, 1, 1, 2, 3, 5, 7)[int(r() * 7)]
        local_day = (end + offset) // DAY + days
        while (local_day + 3) % 7 >= 5:
            local_day += 1
        at = local_day * DAY + 9 * 3600 + int(r() * 7 * 3600) // 900 * 900 - offset
        if at <= end:
            at = end + 2 * 3600
        return at

    def _retry(self, outcome: str, end: int, key: str | None) -> int:
        at = _aware(end)
        if outcome == "voicemail":
            nxt = hours.next_working_day(key, at, self.rules)
        elif outcome == "busy":
            nxt = hours.roll_into_window(key, at + timedelta(minutes=float(self.values["retry_busy_minutes"])),
                                         self.rules)
        else:
            nxt = hours.roll_into_window(
                key, at + timedelta(minutes=float(self.values["retry_no_answer_minutes"])), self.rules)
        return _epoch(nxt)

    def _forward(self, cid: int, am: str, call: tuple[int, int, int, int, str]) -> None:
        r = self.rng.random
        fmt, now = self.fmt, self.now
        call_id, contact_id, started, ended, caller = call
        roll = r()
        kind = "support" if roll < 0.45 else "billing" if roll < 0.80 else "account_manager"
        if kind not in self.departments:
            kind = next(iter(self.departments))
        dept_id = self.departments[kind]
        fid = self.ids["forward"]
        self.ids["forward"] += 1
        created = started + max(10, int((ended - started) * (0.3 + 0.5 * r())))
        age = (now - created) / DAY
        roll = r()
        if age < 2:
            status = "open" if roll < 0.6 else "acknowledged" if roll < 0.9 else "done"
        elif age < 14:
            status = ("open" if roll < 0.25 else "acknowledged" if roll < 0.5 else "done" if roll < 0.9
                      else "returned" if roll < 0.97 else "withdrawn")
        else:
            status = ("open" if roll < 0.08 else "acknowledged" if roll < 0.16 else "done" if roll < 0.84
                      else "returned" if roll < 0.95 else "withdrawn")
        people = DEPARTMENT_PEOPLE.get(kind, DEPARTMENT_PEOPLE["other"])
        member = am if kind == "account_manager" else self._pick(people)
        assignee = am if kind == "account_manager" else None
        note = self._pick(FORWARD_NOTES.get(kind, FORWARD_NOTES["other"]))
        events = self.chunk_rows["forward_event"]

        def event(status_: str, at: int, by: str, text: str | None) -> None:
            events.append((self.ids["forward_event"], fid, status_, fmt(at), by, text))
            self.ids["forward_event"] += 1

        event("open", created, caller, note)
        ack_at = ack_by = resolved_at = resolved_by = resolution = None
        span = max(60, now - created - 60)
        if status in ("acknowledged", "done") or (status == "returned" and r() < 0.5):
            ack_at = created + min(span // 2, 1800 + int(r() * r() * 3 * DAY))
            ack_by = assignee = member
            event("acknowledged", ack_at, member, None)
        if status in FORWARD_RESOLVED:
            start = ack_at or created
            resolved_at = start + max(60, min(now - start - 30, 3600 + int(r() * r() * 12 * DAY)))
            if status == "done":
                resolved_by = member
                resolution = self._pick(RESOLUTIONS.get(kind, RESOLUTIONS["other"]))
            elif status == "returned":
                resolved_by = member
                resolution = self._pick(RETURN_REASONS)
            else:
                resolved_by = caller
                resolution = self._pick(WITHDRAW_REASONS)
            event(status, resolved_at, resolved_by, resolution)
        self.chunk_rows["forward"].append((
            fid, cid, call_id, contact_id, caller, dept_id, assignee, note, status, fmt(created),
            fmt(ack_at), ack_by, fmt(resolved_at), resolved_by, resolution))


# ---- the entry point --------------------------------------------------------------------


def generate(customers: int = 300, seed: int = 1, *, calls_per_customer: float = 3.0,
             forwards: int | None = None, chunk: int = CHUNK,
             defer_indexes: bool | None = None,
             progress: Callable[[int, int], None] | None = None) -> DemoResult:
    """Fill the open database (which must have no customers) with demo data."""
    if customers < 1:
        raise ValueError("customers must be at least 1")
    started = time.perf_counter()
    now = clock.now().replace(microsecond=0)
    if forwards is None:
        forwards = round(customers * FORWARDS_PER_CUSTOMER)
    with connection():
        gen = _Generator(customers, seed, calls_per_customer, forwards, now)
        with write_transaction():
            gen.feature_ids = _features()
            gen.departments = _departments()
        gen.ids = {"customer": _next_id(Customer), "contact": _next_id(Contact), "call": _next_id(Call),
                   "customer_feature": _next_id(CustomerFeature), "forward": _next_id(Forward),
                   "forward_event": _next_id(ForwardEvent)}
        first_ids = dict(gen.ids)
        setup = time.perf_counter() - started
        tables = [Customer, Contact, Call, CustomerFeature, Forward, ForwardEvent]
        if defer_indexes is None:
            defer_indexes = customers >= DEFER_INDEXES_FROM
        # A big load: no index updates and no tally triggers row by row; the
        # indexes built and the tallies counted once, afterwards.
        with tallies.deferred() if defer_indexes else contextlib.nullcontext(), \
                _indexes_deferred(tables) if defer_indexes else contextlib.nullcontext():
            _fill(gen, customers, chunk, progress)
        gen.chunk_rows = {}
        _sync_sequences([Customer, Contact, Call, CustomerFeature, Forward, ForwardEvent, Feature])
    due.forget_zone_keys()  # new zone keys: the desk in this process must see them
    return DemoResult(
        customers=customers,
        contacts=gen.ids["contact"] - first_ids["contact"],
        calls=gen.ids["call"] - first_ids["call"],
        forwards=gen.ids["forward"] - first_ids["forward"],
        seconds=time.perf_counter() - started,
        setup_seconds=setup,
    )


def _fill(gen: _Generator, customers: int, chunk: int, progress) -> None:
    done = 0
    while done < customers:
        size = min(chunk, customers - done)
        gen.chunk_rows = {name: [] for name in
                          ("customer", "contact", "call", "customer_feature", "forward", "forward_event")}
        for _ in range(size):
            gen.customer()
        done += size
        if done == customers and gen.last_completed:
            # Whatever the steady share left over goes to the last customer reached.
            cid, am, call = gen.last_completed
            while gen.forwards_left > 0:
                gen._forward(cid, am, call)
                gen.forwards_left -= 1
        rows = gen.chunk_rows
        with write_transaction():
            _insert("customer", CUSTOMER_COLUMNS, rows["customer"])
            _insert("contact", CONTACT_COLUMNS, rows["contact"])
            _insert("call", CALL_COLUMNS, rows["call"])
            _insert("customer_feature", FEATURE_COLUMNS, rows["customer_feature"])
            _insert("forward", FORWARD_COLUMNS, rows["forward"])
            _insert("forward_event", EVENT_COLUMNS, rows["forward_event"])
        if progress:
            progress(done, customers)


def _features() -> list[int]:
    """The product's feature list (kept if already there), ids in list order."""
    existing = {f.name: f.id for f in Feature.select(Feature.id, Feature.name)}
    for position, (name, description) in enumerate(FEATURES, start=1):
        if name not in existing:
            existing[name] = Feature.insert(name=name, description=description, position=position,
                                            active=True).execute()
    return [existing[name] for name, _ in FEATURES]


def _departments() -> dict[str, int]:
    """Department id by kind (billing, support, account_manager), from the seeded defaults."""
    found: dict[str, int] = {}
    for dept in Department.select().order_by(Department.position, Department.id):
        found.setdefault(dept.kind, dept.id)
    if not found:
        from callers import bootstrap

        bootstrap.seed()
        return _departments()
    return found
