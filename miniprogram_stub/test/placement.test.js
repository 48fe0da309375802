// 稳岗回访 (docs/PLACEMENTS.md), where a placement_followup push opens: the demo's 王芳 was asked
// 3 months after her hire whether she still works there; she answers 已离职 with a reason and the
// last day, once; the server records it and the page shows it answered. Someone else's is a 404.
const { Phone } = require('./support/harness')
const server = require('./support/server')
const { tokenOf } = server

/** Accept the current consent documents with a resident's token (a demo account is no new login). */
async function consent(token) {
  const current = await server.call('/consent-documents')
  const documents = current.body.items.map((doc) => ({ purpose: doc.purpose, version: doc.version }))
  const answer = await server.call('/me/consents', { method: 'POST', token, body: { documents, client_version: 'test' } })
  expect(answer.status).toBe(200)
}

test('a resident answers the 3-month follow-up from the push: 已离职, with why and the last day', async () => {
  const phone = new Phone({ openid: 'demo-placement-1' })
  const latest = await phone.open('pages/placement/index')
  expect(latest.data.loaded).toBe(true)
  expect(latest.data.followUp).toMatchObject({ months: 3, open: true })
  const id = latest.data.followUp.id
  await consent(tokenOf(phone))

  const page = await phone.open('pages/placement/index', { id: String(id) })
  expect(page.data.followUp).toMatchObject({ id, open: true, employerName: latest.data.followUp.employerName })
  const posted = []
  const request = phone.wx.request
  phone.wx.request = (options) => {
    if (String(options.method).toUpperCase() === 'POST') posted.push(options.data)
    return request(options)
  }
  await phone.tap(page, 'onLeftTap')
  expect(page.data.leaving).toBe(true)
  await phone.tap(page, 'onLeftSubmit') // no reason chosen: the phone asks first, nothing sent
  expect(posted).toEqual([])
  await phone.tap(page, 'onReasonChange', {}, { value: '2' })
  await phone.tap(page, 'onLeftOnChange', {}, { value: page.data.today })
  await phone.tap(page, 'onLeftSubmit')
  expect(posted).toEqual([{ answer: 'left', left_reason: 'wages', left_on: page.data.today }])
  expect(page.data.followUp).toMatchObject({ open: false, answerText: '已离职', leftReason: '薪酬不满意' })

  const stored = await server.call(`/me/placements/${id}`, { token: tokenOf(phone) })
  expect(stored.status).toBe(200)
  expect(stored.body).toMatchObject({ status: 'answered', answer: 'left', left_reason: 'wages', answer_channel: 'self' })
  const again = await phone.open('pages/placement/index', { id: String(id) })
  expect(again.data.followUp.open).toBe(false)

  const stranger = new Phone()
  const theirs = await stranger.open('pages/placement/index', { id: String(id) })
  expect(theirs.data.loaded).toBe(false)
  expect(theirs.data.followUp).toBe(null)
})
