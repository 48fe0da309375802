// TOTP codes (RFC 6238: HMAC-SHA1, 30-second steps, 6 digits) with Node's own crypto, for the
// tests that log in staff accounts with a second factor: the demo city and district admins
// (DEMO_TOTP_SECRET, enrolled by `flask dev-setup`) and accounts a test enrols in the console.
const crypto = require('crypto')

// app/config.py's default; the harness passes DEMO_TOTP_SECRET to the backend it starts.
const DEFAULT_DEMO_TOTP_SECRET = 'HUANGSHANDEMOTOTP3KMCIRCLE234567'
// The demo accounts the demo enrols with that secret (second_factor.REQUIRED_ROLES).
const DEMO_TOTP_ACCOUNTS = ['demo-city-admin', 'demo-district-admin']
const STEP_SECONDS = 30
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'

/** Decode RFC 4648 base32 (case, spaces and padding ignored) into bytes. */
function base32Decode(text) {
  const clean = String(text).toUpperCase().replace(/[\s=-]/g, '')
  let bits = 0
  let value = 0
  const bytes = []
  for (const char of clean) {
    const index = ALPHABET.indexOf(char)
    if (index < 0) throw new Error(`not base32: ${JSON.stringify(char)}`)
    value = ((value << 5) | index) & 0xfff // only the bits not yet written out matter
    bits += 5
    if (bits >= 8) {
      bytes.push((value >>> (bits - 8)) & 0xff)
      bits -= 8
    }
  }
  return Buffer.from(bytes)
}

/** The HOTP code (RFC 4226) of `key` (bytes) at `counter`, `digits` long. */
function hotp(key, counter, digits = 6) {
  const message = Buffer.alloc(8)
  message.writeBigUInt64BE(BigInt(counter))
  const mac = crypto.createHmac('sha1', key).update(message).digest()
  const offset = mac[mac.length - 1] & 0x0f
  const number = mac.readUInt32BE(offset) & 0x7fffffff
  return String(number % 10 ** digits).padStart(digits, '0')
}

/** The TOTP code of a base32 `secret` at `time` (ms since the epoch; now by default). */
function totp(secret, { time = Date.now(), digits = 6 } = {}) {
  return hotp(base32Decode(secret), Math.floor(time / 1000 / STEP_SECONDS), digits)
}

module.exports = { totp, hotp, base32Decode, DEFAULT_DEMO_TOTP_SECRET, DEMO_TOTP_ACCOUNTS, STEP_SECONDS }
