// Starts the real backend for the tests: the embedded default (SQLite file, in-process
// fakeredis, jobs inline) — or MariaDB + Redis with MINIPROGRAM_BACKEND=real — with demo data,
// and the local fake WeChat server, each on a free port.
const { spawn, execFileSync } = require('child_process')
const fs = require('fs')
const net = require('net')
const os = require('os')
const path = require('path')

const { DEFAULT_DEMO_TOTP_SECRET } = require('./totp')

const REPO = path.resolve(__dirname, '../../..')
// Test files read the running backend from the environment, which globalSetup sets before
// they start: two jest runs at once (two terminals) each keep their own backend.
const STATE_VARIABLE = 'MINIPROGRAM_TEST_BACKEND'
const DEMO_PASSWORD = 'mp-test-pass-2026'

/** Return a TCP port nobody listens on right now. */
function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer()
    server.unref()
    server.on('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address()
      server.close(() => resolve(port))
    })
  })
}

/** Wait until GET url answers 200, or fail after `seconds`. */
async function waitFor(url, seconds, child) {
  const deadline = Date.now() + seconds * 1000
  let lastError = null
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${url}: the process exited with ${child.exitCode}`)
    try {
      const response = await fetch(url)
      if (response.ok) return
      lastError = new Error(`${url} answered ${response.status}`)
    } catch (error) {
      lastError = error
    }
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  throw new Error(`${url} did not answer within ${seconds} s: ${lastError}`)
}

/** Find the project's flask command (the venv that `make test` builds). */
function flaskCommand() {
  const flask = process.env.FLASK_BIN || path.join(REPO, '.venv', 'bin', 'flask')
  if (!fs.existsSync(flask)) {
    throw new Error(`${flask} is missing: run \`make test\` (or \`make .venv/.dev\`) in ${REPO} first`)
  }
  return flask
}

/**
 * With MINIPROGRAM_BACKEND=real, MariaDB + Redis next to the test databases of TEST_DATABASE_URL
 * and TEST_REDIS_URL (as .ci/run sets them): `<database>_miniprogram` and Redis db 13 (or
 * MINIPROGRAM_REDIS_DB, for two runs side by side), so the Python suite's data and this run's
 * never meet. Else null: the embedded default.
 */
function realBackend() {
  if (process.env.MINIPROGRAM_BACKEND !== 'real') return null
  const { TEST_DATABASE_URL: database, TEST_REDIS_URL: redis } = process.env
  if (!database || !redis) throw new Error('MINIPROGRAM_BACKEND=real needs TEST_DATABASE_URL and TEST_REDIS_URL')
  const db = new URL(database)
  db.pathname = `${db.pathname.replace(/\/$/, '')}_miniprogram`
  const cache = new URL(redis)
  cache.pathname = `/${process.env.MINIPROGRAM_REDIS_DB || '13'}`
  return { database: db.toString(), redis: cache.toString() }
}

/** Build the schema and the demo data, start both servers; return what the tests need. */
async function start() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ec-miniprogram-'))
  const [apiPort, wechatPort] = [await freePort(), await freePort()]
  const flask = flaskCommand()
  const env = {
    ...process.env,
    FLASK_APP: 'wsgi.py',
    APP_CONFIG: 'development',
    DATABASE_URL: `sqlite:///${path.join(dir, 'demo.sqlite3')}`,
    STORAGE_DIR: path.join(dir, 'storage'),
    WECHAT_API_BASE: `http://127.0.0.1:${wechatPort}/`,
    PUBLIC_BASE_URL: `http://127.0.0.1:${apiPort}`,
    DEMO_PASSWORD,
    // The secret `flask dev-setup` enrols the demo city and district admins with (TOTP): the
    // tests compute their codes from it (setup/totp.js).
    DEMO_TOTP_SECRET: process.env.DEMO_TOTP_SECRET || DEFAULT_DEMO_TOTP_SECRET,
    // The demo stations' office hours would make a run after 17:30 or on a Sunday an
    // out-of-hours visit without a queue number: open them all day, every day.
    DEMO_STATION_HOURS: 'always',
    // The development config has no quiet hours (so a demo's push arrives at any hour); the
    // pages are tested against production's defaults, which a resident sees in their settings.
    PUSH_QUIET_START: '21:00',
    PUSH_QUIET_END: '08:00',
    PYTHONUNBUFFERED: '1',
  }
  const real = realBackend()
  if (real) {
    // MariaDB + Redis (MINIPROGRAM_BACKEND=real): a database and Redis db of their own, emptied.
    Object.assign(env, { DATABASE_URL: real.database, REDIS_URL: real.redis, QUEUE_REDIS_URL: real.redis })
    env.RQ_ASYNC = '0' // pushes are sent inline, as in the embedded default (no worker here)
    const python = path.join(path.dirname(flask), 'python')
    execFileSync(python, [path.join(REPO, 'scripts', 'reset_test_backend.py'), real.database, real.redis], {
      cwd: REPO,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    })
  } else {
    // The embedded default: no REDIS_URL means fakeredis in the API process, jobs run inline.
    delete env.REDIS_URL
    delete env.QUEUE_REDIS_URL
  }
  const run = (...args) => {
    try {
      return execFileSync(flask, args, { cwd: REPO, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
    } catch (error) {
      throw new Error(`flask ${args.join(' ')} failed:\n${error.stderr || error.message}`)
    }
  }
  run('db', 'upgrade')
  run('seed-places')
  const demo = JSON.parse(run('demo-data'))

  const log = fs.openSync(path.join(dir, 'servers.log'), 'a')
  const spawnServer = (args) =>
    spawn(flask, args, { cwd: REPO, env, stdio: ['ignore', log, log], detached: false })
  const wechat = spawnServer(['fake-wechat', '--port', String(wechatPort)])
  const api = spawnServer(['run', '--host', '127.0.0.1', '--port', String(apiPort), '--no-reload'])
  const state = {
    dir,
    apiBase: `http://127.0.0.1:${apiPort}`,
    wechatBase: `http://127.0.0.1:${wechatPort}`,
    password: DEMO_PASSWORD,
    totpSecret: env.DEMO_TOTP_SECRET,
    demo,
    pids: [api.pid, wechat.pid],
  }
  try {
    await waitFor(`${state.wechatBase}/_fake/calls`, 30, wechat)
    await waitFor(`${state.apiBase}/healthz`, 30, api)
  } catch (error) {
    stop(state)
    const tail = fs.readFileSync(path.join(dir, 'servers.log'), 'utf8').slice(-3000)
    throw new Error(`${error.message}\n--- server log ---\n${tail}`)
  }
  process.env[STATE_VARIABLE] = JSON.stringify(state)
  // Should jest end without its teardown (a crash, Ctrl-C), the servers go with it.
  process.once('exit', () => stop(state))
  return state
}

/** Stop both servers and remove the temporary directory. */
function stop(state) {
  if (state.stopped) return
  state.stopped = true
  for (const pid of state.pids || []) {
    try {
      process.kill(pid, 'SIGTERM')
    } catch {
      // already gone
    }
  }
  if (state.dir && !process.env.KEEP_BACKEND_DIR) fs.rmSync(state.dir, { recursive: true, force: true })
}

/** The running backend's state, for a test file. */
function current() {
  const state = process.env[STATE_VARIABLE]
  if (!state) throw new Error(`${STATE_VARIABLE} is not set: run the tests with jest, whose globalSetup starts the backend`)
  return JSON.parse(state)
}

module.exports = { start, stop, current }
