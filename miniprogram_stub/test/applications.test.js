// 我的应聘: applying shows there with its stage in Chinese, the employer's moves show after a pull,
// withdrawing before a decision; a decision made meanwhile refuses the withdrawal in Chinese.
const { Phone } = require('./support/harness')
const { fakeWechat } = require('./support/wx')
const server = require('./support/server')

describe('我的应聘', () => {
  /** A demo employer's token and one of its published jobs. */
  async function employerJob(openid) {
    const minted = await fakeWechat(new Phone().backend.wechatBase, '/_fake/codes', { openid })
    const login = await server.call('/auth/wechat-login', { method: 'POST', body: { code: minted.code } })
    const token = login.body.token
    const mine = await server.call('/jobs/managed?per_page=50', { token })
    const job = mine.body.items.find((item) => item.status === 'published')
    expect(job).toBeTruthy()
    return { token, job }
  }

  test('an application shows 已投递, the employer’s 邀请面试 shows after a pull, and 撤回 before a decision', async () => {
    const { token, job } = await employerJob('demo-employer-5')
    const phone = new Phone()
    const detail = await phone.open('pages/job-detail/index', { id: String(job.id) })
    await phone.tap(detail, 'onApply')
    expect(detail.data.applied).toBe(true)

    const page = await phone.open('pages/applications/index')
    expect(page.data.items).toHaveLength(1)
    const [row] = page.data.items
    expect(row).toMatchObject({ jobId: job.id, title: job.title, status: 'submitted', statusName: '已投递', canWithdraw: true })
    expect(row.appliedAt).toMatch(/^\d+月\d+日 \d{2}:\d{2}$/)

    // The employer invites the applicant to an interview (the employer's page does it the same way).
    const moved = await server.call(`/applications/${row.id}`, { method: 'PATCH', token, body: { status: 'interview' } })
    expect(moved.status).toBe(200)
    await phone.call(page, 'onPullDownRefresh')
    expect(page.data.items[0]).toMatchObject({ statusName: '邀请面试', canWithdraw: true })
    expect(page.data.items[0].changedAt).toMatch(/^\d+月\d+日/)

    await phone.tap(page, 'onJobTap', { job: job.id })
    expect(phone.ctl.lastNavigation()).toEqual({ api: 'navigateTo', url: `/pages/job-detail/index?id=${job.id}` })

    await phone.tap(page, 'onWithdrawTap', { id: row.id })
    expect(phone.ctl.modals.pop().title).toBe('撤回投递')
    expect(page.data.items[0]).toMatchObject({ status: 'withdrawn', statusName: '已撤回', canWithdraw: false })
    const after = await server.call(`/applications/${row.id}`, { token: server.tokenOf(phone) })
    expect(after.body.status).toBe('withdrawn')
  })

  test('a decision made meanwhile: 撤回 is refused in Chinese and the list shows the decision', async () => {
    const { token, job } = await employerJob('demo-employer-6')
    const phone = new Phone()
    const applied = await server.call(`/jobs/${job.id}/applications`, {
      method: 'POST',
      token: await (async () => {
        await phone.open('pages/applications/index') // logs the resident in; nothing yet
        return server.tokenOf(phone)
      })(),
      body: { message: null },
    })
    expect(applied.status).toBe(201)
    const page = await phone.open('pages/applications/index')
    expect(page.data.items[0].canWithdraw).toBe(true)
    const rejected = await server.call(`/applications/${applied.body.id}`, { method: 'PATCH', token, body: { status: 'rejected' } })
    expect(rejected.status).toBe(200)

    await phone.tap(page, 'onWithdrawTap', { id: applied.body.id })
    expect(phone.ctl.modals.pop().content).toBe('当前状态不能进行此操作')
    expect(page.data.items[0]).toMatchObject({ statusName: '未通过', canWithdraw: false })
  })

  test('none yet: the page says so and leads to 为你推荐', async () => {
    const phone = new Phone()
    const page = await phone.open('pages/applications/index')
    expect(page.data).toMatchObject({ loaded: true, items: [] })
    await phone.tap(page, 'onRecommendedTap')
    expect(phone.ctl.lastNavigation()).toEqual({ api: 'navigateTo', url: '/pages/recommended/index' })
  })
})
