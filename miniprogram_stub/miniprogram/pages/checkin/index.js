// Check in: the page WeChat opens when a station's or event's code is scanned with the WeChat
// camera (`q` = the code's URL, percent-encoded), and the one the scan page opens the same way.
const api = require('../../utils/api')
const checkInCode = require('../../utils/check-in-code')
const format = require('../../utils/format')
const location = require('../../utils/location')
const messages = require('../../utils/messages')

// Refusals about the code itself: only a new scan helps. The location refusals can also be
// tried again once the person allows location or walks in.
const RESCAN_ONLY = /^(token_|event_|station_inactive$)/
const RETRY_CODES = ['too_far', 'location_required', 'network_error', 'internal_error', 'wechat_unavailable']
// Refusals about the position: once location was refused, wx.getLocation fails without asking
// again, so the page also offers WeChat's settings page (an open-type="openSetting" button).
const SETTING_CODES = ['location_required', 'too_far']

// How long a check-in, once sent, waits for a position still being asked for before it goes
// without one: the person is waiting, and an event's rotating code lives only 30 s plus a
// grace. Counted from the tap, not from the page opening: the question is asked at onLoad and
// may still be open while the person chooses a purpose.
const LOCATION_WAIT_MS = 3000

// What each next step opens; the "me" page is a tab, so it is switched to, not navigated to.
const STEP_ACTIONS = {
  complete_profile: { text: '去完善', url: '/pages/me/index', tab: true },
  bind_phone: { text: '去绑定', url: '/pages/me/index', tab: true },
  write_resume: { text: '去填写', url: '/pages/resume/index', tab: false },
}

/** What `asking` (a location.current() promise) gives within `ms` from now, else null. */
function positionWithin(asking, ms) {
  let timer = null
  const late = new Promise((resolve) => {
    timer = setTimeout(() => resolve(null), ms)
  })
  return Promise.race([asking, late]).finally(() => clearTimeout(timer))
}

Page({
  data: {
    // loading → purpose (a station: why did you come?) → submitting → done | refused
    step: 'loading',
    purposes: checkInCode.PURPOSES,
    purpose: '',
    ticket: null,
    station: null, // { name, circle, hours, address, phone, openNow, openText, todayText }
    steps: [], // next steps: { code, message, actionText }
    message: '',
    canRetry: false,
    canOpenSetting: false, // a location refusal: offer WeChat's settings page
  },

  onLoad(options) {
    // One client id per page load: a tap repeated after a lost answer gets the same check-in.
    this.clientId = api.newClientId()
    // `scancode_time` comes along too; the server judges a code's age by its own clock.
    this.code = checkInCode.parse((options && options.q) || '')
    if (!this.code) {
      this.setData({ step: 'refused', message: messages.BY_CODE.token_invalid, canRetry: false })
      return undefined
    }
    // Ask for the position now, so WeChat's prompt is answered while the person reads the page
    // (some stations require it); the wait for it starts only when the check-in is sent.
    this.asking = location.current()
    // An event's code rotates and has one purpose: check in at once.
    if (this.code.kind === 'event') return this.checkIn('event')
    this.setData({ step: 'purpose' })
    return undefined
  },

  onPurposeTap(event) {
    return this.checkIn(event.currentTarget.dataset.purpose)
  },

  /** POST /check-ins with this page's client id; a tap during a request waits for that one. */
  checkIn(purpose) {
    if (!purpose) return Promise.resolve()
    if (this.inFlight) return this.inFlight
    this.inFlight = this.send(purpose).finally(() => {
      this.inFlight = null
    })
    return this.inFlight
  },

  async send(purpose) {
    this.setData({ step: 'submitting', purpose, message: '', canOpenSetting: false })
    const point = await positionWithin(this.asking || location.current(), LOCATION_WAIT_MS)
    const data = { url_or_token: this.code.url, purpose, client_id: this.clientId }
    if (point) Object.assign(data, point)
    try {
      const answer = await api.request('/check-ins', { method: 'POST', data })
      this.showResult(answer)
    } catch (error) {
      this.showRefusal(error, purpose)
    }
  },

  showResult(answer) {
    const station = answer.station
    this.setData({
      step: 'done',
      ticket: checkInCode.ticket(answer),
      station: station
        ? {
            name: station.name,
            circle: station.circle ? station.circle.name : '',
            hours: station.hours || '',
            address: station.address || '',
            phone: station.phone || '',
            // Structured hours (when the station has them): open now, today's hours.
            ...format.stationHours(station),
          }
        : null,
      // An out-of-hours visit's come_back step is the ticket's own note (when it opens).
      steps: (answer.next_steps || []).filter((step) => step.code !== 'come_back').map((step) => ({
        code: step.code,
        message: step.message,
        actionText: STEP_ACTIONS[step.code] ? STEP_ACTIONS[step.code].text : '',
      })),
      message: '',
    })
  },

  showRefusal(error, purpose) {
    const code = (error && error.code) || ''
    const unplanned = !error || !error.status || error.status >= 500 // no network, a server error
    const canRetry = !RESCAN_ONLY.test(code) && (RETRY_CODES.includes(code) || unplanned)
    this.retryPurpose = purpose
    const canOpenSetting = SETTING_CODES.includes(code)
    this.setData({ step: 'refused', message: messages.forCheckIn(error), canRetry, canOpenSetting })
    // The page says why; a failure nobody planned for is also shown as a dialog.
    if (unplanned) api.showError(error)
  },

  /** Try the same code again (after allowing location, walking in, or the network coming back). */
  onRetryTap() {
    this.asking = location.current() // the answer may have changed since
    return this.checkIn(this.retryPurpose || (this.code && this.code.kind === 'event' ? 'event' : ''))
  },

  /**
   * Back from WeChat's settings page (the 去设置允许定位 button): try again if location is now
   * allowed; if it is still off, the refusal on the page still says why.
   */
  onOpenSetting(event) {
    const authSetting = (event && event.detail && event.detail.authSetting) || {}
    if (!authSetting['scope.userLocation']) return Promise.resolve()
    return this.onRetryTap()
  },

  /** Scan again: a good code opens a fresh check-in page (and so a fresh client id). */
  async onRescanTap() {
    let result
    try {
      result = await checkInCode.scan()
    } catch (error) {
      this.setData({ step: 'refused', message: checkInCode.CAMERA_FAILED, canRetry: false })
      return
    }
    if (result === null) return // backed out: stay on this page, nothing to say
    if (checkInCode.parse(result)) {
      wx.redirectTo({ url: `/pages/checkin/index?q=${encodeURIComponent(result)}` })
    } else {
      this.setData({ step: 'refused', message: messages.BY_CODE.token_invalid, canRetry: false })
    }
  },

  onStepTap(event) {
    const action = STEP_ACTIONS[event.currentTarget.dataset.code]
    if (!action) return
    if (action.tab) wx.switchTab({ url: action.url })
    else wx.navigateTo({ url: action.url })
  },

  onCallTap() {
    if (this.data.station && this.data.station.phone) wx.makePhoneCall({ phoneNumber: this.data.station.phone })
  },
})
