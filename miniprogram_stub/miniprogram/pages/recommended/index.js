// 为你推荐: live jobs that fit my résumé (what I look for, where I live), best first, from the
// phone's position when there is one, else from home (GET /me/recommended-jobs).
const api = require('../../utils/api')
const config = require('../../utils/config')
const format = require('../../utils/format')
const location = require('../../utils/location')
const nav = require('../../utils/nav')

Page({
  data: { items: [], page: 0, hasMore: true, loading: false, loaded: false, message: '' },

  onLoad() {
    if (!nav.guard(['resident'])) return undefined
    return this.refresh()
  },

  onPullDownRefresh() {
    return this.refresh().then(() => wx.stopPullDownRefresh())
  },

  onReachBottom() {
    if (!this.data.hasMore || this.data.loading || !this.data.loaded) return Promise.resolve()
    return this.loadPage(this.data.page + 1)
  },

  async refresh() {
    this.point = await location.current()
    return this.loadPage(1)
  },

  /** One page (page 1 replaces the list); the API answers a plain list, so a short page is the last. */
  async loadPage(page) {
    const query = { page, per_page: config.PAGE_SIZE }
    if (this.point) Object.assign(query, this.point)
    this.setData({ loading: true, message: '' })
    try {
      const found = await api.request('/me/recommended-jobs', { data: query })
      const rows = found.map(format.jobRow)
      this.setData({
        items: page === 1 ? rows : this.data.items.concat(rows),
        page,
        hasMore: rows.length === config.PAGE_SIZE,
        loaded: true,
        message: page === 1 && !rows.length ? '暂时没有适合您的岗位。完善简历里的求职意向，推荐会更准' : '',
      })
    } catch (error) {
      this.setData({ message: error.message, hasMore: false })
      api.showError(error)
    } finally {
      this.setData({ loading: false })
    }
  },

  onJobTap(event) {
    const id = event.detail && event.detail.id ? event.detail.id : event.currentTarget.dataset.id
    wx.navigateTo({ url: `/pages/job-detail/index?id=${id}` })
  },

  onResumeTap() {
    wx.navigateTo({ url: '/pages/resume/index' })
  },
})
