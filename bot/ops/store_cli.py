"""`bot db`, `bot dossiers`, `bot mediators`, `bot slots`, `bot demo-data`, `bot purge`, `bot export-training`:
the store from the command line."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date, datetime, time, timedelta
from pathlib import Path

from bot import clock, paths, settings
from bot.domain import synthesis
from bot.settings import PARIS
from bot.store import accounts, conversations, db, dossiers, migrate, scheduling
from bot.store.tables import SLOT_MODES

DEMO_MEDIATORS = [("Camille Martin", "camille.martin@example.org"), ("Karim Benali", "karim.benali@example.org")]


def open_session():
    url = settings.current().database_url
    migrate.upgrade(url)
    return db.session(url)


def slot_starts(first_day: date, days: int, hours: list[tuple[time, time]], minutes: int) -> list[datetime]:
    """Slot start times on weekdays, in Paris time, within the given opening hours."""
    starts = []
    for offset in range(days):
        day = first_day + timedelta(days=offset)
        if day.weekday() >= 5:
            continue
        for begin, end in hours:
            current = datetime.combine(day, begin, tzinfo=PARIS)
            while current + timedelta(minutes=minutes) <= datetime.combine(day, end, tzinfo=PARIS):
                starts.append(current)
                current += timedelta(minutes=minutes)
    return starts


def parse_hours(spec: str) -> list[tuple[time, time]]:
    """'9:00-12:00,14:00-17:00' -> [(9:00, 12:00), (14:00, 17:00)]"""
    ranges = []
    for part in spec.split(","):
        try:
            begin, end = (time.fromisoformat(p.strip().zfill(5)) for p in part.split("-"))
        except ValueError as exc:
            raise argparse.ArgumentTypeError(f"bad hours {part!r}; expected e.g. 9:00-12:00,14:00-17:00") from exc
        if begin >= end:
            raise argparse.ArgumentTypeError(f"bad hours {part!r}: the end must come after the start")
        ranges.append((begin, end))
    return ranges


def create_demo_data(session, today: date | None = None) -> int:
    """Two mediators with hourly slots over the next two weeks, within the opening hours; Camille's
    by phone, Karim's by video. Returns the number of slots."""
    from bot.domain import opening_hours

    now = clock.now()
    first_day = (today or now.astimezone(PARIS).date()) + timedelta(days=1)
    hours = parse_hours("9:00-12:00,14:00-17:00")
    added = 0
    for (name, email), mode in zip(DEMO_MEDIATORS, ("telephone", "visio"), strict=False):
        mediator = accounts.mediator_by_email(session, email) or accounts.add_mediator(session, name, email, now=now)
        added += scheduling.open_slots(
            session, mediator, slot_starts(first_day, 14, hours, 60), 60, mode=mode, hours=opening_hours.load()
        )
    session.commit()
    return added


def cmd_db_upgrade(args) -> int:
    migrate.upgrade(settings.current().database_url)
    print("Database schema is up to date.")
    return 0


def cmd_dossiers_list(args) -> int:
    with open_session() as session:
        try:
            now = clock.now()
            found = [dossiers.dossier_as_dict(d, now=now) for d in dossiers.list_dossiers(session, args.status)]
        except ValueError as exc:
            print(exc, file=sys.stderr)
            return 2
    if args.json:
        print(json.dumps(found, ensure_ascii=False, indent=2))
        return 0
    if not found:
        print("No dossier.")
    for d in found:
        needs = ", ".join(synthesis.need_label(n["intent"]) + ("" if n["confirmed"] else " (?)") for n in d["needs"]) or "-"
        updated = datetime.fromisoformat(d["updated_at"]).astimezone(settings.PARIS)
        urgent = "URGENT  " if d["synthesis"]["urgent"] else ""
        print(f"n° {d['id']:<5} {d['status']:<9} {updated:%d/%m/%Y %H:%M}  {urgent}{needs}")
    return 0


