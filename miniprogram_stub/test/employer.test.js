// The employer's pages (企业入驻 → 我的企业 → 岗位管理 → 发布岗位 → 应聘 → 附近人才): a WeChat user
// registers a business (the credit code checked as typed, by the server's rule and the shared
// vectors) or claims the one staff registered; uploads the licence; posts a job, sends it for
// review, reads review's reason, refreshes and closes it; reads an applicant's résumé and moves
// the application on; sees masked candidates near a job. The story at the end goes from a new
// business to a hire, with staff and a resident on their own phones.
const fs = require('fs')
const os = require('os')
const path = require('path')
const { PNG } = require('pngjs')
const { Phone, ROOT } = require('./support/harness')
const server = require('./support/server')
const backend = require('./setup/backend')
const { tokenOf } = server
const uscc = require('../miniprogram/utils/uscc')

const VECTORS = JSON.parse(fs.readFileSync(path.resolve(ROOT, '../../tests/data/validation-vectors.json'), 'utf8')).uscc
const CHENGZHONG = { latitude: 29.7155, longitude: 118.3175, name: '城中演示大厦', address: '屯溪区城中演示路1号' }

/** server.call for a step that must work: resolve the body. */
async function callApi(route, options = {}) {
  const answer = await server.call(route, options)
  if (answer.status < 200 || answer.status >= 300) {
    throw new Error(`${options.method || 'GET'} ${route} answered ${answer.status}: ${JSON.stringify(answer.body)}`)
  }
  return answer.body
}

/** A valid credit code nobody has registered (random body, the GB 32100 check character). */
function creditCode() {
  const chars = uscc.CHARSET
  let body = '91341002'
  for (let i = 0; i < 9; i += 1) body += chars[Math.floor(Math.random() * chars.length)]
  return body + uscc.checkCharacter(body)
}

let dir
let licence
let stationStaff
beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mp-employer-'))
  const png = new PNG({ width: 8, height: 8 })
  png.data.fill(200)
  licence = path.join(dir, 'licence.png')
  fs.writeFileSync(licence, PNG.sync.write(png))
  stationStaff = await server.staffToken('demo-station-staff')
})
afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true })
})

/** Fill the registration form of a new business at 城中 (code given, or a fresh one). */
async function fillRegistration(phone, page, code = creditCode(), name = '屯溪演示新茶坊') {
  await phone.tap(page, 'onInput', { field: 'name' }, { value: name })
  await phone.tap(page, 'onInput', { field: 'creditCode' }, { value: code })
  await phone.tap(page, 'onInput', { field: 'contactName' }, { value: '演示王经理' })
  await phone.tap(page, 'onInput', { field: 'contactPhone' }, { value: '13900002323' })
  await phone.tap(page, 'onIndustryChange', {}, { value: page.data.industries.findIndex((item) => item.value === 'tea_processing') })
  await phone.tap(page, 'onSizeChange', {}, { value: 0 })
  phone.ctl.chosenLocation = CHENGZHONG
  await phone.tap(page, 'onChooseLocation')
  return code
}

/** A new business registered through the page; resolves {phone, employer (from the API), jobs page}. */
async function newBusiness(name) {
  const phone = new Phone()
  const page = await phone.open('pages/employer-register/index')
  await fillRegistration(phone, page, creditCode(), name)
  await phone.tap(page, 'onSubmit')
  expect(phone.ctl.lastNavigation()).toMatchObject({ api: 'reLaunch', url: '/pages/employer-jobs/index' })
  const jobs = await phone.follow()
  const employer = await callApi('/employers/me', { token: tokenOf(phone) })
  return { phone, employer, jobs }
}

/** Upload the licence on 我的企业 and have the station staff verify the business. */
async function verified(phone, employer) {
  const home = await phone.open('pages/employer-home/index', {}, 'reLaunch')
  phone.ctl.chosenFiles = [{ path: licence }]
  await phone.tap(home, 'onLicenceTap')
  await callApi(`/employers/${employer.id}/verify`, { method: 'POST', token: stationStaff, body: { decision: 'verified' } })
  return home
}

/** Fill the job form. */
async function fillJob(phone, form, { title = '茶叶拣梗工', low = '3800', high = '4600' } = {}) {
  await phone.tap(form, 'onInput', { field: 'title' }, { value: title })
  await phone.tap(form, 'onPickerChange', { field: 'categoryIndex' }, { value: form.data.categories.findIndex((item) => item.value === 'tea_processing') })
  await phone.tap(form, 'onInput', { field: 'wageMin' }, { value: low })
  await phone.tap(form, 'onInput', { field: 'wageMax' }, { value: high })
  await phone.tap(form, 'onInput', { field: 'headcount' }, { value: '3' })
  await phone.tap(form, 'onInput', { field: 'skills' }, { value: '拣梗，包装' })
  await phone.tap(form, 'onInput', { field: 'description' }, { value: '白班，包午餐' })
}

