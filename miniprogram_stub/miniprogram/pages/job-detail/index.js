// One job in full (opened from the jobs list with ?id=): what it pays, who offers it, how far
// it is; apply with a note to the employer, or call them.
const api = require('../../utils/api')
const format = require('../../utils/format')
const messages = require('../../utils/messages')

/** The job as the page shows it; `here` is the phone's last known position (or null). */
function jobView(job, here) {
  const metres = format.metresBetween(here, { lat: job.lat, lng: job.lng })
  return {
    id: job.id,
    title: job.title,
    wage: format.wage(job),
    kind: format.KIND_NAMES[job.kind] || job.kind,
    category: format.CATEGORY_NAMES[job.category] || job.category || '',
    education: job.education && job.education !== 'none' ? format.EDUCATION_NAMES[job.education] || job.education : '',
    headcount: job.headcount || 0,
    address: job.address || '',
    description: job.description || '',
    skills: job.skills || [],
    employer: job.employer ? job.employer.name : '',
    verified: !!(job.employer && job.employer.verified),
    distance: metres === null ? '' : format.distance(metres),
    // Only a logged-in resident gets it (name and masked phone); the call button works either way.
    contact: job.contact && (job.contact.name || job.contact.phone) ? job.contact : null,
    validUntil: job.valid_until ? format.shortTime(job.valid_until) : '',
  }
}

Page({
  data: {
    job: null,
    loading: true,
    message: '', // why there is no job to show
    note: '', // the message to the employer
    applying: false,
    applied: false,
    applicationStatus: '', // '已投递', '已查看'… when this resident applied before
    withdrawn: false, // applied, then withdrew: applying again returns that same application
    calling: false,
    resumeMissing: false, // applied without a résumé: offer to write one
  },

  onLoad(query) {
    this.jobId = Number(query && query.id)
    return this.load()
  },

  onPullDownRefresh() {
    return this.load().then(() => wx.stopPullDownRefresh())
  },

  /** Fetch the job (anyone may see a live one), then whether I applied (only if logged in). */
  async load() {
    if (!Number.isInteger(this.jobId) || this.jobId <= 0) {
      this.setData({ loading: false, job: null, message: messages.BY_CODE.job_not_found })
      return
    }
    this.setData({ loading: true, message: '' })
    try {
      // 'optional': browsing needs no account, but a logged-in resident sees the contact.
      const job = await api.request(`/jobs/${this.jobId}`, { auth: 'optional' })
      const app = getApp()
      const here = app && app.globalData ? app.globalData.location : null
      this.setData({ job: jobView(job, here) })
      wx.setNavigationBarTitle({ title: job.title })
      await this.loadApplication()
    } catch (error) {
      this.setData({ job: null, message: error.message })
      api.showError(error)
    } finally {
      this.setData({ loading: false })
    }
  },

  /** A resident who applied before sees it; nobody is logged in just to check. */
  async loadApplication() {
    const session = api.session()
    if (!session || session.kind !== 'resident') return
    try {
      const answer = await api.request('/applications', { data: { job_id: this.jobId, per_page: 1 } })
      const application = answer.items[0]
      if (application) {
        this.showApplication(application)
      }
    } catch (error) {
      // Only a nicety: the apply button still answers "already applied" from the server.
    }
  },

  showApplication(application) {
    this.setData({
      applied: true,
      withdrawn: application.status === 'withdrawn',
      applicationStatus: format.APPLICATION_STATUS_NAMES[application.status] || application.status,
    })
  },

  onNoteInput(event) {
    this.setData({ note: String(event.detail.value || '') })
  },

  /** Apply (logging the resident in if needed); a repeat returns the first application. */
  async onApply() {
    if (this.data.applying || this.data.applied) return
    this.setData({ applying: true })
    try {
      const note = this.data.note.trim()
      const application = await api.request(`/jobs/${this.jobId}/applications`, {
        method: 'POST',
        data: { message: note || null },
      })
      this.showApplication(application)
      // A repeat returns the earlier application as it is, a withdrawn one included: not "sent".
      if (application.status === 'withdrawn') wx.showToast({ title: '您已撤回过这个岗位的投递', icon: 'none' })
      else wx.showToast({ title: '已投递', icon: 'success' })
      await this.afterApply()
    } catch (error) {
      api.showError(error)
    } finally {
      this.setData({ applying: false })
    }
  },

  /**
   * The server takes an application without a résumé (the employer then sees only the name),
   * so after applying we look whether there is one and offer to write it. Now that the person
   * is logged in, the job's contact can be shown too.
   */
  async afterApply() {
    try {
      const resume = await api.request('/me/resume')
      this.setData({ resumeMissing: !resume.updated_at && !(resume.files && resume.files.length) })
    } catch (error) {
      // not worth a dialog: the application went through
    }
    if (!this.data.job.contact) {
      try {
        const job = await api.request(`/jobs/${this.jobId}`, { auth: 'optional' })
        if (job.contact) this.setData({ 'job.contact': jobView(job, null).contact })
      } catch (error) {
        // the contact is also behind the call button
      }
    }
  },

  onResumeTap() {
    wx.navigateTo({ url: '/pages/resume/index' })
  },

  /** Ask the server for the full number (each read is audited there), then dial it. */
  async onCall() {
    if (this.data.calling) return
    this.setData({ calling: true })
    try {
      const contact = await api.request(`/jobs/${this.jobId}/contact`)
      if (!contact.contact_phone) {
        wx.showModal({ title: '提示', content: '该岗位没有留联系电话，请直接投递', showCancel: false })
        return
      }
      // WeChat itself asks before dialling; a cancel there is not an error.
      wx.makePhoneCall({ phoneNumber: contact.contact_phone, fail: () => {} })
    } catch (error) {
      api.showError(error)
    } finally {
      this.setData({ calling: false })
    }
  },
})
