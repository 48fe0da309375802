// The resident scenario as one story on one phone, page after page, the way a person
// goes through it: log in → jobs near a Tunxi point → apply → upload a résumé → scan the
// station's printed code → check in. Each page is tested on its own in its own file; this
// file checks they hold together (what one page leaves behind, the next one uses).
const fs = require('fs')
const os = require('os')
const path = require('path')
const { Phone } = require('./support/harness')
const server = require('./support/server')

const LAOJIE = { latitude: 29.7095, longitude: 118.305 } // 屯溪老街
const STATION_CODE = '341002-chengzhong-01'

test('a resident: logs in, finds a job near 老街, applies, uploads a résumé, scans in at the station', async () => {
  const phone = new Phone()
  phone.ctl.location = LAOJIE

  // 我的: the first visit logs the resident in with WeChat, silently.
  const me = await phone.open('pages/me/index')
  expect(phone.ctl.calls[0]).toMatchObject({ method: 'POST', path: '/api/v1/auth/wechat-login', statusCode: 200 })
  expect(me.data).toMatchObject({ loggedIn: true, profile: expect.objectContaining({ status: '未填写' }) })
  const token = server.tokenOf(phone)

  // 附近岗位: the nearest job first, within 3 km.
  const jobs = await phone.open('pages/jobs/index')
  const first = jobs.data.items[0]
  expect(first).toMatchObject({ title: '茶叶包装工', employer: '黄山演示老街茶庄' })
  expect(first.distanceM).toBeLessThan(3000)
  await phone.call(jobs, 'onJobTap', { detail: { id: first.id }, currentTarget: { dataset: {} } })

  // The job → 投递.
  const detail = await phone.follow()
  expect(detail.data.job).toMatchObject({ id: first.id })
  await phone.call(detail, 'onNoteInput', { detail: { value: '我住在老街附近，可以马上上岗。' } })
  await phone.call(detail, 'onApply')
  expect(detail.data.applied).toBe(true)
  expect(phone.ctl.lastToast()).toEqual({ title: '已投递', icon: 'success' })
  const applications = await server.call(`/applications?job_id=${first.id}`, { token })
  expect(applications.body.items).toEqual([
    expect.objectContaining({ status: 'submitted', message: '我住在老街附近，可以马上上岗。' }),
  ])
  // Applied without a résumé: the page offers to write one, and that is where the person goes.
  expect(detail.data.resumeMissing).toBe(true)
  await phone.call(detail, 'onResumeTap')

  // 简历: upload a PDF from a chat.
  const resume = await phone.follow()
  expect(resume.route).toBe('pages/resume/index')
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ec-scenario-'))
  const pdf = path.join(dir, 'cv.pdf')
  fs.writeFileSync(pdf, '%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n')
  phone.ctl.chosenFiles = [{ path: pdf, name: '王小明的简历.pdf' }]
  await phone.call(resume, 'onUploadTap')
  expect(resume.data.files.map((file) => file.name)).toEqual(['王小明的简历.pdf'])
  const stored = await server.call('/me/resume', { token })
  expect(stored.body.files).toEqual([expect.objectContaining({ name: '王小明的简历.pdf', content_type: 'application/pdf' })])

  // At the station: the camera reads the printed poster.
  const staff = await server.staffToken('demo-station-staff')
  const stations = await server.call('/stations?per_page=100', { token: staff })
  const station = stations.body.items.find((item) => item.code === STATION_CODE)
  phone.ctl.location = { latitude: 29.7155, longitude: 118.3175 }
  phone.ctl.scanResult = await server.printedCode(station.id, staff)
  const scan = await phone.open('pages/scan/index')
  await phone.call(scan, 'onScanTap')
  const checkin = await phone.follow()
  expect(checkin.data.step).toBe('purpose')
  await phone.tap(checkin, 'onPurposeTap', { purpose: 'job_seeking' })
  expect(checkin.data.step).toBe('done')
  expect(checkin.data.ticket).toMatchObject({ title: '城中就业圈服务站', purposeName: '求职', repeated: false })
  expect(checkin.data.ticket.queueNumber).toBeGreaterThan(0)

  // The station's list shows this visitor with that number; the résumé made "write one" go away.
  const today = await server.call(`/stations/${station.id}/check-ins?per_page=500`, { token: staff })
  const mine = today.body.items.filter((item) => item.queue_number === checkin.data.ticket.queueNumber)
  expect(mine).toEqual([expect.objectContaining({ purpose: 'job_seeking', via: 'printed' })])
  expect(checkin.data.steps.map((step) => step.code)).not.toContain('write_resume')
  expect(checkin.data.steps.map((step) => step.code)).toContain('wait_for_call')
  // Nothing went wrong along the way: no error dialog was shown.
  expect(phone.ctl.modals).toEqual([])
})

test('a grid worker: logs in, loads the checklist, records a visit offline, syncs, and the ledger has changed', async () => {
  // 昱东街道演示社区一 and its own grid worker: grid.test.js works in another community.
  const phone = new Phone()
  phone.ctl.location = { latitude: 29.7265, longitude: 118.3415 }

  await phone.staffLogIn('demo-grid-341002001001')
  expect(phone.ctl.lastNavigation()).toEqual({ api: 'reLaunch', url: '/pages/grid-checklist/index' })
  const checklist = await phone.follow()
  const household = checklist.data.items.find((item) => item.key === 'DEMO-03')
  expect(household.zeroEmployment).toBe(true)
  const guifang = household.members.find((member) => member.name.endsWith('桂芳'))
  expect(guifang.status).toBe('未就业')

  // In the stairwell, no signal: the visit is recorded on the phone.
  phone.ctl.setOnline(false)
  await phone.tap(checklist, 'onHouseholdTap', { id: household.id })
  const visit = await phone.follow()
  const index = visit.data.members.findIndex((member) => member.id === guifang.id)
  await phone.tap(visit, 'onStatusChange', { index }, { value: visit.data.statusLabels.indexOf('就业') })
  await phone.tap(visit, 'onSubmit')
  expect(phone.ctl.lastToast()).toEqual({ title: '已保存，有网时自动同步', icon: 'none' })
  expect(phone.wx.getStorageSync('grid.visitQueue')).toEqual([
    expect.objectContaining({ household_id: household.id, outcome: 'met', members: [{ resident_id: guifang.id, employment_status: 'employed' }] }),
  ])
  expect(phone.ctl.calls.filter((call) => call.path === '/api/v1/grid/visits')).toEqual([])

  // Signal again: the app sends the queue by itself.
  phone.ctl.setOnline(true)
  await phone.ctl.idle()
  expect(phone.wx.getStorageSync('grid.visitQueue')).toEqual([])
  expect(phone.ctl.calls.filter((call) => call.path === '/api/v1/grid/visits')).toEqual([
    expect.objectContaining({ method: 'POST', statusCode: 200 }),
  ])

  // The ledger: 桂芳 employed since this visit, so the household is no longer zero-employment.
  const token = server.tokenOf(phone)
  const ledger = await server.call(`/households/${household.id}`, { token })
  expect(ledger.body.zero_employment).toBe(false)
  expect(ledger.body.members.find((member) => member.id === guifang.id).employment_status).toBe('employed')
  const history = await server.call(`/residents/${guifang.id}/status-history`, { token })
  expect(history.body.changes.at(-1)).toMatchObject({ from_status: 'unemployed', to_status: 'employed', source: 'visit' })
})