/** Watch the JSON bodies the app sends with `method` to paths ending in `suffix`. */
function watch(phone, method, suffix) {
  const sent = []
  const request = phone.wx.request
  phone.wx.request = (options) => {
    if (String(options.method).toUpperCase() === method && options.url.endsWith(suffix)) sent.push(JSON.parse(JSON.stringify(options.data)))
    return request(options)
  }
  return sent
}

describe('the credit code checked as typed (utils/uscc.js)', () => {
  test('the shared vectors: valid ones pass, invalid ones are refused with a reason', () => {
    for (const code of VECTORS.valid) expect(uscc.check(code)).toEqual({ ok: true, value: code })
    for (const code of VECTORS.invalid) {
      const checked = uscc.check(code)
      expect(checked.ok).toBe(false)
      expect(checked.problem).toMatch(/统一社会信用代码/)
    }
    expect(uscc.check('91440300708461136U').problem).toMatch(/校验位/)
    expect(uscc.check('9133010071610585').problem).toBe('统一社会信用代码应为18位，现在是16位')
    expect(uscc.check('91330100716105852I').problem).toMatch(/不能有“I”/)
    // Typed in lower case or full width, with spaces around: read as the server reads it.
    expect(uscc.check(' ９１４４０３００７０８４６１１３６ｔ ')).toEqual({ ok: true, value: '91440300708461136T' })
  })

  test('every code the server holds (the demo employers, checked there by app/common/credit_code.py) passes on the phone', async () => {
    const held = await callApi('/employers?per_page=100', { token: await server.staffToken('demo-district-admin') })
    expect(held.items.length).toBeGreaterThan(5)
    for (const employer of held.items) expect(uscc.check(employer.credit_code)).toEqual({ ok: true, value: employer.credit_code })
  })

  test('the server agrees: codes the phone makes and accepts are accepted there, a wrong check character refused', async () => {
    const phone = new Phone()
    const page = await phone.open('pages/employer-register/index')
    // A wrong character while typing is said at once; a short code only once it is complete.
    await phone.tap(page, 'onInput', { field: 'creditCode' }, { value: '9144O3' })
    expect(page.data.codeProblem).toMatch(/不能有“O”/)
    await phone.tap(page, 'onInput', { field: 'creditCode' }, { value: '914403' })
    expect(page.data.codeProblem).toBe('')
    const code = creditCode()
    const wrong = code.slice(0, 17) + uscc.CHARSET[(uscc.CHARSET.indexOf(code[17]) + 1) % 31]
    await phone.tap(page, 'onInput', { field: 'creditCode' }, { value: wrong })
    expect(page.data.codeProblem).toBe('统一社会信用代码校验位不符，请对照营业执照逐位核对')

    // The phone refuses it before sending; the server, asked directly, refuses it by the same rule.
    await fillRegistration(phone, page, wrong)
    await phone.tap(page, 'onSubmit')
    expect(page.data.errorField).toBe('creditCode')
    expect(phone.ctl.calls.filter((call) => call.path.endsWith('/employers'))).toEqual([])
    const token = (await callApi('/auth/wechat-login', { method: 'POST', body: { code: (await fetchCode()).code } })).token
    const refused = await server.call('/employers', {
      method: 'POST',
      token,
      body: { name: '演示校验', credit_code: wrong, lat: CHENGZHONG.latitude, lng: CHENGZHONG.longitude },
    })
    expect(refused.status).toBe(422)
    expect(refused.body.error).toMatchObject({ code: 'invalid_credit_code', field: 'credit_code' })
    // The right one goes through the page.
    await phone.tap(page, 'onInput', { field: 'creditCode' }, { value: code.toLowerCase() })
    expect(page.data.codeProblem).toBe('')
    await phone.tap(page, 'onSubmit')
    expect(phone.ctl.lastToast()).toMatchObject({ title: '已提交入驻' })
    expect((await callApi('/employers/me', { token: tokenOf(phone) })).credit_code).toBe(code)
  })
})

/** A fresh WeChat login code at the fake WeChat (a user the phones never saw). */
async function fetchCode() {
  const response = await fetch(`${backend.current().wechatBase}/_fake/codes`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ openid: `o-uscc-${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}` }),
  })
  return response.json()
}

