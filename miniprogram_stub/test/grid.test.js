// The grid worker (网格员): staff login, the checklist of households not yet met this quarter,
// visits recorded offline on the phone and synced later, and what that does to the ledger.
const path = require('path')
const { Phone, ROOT } = require('./support/harness')
const server = require('./support/server')
const { enrolTotp } = require('./support/console')
const { totp, STEP_SECONDS } = require('./setup/totp')

const COMMUNITY = '341002002001' // demo-grid-worker's community: households DEMO-01..03
const OTHER_COMMUNITY = '341002004001' // another grid worker's
const OFFLINE_SYNC = '网络不可用，记录已保存在手机上，有网时自动同步'
// Grid workers no other file uses, for the tests that need a fresh route.
const TUNGUANG_ONE = 'demo-grid-341002100001' // 屯光镇演示社区一
const TUNGUANG_ONE_COMMUNITY = '341002100001'
const TUNGUANG_TWO = 'demo-grid-341002100002' // 屯光镇演示社区二
const YANGHU_ONE = 'demo-grid-341002101001' // 阳湖镇演示社区一: phones its households
const YANGHU_ONE_COMMUNITY = '341002101001'
const YIQI_TWO = 'demo-grid-341002104002' // 奕棋镇演示社区二: turns TOTP on in the console
const CHECKLIST_URL = '/pages/grid-checklist/index'

/**
 * Log a staff member in through the API (what happens elsewhere); resolve its token and account id.
 * The demo admins send a TOTP code of the demo secret (server.staffLogin).
 */
async function staffAccount(username) {
  const answer = await server.staffLogin(username)
  expect(answer.status).toBe(200)
  return { token: answer.body.token, id: answer.body.account.id }
}

