// The phone's position (GCJ-02, what the API expects), remembered for the session.

/** Resolve {lat, lng} from wx.getLocation, or null when the person refuses or it fails. */
function current() {
  return new Promise((resolve) => {
    wx.getLocation({
      type: 'gcj02',
      success: (result) => {
        const point = { lat: result.latitude, lng: result.longitude }
        const app = getApp()
        if (app && app.globalData) app.globalData.location = point
        resolve(point)
      },
      fail: () => resolve(null),
    })
  })
}

module.exports = { current }
