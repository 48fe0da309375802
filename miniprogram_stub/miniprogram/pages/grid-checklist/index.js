// The grid worker's day: households not yet met this quarter as a walking route from here, open
// follow-ups, progress against the targets, and the offline visit queue (pending, refused, 同步).
const api = require('../../utils/api')
const config = require('../../utils/config')
const dialog = require('../../utils/dialog')
const format = require('../../utils/format')
const gridCache = require('../../utils/grid-cache')
const location = require('../../utils/location')
const messages = require('../../utils/messages')
const visitQueue = require('../../utils/visit-queue')

const ROUTE_LENGTH = 50 // the phone asks again from where the worker is, so 50 stops are plenty
const OFFLINE_SYNC = '网络不可用，记录已保存在手机上，有网时自动同步'

/** '12月1日 10:00 电话 见到': a call (station, online) is named, a door visit is the default. */
function lastVisitText(last) {
  const channel = last.channel && last.channel !== 'door' ? ` ${format.CHANNEL_NAMES[last.channel] || last.channel}` : ''
  return `${format.shortTime(last.visited_at)}${channel} ${format.OUTCOME_NAMES[last.outcome] || last.outcome}`
}

/** A stop on the route as the list shows it. */
function householdRow(item, queuedIds) {
  const household = item.household
  const last = item.last_visit
  return {
    id: household.id,
    key: household.key || '',
    address: household.address || '',
    zeroEmployment: !!household.zero_employment,
    distance: format.distance(item.distance_m),
    lastVisit: last ? lastVisitText(last) : '',
    queued: queuedIds.has(household.id),
    members: household.members.map((member) => ({
      id: member.id,
      name: member.name || '',
      age: member.age === null || member.age === undefined ? '' : `${member.age}岁`,
      head: !!member.is_household_head,
      status: format.STATUS_NAMES[member.employment_status] || '未登记',
      keyGroups: (member.key_groups || []).map((group) => format.KEY_GROUP_NAMES[group] || group).join('、'),
    })),
  }
}

/** An open follow-up (a need recorded on a visit). */
function followUpRow(need, addresses) {
  return {
    id: need.id,
    kind: format.NEED_NAMES[need.kind] || need.kind,
    resident: need.resident ? need.resident.name : '',
    address: addresses[need.household_id] || '',
    createdAt: format.shortTime(need.created_at),
  }
}

/** Progress against the plan: visit days this month, households met this quarter. */
function progressView(progress) {
  if (!progress) return null
  const month = progress.month
  return {
    visitDays: month.visit_days,
    target: month.target,
    expectedByNow: month.expected_by_now,
    onTrack: month.on_track,
    communities: progress.quarter.communities.map((row) => ({
      code: row.community ? row.community.code : '',
      name: row.community ? row.community.name : '',
      households: row.households,
      met: row.met,
      coverage: format.percent(row.coverage),
      notHome: row.not_home,
      refused: row.refused,
      contacted: row.contacted || 0, // met by phone, at the station or online only: not covered
    })),
  }
}

/** A refused visit with the server's reason, in Chinese when we know the code. */
function rejectedRow(entry, addresses) {
  const visit = entry.visit || {}
  let reason = messages.forError({ code: entry.code, message: entry.message }, 422)
  if (entry.code === 'validation_error') reason = `记录内容有误（${entry.message || entry.code}）`
  return {
    clientId: visit.client_id,
    address: addresses[visit.household_id] || `户 ${visit.household_id}`,
    outcome: format.OUTCOME_NAMES[visit.outcome] || visit.outcome || '',
    visitedAt: format.shortTime(visit.visited_at),
    code: entry.code || '',
    reason,
  }
}

/** How a sync went, as a toast. */
function syncSummary(counts) {
  const sent = counts.applied + counts.duplicate
  if (!sent && !counts.rejected) return '没有待同步的记录'
  const parts = [`已同步 ${sent} 条`]
  if (counts.rejected) parts.push(`${counts.rejected} 条未被接受`)
  return parts.join('，')
}

