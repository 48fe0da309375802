// 办事 · 我的登记: my unemployment and employment registrations (失业登记 / 就业登记), their state
// in Chinese, number, validity and why one ended, with what I can do at each step: confirm what
// staff or my employer entered for me, withdraw, confirm I still look for work (定期联系), and
// register the end of my work (离职). docs/REGISTRATIONS.md has the workflow.
const api = require('../../utils/api')
const { confirm } = require('../../utils/dialog')
const format = require('../../utils/format')
const nav = require('../../utils/nav')

/** Today on the phone's clock as 'YYYY-MM-DD' (the date picker's end; the server checks again). */
function today() {
  const now = new Date()
  const pad = (n) => String(n).padStart(2, '0')
  return `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}`
}

/** One registration as the list shows it, with the actions its state allows the person. */
function rowOf(item) {
  const unemployment = item.kind === 'unemployment'
  const accepted = item.status === 'accepted'
  const open = item.status === 'pending_confirmation' || item.status === 'submitted'
  let subtitle = ''
  if (unemployment) subtitle = item.reason_for_leaving ? `失业原因：${item.reason_for_leaving}` : ''
  else {
    const kind = format.EMPLOYMENT_KIND_NAMES[item.employment_kind] || ''
    subtitle = [kind, item.employer_name].filter(Boolean).join(' · ')
  }
  return {
    id: item.id,
    kind: item.kind,
    kindName: format.REGISTRATION_KIND_NAMES[item.kind] || item.kind,
    status: item.status,
    statusName: format.REGISTRATION_STATUS_NAMES[item.status] || item.status,
    subtitle,
    enteredVia: format.ENTERED_VIA_NAMES[item.entered_via] || '',
    number: item.number || '',
    startedOn: item.started_on || '',
    leftOn: unemployment ? format.dayText(item.left_on) : '',
    since: unemployment ? format.dayText(item.accepted_on) : format.dayText(item.started_on),
    // Unemployment: valid until the next follow-up is due (a follow-up moves it on).
    validUntil: accepted && item.valid_until ? format.dayText(item.valid_until) : '',
    cardNumber: item.employment_card_number || '',
    reviewNote: item.status === 'rejected' ? item.review_note || '' : '',
    endedOn: item.ended_on ? format.dayText(item.ended_on) : '',
    endingReason: item.ending_reason ? format.ENDING_REASON_NAMES[item.ending_reason] || item.ending_reason : '',
    endingNote: item.ending_note || '',
    canConfirm: item.status === 'pending_confirmation',
    // An employment in effect ends by 离职, not by withdrawing it (409 registration_in_effect).
    canWithdraw: open || (accepted && unemployment),
    canFollowUp: accepted && unemployment,
    canEnd: accepted && !unemployment,
  }
}

