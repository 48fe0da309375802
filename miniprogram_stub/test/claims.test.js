// 我的申领 (直补快办): a resident whose unemployment registration staff accepted qualifies for a
// policy the district's and the city's admins publish through the API (two people, as the
// catalogue wants); 申领 on 我的政策 opens the claim form (checked as typed, one client id
// across a retry), the claim then shows in 我的申领 with its steps and the account masked; staff
// return it for a file, the reason shows, the resident adds a PDF from a chat and sends it back;
// and withdraws it. Nobody else's claims are on the page.
const fs = require('fs')
const os = require('os')
const path = require('path')
const { Phone } = require('./support/harness')
const server = require('./support/server')
const { tokenOf } = server

const COMMUNITY = '341002004001' // 老街街道演示社区一: 城中 circle, demo-operator's place
const POLICY = `职业技能培训补贴（申领测试${Math.random().toString(36).slice(2, 7)}）`

/** Publish a person policy of 屯溪区: aged 16–60 and registered unemployed, 1,500 yuan once. */
async function publishPolicy() {
  const author = (await server.staffLogin('demo-district-admin')).body.token
  const publisher = (await server.staffLogin('demo-city-admin')).body.token
  const created = await must('/policies', {
    method: 'POST',
    token: author,
    body: {
      subject: 'person',
      district_code: '341002000000',
      title: POLICY,
      document_number: '测试〔2026〕9号',
      issuer: '屯溪区人力资源和社会保障局',
      effective_from: '2026-01-01',
      benefit: { kind: 'fixed', amount: 1500 },
      materials: ['身份证', '培训结业证明'],
      claim_deadline: { within_days: 365 },
      claim_period: 'once',
      notice_days: 5,
      rule: {
        and: [
          { '>=': [{ var: 'age' }, 16] },
          { '<=': [{ var: 'age' }, 60] },
          { '==': [{ var: 'unemployment_registered' }, true] },
        ],
      },
    },
  })
  await must(`/policies/${created.id}/submit`, { method: 'POST', token: author })
  await must(`/policies/${created.id}/publish`, { method: 'POST', token: publisher, body: {} })
}

async function must(route, options = {}) {
  const answer = await server.call(route, options)
  if (answer.status >= 300) throw new Error(`${options.method || 'GET'} ${route} answered ${answer.status}: ${JSON.stringify(answer.body)}`)
  return answer.body
}

/** A valid mainland ID number (GB 11643 check digit) of someone born in 1985–1994. */
function idNumber() {
  const year = 1985 + Math.floor(Math.random() * 10)
  const month = String(1 + Math.floor(Math.random() * 12)).padStart(2, '0')
  const day = String(1 + Math.floor(Math.random() * 28)).padStart(2, '0')
  const body = `341002${year}${month}${day}${String(Math.floor(Math.random() * 1000)).padStart(3, '0')}`
  const weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
  const sum = body.split('').reduce((total, digit, i) => total + Number(digit) * weights[i], 0)
  return body + '10X98765432'[sum % 11]
}

/** 'YYYY-MM-DD' `days` from today. */
function day(days) {
  return new Date(Date.now() + days * 86400000).toISOString().slice(0, 10)
}

/** A resident registered unemployed (staff accepted it): they qualify for the demo's training subsidy. */
async function qualifiedResident(operator) {
  const phone = new Phone()
  await phone.open('pages/claims/index') // logs in; no claims yet
  const token = tokenOf(phone)
  await must('/me', { method: 'PATCH', token, body: { name: '申领测试', id_number: idNumber(), community_code: COMMUNITY } })
  const registration = await must('/me/registrations/unemployment', {
    method: 'POST',
    token,
    body: { client_id: `claims-${Math.random().toString(36).slice(2)}`, reason_for_leaving: '合同到期', left_on: day(-20) },
  })
  await must(`/registrations/${registration.id}/accept`, { method: 'POST', token: operator, body: {} })
  return phone
}

/** Watch the JSON bodies the app POSTs to /claims. */
function watchClaimPosts(phone) {
  const posted = []
  const request = phone.wx.request
  phone.wx.request = (options) => {
    if (String(options.method).toUpperCase() === 'POST' && /\/claims$/.test(options.url)) posted.push(JSON.parse(JSON.stringify(options.data)))
    return request(options)
  }
  return posted
}

let operator
beforeAll(async () => {
  operator = await server.staffToken('demo-operator')
  await publishPolicy()
})

