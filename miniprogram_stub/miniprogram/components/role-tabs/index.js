// The bottom tabs of an employer's or staff member's top pages (see utils/roles.js): the tabs of
// the logged-in role, `current` highlighted; a tap opens the tab's page in place of the stack.
const api = require('../../utils/api')
const roles = require('../../utils/roles')

Component({
  properties: {
    current: { type: String, value: '' }, // this page's route, e.g. 'pages/employer-jobs/index'
  },

  data: {
    tabs: [],
  },

  lifetimes: {
    attached() {
      const current = api.session()
      const role = current ? current.role : null
      // Residents have the native tabBar; a page outside the role's tabs shows none.
      const tabs = role && role !== 'resident' && roles.hasTab(role, this.data.current) ? roles.tabsOf(role) : []
      this.setData({ tabs })
    },
  },

  methods: {
    onTab(event) {
      const { page } = event.currentTarget.dataset
      if (page === this.data.current) return
      wx.reLaunch({ url: `/${page}` })
    },
  },
})
