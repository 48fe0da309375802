// 我的应聘: the jobs I applied to, newest first, each with its stage in Chinese (已投递, 已查看,
// 邀请面试, 已录用, 未通过, 已撤回); before a decision I may withdraw (PATCH status withdrawn).
const api = require('../../utils/api')
const config = require('../../utils/config')
const { confirm } = require('../../utils/dialog')
const format = require('../../utils/format')
const nav = require('../../utils/nav')
const { pagedList } = require('../../utils/paged-list')

// The applicant may withdraw until the employer decides (the server's WITHDRAWABLE).
const WITHDRAWABLE = ['submitted', 'viewed', 'interview']

/** One application as the list shows it. */
function rowOf(item) {
  const job = item.job || {}
  return {
    id: item.id,
    jobId: job.id,
    title: job.title || '',
    employer: job.employer ? job.employer.name : '',
    wage: format.wage(job),
    status: item.status,
    statusName: format.APPLICATION_STATUS_NAMES[item.status] || item.status,
    appliedAt: format.shortTime(item.created_at),
    changedAt: item.status !== 'submitted' ? format.shortTime(item.status_changed_at) : '',
    canWithdraw: WITHDRAWABLE.includes(item.status),
  }
}

Page({
  ...pagedList(function fetch(page) {
    return api.request('/applications', { data: { page, per_page: config.PAGE_SIZE } })
  }, rowOf),

  data: { items: [], page: 0, hasMore: true, loading: false, loaded: false, message: '', busyId: 0 },

  onLoad() {
    this.allowed = nav.guard(['resident'])
  },

  /** Back from a job (applied or withdrew there): the list again. */
  onShow() {
    if (!this.allowed) return undefined
    return this.loadPage(1)
  },

  onJobTap(event) {
    wx.navigateTo({ url: `/pages/job-detail/index?id=${event.currentTarget.dataset.job}` })
  },

  /** 撤回: the employer no longer sees me as a candidate for that job. */
  async onWithdrawTap(event) {
    const id = Number(event.currentTarget.dataset.id)
    const item = this.data.items.find((row) => row.id === id)
    if (!item || this.data.busyId) return
    const ok = await confirm('撤回投递', `确定撤回对“${item.title}”的投递吗？撤回后不能再次投递这个岗位。`)
    if (!ok) return
    this.setData({ busyId: id })
    try {
      const answer = await api.request(`/applications/${id}`, { method: 'PATCH', data: { status: 'withdrawn' } })
      const index = this.data.items.findIndex((row) => row.id === id)
      this.setData({ [`items[${index}]`]: rowOf(answer) })
      wx.showToast({ title: '已撤回', icon: 'success' })
    } catch (error) {
      api.showError(error)
      if (error.status === 409) await this.loadPage(1) // the employer decided meanwhile
    } finally {
      this.setData({ busyId: 0 })
    }
  },

  onRecommendedTap() {
    wx.navigateTo({ url: '/pages/recommended/index' })
  },
})
