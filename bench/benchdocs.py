"""What the benchmarks share: a scratch PostgreSQL database, the machine's description, and writing their
section of docs/benchmarks.md."""

from __future__ import annotations

import os
import platform
import re
import textwrap
from pathlib import Path


def fresh_postgresql(url: str) -> None:
    """Drop and create the scratch PostgreSQL database of `url` (its name must start with "bench")."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    target = make_url(url)
    name = target.database or ""
    if not target.drivername.startswith("postgresql"):
        raise SystemExit(f"the scratch database must be PostgreSQL, not {target.drivername}")
    if not name.startswith("bench"):
        raise SystemExit(f"refusing to recreate {name!r}: a benchmark database's name must start with 'bench'")
    engine = create_engine(
        target.set(drivername="postgresql+psycopg", database="postgres"), isolation_level="AUTOCOMMIT"
    )
    with engine.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()


def machine() -> str:
    """E.g. "2 cores (AMD EPYC), 24 GB RAM"."""
    cpu, memory = platform.processor() or platform.machine(), ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory = f", {int(line.split()[1]) / 1024**2:.0f} GB RAM"
                break
    except OSError:
        pass
    return f"{os.cpu_count()} cores ({cpu}){memory}"


def paragraph(text: str) -> list[str]:
    """A paragraph of docs/benchmarks.md: wrapped at 116 columns, then a blank line."""
    return [textwrap.fill(text, width=116, break_long_words=False, break_on_hyphens=False), ""]


def replace_section(path: Path, heading: str, lines: list[str]) -> None:
    """Put `lines` (starting with `heading`) in place of the section under `heading`, or at the end."""
    section = "\n".join(lines)
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n\n"
    pattern = re.compile(rf"^{re.escape(heading)}\n.*?(?=^## |\Z)", re.M | re.S)
    if pattern.search(text):
        text = pattern.sub(lambda _match: section + "\n", text)
    else:
        text = text.rstrip("\n") + "\n\n" + section
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text.rstrip("\n") + "\n", encoding="utf-8")
