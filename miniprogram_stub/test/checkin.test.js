// Scan and check in: real codes (the printed poster's PNG, an event's live screen) read the way
// a phone's camera reads them, the scan tab, the entry page WeChat opens with `q`, queue numbers,
// retries, and the refusals a person can meet at the door.
const { Phone } = require('./support/harness')
const server = require('./support/server')

const STATION_CODE = '341002-chengzhong-01'
const AT_STATION = { latitude: 29.7155, longitude: 118.3175 }

let backend
let staff // demo-station-staff's token
let station // 341002-chengzhong-01 as staff see it

/**
 * Read the QR code of an SVG the backend draws (qrcode's SvgPathFillImage: one path of
 * `Mx,yHx2Vy2Hxz` rectangles in viewBox units): paint it at 8 px a module, then read it.
 */
function readSvg(svg) {
  const box = /viewBox="0 0 (\d+(?:\.\d+)?) (\d+(?:\.\d+)?)"/.exec(svg)
  const d = /<path[^>]* d="([^"]+)"/.exec(svg)
  if (!box || !d) throw new Error('not the SVG shape expected')
  const scale = 8
  const width = Math.ceil(Number(box[1]) * scale)
  const height = Math.ceil(Number(box[2]) * scale)
  const pixels = new Uint8ClampedArray(width * height * 4).fill(255)
  const rect = /M([\d.]+),([\d.]+)H([\d.]+)V([\d.]+)H[\d.]+z/g
  let count = 0
  for (let m = rect.exec(d[1]); m; m = rect.exec(d[1])) {
    const [x1, y1, x2, y2] = m.slice(1, 5).map((value) => Math.round(Number(value) * scale))
    for (let y = Math.min(y1, y2); y < Math.max(y1, y2); y += 1) {
      for (let x = Math.min(x1, x2); x < Math.max(x1, x2); x += 1) {
        const at = (y * width + x) * 4
        pixels[at] = pixels[at + 1] = pixels[at + 2] = 0
      }
    }
    count += 1
  }
  if (!count) throw new Error('no modules in the SVG path')
  return server.readImage(pixels, width, height)
}

/** A moment as the API wants it: local Shanghai time with its offset. */
function shanghai(ms) {
  return `${new Date(ms + 8 * 3600 * 1000).toISOString().slice(0, 19)}+08:00`
}

/** A fresh resident scans `code` on the scan tab and follows to the check-in page. */
async function scanToCheckIn(phone, code) {
  phone.ctl.scanResult = code
  const scan = await phone.open('pages/scan/index')
  await phone.tap(scan, 'onScanTap')
  expect(phone.ctl.lastNavigation()).toEqual({
    api: 'navigateTo',
    url: `/pages/checkin/index?q=${encodeURIComponent(code)}`,
  })
  return phone.follow()
}

const checkInPosts = (phone) => phone.ctl.calls.filter((c) => c.method === 'POST' && c.path === '/api/v1/check-ins')

beforeAll(async () => {
  backend = new Phone().backend
  staff = await server.staffToken('demo-station-staff')
  const list = await server.call('/stations?per_page=100', { token: staff })
  expect(list.status).toBe(200)
  station = list.body.items.find((item) => item.code === STATION_CODE)
  expect(station).toBeTruthy()
})

