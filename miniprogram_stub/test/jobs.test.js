// Jobs near me: the list from a Tunxi point, filters, paging, pull to refresh, no position.
const path = require('path')
const { Phone, ROOT } = require('./support/harness')

const LAOJIE = { latitude: 29.7095, longitude: 118.305 } // 屯溪老街, next to demo employer 1

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

  test('a kind filter, paging by has_more and pull to refresh', async () => {
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

    await phone.call(page, 'onPullDownRefresh')
    expect(phone.ctl.pullDownStopped).toBe(1)
    expect(page.data.page).toBe(1)
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
