"""The Role's rules, pure: who is still waiting, who a cohort command reaches, the summary."""

from __future__ import annotations

from collections import Counter

from heardback.workflows import screening
from heardback.workflows.models import (
    AdvanceCohort,
    CandidacyChanged,
    CandidacyEntry,
    RoleState,
    RoleSummary,
)

OPEN = ("active", "on_hold")
DONE = ("completed", "refused")


class Counts:
    """What the Role counts, kept as its registry and fan-out queue change, so the work per
    event does not grow with the number of candidacies (a role stays responsive at any size).
    Derived from the state (once, at start or after continue-as-new), never persisted."""

    def __init__(self, rs: RoleState) -> None:
        self.by_state: Counter[str] = Counter(e.state for e in rs.candidacies.values())
        self.by_stage: Counter[str] = Counter(
            e.stage for e in rs.candidacies.values() if e.state in OPEN
        )
        # Candidacies a queued role-wide command has still to reach (how many commands each).
        self.pending: Counter[str] = Counter(cid for j in rs.jobs for cid in j.remaining)

    def _forget(self, entry: CandidacyEntry) -> None:
        self.by_state[entry.state] -= 1
        if not self.by_state[entry.state]:
            del self.by_state[entry.state]
        if entry.state in OPEN:
            self.by_stage[entry.stage] -= 1
            if not self.by_stage[entry.stage]:
                del self.by_stage[entry.stage]

    def _count(self, entry: CandidacyEntry) -> None:
        self.by_state[entry.state] += 1
        if entry.state in OPEN:
            self.by_stage[entry.stage] += 1

    def put(self, rs: RoleState, candidate_id: str, entry: CandidacyEntry | None) -> None:
        """Set (or, with None, remove) one registry entry, keeping the counts."""
        old = rs.candidacies.pop(candidate_id, None) if entry is None else None
        if entry is not None:
            old = rs.candidacies.get(candidate_id)
            rs.candidacies[candidate_id] = entry
            self._count(entry)
        if old is not None:
            self._forget(old)

    def queued(self, ids: list[str]) -> None:
        self.pending.update(ids)

    def sent(self, ids: list[str]) -> None:
        self.pending.subtract(ids)
        for cid in ids:
            if self.pending[cid] <= 0:
                del self.pending[cid]

    @property
    def open(self) -> int:
        return sum(self.by_state[s] for s in OPEN)


def record_change(rs: RoleState, change: CandidacyChanged, counts: Counts) -> None:
    """Keep the registry small: finished candidacies leave it and become a count."""
    if change.state in DONE:
        counts.put(rs, change.candidate_id, None)
        key = change.outcome or change.state
        rs.finished[key] = rs.finished.get(key, 0) + 1
        return
    counts.put(
        rs,
        change.candidate_id,
        CandidacyEntry(state=change.state, stage=change.stage, outcome=change.outcome),
    )


def open_ids(rs: RoleState) -> list[str]:
    return sorted(cid for cid, e in rs.candidacies.items() if e.state in OPEN)


def next_stage(rs: RoleState, stage: str) -> str | None:
    if stage not in rs.stages:
        return None
    i = rs.stages.index(stage)
    return rs.stages[i + 1] if i + 1 < len(rs.stages) else None


def validate_cohort(rs: RoleState, cmd: AdvanceCohort) -> str | None:
    if rs.status == "closed":
        return f"the role is closed ({rs.close_reason}); no cohort can advance"
    if cmd.stage not in rs.stages:
        return f"unknown stage {cmd.stage!r}; the role's stages are {', '.join(rs.stages)}"
    if next_stage(rs, cmd.stage) is None:
        return f"{cmd.stage!r} is the last stage: make offers or rejections with decide instead"
    unknown = [cid for cid in cmd.advanced if cid not in rs.candidacies]
    if unknown:
        return f"not open candidacies of this role: {', '.join(sorted(set(unknown))[:20])}"
    if cmd.feedback and cmd.override is None:
        findings = screening.screen(list(cmd.feedback), rs.role.locale)
        if findings:
            return screening.describe(findings)
    return None


def cohort_plan(rs: RoleState, cmd: AdvanceCohort) -> tuple[list[str], list[str], list[str]]:
    """(advance, others, not_waiting_here): a partition of who the command concerns.

    `advance` are the named candidates still open at the stage; `others` everyone else still
    open at that stage; `not_waiting_here` named candidates that are not (moved on, decided).
    """
    at_stage = {
        cid for cid, e in rs.candidacies.items() if e.state in OPEN and e.stage == cmd.stage
    }
    named = list(dict.fromkeys(cmd.advanced))
    advance = [cid for cid in named if cid in at_stage]
    not_here = [cid for cid in named if cid not in at_stage]
    others = sorted(at_stage - set(advance))
    return advance, others, not_here


def summary(rs: RoleState, counts: Counts) -> RoleSummary:
    by_state, by_stage = counts.by_state, counts.by_stage
    return RoleSummary(
        role_id=rs.role.id,
        status=rs.status,
        paused_until=rs.paused_until,
        by_state=dict(sorted(by_state.items())),
        by_stage={s: by_stage[s] for s in rs.stages if by_stage.get(s)}
        | {s: n for s, n in by_stage.items() if s not in rs.stages},
        finished_by_outcome=dict(sorted(rs.finished.items())),
        messages_owed=len(rs.candidacies),
        fan_out_remaining=counts.pending.total(),
    )
