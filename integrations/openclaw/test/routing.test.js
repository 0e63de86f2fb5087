'use strict'
// Routing against the real OpenClaw: its own `resolveAgentRoute` and
// Palisade's router pick the agent and the session key for the same message,
// over the corpus's OpenClaw configuration and generated ones (agents,
// bindings by peer, guild and roles, team, account; dmScope; identity links).

const { test, before } = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const path = require('node:path')
const JSON5 = require('json5')
const { version, internal } = require('./openclaw.js')
const { random } = require('./generate.js')
const { Policy } = require('palisade')

const oc = {}
before(async () => {
  for (const name of ['resolveAgentRoute', 'resolveThreadSessionKeys', 'buildTelegramGroupPeerId', 'buildTelegramParentPeer']) oc[name] = await internal(name)
})

const CHANNELS = ['telegram', 'discord', 'slack', 'whatsapp']
const PEERS = ['111', '222', 'C9', '-100']
const SCOPES = ['main', 'per-peer', 'per-channel-peer', 'per-account-channel-peer']

/** Configuration number `seed`: agents, bindings and session settings. */
function configuration(seed) {
  const next = random(seed)
  const pick = (items) => items[Math.floor(next() * items.length)]
  const agents = ['main', 'family', 'work'].slice(0, 1 + Math.floor(next() * 3)).map((id, i) => (i === 1 && next() < 0.3 ? { id, default: true } : { id }))
  const bindings = []
  for (let i = Math.floor(next() * 5); i > 0; i--) {
    const match = { channel: pick(CHANNELS) }
    if (next() < 0.3) match.accountId = pick(['*', 'work', 'default'])
    if (next() < 0.5) match.peer = { kind: pick(['direct', 'group', 'channel']), id: pick([...PEERS, '*']) }
    if (next() < 0.3) match.guildId = pick(['g1', 'g2'])
    if (match.guildId && next() < 0.5) match.roles = [pick(['r1', 'r2'])]
    if (next() < 0.15) match.teamId = 'T1'
    bindings.push({ agentId: pick(agents).id, match })
  }
  const session = { dmScope: pick(SCOPES) }
  if (next() < 0.4) session.identityLinks = { alice: ['telegram:111', 'discord:222'] }
  return { agents: { list: agents }, bindings, session }
}

/** Message number `i` of a run: a DM or a group/channel message with its context. */
function message(next) {
  const pick = (items) => items[Math.floor(next() * items.length)]
  const channel = pick(CHANNELS)
  const kind = pick(['direct', 'group', 'channel'])
  // `c9`: a peer id that differs from a binding's (`C9`) only in case.
  const m = { channel, kind, id: pick([...PEERS, 'c9']), account: next() < 0.3 ? pick(['work', 'default']) : undefined }
  if (next() < 0.3) m.guild = pick(['g1', 'g2'])
  if (m.guild && next() < 0.5) m.roles = [pick(['r1', 'r2'])]
  if (next() < 0.15) m.team = 'T1'
  // A Telegram forum topic, or a thread (Slack's are timestamps).
  if (channel === 'telegram' && kind === 'group' && next() < 0.3) m.topic = pick(['7', '8'])
  else if (next() < 0.25) m.thread = pick(['1700000000.000100', 'T9'])
  return m
}

/**
 * The release's route: `resolveAgentRoute`, with a Telegram topic as the
 * Telegram handler gives it (the topic in the peer id, the group as the
 * parent peer) and a thread suffix as the Slack and Discord handlers add it
 * (`resolveThreadSessionKeys`).
 */
function theirs(config, m) {
  const peer = m.topic === undefined ? { kind: m.kind, id: m.id } : { kind: m.kind, id: oc.buildTelegramGroupPeerId(m.id, m.topic) }
  const parentPeer = m.topic === undefined ? undefined : oc.buildTelegramParentPeer({ isGroup: true, resolvedThreadId: m.topic, chatId: m.id })
  const route = oc.resolveAgentRoute({
    cfg: config,
    channel: m.channel,
    accountId: m.account,
    peer,
    parentPeer,
    guildId: m.guild,
    teamId: m.team,
    memberRoleIds: m.roles,
  })
  const session = oc.resolveThreadSessionKeys({ baseSessionKey: route.sessionKey, threadId: m.thread }).sessionKey
  return { agent: route.agentId, session }
}

function ours(policy, m) {
  const inbound = { kind: 'route', channel: m.channel, sender: m.kind === 'direct' ? m.id : 'someone', text: '' }
  if (m.kind !== 'direct') Object.assign(inbound, { chat: m.kind, chat_id: m.id })
  if (m.account !== undefined) inbound.account = m.account
  if (m.guild !== undefined) inbound.guild = m.guild
  if (m.team !== undefined) inbound.team = m.team
  if (m.roles !== undefined) inbound.roles = m.roles
  if (m.thread !== undefined) inbound.thread = m.thread
  if (m.topic !== undefined) inbound.topic = m.topic
  const route = policy.route(inbound)
  return { agent: route.agent, session: route.session_key }
}

/**
 * Palisade's documented routing choices (ARCHITECTURE.md, "Differences from
 * OpenClaw 2026.2.26"), each a counterfactual: `config` changes the
 * configuration on both sides, `theirs` OpenClaw's input alone, `session`
 * relaxes how keys compare; each returns null where it does not apply. A
 * disagreement is explained by the smallest set of choices that, applied
 * together, makes the two routes agree.
 */