/** Wait until `check()` is true (work started by a network event runs on its own). */
async function waitFor(check, what, ms = 5000) {
  const deadline = Date.now() + ms
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

/** Fill in the staff login page and submit it. */
const postedVisits = (phone) => phone.ctl.calls.filter((c) => c.method === 'POST' && c.path === '/api/v1/grid/visits')
const withoutOwner = ({ owner, ...visit }) => visit // the phone's bookkeeping, not sent
const DAY = 86400 * 1000
/** The day before a 'YYYY-MM-DD' date. */
const dayBefore = (iso) => new Date(Date.parse(`${iso}T00:00:00Z`) - DAY).toISOString().slice(0, 10)
/** An ISO timestamp's day on the city's clock (Asia/Shanghai: UTC+8 all year). */
const cityDay = (timestamp) => new Date(Date.parse(timestamp) + 8 * 3600 * 1000).toISOString().slice(0, 10)
const byName = (members, given) => members.find((member) => member.name.endsWith(given))

describe('staff login', () => {
  test('a wrong password shows the Chinese message and stays on the page', async () => {
    const phone = new Phone()
    // Another demo grid worker: one failure does not come near demo-grid-worker's lockout count.
    const page = await phone.staffLogIn('demo-grid-341002002002', 'not-the-password')
    expect(page.data.message).toBe('用户名或密码错误')
    expect(phone.ctl.modals.at(-1).content).toBe('用户名或密码错误')
    expect(page.data.password).toBe('')
    expect(phone.ctl.navigations).toEqual([])
    expect(phone.wx.getStorageSync('session')).toBe('')
  })

  test('a grid worker already logged in goes straight to the checklist, with no login request', async () => {
    const phone = new Phone()
    await phone.staffLogIn(TUNGUANG_TWO, phone.backend.password)
    expect(phone.ctl.lastNavigation()).toEqual({ api: 'reLaunch', url: CHECKLIST_URL })
    await phone.follow()
    const session = phone.wx.getStorageSync('session')

    // Later: 我的 → 网格员/工作人员登录 again.
    const me = await phone.open('pages/me/index')
    await phone.tap(me, 'onStaffLoginTap')
    const calls = phone.ctl.calls.length
    const login = await phone.follow()
    expect(login.route).toBe('pages/staff-login/index')
    expect(phone.ctl.lastNavigation()).toEqual({ api: 'reLaunch', url: CHECKLIST_URL })
    expect(phone.ctl.calls.slice(calls)).toEqual([]) // no staff login, no WeChat login
    const list = await phone.follow()
    expect(list.data.message).toBe('')
    expect(list.data.items).toHaveLength(3) // the worker's route, with the login kept
    expect(phone.ctl.calls.slice(calls).filter((c) => c.path.startsWith('/api/v1/auth/'))).toEqual([])
    expect(phone.wx.getStorageSync('session')).toEqual(session)
  })

  test('empty fields are caught on the phone', async () => {
    const phone = new Phone()
    const page = await phone.staffLogIn('demo-grid-worker', '')
    expect(page.data.message).toBe('请输入用户名和密码')
    expect(phone.ctl.calls).toEqual([])
  })

  test('a grid worker with a second factor is told so in Chinese, and nobody is logged in', async () => {
    // TOTP is optional for grid workers: this one turned it on at a desktop, in the console.
    const secret = await enrolTotp(YIQI_TWO)
    const phone = new Phone()
    const page = await phone.staffLogIn(YIQI_TWO, phone.backend.password)
    const told = '此账号已开启二次验证，小程序不能输入验证码，请在电脑上使用管理后台；区、市管理员以外的账号也可在管理后台“账号安全”中关闭二次验证后再用小程序'
    expect(page.data.message).toBe(told)
    expect(phone.ctl.modals.at(-1).content).toBe(told)
    expect(phone.ctl.navigations).toEqual([])
    expect(phone.wx.getStorageSync('session')).toBe('')
    expect(phone.ctl.calls.map((c) => `${c.method} ${c.path} ${c.statusCode}`)).toEqual(['POST /api/v1/auth/login 401'])

    // Through the API with a code (the next step's: enrolling used this one) it works, once.
    const code = totp(secret, { time: Date.now() + STEP_SECONDS * 1000 })
    const withCode = await server.staffLogin(YIQI_TWO, { totpCode: code })
    expect(withCode.status).toBe(200)
    expect(withCode.body.account.role).toBe('grid_worker')
    const replayed = await server.staffLogin(YIQI_TWO, { totpCode: code })
    expect([replayed.status, replayed.body.error.code]).toEqual([401, 'invalid_code'])
  })

  test('a staff member of another role lands on their own home, not the checklist', async () => {
    // Every staff role logs in here (test/navigation.test.js has them all); 叫号 for station staff.
    const phone = new Phone()
    const page = await phone.staffLogIn('demo-station-staff', phone.backend.password)
    expect(page.data.message).toBe('')
    expect(phone.ctl.navigations).toEqual([{ api: 'reLaunch', url: '/pages/station-queue/index' }])
    expect(phone.wx.getStorageSync('session')).toMatchObject({ kind: 'staff', role: 'station_staff' })
    // The checklist is not theirs: opened anyway, it sends them to the staff login (which sends them home).
    await phone.open('pages/grid-checklist/index', {}, 'navigateTo')
    expect(phone.ctl.lastNavigation()).toEqual({ api: 'redirectTo', url: '/pages/staff-login/index' })
    expect(phone.ctl.calls.filter((c) => c.path.startsWith('/api/v1/grid/'))).toEqual([])
  })
})

describe('a grid worker’s round, partly without signal', () => {
  let phone
  let worker // the grid worker's own API token, to read the ledger back
  let admin
  let list // the checklist page opened after login
  let households // key → household as the API showed it before any visit
  let progressBefore
  let queued // the two visits as the phone queued them

  beforeAll(async () => {
    phone = new Phone()
    worker = await staffAccount('demo-grid-worker')
    admin = await staffAccount('demo-city-admin')
    const answer = await server.call(`/households?community=${COMMUNITY}&per_page=50`, { token: worker.token })
    expect(answer.status).toBe(200)
    households = Object.fromEntries(answer.body.items.map((household) => [household.key, household]))
    progressBefore = (await server.call('/grid/progress', { token: worker.token })).body
  })

  const coverage = (progress) => progress.quarter.communities.find((row) => row.community.code === COMMUNITY)

  test('logs in and lands on the checklist: the three demo households with members, and progress', async () => {
    expect(Object.keys(households).sort()).toEqual(['DEMO-01', 'DEMO-02', 'DEMO-03'])
    await phone.staffLogIn('demo-grid-worker', phone.backend.password)
    expect(phone.ctl.lastNavigation()).toEqual({ api: 'reLaunch', url: '/pages/grid-checklist/index' })
    expect(phone.wx.getStorageSync('session')).toMatchObject({ kind: 'staff', role: 'grid_worker' })

    list = await phone.follow()
    // From where the phone stands, 50 stops at most.
    const asked = phone.ctl.calls.find((c) => c.path === '/api/v1/grid/checklist')
    expect(Object.fromEntries(new URL(asked.url).searchParams)).toEqual({ lat: '29.7155', lng: '118.3175', limit: '50' })
    expect(list.data.message).toBe('')
    expect(list.data.offline).toBe(false)
    expect(list.data.remaining).toBe(3)
    expect(list.data.items.map((row) => row.key).sort()).toEqual(['DEMO-01', 'DEMO-02', 'DEMO-03'])
    const row = list.data.items.find((item) => item.key === 'DEMO-03')
    expect(row.id).toBe(households['DEMO-03'].id)
    expect(row.zeroEmployment).toBe(true)
    expect(row.members.map((member) => member.name).sort()).toEqual(
      households['DEMO-03'].members.map((member) => member.name).sort(),
    )
    expect(byName(row.members, '桂芳')).toMatchObject({ status: '未就业' })
    expect(byName(row.members, '永军')).toMatchObject({ status: '登记失业', keyGroups: expect.stringContaining('就业困难人员') })
    expect(list.data.items.every((item) => /\d+米/.test(item.distance))).toBe(true)

    // Progress: visit days against the target of 10, and the quarter's coverage of the community.
    expect(list.data.progress).toMatchObject({ target: 10, visitDays: progressBefore.month.visit_days })
    const community = list.data.progress.communities.find((c) => c.code === COMMUNITY)
    expect(community).toMatchObject({ households: 3, met: coverage(progressBefore).met })

    // Kept on the phone, so the visit form opens where there is no signal.
    const saved = phone.wx.getStorageSync('grid.checklist')
    expect(saved.checklist.items).toHaveLength(3)
    expect(list.data.pendingCount).toBe(0)
    expect(list.data.rejected).toEqual([])
  })

  test('offline: the saved list is shown, two visits are recorded and stay on the phone', async () => {
    phone.ctl.setOnline(false)
    const callsBefore = phone.ctl.calls.length
    const offline = await phone.open('pages/grid-checklist/index')
    expect(offline.data.offline).toBe(true)
    expect(offline.data.savedAt).toMatch(/月\d+日/)
    expect(offline.data.items.map((row) => row.key).sort()).toEqual(['DEMO-01', 'DEMO-02', 'DEMO-03'])
    list = offline

    // DEMO-03, the zero-employment household: the family is met, 桂芳 has found work, 永军 wants a job.
    const demo3 = households['DEMO-03']
    await phone.tap(list, 'onHouseholdTap', { id: demo3.id })
    expect(phone.ctl.lastNavigation()).toEqual({ api: 'navigateTo', url: `/pages/grid-visit/index?household_id=${demo3.id}` })
    const visit = await phone.follow()
    expect(visit.data.household).toMatchObject({ id: demo3.id, key: 'DEMO-03' })
    expect(visit.data.outcome).toBe('met')
    expect(visit.data.located).toBe(true)
    const members = visit.data.members
    const guifang = members.findIndex((member) => member.name.endsWith('桂芳'))
    const yongjun = members.findIndex((member) => member.name.endsWith('永军'))
    expect(members[guifang].statusName).toBe('未就业')
    await phone.tap(visit, 'onStatusChange', { index: guifang }, { value: visit.data.statusLabels.indexOf('就业') })
    expect(visit.data.members[guifang].statusName).toBe('就业')
    await phone.tap(visit, 'onGroupTap', { index: guifang, group: 'migrant_worker' })
    await phone.tap(visit, 'onNeedTap', { index: yongjun, need: 'job' })
    // Picking a member's status that is already theirs is no change.
    await phone.tap(visit, 'onStatusChange', { index: yongjun }, { value: visit.data.statusLabels.indexOf('登记失业') })
    await phone.tap(visit, 'onNotesInput', {}, { value: '桂芳在茶厂上班了 ' })
    await phone.tap(visit, 'onSubmit')
    expect(phone.ctl.lastToast()).toEqual({ title: '已保存，有网时自动同步', icon: 'none' })
    expect(phone.ctl.lastNavigation()).toEqual({ api: 'navigateBack', delta: 1 })

    // DEMO-02: nobody at home.
    const demo2 = households['DEMO-02']
    await phone.tap(list, 'onHouseholdTap', { id: demo2.id })
    const second = await phone.follow()
    await phone.tap(second, 'onOutcomeTap', { outcome: 'not_home' })
    await phone.tap(second, 'onSubmit')
    expect(phone.ctl.lastNavigation()).toEqual({ api: 'navigateBack', delta: 1 })

    // Both wait on the phone, with the form's values: only what the worker changed.
    queued = phone.wx.getStorageSync('grid.visitQueue')
    expect(queued).toHaveLength(2)
    const residents = Object.fromEntries(demo3.members.map((member) => [member.name.slice(-2), member.id]))
    const sorted = (list) => [...list].sort((a, b) => a.resident_id - b.resident_id)
    expect({ ...queued[0], members: sorted(queued[0].members) }).toEqual({
      household_id: demo3.id,
      outcome: 'met',
      channel: 'door', // the form's default: a door-to-door visit, with where the phone stood
      lat: 29.7155,
      lng: 118.3175,
      members: sorted([
        { resident_id: residents['桂芳'], employment_status: 'employed', key_groups: ['migrant_worker'] },
        { resident_id: residents['永军'], needs: ['job'] },
      ]),
      notes: '桂芳在茶厂上班了',
      client_id: expect.stringMatching(/^[0-9a-f]{32}$/),
      visited_at: expect.any(String),
      owner: worker.id, // whose visit it is: the phone may be handed to another worker
    })
    expect(queued[1]).toMatchObject({ household_id: demo2.id, outcome: 'not_home', members: [], notes: null })
    expect(Math.abs(Date.parse(queued[1].visited_at) - Date.now())).toBeLessThan(60000)

    // Nothing left the phone, and the server still has the old ledger.
    expect(phone.ctl.calls.length).toBe(callsBefore)
    const now = await server.call(`/households/${demo3.id}`, { token: worker.token })
    expect(byName(now.body.members, '桂芳').employment_status).toBe('unemployed')

    // The checklist shows the queue; 同步 without a network says the records are safe.
    await phone.call(list, 'onShow')
    expect(list.data.pendingCount).toBe(2)
    expect(list.data.items.filter((row) => row.queued).map((row) => row.key).sort()).toEqual(['DEMO-02', 'DEMO-03'])
    await phone.tap(list, 'onSyncTap')
    expect(list.data.syncMessage).toBe(OFFLINE_SYNC)
    expect(phone.ctl.lastToast()).toEqual({ title: OFFLINE_SYNC, icon: 'none' })
    expect(phone.wx.getStorageSync('grid.visitQueue')).toHaveLength(2)
    expect(phone.ctl.calls.length).toBe(callsBefore)
  })

  test('back online: the app syncs by itself, the ledger changes, the follow-up appears', async () => {
    const demo3 = households['DEMO-03']
    const guifang = byName(demo3.members, '桂芳')
    const yongjun = byName(demo3.members, '永军')
    const historyBefore = (await server.call(`/residents/${guifang.id}/status-history`, { token: worker.token })).body
    // Visit days before the sync, and whether today (on the city's clock, the day both queued
    // visits were made) is one of them already: the days of this month up to yesterday, asked with ?as_of.
    const progressNow = (await server.call('/grid/progress', { token: worker.token })).body
    const today = progressNow.as_of
    expect(queued.map((visit) => cityDay(visit.visited_at))).toEqual([today, today])
    const yesterday = dayBefore(today)
    const daysUpToYesterday =
      yesterday.slice(0, 7) === today.slice(0, 7)
        ? (await server.call(`/grid/progress?as_of=${yesterday}`, { token: worker.token })).body.month.visit_days
        : 0 // the 1st: no earlier day this month
    const todayCounted = progressNow.month.visit_days > daysUpToYesterday

    phone.ctl.setOnline(true) // the app's onNetworkStatusChange sends the queue
    await waitFor(() => phone.wx.getStorageSync('grid.visitQueue').length === 0, 'the queue to empty')
    await waitFor(() => list.data.items.length === 2 && !list.data.loading, 'the checklist to reload')
    await phone.ctl.idle()
    expect(postedVisits(phone)).toHaveLength(1) // one batch for both
    expect(phone.ctl.toasts).toContainEqual({ title: '已同步 2 条', icon: 'success' })
    expect(list.data.pendingCount).toBe(0)
    expect(list.data.rejected).toEqual([])

    // The ledger changed on the server: 桂芳 is employed, recorded as a visit by this worker.
    const after = (await server.call(`/households/${demo3.id}`, { token: worker.token })).body
    expect(byName(after.members, '桂芳').employment_status).toBe('employed')
    expect(byName(after.members, '永军').employment_status).toBe(yongjun.employment_status)
    expect(demo3.zero_employment).toBe(true)
    expect(after.zero_employment).toBe(false) // somebody works now: no longer a zero-employment household
    const history = (await server.call(`/residents/${guifang.id}/status-history`, { token: worker.token })).body
    expect(history.changes).toHaveLength(historyBefore.changes.length + 1)
    expect(history.changes.at(-1)).toMatchObject({
      from_status: 'unemployed',
      to_status: 'employed',
      source: 'visit',
      actor_id: worker.id,
    })
    // (to the second: MariaDB's DATETIME keeps no fractions, SQLite's text does)
    const seconds = (iso) => Math.floor(Date.parse(iso) / 1000)
    expect(seconds(history.changes.at(-1).occurred_at)).toBe(seconds(queued[0].visited_at))
    expect(history.key_groups).toContainEqual(
      // (verified_by_id is left out: since issue 18 only a certification verifies a group)
      expect.objectContaining({ key_group: 'migrant_worker', source: 'visit', until: null }),
    )
    const untouched = (await server.call(`/households/${households['DEMO-02'].id}`, { token: worker.token })).body
    expect(untouched.members.map((m) => m.employment_status)).toEqual(
      households['DEMO-02'].members.map((m) => m.employment_status),
    )

    // The checklist: DEMO-03 was met (off the route), DEMO-02 was not (a not_home does not count),
    // and 永军's job need is a follow-up.
    expect(list.data.items.map((row) => row.key).sort()).toEqual(['DEMO-01', 'DEMO-02'])
    expect(list.data.remaining).toBe(2)
    expect(list.data.offline).toBe(false)
    expect(list.data.followUps).toContainEqual(
      expect.objectContaining({ resident: yongjun.name, kind: '求职', address: expect.any(String) }),
    )
    const community = list.data.progress.communities.find((c) => c.code === COMMUNITY)
    expect(community.met).toBe(coverage(progressBefore).met + 1)
    expect(community.notHome).toBe(coverage(progressBefore).not_home + 1)
    expect(community.coverage).toBe(`${Math.round(((coverage(progressBefore).met + 1) / 3) * 100)}%`)
    // Visit days count distinct days with a visit of mine: today becomes one, unless it was already.
    expect(list.data.progress.visitDays).toBe(progressNow.month.visit_days + (todayCounted ? 0 : 1))
  })

  test('nothing is sent twice: 同步 again, and a resend after a lost answer is a duplicate', async () => {
    const before = postedVisits(phone).length
    await phone.tap(list, 'onSyncTap')
    expect(phone.ctl.lastToast()).toEqual({ title: '没有待同步的记录', icon: 'none' })
    expect(postedVisits(phone)).toHaveLength(before)

    // The answer to the first batch was lost: the phone still holds the met visit and sends it again.
    const guifang = byName(households['DEMO-03'].members, '桂芳')
    const history = (await server.call(`/residents/${guifang.id}/status-history`, { token: worker.token })).body
    const followUps = list.data.followUps.length
    phone.wx.setStorageSync('grid.visitQueue', [queued[0]])
    await phone.tap(list, 'onSyncTap')
    expect(postedVisits(phone)).toHaveLength(before + 1)
    expect(phone.ctl.lastToast()).toEqual({ title: '已同步 1 条', icon: 'success' })
    expect(phone.wx.getStorageSync('grid.visitQueue')).toEqual([])
    expect(list.data.rejected).toEqual([])
    const again = (await server.call(`/residents/${guifang.id}/status-history`, { token: worker.token })).body
    expect(again.changes).toHaveLength(history.changes.length)
    await phone.call(list, 'onShow')
    expect(list.data.followUps).toHaveLength(followUps)

    // What the server answers for that client id (compared without case).
    const answer = await server.call('/grid/visits', {
      method: 'POST',
      token: worker.token,
      body: { visits: [{ ...withoutOwner(queued[0]), client_id: queued[0].client_id.toUpperCase() }] },
    })
    expect(answer.status).toBe(200)
    expect(answer.body.results).toEqual([
      expect.objectContaining({ index: 0, result: 'duplicate', client_id: queued[0].client_id.toUpperCase() }),
    ])
  })

  test('online, a visit is sent at once; refused ones land in the rejected list with the reason', async () => {
    // DEMO-01, refused at the door, with a network: sent straight away.
    const demo1 = households['DEMO-01']
    const before = postedVisits(phone).length
    await phone.tap(list, 'onHouseholdTap', { id: demo1.id })
    const visit = await phone.follow()
    await phone.tap(visit, 'onOutcomeTap', { outcome: 'refused' })
    await phone.tap(visit, 'onSubmit')
    expect(phone.ctl.lastToast()).toEqual({ title: '已提交', icon: 'success' })
    expect(postedVisits(phone)).toHaveLength(before + 1)
    expect(phone.wx.getStorageSync('grid.visitQueue')).toEqual([])

    // Two visits the server refuses: a household of another community (not this worker's), and
    // one that sat on the phone for 50 days.
    const other = await server.call(`/households?community=${OTHER_COMMUNITY}`, { token: admin.token })
    const foreign = other.body.items[0].id
    const queue = phone.load(path.join(ROOT, 'utils/visit-queue.js'))
    const old = new Date(Date.now() - 50 * 86400 * 1000).toISOString()
    queue.add({ household_id: foreign, outcome: 'not_home', lat: 29.7155, lng: 118.3175, members: [], notes: null })
    queue.add({ household_id: demo1.id, outcome: 'not_home', lat: 29.7155, lng: 118.3175, members: [], notes: null, visited_at: old })
    expect(queue.pending()).toHaveLength(2)
    const progress = (await server.call('/grid/progress', { token: worker.token })).body
    // The checklist (saved on the phone) has the full address, which the list shows.
    const fullAddress = phone.wx.getStorageSync('grid.checklist').checklist.items.find((item) => item.household.id === demo1.id).household.address
    expect(fullAddress).toMatch(/栋\d+室$/)

    // Opening the checklist sends what waits (as after a restart of the app, with signal).
    await phone.call(list, 'onShow')
    expect(phone.ctl.lastToast()).toEqual({ title: '已同步 0 条，2 条未被接受', icon: 'none' })
    expect(phone.wx.getStorageSync('grid.visitQueue')).toEqual([])
    expect(list.data.pendingCount).toBe(0)
    expect(list.data.rejected).toEqual([
      expect.objectContaining({ code: 'household_not_found', reason: '该户不在您负责的社区', address: `户 ${foreign}`, outcome: '不在家' }),
      expect.objectContaining({ code: 'visited_at_too_old', reason: '走访记录已超过45天，不能再提交', address: fullAddress }),
    ])
    // The server's own words are kept with each, for whoever reads the phone's records.
    const stored = phone.wx.getStorageSync('grid.visitRejected')
    expect(stored.map((entry) => entry.message)).toEqual([expect.stringContaining(String(foreign)), expect.stringMatching(/45 days/)])
    // Neither counted as an attempt.
    const after = (await server.call('/grid/progress', { token: worker.token })).body
    expect(coverage(after).not_home).toBe(coverage(progress).not_home)

    await phone.tap(list, 'onDismissRejectedTap')
    expect(list.data.rejected).toEqual([])
    expect(phone.wx.getStorageSync('grid.visitRejected')).toBe('')
  })

  test('a follow-up is closed from the checklist', async () => {
    const yongjun = byName(households['DEMO-03'].members, '永军')
    await phone.call(list, 'onShow')
    const row = list.data.followUps.find((need) => need.resident === yongjun.name && need.kind === '求职')
    expect(row).toBeDefined()
    await phone.tap(list, 'onCloseFollowUpTap', { id: row.id })
    expect(phone.ctl.modals.at(-1).title).toBe('办结跟进')
    expect(phone.ctl.lastToast()).toEqual({ title: '已办结', icon: 'success' })
    expect(list.data.followUps.find((need) => need.id === row.id)).toBeUndefined()
    const checklist = (await server.call('/grid/checklist?limit=50', { token: worker.token })).body
    expect(checklist.follow_ups.map((need) => need.id)).not.toContain(row.id)
    expect(phone.wx.getStorageSync('grid.checklist').checklist.follow_ups.map((need) => need.id)).not.toContain(row.id)
  })

  test('a queue without a staff login is not sent under a resident’s WeChat login', async () => {
    const other = new Phone()
    const queue = other.load(path.join(ROOT, 'utils/visit-queue.js'))
    queue.add({ household_id: households['DEMO-02'].id, outcome: 'not_home', lat: null, lng: null, members: [], notes: null })
    other.ctl.setOnline(false)
    other.ctl.setOnline(true) // the app tries to sync
    await other.ctl.idle()
    await expect(queue.sync()).rejects.toMatchObject({ status: 401, code: 'auth_required' })
    expect(other.ctl.calls).toEqual([])
    expect(other.wx.getStorageSync('session')).toBe('')
    expect(queue.pending()).toHaveLength(1)
  })

  test('without a staff login, the checklist sends the phone to the staff login page', async () => {
    const other = new Phone()
    await other.open('pages/grid-checklist/index')
    expect(other.ctl.lastNavigation()).toEqual({ api: 'redirectTo', url: '/pages/staff-login/index' })
    expect(other.ctl.calls).toEqual([]) // no WeChat (resident) login was made for it
  })
})

describe('the visit form when the phone cannot store the visit', () => {
  test('storage full: said so, the button works again, nothing queued; the next tap saves it', async () => {
    const phone = new Phone()
    await phone.staffLogIn('demo-grid-worker', phone.backend.password)
    // The checklist saved on the phone, with one of the worker's households (whatever was visited).
    const answer = await server.call(`/households?community=${COMMUNITY}&per_page=50`, { token: server.tokenOf(phone) })
    expect(answer.status).toBe(200)
    const household = answer.body.items[0]
    phone.load(path.join(ROOT, 'utils/grid-cache.js')).save({ items: [{ household }], follow_ups: [] }, null)
    phone.ctl.setOnline(false) // nothing leaves the phone: this test records no visit on the server

    const visit = await phone.open('pages/grid-visit/index', { household_id: String(household.id) })
    expect(visit.data.household).toMatchObject({ id: household.id })
    const setStorageSync = phone.wx.setStorageSync
    phone.wx.setStorageSync = (key, value) => {
      if (key === 'grid.visitQueue') throw new Error('setStorageSync:fail exceed storage max size 10MB')
      return setStorageSync(key, value)
    }
    const navigations = phone.ctl.navigations.length
    await phone.tap(visit, 'onOutcomeTap', { outcome: 'not_home' })
    await phone.tap(visit, 'onSubmit')
    expect(visit.data.submitting).toBe(false)
    expect(phone.ctl.modals.at(-1)).toEqual({
      title: '走访记录未保存',
      content: '走访记录没有保存下来（手机存储空间可能已满），请清理空间后再点保存',
    })
    expect(phone.ctl.toasts).toEqual([])
    expect(phone.ctl.navigations).toHaveLength(navigations) // still on the form
    expect(phone.wx.getStorageSync('grid.visitQueue')).toBe('')

    // Space freed: the same form saves it.
    phone.wx.setStorageSync = setStorageSync
    await phone.tap(visit, 'onSubmit')
    expect(phone.ctl.lastToast()).toEqual({ title: '已保存，有网时自动同步', icon: 'none' })
    expect(phone.ctl.lastNavigation()).toEqual({ api: 'navigateBack', delta: 1 })
    expect(phone.wx.getStorageSync('grid.visitQueue')).toEqual([
      expect.objectContaining({ household_id: household.id, outcome: 'not_home' }),
    ])
    expect(visit.data.submitting).toBe(false)
  })
})

describe('back from the visit form', () => {
  test('a visit with signal: the checklist below is shown again, refreshed, the household met off the route', async () => {
    const phone = new Phone()
    phone.ctl.location = { latitude: 29.749, longitude: 118.348 } // 屯光镇演示社区一
    await phone.staffLogIn(TUNGUANG_ONE, phone.backend.password)
    const list = await phone.follow()
    expect(list.data.message).toBe('')
    const remaining = list.data.remaining
    expect(list.data.items).toHaveLength(remaining)
    const metBefore = list.data.progress.communities.find((c) => c.code === TUNGUANG_ONE_COMMUNITY).met
    const household = list.data.items[0]

    await phone.tap(list, 'onHouseholdTap', { id: household.id })
    const visit = await phone.follow()
    expect(visit.data.household).toMatchObject({ id: household.id })
    expect(visit.data.outcome).toBe('met')
    await phone.tap(visit, 'onSubmit')
    expect(phone.ctl.lastToast()).toEqual({ title: '已提交', icon: 'success' })
    expect(phone.ctl.lastNavigation()).toEqual({ api: 'navigateBack', delta: 1 })
    // Nothing on the list changed yet: it is refreshed when it shows again.
    expect(list.data.items.map((item) => item.id)).toContain(household.id)

    const loads = phone.ctl.calls.filter((c) => c.path === '/api/v1/grid/checklist').length
    const back = await phone.follow()
    expect(back).toBe(list) // the same page, below the form
    expect(phone.ctl.calls.filter((c) => c.path === '/api/v1/grid/checklist')).toHaveLength(loads + 1)
    expect(list.data.items.map((item) => item.id)).not.toContain(household.id)
    expect(list.data.items).toHaveLength(remaining - 1)
    expect(list.data.remaining).toBe(remaining - 1)
    expect(list.data.progress.communities.find((c) => c.code === TUNGUANG_ONE_COMMUNITY).met).toBe(metBefore + 1)
    expect(list.data.pendingCount).toBe(0)
    expect(phone.wx.getStorageSync('grid.visitQueue')).toEqual([])
  })
})

describe('a phone call (电话访谈)', () => {
  test('updates the ledger but is no door visit: the household stays on the route, shown as called', async () => {
    const phone = new Phone()
    phone.ctl.location = { latitude: 29.704, longitude: 118.333 } // 阳湖镇演示社区一
    await phone.staffLogIn(YANGHU_ONE, phone.backend.password)
    const list = await phone.follow()
    expect(list.data.message).toBe('')
    const token = server.tokenOf(phone)
    const before = (await server.call('/grid/progress', { token })).body
    const row = (progress) => progress.quarter.communities.find((c) => c.community.code === YANGHU_ONE_COMMUNITY)
    const remaining = list.data.remaining
    // Not the community's last household: the demo has phoned that one already this month.
    const lastKey = list.data.items.map((item) => item.key).sort().at(-1)
    const household = list.data.items.find((item) => item.key !== lastKey)
    const sent = [] // the visit batches' bodies
    const request = phone.wx.request
    phone.wx.request = (options) => {
      if (options.url.endsWith('/grid/visits')) sent.push(...options.data.visits)
      return request(options)
    }

    await phone.tap(list, 'onHouseholdTap', { id: household.id })
    const visit = await phone.follow()
    expect(visit.data.channel).toBe('door') // the default
    expect(visit.data.channels.map((c) => c.name)).toEqual(['上门', '电话', '到站', '线上'])
    await phone.tap(visit, 'onChannelTap', { channel: 'phone' })
    expect(visit.data.channel).toBe('phone')
    // On the phone, the first member says they now work flexibly and want training.
    const member = visit.data.members[0]
    const [label, status] = member.statusName === '灵活就业' ? ['就业', 'employed'] : ['灵活就业', 'flexible']
    await phone.tap(visit, 'onStatusChange', { index: 0 }, { value: visit.data.statusLabels.indexOf(label) })
    await phone.tap(visit, 'onNeedTap', { index: 0, need: 'training' })
    await phone.tap(visit, 'onSubmit')
    expect(phone.ctl.lastToast()).toEqual({ title: '已提交', icon: 'success' })

    // Sent with its channel and without the phone's position (not the household's on a call).
    expect(sent).toEqual([
      expect.objectContaining({ household_id: household.id, outcome: 'met', channel: 'phone', lat: null, lng: null }),
    ])
    // The ledger changed, as a visit by this worker.
    const history = (await server.call(`/residents/${member.id}/status-history`, { token })).body
    expect(history.changes.at(-1)).toMatchObject({ to_status: status, source: 'visit' })

    // Back on the checklist: still to visit at the door, its last contact the call.
    const back = await phone.follow()
    expect(back).toBe(list)
    await waitFor(() => !list.data.loading, 'the checklist to reload')
    expect(list.data.remaining).toBe(remaining)
    const stop = list.data.items.find((item) => item.id === household.id)
    expect(stop.lastVisit).toMatch(/ 电话 见到$/)
    expect(list.data.followUps).toContainEqual(expect.objectContaining({ kind: '培训', resident: member.name }))
    // Not met, no visit day: counted apart as a household reached only by phone.
    const after = (await server.call('/grid/progress', { token })).body
    expect(after.month.visit_days).toBe(before.month.visit_days)
    expect(row(after).met).toBe(row(before).met)
    expect(row(after).contacted).toBe(row(before).contacted + 1)
    const community = list.data.progress.communities.find((c) => c.code === YANGHU_ONE_COMMUNITY)
    expect(community.contacted).toBe(row(before).contacted + 1)
  })
})
