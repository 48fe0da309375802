// The staff console as a person at a desktop uses it, in plain HTTP: sign in (cookie + CSRF
// token), turn the second factor on from the account page with a code from setup/totp.js.
const backend = require('../setup/backend')
const { totp } = require('../setup/totp')

const CSRF = /<meta name="csrf-token" content="([^"]+)"/
const SECRET = /data-testid="totp-secret">([A-Z2-7]+)</

/** A browser of one: keeps the console's cookie between requests, follows no redirect. */
function browser() {
  const cookies = new Map()
  return async function request(path, { form } = {}) {
    const headers = { Cookie: [...cookies].map(([name, value]) => `${name}=${value}`).join('; ') }
    if (form) headers['Content-Type'] = 'application/x-www-form-urlencoded'
    const response = await fetch(`${backend.current().apiBase}${path}`, {
      method: form ? 'POST' : 'GET',
      headers,
      body: form ? new URLSearchParams(form).toString() : undefined,
      redirect: 'manual',
    })
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(';')
      const at = pair.indexOf('=')
      cookies.set(pair.slice(0, at), pair.slice(at + 1))
    }
    return { status: response.status, location: response.headers.get('location'), html: await response.text() }
  }
}

/** The value a page's regex finds, or a clear failure naming the page. */
function find(pattern, page, what) {
  const match = pattern.exec(page.html)
  if (!match) throw new Error(`no ${what} on the page (status ${page.status}): ${page.html.slice(0, 300)}`)
  return match[1]
}

/**
 * Sign `username` in to the console with the demo password and turn TOTP on (an optional
 * second factor for most roles); resolve the secret the authenticator app would hold.
 */
async function enrolTotp(username) {
  const request = browser()
  const login = await request('/console/login')
  const signedIn = await request('/console/login', {
    form: { csrf_token: find(CSRF, login, 'CSRF token'), username, password: backend.current().password },
  })
  if (signedIn.status !== 302 || signedIn.location.includes('/console/login')) {
    throw new Error(`${username}: console sign-in answered ${signedIn.status} ${signedIn.location}`)
  }
  const setup = await request('/console/account/totp')
  const secret = find(SECRET, setup, 'TOTP secret')
  const confirmed = await request('/console/account/totp', {
    form: { csrf_token: find(CSRF, setup, 'CSRF token'), code: totp(secret) },
  })
  if (confirmed.status !== 200 || !confirmed.html.includes('恢复码')) {
    throw new Error(`${username}: enrolment answered ${confirmed.status}: ${confirmed.html.slice(0, 300)}`)
  }
  return secret
}

module.exports = { enrolTotp }
