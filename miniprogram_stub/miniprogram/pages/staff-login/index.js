// Staff login for grid workers (网格员): username and password; grid workers and operators go on
// to the visit checklist, any other staff role is logged out again (this app has no pages for it).
const api = require('../../utils/api')
const config = require('../../utils/config')

const CHECKLIST_PAGE = '/pages/grid-checklist/index'
// Who may record visits (the server's VISIT_ROLES): grid workers, and operators who visit themselves.
const NOT_FOR_YOU = '此入口仅供网格员使用'

Page({
  data: {
    username: '',
    password: '',
    submitting: false,
    message: '',
  },

  onLoad() {
    // Already logged in as a grid worker (a token that has not lapsed yet): straight to the work.
    const current = api.session()
    if (current && current.kind === 'staff' && config.GRID_ROLES.includes(current.role)) {
      wx.redirectTo({ url: CHECKLIST_PAGE })
    }
  },

  onUsernameInput(event) {
    this.setData({ username: String(event.detail.value || '').trim(), message: '' })
  },

  onPasswordInput(event) {
    this.setData({ password: String(event.detail.value || ''), message: '' })
  },

  /** Log in; the server's refusal (wrong password, locked, disabled) is shown in Chinese. */
  async onSubmit() {
    const { username, password } = this.data
    if (this.data.submitting) return
    if (!username || !password) {
      this.setData({ message: '请输入用户名和密码' })
      return
    }
    this.setData({ submitting: true, message: '' })
    try {
      const session = await api.staffLogin(username, password)
      if (!config.GRID_ROLES.includes(session.role)) {
        // A valid account of another role: do not leave its token on this phone.
        await api.logout()
        this.setData({ message: NOT_FOR_YOU, password: '' })
        wx.showModal({ title: '提示', content: NOT_FOR_YOU, showCancel: false })
        return
      }
      this.setData({ password: '' })
      wx.redirectTo({ url: CHECKLIST_PAGE })
    } catch (error) {
      this.setData({ message: error.message, password: '' })
      api.showError(error)
    } finally {
      this.setData({ submitting: false })
    }
  },
})
