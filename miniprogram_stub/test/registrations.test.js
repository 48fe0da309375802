// 办事 · 失业/就业登记 (docs/REGISTRATIONS.md): a resident applies for unemployment registration
// on the form (what the phone checks, what the server refuses, one client id across a retry),
// sees it in the list, is refused a second one, withdraws it; confirms an employment entered by
// staff, which staff accept, then registers 离职; applies again, is accepted, confirms 仍在求职.
const { Phone } = require('./support/harness')
const server = require('./support/server')
const { tokenOf } = server

const COMMUNITY = '341002004001' // 老街街道演示社区一: 城中 circle, demo-operator's place

/** server.call for a step that must work: resolve the body. */
async function callApi(route, options = {}) {
  const answer = await server.call(route, options)
  if (answer.status < 200 || answer.status >= 300) {
    throw new Error(`${options.method || 'GET'} ${route} answered ${answer.status}: ${JSON.stringify(answer.body)}`)
  }
  return answer.body
}

/** A valid mainland ID number (GB 11643 check digit) of someone born in 1985–1994, unique enough per run. */
function idNumber() {
  const year = 1985 + Math.floor(Math.random() * 10)
  const month = String(1 + Math.floor(Math.random() * 12)).padStart(2, '0')
  const day = String(1 + Math.floor(Math.random() * 28)).padStart(2, '0')
  const sequence = String(Math.floor(Math.random() * 1000)).padStart(3, '0')
  const body = `341002${year}${month}${day}${sequence}`
  const weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
  const sum = body.split('').reduce((total, digit, i) => total + Number(digit) * weights[i], 0)
  return body + '10X98765432'[sum % 11]
}

/** 'YYYY-MM-DD' `days` from today on the phone's clock. */
function day(days = 0) {
  const moment = new Date(Date.now() + days * 86400000)
  const pad = (n) => String(n).padStart(2, '0')
  return `${moment.getFullYear()}-${pad(moment.getMonth() + 1)}-${pad(moment.getDate())}`
}

/** A new resident with a name, an ID number and a community (what registering needs); opens 我的登记. */
async function resident() {
  const phone = new Phone()
  const list = await phone.open('pages/registrations/index')
  const me = await callApi('/me', {
    method: 'PATCH',
    token: tokenOf(phone),
    body: { name: '登记测试', id_number: idNumber(), community_code: COMMUNITY },
  })
  return { phone, list, residentId: me.id }
}

/** Watch the JSON bodies the app POSTs to paths ending in `suffix`. */
function watchPosts(phone, suffix) {
  const posted = []
  const request = phone.wx.request
  phone.wx.request = (options) => {
    if (String(options.method).toUpperCase() === 'POST' && options.url.endsWith(suffix)) posted.push(JSON.parse(JSON.stringify(options.data)))
    return request(options)
  }
  return posted
}

/** Fill the 失业登记 form. */
async function fillUnemployment(phone, form, leftOn = day(-30)) {
  await phone.tap(form, 'onReasonTap', { reason: '合同到期' })
  await phone.tap(form, 'onDateChange', { field: 'leftOn' }, { value: leftOn })
  await phone.tap(form, 'onInput', { field: 'employerName' }, { value: '屯溪演示茶厂' })
  await phone.tap(form, 'onInput', { field: 'wantedWork' }, { value: '茶叶分拣' })
  await phone.call(form, 'onTrainingChange', { detail: { value: true } })
}

const statusOf = (page, id) => page.data.items.find((item) => item.id === id)

let operator
beforeAll(async () => {
  operator = await server.staffToken('demo-operator')
})