describe('企业入驻', () => {
  test('a resident registers a business: checks on the phone, then the account is an employer and lands on its jobs', async () => {
    const phone = new Phone()
    const page = await phone.open('pages/employer-register/index')
    expect(page.data.mode).toBe('register')
    const posted = watch(phone, 'POST', '/employers')

    await phone.tap(page, 'onSubmit')
    expect(page.data).toMatchObject({ message: '请填写企业名称（与营业执照一致）', errorField: 'name' })
    await phone.tap(page, 'onInput', { field: 'name' }, { value: '屯溪演示入驻茶行' })
    await phone.tap(page, 'onInput', { field: 'contactPhone' }, { value: '13900002323' })
    await phone.tap(page, 'onSubmit')
    expect(page.data).toMatchObject({ message: '请填写统一社会信用代码', errorField: 'creditCode' })
    const code = creditCode()
    await phone.tap(page, 'onInput', { field: 'creditCode' }, { value: code })
    await phone.tap(page, 'onSubmit')
    expect(page.data).toMatchObject({ message: '请在地图上选择企业所在位置', errorField: 'place' })
    // The map picker cancelled: still nothing; picked: the place and its address.
    phone.ctl.chosenLocation = null
    await phone.tap(page, 'onChooseLocation')
    expect(page.data.form.lat).toBe(null)
    phone.ctl.chosenLocation = CHENGZHONG
    await phone.tap(page, 'onChooseLocation')
    expect(page.data.form).toMatchObject({ placeName: '城中演示大厦', address: '屯溪区城中演示路1号 城中演示大厦' })
    expect(posted).toEqual([])

    await phone.tap(page, 'onSubmit')
    expect(posted).toHaveLength(1)
    expect(posted[0]).toMatchObject({ name: '屯溪演示入驻茶行', credit_code: code, lat: 29.7155, lng: 118.3175 })
    expect(phone.wx.getStorageSync('session').role).toBe('employer')
    expect(phone.ctl.lastNavigation()).toEqual({ api: 'reLaunch', url: '/pages/employer-jobs/index' })
    const jobs = await phone.follow()
    expect(jobs.data).toMatchObject({ loaded: true, items: [], verified: false, employerNote: '企业认证通过后才能提交岗位审核，可先保存草稿' })

    // On the server: a pending business of this account, placed by the map's point.
    const me = await callApi('/employers/me', { token: tokenOf(phone) })
    expect(me).toMatchObject({ name: '屯溪演示入驻茶行', status: 'pending', has_licence: false, contact_phone: '139****2323' })
    expect(me.community).not.toBe(null)

    // Back on the register page as an employer: its home instead of a second registration.
    await phone.open('pages/employer-register/index')
    expect(phone.ctl.lastNavigation()).toEqual({ api: 'reLaunch', url: '/pages/employer-jobs/index' })
  })

  test('a business staff registered in the field: registering sends to 认领; a wrong code is refused, the right one claims it', async () => {
    const code = creditCode()
    const field = await callApi('/employers/field-registrations', {
      method: 'POST',
      token: stationStaff,
      body: { client_id: `mp-field-${code}`, name: '屯溪演示路边面馆', credit_code: code, community_code: '341002002001', industry: 'catering' },
    })
    const phone = new Phone()
    const page = await phone.open('pages/employer-register/index')
    await fillRegistration(phone, page, code, '屯溪演示路边面馆')
    await phone.tap(page, 'onSubmit')
    expect(phone.ctl.modals.pop().content).toBe('服务站已为贵单位登记过，请填写工作人员提供的认领码认领')
    expect(page.data).toMatchObject({ mode: 'claim', claim: { creditCode: code, claimCode: '' }, errorField: 'claimCode' })
    expect(phone.wx.getStorageSync('session').role).toBe('resident')

    await phone.tap(page, 'onClaimSubmit')
    expect(page.data.message).toBe('请填写服务站给您的认领码')
    await phone.tap(page, 'onClaimInput', { field: 'claimCode' }, { value: 'WRONG234' })
    await phone.tap(page, 'onClaimSubmit')
    expect(phone.ctl.modals.pop().content).toBe('认领码不正确，请核对后重试（多次输错后认领码将失效）')
    expect(page.data.errorField).toBe('claimCode')

    // Read out with a space and in lower case, as people type it.
    const typed = `${field.claim_code.slice(0, 4)} ${field.claim_code.slice(4)}`.toLowerCase()
    await phone.tap(page, 'onClaimInput', { field: 'claimCode' }, { value: typed })
    await phone.tap(page, 'onClaimSubmit')
    expect(phone.ctl.lastToast()).toMatchObject({ title: '认领成功' })
    expect(phone.wx.getStorageSync('session').role).toBe('employer')
    expect(phone.ctl.lastNavigation()).toEqual({ api: 'reLaunch', url: '/pages/employer-jobs/index' })
    const home = await phone.open('pages/employer-home/index', {}, 'reLaunch')
    expect(home.data.employer).toMatchObject({ id: field.id, name: '屯溪演示路边面馆', statusName: '待审核', hasLicence: false })
  })

  test('a WeChat account that has a business already (registered on another phone) is sent to its pages', async () => {
    const phone = new Phone()
    const page = await phone.open('pages/employer-register/index')
    await fillRegistration(phone, page)
    await phone.load(path.join(ROOT, 'utils/api.js')).login()
    await callApi('/employers', {
      method: 'POST',
      token: tokenOf(phone),
      body: { name: '屯溪演示另一手机茶行', credit_code: creditCode(), lat: CHENGZHONG.latitude, lng: CHENGZHONG.longitude },
    })
    expect(phone.wx.getStorageSync('session').role).toBe('resident') // this phone has not heard
    await phone.tap(page, 'onSubmit')
    expect(phone.ctl.modals.pop().content).toBe('这个微信号已登记过企业')
    expect(phone.wx.getStorageSync('session').role).toBe('employer')
    expect(phone.ctl.lastNavigation()).toEqual({ api: 'reLaunch', url: '/pages/employer-jobs/index' })
    const jobs = await phone.follow()
    expect(jobs.data.loaded).toBe(true)
  })

  test('the register page is for WeChat users: a grid worker is sent to their own home', async () => {
    const phone = new Phone()
    await phone.staffLogIn('demo-grid-worker')
    await phone.open('pages/employer-register/index')
    expect(phone.ctl.lastNavigation()).toEqual({ api: 'reLaunch', url: '/pages/grid-checklist/index' })
  })
})

