'use strict'
// Bad inputs, from the table every binding reads (tests/bindings/bad-inputs.json):
// each gets the same kind of error in Node as in Python.

const test = require('node:test')
const assert = require('node:assert')
const fs = require('node:fs')
const path = require('node:path')

const { Policy, PolicyError, UnknownAgentError } = require('..')

const ROOT = path.resolve(__dirname, '..', '..', '..')
const TABLE = JSON.parse(fs.readFileSync(path.join(ROOT, 'tests', 'bindings', 'bad-inputs.json'), 'utf8')).cases

const KINDS = {
  unknown_agent: (e) => e instanceof UnknownAgentError && e.message.includes('unknown agent `nobody`'),
  unknown_option: (e) => e instanceof TypeError && e.message.includes('unknown option'),
  wrong_type: (e) => e instanceof TypeError,
  not_found: (e) => e.code === 'ENOENT',
  is_a_directory: (e) => e.code === 'EISDIR',
  policy: (e) => e instanceof PolicyError && e.errors.length === 1,
}

function call(c) {
  const policy = Policy.load(path.join(ROOT, 'examples', 'multi-agent.pal'))
  switch (c.call) {
    case 'load':
      return Policy.load(path.join(ROOT, c.path))
    case 'from_dsl':
      return Policy.fromDsl(c.text)
    case 'tools':
    case 'context':
      return policy[c.call](c.agent, c.options)
    default:
      return policy[c.call](c.agent, c.tool, c.options)
  }
}

for (const c of TABLE) {
  test(c.name, () => {
    assert.throws(
      () => call(c),
      (error) => {
        assert.ok(KINDS[c.error](error), `${c.error} wanted, got ${error && error.constructor.name} ${error && error.code}: ${error && error.message}`)
        for (const key of c.error === 'unknown_option' ? Object.keys(c.options) : []) assert.ok(error.message.includes(key))
        return true
      },
    )
  })
}
