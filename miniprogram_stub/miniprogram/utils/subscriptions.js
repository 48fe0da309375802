// Subscription reports: what wx.requestSubscribeMessage answered, passed on to the server
// (POST /me/subscriptions). WeChat has counted an "accept" already, so a report that did not get
// through is kept on the phone and sent again later with its own client_id (the server counts
// each client_id once). A list: a second report must not replace the first.
const api = require('./api')

const PENDING_KEY = 'me.pendingSubscriptionReports' // [{ client_id, results }], oldest first

function pending() {
  return wx.getStorageSync(PENDING_KEY) || []
}

function keep(body) {
  const waiting = pending()
  if (!waiting.some((item) => item.client_id === body.client_id)) {
    wx.setStorageSync(PENDING_KEY, waiting.concat([body]))
  }
}

function forget(clientId) {
  const waiting = pending()
  const rest = waiting.filter((item) => item.client_id !== clientId)
  if (rest.length !== waiting.length) wx.setStorageSync(PENDING_KEY, rest)
}

/** Whether a failed report may go through later: no network, a server error (502: WeChat), 429. */
function worthKeeping(error) {
  return error.status === 0 || error.status === 429 || error.status >= 500
}

/**
 * Send one report ({client_id, results}). Resolves the server's answer, or null when the report
 * was kept to send later; rejects with the ApiError when the server refused it as it is (4xx:
 * the same report would be refused again, so it is dropped).
 */
async function report(body) {
  try {
    const answer = await api.request('/me/subscriptions', { method: 'POST', data: body })
    forget(body.client_id)
    return answer
  } catch (error) {
    if (worthKeeping(error)) {
      keep(body)
      return null
    }
    forget(body.client_id)
    throw error
  }
}

/**
 * Send the kept reports, oldest first, stopping at one that is kept again (the rest would be
 * too). Resolves the last answer, or null when none went through; refusals are dropped quietly.
 */
async function resendPending() {
  let last = null
  for (const body of pending()) {
    try {
      const answer = await report(body)
      if (answer === null) return last
      last = answer
    } catch (error) {
      // refused as it is: already dropped, nothing to show for a resend nobody tapped for
    }
  }
  return last
}

module.exports = { report, resendPending, pending, PENDING_KEY }
