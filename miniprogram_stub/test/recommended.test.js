// 为你推荐: the jobs the server recommends for the resident, in its order, a tap to the job; the
// entries to it and to the other new pages (the jobs tab, 我的). Residents only: others are sent
// to their own home.
const { Phone, ROOT } = require('./support/harness')
const server = require('./support/server')

const AT_STATION = { latitude: 29.7155, longitude: 118.3175 }

test('为你推荐 lists what the server recommends, in its order; a tap opens the job', async () => {
  const phone = new Phone()
  phone.ctl.location = AT_STATION
  const page = await phone.open('pages/recommended/index')
  expect(page.data.loaded).toBe(true)
  const answer = await server.call('/me/recommended-jobs?lat=29.7155&lng=118.3175&per_page=20', { token: server.tokenOf(phone) })
  expect(answer.status).toBe(200)
  expect(answer.body.length).toBeGreaterThan(0)
  expect(page.data.items.map((item) => item.id)).toEqual(answer.body.map((item) => item.job.id))
  expect(page.data.items[0].distance).toMatch(/米|公里/)
  expect(page.data.message).toBe('')

  await phone.call(page, 'onJobTap', { detail: { id: page.data.items[0].id } })
  expect(phone.ctl.lastNavigation()).toEqual({ api: 'navigateTo', url: `/pages/job-detail/index?id=${page.data.items[0].id}` })
  await phone.tap(page, 'onResumeTap')
  expect(phone.ctl.lastNavigation()).toEqual({ api: 'navigateTo', url: '/pages/resume/index' })
})

test('the jobs tab and 我的 lead to 为你推荐, 招聘会 and the other new pages', async () => {
  const phone = new Phone()
  const jobs = await phone.open('pages/jobs/index')
  await phone.tap(jobs, 'onRecommendedTap')
  expect(phone.ctl.lastNavigation()).toEqual({ api: 'navigateTo', url: '/pages/recommended/index' })
  await phone.tap(jobs, 'onEventsTap')
  expect(phone.ctl.lastNavigation()).toEqual({ api: 'navigateTo', url: '/pages/events/index' })

  const me = await phone.open('pages/me/index')
  for (const page of ['applications', 'recommended', 'events', 'my-check-ins', 'policies', 'claims', 'notices']) {
    await phone.tap(me, 'onOpenTap', { page })
    expect(phone.ctl.lastNavigation()).toEqual({ api: 'navigateTo', url: `/pages/${page}/index` })
    await phone.follow() // each opens (WeChat would refuse an unknown page)
  }
  await phone.tap(me, 'onEmployerTap')
  expect(phone.ctl.lastNavigation()).toEqual({ api: 'navigateTo', url: '/pages/employer-register/index' })
  expect(phone.ctl.navigationErrors).toEqual([])
})

test('我的 is not an employer’s page: an employer lands on their own home', async () => {
  const phone = new Phone({ openid: 'demo-employer-1' })
  await phone.load(require('path').join(ROOT, 'utils/api.js')).login()
  const calls = phone.ctl.calls.length
  await phone.open('pages/me/index')
  expect(phone.ctl.lastNavigation()).toEqual({ api: 'reLaunch', url: '/pages/employer-jobs/index' })
  expect(phone.ctl.calls.slice(calls)).toEqual([]) // no GET /me answered role_forbidden
})

test('residents only: a grid worker opening 为你推荐, 我的应聘 or the résumé lands on their home', async () => {
  const worker = new Phone()
  await worker.staffLogIn('demo-grid-worker')
  for (const route of ['pages/recommended/index', 'pages/applications/index', 'pages/resume/index', 'pages/claims/index']) {
    const calls = worker.ctl.calls.length
    await worker.open(route)
    expect(worker.ctl.lastNavigation()).toEqual({ api: 'reLaunch', url: '/pages/grid-checklist/index' })
    expect(worker.ctl.calls.slice(calls).filter((call) => call.statusCode === 403)).toEqual([])
  }
})
