#!/usr/bin/env python3
"""Seeds each fuzz target's corpus from the repo's own test data, so the fuzzers start
from real payloads and calculator inputs instead of empty bytes.

Usage: python3 fuzz/seed.py   (writes fuzz/corpus/<target>/, which git ignores)
"""
import hashlib
import json
import pathlib

root = pathlib.Path(__file__).resolve().parent
data = root.parent / "ajo-core" / "tests" / "data"


def put(target, blob):
    folder = root / "corpus" / target
    folder.mkdir(parents=True, exist_ok=True)
    (folder / hashlib.sha1(blob).hexdigest()).write_bytes(blob)


for path in sorted((data / "webhooks").rglob("*")):
    if path.is_file() and path.suffix in (".json", ".txt", ".form") or path.parent.name == "twilio":
        if path.is_file():
            body = path.read_bytes()
            put("webhook_events", body)
            put("sendgrid_events", body)
            put("webhook_verify", body)

# calc_input takes one command byte (0 loan, 1 loan --table, 2 rotation, 3 penalty,
# 4 apr) followed by the JSON text.
for area, commands in (("loans", (0, 1)), ("rotation", (2,)), ("penalties", (3,))):
    for case in json.loads((data / f"{area}.json").read_text())["cases"]:
        text = json.dumps(case.get("inputs", case)).encode()
        for command in commands:
            put("calc_input", bytes([command]) + text)
for case in json.loads((data / "apr.json").read_text())["cases"]:
    put("calc_input", bytes([4]) + json.dumps(case["request"]).encode())

# money_roundtrip takes (currency pick, minor units, text).
for amount in ("0", "1", "-1", "0.01", "1234.56", "99999999999999.99", "1e3", " 1", "1_000"):
    for pick in (0, 3, 200):
        put("money_roundtrip", bytes([pick, 2]) + amount.encode())
