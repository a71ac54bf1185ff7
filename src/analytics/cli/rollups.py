"""``analytics rebuild-rollups``: recompute the cost rollups from the stored cost records."""

from __future__ import annotations

import logging

import click

from analytics.adapters.sql.cost_rollups import rebuild_cost_rollups
from analytics.cli.app import (
    CliContext,
    cli,
    command_context,
    common_options,
    open_migrated_store,
    run_async,
)
from analytics.ports.validation.common import tenant

logger = logging.getLogger(__name__)


async def _rebuild(context: CliContext) -> list[str]:
    # An invalid tenant id raises InvalidInput before the store opens (exit code 2).
    tenant_ids = [tenant(tenant_id) for tenant_id in context.tenants]
    store = await open_migrated_store(context)
    try:
        if not tenant_ids:
            await rebuild_cost_rollups(store.engine, store.backend.dialect, None)
        for tenant_id in tenant_ids:
            await rebuild_cost_rollups(store.engine, store.backend.dialect, tenant_id)
            logger.debug("rebuilt the cost rollups of tenant %s", tenant_id)
    finally:
        await store.close()
    return tenant_ids


@cli.command("rebuild-rollups")
@common_options
@click.pass_context
def rebuild_rollups(click_context: click.Context) -> None:
    """Recompute the cost rollups from cost records, for --tenant or else every tenant.

    The cost series and breakdowns read whole periods from the rollups, which
    every cost record write updates in the same transaction. Rebuild them after
    cost records were changed outside this package. On Postgres every tenant's
    cost record writes wait until the rebuild commits.
    """
    context = command_context(click_context)
    tenant_ids = run_async(context, _rebuild(context))
    scope = ", ".join(tenant_ids) if tenant_ids else "every tenant"
    click.echo(f"Rebuilt the cost rollups of {scope}.")
