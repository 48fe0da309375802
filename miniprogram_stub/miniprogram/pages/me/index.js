// "我的": who I am (logged in silently), my WeChat-vouched phone, name/community/home, the job
// alerts I agreed to receive and when, and the way to my résumé or to the staff login.
const api = require('../../utils/api')
const format = require('../../utils/format')
const location = require('../../utils/location')
const nav = require('../../utils/nav')
const roles = require('../../utils/roles')
const subscriptions = require('../../utils/subscriptions')

// The one-time templates the "订阅岗位提醒" button asks for: each accept is one message.
const ALERT_KEYS = ['job_match', 'application_update']
// 办事进度 (registrations, certifications: docs/REGISTRATIONS.md), asked for in the 办事 section.
const RECORD_KEY = 'record_update'
// A phone code is good once and for a few minutes: WeChat's button has to be tapped again.
const PHONE_CODE_USED = '手机号授权已失效，请重新点击绑定'
// Coming back to the tab without a network: the page keeps what it showed and says so.
const OFFLINE_NOTE = '网络不可用，显示的是上次获取的信息'
// The pages the 求职 and 办事 cards open.
const ME_LINKS = ['applications', 'recommended', 'events', 'my-check-ins', 'policies', 'claims', 'notices']
const DAILY_CAPS = Array.from({ length: 21 }, (unused, n) => String(n)) // the API allows 0–20

/** GET /me as the page shows it (the server already masks the phone). */
function profileView(me) {
  return {
    name: me.name || '未填写',
    phone: me.phone || '',
    phoneBound: !!me.phone_bound,
    community: me.community ? me.community.name : '未选择',
    status: format.STATUS_NAMES[me.employment_status] || '未填写',
    hasHome: me.home_lat !== null && me.home_lat !== undefined,
  }
}

/** A community code's township: the same first nine digits, then 000 (341002002001 → 341002002000). */
function townshipOf(communityCode) {
  return communityCode ? `${communityCode.slice(0, 9)}000` : ''
}

