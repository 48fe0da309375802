// "我的": silent login, the WeChat phone button, profile basics, job-alert subscriptions and
// their settings — and the whole way from "订阅岗位提醒" to a WeChat message when a job near
// home is published.
const path = require('path')
const { Phone, ROOT } = require('./support/harness')
const server = require('./support/server')
const { tokenOf } = server

const LAOJIE = { latitude: 29.7095, longitude: 118.305 } // 屯溪老街, next to demo employer 1
const LAOJIE_TOWNSHIP = '341002004000' // 老街街道
const LAOJIE_COMMUNITY = '341002004001' // 老街街道演示社区一
// Where the test job is posted: in 老街街道 (城中 circle, demo-operator's), ~390 m from LAOJIE.
// Not at the employer's own pin (29.7095, 118.305): the nearest community centre to that is
// 黎阳镇演示社区一 (城西 circle), where demo-operator cannot review (404 job_not_found).
const JOB_POINT = { lat: 29.7125, lng: 118.307 }

/** server.call for a step that must work (a test's setup, a retry the app would make): resolve the body. */
async function callApi(route, options = {}) {
  const answer = await server.call(route, options)
  if (answer.status < 200 || answer.status >= 300) {
    throw new Error(`${options.method || 'GET'} ${route} answered ${answer.status}: ${JSON.stringify(answer.body)}`)
  }
  return answer.body
}

const paths = (phone) => phone.ctl.calls.map((call) => `${call.method} ${call.path}`)
const templateId = (page, key) => page.data.templates.find((item) => item.key === key).templateId
const remaining = (answer, key) => answer.templates.find((item) => item.key === key).remaining

/** Watch the subscription reports the page posts: returns the list of bodies, in order. */
function watchReports(phone) {
  const posted = []
  const request = phone.wx.request
  phone.wx.request = (options) => {
    if (String(options.method).toUpperCase() === 'POST' && options.url.endsWith('/me/subscriptions')) {
      posted.push(JSON.parse(JSON.stringify(options.data)))
    }
    return request(options)
  }
  return posted
}

