// utils/format.js and utils/check-in-code.js: words and numbers as the pages show them, and
// which scanned texts are our check-in codes. Pure functions, loaded as a phone loads them.
// The run's clock is Huangshan's (TZ Asia/Shanghai, test/setup/global-setup.js).
const { execFileSync } = require('child_process')
const path = require('path')
const { Phone, ROOT } = require('./support/harness')

let format
let checkInCode

beforeAll(() => {
  const phone = new Phone()
  format = phone.load(path.join(ROOT, 'utils/format.js'))
  checkInCode = phone.load(path.join(ROOT, 'utils/check-in-code.js'))
})

describe('utils/format.js', () => {
  test('distance: metres below a kilometre, kilometres with one decimal above', () => {
    expect(format.distance(0)).toBe('0米')
    expect(format.distance(850)).toBe('850米')
    expect(format.distance(849.6)).toBe('850米')
    expect(format.distance(1000)).toBe('1.0公里')
    expect(format.distance(1200)).toBe('1.2公里')
    expect(format.distance(1249)).toBe('1.2公里')
    expect(format.distance(12345)).toBe('12.3公里')
    expect(format.distance(null)).toBe('')
    expect(format.distance(undefined)).toBe('')
  })

  test('wage: a range, one value, the unit, and 面议 without a wage', () => {
    expect(format.wage({ wage_min: 3500, wage_max: 4500, wage_unit: 'month' })).toBe('3500-4500元/月')
    expect(format.wage({ wage_min: 25, wage_max: 35, wage_unit: 'hour' })).toBe('25-35元/小时')
    expect(format.wage({ wage_min: 150, wage_max: 150, wage_unit: 'day' })).toBe('150元/天')
    // Only one end given: that value alone, not "3000-null".
    expect(format.wage({ wage_min: 3000, wage_max: null, wage_unit: 'month' })).toBe('3000元/月')
    expect(format.wage({ wage_min: null, wage_max: 200, wage_unit: 'day' })).toBe('200元/天')
    expect(format.wage({ wage_min: null, wage_max: null, wage_unit: 'month' })).toBe('面议')
    expect(format.wage(null)).toBe('面议')
  })

  test('a job as a list row', () => {
    const row = format.jobRow({
      job: {
        id: 7,
        title: '茶艺讲解员',
        employer: { name: '黄山演示老街茶庄', verified: true },
        wage_min: 25,
        wage_max: 35,
        wage_unit: 'hour',
        kind: 'part_time',
      },
      distance_m: 1234.5,
    })
    expect(row).toEqual({
      id: 7,
      title: '茶艺讲解员',
      employer: '黄山演示老街茶庄',
      verified: true,
      wage: '25-35元/小时',
      kind: '兼职',
      distance: '1.2公里',
      distanceM: 1234.5,
    })
    // A job without a distance (the detail page's recommendations) and without an employer.
    expect(format.jobRow({ id: 8, title: 'x', employer: null, wage_min: null, wage_max: null, kind: 'gig' })).toMatchObject({
      employer: '',
      verified: false,
      wage: '面议',
      kind: '零工',
      distance: '',
      distanceM: null,
    })
  })

  test('shortTime: an ISO time with any offset, read on Huangshan’s clock', () => {
    expect(format.shortTime('2026-11-29T07:01:00+00:00')).toBe('11月29日 15:01')
    expect(format.shortTime('2026-11-29T15:01:00+08:00')).toBe('11月29日 15:01')
    // Late in the UTC evening is the next morning here.
    expect(format.shortTime('2026-12-31T16:05:00Z')).toBe('1月1日 00:05')
    expect(format.shortTime('2026-03-04T09:30:00+08:00')).toBe('3月4日 09:30')
    expect(format.shortTime('')).toBe('')
    expect(format.shortTime(null)).toBe('')
  })

  test('dayText: the API’s local day without leading zeros', () => {
    expect(format.dayText('2026-11-29')).toBe('11月29日')
    expect(format.dayText('2026-01-05')).toBe('1月5日')
    expect(format.dayText('')).toBe('')
    expect(format.dayText(null)).toBe('')
    expect(format.dayText('明天')).toBe('明天') // not a day: shown as it came
  })

  test('percent and fileSize', () => {
    expect(format.percent(0.6667)).toBe('67%')
    expect(format.percent(0)).toBe('0%')
    expect(format.percent(1)).toBe('100%')
    expect(format.percent(null)).toBe('')

    expect(format.fileSize(0)).toBe('0B')
    expect(format.fileSize(820)).toBe('820B')
    expect(format.fileSize(1023)).toBe('1023B')
    expect(format.fileSize(1024)).toBe('1KB')
    expect(format.fileSize(35 * 1024 + 300)).toBe('35KB')
    expect(format.fileSize(1.2 * 1024 * 1024)).toBe('1.2MB')
    expect(format.fileSize(10 * 1024 * 1024)).toBe('10.0MB')
    expect(format.fileSize(null)).toBe('')
  })
})

