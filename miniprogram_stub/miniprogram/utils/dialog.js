// wx.showModal as promises, so a page can `if (!(await confirm(...))) return` instead of nesting callbacks.

/** Ask with OK and Cancel; resolves true only when the person confirms (a failed dialog is a no). */
function confirm(title, content) {
  return new Promise((resolve) => {
    wx.showModal({ title, content, success: (result) => resolve(!!result.confirm), fail: () => resolve(false) })
  })
}

/** Tell something with a single OK; resolves once the dialog is closed (or failed to open). */
function alert(title, content) {
  return new Promise((resolve) => {
    wx.showModal({ title, content, showCancel: false, complete: () => resolve() })
  })
}

module.exports = { confirm, alert }
