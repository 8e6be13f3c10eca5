"""Refresh the Vietnamese catalogue and fill it: `python scripts/translate.py [translations.json ...]`.

Runs makemessages (the project's code and templates only), fills empty entries from the JSON files given
({"English msgid": "Vietnamese msgstr"}, for plurals {"msgid": ["one", "other"]}, for a msgid with a
context "context\u0004msgid" as gettext writes it), leaves alone entries already translated (a msgid is
shared by every screen that uses it: change one deliberately, in the catalogue), clears the fuzzy
flag of entries filled, writes the catalogue unwrapped, compiles it, and lists what is still untranslated.
Holds a lock on var/po.lock so that several people refreshing at once do not overwrite each other."""

from __future__ import annotations

import fcntl
import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PO = ROOT / "epicommand" / "locale" / "vi" / "LC_MESSAGES" / "django.po"
IGNORE = [".venv", "node_modules", "var", "tests", "bench", "scripts"]


def main(paths: list[str]) -> int:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "epicommand.settings")
    import django
    import polib
    from django.core.management import call_command

    django.setup()
    (ROOT / "var").mkdir(exist_ok=True)
    with open(ROOT / "var" / "po.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        os.chdir(ROOT)  # locations in the catalogue are relative to the project root
        call_command("makemessages", locale=["vi"], ignore_patterns=IGNORE, no_obsolete=True, verbosity=0)
        given: dict = {}
        for path in paths:
            given.update(json.loads(Path(path).read_text(encoding="utf-8")))
        catalogue = polib.pofile(str(PO), wrapwidth=0)
        kept: list[str] = []
        for entry in catalogue:
            value = given.get(f"{entry.msgctxt}\x04{entry.msgid}" if entry.msgctxt else entry.msgid)
            if value is None:
                continue
            if entry.translated() and "fuzzy" not in entry.flags:
                if (entry.msgstr_plural.get(0) if entry.msgid_plural else entry.msgstr) != (
                        value[-1] if isinstance(value, list) else value):
                    kept.append(entry.msgid)
                continue
            if entry.msgid_plural:
                forms = value if isinstance(value, list) else [value]
                entry.msgstr_plural = {0: forms[-1]}  # Vietnamese has one plural form
            else:
                entry.msgstr = value
            if "fuzzy" in entry.flags:
                entry.flags.remove("fuzzy")
                entry.previous_msgid = None
                entry.previous_msgid_plural = None
        catalogue.wrapwidth = 0
        catalogue.save(str(PO))
        call_command("compile_translations", verbosity=0)
        missing = [e.msgid for e in catalogue if not e.obsolete and (not e.translated() or "fuzzy" in e.flags)]
    for msgid in kept:
        sys.stdout.write(f"kept the existing translation of: {msgid!r}\n")
    for msgid in missing:
        sys.stdout.write(f"untranslated: {msgid!r}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
