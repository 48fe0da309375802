// 发布/编辑岗位: a job's fields (title, category, kind, wage and its unit, headcount, education,
// skills, description, the place: the business's address unless another is picked on the map).
// 保存草稿 keeps it as a draft; 提交审核 saves and sends it for review. A new job keeps one client id
// until the server answers, so a tap repeated after a lost answer makes one job, not two.
// Editing a published job sends it back to review (said before saving).
const api = require('../../utils/api')
const nav = require('../../utils/nav')
const names = require('../../utils/employer')
const { confirm } = require('../../utils/dialog')

const EMPTY_FORM = {
  title: '',
  categoryIndex: -1,
  kindIndex: 0, // 全职
  wageMin: '',
  wageMax: '',
  unitIndex: 0, // 元/月
  headcount: '1',
  educationIndex: 0, // 不限
  skills: '',
  description: '',
  address: '',
  lat: null,
  lng: null,
  placeName: '',
}

// The server's field names → the form's (to mark the field a refusal is about).
const FIELDS = {
  title: 'title',
  category: 'categoryIndex',
  kind: 'kindIndex',
  wage_min: 'wageMin',
  wage_max: 'wageMax',
  headcount: 'headcount',
  lat: 'place',
  lng: 'place',
  skills: 'skills',
  description: 'description',
}

const trimmed = (value) => String(value || '').trim()
const orNull = (value) => trimmed(value) || null

/** A whole number of yuan typed in a field, null when empty, NaN when not a number. */
function amount(text) {
  const value = trimmed(text)
  if (!value) return null
  return /^\d{1,7}$/.test(value) ? Number(value) : NaN
}

/** The form of a job read from the server. */
function formOf(job) {
  return {
    title: job.title || '',
    categoryIndex: names.indexOf(names.CATEGORIES, job.category),
    kindIndex: Math.max(0, names.indexOf(names.KINDS, job.kind)),
    wageMin: job.wage_min === null || job.wage_min === undefined ? '' : String(job.wage_min),
    wageMax: job.wage_max === null || job.wage_max === undefined ? '' : String(job.wage_max),
    unitIndex: Math.max(0, names.indexOf(names.WAGE_UNITS, job.wage_unit)),
    headcount: String(job.headcount || 1),
    educationIndex: Math.max(0, names.indexOf(names.EDUCATIONS, job.education || 'none')),
    skills: (job.skills || []).join('，'),
    description: job.description || '',
    address: job.address || '',
    lat: job.lat,
    lng: job.lng,
    placeName: job.address || '已选位置',
  }
}

