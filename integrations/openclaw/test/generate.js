'use strict'
// Generated OpenClaw configurations for the differential: a seeded walk over
// the tool-policy settings both sides read (profiles, allow, deny, alsoAllow,
// byProvider, sandbox modes and tool policies, sub-agent policies, agents).

/** Mulberry32: a small seeded generator, so a failing seed can be replayed. */
function random(seed) {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const ENTRIES = [
  'read', 'write', 'edit', 'apply_patch', 'exec', 'process', 'browser', 'canvas', 'cron', 'gateway',
  'message', 'nodes', 'image', 'web_search', 'web_fetch', 'memory_search', 'sessions_send', 'sessions_spawn',
  'session_status', 'agents_list', 'custom_plugin_tool',
  'group:fs', 'group:runtime', 'group:sessions', 'group:memory', 'group:web', 'group:ui', 'group:automation',
  'group:messaging', 'group:nodes', 'web_*', 'session*', '*', 'bash', 'apply-patch', 'Read', ' exec ',
]
const PROFILES = ['minimal', 'coding', 'messaging', 'full']
const MODES = ['off', 'non-main', 'all']

/** A seeded generator with its two common questions. */
function dice(seed) {
  const next = random(seed)
  return { next, chance: (p) => next() < p, pick: (items) => items[Math.floor(next() * items.length)] }
}

/** `config` with channel `name`'s settings changed by `change` (a copy). */
function told(config, name, change) {
  return { ...config, channels: { ...config.channels, [name]: change(structuredClone(config.channels[name])) } }
}

function generator(seed) {
  const { next, chance, pick } = dice(seed)
  /** One to `max` entries; now and then none (Palisade refuses `allow: []`, fail closed). */
  const some = (max) => {
    const out = new Set()
    const n = chance(0.05) ? 0 : 1 + Math.floor(next() * max)
    for (let i = 0; i < n; i++) out.add(pick(ENTRIES))
    return [...out]
  }
  /** One scope's tool policy: a profile, then allow or alsoAllow (never both), then deny. */
  const policy = ({ profiles = true } = {}) => {
    const tools = {}
    if (profiles && chance(0.5)) tools.profile = pick(PROFILES)
    if (chance(0.4)) tools.allow = some(4)
    else if (profiles && chance(0.2)) tools.alsoAllow = some(2)
    if (chance(0.5)) tools.deny = some(3)
    return tools
  }
  return { chance, pick, policy }
}

/** Configuration number `seed`. */
function configuration(seed) {
  const { chance, pick, policy } = generator(seed)
  const tools = policy()
  if (chance(0.3)) tools.byProvider = { openai: policy(), ...(chance(0.5) ? { 'openai/gpt-5-mini': policy() } : {}) }
  if (chance(0.3)) tools.subagents = { tools: policy({ profiles: false }) }
  if (chance(0.4)) tools.sandbox = { tools: policy({ profiles: false }) }
  const defaults = chance(0.7) ? { sandbox: { mode: pick(MODES) } } : {}
  const list = []
  const count = 1 + (chance(0.5) ? 1 : 0) + (chance(0.3) ? 1 : 0)
  for (let i = 0; i < count; i++) {
    const agent = { id: ['main', 'family', 'work'][i] }
    if (i === 0) agent.default = true
    if (chance(0.6)) agent.tools = policy()
    if (chance(0.3)) agent.tools = { ...(agent.tools ?? {}), sandbox: { tools: policy({ profiles: false }) } }
    if (chance(0.4)) agent.sandbox = { mode: pick(MODES) }
    list.push(agent)
  }
  return { tools, agents: { defaults, list } }
}

/**
 * Configurations `1..count` of `make`, each with Palisade's compiled policy;
 * `tally.refused` counts those Palisade refuses (with diagnostics: fail closed).
 */
function* compiled(count, make, tally) {
  const { Policy } = require('palisade')
  for (let seed = 1; seed <= count; seed++) {
    const config = make(seed)
    let policy
    try {
      policy = Policy.fromOpenclawJson(JSON.stringify(config), { name: `seed-${seed}.json` })
    } catch (error) {
      if (!error.diagnostics) throw error
      tally.refused += 1
      continue
    }
    tally.compared += 1
    yield { seed, config, policy }
  }
}

/**
 * A channel's DM and group sender settings, as the sender-list handlers
 * (iMessage, Signal, WhatsApp) read them, with `groups` from `groupIds`
 * when given; and, now and then, mention patterns for the configuration.
 */
function senderChannel(seed, senders, groupIds) {
  const { chance, pick } = dice(seed)
  const some = () => senders.filter(() => chance(0.4))
  const channel = {}
  if (chance(0.8)) channel.dmPolicy = pick(['pairing', 'allowlist', 'open', 'disabled'])
  if (chance(0.7)) channel.allowFrom = chance(0.2) ? ['*'] : some()
  if (channel.dmPolicy === 'open') channel.allowFrom = ['*', ...(channel.allowFrom ?? [])]
  if (channel.dmPolicy === 'allowlist' && (channel.allowFrom ?? []).length === 0) channel.allowFrom = [pick(senders)]
  if (chance(0.7)) channel.groupPolicy = pick(['open', 'allowlist', 'disabled'])
  if (chance(0.5)) channel.groupAllowFrom = chance(0.2) ? ['*'] : some()
  if (groupIds && chance(0.6)) {
    channel.groups = {}
    for (const id of [...groupIds, '*']) {
      if (chance(0.5)) channel.groups[id] = chance(0.6) ? { requireMention: chance(0.5) } : {}
    }
  }
  const patterns = chance(0.6)
  return { channel, patterns }
}

/** Configuration `seed` of channel `name` made by `senderChannel`. */
function senderConfiguration(name, senders, groupIds) {
  return (seed) => {
    const { channel, patterns } = senderChannel(seed, senders, groupIds)
    const config = { agents: { list: [{ id: 'main' }] }, channels: { [name]: channel } }
    if (patterns) config.messages = { groupChat: { mentionPatterns: ['@bot'] } }
    return config
  }
}

/**
 * Palisade's documented ingress choices that several handlers share
 * (ARCHITECTURE.md, "Differences from OpenClaw"), each a counterfactual on
 * channel `name`'s settings: the disagreement counts as explained only when
 * the handler (`theirs`), given the changed settings, agrees.
 */
function sharedChoices(name, theirs) {
  const allowlist = (config) => told(config, name, (c) => ({ ...c, groupPolicy: 'allowlist' }))
  const choices = {
    // No `groupPolicy`: Palisade's default is `allowlist` (the brief); these
    // handlers fall back to `open` when the channel is configured.
    'group-policy-default-allowlist': (config, m, ours) =>
      config.channels[name].groupPolicy === undefined && theirs(allowlist(config), m) === ours.outcome,
    // Under `open`, an explicit groupAllowFrom still binds in Palisade; the
    // handlers check no sender under `open` (they do under `allowlist`).
    'open-keeps-group-allow-from': (config, m, ours) =>
      config.channels[name].groupAllowFrom !== undefined &&
      ours.reason === 'the sender is not on the group sender list' &&
      theirs(allowlist(config), m) === ours.outcome,
    // An explicitly empty groupAllowFrom admits nobody in Palisade (`[]` is
    // kept apart from a left-out list); the shared
    // `resolveGroupAllowFromSources` falls back to allowFrom.
    'empty-group-allow-from-admits-nobody': (config, m, ours) => {
      const list = config.channels[name].groupAllowFrom
      if (!Array.isArray(list) || list.length > 0) return false
      const nobody = told(config, name, (c) => ({ ...c, groupAllowFrom: ['nobody-at-all'] }))
      return theirs(nobody, m) === ours.outcome || choices['open-keeps-group-allow-from'](nobody, m, ours)
    },
  }
  return choices
}

/** `choices` without those not named. */
function only(choices, ...names) {
  return Object.fromEntries(names.map((n) => [n, choices[n]]))
}

/**
 * Whether a handler's own mention gate (`resolveMentionGatingWithBypass`)
 * drops a plain group message (not a command) where the platform reports
 * mentions natively, as the Discord and Slack handlers call it.
 */
function plainMessageSkipped(resolveMentionGatingWithBypass, requireMention, mentioned) {
  const gate = resolveMentionGatingWithBypass({
    isGroup: true,
    requireMention: Boolean(requireMention),
    canDetectMention: true,
    wasMentioned: mentioned,
    implicitMention: false,
    hasAnyMention: mentioned,
    allowTextCommands: true,
    hasControlCommand: false,
    commandAuthorized: false,
  })
  return Boolean(requireMention) && gate.shouldSkip
}

/** How far a message gets. */
const RANK = { drop: 0, pair: 1, accept: 2 }

/**
 * The ingress differential every channel's test runs: configurations
 * `1..count`, each message of `messages(seed)` decided by the handler
 * (`theirs`) and by Palisade (`gate`). A disagreement is explained only by
 * a choice of `choices` (each a counterfactual) where Palisade is stricter;
 * the rest, and anything Palisade admits further, come back in `bad`.
 */
function ingressDifferential(t, { count, configuration, messages, theirs, gate, choices, what }) {
  const counts = {}
  const bad = []
  let bothAccept = 0
  const tally = { compared: 0, refused: 0 }
  for (const { seed, config, policy } of compiled(count, configuration, tally)) {
    for (const m of messages(seed)) {
      const ours = gate(policy, m)
      const a = theirs(config, m)
      if (a === 'accept' && ours.outcome === 'accept') bothAccept += 1
      if (a === ours.outcome) continue
      const choice = RANK[ours.outcome] < RANK[a] ? Object.keys(choices).find((c) => choices[c](config, m, ours)) ?? null : null
      counts[choice] = (counts[choice] ?? 0) + 1
      if (choice === null) bad.push({ seed, channels: config.channels, message: m, openclaw: a, palisade: ours.outcome, why: ours.reason })
    }
  }
  t.diagnostic(`compared ${tally.compared} configurations x ${what}, refused ${tally.refused}; both admit ${bothAccept}; disagreements by choice: ${JSON.stringify(counts)}`)
  if (process.env.SHOW) for (const d of bad.slice(0, 50)) console.log(JSON.stringify(d))
  return { counts, bad, bothAccept }
}

module.exports = { configuration, random, dice, told, compiled, ingressDifferential, senderConfiguration, sharedChoices, only, plainMessageSkipped }
