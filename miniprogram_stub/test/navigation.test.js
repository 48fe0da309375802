// Navigation by role: after login each role has the tabs of utils/roles.js (residents the native
// tabBar, everyone else the role-tabs component), none of its tab pages meets 403, a page of
// another role sends them to their own home, and the app reopened on a resident's tab does too.
const fs = require('fs')
const path = require('path')
const { Phone, ROOT } = require('./support/harness')

const STAFF = {
  grid_worker: 'demo-grid-worker',
  station_staff: 'demo-station-staff',
  operator: 'demo-operator',
  township_admin: 'demo-township-admin',
  district_admin: 'demo-district-admin',
  city_admin: 'demo-city-admin',
  supervisor: 'demo-supervisor',
}
const APP = JSON.parse(fs.readFileSync(path.join(ROOT, 'app.json'), 'utf8'))

const roleTabs = new Map() // phone → the component's definition (its module is loaded once per phone)

/** The tabs the role-tabs component shows on a page of this phone (as its attached() sets them). */
function tabsShown(phone, current) {
  if (!roleTabs.has(phone)) roleTabs.set(phone, phone.componentDefinitionOf('components/role-tabs/index'))
  const definition = roleTabs.get(phone)
  const instance = { data: { current, tabs: [] } }
  instance.setData = (patch) => Object.assign(instance.data, patch)
  definition.lifetimes.attached.call(instance)
  return instance.data.tabs
}

/** A phone logged in as `role`: staff through the staff login page, the others with WeChat. */
async function loggedIn(role) {
  if (STAFF[role]) {
    const phone = new Phone()
    await phone.staffLogIn(STAFF[role])
    const roles = phone.load(path.join(ROOT, 'utils/roles.js'))
    expect(phone.ctl.lastNavigation()).toEqual({ api: 'reLaunch', url: roles.homeOf(role) })
    return phone
  }
  const phone = new Phone(role === 'employer' ? { openid: 'demo-employer-3' } : {})
  await phone.load(path.join(ROOT, 'utils/api.js')).login()
  return phone
}

describe.each(['resident', 'employer', ...Object.keys(STAFF)])('%s', (role) => {
  let phone
  let roles

  beforeAll(async () => {
    phone = await loggedIn(role)
    roles = phone.load(path.join(ROOT, 'utils/roles.js'))
    expect(phone.wx.getStorageSync('session').role).toBe(role)
  })

  test('has its tabs, and none of its tab pages is refused or sends it elsewhere', async () => {
    const tabs = roles.tabsOf(role)
    expect(tabs.length).toBeGreaterThan(0)
    for (const tab of tabs) {
      expect(APP.pages).toContain(tab.page)
      const shown = tabsShown(phone, tab.page)
      if (role === 'resident') {
        // The native tabBar: the same pages, and no second row of tabs.
        expect(shown).toEqual([])
        expect(APP.tabBar.list.map((item) => item.pagePath)).toContain(tab.page)
      } else {
        expect(shown.map((item) => item.page)).toEqual(tabs.map((item) => item.page))
      }
      const before = phone.ctl.calls.length
      const navigations = phone.ctl.navigations.length
      await phone.open(tab.page, {}, role === 'resident' ? 'switchTab' : 'reLaunch')
      const refused = phone.ctl.calls.slice(before).filter((call) => call.statusCode === 403)
      expect(refused.map((call) => `${tab.page}: ${call.method} ${call.path}`)).toEqual([])
      // The page kept the role there: no guard sent it to another home.
      const moved = phone.ctl.navigations.slice(navigations).filter((n) => n.api === 'reLaunch')
      expect(moved.map((n) => `${tab.page} → ${n.url}`)).toEqual([])
    }
    expect(phone.ctl.navigationErrors).toEqual([])
  })

  if (role !== 'resident') {
    test('a resident-only page (the résumé) sends it to its own home', async () => {
      await phone.open('pages/resume/index', {}, 'navigateTo')
      expect(phone.ctl.lastNavigation()).toEqual({ api: 'reLaunch', url: roles.homeOf(role) })
      expect(phone.ctl.calls.filter((call) => call.path.startsWith('/api/v1/me/resume'))).toEqual([])
    })

    test('the app reopened on a resident tab goes to its home; on another entry page it stays', () => {
      const count = phone.ctl.navigations.length
      phone.app.onLaunch({ path: 'pages/jobs/index', query: {}, scene: 1001 })
      expect(phone.ctl.navigations.slice(count)).toEqual([{ api: 'reLaunch', url: roles.homeOf(role) }])
      phone.app.onLaunch({ path: 'pages/checkin/index', query: {}, scene: 1011 }) // a station's code
      expect(phone.ctl.navigations.slice(count)).toHaveLength(1)
    })
  } else {
    test('the app opened on a resident tab stays there', () => {
      const count = phone.ctl.navigations.length
      phone.app.onLaunch({ path: 'pages/jobs/index', query: {}, scene: 1001 })
      expect(phone.ctl.navigations.slice(count)).toEqual([])
    })
  }
})

test('a tap on another role tab opens it in place of the stack; the current one does nothing', () => {
  const phone = new Phone()
  const definition = phone.componentDefinitionOf('components/role-tabs/index')
  const instance = { data: { current: 'pages/station-queue/index' } }
  definition.methods.onTab.call(instance, { currentTarget: { dataset: { page: 'pages/station-queue/index' } } })
  expect(phone.ctl.navigations).toEqual([])
  definition.methods.onTab.call(instance, { currentTarget: { dataset: { page: 'pages/staff-tasks/index' } } })
  expect(phone.ctl.navigations).toEqual([{ api: 'reLaunch', url: '/pages/staff-tasks/index' }])
})
