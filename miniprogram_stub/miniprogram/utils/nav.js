// Keeps each role on its own pages: a page for some roles only calls guard() first in onLoad;
// anyone else is sent to their own home (utils/roles.js) instead of meeting role_forbidden.
const api = require('./api')
const roles = require('./roles')

/** The logged-in role, or null when nobody is logged in (the resident's login is silent). */
function currentRole() {
  const current = api.session()
  return current ? current.role : null
}

/**
 * Whether the logged-in role may use this page; if not, open that role's home in its place.
 * Nobody logged in counts as a resident (their first request logs them in silently).
 */
function guard(allowed) {
  const role = currentRole() || 'resident'
  if (allowed.includes(role)) return true
  wx.reLaunch({ url: roles.homeOf(role) })
  return false
}

/** Open the logged-in role's home (after a login, or when a role changes). */
function goHome() {
  wx.reLaunch({ url: roles.homeOf(currentRole() || 'resident') })
}

module.exports = { currentRole, guard, goHome }
