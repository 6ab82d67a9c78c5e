"""Batch disposition as signed steps: quarantine → released or rejected, by an approver
for batches who is not the batch's operator (four eyes)."""

from __future__ import annotations

from formulactl.model.workflow import Step

DISPOSITION_STEPS: dict[str, Step] = {
    step.name: step
    for step in (
        Step("release", ("quarantine",), "released", ("approver",), "released"),
        Step("reject-batch", ("quarantine",), "rejected", ("approver",), "rejected", True),
    )
}


def disposition_step(before: str | None, after: str | None) -> Step | None:
    """The step that moves a batch from disposition `before` to `after`, if any does."""
    for step in DISPOSITION_STEPS.values():
        if before in step.starts and after == step.ends:
            return step
    return None
