// 我的企业: my business as the service station sees it — verification state (and why it was not
// passed), the business licence (拍照或从相册上传, needed before verification), credibility, the
// place on the map (a moved business picks it again), and the links to its jobs and applicants.
const api = require('../../utils/api')
const nav = require('../../utils/nav')
const format = require('../../utils/format')
const names = require('../../utils/employer')
const uscc = require('../../utils/uscc')

const trimmed = (value) => String(value || '').trim()

/** The business as the page shows it. */
function viewOf(employer) {
  const credibility = employer.credibility || {}
  return {
    id: employer.id,
    name: employer.name,
    creditCode: employer.credit_code,
    contactName: employer.contact_name || '',
    status: employer.status,
    statusName: names.EMPLOYER_STATUS_NAMES[employer.status] || employer.status,
    decisionReason: employer.status === 'rejected' ? employer.decision_reason || '' : '',
    hasLicence: !!employer.has_licence,
    contact: [employer.contact_name, employer.contact_phone].filter(Boolean).join(' '),
    industry: format.CATEGORY_NAMES[employer.industry] || '',
    size: names.SIZE_NAMES[employer.size] || '',
    address: employer.address || '',
    place: [employer.township && employer.township.name, employer.community && employer.community.name]
      .filter(Boolean)
      .join(' · '),
    credibility: credibility.level_name ? `${credibility.level_name}${credibility.score != null ? `（${credibility.score}分）` : ''}` : '',
    credibilityReasons: credibility.reasons || [],
    // What to do next, in one sentence.
    next:
      employer.status === 'verified'
        ? ''
        : !employer.has_licence
          ? '请上传营业执照，服务站审核通过后即可发布岗位'
          : employer.status === 'rejected'
            ? '请按审核意见修改后重新上传营业执照'
            : '营业执照已上传，等待服务站审核（审核通过前可先保存岗位草稿）',
  }
}

Page({
  data: {
    loading: true,
    loaded: false,
    message: '',
    employer: null,
    uploading: false,
    // 修改企业信息: name and credit code until verified; the contact always.
    editing: false,
    edit: { name: '', creditCode: '', contactName: '', contactPhone: '' },
    editMessage: '',
    saving: false,
  },

  onLoad() {
    this.allowed = nav.guard(['employer'])
  },

  onShow() {
    if (this.allowed) return this.load()
    return undefined
  },

  onPullDownRefresh() {
    return this.load().then(() => wx.stopPullDownRefresh())
  },

  async load() {
    this.setData({ loading: true, message: '' })
    try {
      const employer = await api.request('/employers/me')
      this.setData({ employer: viewOf(employer), loaded: true })
    } catch (error) {
      this.setData({ message: error.message })
      if (!this.data.loaded) api.showError(error)
    } finally {
      this.setData({ loading: false })
    }
  },

  /** 上传营业执照: a photo from the camera or the album, sent as it is (the server checks its type). */
  onLicenceTap() {
    if (this.data.uploading || !this.data.employer) return undefined
    const id = this.data.employer.id
    return new Promise((resolve) => {
      wx.chooseMedia({
        count: 1,
        mediaType: ['image'],
        sourceType: ['camera', 'album'],
        sizeType: ['compressed'],
        success: (chosen) => resolve(this.upload(id, chosen.tempFiles[0].tempFilePath)),
        fail: () => resolve(), // cancelled: nothing changes
      })
    })
  },

  async upload(id, filePath) {
    this.setData({ uploading: true })
    try {
      await api.upload(`/employers/${id}/licence`, filePath)
      wx.showToast({ title: '已上传', icon: 'success' })
      await this.load() // the whole record (the answer has no credibility)
    } catch (error) {
      api.showError(error)
    } finally {
      this.setData({ uploading: false })
    }
  },

  /** 更新企业位置: pick the place on the map again (a verified business may move). */
  onLocationTap() {
    if (!this.data.employer) return undefined
    const id = this.data.employer.id
    return new Promise((resolve) => {
      wx.chooseLocation({
        success: (picked) => resolve(this.move(id, picked)),
        fail: () => resolve(),
      })
    })
  },

  async move(id, picked) {
    const address = [picked.address, picked.name].filter(Boolean).join(' ') || null
    try {
      await api.request(`/employers/${id}`, {
        method: 'PATCH',
        data: { lat: picked.latitude, lng: picked.longitude, ...(address ? { address } : {}) },
      })
      wx.showToast({ title: '位置已更新', icon: 'success' })
      await this.load()
    } catch (error) {
      api.showError(error)
    }
  },

  onEditTap() {
    const employer = this.data.employer
    if (!employer) return
    this.setData({
      editing: true,
      editMessage: '',
      // The phone comes masked: left empty, it stays as it is.
      edit: { name: employer.name, creditCode: employer.creditCode, contactName: employer.contactName, contactPhone: '' },
    })
  },

  onEditCancel() {
    this.setData({ editing: false, editMessage: '' })
  },

  onEditInput(event) {
    const field = event.currentTarget.dataset.field
    this.setData({ [`edit.${field}`]: String(event.detail.value || ''), editMessage: '' })
  },

  /** {data} of the changed fields, or {problem}. */
  changes() {
    const employer = this.data.employer
    const edit = this.data.edit
    const data = {}
    if (employer.status !== 'verified') {
      if (trimmed(edit.name).length < 2) return { problem: '请填写企业名称（与营业执照一致）' }
      const code = uscc.check(edit.creditCode)
      if (!code.ok) return { problem: code.problem }
      if (trimmed(edit.name) !== employer.name) data.name = trimmed(edit.name)
      if (code.value !== employer.creditCode) data.credit_code = code.value
    }
    if (trimmed(edit.contactName) !== employer.contactName) data.contact_name = trimmed(edit.contactName) || null
    if (trimmed(edit.contactPhone)) data.contact_phone = trimmed(edit.contactPhone)
    return { data }
  },

  async onEditSave() {
    if (this.data.saving || !this.data.employer) return
    const { data, problem } = this.changes()
    if (problem) {
      this.setData({ editMessage: problem })
      return
    }
    if (!Object.keys(data).length) {
      this.setData({ editing: false })
      return
    }
    this.setData({ saving: true })
    try {
      await api.request(`/employers/${this.data.employer.id}`, { method: 'PATCH', data })
      wx.showToast({ title: '已保存', icon: 'success' })
      this.setData({ editing: false })
      await this.load()
    } catch (error) {
      this.setData({ editMessage: error.message })
      api.showError(error)
    } finally {
      this.setData({ saving: false })
    }
  },

  onJobsTap() {
    wx.reLaunch({ url: '/pages/employer-jobs/index' })
  },

  onNewJobTap() {
    wx.navigateTo({ url: '/pages/employer-job-edit/index' })
  },

  onApplicationsTap() {
    wx.navigateTo({ url: '/pages/employer-applications/index' })
  },
})
