"""One traceability question's setting: the commit it is asked at, the records there (from
the parsed-record cache), their graph, and history for approvals when it needs them."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import cached_property

from formulactl.audit.history import History
from formulactl.errors import FormulaError
from formulactl.model.settings import split_ref
from formulactl.store.cache import BlobCache, code_version
from formulactl.store.store import Store
from formulactl.trace.graph import Graph, build_graph
from formulactl.trace.inforce import Approval, InForce, Lifecycle, in_force, lifecycle
from formulactl.trace.quality import BatchQuality, batch_quality
from formulactl.trace.snapshot import Snapshot, load_snapshot, resolve_at, unknown
from formulactl.trace.tracing import Trace, trace_batch


@dataclass
class Session:
    store: Store
    at: str | None = None
    _lives: dict[str, Lifecycle] = field(default_factory=dict)

    @cached_property
    def commit(self) -> str:
        return resolve_at(self.store, self.at)

    @cached_property
    def snapshot(self) -> Snapshot:
        cache = BlobCache(self.store.cache_dir / "records.marshal", code_version())
        return load_snapshot(self.store, self.commit, cache)

    @cached_property
    def graph(self) -> Graph:
        return build_graph(self.snapshot)

    @cached_property
    def history(self) -> History:
        return History(self.store)

    def close(self) -> None:
        if "history" in self.__dict__:
            self.history.close()

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def lifecycle(self, formula_id: str) -> Lifecycle:
        if formula_id not in self._lives:
            self._lives[formula_id] = lifecycle(self.history, formula_id, self.commit)
        return self._lives[formula_id]

    def approval_of(self, ref: str) -> Approval | None:
        """The approval of the exact version `F-…@V` names, or None."""
        try:
            formula_id, version = split_ref(ref)
        except FormulaError:
            return None
        if version is None:
            return None
        return self.lifecycle(formula_id).approval_of(version)

    def trace(self, batch_id: str) -> Trace:
        """Both ways, with the batch's QC judged by the version it names."""
        found = trace_batch(self.graph, batch_id, self.approval_of)
        try:
            return replace(found, quality=self.quality(batch_id))
        except FormulaError as problem:
            return replace(found, problems=(problem.finding.message,))

    def quality(self, batch_id: str) -> BatchQuality:
        if batch_id not in self.graph.batches:
            raise unknown("batch", batch_id, self.graph.batches, self.commit)
        return batch_quality(self.history, self.snapshot, batch_id, self.commit)

    def active(self, formula_id: str, day: str) -> InForce:
        if formula_id not in self.snapshot.of("formula"):
            raise unknown("formula", formula_id, self.snapshot.of("formula"), self.commit)
        return in_force(self.lifecycle(formula_id), self.snapshot, day)
