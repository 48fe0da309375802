// 工作, every staff role's own tab: each role sees the sections the API serves it (and asks for
// no other: never a 403), with what the API holds for it; a placement follow-up is answered from
// the phone, a planned visit opens the visit form, and 退出登录 ends the session on the server.
const { Phone } = require('./support/harness')
const server = require('./support/server')

const TASKS = 'pages/staff-tasks/index'
const refusals = (phone) => phone.ctl.calls.filter((call) => call.statusCode === 403)
const asked = (phone, path) => phone.ctl.calls.some((call) => call.path === `/api/v1${path}`)

/** A staff member logged in on a phone, on the 工作 tab. */
async function tasksOf(username) {
  const phone = new Phone()
  await phone.staffLogIn(username)
  const page = await phone.open(TASKS, {}, 'reLaunch')
  return { phone, page, token: server.tokenOf(phone) }
}

test('a grid worker: planned visits (one opens the visit form), training hours, notices; no list report', async () => {
  const worker = await server.staffToken('demo-grid-worker')
  const households = await server.call('/households?per_page=5', { token: worker })
  const household = households.body.items[0]
  const plannedAt = new Date(Date.now() + 2 * 86400 * 1000).toISOString()
  const planned = await server.call('/grid/planned-visits', {
    method: 'POST',
    token: worker,
    body: { client_id: `plan-${Date.now()}`, household_id: household.id, planned_at: plannedAt, note: '带就业政策宣传单' },
  })
  expect(planned.status).toBe(201)

  const { phone, page, token } = await tasksOf('demo-grid-worker')
  expect(page.data).toMatchObject({ roleLabel: '网格员' })
  expect(page.data.show).toEqual({ training: true, plannedVisits: true, placements: true, answerPlacements: true, keyGroupLists: false })
  expect(page.data.plannedVisits).toContainEqual(expect.objectContaining({ id: planned.body.id, householdId: household.id, note: '带就业政策宣传单' }))
  const hours = (await server.call('/events/training-hours/me', { token })).body
  expect(page.data.training).toMatchObject({ year: hours.year, hours: hours.hours })
  const notices = (await server.call('/notices/mine?per_page=20', { token })).body
  expect(page.data.notices.map((row) => row.title)).toEqual(notices.items.map((row) => row.title))
  expect(page.data.notices.length).toBeGreaterThan(0) // the demo's notice to grid workers
  expect(asked(phone, '/exchange/key-group-lists')).toBe(false)
  expect(refusals(phone)).toEqual([])

  await phone.tap(page, 'onPlannedVisitTap', { household: household.id })
  expect(phone.ctl.lastNavigation()).toEqual({ api: 'navigateTo', url: `/pages/grid-visit/index?household_id=${household.id}` })
})

test('station staff: a placement follow-up answered by phone leaves the list; no planned visits', async () => {
  const { phone, page, token } = await tasksOf('demo-station-staff')
  expect(page.data.show).toMatchObject({ training: true, plannedVisits: false, placements: true, keyGroupLists: false })
  expect(asked(phone, '/grid/planned-visits')).toBe(false)
  const due = (await server.call('/placements?status=task&per_page=50', { token })).body.items
  expect(page.data.placements.map((row) => row.id)).toEqual(due.map((row) => row.id))
  expect(due.length).toBeGreaterThan(0) // the demo's 180-day follow-up nobody answered online
  const row = page.data.placements[0]
  expect(row.phone).toMatch(/^1\d{2}\*{4}\d{4}$|^$/) // masked
  expect(row.stage).toMatch(/^入职\d+天回访$/)

  // 已离职 needs why and the last day; without them nothing is sent.
  const before = phone.ctl.calls.length
  await phone.tap(page, 'onLeftTap', { id: row.id })
  expect(phone.ctl.lastToast()).toEqual({ title: '请选择离职原因和最后工作日', icon: 'none' })
  expect(phone.ctl.calls.length).toBe(before)

  await phone.tap(page, 'onStillEmployedTap', { id: row.id })
  expect(phone.ctl.lastToast()).toEqual({ title: '已记录', icon: 'success' })
  expect(page.data.placements.map((item) => item.id)).not.toContain(row.id)
  const all = (await server.call('/placements?per_page=50', { token })).body.items
  expect(all.find((item) => item.id === row.id)).toMatchObject({ status: 'answered', answer: 'still_employed', answer_channel: 'phone' })
  expect(refusals(phone)).toEqual([])
})

test('a district admin: the key-group list report and notices, no training hours nor planned visits', async () => {
  const { phone, page, token } = await tasksOf('demo-district-admin')
  expect(page.data.show).toEqual({ training: false, plannedVisits: false, placements: true, answerPlacements: true, keyGroupLists: true })
  expect(asked(phone, '/exchange/key-group-lists')).toBe(true)
  expect(asked(phone, '/events/training-hours/me')).toBe(false)
  const report = (await server.call('/exchange/key-group-lists', { token })).body
  expect(page.data.unmatched.map((row) => row.id)).toEqual(report.unmatched.map((row) => row.id))
  expect(page.data.notices.map((row) => row.title)).toEqual((await server.call('/notices/mine?per_page=20', { token })).body.items.map((row) => row.title))
  expect(refusals(phone)).toEqual([])
})

test('a supervisor reads the follow-ups but has no answer buttons; every section loads without a 403', async () => {
  const { phone, page } = await tasksOf('demo-supervisor')
  expect(page.data.show).toEqual({ training: false, plannedVisits: false, placements: true, answerPlacements: false, keyGroupLists: false })
  expect(page.data.roleLabel).toBe('督导')
  expect(refusals(phone)).toEqual([])
})

test('退出登录 revokes the token, clears the session and opens the resident app', async () => {
  const { phone, page, token } = await tasksOf('demo-operator')
  await phone.tap(page, 'onLogoutTap')
  expect(phone.wx.getStorageSync('session')).toBe('')
  expect(phone.ctl.lastNavigation()).toEqual({ api: 'reLaunch', url: '/pages/jobs/index' })
  expect((await server.call('/notices/mine', { token })).status).toBe(401)
})