describe('scan the printed code at the station', () => {
  test('scan tab → purpose → queue number; a retried tap keeps it; the next resident is +1', async () => {
    const code = await server.printedCode(station.id, staff)
    // What the camera reads is the station's check-in URL with its printed token.
    expect(code).toMatch(new RegExp(`/s/${STATION_CODE}\\?t=p\\d+\\.${station.id}\\.`))

    const phone = new Phone()
    phone.ctl.location = AT_STATION
    phone.ctl.scanResult = code
    const scan = await phone.open('pages/scan/index')
    // The nearest stations show without logging in; this one is right here.
    expect(scan.data.stations[0]).toMatchObject({ name: station.name, distance: '0米' })
    expect(scan.data.stations.length).toBeLessThanOrEqual(3)
    expect(phone.ctl.calls.map((c) => c.path)).toEqual(['/api/v1/stations/nearest'])

    await phone.tap(scan, 'onScanTap')
    expect(scan.data.message).toBe('')
    const page = await phone.follow()
    expect(page.route).toBe('pages/checkin/index')
    expect(page.data.step).toBe('purpose')
    expect(page.data.purposes.map((p) => p.name)).toEqual(['求职', '咨询', '登记', '政策', '补贴申领', '培训', '其他'])
    expect(checkInPosts(phone)).toHaveLength(0) // nothing sent before the person chooses

    await phone.tap(page, 'onPurposeTap', { purpose: 'job_seeking' })
    expect(page.data.step).toBe('done')
    expect(page.data.message).toBe('')
    const ticket = page.data.ticket
    expect(ticket).toMatchObject({ title: station.name, station: '', purposeName: '求职', repeated: false })
    expect(ticket.queueNumber).toBeGreaterThan(0)
    expect(ticket.dayText).toMatch(/^\d{1,2}月\d{1,2}日$/)
    expect(page.data.station).toMatchObject({ name: station.name, circle: station.circle.name, hours: station.hours })
    // A new resident with no profile, no phone and no résumé, come to look for work.
    expect(page.data.steps.map((s) => s.code)).toEqual(['complete_profile', 'bind_phone', 'write_resume', 'wait_for_call'])
    expect(page.data.steps[3].message).toContain(`第 ${ticket.queueNumber} 号`)
    expect(page.data.steps[3].actionText).toBe('')

    // The same tap again (the answer was lost, the person taps once more): the same check-in.
    await phone.tap(page, 'onPurposeTap', { purpose: 'job_seeking' })
    expect(checkInPosts(phone)).toHaveLength(2)
    expect(page.data.ticket).toMatchObject({ queueNumber: ticket.queueNumber, repeated: true })

    // The next resident, the same poster: the next number.
    const other = new Phone()
    other.ctl.location = AT_STATION
    const second = await scanToCheckIn(other, await server.printedCode(station.id, staff))
    await other.tap(second, 'onPurposeTap', { purpose: 'policy' })
    expect(second.data.ticket).toMatchObject({ queueNumber: ticket.queueNumber + 1, purposeName: '政策', repeated: false })
    // Not looking for work: no résumé step.
    expect(second.data.steps.map((s) => s.code)).not.toContain('write_resume')

    // The station's list (staff) has both, in queue order, with why they came.
    const list = await server.call(`/stations/${station.id}/check-ins`, { token: staff })
    const rows = list.body.items.filter((row) => [ticket.queueNumber, ticket.queueNumber + 1].includes(row.queue_number))
    expect(rows.map((row) => [row.queue_number, row.purpose, row.via])).toEqual([
      [ticket.queueNumber, 'job_seeking', 'printed'],
      [ticket.queueNumber + 1, 'policy', 'printed'],
    ])
    expect(rows[0].distance_m).toBeLessThan(5) // the position was sent
  })

  test('the entry page WeChat opens from its own camera (q, scancode_time) and the next steps', async () => {
    const code = await server.printedCode(station.id, staff)
    const phone = new Phone()
    phone.ctl.location = AT_STATION
    const page = await phone.open('pages/checkin/index', {
      q: encodeURIComponent(code),
      scancode_time: String(Math.floor(Date.now() / 1000)),
    })
    expect(page.data.step).toBe('purpose')
    await phone.tap(page, 'onPurposeTap', { purpose: 'claim' })
    expect(page.data.ticket).toMatchObject({ title: station.name, purposeName: '补贴申领', repeated: false })

    // The steps' buttons: the "me" tab for the profile and phone, the résumé page otherwise.
    await phone.tap(page, 'onStepTap', { code: 'complete_profile' })
    expect(phone.ctl.lastNavigation()).toEqual({ api: 'switchTab', url: '/pages/me/index' })
    await phone.tap(page, 'onStepTap', { code: 'bind_phone' })
    expect(phone.ctl.lastNavigation()).toEqual({ api: 'switchTab', url: '/pages/me/index' })
    await phone.tap(page, 'onStepTap', { code: 'write_resume' })
    expect(phone.ctl.lastNavigation()).toEqual({ api: 'navigateTo', url: '/pages/resume/index' })

    // Scanning the poster again (a new page, a new client id) within 30 min: the same number.
    const again = await phone.open('pages/checkin/index', {
      q: encodeURIComponent(await server.printedCode(station.id, staff)),
    })
    await phone.tap(again, 'onPurposeTap', { purpose: 'claim' })
    expect(again.data.ticket).toMatchObject({ queueNumber: page.data.ticket.queueNumber, repeated: true })
  })
})