describe("a station's opening hours (docs/STATIONS.md)", () => {
  test('cityTime: an instant on the city clock, as the server writes it, whatever the phone’s zone', () => {
    expect(format.cityTime('2026-12-07T00:30:00+00:00')).toBe('12月7日（周一）08:30')
    expect(format.cityTime('2026-12-31T16:00:00Z')).toBe('1月1日（周五）00:00')
    expect(format.cityTime('')).toBe('')
    expect(format.cityTime(null)).toBe('')
    expect(format.cityTime('not a time')).toBe('')
    // A phone set to another zone: the same text (a Node of its own, as the zone is fixed at start).
    const script = `const f = require(${JSON.stringify(path.join(ROOT, 'utils/format.js'))});
      const at = '2026-12-07T00:30:00+00:00'; console.log(JSON.stringify([f.shortTime(at), f.cityTime(at)]))`
    const elsewhere = execFileSync(process.execPath, ['-e', script], {
      env: { ...process.env, TZ: 'America/New_York' },
      encoding: 'utf8',
    })
    // The phone's own clock for its own times; the city's for the station's hours.
    expect(JSON.parse(elsewhere)).toEqual(['12月6日 19:30', '12月7日（周一）08:30'])
  })

  test('stationHours: open now, today’s hours and the next opening; nothing claimed without structure', () => {
    const station = (fields) => ({ name: '城中就业服务站', hours: '周一至周五 08:30-17:30', ...fields })
    expect(
      format.stationHours(
        station({
          open_now: true,
          today_hours: [{ opens: '08:30', closes: '12:00' }, { opens: '14:00', closes: '17:30' }],
          today_note: null,
          next_opening: '2026-12-07T06:00:00+00:00',
        }),
      ),
    ).toEqual({ openNow: true, openText: '开放中', todayText: '今天 08:30-12:00, 14:00-17:30' })
    // Closed for a holiday: today's note, and when it opens next.
    expect(
      format.stationHours(
        station({ open_now: false, today_hours: [], today_note: '元旦', next_opening: '2027-01-04T00:30:00+00:00' }),
      ),
    ).toEqual({ openNow: false, openText: '未开放 · 1月4日（周一）08:30 开放', todayText: '今天不开放（元旦）' })
    // Open all day, every day; closed with nothing planned within a year.
    expect(
      format.stationHours(station({ open_now: true, today_hours: [{ opens: '00:00', closes: '24:00' }], next_opening: null })),
    ).toMatchObject({ openText: '开放中', todayText: '今天全天开放' })
    expect(format.stationHours(station({ open_now: false, today_hours: [], next_opening: null }))).toMatchObject({
      openText: '未开放',
      todayText: '今天不开放',
    })
    // No structured hours (null, or an older server without the fields): unknown, not closed.
    const unknown = { openNow: null, openText: '', todayText: '' }
    expect(format.stationHours(station({ open_now: null, today_hours: null, next_opening: null }))).toEqual(unknown)
    expect(format.stationHours(station({}))).toEqual(unknown)
    expect(format.stationHours(null)).toEqual(unknown)
  })

  test('ticket(): an out-of-hours visit has no number, and says when the station opens', () => {
    const answer = {
      queue_number: null,
      out_of_hours: true,
      day: '2026-12-05',
      purpose: 'registration',
      repeated: false,
      station: { name: '城中就业服务站', open_now: false, next_opening: '2026-12-07T00:30:00+00:00' },
      event: null,
      next_steps: [
        { code: 'bind_phone', message: '请绑定手机号，便于接收岗位推荐和办理进度。' },
        {
          code: 'come_back',
          message: '服务站现在不在开放时间，您的来访已登记。下次开放：12月7日（周一）08:30，开放后再扫码即可取号。',
        },
      ],
    }
    expect(checkInCode.ticket(answer)).toEqual({
      outOfHours: true,
      note: '服务站现在不在开放时间，您的来访已登记。下次开放：12月7日（周一）08:30，开放后再扫码即可取号。',
      queueNumber: null,
      title: '城中就业服务站',
      station: '',
      dayText: '12月5日',
      purposeName: '登记',
      repeated: false,
    })
    // Without the step (an older answer shape): the station's next opening on the city clock.
    expect(checkInCode.ticket({ ...answer, next_steps: [] }).note).toBe('下次开放：12月7日（周一）08:30')
    // A queued check-in: its number, no note.
    expect(
      checkInCode.ticket({ ...answer, queue_number: 7, out_of_hours: false, next_steps: [{ code: 'wait_for_call', message: '…' }] }),
    ).toMatchObject({ outOfHours: false, queueNumber: 7, note: '' })
  })
})

