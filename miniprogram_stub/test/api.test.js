// utils/api.js: the session, the silent re-login, staff sessions, errors as people read them.
const fs = require('fs')
const os = require('os')
const path = require('path')
const { Phone, ROOT } = require('./support/harness')
const server = require('./support/server')

const apiOf = (phone) => phone.load(path.join(ROOT, 'utils/api.js'))
const paths = (phone) => phone.ctl.calls.map((call) => `${call.method} ${call.path} ${call.statusCode}`)

describe('utils/api.js', () => {
  test('logs a resident in with wx.login on first use and keeps the token', async () => {
    const phone = new Phone()
    const api = apiOf(phone)
    const me = await api.request('/me')
    expect(me.id).toEqual(expect.any(Number))
    await api.request('/me')
    expect(paths(phone)).toEqual([
      'POST /api/v1/auth/wechat-login 200',
      'GET /api/v1/me 200',
      'GET /api/v1/me 200',
    ])
    expect(phone.wx.getStorageSync('session')).toMatchObject({ kind: 'resident', role: 'resident' })
  })

  test('a lapsed resident token is replaced silently and the request retried once', async () => {
    const phone = new Phone()
    const api = apiOf(phone)
    const first = await api.request('/me')
    const token = server.tokenOf(phone)
    // The token dies on the server (as after 30 days, or a logout elsewhere).
    const logout = await server.call('/auth/logout', { method: 'POST', token, body: {} })
    expect(logout.status).toBe(204)

    const again = await api.request('/me')
    expect(again.id).toBe(first.id) // the same WeChat user, the same resident
    expect(paths(phone).slice(2)).toEqual([
      'GET /api/v1/me 401',
      'POST /api/v1/auth/wechat-login 200',
      'GET /api/v1/me 200',
    ])
    expect(phone.wx.getStorageSync('session').token).not.toBe(token)
  })

  test('two requests at once share one login', async () => {
    const phone = new Phone()
    const api = apiOf(phone)
    await Promise.all([api.request('/me'), api.request('/me/subscriptions')])
    expect(paths(phone).filter((line) => line.includes('wechat-login'))).toHaveLength(1)
  })

  test('two requests refused at once on a lapsed token log in again once', async () => {
    const phone = new Phone()
    const api = apiOf(phone)
    await api.request('/me')
    phone.wx.setStorageSync('session', { ...phone.wx.getStorageSync('session'), token: 'lapsed' })
    const [me, subscriptions] = await Promise.all([api.request('/me'), api.request('/me/subscriptions')])
    expect(me.id).toEqual(expect.any(Number))
    expect(subscriptions.templates.length).toBeGreaterThan(0)
    expect(paths(phone).filter((line) => line.includes('wechat-login'))).toHaveLength(2) // first + one
  })

  test('a lapsed token on a request that needs no login is dropped, and the request sent without it', async () => {
    const phone = new Phone()
    const api = apiOf(phone)
    await api.staffLogin('demo-grid-worker', phone.backend.password)
    phone.wx.setStorageSync('session', { ...phone.wx.getStorageSync('session'), token: 'lapsed' })
    const list = await api.request('/jobs', { data: { lat: 29.7155, lng: 118.3175 }, auth: false })
    const id = list.items[0].job.id
    const job = await api.request(`/jobs/${id}`, { auth: 'optional' })
    expect(job).toMatchObject({ id, contact: null }) // seen as anyone: no contact
    expect(paths(phone).slice(-2)).toEqual([`GET /api/v1/jobs/${id} 401`, `GET /api/v1/jobs/${id} 200`])
    expect(phone.ctl.navigations).toEqual([]) // browsing jobs does not throw anyone onto a login page
    expect(phone.wx.getStorageSync('session')).toBe('')
  })

  test('a 401 about the request itself (a used phone code) is not taken for a lapsed login', async () => {
    const phone = new Phone()
    const api = apiOf(phone)
    await api.request('/me')
    const code = await phone.ctl.phoneCode()
    await api.request('/auth/wechat-phone', { method: 'POST', data: { code } })
    const error = await api
      .request('/auth/wechat-phone', { method: 'POST', data: { code } })
      .catch((failure) => failure)
    expect(error).toMatchObject({ status: 401, code: 'wechat_code_invalid' })
    expect(paths(phone).filter((line) => line.includes('wechat-login'))).toHaveLength(1)
    expect(phone.wx.getStorageSync('session')).toMatchObject({ kind: 'resident' })
  })

  test('a staff token that lapses opens the staff login page instead of a WeChat login', async () => {
    const phone = new Phone()
    const api = apiOf(phone)
    await api.staffLogin('demo-grid-worker', phone.backend.password)
    phone.wx.setStorageSync('session', { ...phone.wx.getStorageSync('session'), token: 'expired-token' })

    await expect(api.request('/grid/progress')).rejects.toMatchObject({ status: 401, code: 'token_invalid' })
    expect(phone.ctl.lastNavigation()).toEqual({ api: 'reLaunch', url: '/pages/staff-login/index' })
    expect(phone.wx.getStorageSync('session')).toBe('')
    expect(paths(phone).some((line) => line.includes('wechat-login'))).toBe(false)
  })

  test('a known error code reads in Chinese; an unknown one shows the server’s message', async () => {
    const phone = new Phone()
    const api = apiOf(phone)
    const login = await api.staffLogin('demo-grid-worker', 'wrong-password').catch((error) => error)
    expect(login).toMatchObject({ status: 401, code: 'invalid_credentials', message: '用户名或密码错误' })
    expect(login.serverMessage).toEqual(expect.any(String))

    // A radius below 100 m: a plain validation error, which the app has no sentence for.
    const error = await api
      .request('/me', { method: 'PATCH', data: { seek_radius_m: 5 } })
      .catch((failure) => failure)
    expect(error).toMatchObject({ status: 422, code: 'validation_error', field: 'seek_radius_m' })
    expect(error.message).toBe(error.serverMessage)
    expect(error.message).toMatch(/100/)
    api.showError(error)
    expect(phone.ctl.modals.at(-1)).toEqual({ title: '提示', content: error.message })
  })

  test('no network: a network_error with a sentence, and nothing is sent', async () => {
    const phone = new Phone()
    const api = apiOf(phone)
    await api.request('/me')
    phone.ctl.setOnline(false)
    const error = await api.request('/me').catch((failure) => failure)
    expect(error).toMatchObject({ status: 0, code: 'network_error', message: '网络不可用，请检查网络后再试' })
    expect(phone.ctl.calls).toHaveLength(2)
  })

  test('client ids are fresh and within the API’s 8–64 characters', () => {
    const phone = new Phone()
    const api = apiOf(phone)
    const ids = new Set(Array.from({ length: 200 }, () => api.newClientId()))
    expect(ids.size).toBe(200)
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{32}$/)
  })

  test('a develop build may log in through the local fake WeChat (DevTools beside make run)', async () => {
    const phone = new Phone()
    phone.wx.setStorageSync('debug.fakeWechat', `${phone.backend.wechatBase}/`)
    phone.wx.login = () => {
      throw new Error('wx.login must not be used when the fake WeChat switch is set')
    }
    const api = apiOf(phone)
    const me = await api.request('/me')
    expect(me.id).toEqual(expect.any(Number))
    const openid = phone.wx.getStorageSync('debug.openid')
    expect(openid).toMatch(/^o-devtools-/)
    // The same fake user next time: logging in again finds the same resident.
    phone.wx.removeStorageSync('session')
    expect((await api.request('/me')).id).toBe(me.id)
    expect(phone.ctl.calls.filter((call) => call.path === '/_fake/codes')).toHaveLength(2)
  })

  test('a trial build talks to the trial server and ignores both debug switches', async () => {
    const phone = new Phone() // its storage holds 'debug.apiBase' (the test backend)
    phone.ctl.accountInfo.miniProgram.envVersion = 'trial'
    phone.wx.setStorageSync('debug.fakeWechat', phone.backend.wechatBase)
    const config = phone.load(path.join(ROOT, 'utils/config.js'))
    expect(config.baseUrl()).toBe('https://jiuye-test.huangshan.example.cn')
    expect(config.fakeWechatBase()).toBeNull()

    // A request really goes there (answered here as an unreachable server would).
    const sent = []
    phone.wx.request = (options) => {
      sent.push(options.url)
      setImmediate(() => options.fail({ errMsg: 'request:fail url not in domain list' }))
    }
    const api = apiOf(phone)
    const error = await api.request('/jobs', { data: { lat: 29.7155, lng: 118.3175 }, auth: false }).catch((e) => e)
    expect(sent).toEqual(['https://jiuye-test.huangshan.example.cn/api/v1/jobs'])
    expect(error).toMatchObject({ status: 0, code: 'network_error', message: '网络不可用，请检查网络后再试' })
  })

  test('wx.login fails: a sentence to read, nothing sent to our server, and the next try logs in', async () => {
    const phone = new Phone()
    const login = phone.wx.login
    phone.wx.login = (options) => setImmediate(() => options.fail({ errMsg: 'login:fail system error' }))
    const api = apiOf(phone)

    const error = await api.request('/me').catch((failure) => failure)
    expect(error).toBeInstanceOf(api.ApiError)
    expect(error).toMatchObject({
      status: 0,
      code: 'network_error',
      message: '网络不可用，请检查网络后再试',
      serverMessage: 'login:fail system error',
    })
    expect(phone.ctl.calls).toEqual([]) // neither /auth/wechat-login nor /me
    expect(phone.wx.getStorageSync('session')).toBe('')

    // The failed attempt is not kept as "the login in flight": the next request logs in.
    phone.wx.login = login
    const me = await api.request('/me')
    expect(me.id).toEqual(expect.any(Number))
    expect(paths(phone)).toEqual(['POST /api/v1/auth/wechat-login 200', 'GET /api/v1/me 200'])
  })

  test('an upload refused on a lapsed resident token: one silent login, and the file is attached', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mp-api-'))
    try {
      const pdf = path.join(dir, 'cv.pdf')
      fs.writeFileSync(pdf, `%PDF-1.4\n% ${Math.random()}\ntrailer << >>\n%%EOF\n`)
      const phone = new Phone()
      // The temporary path WeChat's file picker hands over, for that file.
      phone.ctl.files['wxfile://tmp_0a1b2c3d4e5f.pdf'] = pdf
      const api = apiOf(phone)
      await api.request('/me')
      const token = server.tokenOf(phone)
      expect((await server.call('/auth/logout', { method: 'POST', token, body: {} })).status).toBe(204)

      const row = await api.upload('/me/resume/files', 'wxfile://tmp_0a1b2c3d4e5f.pdf', { formData: { name: '我的简历.pdf' } })
      expect(row).toMatchObject({ name: '我的简历.pdf', content_type: 'application/pdf', size: fs.statSync(pdf).size })
      expect(paths(phone).slice(2)).toEqual([
        'POST /api/v1/me/resume/files 401',
        'POST /api/v1/auth/wechat-login 200',
        'POST /api/v1/me/resume/files 201',
      ])
      // On the server, with the new token: the résumé holds that one file.
      const fresh = server.tokenOf(phone)
      expect(fresh).not.toBe(token)
      const resume = await server.call('/me/resume', { token: fresh })
      expect(resume.body.files.map((file) => [file.id, file.name])).toEqual([[row.id, '我的简历.pdf']])
    } finally {
      fs.rmSync(dir, { recursive: true, force: true })
    }
  })

  test('the same code reads differently by field: an expired QR code is not an expired login', () => {
    const phone = new Phone()
    const messages = phone.load(path.join(ROOT, 'utils/messages.js'))
    expect(messages.forError({ code: 'token_expired', field: 'url_or_token', message: 'x' }, 422)).toBe(
      '二维码已过期，请重新扫描屏幕上的二维码',
    )
    expect(messages.forError({ code: 'token_expired', message: 'x' }, 401)).toBe('登录已过期，请重新登录')
    expect(messages.forError({ code: 'token_expired', field: 'other', message: 'x' }, 422)).toBe('登录已过期，请重新登录')
    // Without an envelope: by the status.
    expect(messages.forError(null, 0)).toBe('网络不可用，请检查网络后再试')
    expect(messages.forError(null, 504)).toBe('服务器开小差了，请稍后再试')
    expect(messages.forError(null, 404)).toBe('请求失败 (404)')
  })

  test("the server's newer refusals read in Chinese, not as the server's English", () => {
    const phone = new Phone()
    const messages = phone.load(path.join(ROOT, 'utils/messages.js'))
    const read = (code, status, field) => messages.forError({ code, field, message: 'the English sentence' }, status)
    expect(read('service_unavailable', 503)).toBe('服务暂时不可用，请稍后再试')
    expect(read('invalid_json', 400)).toBe('提交的内容有误，请重试')
    expect(read('body_required', 422)).toBe('没有收到要保存的内容，请重试')
    expect(read('file_has_macros', 415, 'file')).toBe('这个Word文件含有宏，请另存为普通文档（.docx）或PDF后再上传')
    expect(read('token_from_future', 422, 'url_or_token')).toBe('这张二维码的日期有误，请联系服务站工作人员更换二维码')
    expect(read('since_in_future', 422, 'since')).toBe('开始日期不能晚于今天')
    expect(read('period_reversed', 422, 'until')).toBe('结束日期不能早于开始日期')
    expect(read('hours_reversed', 422, 'opening_hours.weekly.mon.0.closes')).toBe('开放时间有误：结束时间要晚于开始时间')
    expect(read('hours_overlap', 422, 'opening_hours.weekly.mon.1.opens')).toBe('开放时间段有重叠，请调整后再保存')
    expect(read('duplicate_exception_date', 422)).toBe('同一天的特殊安排填写了两次')
    expect(read('exception_hours_mismatch', 422)).toBe('特殊安排有误：休息日不填时间，开放日请填写开放时间')
    expect(read('totp_required', 401, 'totp_code')).toBe(
      '此账号已开启二次验证，小程序不能输入验证码，请在电脑上使用管理后台；区、市管理员以外的账号也可在管理后台“账号安全”中关闭二次验证后再用小程序',
    )
    expect(read('invalid_code', 401)).toBe('验证码错误或已使用过，请输入认证器上的新验证码')
    // A 503 without an envelope (a proxy in front of the API): unavailable, not "broken".
    expect(messages.forError(null, 503)).toBe('服务暂时不可用，请稍后再试')
  })

  test('every code messages.js knows is one the server answers (or one the app makes itself)', () => {
    const phone = new Phone()
    const { BY_CODE } = phone.load(path.join(ROOT, 'utils/messages.js'))
    // The server's source, where every code is written out as a string.
    const sources = []
    const walk = (dir) => {
      for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
        const full = path.join(dir, entry.name)
        if (entry.isDirectory()) walk(full)
        else if (entry.name.endsWith('.py')) sources.push(fs.readFileSync(full, 'utf8'))
      }
    }
    walk(path.resolve(ROOT, '../../app'))
    const server = sources.join('\n')
    // Made on the phone: no network, and the route-specific sentences (BY_FIELD, forCheckIn).
    const own = new Set(['network_error', 'token_expired_qr', 'location_required_station'])
    const unknown = Object.keys(BY_CODE).filter((code) => !own.has(code) && !server.includes(`"${code}"`))
    expect(unknown).toEqual([])
  })

  test('a release build ignores both debug switches', () => {
    const phone = new Phone()
    phone.ctl.accountInfo.miniProgram.envVersion = 'release'
    phone.wx.setStorageSync('debug.fakeWechat', phone.backend.wechatBase)
    const config = phone.load(path.join(ROOT, 'utils/config.js'))
    expect(config.baseUrl()).toBe('https://jiuye.huangshan.example.cn')
    expect(config.fakeWechatBase()).toBeNull()
  })
})
