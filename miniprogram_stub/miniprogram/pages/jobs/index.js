// Jobs near me: the phone's position (or the resident's home), 3 km, filters, pull to refresh,
// paging by "has_more" (the API never counts the whole circle).
const api = require('../../utils/api')
const config = require('../../utils/config')
const format = require('../../utils/format')
const location = require('../../utils/location')

const KIND_FILTERS = [{ value: '', name: '全部' }].concat(
  Object.keys(format.KIND_NAMES).map((value) => ({ value, name: format.KIND_NAMES[value] })),
)

Page({
  data: {
    items: [],
    page: 0,
    hasMore: true,
    loading: false,
    usingHome: false,
    message: '',
    kinds: KIND_FILTERS,
    filters: { kind: '', category: '', wageMin: '', q: '' },
  },

  onLoad() {
    return this.refresh()
  },

  onPullDownRefresh() {
    return this.refresh().then(() => wx.stopPullDownRefresh())
  },

  onReachBottom() {
    if (!this.data.hasMore || this.data.loading) return Promise.resolve()
    return this.loadPage(this.data.page + 1)
  },

  /** Find where the person is, then load page 1. */
  async refresh() {
    this.point = await location.current()
    this.setData({ usingHome: !this.point })
    return this.loadPage(1)
  },

  /**
   * Load one page; page 1 replaces the list, later pages append. Each load is numbered and only
   * the latest one's answer is used: a new filter or a refresh loads page 1 while the old list's
   * next page may still be on its way, and its rows must not be appended to the new list.
   */
  async loadPage(page) {
    this.loadNumber = (this.loadNumber || 0) + 1
    const number = this.loadNumber
    const filters = this.data.filters
    const query = { page, per_page: config.PAGE_SIZE, radius_m: 3000 }
    if (this.point) Object.assign(query, this.point)
    if (filters.kind) query.kind = filters.kind
    if (filters.category) query.category = filters.category
    if (filters.wageMin) query.wage_min = Number(filters.wageMin)
    if (filters.q) query.q = filters.q
    this.setData({ loading: true, message: '' })
    try {
      // Without a position the API searches from the logged-in resident's home.
      const answer = await api.request('/jobs', { data: query, auth: this.point ? 'optional' : true })
      if (number !== this.loadNumber) return
      const rows = answer.items.map(format.jobRow)
      this.setData({
        items: page === 1 ? rows : this.data.items.concat(rows),
        page,
        hasMore: answer.has_more,
        message: page === 1 && !rows.length ? '3公里内暂时没有合适的岗位，换个条件试试' : '',
      })
    } catch (error) {
      if (number !== this.loadNumber) return // the list it was for is gone
      this.setData({ message: error.message, hasMore: false })
      api.showError(error)
    } finally {
      if (number === this.loadNumber) this.setData({ loading: false })
    }
  },

  onKindTap(event) {
    this.setData({ 'filters.kind': event.currentTarget.dataset.kind || '' })
    return this.loadPage(1)
  },

  onWageInput(event) {
    this.setData({ 'filters.wageMin': String(event.detail.value || '').replace(/\D/g, '') })
  },

  onSearchInput(event) {
    this.setData({ 'filters.q': String(event.detail.value || '').trim() })
  },

  onFilterConfirm() {
    return this.loadPage(1)
  },

  /** 为你推荐: jobs that fit my résumé (a resident's; logging in happens there). */
  onRecommendedTap() {
    wx.navigateTo({ url: '/pages/recommended/index' })
  },

  /** 招聘会 · 直播带岗: upcoming events near the phone. */
  onEventsTap() {
    wx.navigateTo({ url: '/pages/events/index' })
  },

  onJobTap(event) {
    const id = event.detail && event.detail.id ? event.detail.id : event.currentTarget.dataset.id
    wx.navigateTo({ url: `/pages/job-detail/index?id=${id}` })
  },
})
