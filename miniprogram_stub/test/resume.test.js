// My résumé: a first visit (nothing saved yet), fill and save, reopen; attached files: upload a
// PDF, the same bytes again, a text file, too many, too large, delete after confirming.
const fs = require('fs')
const os = require('os')
const path = require('path')
const { Phone, ROOT } = require('./support/harness')
const server = require('./support/server')

const paths = (phone) => phone.ctl.calls.map((call) => `${call.method} ${call.path} ${call.statusCode}`)

let dir
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mp-resume-'))
})
afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true })
})

/** A small real PDF (the server knows a PDF by its '%PDF-' start); `label` makes the bytes differ. */
function writePdf(name, label = name) {
  const file = path.join(dir, name)
  fs.writeFileSync(
    file,
    `%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n` +
      `2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\n% ${label}\ntrailer << /Root 1 0 R >>\n%%EOF\n`,
  )
  return file
}

/** The résumé on the server, read with the token the phone holds. */
async function serverResume(phone) {
  const answer = await server.call('/me/resume', { token: server.tokenOf(phone) })
  expect(answer.status).toBe(200)
  return answer.body
}

const indexOf = (page, list, value) => page.data[list].findIndex((item) => item.value === value)

/** Pick a file in the chooser and tap upload. */
async function upload(phone, page, file) {
  phone.ctl.chosenFiles = [{ path: file }]
  await phone.tap(page, 'onUploadTap')
}

