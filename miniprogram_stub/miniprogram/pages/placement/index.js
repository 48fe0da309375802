// 稳岗回访 (where a placement_followup push opens, ?id=<follow-up>): "are you still working
// there?" with a one-tap answer — 仍在岗, or 已离职 with why and the last day. Without an id, the
// latest question waiting for me. The server updates my record (docs/PLACEMENTS.md).
const api = require('../../utils/api')
const format = require('../../utils/format')
const nav = require('../../utils/nav')

// The reasons for leaving, as the server names them (LeftReason).
const REASONS = [
  { value: 'contract_ended', label: '合同到期' },
  { value: 'dismissed', label: '被辞退' },
  { value: 'wages', label: '薪酬不满意' },
  { value: 'conditions', label: '工作条件/环境' },
  { value: 'distance', label: '通勤距离' },
  { value: 'family', label: '家庭原因' },
  { value: 'health', label: '健康原因' },
  { value: 'better_job', label: '另有更好工作' },
  { value: 'other', label: '其他' },
]
const OPEN = new Set(['asked', 'task'])

/** Today on the phone's clock as 'YYYY-MM-DD' (the date picker's end; the server checks again). */
function today() {
  const now = new Date()
  const pad = (n) => String(n).padStart(2, '0')
  return `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}`
}

/** A follow-up as the page shows it. */
function followUpOf(item) {
  const reason = REASONS.find((r) => r.value === item.left_reason)
  return {
    id: item.id,
    employerName: item.employer_name || '所在单位',
    months: Math.round(item.stage_days / 30),
    startedOn: item.started_on,
    startedText: format.dayText(item.started_on),
    open: OPEN.has(item.status),
    answer: item.answer || '',
    answerText: item.answer === 'still_employed' ? '仍在岗' : item.answer === 'left' ? '已离职' : '',
    leftReason: reason ? reason.label : '',
    leftOn: item.left_on ? format.dayText(item.left_on) : '',
  }
}

Page({
  data: {
    loading: true,
    loaded: false,
    message: '',
    followUp: null,
    reasons: REASONS.map((r) => r.label),
    reasonIndex: -1,
    leftOn: '',
    leaving: false, // the 已离职 form is open
    busy: false,
    today: today(),
  },

  onLoad(query) {
    this.allowed = nav.guard(['resident'])
    this.id = Number((query && query.id) || 0)
  },

  onShow() {
    if (!this.allowed) return undefined
    return this.load()
  },

  async load() {
    this.setData({ loading: true, message: '' })
    try {
      let item = null
      if (this.id) item = await api.request(`/me/placements/${this.id}`)
      else {
        const mine = await api.request('/me/placements')
        item = mine.items.find((row) => OPEN.has(row.status)) || mine.items[0] || null
      }
      this.setData({ followUp: item ? followUpOf(item) : null, loaded: true })
    } catch (error) {
      this.setData({ message: error.message })
      if (!this.data.loaded) api.showError(error)
    } finally {
      this.setData({ loading: false })
    }
  },

  /** Send the answer (once at a time); show it as the server recorded it. */
  async send(body) {
    if (this.data.busy || !this.data.followUp) return
    this.setData({ busy: true })
    try {
      const saved = await api.request(`/me/placements/${this.data.followUp.id}/answer`, { method: 'POST', data: body })
      this.setData({ followUp: followUpOf(saved), leaving: false })
      wx.showToast({ title: '感谢您的反馈', icon: 'success' })
    } catch (error) {
      api.showError(error)
      if (error.status === 409) await this.load() // answered meanwhile (a grid worker's call)
    } finally {
      this.setData({ busy: false })
    }
  },

  /** 仍在岗: one tap. */
  onStillTap() {
    return this.send({ answer: 'still_employed' })
  },

  /** 已离职: open the form (why, the last day). */
  onLeftTap() {
    this.setData({ leaving: true, leftOn: this.data.leftOn || this.data.today })
  },

  onReasonChange(event) {
    this.setData({ reasonIndex: Number(event.detail.value) })
  },

  onLeftOnChange(event) {
    this.setData({ leftOn: event.detail.value })
  },

  /** Send 已离职 with the reason and the last day (the phone asks for a reason first). */
  onLeftSubmit() {
    if (this.data.reasonIndex < 0) {
      wx.showToast({ title: '请选择离职原因', icon: 'none' })
      return undefined
    }
    return this.send({ answer: 'left', left_reason: REASONS[this.data.reasonIndex].value, left_on: this.data.leftOn })
  },
})
