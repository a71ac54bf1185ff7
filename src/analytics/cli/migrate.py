"""``analytics migrate``: bring the database to the newest schema revision."""

from __future__ import annotations

import click

from analytics import migrations
from analytics.bootstrap import mask_url, open_store
from analytics.cli.app import cli, command_context, common_options, run_async


async def _migrate(database_url: str) -> tuple[str | None, list[str]]:
    store = await open_store(database_url)
    try:
        before = await migrations.current_revision(store.engine)
        pending = migrations.pending_revisions(before)
        if pending:
            await migrations.upgrade(store.engine)
        return before, pending
    finally:
        await store.close()


@cli.command()
@common_options
@click.pass_context
def migrate(click_context: click.Context) -> None:
    """Create or upgrade the schema (creates a SQLite file if needed)."""
    context = command_context(click_context)
    before, pending = run_async(context, _migrate(context.database_url))
    head = migrations.head_revision()
    where = mask_url(context.database_url)
    if not pending:
        click.echo(f"{where} is already up to date at revision {head}.")
        return
    click.echo(
        f"Migrated {where} from revision {before or 'none'} to {head} "
        f"({len(pending)} migration{'s' if len(pending) != 1 else ''} applied)."
    )
