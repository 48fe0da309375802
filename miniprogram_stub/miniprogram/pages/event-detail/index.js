// 活动详情 (?id=): one event in full; sign-up or cancel (an employer: 报名参展); a live job fair's
// 视频号 stream (wx.openChannelsLive while it is live, wx.openChannelsActivity for the replay of
// one video) and the jobs it presents, each applied to with one tap (POST /jobs/{id}/applications).
const api = require('../../utils/api')
const { confirm } = require('../../utils/dialog')
const events = require('../../utils/events')
const format = require('../../utils/format')
const messages = require('../../utils/messages')
const nav = require('../../utils/nav')

Page({
  data: {
    event: null,
    jobs: [],
    loading: true,
    message: '',
    employer: false,
    resident: true, // applying is for residents (nobody logged in counts as one)
    busy: false,
    applyingId: 0,
    applied: {}, // job id → the application's stage in Chinese
  },

  onLoad(query) {
    this.eventId = Number(query && query.id)
    const role = nav.currentRole()
    this.setData({ employer: role === 'employer', resident: !role || role === 'resident' })
    return this.load()
  },

  onPullDownRefresh() {
    return this.load().then(() => wx.stopPullDownRefresh())
  },

  async load() {
    if (!Number.isInteger(this.eventId) || this.eventId <= 0) {
      this.setData({ loading: false, event: null, message: messages.BY_CODE.event_not_found })
      return
    }
    this.setData({ loading: true, message: '' })
    try {
      const event = await api.request(`/events/${this.eventId}`, { auth: 'optional' })
      const app = getApp()
      const here = app && app.globalData ? app.globalData.location : null
      this.setData({ event: events.eventRow(event, here), jobs: (event.jobs || []).map(format.jobRow) })
      wx.setNavigationBarTitle({ title: event.title })
      await this.loadApplied()
    } catch (error) {
      this.setData({ event: null, message: error.message })
      api.showError(error)
    } finally {
      this.setData({ loading: false })
    }
  },

  /** A resident's applications to the presented jobs (one page of mine); nobody is logged in just for this. */
  async loadApplied() {
    const session = api.session()
    if (!this.data.jobs.length || !session || session.role !== 'resident') return
    try {
      const mine = await api.request('/applications', { data: { per_page: 50 } })
      const shown = new Set(this.data.jobs.map((job) => job.id))
      const applied = {}
      for (const item of mine.items) {
        if (item.job && shown.has(item.job.id)) applied[item.job.id] = format.APPLICATION_STATUS_NAMES[item.status] || item.status
      }
      this.setData({ applied })
    } catch (error) {
      // Only a nicety: a tap on 一键投递 answers with the earlier application anyway.
    }
  },

  /** 看直播 / 看回放: WeChat opens the 视频号 (a failure there, e.g. not live yet, is said plainly). */
  onWatchTap() {
    const live = this.data.event && this.data.event.live
    if (!live) return
    const fail = () =>
      wx.showModal({
        title: '提示',
        content: live.kind === 'live' ? '直播尚未开始或已结束，请在活动时间进入' : '回放暂时无法打开，请稍后再试',
        showCancel: false,
      })
    if (live.kind === 'live') {
      wx.openChannelsLive({ finderUserName: live.finderId, fail })
    } else {
      wx.openChannelsActivity({ finderUserName: live.finderId, feedId: live.feedId, nonceId: live.nonceId, fail })
    }
  },

  async onSignUpTap() {
    if (this.data.busy || !this.data.event) return
    this.setData({ busy: true })
    try {
      await api.request(`/events/${this.eventId}/signups`, { method: 'POST', data: {} })
      wx.showToast({ title: this.data.employer ? '已报名参展' : '报名成功', icon: 'success' })
    } catch (error) {
      api.showError(error)
    } finally {
      this.setData({ busy: false })
    }
    await this.load()
  },

  async onCancelTap() {
    if (this.data.busy || !this.data.event) return
    const ok = await confirm('取消报名', `确定取消“${this.data.event.title}”的报名吗？`)
    if (!ok) return
    this.setData({ busy: true })
    try {
      await api.request(`/events/${this.eventId}/signups/me`, { method: 'DELETE' })
      wx.showToast({ title: '已取消报名', icon: 'success' })
    } catch (error) {
      api.showError(error)
    } finally {
      this.setData({ busy: false })
    }
    await this.load()
  },

  /** 一键投递: apply to a presented job without a note (a repeat returns the first application). */
  async onApplyTap(event) {
    const id = Number(event.currentTarget.dataset.id)
    if (this.data.applyingId || this.data.applied[id]) return
    this.setData({ applyingId: id })
    try {
      const application = await api.request(`/jobs/${id}/applications`, { method: 'POST', data: { message: null } })
      this.setData({ [`applied.${id}`]: format.APPLICATION_STATUS_NAMES[application.status] || '已投递' })
      wx.showToast({ title: application.status === 'withdrawn' ? '您已撤回过这个岗位' : '已投递', icon: 'none' })
    } catch (error) {
      api.showError(error)
    } finally {
      this.setData({ applyingId: 0 })
    }
  },

  onJobTap(event) {
    wx.navigateTo({ url: `/pages/job-detail/index?id=${event.currentTarget.dataset.id}` })
  },
})
