// A job's detail: shown to anyone, apply once (a repeat is still one application), call the
// employer, and a job that is gone (unknown, or closed while the page was open).
const path = require('path')
const { Phone, ROOT } = require('./support/harness')
const { fakeWechat } = require('./support/wx')
const server = require('./support/server')

const LAOJIE = { lat: 29.7095, lng: 118.305 } // 屯溪老街: demo employer 1 and its 茶叶包装工
const CHENGZHONG = { latitude: 29.7155, longitude: 118.3175 }
const GONE = '岗位已下线或不存在'

const paths = (phone) => phone.ctl.calls.map((call) => `${call.method} ${call.path} ${call.statusCode}`)

/** The id of a live demo job, found as the jobs list finds it. */
async function demoJobId(title) {
  const answer = await server.call(`/jobs?lat=${LAOJIE.lat}&lng=${LAOJIE.lng}&per_page=50`)
  expect(answer.status).toBe(200)
  const hit = answer.body.items.find((item) => item.job.title === title)
  if (!hit) throw new Error(`no live demo job ${title}`)
  return hit.job.id
}

/** The resident's own applications, read with the token the page's phone holds. */
async function applicationsOf(phone, jobId) {
  const answer = await server.call(`/applications?job_id=${jobId}`, { token: server.tokenOf(phone) })
  expect(answer.status).toBe(200)
  return answer.body.items
}

/** A token for a WeChat user (a demo employer) through the fake WeChat, as its own app would. */
async function wechatToken(phone, openid) {
  const { code } = await fakeWechat(phone.backend.wechatBase, '/_fake/codes', { openid })
  const answer = await server.call('/auth/wechat-login', { method: 'POST', body: { code } })
  expect(answer.status).toBe(200)
  return answer.body.token
}

