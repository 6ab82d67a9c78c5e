"""Reading history: commits with their signers, changed records and the team of the day.

One `git log` stream lists commits and changed files; one `git cat-file --batch` process
answers every object. Signature verdicts are cached by commit ID and record states by
blob ID, so a second walk over the same history parses nothing again.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from functools import cached_property
from pathlib import Path
from typing import Any, NamedTuple

from formulactl.audit.receipts import Receipt
from formulactl.audit.receipts import read as read_receipts
from formulactl.audit.rulefiles import RuleFiles
from formulactl.errors import FormulaError
from formulactl.git import gitio
from formulactl.git.signatures import Verdict, parse_commit, verify_parsed
from formulactl.model.kinds import (
    FOLDERS,
    KINDS,
    RECORDS_DIR,
    SCHEMAS_DIR,
    SETTINGS_FILE,
    TEAM_FILE,
)
from formulactl.model.sealed import ENVELOPE, UPGRADE
from formulactl.model.settings import Settings
from formulactl.model.team import Person, Team
from formulactl.model.workflow import read_trailers, state_digests
from formulactl.parallel import parallel_map
from formulactl.store import yamlio
from formulactl.store.cache import BlobCache, code_version
from formulactl.store.store import Store


@dataclass(frozen=True)
class RecordState:
    """A record as one blob holds it: enough to judge a workflow step."""

    kind: str
    id: str
    status: str | None
    version: int | None
    digest: str  # what an approval binds: sealed values by their commitment
    body: str
    shape: str
    cipher: str  # the digest with ciphertexts: any change but a rekey's changes it
    review_due: str | None
    customer: str | None
    seals: str  # the sealed formats it holds: "", "1" (legacy), "2", "12"
    envelope: str  # a digest of its key envelope, "" without one


class CommitFacts(NamedTuple):
    """What one commit object says, parsed and verified once and cached by commit ID (the
    cache keeps it as a plain tuple: marshal stores no named types)."""

    parents: list[str]  # the object's own: a path-limited log simplifies
    timestamp: int
    offset: str
    verdict: tuple[str, str, str]  # status, key, reason
    trailers: dict[str, str]
    subject: str
    email: str


@dataclass(frozen=True)
class Commit:
    id: str
    parents: tuple[str, ...]
    timestamp: int
    offset: str  # the committer's own time zone, as `+0800`
    verdict: Verdict
    trailers: dict[str, str]
    subject: str
    changes: tuple[gitio.Change, ...]  # store-relative paths
    email: str = ""  # the committer's, which names the person only where unsigned is allowed

    @property
    def day(self) -> str:
        """The commit's date in the committer's own time zone (YYYY-MM-DD)."""
        sign = -1 if self.offset.startswith("-") else 1
        minutes = sign * (int(self.offset[1:3]) * 60 + int(self.offset[3:5]))
        zone = timezone(timedelta(minutes=minutes))
        return datetime.fromtimestamp(self.timestamp, zone).date().isoformat()

    def touches_store(self) -> bool:
        return any(is_store_path(change.path) for change in self.changes)


def is_approval(before: RecordState | None, after: RecordState | None) -> bool:
    return (
        after is not None
        and after.status == "approved"
        and (before is None or before.status != "approved")
    )


def content_changed(before: RecordState | None, after: RecordState | None) -> bool:
    return before is None or after is None or before.cipher != after.cipher


def is_import(commit: Commit, signer: Person | None) -> bool:
    """The founding commit, or an admin's import: records arrive as they were kept."""
    return not commit.parents or (
        commit.trailers.get("Action") == "import" and signer is not None and signer.is_admin
    )


def is_rekey(
    commit: Commit, signer: Person | None, before: RecordState | None, after: RecordState | None
) -> bool:
    """An admin sealing a record anew (a rekey, or the upgrade to sealed values with
    commitments) with every value kept, as far as a verifier without keys can tell."""
    action = commit.trailers.get("Action")
    if (
        action not in ("rekey", UPGRADE)
        or signer is None
        or not signer.is_admin
        or before is None
        or after is None
    ):
        return False
    if action == UPGRADE:  # keyless, only the shape: legacy values carry no commitment
        return (
            "1" in before.seals
            and after.seals == "2"
            and before.shape == after.shape
            and before.envelope == after.envelope
        )
    if "1" in before.seals or "1" in after.seals:  # a rekey made before commitments existed
        return before.seals == after.seals == "1" and before.shape == after.shape
    return before.digest == after.digest  # every commitment and plain value kept


