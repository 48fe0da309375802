const backend = require('./backend')

module.exports = async () => {
  if (globalThis.__BACKEND__) backend.stop(globalThis.__BACKEND__)
}
