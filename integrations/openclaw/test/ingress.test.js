'use strict'
// Ingress against the real OpenClaw: its iMessage handler's own inbound
// decision (`resolveIMessageInboundDecision`: DM and group policy, the group
// list, sender lists, pairing, mention gating, control commands) and
// Palisade's gate, on generated channel configurations and messages. The
// handler's inputs are derived from the configuration as its monitor derives
// them (`monitorIMessageProvider`).

const { test, before } = require('node:test')
const assert = require('node:assert/strict')
const { version, unexported, internal } = require('./openclaw.js')
const { random, ingressDifferential, senderConfiguration, sharedChoices, only } = require('./generate.js')

let oc
before(async () => {
  oc = await unexported('//#region src/imessage/monitor/inbound-processing.ts', [
    'resolveIMessageInboundDecision',
    'normalizeAllowList$2',
    'resolveOpenProviderRuntimeGroupPolicy',
  ])
  oc.resolveAgentRoute = await internal('resolveAgentRoute')
})

const SENDERS = ['+111', '+222', '+333']
const GROUPS = ['7', '8']

const configuration = senderConfiguration('imessage', SENDERS, GROUPS)

function message(next) {
  const pick = (items) => items[Math.floor(next() * items.length)]
  const group = next() < 0.6
  return { sender: pick(SENDERS), group, chatId: group ? pick([...GROUPS, '9']) : undefined, text: pick(['hi', '@bot hi', '/status']) }
}

/** The handler's answer: drop, pair or accept. */
function theirs(config, m) {
  const cfg = config.channels.imessage
  const allowFrom = oc['normalizeAllowList$2'](cfg.allowFrom)
  const groupAllowFrom = oc['normalizeAllowList$2'](cfg.groupAllowFrom ?? (cfg.allowFrom && cfg.allowFrom.length > 0 ? cfg.allowFrom : []))
  const { groupPolicy } = oc.resolveOpenProviderRuntimeGroupPolicy({
    providerConfigPresent: true,
    groupPolicy: cfg.groupPolicy,
    defaultGroupPolicy: config.channels?.defaults?.groupPolicy,
  })
  const message = { id: 1, sender: m.sender, text: m.text, is_group: m.group, is_from_me: false }
  if (m.group) message.chat_id = Number(m.chatId)
  const decision = oc.resolveIMessageInboundDecision({
    cfg: config,
    accountId: 'default',
    message,
    opts: {},
    messageText: m.text,
    bodyText: m.text,
    allowFrom,
    groupAllowFrom,
    groupPolicy,
    dmPolicy: cfg.dmPolicy ?? 'pairing',
    storeAllowFrom: [],
    historyLimit: 0,
    groupHistories: new Map(),
  })
  return { dispatch: 'accept', pairing: 'pair', drop: 'drop' }[decision.kind] ?? `unknown ${decision.kind}`
}

function gate(policy, m) {
  const inbound = { kind: 'ingress', channel: 'imessage', sender: m.sender, text: m.text, command: m.text.startsWith('/'), can_detect_mention: false }
  if (m.group) Object.assign(inbound, { chat: 'group', chat_id: m.chatId })
  return policy.gate(inbound)
}

/**
 * Palisade's documented ingress choices where it is stricter than this
 * release's iMessage handler (ARCHITECTURE.md, "Differences from OpenClaw"),
 * each checked as a counterfactual on the disagreement it explains.
 */
const INGRESS_CHOICES = only(sharedChoices('imessage', theirs), 'group-policy-default-allowlist', 'open-keeps-group-allow-from')

test(`generated iMessage configurations gate as openclaw@${version}'s handler does, or stricter for a documented reason`, (t) => {
  const messages = (seed) => {
    const next = random(seed * 104729)
    return Array.from({ length: 30 }, () => message(next))
  }
  const { counts, bad } = ingressDifferential(t, { count: 400, configuration, messages, theirs, gate, choices: INGRESS_CHOICES, what: '30 messages' })
  for (const choice of Object.keys(INGRESS_CHOICES)) assert.ok(counts[choice] > 0, `no disagreement shows ${choice}`)
  assert.deepEqual(bad.slice(0, 3), [], 'disagreements no documented choice explains (or Palisade admitting more)')
})