describe('我的登记', () => {
  test('apply for 失业登记: checks on the phone, a refusal in Chinese, one client id across a retry, then the list', async () => {
    const { phone, list } = await resident()
    expect(list.data.items).toEqual([])
    expect(list.data.loaded).toBe(true)

    await phone.tap(list, 'onApplyTap', { kind: 'unemployment' })
    expect(phone.ctl.lastNavigation()).toMatchObject({ api: 'navigateTo', url: '/pages/registration-apply/index?kind=unemployment' })
    const form = await phone.follow()
    expect(form.data.kind).toBe('unemployment')
    const posted = watchPosts(phone, '/me/registrations/unemployment')

    // Nothing filled: said on the page, nothing sent.
    await phone.tap(form, 'onSubmit')
    expect(form.data.message).toBe('请填写失业原因')
    expect(form.data.errorField).toBe('reason')
    expect(posted).toEqual([])

    // A credit code of the wrong shape is caught before sending.
    await fillUnemployment(phone, form)
    await phone.tap(form, 'onInput', { field: 'employerUscc' }, { value: '12345' })
    await phone.tap(form, 'onSubmit')
    expect(form.data.message).toMatch(/统一社会信用代码/)
    expect(posted).toEqual([])
    // Of the right shape but with a wrong check character (the right one is P): caught as typed too.
    await phone.tap(form, 'onInput', { field: 'employerUscc' }, { value: '91341000MA2N9Q8L7X' })
    await phone.tap(form, 'onSubmit')
    expect(form.data.message).toBe('统一社会信用代码校验位不符，请对照营业执照逐位核对（可不填）')
    expect(posted).toEqual([])
    await phone.tap(form, 'onInput', { field: 'employerUscc' }, { value: '' })

    // A day after today (a phone whose clock is ahead): the server's refusal, in Chinese, on the field.
    await phone.tap(form, 'onDateChange', { field: 'leftOn' }, { value: day(3) })
    await phone.tap(form, 'onSubmit')
    expect(phone.ctl.modals.pop().content).toBe('离职日期不能晚于今天')
    expect(form.data.errorField).toBe('leftOn')

    // No network: nothing made; sent again with signal, with the same client id.
    await phone.tap(form, 'onDateChange', { field: 'leftOn' }, { value: day(-30) })
    phone.ctl.online = false
    await phone.tap(form, 'onSubmit')
    expect(phone.ctl.modals.pop().content).toMatch(/网络/)
    phone.ctl.online = true
    await phone.tap(form, 'onSubmit')
    expect(phone.ctl.lastToast()).toMatchObject({ title: '失业登记已提交' })
    expect(posted.length).toBe(3) // the future date (refused), the lost one, the one that went through
    expect(new Set(posted.map((body) => body.client_id)).size).toBe(1)
    expect(posted.at(-1)).toMatchObject({
      reason_for_leaving: '合同到期',
      left_on: day(-30),
      last_employer_name: '屯溪演示茶厂',
      wanted_work: '茶叶分拣',
      wants_training: true,
      last_employer_uscc: null,
      employment_card_number: null,
    })

    // Back on the list: the registration, under review.
    expect(phone.ctl.lastNavigation()).toMatchObject({ api: 'navigateBack' })
    const back = await phone.follow()
    expect(back).toBe(list)
    expect(list.data.items).toHaveLength(1)
    expect(list.data.items[0]).toMatchObject({
      kindName: '失业登记',
      statusName: '审核中',
      subtitle: '失业原因：合同到期',
      enteredVia: '本人申请',
      canConfirm: false,
      canWithdraw: true,
      canFollowUp: false,
      canEnd: false,
    })
    const own = await callApi('/me/registrations', { token: tokenOf(phone) })
    expect(own.items.map((item) => [item.kind, item.status])).toEqual([['unemployment', 'submitted']])
  })

  test('a second open 失业登记 is refused with a clear sentence; withdrawing the first', async () => {
    const { phone, list } = await resident()
    for (let n = 1; n <= 2; n += 1) {
      const form = await phone.open('pages/registration-apply/index', { kind: 'unemployment' })
      await fillUnemployment(phone, form)
      await phone.tap(form, 'onSubmit')
      if (n === 2) {
        expect(phone.ctl.calls.at(-1)).toMatchObject({ path: '/api/v1/me/registrations/unemployment', statusCode: 409 })
        expect(phone.ctl.modals.pop().content).toBe('您已有一条同类登记正在办理或有效，不能重复申请')
        expect(form.data.message).toBe('您已有一条同类登记正在办理或有效，不能重复申请')
      }
    }
    await phone.call(list, 'onShow')
    expect(list.data.items).toHaveLength(1)
    const id = list.data.items[0].id

    await phone.tap(list, 'onWithdrawTap', { id })
    expect(phone.ctl.modals.pop().title).toBe('撤回登记')
    expect(statusOf(list, id)).toMatchObject({ statusName: '已撤回', canWithdraw: false })
    expect(phone.ctl.lastToast()).toMatchObject({ title: '已撤回' })
    const row = await callApi(`/me/registrations/${id}`, { token: tokenOf(phone) })
    expect(row.status).toBe('withdrawn')
  })

  test('staff enter my employment: I confirm it, staff accept it, I register 离职; then 失业登记, accepted, 仍在求职', async () => {
    const { phone, list, residentId } = await resident()
    const entered = await callApi('/registrations/employment', {
      method: 'POST',
      token: operator,
      body: {
        client_id: `mp-reg-${residentId}-employment`,
        resident_id: residentId,
        employment_kind: 'employed',
        started_on: day(-90),
        employer_name: '黄山演示茶业有限公司',
      },
    })
    expect(entered.status).toBe('pending_confirmation')

    await phone.call(list, 'onShow')
    expect(statusOf(list, entered.id)).toMatchObject({
      kindName: '就业登记',
      statusName: '待您确认',
      subtitle: '单位就业 · 黄山演示茶业有限公司',
      enteredVia: '服务站代办',
      canConfirm: true,
      canWithdraw: true,
    })
    await phone.tap(list, 'onConfirmTap', { id: entered.id })
    expect(phone.ctl.modals.pop().title).toBe('确认登记')
    expect(statusOf(list, entered.id)).toMatchObject({ statusName: '审核中', canConfirm: false })

    // Tapped again from a stale list (another phone confirmed it): answered as it is, no error.
    await phone.call(list, 'replace', { ...entered })
    await phone.tap(list, 'onConfirmTap', { id: entered.id })
    expect(phone.ctl.modals.pop().title).toBe('确认登记')
    expect(phone.ctl.lastToast()).toMatchObject({ title: '已确认' })
    expect(statusOf(list, entered.id).statusName).toBe('审核中')

    const accepted = await callApi(`/registrations/${entered.id}/accept`, { method: 'POST', token: operator, body: {} })
    expect(accepted.number).toMatch(/^JY341002\d{10}$/)
    await phone.call(list, 'onShow')
    expect(statusOf(list, entered.id)).toMatchObject({ statusName: '已受理', number: accepted.number, canEnd: true, canWithdraw: false })

    // 离职: the form under the registration; a day before the start is refused by the server.
    await phone.tap(list, 'onEndTap', { id: entered.id })
    expect(list.data.ending).toMatchObject({ id: entered.id, startedOn: day(-90) })
    await phone.tap(list, 'onEndSubmit')
    expect(phone.ctl.modals.pop().content).toBe('请选择离职日期')
    await phone.call(list, 'onEndDateChange', { detail: { value: day(-100) } })
    await phone.tap(list, 'onEndSubmit')
    expect(phone.ctl.modals.pop().content).toBe('离职日期不能早于开始工作的日期')
    await phone.call(list, 'onEndDateChange', { detail: { value: day(-10) } })
    await phone.call(list, 'onEndReasonInput', { detail: { value: '合同到期' } })
    await phone.tap(list, 'onEndSubmit')
    expect(statusOf(list, entered.id)).toMatchObject({ statusName: '已终止', endingReason: '已离职', canEnd: false })
    expect(list.data.ending.id).toBe(0)
    const profile = await callApi('/me', { token: tokenOf(phone) })
    expect(profile.employment_status).toBe('unemployed')

    // Now 失业登记, accepted by staff: valid until a date; 仍在求职 records a follow-up once.
    const form = await phone.open('pages/registration-apply/index', { kind: 'unemployment' })
    await fillUnemployment(phone, form, day(-10))
    await phone.tap(form, 'onSubmit')
    await phone.follow()
    const applied = list.data.items.find((item) => item.kind === 'unemployment')
    await callApi(`/registrations/${applied.id}/accept`, { method: 'POST', token: operator, body: {} })
    await phone.call(list, 'onShow')
    const shown = statusOf(list, applied.id)
    expect(shown).toMatchObject({ statusName: '已受理', canFollowUp: true, canWithdraw: true })
    expect(shown.number).toMatch(/^SY341002/)
    expect(shown.validUntil).toMatch(/^\d+月\d+日$/)

    const posted = watchPosts(phone, `/me/registrations/${applied.id}/follow-up`)
    await phone.tap(list, 'onFollowUpTap', { id: applied.id })
    expect(phone.ctl.lastToast()).toMatchObject({ title: '已确认仍在求职' })
    expect(posted).toHaveLength(1)
    expect(posted[0].client_id).toMatch(/^[0-9a-f]{32}$/)
    const followed = await callApi(`/me/registrations/${applied.id}`, { token: tokenOf(phone) })
    expect(followed.follow_ups.map((item) => item.channel)).toEqual(['self'])

    // 注销 (withdrawing one in effect): it ends, and the list says why.
    await phone.tap(list, 'onWithdrawTap', { id: applied.id })
    expect(phone.ctl.modals.pop().title).toBe('注销失业登记')
    expect(statusOf(list, applied.id)).toMatchObject({ statusName: '已终止', endingReason: '本人撤回' })
  })

  test('a person the office cannot register yet is told what to do first: the community, then the ID number', async () => {
    const phone = new Phone()
    const form = await phone.open('pages/registration-apply/index', { kind: 'unemployment' })
    await fillUnemployment(phone, form)
    await phone.tap(form, 'onSubmit')
    expect(phone.ctl.calls.at(-1)).toMatchObject({ path: '/api/v1/me/registrations/unemployment', statusCode: 422 })
    expect(phone.ctl.modals.pop().content).toBe('请先在“我的”里选择所在社区，再办理')

    await callApi('/me', { method: 'PATCH', token: tokenOf(phone), body: { community_code: COMMUNITY } })
    await phone.tap(form, 'onSubmit')
    expect(phone.ctl.modals.pop().content).toBe('请先在“我的”里填写身份证号，再办理失业登记')
    expect(form.data.message).toBe('请先在“我的”里填写身份证号，再办理失业登记')
  })

  test('就业登记 of my own work: 灵活就业 is submitted; 个体经营 needs its name', async () => {
    const { phone, list } = await resident()
    const form = await phone.open('pages/registration-apply/index', { kind: 'employment' })
    expect(form.data.kinds.map((kind) => kind.name)).toEqual(['个体经营', '灵活就业'])
    await phone.call(form, 'onKindChange', { detail: { value: '0' } })
    await phone.tap(form, 'onDateChange', { field: 'startedOn' }, { value: day(-5) })
    await phone.tap(form, 'onSubmit')
    expect(form.data.message).toBe('请填写个体工商户字号名称')
    await phone.call(form, 'onKindChange', { detail: { value: '1' } })
    await phone.tap(form, 'onInput', { field: 'description' }, { value: '网约车司机' })
    await phone.tap(form, 'onSubmit')
    expect(phone.ctl.lastToast()).toMatchObject({ title: '就业登记已提交' })
    await phone.call(list, 'onShow')
    expect(list.data.items[0]).toMatchObject({ kindName: '就业登记', statusName: '审核中', subtitle: '灵活就业' })
  })
})
