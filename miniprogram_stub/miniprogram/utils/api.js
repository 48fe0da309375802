// The one request wrapper: base URL from config, our token from storage, a silent WeChat
// re-login when a resident's token has lapsed, the error envelope turned into an ApiError with
// a sentence to show, and client ids for writes that must apply once.
const config = require('./config')
const messages = require('./messages')
const clientId = require('./client-id')

const SESSION_KEY = 'session' // { token, kind: 'resident' | 'staff', role, accountId, name, expiresAt }

/** A failed request: the HTTP status (0: no network), the server's code and field, a message. */
class ApiError extends Error {
  constructor({ status, code, message, field = null, fields = null, serverMessage = null }) {
    super(message)
    this.name = 'ApiError'
    this.status = status
    this.code = code
    this.field = field
    this.fields = fields
    this.serverMessage = serverMessage
  }
}

function session() {
  return wx.getStorageSync(SESSION_KEY) || null
}

function saveSession(body, kind) {
  const value = {
    token: body.token,
    kind,
    role: body.account.role,
    accountId: body.account.id,
    name: body.account.display_name || body.account.username || '',
    expiresAt: body.expires_at,
  }
  wx.setStorageSync(SESSION_KEY, value)
  return value
}

function clearSession() {
  wx.removeStorageSync(SESSION_KEY)
}

/** Record the account's new role (a resident who registered or claimed a business is an employer now). */
function setRole(role) {
  const current = session()
  if (current) wx.setStorageSync(SESSION_KEY, { ...current, role })
}

/** Turn a non-2xx answer into an ApiError (the envelope when there is one). */
function toError(statusCode, body) {
  const envelope = body && typeof body === 'object' && body.error ? body.error : null
  return new ApiError({
    status: statusCode,
    code: envelope ? envelope.code : statusCode === 0 ? 'network_error' : `http_${statusCode}`,
    field: envelope ? envelope.field : null,
    fields: envelope ? envelope.fields : null,
    serverMessage: envelope ? envelope.message : null,
    message: messages.forError(envelope, statusCode),
  })
}

function networkError(errMsg) {
  return new ApiError({
    status: 0,
    code: 'network_error',
    message: messages.forError(null, 0),
    serverMessage: errMsg || null,
  })
}

function authHeader(token) {
  return token ? { Authorization: `Bearer ${token}` } : {}
}

/** One wx.request; resolves {statusCode, data} for any HTTP answer, rejects only without one. */
function send(path, { method = 'GET', data, token } = {}) {
  return new Promise((resolve, reject) => {
    wx.request({
      url: config.baseUrl() + config.API_PREFIX + path,
      method,
      data,
      header: authHeader(token),
      timeout: 15000,
      success: (response) => resolve(response),
      fail: (error) => reject(networkError(error && error.errMsg)),
    })
  })
}

/** One wx.uploadFile (its body comes back as text); same contract as send(). */
function sendFile(path, { filePath, name, formData, token }) {
  return new Promise((resolve, reject) => {
    wx.uploadFile({
      url: config.baseUrl() + config.API_PREFIX + path,
      filePath,
      name,
      formData,
      header: authHeader(token),
      timeout: 60000,
      success: (response) => {
        let parsed = response.data
        try {
          parsed = JSON.parse(response.data)
        } catch (error) {
          // not JSON (a proxy's error page): toError() falls back to the status
        }
        resolve({ statusCode: response.statusCode, data: parsed })
      },
      fail: (error) => reject(networkError(error && error.errMsg)),
    })
  })
}

let loginInFlight = null

/** A login code from wx.login (or, in a develop build pointed at one, the local fake WeChat). */
function loginCode() {
  const fake = config.fakeWechatBase()
  if (fake) {
    // One stable fake WeChat user per phone, so the demo resident survives a restart.
    let openid = wx.getStorageSync('debug.openid')
    if (!openid) {
      openid = `o-devtools-${clientId.create().slice(0, 16)}`
      wx.setStorageSync('debug.openid', openid)
    }
    return new Promise((resolve, reject) => {
      wx.request({
        url: `${fake.replace(/\/$/, '')}/_fake/codes`,
        method: 'POST',
        data: { openid },
        success: (response) => resolve(response.data.code),
        fail: (error) => reject(networkError(error && error.errMsg)),
      })
    })
  }
  return new Promise((resolve, reject) => {
    wx.login({
      success: (result) => resolve(result.code),
      fail: (error) => reject(networkError(error && error.errMsg)),
    })
  })
}

