// 岗位管理: my business's jobs by state, newest first, each with what its state allows — a draft
// is edited and sent for review (and says why review sent it back), a published one is refreshed
// (back on top of 最新, another 30 days) or closed, an expired one revived; the applicants and
// the nearby candidates of each job one tap away.
const api = require('../../utils/api')
const nav = require('../../utils/nav')
const format = require('../../utils/format')
const names = require('../../utils/employer')
const { confirm } = require('../../utils/dialog')

const PER_PAGE = 50
const FILTERS = [{ value: '', name: '全部' }, ...names.options(names.JOB_STATUS_NAMES)]

/** One job as the list shows it, with the steps its state allows. */
function rowOf(job) {
  const status = job.status
  return {
    id: job.id,
    title: job.title,
    status,
    statusName: names.JOB_STATUS_NAMES[status] || status,
    wage: format.wage(job),
    kind: format.KIND_NAMES[job.kind] || job.kind,
    headcount: job.headcount || 1,
    validUntil: job.valid_until ? format.shortTime(job.valid_until) : '',
    reviewReason: status === 'draft' ? job.review_reason || '' : '',
    hidden: !!job.hidden_by_reports,
    canEdit: status === 'draft' || status === 'pending_review' || status === 'published',
    canSubmit: status === 'draft',
    canRefresh: status === 'published' || status === 'expired',
    canClose: status !== 'closed',
    hasPeople: status === 'published' || status === 'closed' || status === 'expired',
  }
}

Page({
  data: {
    loading: true,
    loaded: false,
    message: '',
    filters: FILTERS,
    status: '',
    items: [],
    hasMore: false,
    busyId: 0,
    verified: true, // the business may send jobs for review (said above the list when not)
    employerNote: '',
  },

  onLoad() {
    this.allowed = nav.guard(['employer'])
    this.page = 1
  },

  onShow() {
    if (this.allowed) return this.load()
    return undefined
  },

  onPullDownRefresh() {
    return this.load().then(() => wx.stopPullDownRefresh())
  },

  onReachBottom() {
    if (this.data.hasMore && !this.data.loading) return this.load(this.page + 1)
    return undefined
  },

  onFilterTap(event) {
    this.setData({ status: String(event.currentTarget.dataset.status || '') })
    return this.load()
  },

  /** The first page again (or the next one, `page`), each draft with why review sent it back. */
  async load(page = 1) {
    this.setData({ loading: true, message: '' })
    try {
      const data = { page, per_page: PER_PAGE, ...(this.data.status ? { status: this.data.status } : {}) }
      const [answer, employer] = await Promise.all([
        api.request('/jobs/managed', { data }),
        page === 1 ? api.request('/employers/me') : Promise.resolve(null),
      ])
      const rows = answer.items.map(rowOf)
      this.page = page
      const patch = {
        items: page === 1 ? rows : this.data.items.concat(rows),
        hasMore: page * PER_PAGE < answer.total,
        loaded: true,
      }
      if (employer) {
        patch.verified = employer.status === 'verified'
        patch.employerNote =
          employer.status === 'verified'
            ? ''
            : employer.status === 'rejected'
              ? '企业认证未通过，岗位暂不能提交审核，请到“我的企业”查看原因'
              : '企业认证通过后才能提交岗位审核，可先保存草稿'
      }
      this.setData(patch)
    } catch (error) {
      this.setData({ message: error.message })
      if (!this.data.loaded) api.showError(error)
    } finally {
      this.setData({ loading: false })
    }
  },

  /** Put an answered job in its place in the list (or drop it when the filter no longer holds it). */
  replace(job) {
    const index = this.data.items.findIndex((item) => item.id === job.id)
    if (index < 0) return
    if (this.data.status && job.status !== this.data.status) {
      this.setData({ items: this.data.items.filter((item) => item.id !== job.id) })
    } else {
      this.setData({ [`items[${index}]`]: rowOf(job) })
    }
  },

  /** Send one step for a job (one at a time); `done` is the toast after it. */
  async step(id, send, done) {
    if (this.data.busyId) return
    this.setData({ busyId: id })
    try {
      this.replace(await send())
      wx.showToast({ title: done, icon: 'success' })
    } catch (error) {
      api.showError(error)
      if (error.status === 409 || error.status === 404) await this.load()
    } finally {
      this.setData({ busyId: 0 })
    }
  },

  async onSubmitTap(event) {
    const id = Number(event.currentTarget.dataset.id)
    await this.step(id, () => api.request(`/jobs/${id}/submit`, { method: 'POST', data: {} }), '已提交审核')
  },

  async onRefreshTap(event) {
    const id = Number(event.currentTarget.dataset.id)
    await this.step(id, () => api.request(`/jobs/${id}/refresh`, { method: 'POST', data: {} }), '已刷新')
  },

  async onCloseTap(event) {
    const id = Number(event.currentTarget.dataset.id)
    const item = this.data.items.find((row) => row.id === id)
    if (!item) return
    const ok = await confirm('关闭岗位', `关闭后“${item.title}”将不再展示，也不能再收到投递。确定关闭吗？`)
    if (!ok) return
    await this.step(id, () => api.request(`/jobs/${id}/close`, { method: 'POST', data: {} }), '已关闭')
  },

  onEditTap(event) {
    wx.navigateTo({ url: `/pages/employer-job-edit/index?id=${Number(event.currentTarget.dataset.id)}` })
  },

  onNewTap() {
    wx.navigateTo({ url: '/pages/employer-job-edit/index' })
  },

  onApplicationsTap(event) {
    wx.navigateTo({ url: `/pages/employer-applications/index?job_id=${Number(event.currentTarget.dataset.id)}` })
  },

  onCandidatesTap(event) {
    wx.navigateTo({ url: `/pages/employer-candidates/index?job_id=${Number(event.currentTarget.dataset.id)}` })
  },
})
