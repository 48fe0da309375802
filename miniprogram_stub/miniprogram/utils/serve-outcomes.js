// What came of serving a visitor at the counter (the server's ServeOutcome codes), in Chinese.
const OUTCOMES = [
  { value: 'recommended_jobs', label: '推荐岗位' },
  { value: 'registered', label: '业务登记' },
  { value: 'claim_started', label: '政策申领' },
  { value: 'referred_to_training', label: '转介培训' },
  { value: 'follow_up_needed', label: '需跟进' },
  { value: 'nothing', label: '仅咨询' },
]

const OUTCOME_LABELS = OUTCOMES.reduce((labels, item) => Object.assign(labels, { [item.value]: item.label }), {})

module.exports = { OUTCOMES, OUTCOME_LABELS }
