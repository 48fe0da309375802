// The tests' TOTP helper (setup/totp.js) against RFC 6238's own test vectors (Appendix B, SHA-1).
const { totp, base32Decode, DEFAULT_DEMO_TOTP_SECRET } = require('./setup/totp')

// The RFC's key, "12345678901234567890", in base32 as an authenticator app is given it.
const RFC_SECRET = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ'

test('base32 decodes to the bytes it stands for, whatever the case, spaces or padding', () => {
  expect(base32Decode(RFC_SECRET).toString('ascii')).toBe('12345678901234567890')
  expect(base32Decode('gezd gnbv gy3t qojq gezd gnbv gy3t qojq')).toEqual(base32Decode(RFC_SECRET))
  expect(base32Decode('MZXW6===').toString('ascii')).toBe('foo')
  expect(base32Decode(DEFAULT_DEMO_TOTP_SECRET)).toHaveLength(20)
  expect(() => base32Decode('NOT-BASE32-1')).toThrow('not base32')
})

test.each([
  [59, '94287082'],
  [1111111109, '07081804'],
  [1111111111, '14050471'],
  [1234567890, '89005924'],
  [2000000000, '69279037'],
  [20000000000, '65353130'],
])('at %i s the code is %s (8 digits), and its last 6 as the app shows them', (seconds, code) => {
  expect(totp(RFC_SECRET, { time: seconds * 1000, digits: 8 })).toBe(code)
  expect(totp(RFC_SECRET, { time: seconds * 1000 })).toBe(code.slice(2))
})

test('a code holds for its 30-second step', () => {
  expect(totp(RFC_SECRET, { time: 30000 })).toBe(totp(RFC_SECRET, { time: 59999 }))
  expect(totp(RFC_SECRET, { time: 60000 })).not.toBe(totp(RFC_SECRET, { time: 59999 }))
})
