// The grid worker's offline visit queue. A visit is stored on the phone the moment it is
// recorded (with its client id, the phone's clock and the worker's account), and sent in
// batches when there is a network. The server answers per item: `applied` and `duplicate` leave
// the queue, `rejected` moves to a list the worker sees with the server's reason; a failed batch
// changes nothing. Phones are shared: each worker sees and sends only their own visits (the
// server matches client ids per worker, so another worker's resend would count twice).
const api = require('./api')
const config = require('./config')
const messages = require('./messages')

const QUEUE_KEY = 'grid.visitQueue' // [{ owner, ...visit }]
const REJECTED_KEY = 'grid.visitRejected' // [{ owner, visit, code, message, fields }]

let syncing = null

/** The logged-in staff account's id, or null. */
function owner() {
  const current = api.session()
  return current && current.kind === 'staff' ? current.accountId : null
}

function everyone() {
  return wx.getStorageSync(QUEUE_KEY) || []
}

/** The logged-in worker's visits waiting to be sent, oldest first. */
function pending() {
  const me = owner()
  return everyone().filter((item) => item.owner === me)
}

/** The logged-in worker's visits the server refused, with its reasons. */
function rejected() {
  const me = owner()
  return (wx.getStorageSync(REJECTED_KEY) || []).filter((entry) => entry.owner === me)
}

/** Queue one visit (the form's values) for the logged-in worker; returns it as queued. */
function add(visit) {
  const item = {
    ...visit,
    owner: owner(),
    client_id: visit.client_id || api.newClientId(),
    visited_at: visit.visited_at || new Date().toISOString(), // UTC with 'Z': an explicit offset
  }
  wx.setStorageSync(QUEUE_KEY, everyone().concat([item]))
  return item
}

/** Forget the refused visits the worker has read. */
function clearRejected() {
  const me = owner()
  const others = (wx.getStorageSync(REJECTED_KEY) || []).filter((entry) => entry.owner !== me)
  if (others.length) wx.setStorageSync(REJECTED_KEY, others)
  else wx.removeStorageSync(REJECTED_KEY)
}

/** Send one batch; drop what the server applied or already had, keep the rest of the queue. */
async function sendBatch(batch, background) {
  const visits = batch.map(({ owner: _, ...visit }) => visit) // the server knows who sends
  const answer = await api.request('/grid/visits', { method: 'POST', data: { visits }, background })
  const done = new Set()
  const refused = []
  for (const result of answer.results) {
    const item = batch[result.index]
    done.add(item.client_id)
    if (result.result === 'rejected') {
      const error = result.error || {}
      const { code, message, fields = null } = error
      refused.push({ owner: item.owner, visit: visits[result.index], code, message, fields })
    }
  }
  // Re-read the queue: the worker may have added visits while the batch was on its way.
  wx.setStorageSync(QUEUE_KEY, everyone().filter((item) => !done.has(item.client_id)))
  if (refused.length) wx.setStorageSync(REJECTED_KEY, (wx.getStorageSync(REJECTED_KEY) || []).concat(refused))
  return answer.results
}

/**
 * Send the logged-in worker's queue, batch by batch. Resolves {applied, duplicate, rejected,
 * left}; rejects (with the queue intact from the failed batch on) when the network or the
 * server fails, the error carrying the `counts` of the batches that went through before. `background`: nobody is looking (a network change), so a lapsed login does not
 * open the login page.
 */
function sync({ background = false } = {}) {
  if (syncing) return syncing
  syncing = (async () => {
    const counts = { applied: 0, duplicate: 0, rejected: 0, left: 0 }
    let queue = pending()
    // Visits are sent with the grid worker's own login only: without it api.request would log
    // the phone in as a resident through WeChat (and the server would refuse the batch anyway).
    if (queue.length && owner() === null) {
      const message = messages.forError({ code: 'auth_required' }, 401)
      throw new api.ApiError({ status: 401, code: 'auth_required', message })
    }
    while (queue.length) {
      let results
      try {
        results = await sendBatch(queue.slice(0, config.VISIT_BATCH_SIZE), background)
      } catch (error) {
        error.counts = { ...counts, left: pending().length } // what earlier batches did
        throw error
      }
      for (const result of results) counts[result.result] += 1
      const sent = new Set(results.map((result) => queue[result.index].client_id))
      queue = pending().filter((item) => !sent.has(item.client_id))
      if (!results.length) break
    }
    counts.left = pending().length
    return counts
  })().finally(() => {
    syncing = null
  })
  return syncing
}

module.exports = { add, pending, rejected, clearRejected, sync, QUEUE_KEY, REJECTED_KEY }
