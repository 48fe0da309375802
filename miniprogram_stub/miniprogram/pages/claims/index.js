// 我的申领 (直补快办): my benefit claims, newest first, each with its stage in Chinese; a tap shows
// its steps, files and why it was returned. Opened with ?match=<id> (申领 on 我的政策) it first
// shows the claim form: the facts I confirm, the bank account the money goes to (shown masked
// afterwards, never in full), one client id across retries. Files are added while it is under
// review (chooseMessageFile + wx.uploadFile), a returned claim is sent back (重新提交), and one
// not yet approved may be withdrawn. docs/POLICIES.md has the review steps.
const api = require('../../utils/api')
const config = require('../../utils/config')
const { confirm } = require('../../utils/dialog')
const format = require('../../utils/format')
const nav = require('../../utils/nav')
const { pagedList } = require('../../utils/paged-list')

// The server's OPEN_STAGES (files may be added) and what a claimant may withdraw.
const OPEN_STAGES = ['submitted', 'accepted', 'first_reviewed', 'second_reviewed', 'in_notice', 'returned']
const WITHDRAWABLE = ['submitted', 'accepted', 'first_reviewed', 'second_reviewed', 'returned']
const FILE_EXTENSIONS = ['pdf', 'doc', 'docx', 'jpg', 'jpeg', 'png']

/** Fen as '1,500元'. */
function yuan(fen) {
  if (fen === null || fen === undefined) return ''
  const value = fen / 100
  return `${Number.isInteger(value) ? value.toLocaleString('en-US') : value.toFixed(2)}元`
}

/** One claim as the list shows it. */
function rowOf(item) {
  return {
    id: item.id,
    title: item.policy_title || '',
    documentNumber: item.document_number || '',
    status: item.status,
    statusName: format.CLAIM_STATUS_NAMES[item.status] || item.status,
    amount: yuan(item.approved_fen === null || item.approved_fen === undefined ? item.estimated_fen : item.approved_fen),
    submittedAt: format.shortTime(item.submitted_at || item.created_at),
    reason: item.status === 'returned' || item.status === 'rejected' ? item.reason || '' : '',
    noticeUntil: item.status === 'in_notice' && item.notice_until ? format.dayText(item.notice_until) : '',
  }
}

/** One claim in full: its steps, files, facts confirmed and the (masked) account. */
function detailOf(claim) {
  return {
    ...rowOf(claim),
    steps: (claim.events || []).map((step) => ({
      id: step.id,
      name: format.CLAIM_STATUS_NAMES[step.to_status] || step.to_status,
      when: format.shortTime(step.created_at),
      note: step.note || '',
    })),
    files: (claim.attachments || []).map((file) => ({
      id: file.id,
      name: file.name || '',
      size: format.fileSize(file.size),
      material: file.material || '',
    })),
    facts: claim.declared_facts || [],
    bank: [claim.bank_name, claim.bank_account].filter(Boolean).join(' '),
    paidAt: claim.paid_at ? format.shortTime(claim.paid_at) : '',
    canUpload: OPEN_STAGES.includes(claim.status),
    canResubmit: claim.status === 'returned',
    canWithdraw: WITHDRAWABLE.includes(claim.status),
  }
}

/** The match a new claim is made from, as the form shows it. */
function matchOf(item) {
  return {
    id: item.id,
    title: item.title,
    benefit: item.benefit,
    amount: yuan(item.amount_fen),
    reasons: (item.trace || []).filter((step) => step.held).map((step) => step.text),
  }
}

const EMPTY_FORM = { bankName: '', accountHolder: '', bankAccount: '', confirmed: false, note: '' }

// The paged list of my claims (this page's loadPage adds the open claim's refresh to it).
const list = pagedList(function fetch(page) {
  return api.request('/claims', { data: { page, per_page: config.PAGE_SIZE } })
}, rowOf)

