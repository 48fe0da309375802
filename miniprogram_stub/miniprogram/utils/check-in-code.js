// A station's or an event's check-in code (docs/STATIONS.md): the scanned URL's shape, why
// someone came, and the check-in answer as the queue ticket shows it.
const config = require('./config')
const format = require('./format')

// Why someone came to a station, in the order the check-in page offers them (`event` is set
// by an event's code, never chosen).
const PURPOSES = [
  { value: 'job_seeking', name: '求职' },
  { value: 'consult', name: '咨询' },
  { value: 'registration', name: '登记' },
  { value: 'policy', name: '政策' },
  { value: 'claim', name: '补贴申领' },
  { value: 'training', name: '培训' },
  { value: 'other', name: '其他' },
]
const PURPOSE_NAMES = PURPOSES.reduce((names, item) => Object.assign(names, { [item.value]: item.name }), {
  event: '活动签到',
})

function decodeOnce(text) {
  try {
    return decodeURIComponent(text)
  } catch (error) {
    return text // a stray '%': keep it, the shape check below refuses it
  }
}

/**
 * Read a scanned text (or the `q` WeChat hands over, still percent-encoded) as one of our
 * check-in codes: `{url, token, kind: 'station'|'event', code, eventId}`, or null when it is
 * not `<base>/s/<station code>?t=<token>` or `<base>/s/event-<id>?t=<token>`. Only the shape is
 * checked here; the server checks the signature.
 */
function parse(text) {
  let raw = String(text || '').trim()
  // Encoded once ('https%3A…'), or more ('https%253A…': a q passed on encoded again).
  for (let i = 0; i < 3 && /^https?%(?:25)*3a/i.test(raw); i += 1) raw = decodeOnce(raw)
  const match = /^https?:\/\/[^/?#]+(\/[^?#]*)\?([^#]*)/i.exec(raw)
  if (!match) return null
  const path = match[1].replace(/\/+$/, '')
  const at = path.lastIndexOf(config.CHECK_IN_PATH)
  if (at < 0) return null
  const code = decodeOnce(path.slice(at + config.CHECK_IN_PATH.length))
  let token = ''
  for (const pair of match[2].split('&')) {
    const [key, value = ''] = pair.split('=')
    if (key === 't') token = decodeOnce(value)
  }
  if (!code || !token) return null
  const event = /^event-(\d+)$/.exec(code)
  return { url: raw, token, kind: event ? 'event' : 'station', code, eventId: event ? Number(event[1]) : null }
}

/**
 * A check-in answer as the queue-ticket component shows it. An out-of-hours visit (the station
 * was closed: recorded, no number; docs/STATIONS.md) has no queue number to show: `outOfHours`,
 * and `note` says when the station opens (the server's `come_back` step, else the station's
 * next opening on the city's clock).
 */
function ticket(answer) {
  const station = answer.station || null
  const event = answer.event || null
  const outOfHours = !!answer.out_of_hours || answer.queue_number === null || answer.queue_number === undefined
  const comeBack = (answer.next_steps || []).find((step) => step.code === 'come_back')
  const opening = station ? format.cityTime(station.next_opening) : ''
  let note = ''
  if (outOfHours) note = comeBack ? comeBack.message : opening ? `下次开放：${opening}` : ''
  return {
    outOfHours,
    note,
    queueNumber: outOfHours ? null : answer.queue_number,
    // An event's ticket is titled with the event; the station it is held at goes below.
    title: event ? event.title : station ? station.name : '',
    station: event && station ? station.name : '',
    dayText: format.dayText(answer.day),
    purposeName: PURPOSE_NAMES[answer.purpose] || answer.purpose,
    repeated: !!answer.repeated,
  }
}

const CAMERA_FAILED = '无法打开摄像头，请在设置中允许微信使用摄像头'

/** wx.scanCode as a promise: the text read, or null when the person backs out; rejects when the camera fails. */
function scan() {
  return new Promise((resolve, reject) => {
    wx.scanCode({
      onlyFromCamera: true, // a saved picture of a code is not being at the station
      scanType: ['qrCode'],
      success: (result) => resolve(result.result),
      fail: (error) => {
        const errMsg = (error && error.errMsg) || ''
        if (/cancel/.test(errMsg)) resolve(null)
        else reject(new Error(errMsg))
      },
    })
  })
}

module.exports = { PURPOSES, PURPOSE_NAMES, CAMERA_FAILED, parse, scan, ticket }