describe('job detail', () => {
  test('shows a live job to anyone, with the distance from where the phone is', async () => {
    const phone = new Phone()
    const id = await demoJobId('茶叶包装工')
    phone.app.globalData.location = { lat: CHENGZHONG.latitude, lng: CHENGZHONG.longitude }
    const page = await phone.open('pages/job-detail/index', { id: String(id) })

    expect(page.data.loading).toBe(false)
    expect(page.data.message).toBe('')
    expect(page.data.job).toMatchObject({
      id,
      title: '茶叶包装工',
      wage: '3500-4500元/月',
      kind: '全职',
      category: '茶叶加工',
      address: '屯溪区老街演示路8号',
      skills: ['包装', '茶叶'],
      employer: '黄山演示老街茶庄',
      verified: true,
      headcount: 4,
      contact: null, // not logged in: no contact
    })
    expect(page.data.job.description).toContain('招聘茶叶包装工')
    // 老街 to the 城中 station is about 1.4 km as the crow flies.
    expect(page.data.job.distance).toBe('1.4公里')
    expect(page.data.applied).toBe(false)
    // Browsing logs nobody in.
    expect(paths(phone)).toEqual([`GET /api/v1/jobs/${id} 200`])
    expect(phone.ctl.modals).toEqual([])
  })

  test('without a known position there is no distance', async () => {
    const phone = new Phone()
    const id = await demoJobId('茶艺讲解员')
    const page = await phone.open('pages/job-detail/index', { id: String(id) })
    expect(page.data.job).toMatchObject({ title: '茶艺讲解员', wage: '25-35元/小时', kind: '兼职', category: '零售', distance: '' })
  })

  test('apply with a note: the server has one application, and applying again keeps it one', async () => {
    const phone = new Phone()
    const id = await demoJobId('茶叶包装工')
    const page = await phone.open('pages/job-detail/index', { id: String(id) })

    await phone.call(page, 'onNoteInput', { detail: { value: '下周一可以到岗' } })
    await phone.tap(page, 'onApply')

    expect(phone.ctl.lastToast()).toMatchObject({ title: '已投递' })
    expect(page.data.applied).toBe(true)
    expect(page.data.applicationStatus).toBe('已投递')
    expect(paths(phone)).toContain(`POST /api/v1/jobs/${id}/applications 201`)
    let mine = await applicationsOf(phone, id)
    expect(mine).toHaveLength(1)
    expect(mine[0]).toMatchObject({ status: 'submitted', message: '下周一可以到岗', job: { id, title: '茶叶包装工' } })
    // Now logged in, the page shows who to call (the phone masked).
    expect(page.data.job.contact).toEqual({ name: '演示联系人', phone: expect.stringMatching(/^139\*{4}\d{4}$/) })
    // No résumé yet: the page offers to write one, and the offer opens the résumé page.
    expect(page.data.resumeMissing).toBe(true)
    await phone.tap(page, 'onResumeTap')
    expect(phone.ctl.lastNavigation()).toEqual({ api: 'navigateTo', url: '/pages/resume/index' })
    const resume = await phone.follow()
    expect(resume.data.isNew).toBe(true)

    // Opening the job again on this phone: it knows I applied.
    const again = await phone.open('pages/job-detail/index', { id: String(id) })
    expect(again.data.applied).toBe(true)
    expect(again.data.applicationStatus).toBe('已投递')

    // The same person on another phone (no session there) applies again: 200, still one.
    const other = new Phone({ openid: phone.ctl.openid })
    const second = await other.open('pages/job-detail/index', { id: String(id) })
    expect(second.data.applied).toBe(false)
    await other.tap(second, 'onApply')
    expect(paths(other)).toContain(`POST /api/v1/jobs/${id}/applications 200`)
    expect(other.ctl.lastToast()).toMatchObject({ title: '已投递' })
    expect(second.data.applied).toBe(true)
    expect(other.ctl.modals).toEqual([])
    mine = await applicationsOf(phone, id)
    expect(mine).toHaveLength(1)
  })

  test('applying again after withdrawing: the page and the toast say withdrawn, not sent', async () => {
    const phone = new Phone()
    const id = await demoJobId('茶叶包装工')
    const page = await phone.open('pages/job-detail/index', { id: String(id) })
    await phone.tap(page, 'onApply')
    expect(phone.ctl.lastToast()).toEqual({ title: '已投递', icon: 'success' })
    const [application] = await applicationsOf(phone, id)
    // The resident withdraws it (from the applications list, elsewhere in the app).
    const withdrawn = await server.call(`/applications/${application.id}`, {
      method: 'PATCH',
      token: server.tokenOf(phone),
      body: { status: 'withdrawn' },
    })
    expect(withdrawn.status).toBe(200)

    // Another phone of the same person, which does not know: applying returns that application.
    const other = new Phone({ openid: phone.ctl.openid })
    const second = await other.open('pages/job-detail/index', { id: String(id) })
    await other.tap(second, 'onApply')
    expect(paths(other)).toContain(`POST /api/v1/jobs/${id}/applications 200`)
    expect(second.data).toMatchObject({ applied: true, withdrawn: true })
    expect(other.ctl.toasts).toEqual([{ title: '您已撤回过这个岗位的投递', icon: 'none' }])
    expect(other.ctl.modals).toEqual([])
    expect(await applicationsOf(phone, id)).toEqual([
      expect.objectContaining({ id: application.id, status: 'withdrawn' }),
    ])
  })

  test('a résumé saved before applying: no offer to write one', async () => {
    const phone = new Phone()
    const id = await demoJobId('茶艺讲解员')
    const page = await phone.open('pages/job-detail/index', { id: String(id) })
    // The résumé written earlier (on the résumé page, which has its own tests).
    const api = phone.load(path.join(ROOT, 'utils/api.js'))
    await api.request('/me/resume', { method: 'PUT', data: { intro: '做过三年茶叶销售' } })

    await phone.tap(page, 'onApply')
    expect(page.data.applied).toBe(true)
    expect(page.data.resumeMissing).toBe(false)
  })

  test('call: the full number is fetched and dialled', async () => {
    const phone = new Phone()
    const id = await demoJobId('茶叶包装工')
    const page = await phone.open('pages/job-detail/index', { id: String(id) })
    await phone.tap(page, 'onCall')

    // Demo employer 1's contact phone.
    expect(phone.ctl.phoneCalls).toEqual(['13900010001'])
    expect(paths(phone).slice(1)).toEqual(['POST /api/v1/auth/wechat-login 200', `GET /api/v1/jobs/${id}/contact 200`])
    expect(page.data.calling).toBe(false)
  })

  test('an unknown job id shows that the job is gone', async () => {
    const phone = new Phone()
    const page = await phone.open('pages/job-detail/index', { id: '987654321' })
    expect(page.data.job).toBe(null)
    expect(page.data.message).toBe(GONE)
    expect(phone.ctl.modals.at(-1).content).toBe(GONE)
    expect(paths(phone)).toEqual(['GET /api/v1/jobs/987654321 404'])

    // A link without an id asks nothing of the server.
    const empty = new Phone()
    const blank = await empty.open('pages/job-detail/index', {})
    expect(blank.data.message).toBe(GONE)
    expect(empty.ctl.calls).toEqual([])
  })

  test('a job closed while the page was open: apply and call say it is gone, nothing is stored', async () => {
    const phone = new Phone()
    phone.ctl.location = CHENGZHONG
    // An employer posts a job, the circle's operator publishes it.
    const employer = await wechatToken(phone, 'demo-employer-2')
    const created = await server.call('/jobs', {
      method: 'POST',
      token: employer,
      body: { title: '临时理货员', category: 'retail', kind: 'gig', wage_min: 150, wage_max: 150, wage_unit: 'day', headcount: 1 },
    })
    expect(created.status).toBe(201)
    const id = created.body.id
    expect((await server.call(`/jobs/${id}/submit`, { method: 'POST', token: employer })).status).toBe(200)
    const operator = await server.staffToken('demo-operator')
    const reviewed = await server.call(`/jobs/${id}/review`, {
      method: 'POST',
      token: operator,
      body: { decision: 'approved' },
    })
    expect(reviewed.body.status).toBe('published')

    const page = await phone.open('pages/job-detail/index', { id: String(id) })
    expect(page.data.job).toMatchObject({ title: '临时理货员', wage: '150元/天', kind: '零工' })

    // The employer closes it before the resident taps.
    expect((await server.call(`/jobs/${id}/close`, { method: 'POST', token: employer })).body.status).toBe('closed')
    await phone.tap(page, 'onApply')
    expect(phone.ctl.modals.at(-1).content).toBe(GONE)
    expect(page.data.applied).toBe(false)
    expect(phone.ctl.toasts).toEqual([])
    expect(await applicationsOf(phone, id)).toEqual([])

    await phone.tap(page, 'onCall')
    expect(phone.ctl.modals.at(-1).content).toBe(GONE)
    expect(phone.ctl.phoneCalls).toEqual([])

    // Opening it again (logged in now): gone.
    const again = await phone.open('pages/job-detail/index', { id: String(id) })
    expect(again.data.job).toBe(null)
    expect(again.data.message).toBe(GONE)
  })
})
