// 工作 (every staff role): my training hours this year, my planned visits, the placement
// follow-ups waiting for a call, the province's key-group list entries to settle, the notices
// for staff, and 退出登录. Each section is loaded only for the roles the API serves it to.
const api = require('../../utils/api')
const format = require('../../utils/format')
const nav = require('../../utils/nav')

const STAFF_ROLES = [
  'grid_worker',
  'station_staff',
  'operator',
  'township_admin',
  'district_admin',
  'city_admin',
  'supervisor',
]
const ROLE_LABELS = {
  grid_worker: '网格员',
  station_staff: '服务站工作人员',
  operator: '经办人员',
  township_admin: '乡镇（街道）管理员',
  district_admin: '区县管理员',
  city_admin: '市级管理员',
  supervisor: '督导',
}
// Which sections each role gets (the server's TRAINEE_ROLES, PLAN_ROLES, key-group REPORT_ROLES;
// placements: every staff role reads them, supervisors do not answer).
const SECTIONS = {
  training: ['grid_worker', 'station_staff', 'operator', 'township_admin'],
  plannedVisits: ['grid_worker', 'operator'],
  placements: STAFF_ROLES,
  answerPlacements: STAFF_ROLES.filter((role) => role !== 'supervisor'),
  keyGroupLists: ['district_admin', 'city_admin'],
}
const LEFT_REASONS = [
  { value: 'contract_ended', label: '合同到期' },
  { value: 'dismissed', label: '被辞退' },
  { value: 'wages', label: '工资待遇' },
  { value: 'conditions', label: '工作条件' },
  { value: 'distance', label: '离家太远' },
  { value: 'family', label: '家庭原因' },
  { value: 'health', label: '健康原因' },
  { value: 'better_job', label: '找到更好的工作' },
  { value: 'other', label: '其他' },
]

/** Today on the city's clock, YYYY-MM-DD. */
function cityToday() {
  return new Date(Date.now() + 8 * 3600 * 1000).toISOString().slice(0, 10)
}

function placementRow(item) {
  const resident = item.resident || {}
  return {
    id: item.id,
    name: resident.name || '',
    phone: resident.phone_hint || '',
    employer: item.employer_name || '',
    stage: `入职${item.stage_days}天回访`,
    startedOn: item.started_on || '',
    dueOn: item.due_on || '',
    leftReasonIndex: -1,
    leftOn: '',
  }
}