describe('me page', () => {
  test('opens logged in silently; binds the phone WeChat vouches for; a refusal sends nothing', async () => {
    const phone = new Phone()
    const page = await phone.open('pages/me/index')

    expect(paths(phone)).toContain('POST /api/v1/auth/wechat-login')
    expect(paths(phone)).toContain('GET /api/v1/me')
    expect(page.data.message).toBe('')
    expect(page.data.profile).toMatchObject({ name: '未填写', phoneBound: false, community: '未选择' })
    expect(page.data.loggedIn).toBe(true)
    expect(phone.ctl.modals).toEqual([])

    // The person allows: the button hands over a code, the server asks WeChat for the number.
    const code = await phone.ctl.phoneCode()
    await phone.tap(page, 'onGetPhoneNumber', {}, { code, errMsg: 'getPhoneNumber:ok' })
    const masked = `${phone.ctl.phone.slice(0, 3)}****${phone.ctl.phone.slice(-4)}`
    expect(page.data.profile).toMatchObject({ phoneBound: true, phone: masked })
    expect(phone.ctl.lastToast().title).toBe('手机号已绑定')
    const me = await callApi('/me', { token: tokenOf(phone) })
    expect(me).toMatchObject({ phone_bound: true, phone: masked })

    // The person refuses: no request, a gentle note, no error dialog.
    const before = phone.ctl.calls.length
    await phone.tap(page, 'onGetPhoneNumber', {}, { errMsg: 'getPhoneNumber:fail user deny' })
    expect(phone.ctl.calls.length).toBe(before)
    expect(page.data.phoneNote).toMatch(/暂未授权手机号/)
    expect(phone.ctl.modals).toEqual([])
  })

  test('profile basics: name, township → community picker, home from the current position', async () => {
    const phone = new Phone()
    phone.ctl.location = LAOJIE
    const page = await phone.open('pages/me/index')
    expect(page.data.townships.length).toBeGreaterThan(5)
    expect(page.data.townshipIndex).toBe(-1)

    await phone.tap(page, 'onNameInput', {}, { value: '陈晓' })
    const township = page.data.townships.findIndex((item) => item.code === LAOJIE_TOWNSHIP)
    await phone.tap(page, 'onTownshipChange', {}, { value: String(township) })
    expect(paths(phone)).toContain(`GET /api/v1/places/communities`)
    expect(page.data.communities.map((item) => item.code)).toContain(LAOJIE_COMMUNITY)
    const community = page.data.communities.findIndex((item) => item.code === LAOJIE_COMMUNITY)
    await phone.tap(page, 'onCommunityChange', {}, { value: String(community) })
    await phone.tap(page, 'onUseLocationTap')
    expect(page.data.form).toMatchObject({ homeLat: LAOJIE.latitude, homeLng: LAOJIE.longitude })
    await phone.tap(page, 'onSaveProfile')

    expect(phone.ctl.modals).toEqual([])
    expect(page.data.profile).toMatchObject({ name: '陈晓', community: '老街街道演示社区一', hasHome: true })
    const me = await callApi('/me', { token: tokenOf(phone) })
    expect(me).toMatchObject({ name: '陈晓', home_lat: LAOJIE.latitude, home_lng: LAOJIE.longitude })
    expect(me.community.code).toBe(LAOJIE_COMMUNITY)

    // The page opened afresh (the app restarted) shows the saved choice in the pickers, from the server.
    const reopened = await phone.open('pages/me/index')
    expect(reopened).not.toBe(page)
    expect(reopened.data.townshipIndex).toBeGreaterThanOrEqual(0)
    expect(reopened.data.townships[reopened.data.townshipIndex].code).toBe(LAOJIE_TOWNSHIP)
    expect(reopened.data.communityIndex).toBeGreaterThanOrEqual(0)
    expect(reopened.data.communities[reopened.data.communityIndex]).toEqual({ code: LAOJIE_COMMUNITY, name: '老街街道演示社区一' })
    expect(reopened.data.form).toMatchObject({ name: '陈晓', communityCode: LAOJIE_COMMUNITY })
    expect(reopened.data.homeText).toBe('已设置')
  })

  test('subscribe: the answer is reported as it is; the same report again counts once', async () => {
    const phone = new Phone()
    const page = await phone.open('pages/me/index')
    const jobMatch = templateId(page, 'job_match')
    const update = templateId(page, 'application_update')
    let asked = null
    phone.ctl.subscribeAnswer = (ids) => {
      asked = ids
      return { [jobMatch]: 'accept', [update]: 'reject' }
    }
    // Watch the client id the page makes (the page calls api.newClientId() at tap time).
    const apiModule = phone.load(path.join(ROOT, 'utils/api.js'))
    const makeId = apiModule.newClientId
    let clientId = null
    apiModule.newClientId = () => (clientId = makeId())

    await phone.tap(page, 'onSubscribeTap')
    expect(asked.sort()).toEqual([jobMatch, update].sort())
    expect(paths(phone)).toContain('POST /api/v1/me/subscriptions')
    expect(page.data.templates.find((item) => item.key === 'job_match')).toMatchObject({ remaining: 1, canSend: true })
    expect(page.data.templates.find((item) => item.key === 'application_update')).toMatchObject({
      remaining: 0,
      canSend: false,
    })
    expect(page.data.subscribeNote).toBe('还可收到1条岗位提醒')

    // The same report again (a retry of a request whose answer was lost) changes nothing...
    const token = tokenOf(phone)
    const results = { [jobMatch]: 'accept', [update]: 'reject', errMsg: 'requestSubscribeMessage:ok' }
    const again = await callApi('/me/subscriptions', { method: 'POST', token, body: { client_id: clientId, results } })
    expect(remaining(again, 'job_match')).toBe(1)
    // ...while a new report (a second tap) does count.
    const second = await callApi('/me/subscriptions', {
      method: 'POST',
      token,
      body: { client_id: makeId(), results },
    })
    expect(remaining(second, 'job_match')).toBe(2)
  })

  test('subscribe without a network: WeChat’s dialog fails, the page says so, nothing is reported', async () => {
    const phone = new Phone()
    const page = await phone.open('pages/me/index')
    const posted = watchReports(phone)
    phone.ctl.setOnline(false)
    await phone.tap(page, 'onSubscribeTap')
    expect(page.data.subscribeNote).toBe('未能打开订阅，请稍后再试')
    expect(phone.ctl.modals).toEqual([])
    expect(posted).toEqual([])
    expect(phone.wx.getStorageSync('me.pendingSubscriptionReports') || []).toEqual([]) // nothing to send later

    // Back online, on the next visit: still nothing to report, nothing subscribed.
    phone.ctl.setOnline(true)
    await phone.call(page, 'onShow')
    expect(posted).toEqual([])
    expect(page.data.templates.find((item) => item.key === 'job_match')).toMatchObject({ remaining: 0, canSend: false })
    // The server never heard an answer (null: never asked), so it has nothing to send.
    const state = await callApi('/me/subscriptions', { token: tokenOf(phone) })
    expect(state.templates.find((item) => item.key === 'job_match')).toMatchObject({ remaining: null, can_send: false })
  })

  test('every alert turned down: the answer is reported as it is, and the page says none will come', async () => {
    const phone = new Phone()
    const page = await phone.open('pages/me/index')
    const posted = watchReports(phone)
    let asked = null
    phone.ctl.subscribeAnswer = (ids) => {
      asked = ids
      return Object.fromEntries(ids.map((id) => [id, 'reject']))
    }
    await phone.tap(page, 'onSubscribeTap')
    expect(asked.sort()).toEqual([templateId(page, 'job_match'), templateId(page, 'application_update')].sort())
    expect(posted).toHaveLength(1)
    expect(posted[0]).toMatchObject({
      client_id: expect.stringMatching(/^[0-9a-f]{32}$/),
      results: Object.fromEntries(asked.map((id) => [id, 'reject'])),
    })
    expect(page.data.subscribeNote).toBe('未订阅岗位提醒')
    for (const key of ['job_match', 'application_update']) {
      expect(page.data.templates.find((item) => item.key === key)).toMatchObject({ remaining: 0, canSend: false })
    }
    expect(phone.ctl.modals).toEqual([])
    // The server has the answer (0 left, not "never asked") and nothing to send.
    const state = await callApi('/me/subscriptions', { token: tokenOf(phone) })
    for (const key of ['job_match', 'application_update']) {
      expect(state.templates.find((item) => item.key === key)).toMatchObject({ remaining: 0, can_send: false })
    }
    expect(phone.wx.getStorageSync('me.pendingSubscriptionReports') || []).toEqual([])
  })

  test('a report that cannot reach the server is sent on the next visit, once', async () => {
    const phone = new Phone()
    const page = await phone.open('pages/me/index')
    phone.ctl.apiDown = true // WeChat answers (its dialog needs it); our server does not
    await phone.tap(page, 'onSubscribeTap')
    expect(page.data.subscribeNote).toMatch(/下次打开时提交/)
    expect(phone.ctl.modals).toEqual([])

    phone.ctl.apiDown = false
    await phone.call(page, 'onShow')
    expect(page.data.templates.find((item) => item.key === 'job_match').remaining).toBe(1)
    await phone.call(page, 'onShow')
    const state = await callApi('/me/subscriptions', { token: tokenOf(phone) })
    expect(remaining(state, 'job_match')).toBe(1)
  })

  test('preferences: job alerts off and on, daily cap, quiet hours', async () => {
    const phone = new Phone()
    const page = await phone.open('pages/me/index')
    expect(page.data.prefs).toMatchObject({ jobMatchOn: true, dailyCap: 3, quietStart: '21:00', quietEnd: '08:00' })
    const token = tokenOf(phone)

    await phone.tap(page, 'onJobMatchSwitch', {}, { value: false })
    expect(page.data.prefs.jobMatchOn).toBe(false)
    let state = await callApi('/me/subscriptions', { token })
    expect(state.preferences.disabled_kinds).toEqual(['job_match'])

    await phone.tap(page, 'onJobMatchSwitch', {}, { value: true })
    await phone.tap(page, 'onDailyCapChange', {}, { value: '5' })
    await phone.tap(page, 'onQuietStartChange', {}, { value: '22:30' })
    await phone.tap(page, 'onQuietEndChange', {}, { value: '07:00' })
    state = await callApi('/me/subscriptions', { token })
    expect(state.preferences).toEqual({
      disabled_kinds: [],
      daily_cap: 5,
      quiet_start: '22:30',
      quiet_end: '07:00',
      sms_enabled: true,
    })
    expect(page.data.prefs).toMatchObject({ jobMatchOn: true, dailyCap: 5, quietText: '22:30–07:00 不打扰' })
    expect(phone.ctl.modals).toEqual([])
  })

  test('SMS reminders: the switch shows once a phone is bound, and turns SMS off and on', async () => {
    const phone = new Phone()
    const page = await phone.open('pages/me/index')
    expect(page.data.profile.phoneBound).toBe(false)
    const token = tokenOf(phone)
    const code = await phone.ctl.phoneCode()
    await phone.tap(page, 'onGetPhoneNumber', {}, { code, errMsg: 'getPhoneNumber:ok' })
    expect(page.data.profile.phoneBound).toBe(true)
    expect(page.data.prefs.smsOn).toBe(true)

    await phone.tap(page, 'onSmsSwitch', {}, { value: false })
    expect(page.data.prefs.smsOn).toBe(false)
    expect((await callApi('/me/subscriptions', { token })).preferences.sms_enabled).toBe(false)
    await phone.tap(page, 'onSmsSwitch', {}, { value: true })
    expect((await callApi('/me/subscriptions', { token })).preferences.sms_enabled).toBe(true)
    expect(phone.ctl.modals).toEqual([])
  })

  test('a phone code used already or expired: the page asks for a new tap', async () => {
    const phone = new Phone()
    const page = await phone.open('pages/me/index')
    const code = await phone.ctl.phoneCode()
    await phone.tap(page, 'onGetPhoneNumber', {}, { code, errMsg: 'getPhoneNumber:ok' })
    expect(page.data.profile.phoneBound).toBe(true)
    expect(phone.ctl.modals).toEqual([])

    // The same code again (an old event delivered twice): WeChat no longer knows it.
    await phone.tap(page, 'onGetPhoneNumber', {}, { code, errMsg: 'getPhoneNumber:ok' })
    expect(phone.ctl.calls.at(-1)).toMatchObject({ method: 'POST', path: '/api/v1/auth/wechat-phone', statusCode: 401 })
    expect(page.data.phoneNote).toBe('手机号授权已失效，请重新点击绑定')
    expect(phone.ctl.modals.at(-1).content).toBe('手机号授权已失效，请重新点击绑定')
    expect(page.data.profile.phoneBound).toBe(true) // the number bound before stays
  })

  test('back on the tab: what is being typed stays; offline it is a note on the page, not a dialog', async () => {
    const phone = new Phone()
    phone.ctl.location = LAOJIE
    const page = await phone.open('pages/me/index')
    await phone.tap(page, 'onNameInput', {}, { value: '王芳' })
    await phone.tap(page, 'onUseLocationTap')

    // 我的简历 and back, before saving.
    await phone.tap(page, 'onResumeTap')
    await phone.follow()
    const before = paths(phone).length
    await phone.call(page, 'onShow')
    expect(page.data.form).toMatchObject({ name: '王芳', homeLat: LAOJIE.latitude, homeLng: LAOJIE.longitude })
    expect(page.data.homeText).toBe('已使用当前位置（待保存）')
    // Only the summary and the alerts are fetched again (not the places, not the form).
    expect(paths(phone).slice(before)).toEqual(['GET /api/v1/me', 'GET /api/v1/me/subscriptions'])
    expect(phone.ctl.modals).toEqual([])

    // Another tab and back, without a network: said on the page, the rest left as it was.
    phone.ctl.setOnline(false)
    await phone.call(page, 'onShow')
    await phone.call(page, 'onShow')
    expect(phone.ctl.modals).toEqual([])
    expect(page.data.message).toBe('网络不可用，显示的是上次获取的信息')
    expect(page.data.profile).toMatchObject({ name: '未填写' })
    expect(page.data.form.name).toBe('王芳')

    phone.ctl.setOnline(true)
    await phone.call(page, 'onShow')
    expect(page.data.message).toBe('')
    await phone.tap(page, 'onSaveProfile')
    expect(page.data.profile).toMatchObject({ name: '王芳', hasHome: true })
  })

  test('reports that did not get through (our server unreachable twice, a 502) are each sent once on the next visit', async () => {
    const phone = new Phone()
    const page = await phone.open('pages/me/index')
    // Watch the reports the page posts; a proxy in front of the API answers 502 while `down`.
    const posted = []
    let down = false
    const request = phone.wx.request
    phone.wx.request = (options) => {
      if (options.method === 'POST' && options.url.endsWith('/me/subscriptions')) {
        posted.push(options.data.client_id)
        if (down && !phone.ctl.apiDown) {
          const response = { statusCode: 502, data: '<html>502 Bad Gateway</html>', header: {}, errMsg: 'request:ok' }
          setImmediate(() => options.success(response))
          return { abort() {} }
        }
      }
      return request(options)
    }

    phone.ctl.apiDown = true
    await phone.tap(page, 'onSubscribeTap') // WeChat counts each "accept"; our report cannot go
    await phone.tap(page, 'onSubscribeTap')
    phone.ctl.apiDown = false
    down = true
    await phone.tap(page, 'onSubscribeTap')
    expect(page.data.subscribeNote).toMatch(/下次打开时提交/)
    expect(phone.ctl.modals).toEqual([])
    expect(new Set(posted).size).toBe(3)
    expect(phone.wx.getStorageSync('me.pendingSubscriptionReports').map((report) => report.client_id)).toEqual(posted)

    down = false
    await phone.call(page, 'onShow')
    expect(posted.slice(3)).toEqual(posted.slice(0, 3)) // each again, with its own client id
    expect(page.data.templates.find((item) => item.key === 'job_match').remaining).toBe(3)
    expect(phone.wx.getStorageSync('me.pendingSubscriptionReports')).toEqual([])
    await phone.call(page, 'onShow')
    expect(posted).toHaveLength(6)
    const state = await callApi('/me/subscriptions', { token: tokenOf(phone) })
    expect(remaining(state, 'job_match')).toBe(3)
  })

  test('a preference the server did not take: the control is moved back so WeChat redraws it', async () => {
    const phone = new Phone()
    const page = await phone.open('pages/me/index')
    expect(page.data.prefs).toMatchObject({ jobMatchOn: true, dailyCapIndex: 3 })
    // What the page sets, in order (WeChat redraws a control only when its value changes).
    const patches = []
    const setData = page.setData
    page.setData = (patch, callback) => {
      patches.push(patch)
      return setData(patch, callback)
    }
    const sets = (key) => patches.filter((patch) => key in patch).map((patch) => patch[key])

    phone.ctl.setOnline(false)
    await phone.tap(page, 'onJobMatchSwitch', {}, { value: false }) // the finger turns it off
    expect(phone.ctl.modals.at(-1).content).toBe('网络不可用，请检查网络后再试')
    // Off (what the switch shows), then on (what the server holds): a change, so it is redrawn.
    expect(sets('prefs.jobMatchOn')).toEqual([false, true])
    expect(page.data.prefs.jobMatchOn).toBe(true)

    await phone.tap(page, 'onDailyCapChange', {}, { value: '7' })
    expect(sets('prefs.dailyCapIndex')).toEqual([7, 3])
    expect(page.data.prefs).toMatchObject({ dailyCap: 3, dailyCapIndex: 3 })

    await phone.tap(page, 'onQuietStartChange', {}, { value: '23:00' })
    expect(sets('prefs.quietStart')).toEqual(['23:00', '21:00'])
    phone.ctl.setOnline(true)
    const state = await callApi('/me/subscriptions', { token: tokenOf(phone) })
    expect(state.preferences).toMatchObject({ disabled_kinds: [], daily_cap: 3, quiet_start: '21:00' })
  })

  test('links: résumé, staff login, logout revokes the token', async () => {
    const phone = new Phone()
    const page = await phone.open('pages/me/index')
    await phone.tap(page, 'onResumeTap')
    expect(phone.ctl.lastNavigation()).toEqual({ api: 'navigateTo', url: '/pages/resume/index' })
    await phone.tap(page, 'onStaffLoginTap')
    expect(phone.ctl.lastNavigation()).toEqual({ api: 'navigateTo', url: '/pages/staff-login/index' })

    const token = tokenOf(phone)
    await phone.tap(page, 'onLogoutTap')
    expect(paths(phone)).toContain('POST /api/v1/auth/logout')
    expect(phone.wx.getStorageSync('session')).toBe('')
    expect(page.data).toMatchObject({ loggedIn: false, profile: null })
    expect((await server.call('/me', { token })).status).toBe(401)
  })
})

