// Every API call the mini-program makes names a route and method the server's OpenAPI document
// has: renaming or removing a route the client uses fails here, not on people's phones.
const fs = require('fs')
const path = require('path')
const backend = require('./setup/backend')
const { ROOT } = require('./support/harness')

/** Every .js file under the mini-program root. */
function sources(dir = ROOT) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name)
    if (entry.isDirectory()) return sources(full)
    return entry.name.endsWith('.js') ? [full] : []
  })
}

/** The text of a call's argument list: from after '(' to its matching ')'. */
function argumentsOf(text, open) {
  let depth = 0
  for (let i = open; i < text.length; i += 1) {
    if (text[i] === '(') depth += 1
    if (text[i] === ')') depth -= 1
    if (depth === 0) return text.slice(open + 1, i)
  }
  throw new Error('unbalanced call')
}

/** [{file, method, path}] for every api.request / api.upload call in the mini-program. */
function clientCalls() {
  const calls = []
  for (const file of sources()) {
    const text = fs.readFileSync(file, 'utf8')
    for (const match of text.matchAll(/\bapi\.(request|upload)\(/g)) {
      const args = argumentsOf(text, match.index + match[0].length - 1)
      const literal = args.match(/^\s*(['`])([^'`]*)\1/)
      const where = `${path.relative(ROOT, file)}: api.${match[1]}(${args.slice(0, 60)}`
      if (!literal) throw new Error(`${where}: the path must be a string literal, so this test can check it`)
      const method = match[1] === 'upload' ? 'POST' : (args.match(/method:\s*'([A-Z]+)'/) || [null, 'GET'])[1]
      const route = literal[2].split('?')[0].replace(/\$\{[^}]+\}/g, '{}')
      calls.push({ where, method, route })
    }
  }
  // utils/api.js's own calls (login, logout) are written with send(), not api.request().
  for (const [method, route] of [['POST', '/auth/wechat-login'], ['POST', '/auth/login'], ['POST', '/auth/logout']]) {
    calls.push({ where: 'utils/api.js', method, route })
  }
  return calls
}

/** The calls that match no route and method of the OpenAPI document. */
function unknownCalls(calls, document) {
  const routes = Object.entries(document.paths).map(([route, operations]) => ({
    pattern: new RegExp(`^${route.replace(/^\/api\/v1/, '').replace(/\{[^}]+\}/g, '\\{\\}')}$`),
    methods: Object.keys(operations).map((method) => method.toUpperCase()),
  }))
  return calls.filter(
    (call) => !routes.some((route) => route.pattern.test(call.route) && route.methods.includes(call.method)),
  )
}

let document
beforeAll(async () => {
  const { apiBase } = backend.current()
  document = await (await fetch(`${apiBase}/api/v1/openapi.json`)).json()
})

test('every route the mini-program calls is in the OpenAPI document, with its method', () => {
  const calls = clientCalls()
  expect(calls.length).toBeGreaterThan(20)
  expect(unknownCalls(calls, document)).toEqual([])
})

test('a route or method the server does not have is reported', () => {
  const made = [
    { where: 'a', method: 'GET', route: '/jobs/{}' },
    { where: 'b', method: 'DELETE', route: '/jobs/{}' },
    { where: 'c', method: 'GET', route: '/job/{}' },
    { where: 'd', method: 'GET', route: '/jobs/{}/extra' },
  ]
  expect(unknownCalls(made, document).map((call) => call.where)).toEqual(['b', 'c', 'd'])
})
