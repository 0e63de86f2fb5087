'use strict'
// Palisade for Node: the Rust policy engine, linked in.
//
//   const { Policy } = require('palisade')
//   const policy = Policy.load('examples/commands.pal')
//   policy.outcome('coder', 'exec', { session: 'agent:coder:main', command: 'git status' }) // 'allow'
//
// Decisions are synchronous calls into the compiled engine. A policy that
// does not compile throws a `PolicyError` whose `diagnostics` carry file,
// line, column, code and message, as `palisade check` reports them.

const native = require('./native.js')

const POLICY_ERROR = 'PALISADE_POLICY_ERROR'
const UNKNOWN_AGENT = 'PALISADE_UNKNOWN_AGENT:'
const IO_ERROR = 'PALISADE_IO:'

/** A request for an agent the policy does not define. */
class UnknownAgentError extends Error {
  constructor(message) {
    super(message)
    this.name = 'UnknownAgentError'
    this.code = 'PALISADE_UNKNOWN_AGENT'
  }
}

/** The options a tool request takes, and the type of each. */
const OPTION_TYPES = {
  provider: 'string',
  session: 'string',
  sender: 'string',
  subagent: 'boolean',
  owner: 'boolean',
  command: 'string',
  cwd: 'string',
  path: 'string',
}

/** Refuses what the engine would misread: an unknown key (a typo), or a value of the wrong type. */
function checkOptions(options) {
  if (options === undefined || options === null) return
  if (typeof options !== 'object') throw new TypeError(`options must be an object, not ${typeof options}`)
  for (const key in options) {
    const type = OPTION_TYPES[key]
    if (type === undefined) {
      throw new TypeError(`unknown option '${key}'; options are ${Object.keys(OPTION_TYPES).join(', ')}`)
    }
    const value = options[key]
    if (value !== undefined && value !== null && typeof value !== type) {
      throw new TypeError(`option '${key}' must be a ${type}, not ${typeof value}`)
    }
  }
}

/** A native error as the error a caller can tell apart. */
function translated(error) {
  const message = String(error && error.message)
  if (message.startsWith(UNKNOWN_AGENT)) return new UnknownAgentError(message.slice(UNKNOWN_AGENT.length))
  if (message.startsWith(IO_ERROR)) {
    const [code, ...rest] = message.slice(IO_ERROR.length).split(':')
    return Object.assign(new Error(rest.join(':')), { code })
  }
  return error
}

/** Calls into the engine; its errors come out as `UnknownAgentError`, an fs-style error, or as they are. */
function engine(call) {
  try {
    return call()
  } catch (error) {
    throw translated(error)
  }
}

/** One error or warning, where it is written and why. */
function diagnostic(value) {
  return {
    severity: value.severity,
    code: value.code,
    message: value.message,
    file: value.file,
    line: value.line,
    column: value.col,
    help: value.help ?? null,
    toString() {
      return `${this.file}:${this.line}:${this.column}: ${this.severity}[${this.code}]: ${this.message}`
    },
  }
}

/** A policy that does not compile; `diagnostics` holds every error and warning. */
class PolicyError extends Error {
  constructor(message, diagnostics) {
    super(message)
    this.name = 'PolicyError'
    this.diagnostics = diagnostics
  }

  get errors() {
    return this.diagnostics.filter((d) => d.severity === 'error')
  }
}

function compiled(make) {
  try {
    return make()
  } catch (error) {
    const message = String(error && error.message)
    if (!message.startsWith(POLICY_ERROR)) throw translated(error)
    const diagnostics = JSON.parse(message.slice(POLICY_ERROR.length)).map(diagnostic)
    const errors = diagnostics.filter((d) => d.severity === 'error').length
    throw new PolicyError(`the policy has ${errors} error(s)`, diagnostics)
  }
}

function toolRequest(agent, tool, options) {
  checkOptions(options)
  const { command, cwd, path, ...fields } = options ?? {}
  const request = { kind: 'tool', agent, tool }
  for (const [key, value] of Object.entries(fields)) {
    if (value !== undefined && value !== null) request[key] = value
  }
  const args = {}
  if (command !== undefined && command !== null) args.command = command
  if (cwd !== undefined && cwd !== null) args.cwd = cwd
  if (path !== undefined && path !== null) args.path = path
  if (Object.keys(args).length > 0) request.args = args
  return JSON.stringify(request)
}

