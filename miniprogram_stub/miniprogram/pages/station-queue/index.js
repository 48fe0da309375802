// 叫号: today's queue at my station, refreshed every 15 s while shown; 叫下一位 calls the next
// waiting visitor to my counter (one visitor to one clerk, the server decides); 办结 records a
// coded outcome and whether it needs following up; the open follow-ups below, to close.
const api = require('../../utils/api')
const checkInCode = require('../../utils/check-in-code')
const dialog = require('../../utils/dialog')
const format = require('../../utils/format')
const nav = require('../../utils/nav')
const { OUTCOMES, OUTCOME_LABELS } = require('../../utils/serve-outcomes')
const staffStations = require('../../utils/staff-stations')

// Who serves visitors (the server's SERVE_ROLES).
const SERVE_ROLES = ['station_staff', 'operator', 'township_admin', 'district_admin', 'city_admin']
const REFRESH_MS = 15000

/** A check-in as the queue shows it; `me` is my account id (who called whom). */
function queueRow(item, me) {
  const person = item.person || {}
  let state = 'waiting'
  if (item.served_at) state = 'served'
  else if (item.called_at) state = item.called_by_id === me ? 'mine' : 'called'
  const states = { waiting: '等候中', mine: '已叫到我的窗口', called: '已被其他窗口叫号', served: '已办结' }
  return {
    id: item.id,
    number: item.queue_number === null || item.queue_number === undefined ? '' : String(item.queue_number),
    residentId: person.resident_id || null,
    name: person.name || '未登记居民',
    phone: person.phone || '',
    purpose: checkInCode.PURPOSE_NAMES[item.purpose] || item.purpose,
    time: format.shortTime(item.created_at),
    state,
    stateText: item.out_of_hours && !item.served_at ? '非开放时间来访' : states[state],
    outcome: item.outcome ? OUTCOME_LABELS[item.outcome] || item.outcome : '',
    followUp: !!item.follow_up && !item.follow_up_closed_at,
  }
}

