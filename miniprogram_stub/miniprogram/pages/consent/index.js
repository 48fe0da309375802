// 协议与授权: the documents a resident has yet to accept (服务协议, 隐私政策, and the separate
// consent to sensitive data when an ID number is to be saved). Opened by utils/api.js when a
// save answers `consent_required` (query `purposes`), or from "我的"; 同意 sends the versions
// shown, so a text published meanwhile is shown and asked again, never accepted unseen.
const api = require('../../utils/api')
const dialog = require('../../utils/dialog')
const nav = require('../../utils/nav')

const BASE = ['service_agreement', 'privacy_notice']

/** The mini-program's version, recorded with the answer ('develop' in DevTools and tests). */
function clientVersion() {
  const info = wx.getAccountInfoSync()
  const mini = (info && info.miniProgram) || {}
  return mini.version || mini.envVersion || ''
}

Page({
  data: {
    loading: true,
    saving: false,
    message: '',
    documents: [], // [{ purpose, version, title, summary, body, outdated, open }]
    accepted: false,
    mayProcess: true, // false once consent was withdrawn
    deletion: '', // the deletion request's status, when one was made
  },

  onLoad(query = {}) {
    if (!nav.guard(['resident'])) return undefined
    const asked = decodeURIComponent(query.purposes || '')
    this.asked = asked ? asked.split(',').filter(Boolean) : null
    return this.load()
  },

  /** The current texts, and where I stand with each: keep those still to accept. */
  async load() {
    this.setData({ loading: true, message: '' })
    try {
      const [current, mine] = await Promise.all([
        api.request('/consent-documents', { auth: false }),
        api.request('/me/consents'),
      ])
      const states = {}
      for (const item of mine.documents) states[item.purpose] = item.state
      const wanted = new Set(this.asked || mine.pending)
      // The separate consent needs the two base documents: show those too while not accepted.
      if (wanted.has('sensitive_data')) BASE.forEach((purpose) => wanted.add(purpose))
      const documents = current.items
        .filter((doc) => wanted.has(doc.purpose) && states[doc.purpose] !== 'accepted')
        .map((doc) => ({
          purpose: doc.purpose,
          version: doc.version,
          title: doc.title,
          summary: doc.summary || '',
          body: doc.body,
          outdated: states[doc.purpose] === 'outdated',
          open: false,
        }))
      this.setData({ loading: false, documents, accepted: documents.length === 0, mayProcess: mine.may_process })
    } catch (error) {
      this.setData({ loading: false, message: error.message })
    }
  },

  /** Show or hide one document's full text. */
  onToggle(event) {
    const index = event.currentTarget.dataset.index
    this.setData({ [`documents[${index}].open`]: !this.data.documents[index].open })
  },

  /** 同意: accept exactly the versions shown, then go back to what asked for it. */
  async onAgree() {
    if (this.data.saving || !this.data.documents.length) return
    this.setData({ saving: true, message: '' })
    try {
      await api.request('/me/consents', {
        method: 'POST',
        data: {
          documents: this.data.documents.map((doc) => ({ purpose: doc.purpose, version: doc.version })),
          client_version: clientVersion(),
        },
      })
      this.setData({ saving: false, accepted: true, documents: [] })
      wx.showToast({ title: '已同意，请重新提交', icon: 'none' })
      wx.navigateBack()
    } catch (error) {
      this.setData({ saving: false })
      if (error.code === 'consent_version_outdated') {
        // A new text was published while this one was open: show it and ask again.
        await this.load()
        this.setData({ message: error.message })
        return
      }
      api.showError(error)
    }
  },

  /**
   * 撤回同意: the privacy notice (and with it the sensitive-data consent) — the résumé stops being
   * matched and shown, no message is sent, saving anything asks again; or (data-purpose
   * sensitive_data) the sensitive-data consent alone — no ID number is saved any more.
   */
  async onWithdraw(event) {
    const dataset = (event && event.currentTarget && event.currentTarget.dataset) || {}
    const purpose = dataset.purpose || 'privacy_notice'
    const sure = await dialog.confirm(
      '撤回同意',
      purpose === 'sensitive_data'
        ? '撤回后将不能在小程序中填写身份证号码等敏感信息。确定撤回？'
        : '撤回后将不再为您推荐岗位、推送消息，简历不再向招聘单位展示。确定撤回？',
    )
    if (!sure) return
    try {
      await api.request('/me/consents/withdraw', {
        method: 'POST',
        data: { purposes: [purpose], client_version: clientVersion() },
      })
      wx.showToast({ title: '已撤回', icon: 'none' })
      this.asked = null
      await this.load()
    } catch (error) {
      api.showError(error)
    }
  },

  /**
   * 申请删除: everything but the ledger record the law keeps is erased, and the login with it;
   * this phone forgets its session (a later login starts afresh and shows the request's outcome).
   */
  async onDeleteData() {
    const sure = await dialog.confirm(
      '申请删除个人信息',
      '将删除您的简历、手机号、求职意向和微信登录绑定；依法应保存的就业登记台账记录除外。删除后无法恢复，确定申请？',
    )
    if (!sure) return
    try {
      const request = await api.request('/me/deletion-request', { method: 'POST' })
      api.clearSession()
      this.setData({ deletion: request.status === 'done' ? '已删除' : '已受理，正在处理' })
    } catch (error) {
      api.showError(error)
    }
  },

  /** 不同意: nothing is saved; browsing jobs still works. */
  onDecline() {
    wx.navigateBack()
  },
})
