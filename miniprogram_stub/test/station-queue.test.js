// 叫号 at the counter: three residents scan the station's printed code, the clerk's queue shows
// them in order, 叫下一位 calls them one by one (never a second before the first is served), each
// is served with a coded outcome (one needing a follow-up), and the rows and follow-ups say so.
const { Phone } = require('./support/harness')
const server = require('./support/server')

const STATION_CODE = '341002-chengzhong-01' // demo-station-staff's station
const CLERK = 'demo-station-staff'
const QUEUE_URL = '/pages/station-queue/index'

let staff // the clerk's own API token and account id, to read the rows back
let station

/** Serve every visitor still waiting today (other files' residents), so the queue is ours. */
async function clearCounter() {
  const open = await server.call(`/stations/${station.id}/check-ins?served=false&per_page=500`, { token: staff.token })
  for (const row of open.body.items) {
    const answer = await server.call(`/check-ins/${row.id}`, { method: 'PATCH', token: staff.token, body: { outcome: 'nothing' } })
    expect(answer.status).toBe(200)
  }
}

/** A fresh resident with a name scans the printed code and checks in for `purpose`. */
async function residentChecksIn(name, purpose) {
  const phone = new Phone()
  phone.ctl.scanResult = await server.printedCode(station.id, staff.token)
  const scan = await phone.open('pages/scan/index')
  await phone.tap(scan, 'onScanTap')
  const page = await phone.follow()
  await phone.tap(page, 'onPurposeTap', { purpose })
  expect(page.data.ticket.queueNumber).toEqual(expect.any(Number))
  const token = server.tokenOf(phone)
  expect((await server.call('/me', { method: 'PATCH', token, body: { name } })).status).toBe(200)
  return { phone, number: page.data.ticket.queueNumber }
}

beforeAll(async () => {
  const login = await server.staffLogin(CLERK)
  staff = { token: login.body.token, id: login.body.account.id }
  const list = await server.call('/stations?per_page=100', { token: staff.token })
  station = list.body.items.find((item) => item.code === STATION_CODE)
  expect(station).toBeTruthy()
})