const OUTCOMES = ['allow', 'ask', 'deny']
/** Names whose ids a context keeps; past that, names are looked up each time. */
const KEPT_IDS = 4096
/** Contexts `Policy.outcome` keeps, and names each of them keeps: bounded memory. */
const KEPT_CONTEXTS = 256
const KEPT_IDS_CACHED = 256

/**
 * A tool call's options as `Policy.outcome` caches them, each property read
 * once (so a getter cannot hand the cache one value and the engine
 * another); `null` sends the call to the engine as it is: a command or
 * working directory (decided per call), or a value of the wrong type (the
 * engine reports it).
 */
function cacheable(agent, tool, options) {
  if (typeof agent !== 'string' || typeof tool !== 'string') return null
  if (options === undefined || options === null) return NO_OPTIONS
  if (typeof options !== 'object') return null
  const { provider, session, sender, subagent, owner, command, cwd, path } = options
  const given = (v) => v !== undefined && v !== null
  if (given(command) || given(cwd) || given(path)) return null
  const text = (v) => v === undefined || typeof v === 'string'
  const flag = (v) => v === undefined || typeof v === 'boolean'
  if (!text(provider) || !text(session) || !text(sender) || !flag(subagent) || !flag(owner)) return null
  return { provider, session, sender, subagent, owner }
}
const NO_OPTIONS = Object.freeze({})

/** 0..8 for the two flags, each left out, true or false. */
function flagsIndex(fields) {
  const one = (v) => (v === undefined ? 0 : v ? 1 : 2)
  return one(fields.subagent) * 3 + one(fields.owner)
}

/** `map.get(key)`, made on first use. */
function level(map, key) {
  let next = map.get(key)
  if (next === undefined) {
    next = new Map()
    map.set(key, next)
  }
  return next
}

/**
 * A request's context, resolved once. It holds the engine's decision row for
 * the context (one outcome per interned tool) and each name's interned id, so
 * a repeated decision is a map lookup and an array index, with no call into
 * the engine; a name the policy never interned is decided by the engine by
 * name. `Policy.replace` bumps the policy's generation, and the next decision
 * fetches the row again under the new policy.
 */
class Context {
  constructor(inner, state, keptIds = KEPT_IDS) {
    this.native = inner
    this.state = state
    this.keptIds = keptIds
    this.refresh()
  }

  refresh() {
    this.generation = this.state.generation
    this.row = this.native.table()
    this.ids = new Map()
  }

  /** `allow`, `ask` or `deny`; `exec` is decided as an opaque command here. */
  outcome(tool) {
    if (this.generation !== this.state.generation) this.refresh()
    let id = this.ids.get(tool)
    if (id === undefined) {
      id = this.native.toolIndex(String(tool))
      if (this.ids.size < this.keptIds) this.ids.set(tool, id)
    }
    return OUTCOMES[id >= 0 ? this.row[id] : this.native.outcomeCode(String(tool))]
  }
}

/** A compiled policy. `replace` swaps in another one whole, atomically. */
class Policy {
  constructor(inner) {
    this.native = inner
    // Bumped by `replace`: contexts fetch their decision row again.
    this.state = { generation: 0 }
    // `outcome`'s contexts: agent -> provider -> session -> sender -> flags.
    this.contexts = new Map()
    this.keptContexts = 0
  }

