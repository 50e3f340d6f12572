"""Chinese numerals for official documents: dates, counts (专家一) and serial numbers.

>>> import datetime
>>> chinese_date(datetime.date(2026, 11, 21))
'二〇二六年十一月二十一日'
>>> serial_number(2026, 12)
'〔2026〕第0012号'
"""

from __future__ import annotations

import datetime as _dt

DIGITS = "〇一二三四五六七八九"


def chinese_year(year: int) -> str:
    """Digit by digit, as on official documents: 2026 -> 二〇二六."""
    if year < 0:
        raise ValueError(f"year must be positive: {year}")
    return "".join(DIGITS[int(digit)] for digit in str(year))


def chinese_number(n: int) -> str:
    """1..99 as read: 1 -> 一, 10 -> 十, 11 -> 十一, 20 -> 二十, 21 -> 二十一, 30 -> 三十."""
    if not 1 <= n <= 99:
        raise ValueError(f"expected 1..99, got {n}")
    tens, units = divmod(n, 10)
    if tens == 0:
        return DIGITS[units]
    return ("" if tens == 1 else DIGITS[tens]) + "十" + (DIGITS[units] if units else "")


def chinese_date(date: _dt.date | _dt.datetime | str) -> str:
    """二〇二六年十一月二十一日 for 2026-11-21 (a date, a datetime or an ISO date string)."""
    if isinstance(date, str):
        date = _dt.date.fromisoformat(date[:10])
    if not isinstance(date, _dt.date):
        raise TypeError(f"expected a date, got {type(date).__name__}")
    return f"{chinese_year(date.year)}年{chinese_number(date.month)}月{chinese_number(date.day)}日"


def serial_number(year: int, n: int, *, width: int = 4) -> str:
    """Letter serial number, unique per program and year: (2026, 12) -> 〔2026〕第0012号.

    The brackets are U+3014/U+3015 (六角括号), as required for document numbers (GB/T 9704).
    Numbers wider than ``width`` digits are printed in full.
    """
    year, n = int(year), int(n)
    if year < 1 or n < 1:
        raise ValueError(f"year and number must be positive: {year}, {n}")
    return f"〔{year}〕第{n:0{width}d}号"
