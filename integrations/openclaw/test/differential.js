'use strict'
// The differential: OpenClaw's own functions against Palisade, on one
// configuration and one question at a time. Each `openclaw*` function
// composes OpenClaw's exported functions exactly as its gateway does (the
// composition is copied from the release's `createOpenClawCodingTools`);
// each `palisade*` function asks the Node binding the same question.

const { internal } = require('./openclaw.js')
const { Policy } = require('palisade')
const JSON5 = require('json5')

/** Every tool either side knows, plus one neither does (a plugin's). */
const TOOLS = [
  'read', 'write', 'edit', 'apply_patch', 'exec', 'process',
  'sessions_list', 'sessions_history', 'sessions_send', 'sessions_spawn', 'session_status', 'agents_list',
  'memory_search', 'memory_get', 'web_search', 'web_fetch', 'browser', 'canvas',
  'cron', 'gateway', 'message', 'nodes', 'image', 'custom_plugin_tool',
]

let oc = null
async function openclaw() {
  if (oc) return oc
  const names = [
    'resolveEffectiveToolPolicy', 'resolveToolProfilePolicy', 'mergeAlsoAllowPolicy', 'applyToolPolicyPipeline',
    'buildDefaultToolPolicyPipelineSteps', 'applyOwnerOnlyToolPolicy', 'resolveSandboxRuntimeStatus',
    'resolveSandboxConfigForAgent', 'isSubagentSessionKey', 'resolveSubagentToolPolicy', 'expandToolGroups',
    'resolveAgentConfig',
  ]
  oc = {}
  for (const name of names) oc[name] = await internal(name)
  return oc
}

/** OpenClaw's tool-name globs: `*` is the only wildcard. */
function globMatches(pattern, name) {
  const source = pattern.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')
  return new RegExp(`^${source}$`).test(name)
}

/**
 * Palisade's documented choices where it reads a configuration more strictly
 * than OpenClaw 2026.2.26 (ARCHITECTURE.md, "Differences from OpenClaw").
 * Each one is applied to OpenClaw's own pipeline below as a counterfactual:
 * a disagreement is explained when applying the choice makes OpenClaw agree.
 */
const CHOICES = {
  'sandbox-image': 'OpenClaw adds `image` to a non-empty sandbox allow list that neither lists nor denies it; Palisade grants nothing implicitly',
  'apply-patch-via-exec': 'OpenClaw lets an allow list that admits `exec` admit `apply_patch`; Palisade grants nothing implicitly',
  'coding-has-cron': "OpenClaw 2026.2.26's `coding` profile holds `cron`; Palisade's built-in `coding` is the seed's, without it",
  'global-also-allow-lent': "OpenClaw adds the global `alsoAllow` to an agent's own profile; in Palisade an agent's profile replaces the global one with its `also_allow`",
  'core-less-allow-ignored': 'OpenClaw ignores an allow list that names no core tool exactly (only globs, plugin tools or tools the caller lacks); Palisade applies it',
  'subagent-allow-lifts-fixed-deny': "OpenClaw's sub-agent allow list lifts its fixed sub-agent denials; in Palisade they hold whatever the sub-agent policy says",
}

/** Adds `apply_patch` to the deny of a policy whose allow list admits `exec` but not `apply_patch` itself. */
function withoutApplyPatchViaExec(o, policy) {
  if (!policy?.allow || policy.allow.length === 0) return policy
  const allow = o.expandToolGroups(policy.allow)
  const admits = (name) => allow.some((entry) => globMatches(entry, name))
  if (!admits('exec') || admits('apply_patch')) return policy
  return { ...policy, deny: [...(policy.deny ?? []), 'apply_patch'] }
}

/**
 * The tools OpenClaw gives an agent in a session: its tool-policy pipeline
 * over every known tool (profile, provider profile, global, provider, agent,
 * agent provider, sandbox when the session runs sandboxed, sub-agent when it
 * is a sub-agent's), after its owner-only filter; with `choices` applied.
 */