def authored(
    commit: Commit, signer: Person | None, before: RecordState | None, after: RecordState | None
) -> bool:
    """Did this commit change what the record says (four eyes counts its signer)?"""
    if not content_changed(before, after):
        return False
    if before is None and is_import(commit, signer):
        return False
    return not is_rekey(commit, signer, before, after)


def who_signed(history: History, commit: Commit) -> str:
    """A person's ID, else the unknown key, else `unsigned`: how findings name a signer."""
    person = history.signer(commit)
    if person is not None:
        return person.id
    return commit.verdict.key or "unsigned"


def is_store_path(path: str) -> bool:
    return path in (TEAM_FILE, SETTINGS_FILE, RECORDS_DIR, SCHEMAS_DIR) or path.startswith(
        (f"{RECORDS_DIR}/", f"{SCHEMAS_DIR}/")
    )


def not_a_file(change: gitio.Change) -> str | None:
    """What a store path a commit adds is, when it is anything but a regular file."""
    if change.new is None or change.mode in gitio.REGULAR_MODES or not is_store_path(change.path):
        return None
    return gitio.entry_kind(change.mode)


def is_admin_path(path: str) -> bool:
    """Files that set the rules: changing them takes an admin."""
    return path in (TEAM_FILE, SETTINGS_FILE, SCHEMAS_DIR) or path.startswith(f"{SCHEMAS_DIR}/")


@functools.lru_cache(maxsize=4096)
def record_id_of(path: str) -> tuple[str, str] | None:
    """(kind, ID) for `records/<folder>/<ID>.yaml`, else None (asked several times for each
    change a history walk meets, hence remembered)."""
    parts = path.split("/")
    if len(parts) != 3 or parts[0] != RECORDS_DIR or not parts[2].endswith(".yaml"):
        return None
    kind = FOLDERS.get(parts[1])
    return (kind.name, parts[2][:-5]) if kind else None


