// 办事 · 重点群体认定: my certified key groups (就业困难人员, 高校毕业生, 退役军人 …) with their state,
// validity and who certified them; applying for one, then attaching the evidence files (证明材料)
// one upload each from a WeChat chat, and removing a wrong file while the application waits.
// docs/REGISTRATIONS.md "Certified key groups" has the workflow.
const api = require('../../utils/api')
const { confirm } = require('../../utils/dialog')
const format = require('../../utils/format')
const messages = require('../../utils/messages')
const nav = require('../../utils/nav')

const MAX_BYTES = 10 * 1024 * 1024 // the server's UPLOAD_MAX_BYTES: refuse before sending 10 MB
const FILE_EXTENSIONS = ['pdf', 'doc', 'docx', 'jpg', 'jpeg', 'png']
// Registered and long-term unemployment follow rules (失业登记, the daily run): nobody applies.
const RULE_GROUPS = ['registered_unemployed', 'long_term_unemployed']
const GROUPS = Object.keys(format.KEY_GROUP_NAMES)
  .filter((value) => RULE_GROUPS.indexOf(value) < 0)
  .map((value) => ({ value, name: format.KEY_GROUP_NAMES[value] }))
const GRADUATE = 'college_graduate'

/** Graduation years to pick from: this year and the ten before, newest first. */
function graduationYears() {
  const year = new Date().getFullYear()
  return Array.from({ length: 11 }, (unused, n) => String(year - n))
}

function evidenceRow(file) {
  return { id: file.id, name: file.original_name, size: format.fileSize(file.size), time: format.shortTime(file.created_at) }
}

/** '2026年12月5日' from 'YYYY-MM-DD'. */
function fullDay(day) {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day || '')
  return match ? `${match[1]}年${Number(match[2])}月${Number(match[3])}日` : ''
}

/** One certification as the list shows it. */
function rowOf(item) {
  const decided = item.status === 'certified' || item.status === 'expired'
  let validity = ''
  if (decided && item.valid_from) {
    validity = item.valid_until ? `${fullDay(item.valid_from)} 至 ${fullDay(item.valid_until)}` : `${fullDay(item.valid_from)} 起长期有效`
  }
  const certifier = item.certified_by
  return {
    id: item.id,
    keyGroup: item.key_group,
    groupName: format.KEY_GROUP_NAMES[item.key_group] || item.key_group,
    graduationYear: item.graduation_year ? `${item.graduation_year}年毕业` : '',
    status: item.status,
    statusName: format.CERTIFICATION_STATUS_NAMES[item.status] || item.status,
    source: item.source === 'staff' ? '服务站代办' : '本人申请',
    validity,
    certifiedBy: decided && certifier ? [certifier.role_label, certifier.name].filter(Boolean).join(' ') : '',
    reason: item.status === 'rejected' ? item.reason || '' : '',
    pending: item.status === 'pending',
    evidence: (item.evidence || []).map(evidenceRow),
    appliedAt: format.shortTime(item.created_at),
  }
}

function chooseFile() {
  return new Promise((resolve) => {
    wx.chooseMessageFile({
      count: 1,
      type: 'all', // a certificate is often a photo sent in a chat
      extension: FILE_EXTENSIONS,
      success: (result) => resolve(result.tempFiles && result.tempFiles[0]),
      fail: () => resolve(null), // the person closed the chooser
    })
  })
}

