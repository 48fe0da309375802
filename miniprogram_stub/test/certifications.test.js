// 办事 · 重点群体认定 (docs/REGISTRATIONS.md "Certified key groups"): a resident applies (a graduate
// names the year), attaches a PNG and a PDF from a chat, removes the wrong one; a second
// application of the group is refused in Chinese; staff certify it (the page shows the validity
// and who certified, and the resident subscribed to 办事进度 gets the WeChat message) or reject
// another with the reason the resident reads.
const fs = require('fs')
const os = require('os')
const path = require('path')
const { PNG } = require('pngjs')
const { Phone } = require('./support/harness')
const server = require('./support/server')
const { tokenOf } = server

const COMMUNITY = '341002004001' // 老街街道演示社区一: 城中 circle, demo-operator's place

async function callApi(route, options = {}) {
  const answer = await server.call(route, options)
  if (answer.status < 200 || answer.status >= 300) {
    throw new Error(`${options.method || 'GET'} ${route} answered ${answer.status}: ${JSON.stringify(answer.body)}`)
  }
  return answer.body
}

let dir
let operator
beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mp-cert-'))
  operator = await server.staffToken('demo-operator')
})
afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true })
})

/** A small real PNG (a photo of a certificate, as far as the server can tell); `shade` makes the bytes differ. */
function writePng(name, shade = Math.floor(Math.random() * 255)) {
  const png = new PNG({ width: 4, height: 4 })
  png.data.fill(shade)
  const file = path.join(dir, name)
  fs.writeFileSync(file, PNG.sync.write(png))
  return file
}

function writePdf(name) {
  const file = path.join(dir, name)
  fs.writeFileSync(file, `%PDF-1.4\n% ${name} ${Math.random()}\ntrailer << >>\n%%EOF\n`)
  return file
}

/** A new resident with a community (a station to review it), on the 重点群体认定 page. */
async function resident() {
  const phone = new Phone()
  const page = await phone.open('pages/certifications/index')
  await callApi('/me', { method: 'PATCH', token: tokenOf(phone), body: { name: '认定测试', community_code: COMMUNITY } })
  return { phone, page }
}

const groupIndex = (page, value) => page.data.groups.findIndex((group) => group.value === value)

/** Open the form, choose a group (and a year), submit. */
async function apply(phone, page, group, yearIndex) {
  await phone.tap(page, 'onApplyTap')
  await phone.call(page, 'onGroupChange', { detail: { value: String(groupIndex(page, group)) } })
  if (yearIndex !== undefined) await phone.call(page, 'onYearChange', { detail: { value: String(yearIndex) } })
  await phone.tap(page, 'onApplySubmit')
}

async function upload(phone, page, id, file) {
  phone.ctl.chosenFiles = [{ path: file }]
  await phone.tap(page, 'onUploadTap', { id })
}

