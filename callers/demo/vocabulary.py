"""The words the demo draws from: the product's features, industries,
countries (with their legal forms and phone-number patterns), first and last
names, company-name parts, titles, account managers, callers, department
people, and the notes, resolutions and reasons written on calls and forwards.
Plain data; `callers.demo.generator` draws from it."""

from __future__ import annotations

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
# What a customer says when asked "Was it fixed?" and it was not, or only partly.
LOOP_WORDS = ["Still getting the same error", "Only for some users", "The invoice is still wrong",
              "Works now, but slow", "Nobody called back", "Half of it works", "Same problem since Monday"]
RETURN_REASONS = ["Not ours: a sales question", "Not ours: belongs to support", "Not ours: belongs to billing",
                  "Duplicate of an earlier forward"]
WITHDRAW_REASONS = ["Customer solved it themselves", "Raised by mistake"]
REF_CONDITIONS = ["Only after their go-live", "Not more than once a quarter", "Needs approval from [Legal]",
                  "Only for prospects in the same industry", "Not with direct competitors",
                  "English-speaking prospects only"]
GIFT_RESTRICTIONS = ["public body: no gifts", "gifts under 25 EUR only", "no gifts to named staff"]