  /**
   * `allow`, `ask` or `deny`, without a reason. Calls without a command are
   * decided through a context kept per distinct options (as `context`
   * builds it, following `replace`), so a repeated context costs a map
   * lookup; the rest go to the engine.
   */
  outcome(agent, tool, options) {
    if (options !== undefined && options !== null && typeof options === 'object') {
      // A `switch` on the key, not a lookup in OPTION_TYPES: this runs on every call.
      for (const key in options) {
        switch (key) {
          case 'provider':
          case 'session':
          case 'sender':
          case 'subagent':
          case 'owner':
          case 'command':
          case 'cwd':
          case 'path':
            break
          default:
            checkOptions(options)
        }
      }
    }
    const fields = cacheable(agent, tool, options)
    if (fields === null) {
      checkOptions(options)
      return engine(() => this.native.outcome(agent, tool, options))
    }
    // Keyed level by level on the values themselves (a left-out field is
    // `undefined`, never a string), so no two contexts share a key.
    const flags = flagsIndex(fields)
    const cached = this.contexts.get(agent)?.get(fields.provider)?.get(fields.session)?.get(fields.sender)?.[flags]
    const context = cached ?? this.keep(agent, fields, flags)
    return context === null ? engine(() => this.native.outcome(agent, tool, fields)) : context.outcome(tool)
  }

  /** A new context for `outcome`, kept; `null` when the engine refuses one (it then says why). */
  keep(agent, fields, flags) {
    let inner
    try {
      inner = this.native.context(agent, fields)
    } catch {
      return null
    }
    if (this.keptContexts >= KEPT_CONTEXTS) {
      this.contexts.clear()
      this.keptContexts = 0
    }
    const bySender = level(level(level(this.contexts, agent), fields.provider), fields.session)
    let byFlags = bySender.get(fields.sender)
    if (byFlags === undefined) {
      byFlags = []
      bySender.set(fields.sender, byFlags)
    }
    const context = new Context(inner, this.state, KEPT_IDS_CACHED)
    byFlags[flags] = context
    this.keptContexts += 1
    return context
  }

  static fromDsl(text, name = 'policy.pal') {
    return new Policy(compiled(() => native.Policy.fromDsl(text, name)))
  }

  static fromOpenclawJson(text, { name = 'openclaw.json', execApprovals = null } = {}) {
    return new Policy(compiled(() => native.Policy.fromOpenclawJson(text, name, execApprovals)))
  }

  /** A `.pal` (DSL) or `.json` (OpenClaw) file. */
  static load(path) {
    return new Policy(compiled(() => native.Policy.load(String(path))))
  }

  replace(other) {
    this.native.replace(other.native)
    this.state.generation += 1
  }

  /**
   * A context resolved once (per session) for many tool decisions:
   * `context.outcome(tool)` is the fastest path. It follows `replace`.
   */
  context(agent, options) {
    checkOptions(options)
    return new Context(engine(() => this.native.context(agent, options)), this.state)
  }

  get warnings() {
    return JSON.parse(this.native.warningsJson()).map(diagnostic)
  }

  get agents() {
    return this.native.agents()
  }

  allows(agent, tool, options) {
    return this.outcome(agent, tool, options) === 'allow'
  }

  /** The decision with its reason and the rule's `file:line:col`. */
  decide(agent, tool, options) {
    const value = JSON.parse(engine(() => this.native.decideJson(toolRequest(agent, tool, options))))
    return {
      outcome: value.outcome,
      allowed: value.allowed,
      tool: value.tool,
      reason: value.reason,
      at: value.at ?? null,
      segments: value.segments ?? [],
      paths: value.paths ?? [],
    }
  }

  /** Every layer in order, what it did and why (`palisade explain --format json`). */
  explain(agent, tool, options) {
    return JSON.parse(engine(() => this.native.explainJson(toolRequest(agent, tool, options))))
  }

  /** Any request `palisade decide` reads (`kind`: tool, ingress or route), its JSON answer. */
  request(request) {
    return JSON.parse(engine(() => this.native.decideJson(JSON.stringify(request))))
  }

  /** May this inbound message reach an agent? `{outcome, reason, at}` */
  gate(inbound) {
    return this.request({ kind: 'ingress', ...inbound })
  }

  /** Which agent and session does this message belong to? */
  route(inbound) {
    return this.request({ kind: 'route', ...inbound })
  }

  /** What an agent may call in a context: `{allowed, ask, byCommand}`. */
  tools(agent, options) {
    checkOptions(options)
    return JSON.parse(engine(() => this.native.toolsJson(agent, options)))
  }
}

module.exports = { Policy, PolicyError, UnknownAgentError, Context }