Page({
  data: {
    name: '',
    roleLabel: '',
    show: { training: false, plannedVisits: false, placements: false, answerPlacements: false, keyGroupLists: false },
    training: null, // { year, hours, trainings: [{ title, date, hours }] }
    plannedVisits: [],
    placements: [],
    leftReasons: LEFT_REASONS,
    today: cityToday(),
    keyGroupLists: [],
    unmatched: [],
    notices: [],
    unread: 0,
    loading: false,
    message: '',
  },

  onLoad() {
    this.allowed = nav.guard(STAFF_ROLES)
    if (!this.allowed) return
    const current = api.session()
    const show = {}
    for (const [section, roles] of Object.entries(SECTIONS)) show[section] = roles.includes(current.role)
    this.setData({ name: current.name || '', roleLabel: ROLE_LABELS[current.role] || '', show })
  },

  onShow() {
    if (this.allowed) return this.refresh()
    return undefined
  },

  onPullDownRefresh() {
    return this.refresh().then(() => wx.stopPullDownRefresh())
  },

  async refresh() {
    const { show } = this.data
    this.setData({ loading: true, message: '' })
    try {
      const none = Promise.resolve(null)
      const [training, planned, placements, lists, notices] = await Promise.all([
        show.training ? api.request('/events/training-hours/me') : none,
        show.plannedVisits ? api.request('/grid/planned-visits', { data: { status: 'planned', per_page: 50 } }) : none,
        show.placements ? api.request('/placements', { data: { status: 'task', per_page: 50 } }) : none,
        show.keyGroupLists ? api.request('/exchange/key-group-lists') : none,
        api.request('/notices/mine', { data: { per_page: 20 } }),
      ])
      const patch = {
        notices: notices.items.map((notice) => ({
          id: notice.id,
          title: notice.title,
          body: notice.body || '',
          publishedAt: format.shortTime(notice.published_at),
          unread: !notice.read_at,
        })),
        unread: notices.unread || 0,
      }
      if (training) {
        patch.training = {
          year: training.year,
          hours: training.hours,
          trainings: training.trainings.map((row) => ({
            id: row.event_id,
            title: row.title,
            date: format.shortTime(row.starts_at),
            hours: row.hours,
          })),
        }
      }
      if (planned) {
        patch.plannedVisits = planned.items.map((row) => ({
          id: row.id,
          householdId: row.household_id,
          plannedAt: format.shortTime(row.planned_at),
          note: row.note || '',
        }))
      }
      if (placements) patch.placements = placements.items.map(placementRow)
      if (lists) {
        patch.keyGroupLists = lists.lists.map((row) => ({
          id: `${row.list_id}-${row.key_group}`,
          group: format.KEY_GROUP_NAMES[row.key_group] || row.key_group,
          matched: row.matched,
          task: row.task,
          unmatched: row.unmatched,
          resolved: row.resolved,
        }))
        patch.unmatched = lists.unmatched.map((row) => ({
          id: row.id,
          name: row.name || '',
          idHint: row.id_number_hint || '',
          group: format.KEY_GROUP_NAMES[row.key_group] || row.key_group,
          address: row.address || '',
          note: '',
        }))
      }
      this.setData(patch)
    } catch (error) {
      if (error.status !== 401) {
        this.setData({ message: error.message })
        api.showError(error)
      }
    } finally {
      this.setData({ loading: false })
    }
  },

  /** A planned visit: the visit form for that household (grid workers, operators). */
  onPlannedVisitTap(event) {
    wx.navigateTo({ url: `/pages/grid-visit/index?household_id=${event.currentTarget.dataset.household}` })
  },

  /** 仍在职: the person said so on the phone. */
  onStillEmployedTap(event) {
    return this.answerPlacement(Number(event.currentTarget.dataset.id), { answer: 'still_employed', channel: 'phone' })
  },

  onLeftReasonChange(event) {
    const index = this.data.placements.findIndex((row) => row.id === Number(event.currentTarget.dataset.id))
    if (index >= 0) this.setData({ [`placements[${index}].leftReasonIndex`]: Number(event.detail.value) })
  },

  onLeftOnChange(event) {
    const index = this.data.placements.findIndex((row) => row.id === Number(event.currentTarget.dataset.id))
    if (index >= 0) this.setData({ [`placements[${index}].leftOn`]: String(event.detail.value) })
  },

  /** 已离职: why and the last day of work are needed (the server asks for both). */
  onLeftTap(event) {
    const row = this.data.placements.find((item) => item.id === Number(event.currentTarget.dataset.id))
    if (!row) return undefined
    if (row.leftReasonIndex < 0 || !row.leftOn) {
      wx.showToast({ title: '请选择离职原因和最后工作日', icon: 'none' })
      return undefined
    }
    const data = { answer: 'left', channel: 'phone', left_reason: LEFT_REASONS[row.leftReasonIndex].value, left_on: row.leftOn }
    return this.answerPlacement(row.id, data)
  },

  async answerPlacement(id, data) {
    try {
      await api.request(`/placements/${id}/answer`, { method: 'POST', data })
      this.setData({ placements: this.data.placements.filter((row) => row.id !== id) })
      wx.showToast({ title: '已记录', icon: 'success' })
    } catch (error) {
      if (error.status !== 401) api.showError(error)
    }
  },

  onEntryNoteInput(event) {
    const index = this.data.unmatched.findIndex((row) => row.id === Number(event.currentTarget.dataset.id))
    if (index >= 0) this.setData({ [`unmatched[${index}].note`]: String(event.detail.value || '') })
  },

  /** 本地查无此人: close a list entry nobody here matches, with what was found out. */
  async onNotHereTap(event) {
    const row = this.data.unmatched.find((item) => item.id === Number(event.currentTarget.dataset.id))
    if (!row) return
    if (!row.note.trim()) {
      wx.showToast({ title: '请写明核查情况', icon: 'none' })
      return
    }
    try {
      await api.request(`/exchange/key-group-lists/entries/${row.id}/resolve`, {
        method: 'POST',
        data: { outcome: 'not_here', note: row.note.trim() },
      })
      this.setData({ unmatched: this.data.unmatched.filter((item) => item.id !== row.id) })
      wx.showToast({ title: '已办结', icon: 'success' })
    } catch (error) {
      if (error.status !== 401) api.showError(error)
    }
  },

  /** 退出登录: the token revoked, household data off the phone, back to the resident's app. */
  async onLogoutTap() {
    await api.logout()
    wx.reLaunch({ url: '/pages/jobs/index' })
  },
})
