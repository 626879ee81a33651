"""A member's shifts as an iCalendar feed (RFC 5545), built with ``icalendar``: records
in, bytes out. No storage and no HTTP here: ``feeds.py`` reads the records and serves
the bytes (docs/SYNC.md, Calendar feed).

What a calendar app receives:
- one ``VEVENT`` per sign-up of the member that is confirmed or waitlisted, its ``UID``
  the sign-up's id + ``@stroll`` (stable: the app updates the event when the shift
  moves); a waitlisted one is ``STATUS:TENTATIVE`` and its summary says so;
- ``DTSTART``/``DTEND`` in the program's time zone (``TZID``), with the ``VTIMEZONE``
  that defines it for the years the events span, so 10:00 on a Saturday stays 10:00
  across a daylight-saving change;
- a sign-up cancelled (by the member, a coordinator or the server) or whose shift was
  deleted is left out: a subscribed calendar is the feed as it stands, and the app
  removes the event at its next refresh. ``STATUS:CANCELLED`` is not used: apps treat
  it unevenly in subscriptions (some hide the event, some show it as if it were on).
"""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from typing import Iterable
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event
from icalendar.enums import STATUS

PRODID = "-//stroll//shifts//EN"
CALENDAR_NAME = "stroll shifts"
REFRESH = timedelta(hours=1)  # how often an app is asked to fetch the feed again


def _local(value: object, zone: ZoneInfo) -> datetime | None:
    """An ISO 8601 time of a record in ``zone`` (a time without an offset is read as
    the program's local time), or None when it is not one."""
    if not isinstance(value, str):
        return None
    try:
        t = datetime.fromisoformat(value)
    except ValueError:
        return None
    return t.replace(tzinfo=zone) if t.tzinfo is None else t.astimezone(zone)


def _text(value: object) -> str:
    return value.strip() if isinstance(value, str) else ""


def _coordinate(value: object, limit: float) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if -limit <= value <= limit else None


def shift_event(signup: dict, shift: dict, neighborhood: str, zone: ZoneInfo,
                stamp: datetime) -> Event | None:
    """The event of one sign-up, or None when its shift's times cannot be read."""
    start, end = _local(shift.get("starts_at"), zone), _local(shift.get("ends_at"), zone)
    if start is None or end is None or end <= start:
        return None
    waitlisted = signup.get("status") == "waitlisted"
    title = _text(shift.get("title")) or "Shift"
    lines = [neighborhood] if neighborhood else []
    if waitlisted:
        lines.append("You are on the waitlist: the app tells you when a place opens up.")
    event = Event.new(uid=f"{signup['id']}@stroll", stamp=stamp, start=start, end=end,
                      summary=(f"Waitlisted #{signup['waitlist_position']}: {title}"
                               if signup.get("waitlist_position") else f"Waitlisted: {title}")
                      if waitlisted else title,
                      status=STATUS.TENTATIVE if waitlisted else STATUS.CONFIRMED,
                      description="\n".join(lines) or None,
                      location=_text(shift.get("meeting_point")) or None)
    lat = _coordinate(shift.get("meeting_lat"), 90)
    lon = _coordinate(shift.get("meeting_lon"), 180)
    if lat is not None and lon is not None:
        event.add("geo", (lat, lon))
    return event


def feed(signups: Iterable[tuple[dict, dict]], neighborhoods: dict[str, str],
         time_zone: str, now: datetime, *, uid: str | None = None) -> bytes:
    """The feed of a member's ``(sign-up, shift)`` records (those still on: confirmed
    or waitlisted). ``neighborhoods``: id -> name; ``time_zone``: the program's (an
    IANA name); ``now``: when the feed is made (``DTSTAMP``); ``uid``: the calendar's."""
    zone = ZoneInfo(time_zone)
    stamp = now.astimezone(timezone.utc)
    cal = Calendar.new(prodid=PRODID, name=CALENDAR_NAME, method="PUBLISH", uid=uid,
                       refresh_interval=REFRESH)
    cal.add("x-published-ttl", REFRESH)
    cal.add("x-wr-timezone", time_zone)
    events = []
    for signup, shift in signups:
        if signup.get("status") not in ("confirmed", "waitlisted"):
            continue
        event = shift_event(signup, shift,
                            neighborhoods.get(shift.get("neighborhood_id") or "", ""),
                            zone, stamp)
        if event is not None:
            events.append(event)
    events.sort(key=lambda e: (e.start, e.uid))
    for event in events:
        cal.add_component(event)
    if events:
        # the zone's rules for whole years around the events: the same VTIMEZONE on
        # every fetch of one season
        cal.add_missing_timezones(first_date=date(events[0].start.year - 1, 1, 1),
                                  last_date=date(max(e.end.year for e in events) + 2, 1, 1))
    return cal.to_ical()


__all__ = ["feed", "shift_event", "PRODID", "CALENDAR_NAME"]