const ROUTING_CHOICES = {
  // Linked identities key as `link:<name>`, so an unlinked peer whose id is
  // the canonical name cannot share the linked session.
  'link-namespace': { session: (a, b) => a === b.replace(':link:', ':') },
  // A binding's `peer: { id: "*" }` is the brief's peer wildcard tier; this
  // release reads `*` as a literal id.
  'peer-wildcard': {
    config: (config) => {
      const bindings = (config.bindings ?? []).filter((binding) => binding?.match?.peer?.id !== '*')
      return bindings.length === (config.bindings ?? []).length ? null : { ...config, bindings }
    },
  },
  // Peer ids are compared case-insensitively (the brief lowercases ids);
  // this release matches a binding's peer id as written.
  'peer-id-case-insensitive': {
    theirs: (config, m) => {
      const lower = (binding) => (binding?.match?.peer?.id ? { ...binding, match: { ...binding.match, peer: { ...binding.match.peer, id: binding.match.peer.id.toLowerCase() } } } : binding)
      const bindings = (config.bindings ?? []).map(lower)
      if (JSON.stringify(bindings) === JSON.stringify(config.bindings ?? []) && m.id === m.id.toLowerCase()) return null
      return [{ ...config, bindings }, { ...m, id: m.id.toLowerCase() }]
    },
  },
  // A thread suffix belongs to group and room keys only (a DM thread stays
  // in the DM's session); the Slack handler suffixes DM threads too.
  'no-thread-in-dm-keys': { theirs: (config, m) => (m.kind === 'direct' && m.thread !== undefined ? [config, { ...m, thread: undefined }] : null) },
}

const compiledFor = new Map()
/** Palisade's route for `m` under `config` (compiled once per text). */
function oursUnder(config, m) {
  const text = JSON.stringify(config)
  if (!compiledFor.has(text)) compiledFor.set(text, Policy.fromOpenclawJson(text, { name: 'counterfactual.json' }))
  return ours(compiledFor.get(text), m)
}

/** The smallest set of choices that explains `a` against `b`, or null. */
function explain(config, m) {
  const names = Object.keys(ROUTING_CHOICES)
  const subsets = []
  for (let bits = 1; bits < 1 << names.length; bits++) subsets.push(names.filter((_, i) => bits & (1 << i)))
  subsets.sort((x, y) => x.length - y.length)
  for (const subset of subsets) {
    const choices = subset.map((name) => ROUTING_CHOICES[name])
    // Configuration changes first, on both sides; then OpenClaw's input alone.
    let both = config
    for (const choice of choices.filter((c) => c.config)) both = both === null ? null : choice.config(both)
    let input = both === null ? null : [both, m]
    for (const choice of choices.filter((c) => c.theirs)) input = input === null ? null : choice.theirs(...input)
    if (input === null) continue
    const a = theirs(...input)
    const b = oursUnder(both, m)
    const same = (x, y) => x === y || choices.some((c) => c.session?.(x, y))
    if (a.agent === b.agent && same(a.session, b.session)) return subset.join('+')
  }
  return null
}

function compare(text, name, messages) {
  const config = JSON5.parse(text)
  const policy = Policy.fromOpenclawJson(text, { name })
  compiledFor.set(JSON.stringify(config), policy)
  const found = []
  for (const m of messages) {
    const a = theirs(config, m)
    const b = ours(policy, m)
    if (a.agent === b.agent && a.session === b.session) continue
    found.push({ message: m, openclaw: a, palisade: b, choice: explain(config, m) })
  }
  return found
}

test(`generated configurations route as openclaw@${version}'s resolveAgentRoute does`, (t) => {
  let compared = 0
  let refused = 0
  const disagreements = []
  for (let seed = 1; seed <= 300; seed++) {
    const text = JSON.stringify(configuration(seed))
    const next = random(seed * 7919)
    const messages = Array.from({ length: 40 }, () => message(next))
    let found
    try {
      found = compare(text, `seed-${seed}.json`, messages)
    } catch (error) {
      assert.ok(error.diagnostics, error.stack)
      refused += 1
      continue
    }
    compared += 1
    for (const d of found) disagreements.push({ seed, ...d })
  }
  const counts = {}
  for (const d of disagreements) for (const choice of String(d.choice).split('+')) counts[choice] = (counts[choice] ?? 0) + 1
  t.diagnostic(`compared ${compared} configurations x 40 messages, refused ${refused}; disagreements by choice: ${JSON.stringify(counts)}`)
  assert.deepEqual(disagreements.filter((d) => d.choice === null).slice(0, 5), [], 'disagreements no documented choice explains')
  for (const choice of Object.keys(ROUTING_CHOICES)) assert.ok(counts[choice] > 0, `no disagreement shows ${choice}`)
  assert.ok(compared >= 250)
})

test(`the corpus's OpenClaw route cases route as openclaw@${version} does`, () => {
  const corpus = path.join(__dirname, '..', '..', '..', 'tests', 'corpus')
  let checked = 0
  for (const dir of fs.readdirSync(corpus).filter((d) => d.startsWith('openclaw'))) {
    const file = path.join(corpus, dir, 'policy.json')
    const messages = fs
      .readFileSync(path.join(corpus, dir, 'cases.jsonl'), 'utf8')
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => JSON.parse(line))
      .filter((c) => c.kind === 'route' && !c.thread && !c.topic && !c.parent)
      .map((c) => ({ channel: c.channel, kind: c.chat ?? 'direct', id: c.chat_id ?? c.sender, account: c.account, guild: c.guild, team: c.team, roles: c.roles }))
    const found = compare(fs.readFileSync(file, 'utf8'), file, messages)
    assert.deepEqual(found.filter((d) => d.choice === null), [], file)
    checked += messages.length
  }
  assert.ok(checked >= 3, `only ${checked} route cases`)
})