Page({
  data: {
    id: 0, // 0: a new job
    status: '', // the job's state when editing
    reviewReason: '',
    loading: false,
    form: { ...EMPTY_FORM },
    categories: names.CATEGORIES,
    kinds: names.KINDS,
    units: names.WAGE_UNITS,
    educations: names.EDUCATIONS,
    sending: false,
    message: '',
    errorField: '',
  },

  onLoad(query) {
    if (!nav.guard(['employer'])) return undefined
    this.clientId = api.newClientId()
    const id = Number((query && query.id) || 0)
    if (!id) return undefined
    this.setData({ id })
    wx.setNavigationBarTitle({ title: '编辑岗位' })
    return this.load(id)
  },

  async load(id) {
    this.setData({ loading: true })
    try {
      const job = await api.request(`/jobs/${id}`)
      this.setData({ form: formOf(job), status: job.status, reviewReason: job.status === 'draft' ? job.review_reason || '' : '' })
    } catch (error) {
      this.setData({ message: error.message })
      api.showError(error)
    } finally {
      this.setData({ loading: false })
    }
  },

  /** Text fields: `data-field` names the form field. */
  onInput(event) {
    const field = event.currentTarget.dataset.field
    this.setData({ [`form.${field}`]: String(event.detail.value || ''), message: '', errorField: '' })
  },

  /** Pickers: `data-field` names the index field. */
  onPickerChange(event) {
    const field = event.currentTarget.dataset.field
    this.setData({ [`form.${field}`]: Number(event.detail.value), message: '', errorField: '' })
  },

  /** 地图选点: the job's own place (else the business's). */
  onChooseLocation() {
    const form = this.data.form
    return new Promise((resolve) => {
      wx.chooseLocation({
        ...(form.lat !== null ? { latitude: form.lat, longitude: form.lng } : {}),
        success: (picked) => {
          this.setData({
            'form.lat': picked.latitude,
            'form.lng': picked.longitude,
            'form.placeName': picked.name || picked.address || '已选位置',
            'form.address': [picked.address, picked.name].filter(Boolean).join(' ') || form.address,
            message: '',
            errorField: '',
          })
          resolve()
        },
        fail: () => resolve(),
      })
    })
  },

  /** {data} to send, or {problem, field} saying what to fix first. */
  body() {
    const form = this.data.form
    const title = trimmed(form.title)
    if (title.length < 2) return { problem: '请填写岗位名称（至少2个字）', field: 'title' }
    const category = names.CATEGORIES[form.categoryIndex]
    if (!category) return { problem: '请选择岗位类别', field: 'categoryIndex' }
    const low = amount(form.wageMin)
    const high = amount(form.wageMax)
    if (Number.isNaN(low)) return { problem: '最低薪资请填写整数（元）', field: 'wageMin' }
    if (Number.isNaN(high)) return { problem: '最高薪资请填写整数（元）', field: 'wageMax' }
    if (low !== null && high !== null && low > high) return { problem: '最高薪资不能低于最低薪资', field: 'wageMax' }
    const headcount = Number(trimmed(form.headcount) || '1')
    if (!Number.isInteger(headcount) || headcount < 1 || headcount > 10000) return { problem: '招聘人数为1-10000之间的整数', field: 'headcount' }
    const skills = trimmed(form.skills)
      .split(/[,，、\s]+/)
      .map((skill) => skill.trim())
      .filter(Boolean)
    if (skills.length > 20) return { problem: '技能要求最多20项', field: 'skills' }
    if (skills.some((skill) => skill.length > 20)) return { problem: '每项技能要求不超过20个字', field: 'skills' }
    const education = names.EDUCATIONS[form.educationIndex]
    const data = {
      title,
      category: category.value,
      kind: names.KINDS[form.kindIndex].value,
      wage_min: low,
      wage_max: high,
      wage_unit: names.WAGE_UNITS[form.unitIndex].value,
      headcount,
      education: education && education.value !== 'none' ? education.value : null,
      skills,
      description: orNull(form.description),
      address: orNull(form.address),
    }
    // Without a pick the job is where the business is (the server fills it in).
    if (form.lat !== null && form.lng !== null) Object.assign(data, { lat: form.lat, lng: form.lng })
    return { data }
  },

  /** Save (create or edit); resolves the job, or null when refused (said on the page). */
  async save() {
    const { data, problem, field } = this.body()
    if (problem) {
      this.setData({ message: problem, errorField: field })
      return null
    }
    if (this.data.status === 'published') {
      const ok = await confirm('修改岗位', '修改后岗位需重新审核，审核通过前暂停展示。确定修改吗？')
      if (!ok) return null
    }
    try {
      let job
      if (this.data.id) {
        job = await api.request(`/jobs/${this.data.id}`, { method: 'PATCH', data })
      } else {
        job = await api.request('/jobs', { method: 'POST', data: { ...data, client_id: this.clientId } })
        this.clientId = api.newClientId() // answered: another form would be another job
      }
      this.setData({ id: job.id, status: job.status })
      return job
    } catch (error) {
      this.setData({ message: error.message, errorField: FIELDS[error.field] || '' })
      api.showError(error)
      return null
    }
  },

  async onSaveTap() {
    if (this.data.sending) return
    this.setData({ sending: true, message: '', errorField: '' })
    try {
      const job = await this.save()
      if (job) this.done(job.status === 'pending_review' ? '已保存，待审核' : '草稿已保存')
    } finally {
      this.setData({ sending: false })
    }
  },

  /** 提交审核: save, then send the draft for review (a job already in review stays there). */
  async onSubmitTap() {
    if (this.data.sending) return
    this.setData({ sending: true, message: '', errorField: '' })
    try {
      const job = await this.save()
      if (!job) return
      if (job.status !== 'draft') {
        this.done('已提交审核')
        return
      }
      try {
        await api.request(`/jobs/${job.id}/submit`, { method: 'POST', data: {} })
        this.done('已提交审核')
      } catch (error) {
        // Saved as a draft all the same (an employer not verified yet): say why it is not in review.
        this.setData({ message: `草稿已保存。${error.message}` })
        api.showError(error)
      }
    } finally {
      this.setData({ sending: false })
    }
  },

  /** Saved: say so and go back to the list (opened from there, or in its place). */
  done(title) {
    wx.showToast({ title, icon: title.length > 7 ? 'none' : 'success' })
    if (getCurrentPages().length > 1) wx.navigateBack({ delta: 1 })
    else wx.reLaunch({ url: '/pages/employer-jobs/index' })
  },
})