def cmd_dossiers_show(args) -> int:
    with open_session() as session:
        dossier = dossiers.get_dossier(session, args.id)
        if dossier is None:
            print(f"No dossier #{args.id}.", file=sys.stderr)
            return 1
        now = clock.now()
        data = dossiers.dossier_as_dict(dossier, now=now)
        said = dossiers.synthesis(session, dossier, now)
        data["transcript"] = [
            {
                "at": line.at.isoformat(),
                "speaker": line.speaker,
                "author": line.author,
                "text": line.text,
                "sent": line.sent,  # "button": an offered button's title; "payload": sent as is, no button had it
                "buttons": [b["title"] for b in line.buttons],  # offered by the assistant
            }
            for line in conversations.transcript(session, dossier.conversation_id)
        ]
    if args.json:
        print(json.dumps(data, ensure_ascii=False, indent=2))
        return 0
    print(f"Dossier n° {data['id']} — {data['status']} — conversation {data['conversation_id']}")
    for line in said.lines():  # the synthesis in words, as the console shows it (bot/domain/synthesis.py)
        print(f"  {line}")
    contact = data["contact"]
    if contact["consent_at"]:
        print(f"  Contact : {' '.join(v for v in (contact['name'], contact['phone'], contact['email']) if v)}")
    else:
        print("  Contact : pas de coordonnées (pas d'accord)")
    if data["satisfaction"]:
        comment = f" — « {data['satisfaction_comment']} »" if data["satisfaction_comment"] else ""
        print(f"  Satisfaction : {data['satisfaction']}/5{comment}")
    print("Transcript:")
    for line in data["transcript"]:
        who = f"{line['speaker']} {line['author']}".strip()  # a mediator's first name in the live part
        how = {"button": " (bouton)", "payload": " (commande envoyée telle quelle, aucun bouton proposé)"}.get(line["sent"], "")
        offered = f" [boutons : {' | '.join(line['buttons'])}]" if line["buttons"] else ""
        at = datetime.fromisoformat(line["at"]).astimezone(settings.PARIS)
        print(f"  [{at:%H:%M:%S}] {who}: {line['text']}{how}{offered}")
    return 0


def cmd_mediators_add(args) -> int:
    """A mediator (or admin) with a console account; the password is read from stdin or prompted."""
    import getpass

    from bot.store import accounts

    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = getpass.getpass("Console password (10 characters or more): ")
    with open_session() as session:
        try:
            mediator = accounts.create_account(
                session, args.name, args.email, password, role="admin" if args.admin else "mediateur", now=clock.now()
            )
        except ValueError as exc:
            print(exc, file=sys.stderr)
            return 2
        session.commit()
        print(
            f"{mediator.role.capitalize()} #{mediator.id} {mediator.name} <{mediator.email}> added; "
            f"they can log in at /mediateurs."
        )
    return 0


def cmd_slots_open(args) -> int:
    """Slots within both --hours and the service's opening hours (never on a public holiday)."""
    from bot.domain import opening_hours

    with open_session() as session:
        mediator = accounts.mediator_by_email(session, args.mediator)
        if mediator is None:
            print(f"No mediator with e-mail {args.mediator}.", file=sys.stderr)
            return 2
        starts = slot_starts(args.start, args.days, args.hours, args.minutes)
        try:
            added = scheduling.open_slots(
                session, mediator, starts, args.minutes, mode=args.mode, place=args.place, hours=opening_hours.load()
            )
        except ValueError as exc:
            print(exc, file=sys.stderr)
            return 2
        session.commit()
    skipped = len(starts) - added
    print(
        f"{added} slot(s) opened for {mediator.name} ({args.mode}"
        + (f", {args.place}" if args.mode == "sur_place" else "")
        + ")"
        + (f"; {skipped} left out (already open, closed day or outside the opening hours)." if skipped else ".")
    )
    return 0


def cmd_demo_data(args) -> int:
    with open_session() as session:
        print(f"{create_demo_data(session)} demo slot(s) created.")
    return 0


def cmd_purge(args) -> int:
    from bot.mail import transport
    from bot.store import retention

    now = clock.now()
    with open_session() as session:
        report = retention.purge(session, now=now, dry_run=args.dry_run)
        session.commit()
    if not args.dry_run:  # the .eml copies: the purged dossiers' mails, and every copy past its days
        outbox = settings.current().outbox_dir
        removed = transport.remove_copies(outbox, report.message_ids) + transport.prune_copies(outbox, now=now)
        print(f"{removed} e-mail copy(ies) removed from {outbox} (kept {transport.KEEP_EML_DAYS} days at most).")
    done = "would be purged" if args.dry_run else "purged"
    print(
        f"{report.count} conversation(s) {done}: last activity before {report.cutoff:%Y-%m-%d} "
        f"(retention {report.months} months), {len(report.dossier_ids)} of them with a dossier."
    )
    for decision in report.purged:
        dossier = f"dossier {decision.dossier_id}" if decision.dossier_id else "no dossier"
        print(f"  {'would purge' if args.dry_run else 'purged'} {decision.conversation_id} ({dossier}): {decision.why}")
    for decision in report.kept:
        print(f"  kept {decision.conversation_id} (dossier {decision.dossier_id}): {decision.why}")
    return 0