Page({
  data: {
    loading: true,
    loaded: false,
    message: '',
    items: [],
    groups: GROUPS,
    years: graduationYears(),
    applying: false, // the apply form is open
    form: { groupIndex: -1, yearIndex: -1, note: '' },
    graduate: false, // the chosen group asks for the graduation year
    formMessage: '',
    sending: false,
    uploadingId: 0,
  },

  onLoad() {
    this.allowed = nav.guard(['resident'])
    // The application's client id, kept until the server answers it (a retry gets the same row).
    this.clientId = api.newClientId()
  },

  onShow() {
    if (!this.allowed) return undefined
    return this.load()
  },

  onPullDownRefresh() {
    return this.load().then(() => wx.stopPullDownRefresh())
  },

  async load() {
    this.setData({ loading: true, message: '' })
    try {
      const list = await api.request('/me/certifications')
      this.setData({ items: list.map(rowOf), loaded: true })
    } catch (error) {
      this.setData({ message: error.message })
      if (!this.data.loaded) api.showError(error)
    } finally {
      this.setData({ loading: false })
    }
  },

  // ---- applying ----

  onApplyTap() {
    this.setData({ applying: true, formMessage: '' })
  },

  onApplyCancel() {
    this.setData({ applying: false, formMessage: '', form: { groupIndex: -1, yearIndex: -1, note: '' }, graduate: false })
  },

  onGroupChange(event) {
    const index = Number(event.detail.value)
    const group = GROUPS[index]
    this.setData({ 'form.groupIndex': index, graduate: !!group && group.value === GRADUATE, formMessage: '' })
  },

  onYearChange(event) {
    this.setData({ 'form.yearIndex': Number(event.detail.value), formMessage: '' })
  },

  onNoteInput(event) {
    this.setData({ 'form.note': String(event.detail.value || '') })
  },

  async onApplySubmit() {
    if (this.data.sending) return
    const form = this.data.form
    const group = GROUPS[form.groupIndex]
    if (!group) {
      this.setData({ formMessage: '请选择认定类别' })
      return
    }
    const data = { client_id: this.clientId, key_group: group.value }
    if (group.value === GRADUATE) {
      const year = this.data.years[form.yearIndex]
      if (!year) {
        this.setData({ formMessage: messages.BY_CODE.graduation_year_required })
        return
      }
      data.graduation_year = Number(year)
    }
    if (form.note.trim()) data.note = form.note.trim()
    this.setData({ sending: true, formMessage: '' })
    try {
      const row = await api.request('/me/certifications', { method: 'POST', data })
      this.clientId = api.newClientId() // answered: the next application is another one
      const rest = this.data.items.filter((item) => item.id !== row.id)
      this.setData({ items: [rowOf(row)].concat(rest) })
      this.onApplyCancel()
      wx.showModal({ title: '已提交申请', content: '请上传证明材料（如证件、证明的照片或PDF），服务站审核时需要查看', showCancel: false })
    } catch (error) {
      // Refused: nothing was made, so the same id may go with a corrected choice.
      this.setData({ formMessage: error.message })
      api.showError(error)
    } finally {
      this.setData({ sending: false })
    }
  },

  // ---- evidence files ----

  /** Pick a file from a chat and attach it to a pending certification. */
  async onUploadTap(event) {
    const id = Number(event.currentTarget.dataset.id)
    if (this.data.uploadingId) return
    const file = await chooseFile()
    if (!file) return
    if (file.size > MAX_BYTES) {
      wx.showModal({ title: '提示', content: messages.BY_CODE.file_too_large, showCancel: false })
      return
    }
    this.setData({ uploadingId: id })
    wx.showLoading({ title: '上传中', mask: true })
    try {
      const row = await api.upload(`/me/certifications/${id}/evidence`, file.path, { formData: { name: file.name } })
      const index = this.data.items.findIndex((item) => item.id === id)
      const known = index >= 0 && this.data.items[index].evidence.some((item) => item.id === row.id)
      if (index >= 0 && !known) {
        this.setData({ [`items[${index}].evidence`]: this.data.items[index].evidence.concat([evidenceRow(row)]) })
      }
      wx.hideLoading()
      wx.showToast(known ? { title: '这个文件已经上传过了', icon: 'none' } : { title: '已上传', icon: 'success' })
    } catch (error) {
      wx.hideLoading()
      api.showError(error)
      if (error.code === 'certification_decided') await this.load()
    } finally {
      this.setData({ uploadingId: 0 })
    }
  },

  /** Remove a wrong file after the person confirms (only while the application waits). */
  async onDeleteEvidence(event) {
    const id = Number(event.currentTarget.dataset.id)
    const evidenceId = Number(event.currentTarget.dataset.evidence)
    const index = this.data.items.findIndex((item) => item.id === id)
    if (index < 0) return
    const file = this.data.items[index].evidence.find((item) => item.id === evidenceId)
    if (!file) return
    if (!(await confirm('删除材料', `确定删除“${file.name}”吗？`))) return
    try {
      await api.request(`/me/certifications/${id}/evidence/${evidenceId}`, { method: 'DELETE' })
      wx.showToast({ title: '已删除', icon: 'success' })
    } catch (error) {
      api.showError(error)
      if (error.code === 'certification_decided') return this.load()
      if (error.code !== 'file_not_found') return undefined // gone already: drop it from the list too
    }
    const evidence = this.data.items[index].evidence.filter((item) => item.id !== evidenceId)
    this.setData({ [`items[${index}].evidence`]: evidence })
    return undefined
  },
})
