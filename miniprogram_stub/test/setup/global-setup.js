const backend = require('./backend')

module.exports = async () => {
  globalThis.__BACKEND__ = await backend.start()
}
