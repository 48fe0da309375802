// 窗口: the live QR screen's link copied for the counter's PC, and the registration desk: a
// visitor called at 叫号 is registered at the counter, their ID card checked as it is typed.
const { Phone } = require('./support/harness')
const server = require('./support/server')

const STATION_CODE = '341002-chengzhong-01'
const CLERK = 'demo-station-staff'
const COMMUNITY = '341002002001'

/** A valid ID-card number (GB 11643) born on `birth` (YYYYMMDD), with a random sequence. */
function idNumberBornOn(birth) {
  const weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
  const first17 = `341002${birth}${String(Math.floor(Math.random() * 1000)).padStart(3, '0')}`
  const total = [...first17].reduce((sum, digit, i) => sum + Number(digit) * weights[i], 0)
  return first17 + '10X98765432'[total % 11]
}

let staff
let station

/** Publish a person policy of 屯溪区 (registered unemployed, 16–60), as the two admins do; its title. */
async function publishPolicy() {
  const title = `求职创业补贴（窗口申领测试${Math.random().toString(36).slice(2, 7)}）`
  const author = (await server.staffLogin('demo-district-admin')).body.token
  const publisher = (await server.staffLogin('demo-city-admin')).body.token
  const created = await server.call('/policies', {
    method: 'POST',
    token: author,
    body: {
      subject: 'person',
      district_code: '341002000000',
      title,
      document_number: '测试〔2026〕23号',
      issuer: '屯溪区人力资源和社会保障局',
      effective_from: '2026-01-01',
      benefit: { kind: 'fixed', amount: 800 },
      materials: ['身份证'],
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
  expect(created.status).toBe(201)
  expect((await server.call(`/policies/${created.body.id}/submit`, { method: 'POST', token: author })).status).toBe(200)
  expect((await server.call(`/policies/${created.body.id}/publish`, { method: 'POST', token: publisher, body: {} })).status).toBe(200)
  return title
}

beforeAll(async () => {
  staff = await server.staffToken(CLERK)
  const list = await server.call('/stations?per_page=100', { token: staff })
  station = list.body.items.find((item) => item.code === STATION_CODE)
  // Other files' visitors are served first: the one called here is ours.
  const open = await server.call(`/stations/${station.id}/check-ins?served=false&per_page=500`, { token: staff })
  for (const row of open.body.items) {
    await server.call(`/check-ins/${row.id}`, { method: 'PATCH', token: staff, body: { outcome: 'nothing' } })
  }
})

describe('the counter', () => {
  let clerk
  let desk
  let resident
  let idNumber

  beforeAll(async () => {
    // A resident with a name, an ID number and a community checks in for a registration.
    resident = new Phone()
    resident.ctl.scanResult = await server.printedCode(station.id, staff)
    const scan = await resident.open('pages/scan/index')
    await resident.tap(scan, 'onScanTap')
    const checkIn = await resident.follow()
    await resident.tap(checkIn, 'onPurposeTap', { purpose: 'registration' })
    idNumber = idNumberBornOn('19850612')
    const profile = await server.call('/me', {
      method: 'PATCH',
      token: server.tokenOf(resident),
      body: { name: '钱文彬', id_number: idNumber, community_code: COMMUNITY },
    })
    expect(profile.status).toBe(200)

    clerk = new Phone()
    await clerk.staffLogIn(CLERK)
    const queue = await clerk.follow()
    await clerk.tap(queue, 'onCallNextTap')
    expect(queue.data.current).toMatchObject({ name: '钱**', purpose: '登记' })
    await clerk.tap(queue, 'onRegisterTap', { id: queue.data.current.id })
    expect(clerk.ctl.lastNavigation().url).toMatch(/^\/pages\/station-desk\/index\?resident_id=\d+&name=/)
    desk = await clerk.follow()
    queue.onUnload()
  })

  afterAll(async () => {
    const open = await server.call(`/stations/${station.id}/check-ins?served=false&per_page=500`, { token: staff })
    for (const row of open.body.items) {
      await server.call(`/check-ins/${row.id}`, { method: 'PATCH', token: staff, body: { outcome: 'registered' } })
    }
  })

  test('大屏: the live screen link is made, copied, and opens the screen in a browser', async () => {
    expect(desk.data.station).toMatchObject({ id: station.id })
    await clerk.tap(desk, 'onLinkTap')
    expect(desk.data.link.url).toMatch(/^https?:\/\//)
    expect(clerk.ctl.clipboard).toBe(desk.data.link.url)
    expect(clerk.ctl.lastToast()).toEqual({ title: '链接已复制', icon: 'success' })
    expect(desk.data.link.expiresAt).toMatch(/月\d+日/)
    // What the counter's browser gets (the link is signed: no login there).
    const path = new URL(desk.data.link.url)
    const screen = await fetch(`${clerk.backend.apiBase}${path.pathname}${path.search}`)
    expect(screen.status).toBe(200)
    expect(screen.headers.get('content-type')).toContain('text/html')
  })

  test('the visitor is chosen (ID number masked); the ID card is checked as typed against the one on file', async () => {
    // The record names the person in full (to compare with the card); the ID number stays masked.
    expect(desk.data.resident).toMatchObject({ name: '钱文彬', idHint: `${idNumber.slice(0, 4)}**********${idNumber.slice(14)}` })
    expect(desk.data.visitors.map((row) => row.label)).toContainEqual(expect.stringMatching(/号 钱\*\*$/))

    await clerk.tap(desk, 'onIdNumberInput', {}, { value: '3410A' })
    expect(desk.data.form.idProblem).toBe('身份证号只能是数字，最后一位可以是X')
    const wrongCheck = idNumber.slice(0, 17) + (idNumber[17] === '0' ? '1' : '0')
    await clerk.tap(desk, 'onIdNumberInput', {}, { value: wrongCheck })
    expect(desk.data.form.idProblem).toBe('身份证号校验位不对，请逐位核对')
    await clerk.tap(desk, 'onIdNumberInput', {}, { value: idNumberBornOn('19900101') })
    expect(desk.data.form.idProblem).toMatch(/与该居民登记的身份证号不一致|校验位/)
    await clerk.tap(desk, 'onIdNumberInput', {}, { value: idNumber })
    expect(desk.data.form).toMatchObject({ idProblem: '', idChecked: true })
  })

  test('an unemployment registration is entered once, and waits for the person to confirm it', async () => {
    await clerk.tap(desk, 'onSubmit')
    expect(clerk.ctl.lastToast()).toEqual({ title: '请填写失业原因', icon: 'none' })
    expect(clerk.ctl.calls.filter((c) => c.path === '/api/v1/registrations/unemployment')).toEqual([])

    await clerk.tap(desk, 'onFieldInput', { field: 'reasonForLeaving' }, { value: '合同到期' })
    await clerk.tap(desk, 'onFieldInput', { field: 'leftOn' }, { value: '2026-10-31' })
    await clerk.tap(desk, 'onFieldInput', { field: 'wantedWork' }, { value: '仓库管理' })
    await clerk.tap(desk, 'onSubmit')
    expect(clerk.ctl.lastToast()).toEqual({ title: '已录入', icon: 'success' })
    expect(desk.data.result).toMatchObject({ kind: '失业登记' })
    expect(desk.data.form.idNumber).toBe('') // the ID number does not stay on the phone

    const mine = await server.call('/me/registrations', { token: server.tokenOf(resident) })
    const entered = mine.body.items.filter((row) => row.kind === 'unemployment')
    expect(entered).toHaveLength(1)
    expect(entered[0]).toMatchObject({ status: 'pending_confirmation', entered_via: 'staff', reason_for_leaving: '合同到期', left_on: '2026-10-31' })
    expect(desk.data.result.status).toBe('待本人确认')
  })

  test('a claim at the counter: checked as typed; refused while the person does not qualify, then made', async () => {
    const title = await publishPolicy()
    await clerk.tap(desk, 'onKindTap', { kind: 'claim' })
    expect(desk.data.kinds.map((kind) => kind.label)).toEqual(['失业登记', '就业登记', '政策申领'])
    const policyIndex = desk.data.policies.findIndex((policy) => policy.title === title)
    expect(policyIndex).toBeGreaterThanOrEqual(0)

    await clerk.tap(desk, 'onIdNumberInput', {}, { value: idNumber })
    await clerk.tap(desk, 'onSubmit')
    expect(clerk.ctl.lastToast()).toEqual({ title: '请选择申领的政策', icon: 'none' })
    await clerk.tap(desk, 'onPolicyChange', {}, { value: String(policyIndex) })
    await clerk.tap(desk, 'onSubmit')
    expect(clerk.ctl.lastToast()).toEqual({ title: '请填写收款银行、户名和账号', icon: 'none' })
    await clerk.tap(desk, 'onFieldInput', { field: 'bankName' }, { value: '黄山农商银行' })
    await clerk.tap(desk, 'onFieldInput', { field: 'accountHolder' }, { value: '钱文彬' })
    await clerk.tap(desk, 'onFieldInput', { field: 'bankAccount' }, { value: '6228 4800 1234 5678 901' })
    await clerk.tap(desk, 'onSubmit')
    expect(clerk.ctl.lastToast()).toEqual({ title: '请本人确认所填情况属实', icon: 'none' })
    expect(clerk.ctl.calls.filter((c) => c.path === '/api/v1/claims')).toEqual([])

    // Not registered unemployed yet (the registration waits for him): refused, said of him.
    await clerk.tap(desk, 'onConfirmedChange', {}, { value: true })
    await clerk.tap(desk, 'onSubmit')
    expect(clerk.ctl.calls.filter((c) => c.path === '/api/v1/claims').map((c) => c.statusCode)).toEqual([409])
    expect(clerk.ctl.modals.at(-1).content).toBe('该居民目前不符合这项政策的条件，不能申领')

    // He confirms the registration on his phone, the station accepts it: now he qualifies.
    const token = server.tokenOf(resident)
    const registration = (await server.call('/me/registrations', { token })).body.items.find((row) => row.kind === 'unemployment')
    expect((await server.call(`/me/registrations/${registration.id}/confirm`, { method: 'POST', token, body: {} })).status).toBe(200)
    expect((await server.call(`/registrations/${registration.id}/accept`, { method: 'POST', token: staff, body: {} })).status).toBe(200)

    await clerk.tap(desk, 'onSubmit')
    expect(clerk.ctl.lastToast()).toEqual({ title: '已提交', icon: 'success' })
    expect(desk.data.result.kind).toBe(`政策申领 ${title}`)
    expect(desk.data.form.bankAccount).toBe('') // the account does not stay on the counter's phone
    const claims = (await server.call('/claims', { token })).body.items
    expect(claims.map((claim) => [claim.policy_title, claim.channel, claim.status])).toEqual([[title, 'counter', 'submitted']])
  })
})
