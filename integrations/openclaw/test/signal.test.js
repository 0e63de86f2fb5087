'use strict'
// Ingress against the real OpenClaw's Signal handler: its event handler's
// access checks (`resolveSignalAccessState`'s `resolveDmGroupAccessWithLists`
// for DMs and groups, pairing, the control-command gate, mention gating),
// composed from the release's own functions in the order the handler calls
// them, with its inputs derived as its monitor derives them, against
// Palisade's gate, on generated Signal configurations and messages.

const { test, before } = require('node:test')
const assert = require('node:assert/strict')
const { version, internal, unexported } = require('./openclaw.js')
const { random, ingressDifferential, senderConfiguration, sharedChoices, only } = require('./generate.js')

let oc
before(async () => {
  oc = await unexported('//#region src/signal/monitor/event-handler.ts', [
    'isSignalSenderAllowed',
    'resolveAllowlistProviderRuntimeGroupPolicy',
    'matchesMentionPatterns',
    'resolveMentionGatingWithBypass',
  ])
  for (const name of ['resolveDmGroupAccessWithLists', 'resolveChannelGroupRequireMention', 'resolveControlCommandGate', 'hasControlCommand', 'buildMentionRegexes', 'normalizeStringEntries']) {
    oc[name] = await internal(name)
  }
})

const SENDERS = ['+15550001', '+15550002', '+15550003']
const GROUPS = ['grpA', 'grpB']

const configuration = senderConfiguration('signal', SENDERS)

function message(next) {
  const pick = (items) => items[Math.floor(next() * items.length)]
  const group = next() < 0.6
  return { sender: pick(SENDERS), group, groupId: group ? pick(GROUPS) : undefined, text: pick(['hi', '@bot hi', '/status']) }
}

/** The handler's answer: drop, pair or accept. */
function theirs(config, m) {
  const cfg = config.channels.signal
  // The monitor's inputs.
  const dmPolicy = cfg.dmPolicy ?? 'pairing'
  const allowFrom = oc.normalizeStringEntries(cfg.allowFrom)
  const groupAllowFrom = oc.normalizeStringEntries(cfg.groupAllowFrom ?? (cfg.allowFrom && cfg.allowFrom.length > 0 ? cfg.allowFrom : []))
  const { groupPolicy } = oc.resolveAllowlistProviderRuntimeGroupPolicy({
    providerConfigPresent: true,
    groupPolicy: cfg.groupPolicy,
    defaultGroupPolicy: config.channels?.defaults?.groupPolicy,
  })
  // The event handler.
  const sender = { kind: 'phone', raw: m.sender, e164: m.sender }
  const access = (isGroup) =>
    oc.resolveDmGroupAccessWithLists({
      isGroup,
      dmPolicy,
      groupPolicy,
      allowFrom,
      groupAllowFrom,
      storeAllowFrom: [],
      isSenderAllowed: (entries) => oc.isSignalSenderAllowed(sender, entries),
    })
  const dmAccess = access(false)
  if (!m.group && dmAccess.decision !== 'allow') return dmAccess.decision === 'pairing' ? 'pair' : 'drop'
  if (m.group && access(true).decision !== 'allow') return 'drop'
  const commandDmAllow = m.group ? allowFrom : dmAccess.effectiveAllowFrom
  const hasControlCommand = oc.hasControlCommand(m.text, config)
  const commandGate = oc.resolveControlCommandGate({
    useAccessGroups: config.commands?.useAccessGroups !== false,
    authorizers: [
      { configured: commandDmAllow.length > 0, allowed: oc.isSignalSenderAllowed(sender, commandDmAllow) },
      { configured: dmAccess.effectiveGroupAllowFrom.length > 0, allowed: oc.isSignalSenderAllowed(sender, dmAccess.effectiveGroupAllowFrom) },
    ],
    allowTextCommands: true,
    hasControlCommand,
  })
  if (m.group && commandGate.shouldBlock) return 'drop'
  const mentionRegexes = oc.buildMentionRegexes(config, 'main')
  const wasMentioned = m.group && oc.matchesMentionPatterns(m.text, mentionRegexes)
  const requireMention = m.group && oc.resolveChannelGroupRequireMention({ cfg: config, channel: 'signal', groupId: m.groupId, accountId: 'default' })
  const canDetectMention = mentionRegexes.length > 0
  const mention = oc.resolveMentionGatingWithBypass({
    isGroup: m.group,
    requireMention: Boolean(requireMention),
    canDetectMention,
    wasMentioned,
    implicitMention: false,
    hasAnyMention: false,
    allowTextCommands: true,
    hasControlCommand,
    commandAuthorized: commandGate.commandAuthorized,
  })
  if (m.group && requireMention && canDetectMention && mention.shouldSkip) return 'drop'
  return 'accept'
}

function gate(policy, m) {
  const inbound = { kind: 'ingress', channel: 'signal', sender: m.sender, text: m.text, command: m.text.startsWith('/'), can_detect_mention: false }
  if (m.group) Object.assign(inbound, { chat: 'group', chat_id: m.groupId })
  return policy.gate(inbound)
}

/**
 * Palisade's documented ingress choices where it is stricter than this
 * release's Signal handler (ARCHITECTURE.md, "Differences from OpenClaw"),
 * each a counterfactual on the handler's input.
 */
const SIGNAL_CHOICES = only(sharedChoices('signal', theirs), 'open-keeps-group-allow-from', 'empty-group-allow-from-admits-nobody')

test(`generated Signal configurations gate as openclaw@${version}'s handler does, or stricter for a documented reason`, (t) => {
  const messages = (seed) => {
    const next = random(seed * 3571)
    return Array.from({ length: 30 }, () => message(next))
  }
  const { counts, bad, bothAccept } = ingressDifferential(t, { count: 400, configuration, messages, theirs, gate, choices: SIGNAL_CHOICES, what: '30 messages' })
  assert.ok(bothAccept > 1000, 'the generator must reach admitted messages')
  for (const choice of Object.keys(SIGNAL_CHOICES)) assert.ok(counts[choice] > 0, `no disagreement shows ${choice}`)
  assert.deepEqual(bad.slice(0, 3), [], 'disagreements no documented choice explains (or Palisade admitting more)')
})
