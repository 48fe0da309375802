// Staff login (网格员、服务站工作人员、经办人员、管理人员): username and password; every staff role
// lands on its own home (utils/roles.js). An account with a second factor is told to use the
// console (totp_required: this app has no code field); a non-staff account is logged out again.
const api = require('../../utils/api')
const roles = require('../../utils/roles')

// Residents and employers log in with WeChat, never here.
const NOT_STAFF = '此入口仅供工作人员使用，居民和企业请直接使用小程序'

/** Whether a role is one of the staff roles this app has pages for. */
function isStaff(role) {
  return !!role && role !== 'resident' && role !== 'employer' && !!roles.TABS[role]
}

Page({
  data: {
    username: '',
    password: '',
    submitting: false,
    message: '',
  },

  onLoad() {
    // Already logged in as staff (a token that has not lapsed yet): straight to the work.
    const current = api.session()
    if (current && current.kind === 'staff' && isStaff(current.role)) {
      wx.reLaunch({ url: roles.homeOf(current.role) })
    }
  },

  onUsernameInput(event) {
    this.setData({ username: String(event.detail.value || '').trim(), message: '' })
  },

  onPasswordInput(event) {
    this.setData({ password: String(event.detail.value || ''), message: '' })
  },

  /** Log in; the server's refusal (wrong password, locked, disabled, TOTP) is shown in Chinese. */
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
      if (!isStaff(session.role)) {
        // Not a staff account: do not leave its token on this phone.
        await api.logout()
        this.setData({ message: NOT_STAFF, password: '' })
        wx.showModal({ title: '提示', content: NOT_STAFF, showCancel: false })
        return
      }
      this.setData({ password: '' })
      // The role's own tabs from here on; nothing of the resident's pages stays below.
      wx.reLaunch({ url: roles.homeOf(session.role) })
    } catch (error) {
      this.setData({ message: error.message, password: '' })
      api.showError(error)
    } finally {
      this.setData({ submitting: false })
    }
  },
})