describe('my résumé', () => {
  test('a resident who never wrote one gets an empty form, looking for work by default', async () => {
    const phone = new Phone()
    const page = await phone.open('pages/resume/index')

    expect(page.data.loaded).toBe(true)
    expect(page.data.isNew).toBe(true)
    expect(page.data.form).toMatchObject({
      educationIndex: -1,
      skills: '',
      availabilityIndex: -1,
      intro: '',
      openToWork: true,
      wantedKinds: [],
      expectedWage: '',
    })
    expect(page.data.radii[page.data.form.radiusIndex].value).toBe(3000)
    expect(page.data.files).toEqual([])
    expect(phone.ctl.modals).toEqual([])
    expect(paths(phone)).toEqual(['POST /api/v1/auth/wechat-login 200', 'GET /api/v1/me/resume 200'])
    // The server itself says "not open" until the first save.
    expect((await serverResume(phone)).open_to_work).toBe(false)
  })

  test('fill and save: the server holds the values, and the page shows them when reopened', async () => {
    const phone = new Phone()
    const page = await phone.open('pages/resume/index')

    await phone.call(page, 'onEducationChange', { detail: { value: String(indexOf(page, 'educations', 'senior_high')) } })
    await phone.tap(page, 'onInput', { field: 'skills' }, { value: '包装 茶艺，普通话' })
    await phone.call(page, 'onAvailabilityChange', { detail: { value: String(indexOf(page, 'availabilities', 'within_week')) } })
    await phone.tap(page, 'onInput', { field: 'intro' }, { value: '在茶厂做过三年包装。' })
    await phone.call(page, 'onKindsChange', { detail: { value: ['regular', 'part_time'] } })
    await phone.tap(page, 'onInput', { field: 'expectedWage' }, { value: '4000元' })
    await phone.call(page, 'onRadiusChange', { detail: { value: String(indexOf(page, 'radii', 5000)) } })
    expect(page.data.form.expectedWage).toBe('4000')
    expect(page.data.kinds.filter((kind) => kind.checked).map((kind) => kind.name)).toEqual(['全职', '兼职'])

    await phone.tap(page, 'onSave')
    expect(phone.ctl.lastToast()).toMatchObject({ title: '已保存' })
    expect(phone.ctl.modals).toEqual([])
    expect(page.data.isNew).toBe(false)
    expect(page.data.updatedAt).not.toBe('')

    expect(await serverResume(phone)).toMatchObject({
      education: 'senior_high',
      skills: ['包装', '茶艺', '普通话'],
      availability: 'within_week',
      intro: '在茶厂做过三年包装。',
      open_to_work: true,
      wanted_kinds: ['regular', 'part_time'],
      expected_monthly_wage: 4000,
      radius_m: 5000,
    })

    // Reopened: the form is what was saved.
    const again = await phone.open('pages/resume/index')
    const form = again.data.form
    expect(again.data.educations[form.educationIndex].name).toBe('高中/中专/技校')
    expect(again.data.availabilities[form.availabilityIndex].name).toBe('一周内到岗')
    expect(again.data.radii[form.radiusIndex].name).toBe('5.0公里')
    expect(form).toMatchObject({ skills: '包装 茶艺 普通话', intro: '在茶厂做过三年包装。', expectedWage: '4000', openToWork: true })

    // No longer looking, no wage wish: saved as such.
    await phone.call(again, 'onOpenToWorkChange', { detail: { value: false } })
    await phone.tap(again, 'onInput', { field: 'expectedWage' }, { value: '' })
    await phone.tap(again, 'onSave')
    expect(await serverResume(phone)).toMatchObject({ open_to_work: false, expected_monthly_wage: null, skills: ['包装', '茶艺', '普通话'] })
  })

  test('a skill too long is caught on the phone: nothing is sent', async () => {
    const phone = new Phone()
    const page = await phone.open('pages/resume/index')
    await phone.tap(page, 'onInput', { field: 'skills' }, { value: `包装 ${'很'.repeat(21)}` })
    const before = phone.ctl.calls.length
    await phone.tap(page, 'onSave')
    expect(page.data.message).toBe('每项技能不超过20个字')
    expect(phone.ctl.calls).toHaveLength(before)
    expect((await serverResume(phone)).updated_at).toBe(null)
  })

  test('upload a PDF, the same again (still one), a text file (refused), then delete it', async () => {
    const phone = new Phone()
    const page = await phone.open('pages/resume/index')
    const pdf = writePdf('简历.pdf')

    await upload(phone, page, pdf)
    expect(phone.ctl.lastToast()).toMatchObject({ title: '已上传' })
    expect(page.data.files).toHaveLength(1)
    expect(page.data.files[0]).toMatchObject({ name: '简历.pdf', size: `${fs.statSync(pdf).size}B` })
    expect(paths(phone).at(-1)).toBe('POST /api/v1/me/resume/files 201')
    let files = (await serverResume(phone)).files
    expect(files).toHaveLength(1)
    expect(files[0]).toMatchObject({ id: page.data.files[0].id, content_type: 'application/pdf', size: fs.statSync(pdf).size })

    // The same bytes again (a retry, or picked twice): the file we have.
    await upload(phone, page, pdf)
    expect(paths(phone).at(-1)).toBe('POST /api/v1/me/resume/files 200')
    expect(phone.ctl.lastToast()).toMatchObject({ title: '这个文件已经上传过了' })
    expect(page.data.files).toHaveLength(1)
    expect((await serverResume(phone)).files).toHaveLength(1)

    // A text file named .pdf (the picker offers only the allowed extensions): refused by its content.
    const text = path.join(dir, 'notes.pdf')
    fs.writeFileSync(text, '我的简历：会包装，会茶艺。\n')
    await upload(phone, page, text)
    expect(paths(phone).at(-1)).toBe('POST /api/v1/me/resume/files 415')
    expect(phone.ctl.modals.at(-1).content).toBe('只能上传 PDF、Word、JPG 或 PNG 文件')
    expect(page.data.files).toHaveLength(1)
    expect(page.data.uploading).toBe(false)

    // Closing the chooser does nothing.
    const before = phone.ctl.calls.length
    phone.ctl.chosenFiles = []
    await phone.tap(page, 'onUploadTap')
    expect(phone.ctl.calls).toHaveLength(before)

    // Delete: "cancel" keeps it, "confirm" deletes it.
    const id = page.data.files[0].id
    phone.ctl.modalConfirm = false
    await phone.tap(page, 'onDeleteFile', { id })
    expect(phone.ctl.modals.at(-1)).toEqual({ title: '删除附件', content: '确定删除“简历.pdf”吗？' })
    expect(page.data.files).toHaveLength(1)
    expect(phone.ctl.calls).toHaveLength(before)

    phone.ctl.modalConfirm = true
    await phone.tap(page, 'onDeleteFile', { id })
    expect(paths(phone).at(-1)).toBe(`DELETE /api/v1/me/resume/files/${id} 204`)
    expect(phone.ctl.lastToast()).toMatchObject({ title: '已删除' })
    expect(page.data.files).toEqual([])
    files = (await serverResume(phone)).files
    expect(files).toEqual([])
  })

  test('a file deleted elsewhere meanwhile: the message, and it leaves the list', async () => {
    const phone = new Phone()
    const page = await phone.open('pages/resume/index')
    await upload(phone, page, writePdf('a.pdf', `gone-${phone.ctl.openid}`))
    const id = page.data.files[0].id
    // The same person deletes it on another phone.
    const other = new Phone({ openid: phone.ctl.openid })
    const there = await other.open('pages/resume/index')
    await other.tap(there, 'onDeleteFile', { id })
    expect(there.data.files).toEqual([])

    await phone.tap(page, 'onDeleteFile', { id })
    expect(paths(phone).at(-1)).toBe(`DELETE /api/v1/me/resume/files/${id} 404`)
    expect(phone.ctl.modals.at(-1).content).toBe('附件已删除或不存在')
    expect(page.data.files).toEqual([])
  })

  test('at most five files: the sixth is refused with the message', async () => {
    const phone = new Phone()
    const page = await phone.open('pages/resume/index')
    for (let n = 1; n <= 5; n += 1) await upload(phone, page, writePdf(`file${n}.pdf`, `${phone.ctl.openid}-${n}`))
    expect(page.data.files.map((file) => file.name)).toEqual(['file1.pdf', 'file2.pdf', 'file3.pdf', 'file4.pdf', 'file5.pdf'])
    expect(phone.ctl.modals).toEqual([])

    await upload(phone, page, writePdf('file6.pdf', `${phone.ctl.openid}-6`))
    expect(paths(phone).at(-1)).toBe('POST /api/v1/me/resume/files 409')
    expect(phone.ctl.modals.at(-1).content).toBe('最多上传5个附件，请先删除旧的')
    expect(page.data.files).toHaveLength(5)
    expect((await serverResume(phone)).files).toHaveLength(5)
  })

  test('a file over 10 MB is refused on the phone before uploading', async () => {
    const phone = new Phone()
    const page = await phone.open('pages/resume/index')
    const big = path.join(dir, 'big.pdf')
    fs.writeFileSync(big, Buffer.concat([Buffer.from('%PDF-1.4\n'), Buffer.alloc(10 * 1024 * 1024)]))
    const before = phone.ctl.calls.length

    await upload(phone, page, big)
    expect(phone.ctl.modals.at(-1).content).toBe('文件不能超过10MB')
    expect(phone.ctl.calls).toHaveLength(before)
    expect(page.data.files).toEqual([])
  })

  test('the server refuses a file over 10 MB too (the chooser reported a wrong size)', async () => {
    const phone = new Phone()
    const page = await phone.open('pages/resume/index')
    const big = path.join(dir, 'big2.pdf')
    fs.writeFileSync(big, Buffer.concat([Buffer.from('%PDF-1.4\n'), Buffer.alloc(10 * 1024 * 1024 + 1)]))

    phone.ctl.chosenFiles = [{ path: big, size: 1000 }]
    await phone.tap(page, 'onUploadTap')
    expect(paths(phone).at(-1)).toBe('POST /api/v1/me/resume/files 413')
    expect(phone.ctl.modals.at(-1).content).toBe('文件不能超过10MB')
    expect((await serverResume(phone)).files).toEqual([])
  })
})

