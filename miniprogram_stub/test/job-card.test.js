// Job detail's 分享海报 and 举报: the card is downloaded from the real backend (wx.downloadFile),
// shown in WeChat's image menu and saved to the album; its QR code, decoded as a camera would,
// is {PUBLIC_BASE_URL}/j/<id>, and opening job detail with that URL as `q` (as WeChat does for a
// 扫普通链接二维码 rule) shows the job. A job no longer published has no card. 举报 sends a coded
// reason as the text staff read, once.
const fs = require('fs')
const { PNG } = require('pngjs')
const { Phone } = require('./support/harness')
const { fakeWechat } = require('./support/wx')
const server = require('./support/server')

/** A demo employer's token (the fake WeChat logs anyone in by openid). */
async function employerToken(openid) {
  const backend = new Phone().backend
  const minted = await fakeWechat(backend.wechatBase, '/_fake/codes', { openid })
  const answer = await server.call('/auth/wechat-login', { method: 'POST', body: { code: minted.code } })
  expect(answer.status).toBe(200)
  return answer.body.token
}

/** A published job near the 城中 station (what a resident browsing would find). */
async function aPublishedJob() {
  const found = await server.call('/jobs?lat=29.7155&lng=118.3175&radius_m=3000&per_page=20')
  expect(found.status).toBe(200)
  expect(found.body.items.length).toBeGreaterThan(0)
  return found.body.items[0].job
}

/** A job of a demo employer, posted, submitted and approved by station staff (published); with the employer's token. */
async function aFreshJob() {
  const employer = await employerToken('demo-employer-1')
  const made = await server.call('/jobs', {
    method: 'POST',
    token: employer,
    // At the 城中 station, so its staff review it.
    body: { title: '海报测试岗位', category: 'retail', kind: 'part_time', wage_min: 120, wage_max: 150, wage_unit: 'day', lat: 29.7155, lng: 118.3175 },
  })
  expect(made.status).toBe(201)
  const submitted = await server.call(`/jobs/${made.body.id}/submit`, { method: 'POST', token: employer, body: {} })
  expect(submitted.status).toBe(200)
  if (submitted.body.status !== 'published') {
    const staff = await server.staffToken('demo-station-staff')
    const reviewed = await server.call(`/jobs/${made.body.id}/review`, {
      method: 'POST',
      token: staff,
      body: { decision: 'approved' },
    })
    expect(reviewed.status).toBe(200)
    expect(reviewed.body.status).toBe('published')
  }
  return { ...made.body, employerToken: employer }
}

/** Read the QR code in a PNG file as a phone's camera would. */
function qrOf(file) {
  const png = PNG.sync.read(fs.readFileSync(file))
  return { text: server.readImage(png.data, png.width, png.height), width: png.width, height: png.height }
}

