// 企业入驻: a WeChat user registers their business (name, credit code checked as typed, contact,
// industry, size, the place picked on the map) and the account becomes an employer account; or
// claims the record the service station made for it with the code staff gave (认领). Either way
// the session's role changes at once, so the employer's tabs open (utils/roles.js).
const api = require('../../utils/api')
const nav = require('../../utils/nav')
const uscc = require('../../utils/uscc')
const names = require('../../utils/employer')
const { alert } = require('../../utils/dialog')

const EMPTY_FORM = {
  name: '',
  creditCode: '',
  legalRepresentative: '',
  contactName: '',
  contactPhone: '',
  industryIndex: -1,
  sizeIndex: -1,
  address: '',
  lat: null,
  lng: null,
  placeName: '',
}

// The server's field names → the form's (to mark the field a refusal is about).
const FIELDS = {
  name: 'name',
  credit_code: 'creditCode',
  contact_phone: 'contactPhone',
  lat: 'place',
  lng: 'place',
  community_code: 'place',
  claim_code: 'claimCode',
}

const trimmed = (value) => String(value || '').trim()
const orNull = (value) => trimmed(value) || null

Page({
  data: {
    mode: 'register', // or 'claim'
    form: { ...EMPTY_FORM },
    claim: { creditCode: '', claimCode: '' },
    industries: names.CATEGORIES,
    sizes: names.SIZES,
    codeProblem: '', // the credit code's problem, said as it is typed
    sending: false,
    message: '',
    errorField: '',
  },

  onLoad(query) {
    if (!nav.guard(['resident', 'employer'])) return
    // A business is registered already: its page, not a second registration.
    if (nav.currentRole() === 'employer') {
      nav.goHome()
      return
    }
    if (query && query.mode === 'claim') this.setData({ mode: 'claim' })
  },

  onModeTap(event) {
    const mode = event.currentTarget.dataset.mode === 'claim' ? 'claim' : 'register'
    this.setData({ mode, message: '', errorField: '' })
  },

  /** Text fields: `data-field` names the form field. */
  onInput(event) {
    const field = event.currentTarget.dataset.field
    const value = String(event.detail.value || '')
    const patch = { [`form.${field}`]: value, message: '', errorField: '' }
    if (field === 'creditCode') patch.codeProblem = this.codeProblem(value)
    this.setData(patch)
  },

  onClaimInput(event) {
    const field = event.currentTarget.dataset.field
    const value = String(event.detail.value || '')
    const patch = { [`claim.${field}`]: value, message: '', errorField: '' }
    if (field === 'creditCode') patch.codeProblem = this.codeProblem(value)
    this.setData(patch)
  },

  /** What is wrong with a credit code being typed: said once it has its 18 characters (or a wrong one). */
  codeProblem(value) {
    const checked = uscc.check(value)
    if (checked.ok || !checked.value) return ''
    const bad = [...checked.value].some((char) => !uscc.CHARSET.includes(char))
    return bad || checked.value.length >= 18 ? checked.problem : ''
  },

  onIndustryChange(event) {
    this.setData({ 'form.industryIndex': Number(event.detail.value) })
  },

  onSizeChange(event) {
    this.setData({ 'form.sizeIndex': Number(event.detail.value) })
  },

  /** 地图选点: the business's place (its address too, when the map has one). */
  onChooseLocation() {
    const form = this.data.form
    wx.chooseLocation({
      ...(form.lat !== null ? { latitude: form.lat, longitude: form.lng } : {}),
      success: (picked) => {
        this.setData({
          'form.lat': picked.latitude,
          'form.lng': picked.longitude,
          'form.placeName': picked.name || picked.address || '已选位置',
          'form.address': trimmed(form.address) || [picked.address, picked.name].filter(Boolean).join(' '),
          message: '',
          errorField: '',
        })
      },
      fail: () => {
        // Cancelled, or location refused: the form says what is still missing when sent.
      },
    })
  },

  /** {data} to send, or {problem, field} saying what to fix first. */
  registration() {
    const form = this.data.form
    if (trimmed(form.name).length < 2) return { problem: '请填写企业名称（与营业执照一致）', field: 'name' }
    const code = uscc.check(form.creditCode)
    if (!code.ok) return { problem: code.problem, field: 'creditCode' }
    if (form.lat === null || form.lng === null) return { problem: '请在地图上选择企业所在位置', field: 'place' }
    const industry = names.CATEGORIES[form.industryIndex]
    const size = names.SIZES[form.sizeIndex]
    return {
      data: {
        name: trimmed(form.name),
        credit_code: code.value,
        legal_representative: orNull(form.legalRepresentative),
        contact_name: orNull(form.contactName),
        contact_phone: orNull(form.contactPhone),
        industry: industry ? industry.value : null,
        size: size ? size.value : null,
        address: orNull(form.address),
        lat: form.lat,
        lng: form.lng,
      },
    }
  },

  async onSubmit() {
    if (this.data.sending) return
    const { data, problem, field } = this.registration()
    if (problem) {
      this.setData({ message: problem, errorField: field })
      return
    }
    this.setData({ sending: true, message: '', errorField: '' })
    try {
      await api.request('/employers', { method: 'POST', data })
      this.done('已提交入驻')
    } catch (error) {
      if (error.code === 'employer_exists') {
        // Registered already (on another phone, or a tap whose answer was lost): that business's pages.
        await this.alreadyEmployer(error)
        return
      }
      if (error.code === 'employer_claimable') {
        // Staff registered this business already: it claims that record with their code.
        this.setData({ mode: 'claim', 'claim.creditCode': data.credit_code, message: error.message, errorField: 'claimCode' })
      } else {
        this.setData({ message: error.message, errorField: FIELDS[error.field] || '' })
      }
      api.showError(error)
    } finally {
      this.setData({ sending: false })
    }
  },

  async onClaimSubmit() {
    if (this.data.sending) return
    const code = uscc.check(this.data.claim.creditCode)
    if (!code.ok) {
      this.setData({ message: code.problem, errorField: 'creditCode' })
      return
    }
    const claimCode = trimmed(this.data.claim.claimCode)
    if (!claimCode) {
      this.setData({ message: '请填写服务站给您的认领码', errorField: 'claimCode' })
      return
    }
    this.setData({ sending: true, message: '', errorField: '' })
    try {
      await api.request('/employers/claim', { method: 'POST', data: { credit_code: code.value, claim_code: claimCode } })
      this.done('认领成功')
    } catch (error) {
      if (error.code === 'employer_exists') {
        await this.alreadyEmployer(error)
        return
      }
      this.setData({ message: error.message, errorField: FIELDS[error.field] || '' })
      api.showError(error)
    } finally {
      this.setData({ sending: false })
    }
  },

  /** This WeChat account has a business already: say so, then open its pages. */
  async alreadyEmployer(error) {
    await alert('提示', error.message)
    api.setRole('employer')
    nav.goHome()
  },

  /** The account is an employer now: its session says so, and its home opens with its tabs. */
  done(title) {
    api.setRole('employer')
    wx.showToast({ title, icon: 'success' })
    nav.goHome()
  },
})
