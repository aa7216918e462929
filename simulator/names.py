"""The first and last names of simulated users: Faker's en_US tables, shipped as data.

Identities draw a first and a last name with the case's own RNG, weighted by how common each
name is (the frequencies Faker's en_US person provider carries, from US census counts). The
tables ship in ``simulator/data/names-en_US.json`` instead of being read from an installed
Faker, for two reasons:

- Faker installs a pytest plugin through an entry point, and pytest autoloads it into **every**
  pytest process of an environment that has Faker, users' own suites included (~1-1.8 s of
  CPU and ~56 MiB a process here, measured; more with ``PYTHONDONTWRITEBYTECODE``, because
  pytest rewrites the assertions of a plugin's whole package). attestlab used nothing of Faker
  but these tables, so it no longer installs it.
- A report is the same for the same seed whichever Faker a machine has: the tables are
  attestlab's data, not whatever version of Faker happens to be installed.

``python -m simulator.names`` writes the file again from an installed Faker (the ``test`` extra
has it), and the suite checks that every shipped name is Faker's with Faker's weight.
"""

from __future__ import annotations

import functools
import itertools
import json
import sys
from pathlib import Path
from typing import Any

#: (names, cumulative weights), as ``random.Random.choices(cum_weights=...)`` takes them.
NameTable = tuple[list[str], list[float]]
DATA = Path(__file__).resolve().parent / "data" / "names-en_US.json"


@functools.cache
def tables() -> tuple[NameTable, NameTable]:
    """The first-name and last-name tables, read once per process (~0.3 ms)."""
    data = json.loads(DATA.read_text(encoding="utf-8"))

    def table(pairs: list[tuple[str, float]]) -> NameTable:
        return [name for name, _ in pairs], list(itertools.accumulate(weight for _, weight in pairs))

    return table(data["first"]), table(data["last"])


def from_faker() -> dict[str, Any]:
    """The file's content made from the installed Faker's en_US person provider."""
    from importlib.metadata import distribution

    import faker
    from faker.providers.person.en_US import Provider

    licence = next(f for f in distribution("faker").files or () if "LICENSE" in f.name.upper())
    return {
        "source": f"Faker {faker.VERSION}, faker/providers/person/en_US",
        "license": licence.read_text(),
        "first": list({**Provider.first_names_female, **Provider.first_names_male}.items()),
        "last": list(Provider.last_names.items()),
    }


def dumps(content: dict[str, Any]) -> str:
    """JSON with one name a line, so that a change of Faker's data reads as a short diff."""
    lines = [f"{json.dumps(key)}: {json.dumps(content[key])}" for key in ("source", "license")]
    for key in ("first", "last"):
        pairs = ",\n".join(json.dumps(pair, ensure_ascii=False) for pair in content[key])
        lines.append(f"{json.dumps(key)}: [\n{pairs}\n]")
    return "{\n" + ",\n".join(lines) + "\n}\n"


def main() -> int:
    """Write the tables again from the installed Faker."""
    try:
        content = from_faker()
    except ImportError:
        print("python -m simulator.names: Faker is not installed (pip install 'attestlab[test]')", file=sys.stderr)
        return 2
    DATA.write_text(dumps(content), encoding="utf-8")
    print(f"wrote {DATA} from {content['source']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
