'use strict'
// Ingress against the real OpenClaw's WhatsApp handler: its inbound access
// control (`checkInboundAccessControl`: DM and group policy, sender lists,
// pairing) and its group gating (`applyGroupGating`: the group list,
// owners' commands, mention gating), composed from the release's own
// functions in the order they run (both read the configuration from disk,
// so they are composed, not called), against Palisade's gate, on generated
// WhatsApp configurations and messages.

const { test, before } = require('node:test')
const assert = require('node:assert/strict')
const { version, internal, unexported } = require('./openclaw.js')
const { random, told, ingressDifferential, senderConfiguration, sharedChoices, only } = require('./generate.js')

let oc
before(async () => {
  oc = await unexported('//#region src/web/auto-reply/monitor/group-gating.ts', ['resolveOwnerList', 'buildMentionConfig'])
  for (const name of [
    'resolveOpenProviderRuntimeGroupPolicy',
    'resolveDmGroupAccessWithLists',
    'normalizeE164',
    'resolveChannelGroupPolicy',
    'resolveChannelGroupRequireMention',
    'resolveMentionGating',
    'hasControlCommand',
  ]) {
    oc[name] = await internal(name)
  }
})

const SELF = '+19990000000'
const SENDERS = ['+15550001', '+15550002', '+15550003']
const GROUPS = ['111@g.us', '222@g.us']

const configuration = senderConfiguration('whatsapp', SENDERS, GROUPS)

function message(next) {
  const pick = (items) => items[Math.floor(next() * items.length)]
  const group = next() < 0.6
  return { sender: pick(SENDERS), group, groupId: group ? pick([...GROUPS, '333@g.us']) : undefined, text: pick(['hi', '@bot hi', '/status']) }
}

/** The handler's answer: drop, pair or accept. */
function theirs(config, m) {
  const wa = config.channels.whatsapp
  // `checkInboundAccessControl`, the bot's own number being SELF.
  const dmPolicy = wa.dmPolicy ?? 'pairing'
  const configuredAllowFrom = wa.allowFrom ?? []
  const dmAllowFrom = configuredAllowFrom.length > 0 ? configuredAllowFrom : [SELF]
  const groupAllowFrom = wa.groupAllowFrom ?? (configuredAllowFrom.length > 0 ? configuredAllowFrom : undefined)
  const { groupPolicy } = oc.resolveOpenProviderRuntimeGroupPolicy({
    providerConfigPresent: true,
    groupPolicy: wa.groupPolicy,
    defaultGroupPolicy: config.channels?.defaults?.groupPolicy,
  })
  const sender = oc.normalizeE164(m.sender)
  const access = oc.resolveDmGroupAccessWithLists({
    isGroup: m.group,
    dmPolicy,
    groupPolicy,
    allowFrom: m.group ? configuredAllowFrom : dmAllowFrom,
    groupAllowFrom,
    storeAllowFrom: [],
    isSenderAllowed: (entries) => entries.includes('*') || new Set(entries.map((e) => oc.normalizeE164(String(e))).filter(Boolean)).has(sender),
  })
  if (!m.group) return access.decision === 'allow' ? 'accept' : access.decision === 'pairing' ? 'pair' : 'drop'
  if (access.decision !== 'allow') return 'drop'
  // `applyGroupGating`.
  const hasGroupAllowFrom = Boolean(wa.groupAllowFrom?.length || wa.allowFrom?.length)
  const policy = oc.resolveChannelGroupPolicy({ cfg: config, channel: 'whatsapp', groupId: m.groupId, hasGroupAllowFrom })
  if (policy.allowlistEnabled && !policy.allowed) return 'drop'
  const mentionConfig = oc.buildMentionConfig(config, 'main')
  const owner = oc.resolveOwnerList(mentionConfig, SELF).includes(sender)
  const shouldBypassMention = owner && oc.hasControlCommand(m.text, config)
  const wasMentioned = mentionConfig.mentionRegexes.some((re) => re.test(m.text))
  const requireMention = oc.resolveChannelGroupRequireMention({ cfg: config, channel: 'whatsapp', groupId: m.groupId })
  const mention = oc.resolveMentionGating({ requireMention, canDetectMention: true, wasMentioned, implicitMention: false, shouldBypassMention })
  if (!shouldBypassMention && requireMention && mention.shouldSkip) return 'drop'
  return 'accept'
}

function gate(policy, m) {
  // WhatsApp reports mentions natively: `mentioned` false, and the text for patterns.
  const inbound = { kind: 'ingress', channel: 'whatsapp', sender: m.sender, text: m.text, command: m.text.startsWith('/'), mentioned: false }
  if (m.group) Object.assign(inbound, { chat: 'group', chat_id: m.groupId })
  return policy.gate(inbound)
}

/**
 * Palisade's documented ingress choices where it is stricter than this
 * release's WhatsApp handler (ARCHITECTURE.md, "Differences from OpenClaw"),
 * each a counterfactual on the handler's input.
 */
const WHATSAPP_CHOICES = {
  ...only(sharedChoices('whatsapp', theirs), 'group-policy-default-allowlist', 'open-keeps-group-allow-from', 'empty-group-allow-from-admits-nobody'),
  // With no group listed, no group gets in (the brief); the handler admits
  // every group when the channel lists none. Explained when the handler,
  // given a list that names none of the generated groups, agrees.
  'no-group-list-admits-no-group': (config, m, ours) => {
    if (Object.keys(config.channels.whatsapp.groups ?? {}).length > 0) return false
    const listed = told(config, 'whatsapp', (w) => ({ ...w, groups: { 'none@g.us': {} } }))
    return theirs(listed, m) === ours.outcome || Object.keys(WHATSAPP_CHOICES).some((c) => c !== 'no-group-list-admits-no-group' && WHATSAPP_CHOICES[c](listed, m, ours))
  },
  // A control command from a sender not authorised for commands is dropped
  // outright in Palisade; the handler lets it in as text, only without
  // skipping mention gating. Explained when the sender is no owner there.
  'unauthorised-command-dropped': (config, m, ours) =>
    ours.reason === 'a control command from a sender not authorised for commands is dropped' &&
    !oc.resolveOwnerList(oc.buildMentionConfig(config, 'main'), SELF).includes(oc.normalizeE164(m.sender)),
}

test(`generated WhatsApp configurations gate as openclaw@${version}'s handler does, or stricter for a documented reason`, (t) => {
  const messages = (seed) => {
    const next = random(seed * 2399)
    return Array.from({ length: 30 }, () => message(next))
  }
  const { counts, bad, bothAccept } = ingressDifferential(t, { count: 400, configuration, messages, theirs, gate, choices: WHATSAPP_CHOICES, what: '30 messages' })
  assert.ok(bothAccept > 1000, 'the generator must reach admitted messages')
  for (const choice of Object.keys(WHATSAPP_CHOICES)) assert.ok(counts[choice] > 0, `no disagreement shows ${choice}`)
  assert.deepEqual(bad.slice(0, 3), [], 'disagreements no documented choice explains (or Palisade admitting more)')
})