describe('utils/check-in-code.js parse()', () => {
  const BASE = 'https://jiuye.huangshan.example.cn'
  const STATION_URL = `${BASE}/s/341002-chengzhong-01?t=p3.5.AbC-d_9`
  const EVENT_URL = `${BASE}/s/event-12?t=e12.1764400000.Xy_z`

  test("a station's printed code", () => {
    expect(checkInCode.parse(STATION_URL)).toEqual({
      url: STATION_URL,
      token: 'p3.5.AbC-d_9',
      kind: 'station',
      code: '341002-chengzhong-01',
      eventId: null,
    })
    // Spaces the camera added, another query field first: the same code.
    expect(checkInCode.parse(`  ${BASE}/s/341002-chengzhong-01/?from=poster&t=p3.5.AbC-d_9 `)).toMatchObject({
      token: 'p3.5.AbC-d_9',
      kind: 'station',
      code: '341002-chengzhong-01',
    })
  })

  test("an event's live-screen code", () => {
    expect(checkInCode.parse(EVENT_URL)).toEqual({
      url: EVENT_URL,
      token: 'e12.1764400000.Xy_z',
      kind: 'event',
      code: 'event-12',
      eventId: 12,
    })
  })

  test('the q WeChat hands over, encoded once or twice: the URL itself', () => {
    expect(checkInCode.parse(encodeURIComponent(STATION_URL))).toMatchObject({
      url: STATION_URL,
      code: '341002-chengzhong-01',
      token: 'p3.5.AbC-d_9',
    })
    const twice = encodeURIComponent(encodeURIComponent(EVENT_URL))
    expect(twice).toMatch(/^https%253A/)
    expect(checkInCode.parse(twice)).toMatchObject({ url: EVENT_URL, kind: 'event', eventId: 12, token: 'e12.1764400000.Xy_z' })
  })

  test('not a check-in code: no token, not under /s/, not a URL, broken', () => {
    expect(checkInCode.parse(`${BASE}/s/341002-chengzhong-01`)).toBeNull()
    expect(checkInCode.parse(`${BASE}/s/341002-chengzhong-01?x=1`)).toBeNull()
    expect(checkInCode.parse(`${BASE}/s/341002-chengzhong-01?t=`)).toBeNull()
    expect(checkInCode.parse(`${BASE}/s/?t=p3.5.x`)).toBeNull() // no station code
    expect(checkInCode.parse('https://example.com/x')).toBeNull()
    expect(checkInCode.parse('https://example.com/pay?t=123')).toBeNull()
    // Only the shape is checked here: another host with our shape goes to the server, which
    // refuses its signature (checkin.test.js, "an altered code").
    expect(checkInCode.parse('https://example.com/s/abc?t=1')).toMatchObject({ kind: 'station', code: 'abc' })
    expect(checkInCode.parse('p3.5.AbC-d_9')).toBeNull() // a bare token is not what a poster prints
    expect(checkInCode.parse('weixin://dl/business/?t=abc')).toBeNull()
    expect(checkInCode.parse('https%3A%2F%2Fexample.com%2F%E0%A4%A')).toBeNull() // a stray '%'
    expect(checkInCode.parse('')).toBeNull()
    expect(checkInCode.parse(null)).toBeNull()
  })
})

describe('rounding at the unit edges', () => {
  const format = new Phone().load(path.join(ROOT, 'utils/format.js'))
  test('just under a kilometre reads as 1.0公里, just under a megabyte as 1.0MB', () => {
    expect(format.distance(999.4)).toBe('999米')
    expect(format.distance(999.6)).toBe('1.0公里')
    expect(format.fileSize(1048575)).toBe('1.0MB')
  })
})
