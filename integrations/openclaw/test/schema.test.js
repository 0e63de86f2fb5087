'use strict'
// OpenClaw's own schema against Palisade's JSON front end: whatever channel
// configuration openclaw@2026.2.26 refuses, `palisade check` refuses too,
// with the JSON path (a drop-in front end), and the key table Palisade keeps
// (src/openclaw/schema.rs) is this release's.

const { test, before } = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const path = require('node:path')
const { version, chunkExporting } = require('./openclaw.js')
const { random } = require('./generate.js')
const { Policy } = require('palisade')

let schema
before(async () => {
  const { file, alias } = chunkExporting('OpenClawSchema')
  schema = (await import(file))[alias]
})

/** The zod object under its optional/default/pipe wrappers. */
function object(s) {
  while (s && !s.shape && (s._def?.innerType || s._def?.schema || s._def?.in)) s = s._def.innerType ?? s._def.schema ?? s._def.in
  return s
}

function channelSchemas() {
  return Object.entries(object(object(schema).shape.channels).shape)
    .map(([name, s]) => [name, object(s)])
    .filter(([, s]) => s?.shape)
}

test(`src/openclaw/schema.rs holds openclaw@${version}'s channel keys`, () => {
  const text = fs.readFileSync(path.join(__dirname, '..', '..', '..', 'src', 'openclaw', 'schema.rs'), 'utf8')
  const ours = Object.fromEntries([...text.matchAll(/\(\s*"([^"]+)",\s*&\[([^\]]*)\],?\s*\)/g)].map(([, name, keys]) => [name, [...keys.matchAll(/"([^"]+)"/g)].map((m) => m[1]).sort()]))
  const theirs = Object.fromEntries(channelSchemas().map(([name, s]) => [name, Object.keys(s.shape).sort()]))
  assert.deepEqual(ours, theirs)
})

const VALUES = {
  dmPolicy: [['pairing'], ['allowlist'], ['open'], ['disabled']],
  allowFrom: [[[]], [['111']], [['*']]],
  groupPolicy: [['open'], ['allowlist'], ['disabled']],
  groupAllowFrom: [[['111']], [[]]],
  groups: [[{ '-100': { requireMention: false } }], [{ '*': {} }]],
  channels: [[{ C1: { requireMention: false } }]],
  guilds: [[{ '123': { requireMention: false } }]],
  mentionPatterns: [[['@bot']]],
  requireMention: [[false]],
  allowFrm: [[['111']]],
}

test(`every generated channel configuration openclaw@${version} refuses, Palisade refuses`, (t) => {
  const next = random(16)
  const names = channelSchemas().map(([name]) => name).filter((name) => name !== 'defaults')
  let refusedByBoth = 0
  let acceptedByBoth = 0
  let stricter = 0
  let skipped = 0
  for (let i = 0; i < 2000; i++) {
    const channel = {}
    for (const [key, values] of Object.entries(VALUES)) {
      if (next() < 0.3) channel[key] = values[Math.floor(next() * values.length)][0]
    }
    const name = names[Math.floor(next() * names.length)]
    const config = { channels: { [name]: channel } }
    const theirs = schema.safeParse(config)
    let ours = null
    try {
      Policy.fromOpenclawJson(JSON.stringify(config), { name: 'channels.json' })
    } catch (error) {
      assert.ok(error.diagnostics, error.stack)
      ours = error
    }
    // Compared: unknown keys and the keys that decide who gets in; a bad
    // value of another key (IRC's `channels` is a list of names) is not
    // Palisade's to check.
    const gating = (issue) =>
      issue.code === 'unrecognized_keys' || ['dmPolicy', 'allowFrom', 'groupPolicy', 'groupAllowFrom', 'groups'].includes(String(issue.path[2]))
    if (!theirs.success && !theirs.error.issues.some(gating)) {
      skipped += 1
    } else if (!theirs.success) {
      assert.ok(ours, `openclaw refuses ${JSON.stringify(config)} (${theirs.error.issues.map((i) => i.path.join('.')).join(', ')}); Palisade accepted it`)
      // A key OpenClaw does not know is named with its JSON path.
      const said = ours.errors.map((d) => d.message).join('\n')
      for (const issue of theirs.error.issues.filter((i) => i.code === 'unrecognized_keys')) {
        for (const key of issue.keys) assert.ok(said.includes(`$.${[...issue.path, key].join('.')}`), `${key} not named in ${said}`)
      }
      refusedByBoth += 1
    } else if (ours) {
      stricter += 1
    } else {
      acceptedByBoth += 1
    }
  }
  t.diagnostic(`refused by both ${refusedByBoth}, accepted by both ${acceptedByBoth}, refused by Palisade alone ${stricter}, refused by OpenClaw for a non-gating value ${skipped}`)
  assert.ok(refusedByBoth > 100 && acceptedByBoth > 100, 'the generator must reach both sides')
})

test(`the corpus's OpenClaw configurations are valid for openclaw@${version}`, () => {
  const JSON5 = require('json5')
  const root = path.join(__dirname, '..', '..', '..')
  const files = [
    ...fs.readdirSync(path.join(root, 'tests', 'corpus')).filter((d) => d.startsWith('openclaw')).map((d) => path.join(root, 'tests', 'corpus', d, 'policy.json')),
    ...fs.readdirSync(path.join(root, 'examples')).filter((f) => f.endsWith('.json')).map((f) => path.join(root, 'examples', f)),
  ]
  for (const file of files) {
    const result = schema.safeParse(JSON5.parse(fs.readFileSync(file, 'utf8')))
    assert.ok(result.success, `${file}: ${result.success ? '' : result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`)
  }
  assert.ok(files.length >= 4, `only ${files.length} files`)
})