describe('the network drops', () => {
  test('no network at the tap: said in a dialog, and "再试一次" checks in once it is back', async () => {
    const phone = new Phone()
    phone.ctl.location = AT_STATION
    const page = await phone.open('pages/checkin/index', {
      q: encodeURIComponent(await server.printedCode(station.id, staff)),
    })
    phone.ctl.setOnline(false)
    await phone.tap(page, 'onPurposeTap', { purpose: 'registration' })
    expect(page.data).toMatchObject({ step: 'refused', message: '网络不可用，请检查网络后再试', canRetry: true })
    expect(phone.ctl.modals.at(-1).content).toBe('网络不可用，请检查网络后再试')

    phone.ctl.setOnline(true)
    await phone.tap(page, 'onRetryTap')
    expect(page.data.step).toBe('done')
    expect(page.data.ticket).toMatchObject({ title: station.name, purposeName: '登记', repeated: false })
    // Not a location refusal: no settings button.
    expect(page.data.canOpenSetting).toBe(false)
  })
})

describe('codes that are not ours, and backing out', () => {
  test('another QR code is explained on the scan tab; a cancelled scan does nothing', async () => {
    const phone = new Phone()
    const scan = await phone.open('pages/scan/index')

    phone.ctl.scanResult = 'https://example.com/x'
    await phone.tap(scan, 'onScanTap')
    expect(scan.data.message).toBe('这不是就业服务站的签到码')

    // Our address shape without a token is not a check-in code either.
    phone.ctl.scanResult = `${backend.apiBase}/s/${STATION_CODE}`
    await phone.tap(scan, 'onScanTap')
    expect(scan.data.message).toBe('这不是就业服务站的签到码')

    phone.ctl.scanResult = null // the person backs out of the camera
    await phone.tap(scan, 'onScanTap')
    expect(phone.ctl.navigations).toEqual([])
    expect(phone.ctl.modals).toEqual([])
    expect(phone.ctl.calls.filter((c) => c.path !== '/api/v1/stations/nearest')).toEqual([])
  })

  test('the camera fails (not a cancel): the scan tab says so; a later good scan clears it', async () => {
    const phone = new Phone()
    const scan = await phone.open('pages/scan/index')
    const scanCode = phone.wx.scanCode
    const asked = []
    phone.wx.scanCode = (options) => {
      asked.push(options)
      setImmediate(() => options.fail({ errMsg: 'scanCode:fail camera unavailable' }))
    }
    await phone.tap(scan, 'onScanTap')
    expect(asked).toHaveLength(1)
    expect(asked[0]).toMatchObject({ onlyFromCamera: true }) // a saved picture is not being there
    expect(scan.data.message).toBe('无法打开摄像头，请在设置中允许微信使用摄像头')
    expect(phone.ctl.navigations).toEqual([])
    expect(phone.ctl.modals).toEqual([])

    // The camera works again: a code of ours goes to the check-in page, the message goes away.
    phone.wx.scanCode = scanCode
    const code = `${backend.apiBase}/s/${STATION_CODE}?t=p1.${station.id}.x`
    phone.ctl.scanResult = code
    await phone.tap(scan, 'onScanTap')
    expect(scan.data.message).toBe('')
    expect(phone.ctl.lastNavigation()).toEqual({ api: 'navigateTo', url: `/pages/checkin/index?q=${encodeURIComponent(code)}` })
    expect(phone.ctl.calls.filter((c) => c.path !== '/api/v1/stations/nearest')).toEqual([])
  })

  test('an altered code reaches the server and is refused there, with a way to scan again', async () => {
    const code = await server.printedCode(station.id, staff)
    const phone = new Phone()
    const forged = code.replace(/.$/, (last) => (last === 'A' ? 'B' : 'A'))
    const page = await phone.open('pages/checkin/index', { q: encodeURIComponent(forged) })
    await phone.tap(page, 'onPurposeTap', { purpose: 'consult' })
    expect(page.data).toMatchObject({ step: 'refused', message: '这不是就业服务站的签到码', canRetry: false })
    expect(phone.ctl.modals).toEqual([]) // the page says it; no dialog on top

    // 重新扫码 with a camera that will not open: said on the page, no navigation.
    phone.wx.scanCode = (options) => setImmediate(() => options.fail({ errMsg: 'scanCode:fail camera unavailable' }))
    const navigations = phone.ctl.navigations.length
    await phone.tap(page, 'onRescanTap')
    expect(page.data).toMatchObject({ step: 'refused', message: '无法打开摄像头，请在设置中允许微信使用摄像头' })
    expect(phone.ctl.navigations).toHaveLength(navigations)

    // The entry page opened with something that is not a check-in URL at all: no request.
    const stray = new Phone()
    const strayPage = await stray.open('pages/checkin/index', { q: encodeURIComponent('https://example.com/x') })
    expect(strayPage.data).toMatchObject({ step: 'refused', message: '这不是就业服务站的签到码' })
    expect(stray.ctl.calls).toEqual([])
  })
})

