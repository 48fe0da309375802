// 办事 · 申请登记: the 失业登记 form (why and when I left, my last employer, the work I want,
// training, my 就业创业证 number), or the 就业登记 of my own work (个体经营 / 灵活就业: a hire is
// registered by the employer). The page keeps one client id until the server has answered, so a
// tap repeated after a lost answer gets the registration made the first time, not a 409.
const api = require('../../utils/api')
const format = require('../../utils/format')
const nav = require('../../utils/nav')
const uscc = require('../../utils/uscc')

const REASONS = ['合同到期', '企业关停、裁员', '个人原因辞职', '被解除劳动合同', '毕业未就业', '其他']
const SELF_KINDS = ['self_employed', 'flexible'].map((value) => ({ value, name: format.EMPLOYMENT_KIND_NAMES[value] }))
const CARD_NUMBER = /^[0-9A-Za-z]{6,32}$/

/** Today on the phone's clock as 'YYYY-MM-DD' (the date pickers' end; the server checks again). */
function today() {
  const now = new Date()
  const pad = (n) => String(n).padStart(2, '0')
  return `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}`
}

const EMPTY_FORM = {
  reason: '',
  leftOn: '',
  employerName: '',
  employerUscc: '',
  wantedWork: '',
  wantsTraining: false,
  cardNumber: '',
  kindIndex: 1, // flexible work: the more common of the two
  startedOn: '',
  description: '',
}

// The server's field names → the form's (to mark the field a refusal is about).
const FIELDS = {
  left_on: 'leftOn',
  started_on: 'startedOn',
  last_employer_uscc: 'employerUscc',
  employer_uscc: 'employerUscc',
  employer_name: 'employerName',
  last_employer_name: 'employerName',
  employment_card_number: 'cardNumber',
  reason_for_leaving: 'reason',
  employment_kind: 'kindIndex',
}

const trimmed = (value) => String(value || '').trim()
const orNull = (value) => trimmed(value) || null

Page({
  data: {
    kind: 'unemployment',
    reasons: REASONS,
    kinds: SELF_KINDS,
    form: { ...EMPTY_FORM },
    today: today(),
    sending: false,
    message: '', // what to fix, on the page (also shown in a dialog after the server refused)
    errorField: '', // the form field the refusal names, marked on the page
  },

  onLoad(query) {
    if (!nav.guard(['resident'])) return
    const kind = query && query.kind === 'employment' ? 'employment' : 'unemployment'
    this.setData({ kind, today: today() })
    wx.setNavigationBarTitle({ title: kind === 'employment' ? '就业登记' : '失业登记' })
    // One client id for this form until the server answers it (kept across retries).
    this.clientId = api.newClientId()
  },

  /** Text fields: `data-field` names the form field. */
  onInput(event) {
    const field = event.currentTarget.dataset.field
    this.setData({ [`form.${field}`]: String(event.detail.value || ''), message: '', errorField: '' })
  },

  onReasonTap(event) {
    const reason = event.currentTarget.dataset.reason
    this.setData({ 'form.reason': reason === '其他' ? '' : reason, message: '', errorField: '' })
  },

  onDateChange(event) {
    const field = event.currentTarget.dataset.field
    this.setData({ [`form.${field}`]: String(event.detail.value || ''), message: '', errorField: '' })
  },

  onTrainingChange(event) {
    this.setData({ 'form.wantsTraining': !!event.detail.value })
  },

  onKindChange(event) {
    this.setData({ 'form.kindIndex': Number(event.detail.value) })
  },

  /** {path, data} to send, or {problem, field} saying what to fix first. */
  body() {
    const form = this.data.form
    // The employer's credit code may be left out; typed, it is checked as the server checks it.
    const typed = uscc.check(form.employerUscc)
    if (typed.value && !typed.ok) return { problem: `${typed.problem}（可不填）`, field: 'employerUscc' }
    const code = typed.value
    if (this.data.kind === 'employment') {
      const kind = SELF_KINDS[form.kindIndex]
      if (!kind) return { problem: '请选择就业形式', field: 'kindIndex' }
      if (!form.startedOn) return { problem: '请选择开始日期', field: 'startedOn' }
      if (kind.value === 'self_employed' && !trimmed(form.employerName)) return { problem: '请填写个体工商户字号名称', field: 'employerName' }
      return {
        path: 'employment',
        data: {
          client_id: this.clientId,
          employment_kind: kind.value,
          started_on: form.startedOn,
          employer_name: orNull(form.employerName),
          employer_uscc: code || null,
          work_description: orNull(form.description),
        },
      }
    }
    if (!trimmed(form.reason)) return { problem: '请填写失业原因', field: 'reason' }
    if (!form.leftOn) return { problem: '请选择离职日期', field: 'leftOn' }
    const card = trimmed(form.cardNumber)
    if (card && !CARD_NUMBER.test(card)) return { problem: '就业创业证编号为6-32位字母或数字（可不填）', field: 'cardNumber' }
    return {
      path: 'unemployment',
      data: {
        client_id: this.clientId,
        reason_for_leaving: trimmed(form.reason),
        left_on: form.leftOn,
        last_employer_name: orNull(form.employerName),
        last_employer_uscc: code || null,
        wanted_work: orNull(form.wantedWork),
        wants_training: !!form.wantsTraining,
        employment_card_number: card || null,
      },
    }
  },

  async onSubmit() {
    if (this.data.sending) return
    const { path, data, problem, field } = this.body()
    if (problem) {
      this.setData({ message: problem, errorField: field })
      return
    }
    this.setData({ sending: true, message: '', errorField: '' })
    try {
      const answer =
        path === 'employment'
          ? await api.request('/me/registrations/employment', { method: 'POST', data })
          : await api.request('/me/registrations/unemployment', { method: 'POST', data })
      this.clientId = api.newClientId() // answered: another form would be another registration
      this.done(answer)
    } catch (error) {
      // Refused: nothing was made, so the same id may go again with the corrected form; no
      // answer (the network): it must, so that a registration made meanwhile is the one returned.
      this.setData({ message: error.message, errorField: FIELDS[error.field] || '' })
      api.showError(error)
    } finally {
      this.setData({ sending: false })
    }
  },

  /** Sent: say so and go back to my registrations (opened from there, or in its place). */
  done(registration) {
    const name = format.REGISTRATION_KIND_NAMES[registration.kind] || '登记'
    wx.showToast({ title: `${name}已提交`, icon: 'success' })
    if (getCurrentPages().length > 1) wx.navigateBack({ delta: 1 })
    else wx.redirectTo({ url: '/pages/registrations/index' })
  },
})
