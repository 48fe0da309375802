// Scan to check in (tab page): the camera reads a station's or event's code and the check-in
// page takes over; the nearest stations are shown so a person knows where to go.
const api = require('../../utils/api')
const checkInCode = require('../../utils/check-in-code')
const format = require('../../utils/format')
const location = require('../../utils/location')
const messages = require('../../utils/messages')

Page({
  data: {
    message: '',
    stations: [], // [{id, name, address, hours, phone, distance, openNow, openText, todayText}]
    circle: '', // the circle the phone is in, when it is within one
  },

  onLoad() {
    return this.loadNearest()
  },

  onPullDownRefresh() {
    return this.loadNearest().then(() => wx.stopPullDownRefresh())
  },

  /** The three nearest open stations (no login needed); quietly nothing without a position. */
  async loadNearest() {
    const point = await location.current()
    if (!point) return
    try {
      const answer = await api.request('/stations/nearest', { data: { ...point, limit: 3 }, auth: false })
      this.setData({
        circle: answer.circle ? answer.circle.name : '',
        stations: answer.items.map((item) => ({
          id: item.station.id,
          name: item.station.name,
          address: item.station.address || '',
          hours: item.station.hours || '',
          phone: item.station.phone || '',
          distance: format.distance(item.distance_m),
          // Open now and today's hours, for a station with structured hours (else all empty).
          ...format.stationHours(item.station),
        })),
      })
    } catch (error) {
      // A hint, not the page's job: scanning works without it, so no dialog.
      this.setData({ stations: [] })
    }
  },

  /** Open the camera; one of our codes goes to the check-in page, anything else is explained. */
  async onScanTap() {
    let result
    try {
      result = await checkInCode.scan()
    } catch (error) {
      this.setData({ message: checkInCode.CAMERA_FAILED })
      return
    }
    if (result === null) return // backed out: nothing to say
    if (!checkInCode.parse(result)) {
      this.setData({ message: messages.BY_CODE.token_invalid })
      return
    }
    this.setData({ message: '' })
    // The same `q` WeChat hands the page when the code is scanned with the WeChat camera.
    wx.navigateTo({ url: `/pages/checkin/index?q=${encodeURIComponent(result)}` })
  },

  onCallTap(event) {
    const phone = event.currentTarget.dataset.phone
    if (phone) wx.makePhoneCall({ phoneNumber: phone })
  },
})
