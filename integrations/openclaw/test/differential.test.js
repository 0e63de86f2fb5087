'use strict'
// Palisade against the real OpenClaw 2026.2.26 on tool policy: the shared
// corpus's OpenClaw configurations and generated ones. Palisade may be
// stricter only where ARCHITECTURE.md documents a choice (each one named in
// CHOICES and shown by a configuration of its own below); anything else, and
// above all Palisade allowing what OpenClaw refuses, fails the test.

const { test } = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const path = require('node:path')
const { version } = require('./openclaw.js')
const { CHOICES, toolDisagreements } = require('./differential.js')
const { configuration } = require('./generate.js')

const corpus = path.join(__dirname, '..', '..', '..', 'tests', 'corpus')
const GENERATED = Number(process.env.PALISADE_DIFFERENTIAL_CONFIGS ?? 800)

function assertExplained(disagreements, where) {
  const open = disagreements.filter((d) => d.palisade)
  assert.deepEqual(open, [], `${where}: Palisade allows what openclaw@${version} refuses`)
  const unexplained = disagreements.filter((d) => d.choice === null)
  assert.deepEqual(unexplained, [], `${where}: disagreements no documented choice explains`)
}

function tally(disagreements, into = new Map()) {
  for (const d of disagreements) into.set(d.choice, (into.get(d.choice) ?? 0) + 1)
  return into
}

test(`the corpus's OpenClaw configurations decide tools as openclaw@${version} does`, async () => {
  let compared = 0
  for (const dir of fs.readdirSync(corpus).filter((d) => d.startsWith('openclaw')).sort()) {
    const file = path.join(corpus, dir, 'policy.json')
    const disagreements = await toolDisagreements(fs.readFileSync(file, 'utf8'), { name: file })
    assertExplained(disagreements, file)
    compared += 1
  }
  assert.ok(compared >= 3, `only ${compared} OpenClaw configurations in the corpus`)
})

test(`${GENERATED} generated configurations: every disagreement with openclaw@${version} is a documented choice`, async (t) => {
  const counts = new Map()
  let compared = 0
  let refused = 0
  for (let seed = 1; seed <= GENERATED; seed++) {
    const text = JSON.stringify(configuration(seed), null, 1)
    let disagreements
    try {
      disagreements = await toolDisagreements(text, { name: `seed-${seed}.json` })
    } catch (error) {
      // Refused with diagnostics (an empty allow list, an agent left no tool): fail closed.
      assert.ok(error.diagnostics && error.errors.length > 0, `seed ${seed}: ${error.stack}`)
      refused += 1
      continue
    }
    assertExplained(disagreements, `seed ${seed} (test/generate.js)`)
    tally(disagreements, counts)
    compared += 1
  }
  t.diagnostic(`compared ${compared}, refused by Palisade ${refused}; disagreements by choice: ${JSON.stringify(Object.fromEntries(counts))}`)
  assert.ok(compared >= GENERATED / 2, `only ${compared} of ${GENERATED} configurations compared`)
})

// One configuration per documented choice: the disagreement is real in this
// release (were OpenClaw to agree, the choice would be stale) and the choice
// explains it.
const SHOWN = {
  'sandbox-image': [{ tools: { sandbox: { tools: { allow: ['read'] } } }, agents: { defaults: { sandbox: { mode: 'all' } }, list: [{ id: 'main' }] } }, 'image'],
  'apply-patch-via-exec': [{ tools: { allow: ['read', 'exec'] }, agents: { list: [{ id: 'main' }] } }, 'apply_patch'],
  'coding-has-cron': [{ tools: { profile: 'coding' }, agents: { list: [{ id: 'main' }] } }, 'cron'],
  'global-also-allow-lent': [{ tools: { alsoAllow: ['web_search'] }, agents: { list: [{ id: 'main', tools: { profile: 'coding' } }] } }, 'web_search'],
  'core-less-allow-ignored': [{ tools: { allow: ['web_*'] }, agents: { list: [{ id: 'main' }] } }, 'read'],
  'subagent-allow-lifts-fixed-deny': [{ tools: { subagents: { tools: { allow: ['session_status', 'read'] } } }, agents: { list: [{ id: 'main' }] } }, 'session_status'],
}

for (const [choice, [config, tool]] of Object.entries(SHOWN)) {
  test(`documented choice ${choice}: ${CHOICES[choice]}`, async () => {
    const found = await toolDisagreements(JSON.stringify(config))
    const shown = found.filter((d) => d.tool === tool)
    assert.ok(shown.length > 0, `openclaw@${version} agrees with Palisade on ${tool} here: the choice is stale`)
    for (const d of shown) assert.equal(d.choice, choice, JSON.stringify(d))
  })
}

test('every documented choice is shown by a configuration', () => {
  assert.deepEqual(Object.keys(SHOWN).sort(), Object.keys(CHOICES).sort())
})