describe('a printed code dated in the future', () => {
  test('refused (token_from_future): said in Chinese, only a new scan offered', async () => {
    // Only the server's signing key can make such a code: its answer is given here as the
    // server words it (app/services/stations/qr_codes.py).
    const phone = new Phone()
    const request = phone.wx.request
    phone.wx.request = (options) => {
      if (!(options.method === 'POST' && options.url.endsWith('/api/v1/check-ins'))) return request(options)
      const error = {
        code: 'token_from_future',
        message: 'This printed code is dated in the future; ask the station for a new one.',
        field: 'url_or_token',
      }
      setImmediate(() => options.success({ statusCode: 422, data: { error }, header: {}, errMsg: 'request:ok' }))
      return undefined
    }
    const page = await phone.open('pages/checkin/index', {
      q: encodeURIComponent(`${backend.apiBase}/s/${STATION_CODE}?t=p9.${station.id}.x`),
    })
    await phone.tap(page, 'onPurposeTap', { purpose: 'consult' })
    expect(page.data).toMatchObject({
      step: 'refused',
      message: '这张二维码的日期有误，请联系服务站工作人员更换二维码',
      canRetry: false, // the same code would be refused again
      canOpenSetting: false,
      ticket: null,
    })
    expect(phone.ctl.modals).toEqual([]) // the page says it; no dialog on top
  })
})

describe('a replaced poster', () => {
  test('the old printed code says it was replaced; scanning the new one works', async () => {
    const old = await server.printedCode(station.id, staff)
    const rotated = await server.call(`/stations/${station.id}/qr/rotate`, { method: 'POST', token: staff })
    expect(rotated.status).toBe(200)
    const fresh = await server.printedCode(station.id, staff)
    expect(fresh).not.toBe(old)

    const phone = new Phone()
    const page = await phone.open('pages/checkin/index', { q: encodeURIComponent(old) })
    await phone.tap(page, 'onPurposeTap', { purpose: 'consult' })
    expect(page.data).toMatchObject({
      step: 'refused',
      message: '这张二维码已更换，请扫描服务站现在张贴的二维码',
      canRetry: false,
      ticket: null,
    })

    // 重新扫码 with the camera pointed at the new poster: a fresh check-in page.
    phone.ctl.scanResult = fresh
    await phone.tap(page, 'onRescanTap')
    expect(phone.ctl.lastNavigation()).toEqual({
      api: 'redirectTo',
      url: `/pages/checkin/index?q=${encodeURIComponent(fresh)}`,
    })
    const next = await phone.follow()
    await phone.tap(next, 'onPurposeTap', { purpose: 'consult' })
    expect(next.data.step).toBe('done')
    expect(next.data.ticket).toMatchObject({ title: station.name, purposeName: '咨询', repeated: false })
  })
})

