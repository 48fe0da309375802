// 应聘详情: one application to my job — who applied, their note, their résumé (opening it tells
// them it was read: 已查看) with its files, and the next step: 邀请面试, 录用, 不合适. The phone
// number shows in full from the interview on (the server reveals it then, and audits the read);
// before, it is masked.
const api = require('../../utils/api')
const config = require('../../utils/config')
const nav = require('../../utils/nav')
const format = require('../../utils/format')
const { confirm } = require('../../utils/dialog')
const employer = require('../../utils/employer')

// The employer's next steps from each stage (the server's EMPLOYER_MOVES).
const MOVES = {
  submitted: ['interview', 'rejected'],
  viewed: ['interview', 'hired', 'rejected'],
  interview: ['hired', 'rejected'],
}
const STEP_TEXT = {
  interview: { button: '邀请面试', done: '已邀请面试', ask: '' },
  hired: { button: '录用', done: '已录用', ask: '确定录用吗？录用后将为求职者登记入职，并通知对方。' },
  rejected: { button: '不合适', done: '已标记', ask: '确定标记为不合适吗？求职者会收到通知。' },
}

/** The application as the page shows it. */
function applicationOf(application) {
  return {
    ...employer.applicationRow(application),
    steps: (MOVES[application.status] || []).map((status) => ({ status, text: STEP_TEXT[status].button })),
  }
}

/** The résumé as the page shows it. */
function resumeOf(resume) {
  return {
    phone: resume.phone || '',
    // A full number (not 139****0000) can be called.
    callable: !!resume.phone && !resume.phone.includes('*'),
    education: format.EDUCATION_NAMES[resume.education] || '',
    availability: format.AVAILABILITY_NAMES[resume.availability] || '',
    skills: (resume.skills || []).join('、'),
    intro: resume.intro || '',
    experience: (resume.experience || []).map((item) => ({
      employer: item.employer,
      title: item.title || '',
      period: [item.start, item.end || '至今'].filter(Boolean).join(' - '),
      description: item.description || '',
    })),
    files: (resume.files || []).map((file) => ({ id: file.id, name: file.name, size: format.fileSize(file.size) })),
    wanted: (resume.wanted_categories || []).map((value) => format.CATEGORY_NAMES[value] || value).join('、'),
  }
}

Page({
  data: {
    loading: true,
    loaded: false,
    message: '',
    application: null,
    resume: null,
    resumeMessage: '', // why the résumé cannot be shown (withdrawn, …)
    busy: false,
  },

  onLoad(query) {
    if (!nav.guard(['employer'])) return undefined
    this.id = Number((query && query.id) || 0)
    return this.load()
  },

  onPullDownRefresh() {
    return this.load().then(() => wx.stopPullDownRefresh())
  },

  /** The application, then the résumé (reading it marks a new application 已查看: shown at once). */
  async load() {
    this.setData({ loading: true, message: '' })
    try {
      let application = await api.request(`/applications/${this.id}`)
      await this.loadResume(application)
      if (application.status === 'submitted' && this.data.resume) {
        application = await api.request(`/applications/${this.id}`)
      }
      this.setData({ application: applicationOf(application), loaded: true })
    } catch (error) {
      this.setData({ message: error.message })
      if (!this.data.loaded) api.showError(error)
    } finally {
      this.setData({ loading: false })
    }
  },

  async loadResume(application) {
    const residentId = application.applicant && application.applicant.resident_id
    if (!residentId) return
    try {
      const resume = await api.request(`/resumes/${residentId}`)
      this.setData({ resume: resumeOf(resume), resumeMessage: '' })
    } catch (error) {
      // A withdrawn application no longer opens the résumé (404): said in its place.
      this.setData({ resume: null, resumeMessage: error.status === 404 ? '求职者已撤回应聘，简历不再可见' : error.message })
    }
  },

  /** 邀请面试 / 录用 / 不合适. */
  async onStepTap(event) {
    const status = String(event.currentTarget.dataset.status)
    const text = STEP_TEXT[status]
    if (!text || this.data.busy || !this.data.application) return
    if (text.ask && !(await confirm(text.button, text.ask))) return
    this.setData({ busy: true })
    try {
      const application = await api.request(`/applications/${this.id}`, { method: 'PATCH', data: { status } })
      this.setData({ application: applicationOf(application) })
      wx.showToast({ title: text.done, icon: 'success' })
      // From the interview on the résumé carries the full phone number.
      if (status === 'interview' || status === 'hired') await this.loadResume(application)
    } catch (error) {
      api.showError(error)
      if (error.status === 409 || error.status === 404) await this.load()
    } finally {
      this.setData({ busy: false })
    }
  },

  onCallTap() {
    const resume = this.data.resume
    if (resume && resume.callable) wx.makePhoneCall({ phoneNumber: resume.phone })
  },

  /** Open one résumé file: downloaded with my token, a picture previewed, a document opened. */
  onFileTap(event) {
    const id = Number(event.currentTarget.dataset.id)
    const application = this.data.application
    const file = this.data.resume && this.data.resume.files.find((item) => item.id === id)
    const session = api.session()
    if (!file || !application || !session) return undefined
    return new Promise((resolve) => {
      wx.downloadFile({
        url: `${config.baseUrl()}${config.API_PREFIX}/resumes/${application.residentId}/files/${id}`,
        header: { Authorization: `Bearer ${session.token}` },
        success: (result) => {
          if (result.statusCode !== 200) api.showError({ message: '附件已删除或无权查看' })
          else if (/\.(png|jpe?g)$/i.test(file.name)) wx.previewImage({ urls: [result.tempFilePath] })
          else wx.openDocument({ filePath: result.tempFilePath, showMenu: true })
          resolve()
        },
        fail: () => {
          api.showError({ message: '文件下载失败，请检查网络' })
          resolve()
        },
      })
    })
  },
})