def cmd_export_training(args) -> int:
    from bot.ops import training_export

    with open_session() as session:
        export = training_export.checked(training_export.review_examples(session))
    training_export.write_nlu_yaml(export.examples, args.out)
    print(f"{len(export.examples)} example(s) written to {args.out} (review them before adding them to data/nlu/).")
    if export.already_trained:
        print(f"{export.already_trained} left out: already in the training data (data/nlu/).")
    if export.refused:
        print(f"{export.refused} refused: in a test set (tests/*.yml); a model must not learn its test sentences.")
    return 0


def add_commands(sub) -> None:
    db_parser = sub.add_parser("db", help="database schema").add_subparsers(dest="db_command", required=True)
    db_parser.add_parser("upgrade", help="apply the Alembic migrations").set_defaults(func=cmd_db_upgrade)

    dossier_commands = sub.add_parser("dossiers", help="handover records").add_subparsers(dest="dossiers_command", required=True)
    listing = dossier_commands.add_parser("list", help="list dossiers, most recent first")
    listing.add_argument("--status", help="nouveau, en_cours or clos")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(func=cmd_dossiers_list)
    show = dossier_commands.add_parser("show", help="a dossier's synthesis and transcript")
    show.add_argument("id", type=int)
    show.add_argument("--json", action="store_true")
    show.set_defaults(func=cmd_dossiers_show)

    mediators = sub.add_parser("mediators", help="mediator accounts").add_subparsers(dest="mediators_command", required=True)
    add = mediators.add_parser("add", help="add a mediator with a console account")
    add.add_argument("name")
    add.add_argument("email")
    add.add_argument("--admin", action="store_true", help="an admin (manages the team and personal data)")
    add.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    add.set_defaults(func=cmd_mediators_add)

    slots = sub.add_parser("slots", help="appointment slots").add_subparsers(dest="slots_command", required=True)
    opening = slots.add_parser("open", help="open a mediator's slots on weekdays")
    opening.add_argument("--mediator", required=True, help="the mediator's e-mail")
    opening.add_argument("--start", type=date.fromisoformat, default=clock.now().astimezone(PARIS).date() + timedelta(days=1))
    opening.add_argument("--days", type=int, default=14)
    opening.add_argument("--hours", type=parse_hours, default=parse_hours("9:00-12:00,14:00-17:00"))
    opening.add_argument("--minutes", type=int, default=60)
    opening.add_argument("--mode", choices=SLOT_MODES, default="telephone", help="how the appointments are held")
    opening.add_argument("--place", help="the address, for --mode sur_place")
    opening.set_defaults(func=cmd_slots_open)

    sub.add_parser("demo-data", help="two demo mediators with slots over two weeks").set_defaults(func=cmd_demo_data)

    purge = sub.add_parser("purge", help="purge every conversation past the retention period (see --dry-run)")
    purge.add_argument("--dry-run", action="store_true", help="only list what would be purged and why")
    purge.set_defaults(func=cmd_purge)

    export = sub.add_parser("export-training", help="NLU examples from the review inbox's decisions")
    export.add_argument("--out", type=Path, default=paths.REPORTS / "nlu_corrections.yml")
    export.set_defaults(func=cmd_export_training)


# --- the database `bot run`, the benches and the tests start from -----------------------------------

DEMO_ADMIN_EMAIL = "admin@mediation.example.org"


def prepare_database(config: settings.Settings) -> None:
    """Apply migrations; on an empty database, add demo mediators and slots."""
    migrate.upgrade(config.database_url)
    with db.session(config.database_url) as session:
        if accounts.count_mediators(session) == 0:
            print(f"Empty database: {create_demo_data(session)} demo slots for two demo mediators.")
            create_demo_accounts(session, config)


def create_demo_accounts(session, config: settings.Settings) -> None:
    """Console logins for the demo mediators and a demo admin, with a password generated once."""
    import secrets

    from bot.store import accounts

    password = secrets.token_urlsafe(12)
    for mediator in accounts.mediators(session):
        accounts.set_password(mediator, password)
    accounts.create_account(session, "Admin démo", DEMO_ADMIN_EMAIL, password, role="admin", now=clock.now())
    session.commit()
    path = config.var_dir / "demo_accounts.txt"
    logins = ", ".join(m.email for m in accounts.mediators(session))
    path.write_text(f"Console: /mediateurs\nLogins: {logins}\nPassword: {password}\n")
    path.chmod(0o600)
    print(f"Demo console accounts ({logins}); password in {path}")
