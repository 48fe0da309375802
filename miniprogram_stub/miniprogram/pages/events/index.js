// 招聘会: upcoming job fairs, trainings and policy talks, soonest first, with how far each is;
// 直播带岗 lists the fairs streamed on 视频号. A resident signs up (报名) or cancels; an employer
// signs up a booth (报名参展) on the same page, which is one of the employer's tabs.
const api = require('../../utils/api')
const config = require('../../utils/config')
const { confirm } = require('../../utils/dialog')
const events = require('../../utils/events')
const location = require('../../utils/location')
const nav = require('../../utils/nav')

Page({
  data: {
    items: [],
    page: 0,
    hasMore: true,
    loading: false,
    loaded: false,
    message: '',
    liveOnly: false,
    employer: false, // an employer's booth sign-up: 报名参展
    busyId: 0,
  },

  onLoad(query) {
    this.allowed = nav.guard(['resident', 'employer'])
    if (!this.allowed) return
    this.setData({ employer: nav.currentRole() === 'employer', liveOnly: !!(query && query.live === '1') })
  },

  /** Back from an event (signed up there): the list again. */
  async onShow() {
    if (!this.allowed) return
    if (this.point === undefined) this.point = await location.current()
    await this.loadPage(1)
  },

  onPullDownRefresh() {
    return this.loadPage(1).then(() => wx.stopPullDownRefresh())
  },

  onReachBottom() {
    if (!this.data.hasMore || this.data.loading) return Promise.resolve()
    return this.loadPage(this.data.page + 1)
  },

  async loadPage(page) {
    const query = { page, per_page: config.PAGE_SIZE }
    if (this.data.liveOnly) query.live = true
    this.loadNumber = (this.loadNumber || 0) + 1
    const number = this.loadNumber
    this.setData({ loading: true, message: '' })
    try {
      // 'optional': anyone may read the list; a logged-in person sees their own sign-ups.
      const answer = await api.request('/events', { data: query, auth: 'optional' })
      if (number !== this.loadNumber) return
      const rows = answer.items.map((item) => events.eventRow(item, this.point))
      const items = page === 1 ? rows : this.data.items.concat(rows)
      this.setData({
        items,
        page,
        hasMore: items.length < answer.total,
        loaded: true,
        message: !items.length ? (this.data.liveOnly ? '近期没有直播带岗' : '近期没有活动') : '',
      })
    } catch (error) {
      if (number !== this.loadNumber) return
      this.setData({ message: error.message, hasMore: false })
      api.showError(error)
    } finally {
      if (number === this.loadNumber) this.setData({ loading: false })
    }
  },

  onFilterTap(event) {
    this.setData({ liveOnly: event.currentTarget.dataset.live === '1' })
    return this.loadPage(1)
  },

  onEventTap(event) {
    wx.navigateTo({ url: `/pages/event-detail/index?id=${event.currentTarget.dataset.id}` })
  },

  /** Put an event's new state in its row (after a sign-up or a cancel). */
  patch(id, changes) {
    const index = this.data.items.findIndex((row) => row.id === id)
    if (index < 0) return
    const row = { ...this.data.items[index], ...changes }
    row.canSignUp = !row.cancelled && !row.ended && !row.signedUp && row.spotsText !== '名额已满'
    this.setData({ [`items[${index}]`]: row })
  },

  async onSignUpTap(event) {
    const id = Number(event.currentTarget.dataset.id)
    if (this.data.busyId) return
    this.setData({ busyId: id })
    try {
      await api.request(`/events/${id}/signups`, { method: 'POST', data: {} })
      this.patch(id, { signedUp: true })
      wx.showToast({ title: this.data.employer ? '已报名参展' : '报名成功', icon: 'success' })
    } catch (error) {
      api.showError(error)
      if (error.status === 409 || error.status === 422) await this.loadPage(1) // full, cancelled, over
    } finally {
      this.setData({ busyId: 0 })
    }
  },

  async onCancelTap(event) {
    const id = Number(event.currentTarget.dataset.id)
    const item = this.data.items.find((row) => row.id === id)
    if (!item || this.data.busyId) return
    const ok = await confirm('取消报名', `确定取消“${item.title}”的报名吗？`)
    if (!ok) return
    this.setData({ busyId: id })
    try {
      await api.request(`/events/${id}/signups/me`, { method: 'DELETE' })
      this.patch(id, { signedUp: false })
      wx.showToast({ title: '已取消报名', icon: 'success' })
    } catch (error) {
      api.showError(error)
    } finally {
      this.setData({ busyId: 0 })
    }
  },
})