describe('a station that asks for the location', () => {
  let fenced
  let fencedCode

  beforeAll(async () => {
    const operator = await server.staffToken('demo-operator')
    const created = await server.call('/stations', {
      method: 'POST',
      token: operator,
      body: {
        name: '城中社区定位签到点',
        circle: '341002-chengzhong',
        address: '屯溪区测试路1号',
        lat: 29.716,
        lng: 118.318,
        hours: '周一至周五 9:00-17:00',
        require_location: true,
        geofence_m: 300,
      },
    })
    expect(created.status).toBe(201)
    fenced = created.body
    fencedCode = await server.printedCode(fenced.id, operator)
  })

  test('no position: the station-specific sentence; allowed, then "再试一次" checks in', async () => {
    const phone = new Phone()
    phone.ctl.location = null // the person refused location
    const page = await phone.open('pages/checkin/index', { q: encodeURIComponent(fencedCode) })
    await phone.tap(page, 'onPurposeTap', { purpose: 'training' })
    // Not the job search's "fill in your home address": this is about the station.
    expect(page.data).toMatchObject({
      step: 'refused',
      message: '此服务站需要定位签到，请允许获取位置后再扫码',
      canRetry: true,
    })

    phone.ctl.location = { latitude: 29.716, longitude: 118.318 }
    await phone.tap(page, 'onRetryTap')
    expect(page.data.step).toBe('done')
    expect(page.data.ticket).toMatchObject({ queueNumber: 1, title: '城中社区定位签到点', purposeName: '培训' })
    // No structured hours: open or not is unknown, so the card claims neither; the text stays.
    expect(page.data.station).toMatchObject({ hours: '周一至周五 9:00-17:00', openNow: null, openText: '', todayText: '' })
  })

  test('too far away: told to come in', async () => {
    const phone = new Phone()
    phone.ctl.location = { latitude: 29.7095, longitude: 118.305 } // 屯溪老街, about 1.5 km off
    const page = await phone.open('pages/checkin/index', { q: encodeURIComponent(fencedCode) })
    await phone.tap(page, 'onPurposeTap', { purpose: 'other' })
    expect(page.data).toMatchObject({ step: 'refused', message: '您离服务站太远了，请到站内再扫码签到', canRetry: true })
    expect(page.data.canOpenSetting).toBe(true)
  })

  test('the location prompt answered slowly, then a purpose: the position still goes along', async () => {
    const phone = new Phone()
    phone.ctl.location = { latitude: 29.716, longitude: 118.318 }
    // WeChat's location prompt stays open until the person answers it.
    const prompts = []
    const getLocation = phone.wx.getLocation
    phone.wx.getLocation = (options) => prompts.push(options)
    // Only setTimeout is faked, so the page's 3 s wait can pass without waiting 10 s here.
    jest.useFakeTimers({
      doNotFake: ['Date', 'hrtime', 'nextTick', 'performance', 'queueMicrotask', 'setImmediate', 'clearImmediate'],
    })
    let page
    try {
      page = await phone.open('pages/checkin/index', { q: encodeURIComponent(fencedCode) })
      expect(page.data.step).toBe('purpose')
      expect(prompts).toHaveLength(1) // asked as the page opened, while the person reads it
      jest.advanceTimersByTime(10000) // reading the prompt for 10 s, then "允许"
    } finally {
      jest.useRealTimers()
    }
    phone.wx.getLocation = getLocation
    for (const options of prompts) getLocation(options)

    await phone.tap(page, 'onPurposeTap', { purpose: 'consult' })
    expect(page.data.message).toBe('')
    expect(page.data.step).toBe('done')
    expect(page.data.ticket).toMatchObject({ title: '城中社区定位签到点', purposeName: '咨询' })
  })

  test('location refused earlier: the settings page (去设置允许定位), then the check-in goes once it is allowed', async () => {
    const phone = new Phone()
    phone.ctl.location = null // refused: wx.getLocation no longer asks
    const page = await phone.open('pages/checkin/index', { q: encodeURIComponent(fencedCode) })
    await phone.tap(page, 'onPurposeTap', { purpose: 'job_seeking' })
    expect(page.data).toMatchObject({ step: 'refused', canRetry: true, canOpenSetting: true })

    // Back from the settings page with location still off: nothing sent, the refusal stays.
    const posts = checkInPosts(phone).length
    const backFromSettings = (allowed) => ({ authSetting: { 'scope.userLocation': allowed }, errMsg: 'openSetting:ok' })
    await phone.tap(page, 'onOpenSetting', {}, backFromSettings(false))
    expect(checkInPosts(phone)).toHaveLength(posts)
    expect(page.data).toMatchObject({ step: 'refused', canOpenSetting: true })

    // Switched on there: the page asks for the position again and checks in.
    phone.ctl.location = { latitude: 29.716, longitude: 118.318 }
    await phone.tap(page, 'onOpenSetting', {}, backFromSettings(true))
    expect(checkInPosts(phone)).toHaveLength(posts + 1)
    expect(page.data).toMatchObject({ step: 'done', canOpenSetting: false })
    expect(page.data.ticket).toMatchObject({ title: '城中社区定位签到点', purposeName: '求职' })
  })
})

