// Runs the mini-program's own code in Node: `App({...})` and `Page({...})` are captured, a page
// instance gets `data`, `setData` (with 'a.b[0].c' paths, as in WeChat) and its handlers, and
// the lifecycle (onLoad → onShow → onReady) is driven as the runtime does. Each Phone has its
// own `wx` shim, storage and modules, so a resident's phone and a grid worker's can be used
// side by side.
const fs = require('fs')
const path = require('path')
const { createWx } = require('./wx')
const backend = require('../setup/backend')
const server = require('./server')

/** Accept the current version of every consent document with a resident's token. */
async function acceptAll(token) {
  const current = await server.call('/consent-documents')
  const documents = current.body.items.map((doc) => ({ purpose: doc.purpose, version: doc.version }))
  const answer = await server.call('/me/consents', { method: 'POST', token, body: { documents, client_version: 'test' } })
  if (answer.status !== 200) throw new Error(`POST /me/consents answered ${answer.status}`)
}

const ROOT = path.resolve(__dirname, '../../miniprogram')
const APP_JSON = JSON.parse(fs.readFileSync(path.join(ROOT, 'app.json'), 'utf8'))
const TAB_PAGES = new Set(APP_JSON.tabBar.list.map((tab) => tab.pagePath))

const clone = (value) => (value === undefined ? undefined : JSON.parse(JSON.stringify(value)))

/** Set `value` at a setData path such as 'form.name' or 'items[2].checked'. */
function setPath(target, key, value) {
  const parts = key.replace(/\[(\d+)\]/g, '.$1').split('.')
  let node = target
  for (let i = 0; i < parts.length - 1; i += 1) {
    const part = parts[i]
    if (node[part] === undefined || node[part] === null || typeof node[part] !== 'object') {
      node[part] = /^\d+$/.test(parts[i + 1]) ? [] : {}
    }
    node = node[part]
  }
  node[parts[parts.length - 1]] = value
}

