// My résumé: what I can do and what I look for (the same wishes the matching uses), and the
// files attached to it (PDF, Word, JPG, PNG), uploaded from a WeChat chat.
const api = require('../../utils/api')
const { confirm } = require('../../utils/dialog')
const format = require('../../utils/format')
const messages = require('../../utils/messages')
const nav = require('../../utils/nav')

const MAX_BYTES = 10 * 1024 * 1024 // the server's UPLOAD_MAX_BYTES: refuse before sending 10 MB
const SKILL_MAX_CHARS = 20 // the server's limits on skills
const SKILL_MAX_COUNT = 30
const FILE_EXTENSIONS = ['pdf', 'doc', 'docx', 'jpg', 'png']

// On a résumé 'none' is the person's own level, not a job's "no requirement".
const EDUCATIONS = Object.keys(format.EDUCATION_NAMES).map((value) => ({
  value,
  name: value === 'none' ? '无' : format.EDUCATION_NAMES[value],
}))
const AVAILABILITIES = Object.keys(format.AVAILABILITY_NAMES).map((value) => ({
  value,
  name: format.AVAILABILITY_NAMES[value],
}))
const RADII = [1000, 2000, 3000, 5000, 10000].map((value) => ({ value, name: format.distance(value) }))
const DEFAULT_RADIUS = 3000 // what the server assumes when none is saved

/** The form's fields from the résumé the server holds. */
function formOf(resume, radii) {
  const never = !resume.updated_at
  const radius = resume.radius_m || DEFAULT_RADIUS
  return {
    educationIndex: EDUCATIONS.findIndex((item) => item.value === resume.education),
    skills: (resume.skills || []).join(' '),
    availabilityIndex: AVAILABILITIES.findIndex((item) => item.value === resume.availability),
    intro: resume.intro || '',
    // Before the first save the server reports false, and the first save defaults it to true:
    // someone writing a résumé is looking for work.
    openToWork: never ? true : !!resume.open_to_work,
    wantedKinds: resume.wanted_kinds || [],
    expectedWage: resume.expected_monthly_wage == null ? '' : String(resume.expected_monthly_wage),
    radiusIndex: radii.findIndex((item) => item.value === radius),
  }
}

/** The radius choices, with the saved one added when it is not a standard one. */
function radiiWith(radius) {
  if (!radius || RADII.some((item) => item.value === radius)) return RADII
  return RADII.concat([{ value: radius, name: format.distance(radius) }]).sort((a, b) => a.value - b.value)
}

function kindsChecked(wanted) {
  return Object.keys(format.KIND_NAMES).map((value) => ({
    value,
    name: format.KIND_NAMES[value],
    checked: wanted.indexOf(value) >= 0,
  }))
}

function fileRow(file) {
  return {
    id: file.id,
    name: file.name,
    size: format.fileSize(file.size),
    time: format.shortTime(file.created_at),
  }
}

/** Split '包装 茶叶，普通话' into tags. */
function splitSkills(text) {
  return String(text || '')
    .split(/[\s,，、;；]+/)
    .map((skill) => skill.trim())
    .filter(Boolean)
}

function chooseFile() {
  return new Promise((resolve) => {
    wx.chooseMessageFile({
      count: 1,
      type: 'file',
      extension: FILE_EXTENSIONS,
      success: (result) => resolve(result.tempFiles && result.tempFiles[0]),
      fail: () => resolve(null), // the person closed the chooser
    })
  })
}

