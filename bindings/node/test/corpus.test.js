'use strict'
// The shared corpus through the Node binding: every case of
// tests/corpus/*/cases.jsonl gets the Rust engine's decision, and every
// tests/malformed file gives the code, position and message its header names.

const test = require('node:test')
const assert = require('node:assert')
const fs = require('node:fs')
const path = require('node:path')

const { Policy, PolicyError, UnknownAgentError } = require('..')

const ROOT = path.resolve(__dirname, '..', '..', '..')
const CORPUS = path.join(ROOT, 'tests', 'corpus')
const MALFORMED = path.join(ROOT, 'tests', 'malformed')

function load(dir) {
  const json = path.join(dir, 'policy.json')
  const approvals = path.join(dir, 'exec-approvals.json')
  if (fs.existsSync(json)) {
    const execApprovals = fs.existsSync(approvals) ? fs.readFileSync(approvals, 'utf8') : null
    return Policy.fromOpenclawJson(fs.readFileSync(json, 'utf8'), { name: json, execApprovals })
  }
  return Policy.load(path.join(dir, 'policy.pal'))
}

for (const name of fs.readdirSync(CORPUS).sort()) {
  test(`corpus ${name}`, () => {
    const dir = path.join(CORPUS, name)
    const policy = load(dir)
    const failures = []
    const lines = fs.readFileSync(path.join(dir, 'cases.jsonl'), 'utf8').split('\n')
    lines.forEach((line, i) => {
      if (!line.trim()) return
      const c = JSON.parse(line)
      const where = `${name}:${i + 1}`
      const kind = c.kind ?? 'tool'
      if (kind === 'tool') {
        const options = { provider: c.provider, session: c.session, sender: c.sender, subagent: !!c.subagent, owner: !!c.owner }
        // The bindings name `command`, `cwd` and `path`; a case with any other
        // argument, or one that is not text, is the Rust corpus's.
        const args = c.args ?? {}
        if (Object.entries(args).some(([k, v]) => !['command', 'cwd', 'path'].includes(k) || typeof v !== 'string')) return
        if (args.command !== undefined) options.command = args.command
        if (args.path !== undefined) options.path = args.path
        if (!policy.agents.includes(c.agent.trim().toLowerCase())) {
          // The engine denies an unknown agent; the binding says it is unknown.
          if (c.expect !== 'deny') failures.push(`${where}: an unknown agent expected to ${c.expect}`)
          assert.throws(() => policy.outcome(c.agent, c.tool, options), UnknownAgentError)
          return
        }
        const outcome = policy.outcome(c.agent, c.tool, options)
        const decision = policy.decide(c.agent, c.tool, options)
        if (outcome !== c.expect || decision.outcome !== c.expect || decision.allowed !== (c.expect === 'allow')) {
          failures.push(`${where}: expected ${c.expect}, got ${outcome} / ${decision.outcome} (${decision.reason})`)
        }
        if (c.reason !== undefined && !decision.reason.includes(c.reason)) failures.push(`${where}: reason ${decision.reason}`)
        if (c.segments !== undefined && JSON.stringify(decision.segments.map((s) => s.outcome)) !== JSON.stringify(c.segments)) {
          failures.push(`${where}: segments ${JSON.stringify(decision.segments)}`)
        }
        if (c.paths !== undefined && JSON.stringify(decision.paths.map((p) => p.outcome)) !== JSON.stringify(c.paths)) {
          failures.push(`${where}: paths ${JSON.stringify(decision.paths)}`)
        }
      } else if (kind === 'ingress') {
        const { expect, reason, at, kind: _, ...inbound } = c
        const gate = policy.gate(inbound)
        if (gate.outcome !== expect) failures.push(`${where}: expected ${expect}, got ${JSON.stringify(gate)}`)
      } else {
        const wanted = {}
        for (const key of ['agent', 'session_key', 'matched_by', 'sandboxed']) {
          if (key in c) {
            wanted[key] = c[key]
            delete c[key]
          }
        }
        const route = policy.request(c)
        for (const [key, value] of Object.entries(wanted)) {
          if (route[key] !== value) failures.push(`${where}: ${key} ${JSON.stringify(route[key])}, expected ${JSON.stringify(value)}`)
        }
      }
    })
    assert.deepStrictEqual(failures, [])
  })
}

for (const name of fs.readdirSync(MALFORMED).sort()) {
  test(`malformed ${name}`, () => {
    const file = path.join(MALFORMED, name)
    const header = fs.readFileSync(file, 'utf8').split('\n')[0]
    const warning = header.startsWith('// warn: ')
    const spec = header.slice(header.indexOf(': ') + 2)
    const [code, rest] = spec.split(' @ ')
    const space = rest.indexOf(' ')
    const [line, column] = rest.slice(0, space).split(':').map(Number)
    const message = rest.slice(space + 1).split(' | ')[0]
    let found
    if (warning) {
      found = Policy.load(file).warnings
    } else {
      try {
        Policy.load(file)
        assert.fail(`${name} compiled`)
      } catch (error) {
        assert.ok(error instanceof PolicyError, String(error))
        found = error.errors
      }
    }
    const hit = found.some((d) => d.code === code && d.line === line && d.column === column && d.message.includes(message) && d.file === file)
    assert.ok(hit, `${code} at ${line}:${column} \`${message}\` not in ${found.map(String).join('; ')}`)
  })
}

