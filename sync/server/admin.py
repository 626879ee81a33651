"""``stroll-server admin``: members, invites and devices from the command line, on
the server's own database (the first admin is made here). Acts as the server
itself (``rules.SERVER``): the same rules, merge and cursor as the API."""
from __future__ import annotations

import argparse
import json
import sys
from datetime import timedelta

from stroll.domain import StrollError
from stroll.domain import taxonomy as tx

from . import members
from .rules import ROLES, SERVER
from .settings import ConfigError, load_settings

EPILOG = """\
examples:
  stroll-server admin create --name "Mei Chan" --role admin
  stroll-server admin create --name "Tuan Nguyen" --role ambassador --language vi --language en
  stroll-server admin invite MEMBER_ID        # a new code for a member who lost theirs
  stroll-server admin devices                 # every enrolled device
  stroll-server admin revoke-device DEVICE_ID # a lost phone: it wipes survivor data
  stroll-server admin revoke-member MEMBER_ID # every device of a member, unused invites
  stroll-server admin audit                   # who pulled survivor data, who revoked whom
"""


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(
        prog="stroll-server admin", epilog=EPILOG,
        description="Manage stroll's members, invites and devices on the server's database "
                    "(SYNC_DATABASE_URL or --database-url).",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--database-url", metavar="URL", help="as for stroll-server")
    ap.add_argument("--json", action="store_true", help="print JSON instead of text")
    sub = ap.add_subparsers(dest="command", required=True, metavar="COMMAND")
    c = sub.add_parser("create", help="add a member and print their one-time invite")
    c.add_argument("--name", required=True)
    c.add_argument("--role", choices=ROLES, default="volunteer")
    c.add_argument("--language", action="append", default=[], choices=tx.SPOKEN_LANGUAGES,
                   help="a language the member speaks (repeat for several)")
    c.add_argument("--trained-lead", action="store_true")
    c.add_argument("--neighborhood", metavar="ID", help="the member's neighborhood id")
    i = sub.add_parser("invite", help="a new one-time invite for a member")
    i.add_argument("member_id")
    sub.add_parser("devices", help="list the enrolled devices")
    d = sub.add_parser("revoke-device", help="revoke one device")
    d.add_argument("device_id")
    m = sub.add_parser("revoke-member", help="revoke every device of a member")
    m.add_argument("member_id")
    a = sub.add_parser("audit", help="print the audit log")
    a.add_argument("--after", type=int, default=0)
    a.add_argument("--limit", type=int, default=500)
    return ap


def _print_invite(invite: members.Invite, public_url: str | None, as_json: bool,
                  member: dict | None = None) -> None:
    if as_json:
        out = {"invite": invite.to_dict(public_url)}
        if member is not None:
            out["member"] = member
        print(json.dumps(out, ensure_ascii=False, indent=2))
        return
    import segno
    if member is not None:
        print(f"member {member['id']}: {member['name']} ({member['role']})")
    print(f"invite code: {invite.code}   (one use; expires {invite.expires_at})")
    print(f"QR code of {invite.link(public_url)}:")
    segno.make(invite.link(public_url), error="m").terminal(compact=True)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings(database_url=args.database_url)
    except ConfigError as e:
        print(f"stroll-server admin: {e}", file=sys.stderr)
        return 2
    from .storage import StorageError, open_storage
    ttl = timedelta(hours=settings.invite_ttl_hours)
    try:
        store = open_storage(settings.database_url, pool_size=1,
                             sqlite_synchronous=settings.sqlite_synchronous)
    except StorageError as e:
        print(f"stroll-server admin: database {settings.backend}: {e}", file=sys.stderr)
        return 1
    try:
        return _run(args, store, settings, ttl)
    except StrollError as e:
        print(f"stroll-server admin: {e}", file=sys.stderr)
        return 1
    finally:
        store.close()


def _run(args, store, settings, ttl) -> int:
    if args.command == "create":
        fields = {"name": args.name, "role": args.role, "languages": args.language,
                  "trained_lead": args.trained_lead, "neighborhood_id": args.neighborhood}
        member, invite = members.create_member(store, SERVER, fields, ttl)
        _print_invite(invite, settings.public_url, args.json, member)
    elif args.command == "invite":
        invite = members.create_invite(store, SERVER, args.member_id, ttl)
        _print_invite(invite, settings.public_url, args.json)
    elif args.command == "devices":
        rows = [members.device_json(d) for d in store.devices()]
        if args.json:
            print(json.dumps(rows, ensure_ascii=False, indent=2))
        for r in [] if args.json else rows:
            state = "revoked" if r["revoked"] else f"until {r['expires_at']}"
            print(f"{r['device_id']}  {r['role'] or '-':11}  member {r['member_id']}  "
                  f"{r['name']!r}  {state}")
    elif args.command == "revoke-device":
        at = members.iso(members.utcnow())
        if not store.revoke_device(args.device_id, at):
            print(f"stroll-server admin: no enrolled device {args.device_id} (or revoked "
                  "already)", file=sys.stderr)
            return 1
        store.add_audit(at=at, member_id=None, device_id=None, action="revoke_device",
                        detail=args.device_id)
        print(f"device {args.device_id} revoked: it wipes its survivor data at its next sync")
    elif args.command == "revoke-member":
        out = members.revoke_member(store, SERVER, args.member_id)
        print(json.dumps(out) if args.json else
              f"member {out['member_id']}: {out['devices_revoked']} device(s) revoked, "
              f"{out['invites_dropped']} unused invite(s) dropped"
              + (", calendar feed stopped" if out["calendar_feed_stopped"] else ""))
    elif args.command == "audit":
        for line in store.audit(args.after, args.limit):
            print("\t".join("" if v is None else str(v) for v in line))
    return 0
