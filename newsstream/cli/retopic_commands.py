"""`newsstream retopic`: give already indexed articles the current topics, in place."""

from __future__ import annotations

import typer

from newsstream.cli.common import load_settings


def register(app: typer.Typer) -> None:
    app.command("retopic")(retopic)


def retopic(
    every: bool = typer.Option(
        False, "--all", help="Re-topic every article, not only those the current step did not make."
    ),
    index: str = typer.Option(None, help="Index or alias (default: the articles alias)."),
) -> None:
    """Re-classify the topics of indexed articles with the current model, showing progress."""
    from elasticsearch import NotFoundError
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    from processors.enrichment import retopic as job
    from processors.enrichment import topics
    from search.client import es_client

    settings = load_settings()
    client = es_client(settings, request_timeout=120.0)
    target = index or settings.index_articles
    version = topics.version()
    try:
        total = job.count_stale(client, target, version, every)
    except NotFoundError:
        typer.secho(f"no index or alias named {target}", fg=typer.colors.RED, err=True)
        raise typer.Exit(2) from None
    typer.echo(f"{total} articles to re-topic in {target} (topic step {version})")
    if not total:
        return
    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        transient=False,
    ) as bar:
        task = bar.add_task("re-topic", total=total)

        def show(progress: job.Progress) -> None:
            bar.update(task, completed=progress.updated + progress.failed)

        done = job.retopic(client, target, version=version, every=every, on_progress=show)
    typer.echo(f"updated {done.updated}, failed {done.failed}")
    if done.failed:
        raise typer.Exit(1)
