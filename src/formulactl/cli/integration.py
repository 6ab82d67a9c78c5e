"""Where people already work: git hooks, CI, pull-request review, the merge driver."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from formulactl.cli.common import (
    EXIT_FINDINGS,
    JsonOption,
    StoreOption,
    counted,
    err,
    open_store,
    out,
    print_json,
    read_file,
)
from formulactl.cli.records import formulactl_command
from formulactl.errors import Finding, FormulaError

if TYPE_CHECKING:
    from formulactl.store.store import Store

hooks_app = typer.Typer(help="Install formulactl's git hooks.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(hooks_app, name="hooks")
    app.command("hook", hidden=True)(hook)
    app.command("ci")(ci)
    app.command("ci-template")(ci_template)
    app.command("review")(review_command)
    app.command("merge-driver", hidden=True)(merge_driver)


@hooks_app.command("install")
def hooks_install(
    server: Annotated[
        bool, typer.Option("--server", help="Install the server hooks (pre-receive, post-receive).")
    ] = False,
    repo: Annotated[
        Path | None,
        typer.Option("--repo", help="The server's (bare) repository.", show_default=False),
    ] = None,
    key: Annotated[
        Path | None,
        typer.Option(
            "--key",
            help="The server's ed25519 private key, to sign receive-time notes.",
            show_default=False,
        ),
    ] = None,
    store: StoreOption = None,
) -> None:
    """Install the hooks into this repository only (core.hooksPath; no global config)."""
    from formulactl.git import gitio
    from formulactl.integration.githooks import CLIENT_HOOKS, SERVER_HOOKS, install

    if server:
        target = (repo or Path.cwd()).resolve()
        git_dir = gitio.git_dir(target)
        if git_dir is None:
            raise FormulaError(
                f"{target} is not a git repository", "pass --repo PATH", rule="usage"
            )
        folder = install(git_dir, SERVER_HOOKS, formulactl_command())
        if key is not None:
            gitio.config_set(git_dir, "formulactl.receiptkey", str(key.resolve()))
        out(f"Installed pre-receive and post-receive in {folder}")
        return
    found = open_store(store)
    git_dir = gitio.git_dir(found.root)
    assert git_dir is not None
    folder = install(git_dir, CLIENT_HOOKS, formulactl_command())
    out(f"Installed pre-commit and pre-push in {folder}")


def hook(
    name: Annotated[str, typer.Argument()],
    arguments: Annotated[list[str] | None, typer.Argument()] = None,
) -> None:
    """Run by the hook scripts: the check for that moment."""
    from formulactl.integration.githooks import (
        outgoing_findings,
        push_findings,
        read_updates,
        staged_findings,
    )

    if name == "pre-commit":
        found = open_store(None)
        _refuse_if(found, staged_findings(found), "commit")
    elif name == "pre-push":
        found = open_store(None)
        _refuse_if(found, outgoing_findings(found, sys.stdin.read().splitlines()), "push")
    elif name == "pre-receive":
        repo = Path.cwd()
        findings = push_findings(repo, read_updates(sys.stdin.read().splitlines()))
        for finding in findings:
            err(finding.as_line())
        if findings:
            err(
                f"formulactl: push refused, {counted(len(findings), 'finding')}; "
                "nothing was accepted."
            )
            raise typer.Exit(1)
    elif name == "post-receive":
        from formulactl.integration.githooks import note_receipts

        added = note_receipts(Path.cwd(), read_updates(sys.stdin.read().splitlines()))
        if added:
            err(f"formulactl: noted the receive time of {counted(added, 'commit')}")
    else:
        raise FormulaError(f"no hook named {name}", "", rule="usage")


def _refuse_if(store: Store, findings: list[Finding], what: str) -> None:
    for finding in findings:
        err(finding.as_line())
    if findings:
        err(
            f"formulactl: {what} stopped by {counted(len(findings), 'finding')}; "
            "fix them, then try again."
        )
        raise typer.Exit(1)


def ci(
    base: Annotated[
        str, typer.Option("--base", help="The pull request's base, or the commit before the push.")
    ],
    output_format: Annotated[str, typer.Option("--format", help="text, github or gitlab")] = "text",
    default_branch: Annotated[
        str,
        typer.Option(
            "--default-branch",
            help="For a new branch (a base of zeros): the default branch it left "
            "(origin/NAME); without it, origin/HEAD.",
        ),
    ] = "",
    store: StoreOption = None,
) -> None:
    """The check for CI: the tree's records, and every commit since BASE judged by the team
    of BASE; on a new branch, every commit not on the default branch, judged by the team
    where it left it. A base this clone does not hold fails closed."""
    from formulactl.integration.ci import ci_findings, github_annotations, gitlab_report

    found = open_store(store)
    findings = ci_findings(found, base, default_branch)
    if output_format == "github":
        for line in github_annotations(findings):
            out(line)
    elif output_format == "gitlab":
        out(gitlab_report(findings))
    elif output_format == "text":
        for finding in findings:
            out(finding.as_line())
    else:
        raise FormulaError(
            f"`{output_format}` is not a format", "use text, github or gitlab", rule="usage"
        )
    err(f"formulactl ci: {counted(len(findings), 'finding')}")
    if findings:
        raise typer.Exit(EXIT_FINDINGS)


def ci_template(
    platform: Annotated[str, typer.Argument(help="github or gitlab")],
    install: Annotated[
        str | None,
        typer.Option(
            "--install",
            metavar="SPEC",
            help="Where CI installs formulactl from, pinned: git+https://HOST/PATH@COMMIT, "
            "or a wheel URL or repository path ending .whl#sha256=HASH.",
            show_default=False,
        ),
    ] = None,
    store: StoreOption = None,
) -> None:
    """Write a CI workflow that runs `formulactl ci` on every push and pull request."""
    from formulactl.integration.ci_templates import write_template

    path = write_template(open_store(store), platform, install)
    out(f"Wrote {path}; commit it, and turn off squash and rebase merging in your git host.")


def review_command(
    revision_range: Annotated[str, typer.Argument(metavar="BASE..HEAD")] = "main..HEAD",
    as_markdown: Annotated[
        bool, typer.Option("--markdown", help="Markdown for a PR comment.")
    ] = False,
    as_json: JsonOption = False,
    store: StoreOption = None,
) -> None:
    """Summarize a pull request: records, changes, signatures, approvers needed, findings."""
    from formulactl.integration.review import markdown, review

    found = open_store(store)
    result = review(found, revision_range)
    if as_json:
        print_json(
            {
                "base": result.base,
                "head": result.head,
                "commits": result.commits,
                "records": result.records,
                "findings": result.findings,
            }
        )
    else:
        text = markdown(result)
        out(text if as_markdown else text.replace("### ", "").replace("## ", ""))
    if result.findings:
        raise typer.Exit(EXIT_FINDINGS)


def merge_driver(
    base: Annotated[Path, typer.Argument()],
    ours: Annotated[Path, typer.Argument()],
    theirs: Annotated[Path, typer.Argument()],
    path: Annotated[str, typer.Argument()],
) -> None:
    """git's merge driver for records (%O %A %B %P): field by field; a conflict stays valid
    YAML and is listed under merge_conflicts."""
    from formulactl.integration.merging import merge
    from formulactl.store import yamlio

    found = open_store(None)
    kind = found.kind_of(Path(path).stem)
    schema = found.schema(kind)
    original = read_file(base)
    # git gives an empty base when both branches added the file (add/add).
    common = yamlio.load_record(original, path, 1 << 24) if original.strip() else None
    mine, yours = (yamlio.load_record(read_file(side), path, 1 << 24) for side in (ours, theirs))
    merged = merge(schema, common, mine, yours)
    ours.write_text(yamlio.dump(merged.data, schema.shape), encoding="utf-8")
    if common is None and merged.conflicts:
        err(
            f"formulactl: {path}: both branches made {Path(path).stem} as different records "
            "(the same next ID, given out in two clones); the file keeps ours and lists theirs "
            f"under merge_conflicts — make theirs again with `formulactl new {kind} --from "
            "FILE` to give it a new ID, delete merge_conflicts, then commit"
        )
        raise typer.Exit(1)
    if merged.conflicts:
        fields = ", ".join(str(conflict["field"]) for conflict in merged.conflicts)
        err(
            f"formulactl: {path}: both branches changed {fields}; the file lists them under "
            "merge_conflicts — keep one value of each, delete merge_conflicts, then commit"
        )
        raise typer.Exit(1)