function openclawTools(o, config, { agent, session, owner = false, provider }, choices = new Set()) {
  const [modelProvider, modelId] = provider ? provider.split('/') : [undefined, undefined]
  const effective = o.resolveEffectiveToolPolicy({ config, sessionKey: session, agentId: agent, modelProvider, modelId })
  const agentTools = o.resolveAgentConfig(config, effective.agentId)?.tools
  let { profileAlsoAllow, providerProfileAlsoAllow } = effective
  if (choices.has('global-also-allow-lent')) {
    if (agentTools?.profile !== undefined && !Array.isArray(agentTools?.alsoAllow)) profileAlsoAllow = undefined
    const agentProvider = Object.entries(agentTools?.byProvider ?? {}).some(([, entry]) => entry?.profile !== undefined)
    if (agentProvider) providerProfileAlsoAllow = undefined
  }
  let profilePolicy = o.resolveToolProfilePolicy(effective.profile)
  let providerProfilePolicy = o.resolveToolProfilePolicy(effective.providerProfile)
  if (choices.has('coding-has-cron')) {
    const seed = (policy, name) => (name === 'coding' && policy ? { ...policy, allow: policy.allow.filter((t) => t !== 'cron') } : policy)
    profilePolicy = seed(profilePolicy, effective.profile)
    providerProfilePolicy = seed(providerProfilePolicy, effective.providerProfile)
  }
  profilePolicy = o.mergeAlsoAllowPolicy(profilePolicy, profileAlsoAllow)
  providerProfilePolicy = o.mergeAlsoAllowPolicy(providerProfilePolicy, providerProfileAlsoAllow)
  const sandboxed = o.resolveSandboxRuntimeStatus({ cfg: config, sessionKey: session }).sandboxed
  let sandboxTools = sandboxed ? o.resolveSandboxConfigForAgent(config, effective.agentId).tools : undefined
  if (sandboxTools && choices.has('sandbox-image')) {
    const configured = agentTools?.sandbox?.tools?.allow ?? config?.tools?.sandbox?.tools?.allow
    if (Array.isArray(configured) && !o.expandToolGroups(configured).includes('image')) {
      sandboxTools = { ...sandboxTools, allow: sandboxTools.allow.filter((t) => t !== 'image') }
    }
  }
  const subagent = Boolean(session && o.isSubagentSessionKey(session))
  let subagentPolicy = subagent ? o.resolveSubagentToolPolicy(config, 1) : undefined
  if (subagentPolicy && choices.has('subagent-allow-lifts-fixed-deny')) {
    const fixed = o.resolveSubagentToolPolicy({ ...config, tools: { ...config.tools, subagents: undefined } }, 1).deny
    subagentPolicy = { ...subagentPolicy, deny: [...fixed, ...subagentPolicy.deny] }
  }
  let steps = [
    ...o.buildDefaultToolPolicyPipelineSteps({
      profilePolicy,
      profile: effective.profile,
      providerProfilePolicy,
      providerProfile: effective.providerProfile,
      globalPolicy: effective.globalPolicy,
      globalProviderPolicy: effective.globalProviderPolicy,
      agentPolicy: effective.agentPolicy,
      agentProviderPolicy: effective.agentProviderPolicy,
      groupPolicy: undefined,
      agentId: effective.agentId,
    }),
    { policy: sandboxTools, label: 'sandbox tools.allow' },
    { policy: subagentPolicy, label: 'subagent tools.allow' },
  ]
  if (choices.has('core-less-allow-ignored')) steps = steps.map((step) => ({ ...step, stripPluginOnlyAllowlist: false }))
  if (choices.has('apply-patch-via-exec')) steps = steps.map((step) => ({ ...step, policy: withoutApplyPatchViaExec(o, step.policy) }))
  const tools = o.applyOwnerOnlyToolPolicy(TOOLS.map((name) => ({ name })), owner)
  const kept = o.applyToolPolicyPipeline({
    tools,
    // The one plugin tool is a plugin's, as OpenClaw registers it.
    toolMeta: (tool) => (tool.name === 'custom_plugin_tool' ? { pluginId: 'custom' } : undefined),
    warn: () => {},
    steps,
  })
  return { tools: new Set(kept.map((tool) => tool.name)), sandboxed }
}

/** The tools Palisade lets the agent call there, at the tool level (exec under command rules counts). */
function palisadeTools(policy, { agent, session, owner = false, provider }) {
  const options = { session, owner }
  if (provider) options.provider = provider
  const available = new Set()
  for (const tool of TOOLS) {
    const outcome = policy.outcome(agent, tool, options)
    if (outcome === 'allow') available.add(tool)
  }
  const listed = policy.tools(agent, options)
  if (listed.byCommand) available.add(listed.byCommand)
  return available
}

/** Which documented choice explains that OpenClaw allows `tool` where Palisade does not; null when none does. */
function explain(o, config, request, tool) {
  for (const choice of Object.keys(CHOICES)) {
    if (!openclawTools(o, config, request, new Set([choice])).tools.has(tool)) return choice
  }
  return openclawTools(o, config, request, new Set(Object.keys(CHOICES))).tools.has(tool) ? null : 'several'
}

/**
 * Every disagreement on the tools of a configuration's agents, in main,
 * direct-chat and sub-agent sessions, each with the documented choice that
 * explains it (`choice: null` is a bug: undocumented, or Palisade failing open).
 */
async function toolDisagreements(text, { name = 'generated.json', requests } = {}) {
  const o = await openclaw()
  const config = JSON5.parse(text)
  const policy = Policy.fromOpenclawJson(text, { name })
  const found = []
  for (const request of requests ?? defaultRequests(policy, config)) {
    const theirs = openclawTools(o, config, request)
    const ours = palisadeTools(policy, request)
    for (const tool of TOOLS) {
      const openclawAllows = theirs.tools.has(tool)
      const palisadeAllows = ours.has(tool)
      if (openclawAllows === palisadeAllows) continue
      const choice = palisadeAllows ? null : explain(o, config, request, tool)
      found.push({ ...request, tool, openclaw: openclawAllows, palisade: palisadeAllows, sandboxed: theirs.sandboxed, choice })
    }
  }
  return found
}

/** The model providers worth asking about: one no entry names, and each entry's. */
function providers(config) {
  const keys = new Set()
  const scopes = [config?.tools, ...(config?.agents?.list ?? []).map((agent) => agent?.tools)]
  for (const tools of scopes) for (const key of Object.keys(tools?.byProvider ?? {})) keys.add(key)
  return ['anthropic/claude-opus-4-5', ...[...keys].map((key) => (key.includes('/') ? key : `${key}/some-model`))]
}

/** Each agent in its main session, a direct chat and a sub-agent's session, as owner and not, under each provider. */
function defaultRequests(policy, config) {
  const requests = []
  for (const agent of policy.agents) {
    for (const session of [`agent:${agent}:main`, `agent:${agent}:telegram:direct:42`, `agent:${agent}:subagent:7`]) {
      for (const owner of [false, true]) {
        for (const provider of providers(config)) requests.push({ agent, session, owner, provider })
      }
    }
  }
  return requests
}

module.exports = { TOOLS, CHOICES, openclaw, openclawTools, palisadeTools, toolDisagreements }
