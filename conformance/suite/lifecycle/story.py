"""One example of the state machine told as numbered steps, each with the curl commands it sent, so
that a failure can be replayed by hand (the key stays ``${DIFY_API_KEY}``) or with ``--seed``."""

from __future__ import annotations

from dataclasses import dataclass, field

from ...model.exchange import Exchange

__all__ = ["Story", "Step"]


@dataclass
class Step:
    title: str
    exchanges: list[Exchange] = field(default_factory=list)
    waited_s: float = 0.0


@dataclass
class Story:
    steps: list[Step] = field(default_factory=list)

    def begin(self, title: str) -> Step:
        step = Step(title)
        self.steps.append(step)
        return step

    def render(self, *, seed: int, failed: str) -> str:
        """The story as the falsifying example of the check (the plugin shows it as the replay text)."""
        waited = sum(s.waited_s for s in self.steps)
        lines = [f"Falsifying example, as a story of {len(self.steps)} step(s); it fails {failed} at step "
                 f"{len(self.steps)}. Replay with --seed {seed} (and the same spec and profile), or by hand with "
                 f"these requests (the users and ids are this run's; waited {waited:.2f} s in all for new seconds):"]
        for number, step in enumerate(self.steps, start=1):
            wait = f" (after waiting {step.waited_s:.2f} s for a new second)" if step.waited_s else ""
            lines.append(f"{number:>3}. {step.title}{wait}")
            for exchange in step.exchanges:
                lines.append(f"       {exchange.curl()}")
                outcome = (f"{exchange.status_code} {exchange.excerpt(160)}" if exchange.status_code is not None
                           else f"no response ({exchange.error})")
                lines.append(f"       -> {' '.join(outcome.split())}")
        return "\n".join(lines)
