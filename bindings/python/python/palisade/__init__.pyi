from typing import Any, Dict, List, Optional

__all__ = ["Policy", "PolicyError", "Diagnostic", "Decision", "Tools"]

class Diagnostic:
    severity: str
    code: str
    message: str
    file: str
    line: int
    column: int
    help: Optional[str]

class UnknownAgentError(ValueError): ...

class PolicyError(Exception):
    diagnostics: List[Diagnostic]
    @property
    def errors(self) -> List[Diagnostic]: ...

class Decision:
    outcome: str
    allowed: bool
    tool: str
    reason: str
    at: Optional[str]
    segments: List[Dict[str, Any]]
    paths: List[Dict[str, Any]]

class Tools:
    allowed: List[str]
    ask: List[str]
    by_command: Optional[str]

class Context:
    def outcome(self, tool: str) -> str: ...

class Policy:
    @staticmethod
    def from_dsl(text: str, name: str = ...) -> Policy: ...
    @staticmethod
    def from_openclaw_json(text: str, name: str = ..., exec_approvals: Optional[str] = ..., exec_approvals_name: str = ...) -> Policy: ...
    @staticmethod
    def load(path: str) -> Policy: ...
    def replace(self, other: Policy) -> None: ...
    def context(
        self,
        agent: str,
        *,
        provider: Optional[str] = ...,
        session: Optional[str] = ...,
        sender: Optional[str] = ...,
        subagent: bool = ...,
        owner: bool = ...,
    ) -> Context: ...
    @property
    def warnings(self) -> List[Diagnostic]: ...
    @property
    def agents(self) -> List[str]: ...
    def outcome(
        self,
        agent: str,
        tool: str,
        *,
        provider: Optional[str] = ...,
        session: Optional[str] = ...,
        sender: Optional[str] = ...,
        subagent: bool = ...,
        owner: bool = ...,
        command: Optional[str] = ...,
        cwd: Optional[str] = ...,
        path: Optional[str] = ...,
    ) -> str: ...
    def allows(self, agent: str, tool: str, **fields: Any) -> bool: ...
    def decide(self, agent: str, tool: str, **fields: Any) -> Decision: ...
    def explain(self, agent: str, tool: str, **fields: Any) -> Dict[str, Any]: ...
    def request(self, request: Dict[str, Any]) -> Dict[str, Any]: ...
    def gate(self, **inbound: Any) -> Dict[str, Any]: ...
    def route(self, **inbound: Any) -> Dict[str, Any]: ...
    def tools(
        self,
        agent: str,
        *,
        provider: Optional[str] = ...,
        session: Optional[str] = ...,
        sender: Optional[str] = ...,
        subagent: bool = ...,
        owner: bool = ...,
    ) -> Tools: ...
