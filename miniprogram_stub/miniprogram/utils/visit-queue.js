// The grid worker's offline visit queue. A visit is stored on the phone the moment it is
// recorded (with its client id and the phone's clock), and sent in batches when there is a
// network. The server answers per item: `applied` and `duplicate` leave the queue, `rejected`
// moves to a list the worker sees with the server's reason; a failed batch changes nothing.
const api = require('./api')
const config = require('./config')
const messages = require('./messages')

const QUEUE_KEY = 'grid.visitQueue'
const REJECTED_KEY = 'grid.visitRejected'

let syncing = null

function pending() {
  return wx.getStorageSync(QUEUE_KEY) || []
}

function rejected() {
  return wx.getStorageSync(REJECTED_KEY) || []
}

/** Queue one visit (the form's values); returns it with its client id and time. */
function add(visit) {
  const item = {
    ...visit,
    client_id: visit.client_id || api.newClientId(),
    visited_at: visit.visited_at || new Date().toISOString(), // UTC with 'Z': an explicit offset
  }
  wx.setStorageSync(QUEUE_KEY, pending().concat([item]))
  return item
}

/** Forget the rejected visits the worker has read. */
function clearRejected() {
  wx.removeStorageSync(REJECTED_KEY)
}

/** Send one batch; drop what the server applied or already had, keep the rest of the queue. */
async function sendBatch(batch) {
  const answer = await api.request('/grid/visits', { method: 'POST', data: { visits: batch } })
  const done = new Set()
  const refused = []
  for (const result of answer.results) {
    const item = batch[result.index]
    done.add(item.client_id)
    if (result.result === 'rejected') {
      const error = result.error || {}
      refused.push({ visit: item, code: error.code, message: error.message, fields: error.fields || null })
    }
  }
  // Re-read the queue: the worker may have added visits while the batch was on its way.
  wx.setStorageSync(QUEUE_KEY, pending().filter((item) => !done.has(item.client_id)))
  if (refused.length) wx.setStorageSync(REJECTED_KEY, rejected().concat(refused))
  return answer.results
}

/**
 * Send the whole queue, batch by batch. Resolves {applied, duplicate, rejected, left}; rejects
 * (with the queue intact from the failed batch on) when the network or the server fails.
 */
function sync() {
  if (syncing) return syncing
  syncing = (async () => {
    const counts = { applied: 0, duplicate: 0, rejected: 0, left: 0 }
    let queue = pending()
    // Visits are sent with the grid worker's own login only: without it api.request would log
    // the phone in as a resident through WeChat (and the server would refuse the batch anyway).
    const current = api.session()
    if (queue.length && (!current || current.kind !== 'staff')) {
      const message = messages.forError({ code: 'auth_required' }, 401)
      throw new api.ApiError({ status: 401, code: 'auth_required', message })
    }
    while (queue.length) {
      const results = await sendBatch(queue.slice(0, config.VISIT_BATCH_SIZE))
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