Page({
  data: {
    loggedIn: false,
    staff: null, // { name } when a staff member is logged in on this phone: no resident profile
    loading: false,
    message: '',
    profile: null,
    phoneNote: '',
    form: { name: '', communityCode: '', homeLat: null, homeLng: null },
    homeText: '',
    townships: [], // [{ code, name }] of every circle
    townshipIndex: -1,
    communities: [], // [{ code, name }] of the chosen township
    communityIndex: -1,
    saving: false,
    templates: [], // [{ key, name, templateId, oneTime, remaining, canSend }]
    subscribeNote: '',
    recordSubscribed: false, // 办事进度 (record_update, long-term): one accept keeps it on
    recordNote: '',
    prefs: { jobMatchOn: true, dailyCap: 3, dailyCapIndex: 3, quietStart: '21:00', quietEnd: '08:00', quietText: '' },
    disabledKinds: [],
    dailyCaps: DAILY_CAPS,
  },

  onLoad() {
    // An employer's own pages are elsewhere (GET /me is a resident's); staff keep the login links here.
    this.allowed = nav.guard(Object.keys(roles.TABS).filter((role) => role !== 'employer'))
    if (!this.allowed) return undefined
    return this.load()
  },

  /**
   * A tab page stays loaded: coming back (from the résumé page, another tab) must not refill
   * the form from the server over what the person is typing, so only the summary at the top
   * and the alerts are fetched again, quietly. The first show follows onLoad's own load.
   */
  onShow() {
    if (!this.allowed) return Promise.resolve()
    if (!this.shown) {
      this.shown = true
      return Promise.resolve()
    }
    return this.refresh()
  },

  /** Load everything, the form included (onLoad, and the 登录 link after logging out). */
  load() {
    return this.loadAll(true)
  },

  /**
   * The profile, the subscriptions and the places (a resident is logged in silently).
   * `withDialog`: a failure is also shown in a dialog (the person asked for this).
   */
  async loadAll(withDialog) {
    const session = api.session()
    if (session && session.kind === 'staff') {
      this.setData({ loggedIn: true, staff: { name: session.name }, profile: null })
      return
    }
    this.setData({ loading: true, message: '', staff: null })
    try {
      const me = await api.request('/me')
      this.showProfile(me, true)
      this.formLoaded = true
      this.setData({ loggedIn: true })
      await this.resendPendingReports()
      this.showSubscriptions(await api.request('/me/subscriptions'))
      await this.loadPlaces(me.community ? me.community.code : '')
    } catch (error) {
      this.setData({ message: error.message })
      if (withDialog) api.showError(error)
    } finally {
      this.setData({ loading: false })
    }
  },

  /** Back on the tab: the summary and the alerts again; a failure is a note, not a dialog. */
  async refresh() {
    const session = api.session()
    // Nothing in the form yet (the first load failed, a staff member was logged in): load it all.
    if (!this.formLoaded || (session && session.kind === 'staff')) return this.loadAll(false)
    try {
      const me = await api.request('/me')
      this.showProfile(me, false)
      this.setData({ loggedIn: true, staff: null, message: '' })
      await this.resendPendingReports()
      this.showSubscriptions(await api.request('/me/subscriptions'))
    } catch (error) {
      this.setData({ message: error.status === 0 ? OFFLINE_NOTE : error.message })
    }
  },

  /** Show GET /me; `resetForm` also fills the edit form from it (not while editing). */
  showProfile(me, resetForm) {
    const patch = { profile: profileView(me) }
    if (resetForm) {
      patch.form = {
        name: me.name || '',
        communityCode: me.community ? me.community.code : '',
        homeLat: me.home_lat === undefined ? null : me.home_lat,
        homeLng: me.home_lng === undefined ? null : me.home_lng,
      }
      patch.homeText = patch.form.homeLat === null ? '未设置' : '已设置'
    }
    this.setData(patch)
  },

  /** Show GET/POST /me/subscriptions and PATCH /me/push-preferences answers (one shape). */
  showSubscriptions(answer) {
    const prefs = answer.preferences
    const templates = answer.templates.map((item) => ({
      key: item.key,
      name: format.PUSH_KIND_NAMES[item.key] || item.key,
      templateId: item.template_id,
      oneTime: item.kind === 'one_time',
      remaining: item.remaining === null || item.remaining === undefined ? 0 : item.remaining,
      canSend: item.can_send,
    }))
    const record = templates.find((item) => item.key === RECORD_KEY)
    this.setData({
      templates,
      recordSubscribed: !!(record && record.canSend),
      disabledKinds: prefs.disabled_kinds,
      prefs: {
        jobMatchOn: prefs.disabled_kinds.indexOf('job_match') < 0,
        smsOn: prefs.sms_enabled !== false,
        dailyCap: prefs.daily_cap,
        dailyCapIndex: prefs.daily_cap,
        quietStart: prefs.quiet_start,
        quietEnd: prefs.quiet_end,
        quietText: format.quietHours(prefs.quiet_start, prefs.quiet_end),
      },
    })
  },

  // ---- places: township, then its communities (GET /places/communities needs ?township=) ----

  async loadPlaces(communityCode) {
    if (!this.data.townships.length) {
      const circles = await api.request('/places/circles', { auth: false })
      const townships = []
      for (const circle of circles) {
        for (const township of circle.townships) townships.push({ code: township.code, name: township.name })
      }
      this.setData({ townships })
    }
    const township = townshipOf(communityCode)
    const index = this.data.townships.findIndex((item) => item.code === township)
    this.setData({ townshipIndex: index })
    if (index >= 0) await this.loadCommunities(township, communityCode)
  },

  async loadCommunities(townshipCode, selectedCode) {
    const list = await api.request('/places/communities', { data: { township: townshipCode }, auth: false })
    const communities = list.map((item) => ({ code: item.code, name: item.name }))
    this.setData({ communities, communityIndex: communities.findIndex((item) => item.code === selectedCode) })
  },

  async onTownshipChange(event) {
    const index = Number(event.detail.value)
    const township = this.data.townships[index]
    if (!township) return
    this.setData({ townshipIndex: index, communities: [], communityIndex: -1, 'form.communityCode': '' })
    try {
      await this.loadCommunities(township.code, '')
    } catch (error) {
      api.showError(error)
    }
  },

  onCommunityChange(event) {
    const index = Number(event.detail.value)
    const community = this.data.communities[index]
    if (community) this.setData({ communityIndex: index, 'form.communityCode': community.code })
  },

  onNameInput(event) {
    this.setData({ 'form.name': String(event.detail.value || '') })
  },

  /** "用当前位置作为家": the phone's position becomes the home (saved with 保存). */
  async onUseLocationTap() {
    const point = await location.current()
    if (!point) {
      this.setData({ homeText: '未获取到位置，请在设置中允许使用位置' })
      return
    }
    this.setData({ 'form.homeLat': point.lat, 'form.homeLng': point.lng, homeText: '已使用当前位置（待保存）' })
  },

  /** PATCH /me with what the form holds; an empty name is not sent (the server needs one). */
  async onSaveProfile() {
    const form = this.data.form
    const changes = {}
    if (form.name.trim()) changes.name = form.name.trim()
    if (form.communityCode) changes.community_code = form.communityCode
    if (form.homeLat !== null && form.homeLng !== null) {
      changes.home_lat = form.homeLat
      changes.home_lng = form.homeLng
    }
    this.setData({ saving: true })
    try {
      const me = await api.request('/me', { method: 'PATCH', data: changes })
      this.showProfile(me, true)
      wx.showToast({ title: '已保存' })
    } catch (error) {
      api.showError(error)
    } finally {
      this.setData({ saving: false })
    }
  },

  // ---- phone: only the number WeChat vouches for (a getPhoneNumber button) ----

  async onGetPhoneNumber(event) {
    const detail = (event && event.detail) || {}
    if (!detail.code) {
      // Refused (errMsg '…fail user deny') or not available: nothing to send, no scolding.
      const denied = String(detail.errMsg || '').indexOf('deny') >= 0
      this.setData({ phoneNote: denied ? '您暂未授权手机号，需要时可再点“绑定手机号”' : '暂时无法获取手机号，请稍后再试' })
      return
    }
    this.setData({ phoneNote: '' })
    try {
      const me = await api.request('/auth/wechat-phone', { method: 'POST', data: { code: detail.code } })
      this.showProfile(me, false)
      wx.showToast({ title: '手机号已绑定' })
    } catch (error) {
      // A used or expired code is not the person's fault and not a login problem: tap again.
      const message = error.code === 'wechat_code_invalid' ? PHONE_CODE_USED : error.message
      this.setData({ phoneNote: message })
      api.showError({ message })
    }
  },

  // ---- subscriptions ----

  /**
   * "订阅岗位提醒". WeChat accepts requestSubscribeMessage only inside a tap, so it is called
   * here at once, before anything asynchronous; the answer goes to the server as it is.
   */
  onSubscribeTap() {
    const tmplIds = this.data.templates
      .filter((item) => item.oneTime && ALERT_KEYS.indexOf(item.key) >= 0)
      .map((item) => item.templateId)
    if (!tmplIds.length) return Promise.resolve()
    return new Promise((resolve) => {
      wx.requestSubscribeMessage({
        tmplIds,
        success: (results) => resolve(results),
        fail: () => resolve(null),
      })
    }).then((results) => {
      if (!results) {
        this.setData({ subscribeNote: '未能打开订阅，请稍后再试' })
        return null
      }
      return this.report({ client_id: api.newClientId(), results })
    })
  },

  /**
   * Pass WeChat's answer on (utils/subscriptions.js keeps it for the next visit when it cannot
   * go through now). `quiet`: a resend nobody tapped for, so a refusal is not shown in a dialog.
   */
  async report(body, quiet) {
    let answer
    try {
      answer = await subscriptions.report(body)
    } catch (error) {
      if (!quiet) api.showError(error)
      return null
    }
    if (answer === null) {
      this.setData({ subscribeNote: '订阅结果暂时没能提交，将在下次打开时提交' })
      return null
    }
    this.showReported(answer)
    return answer
  },

  /** Show the counts after a report went through. */
  showReported(answer) {
    this.showSubscriptions(answer)
    const match = this.data.templates.find((item) => item.key === 'job_match')
    this.setData({
      subscribeNote: match && match.remaining ? `还可收到${match.remaining}条岗位提醒` : '未订阅岗位提醒',
    })
  },

  /** Send the reports kept from earlier visits, oldest first. */
  async resendPendingReports() {
    const answer = await subscriptions.resendPending()
    if (answer) this.showReported(answer)
    else if (subscriptions.pending().length) {
      this.setData({ subscribeNote: '订阅结果暂时没能提交，将在下次打开时提交' })
    }
  },

  // ---- push preferences (each change is saved at once) ----

  /** PATCH the change; `moved` is what the control shows now ({ prefs key: value }). */
  async savePreferences(values, moved) {
    try {
      this.showSubscriptions(await api.request('/me/push-preferences', { method: 'PATCH', data: values }))
    } catch (error) {
      api.showError(error)
      await this.putBack(moved)
    }
  },

  /**
   * Put a switch or picker the person moved back to what the server holds. `prefs` still holds
   * that value, and WeChat re-renders only data that changes, so setting it again would leave
   * the control where the finger put it: first set what the control shows, then the held value.
   */
  putBack(moved) {
    const shown = {}
    const held = {}
    for (const key of Object.keys(moved)) {
      shown[`prefs.${key}`] = moved[key]
      held[`prefs.${key}`] = this.data.prefs[key]
    }
    return new Promise((resolve) => {
      this.setData(shown, () => this.setData(held, resolve))
    })
  },

  onJobMatchSwitch(event) {
    const on = !!event.detail.value
    const others = this.data.disabledKinds.filter((kind) => kind !== 'job_match')
    return this.savePreferences({ disabled_kinds: on ? others : others.concat('job_match') }, { jobMatchOn: on })
  },

  /** SMS on or off for my phone (off: as an unsubscribe reply would; docs/PUSH.md). */
  onSmsSwitch(event) {
    const on = !!event.detail.value
    return this.savePreferences({ sms_enabled: on }, { smsOn: on })
  },

  onDailyCapChange(event) {
    const index = Number(event.detail.value)
    return this.savePreferences({ daily_cap: index }, { dailyCapIndex: index })
  },

  onQuietStartChange(event) {
    return this.savePreferences({ quiet_start: event.detail.value }, { quietStart: event.detail.value })
  },

  onQuietEndChange(event) {
    return this.savePreferences({ quiet_end: event.detail.value }, { quietEnd: event.detail.value })
  },

  // ---- links ----

  /**
   * "订阅办事进度提醒" (办事): the record_update template, asked for inside the tap as WeChat
   * requires; a long-term template, so one accept covers every outcome to come.
   */
  onRecordSubscribeTap() {
    const record = this.data.templates.find((item) => item.key === RECORD_KEY)
    if (!record) return Promise.resolve()
    return new Promise((resolve) => {
      wx.requestSubscribeMessage({
        tmplIds: [record.templateId],
        success: (results) => resolve(results),
        fail: () => resolve(null),
      })
    }).then(async (results) => {
      if (!results) {
        this.setData({ recordNote: '未能打开订阅，请稍后再试' })
        return null
      }
      let answer
      try {
        answer = await subscriptions.report({ client_id: api.newClientId(), results })
      } catch (error) {
        api.showError(error)
        return null
      }
      if (answer === null) {
        this.setData({ recordNote: '订阅结果暂时没能提交，将在下次打开时提交' })
        return null
      }
      this.showSubscriptions(answer)
      this.setData({ recordNote: this.data.recordSubscribed ? '已订阅，办理结果会通过微信通知您' : '未订阅办事进度提醒' })
      return answer
    })
  },

  /** 办事: my unemployment / employment registrations. */
  onRegistrationsTap() {
    wx.navigateTo({ url: '/pages/registrations/index' })
  },

  /** 办事: my certified key groups. */
  onCertificationsTap() {
    wx.navigateTo({ url: '/pages/certifications/index' })
  },

  onResumeTap() {
    wx.navigateTo({ url: '/pages/resume/index' })
  },

  /** 求职 and 办事 links (我的应聘, 为你推荐, 招聘会, 我的签到, 我的政策, 我的申领, 通知公告). */
  onOpenTap(event) {
    const page = event.currentTarget.dataset.page
    if (ME_LINKS.includes(page)) wx.navigateTo({ url: `/pages/${page}/index` })
  },

  /** 我是企业: register the business (the account becomes an employer's). */
  onEmployerTap() {
    wx.navigateTo({ url: '/pages/employer-register/index' })
  },

  /** 协议与授权: what I agreed to, withdrawing it, asking for my data to be deleted. */
  onConsentTap() {
    wx.navigateTo({ url: '/pages/consent/index' })
  },

  onStaffLoginTap() {
    wx.navigateTo({ url: '/pages/staff-login/index' })
  },

  /** Log out (the token is revoked); a resident is logged in again on the next request. */
  async onLogoutTap() {
    await api.logout()
    this.formLoaded = false // whoever uses the page next gets their own form
    this.setData({
      loggedIn: false,
      staff: null,
      profile: null,
      templates: [],
      phoneNote: '',
      subscribeNote: '',
      recordSubscribed: false,
      recordNote: '',
      message: '已退出登录',
    })
    wx.showToast({ title: '已退出登录' })
  },
})
