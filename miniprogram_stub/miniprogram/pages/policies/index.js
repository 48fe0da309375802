// 我的政策 (where a policy_notice push opens, ?match=<id>): the policies I qualify for, why, the
// estimated amount and the claim deadline, and those I nearly qualify for with what is missing.
// Worked out by the server (GET /me/policies); docs/POLICIES.md "Matching: policies find people".
const api = require('../../utils/api')
const format = require('../../utils/format')
const nav = require('../../utils/nav')

/** Fen as '1,000元' (two decimals only when there are any). */
function yuan(fen) {
  if (fen === null || fen === undefined) return ''
  const value = fen / 100
  const text = Number.isInteger(value) ? value.toLocaleString('en-US') : value.toFixed(2)
  return `${text}元`
}

/** One match as the list shows it: why (the conditions that held), how much, by when. */
function matchOf(item) {
  return {
    id: item.id,
    title: item.title,
    documentNumber: item.document_number || '',
    benefit: item.benefit,
    amount: yuan(item.amount_fen),
    deadline: item.claim_deadline ? format.dayText(item.claim_deadline) : '',
    reasons: (item.trace || []).filter((step) => step.held).map((step) => step.text),
    claimed: item.status === 'claimed',
    claimStatus: format.CLAIM_STATUS_NAMES[item.claim_status] || '',
    claimId: item.claim_id || 0,
  }
}

/** One near miss: the policy and what is missing, in plain Chinese. */
function nearOf(item) {
  return { id: item.policy_version_id, title: item.title, benefit: item.benefit, missing: item.missing }
}

Page({
  data: { loading: true, loaded: false, message: '', matches: [], nearMisses: [], focus: 0 },

  onLoad(query) {
    this.allowed = nav.guard(['resident'])
    this.setData({ focus: Number((query && query.match) || 0) })
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
      const mine = await api.request('/me/policies')
      this.setData({ matches: mine.matches.map(matchOf), nearMisses: mine.near_misses.map(nearOf), loaded: true })
    } catch (error) {
      this.setData({ message: error.message })
      if (!this.data.loaded) api.showError(error)
    } finally {
      this.setData({ loading: false })
    }
  },

  /** 申领 (or 查看申领 once claimed): 我的申领 opens with this match's claim form. */
  onClaimTap(event) {
    wx.navigateTo({ url: `/pages/claims/index?match=${event.currentTarget.dataset.id}` })
  },
})
