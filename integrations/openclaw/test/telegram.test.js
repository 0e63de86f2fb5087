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
const { random, compiled } = require('./generate.js')

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
  const next = random(seed)
  const chance = (p) => next() < p
  const pick = (items) => items[Math.floor(next() * items.length)]
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
function theirs(config, chatId, senderId) {
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

function ours(policy, chatId, senderId) {
  return policy.gate({ kind: 'ingress', channel: 'telegram', chat: 'group', chat_id: chatId, sender: senderId, text: 'hi', mentioned: true })
}

test(`generated Telegram configurations admit no one openclaw@${version}'s handler refuses`, (t) => {
  let stricter = 0
  let bothAccept = 0
  const open = []
  const tally = { compared: 0, refused: 0 }
  for (const { seed, config, policy } of compiled(500, configuration, tally)) {
    for (const chatId of [...GROUPS, '-300']) {
      for (const sender of SENDERS) {
        const [a, b] = [theirs(config, chatId, sender), ours(policy, chatId, sender)]
        if (a === 'drop' && b.outcome === 'accept') open.push({ seed, telegram: config.channels.telegram, chatId, sender, why: b.reason })
        if (a === 'accept' && b.outcome === 'drop') stricter += 1
        if (a === 'accept' && b.outcome === 'accept') bothAccept += 1
      }
    }
  }
  t.diagnostic(`compared ${tally.compared} configurations x 9 group messages, refused ${tally.refused}; both admit ${bothAccept}, Palisade stricter on ${stricter}`)
  assert.ok(bothAccept > 500, 'the generator must reach admitted messages')
  if (process.env.SHOW) for (const d of open.slice(0, 50)) console.log(JSON.stringify(d))
  assert.deepEqual(open.slice(0, 3), [], 'Palisade admits where the Telegram handler refuses')
})