Page({
  data: {
    items: [],
    followUps: [],
    remaining: 0,
    progress: null,
    offline: false,
    savedAt: '',
    loading: false,
    message: '',
    pendingCount: 0,
    rejected: [],
    syncing: false,
    syncMessage: '',
  },

  onLoad() {
    // Hear the network come back while this page is open (the app syncs then; we show the result).
    this.networkListener = (status) => this.onNetworkChange(status)
    wx.onNetworkStatusChange(this.networkListener)
  },

  onUnload() {
    if (this.networkListener) wx.offNetworkStatusChange(this.networkListener)
  },

  async onShow() {
    if (!this.ensureStaff()) return
    // Visits recorded offline in an earlier run of the app (the network-change event only
    // fires while the app runs) go out when the worker opens the checklist again.
    if (visitQueue.pending().length) await this.sendQueue(true)
    await this.refresh()
  },

  onPullDownRefresh() {
    return this.refresh().then(() => wx.stopPullDownRefresh())
  },

  /** A staff token of a grid role, or off to the staff login (a resident login would not do). */
  ensureStaff() {
    const current = api.session()
    if (current && current.kind === 'staff' && config.GRID_ROLES.includes(current.role)) return true
    wx.redirectTo({ url: config.STAFF_LOGIN_PAGE })
    return false
  },

  /** Load the route from where the worker stands and the progress; offline, the saved copy. */
  async refresh() {
    if (!this.ensureStaff()) return
    this.showQueue()
    this.setData({ loading: true, message: '' })
    try {
      const point = await location.current()
      const query = { limit: ROUTE_LENGTH }
      if (point) Object.assign(query, point)
      const [checklist, progress] = await Promise.all([
        api.request('/grid/checklist', { data: query }),
        api.request('/grid/progress'),
      ])
      gridCache.save(checklist, progress)
      this.show(checklist, progress, null)
    } catch (error) {
      if (error.status === 0) {
        const saved = gridCache.load()
        if (saved) this.show(saved.checklist, saved.progress, saved.savedAt)
        else this.setData({ offline: true, message: '网络不可用，手机上还没有保存的清单，请到有信号的地方刷新' })
      } else if (error.status !== 401) {
        // (a lapsed staff token has already opened the staff login page)
        this.setData({ message: error.message })
        api.showError(error)
      }
    } finally {
      this.setData({ loading: false })
    }
  },

  /** Show a checklist and progress; `savedAt` when they are the copy kept on the phone. */
  show(checklist, progress, savedAt) {
    const queuedIds = new Set(visitQueue.pending().map((visit) => visit.household_id))
    const addresses = this.addresses(checklist)
    this.setData({
      items: checklist.items.map((item) => householdRow(item, queuedIds)),
      followUps: checklist.follow_ups.map((need) => followUpRow(need, addresses)),
      remaining: checklist.remaining,
      progress: progressView(progress),
      offline: !!savedAt,
      savedAt: savedAt ? format.shortTime(savedAt) : '',
      message: checklist.items.length ? '' : '本季度的住户都已走访到',
    })
  },

  /** Household id → address, from the checklist shown (or saved). */
  addresses(checklist) {
    const source = checklist || (gridCache.load() || {}).checklist
    const map = {}
    for (const item of (source && source.items) || []) map[item.household.id] = item.household.address
    return map
  },

  /** The offline queue as it stands in storage: how many wait, which were refused and why. */
  showQueue() {
    const pending = visitQueue.pending()
    const queuedIds = new Set(pending.map((visit) => visit.household_id))
    const addresses = this.addresses(null)
    const patch = {
      pendingCount: pending.length,
      rejected: visitQueue.rejected().map((entry) => rejectedRow(entry, addresses)),
    }
    this.data.items.forEach((item, index) => {
      if (item.queued !== queuedIds.has(item.id)) patch[`items[${index}].queued`] = queuedIds.has(item.id)
    })
    this.setData(patch)
  },

  /** 同步: send the queue now and say what happened. */
  onSyncTap() {
    return this.sync(false)
  },

  /** Send the queue, then reload the route when visits were applied. */
  async sync(quiet) {
    const counts = await this.sendQueue(quiet)
    // Visits change the ledger and the route (a household met leaves it, needs become follow-ups).
    if (counts && counts.applied) await this.refresh()
  },

  /** Send the queue; `quiet` (not asked for by a tap) says nothing when nothing was sent. */
  async sendQueue(quiet) {
    if (this.data.syncing) return null
    this.setData({ syncing: true, syncMessage: '' })
    let counts = null
    try {
      counts = await visitQueue.sync()
    } catch (error) {
      if (error.status === 0) {
        // Batches that went through before the network dropped are said too.
        const done = error.counts ? error.counts.applied + error.counts.duplicate : 0
        const text = done ? `已同步 ${done} 条；${OFFLINE_SYNC}` : OFFLINE_SYNC
        this.setData({ syncMessage: text })
        if (!quiet) wx.showToast({ title: text, icon: 'none' })
      } else if (error.status !== 401) {
        this.setData({ syncMessage: error.message })
        api.showError(error)
      }
    } finally {
      this.setData({ syncing: false })
      this.showQueue()
    }
    if (!counts) return null
    const sent = counts.applied + counts.duplicate + counts.rejected
    if (sent || !quiet) {
      const title = syncSummary(counts)
      // With an icon WeChat shows only 7 characters ("已同步 2 条"); longer news goes without.
      const icon = counts.rejected || [...title].length > 7 ? 'none' : 'success'
      wx.showToast({ title, icon })
    }
    return counts
  },

  onNetworkChange(status) {
    if (status.isConnected) return this.sync(true)
    this.setData({ syncMessage: '' })
    return Promise.resolve()
  },

  /** The worker has read the refused visits: clear them from the phone. */
  onDismissRejectedTap() {
    visitQueue.clearRejected()
    this.showQueue()
  },

  onHouseholdTap(event) {
    const id = event.currentTarget.dataset.id
    wx.navigateTo({ url: `/pages/grid-visit/index?household_id=${id}` })
  },

  /** Close a follow-up that has been dealt with (asks first: it leaves everyone's list). */
  async onCloseFollowUpTap(event) {
    const id = Number(event.currentTarget.dataset.id)
    if (!(await dialog.confirm('办结跟进', '确认这条跟进事项已经处理完了吗？'))) return
    try {
      await api.request(`/grid/needs/${id}/close`, { method: 'POST', data: {} })
      gridCache.dropFollowUp(id)
      this.setData({ followUps: this.data.followUps.filter((row) => row.id !== id) })
      wx.showToast({ title: '已办结', icon: 'success' })
    } catch (error) {
      if (error.status !== 401) api.showError(error)
    }
  },
})
