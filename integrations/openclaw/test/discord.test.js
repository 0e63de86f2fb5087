'use strict'
// Ingress against the real OpenClaw's Discord handler: the guild part of its
// `preflightDiscordMessage` (the guild list, the guild's channels, the group
// policy, mention gating, users and roles), composed from the release's own
// functions in the order the preflight calls them, against Palisade's gate,
// on generated Discord configurations. Messages are plain text (not
// commands) in guild channels, not threads, and now and then a group DM
// (no guild), which the handler drops unless `dm.groupEnabled`.

const { test, before } = require('node:test')
const assert = require('node:assert/strict')
const { version, internal, unexported } = require('./openclaw.js')
const { random, dice, told, ingressDifferential, sharedChoices, only, plainMessageSkipped } = require('./generate.js')

let oc
before(async () => {
  oc = await unexported('//#region src/channels/mention-gating.ts', ['resolveMentionGatingWithBypass'])
  for (const name of [
    'resolveOpenProviderRuntimeGroupPolicy',
    'resolveDiscordGuildEntry',
    'resolveDiscordChannelConfigWithFallback',
    'isDiscordGroupAllowedByPolicy',
    'resolveDiscordShouldRequireMention',
    'resolveDiscordMemberAccessState',
  ]) {
    oc[name] = await internal(name)
  }
})

const GUILDS = ['100', '200']
const CHANNELS = ['1', '2']
const USERS = ['7', '8', '9']
const ROLES = ['41', '42']

function configuration(seed) {
  const { chance, pick } = dice(seed)
  const some = (items) => items.filter(() => chance(0.4))
  /** Settings a guild and a channel entry share. */
  const members = (entry) => {
    if (chance(0.3)) entry.requireMention = chance(0.5)
    if (chance(0.35)) entry.users = chance(0.1) ? ['*'] : some(USERS)
    if (chance(0.3)) entry.roles = chance(0.1) ? ['*'] : some(ROLES)
    return entry
  }
  const discord = {}
  if (chance(0.7)) discord.groupPolicy = pick(['open', 'allowlist', 'disabled'])
  if (chance(0.3)) discord.allowFrom = some(USERS)
  if (chance(0.8)) {
    discord.guilds = {}
    for (const id of [...GUILDS, '*']) {
      if (!chance(0.5)) continue
      const guild = members({})
      if (chance(0.5)) {
        guild.channels = {}
        for (const channel of [...CHANNELS, '*']) {
          if (!chance(0.5)) continue
          const entry = members({})
          if (chance(0.15)) entry.allow = false
          if (chance(0.15)) entry.enabled = false
          guild.channels[channel] = entry
        }
      }
      discord.guilds[id] = guild
    }
  }
  return { agents: { list: [{ id: 'main' }] }, channels: { discord } }
}

function message(next) {
  const pick = (items) => items[Math.floor(next() * items.length)]
  return {
    // Now and then a group DM: no guild.
    guild: next() < 0.1 ? undefined : pick([...GUILDS, '300']),
    channel: pick([...CHANNELS, '3']),
    sender: pick(USERS),
    roles: ROLES.filter(() => next() < 0.4),
    mentioned: next() < 0.6,
  }
}

/** The handler's answer, its preflight's guild checks in its order. */
function theirs(config, m) {
  const discordConfig = config.channels.discord
  // A group DM: the monitor's `dm.groupEnabled` (off by default) decides.
  if (m.guild === undefined) return discordConfig.dm?.groupEnabled === true ? 'accept' : 'drop'

  const { groupPolicy } = oc.resolveOpenProviderRuntimeGroupPolicy({
    providerConfigPresent: true,
    groupPolicy: discordConfig.groupPolicy,
    defaultGroupPolicy: config.channels?.defaults?.groupPolicy,
  })
  const guildEntries = discordConfig.guilds
  const guildInfo = oc.resolveDiscordGuildEntry({ guild: { id: m.guild, name: `Guild ${m.guild}` }, guildEntries })
  if (guildEntries && Object.keys(guildEntries).length > 0 && !guildInfo) return 'drop'
  const channelName = `room ${m.channel}`
  const channelConfig = oc.resolveDiscordChannelConfigWithFallback({
    guildInfo,
    channelId: m.channel,
    channelName,
    channelSlug: `room-${m.channel}`,
    scope: 'channel',
  })
  if (channelConfig?.enabled === false) return 'drop'
  const channelAllowlistConfigured = Boolean(guildInfo?.channels) && Object.keys(guildInfo?.channels ?? {}).length > 0
  const channelAllowed = channelConfig?.allowed !== false
  if (!oc.isDiscordGroupAllowedByPolicy({ groupPolicy, guildAllowlisted: Boolean(guildInfo), channelAllowlistConfigured, channelAllowed })) return 'drop'
  if (channelConfig?.allowed === false) return 'drop'
  const requireMention = oc.resolveDiscordShouldRequireMention({ isGuildMessage: true, isThread: false, botId: 'bot', channelConfig, guildInfo })
  const { hasAccessRestrictions, memberAllowed } = oc.resolveDiscordMemberAccessState({
    channelConfig,
    guildInfo,
    memberRoleIds: m.roles,
    sender: { id: m.sender, name: `user${m.sender}`, tag: `user${m.sender}` },
    allowNameMatching: false,
  })
  if (plainMessageSkipped(oc.resolveMentionGatingWithBypass, requireMention, m.mentioned)) return 'drop'
  if (hasAccessRestrictions && !memberAllowed) return 'drop'
  return 'accept'
}

function gate(policy, m) {
  return policy.gate({
    kind: 'ingress',
    channel: 'discord',
    chat: 'group',
    chat_id: m.channel,
    guild: m.guild,
    roles: m.roles,
    sender: m.sender,
    text: 'hi',
    mentioned: m.mentioned,
  })
}

/**
 * Palisade's documented ingress choices where it is stricter than this
 * release's Discord handler (ARCHITECTURE.md, "Differences from OpenClaw"),
 * each a counterfactual on the handler's input.
 */
const DISCORD_CHOICES = {
  ...only(sharedChoices('discord', theirs), 'group-policy-default-allowlist'),
}

test(`generated Discord configurations gate as openclaw@${version}'s handler does, or stricter for a documented reason`, (t) => {
  const messages = (seed) => {
    const next = random(seed * 7919)
    return Array.from({ length: 30 }, () => message(next))
  }
  const { counts, bad, bothAccept } = ingressDifferential(t, { count: 500, configuration, messages, theirs, gate, choices: DISCORD_CHOICES, what: '30 messages (a tenth of them group DMs)' })
  assert.ok(bothAccept > 1000, 'the generator must reach admitted messages')
  for (const choice of Object.keys(DISCORD_CHOICES)) assert.ok(counts[choice] > 0, `no disagreement shows ${choice}`)
  assert.deepEqual(bad.slice(0, 3), [], 'disagreements no documented choice explains (or Palisade admitting more)')
})
