const backend = require('./backend')

module.exports = async () => {
  // The phones of the city: times on the pages read as Huangshan's clock, wherever CI runs.
  process.env.TZ = 'Asia/Shanghai'
  globalThis.__BACKEND__ = await backend.start()
}
