// 审核: the jobs waiting for review in my place (approve, or reject with a reason the employer
// reads) and the employers waiting for verification (their business licence, verify or reject).
const api = require('../../utils/api')
const config = require('../../utils/config')
const format = require('../../utils/format')
const nav = require('../../utils/nav')

// Who reviews jobs (the server's jobs REVIEW_ROLES) and who verifies employers (VERIFY_ROLES).
const JOB_REVIEW_ROLES = ['station_staff', 'operator']
const VERIFY_ROLES = ['station_staff', 'operator', 'township_admin', 'district_admin', 'city_admin']

/** A mobile shown as 138****5678 (the reviewer checks the business, not the person's number). */
function maskPhone(phone) {
  const digits = String(phone || '')
  return digits.length === 11 ? `${digits.slice(0, 3)}****${digits.slice(7)}` : digits
}

function jobRow(job) {
  return {
    id: job.id,
    title: job.title,
    employer: job.employer ? job.employer.name : '',
    verified: !!(job.employer && job.employer.verified),
    wage: format.wage(job),
    kind: format.KIND_NAMES[job.kind] || job.kind,
    category: format.CATEGORY_NAMES[job.category] || job.category || '',
    headcount: job.headcount || '',
    address: job.address || '',
    reason: '',
  }
}

function employerRow(employer) {
  return {
    id: employer.id,
    name: employer.name,
    creditCode: employer.credit_code || '',
    legalRepresentative: employer.legal_representative || '',
    contact: [employer.contact_name, maskPhone(employer.contact_phone)].filter(Boolean).join(' '),
    industry: format.CATEGORY_NAMES[employer.industry] || employer.industry || '',
    address: employer.address || '',
    hasLicence: !!employer.has_licence,
    createdAt: format.shortTime(employer.created_at),
    reason: '',
  }
}

Page({
  data: {
    reviewsJobs: false,
    jobs: [],
    employers: [],
    busy: false,
    loading: false,
    message: '',
  },

  onLoad() {
    this.allowed = nav.guard(VERIFY_ROLES)
    const current = api.session()
    this.setData({ reviewsJobs: !!current && JOB_REVIEW_ROLES.includes(current.role) })
  },

  onShow() {
    if (this.allowed) return this.refresh()
    return undefined
  },

  onPullDownRefresh() {
    return this.refresh().then(() => wx.stopPullDownRefresh())
  },

  async refresh() {
    this.setData({ loading: true, message: '' })
    try {
      const [jobs, employers] = await Promise.all([
        this.data.reviewsJobs
          ? api.request('/jobs/managed', { data: { status: 'pending_review', per_page: 100 } })
          : Promise.resolve({ items: [] }),
        api.request('/employers', { data: { status: 'pending', per_page: 100 } }),
      ])
      this.setData({
        jobs: jobs.items.map(jobRow),
        employers: employers.items.map(employerRow),
        message: jobs.items.length || employers.items.length ? '' : '没有待审核的岗位和企业',
      })
    } catch (error) {
      if (error.status !== 401) {
        this.setData({ message: error.message })
        api.showError(error)
      }
    } finally {
      this.setData({ loading: false })
    }
  },

  onJobReasonInput(event) {
    const index = this.data.jobs.findIndex((row) => row.id === Number(event.currentTarget.dataset.id))
    if (index >= 0) this.setData({ [`jobs[${index}].reason`]: String(event.detail.value || '') })
  },

  onEmployerReasonInput(event) {
    const index = this.data.employers.findIndex((row) => row.id === Number(event.currentTarget.dataset.id))
    if (index >= 0) this.setData({ [`employers[${index}].reason`]: String(event.detail.value || '') })
  },

  onApproveJobTap(event) {
    return this.reviewJob(Number(event.currentTarget.dataset.id), 'approved')
  },

  onRejectJobTap(event) {
    return this.reviewJob(Number(event.currentTarget.dataset.id), 'rejected')
  },

  /** Approve (publish) or reject a job. */
  reviewJob(id, decision) {
    const send = (data) => api.request(`/jobs/${id}/review`, { method: 'POST', data })
    return this.decide('jobs', id, decision, send, '已发布')
  },

  onVerifyEmployerTap(event) {
    return this.verifyEmployer(Number(event.currentTarget.dataset.id), 'verified')
  },

  onRejectEmployerTap(event) {
    return this.verifyEmployer(Number(event.currentTarget.dataset.id), 'rejected')
  },

  /** Verify or reject an employer (audited on the server). */
  verifyEmployer(id, decision) {
    const send = (data) => api.request(`/employers/${id}/verify`, { method: 'POST', data })
    return this.decide('employers', id, decision, send, '已认证')
  },

  /** Decide one row of a review list (`key`: jobs or employers); a rejection says why (the employer reads it). */
  async decide(key, id, decision, send, doneTitle) {
    const row = this.data[key].find((item) => item.id === id)
    if (!row || this.data.busy) return
    const reason = row.reason.trim()
    if (decision === 'rejected' && !reason) {
      wx.showToast({ title: '请填写驳回原因', icon: 'none' })
      return
    }
    this.setData({ busy: true })
    try {
      await send(reason ? { decision, reason } : { decision })
      this.setData({ [key]: this.data[key].filter((item) => item.id !== id) })
      wx.showToast({ title: decision === 'rejected' ? '已驳回' : doneTitle, icon: 'success' })
    } catch (error) {
      if (error.status !== 401) api.showError(error)
    } finally {
      this.setData({ busy: false })
    }
  },

  /** 查看执照: download the licence with the staff token and show it full screen. */
  onLicenceTap(event) {
    const id = Number(event.currentTarget.dataset.id)
    const current = api.session()
    return new Promise((resolve) => {
      wx.downloadFile({
        url: `${config.baseUrl()}${config.API_PREFIX}/employers/${id}/licence`,
        header: current ? { Authorization: `Bearer ${current.token}` } : {},
        success: (response) => {
          if (response.statusCode === 200) wx.previewImage({ urls: [response.tempFilePath] })
          else wx.showModal({ title: '提示', content: '执照文件暂时打不开，请稍后再试', showCancel: false })
          resolve()
        },
        fail: () => {
          wx.showModal({ title: '提示', content: '网络不可用，请检查网络后再试', showCancel: false })
          resolve()
        },
      })
    })
  },
})
