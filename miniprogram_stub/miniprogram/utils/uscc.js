// The unified social credit code (统一社会信用代码, GB 32100-2015) checked as it is typed, by the
// same rule the server applies (app/common/credit_code.py): 18 characters of the code's 31, the
// last one the check character of the first 17. A typo is caught on the phone, with the reason.
const CHARSET = '0123456789ABCDEFGHJKLMNPQRTUWXY' // digits and capitals without I, O, S, V, Z
const WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]

/** The code as the server reads it: full-width characters folded, spaces at the ends dropped, capitals. */
function normalise(raw) {
  return String(raw || '')
    .normalize('NFKC')
    .trim()
    .toUpperCase()
}

/** The check character of the first 17 characters (all from CHARSET). */
function checkCharacter(first17) {
  let total = 0
  for (let i = 0; i < 17; i += 1) total += CHARSET.indexOf(first17[i]) * WEIGHTS[i]
  return CHARSET[(31 - (total % 31)) % 31]
}

/**
 * Check a typed code: {ok: true, value} (normalised, as to send), or {ok: false, value, problem}
 * with the sentence to show. An empty code is not ok (problem '请填写统一社会信用代码').
 */
function check(raw) {
  const value = normalise(raw)
  if (!value) return { ok: false, value, problem: '请填写统一社会信用代码' }
  const bad = [...value].find((char) => !CHARSET.includes(char))
  if (bad && !bad.trim()) return { ok: false, value, problem: '统一社会信用代码中不能有空格' }
  if (bad) {
    const hint = /[IOSVZ]/.test(bad) ? `（不含字母I、O、S、V、Z）` : ''
    return { ok: false, value, problem: `统一社会信用代码中不能有“${bad}”${hint}` }
  }
  if (value.length !== 18) return { ok: false, value, problem: `统一社会信用代码应为18位，现在是${value.length}位` }
  if (checkCharacter(value.slice(0, 17)) !== value[17]) {
    return { ok: false, value, problem: '统一社会信用代码校验位不符，请对照营业执照逐位核对' }
  }
  return { ok: true, value }
}

module.exports = { CHARSET, normalise, checkCharacter, check }
