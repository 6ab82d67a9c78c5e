"""One traceability question's setting: the commit it is asked at, the records there (from
the parsed-record cache), their graph, and history for approvals when it needs them."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import TYPE_CHECKING, Any

from formulactl.errors import FormulaError
from formulactl.model.settings import split_ref
from formulactl.store.store import Store
from formulactl.trace.graph import Graph, LotLine, lot_lines
from formulactl.trace.index import indexed_graph
from formulactl.trace.inforce import Approval, InForce, Lifecycle, in_force
from formulactl.trace.lives import Approvals, Lives, approved_content
from formulactl.trace.snapshot import Snapshot, resolve_at, unknown
from formulactl.trace.tracing import Input, Trace, trace_batch, trace_lot

if TYPE_CHECKING:
    from formulactl.audit.history import History
    from formulactl.crypto import crypto
    from formulactl.trace.quality import BatchQuality


@dataclass
class Session:
    store: Store
    at: str | None = None
    identities: list[crypto.Identity] = field(default_factory=list)

    @cached_property
    def commit(self) -> str:
        return resolve_at(self.store, self.at)

    @cached_property
    def snapshot(self) -> Snapshot:
        return self.graph.snapshot

    @cached_property
    def graph(self) -> Graph:
        return indexed_graph(self.store, self.commit)

    @cached_property
    def history(self) -> History:
        """History for reports that walk it; the approvals come from `lives`."""
        return self.lives.history

    @cached_property
    def lives(self) -> Lives:
        return Lives(self.store, self.commit)

    def close(self) -> None:
        if "lives" in self.__dict__:
            self.lives.close()

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    @cached_property
    def lifecycles(self) -> Approvals:
        """Every formula's approvals and archivals, in one walk of history."""
        return self.lives.every()

    def approved_content(self, approval: Approval) -> dict[str, Any]:
        return approved_content(self.store, approval)

    def lifecycle(self, formula_id: str) -> Lifecycle:
        return self.lives.one(formula_id)

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
        found = trace_batch(self.graph, batch_id, self.approval_of, self.lines_of)
        try:
            return replace(found, quality=self.quality(batch_id))
        except FormulaError as problem:
            return replace(found, problems=(problem.finding.message,))

    def trace_lot(self, lot: str, material: str | None) -> Trace:
        """Forward from a lot; its lines' quantities opened for a reader."""
        found = trace_lot(self.graph, lot, material)
        if not self.identities:
            return found
        batches = dict.fromkeys(item.line.batch for item in found.inputs)
        inputs = tuple(
            Input((), line)
            for batch in batches
            for line in self.lines_of(batch)
            if line.lot == lot and material in (None, line.material)
        )
        return replace(found, inputs=inputs)

    def lines_of(self, batch_id: str) -> list[LotLine]:
        """A batch's lot lines, their sealed quantities opened for a reader."""
        lines = self.graph.inputs(batch_id)
        if not self.identities or not any(line.quantity == "sealed" for line in lines):
            return lines
        from formulactl.trace.recall import opened

        data = opened(self.store, "batch", batch_id, self.graph.batches[batch_id], self.identities)
        return lot_lines(batch_id, data)

    def quality(self, batch_id: str) -> BatchQuality:
        from formulactl.trace.quality import batch_quality

        if batch_id not in self.graph.batches:
            raise unknown("batch", batch_id, self.graph.batches, self.commit)
        return batch_quality(self.snapshot, batch_id, self.lifecycle, self.approved_content)

    def active(self, formula_id: str, day: str) -> InForce:
        if formula_id not in self.snapshot.of("formula"):
            raise unknown("formula", formula_id, self.snapshot.of("formula"), self.commit)
        return in_force(self.lifecycle(formula_id), self.snapshot, day)
