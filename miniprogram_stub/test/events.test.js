// 招聘会 and 活动详情: the list (all events, or the live job fairs only), sign-up and cancel, full
// events, an employer's booth sign-up (报名参展) on the same page; the detail's 视频号 stream (a
// live: wx.openChannelsLive; a replay: wx.openChannelsActivity) and its presented jobs, applied
// to with one tap. The fairs are scheduled by station staff through the API, as the console does.
const path = require('path')
const { Phone, ROOT } = require('./support/harness')
const { fakeWechat } = require('./support/wx')
const server = require('./support/server')

const STATION_CODE = '341002-chengzhong-01'
const AT_STATION = { latitude: 29.7155, longitude: 118.3175 }

let staff
let station

/** A moment as the API wants it: Shanghai time with its offset, `hours` from now. */
function shanghai(hours) {
  const ms = Date.now() + hours * 3600 * 1000
  return `${new Date(ms + 8 * 3600 * 1000).toISOString().slice(0, 19)}+08:00`
}

/** server.call that must succeed: the body. */
async function must(route, options) {
  const answer = await server.call(route, options)
  if (answer.status >= 300) throw new Error(`${route} answered ${answer.status}: ${JSON.stringify(answer.body)}`)
  return answer.body
}

/** A token for a demo employer (logged in through the fake WeChat). */
async function employerToken(openid) {
  const minted = await fakeWechat(new Phone().backend.wechatBase, '/_fake/codes', { openid })
  return (await must('/auth/wechat-login', { method: 'POST', body: { code: minted.code } })).token
}

/** A job posted by a demo employer at the station and approved by its staff (published). */
async function stationJob(title) {
  const employer = await employerToken('demo-employer-2')
  const job = await must('/jobs', {
    method: 'POST',
    token: employer,
    body: { title, category: 'catering', kind: 'regular', wage_min: 3200, wage_max: 4200, lat: AT_STATION.latitude, lng: AT_STATION.longitude },
  })
  const submitted = await must(`/jobs/${job.id}/submit`, { method: 'POST', token: employer, body: {} })
  if (submitted.status !== 'published') {
    await must(`/jobs/${job.id}/review`, { method: 'POST', token: staff, body: { decision: 'approved' } })
  }
  return job
}

/** Station staff schedule an event at the station (soon, so it is on the list's first page, unless told). */
async function scheduleEvent(fields) {
  return must('/events', {
    method: 'POST',
    token: staff,
    body: { kind: 'job_fair', station_id: station.id, starts_at: shanghai(0.5), ends_at: shanghai(3), ...fields },
  })
}

const unique = () => Math.random().toString(36).slice(2, 8)

beforeAll(async () => {
  staff = await server.staffToken('demo-station-staff')
  const list = await server.call('/stations?per_page=100', { token: staff })
  station = list.body.items.find((item) => item.code === STATION_CODE)
  expect(station).toBeTruthy()
})

describe('招聘会', () => {
  test('a live fair in the list, 直播带岗 only, sign up and cancel; the server agrees', async () => {
    const fair = await scheduleEvent({ title: `直播带岗测试${unique()}`, capacity: 50, channels_finder_id: `sphTest${unique()}` })
    const plain = await scheduleEvent({ title: `普通招聘会${unique()}`, kind: 'training' })
    const phone = new Phone()
    phone.ctl.location = AT_STATION
    const page = await phone.open('pages/events/index')
    expect(page.data.employer).toBe(false)
    const row = page.data.items.find((item) => item.id === fair.id)
    expect(row).toMatchObject({
      title: fair.title,
      kindName: '招聘会',
      live: { kind: 'live', label: '视频号直播', finderId: fair.live.finder_id },
      spotsText: '剩余50个名额',
      signedUp: false,
      canSignUp: true,
      distance: '0米',
    })
    // Same day: '12月7日（周一）09:00-11:30'; past midnight: '… 至 12月8日（周二）01:00'.
    expect(row.when).toMatch(/^\d+月\d+日（周.）\d{2}:\d{2}(-\d{2}:\d{2}| 至 \d+月\d+日（周.）\d{2}:\d{2})$/)
    expect(row.place).toContain(station.name)
    expect(page.data.items.find((item) => item.id === plain.id)).toMatchObject({ kindName: '培训', live: null })

    // 直播带岗: only the live fairs, as the server lists them.
    await phone.tap(page, 'onFilterTap', { live: '1' })
    const live = await must('/events?live=true&per_page=20')
    expect(page.data.items.map((item) => item.id)).toEqual(live.items.map((item) => item.id))
    expect(page.data.items.every((item) => item.live)).toBe(true)
    expect(page.data.items.some((item) => item.id === plain.id)).toBe(false)

    await phone.tap(page, 'onSignUpTap', { id: fair.id })
    expect(phone.ctl.lastToast()).toEqual({ title: '报名成功', icon: 'success' })
    expect(page.data.items.find((item) => item.id === fair.id)).toMatchObject({ signedUp: true, canSignUp: false })
    expect((await must(`/events/${fair.id}`, { token: server.tokenOf(phone) })).signed_up).toBe(true)

    await phone.tap(page, 'onCancelTap', { id: fair.id })
    expect(phone.ctl.modals.pop().title).toBe('取消报名')
    expect(page.data.items.find((item) => item.id === fair.id)).toMatchObject({ signedUp: false, canSignUp: true })
    expect((await must(`/events/${fair.id}`, { token: server.tokenOf(phone) })).signed_up).toBe(false)
  })

  test('a full event shows 名额已满 and no sign-up; a refused sign-up is said in Chinese', async () => {
    const event = await scheduleEvent({ title: `小型招聘会${unique()}`, capacity: 1 })
    const first = new Phone()
    const page = await first.open('pages/events/index')
    await first.tap(page, 'onSignUpTap', { id: event.id })
    expect(page.data.items.find((item) => item.id === event.id).signedUp).toBe(true)

    const second = new Phone()
    const list = await second.open('pages/events/index')
    expect(list.data.items.find((item) => item.id === event.id)).toMatchObject({ spotsText: '名额已满', canSignUp: false })
    // Tapped on a list shown before it filled up: the server's refusal, then the list again.
    await second.tap(list, 'onSignUpTap', { id: event.id })
    expect(second.ctl.modals.pop().content).toBe('活动名额已满')
  })

  test('an employer signs up a booth (报名参展) on the same page, one of the employer tabs; staff go home', async () => {
    const event = await scheduleEvent({ title: `企业招聘会${unique()}` })
    const phone = new Phone({ openid: 'demo-employer-3' })
    await phone.load(path.join(ROOT, 'utils/api.js')).login()
    const page = await phone.open('pages/events/index')
    expect(page.data.employer).toBe(true)
    expect(phone.ctl.navigations).toEqual([]) // not sent away: the page is the employer's too
    expect(phone.load(path.join(ROOT, 'utils/roles.js')).hasTab('employer', 'pages/events/index')).toBe(true)
    await phone.tap(page, 'onSignUpTap', { id: event.id })
    expect(phone.ctl.lastToast()).toEqual({ title: '已报名参展', icon: 'success' })
    expect(page.data.items.find((item) => item.id === event.id).signedUp).toBe(true)
    const signups = await must(`/events/${event.id}/signups`, { token: staff })
    expect(signups.total).toBe(1)

    const worker = new Phone()
    await worker.staffLogIn('demo-grid-worker')
    await worker.open('pages/events/index')
    expect(worker.ctl.lastNavigation().api).toBe('reLaunch')
  })
})

