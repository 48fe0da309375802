// 窗口: the station's live QR screen (a signed link to open on the counter's screen, copied to
// paste into a browser) and the desk: an unemployment or employment registration, or a policy
// claim (station staff, township admins), entered for a visitor (from today's queue, or sent
// here from 叫号), their ID card checked against the number on file as it is typed.
const api = require('../../utils/api')
const format = require('../../utils/format')
const idNumber = require('../../utils/id-number')
const nav = require('../../utils/nav')
const staffStations = require('../../utils/staff-stations')

// Who opens the station's screen and enters registrations (the server's registration REVIEW_ROLES).
const DESK_ROLES = ['station_staff', 'operator', 'township_admin', 'district_admin', 'city_admin']
const KINDS = [
  { value: 'unemployment', label: '失业登记' },
  { value: 'employment', label: '就业登记' },
]
// Who enters a claim at the counter (the server's counter claims).
const CLAIM_ROLES = ['station_staff', 'township_admin']
const CLAIM_KIND = { value: 'claim', label: '政策申领' }
const EMPLOYMENT_KINDS = [
  { value: 'employed', label: '单位就业' },
  { value: 'self_employed', label: '个体经营' },
  { value: 'flexible', label: '灵活就业' },
]

/** Today on the city's clock, YYYY-MM-DD (the date pickers' end). */
function cityToday() {
  return new Date(Date.now() + 8 * 3600 * 1000).toISOString().slice(0, 10)
}

function emptyForm() {
  return {
    kind: 'unemployment',
    idNumber: '',
    idProblem: '',
    idChecked: false,
    reasonForLeaving: '',
    lastEmployerName: '',
    leftOn: '',
    wantedWork: '',
    wantsTraining: false,
    employmentKindIndex: 0,
    employerName: '',
    startedOn: '',
    policyIndex: -1,
    bankName: '',
    accountHolder: '',
    bankAccount: '',
    confirmed: false,
  }
}

