// 附近人才: job seekers near one of my published jobs whose wishes it fits, best first. Personal
// data comes masked from the server (family name only, no contact, no id): people are reached
// by their own application, never from this list.
const api = require('../../utils/api')
const nav = require('../../utils/nav')
const format = require('../../utils/format')

const PER_PAGE = 20
const RADII = [
  { value: 1000, name: '1公里' },
  { value: 3000, name: '3公里' },
  { value: 5000, name: '5公里' },
]
const GENDER_NAMES = { male: '男', female: '女' }

/** One candidate as the list shows it. */
function rowOf(candidate, index) {
  return {
    key: index,
    name: candidate.name || '求职者',
    about: [GENDER_NAMES[candidate.gender], candidate.age ? `${candidate.age}岁` : '', format.EDUCATION_NAMES[candidate.education] || '']
      .filter(Boolean)
      .join(' · '),
    skills: (candidate.skills || []).join('、'),
    availability: format.AVAILABILITY_NAMES[candidate.availability] || '',
    distance: format.distance(candidate.distance_m),
    match: candidate.score == null ? '' : `${Math.round(candidate.score)}分`, // out of 100
  }
}

Page({
  data: {
    jobId: 0,
    jobTitle: '',
    radii: RADII,
    radius: 3000,
    loading: true,
    loaded: false,
    message: '',
    items: [],
    hasMore: false,
  },

  onLoad(query) {
    if (!nav.guard(['employer'])) return undefined
    this.page = 1
    const jobId = Number((query && query.job_id) || 0)
    this.setData({ jobId })
    return Promise.all([this.loadJob(), this.load()])
  },

  onPullDownRefresh() {
    return this.load().then(() => wx.stopPullDownRefresh())
  },

  onReachBottom() {
    if (this.data.hasMore && !this.data.loading) return this.load(this.page + 1)
    return undefined
  },

  onRadiusTap(event) {
    this.setData({ radius: Number(event.currentTarget.dataset.radius) })
    return this.load()
  },

  async loadJob() {
    try {
      const job = await api.request(`/jobs/${this.data.jobId}`)
      this.setData({ jobTitle: job.title })
    } catch (error) {
      // The list says what is wrong (the same job): one dialog is enough.
    }
  },

  async load(page = 1) {
    this.setData({ loading: true, message: '' })
    try {
      const answer = await api.request(`/jobs/${this.data.jobId}/candidates`, {
        data: { radius_m: this.data.radius, page, per_page: PER_PAGE },
      })
      const offset = (page - 1) * PER_PAGE
      const rows = answer.items.map((item, index) => rowOf(item, offset + index))
      this.page = page
      this.setData({
        items: page === 1 ? rows : this.data.items.concat(rows),
        // No total: a full page may have more behind it (the server pages up to 25).
        hasMore: answer.items.length === PER_PAGE && page < 25,
        loaded: true,
      })
    } catch (error) {
      this.setData({ message: error.message })
      if (!this.data.loaded) api.showError(error)
    } finally {
      this.setData({ loading: false })
    }
  },
})
