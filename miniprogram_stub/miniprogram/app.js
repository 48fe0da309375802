// The app: nothing is fetched at launch (the jobs page works without login); the offline
// visit queue is synced whenever the network comes back.
const visitQueue = require('./utils/visit-queue')

App({
  globalData: {
    location: null, // the last position wx.getLocation gave, GCJ-02
  },

  onLaunch() {
    wx.onNetworkStatusChange((status) => {
      if (status.isConnected) visitQueue.sync().catch(() => {}) // what fails stays queued
    })
  },
})