describe('我的企业', () => {
  test('the licence from the camera or album, staff verify, the page says so; a new place picked on the map', async () => {
    const { phone, employer } = await newBusiness('屯溪演示执照茶社')
    const home = await phone.open('pages/employer-home/index', {}, 'reLaunch')
    expect(home.data.employer).toMatchObject({
      name: '屯溪演示执照茶社',
      status: 'pending',
      statusName: '待审核',
      hasLicence: false,
      next: '请上传营业执照，服务站审核通过后即可发布岗位',
    })

    // Cancelled picker: nothing sent.
    phone.ctl.chosenFiles = []
    await phone.tap(home, 'onLicenceTap')
    expect(phone.ctl.calls.filter((call) => call.path.endsWith('/licence'))).toEqual([])
    // A text file is not a licence: the server's refusal, in Chinese.
    const text = path.join(dir, 'licence.txt')
    fs.writeFileSync(text, 'not an image')
    phone.ctl.chosenFiles = [{ path: text }]
    await phone.tap(home, 'onLicenceTap')
    expect(phone.ctl.modals.pop().content).toBe('只能上传 PDF、Word、JPG 或 PNG 文件')
    phone.ctl.chosenFiles = [{ path: licence }]
    await phone.tap(home, 'onLicenceTap')
    expect(phone.ctl.lastToast()).toMatchObject({ title: '已上传' })
    expect(home.data.employer).toMatchObject({ hasLicence: true, next: '营业执照已上传，等待服务站审核（审核通过前可先保存岗位草稿）' })

    // Staff reject with a reason: the page shows it; a new licence sends it back to review.
    await callApi(`/employers/${employer.id}/verify`, {
      method: 'POST',
      token: stationStaff,
      body: { decision: 'rejected', reason: '执照照片不清晰' },
    })
    await phone.call(home, 'onShow')
    expect(home.data.employer).toMatchObject({ statusName: '未通过', decisionReason: '执照照片不清晰', next: '请按审核意见修改后重新上传营业执照' })
    // The name was the trouble: corrected on the page (a mistyped code is caught first), back to review.
    await phone.tap(home, 'onEditTap')
    expect(home.data.edit).toMatchObject({ name: '屯溪演示执照茶社', creditCode: employer.credit_code, contactName: '演示王经理', contactPhone: '' })
    await phone.tap(home, 'onEditInput', { field: 'name' }, { value: '屯溪演示执照茶社有限公司' })
    await phone.tap(home, 'onEditInput', { field: 'creditCode' }, { value: `${employer.credit_code.slice(0, 17)}I` })
    const patched = watch(phone, 'PATCH', `/employers/${employer.id}`)
    await phone.tap(home, 'onEditSave')
    expect(home.data.editMessage).toMatch(/不能有“I”/)
    await phone.tap(home, 'onEditInput', { field: 'creditCode' }, { value: employer.credit_code })
    await phone.tap(home, 'onEditSave')
    expect(patched).toEqual([{ name: '屯溪演示执照茶社有限公司' }]) // only what changed
    expect(home.data).toMatchObject({ editing: false })
    expect(home.data.employer).toMatchObject({ name: '屯溪演示执照茶社有限公司', status: 'pending', decisionReason: '' })
    await phone.tap(home, 'onLicenceTap')
    expect(home.data.employer).toMatchObject({ status: 'pending', hasLicence: true })

    await callApi(`/employers/${employer.id}/verify`, { method: 'POST', token: stationStaff, body: { decision: 'verified' } })
    await phone.call(home, 'onShow')
    expect(home.data.employer).toMatchObject({ status: 'verified', statusName: '已认证', next: '' })
    expect(home.data.employer.credibility).toMatch(/信用|暂无评价/)

    // A verified business may still move: the map's new point and address are saved.
    phone.ctl.chosenLocation = { latitude: 29.7171, longitude: 118.3212, name: '昱中演示商铺', address: '屯溪区昱中演示街20号' }
    await phone.tap(home, 'onLocationTap')
    expect(phone.ctl.lastToast()).toMatchObject({ title: '位置已更新' })
    const moved = await callApi('/employers/me', { token: tokenOf(phone) })
    expect(moved).toMatchObject({ lat: 29.7171, lng: 118.3212, address: '屯溪区昱中演示街20号 昱中演示商铺', status: 'verified' })
    expect(home.data.employer.address).toBe('屯溪区昱中演示街20号 昱中演示商铺')

    // Verified: only the contact can change here; the new phone shows masked.
    await phone.tap(home, 'onEditTap')
    await phone.tap(home, 'onEditInput', { field: 'contactPhone' }, { value: '13900004545' })
    await phone.tap(home, 'onEditSave')
    expect(phone.ctl.lastToast()).toMatchObject({ title: '已保存' })
    expect(home.data.employer.contact).toBe('演示王经理 139****4545')
    expect((await callApi('/employers/me', { token: tokenOf(phone) })).name).toBe('屯溪演示执照茶社有限公司')
  })

  test('employer pages are for employers: a resident is sent back to the jobs tab', async () => {
    const phone = new Phone()
    await phone.open('pages/jobs/index')
    for (const route of ['pages/employer-home/index', 'pages/employer-jobs/index', 'pages/employer-job-edit/index']) {
      await phone.open(route, {}, 'reLaunch')
      expect(phone.ctl.lastNavigation()).toEqual({ api: 'reLaunch', url: '/pages/jobs/index' })
    }
    expect(phone.ctl.calls.filter((call) => call.statusCode === 403)).toEqual([])
  })
})

