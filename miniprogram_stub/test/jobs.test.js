// Jobs near me: the list from a Tunxi point, filters, paging, pull to refresh, no position.
const path = require('path')
const { Phone, ROOT, event } = require('./support/harness')

const LAOJIE = { latitude: 29.7095, longitude: 118.305 } // 屯溪老街, next to demo employer 1

/** The query strings of the job searches the phone sent, oldest first. */
const queries = (phone) =>
  phone.ctl.calls
    .filter((call) => call.path === '/api/v1/jobs')
    .map((call) => Object.fromEntries(new URL(call.url).searchParams))

// docs/JOBS.md "Nearby search": day and hour wages compare by their month (21.75 days of 8 h).
const PER_MONTH = { '元/月': 1, '元/天': 21.75, '元/小时': 21.75 * 8 }

/** The most a row's wage ('3500-4500元/月', '150元/天', '25-35元/小时') comes to in a month. */
function monthlyTop(wage) {
  if (wage === '面议') return null // no wage: never at or above a minimum
  const match = /^(?:\d+-)?(\d+)(元\/(?:月|天|小时))$/.exec(wage)
  if (!match) throw new Error(`a wage the list would not show: ${wage}`)
  return Math.round(Number(match[1]) * PER_MONTH[match[2]])
}

describe('jobs near me', () => {
  test('lists live jobs within 3 km, nearest first, without logging in', async () => {
    const phone = new Phone()
    phone.ctl.location = LAOJIE
    const page = await phone.open('pages/jobs/index')

    expect(page.data.message).toBe('')
    expect(page.data.items.length).toBeGreaterThan(3)
    const metres = page.data.items.map((row) => row.distanceM)
    expect(metres).toEqual([...metres].sort((a, b) => a - b))
    expect(metres[metres.length - 1]).toBeLessThanOrEqual(3000)
    expect(page.data.items[0]).toMatchObject({ title: '茶叶包装工', employer: '黄山演示老街茶庄', wage: '3500-4500元/月', verified: true })
    expect(page.data.items[0].distance).toMatch(/^\d+米$/)
    // Browsing needs no account: no WeChat login was made.
    expect(phone.ctl.calls.map((call) => call.path)).toEqual(['/api/v1/jobs'])
  })

  test('a kind filter and paging by has_more', async () => {
    const phone = new Phone()
    phone.ctl.location = LAOJIE
    phone.load(path.join(ROOT, 'utils/config.js')).PAGE_SIZE = 2
    const page = await phone.open('pages/jobs/index')
    expect(page.data.items).toHaveLength(2)
    expect(page.data.hasMore).toBe(true)

    await phone.call(page, 'onReachBottom')
    expect(page.data.page).toBe(2)
    expect(page.data.items).toHaveLength(4)
    expect(new Set(page.data.items.map((row) => row.id)).size).toBe(4)

    await phone.tap(page, 'onKindTap', { kind: 'part_time' })
    expect(page.data.items.length).toBeGreaterThan(0)
    expect(page.data.items.every((row) => row.kind === '兼职')).toBe(true)
  })

  test('pull to refresh from page 2: back to the first page, and the spinner stops', async () => {
    const phone = new Phone()
    phone.ctl.location = LAOJIE
    phone.load(path.join(ROOT, 'utils/config.js')).PAGE_SIZE = 2
    const page = await phone.open('pages/jobs/index')
    const firstPage = page.data.items
    expect(firstPage).toHaveLength(2)

    await phone.call(page, 'onReachBottom')
    expect(page.data.page).toBe(2)
    expect(page.data.items).toHaveLength(4)
    expect(phone.ctl.pullDownStopped).toBe(0)

    await phone.call(page, 'onPullDownRefresh')
    expect(phone.ctl.pullDownStopped).toBe(1)
    expect(page.data).toMatchObject({ page: 1, hasMore: true, loading: false, message: '' })
    expect(page.data.items).toEqual(firstPage) // page 1 again, not page 1 + 2 (nor 2 + 1)
    expect(queries(phone).at(-1)).toMatchObject({ page: '1', lat: String(LAOJIE.latitude) })
  })

  test('a minimum wage (monthly, day and hour wages by their monthly equivalent) and a text search', async () => {
    const phone = new Phone()
    phone.ctl.location = LAOJIE
    const page = await phone.open('pages/jobs/index')
    const all = page.data.items
    // Some jobs nearby pay less than 6000 a month at most: the filter has something to remove.
    expect(all.some((row) => monthlyTop(row.wage) < 6000)).toBe(true)

    // The person types into the wage box (digits only are kept) and confirms.
    await phone.call(page, 'onWageInput', event({ value: '6000元' }))
    expect(page.data.filters.wageMin).toBe('6000')
    await phone.call(page, 'onFilterConfirm')
    expect(queries(phone).at(-1)).toMatchObject({ wage_min: '6000', page: '1' })
    expect(queries(phone).at(-1).q).toBeUndefined()
    const rich = page.data.items
    expect(rich.length).toBeGreaterThan(0)
    expect(rich.length).toBeLessThan(all.length)
    for (const row of rich) expect(monthlyTop(row.wage)).toBeGreaterThanOrEqual(6000)
    // An hourly job counts by its month: 35元/小时 × 8 h × 21.75 days = 6090元.
    expect(rich.map((row) => [row.title, row.wage])).toContainEqual(['茶艺讲解员', '25-35元/小时'])
    // Every job nearby that reaches 6000 a month is still there.
    expect(rich.map((row) => row.id).sort()).toEqual(
      all.filter((row) => monthlyTop(row.wage) >= 6000).map((row) => row.id).sort(),
    )

    // Then a word as well (trimmed): both filters go along, and the rows match both.
    await phone.call(page, 'onSearchInput', event({ value: '  茶艺 ' }))
    expect(page.data.filters.q).toBe('茶艺')
    await phone.call(page, 'onFilterConfirm')
    expect(queries(phone).at(-1)).toMatchObject({ wage_min: '6000', q: '茶艺' })
    expect(page.data.items.map((row) => row.title)).toEqual(['茶艺讲解员'])

    // The wage box emptied: the word alone.
    await phone.call(page, 'onWageInput', event({ value: '' }))
    await phone.call(page, 'onSearchInput', event({ value: '保洁' }))
    await phone.call(page, 'onFilterConfirm')
    const last = queries(phone).at(-1)
    expect(last.q).toBe('保洁')
    expect(last.wage_min).toBeUndefined()
    expect(page.data.items.length).toBeGreaterThan(0)
    for (const row of page.data.items) expect(`${row.title}${row.employer}`).toContain('保洁')
    expect(page.data.items.some((row) => monthlyTop(row.wage) < 6000)).toBe(true)

    // A word nothing matches: the empty list says so.
    await phone.call(page, 'onSearchInput', event({ value: '宇航员' }))
    await phone.call(page, 'onFilterConfirm')
    expect(page.data.items).toEqual([])
    expect(page.data.message).toBe('3公里内暂时没有合适的岗位，换个条件试试')
  })

  test('the end of the list: no more pages, no more requests', async () => {
    const phone = new Phone()
    phone.ctl.location = LAOJIE
    const page = await phone.open('pages/jobs/index') // 20 a page: everything within 3 km
    expect(page.data.items.length).toBeGreaterThan(0)
    expect(page.data.hasMore).toBe(false)
    const sent = phone.ctl.calls.length
    const items = page.data.items

    await phone.call(page, 'onReachBottom')
    await phone.call(page, 'onReachBottom')
    expect(phone.ctl.calls).toHaveLength(sent)
    expect(page.data.items).toEqual(items)
    expect(page.data.page).toBe(1)
  })

  test('no position, a saved home: the jobs near home', async () => {
    const phone = new Phone()
    // The resident saved a home next to the industrial park (demo employer 5) on the "me" tab.
    const api = phone.load(path.join(ROOT, 'utils/api.js'))
    await api.request('/me', { method: 'PATCH', data: { home_lat: 29.7345, home_lng: 118.27 } })
    phone.ctl.location = null // location not allowed

    const page = await phone.open('pages/jobs/index')
    expect(page.data.usingHome).toBe(true)
    expect(page.data.message).toBe('')
    expect(phone.ctl.modals).toEqual([])
    expect(page.data.items.length).toBeGreaterThan(0)
    // Nearest first from home: the factory's jobs, a few metres away, not the old town's.
    expect(page.data.items[0]).toMatchObject({ employer: '黄山演示电子科技厂' })
    expect(page.data.items[0].distanceM).toBeLessThan(100)
    expect(page.data.items.map((row) => row.employer)).not.toContain('黄山演示老街茶庄')
    for (const row of page.data.items) expect(row.distanceM).toBeLessThanOrEqual(3000)
    // The search went without a position: the server used the home.
    const query = queries(phone).at(-1)
    expect(query.lat).toBeUndefined()
    expect(query.lng).toBeUndefined()
  })

  test('a filter tapped while the next page is loading: the late page is not added to the new list', async () => {
    const phone = new Phone()
    phone.ctl.location = LAOJIE
    phone.load(path.join(ROOT, 'utils/config.js')).PAGE_SIZE = 2
    const page = await phone.open('pages/jobs/index')
    expect(page.data.hasMore).toBe(true)

    // Page 2 of the unfiltered list is slow: its answer is held until the filter's has come.
    let release
    const held = new Promise((resolve) => {
      release = resolve
    })
    const request = phone.wx.request
    phone.wx.request = (options) => {
      if (!options.data || options.data.page !== 2 || options.data.kind) return request(options)
      return request({
        ...options,
        success: (response) => held.then(() => options.success(response)),
        fail: (error) => held.then(() => options.fail(error)),
      })
    }

    const older = page.onReachBottom() // not awaited: the person taps a filter meanwhile
    await phone.tap(page, 'onKindTap', { kind: 'part_time' })
    const fresh = page.data.items
    expect(fresh.length).toBeGreaterThan(0)
    expect(fresh.every((row) => row.kind === '兼职')).toBe(true)

    release() // the old page 2 answers last
    await older
    await phone.ctl.idle()
    expect(phone.ctl.calls.filter((call) => call.path === '/api/v1/jobs')).toHaveLength(3)
    expect(page.data.items).toEqual(fresh)
    expect(page.data).toMatchObject({ page: 1, loading: false, message: '' })
  })

  test('without a position and without a home, the server says where to look', async () => {
    const phone = new Phone()
    phone.ctl.location = null
    const page = await phone.open('pages/jobs/index')
    expect(page.data.usingHome).toBe(true)
    expect(page.data.items).toEqual([])
    // The resident was logged in silently, had no home yet: 422 location_required.
    expect(phone.ctl.modals.at(-1).content).toBe('请允许获取位置，或在“我的”里填写家庭住址')
  })
})
