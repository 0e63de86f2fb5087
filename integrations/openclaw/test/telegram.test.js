'use strict'
// Ingress against the real OpenClaw's Telegram handler: its own group access
// checks (`evaluateTelegramGroupBaseAccess`, then
// `evaluateTelegramGroupPolicyAccess` with `resolveChannelGroupPolicy`),
// composed as its message handler composes them, against Palisade's gate, on
// generated Telegram configurations. Messages mention the bot and are not
// commands, so what is compared is who gets into which group.

const { test, before } = require('node:test')
const assert = require('node:assert/strict')
const { version, unexported } = require('./openclaw.js')
const { dice, told, ingressDifferential, sharedChoices, only } = require('./generate.js')

let oc
before(async () => {
  oc = await unexported('//#region src/telegram/', [
    'evaluateTelegramGroupBaseAccess',
    'evaluateTelegramGroupPolicyAccess',
    'resolveChannelGroupPolicy',
    'normalizeAllowFrom$2',
  ])
})

const SENDERS = ['111', '222', '333']
const GROUPS = ['-100', '-200']

function configuration(seed) {
  const { chance, pick } = dice(seed)
  const some = () => SENDERS.filter(() => chance(0.4))
  const telegram = {}
  if (chance(0.5)) telegram.allowFrom = some()
  if (chance(0.7)) telegram.groupPolicy = pick(['open', 'allowlist', 'disabled'])
  if (chance(0.5)) telegram.groupAllowFrom = chance(0.2) ? ['*'] : some()
  if (chance(0.7)) {
    telegram.groups = {}
    for (const id of [...GROUPS, '*']) {
      if (!chance(0.5)) continue
      const entry = {}
      if (chance(0.3)) entry.allowFrom = chance(0.2) ? ['*'] : some()
      if (chance(0.15)) entry.enabled = false
      if (chance(0.2)) entry.groupPolicy = pick(['open', 'allowlist', 'disabled'])
      telegram.groups[id] = entry
    }
  }
  return { agents: { list: [{ id: 'main' }] }, channels: { telegram } }
}

/** Admitted by the handler's access checks? */
function theirs(config, { chatId, sender: senderId }) {
  const cfg = config
  const telegramCfg = config.channels.telegram
  const groups = telegramCfg.groups
  const groupConfig = groups ? groups[chatId] ?? groups['*'] : undefined
  const groupAllowOverride = groupConfig?.allowFrom
  const groupAllowFrom = telegramCfg.groupAllowFrom ?? (telegramCfg.allowFrom && telegramCfg.allowFrom.length > 0 ? telegramCfg.allowFrom : undefined)
  const effectiveGroupAllow = oc['normalizeAllowFrom$2'](groupAllowOverride ?? groupAllowFrom)
  const base = oc.evaluateTelegramGroupBaseAccess({
    isGroup: true,
    groupConfig,
    topicConfig: undefined,
    hasGroupAllowOverride: groupAllowOverride !== undefined,
    effectiveGroupAllow,
    senderId,
    senderUsername: '',
    enforceAllowOverride: true,
    requireSenderForAllowOverride: true,
  })
  if (!base.allowed) return 'drop'
  const access = oc.evaluateTelegramGroupPolicyAccess({
    isGroup: true,
    chatId,
    cfg,
    telegramCfg,
    topicConfig: undefined,
    groupConfig,
    effectiveGroupAllow,
    senderId,
    senderUsername: '',
    resolveGroupPolicy: (id) => oc.resolveChannelGroupPolicy({ cfg, channel: 'telegram', accountId: 'default', groupId: String(id) }),
    enforcePolicy: true,
    useTopicAndGroupOverrides: true,
    enforceAllowlistAuthorization: true,
    allowEmptyAllowlistEntries: false,
    requireSenderForAllowlistAuthorization: true,
    checkChatAllowlist: true,
  })
  return access.allowed ? 'accept' : 'drop'
}

function gate(policy, { chatId, sender: senderId }) {
  return policy.gate({ kind: 'ingress', channel: 'telegram', chat: 'group', chat_id: chatId, sender: senderId, text: 'hi', mentioned: true })
}

/**
 * Palisade's documented ingress choices where it is stricter than this
 * release's Telegram handler (ARCHITECTURE.md, "Differences from OpenClaw"),
 * each a counterfactual: a disagreement counts as explained only when
 * applying the choice to OpenClaw's input makes the handler agree.
 */
const TELEGRAM_CHOICES = {
  ...only(sharedChoices('telegram', theirs), 'group-policy-default-allowlist', 'open-keeps-group-allow-from'),
  // A group entry's own `groupPolicy: "open"` is not imported (a warning
  // says so): the channel's policy applies.
  'group-open-not-imported': (config, m, ours) => {
    const groups = Object.values(config.channels.telegram.groups ?? {})
    if (!groups.some((g) => g.groupPolicy === 'open')) return false
    const without = told(config, 'telegram', (t) => {
      for (const g of Object.values(t.groups)) if (g.groupPolicy === 'open') delete g.groupPolicy
      return t
    })
    return theirs(without, m) === ours.outcome || Object.keys(TELEGRAM_CHOICES).some(
      (c) => c !== 'group-open-not-imported' && TELEGRAM_CHOICES[c](without, m, ours))
  },
}

test(`generated Telegram configurations gate as openclaw@${version}'s handler does, or stricter for a documented reason`, (t) => {
  const messages = () => [...GROUPS, '-300'].flatMap((chatId) => SENDERS.map((sender) => ({ chatId, sender })))
  const { counts, bad, bothAccept } = ingressDifferential(t, { count: 500, configuration, messages, theirs, gate, choices: TELEGRAM_CHOICES, what: '9 group messages' })
  assert.ok(bothAccept > 500, 'the generator must reach admitted messages')
  for (const choice of Object.keys(TELEGRAM_CHOICES)) assert.ok(counts[choice] > 0, `no disagreement shows ${choice}`)
  assert.deepEqual(bad.slice(0, 3), [], 'disagreements no documented choice explains (or Palisade admitting more)')
})
