// Words and numbers as the pages show them.

const KIND_NAMES = {
  regular: '全职',
  part_time: '兼职',
  gig: '零工',
  public_welfare: '公益性岗位',
  internship: '实习',
}

const CATEGORY_NAMES = {
  tourism_hotel: '旅游酒店',
  catering: '餐饮',
  retail: '零售',
  tea_processing: '茶叶加工',
  manufacturing: '制造',
  logistics_delivery: '物流配送',
  construction: '建筑',
  housekeeping: '家政',
  security_cleaning: '保安保洁',
  care: '护理照料',
  education: '教育',
  office: '文员',
  it: '信息技术',
  other: '其他',
}

const WAGE_UNITS = { month: '元/月', day: '元/天', hour: '元/小时' }

const STATUS_NAMES = {
  employed: '就业',
  flexible: '灵活就业',
  unemployed: '未就业',
  unemployed_registered: '登记失业',
  student: '在校学生',
  retired: '退休',
  not_in_labour_force: '非劳动力',
}

/** '850米' below a kilometre, '1.2公里' above. */
function distance(metres) {
  if (metres === null || metres === undefined) return ''
  const rounded = Math.round(metres)
  if (rounded < 1000) return `${rounded}米` // 999.6 m is 1.0公里, not 1000米
  return `${(metres / 1000).toFixed(1)}公里`
}

/** '3500-4500元/月', '150元/天' when the range is one value, '面议' without a wage. */
function wage(job) {
  if (!job || (job.wage_min === null && job.wage_max === null)) return '面议'
  const unit = WAGE_UNITS[job.wage_unit] || ''
  const low = job.wage_min === null ? job.wage_max : job.wage_min
  const high = job.wage_max === null ? job.wage_min : job.wage_max
  return low === high ? `${low}${unit}` : `${low}-${high}${unit}`
}

/** A job as a list row needs it. */
function jobRow(item) {
  const job = item.job || item
  return {
    id: job.id,
    title: job.title,
    employer: job.employer ? job.employer.name : '',
    verified: !!(job.employer && job.employer.verified),
    wage: wage(job),
    kind: KIND_NAMES[job.kind] || job.kind,
    distance: distance(item.distance_m),
    distanceM: item.distance_m === undefined ? null : item.distance_m,
  }
}

/** An ISO time with its offset → '11月29日 15:01' on the phone's clock. */
function shortTime(iso) {
  if (!iso) return ''
  const moment = new Date(iso)
  const pad = (n) => String(n).padStart(2, '0')
  return `${moment.getMonth() + 1}月${moment.getDate()}日 ${pad(moment.getHours())}:${pad(moment.getMinutes())}`
}

// Subscribe-message templates by their key (docs/PUSH.md), as the "me" page names them.
const PUSH_KIND_NAMES = {
  job_match: '附近岗位推荐',
  application_update: '投递进展',
  checkin_followup: '签到后续',
  visit_notice: '走访通知',
  policy_notice: '政策通知',
  record_update: '办事进度',
}

/** Quiet hours as a sentence: '21:00–08:00 不打扰', or '全天可接收' when start equals end. */
function quietHours(start, end) {
  if (!start || !end || start === end) return '全天可接收'
  return `${start}–${end} 不打扰`
}

// Grid work (docs/GRID.md): visit outcomes, needs and key groups as the grid pages name them.
const OUTCOME_NAMES = { met: '见到', not_home: '不在家', refused: '拒绝', moved: '已搬走' }

// How a visit reached the household (the server's VisitChannel); only 上门 counts as a door-to-door visit.
const CHANNEL_NAMES = { door: '上门', phone: '电话', station: '到站', online: '线上' }

const NEED_NAMES = { job: '求职', training: '培训', policy: '政策', claim: '补贴申领', assistance: '帮扶' }

const KEY_GROUP_NAMES = {
  hard_to_employ: '就业困难人员',
  registered_unemployed: '登记失业人员',
  college_graduate: '高校毕业生',
  migrant_worker: '农民工',
  veteran: '退役军人',
  retired_fisher: '退捕渔民',
  flexible_worker: '灵活就业人员',
  disabled: '残疾人',
  poverty_alleviated: '脱贫劳动力',
  poverty_monitoring: '防止返贫监测对象',
  subsistence_allowance: '低保家庭成员',
  returning_migrant: '返乡入乡农民工',
  long_term_unemployed: '长期失业人员',
}

// Registrations and certified key groups (docs/REGISTRATIONS.md), as the 办事 pages name them.
const REGISTRATION_KIND_NAMES = { unemployment: '失业登记', employment: '就业登记' }

const REGISTRATION_STATUS_NAMES = {
  pending_confirmation: '待您确认',
  submitted: '审核中',
  accepted: '已受理',
  rejected: '未通过',
  withdrawn: '已撤回',
  ended: '已终止',
}

const EMPLOYMENT_KIND_NAMES = { employed: '单位就业', self_employed: '个体经营', flexible: '灵活就业' }

const ENTERED_VIA_NAMES = { resident: '本人申请', staff: '服务站代办', employer: '用人单位登记' }

const ENDING_REASON_NAMES = {
  hired: '已通过平台入职',
  registered_employed: '已办理就业登记',
  status_changed: '就业状态已变化',
  no_follow_up: '未按期确认仍在求职',
  withdrawn: '本人撤回',
  staff_ended: '服务站注销',
  left_job: '已离职',
}

const CERTIFICATION_STATUS_NAMES = { pending: '待审核', certified: '已认定', rejected: '未通过', expired: '已过期' }