describe('seeking paused by a hire', () => {
  const HOUSEKEEPING = { lat: 29.701, lng: 118.331 } // demo employer 4 and its 住家保洁员

  /** The id of demo employer 4's live 住家保洁员, as the jobs list finds it. */
  async function housekeepingJobId() {
    const answer = await server.call(`/jobs?lat=${HOUSEKEEPING.lat}&lng=${HOUSEKEEPING.lng}&per_page=50`)
    expect(answer.status).toBe(200)
    const hit = answer.body.items.find((item) => item.job.title === '住家保洁员')
    if (!hit) throw new Error('no live demo job 住家保洁员')
    return hit.job.id
  }

  test('hired: the page says seeking is paused, and 重新开始求职 opens it again in one tap', async () => {
    const phone = new Phone()
    const page = await phone.open('pages/resume/index')
    await phone.tap(page, 'onInput', { field: 'skills' }, { value: '保洁' })
    await phone.tap(page, 'onSave')
    expect(page.data.pausedByHire).toBe(false) // looking for work: nothing to say

    // The resident applies; the employer (its own WeChat login) invites and hires them.
    const jobId = await housekeepingJobId()
    const applied = await server.call(`/jobs/${jobId}/applications`, { method: 'POST', token: server.tokenOf(phone), body: {} })
    expect(applied.status).toBe(201)
    const employer = new Phone({ openid: 'demo-employer-4' })
    await employer.load(path.join(ROOT, 'utils/api.js')).login()
    for (const status of ['interview', 'hired']) {
      const moved = await server.call(`/applications/${applied.body.id}`, {
        method: 'PATCH',
        token: server.tokenOf(employer),
        body: { status },
      })
      expect(moved.status).toBe(200)
    }
    expect(await serverResume(phone)).toMatchObject({ open_to_work: false, seeking_paused_reason: 'hired' })

    // Reopened: why the switch is off, and the way back.
    const again = await phone.open('pages/resume/index')
    expect(again.data.pausedByHire).toBe(true)
    expect(again.data.pausedAt).toMatch(/^\d{1,2}月\d{1,2}日 \d{2}:\d{2}$/)
    expect(again.data.form.openToWork).toBe(false)

    await phone.tap(again, 'onResumeSeekingTap')
    expect(paths(phone).at(-1)).toBe('POST /api/v1/me/resume/seeking 200')
    expect(phone.ctl.lastToast()).toMatchObject({ title: '已重新开始求职' })
    expect(phone.ctl.modals).toEqual([])
    expect(again.data).toMatchObject({ pausedByHire: false, resuming: false })
    expect(again.data.form).toMatchObject({ openToWork: true, skills: '保洁' }) // the rest as it was
    expect(await serverResume(phone)).toMatchObject({ open_to_work: true, seeking_paused_reason: null, seeking_paused_at: null })
  })

  test('switched off by the resident: no hire banner, the switch says it', async () => {
    const phone = new Phone()
    const page = await phone.open('pages/resume/index')
    await phone.call(page, 'onOpenToWorkChange', { detail: { value: false } })
    await phone.tap(page, 'onSave')
    expect(await serverResume(phone)).toMatchObject({ open_to_work: false, seeking_paused_reason: 'self' })
    const again = await phone.open('pages/resume/index')
    expect(again.data.pausedByHire).toBe(false)
    expect(again.data.form.openToWork).toBe(false)
  })
})

