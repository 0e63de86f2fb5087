'use strict'
// The plugin, loaded by OpenClaw's own plugin loader and driven through its
// own hook runner, as a gateway does before every tool call.

const { test, before } = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { version, internal, importedBy, chunkExporting } = require('./openclaw.js')

const plugin = path.join(__dirname, '..')
const repo = path.join(plugin, '..', '..')
const commands = path.join(repo, 'examples', 'commands.pal')

// OpenClaw also discovers plugins under ~/.openclaw: give it an empty home.
const home = fs.mkdtempSync(path.join(os.tmpdir(), 'palisade-openclaw-'))
process.env.HOME = home
process.env.OPENCLAW_STATE_DIR = path.join(home, '.openclaw')

let loadOpenClawPlugins
let getGlobalHookRunner

before(async () => {
  loadOpenClawPlugins = await internal('loadOpenClawPlugins')
  // The runner the loader installs lives in the chunk the loader imports.
  getGlobalHookRunner = await importedBy(chunkExporting('loadOpenClawPlugins').file, 'getGlobalHookRunner')
})

const logged = []
const logger = {
  info: (m) => logged.push(['info', m]),
  warn: (m) => logged.push(['warn', m]),
  error: (m) => logged.push(['error', m]),
  debug: () => {},
}

/** Loads the plugin with `config` as its entry's config; returns the registry and a tool-call driver. */
function load(pluginConfig, openclawConfig = {}) {
  const config = {
    ...openclawConfig,
    plugins: { load: { paths: [plugin] }, entries: { palisade: { enabled: true, config: pluginConfig } } },
  }
  const registry = loadOpenClawPlugins({ config, workspaceDir: home, cache: false, logger })
  const runner = getGlobalHookRunner()
  /** As OpenClaw's runBeforeToolCallHook calls it for a tool call. */
  const call = (agentId, sessionKey, toolName, params = {}) =>
    runner.runBeforeToolCall({ toolName, params }, { toolName, agentId, sessionKey })
  return { registry, record: registry.plugins.find((p) => p.id === 'palisade'), call }
}

test(`openclaw@${version} loads the plugin and runs its before_tool_call hook`, async () => {
  const { record, call, registry } = load({ policy: commands })
  assert.equal(record.status, 'loaded', JSON.stringify(registry.diagnostics))
  // The package's unscoped name is the manifest's id: OpenClaw warned "plugin id mismatch" on every command.
  assert.deepEqual(registry.diagnostics.filter((d) => /mismatch/.test(d.message)), [])
  assert.equal(record.hookCount, 1)

  const main = 'agent:coder:main'
  const allowed = await call('coder', main, 'exec', { command: 'cargo test --workspace && git status' })
  assert.equal(allowed.block, undefined)
  assert.deepEqual(allowed.params, { command: 'cargo test --workspace && git status' })
  assert.deepEqual((await call('coder', main, 'read', { path: 'README.md' })).block, undefined)

  const chained = await call('coder', main, 'exec', { command: 'git status; rm -rf ~' })
  assert.equal(chained.block, true)
  assert.match(chained.blockReason, /^Palisade denied: exec for agent coder: `rm -rf \S+` matches deny pattern `rm -rf \*` \(.*commands\.pal:25:13\)$/)

  const browser = await call('coder', main, 'browser', { url: 'https://example.com' })
  assert.equal(browser.block, true)
  assert.match(browser.blockReason, /^Palisade denied: browser for agent coder: /)

  // Unknown agents and missing context are refused, not guessed.
  assert.equal((await call('stranger', 'agent:stranger:main', 'read')).block, true)
  assert.equal((await call(undefined, undefined, 'read')).block, true)
})

