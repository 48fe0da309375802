// The app: nothing is fetched at launch (the jobs page works without login); the offline
// visit queue is synced whenever the network comes back. An employer's or staff member's
// session opened on a resident's tab (the app's default first page) goes to that role's home.
const api = require('./utils/api')
const roles = require('./utils/roles')
const visitQueue = require('./utils/visit-queue')

App({
  globalData: {
    location: null, // the last position wx.getLocation gave, GCJ-02
  },

  onLaunch(options) {
    const current = api.session()
    const route = (options && options.path) || ''
    if (current && current.role !== 'resident' && roles.hasTab('resident', route)) {
      wx.reLaunch({ url: roles.homeOf(current.role) })
    }
    wx.onNetworkStatusChange((status) => {
      // Nobody is looking: a lapsed login waits for the worker instead of opening a page.
      if (status.isConnected) visitQueue.sync({ background: true }).catch(() => {}) // what fails stays queued
    })
  },
})
