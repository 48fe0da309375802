// Where the API lives, per build. Every address must be a "request domain" (request合法域名)
// and, for résumé uploads, an "uploadFile domain" in the mini-program console (see README).
const SERVERS = {
  // `make run` on the developer's machine; DevTools must skip the domain check for it.
  develop: 'http://127.0.0.1:5000',
  trial: 'https://jiuye-test.huangshan.example.cn',
  release: 'https://jiuye.huangshan.example.cn',
}

const API_PREFIX = '/api/v1'

/** The server for this build; a develop build may point elsewhere (storage 'debug.apiBase'). */
function baseUrl() {
  const info = wx.getAccountInfoSync()
  const env = (info && info.miniProgram && info.miniProgram.envVersion) || 'release'
  if (env === 'develop') {
    const override = wx.getStorageSync('debug.apiBase')
    if (override) return override
  }
  return SERVERS[env] || SERVERS.release
}

/**
 * The local fake WeChat server to log in through instead of wx.login, in a develop build only
 * (storage 'debug.fakeWechat', e.g. 'http://127.0.0.1:5001' beside `make run`): DevTools'
 * wx.login codes are real WeChat codes, which the embedded demo's fake WeChat cannot know.
 */
function fakeWechatBase() {
  const info = wx.getAccountInfoSync()
  if (!info || !info.miniProgram || info.miniProgram.envVersion !== 'develop') return null
  return wx.getStorageSync('debug.fakeWechat') || null
}

module.exports = {
  baseUrl,
  fakeWechatBase,
  API_PREFIX,
  PAGE_SIZE: 20,
  VISIT_BATCH_SIZE: 100, // the server's VISIT_BATCH_MAX
  STAFF_LOGIN_PAGE: '/pages/staff-login/index',
  // The roles the grid pages are for (the server's VISIT_ROLES).
  GRID_ROLES: ['grid_worker', 'operator'],
  // Household data a staff member's phone keeps; gone at logout (utils/grid-cache.js,
  // utils/visit-queue.js). The visit queue itself is not listed: it is never thrown away.
  STAFF_PRIVATE_KEYS: ['grid.checklist', 'grid.visitRejected'],
  // The station check-in URL's path; a scanned code with another shape is not ours.
  CHECK_IN_PATH: '/s/',
}