describe('the clerk calls three visitors in order and serves them', () => {
  let clerk
  let page
  let visitors

  beforeAll(async () => {
    await clearCounter()
    visitors = [
      await residentChecksIn('王秀英', 'job_seeking'),
      await residentChecksIn('李建国', 'registration'),
      await residentChecksIn('赵丽华', 'policy'),
    ]
  })

  afterAll(() => page && page.onUnload())

  // Today's served list also has other files' visitors (served by clearCounter): ours only.
  const ours = (rows) => rows.filter((row) => visitors.some((visitor) => String(visitor.number) === row.number))

  test('the clerk logs in and lands on 叫号 with the three waiting, in order, names masked', async () => {
    clerk = new Phone()
    await clerk.staffLogIn(CLERK)
    expect(clerk.ctl.lastNavigation()).toEqual({ api: 'reLaunch', url: QUEUE_URL })
    page = await clerk.follow()
    expect(page.data.station).toMatchObject({ id: station.id, name: station.name })
    expect(page.data.current).toBeNull()
    expect(page.data.waiting.map((row) => [Number(row.number), row.name, row.purpose])).toEqual([
      [visitors[0].number, '王**', '求职'],
      [visitors[1].number, '李**', '登记'],
      [visitors[2].number, '赵**', '政策'],
    ])
    expect(page.data.waiting.every((row) => row.stateText === '等候中')).toBe(true)
  })

  test('叫下一位 calls the first; a second call before serving is refused with the number', async () => {
    await clerk.tap(page, 'onCallNextTap')
    expect(clerk.ctl.modals.at(-1)).toEqual({ title: '叫号', content: `请 ${visitors[0].number} 号 王** 到窗口办理` })
    expect(page.data.current).toMatchObject({ number: String(visitors[0].number), name: '王**', stateText: '已叫到我的窗口' })
    expect(page.data.waiting.map((row) => Number(row.number))).toEqual([visitors[1].number, visitors[2].number])

    await clerk.tap(page, 'onCallNextTap')
    expect(clerk.ctl.calls.at(-3)).toMatchObject({ path: `/api/v1/stations/${station.id}/queue/call-next`, statusCode: 409 })
    expect(clerk.ctl.modals.at(-1).content).toBe(`请先办结 ${visitors[0].number} 号 王**，再叫下一位`)
    expect(page.data.current.number).toBe(String(visitors[0].number))
  })

  test('办结 needs an outcome; with one the visitor is served and the next can be called', async () => {
    await clerk.tap(page, 'onServeTap', { id: page.data.current.id })
    expect(page.data.serving).toMatchObject({ number: String(visitors[0].number), name: '王**', outcomeIndex: -1 })
    await clerk.tap(page, 'onServeSubmit')
    expect(clerk.ctl.lastToast()).toEqual({ title: '请选择办理结果', icon: 'none' })
    await clerk.tap(page, 'onOutcomeChange', {}, { value: '0' }) // 推荐岗位
    await clerk.tap(page, 'onServeSubmit')
    expect(clerk.ctl.lastToast()).toEqual({ title: '已办结', icon: 'success' })
    expect(page.data.serving).toBeNull()
    expect(page.data.current).toBeNull()
    expect(ours(page.data.served).map((row) => [Number(row.number), row.outcome, row.followUp])).toEqual([
      [visitors[0].number, '推荐岗位', false],
    ])

    // The second: registered, and it needs following up (the switch).
    await clerk.tap(page, 'onCallNextTap')
    expect(page.data.current.number).toBe(String(visitors[1].number))
    await clerk.tap(page, 'onServeTap', { id: page.data.current.id })
    await clerk.tap(page, 'onOutcomeChange', {}, { value: '1' }) // 业务登记
    await clerk.tap(page, 'onFollowUpChange', {}, { value: true })
    await clerk.tap(page, 'onNoteInput', {}, { value: '下周带材料再来' })
    await clerk.tap(page, 'onServeSubmit')

    // The third: 仅咨询.
    await clerk.tap(page, 'onCallNextTap')
    expect(page.data.current.number).toBe(String(visitors[2].number))
    await clerk.tap(page, 'onServeTap', { id: page.data.current.id })
    await clerk.tap(page, 'onOutcomeChange', {}, { value: '5' })
    await clerk.tap(page, 'onServeSubmit')

    // Nobody left: said in a toast, the counter idle.
    await clerk.tap(page, 'onCallNextTap')
    expect(clerk.ctl.lastToast()).toEqual({ title: '现在没有等候的人', icon: 'none' })
    expect(page.data.current).toBeNull()
    expect(page.data.waiting).toEqual([])
    expect(ours(page.data.served).map((row) => [Number(row.number), row.outcome, row.followUp])).toEqual([
      [visitors[0].number, '推荐岗位', false],
      [visitors[1].number, '业务登记', true],
      [visitors[2].number, '仅咨询', false],
    ])
  })

  test('the rows say who called and served them, with what outcome; the follow-up is listed', async () => {
    const list = await server.call(`/stations/${station.id}/check-ins?per_page=500`, { token: staff.token })
    const numbers = visitors.map((visitor) => visitor.number)
    const rows = list.body.items.filter((row) => numbers.includes(row.queue_number))
    expect(rows.map((row) => [row.queue_number, row.called_by_id, row.served_by_id, row.outcome, row.follow_up])).toEqual([
      [numbers[0], staff.id, staff.id, 'recommended_jobs', false],
      [numbers[1], staff.id, staff.id, 'registered', true],
      [numbers[2], staff.id, staff.id, 'nothing', false],
    ])
    expect(rows.every((row) => row.called_at && row.served_at && row.called_at <= row.served_at)).toBe(true)
    expect(rows[1].outcome_note).toBe('下周带材料再来')

    const followUps = await server.call(`/check-ins/follow-ups?station_id=${station.id}`, { token: staff.token })
    expect(followUps.body.items.map((row) => row.id)).toContain(rows[1].id)
    expect(page.data.followUps.map((row) => [row.id, row.name, row.outcome])).toContainEqual([rows[1].id, '李**', '业务登记'])

    // Dealt with: closed from the page, gone from the list (and the API's).
    await clerk.tap(page, 'onCloseFollowUpTap', { id: rows[1].id })
    expect(page.data.followUps.map((row) => row.id)).not.toContain(rows[1].id)
    const after = await server.call(`/check-ins/follow-ups?station_id=${station.id}`, { token: staff.token })
    expect(after.body.items.map((row) => row.id)).not.toContain(rows[1].id)
  })
})

