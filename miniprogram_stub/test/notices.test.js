// 通知公告 (docs/NOTICES.md "Reading"), where a `notice` push opens: staff write and publish a
// notice through the real two-person review; the resident's page lists the notices for their
// place with the unread ones marked, opens the pushed one (?id=), and the server records the read.
const { Phone } = require('./support/harness')
const server = require('./support/server')
const { tokenOf } = server

const COMMUNITY = '341002002001' // 昱中一社区: in the demo operator's circle and the demo township admin's township

/** server.call for a step that must work: resolve the body. */
async function callApi(route, options = {}) {
  const answer = await server.call(route, options)
  if (answer.status < 200 || answer.status >= 300) {
    throw new Error(`${options.method || 'GET'} ${route} answered ${answer.status}: ${JSON.stringify(answer.body)}`)
  }
  return answer.body
}

/** 'YYYY-MM-DD' `days` from today on the city's clock (UTC+8). */
function cityDay(days = 0) {
  return new Date(Date.now() + 8 * 3600000 + days * 86400000).toISOString().slice(0, 10)
}

/** A notice to the community's residents, written by the demo operator and published by the township admin. */
async function publishNotice(title) {
  const operator = await server.staffToken('demo-operator')
  const township = await server.staffToken('demo-township-admin')
  const body = {
    title,
    body: '下周一起在服务站办理灵活就业人员社保补贴申领。',
    place_kind: 'community',
    place_code: COMMUNITY,
    audience: 'residents',
    valid_from: cityDay(0),
    valid_until: cityDay(7),
  }
  const notice = await callApi('/notices', { method: 'POST', token: operator, body })
  await callApi(`/notices/${notice.id}/submit`, { method: 'POST', token: operator })
  await callApi(`/notices/${notice.id}/publish`, { method: 'POST', token: township, body: {} })
  return notice.id
}

test('a resident opens a pushed notice: it shows, is marked read, and the unread count drops', async () => {
  const phone = new Phone()
  const before = await phone.open('pages/notices/index')
  expect(before.data.loaded).toBe(true)
  expect(before.data.items).toEqual([]) // no place yet: no notices for me
  await callApi('/me', { method: 'PATCH', token: tokenOf(phone), body: { name: '通知测试', community_code: COMMUNITY } })
  const id = await publishNotice('灵活就业社保补贴申领通知')

  const page = await phone.open('pages/notices/index', { id: String(id) })

  expect(page.data.opened.title).toBe('灵活就业社保补贴申领通知')
  expect(page.data.items[0].id).toBe(id) // newest first
  expect(page.data.items[0].unread).toBe(false)
  const mine = await callApi('/notices/mine', { token: tokenOf(phone) })
  expect(mine.items.find((item) => item.id === id).read_at).not.toBeNull()
  expect(page.data.unread).toBe(mine.unread)
  expect(mine.unread).toBe(mine.items.filter((item) => !item.read_at).length)

  // The demo's notice to the community, tapped in the list: opened, marked read on the server too.
  const demo = page.data.items.find((item) => item.title === '春风行动专场招聘会')
  expect(demo.unread).toBe(true)
  await phone.tap(page, 'onOpen', { id: demo.id })
  expect(page.data.opened.id).toBe(demo.id)
  expect(page.data.items.find((item) => item.id === demo.id).unread).toBe(false)
  const after = await callApi('/notices/mine', { token: tokenOf(phone) })
  expect(after.unread).toBe(mine.unread - 1)
})

test('a notice for another place is neither listed nor opened', async () => {
  const phone = new Phone()
  await phone.open('pages/notices/index')
  await callApi('/me', { method: 'PATCH', token: tokenOf(phone), body: { community_code: '341002001001' } })
  const id = await publishNotice('昱中一社区专场招聘会')
  const page = await phone.open('pages/notices/index')

  expect(page.data.items.map((item) => item.id)).not.toContain(id)
  const answer = await server.call(`/notices/${id}`, { token: tokenOf(phone) })
  expect(answer.status).toBe(404)
  expect(answer.body.error.code).toBe('notice_not_found')
})
