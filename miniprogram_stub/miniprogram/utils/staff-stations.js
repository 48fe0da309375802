// The stations a staff member works at, for the counter pages (叫号, 窗口): station staff their
// own stations (?mine=true), the other serving roles the active stations of their place. The
// last one picked is remembered per account, so a clerk with two stations keeps theirs.
const api = require('./api')

const KEY = 'staff.station'

/** The stations to choose from, as [{id, name, code}]. */
async function list() {
  const current = api.session()
  const mine = current && current.role === 'station_staff'
  const query = mine ? { mine: true, active: true, per_page: 100 } : { active: true, per_page: 100 }
  const page = await api.request('/stations', { data: query })
  return page.items.map((station) => ({ id: station.id, name: station.name, code: station.code }))
}

/** The index of the remembered station among `stations` (0 when none is remembered or it is gone). */
function rememberedIndex(stations) {
  const current = api.session()
  const saved = wx.getStorageSync(KEY)
  if (!saved || !current || saved.accountId !== current.accountId) return 0
  const index = stations.findIndex((station) => station.id === saved.stationId)
  return index >= 0 ? index : 0
}

/** Remember the station picked (for this account). */
function remember(station) {
  const current = api.session()
  if (current && station) wx.setStorageSync(KEY, { accountId: current.accountId, stationId: station.id })
}

module.exports = { list, rememberedIndex, remember }
