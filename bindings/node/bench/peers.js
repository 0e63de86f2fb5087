'use strict'
// Palisade's Node binding against @cedar-policy/cedar-wasm on the peer bench's
// policy and request stream (benches/peers.rs: the seed's 3 agents, 1,152
// requests over every layer's condition), side by side in one process.
//
//   cargo run -p palisade-testkit --example bench_fixture -- /tmp/palisade-fixture
//   npm install --no-save @cedar-policy/cedar-wasm@4
//   node bench/peers.js /tmp/palisade-fixture
//
// First both engines decide the whole stream and must agree with each other
// and with the Rust engine's decisions written in the fixture; then rounds
// of the whole stream alternate between the engines, and the medians per
// request are reported with their ratio. Cedar gets its fastest path: the
// policy set parsed once (`preparsePolicySet`, `statefulIsAuthorized`) and
// every call object built before timing.

const fs = require('node:fs')
const path = require('node:path')
const { Policy } = require('..')
const cedar = require('@cedar-policy/cedar-wasm/nodejs')

const dir = process.argv[2]
if (!dir) throw new Error('usage: node bench/peers.js FIXTURE_DIR')
const seconds = Number(process.argv[3] ?? 3)
const read = (name) => fs.readFileSync(path.join(dir, name), 'utf8')

const stream = read('stream.jsonl').split('\n').filter(Boolean).map((line) => JSON.parse(line))
const policy = Policy.fromDsl(read('peers.pal'), 'peers.pal')
const entities = JSON.parse(read('entities.json'))
const parsed = cedar.preparsePolicySet('peers', { staticPolicies: read('peers.cedar') })
if (parsed.type !== 'success') throw new Error(`Cedar refused the policy set: ${JSON.stringify(parsed)}`)

const options = stream.map((r) => {
  const o = { session: r.session, subagent: r.subagent, owner: r.owner }
  if (r.provider !== null) o.provider = r.provider
  return o
})
const contexts = stream.map((r, i) => policy.context(r.agent, options[i]))
const calls = stream.map((r) => ({
  principal: { type: 'Agent', id: r.agent },
  action: { type: 'Action', id: 'call' },
  resource: { type: 'Tool', id: r.tool },
  context: r.cedar_context,
  preparsedPolicySetId: 'peers',
  entities,
}))

const paths = {
  'palisade outcome(agent, tool, options)': () => {
    let allowed = 0
    for (let i = 0; i < stream.length; i++) if (policy.outcome(stream[i].agent, stream[i].tool, options[i]) === 'allow') allowed++
    return allowed
  },
  // The same call with the context cache bypassed: every request resolved
  // by the engine from its options (what a cache miss costs).
  'palisade engine, options each call': () => {
    let allowed = 0
    for (let i = 0; i < stream.length; i++) if (policy.native.outcome(stream[i].agent, stream[i].tool, options[i]) === 'allow') allowed++
    return allowed
  },
  'palisade context.outcome(tool)': () => {
    let allowed = 0
    for (let i = 0; i < stream.length; i++) if (contexts[i].outcome(stream[i].tool) === 'allow') allowed++
    return allowed
  },
  'cedar-wasm statefulIsAuthorized': () => {
    let allowed = 0
    for (const call of calls) {
      const answer = cedar.statefulIsAuthorized(call)
      if (answer.type === 'success' && answer.response.decision === 'allow') allowed++
    }
    return allowed
  },
}

// Equal decisions first, request by request.
for (let i = 0; i < stream.length; i++) {
  const r = stream[i]
  const answer = cedar.statefulIsAuthorized(calls[i])
  if (answer.type !== 'success') throw new Error(`Cedar failed on ${JSON.stringify(r)}: ${JSON.stringify(answer)}`)
  const theirs = answer.response.decision === 'allow'
  const full = policy.outcome(r.agent, r.tool, options[i]) === 'allow'
  const fast = contexts[i].outcome(r.tool) === 'allow'
  if (theirs !== r.allowed || full !== r.allowed || fast !== r.allowed) {
    throw new Error(`disagreement on ${JSON.stringify(r)}: rust ${r.allowed}, cedar ${theirs}, outcome ${full}, context ${fast}`)
  }
}
const allowed = stream.filter((r) => r.allowed).length
console.log(`${stream.length} requests, ${allowed} allowed: Palisade (both paths), Cedar and the Rust engine agree on every one`)

// Alternating rounds of the whole stream until each path has had `seconds`.
const samples = Object.fromEntries(Object.keys(paths).map((name) => [name, []]))
const spent = Object.fromEntries(Object.keys(paths).map((name) => [name, 0]))
for (const run of Object.values(paths)) run() // warm up
while (Object.values(spent).some((s) => s < seconds * 1e9)) {
  for (const [name, run] of Object.entries(paths)) {
    if (spent[name] >= seconds * 1e9) continue
    const started = process.hrtime.bigint()
    const count = run()
    const took = Number(process.hrtime.bigint() - started)
    if (count !== allowed) throw new Error(`${name}: ${count} allowed, expected ${allowed}`)
    samples[name].push(took / stream.length)
    spent[name] += took
  }
}
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)]
}
const cedarMedian = median(samples['cedar-wasm statefulIsAuthorized'])
console.log(`node ${process.version}, ${seconds} s per path, medians per request over whole-stream rounds:`)
for (const [name, xs] of Object.entries(samples)) {
  const m = median(xs)
  console.log(`  ${name.padEnd(40)} ${m.toFixed(1).padStart(10)} ns  (${xs.length} rounds)  cedar/this = ${(cedarMedian / m).toFixed(1)}x`)
}
