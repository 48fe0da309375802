"""Flask commands: set up the demo, seed places, import communities, create admins, fake WeChat."""

import json
import sys
from pathlib import Path

import click
from flask import Flask, current_app

from app.errors import APIError
from app.extensions import db


def register_commands(app: Flask) -> None:
    """Register every command on the app's CLI."""
    for command in (
        seed_places,
        import_communities,
        create_admin,
        demo_data,
        dev_setup,
        fake_wechat,
        worker,
        purge_tokens,
        expire_jobs,
        rebuild_geo_index,
        snapshot_ledger,
        cron,
        exchange_resend,
        keys,
    ):
        app.cli.add_command(command)


@click.command("seed-places")
@click.option(
    "--file",
    "path",
    type=click.Path(exists=True, dir_okay=False),
    default=None,
    help="Places JSON (default: the bundled Huangshan file).",
)
def seed_places(path):
    """Load Huangshan's city, districts, townships and pilot circles (idempotent)."""
    from app.services.people import place_import

    counts = place_import.seed_places(Path(path)) if path else place_import.seed_places()
    click.echo(
        f"places: {counts['cities']} city, {counts['districts']} districts, "
        f"{counts['townships']} townships, {counts['circles']} circles "
        f"({counts['changed']} rows created or changed)"
    )


@click.command("import-communities")
@click.argument("csv_file", type=click.Path(exists=True, dir_okay=False))
def import_communities(csv_file):
    """Import communities from CSV (code,name,kind,township_code,lat,lng,population,households).

    Valid rows go in, rejected rows are listed; a re-import updates instead of duplicating.
    Exits 1 when any row was rejected.
    """
    from app.services.people import place_import

    raw = Path(csv_file).read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        # Excel on a Chinese Windows saves CSV as GBK; GB 18030 is its superset.
        try:
            text = raw.decode("gb18030")
        except UnicodeDecodeError:
            raise click.ClickException(f"{csv_file} is not UTF-8 or GB 18030 text.") from None
    try:
        report = place_import.import_communities(text)
    except APIError as exc:
        raise click.ClickException(exc.message) from None
    click.echo(
        f"communities: {report.created} created, {report.updated} updated, "
        f"{report.unchanged} unchanged, {len(report.rejected)} rejected"
    )
    for item in report.rejected:
        click.echo(f"  line {item['line']} ({item['code'] or '-'}): {item['field']}: {item['message']}")
    if report.rejected:
        sys.exit(1)


@click.command("create-admin")
@click.option("--username", required=True)
@click.option(
    "--password",
    prompt=True,
    hide_input=True,
    confirmation_prompt=True,
    envvar="ADMIN_PASSWORD",
    help="Or set ADMIN_PASSWORD.",
)
@click.option(
    "--role",
    default="city_admin",
    show_default=True,
    type=click.Choice(["city_admin", "district_admin", "township_admin", "supervisor"]),
)
@click.option("--scope-kind", default="city", show_default=True)
@click.option("--scope-code", default="341000000000", show_default=True)
@click.option("--name", "display_name", default=None)
def create_admin(username, password, role, scope_kind, scope_code, display_name):
    """Create an administrator (or reset its password), scoped to a place."""
    from app.services.people import staff

    try:
        account, created = staff.create_admin(username, password, role, scope_kind, scope_code, display_name)
    except APIError as exc:
        raise click.ClickException(f"{exc.field or ''} {exc.message}".strip()) from None
    click.echo(
        f"{'created' if created else 'updated'} {account.role} {account.username} "
        f"(id {account.id}) scoped to {scope_kind} {scope_code}"
    )


@click.command("demo-data")
def demo_data():
    """Create demo communities, staff accounts and residents (development config only)."""
    from app.services import demo

    if not current_app.config["DEMO_ACCOUNTS"]:
        raise click.ClickException("demo data exists only in the development config")
    try:
        result = demo.create_demo_data(current_app.config["DEMO_PASSWORD"])
    except APIError as exc:
        raise click.ClickException(f"{exc.field or ''} {exc.message}".strip()) from None
    click.echo(json.dumps(result, ensure_ascii=False, indent=1))
    db.session.remove()


