"""The `adline` command: serve, migrate, and manage companies and API keys.

Commands print their result alone on stdout (ids, secrets) so scripts can capture it;
mistakes print one line on stderr and exit with code 2.
"""

from __future__ import annotations

import asyncio
import sys
from typing import Annotated, NoReturn

import typer
from rich.console import Console
from typer._click import exceptions as click_exceptions  # typer vendors click

from adline.auth.scopes import ALL_SCOPES, parse_scopes
from adline.config import Settings
from adline.core.errors import AdlineError
from adline.versions import VERSION_BUNDLE

app = typer.Typer(
    name="adline",
    help="Adline: self-hosted ads-management API server.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
companies_app = typer.Typer(help="Manage companies (tenants).", no_args_is_help=True)
keys_app = typer.Typer(help="Manage API keys.", no_args_is_help=True)
versions_app = typer.Typer(help="The supported API versions.", no_args_is_help=True)
app.add_typer(companies_app, name="companies")
app.add_typer(keys_app, name="keys")
app.add_typer(versions_app, name="versions")

stderr = Console(stderr=True, highlight=False)


def fail(message: str) -> NoReturn:
    print(f"adline: error: {message}", file=sys.stderr)
    raise SystemExit(2)


def settings_ready() -> Settings:
    from adline.core.migrate import migrate

    settings = Settings.from_env()
    settings.ensure_sqlite_directory()
    migrate(settings.database_url)
    return settings


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.", min=1, max=65535)] = 8080,
) -> None:
    """Migrate the store, create the demo company on first start, and serve the API."""
    import uvicorn

    from adline.app import create_app
    from adline.bootstrap import create_demo_if_empty

    settings = settings_ready()
    demo = asyncio.run(create_demo_if_empty(settings))
    if demo is not None:
        stderr.print("[bold]Created the demo company (shown once):[/bold]")
        print(f"  company id: {demo.company_id}")
        print(f"  API key:    {demo.api_key}")
        stderr.print("Keep the key: only its hash is stored.")
    stderr.print(f"Serving Adline on http://{host}:{port}/api/v1 (store: {settings.database_url})")
    uvicorn.run(
        create_app(settings),
        host=host,
        port=port,
        loop="uvloop",
        http="httptools",
        log_level="info",
    )


@app.command("migrate")
def migrate_command() -> None:
    """Bring the store's schema to the newest revision and exit."""
    settings = settings_ready()
    stderr.print(f"Migrated {settings.database_url}")


@companies_app.command("create")
def companies_create(
    name: Annotated[str, typer.Option(help="The company's name.")],
    timezone: Annotated[str, typer.Option(help="IANA time zone for day boundaries.")] = "UTC",
) -> None:
    """Create a company; prints its id alone on stdout."""
    from adline.bootstrap import new_company

    settings = settings_ready()
    print(asyncio.run(new_company(settings, name, timezone)))


@keys_app.command("create")
def keys_create(
    company: Annotated[str, typer.Option(help="The company id (biz_...).")],
    scopes: Annotated[
        str | None, typer.Option(help="Comma-separated scopes, e.g. ad_campaign:basic:read.")
    ] = None,
    all_scopes: Annotated[bool, typer.Option("--all-scopes", help="Grant every scope.")] = False,
    name: Annotated[str, typer.Option(help="A label for the key.")] = "API key",
    api_version: Annotated[
        str | None, typer.Option(help="Pin the key to an API version (Api-Version-Date).")
    ] = None,
) -> None:
    """Create an API key; prints the secret alone on stdout (it is shown only once)."""
    from adline.bootstrap import new_api_key

    if all_scopes == (scopes is not None):
        fail("give exactly one of --scopes or --all-scopes")
    try:
        granted = list(ALL_SCOPES) if all_scopes else parse_scopes(scopes or "")
    except ValueError as error:
        fail(f"--scopes: {error}")
    if api_version is not None and not VERSION_BUNDLE.is_supported(api_version):
        fail(f"--api-version: unsupported; supported: {', '.join(VERSION_BUNDLE.values)}")
    settings = settings_ready()
    issued = asyncio.run(new_api_key(settings, company, granted, name, api_version))
    stderr.print(f"Created {issued.key.id} (the secret below is shown only once)")
    print(issued.secret)


@keys_app.command("list")
def keys_list(
    company: Annotated[str, typer.Option(help="The company id (biz_...).")],
) -> None:
    """List a company's API keys (ids, scopes, state); secrets are never shown again."""
    from rich.table import Table

    from adline.bootstrap import company_keys
    from adline.core.timestamps import format_timestamp

    settings = settings_ready()
    table = Table("id", "name", "secret", "scopes", "version", "created", "revoked")
    for key in asyncio.run(company_keys(settings, company)):
        table.add_row(
            key.id,
            key.name,
            f"adl_sk_…{key.secret_last4}",
            ",".join(key.scopes),
            key.api_version_date or "-",
            format_timestamp(key.created_at),
            format_timestamp(key.revoked_at) if key.revoked_at else "-",
        )
    Console(width=200).print(table)


@keys_app.command("revoke")
def keys_revoke(key_id: Annotated[str, typer.Argument(help="The key's id (apik_...).")]) -> None:
    """Revoke an API key: requests with it answer 401 from now on."""
    from adline.bootstrap import revoke_key

    settings = settings_ready()
    asyncio.run(revoke_key(settings, key_id))
    stderr.print(f"Revoked {key_id}")


@versions_app.command("changelog")
def versions_changelog() -> None:
    """Print docs/versions.md: `adline versions changelog > docs/versions.md`."""
    from adline.versions.changelog import render_changelog

    # UTF-8 whatever the locale: the file is UTF-8.
    sys.stdout.buffer.write(render_changelog().encode())
    sys.stdout.flush()


def main() -> None:
    try:
        app(standalone_mode=False)
    except click_exceptions.NoArgsIsHelpError:
        raise SystemExit(2) from None
    except click_exceptions.UsageError as error:
        fail(error.format_message().splitlines()[0])
    except typer.Abort:
        fail("aborted")
    except AdlineError as error:
        fail(error.message)