describe('重点群体认定', () => {
  test('apply as a graduate, attach a PNG and a PDF, remove the PDF; a second application is refused', async () => {
    const { phone, page } = await resident()
    expect(page.data.items).toEqual([])
    expect(page.data.groups.map((group) => group.value)).not.toContain('registered_unemployed')
    expect(page.data.groups.map((group) => group.value)).not.toContain('long_term_unemployed')

    // No group, then a graduate without the year: said on the page, nothing sent.
    await phone.tap(page, 'onApplyTap')
    const before = phone.ctl.calls.length
    await phone.tap(page, 'onApplySubmit')
    expect(page.data.formMessage).toBe('请选择认定类别')
    await phone.call(page, 'onGroupChange', { detail: { value: String(groupIndex(page, 'college_graduate')) } })
    expect(page.data.graduate).toBe(true)
    await phone.tap(page, 'onApplySubmit')
    expect(page.data.formMessage).toBe('高校毕业生请填写毕业年份')
    expect(phone.ctl.calls).toHaveLength(before)

    await phone.call(page, 'onYearChange', { detail: { value: '1' } }) // last year
    await phone.tap(page, 'onApplySubmit')
    expect(phone.ctl.calls.at(-1)).toMatchObject({ path: '/api/v1/me/certifications', statusCode: 201 })
    expect(phone.ctl.modals.pop().title).toBe('已提交申请')
    expect(page.data.applying).toBe(false)
    const year = new Date().getFullYear() - 1
    expect(page.data.items[0]).toMatchObject({
      groupName: '高校毕业生',
      graduationYear: `${year}年毕业`,
      statusName: '待审核',
      source: '本人申请',
      pending: true,
      evidence: [],
    })
    const id = page.data.items[0].id

    await upload(phone, page, id, writePng('毕业证.png'))
    expect(phone.ctl.lastToast()).toMatchObject({ title: '已上传' })
    await upload(phone, page, id, writePdf('错的文件.pdf'))
    expect(page.data.items[0].evidence.map((file) => file.name)).toEqual(['毕业证.png', '错的文件.pdf'])
    let own = await callApi(`/me/certifications/${id}`, { token: tokenOf(phone) })
    expect(own.evidence.map((file) => file.content_type)).toEqual(['image/png', 'application/pdf'])

    // A text file named .pdf: refused by its content, in Chinese.
    const text = path.join(dir, 'notes.pdf')
    fs.writeFileSync(text, '不是PDF\n')
    await upload(phone, page, id, text)
    expect(phone.ctl.modals.pop().content).toBe('只能上传 PDF、Word、JPG 或 PNG 文件')

    const wrong = page.data.items[0].evidence[1]
    await phone.tap(page, 'onDeleteEvidence', { id, evidence: wrong.id })
    expect(phone.ctl.modals.pop().title).toBe('删除材料')
    expect(page.data.items[0].evidence.map((file) => file.name)).toEqual(['毕业证.png'])
    own = await callApi(`/me/certifications/${id}`, { token: tokenOf(phone) })
    expect(own.evidence.map((file) => file.original_name)).toEqual(['毕业证.png'])

    // The same group again while the first waits: refused, with the sentence.
    await apply(phone, page, 'college_graduate', 2)
    expect(phone.ctl.calls.at(-1)).toMatchObject({ path: '/api/v1/me/certifications', statusCode: 409 })
    expect(phone.ctl.modals.pop().content).toBe('这一类别已有申请正在审核，请等待结果或在原申请中补充材料')
    expect(page.data.formMessage).toBe('这一类别已有申请正在审核，请等待结果或在原申请中补充材料')
  })

  test('certified: validity and who certified, no more uploads, and the 办事进度 message; rejected: the reason', async () => {
    const { phone, page } = await resident()
    // 我的 · 办事: the links, and the 办事进度 subscription (long-term: one accept).
    const me = await phone.open('pages/me/index')
    await phone.tap(me, 'onRegistrationsTap')
    expect(phone.ctl.lastNavigation()).toMatchObject({ url: '/pages/registrations/index' })
    await phone.tap(me, 'onCertificationsTap')
    expect(phone.ctl.lastNavigation()).toMatchObject({ url: '/pages/certifications/index' })
    expect(me.data.recordSubscribed).toBe(false)
    await phone.tap(me, 'onRecordSubscribeTap')
    expect(me.data.recordSubscribed).toBe(true)
    expect(me.data.recordNote).toBe('已订阅，办理结果会通过微信通知您')
    // Any hour of the day (the test may run in the quiet hours).
    await callApi('/me/push-preferences', { method: 'PATCH', token: tokenOf(phone), body: { quiet_start: '08:00', quiet_end: '08:00' } })

    await phone.call(page, 'onShow')
    await apply(phone, page, 'veteran')
    const veteran = page.data.items[0].id
    await upload(phone, page, veteran, writePng('退役证.png'))
    await apply(phone, page, 'disabled')
    const disabled = page.data.items[0].id

    const today = new Date(Date.now() + 8 * 3600000).toISOString().slice(0, 10) // the city's day
    await callApi(`/certifications/${veteran}/certify`, { method: 'POST', token: operator, body: { valid_from: today } })
    await callApi(`/certifications/${disabled}/reject`, { method: 'POST', token: operator, body: { reason: '请上传残疾证照片' } })

    await phone.call(page, 'onShow')
    const [rejected, certified] = page.data.items
    expect(certified).toMatchObject({ groupName: '退役军人', statusName: '已认定', pending: false })
    expect(certified.validity).toMatch(/^\d{4}年\d+月\d+日 起长期有效$/)
    expect(certified.certifiedBy).toMatch(/演示 城中就业圈运营/)
    expect(rejected).toMatchObject({ groupName: '残疾人', statusName: '未通过', reason: '请上传残疾证照片', pending: false })

    // A decided certification's files stay as they were.
    await upload(phone, page, veteran, writePng('再传.png'))
    expect(phone.ctl.modals.pop().content).toBe('这条申请已有审核结果，材料不能再修改')

    const messages = await server.messagesTo(phone.ctl.openid)
    const record = me.data.templates.find((item) => item.key === 'record_update').templateId
    // The certification's outcome reached WeChat. (Only the first: the fake WeChat counts every
    // accept as one send, even for this long-term template, so the rejection finds no quota there.)
    const outcomes = messages.filter((message) => message.template_id === record)
    expect(outcomes[0].data).toMatchObject({ thing1: { value: '重点群体认定' }, phrase2: { value: '已认定' } })
  })
})
