"""Prometheus metrics of one app (its own registry, so tests and apps don't share counters).

No metric counts reports: a counter that moves within seconds of a filing would tell when someone reported.
Latency buckets start at 100 ms, so a slow request (a follow-up code's scrypt) looks like any other."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest

from bot.routes import Hooks


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter("smpolicy_requests", "HTTP requests by channel and status", ["channel", "status"], registry=self.registry)
        self.latency = Histogram("smpolicy_request_seconds", "HTTP request latency by channel", ["channel"], registry=self.registry,
                                 buckets=(0.1, 0.25, 0.5, 1, 2.5, 5))
        self.answers = Counter("smpolicy_answers", "Policy answers by verdict", ["verdict"], registry=self.registry)
        self.quiz = Counter("smpolicy_quiz_answers", "Quiz answers by result", ["result"], registry=self.registry)
        self.checks = Counter("smpolicy_draft_checks", "Draft checks by verdict", ["verdict"], registry=self.registry)
        self._children: dict[tuple[str, int], tuple] = {}

    def observe_request(self, channel: str, status: int, seconds: float) -> None:
        """Count one HTTP request; the labelled children are looked up once (`labels()` takes a lock each call)."""
        key = (channel, status)
        children = self._children.get(key)
        if children is None:
            children = self._children[key] = (self.requests.labels(channel, str(status)), self.latency.labels(channel))
        children[0].inc()
        children[1].observe(seconds)

    def hooks(self) -> Hooks:
        """Core callbacks that count, with labels that never name a person."""
        return Hooks(answered=lambda a: self.answers.labels(a.verdict).inc(),
                     quiz_answered=lambda ok: self.quiz.labels("right" if ok else "wrong").inc(),
                     checked=lambda verdict: self.checks.labels(verdict).inc())

    def render(self) -> bytes:
        return generate_latest(self.registry)
