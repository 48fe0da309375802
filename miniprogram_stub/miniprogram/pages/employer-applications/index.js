// 收到的应聘: the applications to my business's jobs (one job's with ?job_id=), newest first,
// filtered by stage; each opens on pages/employer-application (the résumé, and the next step).
const api = require('../../utils/api')
const nav = require('../../utils/nav')
const employer = require('../../utils/employer')
const format = require('../../utils/format')

const PER_PAGE = 50
const FILTERS = [
  { value: '', name: '全部' },
  ...['submitted', 'viewed', 'interview', 'hired', 'rejected', 'withdrawn'].map((value) => ({
    value,
    name: format.APPLICATION_STATUS_NAMES[value],
  })),
]

/** One application as the list shows it. */
function rowOf(application) {
  return { ...employer.applicationRow(application), fresh: application.status === 'submitted' }
}

Page({
  data: {
    jobId: 0,
    jobTitle: '',
    filters: FILTERS,
    status: '',
    loading: true,
    loaded: false,
    message: '',
    items: [],
    hasMore: false,
  },

  onLoad(query) {
    this.allowed = nav.guard(['employer'])
    this.page = 1
    const jobId = Number((query && query.job_id) || 0)
    if (jobId) this.setData({ jobId })
  },

  /** Back from one application (its stage may have moved): the list again. */
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

  async load(page = 1) {
    this.setData({ loading: true, message: '' })
    try {
      const data = {
        page,
        per_page: PER_PAGE,
        ...(this.data.jobId ? { job_id: this.data.jobId } : {}),
        ...(this.data.status ? { status: this.data.status } : {}),
      }
      const answer = await api.request('/applications', { data })
      const rows = answer.items.map(rowOf)
      this.page = page
      const patch = { items: page === 1 ? rows : this.data.items.concat(rows), hasMore: page * PER_PAGE < answer.total, loaded: true }
      if (this.data.jobId && !this.data.jobTitle) {
        const first = answer.items[0]
        const title = first && first.job ? first.job.title : (await api.request(`/jobs/${this.data.jobId}`)).title
        patch.jobTitle = title
        wx.setNavigationBarTitle({ title: `应聘 · ${title}` })
      }
      this.setData(patch)
    } catch (error) {
      this.setData({ message: error.message })
      if (!this.data.loaded) api.showError(error)
    } finally {
      this.setData({ loading: false })
    }
  },

  onOpenTap(event) {
    wx.navigateTo({ url: `/pages/employer-application/index?id=${Number(event.currentTarget.dataset.id)}` })
  },
})
