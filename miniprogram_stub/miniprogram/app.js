// The app: nothing is fetched at launch (the jobs page works without login); the offline
// visit queue is synced whenever the network comes back.
const visitQueue = require('./utils/visit-queue')

App({
  globalData: {
    location: null, // the last position wx.getLocation gave, GCJ-02
  },

  onLaunch() {
    wx.onNetworkStatusChange((status) => {
      // Nobody is looking: a lapsed login waits for the worker instead of opening a page.
      if (status.isConnected) visitQueue.sync({ background: true }).catch(() => {}) // what fails stays queued
    })
  },
})
