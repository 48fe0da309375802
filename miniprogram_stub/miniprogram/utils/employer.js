// Words the employer's pages show: the states of a business, of its jobs and their choices.
const format = require('./format')

const EMPLOYER_STATUS_NAMES = { pending: '待审核', verified: '已认证', rejected: '未通过' }

const SIZE_NAMES = { micro: '10人以下', small: '10-99人', medium: '100-299人', large: '300人及以上' }

const JOB_STATUS_NAMES = {
  draft: '草稿',
  pending_review: '审核中',
  published: '招聘中',
  closed: '已关闭',
  expired: '已过期',
}

/** [{value, name}] of a names table, in its order (for a picker). */
function options(names) {
  return Object.keys(names).map((value) => ({ value, name: names[value] }))
}

const CATEGORIES = options(format.CATEGORY_NAMES)
const KINDS = options(format.KIND_NAMES)
const SIZES = options(SIZE_NAMES)
const WAGE_UNITS = options(format.WAGE_UNITS)
const EDUCATIONS = options(format.EDUCATION_NAMES)

const GENDER_NAMES = { male: '男', female: '女' }

/** An application as the employer's pages show it: the applicant (as the API masks them), the job, the stage. */
function applicationRow(application) {
  const applicant = application.applicant || {}
  return {
    id: application.id,
    residentId: applicant.resident_id,
    name: applicant.name || '求职者',
    about: [GENDER_NAMES[applicant.gender], applicant.age ? `${applicant.age}岁` : ''].filter(Boolean).join(' · '),
    job: application.job ? application.job.title : '',
    status: application.status,
    statusName: format.APPLICATION_STATUS_NAMES[application.status] || application.status,
    message: application.message || '',
    at: format.shortTime(application.created_at),
  }
}

/** The index of `value` in picker options, or -1. */
function indexOf(choices, value) {
  return choices.findIndex((choice) => choice.value === value)
}

module.exports = {
  EMPLOYER_STATUS_NAMES,
  SIZE_NAMES,
  JOB_STATUS_NAMES,
  CATEGORIES,
  KINDS,
  SIZES,
  WAGE_UNITS,
  EDUCATIONS,
  options,
  indexOf,
  applicationRow,
}
