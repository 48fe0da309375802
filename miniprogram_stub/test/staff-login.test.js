// The staff login page for every staff role: each lands on its own home (utils/roles.js; all
// roles in test/navigation.test.js), and one already logged in goes there without a request.
const { Phone } = require('./support/harness')

test('station staff already logged in go straight to 叫号, with no login request', async () => {
  const phone = new Phone()
  await phone.staffLogIn('demo-station-staff')
  expect(phone.ctl.lastNavigation()).toEqual({ api: 'reLaunch', url: '/pages/station-queue/index' })
  const queue = await phone.follow()
  queue.onUnload() // its refresh timer

  const calls = phone.ctl.calls.length
  await phone.open('pages/staff-login/index', {}, 'navigateTo')
  expect(phone.ctl.lastNavigation()).toEqual({ api: 'reLaunch', url: '/pages/station-queue/index' })
  expect(phone.ctl.calls.slice(calls)).toEqual([])
})

test('a township admin lands on 窗口 with the stations of their place', async () => {
  const phone = new Phone()
  await phone.staffLogIn('demo-township-admin')
  expect(phone.ctl.lastNavigation()).toEqual({ api: 'reLaunch', url: '/pages/station-desk/index' })
  const desk = await phone.follow()
  expect(desk.data.stations.length).toBeGreaterThan(0) // the stations of their place
  expect(phone.ctl.calls.filter((call) => call.statusCode >= 400)).toEqual([])
})