Page({
  onPullDownRefresh: list.onPullDownRefresh,
  onReachBottom: list.onReachBottom,

  data: {
    items: [],
    page: 0,
    hasMore: true,
    loading: false,
    loaded: false,
    message: '',
    openId: 0, // the claim shown in full
    detail: null,
    busy: false,
    // The claim form (?match=): the match and what the person types.
    match: null,
    form: { ...EMPTY_FORM },
    formError: '',
    submitting: false,
  },

  onLoad(query) {
    this.allowed = nav.guard(['resident'])
    if (!this.allowed) return undefined
    this.matchId = Number((query && query.match) || 0)
    this.formClientId = null
    if (this.matchId) return this.loadMatch()
    return undefined
  },

  onShow() {
    if (!this.allowed) return undefined
    return this.loadPage(1)
  },

  /** The list's page, and on page 1 the claim shown in full again (staff may have moved it on). */
  async loadPage(page) {
    await list.loadPage.call(this, page)
    if (page === 1 && this.data.openId) await this.showClaim(this.data.openId)
  },

  // ---- the claim form (?match=) ----

  /** The match from 我的政策; one already claimed shows its claim instead of the form. */
  async loadMatch() {
    try {
      const mine = await api.request('/me/policies')
      const found = mine.matches.find((item) => item.id === this.matchId)
      if (!found) {
        this.setData({ formError: '您目前不符合这项政策的申领条件，请回到“我的政策”查看' })
      } else if (found.claim_id) {
        await this.showClaim(found.claim_id)
      } else {
        this.setData({ match: matchOf(found), form: { ...EMPTY_FORM } })
      }
    } catch (error) {
      api.showError(error)
    }
  },

  onFormInput(event) {
    const field = event.currentTarget.dataset.field
    if (!(field in EMPTY_FORM)) return
    let value = String(event.detail.value || '')
    if (field === 'bankAccount') value = value.replace(/[^\d]/g, '')
    this.setData({ [`form.${field}`]: value, formError: '' })
  },

  onConfirmChange(event) {
    const value = event.detail.value
    this.setData({ 'form.confirmed': Array.isArray(value) ? value.length > 0 : !!value, formError: '' })
  },

  /** What is wrong with the form as typed (the server checks again), or ''. */
  formProblem() {
    const form = this.data.form
    if (form.bankName.trim().length < 2) return '请填写开户银行'
    if (!form.accountHolder.trim()) return '请填写户名'
    if (!/^\d{12,30}$/.test(form.bankAccount)) return '银行卡号为12-30位数字'
    if (!form.confirmed) return '请确认以上信息真实'
    return ''
  },

  async onClaimSubmit() {
    if (this.data.submitting || !this.data.match) return
    const problem = this.formProblem()
    if (problem) {
      this.setData({ formError: problem })
      return
    }
    const form = this.data.form
    // One id per claim form: a retry after a lost answer gets the first claim back.
    if (!this.formClientId) this.formClientId = api.newClientId()
    this.setData({ submitting: true })
    try {
      const claim = await api.request('/claims', {
        method: 'POST',
        data: {
          client_id: this.formClientId,
          match_id: this.data.match.id,
          confirmed: true,
          bank_name: form.bankName.trim(),
          account_holder: form.accountHolder.trim(),
          bank_account: form.bankAccount,
          note: form.note.trim() || null,
        },
      })
      this.formClientId = null
      // The account number is not kept on the phone once it is sent.
      this.setData({ match: null, form: { ...EMPTY_FORM } })
      wx.showToast({ title: '已提交申领', icon: 'success' })
      await this.loadPage(1)
      await this.showClaim(claim.id)
    } catch (error) {
      api.showError(error)
      // Refused for a reason the form cannot fix (already claimed, no longer qualified): a new try is a new claim.
      if (error.status === 409) this.formClientId = null
    } finally {
      this.setData({ submitting: false })
    }
  },

  // ---- one claim ----

  async showClaim(id) {
    try {
      const claim = await api.request(`/claims/${id}`)
      this.setData({ openId: id, detail: detailOf(claim) })
    } catch (error) {
      api.showError(error)
    }
  },

  onClaimTap(event) {
    const id = Number(event.currentTarget.dataset.id)
    if (this.data.openId === id) {
      this.setData({ openId: 0, detail: null })
      return undefined
    }
    return this.showClaim(id)
  },

  /** Put the answered claim in the list and the detail. */
  replace(claim) {
    const index = this.data.items.findIndex((row) => row.id === claim.id)
    if (index >= 0) this.setData({ [`items[${index}]`]: rowOf(claim) })
    this.setData({ openId: claim.id, detail: detailOf(claim) })
  },

  /** 补充材料: a PDF, Word or picture from a chat (the server checks the type by content). */
  async onUploadTap() {
    const detail = this.data.detail
    if (!detail || this.data.busy) return
    let file
    try {
      file = await new Promise((resolve, reject) =>
        wx.chooseMessageFile({
          count: 1,
          type: 'file',
          extension: FILE_EXTENSIONS,
          success: (result) => resolve(result.tempFiles[0]),
          fail: reject,
        }),
      )
    } catch (error) {
      return // cancelled
    }
    this.setData({ busy: true })
    try {
      await api.upload(`/claims/${detail.id}/attachments`, file.path)
      wx.showToast({ title: '已上传', icon: 'success' })
      await this.showClaim(detail.id)
    } catch (error) {
      api.showError(error)
    } finally {
      this.setData({ busy: false })
    }
  },

  /** Send one step for the claim shown (`send(id)` resolves the answered claim); `done` is the toast. */
  async step(send, done) {
    const detail = this.data.detail
    if (!detail || this.data.busy) return
    this.setData({ busy: true })
    try {
      this.replace(await send(detail.id))
      wx.showToast({ title: done, icon: 'success' })
    } catch (error) {
      api.showError(error)
      if (error.status === 409) await this.showClaim(detail.id) // the stage moved on meanwhile
    } finally {
      this.setData({ busy: false })
    }
  },

  async onResubmitTap() {
    const ok = await confirm('重新提交', '请确认已补充退回原因中要求的材料。')
    if (ok) await this.step((id) => api.request(`/claims/${id}/resubmit`, { method: 'POST', data: {} }), '已重新提交')
  },

  async onWithdrawTap() {
    const ok = await confirm('撤回申领', '撤回后这次申领结束，确定撤回吗？')
    if (ok) await this.step((id) => api.request(`/claims/${id}/withdraw`, { method: 'POST', data: {} }), '已撤回')
  },

  onPoliciesTap() {
    wx.navigateTo({ url: '/pages/policies/index' })
  },
})