class History:
    """Commits of a store's repository, read once and judged by the team of their parent."""

    def __init__(self, store: Store, cache_dir: Path | None = None) -> None:
        if gitio.git_dir(store.repo) is None:
            raise FormulaError(
                f"{store.repo} is not in a git repository",
                "history needs the store's git repository",
                rule="no-git",
            )
        if gitio.is_shallow(store.repo):
            raise FormulaError(
                "this clone is shallow: the commits needed to verify history are missing",
                "run `git fetch --unshallow` (CI: fetch-depth 0), then try again",
                rule="shallow",
            )
        self.store = store
        self.prefix = gitio.prefix(store.repo)
        self.objects = gitio.CatFile(store.repo)
        # The history index: what each commit says and who signed it, by commit ID, and what
        # each record version says, by blob ID. Both only grow as history grows.
        self.facts = BlobCache(_place(store, cache_dir, "commits.marshal"), code_version())
        self.states = BlobCache(_place(store, cache_dir, "states.marshal"), code_version())
        self.rules = RuleFiles(store, self.objects, self.prefix)
        self._fetched: dict[str, bytes] = {}

    def close(self) -> None:
        self.objects.close()
        self.facts.save(prune=False)
        self.states.save(prune=False)

    def __enter__(self) -> History:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def commits(self, revisions: list[str], paths: tuple[str, ...] = ()) -> Iterator[Commit]:
        """Every commit reachable from `revisions` (touching `paths`), parents first.

        Commits come in batches whose missing objects are asked of git in one go, so git
        is never waited on once per object."""
        full = tuple(self.prefix + path for path in paths)
        batch: list[gitio.LoggedCommit] = []
        size = BATCH
        for logged in gitio.log(self.store.repo, revisions, full):
            batch.append(logged)
            if len(batch) == size:
                yield from self._batch(batch, limited=bool(paths))
                batch, size = [], min(size * 2, MAX_BATCH)
        yield from self._batch(batch, limited=bool(paths))

    def _batch(self, batch: list[gitio.LoggedCommit], limited: bool) -> Iterator[Commit]:
        wanted = [logged.id for logged in batch if self.facts.get(logged.id) is None]
        for logged in batch:
            for change in logged.changes:
                place = record_id_of(change.path[len(self.prefix) :])
                for blob in (change.old, change.new):
                    if place and blob and self.states.get(f"{blob}:{place[0]}") is None:
                        wanted.append(blob)
        fetched = zip(wanted, self.objects.read_many(wanted), strict=True)
        self._fetched = {name: data for name, data in fetched if data is not None}
        self._read_new(batch)
        for logged in batch:
            commit = self.commit(logged)
            if not limited:
                changes = {change.path: change.new for change in commit.changes}
                self.rules.follow(commit.id, commit.parents, changes)
            yield commit
        self._fetched = {}

    def _read_new(self, batch: list[gitio.LoggedCommit]) -> None:
        """Verify the batch's new commits and parse its new record versions: in this process
        while that is quicker than starting workers, else on every core."""
        jobs: dict[str, tuple[str, str, bytes]] = {}
        for logged in batch:
            raw = self._fetched.get(logged.id)
            if raw is not None and self.facts.get(logged.id) is None:
                jobs[logged.id] = ("", logged.id, raw)
            for change in logged.changes:
                place = record_id_of(change.path[len(self.prefix) :])
                for blob in (change.old, change.new):
                    if place and blob in self._fetched:
                        jobs[f"{blob}:{place[0]}"] = (place[0], place[1], self._fetched[blob])
        work = list(jobs.values())
        results = parallel_map(_job, work) if _spread(len(work)) else [_job(job) for job in work]
        for key, (kind, _, _), fields in zip(jobs, work, results, strict=True):
            (self.states if kind else self.facts).put(key, fields)

    @cached_property
    def receipts(self) -> dict[str, Receipt]:
        """The server's signed receive times, by commit (none when no server noted any)."""
        return read_receipts(self.store.repo, self.store.settings.receipts_key)

    def signer(self, commit: Commit) -> Person | None:
        """The team member whose valid key signed `commit`, judged by its parent's team."""
        judged_by = commit.parents[0] if commit.parents else commit.id
        if commit.verdict.status == "unsigned":
            return self.unsigned_person(commit, judged_by)
        if commit.verdict.status != "good":
            return None
        team = self.team_at(judged_by)
        found = team.signer(commit.verdict.key) if team else None
        if found is None or found[1].problem_on(commit.day):
            return None
        return found[0]

    def unsigned_person(self, commit: Commit, judged_by: str) -> Person | None:
        """Where the settings of `judged_by` allow unsigned commits (a trial store), the team
        member with the committer's email, as commands name them; nobody otherwise."""
        settings, team = self.settings_at(judged_by), self.team_at(judged_by)
        if settings is None or not settings.allow_unsigned or team is None:
            return None
        return next(
            (p for p in team.people.values() if commit.email and p.email == commit.email), None
        )

    def authors_since_approval(self, path: str, revision: str = "HEAD") -> set[str]:
        """Who changed this record's content since it was last approved (four eyes)."""
        authors: set[str] = set()
        for commit in self.commits([revision], (path,)):
            for change in commit.changes:
                if change.path != path:
                    continue
                before, after = self.state(path, change.old), self.state(path, change.new)
                if is_approval(before, after):
                    authors.clear()
                elif authored(commit, self.signer(commit), before, after):
                    authors.add(who_signed(self, commit))
        return authors

    def commit(self, logged: gitio.LoggedCommit) -> Commit:
        cached = self.facts.get(logged.id)
        if cached is None:
            raw = self._fetched.get(logged.id)
            facts = _commit_facts(self.blob(logged.id) if raw is None else raw)
            self.facts.put(logged.id, tuple(facts))
        else:
            facts = CommitFacts(*cached)
        changes = tuple(
            gitio.Change(change.path[len(self.prefix) :], change.old, change.new, change.mode)
            for change in logged.changes
            if change.path.startswith(self.prefix)
        )
        return Commit(
            logged.id,
            tuple(facts.parents),
            facts.timestamp,
            facts.offset,
            Verdict(*facts.verdict),
            dict(facts.trailers),
            facts.subject,
            changes,
            facts.email,
        )

    def team_at(self, commit: str) -> Team | None:
        """The team file as it stood in `commit` (None when it had none or it is invalid)."""
        return self.rules.team_at(commit)

    def settings_at(self, commit: str) -> Settings | None:
        """The settings as they stood in `commit` (None when invalid or missing)."""
        return self.rules.settings_at(commit)

    def state(self, path: str, blob: str | None) -> RecordState | None:
        """The record a blob holds; an unreadable one still gets a digest of its bytes."""
        place = record_id_of(path)
        if blob is None or place is None:
            return None
        kind, record_id = place
        cached = self.states.get(f"{blob}:{kind}")
        if cached is not None:
            return RecordState(kind, record_id, *cached)
        data = self._fetched.get(blob)
        state = _record_state(kind, record_id, self.blob(blob) if data is None else data)
        self.states.put(f"{blob}:{kind}", _cached(state))  # kind and ID are in the key
        return state

    def state_at(self, commit: str, record_id: str) -> tuple[str, RecordState | None]:
        """Where a record named by its ID lives, and what it holds in `commit`."""
        kind = self.store.settings.kind_of(record_id)
        if kind is None:
            return "", None
        path = f"{RECORDS_DIR}/{KINDS[kind].folder}/{record_id}.yaml"
        found = self.objects.read(f"{commit}:{self.prefix}{path}")
        return path, self.state(path, found[0]) if found else None

    def blob(self, blob: str) -> bytes:
        found = self.objects.read(blob)
        return found[2] if found else b""