describe('岗位管理 and 发布岗位', () => {
  test('a draft before verification, sent for review after; review sends it back with a reason; then published, refreshed, closed', async () => {
    const { phone, employer, jobs } = await newBusiness('屯溪演示岗位茶厂')
    await phone.tap(jobs, 'onNewTap')
    expect(phone.ctl.lastNavigation()).toEqual({ api: 'navigateTo', url: '/pages/employer-job-edit/index' })
    const form = await phone.follow()
    const created = watch(phone, 'POST', '/jobs')

    // Checked on the phone first.
    await phone.tap(form, 'onSubmitTap')
    expect(form.data).toMatchObject({ message: '请填写岗位名称（至少2个字）', errorField: 'title' })
    await fillJob(phone, form, { low: '5000', high: '4000' })
    await phone.tap(form, 'onSubmitTap')
    expect(form.data).toMatchObject({ message: '最高薪资不能低于最低薪资', errorField: 'wageMax' })
    await phone.tap(form, 'onInput', { field: 'wageMin' }, { value: '3800' })
    await phone.tap(form, 'onInput', { field: 'wageMax' }, { value: '4600' })
    expect(created).toEqual([])

    // No network: nothing made; with signal again the same client id, one job.
    phone.ctl.online = false
    await phone.tap(form, 'onSaveTap')
    expect(phone.ctl.modals.pop().content).toMatch(/网络/)
    phone.ctl.online = true
    // Not verified yet: 提交审核 saves the draft and says why it is not in review.
    await phone.tap(form, 'onSubmitTap')
    expect(phone.ctl.modals.pop().content).toBe('企业认证通过后才能提交岗位审核')
    expect(form.data.message).toBe('草稿已保存。企业认证通过后才能提交岗位审核')
    // The offline tap and the one that went through: the same client id.
    expect(created).toHaveLength(2)
    expect(created[0].client_id).toBe(created[1].client_id)
    expect(created[1]).toMatchObject({
      title: '茶叶拣梗工',
      category: 'tea_processing',
      kind: 'regular',
      wage_min: 3800,
      wage_max: 4600,
      wage_unit: 'month',
      headcount: 3,
      skills: ['拣梗', '包装'],
      description: '白班，包午餐',
      education: null,
    })
    expect(created[0]).not.toHaveProperty('lat') // no pick: the business's place
    const mine = await callApi('/jobs/managed', { token: tokenOf(phone) })
    expect(mine.items.map((job) => [job.title, job.status])).toEqual([['茶叶拣梗工', 'draft']])
    const jobId = mine.items[0].id
    expect(mine.items[0]).toMatchObject({ lat: employer.lat, lng: employer.lng })

    await phone.back()
    expect(jobs.data.items).toHaveLength(1)
    expect(jobs.data.items[0]).toMatchObject({ id: jobId, statusName: '草稿', wage: '3800-4600元/月', canSubmit: true, canRefresh: false })

    // Verified: 提交审核 from the list.
    await verified(phone, employer)
    const list = await phone.open('pages/employer-jobs/index', {}, 'reLaunch')
    expect(list.data.verified).toBe(true)
    await phone.tap(list, 'onSubmitTap', { id: jobId })
    expect(phone.ctl.lastToast()).toMatchObject({ title: '已提交审核' })
    expect(list.data.items[0]).toMatchObject({ status: 'pending_review', statusName: '审核中', canSubmit: false })

    // Review sends it back: the reason on the list and on the form.
    await callApi(`/jobs/${jobId}/review`, { method: 'POST', token: stationStaff, body: { decision: 'rejected', reason: '请写明工作时间' } })
    await phone.call(list, 'onShow')
    expect(list.data.items[0]).toMatchObject({ status: 'draft', reviewReason: '请写明工作时间' })
    await phone.tap(list, 'onEditTap', { id: jobId })
    const edit = await phone.follow()
    expect(edit.data).toMatchObject({ id: jobId, status: 'draft', reviewReason: '请写明工作时间' })
    expect(edit.data.form).toMatchObject({ title: '茶叶拣梗工', wageMin: '3800', wageMax: '4600', headcount: '3', skills: '拣梗，包装' })
    const patched = watch(phone, 'PATCH', `/jobs/${jobId}`)
    await phone.tap(edit, 'onInput', { field: 'description' }, { value: '白班 8:00-17:00，包午餐' })
    await phone.tap(edit, 'onSubmitTap')
    expect(patched[0]).toMatchObject({ description: '白班 8:00-17:00，包午餐', title: '茶叶拣梗工' })
    expect(phone.ctl.lastToast()).toMatchObject({ title: '已提交审核' })
    await phone.follow() // back to the list
    expect(list.data.items[0]).toMatchObject({ statusName: '审核中', reviewReason: '' })

    // Approved: published, with refresh, applicants and candidates.
    await callApi(`/jobs/${jobId}/review`, { method: 'POST', token: stationStaff, body: { decision: 'approved' } })
    await phone.tap(list, 'onFilterTap', { status: 'published' })
    expect(list.data.items.map((item) => item.id)).toEqual([jobId])
    expect(list.data.items[0]).toMatchObject({ statusName: '招聘中', canRefresh: true, canClose: true, hasPeople: true })
    await phone.tap(list, 'onRefreshTap', { id: jobId })
    expect(phone.ctl.lastToast()).toMatchObject({ title: '已刷新' })
    expect((await callApi(`/jobs/${jobId}`)).status).toBe('published') // live: anyone reads it

    // Closing asks first; no: nothing; yes: closed, and it leaves the 招聘中 filter.
    phone.ctl.modalConfirm = false
    await phone.tap(list, 'onCloseTap', { id: jobId })
    expect(phone.ctl.modals.pop().content).toBe('关闭后“茶叶拣梗工”将不再展示，也不能再收到投递。确定关闭吗？')
    expect(list.data.items).toHaveLength(1)
    phone.ctl.modalConfirm = true
    await phone.tap(list, 'onCloseTap', { id: jobId })
    expect(phone.ctl.lastToast()).toMatchObject({ title: '已关闭' })
    expect(list.data.items).toEqual([])
    expect((await server.call(`/jobs/${jobId}`)).status).toBe(404)
  })

  test('editing a published job warns that it goes back to review', async () => {
    const { phone, employer } = await newBusiness('屯溪演示复审茶厂')
    await verified(phone, employer)
    const job = await callApi('/jobs', {
      method: 'POST',
      token: tokenOf(phone),
      body: { title: '茶园采摘工', category: 'tea_processing', kind: 'gig', wage_min: 160, wage_unit: 'day' },
    })
    await callApi(`/jobs/${job.id}/submit`, { method: 'POST', token: tokenOf(phone) })
    await callApi(`/jobs/${job.id}/review`, { method: 'POST', token: stationStaff, body: { decision: 'approved' } })
    const edit = await phone.open('pages/employer-job-edit/index', { id: String(job.id) })
    expect(edit.data.form).toMatchObject({ title: '茶园采摘工', wageMin: '160', wageMax: '' })
    expect(edit.data.kinds[edit.data.form.kindIndex].value).toBe('gig')
    expect(edit.data.units[edit.data.form.unitIndex].value).toBe('day')
    await phone.tap(edit, 'onInput', { field: 'wageMin' }, { value: '180' })
    phone.ctl.modalConfirm = false
    await phone.tap(edit, 'onSaveTap')
    expect(phone.ctl.modals.pop()).toMatchObject({ title: '修改岗位', content: '修改后岗位需重新审核，审核通过前暂停展示。确定修改吗？' })
    expect((await callApi(`/jobs/${job.id}`)).wage_min).toBe(160)
    phone.ctl.modalConfirm = true
    await phone.tap(edit, 'onSaveTap')
    expect(phone.ctl.lastToast()).toMatchObject({ title: '已保存，待审核' })
    expect(await callApi(`/jobs/${job.id}`, { token: tokenOf(phone) })).toMatchObject({ wage_min: 180, status: 'pending_review' })
  })
})

