// 我的签到 (GET /me/check-ins): a resident scans a station's printed code, checks in, and sees the
// visit in 我的签到 — the station, the purpose, the queue number, waiting — then, once the clerk
// has served them with an outcome, what came of it. Nobody else's visits are on the page.
const { Phone } = require('./support/harness')
const server = require('./support/server')

const STATION_CODE = '341002-chengzhong-01'
const AT_STATION = { latitude: 29.7155, longitude: 118.3175 }

let staff
let station

beforeAll(async () => {
  staff = await server.staffToken('demo-station-staff')
  const list = await server.call('/stations?per_page=100', { token: staff })
  station = list.body.items.find((item) => item.code === STATION_CODE)
  expect(station).toBeTruthy()
})

/** A fresh resident at the station checks in for `purpose` through the entry page (q = the printed code). */
async function checkIn(purpose) {
  const phone = new Phone()
  phone.ctl.location = AT_STATION
  const page = await phone.open('pages/checkin/index', { q: encodeURIComponent(await server.printedCode(station.id, staff)) })
  await phone.tap(page, 'onPurposeTap', { purpose })
  expect(page.data.ticket).toBeTruthy()
  return { phone, ticket: page.data.ticket }
}

test('my visit shows where, why and my number, waiting; once served, what came of it; only mine', async () => {
  const { phone, ticket } = await checkIn('job_seeking')
  const other = await checkIn('policy')

  const page = await phone.open('pages/my-check-ins/index')
  expect(page.data.loaded).toBe(true)
  expect(page.data.items).toHaveLength(1) // the other resident's visit is not mine
  const [row] = page.data.items
  expect(row).toMatchObject({ where: station.name, purpose: '求职', served: false })
  expect(row.number).toBe(ticket.outOfHours ? '' : String(ticket.queueNumber))
  expect(row.state).toBe(ticket.outOfHours ? '非开放时间来访' : '等待办理')
  expect(row.when).toMatch(/^\d+月\d+日 \d{2}:\d{2}$/)

  // The server's own list agrees, and holds no one else's.
  const mine = await server.call('/me/check-ins', { token: server.tokenOf(phone) })
  expect(mine.status).toBe(200)
  expect(mine.body.items.map((item) => item.id)).toEqual([row.id])
  expect(mine.body.items[0]).not.toHaveProperty('person')

  // The clerk serves the visit with an outcome: pulled down, the page says what came of it.
  const served = await server.call(`/check-ins/${row.id}`, {
    method: 'PATCH',
    token: staff,
    body: { outcome: 'recommended_jobs' },
  })
  expect(served.status).toBe(200)
  await phone.call(page, 'onPullDownRefresh')
  expect(page.data.items[0]).toMatchObject({ id: row.id, served: true, state: '已推荐岗位' })
  expect(phone.ctl.pullDownStopped).toBe(1)

  // The other resident still sees only their own visit, waiting.
  const theirs = await other.phone.open('pages/my-check-ins/index')
  expect(theirs.data.items.map((item) => item.purpose)).toEqual(['政策'])
  expect(theirs.data.items[0].served).toBe(false)
})

test('nothing yet: the page says so and offers the scan tab; a grid worker is sent to their own home', async () => {
  const phone = new Phone()
  const page = await phone.open('pages/my-check-ins/index')
  expect(page.data).toMatchObject({ loaded: true, items: [] })
  await phone.tap(page, 'onScanTap')
  expect(phone.ctl.lastNavigation()).toEqual({ api: 'switchTab', url: '/pages/scan/index' })

  const worker = new Phone()
  await worker.staffLogIn('demo-grid-worker')
  const calls = worker.ctl.calls.length
  await worker.open('pages/my-check-ins/index')
  expect(worker.ctl.lastNavigation().api).toBe('reLaunch')
  expect(worker.ctl.lastNavigation().url).not.toBe('/pages/my-check-ins/index')
  expect(worker.ctl.calls.slice(calls).filter((call) => call.path.includes('/me/check-ins'))).toEqual([])
})
