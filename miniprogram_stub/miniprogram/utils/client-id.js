// Client ids make writes safe to retry: the server applies a write once per client id.

/** Return a new random client id (32 lower-case hex characters, as the API accepts 8–64). */
function create() {
  let id = Date.now().toString(16)
  while (id.length < 32) id += Math.floor(Math.random() * 16).toString(16)
  return id.slice(0, 32)
}

module.exports = { create }