describe('an event (job fair) at the station', () => {
  test("the live screen's rotating code checks in at once; used again it is refused", async () => {
    const operator = await server.staffToken('demo-operator')
    const now = Date.now()
    const created = await server.call('/events', {
      method: 'POST',
      token: operator,
      body: {
        title: '城中春风招聘会',
        kind: 'job_fair',
        station_id: station.id,
        starts_at: shanghai(now - 60 * 1000),
        ends_at: shanghai(now + 3 * 3600 * 1000),
      },
    })
    expect(created.status).toBe(201)
    const event = created.body
    const links = await server.call(`/events/${event.id}/page-links`, { method: 'POST', token: operator })
    expect(links.status).toBe(200)
    const live = await fetch(links.body.live_url)
    expect(live.status).toBe(200)
    const code = readSvg(await live.text())
    expect(code).toContain(`/s/event-${event.id}?t=e`)

    const phone = new Phone()
    phone.ctl.location = AT_STATION
    const page = await scanToCheckIn(phone, code)
    // No purpose to choose: the page checked in as it opened.
    expect(checkInPosts(phone)).toHaveLength(1)
    expect(page.data.step).toBe('done')
    expect(page.data.ticket).toMatchObject({
      queueNumber: 1, // each event has its own queue
      title: '城中春风招聘会',
      station: station.name,
      purposeName: '活动签到',
      repeated: false,
    })

    // The same screen's code, scanned once more by the same person: refused as used.
    const again = await phone.open('pages/checkin/index', { q: encodeURIComponent(code) })
    expect(again.data).toMatchObject({ step: 'refused', message: '这个二维码您已用过，请扫描屏幕上的新二维码' })

    // Another visitor, the same code: the next number in the event's queue.
    const other = new Phone()
    other.ctl.location = AT_STATION
    const second = await scanToCheckIn(other, code)
    expect(second.data.ticket).toMatchObject({ queueNumber: 2, title: '城中春风招聘会' })

    const list = await server.call(`/events/${event.id}/check-ins`, { token: operator })
    expect(list.body.items.map((row) => [row.queue_number, row.purpose, row.via])).toEqual([
      [1, 'event', 'event'],
      [2, 'event', 'event'],
    ])
  })
})

