// The resident's story of issue 23, as one person does it on the phone: reads 为你推荐 and applies
// to the first job; sees it in 我的应聘; finds the demo's live job fair under 直播带岗, signs up
// and opens its 视频号 stream; applies in one tap to a job the fair presents; 我的应聘 has both.
const { Phone } = require('./support/harness')
const server = require('./support/server')

const FAIR = '演示 屯溪区直播带岗招聘会' // app/services/demo/live_fair.py
const FINDER = 'sphTunxiJobFair01'

test('recommended → apply → 我的应聘 → the live fair: sign up, watch, one-tap apply', async () => {
  const phone = new Phone()
  phone.ctl.location = { latitude: 29.7155, longitude: 118.3175 }

  // 附近岗位 → 为你推荐 → the first job → 投递.
  const jobs = await phone.open('pages/jobs/index')
  await phone.tap(jobs, 'onRecommendedTap')
  const recommended = await phone.follow()
  expect(recommended.data.items.length).toBeGreaterThan(0)
  const first = recommended.data.items[0]
  await phone.call(recommended, 'onJobTap', { detail: { id: first.id } })
  const detail = await phone.follow()
  expect(detail.data.job).toMatchObject({ id: first.id, title: first.title })
  await phone.tap(detail, 'onApply')
  expect(detail.data.applicationStatus).toBe('已投递')

  // 我的 → 我的应聘: the application, 已投递.
  const me = await phone.open('pages/me/index')
  await phone.tap(me, 'onOpenTap', { page: 'applications' })
  const applications = await phone.follow()
  expect(applications.data.items.map((item) => [item.jobId, item.statusName])).toEqual([[first.id, '已投递']])

  // 招聘会 · 直播带岗: the demo fair, signed up for.
  await phone.tap(jobs, 'onEventsTap')
  const events = await phone.follow()
  await phone.tap(events, 'onFilterTap', { live: '1' })
  const fair = events.data.items.find((item) => item.title === FAIR)
  expect(fair).toMatchObject({ live: { kind: 'live', finderId: FINDER }, jobsCount: 3, canSignUp: true })
  await phone.tap(events, 'onSignUpTap', { id: fair.id })
  expect(events.data.items.find((item) => item.id === fair.id).signedUp).toBe(true)

  // Its page: the stream opens in 视频号; one tap applies to a presented job.
  await phone.tap(events, 'onEventTap', { id: fair.id })
  const page = await phone.follow()
  expect(page.data.event).toMatchObject({ id: fair.id, signedUp: true, live: { finderId: FINDER } })
  expect(page.data.jobs).toHaveLength(3)
  await phone.tap(page, 'onWatchTap')
  expect(phone.ctl.channels).toEqual([{ api: 'openChannelsLive', finderUserName: FINDER }])
  const presented = page.data.jobs.find((job) => job.id !== first.id)
  await phone.tap(page, 'onApplyTap', { id: presented.id })
  expect(page.data.applied[presented.id]).toBe('已投递')

  // Back in 我的应聘: both, newest first; the server has both.
  await phone.call(applications, 'onShow')
  expect(applications.data.items.map((item) => item.jobId)).toEqual([presented.id, first.id])
  const mine = await server.call('/applications?per_page=10', { token: server.tokenOf(phone) })
  expect(mine.body.items.map((item) => item.job.id)).toEqual([presented.id, first.id])
  const signedUp = await server.call(`/events/${fair.id}`, { token: server.tokenOf(phone) })
  expect(signedUp.body.signed_up).toBe(true)
  expect(phone.ctl.modals).toEqual([])
  expect(phone.ctl.navigationErrors).toEqual([])
})
