// 我的签到: my visits to stations and events, newest first (GET /me/check-ins): where, when, why,
// my queue number, and whether I was served and what came of it.
const api = require('../../utils/api')
const checkInCode = require('../../utils/check-in-code')
const config = require('../../utils/config')
const format = require('../../utils/format')
const nav = require('../../utils/nav')
const { pagedList } = require('../../utils/paged-list')

// What came of a visit (the server's ServeOutcome), as the visitor reads it.
const OUTCOME_NAMES = {
  recommended_jobs: '已推荐岗位',
  registered: '已办理登记',
  claim_started: '已受理补贴申领',
  referred_to_training: '已推荐培训',
  follow_up_needed: '工作人员会跟进',
  nothing: '已接待',
}

/** One check-in as the list shows it. */
function rowOf(item) {
  const where = item.station ? item.station.name : item.event ? item.event.title : ''
  let state = '等待办理'
  if (item.served) state = OUTCOME_NAMES[item.outcome] || '已办结'
  else if (item.out_of_hours) state = '非开放时间来访'
  return {
    id: item.id,
    where,
    eventId: item.event ? item.event.id : 0,
    when: format.shortTime(item.created_at),
    purpose: checkInCode.PURPOSE_NAMES[item.purpose] || item.purpose || '',
    number: item.queue_number == null ? '' : String(item.queue_number),
    served: !!item.served,
    state,
  }
}

Page({
  ...pagedList(function fetch(page) {
    return api.request('/me/check-ins', { data: { page, per_page: config.PAGE_SIZE } })
  }, rowOf),

  data: { items: [], page: 0, hasMore: true, loading: false, loaded: false, message: '' },

  onLoad() {
    this.allowed = nav.guard(['resident', 'employer'])
  },

  onShow() {
    if (!this.allowed) return undefined
    return this.loadPage(1)
  },

  onScanTap() {
    wx.switchTab({ url: '/pages/scan/index' })
  },
})