describe('end to end: a job near home reaches a subscribed resident as a WeChat message', () => {
  test('subscribe, open résumé, home at 老街 → a new job there is approved → one job_match message', async () => {
    // The resident sets everything up on the "me" page.
    const resident = new Phone()
    resident.ctl.location = LAOJIE
    const page = await resident.open('pages/me/index')
    const township = page.data.townships.findIndex((item) => item.code === LAOJIE_TOWNSHIP)
    await resident.tap(page, 'onTownshipChange', {}, { value: String(township) })
    const community = page.data.communities.findIndex((item) => item.code === LAOJIE_COMMUNITY)
    await resident.tap(page, 'onCommunityChange', {}, { value: String(community) })
    await resident.tap(page, 'onUseLocationTap')
    await resident.tap(page, 'onSaveProfile')
    // Never quiet (start == end), so the push goes now whatever the hour.
    await resident.tap(page, 'onQuietStartChange', {}, { value: '00:00' })
    await resident.tap(page, 'onQuietEndChange', {}, { value: '00:00' })
    expect(page.data.prefs.quietText).toBe('全天可接收')
    const jobMatch = templateId(page, 'job_match')
    resident.ctl.subscribeAnswer = (ids) => Object.fromEntries(ids.map((id) => [id, id === jobMatch ? 'accept' : 'reject']))
    await resident.tap(page, 'onSubscribeTap')
    expect(page.data.templates.find((item) => item.key === 'job_match').remaining).toBe(1)
    expect(resident.ctl.modals).toEqual([])

    // An open résumé makes the resident a seeker (the résumé page is elsewhere: set it here).
    const residentToken = tokenOf(resident)
    const resume = await callApi('/me/resume', {
      method: 'PUT',
      token: residentToken,
      body: { open_to_work: true, skills: ['包装'], availability: 'immediately' },
    })
    expect(resume.open_to_work).toBe(true)

    // The demo employer (verified) posts a job at its shop and submits it.
    const employer = new Phone({ openid: 'demo-employer-1' })
    await employer.load(path.join(ROOT, 'utils/api.js')).login()
    const employerToken = tokenOf(employer)
    const title = `茶叶分拣工${Date.now().toString().slice(-4)}`
    const job = await callApi('/jobs', {
      method: 'POST',
      token: employerToken,
      body: {
        title,
        description: '老街茶庄招聘茶叶分拣工，就近上岗。',
        category: 'tea_processing',
        kind: 'regular',
        wage_min: 3800,
        wage_max: 4600,
        wage_unit: 'month',
        headcount: 2,
        address: '屯溪区老街演示路8号（分店）',
        lat: JOB_POINT.lat,
        lng: JOB_POINT.lng,
        client_id: employer.load(path.join(ROOT, 'utils/api.js')).newClientId(),
      },
    })
    expect(job.employer.name).toBe('黄山演示老街茶庄')
    expect(job.community.code).toBe(LAOJIE_COMMUNITY)
    await callApi(`/jobs/${job.id}/submit`, { method: 'POST', token: employerToken })

    // The operator approves it: publishing runs the fan-out (inline in the embedded backend).
    const operator = await server.staffToken('demo-operator')
    const approved = await callApi(`/jobs/${job.id}/review`, {
      method: 'POST',
      token: operator,
      body: { decision: 'approved' },
    })
    expect(approved.status).toBe('published')

    const messages = await server.messagesTo(resident.ctl.openid)
    expect(messages).toHaveLength(1)
    expect(messages[0].template_id).toBe(jobMatch)
    expect(messages[0].data.thing1.value).toBe(title)

    // The one send the resident agreed to is used up: the page says so on the next visit.
    await resident.call(page, 'onShow')
    expect(page.data.templates.find((item) => item.key === 'job_match')).toMatchObject({ remaining: 0, canSend: false })
  })
})
