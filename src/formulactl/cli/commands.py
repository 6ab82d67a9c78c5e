"""Which module registers each top-level command, and its one-line help.

`formulactl` reads this table instead of importing every command family: `--help` lists
the names and summaries below, and running a command imports only the module named here
(see `cli/lazy.py`). A new command is one line here plus its `register` in its module;
tests/test_startup_table.py compares this table with the real commands, so it cannot
drift (a failing run prints the lines to paste).

A summary is the command's first sentence, cut after about sixty characters with "…":
click never shows more than that in a help listing (80 columns less the names).
"""

from __future__ import annotations

from typing import NamedTuple

PROG = "formulactl"
# Set by the completion script on each Tab press; only then are completers attached.
COMPLETE_VAR = "_FORMULACTL_COMPLETE"
# Root options, answered before any command is built (they take an optional shell name,
# which click options cannot); the root group lists them in --help.
OPTIONS = {
    "--install-completion": "Install completion: bash, zsh or fish (default: $SHELL).",
    "--show-completion": "Print the completion script for SHELL.",
}


class Entry(NamedTuple):
    module: str  # under formulactl.cli, with a `register(app)` that adds the command
    summary: str
    hidden: bool = False


# In the order `--help` lists them; groups (team, audit, hooks, report) last, as typer does.
COMMANDS: dict[str, Entry] = {
    "init": Entry(
        "records", "Create a store: git repository, settings, team file, schemas, record…"
    ),
    "new": Entry("records", "Create a record with the next free ID as a signed commit; nothing…"),
    "show": Entry(
        "records", "Print records (confidential fields sealed unless --decrypt, the key…"
    ),
    "list": Entry(
        "records", "List records of one kind, optionally only those matching every --where;…"
    ),
    "set": Entry(
        "records", "Change fields of a draft record as a signed commit; confidential ones…"
    ),
    "edit": Entry(
        "records", "Open a draft record in $EDITOR, decrypted in a private temporary file;…"
    ),
    "submit": Entry("workflow", "Send a draft for review (draft → in_review)."),
    "approve": Entry(
        "workflow", "Approve a record in review; binds the approval to its exact content…"
    ),
    "reject": Entry("workflow", "Send a record in review back to draft, saying why."),
    "revise": Entry(
        "workflow", "Start the next version of an approved record (approved → draft, version…"
    ),
    "archive": Entry("workflow", "Withdraw a record from use; it stays in the store as it was."),
    "reaffirm": Entry(
        "workflow", "Confirm an approved record at its periodic review; moves its review_due."
    ),
    "feedback": Entry(
        "workflow", "Move feedback along open → investigating → resolved → closed, or move…"
    ),
    "due": Entry(
        "workflow", "What needs review, approval or an answer, when, and by whom; customers…"
    ),
    "import": Entry("sheets", "Bring records in: a folder as it is (an admin), or a sheet's rows…"),
    "dedupe": Entry(
        "archive", "Customers that may be one company, with a score and the reasons: same…"
    ),
    "merge": Entry(
        "archive", "Mark C-A a duplicate of C-B (`merged_into`) in a signed commit; both…"
    ),
    "reassign": Entry(
        "archive", "Move P's customers to Q in one admin-signed commit (only `owner` changes,…"
    ),
    "setup-signing": Entry(
        "team", "Sign every commit in this repository with KEY (this repository's config…"
    ),
    "whoami": Entry("team", "Name the person whose key signs commits here."),
    "keygen": Entry(
        "secrets", "Make an age identity for decrypting (for people whose SSH key has…"
    ),
    "rekey": Entry(
        "secrets", "Wrap data keys for today's readers; a removed reader gets a new key…"
    ),
    "upgrade-seals": Entry(
        "secrets", "Give every sealed value of a store made before commitments one (an…"
    ),
    "access": Entry(
        "secrets", "Who can read what today (or ever, with --history); no key is needed."
    ),
    "textconv": Entry(
        "secrets", "git diff's text conversion: a record with its secrets opened when…", hidden=True
    ),
    "validate": Entry(
        "checking", "Check records against their schemas and rules, or (--history) the…"
    ),
    "fmt": Entry(
        "checking", "Rewrite files in canonical form (schema key order, block style, stable…"
    ),
    "recover": Entry(
        "checking", "Undo what a stopped (killed) command wrote but did not commit, from…"
    ),
    "log": Entry("audit", "Every change to one record, newest first, with who signed it and what…"),
    "blame": Entry("audit", "For each field: who last changed it, when, in which version, under…"),
    "diff": Entry("audit", "What changed in a record between two versions or commits, line by…"),
    "hook": Entry(
        "integration", "Run by the hook scripts: the check for that moment.", hidden=True
    ),
    "ci": Entry(
        "integration", "The check for CI: the tree's records, and every commit since BASE…"
    ),
    "ci-template": Entry(
        "integration", "Write a CI workflow that runs `formulactl ci` on every push and pull…"
    ),
    "review": Entry(
        "integration", "Summarize a pull request: records, changes, signatures, approvers…"
    ),
    "merge-driver": Entry(
        "integration",
        "git's merge driver for records (%O %A %B %P): field by field; a conflict…",
        hidden=True,
    ),
    "where-used": Entry(
        "trace", "Formulas, batches, lots, customers and open orders that use a material…"
    ),
    "trace": Entry("trace", "A batch back to its formula version and input lots, forward to its…"),
    "recall": Entry(
        "trace", "The recall report: affected batches, customers and contacts, deliveries,…"
    ),
    "active": Entry("trace", "The version in force on a day: its latest approval by then, unless…"),
    "release": Entry("trace", "Release a batch in quarantine: every required test recorded, none…"),
    "reject-batch": Entry("trace", "Reject a batch in quarantine, saying why."),
    "scale": Entry(
        "formulation", "The weighing sheet for one batch, grouped by phase, rounded to each…"
    ),
    "cost": Entry(
        "formulation", "Cost per kg of product and per batch (loss included), with each material's…"
    ),
    "check": Entry(
        "compliance", "Explode the formula into substances and check every approved limit…"
    ),
    "declare": Entry(
        "compliance", "The ingredient declaration: INCI names merged across materials, most…"
    ),
    "substitute": Entry(
        "compliance",
        "Every formula in use (its latest approved version) that uses one material,…",
    ),
    "export": Entry(
        "data", "Write one kind's records as a main table plus a child table per list…"
    ),
    "query": Entry(
        "data", "Ask SQL (DuckDB, read-only) of one table per kind (customers, formulas,…"
    ),
    "backup": Entry(
        "backup", "Save every ref formulactl uses as one git bundle, verify it, restore…"
    ),
    "restore": Entry(
        "backup", "A working store from a bundle, put in DIR only after `audit verify`…"
    ),
    "team": Entry("team", "The people who enter, review, approve and administer records."),
    "audit": Entry("audit", "Verify the whole history and export the trail for inspectors."),
    "hooks": Entry("integration", "Install formulactl's git hooks."),
    "report": Entry(
        "reports", "Reports computed from the signed records at one commit, with their…"
    ),
}
