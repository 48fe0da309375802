// 我的政策 (docs/POLICIES.md "My policies"), where a policy_notice push opens: the page shows
// what the server matched for the resident and, for a near miss, what is missing.
const { Phone } = require('./support/harness')
const server = require('./support/server')
const { tokenOf } = server

test('a resident opens 我的政策 from a push and sees matches and near misses as the server says', async () => {
  const phone = new Phone()
  const page = await phone.open('pages/policies/index', { match: '7' })
  expect(page.data.loaded).toBe(true)
  expect(page.data.focus).toBe(7)
  const mine = await server.call('/me/policies', { token: tokenOf(phone) })
  expect(mine.status).toBe(200)
  expect(page.data.matches.map((item) => item.id)).toEqual(mine.body.matches.map((item) => item.id))
  expect(page.data.nearMisses.map((item) => item.missing)).toEqual(mine.body.near_misses.map((item) => item.missing))
})