Page({
  data: {
    stations: [],
    stationIndex: 0,
    station: null,
    current: null, // the visitor I called and have not served yet
    waiting: [],
    called: [], // called by other counters, not served yet
    served: [],
    followUps: [],
    outcomes: OUTCOMES,
    serving: null, // the 办结 form: { id, number, name, outcomeIndex, followUp, note }
    calling: false,
    saving: false,
    loading: false,
    message: '',
  },

  onLoad() {
    this.allowed = nav.guard(SERVE_ROLES)
  },

  async onShow() {
    if (!this.allowed) return
    this.startTimer()
    if (!this.data.stations.length) await this.loadStations()
    else await this.refresh(false)
  },

  onHide() {
    this.stopTimer()
  },

  onUnload() {
    this.stopTimer()
  },

  onPullDownRefresh() {
    return this.refresh(false).then(() => wx.stopPullDownRefresh())
  },

  /** Refresh the queue every 15 s while the page is shown (a new visitor, another clerk's call). */
  startTimer() {
    this.stopTimer()
    this.timer = setInterval(() => this.refresh(true), REFRESH_MS)
  },

  stopTimer() {
    if (this.timer) clearInterval(this.timer)
    this.timer = null
  },

  async loadStations() {
    this.setData({ loading: true, message: '' })
    try {
      const stations = await staffStations.list()
      const stationIndex = staffStations.rememberedIndex(stations)
      this.setData({ stations, stationIndex, station: stations[stationIndex] || null })
      if (!stations.length) {
        this.setData({ message: '您还没有分配到服务站，请联系管理员' })
        return
      }
      await this.refresh(false)
    } catch (error) {
      this.showFailure(error, false)
    } finally {
      this.setData({ loading: false })
    }
  },

  onStationChange(event) {
    const stationIndex = Number(event.detail.value)
    const station = this.data.stations[stationIndex]
    staffStations.remember(station)
    this.setData({ stationIndex, station, serving: null })
    return this.refresh(false)
  },

  /** Today's queue and the open follow-ups; `quiet` (the timer) shows no dialog on failure. */
  async refresh(quiet) {
    const station = this.data.station
    if (!station) return
    try {
      const [queue, followUps] = await Promise.all([
        api.request(`/stations/${station.id}/check-ins`, { data: { per_page: 500 }, background: quiet }),
        api.request('/check-ins/follow-ups', { data: { station_id: station.id, per_page: 200 }, background: quiet }),
      ])
      const session = api.session()
      const rows = queue.items.map((item) => queueRow(item, session ? session.accountId : null))
      this.setData({
        current: rows.find((row) => row.state === 'mine') || null,
        waiting: rows.filter((row) => row.state === 'waiting' && row.number),
        called: rows.filter((row) => row.state === 'called'),
        served: rows.filter((row) => row.state === 'served'),
        followUps: followUps.items.map((item) => queueRow(item, null)),
        message: rows.length ? '' : '今天还没有人签到',
      })
    } catch (error) {
      this.showFailure(error, quiet)
    }
  },

  showFailure(error, quiet) {
    if (error.status === 401) return // the staff login page is open already
    this.setData({ message: error.message })
    if (!quiet) api.showError(error)
  },

  /** 叫下一位: the server gives this counter the next waiting visitor. */
  async onCallNextTap() {
    const station = this.data.station
    if (!station || this.data.calling) return
    this.setData({ calling: true })
    try {
      const called = await api.request(`/stations/${station.id}/queue/call-next`, { method: 'POST', data: {} })
      const session = api.session()
      const row = queueRow(called, session ? session.accountId : null)
      wx.showModal({ title: '叫号', content: `请 ${row.number} 号 ${row.name} 到窗口办理`, showCancel: false })
      await this.refresh(true)
    } catch (error) {
      if (error.code === 'queue_empty') {
        wx.showToast({ title: error.message, icon: 'none' })
        await this.refresh(true)
      } else if (error.code === 'serve_current_first') {
        // The visitor this counter called is still here (perhaps called on another phone).
        await this.refresh(true)
        const current = this.data.current
        const content = current ? `请先办结 ${current.number} 号 ${current.name}，再叫下一位` : error.message
        wx.showModal({ title: '提示', content, showCancel: false })
      } else if (error.status !== 401) {
        api.showError(error)
      }
    } finally {
      this.setData({ calling: false })
    }
  },

  /** 办结: open the form for a visitor (the one called, or one served straight from the list). */
  onServeTap(event) {
    const id = Number(event.currentTarget.dataset.id)
    const rows = [this.data.current, ...this.data.waiting, ...this.data.called].filter(Boolean)
    const row = rows.find((item) => item.id === id)
    if (!row) return
    this.setData({ serving: { id, number: row.number, name: row.name, outcomeIndex: -1, followUp: false, note: '' } })
  },

  onOutcomeChange(event) {
    const outcomeIndex = Number(event.detail.value)
    const patch = { 'serving.outcomeIndex': outcomeIndex }
    if (OUTCOMES[outcomeIndex].value === 'follow_up_needed') patch['serving.followUp'] = true
    this.setData(patch)
  },

  onFollowUpChange(event) {
    this.setData({ 'serving.followUp': !!event.detail.value })
  },

  onNoteInput(event) {
    this.setData({ 'serving.note': String(event.detail.value || '') })
  },

  onServeCancel() {
    this.setData({ serving: null })
  },

  /** Record the outcome: the visit is served, and followed up when 需跟进 is on. */
  async onServeSubmit() {
    const serving = this.data.serving
    if (!serving || this.data.saving) return
    if (serving.outcomeIndex < 0) {
      wx.showToast({ title: '请选择办理结果', icon: 'none' })
      return
    }
    const data = { outcome: OUTCOMES[serving.outcomeIndex].value, follow_up: serving.followUp }
    if (serving.note.trim()) data.outcome_note = serving.note.trim()
    this.setData({ saving: true })
    try {
      await api.request(`/check-ins/${serving.id}`, { method: 'PATCH', data })
      this.setData({ serving: null })
      wx.showToast({ title: '已办结', icon: 'success' })
      await this.refresh(true)
    } catch (error) {
      if (error.status !== 401) api.showError(error)
    } finally {
      this.setData({ saving: false })
    }
  },

  /** Close a follow-up that has been dealt with (asks first: it leaves the station's list). */
  async onCloseFollowUpTap(event) {
    const id = Number(event.currentTarget.dataset.id)
    if (!(await dialog.confirm('办结跟进', '确认这位来访者的跟进事项已经处理完了吗？'))) return
    try {
      await api.request(`/check-ins/${id}`, { method: 'PATCH', data: { follow_up_closed: true } })
      this.setData({ followUps: this.data.followUps.filter((row) => row.id !== id) })
      wx.showToast({ title: '已办结', icon: 'success' })
    } catch (error) {
      if (error.status !== 401) api.showError(error)
    }
  },

  /** 办理登记 for a visitor with a resident record: the registration desk, with them chosen. */
  onRegisterTap(event) {
    const { id } = event.currentTarget.dataset
    const rows = [this.data.current, ...this.data.served].filter(Boolean)
    const row = rows.find((item) => item.id === Number(id))
    if (!row || !row.residentId) return
    wx.navigateTo({ url: `/pages/station-desk/index?resident_id=${row.residentId}&name=${encodeURIComponent(row.name)}` })
  },
})
