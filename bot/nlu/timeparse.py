"""Chinese dates and times (明天上午9点, 下周三下午两点, 12月3日 19:30) against a clock.

Everything is resolved in Asia/Shanghai, which has had no daylight saving since 1991,
so a fixed +08:00 offset is exact and needs no tz database.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

from models.address import to_int

SHANGHAI = timezone(timedelta(hours=8), "Asia/Shanghai")

_N = r"(?:[0-9]{1,4}|[零〇一二两三四五六七八九十]{1,3})"
_WEEKDAY_NAMES = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "日": 7, "天": 7}
_RELATIVE_DAYS = {
    "大后天": 3, "后天": 2, "明天": 1, "明日": 1, "明儿": 1, "明早": 1, "明晚": 1,
    "今天": 0, "今日": 0, "今儿": 0, "今早": 0, "今晚": 0, "今夜": 0, "今天晚上": 0,
    "昨天": -1, "前天": -2,
}  # fmt: skip
_PERIODS = (
    "凌晨|早上|早晨|清早|上午|中午|下午|傍晚|晚上|夜里|夜间|半夜|今晚|明晚|今早|明早|早"
)

_ISO_DATE = re.compile(r"(?P<y>20[0-9]{2})[-/.年](?P<m>[0-9]{1,2})[-/.月](?P<d>[0-9]{1,2})[日号]?")
_MONTH_DAY = re.compile(rf"(?:(?P<y>20[0-9]{{2}})年)?(?P<m>{_N})月(?P<d>{_N})(?:日|号)?")
_RELATIVE = re.compile("|".join(sorted(_RELATIVE_DAYS, key=len, reverse=True)))
_DAYS_LATER = re.compile(rf"(?P<n>{_N})天(?:以后|之后|后)")
_WEEKDAY = re.compile(r"(?P<pre>下下个?|下个?|这个?|本|上个?)?(?:周|星期|礼拜)(?P<w>[一二三四五六日天1-7])")
_DAY_OF_MONTH = re.compile(
    rf"(?P<pre>下个?月|这个?月|本月)(?P<d>{_N})(?:日|号)"
    rf"|(?<![0-9月第])(?P<d2>{_N})(?:日|号)(?=\s*(?:{_PERIODS}|{_N}\s*[点:时]|的会|开会|晚|早))"
)
_CLOCK = re.compile(r"(?<![0-9])(?P<h>[0-2]?[0-9])[:：](?P<mi>[0-5][0-9])(?![0-9])")
_HOUR = re.compile(
    rf"(?P<h>{_N})\s*(?:点钟?|时)(?:\s*(?P<half>半)|\s*(?P<q>一刻|三刻)|\s*(?P<mi>{_N})\s*分?)?"
)
_PERIOD = re.compile(_PERIODS)
# A week or a month named without a day: 下周有会吗, 这个月还有什么会, 下周末.
_WEEK_SPAN = re.compile(r"(?P<pre>下下个?|下个?|这个?|本|上个?)?(?:周|星期|礼拜)(?P<end>末)?(?![一二三四五六日天1-7])")
_MONTH_SPAN = re.compile(rf"(?P<pre>下个?|这个?|本|上个?)月(?!\s*{_N}\s*[日号])")
_A_BIT = frozenset("快慢早晚好多少有差大小些再")


@dataclass(frozen=True)
class When:
    """A resolved date, optional time of day, and the text span it came from."""

    day: date
    clock: time | None
    weekday: int | None
    start: int
    end: int

    def slots(self) -> dict[str, object]:
        result: dict[str, object] = {"date": self.day.isoformat()}
        if self.clock is not None:
            moment = datetime.combine(self.day, self.clock, tzinfo=SHANGHAI)
            result["when"] = moment.isoformat()
        if self.weekday is not None:
            result["weekday"] = self.weekday
        return result


def local_now(now: datetime | None) -> datetime:
    """The clock in Asia/Shanghai; naive datetimes are taken as Shanghai time."""
    if now is None:
        return datetime.now(SHANGHAI)
    if now.tzinfo is None:
        return now.replace(tzinfo=SHANGHAI)
    return now.astimezone(SHANGHAI)


def _int(token: str | None) -> int | None:
    if not token:
        return None
    try:
        return to_int(token)
    except ValueError:
        return None


def _safe_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _find_day(text: str, today: date) -> tuple[date, int | None, int, int] | None:
    match = _ISO_DATE.search(text)
    if match:
        day = _safe_date(int(match["y"]), int(match["m"]), int(match["d"]))
        if day:
            return day, None, match.start(), match.end()
    match = _MONTH_DAY.search(text)
    if match:
        month, dom = _int(match["m"]), _int(match["d"])
        if month and dom:
            year = int(match["y"]) if match["y"] else today.year
            day = _safe_date(year, month, dom)
            if day and not match["y"] and day < today - timedelta(days=31):
                day = _safe_date(year + 1, month, dom)
            if day:
                return day, None, match.start(), match.end()
    match = _WEEKDAY.search(text)
    if match:
        weekday = _WEEKDAY_NAMES.get(match["w"]) or int(match["w"])
        monday = today - timedelta(days=today.isoweekday() - 1)
        pre = match["pre"] or ""
        weeks = {"下下": 2, "下": 1, "这": 0, "本": 0, "上": -1}.get(pre.rstrip("个"), 0)
        day = monday + timedelta(weeks=weeks, days=weekday - 1)
        if not pre and day < today:
            day += timedelta(weeks=1)
        return day, weekday, match.start(), match.end()
    match = _RELATIVE.search(text)
    if match:
        return today + timedelta(days=_RELATIVE_DAYS[match[0]]), None, match.start(), match.end()
    match = _DAYS_LATER.search(text)
    if match and (count := _int(match["n"])) is not None and count < 400:
        return today + timedelta(days=count), None, match.start(), match.end()
    match = _DAY_OF_MONTH.search(text)
    if match:
        dom = _int(match["d"] or match["d2"])
        pre = match["pre"] or ""
        if dom and 1 <= dom <= 31:
            year, month = today.year, today.month
            if pre.startswith("下"):
                year, month = (year + 1, 1) if month == 12 else (year, month + 1)
            day = _safe_date(year, month, dom)
            if day and day < today and not pre:
                year, month = (year + 1, 1) if month == 12 else (year, month + 1)
                day = _safe_date(year, month, dom)
            if day:
                return day, None, match.start(), match.end()
    return None


def _find_clock(text: str) -> tuple[int, int, str | None, int, int] | None:
    """Hour, minute, period word and span of the first time of day."""
    match = _CLOCK.search(text)
    if not match:
        for candidate in _HOUR.finditer(text):
            before = text[candidate.start() - 1 : candidate.start()] if candidate.start() else ""
            after = text[candidate.end() : candidate.end() + 1]
            # 快一点 / 早点 / 一点儿 are "a bit", not one o'clock.
            if candidate["h"] in ("一", "两") and (before in _A_BIT or after in ("儿", "点")):
                continue
            match = candidate
            break
    if not match:
        period = _PERIOD.search(text)
        return None if not period else (-1, 0, period[0], period.start(), period.end())
    hour = _int(match["h"])
    if hour is None or hour > 24:
        return None
    groups = match.groupdict()
    if groups.get("half"):
        minute = 30
    elif groups.get("q"):
        minute = 15 if groups["q"] == "一刻" else 45
    else:
        minute = _int(groups.get("mi")) or 0
    if minute > 59:
        return None
    before = text[max(0, match.start() - 4) : match.start()]
    period = None
    for found in _PERIOD.finditer(before):
        period = found[0]
    start = match.start() - (len(before) - before.rfind(period)) if period else match.start()
    return hour, minute, period, start, match.end()


def _to_24h(hour: int, period: str | None) -> tuple[int, int]:
    """24-hour clock and a day offset (晚上12点 is midnight of the next day)."""
    if period in ("下午", "傍晚", "晚上", "夜里", "夜间", "今晚", "明晚") and hour < 12:
        return hour + 12, 0
    if period == "中午" and hour < 11:
        return hour + 12, 0
    if period in ("晚上", "半夜", "夜里", "今晚", "明晚", "凌晨") and hour in (12, 24):
        return 0, 1 if period != "凌晨" else 0
    if period is None and 1 <= hour <= 6:
        # Nobody holds a meeting at 3 a.m.: a bare 三点 means the afternoon.
        return hour + 12, 0
    if hour == 24:
        return 0, 1
    return hour, 0


def find_when(text: str, now: datetime | None = None) -> When | None:
    """The first date and/or time in the text, resolved against now (Asia/Shanghai)."""
    if not text:
        return None
    today = local_now(now).date()
    found_day = _find_day(text, today)
    found_clock = _find_clock(text)
    if found_clock and found_clock[0] < 0:
        # A bare period word (明天上午) dates the message but gives no time.
        found_clock = None
    if not found_day and not found_clock:
        return None
    day, weekday, start, end = found_day or (today, None, len(text), 0)
    clock = None
    if found_clock:
        hour, minute, period, c_start, c_end = found_clock
        if period is None:
            relative = _RELATIVE.search(text[max(0, c_start - 4) : c_start])
            if relative and relative[0] in ("今晚", "明晚"):
                period = relative[0]
        hour, extra_days = _to_24h(hour, period)
        day += timedelta(days=extra_days)
        clock = time(hour, minute)
        start, end = min(start, c_start), max(end, c_end)
    return When(day, clock, weekday, start, end)


def find_span(text: str, now: datetime | None = None) -> tuple[date, date] | None:
    """First and last day of a week or month named without a day (下周, 这周末, 下个月)."""
    if not text or not ("周" in text or "星期" in text or "礼拜" in text or "月" in text):
        return None
    today = local_now(now).date()
    for match in _WEEK_SPAN.finditer(text):
        pre = (match["pre"] or "").rstrip("个")
        if not pre and not match["end"]:
            continue  # 一周 / 每周 / 周: no particular week
        weeks = {"下下": 2, "下": 1, "这": 0, "本": 0, "上": -1, "": 0}[pre]
        monday = today - timedelta(days=today.isoweekday() - 1) + timedelta(weeks=weeks)
        if match["end"]:
            return monday + timedelta(days=5), monday + timedelta(days=6)
        return monday, monday + timedelta(days=6)
    match = _MONTH_SPAN.search(text)
    if match:
        months = {"下": 1, "这": 0, "本": 0, "上": -1}[match["pre"].rstrip("个")]
        index = today.year * 12 + today.month - 1 + months
        first = date(index // 12, index % 12 + 1, 1)
        following = date((index + 1) // 12, (index + 1) % 12 + 1, 1)
        return first, following - timedelta(days=1)
    return None
