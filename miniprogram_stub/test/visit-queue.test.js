// The offline visit queue on a shared phone: each worker's visits stay theirs (queued under
// their account, sent only with their login), and logging out leaves no household data behind
// but never throws a visit away.
const path = require('path')
const { Phone, ROOT } = require('./support/harness')
const server = require('./support/server')

const WORKER_A = 'demo-grid-341002003001' // 昱西街道演示社区一
const COMMUNITY_A = '341002003001'
const WORKER_B = 'demo-grid-341002003002' // 昱西街道演示社区二
const WORKER_C = 'demo-grid-341002004002' // 老街街道演示社区二
const COMMUNITY_C = '341002004002'
const OFFLINE_SYNC = '网络不可用，记录已保存在手机上，有网时自动同步'

/** Log in through the staff login page and land on the checklist it redirects to. */
async function logIn(phone, username) {
  await phone.staffLogIn(username)
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

/** A worker's quarter coverage of one of their communities (picked by its code), from the server. */
async function coverage(token, code) {
  const answer = await server.call('/grid/progress', { token })
  expect(answer.status).toBe(200)
  const row = answer.body.quarter.communities.find((item) => item.community && item.community.code === code)
  if (!row) throw new Error(`community ${code} is not in this worker's progress`)
  return row
}

/**
 * Watch the visit batches the phone posts: resolves nothing, returns the list of batches (the
 * client ids in each POST /grid/visits body, in order). `onBatch(n, options, send)` may answer
 * the n-th batch itself (a network that drops) or change its callbacks; by default it is sent.
 */
function watchBatches(phone, onBatch = (n, options, send) => send(options)) {
  const batches = []
  const send = phone.wx.request
  phone.wx.request = (options) => {
    if (String(options.method).toUpperCase() === 'POST' && options.url.endsWith('/grid/visits')) {
      batches.push(options.data.visits.map((visit) => visit.client_id))
      return onBatch(batches.length, options, send)
    }
    return send(options)
  }
  return batches
}

/**
 * Queue `count` not-home attempts at one door, a second apart and ending over a minute ago: all
 * in this quarter and not in the future whatever the hour (minutes apart would reach into the
 * last quarter in the first hours of Jan/Apr/Jul/Oct 1). Returns them as queued. They carry no
 * channel, as a queue saved before visits had one: the server takes them as door visits, so
 * each counts as a door attempt (`not_home`) in the tests below.
 */
function queueNotHome(queue, householdId, count) {
  const start = Date.now() - 200 * 1000
  return Array.from({ length: count }, (unused, i) =>
    queue.add({
      household_id: householdId,
      outcome: 'not_home',
      lat: null,
      lng: null,
      members: [],
      notes: null,
      visited_at: new Date(start + i * 1000).toISOString(),
    }),
  )
}

test("a phone handed over: one worker's queued visits wait for them, the other sees none", async () => {
  const phone = new Phone()
  phone.ctl.location = { latitude: 29.712, longitude: 118.291 }
  const listA = await logIn(phone, WORKER_A)
  const coverageBefore = await coverage(server.tokenOf(phone), COMMUNITY_A)
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
  // Counted once, in A's community: the one not-home attempt A made.
  const coverageAfter = await coverage(tokenA, COMMUNITY_A)
  expect(coverageAfter.not_home).toBe(coverageBefore.not_home + 1)
  expect(coverageAfter.met).toBe(coverageBefore.met)
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


describe('a long queue', () => {
  let phone
  let list // the checklist, opened by the login
  let household // the door knocked at, again and again
  let queue // utils/visit-queue.js on this phone

  beforeEach(async () => {
    phone = new Phone()
    phone.ctl.location = { latitude: 29.706, longitude: 118.3 }
    list = await logIn(phone, WORKER_C)
    household = list.data.items[0]
    queue = phone.load(path.join(ROOT, 'utils/visit-queue.js'))
  })

  test('goes in batches of at most 100 (the server refuses more in one request)', async () => {
    const before = await coverage(server.tokenOf(phone), COMMUNITY_C)
    const batches = watchBatches(phone)
    phone.ctl.setOnline(false)
    queueNotHome(queue, household.id, 130) // a long day without signal
    phone.ctl.setOnline(true) // the app sends the queue by itself
    await phone.ctl.idle()

    expect(batches.map((batch) => batch.length)).toEqual([100, 30])
    expect(visitPosts(phone).map((post) => post.statusCode)).toEqual([200, 200])
    expect(queue.pending()).toEqual([])
    expect(queue.rejected()).toEqual([])
    expect(list.data.pendingCount).toBe(0)
    const after = await coverage(server.tokenOf(phone), COMMUNITY_C)
    expect(after.not_home).toBe(before.not_home + 130) // no channel sent: door attempts
    expect(after.contacted).toBe(before.contacted)
  })

  test('a batch lost to the network: the ones answered leave the queue, the rest go with the next sync', async () => {
    const before = await coverage(server.tokenOf(phone), COMMUNITY_C)
    // The signal drops after the first batch was answered: the second never reaches the server.
    const batches = watchBatches(phone, (n, options, send) => {
      if (n !== 2) return send(options)
      setImmediate(() => options.fail({ errMsg: 'request:fail timeout' }))
      return { abort() {} }
    })
    const queued = queueNotHome(queue, household.id, 130).map((visit) => visit.client_id)

    await phone.tap(list, 'onSyncTap')
    expect(batches).toEqual([queued.slice(0, 100), queued.slice(100)])
    // What went through is said, and that the rest waits on the phone.
    expect(list.data.syncMessage).toBe(`已同步 100 条；${OFFLINE_SYNC}`)
    expect(phone.ctl.lastToast()).toEqual({ title: `已同步 100 条；${OFFLINE_SYNC}`, icon: 'none' })
    expect(list.data.pendingCount).toBe(30)
    expect(queue.pending().map((visit) => visit.client_id)).toEqual(queued.slice(100))
    expect((await coverage(server.tokenOf(phone), COMMUNITY_C)).not_home).toBe(before.not_home + 100)

    // 同步 again: only the 30 that did not get through.
    await phone.tap(list, 'onSyncTap')
    expect(batches).toEqual([queued.slice(0, 100), queued.slice(100), queued.slice(100)])
    expect(phone.ctl.lastToast()).toEqual({ title: '已同步 30 条', icon: 'none' }) // 8 characters: no icon
    expect(list.data.pendingCount).toBe(0)
    expect(list.data.syncMessage).toBe('')
    expect(queue.pending()).toEqual([])
    expect((await coverage(server.tokenOf(phone), COMMUNITY_C)).not_home).toBe(before.not_home + 130)
  })

  test('a visit recorded while a batch is on its way stays queued and goes next', async () => {
    const before = await coverage(server.tokenOf(phone), COMMUNITY_C)
    let added = null
    let queuedAtSecondBatch = null
    const batches = watchBatches(phone, (n, options, send) => {
      if (n === 2) queuedAtSecondBatch = phone.wx.getStorageSync('grid.visitQueue').map((visit) => visit.client_id)
      if (n !== 1) return send(options)
      // The server has taken the first batch; before the phone reads the answer, the worker saves another visit.
      return send({
        ...options,
        success: (response) => {
          added = queue.add({ household_id: household.id, outcome: 'not_home', lat: null, lng: null, members: [], notes: null })
          options.success(response)
        },
      })
    })
    const queued = queueNotHome(queue, household.id, 3).map((visit) => visit.client_id)

    await phone.tap(list, 'onSyncTap')
    expect(added).not.toBeNull()
    // The answer to the first batch took out its three and left the new one...
    expect(queuedAtSecondBatch).toEqual([added.client_id])
    // ...which went in the next batch.
    expect(batches).toEqual([queued, [added.client_id]])
    expect(phone.ctl.lastToast()).toEqual({ title: '已同步 4 条', icon: 'success' })
    expect(queue.pending()).toEqual([])
    expect(list.data.pendingCount).toBe(0)
    expect((await coverage(server.tokenOf(phone), COMMUNITY_C)).not_home).toBe(before.not_home + 4)
  })
})