@click.command("dev-setup")
@click.option(
    "--demo-file",
    type=click.Path(dir_okay=False, writable=True),
    default=None,
    help="Also write what the demo holds (ids, accounts) to this JSON file.",
)
def dev_setup(demo_file):
    """Make the development database ready in one go: migrate, seed places, demo data, demo passwords.

    What `make run` runs before starting (one app import instead of one per step). Every step
    is idempotent and skips what is done, so a warm start costs little more than the import;
    the demo accounts get DEMO_PASSWORD on every run, their lockouts lifted. The demo data
    here includes the months of activity the console's dashboards show, and the demo admins'
    second factor on DEMO_TOTP_SECRET.
    """
    from flask_migrate import upgrade

    from app.services import demo
    from app.services.people import place_import
    from app.services.people.accounts import check_new_password

    if not current_app.config["DEMO_ACCOUNTS"]:
        raise click.ClickException("dev-setup exists only in the development config")
    password = current_app.config["DEMO_PASSWORD"]
    upgrade()
    try:
        check_new_password(password, field="DEMO_PASSWORD")  # before any account is made with it
        counts = place_import.seed_places()
        result = demo.create_demo_data(password)
        result["console"] = demo.create_demo_activity(current_app.config["DEMO_TOTP_SECRET"])
        accounts = demo.set_demo_passwords(password)
    except APIError as exc:
        raise click.ClickException(f"{exc.field or ''} {exc.message}".strip()) from None
    if demo_file:
        Path(demo_file).write_text(json.dumps(result, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    click.echo(
        f"ready: database at the latest migration, places ({counts['changed']} rows changed), "
        f"demo data ({len(result['residents'])} residents, {len(result['employers'])} employers, "
        f"{len(result['stations'])} stations), {accounts} demo accounts with DEMO_PASSWORD"
    )
    added, second = result["console"]["added"], result["console"]["second_factor"]
    click.echo(
        "demo activity added: "
        + ", ".join(f"{n} {name.replace('_', ' ')}" for name, n in added.items() if name != "app_users")
        + f"; TOTP secret of {', '.join(a['username'] for a in second['accounts'])}: {second['totp_secret']}"
    )
    db.session.remove()


@click.command("fake-wechat")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5001, show_default=True, type=int)
def fake_wechat(host, port):
    """Run the local fake WeChat server for the configured appid and secret."""
    from werkzeug.serving import run_simple

    from app.wechat.fake import create_fake_wechat, long_term_ids

    config = current_app.config
    fake = create_fake_wechat(
        config["WECHAT_APPID"], config["WECHAT_SECRET"], long_term_ids(config["PUSH_TEMPLATES"])
    )
    click.echo(f"fake WeChat for {current_app.config['WECHAT_APPID']} on http://{host}:{port}/")
    run_simple(host, port, fake, threaded=True)


@click.command("worker")
@click.argument("queues", nargs=-1)
@click.option("--burst", is_flag=True, help="Quit when the queues are empty.")
@click.option(
    "--fork", is_flag=True, help="Fork a child per job (RQ's Worker) instead of running jobs in-process."
)
def worker(queues, burst, fork):
    """Run an RQ worker with the scheduler on QUEUES (default: default push exchange).

    By default a SimpleWorker: jobs run in this process, in the app context, with no fork per
    job (much cheaper for short jobs such as one push; bench/ measures by how much).
    """
    from app.queues import QUEUE_NAMES, get_queue
    from app.redis_clients import is_sentinel
    from app.tasks import AppForkWorker, AppWorker

    connection = current_app.extensions["queue_redis"]
    if fork and is_sentinel(connection):
        # RQ's work horse rebuilds a plain Redis from the connection's kwargs: it cannot ask Sentinels.
        raise click.UsageError("--fork cannot run on a Sentinel-managed queue Redis (QUEUE_REDIS_URL)")
    names = queues or QUEUE_NAMES
    worker_class = AppForkWorker if fork else AppWorker
    worker_class([get_queue(name) for name in names], connection=connection).work(
        with_scheduler=True, burst=burst
    )


@click.command("purge-tokens")
@click.option("--days", default=7, show_default=True, help="Keep tokens that ended more recently.")
def purge_tokens(days):
    """Enqueue the deletion of login tokens that ended more than DAYS ago."""
    from app.queues import enqueue

    job = enqueue("maintenance.purge_expired_tokens", days)
    outcome = f", {job.return_value()} deleted" if job.is_finished else " (a worker will run it)"
    click.echo(f"job {job.id}: {job.get_status().value}{outcome}")


@click.command("expire-jobs")
def expire_jobs():
    """Enqueue the expiry of jobs past their valid_until (`flask cron` does this every 5 minutes)."""
    from app.queues import enqueue

    job = enqueue("maintenance.expire_jobs")
    outcome = f", {job.return_value()} expired" if job.is_finished else " (a worker will run it)"
    click.echo(f"job {job.id}: {job.get_status().value}{outcome}")


@click.command("snapshot-ledger")
@click.option("--month", default=None, help="YYYY-MM (default: this month, on the city's clock).")
def snapshot_ledger(month):
    """Enqueue the monthly ledger snapshot per community (`flask cron` runs it daily for this month)."""
    from app.queues import enqueue
    from app.services.grid.snapshots import parse_month

    if month:
        try:
            parse_month(month)
        except APIError as error:
            raise click.BadParameter(error.message, param_hint="--month") from None
    job = enqueue("maintenance.snapshot_ledger", month)
    if job.is_failed:  # run inline (no worker): say why, e.g. a frozen month
        result = job.latest_result()
        reason = (result.exc_string or "").strip().splitlines()[-1] if result else "failed"
        raise click.ClickException(f"job {job.id} failed: {reason}")
    outcome = f", {job.return_value()} communities" if job.is_finished else " (a worker will run it)"
    click.echo(f"job {job.id}: {job.get_status().value}{outcome}")


@click.command("rebuild-geo-index")
def rebuild_geo_index():
    """Rebuild the Redis GEO sets of published jobs and seekers from the database."""
    from app.services.jobs.search import geo_index

    counts = geo_index.rebuild()
    click.echo(f"GEO index rebuilt: {counts['jobs']} jobs, {counts['seekers']} seekers")


@click.command("cron")
def cron():
    """Run the periodic scheduler (maintenance.SCHEDULE: expiry, purges, outbox, sweeper; run one)."""
    from app.queues import TASKS
    from app.tasks.maintenance import SCHEDULE, build_cron

    scheduler = build_cron(current_app.extensions["queue_redis"])
    for name, interval in SCHEDULE:
        click.echo(f"every {interval} s: {name} on the {TASKS[name].queue} queue")
    scheduler.start()


@click.command("exchange-resend")
@click.option("--day", default=None, help="YYYY-MM-DD: the records created that day (the city's clock).")
@click.option("--person", type=int, default=None, help="A resident's id: every record of that person.")
def exchange_resend(day, person):
    """Send the province again the sent records of a day or a person, with their same keys (it dedupes)."""
    from datetime import date

    from app.services.exchange import reconcile

    if (day is None) == (person is None):
        raise click.UsageError("give --day or --person (one of them)")
    try:
        parsed = date.fromisoformat(day) if day else None
    except ValueError:
        raise click.BadParameter("not a YYYY-MM-DD date", param_hint="--day") from None
    count = reconcile.resend(day=parsed, person=person)
    click.echo(f"{count} records queued to be sent again (the relay sends them)")


@click.group("keys")
def keys():
    """Rotate the personal-data key: count values by key version, re-encrypt under the current one."""


@keys.command("status")
def keys_status():
    """Count the encrypted values of every column by key version (the current one is marked)."""
    from app.common.crypto import KeyConfigError, keyring
    from app.services.people import key_rotation

    try:
        counts = key_rotation.status()
        current, held = keyring().current, set(keyring().encryption)
    except KeyConfigError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"current key version {current}; configured: {', '.join(map(str, sorted(held)))}")
    for name, versions in counts.items():
        shown = ", ".join(
            f"v{version}{'' if version in held else ' (not configured)'}: {count}"
            for version, count in sorted(versions.items())
        )
        click.echo(f"{name}: {shown or 'no values'}")
    behind = sum(n for versions in counts.values() for v, n in versions.items() if v != current)
    click.echo(f"{behind} values not under version {current}")


@keys.command("reencrypt")
@click.option(
    "--batch", default=500, show_default=True, type=click.IntRange(1, 10_000), help="Rows a transaction."
)
def keys_reencrypt(batch):
    """Re-encrypt every value not under the current key version, in short batches, while the app serves.

    A row edited between the read and the write keeps the edit and is left for the next run.
    Exits 1 while any value is still under another version (run it again), 0 when none is.
    """
    from app.common.crypto import KeyConfigError, keyring
    from app.services.people import key_rotation

    def progress(name, result):
        click.echo(
            f"{name}: {result.moved} re-encrypted"
            + (f", {result.changed} edited meanwhile (next run)" if result.changed else "")
            + (f", {result.failed} unreadable (see the log)" if result.failed else "")
        )

    try:
        total = key_rotation.reencrypt(batch, progress)
        current = keyring().current
        left = sum(n for c in key_rotation.status().values() for v, n in c.items() if v != current)
    except KeyConfigError as error:
        raise click.ClickException(str(error)) from None
    click.echo(
        f"done: {total.moved} values re-encrypted to key version {current}, {total.changed} edited "
        f"meanwhile, {total.failed} unreadable; {left} values not under version {current}"
    )
    if left:
        sys.exit(1)