test('申领 from 我的政策: the form, a claim with its steps; returned, a file added, sent back; withdrawn', async () => {
  const phone = await qualifiedResident(operator)
  const policies = await phone.open('pages/policies/index')
  const match = policies.data.matches.find((item) => item.title === POLICY)
  expect(match).toBeTruthy()
  expect(match.claimed).toBe(false)
  await phone.tap(policies, 'onClaimTap', { id: match.id })
  expect(phone.ctl.lastNavigation()).toEqual({ api: 'navigateTo', url: `/pages/claims/index?match=${match.id}` })
  const page = await phone.follow()
  expect(page.data.match).toMatchObject({ id: match.id, title: POLICY, amount: '1,500元' })
  expect(page.data.match.reasons.length).toBeGreaterThan(0)
  expect(page.data.items).toEqual([])

  // Checked as typed: nothing is sent until the form is whole and confirmed.
  const posted = watchClaimPosts(phone)
  await phone.tap(page, 'onFormInput', { field: 'bankName' }, { value: '黄山农商银行屯溪支行' })
  await phone.tap(page, 'onFormInput', { field: 'accountHolder' }, { value: '申领测试' })
  await phone.tap(page, 'onFormInput', { field: 'bankAccount' }, { value: '6228 4800 12' })
  await phone.tap(page, 'onClaimSubmit')
  expect(page.data.formError).toBe('银行卡号为12-30位数字')
  await phone.tap(page, 'onFormInput', { field: 'bankAccount' }, { value: '6228 4800 1234 5678 901' })
  expect(page.data.form.bankAccount).toBe('6228480012345678901')
  await phone.tap(page, 'onClaimSubmit')
  expect(page.data.formError).toBe('请确认以上信息真实')
  expect(posted).toEqual([])
  await phone.call(page, 'onConfirmChange', { detail: { value: ['yes'] } })

  // The first answer is lost on the way: the retry sends the same client id and gets the same claim.
  const request = phone.wx.request
  let dropped = false
  phone.wx.request = (options) => {
    if (!dropped && String(options.method).toUpperCase() === 'POST' && /\/claims$/.test(options.url)) {
      dropped = true
      return request({ ...options, success: () => options.fail({ errMsg: 'request:fail timeout' }) })
    }
    return request(options)
  }
  await phone.tap(page, 'onClaimSubmit')
  expect(phone.ctl.modals.pop().content).toBe('网络不可用，请检查网络后再试')
  await phone.tap(page, 'onClaimSubmit')
  expect(posted).toHaveLength(2)
  expect(posted[1].client_id).toBe(posted[0].client_id)
  expect(posted[1]).toMatchObject({ match_id: match.id, confirmed: true, bank_account: '6228480012345678901' })
  expect(page.data.match).toBe(null)
  expect(page.data.form.bankAccount).toBe('') // not kept on the phone

  const claims = await must('/claims', { token: tokenOf(phone) })
  expect(claims.total).toBe(1)
  const claimId = claims.items[0].id
  expect(page.data.items.map((item) => item.id)).toEqual([claimId])
  expect(page.data.items[0]).toMatchObject({ title: POLICY, statusName: '已提交', amount: '1,500元' })
  expect(page.data.openId).toBe(claimId)
  expect(page.data.detail.bank).toContain('黄山农商银行屯溪支行')
  expect(page.data.detail.bank).not.toContain('6228480012345678901') // masked by the server
  expect(page.data.detail.steps.map((step) => step.name)).toEqual(['已提交'])
  expect(page.data.detail).toMatchObject({ canUpload: true, canResubmit: false, canWithdraw: true })

  // 我的政策 now says it is claimed, and 申领 there opens the claim instead of a second form.
  await phone.call(policies, 'onShow')
  expect(policies.data.matches.find((item) => item.id === match.id)).toMatchObject({ claimed: true, claimStatus: '已提交' })
  const again = await phone.open('pages/claims/index', { match: String(match.id) })
  expect(again.data.match).toBe(null)
  expect(again.data.openId).toBe(claimId)

  // Staff return it for a file: the reason shows.
  const staff = await server.staffToken('demo-station-staff')
  await must(`/claims/${claimId}/return`, { method: 'POST', token: staff, body: { reason: '请补充培训结业证明' } })
  await phone.call(page, 'onPullDownRefresh')
  expect(page.data.items[0]).toMatchObject({ statusName: '退回补充材料', reason: '请补充培训结业证明' })
  expect(page.data.detail).toMatchObject({ statusName: '退回补充材料', canUpload: true, canResubmit: true })
  expect(page.data.detail.steps.map((step) => step.note)).toEqual(['', '请补充培训结业证明'])
  // A tap folds the claim away, another opens it again.
  await phone.tap(page, 'onClaimTap', { id: claimId })
  expect(page.data).toMatchObject({ openId: 0, detail: null })
  await phone.tap(page, 'onClaimTap', { id: claimId })
  expect(page.data.detail.id).toBe(claimId)

  // A PDF from a chat, then 重新提交.
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'claims-')), '结业证明.pdf')
  fs.writeFileSync(file, `%PDF-1.4\n% claim ${Math.random()}\ntrailer << >>\n%%EOF\n`)
  phone.ctl.chosenFiles = [{ path: file }]
  await phone.tap(page, 'onUploadTap')
  expect(phone.ctl.lastToast()).toEqual({ title: '已上传', icon: 'success' })
  expect(page.data.detail.files).toHaveLength(1)
  await phone.tap(page, 'onResubmitTap')
  expect(page.data.items[0].statusName).toBe('已提交')
  expect(page.data.detail.steps.map((step) => step.name)).toEqual(['已提交', '退回补充材料', '已提交'])

  // 撤回: the claim ends; nothing more to do on it.
  await phone.tap(page, 'onWithdrawTap')
  expect(page.data.items[0].statusName).toBe('已撤回')
  expect(page.data.detail).toMatchObject({ canUpload: false, canResubmit: false, canWithdraw: false })
  expect((await must(`/claims/${claimId}`, { token: tokenOf(phone) })).status).toBe('withdrawn')

  // Another resident sees none of it.
  const other = await new Phone().open('pages/claims/index')
  expect(other.data).toMatchObject({ loaded: true, items: [] })
})

test('a match I do not have shows why instead of a form; a grid worker goes home', async () => {
  const phone = new Phone()
  const page = await phone.open('pages/claims/index', { match: '99999999' })
  expect(page.data.match).toBe(null)
  expect(page.data.formError).toBe('您目前不符合这项政策的申领条件，请回到“我的政策”查看')
  await phone.tap(page, 'onPoliciesTap')
  expect(phone.ctl.lastNavigation()).toEqual({ api: 'navigateTo', url: '/pages/policies/index' })

  const worker = new Phone()
  await worker.staffLogIn('demo-grid-worker')
  await worker.open('pages/claims/index', { match: '1' })
  expect(worker.ctl.lastNavigation()).toEqual({ api: 'reLaunch', url: '/pages/grid-checklist/index' })
})