/** A valid mainland ID number (GB 11643 check digit) of a woman born in 1990–1994 (gender and age come from it). */
function womansIdNumber() {
  const year = 1990 + Math.floor(Math.random() * 5)
  const month = String(1 + Math.floor(Math.random() * 12)).padStart(2, '0')
  const day = String(1 + Math.floor(Math.random() * 28)).padStart(2, '0')
  const sequence = String(Math.floor(Math.random() * 500) * 2).padStart(3, '0') // even: a woman
  const body = `341002${year}${month}${day}${sequence}`
  const weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
  const sum = body.split('').reduce((total, digit, i) => total + Number(digit) * weights[i], 0)
  return body + '10X98765432'[sum % 11]
}

/** A resident near 城中 with a name, a home, a phone and a résumé that wants tea work. */
async function jobSeeker() {
  const phone = new Phone()
  await phone.load(path.join(ROOT, 'utils/api.js')).login()
  const token = tokenOf(phone)
  await callApi('/me', {
    method: 'PATCH',
    token,
    body: { name: '李演示', id_number: womansIdNumber(), community_code: '341002004001', home_lat: 29.7158, home_lng: 118.3171 },
  })
  await callApi('/auth/wechat-phone', { method: 'POST', token, body: { code: await phone.ctl.phoneCode() } })
  await callApi('/me/resume', {
    method: 'PUT',
    token,
    body: {
      education: 'senior_high',
      skills: ['茶叶分拣', '包装'],
      availability: 'immediately',
      intro: '在茶厂做过三年',
      experience: [{ employer: '屯溪演示老茶厂', title: '分拣工', start: '2020-03', end: '2023-05' }],
      open_to_work: true,
      wanted_categories: ['tea_processing'],
      radius_m: 3000,
    },
  })
  return phone
}

