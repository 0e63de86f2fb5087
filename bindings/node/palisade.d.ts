export type Outcome = 'allow' | 'ask' | 'deny'

export interface ToolOptions {
  provider?: string
  session?: string
  sender?: string
  subagent?: boolean
  owner?: boolean
  /** For `exec`: the command line. */
  command?: string
  /** For `exec`: the working directory (recorded, never used to resolve a program). */
  cwd?: string
  /** For `read`, `write` and `edit`: the path, decided by `paths` rules. */
  path?: string
}

export interface Diagnostic {
  severity: 'error' | 'warning'
  code: string
  message: string
  file: string
  line: number
  column: number
  help: string | null
}

export declare class PolicyError extends Error {
  diagnostics: Diagnostic[]
  readonly errors: Diagnostic[]
}

/** A request for an agent the policy does not define. */
export declare class UnknownAgentError extends Error {
  readonly code: 'PALISADE_UNKNOWN_AGENT'
}

export interface Segment {
  segment: string
  outcome: Outcome
  layer: string
  why: string
  at: string | null
}

/** One path of a file call and what the path rules made of it. */
export interface PathVerdict {
  path: string
  outcome: Outcome
  layer: string
  why: string
  at: string | null
}

export interface Decision {
  outcome: Outcome
  allowed: boolean
  tool: string
  reason: string
  at: string | null
  segments: Segment[]
  paths: PathVerdict[]
}

export interface Tools {
  allowed: string[]
  ask: string[]
  byCommand: string | null
}

/** A request's context, resolved once; it follows `Policy.replace`. */
export declare class Context {
  /** `exec` is decided without a command here (an opaque command under command rules). */
  outcome(tool: string): Outcome
}

export declare class Policy {
  static fromDsl(text: string, name?: string): Policy
  static fromOpenclawJson(text: string, options?: { name?: string; execApprovals?: string | null }): Policy
  static load(path: string): Policy
  replace(other: Policy): void
  /** Resolves a context once (per session) for many `context.outcome(tool)` calls. */
  context(agent: string, options?: Omit<ToolOptions, 'command' | 'cwd' | 'path'>): Context
  readonly warnings: Diagnostic[]
  readonly agents: string[]
  /** No reason built; a context is kept per distinct options (without `command`/`cwd`). */
  outcome(agent: string, tool: string, options?: ToolOptions): Outcome
  allows(agent: string, tool: string, options?: ToolOptions): boolean
  decide(agent: string, tool: string, options?: ToolOptions): Decision
  explain(agent: string, tool: string, options?: ToolOptions): Record<string, unknown>
  request(request: Record<string, unknown>): Record<string, unknown>
  gate(inbound: Record<string, unknown>): Record<string, unknown>
  route(inbound: Record<string, unknown>): Record<string, unknown>
  tools(agent: string, options?: ToolOptions): Tools
}