/** Log the resident in with wx.login (one attempt shared by every caller waiting for it). */
function login() {
  if (!loginInFlight) {
    loginInFlight = loginCode()
      .then((code) => send('/auth/wechat-login', { method: 'POST', data: { code } }))
      .then((response) => {
        if (response.statusCode !== 200) throw toError(response.statusCode, response.data)
        return saveSession(response.data, 'resident')
      })
      .finally(() => {
        loginInFlight = null
      })
  }
  return loginInFlight
}

/** Log a staff member (a grid worker) in with username and password. */
async function staffLogin(username, password) {
  const response = await send('/auth/login', { method: 'POST', data: { username, password } })
  if (response.statusCode !== 200) throw toError(response.statusCode, response.data)
  return saveSession(response.data, 'staff')
}

/**
 * Revoke the token on the server (best effort) and forget it here. A staff member's copies of
 * household data (the saved checklist, refused visits) go too: phones are shared. Their queued
 * visits stay, tied to their account, until they log in again and send them.
 */
async function logout() {
  const current = session()
  clearSession()
  if (current && current.kind === 'staff') {
    for (const key of config.STAFF_PRIVATE_KEYS) wx.removeStorageSync(key)
  }
  if (current) await send('/auth/logout', { method: 'POST', data: {}, token: current.token }).catch(() => null)
}

// The 401 codes that mean "this token is no longer good" (log in again); any other 401, such
// as a used phone code (wechat_code_invalid), is an answer about the request itself.
const TOKEN_CODES = ['auth_required', 'token_invalid', 'token_expired']

function tokenRefused(response) {
  const envelope = response.data && response.data.error
  return response.statusCode === 401 && (!envelope || TOKEN_CODES.includes(envelope.code))
}

/**
 * Call the API with the session: `auth` true (log a resident in first if needed), 'optional'
 * (send the token when there is one) or false. When the server refuses the token:
 * - 'optional': the token is dropped and the request sent again without it;
 * - a resident's: a silent WeChat login and one retry (if another request already logged in
 *   again meanwhile, its new session is used instead of a second login);
 * - a staff member's: the session is dropped and, unless the request runs in the background
 *   (`background`: a sync nobody is looking at), the staff login page opens.
 */
async function withSession(auth, exchange, background) {
  let current = session()
  if (auth === true && !current) current = await login()
  let response = await exchange(auth && current ? current.token : null)
  if (auth && current && tokenRefused(response)) {
    const now = session()
    const replaced = now && now.token !== current.token
    if (!replaced) clearSession()
    if (auth === 'optional') {
      response = await exchange(replaced ? now.token : null)
    } else if (current.kind === 'staff') {
      if (!background) wx.reLaunch({ url: config.STAFF_LOGIN_PAGE })
      throw toError(response.statusCode, response.data)
    } else {
      current = replaced ? now : await login()
      response = await exchange(current.token)
    }
  }
  if (response.statusCode >= 400) {
    const error = toError(response.statusCode, response.data)
    if (error.code === 'consent_required' && !background) askConsent(error)
    throw error
  }
  return response.data
}

const CONSENT_PAGE = 'pages/consent/index'

/**
 * A save refused for want of consent: open the consent page with the purposes the server named
 * (unless it is open already). The caller still gets the error: nothing was saved, and the
 * person taps save again once they have agreed.
 */
function askConsent(error) {
  const pages = typeof getCurrentPages === 'function' ? getCurrentPages() : []
  const top = pages[pages.length - 1]
  if (top && String(top.route).replace(/^\//, '') === CONSENT_PAGE) return
  const purposes = Object.keys(error.fields || {}).join(',')
  wx.navigateTo({ url: `/${CONSENT_PAGE}?purposes=${encodeURIComponent(purposes)}` })
}

/** GET/POST/PUT/PATCH/DELETE `path` (under /api/v1) and resolve the answer's JSON. */
function request(path, { method = 'GET', data, auth = true, background = false } = {}) {
  return withSession(auth, (token) => send(path, { method, data, token }), background)
}

/** Upload one file as multipart field `name` (default 'file') and resolve the answer's JSON. */
function upload(path, filePath, { name = 'file', formData, auth = true } = {}) {
  return withSession(auth, (token) => sendFile(path, { filePath, name, formData, token }))
}

/** Show a failed request to the person: the sentence from messages.js, in a dialog. */
function showError(error, title = '提示') {
  const content = error && error.message ? error.message : messages.forError(null, 0)
  wx.showModal({ title, content, showCancel: false })
  return content
}

module.exports = {
  ApiError,
  request,
  upload,
  login,
  staffLogin,
  logout,
  session,
  clearSession,
  setRole,
  showError,
  newClientId: clientId.create,
}
