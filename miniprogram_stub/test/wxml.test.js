// The templates and the code agree: every page in app.json has its four files, every handler a
// template binds exists, every component a page uses exists, and every value a template reads
// is in the page's data (or a component's properties and data, or a loop variable) from the
// start — WeChat renders a missing one as empty without a word, so a typo would go unnoticed.
const fs = require('fs')
const path = require('path')
const { Phone, ROOT } = require('./support/harness')

const app = JSON.parse(fs.readFileSync(path.join(ROOT, 'app.json'), 'utf8'))
const EXTENSIONS = ['js', 'json', 'wxml', 'wxss']
const KEYWORDS = new Set(['true', 'false', 'null', 'undefined', 'typeof', 'in'])

/** The handler names a template binds: bindtap="x", catch:tap="x", bindgetphonenumber="x". */
function handlers(wxml) {
  return [...wxml.matchAll(/\s(?:bind|catch|capture-bind|capture-catch):?[a-z]+="([^"{}]+)"/g)].map((m) => m[1])
}

/** The root names a template reads inside {{ }}, leaving out strings, members and keywords. */
function reads(wxml) {
  const names = new Set()
  for (const [, expression] of wxml.matchAll(/\{\{([\s\S]*?)\}\}/g)) {
    const code = expression.replace(/'[^']*'|"[^"]*"/g, "''")
    for (const match of code.matchAll(/(^|[^.\w$])([A-Za-z_$][\w$]*)/g)) {
      // An object literal's key ({a: 1} in a template's data=) is not a read.
      const after = code.slice(match.index + match[0].length)
      if (/^\s*:/.test(after) && !/\?/.test(code.slice(0, match.index))) continue
      if (!KEYWORDS.has(match[2])) names.add(match[2])
    }
  }
  return names
}

/** Loop variables a template defines: item and index, or the names wx:for-item/-index give. */
function loopNames(wxml) {
  const names = new Set(['item', 'index'])
  for (const [, name] of wxml.matchAll(/wx:for-(?:item|index)="([^"]+)"/g)) names.add(name)
  return names
}

function filesOf(base) {
  return EXTENSIONS.filter((extension) => !fs.existsSync(path.join(ROOT, `${base}.${extension}`)))
}

describe.each(app.pages)('%s', (route) => {
  test('has its four files, its handlers, its components and its data', () => {
    expect(filesOf(route)).toEqual([])
    const phone = new Phone()
    const definition = phone.definition(route)
    const wxml = fs.readFileSync(path.join(ROOT, `${route}.wxml`), 'utf8')
    const missingHandlers = handlers(wxml).filter((name) => typeof definition[name] !== 'function')
    expect(missingHandlers).toEqual([])

    const known = new Set([...Object.keys(definition.data || {}), ...loopNames(wxml)])
    expect([...reads(wxml)].filter((name) => !known.has(name))).toEqual([])

    const json = JSON.parse(fs.readFileSync(path.join(ROOT, `${route}.json`), 'utf8'))
    for (const component of Object.values(json.usingComponents || {})) {
      expect(filesOf(component.replace(/^\//, ''))).toEqual([])
    }
  })
})

const components = fs.readdirSync(path.join(ROOT, 'components')).map((name) => `components/${name}/index`)

describe.each(components)('%s', (component) => {
  test('has its four files, its handlers and its data', () => {
    expect(filesOf(component)).toEqual([])
    const definition = new Phone().componentDefinitionOf(component)
    const wxml = fs.readFileSync(path.join(ROOT, `${component}.wxml`), 'utf8')
    const methods = definition.methods || {}
    expect(handlers(wxml).filter((name) => typeof methods[name] !== 'function')).toEqual([])
    const known = new Set([
      ...Object.keys(definition.properties || {}),
      ...Object.keys(definition.data || {}),
      ...loopNames(wxml),
    ])
    expect([...reads(wxml)].filter((name) => !known.has(name))).toEqual([])
  })
})

test('the checks find a missing handler and an undeclared value', () => {
  const wxml = '<view bindtap="onGone" class="{{ready ? \'a\' : \'b\'}}">{{item.name}} {{missing.x}}</view>'
  expect(handlers(wxml)).toEqual(['onGone'])
  expect([...reads(wxml)].sort()).toEqual(['item', 'missing', 'ready'])
})
