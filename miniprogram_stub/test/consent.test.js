// 协议与授权: a resident who has not agreed yet saves nothing — the save opens the consent page,
// which shows the current documents and, on 同意, accepts exactly the versions shown; the save
// then goes through. An ID number asks for the separate consent to sensitive data.
const { Phone } = require('./support/harness')
const server = require('./support/server')
const { tokenOf } = server

const paths = (phone) => phone.ctl.calls.map((call) => `${call.method} ${call.path}`)

describe('consent page', () => {
  test('a save without consent opens the page; 同意 records it; saving again works', async () => {
    const phone = new Phone({ consented: false })
    const me = await phone.open('pages/me/index')
    await phone.tap(me, 'onNameInput', {}, { value: '方同意' })

    await phone.tap(me, 'onSaveProfile')

    // Refused and nothing saved; the person reads why, and the consent page opens.
    expect(phone.ctl.modals.pop().content).toBe('请先阅读并同意服务协议和隐私政策，再提交')
    const navigation = phone.ctl.lastNavigation()
    expect(navigation.api).toBe('navigateTo')
    expect(navigation.url).toMatch(/^\/pages\/consent\/index\?purposes=/)
    expect((await server.call('/me', { token: tokenOf(phone) })).body.name).toBeNull()

    const consent = await phone.follow()
    expect(consent.data.documents.map((doc) => doc.purpose).sort()).toEqual(['privacy_notice', 'service_agreement'])
    expect(consent.data.documents[0].body.length).toBeGreaterThan(100)
    await phone.tap(consent, 'onToggle', { index: 0 })
    expect(consent.data.documents[0].open).toBe(true)

    await phone.tap(consent, 'onAgree')

    expect(paths(phone)).toContain('POST /api/v1/me/consents')
    expect(phone.ctl.lastNavigation().api).toBe('navigateBack')
    const mine = (await server.call('/me/consents', { token: tokenOf(phone) })).body
    expect(mine.pending).toEqual([])
    expect(mine.history.map((item) => item.client_version)).toEqual(['develop', 'develop'])
    const back = await phone.follow()
    expect(back).toBe(me)
    await phone.tap(me, 'onSaveProfile')
    expect(phone.ctl.modals).toEqual([])
    expect(me.data.profile.name).toBe('方同意')
  })

  test('the separate consent for an ID number is asked on its own; opening it again shows nothing left', async () => {
    const phone = new Phone({ consented: false })
    await phone.open('pages/me/index')
    // The base documents accepted (as on the page above); not the separate consent.
    const current = (await server.call('/consent-documents')).body.items
    const base = current.filter((doc) => doc.purpose !== 'sensitive_data')
    const documents = base.map((doc) => ({ purpose: doc.purpose, version: doc.version }))
    await server.call('/me/consents', { method: 'POST', token: tokenOf(phone), body: { documents } })
    const answer = await server.call('/me', {
      method: 'PATCH',
      token: tokenOf(phone),
      body: { id_number: '11010519491231002X' },
    })
    expect(answer.status).toBe(403)
    expect(Object.keys(answer.body.error.fields)).toEqual(['sensitive_data'])

    const consent = await phone.open('pages/consent/index', { purposes: 'sensitive_data' })
    expect(consent.data.documents.map((doc) => doc.purpose)).toEqual(['sensitive_data'])
    await phone.tap(consent, 'onAgree')
    const again = await phone.open('pages/consent/index', { purposes: 'sensitive_data' })
    expect(again.data.accepted).toBe(true)
    expect(again.data.documents).toEqual([])
  })

  test('from 我的: withdrawing asks again before any save; a deletion request erases and logs out', async () => {
    const phone = new Phone() // agreed at first run
    const me = await phone.open('pages/me/index')
    await phone.tap(me, 'onConsentTap')
    const consent = await phone.follow()
    expect(consent.data.accepted).toBe(true)

    await phone.tap(consent, 'onWithdraw')

    expect(phone.ctl.modals.pop().title).toBe('撤回同意')
    expect(consent.data.mayProcess).toBe(false)
    expect(consent.data.documents.map((doc) => doc.purpose)).toEqual(['privacy_notice'])
    const token = tokenOf(phone)
    const saved = await server.call('/me/resume', { method: 'PUT', token, body: { skills: ['茶艺'] } })
    expect(saved.status).toBe(403)
    expect(saved.body.error.code).toBe('consent_required')

    await phone.tap(consent, 'onAgree') // agreed again: back in
    const reopened = await phone.open('pages/consent/index')
    await phone.tap(reopened, 'onDeleteData')

    expect(phone.ctl.modals.pop().title).toBe('申请删除个人信息')
    expect(reopened.data.deletion).toBe('已删除') // the embedded backend runs the task at once
    expect(phone.wx.getStorageSync('session')).toBe('')
    expect((await server.call('/me', { token })).status).toBe(401)
  })
})
