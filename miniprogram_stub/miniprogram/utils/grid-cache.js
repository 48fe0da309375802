// The grid worker's last checklist and progress, kept on the phone: the visit form reads its
// household from here, so a visit can be recorded where there is no signal.
const api = require('./api')

const CHECKLIST_KEY = 'grid.checklist' // { savedAt, accountId, checklist, progress }

/** Remember the server's checklist and progress answers, with when they were fetched. */
function save(checklist, progress) {
  const current = api.session()
  const accountId = current ? current.accountId : null
  wx.setStorageSync(CHECKLIST_KEY, { savedAt: new Date().toISOString(), accountId, checklist, progress })
}

/** The saved answers, or null before the first checklist was loaded (by whoever is logged in). */
function load() {
  const saved = wx.getStorageSync(CHECKLIST_KEY) || null
  const current = api.session()
  // A phone passed to another worker does not show the previous worker's households.
  if (!saved || !current || saved.accountId !== current.accountId) return null
  return saved
}

/** One household of the saved checklist (with its members), or null. */
function household(id) {
  const saved = load()
  if (!saved || !saved.checklist) return null
  const item = saved.checklist.items.find((row) => String(row.household.id) === String(id))
  return item ? item.household : null
}

/** Drop a closed follow-up from the saved checklist, so an offline list does not show it again. */
function dropFollowUp(id) {
  const saved = load()
  if (!saved || !saved.checklist) return
  saved.checklist.follow_ups = saved.checklist.follow_ups.filter((need) => need.id !== id)
  wx.setStorageSync(CHECKLIST_KEY, saved)
}

module.exports = { save, load, household, dropFollowUp, CHECKLIST_KEY }
