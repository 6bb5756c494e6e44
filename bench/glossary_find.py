"""Measure how long recognising glossary terms in a whole plan takes.

A plan of 40 actions is about 6 KB of text; the page re-runs recognition on every update,
so one pass must stay well under 5 ms. Prints mean and 95th percentile in milliseconds;
with --json the last line is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

from sip_meeting.glossary import load_glossary

ACTIONS = [
    "Skolan gör extra anpassningar med bildschema och hörselkåpor; mentorn följer upp varje vecka.",
    "Handläggaren utreder ansökan om korttidsvistelse enligt LSS och lämnar besked före sommaren.",
    "Habiliteringens arbetsterapeut provar ut hjälpmedel för påklädning i hemmet.",
    "BUP slutför utredningen och återkopplar till vårdnadshavarna och elevhälsan.",
    "Föräldrarna ansöker om omvårdnadsbidrag hos Försäkringskassan med stöd av koordinatorn.",
    "Socialtjänsten erbjuder avlösarservice två kvällar i veckan under hösten.",
    "Rektor beslutar om särskilt stöd och specialpedagogen skriver åtgärdsprogrammet.",
    "Logopeden introducerar AKK i skolan och hemma; uppföljning sker i november.",
]

RESPONSIBLE = "Ansvarig: en namngiven person i verksamheten, klart senast"


def plan_text(actions: int = 40) -> str:
    """Return the text of a plan with the given number of actions, about 150 bytes each."""
    rows = [
        f"Åtgärd {number}: {ACTIONS[number % len(ACTIONS)]} {RESPONSIBLE} vecka {number}."
        for number in range(1, actions + 1)
    ]
    return "\n".join(rows)


def measure(repeat: int, actions: int, lang: str) -> dict[str, float | int]:
    """Time repeated recognition over one plan and summarise the timings in milliseconds."""
    glossary = load_glossary()
    text = plan_text(actions)
    glossary.find(text, lang)  # the first call warms caches and is not what users wait for
    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        matches = glossary.find(text, lang)
        timings.append((time.perf_counter() - started) * 1000)
    timings.sort()
    return {
        "bytes": len(text.encode("utf-8")),
        "matches": len(matches),
        "repeat": repeat,
        "mean_ms": round(statistics.fmean(timings), 3),
        "p95_ms": round(timings[int(0.95 * (len(timings) - 1))], 3),
        "max_ms": round(timings[-1], 3),
    }


def main() -> None:
    """Run the benchmark from the command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=500)
    parser.add_argument("--actions", type=int, default=40)
    parser.add_argument("--lang", choices=("sv", "en"), default="sv")
    parser.add_argument("--json", action="store_true", help="end with one JSON object")
    args = parser.parse_args()
    result = measure(args.repeat, args.actions, args.lang)
    print(f"plan of {args.actions} actions, {result['bytes']} bytes, {result['matches']} matches")
    print(f"mean {result['mean_ms']} ms, p95 {result['p95_ms']} ms over {args.repeat} runs")
    if args.json:
        print(json.dumps(result))


if __name__ == "__main__":
    main()