describe('a Word file with macros', () => {
  test('refused by the server, and the page says why in Chinese', async () => {
    const phone = new Phone()
    const page = await phone.open('pages/resume/index')
    // A Word 97–2003 file (OLE2) carrying a VBA project stream: what a .doc with macros holds.
    const doc = path.join(dir, '简历.doc')
    const vba = Buffer.from('_VBA_PROJECT\0', 'utf16le')
    fs.writeFileSync(doc, Buffer.concat([Buffer.from('d0cf11e0a1b11ae1', 'hex'), Buffer.alloc(504), vba, Buffer.alloc(512)]))
    await upload(phone, page, doc)
    expect(paths(phone).at(-1)).toBe('POST /api/v1/me/resume/files 415')
    expect(phone.ctl.modals.at(-1).content).toBe('这个Word文件含有宏，请另存为普通文档（.docx）或PDF后再上传')
    expect(page.data.files).toEqual([])
  })
})

describe('the shared dialogs (utils/dialog.js), which the delete above asks with', () => {
  test('confirm is true only on OK (a dialog that fails is a no); alert has one button and waits', async () => {
    const phone = new Phone()
    const dialog = phone.load(path.join(ROOT, 'utils/dialog.js'))
    const shown = []
    const showModal = phone.wx.showModal
    phone.wx.showModal = (options) => {
      shown.push(options)
      return showModal(options)
    }

    phone.ctl.modalConfirm = true
    expect(await dialog.confirm('删除附件', '确定删除吗？')).toBe(true)
    phone.ctl.modalConfirm = false
    expect(await dialog.confirm('删除附件', '确定删除吗？')).toBe(false)
    expect(shown[0]).toMatchObject({ title: '删除附件', content: '确定删除吗？' })
    expect(shown[0].showCancel).not.toBe(false)

    await expect(dialog.alert('提示', '已经处理')).resolves.toBeUndefined()
    expect(shown.at(-1)).toMatchObject({ title: '提示', content: '已经处理', showCancel: false })

    // The dialog could not open (another one is up, the page is gone): nothing confirmed.
    phone.wx.showModal = (options) => setImmediate(() => {
      options.fail && options.fail({ errMsg: 'showModal:fail' })
      options.complete && options.complete({ errMsg: 'showModal:fail' })
    })
    expect(await dialog.confirm('删除附件', '确定删除吗？')).toBe(false)
    await expect(dialog.alert('提示', '已经处理')).resolves.toBeUndefined()
  })
})
