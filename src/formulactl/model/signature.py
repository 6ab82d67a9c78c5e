"""A signature as a reader is shown it: plain data, so an answer read from a cache (the
approvals a traceability answer names) needs none of the history code that judged it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Signature:
    """A signature as 21 CFR 11.50 asks to show it: printed name, date and time, meaning."""

    person: str  # team member ID, or the unknown key, or "unsigned"
    name: str  # printed name from the team file of the commit's parent
    verdict: str  # good, unsigned, bad, unknown-key
    when: str  # ISO 8601 with the signer's time zone: what the committer's clock said
    meaning: str
    received: str = ""  # when the server received the commit, by its signed receipt

    def line(self) -> str:
        who = f"{self.name} ({self.person})" if self.name else self.person
        received = f" (received {self.received})" if self.received else ""
        return (
            f"{who}, {self.when}{received}, {self.meaning or 'no stated meaning'} [{self.verdict}]"
        )
