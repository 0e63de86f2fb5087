'use strict'
// Palisade for OpenClaw: every tool call is decided by a Palisade policy in
// OpenClaw's `before_tool_call` hook, before the tool runs.
//
// - deny: the call is blocked with Palisade's reason and the rule's file:line:col;
// - ask: an `exec` that will run on the gateway or a node is sent to OpenClaw's
//   exec approval (`ask: "always"`); any other ask is blocked, since OpenClaw
//   2026.2.x has no approval path for it;
// - allow: the call goes on with the very parameters that were decided.
//
// Fail closed, because OpenClaw fails open around plugins: a hook that throws
// is logged and the call runs, and a plugin whose register throws is recorded
// as an error while OpenClaw starts anyway. So the hook is registered first
// and never throws, and a policy that does not load leaves it blocking every
// call (and register then throws, so `openclaw plugins list` shows the error).

const fs = require('node:fs')
const { Policy } = require('palisade')

const id = 'palisade'

/** Runs after every other plugin's hook, so its decision and parameters are the final ones. */
const LAST = Number.MIN_SAFE_INTEGER

/** The policy the plugin config names, else the configuration OpenClaw runs with. */
function loadPolicy(config, api) {
  const approvals = config.execApprovals ? fs.readFileSync(api.resolvePath(config.execApprovals), 'utf8') : null
  if (!config.policy) {
    const name = 'openclaw.json (the running configuration)'
    return Policy.fromOpenclawJson(JSON.stringify(api.config ?? {}), { name, execApprovals: approvals })
  }
  const file = api.resolvePath(config.policy)
  if (!file.toLowerCase().endsWith('.json') && !file.toLowerCase().endsWith('.json5')) {
    if (approvals !== null) throw new Error(`execApprovals is imported with an OpenClaw JSON policy, not with ${file}`)
    return Policy.load(file)
  }
  return Policy.fromOpenclawJson(fs.readFileSync(file, 'utf8'), { name: file, execApprovals: approvals })
}

function describe(error) {
  // Each error with its help, so that a did-you-mean reaches the operator.
  const lines = (error && error.diagnostics ? error.errors : []).map((d) => (d.help ? `${d} (help: ${d.help})` : String(d)))
  return lines.length > 0 ? lines.join('; ') : String((error && error.message) || error)
}

/** An agent's own settings, in either of OpenClaw's forms (`agents.list[]`, `agents.entries.<id>`). */
function agentConfig(config, agent) {
  const wanted = agent.trim().toLowerCase()
  const list = Array.isArray(config?.agents?.list) ? config.agents.list : []
  const listed = list.find((entry) => String(entry?.id ?? '').trim().toLowerCase() === wanted)
  const entries = config?.agents?.entries ?? {}
  const key = Object.keys(entries).find((name) => name.trim().toLowerCase() === wanted)
  return listed ?? (key === undefined ? undefined : entries[key])
}

/** Where an exec's approval would happen: OpenClaw asks only on the gateway and on nodes. */
function approvalHost(params, config, agent) {
  if (params.elevated === true) return null // elevated "full" skips approvals
  const host = params.host ?? agentConfig(config, agent)?.tools?.exec?.host ?? config?.tools?.exec?.host ?? 'sandbox'
  return host === 'gateway' || host === 'node' ? host : null
}

/** `{block, blockReason}` or `{params}`; never throws. */
function decide(policy, event, ctx, openclawConfig) {
  const tool = event?.toolName ?? ctx?.toolName
  const agent = ctx?.agentId
  const params = event && typeof event.params === 'object' && event.params !== null ? event.params : {}
  if (typeof tool !== 'string' || typeof agent !== 'string' || agent.trim() === '') {
    return { block: true, blockReason: `Palisade: no agent or tool name in the hook context (tool ${String(tool)}), so the call is not decided and not run` }
  }
  const options = {}
  if (typeof ctx.sessionKey === 'string' && ctx.sessionKey !== '') options.session = ctx.sessionKey
  if (typeof params.command === 'string') options.command = params.command
  if (typeof params.workdir === 'string') options.cwd = params.workdir
  const decision = policy.decide(agent, tool, options)
  if (decision.outcome === 'allow') return { params }
  const segment = decision.segments.find((s) => s.outcome === decision.outcome)
  const why = segment ? segment.why : decision.reason
  const at = (segment ? segment.at : decision.at) ?? null
  const where = at ? ` (${at})` : ''
  if (decision.outcome === 'ask' && approvalHost(params, openclawConfig, agent)) {
    return { params: { ...params, ask: 'always' } }
  }
  const verb = decision.outcome === 'ask' ? 'needs approval, which OpenClaw cannot ask for here' : 'denied'
  return { block: true, blockReason: `Palisade ${verb}: ${tool} for agent ${agent}: ${why}${where}` }
}

function register(api) {
  let policy = null
  let failure = 'the Palisade policy has not loaded'
  api.on(
    'before_tool_call',
    (event, ctx) => {
      if (policy === null) return { block: true, blockReason: `Palisade blocks every tool call: ${failure}` }
      try {
        return decide(policy, event, ctx, api.config)
      } catch (error) {
        return { block: true, blockReason: `Palisade could not decide, so it blocks: ${describe(error)}` }
      }
    },
    { priority: LAST },
  )
  try {
    policy = loadPolicy(api.pluginConfig ?? {}, api)
  } catch (error) {
    failure = `the policy does not load: ${describe(error)}`
    api.logger?.error?.(`[palisade] ${failure}`)
    throw new Error(`Palisade: ${failure}; every tool call is blocked`)
  }
  for (const warning of policy.warnings) api.logger?.warn?.(`[palisade] ${String(warning)}`)
  api.logger?.info?.(`[palisade] enforcing a policy for ${policy.agents.length} agent(s)`)
}

module.exports = { id, name: 'Palisade', register, decide }
