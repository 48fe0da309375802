// One job in full (opened from the jobs list with ?id=, or from a shared poster's QR code with
// q = {PUBLIC_BASE_URL}/j/<id>): what it pays, who offers it, how far it is; apply with a note to
// the employer, or call them; 举报 a job that looks false; 分享海报 (the job card PNG, to send or save).
const api = require('../../utils/api')
const config = require('../../utils/config')
const format = require('../../utils/format')
const messages = require('../../utils/messages')
const nav = require('../../utils/nav')

// Why a job is reported (举报), coded here; the server keeps the Chinese text staff read.
const REPORT_REASONS = [
  { code: 'fee', name: '收取押金或费用' },
  { code: 'false_info', name: '岗位信息虚假' },
  { code: 'unreachable', name: '联系不上招聘方' },
  { code: 'wage', name: '薪资与描述不符' },
  { code: 'illegal', name: '违法或涉黄涉赌' },
  { code: 'other', name: '其他' },
]

// The path a shared poster's QR code opens (the server's /j/ route, beside the station's /s/).
const JOB_LINK_PATH = '/j/'

/**
 * The job id in a scanned poster's URL (the `q` WeChat hands over, percent-encoded once or
 * more): `<base>/j/<id>`, or 0 when the text has another shape.
 */
function jobIdFromLink(text) {
  let raw = String(text || '').trim()
  for (let i = 0; i < 3 && /%(?:25)*[0-9a-f]{2}/i.test(raw); i += 1) {
    try {
      raw = decodeURIComponent(raw)
    } catch (error) {
      break
    }
  }
  const match = /^https?:\/\/[^/?#]+(\/[^?#]*)/i.exec(raw)
  if (!match) return 0
  const path = match[1].replace(/\/+$/, '')
  const at = path.lastIndexOf(JOB_LINK_PATH)
  if (at < 0) return 0
  const id = path.slice(at + JOB_LINK_PATH.length)
  return /^[1-9]\d{0,11}$/.test(id) ? Number(id) : 0
}

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
    resident: true, // apply and 举报 are for residents (nobody logged in counts as one)
    // 举报: the form, the reasons, what was sent.
    reportOpen: false,
    reasons: REPORT_REASONS,
    reportReason: '',
    reportDetail: '',
    reporting: false,
    reported: false,
    // 分享海报: the downloaded card (a temporary file) and whether it is being fetched.
    poster: '',
    posterLoading: false,
  },

  onLoad(query) {
    // From a poster's QR code WeChat opens this page with q (the /j/ URL), not id.
    this.jobId = query && query.q ? jobIdFromLink(query.q) : Number(query && query.id)
    const role = nav.currentRole()
    this.setData({ resident: !role || role === 'resident' })
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

  /** 转发: the job itself, to a chat (the card opens this page with its id). */
  onShareAppMessage() {
    const job = this.data.job
    return { title: job ? `${job.title} ${job.wage}` : '岗位详情', path: `/pages/job-detail/index?id=${this.jobId}` }
  },

  // ---- 举报 ----

  onReportTap() {
    this.setData({ reportOpen: !this.data.reportOpen })
  },

  onReasonTap(event) {
    this.setData({ reportReason: event.currentTarget.dataset.code || '' })
  },

  onReportDetailInput(event) {
    this.setData({ reportDetail: String(event.detail.value || '') })
  },

  /** Send the report: the reason's text, and what the person adds (a repeat returns the first). */
  async onReportSubmit() {
    if (this.data.reporting || this.data.reported) return
    const reason = REPORT_REASONS.find((item) => item.code === this.data.reportReason)
    if (!reason) {
      wx.showModal({ title: '提示', content: '请选择举报原因', showCancel: false })
      return
    }
    const detail = this.data.reportDetail.trim()
    if (reason.code === 'other' && detail.length < 2) {
      wx.showModal({ title: '提示', content: '请简单说明举报原因', showCancel: false })
      return
    }
    const text = detail ? `${reason.name}：${detail}` : reason.name
    this.setData({ reporting: true })
    try {
      await api.request(`/jobs/${this.jobId}/reports`, { method: 'POST', data: { reason: text.slice(0, 255) } })
      this.setData({ reported: true, reportOpen: false })
      wx.showToast({ title: '已举报，我们会尽快核实', icon: 'none' })
    } catch (error) {
      api.showError(error)
    } finally {
      this.setData({ reporting: false })
    }
  },

  // ---- 分享海报 ----

  /** Download the job card (a PNG with the job and a QR code to it) and offer it to send or save. */
  async onPosterTap() {
    if (this.data.posterLoading) return
    this.setData({ posterLoading: true })
    try {
      const file = await new Promise((resolve, reject) =>
        wx.downloadFile({
          url: `${config.baseUrl()}${config.API_PREFIX}/jobs/${this.jobId}/card.png`,
          success: (result) => resolve(result),
          fail: (error) => reject(error),
        }),
      )
      if (file.statusCode !== 200) {
        // The body is the error envelope, in a file: the status says enough here.
        const code = file.statusCode === 404 ? 'job_not_found' : null
        const envelope = code ? { code } : null
        wx.showModal({ title: '提示', content: messages.forError(envelope, file.statusCode), showCancel: false })
        return
      }
      this.setData({ poster: file.tempFilePath })
      if (wx.showShareImageMenu) {
        // Send to a chat, save, or 识别 — WeChat's own menu for an image.
        wx.showShareImageMenu({ path: file.tempFilePath, fail: () => this.previewPoster() })
      } else {
        this.previewPoster()
      }
    } catch (error) {
      api.showError({ message: messages.forError(null, 0) })
    } finally {
      this.setData({ posterLoading: false })
    }
  },

  previewPoster() {
    if (this.data.poster) wx.previewImage({ urls: [this.data.poster], current: this.data.poster })
  },

  /** 保存到相册 (WeChat asks for the album permission the first time). */
  onPosterSave() {
    if (!this.data.poster) return
    wx.saveImageToPhotosAlbum({
      filePath: this.data.poster,
      success: () => wx.showToast({ title: '已保存到相册', icon: 'success' }),
      fail: (error) => {
        if (/cancel/.test((error && error.errMsg) || '')) return
        wx.showModal({ title: '提示', content: '保存失败，请在设置中允许微信保存到相册', showCancel: false })
      },
    })
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