/** Split '/pages/jobs/index?id=3&x=y' into the route and its (decoded) query. */
function parseUrl(url) {
  const [route, search = ''] = url.replace(/^\//, '').split('?')
  const query = {}
  for (const pair of search.split('&').filter(Boolean)) {
    const [key, value = ''] = pair.split('=')
    query[decodeURIComponent(key)] = value // WeChat hands query values over still encoded
  }
  return { route, query }
}

/** A tap or input event as the runtime builds it. */
function event(detail = {}, dataset = {}) {
  return { type: 'tap', detail, currentTarget: { dataset }, target: { dataset } }
}

const GLOBALS = ['require', 'module', 'exports', 'wx', 'App', 'Page', 'getApp', 'getCurrentPages', 'Component']

class Phone {
  /**
   * A phone with the mini-program installed, its server switch pointed at the test backend.
   * `consented` (default true): a new resident accepts the current consent documents right
   * after their first login, as they would on the consent page at first run; false leaves
   * them to the consent page (test/consent.test.js).
   */
  constructor({ openid, phone, consented = true } = {}) {
    this.backend = backend.current()
    const { wx, ctl } = createWx({ wechatBase: this.backend.wechatBase, openid, phone, app: APP_JSON })
    this.wx = wx
    this.ctl = ctl
    if (consented) this.consentAtFirstLogin()
    this.stack = []
    this.cache = {}
    this.pages = {}
    // The develop build's server switch (see utils/config.js): the test backend's address.
    wx.setStorageSync('debug.apiBase', this.backend.apiBase)
    this.load(path.join(ROOT, 'app.js'))
    if (!this.appDefinition) throw new Error('app.js did not call App()')
    this.app = { ...this.appDefinition, globalData: clone(this.appDefinition.globalData || {}) }
    if (this.app.onLaunch) this.app.onLaunch({ path: 'pages/jobs/index', query: {}, scene: 1001 })
  }

  /**
   * Load one of the mini-program's files as the runtime does: CommonJS, with this phone's `wx`,
   * `App`, `Page`, `getApp` in scope (so two phones never share state), modules cached per phone.
   */
  load(file) {
    const full = file.endsWith('.js') ? file : `${file}.js`
    if (!full.startsWith(ROOT)) throw new Error(`${full}: a mini-program can require only its own files`)
    if (this.cache[full]) return this.cache[full].exports
    const module = { exports: {} }
    this.cache[full] = module
    const source = `${fs.readFileSync(full, 'utf8')}\n//# sourceURL=${full}`
    const run = new Function(...GLOBALS, source) // eslint-disable-line no-new-func
    const phone = this
    run(
      (name) => phone.load(path.resolve(path.dirname(full), name)),
      module,
      module.exports,
      this.wx,
      (definition) => {
        phone.appDefinition = definition
      },
      (definition) => {
        phone.pageDefinition = definition
      },
      () => phone.app,
      () => phone.stack.slice(),
      (definition) => {
        phone.componentDefinition = definition
      },
    )
    return module.exports
  }

  /**
   * Accept every current consent document for a resident account the app has just created,
   * before the app hears of its login (off the phone's own calls, so `ctl.calls` is unchanged).
   */
  consentAtFirstLogin() {
    const { wx, ctl } = this
    const request = wx.request
    wx.request = (options) => {
      const login = String(options.method || 'GET').toUpperCase() === 'POST' && options.url.endsWith('/auth/wechat-login')
      if (!login) return request(options)
      return request({
        ...options,
        success: (response) => {
          const body = response.data || {}
          if (response.statusCode !== 200 || !body.is_new || body.account.role !== 'resident') {
            return options.success && options.success(response)
          }
          ctl.inflight += 1 // idle() waits for it, as for a request
          return acceptAll(body.token)
            .then(
              () => options.success && options.success(response),
              (error) => options.fail && options.fail({ errMsg: `request:fail ${error.message}` }),
            )
            .finally(() => {
              ctl.inflight -= 1
            })
        },
      })
    }
  }

  /** Load a page module and return its Page definition. */
  definition(route) {
    if (!this.pages[route]) {
      this.pageDefinition = null
      this.load(path.join(ROOT, `${route}.js`))
      if (!this.pageDefinition) throw new Error(`${route}.js did not call Page()`)
      this.pages[route] = this.pageDefinition
    }
    return this.pages[route]
  }

  /** Load a component module and return its Component definition (to read, not to render). */
  componentDefinitionOf(componentPath) {
    this.componentDefinition = null
    this.load(path.join(ROOT, `${componentPath}.js`))
    if (!this.componentDefinition) throw new Error(`${componentPath}.js did not call Component()`)
    return this.componentDefinition
  }

  /**
   * Open a page as WeChat would: onLoad(query), then onShow and onReady straight after (the
   * runtime does not wait for an async onLoad), then wait for all of it and the requests.
   * `how` is the navigation that opened it: navigateTo stacks it (the page below is hidden),
   * redirectTo replaces the top page, reLaunch and switchTab clear the stack (pages unloaded).
   */
  async open(route, query = {}, how = TAB_PAGES.has(route.replace(/^\//, '')) ? 'switchTab' : 'navigateTo') {
    const definition = this.definition(route.replace(/^\//, ''))
    const page = { route, options: query, data: clone(definition.data || {}) }
    for (const [key, value] of Object.entries(definition)) {
      if (key !== 'data') page[key] = typeof value === 'function' ? value : clone(value)
    }
    page.setData = (patch, callback) => {
      for (const [key, value] of Object.entries(patch)) {
        // WeChat refuses undefined (a console warning, the old value kept): a page bug here.
        if (value === undefined) throw new Error(`${route}: setData('${key}', undefined)`)
        setPath(page.data, key, clone(value))
      }
      if (callback) setImmediate(callback)
    }
    const leaving = []
    if (how === 'redirectTo' && this.stack.length) leaving.push(this.stack.pop())
    if (how === 'reLaunch' || how === 'switchTab') leaving.push(...this.stack.splice(0).reverse())
    const below = this.stack[this.stack.length - 1]
    await Promise.all([
      ...leaving.map((old) => (old.onUnload ? old.onUnload() : undefined)),
      below && below.onHide ? below.onHide() : undefined,
    ])
    this.stack.push(page)
    const started = ['onLoad', 'onShow', 'onReady'].map((name) =>
      typeof page[name] === 'function' ? page[name](name === 'onLoad' ? query : undefined) : undefined,
    )
    await Promise.all(started)
    await this.ctl.idle()
    return page
  }

  /** Go back `delta` pages: those on top are unloaded, the one below shown again (onShow). */
  async back(delta = 1) {
    const leaving = this.stack.splice(Math.max(1, this.stack.length - delta))
    await Promise.all(leaving.reverse().map((page) => (page.onUnload ? page.onUnload() : undefined)))
    const top = this.stack[this.stack.length - 1]
    if (top) await this.call(top, 'onShow')
    return top
  }

  /** Do what the last navigation asked: open the page it named, or go back. */
  async follow(navigation = this.ctl.lastNavigation()) {
    if (!navigation) throw new Error('no navigation to follow')
    if (navigation.api === 'navigateBack') return this.back(navigation.delta)
    const { route, query } = parseUrl(navigation.url)
    return this.open(route, query, navigation.api)
  }

  /** Call a page's handler (if it has one) and wait until its requests are done. */
  async call(page, name, ...args) {
    if (typeof page[name] !== 'function') return undefined
    const result = await page[name](...args)
    await this.ctl.idle()
    return result
  }

  /** Log a staff member in through the staff login page (demo password unless told); returns that page. */
  async staffLogIn(username, password = this.backend.password) {
    const page = await this.open('pages/staff-login/index')
    await this.tap(page, 'onUsernameInput', {}, { value: username })
    await this.tap(page, 'onPasswordInput', {}, { value: password })
    await this.tap(page, 'onSubmit')
    return page
  }

  /** Tap: call the handler with a tap event carrying `dataset` and `detail`. */
  tap(page, name, dataset = {}, detail = {}) {
    return this.call(page, name, event(detail, dataset))
  }
}

module.exports = { Phone, event, parseUrl, setPath, ROOT }