describe('活动详情', () => {
  test('the live stream opens in 视频号; the presented jobs in order, applied to with one tap', async () => {
    const jobs = [await stationJob(`直播岗位甲${unique()}`), await stationJob(`直播岗位乙${unique()}`)]
    const finder = `sphLive${unique()}`
    const fair = await scheduleEvent({
      title: `直播带岗${unique()}`,
      channels_finder_id: finder,
      job_ids: jobs.map((job) => job.id),
      starts_at: shanghai(-1),
      ends_at: shanghai(2),
    })
    const phone = new Phone()
    const page = await phone.open('pages/event-detail/index', { id: String(fair.id) })
    expect(page.data.event).toMatchObject({ id: fair.id, live: { kind: 'live', finderId: finder }, jobsCount: 2 })
    expect(page.data.jobs.map((job) => job.title)).toEqual(jobs.map((job) => job.title))
    expect(page.data.jobs[0].wage).toBe('3200-4200元/月')

    await phone.tap(page, 'onWatchTap')
    expect(phone.ctl.channels).toEqual([{ api: 'openChannelsLive', finderUserName: finder }])

    await phone.tap(page, 'onApplyTap', { id: jobs[1].id })
    expect(page.data.applied[jobs[1].id]).toBe('已投递')
    expect(page.data.applied[jobs[0].id]).toBeUndefined()
    const mine = await must(`/applications?job_id=${jobs[1].id}`, { token: server.tokenOf(phone) })
    expect(mine.items).toHaveLength(1)
    // A second tap sends nothing more.
    const posts = phone.ctl.calls.filter((call) => call.method === 'POST' && call.path.endsWith('/applications')).length
    await phone.tap(page, 'onApplyTap', { id: jobs[1].id })
    expect(phone.ctl.calls.filter((call) => call.method === 'POST' && call.path.endsWith('/applications'))).toHaveLength(posts)

    // Signing up from the detail; the page again shows what I applied to.
    await phone.tap(page, 'onSignUpTap')
    expect(page.data.event.signedUp).toBe(true)
    const reopened = await phone.open('pages/event-detail/index', { id: String(fair.id) })
    expect(reopened.data.applied).toEqual({ [jobs[1].id]: '已投递' })
  })

  test('a replay opens the one video (finder, feed, nonce); an unknown event says so', async () => {
    const finder = `sphReplay${unique()}`
    const fair = await scheduleEvent({
      title: `直播回放${unique()}`,
      channels_finder_id: finder,
      channels_feed_id: 'export/UzFfAgtgekIEAQAAAAAAb4MgAAAAAAAA',
      channels_nonce_id: '1234567890',
    })
    const phone = new Phone()
    const page = await phone.open('pages/event-detail/index', { id: String(fair.id) })
    expect(page.data.event.live).toMatchObject({ kind: 'replay', label: '直播回放' })
    expect(page.data.jobs).toEqual([])
    await phone.tap(page, 'onWatchTap')
    expect(phone.ctl.channels).toEqual([
      { api: 'openChannelsActivity', finderUserName: finder, feedId: 'export/UzFfAgtgekIEAQAAAAAAb4MgAAAAAAAA', nonceId: '1234567890' },
    ])

    const missing = await phone.open('pages/event-detail/index', { id: '99999999' })
    expect(missing.data.event).toBe(null)
    expect(missing.data.message).toBe('活动不存在或已下线')
  })
})
