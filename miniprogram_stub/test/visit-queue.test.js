// The offline visit queue on a shared phone: each worker's visits stay theirs (queued under
// their account, sent only with their login), and logging out leaves no household data behind
// but never throws a visit away.
const path = require('path')
const { Phone, ROOT } = require('./support/harness')
const server = require('./support/server')

const WORKER_A = 'demo-grid-341002003001' // 昱西街道演示社区一
const WORKER_B = 'demo-grid-341002003002' // 昱西街道演示社区二

async function logIn(phone, username) {
  const page = await phone.open('pages/staff-login/index')
  await phone.tap(page, 'onUsernameInput', {}, { value: username })
  await phone.tap(page, 'onPasswordInput', {}, { value: phone.backend.password })
  await phone.tap(page, 'onSubmit')
  return phone.follow()
}

async function recordNotHome(phone, checklist) {
  const household = checklist.data.items[0]
  await phone.tap(checklist, 'onHouseholdTap', { id: household.id })
  const visit = await phone.follow()
  await phone.tap(visit, 'onOutcomeTap', { outcome: 'not_home' })
  await phone.tap(visit, 'onSubmit')
  return household
}

const visitPosts = (phone) => phone.ctl.calls.filter((call) => call.path === '/api/v1/grid/visits')

test("a phone handed over: one worker's queued visits wait for them, the other sees none", async () => {
  const phone = new Phone()
  phone.ctl.location = { latitude: 29.712, longitude: 118.291 }
  const listA = await logIn(phone, WORKER_A)
  phone.ctl.setOnline(false)
  const household = await recordNotHome(phone, listA)
  expect(phone.wx.getStorageSync('grid.visitQueue')).toHaveLength(1)

  // A logs out (through 我的, still without signal): the saved checklist goes, the queued
  // visit stays.
  const me = await phone.open('pages/me/index')
  await phone.call(me, 'onLogoutTap')
  expect(phone.wx.getStorageSync('session')).toBe('')
  expect(phone.wx.getStorageSync('grid.checklist')).toBe('')
  expect(phone.wx.getStorageSync('grid.visitQueue')).toHaveLength(1)
  phone.ctl.setOnline(true) // nobody is logged in: nothing is sent
  await phone.ctl.idle()
  expect(phone.wx.getStorageSync('grid.visitQueue')).toHaveLength(1)

  // B logs in on the same phone: nothing of A's shows, and nothing of A's is sent with B's login.
  const postsBefore = visitPosts(phone).length
  const listB = await logIn(phone, WORKER_B)
  expect(listB.data.pendingCount).toBe(0)
  expect(listB.data.items.some((item) => item.id === household.id)).toBe(false)
  await phone.tap(listB, 'onSyncTap')
  expect(phone.ctl.lastToast()).toEqual({ title: '没有待同步的记录', icon: 'none' })
  expect(visitPosts(phone)).toHaveLength(postsBefore)
  expect(phone.wx.getStorageSync('grid.visitQueue')).toHaveLength(1)

  // A comes back: the visit goes out with A's login, as A's.
  const tokenB = server.tokenOf(phone)
  const meB = await phone.open('pages/me/index')
  await phone.call(meB, 'onLogoutTap')
  await logIn(phone, WORKER_A)
  expect(phone.wx.getStorageSync('grid.visitQueue')).toEqual([])
  expect(visitPosts(phone)).toHaveLength(postsBefore + 1)
  const tokenA = server.tokenOf(phone)
  const progressA = (await server.call('/grid/progress', { token: tokenA })).body
  expect(progressA.quarter.communities[0].not_home).toBeGreaterThanOrEqual(1)
  expect((await server.call('/grid/progress', { token: tokenB })).status).toBe(401) // B's token was revoked
})

test('a lapsed login during a background sync waits for the worker: no page opens, the queue stays', async () => {
  const phone = new Phone()
  phone.ctl.location = { latitude: 29.705, longitude: 118.286 }
  const list = await logIn(phone, WORKER_B)
  phone.ctl.setOnline(false)
  await recordNotHome(phone, list)
  // The token dies while the phone is offline (12 hours pass).
  phone.wx.setStorageSync('session', { ...phone.wx.getStorageSync('session'), token: 'lapsed' })
  const navigations = phone.ctl.navigations.length

  phone.ctl.setOnline(true) // app.js syncs in the background
  await phone.ctl.idle()
  expect(visitPosts(phone).at(-1)).toMatchObject({ statusCode: 401 })
  expect(phone.ctl.navigations.slice(navigations).filter((n) => n.api === 'reLaunch')).toEqual([])
  expect(phone.wx.getStorageSync('grid.visitQueue')).toHaveLength(1)
})

test('a long queue goes in batches of at most 100 (the server refuses more in one request)', async () => {
  const phone = new Phone()
  phone.ctl.location = { latitude: 29.7060, longitude: 118.3000 }
  const list = await logIn(phone, 'demo-grid-341002004002') // 老街街道演示社区二
  const household = list.data.items[0]
  const queue = phone.load(path.join(ROOT, 'utils/visit-queue.js'))
  phone.ctl.setOnline(false)
  const start = Date.now() - 130 * 60000
  for (let i = 0; i < 130; i += 1) {
    // A worker who knocked every minute for two hours (each attempt is a visit of its own).
    const visitedAt = new Date(start + i * 60000).toISOString()
    queue.add({ household_id: household.id, outcome: 'not_home', lat: null, lng: null, members: [], notes: null, visited_at: visitedAt })
  }
  phone.ctl.setOnline(true)
  await phone.ctl.idle()

  const posts = visitPosts(phone)
  expect(posts).toHaveLength(2)
  expect(posts.every((post) => post.statusCode === 200)).toBe(true)
  expect(queue.pending()).toEqual([])
  expect(queue.rejected()).toEqual([])
  const progress = (await server.call('/grid/progress', { token: server.tokenOf(phone) })).body
  expect(progress.quarter.communities[0].not_home).toBe(130)
})