Page({
  data: {
    loading: true,
    saving: false,
    uploading: false,
    resuming: false, // 重新开始求职 under way
    pausedByHire: false, // a hire closed the résumé (docs/JOBS.md): one tap opens it again
    pausedAt: '',
    loaded: false, // the résumé came back (else there is nothing to edit)
    isNew: false, // never saved yet
    message: '', // a check the form failed, or why the résumé did not load
    owner: { name: '', phone: '' },
    educations: EDUCATIONS,
    availabilities: AVAILABILITIES,
    radii: RADII,
    kinds: kindsChecked([]),
    form: formOf({}, RADII),
    files: [],
    updatedAt: '',
  },

  onLoad() {
    if (!nav.guard(['resident'])) return undefined
    return this.load()
  },

  /** Fetch my résumé (a resident who never wrote one gets empty fields and no files). */
  async load() {
    this.setData({ loading: true, message: '' })
    try {
      const resume = await api.request('/me/resume')
      this.show(resume)
    } catch (error) {
      this.setData({ message: error.message })
      api.showError(error)
    } finally {
      this.setData({ loading: false })
    }
  },

  show(resume) {
    const radii = radiiWith(resume.radius_m)
    const form = formOf(resume, radii)
    // Hired through the platform: seeking paused itself (no pushes, off candidate lists); the
    // switch alone would say "off" without saying why, so the page says it and offers one tap.
    const pausedByHire = !resume.open_to_work && resume.seeking_paused_reason === 'hired'
    this.setData({
      loaded: true,
      pausedByHire,
      pausedAt: pausedByHire && resume.seeking_paused_at ? format.shortTime(resume.seeking_paused_at) : '',
      isNew: !resume.updated_at,
      owner: { name: resume.name || '', phone: resume.phone || '' },
      radii,
      form,
      kinds: kindsChecked(form.wantedKinds),
      files: (resume.files || []).map(fileRow),
      updatedAt: resume.updated_at ? format.shortTime(resume.updated_at) : '',
    })
  },

  /** Text fields: `data-field` names the form field. */
  onInput(event) {
    const field = event.currentTarget.dataset.field
    let value = String(event.detail.value || '')
    if (field === 'expectedWage') value = value.replace(/\D/g, '')
    this.setData({ [`form.${field}`]: value, message: '' })
  },

  onEducationChange(event) {
    this.setData({ 'form.educationIndex': Number(event.detail.value) })
  },

  onAvailabilityChange(event) {
    this.setData({ 'form.availabilityIndex': Number(event.detail.value) })
  },

  onRadiusChange(event) {
    this.setData({ 'form.radiusIndex': Number(event.detail.value) })
  },

  onOpenToWorkChange(event) {
    this.setData({ 'form.openToWork': !!event.detail.value })
  },

  onKindsChange(event) {
    const wanted = (event.detail.value || []).slice()
    this.setData({ 'form.wantedKinds': wanted, kinds: kindsChecked(wanted) })
  },

  /** The body for PUT /me/resume, or a sentence saying what to fix. */
  body() {
    const form = this.data.form
    const skills = splitSkills(form.skills)
    if (skills.some((skill) => skill.length > SKILL_MAX_CHARS)) return { problem: `每项技能不超过${SKILL_MAX_CHARS}个字` }
    if (skills.length > SKILL_MAX_COUNT) return { problem: `技能最多填写${SKILL_MAX_COUNT}项` }
    const wage = form.expectedWage === '' ? null : Number(form.expectedWage)
    if (wage !== null && !(wage >= 0 && wage <= 1000000)) return { problem: '期望月薪请填写0到100万之间的数字' }
    const education = EDUCATIONS[form.educationIndex]
    const availability = AVAILABILITIES[form.availabilityIndex]
    const radius = this.data.radii[form.radiusIndex]
    // Experience and wanted categories are not on this form: left out, the server keeps them.
    return {
      values: {
        education: education ? education.value : null,
        skills,
        availability: availability ? availability.value : null,
        intro: form.intro.trim() || null,
        open_to_work: !!form.openToWork,
        wanted_kinds: form.wantedKinds,
        expected_monthly_wage: wage,
        radius_m: radius ? radius.value : DEFAULT_RADIUS,
      },
    }
  },

  async onSave() {
    if (this.data.saving || !this.data.loaded) return
    const { values, problem } = this.body()
    if (problem) {
      this.setData({ message: problem })
      return
    }
    this.setData({ saving: true, message: '' })
    try {
      const resume = await api.request('/me/resume', { method: 'PUT', data: values })
      this.show(resume)
      wx.showToast({ title: '已保存', icon: 'success' })
    } catch (error) {
      api.showError(error)
    } finally {
      this.setData({ saving: false })
    }
  },

  /** 重新开始求职: POST /me/resume/seeking opens the résumé again (the rest of it unchanged). */
  async onResumeSeekingTap() {
    if (this.data.resuming) return
    this.setData({ resuming: true })
    try {
      const resume = await api.request('/me/resume/seeking', { method: 'POST' })
      this.show(resume)
      wx.showToast({ title: '已重新开始求职', icon: 'success' })
    } catch (error) {
      api.showError(error)
    } finally {
      this.setData({ resuming: false })
    }
  },

  /** Pick a file from a chat and attach it; the same bytes again give back the file we have. */
  async onUploadTap() {
    if (this.data.uploading) return
    const file = await chooseFile()
    if (!file) return
    if (file.size > MAX_BYTES) {
      wx.showModal({ title: '提示', content: messages.BY_CODE.file_too_large, showCancel: false })
      return
    }
    this.setData({ uploading: true })
    wx.showLoading({ title: '上传中', mask: true })
    try {
      // The temporary path names the part tmp_…; the name from the chat goes beside it.
      const row = await api.upload('/me/resume/files', file.path, { formData: { name: file.name } })
      const known = this.data.files.some((item) => item.id === row.id)
      if (!known) this.setData({ files: this.data.files.concat([fileRow(row)]) })
      wx.hideLoading()
      wx.showToast(known ? { title: '这个文件已经上传过了', icon: 'none' } : { title: '已上传', icon: 'success' })
    } catch (error) {
      wx.hideLoading()
      api.showError(error)
    } finally {
      this.setData({ uploading: false })
    }
  },

  /** Delete an attached file after the person confirms. */
  async onDeleteFile(event) {
    const id = Number(event.currentTarget.dataset.id)
    const file = this.data.files.find((item) => item.id === id)
    if (!file) return
    if (!(await confirm('删除附件', `确定删除“${file.name}”吗？`))) return
    try {
      await api.request(`/me/resume/files/${id}`, { method: 'DELETE' })
      wx.showToast({ title: '已删除', icon: 'success' })
    } catch (error) {
      api.showError(error)
      if (error.code !== 'file_not_found') return // gone already: drop it from the list too
    }
    this.setData({ files: this.data.files.filter((item) => item.id !== id) })
  },
})
