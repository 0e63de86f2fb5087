"""Palisade for Python: the Rust policy engine, linked in.

    import palisade
    policy = palisade.Policy.load("examples/commands.pal")
    policy.outcome("coder", "exec", session="agent:coder:main", command="git status")  # "allow"

Decisions are synchronous calls into the compiled engine. A policy that does
not compile raises `PolicyError`, whose `diagnostics` carry file, line,
column, code and message, as `palisade check` reports them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Tuple

from . import _native

__all__ = ["Context", "Policy", "PolicyError", "UnknownAgentError", "Diagnostic", "Decision", "Tools"]

#: A request for an agent the policy does not define (a `ValueError`).
UnknownAgentError = _native.UnknownAgentError


@dataclass(frozen=True)
class Diagnostic:
    """One error or warning, where it is written and why."""

    severity: str
    code: str
    message: str
    file: str
    line: int
    column: int
    help: Optional[str] = None

    @staticmethod
    def _from_json(value: Dict[str, Any]) -> "Diagnostic":
        return Diagnostic(
            severity=value["severity"],
            code=value["code"],
            message=value["message"],
            file=value["file"],
            line=value["line"],
            column=value["col"],
            help=value.get("help"),
        )

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}: {self.severity}[{self.code}]: {self.message}"


class PolicyError(Exception):
    """A policy that does not compile; `diagnostics` holds every error and warning."""

    def __init__(self, message: str, diagnostics: List[Diagnostic]):
        super().__init__(message)
        self.diagnostics = diagnostics

    @property
    def errors(self) -> List[Diagnostic]:
        return [d for d in self.diagnostics if d.severity == "error"]


@dataclass(frozen=True)
class Decision:
    """A tool decision with its reason: `outcome` is `allow`, `ask` or `deny`."""

    outcome: str
    allowed: bool
    tool: str
    reason: str
    at: Optional[str]
    segments: List[Dict[str, Any]]
    paths: List[Dict[str, Any]]


@dataclass(frozen=True)
class Tools:
    """What an agent may call in a context: `allowed`, `ask` (with approval),
    and the tool decided by its command (`exec` under command rules)."""

    allowed: List[str]
    ask: List[str]
    by_command: Optional[str]


def _compiled(make):
    try:
        return make()
    except _native.NativePolicyError as error:
        message, diagnostics = error.args
        raise PolicyError(message, [Diagnostic._from_json(d) for d in json.loads(diagnostics)]) from None


_OPTIONS = {"provider": str, "session": str, "sender": str, "subagent": bool, "owner": bool, "command": str, "cwd": str, "path": str}


def _tool_request(agent: str, tool: str, fields: Dict[str, Any]) -> str:
    # The same refusals `outcome`'s keyword arguments give, for every call.
    for key, value in fields.items():
        kind = _OPTIONS.get(key)
        if kind is None:
            raise TypeError(f"unknown option {key!r}; options are {', '.join(_OPTIONS)}")
        if value is not None and not isinstance(value, kind):
            raise TypeError(f"option {key!r} must be a {kind.__name__}, not {type(value).__name__}")
    request: Dict[str, Any] = {"kind": "tool", "agent": agent, "tool": tool}
    args = {k: fields.pop(k) for k in ("command", "cwd", "path") if fields.get(k) is not None}
    request.update({k: v for k, v in fields.items() if v is not None and v is not False})
    if args:
        request["args"] = args
    return json.dumps(request)


_OUTCOMES = ("allow", "ask", "deny")
_KEPT_IDS = 4096


class Context:
    """A request's context, resolved once (per session, say).

    It holds the engine's decision row for the context (one outcome per
    interned tool) and each name's interned index, so a repeated decision is a
    dict lookup and an index into the row, with no call into the engine. A
    name the policy never interned is decided by the engine by name. After
    `Policy.replace`, the next decision fetches the row again.
    """

    __slots__ = ("_policy", "_agent", "_fields", "_generation", "_serial", "_row", "_ids")

    def __init__(self, policy: "Policy", agent: str, fields: Dict[str, Any]):
        self._policy = policy
        self._agent = agent
        self._fields = fields
        self._refresh(must_exist=True)

    def _refresh(self, must_exist: bool = False) -> None:
        self._generation = self._policy._generation
        self._serial, self._row = self._policy._native.context_row(self._agent, must_exist=must_exist, **self._fields)
        self._ids: Dict[str, int] = {}

    def outcome(self, tool: str) -> str:
        """`allow`, `ask` or `deny`; `exec` is decided as an opaque command here."""
        if self._generation != self._policy._generation:
            self._refresh()
        index = self._ids.get(tool)
        if index is None:
            serial, index = self._policy._native.tool_index(tool)
            if serial != self._serial:
                # Replaced from another thread: the row is another policy's.
                self._refresh()
                serial, index = self._policy._native.tool_index(tool)
            if serial != self._serial:
                return self._policy.outcome(self._agent, tool, **self._fields)
            if len(self._ids) < _KEPT_IDS:
                self._ids[tool] = index
        if index < 0:
            return self._policy.outcome(self._agent, tool, **self._fields)
        return _OUTCOMES[self._row[index]]


class Policy:
    """A compiled policy. `replace` swaps in another one whole, atomically."""

    __slots__ = ("_native", "outcome", "_generation")

    def __init__(self, native: "_native.Policy"):
        self._native = native
        # Bumped by `replace`: contexts fetch their decision row again.
        self._generation = 0
        # `outcome(agent, tool, *, provider, session, sender, subagent, owner,
        # command, cwd, path)` -> "allow" | "ask" | "deny": the fast path, bound to
        # the native method so that no Python frame runs per decision.
        self.outcome = native.outcome

    @staticmethod
    def from_dsl(text: str, name: str = "policy.pal") -> "Policy":
        return Policy(_compiled(lambda: _native.Policy.from_dsl(text, name)))

    @staticmethod
    def from_openclaw_json(
        text: str, name: str = "openclaw.json", exec_approvals: Optional[str] = None, exec_approvals_name: str = "exec-approvals.json"
    ) -> "Policy":
        return Policy(_compiled(lambda: _native.Policy.from_openclaw_json(text, name, exec_approvals, exec_approvals_name)))

    @staticmethod
    def load(path: str) -> "Policy":
        """A `.pal` (DSL) or `.json` (OpenClaw) file."""
        return Policy(_compiled(lambda: _native.Policy.load(str(path))))

    def replace(self, other: "Policy") -> None:
        self._native.replace(other._native)
        self._generation += 1

    def context(self, agent: str, **fields: Any) -> Context:
        """A context (provider, session, sender, subagent, owner) resolved once
        for many `context.outcome(tool)` calls; it follows `replace`."""
        return Context(self, agent, fields)

    @property
    def warnings(self) -> List[Diagnostic]:
        return [Diagnostic._from_json(d) for d in json.loads(self._native.warnings_json())]

    @property
    def agents(self) -> List[str]:
        return self._native.agents()

    def allows(self, agent: str, tool: str, **fields: Any) -> bool:
        return self.outcome(agent, tool, **fields) == "allow"

    def decide(self, agent: str, tool: str, **fields: Any) -> Decision:
        """The decision with its reason and the rule's `file:line:col`."""
        value = json.loads(self._native.decide_json(_tool_request(agent, tool, dict(fields))))
        return Decision(
            outcome=value["outcome"],
            allowed=value["allowed"],
            tool=value["tool"],
            reason=value["reason"],
            at=value.get("at"),
            segments=value.get("segments", []),
            paths=value.get("paths", []),
        )

    def explain(self, agent: str, tool: str, **fields: Any) -> Dict[str, Any]:
        """Every layer in order, what it did and why (`palisade explain --format json`)."""
        return json.loads(self._native.explain_json(_tool_request(agent, tool, dict(fields))))

    def request(self, request: Dict[str, Any]) -> Dict[str, Any]:
        """Any request `palisade decide` reads (`kind`: tool, ingress or route), its JSON answer."""
        return json.loads(self._native.decide_json(json.dumps(request)))

    def gate(self, **inbound: Any) -> Dict[str, Any]:
        """May this inbound message reach an agent? (`{"outcome", "reason", "at"}`)"""
        return self.request({"kind": "ingress", **inbound})

    def route(self, **inbound: Any) -> Dict[str, Any]:
        """Which agent and session does this message belong to?"""
        return self.request({"kind": "route", **inbound})

    def tools(
        self,
        agent: str,
        *,
        provider: Optional[str] = None,
        session: Optional[str] = None,
        sender: Optional[str] = None,
        subagent: bool = False,
        owner: bool = False,
    ) -> Tools:
        allowed, ask, by_command = self._native.tools(
            agent, provider=provider, session=session, sender=sender, subagent=bool(subagent), owner=bool(owner)
        )
        return Tools(allowed=allowed, ask=ask, by_command=by_command)