describe('分享海报', () => {
  test('the card downloads, shows in the image menu, saves to the album; its QR opens the job from q', async () => {
    const job = await aPublishedJob()
    const phone = new Phone()
    const page = await phone.open('pages/job-detail/index', { id: String(job.id) })
    expect(page.data.job.title).toBe(job.title)

    await phone.tap(page, 'onPosterTap')
    const download = phone.ctl.calls.find((call) => call.path === `/api/v1/jobs/${job.id}/card.png`)
    expect(download).toMatchObject({ method: 'GET', statusCode: 200 })
    expect(page.data.poster).toMatch(/^http:\/\/tmp\//)
    expect(phone.ctl.previews).toEqual([{ api: 'showShareImageMenu', path: page.data.poster }])
    expect(phone.ctl.modals).toEqual([])

    // The picture itself: a PNG poster whose QR code is the job's /j/ link.
    const file = phone.ctl.files[page.data.poster]
    const qr = qrOf(file)
    expect(qr.height).toBeGreaterThan(qr.width) // a poster, taller than wide
    expect(qr.text).toBe(`${phone.backend.apiBase}/j/${job.id}`)

    await phone.tap(page, 'onPosterSave')
    expect(phone.ctl.savedImages).toEqual([file])
    expect(phone.ctl.lastToast()).toEqual({ title: '已保存到相册', icon: 'success' })

    // Someone scans the poster in WeChat: the job detail opens with q = the URL, percent-encoded.
    const friend = new Phone()
    const opened = await friend.open('pages/job-detail/index', { q: encodeURIComponent(qr.text) })
    expect(opened.data.job).toMatchObject({ id: job.id, title: job.title })
    expect(friend.ctl.modals).toEqual([])
    // Outside WeChat the same URL is a page telling people to scan it in WeChat.
    const landing = await fetch(qr.text)
    expect(landing.status).toBe(200)
    expect(await landing.text()).toContain(job.title)
  })

  test('a refused album permission is said plainly; a q of another shape is no job', async () => {
    const job = await aPublishedJob()
    const phone = new Phone()
    const page = await phone.open('pages/job-detail/index', { id: String(job.id) })
    await phone.tap(page, 'onPosterTap')
    phone.ctl.albumAllowed = false
    await phone.tap(page, 'onPosterSave')
    expect(phone.ctl.savedImages).toEqual([])
    expect(phone.ctl.modals.pop().content).toBe('保存失败，请在设置中允许微信保存到相册')

    const stranger = new Phone()
    const other = await stranger.open('pages/job-detail/index', { q: encodeURIComponent('https://example.com/x/12') })
    expect(other.data.job).toBe(null)
    expect(other.data.message).toBe('岗位已下线或不存在')
    expect(stranger.ctl.calls).toEqual([]) // nothing asked of the server
  })

  test('a job that is no longer published has no card: 岗位已下线', async () => {
    const job = await aFreshJob()
    const phone = new Phone()
    const page = await phone.open('pages/job-detail/index', { id: String(job.id) })
    expect(page.data.job.id).toBe(job.id)

    // The employer closes it while the resident is looking at it.
    const closed = await server.call(`/jobs/${job.id}/close`, { method: 'POST', token: job.employerToken, body: {} })
    expect(closed.status).toBe(200)
    await phone.tap(page, 'onPosterTap')
    expect(phone.ctl.calls.pop()).toMatchObject({ path: `/api/v1/jobs/${job.id}/card.png`, statusCode: 404 })
    expect(page.data.poster).toBe('')
    expect(phone.ctl.previews).toEqual([])
    expect(phone.ctl.modals.pop().content).toBe('岗位已下线或不存在')
    // Opened again from an old poster: the job is gone.
    const later = await new Phone().open('pages/job-detail/index', { q: encodeURIComponent(`${phone.backend.apiBase}/j/${job.id}`) })
    expect(later.data.job).toBe(null)
    expect(later.data.message).toBe('岗位已下线或不存在')
  })
})

describe('举报', () => {
  test('a coded reason and a note go to the server as the text staff read; reporting again is the first report', async () => {
    // A job of its own: three people's reports would hide a job the other tests browse.
    const job = await aFreshJob()
    const phone = new Phone()
    const page = await phone.open('pages/job-detail/index', { id: String(job.id) })
    expect(page.data.resident).toBe(true)
    await phone.tap(page, 'onReportTap')
    expect(page.data.reportOpen).toBe(true)

    // Without a reason nothing is sent.
    await phone.tap(page, 'onReportSubmit')
    expect(phone.ctl.modals.pop().content).toBe('请选择举报原因')
    expect(phone.ctl.calls.filter((call) => call.path.endsWith('/reports'))).toEqual([])

    await phone.tap(page, 'onReasonTap', { code: 'fee' })
    await phone.tap(page, 'onReportDetailInput', {}, { value: ' 面试要先交200元 ' })
    await phone.tap(page, 'onReportSubmit')
    const sent = phone.ctl.calls.filter((call) => call.path === `/api/v1/jobs/${job.id}/reports`)
    expect(sent).toEqual([expect.objectContaining({ method: 'POST', statusCode: 201 })])
    expect(page.data).toMatchObject({ reported: true, reportOpen: false })
    expect(phone.ctl.lastToast().title).toBe('已举报，我们会尽快核实')

    // The server kept the text; a second report from the same person answers the first one.
    const again = await server.call(`/jobs/${job.id}/reports`, {
      method: 'POST',
      token: server.tokenOf(phone),
      body: { reason: '另一个理由' },
    })
    expect(again.status).toBe(200)
    expect(again.body.reason).toBe('收取押金或费用：面试要先交200元')
  })

  test('其他 needs a few words; a grid worker sees neither 投递 nor 举报', async () => {
    const job = await aPublishedJob()
    const phone = new Phone()
    const page = await phone.open('pages/job-detail/index', { id: String(job.id) })
    await phone.tap(page, 'onReportTap')
    await phone.tap(page, 'onReasonTap', { code: 'other' })
    await phone.tap(page, 'onReportSubmit')
    expect(phone.ctl.modals.pop().content).toBe('请简单说明举报原因')
    expect(page.data.reported).toBe(false)

    const worker = new Phone()
    await worker.staffLogIn('demo-grid-worker')
    const seen = await worker.open('pages/job-detail/index', { id: String(job.id) })
    expect(seen.data.job.id).toBe(job.id)
    expect(seen.data.resident).toBe(false)
  })
})
