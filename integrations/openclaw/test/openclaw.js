'use strict'
// OpenClaw's own functions, from the installed release. The published package
// exports only its CLI and plugin SDK; its internals live in bundled chunks
// (`dist/<module>-<hash>.js`) that export each function under a short alias.
// This finds a function by its source name in the chunks' export lists, so
// the tests call exactly the code an OpenClaw gateway runs.

const fs = require('node:fs')
const path = require('node:path')
const { pathToFileURL } = require('node:url')

const root = path.join(__dirname, '..', 'node_modules', 'openclaw')
const dist = path.join(root, 'dist')
const version = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')).version

const texts = new Map()
function text(file) {
  if (!texts.has(file)) texts.set(file, fs.readFileSync(file, 'utf8'))
  return texts.get(file)
}

/** `{ local as alias, ... }` -> the alias of `name`, if listed. */
function aliasIn(list, name) {
  for (const item of list.split(',')) {
    const [local, alias] = item.trim().split(/\s+as\s+/)
    if (local === name) return alias ?? local
  }
  return null
}

/** The first top-level chunk (sorted, so the same one each run) that exports `name`. */
function chunkExporting(name) {
  for (const file of fs.readdirSync(dist).sort()) {
    if (!file.endsWith('.js')) continue
    const full = path.join(dist, file)
    const exported = /^export \{([^}]*)\};?$/m.exec(text(full))
    const alias = exported && aliasIn(exported[1], name)
    if (alias) return { file: full, alias }
  }
  throw new Error(`openclaw@${version}: no chunk of dist/ exports ${name}`)
}

/** The function `name` as the chunk `from` imports it (the same module instance `from` uses). */
async function importedBy(from, name) {
  for (const match of text(from).matchAll(/^import \{([^}]*)\} from "(\.\/[^"]+)";$/gm)) {
    for (const item of match[1].split(',')) {
      const [alias, local] = item.trim().split(/\s+as\s+/)
      if ((local ?? alias) === name) return (await import(pathToFileURL(path.join(path.dirname(from), match[2])).href))[alias]
    }
  }
  throw new Error(`openclaw@${version}: ${path.basename(from)} does not import ${name}`)
}

/** OpenClaw's function `name`. */
async function internal(name) {
  const { file, alias } = chunkExporting(name)
  const value = (await import(pathToFileURL(file).href))[alias]
  if (typeof value !== 'function') throw new Error(`openclaw@${version}: ${name} is not a function`)
  return value
}

/** `name` is a function or constant the chunk defines, or a name it imports. */
function defines(body, name) {
  const n = name.replace(/\$/g, '\\$')
  return new RegExp(`^((async )?function ${n}\\(|const ${n} = )`, 'm').test(body) || new RegExp(`^import \\{[^}]* as ${n}[,\\s]`, 'm').test(body)
}

/**
 * Functions a chunk defines but does not export (a channel's inbound
 * decision): a copy of the chunk, beside it so its imports resolve, with one
 * more export statement. The code that runs is the release's, unchanged.
 */
async function unexported(definedIn, names) {
  const source = fs.readdirSync(dist).sort().map((file) => path.join(dist, file)).find((file) => {
    const body = file.endsWith('.js') && text(file)
    return body && body.includes(definedIn) && names.every((name) => defines(body, name))
  })
  if (!source) throw new Error(`openclaw@${version}: no chunk defines ${names.join(', ')}`)
  const copy = path.join(dist, `zz-palisade-test-${path.basename(source)}`)
  const exports = names.map((name) => `${name} as palisade_${name.replace(/\$/g, '_')}`).join(', ')
  fs.writeFileSync(copy, `${text(source)}\nexport { ${exports} };\n`)
  const module = await import(pathToFileURL(copy).href)
  return Object.fromEntries(names.map((name) => [name, module[`palisade_${name.replace(/\$/g, '_')}`]]))
}

module.exports = { version, root, internal, importedBy, chunkExporting, unexported }