describe('two counters', () => {
  test('two clerks tapping 叫下一位 at once get two different visitors, each sees the other busy', async () => {
    await clearCounter()
    const visitors = [await residentChecksIn('周海燕', 'job_seeking'), await residentChecksIn('吴国平', 'consult')]
    const first = new Phone()
    await first.staffLogIn(CLERK)
    const one = await first.follow()
    // The circle's operator helps at this station's second counter (any station of their place).
    const second = new Phone()
    await second.staffLogIn('demo-operator')
    const two = await second.open('pages/station-queue/index', {}, 'reLaunch')
    const index = two.data.stations.findIndex((row) => row.id === station.id)
    expect(index).toBeGreaterThanOrEqual(0)
    await second.tap(two, 'onStationChange', {}, { value: String(index) })
    try {
      await Promise.all([first.tap(one, 'onCallNextTap'), second.tap(two, 'onCallNextTap')])
      const called = [one.data.current.number, two.data.current.number].map(Number).sort((a, b) => a - b)
      expect(called).toEqual(visitors.map((visitor) => visitor.number).sort((a, b) => a - b))
      await second.call(two, 'refresh', false)
      expect(two.data.called.map((row) => row.number)).toEqual([one.data.current.number])
      expect(two.data.called[0].stateText).toBe('已被其他窗口叫号')
    } finally {
      one.onUnload()
      two.onUnload()
      await clearCounter()
    }
  })
})

describe('the queue refreshes itself while shown', () => {
  test('every 15 s while shown, not while hidden or after leaving', async () => {
    const started = []
    const stopped = []
    const setSpy = jest.spyOn(global, 'setInterval').mockImplementation((callback, ms) => {
      started.push({ callback, ms })
      return started.length
    })
    const clearSpy = jest.spyOn(global, 'clearInterval').mockImplementation((id) => stopped.push(id))
    try {
      const clerk = new Phone()
      await clerk.staffLogIn(CLERK)
      const page = await clerk.follow()
      expect(started.map((timer) => timer.ms)).toEqual([15000])

      // A resident checks in meanwhile: the next tick shows them without a tap.
      const visitor = await residentChecksIn('孙志强', 'consult')
      expect(page.data.waiting.map((row) => Number(row.number))).not.toContain(visitor.number)
      const calls = clerk.ctl.calls.length
      await started[0].callback()
      await clerk.ctl.idle()
      expect(clerk.ctl.calls.slice(calls).map((c) => c.path)).toEqual(
        expect.arrayContaining([`/api/v1/stations/${station.id}/check-ins`, '/api/v1/check-ins/follow-ups']),
      )
      expect(page.data.waiting.map((row) => Number(row.number))).toContain(visitor.number)

      await clerk.call(page, 'onHide')
      expect(stopped).toEqual([1])
      await clerk.call(page, 'onShow') // back: a new timer, the list reloaded
      expect(started).toHaveLength(2)
      await clerk.call(page, 'onUnload')
      expect(stopped).toEqual([1, 2])
    } finally {
      setSpy.mockRestore()
      clearSpy.mockRestore()
      await clearCounter()
    }
  })

  test('a resident who opens 叫号 is sent to their own home, with no station request', async () => {
    const resident = new Phone()
    await resident.open('pages/jobs/index')
    await resident.open('pages/station-queue/index', {}, 'navigateTo')
    expect(resident.ctl.lastNavigation()).toEqual({ api: 'reLaunch', url: '/pages/jobs/index' })
    expect(resident.ctl.calls.filter((c) => c.path.startsWith('/api/v1/stations'))).toEqual([])
  })
})
