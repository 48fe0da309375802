// Events (招聘会, 培训, 政策宣讲) as the events pages show them: kind, when, where, places left,
// my sign-up, and the 视频号 stream of a live job fair (直播带岗: a live, or a replay of one video).
const format = require('./format')

const EVENT_KIND_NAMES = { job_fair: '招聘会', training: '培训', policy_talk: '政策宣讲', other: '活动' }

/** '12月7日（周一）09:00-11:30' (or to another day), on the city's clock as the stations' hours are. */
function whenText(startsAt, endsAt) {
  const start = format.cityTime(startsAt)
  const end = format.cityTime(endsAt)
  if (!start) return ''
  const startDay = start.replace(/\d{2}:\d{2}$/, '')
  return end.startsWith(startDay) ? `${start}-${end.slice(startDay.length)}` : `${start} 至 ${end}`
}

/** Where: the station's name and address, or the event's own address. */
function placeText(event) {
  if (event.station) return [event.station.name, event.station.address || event.address].filter(Boolean).join(' · ')
  return event.address || ''
}

/** The stream: null, or { kind: 'live' | 'replay', finderId, feedId, nonceId, label }. */
function liveOf(event) {
  const live = event.live
  if (!live || !live.finder_id) return null
  const replay = live.kind === 'replay'
  return {
    kind: replay ? 'replay' : 'live',
    finderId: live.finder_id,
    feedId: live.feed_id || '',
    nonceId: live.nonce_id || '',
    label: replay ? '直播回放' : '视频号直播',
  }
}

/** One event as a list row or the detail page's head; `here` is the phone's position (or null). */
function eventRow(event, here) {
  const point = event.lat != null ? event : event.station || null
  const metres = format.metresBetween(here, point ? { lat: point.lat, lng: point.lng } : null)
  const cancelled = event.status === 'cancelled'
  const ended = new Date(event.ends_at).getTime() < Date.now()
  const full = event.spots_left === 0
  return {
    id: event.id,
    title: event.title,
    kind: event.kind,
    kindName: EVENT_KIND_NAMES[event.kind] || '活动',
    description: event.description || '',
    when: whenText(event.starts_at, event.ends_at),
    place: placeText(event),
    distance: metres === null ? '' : format.distance(metres),
    spotsText: event.capacity == null ? '' : full ? '名额已满' : `剩余${event.spots_left}个名额`,
    signups: event.signups || 0,
    signedUp: !!event.signed_up,
    cancelled,
    ended,
    // A sign-up is refused (422/409) for a cancelled, ended or full event: no button then.
    canSignUp: !cancelled && !ended && !full && !event.signed_up,
    live: liveOf(event),
    jobsCount: event.jobs_count || 0,
  }
}

module.exports = { EVENT_KIND_NAMES, whenText, placeText, liveOf, eventRow }