Page({
  data: {
    stations: [],
    stationIndex: 0,
    station: null,
    link: null, // { url, expiresAt }
    linking: false,
    visitors: [], // today's visitors with a resident record: [{ residentId, label }]
    visitorIndex: -1,
    resident: null, // { id, name, idHint, community }
    kinds: KINDS,
    policies: [], // the person policies in force, for a counter claim: [{ id, title }]
    employmentKinds: EMPLOYMENT_KINDS,
    today: cityToday(),
    form: emptyForm(),
    saving: false,
    result: null, // { number, status } of the registration just entered
    message: '',
  },

  onLoad(query) {
    this.allowed = nav.guard(DESK_ROLES)
    const current = api.session()
    if (this.allowed && CLAIM_ROLES.includes(current.role)) this.setData({ kinds: [...KINDS, CLAIM_KIND] })
    this.clientId = null
    this.startWith = query && query.resident_id ? Number(query.resident_id) : null
  },

  async onShow() {
    if (!this.allowed || this.data.stations.length) return
    try {
      const stations = await staffStations.list()
      const stationIndex = staffStations.rememberedIndex(stations)
      this.setData({ stations, stationIndex, station: stations[stationIndex] || null })
      if (!stations.length) this.setData({ message: '您所在的范围内还没有服务站' })
      else await this.loadVisitors()
      if (this.startWith) await this.chooseResident(this.startWith)
    } catch (error) {
      if (error.status !== 401) api.showError(error)
    }
  },

  onStationChange(event) {
    const stationIndex = Number(event.detail.value)
    const station = this.data.stations[stationIndex]
    staffStations.remember(station)
    this.setData({ stationIndex, station, link: null })
    return this.loadVisitors()
  },

  /** 大屏二维码: a signed link to the station's live screen, copied to open on the counter's PC. */
  async onLinkTap() {
    const station = this.data.station
    if (!station || this.data.linking) return
    this.setData({ linking: true })
    try {
      const links = await api.request(`/stations/${station.id}/page-links`, { method: 'POST', data: {} })
      this.setData({ link: { url: links.live_url, expiresAt: format.shortTime(links.expires_at) } })
      await this.copy(links.live_url)
    } catch (error) {
      if (error.status !== 401) api.showError(error)
    } finally {
      this.setData({ linking: false })
    }
  },

  onCopyTap() {
    return this.data.link ? this.copy(this.data.link.url) : undefined
  },

  copy(text) {
    return new Promise((resolve) => {
      wx.setClipboardData({
        data: text,
        success: () => wx.showToast({ title: '链接已复制', icon: 'success' }),
        complete: resolve,
      })
    })
  },

  /** Today's visitors at this station who have a resident record, to pick from. */
  async loadVisitors() {
    const station = this.data.station
    if (!station) return
    try {
      const list = await api.request(`/stations/${station.id}/check-ins`, { data: { per_page: 500 } })
      const seen = new Set()
      const visitors = []
      for (const item of list.items) {
        const person = item.person || {}
        if (!person.resident_id || seen.has(person.resident_id)) continue
        seen.add(person.resident_id)
        const number = item.queue_number === null ? '' : `${item.queue_number}号 `
        visitors.push({ residentId: person.resident_id, label: `${number}${person.name || '未登记姓名'}` })
      }
      this.setData({ visitors })
    } catch (error) {
      if (error.status !== 401) api.showError(error)
    }
  },

  onVisitorChange(event) {
    const visitorIndex = Number(event.detail.value)
    this.setData({ visitorIndex })
    return this.chooseResident(this.data.visitors[visitorIndex].residentId)
  },

  /** Load the person's record (masked) and start a fresh form for them. */
  async chooseResident(residentId) {
    try {
      const resident = await api.request(`/residents/${residentId}`)
      this.clientId = null
      this.setData({
        resident: {
          id: resident.id,
          name: resident.name || '未登记姓名',
          idHint: resident.id_number || '',
          community: resident.community ? resident.community.name : '',
        },
        form: emptyForm(),
        result: null,
      })
    } catch (error) {
      if (error.status !== 401) api.showError(error)
    }
  },

  async onKindTap(event) {
    this.clientId = null // another registration: a new id
    const kind = event.currentTarget.dataset.kind
    this.setData({ 'form.kind': kind, result: null, message: '' })
    if (kind === 'claim' && !this.data.policies.length) {
      try {
        const list = await api.request('/policies', { data: { subject: 'person' } })
        this.setData({ policies: list.items.map((policy) => ({ id: policy.id, title: policy.title })) })
      } catch (error) {
        if (error.status !== 401) api.showError(error)
      }
    }
  },

  onPolicyChange(event) {
    this.setData({ 'form.policyIndex': Number(event.detail.value) })
  },

  onConfirmedChange(event) {
    this.setData({ 'form.confirmed': !!event.detail.value })
  },

  /** The ID card as typed: what is wrong with it at once; whole, whether it is this person's. */
  onIdNumberInput(event) {
    const typed = idNumber.normalise(event.detail.value)
    let problem = idNumber.problem(typed, true)
    const whole = typed.length === 18 && !problem
    if (whole && this.data.resident && !idNumber.matchesHint(typed, this.data.resident.idHint)) {
      problem = '与该居民登记的身份证号不一致，请核对证件'
    }
    this.setData({ 'form.idNumber': typed, 'form.idProblem': problem, 'form.idChecked': whole && !problem })
  },

  onFieldInput(event) {
    this.setData({ [`form.${event.currentTarget.dataset.field}`]: String(event.detail.value || '') })
  },

  onWantsTrainingChange(event) {
    this.setData({ 'form.wantsTraining': !!event.detail.value })
  },

  onEmploymentKindChange(event) {
    this.setData({ 'form.employmentKindIndex': Number(event.detail.value) })
  },

  /** What must be filled before sending, in Chinese, or ''. */
  missing() {
    const { form, resident } = this.data
    if (!resident) return '请先选择来访居民'
    if (!resident.idHint) return '该居民还没有登记身份证号，请本人先在小程序“我的”中填写'
    if (!form.idChecked) return form.idProblem || idNumber.problem(form.idNumber) || '请核对身份证号'
    if (form.kind === 'claim') {
      if (form.policyIndex < 0) return '请选择申领的政策'
      if (!form.bankName.trim() || !form.accountHolder.trim() || !form.bankAccount.trim()) return '请填写收款银行、户名和账号'
      if (!form.confirmed) return '请本人确认所填情况属实'
    } else if (form.kind === 'unemployment') {
      if (!form.reasonForLeaving.trim()) return '请填写失业原因'
      if (!form.leftOn) return '请选择离职日期'
    } else if (!form.startedOn) {
      return '请选择开始工作的日期'
    }
    return ''
  },

  /** Enter a claim for the person (their match of the policy; the server says if they do not qualify). */
  async submitClaim() {
    const { form, resident, policies } = this.data
    const data = {
      client_id: this.clientId,
      resident_id: resident.id,
      policy_id: policies[form.policyIndex].id,
      bank_name: form.bankName.trim(),
      account_holder: form.accountHolder.trim(),
      bank_account: form.bankAccount.replace(/\s/g, ''),
      confirmed: true,
    }
    this.setData({ saving: true, message: '' })
    try {
      const claim = await api.request('/claims', { method: 'POST', data })
      this.clientId = null
      this.setData({
        form: emptyForm(),
        result: {
          number: '',
          kind: `政策申领 ${claim.policy_title || ''}`.trim(),
          status: '已提交',
          note: '居民可在小程序“我的申领”中查看进度',
        },
      })
      wx.showToast({ title: '已提交', icon: 'success' })
    } catch (error) {
      if (error.status === 0) {
        this.setData({ message: `${error.message}；再点一次提交不会重复申领` })
      } else if (error.status !== 401) {
        this.clientId = null
        // messages.js words not_qualified for the resident's own phone; here it is about them.
        const message = error.code === 'not_qualified' ? '该居民目前不符合这项政策的条件，不能申领' : error.message
        this.setData({ message })
        wx.showModal({ title: '提示', content: message, showCancel: false })
      }
    } finally {
      this.setData({ saving: false })
    }
  },

  /** Enter the registration (one client id across retries: a lost answer is not a second one). */
  async onSubmit() {
    if (this.data.saving) return
    const missing = this.missing()
    if (missing) {
      this.setData({ message: missing })
      wx.showToast({ title: missing, icon: 'none' })
      return
    }
    const { form, resident } = this.data
    if (!this.clientId) this.clientId = api.newClientId()
    if (form.kind === 'claim') return this.submitClaim()
    const unemployment = form.kind === 'unemployment'
    const data = unemployment
      ? {
          client_id: this.clientId,
          resident_id: resident.id,
          reason_for_leaving: form.reasonForLeaving.trim(),
          left_on: form.leftOn,
          wants_training: form.wantsTraining,
        }
      : {
          client_id: this.clientId,
          resident_id: resident.id,
          employment_kind: EMPLOYMENT_KINDS[form.employmentKindIndex].value,
          started_on: form.startedOn,
        }
    if (unemployment && form.lastEmployerName.trim()) data.last_employer_name = form.lastEmployerName.trim()
    if (unemployment && form.wantedWork.trim()) data.wanted_work = form.wantedWork.trim()
    if (!unemployment && form.employerName.trim()) data.employer_name = form.employerName.trim()
    this.setData({ saving: true, message: '' })
    try {
      const registration = unemployment
        ? await api.request('/registrations/unemployment', { method: 'POST', data })
        : await api.request('/registrations/employment', { method: 'POST', data })
      this.clientId = null
      this.setData({
        form: emptyForm(),
        result: {
          number: registration.number || '',
          kind: format.REGISTRATION_KIND_NAMES[registration.kind] || registration.kind,
          // The resident's own page says 待您确认; at the counter it is the person who confirms.
          status:
            registration.status === 'pending_confirmation'
              ? '待本人确认'
              : format.REGISTRATION_STATUS_NAMES[registration.status] || registration.status,
          note: '请提醒居民在小程序“我的 · 办事”中确认',
        },
      })
      wx.showToast({ title: '已录入', icon: 'success' })
    } catch (error) {
      if (error.status === 0) {
        this.setData({ message: `${error.message}；再点一次提交不会重复登记` })
      } else if (error.status !== 401) {
        this.clientId = null // refused: the corrected form is a new request
        this.setData({ message: error.message })
        api.showError(error)
      }
    } finally {
      this.setData({ saving: false })
    }
  },
})
