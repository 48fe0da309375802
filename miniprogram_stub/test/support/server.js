// What happens off the phone, for the scenarios: staff at their screens, another person's
// phone, the fake WeChat's record of messages — plain HTTP to the backend the tests started.
const { PNG } = require('pngjs')
const jsQR = require('jsqr')
const backend = require('../setup/backend')
const { totp, DEMO_TOTP_ACCOUNTS } = require('../setup/totp')

/** Call the API (path under /api/v1) with an optional token and JSON body; resolve {status, body}. */
async function call(path, { method = 'GET', token, body } = {}) {
  const headers = {}
  if (token) headers.Authorization = `Bearer ${token}`
  if (body !== undefined) headers['Content-Type'] = 'application/json'
  const response = await fetch(`${backend.current().apiBase}/api/v1${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  const type = response.headers.get('content-type') || ''
  const bytes = Buffer.from(await response.arrayBuffer())
  // A 204 (logout, a delete) says JSON but has no body: null, not a parse error.
  const parsed = type.includes('json') ? (bytes.length ? JSON.parse(bytes.toString('utf8')) : null) : bytes
  return { status: response.status, body: parsed }
}

/**
 * Log a staff member in through the API with the demo password; resolve {status, body}. The demo
 * city and district admins send the current code of the demo TOTP secret (the API asks for it
 * once they are enrolled, as `flask dev-setup` does; before, it is not looked at); `totpCode`
 * sends another (a code works once per 30-second step and account).
 */
function staffLogin(username, { password = backend.current().password, totpCode } = {}) {
  const code = totpCode || (DEMO_TOTP_ACCOUNTS.includes(username) ? totp(backend.current().totpSecret) : null)
  return call('/auth/login', { method: 'POST', body: { username, password, ...(code ? { totp_code: code } : {}) } })
}

/** Log a demo staff member in (the demo password); resolve the token. */
async function staffToken(username) {
  const answer = await staffLogin(username)
  if (answer.status !== 200) throw new Error(`${username}: login answered ${answer.status}`)
  return answer.body.token
}

/** The token a phone's app holds (after it logged in). */
function tokenOf(phone) {
  const session = phone.wx.getStorageSync('session')
  if (!session) throw new Error('this phone has not logged in')
  return session.token
}

/** What a phone's camera reads from an RGBA image. */
function readImage(rgba, width, height) {
  const found = jsQR(new Uint8ClampedArray(rgba), width, height)
  if (!found) throw new Error('no QR code in the image')
  return found.data
}

/** Download a station's printed code as the poster prints it (PNG) and read it like a camera. */
async function printedCode(stationId, token) {
  const answer = await call(`/stations/${stationId}/qr.png?kind=printed`, { token })
  if (answer.status !== 200) throw new Error(`qr.png answered ${answer.status}`)
  const png = PNG.sync.read(answer.body)
  return readImage(png.data, png.width, png.height)
}

/** The subscribe messages the fake WeChat delivered to one person. */
async function messagesTo(openid) {
  const response = await fetch(`${backend.current().wechatBase}/_fake/messages?openid=${encodeURIComponent(openid)}`)
  return (await response.json()).messages
}

module.exports = { call, staffLogin, staffToken, tokenOf, readImage, printedCode, messagesTo }
