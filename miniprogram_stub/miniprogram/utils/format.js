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
  if (metres < 1000) return `${Math.round(metres)}米`
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

module.exports = { KIND_NAMES, CATEGORY_NAMES, WAGE_UNITS, STATUS_NAMES, distance, wage, jobRow, shortTime }