# Batches grow up to MAX_BATCH commits, so that a long history starts workers a few times
# rather than once per batch, while its objects are never all held at once.
BATCH = 1024
MAX_BATCH = 4096
# Workers (forked, copying the pages they touch) cost a quarter more CPU than the same
# work done here and a tenth of a second to start: worth it from this many commits to verify
# and record versions to parse (about a third of a second of work).
PARALLEL = 800


def _spread(jobs: int) -> bool:
    """Share a batch out to workers only when it is big enough and the machine has a core to
    spare: on a machine already busy they cannot run beside this process, and only add what
    starting them costs (`make -l` holds back parallel jobs on a busy machine the same way)."""
    cores = os.cpu_count() or 1
    if jobs < PARALLEL or cores < 2:
        return False
    try:
        load = os.getloadavg()[0]
    except OSError:  # pragma: no cover - no load average on this system
        return True
    return load < cores - 0.5


def _place(store: Store, cache_dir: Path | None, name: str) -> Path | None:
    return cache_dir / name if cache_dir else store.cache_file(name)


def _job(job: tuple[str, str, bytes]) -> tuple[Any, ...]:
    """A commit's facts (no kind) or a record version's state, as the caches keep them
    (kind and ID are in a state's key)."""
    kind, name, data = job
    return _cached(_record_state(kind, name, data)) if kind else tuple(_commit_facts(data))


SEALED_MARK = b"fcx"


def _commit_facts(raw: bytes) -> CommitFacts:
    """What a commit object says: parse and verify it once."""
    parsed = parse_commit(raw)
    verdict = verify_parsed(parsed)
    committer = parsed.headers.get("committer", ["x <x> 0 +0000"])[0].rsplit(" ", 2)
    return CommitFacts(
        parents=parsed.headers.get("parent", []),
        timestamp=int(committer[1]),
        offset=committer[2],
        verdict=(verdict.status, verdict.key, verdict.reason),
        trailers=read_trailers(parsed.message),
        subject=parsed.message.split("\n", 1)[0],
        email=committer[0].rpartition("<")[2].rstrip(">"),
    )


def _cached(state: RecordState) -> tuple[Any, ...]:
    """A state's fields after kind and ID, as the cache keeps them: a flat tuple built
    directly (`dataclasses.astuple` deep-copies each field, a tenth of a cold history check)."""
    return tuple(getattr(state, field.name) for field in _STATE_FIELDS)


def _record_state(kind: str, record_id: str, data: bytes) -> RecordState:
    try:
        content = yamlio.load_record(data, record_id, len(data) + 1)
    except FormulaError:
        digest = "unreadable:" + hashlib.sha256(data).hexdigest()
        return RecordState(
            kind, record_id, None, None, digest, digest, digest, digest, None, None, "", ""
        )
    status, version = content.get("status"), content.get("version")
    customer = record_id if kind == "customer" else content.get("customer")
    digest, body, shape, cipher, seals = state_digests(content, SEALED_MARK in data)
    envelope = content.get(ENVELOPE)
    review_due = content.get("review_due")
    return RecordState(
        kind=kind,
        id=record_id,
        status=status if isinstance(status, str) else None,
        version=version if isinstance(version, int) and not isinstance(version, bool) else None,
        digest=digest,
        body=body,
        shape=shape,
        cipher=cipher,
        review_due=review_due if isinstance(review_due, str) else None,
        customer=customer if isinstance(customer, str) else None,
        seals=seals,
        envelope=_envelope_digest(envelope) if envelope is not None else "",
    )


_STATE_FIELDS = dataclasses.fields(RecordState)[2:]


def _envelope_digest(envelope: Any) -> str:
    text = json.dumps(envelope, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