Page({
  data: {
    loading: true,
    loaded: false,
    message: '',
    items: [],
    busyId: 0, // the registration a step is being sent for
    // The 离职 form, open under one employment registration.
    ending: { id: 0, endedOn: '', reason: '', startedOn: '' },
    today: today(),
  },

  onLoad() {
    this.allowed = nav.guard(['resident'])
    // Client ids of follow-ups not yet answered, by registration: a retry after a lost answer
    // sends the same one, and the server records the follow-up once.
    this.followUpIds = {}
  },

  /** Back from the form (or from elsewhere): the list again. */
  onShow() {
    if (!this.allowed) return undefined
    return this.load()
  },

  onPullDownRefresh() {
    return this.load().then(() => wx.stopPullDownRefresh())
  },

  async load() {
    this.setData({ loading: true, message: '' })
    try {
      const page = await api.request('/me/registrations', { data: { per_page: 50 } })
      this.setData({ items: page.items.map(rowOf), loaded: true })
    } catch (error) {
      this.setData({ message: error.message })
      if (!this.data.loaded) api.showError(error)
    } finally {
      this.setData({ loading: false })
    }
  },

  /** Put an answered registration in its place in the list. */
  replace(registration) {
    const index = this.data.items.findIndex((item) => item.id === registration.id)
    if (index >= 0) this.setData({ [`items[${index}]`]: rowOf(registration) })
  },

  /** Send one step for a registration (one at a time); `done` is the toast after it. */
  async step(id, send, done) {
    if (this.data.busyId) return
    this.setData({ busyId: id })
    try {
      this.replace(await send())
      wx.showToast({ title: done, icon: 'success' })
    } catch (error) {
      api.showError(error)
      // The state moved on meanwhile (staff accepted it, another phone withdrew it): show it.
      if (error.status === 409) await this.load()
    } finally {
      this.setData({ busyId: 0 })
    }
  },

  /** 确认: what staff or my employer entered for me goes to review. */
  async onConfirmTap(event) {
    const id = Number(event.currentTarget.dataset.id)
    const ok = await confirm('确认登记', '请核对登记内容无误。确认后将提交服务站审核。')
    if (!ok) return
    await this.step(id, () => api.request(`/me/registrations/${id}/confirm`, { method: 'POST', data: {} }), '已确认')
  },

  /** 撤回: before review it is withdrawn; an accepted unemployment registration ends. */
  async onWithdrawTap(event) {
    const id = Number(event.currentTarget.dataset.id)
    const item = this.data.items.find((row) => row.id === id)
    if (!item) return
    const inEffect = item.status === 'accepted'
    const ok = await confirm(
      inEffect ? '注销失业登记' : '撤回登记',
      inEffect ? '注销后不再享受登记失业人员的服务，确定注销吗？' : `确定撤回这条${item.kindName}吗？`,
    )
    if (!ok) return
    await this.step(
      id,
      () => api.request(`/me/registrations/${id}/withdraw`, { method: 'POST', data: {} }),
      inEffect ? '已注销' : '已撤回',
    )
  },

  /** 仍在求职: the unemployment registration stays valid another period. */
  async onFollowUpTap(event) {
    const id = Number(event.currentTarget.dataset.id)
    if (!this.followUpIds[id]) this.followUpIds[id] = api.newClientId()
    const clientId = this.followUpIds[id]
    await this.step(
      id,
      async () => {
        const answer = await api.request(`/me/registrations/${id}/follow-up`, {
          method: 'POST',
          data: { client_id: clientId },
        })
        delete this.followUpIds[id] // answered: the next confirmation is a new one
        return answer
      },
      '已确认仍在求职',
    )
  },

  // ---- 登记离职 (an employment registration in effect) ----

  onEndTap(event) {
    const id = Number(event.currentTarget.dataset.id)
    const item = this.data.items.find((row) => row.id === id)
    if (!item) return
    this.setData({ ending: { id, endedOn: '', reason: '', startedOn: item.startedOn }, today: today() })
  },

  onEndCancel() {
    this.setData({ ending: { id: 0, endedOn: '', reason: '', startedOn: '' } })
  },

  onEndDateChange(event) {
    this.setData({ 'ending.endedOn': String(event.detail.value || '') })
  },

  onEndReasonInput(event) {
    this.setData({ 'ending.reason': String(event.detail.value || '') })
  },

  async onEndSubmit() {
    const ending = this.data.ending
    if (!ending.id) return
    if (!ending.endedOn) {
      wx.showModal({ title: '提示', content: '请选择离职日期', showCancel: false })
      return
    }
    const ok = await confirm('登记离职', `离职日期 ${format.dayText(ending.endedOn)}，确定登记吗？`)
    if (!ok) return
    const data = { ended_on: ending.endedOn, reason: ending.reason.trim() || null }
    await this.step(ending.id, () => api.request(`/me/registrations/${ending.id}/end`, { method: 'POST', data }), '已登记离职')
    if (this.data.items.some((item) => item.id === ending.id && item.status === 'ended')) this.onEndCancel()
  },

  // ---- links ----

  onApplyTap(event) {
    const kind = event.currentTarget.dataset.kind === 'employment' ? 'employment' : 'unemployment'
    wx.navigateTo({ url: `/pages/registration-apply/index?kind=${kind}` })
  },

  onCertificationsTap() {
    wx.navigateTo({ url: '/pages/certifications/index' })
  },
})