describe('opening hours', () => {
  const CLOSED_POINT = { lat: 29.716, lng: 118.3168 } // about 70 m from the demo station
  const WEEKDAYS = ['周日', '周一', '周二', '周三', '周四', '周五', '周六']
  let closed // closed every weekday; open one day, three days from now, 09:00-17:00
  let closedCode
  let openingText // that day's 09:00 as a resident reads it: '12月7日（周一）09:00'
  let operator

  beforeAll(async () => {
    operator = await server.staffToken('demo-operator')
    // The city's day three days on (UTC+8), whatever the hour of the run: a make-up working
    // day (调休) is the station's only opening, so it is closed now and its next opening known.
    const day = new Date(Date.now() + 8 * 3600 * 1000 + 3 * 86400 * 1000)
    const iso = day.toISOString().slice(0, 10)
    openingText = `${day.getUTCMonth() + 1}月${day.getUTCDate()}日（${WEEKDAYS[day.getUTCDay()]}）09:00`
    const created = await server.call('/stations', {
      method: 'POST',
      token: operator,
      body: {
        name: '城中社区调休服务点',
        circle: '341002-chengzhong',
        address: '屯溪区测试路2号',
        lat: CLOSED_POINT.lat,
        lng: CLOSED_POINT.lng,
        opening_hours: {
          weekly: {},
          exceptions: [{ date: iso, hours: [{ opens: '09:00', closes: '17:00' }], note: '调休上班' }],
        },
      },
    })
    expect(created.status).toBe(201)
    closed = created.body
    expect(closed).toMatchObject({ open_now: false, today_hours: [] })
    closedCode = await server.printedCode(closed.id, operator)
  })

  test('a check-in while closed: no queue number, when it opens (the city clock), and staff see the visit', async () => {
    const phone = new Phone()
    phone.ctl.location = { latitude: CLOSED_POINT.lat, longitude: CLOSED_POINT.lng }
    const page = await scanToCheckIn(phone, closedCode)
    await phone.tap(page, 'onPurposeTap', { purpose: 'registration' })
    expect(checkInPosts(phone).map((c) => c.statusCode)).toEqual([201])
    expect(page.data.step).toBe('done')
    expect(page.data.message).toBe('')
    expect(phone.ctl.modals).toEqual([])
    // Recorded, without a number: the ticket says so and when the station opens.
    expect(page.data.ticket).toMatchObject({
      outOfHours: true,
      queueNumber: null,
      title: '城中社区调休服务点',
      purposeName: '登记',
      repeated: false,
    })
    expect(page.data.ticket.note).toContain(`下次开放：${openingText}`)
    // The come_back step is the ticket's note, not a second line; no "wait for your number".
    const codes = page.data.steps.map((s) => s.code)
    expect(codes).not.toContain('come_back')
    expect(codes).not.toContain('wait_for_call')
    // The station card: closed now, and today's hours (none).
    expect(page.data.station).toMatchObject({
      name: '城中社区调休服务点',
      openNow: false,
      openText: `未开放 · ${openingText} 开放`,
      todayText: '今天不开放',
    })
    // The hours text was written from the structure (none on weekdays) and is shown as given.
    expect(page.data.station.hours).toBe(closed.hours)

    // Scanned again while still closed: the same visit, still no number.
    const again = await phone.open('pages/checkin/index', { q: encodeURIComponent(await server.printedCode(closed.id, operator)) })
    await phone.tap(again, 'onPurposeTap', { purpose: 'registration' })
    expect(again.data.ticket).toMatchObject({ outOfHours: true, queueNumber: null, repeated: true })

    // Staff's list has the visit, without a number.
    const list = await server.call(`/stations/${closed.id}/check-ins`, { token: operator })
    expect(list.body.items.map((row) => [row.queue_number, row.out_of_hours, row.purpose])).toEqual([[null, true, 'registration']])
  })

  test('the scan tab shows which nearby stations are open now and their hours today', async () => {
    const phone = new Phone()
    phone.ctl.location = AT_STATION
    const scan = await phone.open('pages/scan/index')
    const byName = Object.fromEntries(scan.data.stations.map((item) => [item.name, item]))
    // The demo station (open all day, every day, in this run: DEMO_STATION_HOURS=always).
    expect(byName[station.name]).toMatchObject({ openNow: true, openText: '开放中', todayText: '今天全天开放' })
    expect(byName['城中社区调休服务点']).toMatchObject({
      openNow: false,
      openText: `未开放 · ${openingText} 开放`,
      todayText: '今天不开放',
    })
  })
})