describe('the story: a new business hires through the mini-program', () => {
  test('register → licence → verified → job → review → a resident applies → résumé read → interview → hired', async () => {
    // The business registers and is verified.
    const { phone, employer } = await newBusiness('屯溪演示招聘茶行')
    await verified(phone, employer)

    // It posts a job and sends it for review from the form.
    const list = await phone.open('pages/employer-jobs/index', {}, 'reLaunch')
    await phone.tap(list, 'onNewTap')
    const form = await phone.follow()
    await fillJob(phone, form, { title: '茶叶分拣工' })
    await phone.tap(form, 'onSubmitTap')
    expect(phone.ctl.lastToast()).toMatchObject({ title: '已提交审核' })
    await phone.follow()
    expect(list.data.items.map((item) => [item.title, item.statusName])).toEqual([['茶叶分拣工', '审核中']])
    const jobId = list.data.items[0].id

    // The station's clerk approves it (their own screen).
    const pending = await callApi('/jobs/managed?status=pending_review&per_page=100', { token: stationStaff })
    expect(pending.items.map((job) => job.id)).toContain(jobId)
    await callApi(`/jobs/${jobId}/review`, { method: 'POST', token: stationStaff, body: { decision: 'approved' } })

    // A resident nearby sees it among the candidates before applying (masked), then applies on their phone.
    const resident = await jobSeeker()
    const candidates = await phone.open('pages/employer-candidates/index', { job_id: String(jobId) })
    expect(candidates.data.jobTitle).toBe('茶叶分拣工')
    const found = candidates.data.items.find((item) => item.skills === '茶叶分拣、包装')
    expect(found).toMatchObject({ name: '李**', availability: '随时到岗' })
    expect(found.about).toMatch(/^女 · \d{2}岁 · 高中\/中专\/技校$/)
    expect(found.distance).toMatch(/米$/)
    for (const item of candidates.data.items) expect(item.name).toMatch(/^\S\*+$|^求职者$/)
    // A kilometre around: still there (she lives a few dozen metres away).
    await phone.tap(candidates, 'onRadiusTap', { radius: 1000 })
    expect(candidates.data.radius).toBe(1000)
    expect(candidates.data.items.some((item) => item.skills === '茶叶分拣、包装')).toBe(true)
    expect(JSON.stringify(candidates.data)).not.toMatch(/1[3-9]\d{9}|resident_id/)

    const detail = await resident.open('pages/job-detail/index', { id: String(jobId) })
    await resident.tap(detail, 'onNoteInput', {}, { value: '下周可以面试' })
    await resident.tap(detail, 'onApply')
    expect(resident.ctl.lastToast()).toMatchObject({ title: '已投递' })

    // The employer's list of applications to this job.
    await phone.open('pages/employer-jobs/index', {}, 'reLaunch')
    const jobsPage = phone.stack[0]
    await phone.tap(jobsPage, 'onApplicationsTap', { id: jobId })
    expect(phone.ctl.lastNavigation()).toEqual({ api: 'navigateTo', url: `/pages/employer-applications/index?job_id=${jobId}` })
    const applications = await phone.follow()
    expect(applications.data.jobTitle).toBe('茶叶分拣工')
    expect(applications.data.items).toHaveLength(1)
    expect(applications.data.items[0]).toMatchObject({ name: '李演示', job: '茶叶分拣工', statusName: '已投递', message: '下周可以面试', fresh: true })
    const applicationId = applications.data.items[0].id

    // Opening it shows the résumé (phone masked) and tells the applicant it was read.
    await phone.tap(applications, 'onOpenTap', { id: applicationId })
    const one = await phone.follow()
    expect(one.data.application).toMatchObject({ name: '李演示', statusName: '已查看', job: '茶叶分拣工' })
    expect(one.data.application.steps.map((step) => step.text)).toEqual(['邀请面试', '录用', '不合适'])
    expect(one.data.resume).toMatchObject({
      education: '高中/中专/技校',
      availability: '随时到岗',
      skills: '茶叶分拣、包装',
      intro: '在茶厂做过三年',
      callable: false,
      experience: [{ employer: '屯溪演示老茶厂', title: '分拣工', period: '2020-03 - 2023-05', description: '' }],
    })
    expect(one.data.resume.phone).toMatch(/^1\d{2}\*{4}\d{4}$/)
    const seen = await callApi('/applications', { token: tokenOf(resident) })
    expect(seen.items.find((item) => item.id === applicationId).status).toBe('viewed')

    // 邀请面试: the full number shows, and can be called.
    await phone.tap(one, 'onStepTap', { status: 'interview' })
    expect(phone.ctl.lastToast()).toMatchObject({ title: '已邀请面试' })
    expect(one.data.application).toMatchObject({ statusName: '邀请面试' })
    expect(one.data.resume.phone).toBe(resident.ctl.phone)
    await phone.tap(one, 'onCallTap')
    expect(phone.ctl.phoneCalls).toEqual([resident.ctl.phone])

    // 录用 asks first, then records the hire.
    await phone.tap(one, 'onStepTap', { status: 'hired' })
    expect(phone.ctl.modals.pop().title).toBe('录用')
    expect(phone.ctl.lastToast()).toMatchObject({ title: '已录用' })
    expect(one.data.application).toMatchObject({ statusName: '已录用', steps: [] })
    await phone.back()
    expect(applications.data.items[0]).toMatchObject({ statusName: '已录用', fresh: false })

    // 收到的应聘 of all jobs (from 我的企业), and by stage.
    const all = await phone.open('pages/employer-applications/index')
    expect(all.data.jobTitle).toBe('')
    expect(all.data.items.map((item) => [item.id, item.job, item.statusName])).toEqual([[applicationId, '茶叶分拣工', '已录用']])
    await phone.tap(all, 'onFilterTap', { status: 'rejected' })
    expect(all.data.items).toEqual([])
    await phone.tap(all, 'onFilterTap', { status: 'hired' })
    expect(all.data.items.map((item) => item.id)).toEqual([applicationId])

    // The resident's side: hired, and their search paused.
    const mine = await callApi('/applications', { token: tokenOf(resident) })
    expect(mine.items.find((item) => item.id === applicationId).status).toBe('hired')
    expect(await callApi('/me/resume', { token: tokenOf(resident) })).toMatchObject({ open_to_work: false, seeking_paused_reason: 'hired' })
  })

  test('a résumé file opens from the application; a withdrawn application no longer shows the résumé', async () => {
    const { phone, employer } = await newBusiness('屯溪演示附件茶行')
    await verified(phone, employer)
    const token = tokenOf(phone)
    const job = await callApi('/jobs', { method: 'POST', token, body: { title: '茶叶包装工', category: 'tea_processing', kind: 'regular' } })
    await callApi(`/jobs/${job.id}/submit`, { method: 'POST', token })
    await callApi(`/jobs/${job.id}/review`, { method: 'POST', token: stationStaff, body: { decision: 'approved' } })

    const resident = await jobSeeker()
    const pdf = path.join(dir, 'cv.pdf')
    fs.writeFileSync(pdf, `%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n% ${Math.random()}\ntrailer << /Root 1 0 R >>\n%%EOF\n`)
    const resume = await resident.open('pages/resume/index')
    resident.ctl.chosenFiles = [{ path: pdf, name: '李演示简历.pdf' }]
    await resident.tap(resume, 'onUploadTap')
    const application = await callApi(`/jobs/${job.id}/applications`, { method: 'POST', token: tokenOf(resident), body: {} })

    const one = await phone.open('pages/employer-application/index', { id: String(application.id) })
    expect(one.data.resume.files).toEqual([{ id: expect.any(Number), name: '李演示简历.pdf', size: expect.stringMatching(/B$/) }])
    await phone.tap(one, 'onFileTap', { id: one.data.resume.files[0].id })
    const opened = phone.ctl.previews.pop()
    expect(opened).toMatchObject({ api: 'openDocument' })
    expect(fs.readFileSync(opened.file)).toEqual(fs.readFileSync(pdf))

    // The resident withdraws: the page, opened again, says the résumé is gone and offers no step.
    await callApi(`/applications/${application.id}`, { method: 'PATCH', token: tokenOf(resident), body: { status: 'withdrawn' } })
    const again = await phone.open('pages/employer-application/index', { id: String(application.id) })
    expect(again.data.application).toMatchObject({ statusName: '已撤回', steps: [] })
    expect(again.data.resume).toBe(null)
    expect(again.data.resumeMessage).toBe('求职者已撤回应聘，简历不再可见')
  })
})