/** A ratio (0.6667) as '67%'. */
function percent(ratio) {
  if (ratio === null || ratio === undefined) return ''
  return `${Math.round(ratio * 100)}%`
}

// The job detail and résumé pages: education levels, availability, application stages.
const EDUCATION_NAMES = {
  none: '不限',
  primary: '小学',
  junior_high: '初中',
  senior_high: '高中/中专/技校',
  associate: '大专',
  bachelor: '本科',
  postgraduate: '研究生',
}

const AVAILABILITY_NAMES = {
  immediately: '随时到岗',
  within_week: '一周内到岗',
  within_month: '一个月内到岗',
  later: '暂不确定',
}

// A policy claim's stage (the server's ClaimStatus), as the claimant reads it.
const CLAIM_STATUS_NAMES = {
  submitted: '已提交',
  accepted: '已受理',
  first_reviewed: '初审通过',
  second_reviewed: '复核通过',
  in_notice: '公示中',
  approved: '已核准',
  paid: '已发放',
  returned: '退回补充材料',
  rejected: '未通过',
  withdrawn: '已撤回',
}

const APPLICATION_STATUS_NAMES = {
  submitted: '已投递',
  viewed: '已查看',
  interview: '邀请面试',
  hired: '已录用',
  rejected: '未通过',
  withdrawn: '已撤回',
}

/** Straight-line metres between two GCJ-02 points {lat, lng} (haversine); null without both. */
function metresBetween(a, b) {
  if (!a || !b || a.lat == null || a.lng == null || b.lat == null || b.lng == null) return null
  const rad = (degrees) => (degrees * Math.PI) / 180
  const dLat = rad(b.lat - a.lat)
  const dLng = rad(b.lng - a.lng)
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(rad(a.lat)) * Math.cos(rad(b.lat)) * Math.sin(dLng / 2) ** 2
  return 2 * 6371008.8 * Math.asin(Math.min(1, Math.sqrt(h)))
}

/** '820B', '35KB', '1.2MB': a file's size as the list shows it. */
function fileSize(bytes) {
  if (bytes === null || bytes === undefined) return ''
  if (bytes < 1024) return `${bytes}B`
  if (Math.round(bytes / 1024) < 1024) return `${Math.round(bytes / 1024)}KB`
  return `${(bytes / (1024 * 1024)).toFixed(1)}MB`
}

/** A local day 'YYYY-MM-DD' (as the API sends it) → '11月29日'. */
function dayText(day) {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day || '')
  return match ? `${Number(match[2])}月${Number(match[3])}日` : day || ''
}

// Opening hours are the city's (docs/STATIONS.md): read on Huangshan's clock (UTC+8, no
// daylight saving), whatever zone the phone is set to.
const CITY_OFFSET_MS = 8 * 3600 * 1000
const WEEKDAY_NAMES = ['周日', '周一', '周二', '周三', '周四', '周五', '周六']

/** An ISO time with its offset → '12月7日（周一）08:30' on the city's clock (as the server writes it). */
function cityTime(iso) {
  if (!iso) return ''
  const moment = new Date(new Date(iso).getTime() + CITY_OFFSET_MS)
  if (Number.isNaN(moment.getTime())) return ''
  const pad = (n) => String(n).padStart(2, '0')
  const day = `${moment.getUTCMonth() + 1}月${moment.getUTCDate()}日（${WEEKDAY_NAMES[moment.getUTCDay()]}）`
  return `${day}${pad(moment.getUTCHours())}:${pad(moment.getUTCMinutes())}`
}

/**
 * A station's structured hours as a list row shows them: `openNow` (null: unknown), `openText`
 * ('开放中', or '未开放 · 12月7日（周一）08:30 开放') and `todayText` ('今天 08:30-12:00, 14:00-17:30',
 * '今天不开放（元旦）'). A station without structured hours has null `open_now`: unknown, not
 * closed, so nothing is said and the text hours stand alone.
 */
function stationHours(station) {
  if (!station || station.open_now === null || station.open_now === undefined) {
    return { openNow: null, openText: '', todayText: '' }
  }
  const today = station.today_hours || []
  const note = station.today_note ? `（${station.today_note}）` : ''
  const allDay = today.length === 1 && today[0].opens === '00:00' && today[0].closes === '24:00'
  const spans = today.map((item) => `${item.opens}-${item.closes}`).join(', ')
  const todayText = !today.length ? `今天不开放${note}` : allDay ? `今天全天开放${note}` : `今天 ${spans}${note}`
  const next = cityTime(station.next_opening)
  const openText = station.open_now ? '开放中' : next ? `未开放 · ${next} 开放` : '未开放'
  return { openNow: !!station.open_now, openText, todayText }
}

module.exports = {
  KIND_NAMES,
  CATEGORY_NAMES,
  WAGE_UNITS,
  STATUS_NAMES,
  distance,
  wage,
  jobRow,
  shortTime,
  PUSH_KIND_NAMES,
  quietHours,
  OUTCOME_NAMES,
  CHANNEL_NAMES,
  NEED_NAMES,
  KEY_GROUP_NAMES,
  REGISTRATION_KIND_NAMES,
  REGISTRATION_STATUS_NAMES,
  EMPLOYMENT_KIND_NAMES,
  ENTERED_VIA_NAMES,
  ENDING_REASON_NAMES,
  CERTIFICATION_STATUS_NAMES,
  percent,
  EDUCATION_NAMES,
  AVAILABILITY_NAMES,
  APPLICATION_STATUS_NAMES,
  CLAIM_STATUS_NAMES,
  metresBetween,
  fileSize,
  dayText,
  cityTime,
  stationHours,
}
