// 审核: station staff publish or reject the jobs waiting for review in their place, and verify
// or reject the employers waiting for it (their business licence shown first). What the page
// does is read back through the API, as the employer would see it.
const fs = require('fs')
const os = require('os')
const path = require('path')
const { PNG } = require('pngjs')
const { Phone, ROOT } = require('./support/harness')
const server = require('./support/server')
const backend = require('./setup/backend')

const CLERK = 'demo-station-staff'
const CHARSET = '0123456789ABCDEFGHJKLMNPQRTUWXY' // GB 32100
const WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]

/** A fresh, valid unified social credit code (so no other test's employer holds it). */
function creditCode() {
  let body = '91341002'
  while (body.length < 17) body += CHARSET[Math.floor(Math.random() * 10)]
  const total = [...body].reduce((sum, char, i) => sum + CHARSET.indexOf(char) * WEIGHTS[i], 0)
  return body + CHARSET[(31 - (total % 31)) % 31]
}

/** The API token of a WeChat user (an employer's account, or a fresh person). */
async function wechatToken(openid) {
  const phone = new Phone({ openid })
  await phone.load(path.join(ROOT, 'utils/api.js')).login()
  return server.tokenOf(phone)
}

/** Upload a small PNG as an employer's business licence. */
async function uploadLicence(employerId, token) {
  const png = new PNG({ width: 8, height: 8 })
  png.data.fill(200)
  const form = new FormData()
  form.append('file', new Blob([PNG.sync.write(png)], { type: 'image/png' }), 'licence.png')
  const response = await fetch(`${backend.current().apiBase}/api/v1/employers/${employerId}/licence`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${token}` },
    body: form,
  })
  expect(response.status).toBeLessThan(300)
}

/** A person registers a business near 城中 (pending until staff verify it). */
async function pendingEmployer(name, withLicence) {
  const token = await wechatToken(`o-review-${Math.random().toString(36).slice(2, 10)}`)
  const answer = await server.call('/employers', {
    method: 'POST',
    token,
    body: {
      name,
      credit_code: creditCode(),
      legal_representative: '周明',
      contact_name: '周明',
      contact_phone: '13955001234',
      industry: 'catering',
      address: '屯溪区新安北路88号',
      lat: 29.716,
      lng: 118.318,
    },
  })
  expect(answer.status).toBe(201)
  if (withLicence) await uploadLicence(answer.body.id, token)
  return { id: answer.body.id, token }
}

/** demo-employer-2 posts a job and submits it for review. */
async function pendingJob(token, title) {
  const created = await server.call('/jobs', {
    method: 'POST',
    token,
    body: { title, category: 'retail', kind: 'regular', wage_min: 3500, wage_max: 4200, wage_unit: 'month', headcount: 2 },
  })
  expect(created.status).toBe(201)
  expect((await server.call(`/jobs/${created.body.id}/submit`, { method: 'POST', token })).status).toBe(200)
  return created.body.id
}

describe('审核', () => {
  let employerToken
  let jobs
  let employers
  let clerk
  let page

  beforeAll(async () => {
    employerToken = await wechatToken('demo-employer-2')
    jobs = { good: await pendingJob(employerToken, '门店店员（审核测试）'), bad: await pendingJob(employerToken, '高薪轻松日结（审核测试）') }
    employers = { good: await pendingEmployer('屯溪审核测试餐馆', true), bad: await pendingEmployer('屯溪审核测试小吃', false) }
    clerk = new Phone()
    await clerk.staffLogIn(CLERK)
    await clerk.follow()
    page = await clerk.open('pages/station-review/index', {}, 'reLaunch')
  })

  test('lists the jobs and employers waiting, the contact phone masked', () => {
    const job = page.data.jobs.find((row) => row.id === jobs.good)
    expect(job).toMatchObject({ title: '门店店员（审核测试）', wage: '3500-4200元/月', kind: expect.any(String), reason: '' })
    expect(page.data.jobs.map((row) => row.id)).toContain(jobs.bad)
    const employer = page.data.employers.find((row) => row.id === employers.good.id)
    expect(employer).toMatchObject({ name: '屯溪审核测试餐馆', contact: '周明 139****1234', hasLicence: true })
    expect(page.data.employers.find((row) => row.id === employers.bad.id)).toMatchObject({ hasLicence: false })
  })

  test('a job is published; another rejected only with a reason, which the employer reads', async () => {
    await clerk.tap(page, 'onApproveJobTap', { id: jobs.good })
    expect(clerk.ctl.lastToast()).toEqual({ title: '已发布', icon: 'success' })
    expect(page.data.jobs.map((row) => row.id)).not.toContain(jobs.good)
    expect((await server.call(`/jobs/${jobs.good}`)).body.status).toBe('published')

    await clerk.tap(page, 'onRejectJobTap', { id: jobs.bad })
    expect(clerk.ctl.lastToast()).toEqual({ title: '请填写驳回原因', icon: 'none' })
    expect(page.data.jobs.map((row) => row.id)).toContain(jobs.bad)
    await clerk.tap(page, 'onJobReasonInput', { id: jobs.bad }, { value: '薪资描述与岗位不符，请如实填写' })
    await clerk.tap(page, 'onRejectJobTap', { id: jobs.bad })
    expect(clerk.ctl.lastToast()).toEqual({ title: '已驳回', icon: 'success' })
    const mine = await server.call('/jobs/managed?per_page=100', { token: employerToken })
    const rejected = mine.body.items.find((row) => row.id === jobs.bad)
    expect(rejected.status).not.toBe('published')
    const detail = await server.call(`/jobs/${jobs.bad}`, { token: employerToken })
    expect(detail.body.review_reason).toBe('薪资描述与岗位不符，请如实填写')
  })

  test('the licence opens full screen; the employer is verified, the other rejected with a reason', async () => {
    await clerk.tap(page, 'onLicenceTap', { id: employers.good.id })
    const preview = clerk.ctl.previews.at(-1)
    expect(preview.api).toBe('previewImage')
    const file = clerk.ctl.files[preview.urls[0]]
    expect(PNG.sync.read(fs.readFileSync(file)).width).toBe(8) // the uploaded image itself
    expect(file.startsWith(os.tmpdir())).toBe(true)

    await clerk.tap(page, 'onVerifyEmployerTap', { id: employers.good.id })
    expect(clerk.ctl.lastToast()).toEqual({ title: '已认证', icon: 'success' })
    expect((await server.call('/employers/me', { token: employers.good.token })).body.status).toBe('verified')

    // No licence: the server refuses to verify, and says why.
    await clerk.tap(page, 'onVerifyEmployerTap', { id: employers.bad.id })
    expect(clerk.ctl.modals.at(-1).content).toBe('企业尚未上传营业执照，不能认证通过')
    await clerk.tap(page, 'onEmployerReasonInput', { id: employers.bad.id }, { value: '请上传营业执照' })
    await clerk.tap(page, 'onRejectEmployerTap', { id: employers.bad.id })
    const bad = (await server.call('/employers/me', { token: employers.bad.token })).body
    expect([bad.status, bad.decision_reason]).toEqual(['rejected', '请上传营业执照'])
    expect(page.data.employers.map((row) => row.id)).not.toContain(employers.bad.id)
  })

  test('a grid worker is sent home; a township admin verifies employers but sees no job list', async () => {
    const worker = new Phone()
    await worker.staffLogIn('demo-grid-worker')
    await worker.follow()
    await worker.open('pages/station-review/index', {}, 'navigateTo')
    expect(worker.ctl.lastNavigation()).toEqual({ api: 'reLaunch', url: '/pages/grid-checklist/index' })

    const admin = new Phone()
    await admin.staffLogIn('demo-township-admin')
    const review = await admin.open('pages/station-review/index', {}, 'navigateTo')
    expect(review.data.reviewsJobs).toBe(false)
    expect(admin.ctl.calls.map((c) => c.path)).not.toContain('/api/v1/jobs/managed')
    expect(admin.ctl.calls.filter((c) => c.statusCode === 403)).toEqual([])
  })
})