test('an ask goes to exec approval on the gateway, and is blocked where OpenClaw cannot ask', async () => {
  const { call } = load({ policy: commands }, { tools: { exec: { host: 'gateway' } } })
  const push = { command: 'git push origin main' }
  const asked = await call('coder', 'agent:coder:main', 'exec', push)
  assert.equal(asked.block, undefined)
  assert.deepEqual(asked.params, { ...push, ask: 'always' })
  const elevated = await call('coder', 'agent:coder:main', 'exec', { ...push, elevated: true })
  assert.equal(elevated.block, true)
  assert.match(elevated.blockReason, /^Palisade needs approval, which OpenClaw cannot ask for here: exec/)

  // An agent that runs exec in its sandbox overrides the global host: no approval there.
  const sandboxed = { tools: { exec: { host: 'gateway' } }, agents: { list: [{ id: 'coder', tools: { exec: { host: 'sandbox' } } }] } }
  const inSandbox = await load({ policy: commands }, sandboxed).call('coder', 'agent:coder:main', 'exec', push)
  assert.equal(inSandbox.block, true)
})

test('the plugin decides last and pins the parameters it decided', async () => {
  const { call, registry } = load({ policy: commands })
  // Another plugin that rewrites the command after Palisade would run an undecided one.
  registry.typedHooks.push({
    pluginId: 'rewriter',
    hookName: 'before_tool_call',
    handler: () => ({ params: { command: 'rm -rf ~' }, block: false }),
    priority: 0,
  })
  const result = await call('coder', 'agent:coder:main', 'exec', { command: 'git status' })
  assert.deepEqual(result.params, { command: 'git status' })
  const denied = await call('coder', 'agent:coder:main', 'exec', { command: 'rm -rf ~' })
  assert.equal(denied.block, true, 'an earlier hook cannot unblock Palisade')
})

test('a malformed policy: the plugin refuses to start and every tool call is blocked', async () => {
  const broken = path.join(home, 'broken.pal')
  fs.writeFileSync(broken, 'agent coder {\n  tools { allow raed }\n}\n')
  const { record, registry, call } = load({ policy: broken })
  assert.equal(record.status, 'error')
  const error = registry.diagnostics.find((d) => d.pluginId === 'palisade' && d.level === 'error')
  assert.ok(error, JSON.stringify(registry.diagnostics))
  assert.match(error.message, /broken\.pal:2:\d+: error\[/)
  assert.match(error.message, /\(help: did you mean `read`\?\)/, 'the diagnostic keeps its help')
  assert.doesNotMatch(error.message, /Palisade the policy/)
  const read = await call('coder', 'agent:coder:main', 'read', { path: 'README.md' })
  assert.equal(read.block, true)
  assert.match(read.blockReason, /^Palisade blocks every tool call: the policy does not load: .*broken\.pal:2:\d+/)

  const missing = load({ policy: path.join(home, 'no-such.pal') })
  assert.equal(missing.record.status, 'error')
  assert.equal((await missing.call('coder', 'agent:coder:main', 'read')).block, true)
})

test('an OpenClaw configuration is enforced as palisade import reads it, exec approvals included', async () => {
  const corpus = path.join(repo, 'tests', 'corpus', 'openclaw-exec')
  const { record, call } = load({ policy: path.join(corpus, 'policy.json'), execApprovals: path.join(corpus, 'exec-approvals.json') })
  assert.equal(record.status, 'loaded')
  const { Policy } = require('palisade')
  const direct = Policy.fromOpenclawJson(fs.readFileSync(path.join(corpus, 'policy.json'), 'utf8'), {
    execApprovals: fs.readFileSync(path.join(corpus, 'exec-approvals.json'), 'utf8'),
  })
  let checked = 0
  for (const line of fs.readFileSync(path.join(corpus, 'cases.jsonl'), 'utf8').split('\n')) {
    if (line.trim() === '') continue
    const c = JSON.parse(line)
    if ((c.kind ?? 'tool') !== 'tool' || c.owner || c.subagent || c.sender) continue
    const command = c.args?.command
    const expected = direct.outcome(c.agent, c.tool, { session: c.session, command })
    const got = await call(c.agent, c.session, c.tool, command === undefined ? {} : { command })
    assert.equal(got.block === true, expected !== 'allow', `${line} -> ${JSON.stringify(got)}`)
    checked += 1
  }
  assert.ok(checked >= 10, `only ${checked} cases`)
})
