// The visit form for one household: how it was made (at the door by default, or by phone, at the
// station, online), how it went and, when the family was met, what changed for each member.
// Only a door visit counts toward coverage and visit days, and only its position is sent. Read
// from the checklist saved on the phone and always queued first, so it works without signal;
// sent at once when there is a network.
const api = require('../../utils/api')
const dialog = require('../../utils/dialog')
const format = require('../../utils/format')
const gridCache = require('../../utils/grid-cache')
const location = require('../../utils/location')
const messages = require('../../utils/messages')
const visitQueue = require('../../utils/visit-queue')

const OUTCOMES = Object.keys(format.OUTCOME_NAMES).map((value) => ({ value, name: format.OUTCOME_NAMES[value] }))
const CHANNELS = Object.keys(format.CHANNEL_NAMES).map((value) => ({ value, name: format.CHANNEL_NAMES[value] }))
const STATUS_VALUES = Object.keys(format.STATUS_NAMES)
const STATUS_LABELS = STATUS_VALUES.map((value) => format.STATUS_NAMES[value])
// Registered unemployment follows the status (the server neither grants nor ends it on a visit).
const GROUP_VALUES = Object.keys(format.KEY_GROUP_NAMES).filter((group) => group !== 'registered_unemployed')
const NEED_VALUES = Object.keys(format.NEED_NAMES)
// When the visit could not be stored on the phone: it is not queued, so it must be recorded again.
const NOT_SAVED = '走访记录没有保存下来（手机存储空间可能已满），请清理空间后再点保存'

/** A member as the form edits them; `original` is what the ledger said when the list was saved. */
function memberForm(member) {
  const status = member.employment_status || ''
  const groups = member.key_groups || []
  return {
    id: member.id,
    name: member.name || '',
    age: member.age === null || member.age === undefined ? '' : `${member.age}岁`,
    head: !!member.is_household_head,
    statusIndex: STATUS_VALUES.indexOf(status),
    statusName: format.STATUS_NAMES[status] || '未登记',
    groups: GROUP_VALUES.map((value) => ({ value, name: format.KEY_GROUP_NAMES[value], checked: groups.includes(value) })),
    needs: NEED_VALUES.map((value) => ({ value, name: format.NEED_NAMES[value], checked: false })),
    original: { status, groups: GROUP_VALUES.filter((value) => groups.includes(value)) },
  }
}

/** What the worker changed for one member, or null: only changed fields are sent. */
function memberUpdate(member) {
  const update = { resident_id: member.id }
  const status = member.statusIndex >= 0 ? STATUS_VALUES[member.statusIndex] : ''
  if (status && status !== member.original.status) update.employment_status = status
  const groups = member.groups.filter((group) => group.checked).map((group) => group.value)
  if (groups.join(',') !== member.original.groups.join(',')) update.key_groups = groups
  const needs = member.needs.filter((need) => need.checked).map((need) => need.value)
  if (needs.length) update.needs = needs
  return Object.keys(update).length > 1 ? update : null
}

/** wx.getNetworkType as a promise: true when the phone has some network. */
function online() {
  return new Promise((resolve) => {
    wx.getNetworkType({
      success: (result) => resolve(result.networkType !== 'none'),
      fail: () => resolve(false),
    })
  })
}

Page({
  data: {
    household: null,
    outcomes: OUTCOMES,
    outcome: 'met',
    channels: CHANNELS,
    channel: 'door',
    statusLabels: STATUS_LABELS,
    members: [],
    notes: '',
    located: false,
    submitting: false,
    message: '',
  },

  onLoad(query) {
    const household = gridCache.household(query.household_id)
    if (!household) {
      this.setData({ message: '手机上没有这户的信息，请在有网时刷新走访清单' })
      return Promise.resolve()
    }
    this.setData({
      household: { id: household.id, key: household.key || '', address: household.address || '' },
      members: household.members.map(memberForm),
    })
    return this.locate()
  },

  /** Where the phone is (GPS works without signal); the server keeps it with the visit. */
  async locate() {
    this.point = await location.current()
    this.setData({ located: !!this.point })
  },

  onChannelTap(event) {
    this.setData({ channel: event.currentTarget.dataset.channel })
  },

  onOutcomeTap(event) {
    this.setData({ outcome: event.currentTarget.dataset.outcome })
  },

  onStatusChange(event) {
    const index = Number(event.currentTarget.dataset.index)
    const statusIndex = Number(event.detail.value)
    this.setData({
      [`members[${index}].statusIndex`]: statusIndex,
      [`members[${index}].statusName`]: STATUS_LABELS[statusIndex],
    })
  },

  onGroupTap(event) {
    const { index, group } = event.currentTarget.dataset
    const position = GROUP_VALUES.indexOf(group)
    const checked = this.data.members[index].groups[position].checked
    this.setData({ [`members[${index}].groups[${position}].checked`]: !checked })
  },

  onNeedTap(event) {
    const { index, need } = event.currentTarget.dataset
    const position = NEED_VALUES.indexOf(need)
    const checked = this.data.members[index].needs[position].checked
    this.setData({ [`members[${index}].needs[${position}].checked`]: !checked })
  },

  onNotesInput(event) {
    this.setData({ notes: String(event.detail.value || '') })
  },

  /**
   * Queue the visit on the phone first (it is never lost to a dead network), then send the
   * queue if there is a network, and go back to the checklist. If it cannot be stored (the
   * phone's storage is full), the worker is told and stays on the form to try again.
   */
  async onSubmit() {
    const { household, outcome, channel, submitting } = this.data
    if (!household || submitting) return
    this.setData({ submitting: true })
    try {
      if (channel === 'door' && !this.point) await this.locate()
      // Where the phone is says nothing of the household on a call (at the station, online): not sent.
      const point = channel === 'door' ? this.point : null
      const members = outcome === 'met' ? this.data.members.map(memberUpdate).filter(Boolean) : []
      const notes = this.data.notes.trim()
      let item
      try {
        item = visitQueue.add({
          household_id: household.id,
          outcome,
          channel,
          lat: point ? point.lat : null,
          lng: point ? point.lng : null,
          members,
          notes: notes || null,
        })
      } catch (error) {
        // wx.setStorageSync throws when storage is full: nothing was kept, nothing will sync.
        api.showError({ message: NOT_SAVED }, '走访记录未保存')
        return
      }
      let toast = '已保存，有网时自动同步'
      if (await online()) {
        try {
          await visitQueue.sync()
        } catch (error) {
          // The visit stays queued; the checklist shows it and the app sends it later.
        }
        const refused = visitQueue.rejected().find((entry) => entry.visit.client_id === item.client_id)
        if (refused) {
          const reason = messages.forError({ code: refused.code, message: refused.message }, 422)
          await dialog.alert('走访记录未被接受', reason)
        } else if (!visitQueue.pending().some((visit) => visit.client_id === item.client_id)) {
          toast = '已提交'
        }
      }
      wx.showToast({ title: toast, icon: toast === '已提交' ? 'success' : 'none' })
      wx.navigateBack()
    } finally {
      this.setData({ submitting: false })
    }
  },
})