test('replace swaps the whole policy, and contexts follow it', () => {
  const policy = Policy.fromDsl('agent main { tools { allow read } }')
  const context = policy.context('main', { session: 'agent:main:main' })
  assert.strictEqual(policy.outcome('main', 'exec'), 'deny')
  assert.strictEqual(context.outcome('exec'), 'deny')
  policy.replace(Policy.fromDsl('agent main { tools { allow exec } }'))
  assert.strictEqual(policy.outcome('main', 'exec'), 'allow')
  assert.strictEqual(context.outcome('exec'), 'allow')
  // An agent the new policy lacks is denied everything, never an error.
  policy.replace(Policy.fromDsl('agent other { tools { allow exec } }'))
  assert.strictEqual(context.outcome('exec'), 'deny')
  assert.throws(() => policy.context('main'), /unknown agent `main`/)
})

test('a context decides as the full request does', () => {
  const policy = Policy.load(path.join(ROOT, 'examples', 'multi-agent.pal'))
  for (const options of [{}, { provider: 'anthropic' }, { session: 'agent:family:main', provider: 'openai' }, { subagent: true }]) {
    const context = policy.context('family', options)
    // Twice each: the first call looks the name up, the second reads the row.
    for (const tool of ['exec', 'read', ' READ ', 'Bash', 'web_search', 'cron', 'browser', 'some_plugin_tool', 'exec', 'READ', 'some_plugin_tool']) {
      const engine = policy.native.outcome('family', tool, options)
      assert.strictEqual(context.outcome(tool), engine, `${tool} ${JSON.stringify(options)}`)
      assert.strictEqual(policy.outcome('family', tool, options), engine, `cached: ${tool} ${JSON.stringify(options)}`)
    }
  }
})

test("outcome's context cache keeps every distinct context apart, and the engine's errors", () => {
  const policy = Policy.fromDsl('sandbox defaults { mode non-main }\nagent main { default  tools { allow read, exec  sandbox { deny exec } } }')
  const engine = (options) => policy.native.outcome('main', 'exec', options)
  // Sandboxed unless in the main session: the session decides.
  const cases = [{}, { session: 'agent:main:main' }, { session: 'undefined' }, { session: '-' }, { sender: 'agent:main:main' }]
  for (let round = 0; round < 2; round++) {
    for (const options of cases) assert.strictEqual(policy.outcome('main', 'exec', options), engine(options), JSON.stringify(options))
  }
  assert.strictEqual(policy.outcome('main', 'exec', { session: 'agent:main:main' }), 'allow')
  assert.strictEqual(policy.outcome('main', 'exec', { session: 'undefined' }), 'deny')
  // A getter is read once: the key and the engine see the same session.
  let reads = 0
  const flipping = { get session() { reads += 1; return reads === 1 ? 'elsewhere' : 'agent:main:main' } }
  assert.strictEqual(policy.outcome('main', 'exec', flipping), 'deny')
  assert.strictEqual(reads, 1)
  assert.strictEqual(policy.outcome('main', 'exec', { session: 'elsewhere' }), 'deny')
  // Wrong types still reach the engine, which refuses them.
  for (const session of [5, null, {}]) {
    assert.throws(() => policy.outcome('main', 'exec', { session }))
    assert.throws(() => policy.native.outcome('main', 'exec', { session }))
  }
  assert.throws(() => policy.outcome('main', 'exec', { owner: 'yes' }))
  assert.throws(() => policy.outcome(5, 'exec'))
  // An unknown agent is an error, not a silent deny.
  assert.throws(() => policy.outcome('nobody', 'read'), UnknownAgentError)
  // A command is decided per call.
  assert.strictEqual(policy.outcome('main', 'exec', { session: 'agent:main:main', command: 'ls' }), engine({ session: 'agent:main:main', command: 'ls' }))
})

test('a command is decided segment by segment', () => {
  const policy = Policy.load(path.join(ROOT, 'examples', 'commands.pal'))
  const decision = policy.decide('coder', 'exec', { session: 'agent:coder:main', command: 'git status; rm -rf ~' })
  assert.strictEqual(decision.outcome, 'deny')
  assert.deepStrictEqual(decision.segments.map((s) => s.outcome), ['allow', 'deny'])
  assert.match(decision.at, /examples\/commands\.pal:25:13$/)
})
