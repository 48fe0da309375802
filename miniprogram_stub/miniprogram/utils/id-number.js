// A resident ID-card number (GB 11643-1999) checked as it is typed, as the server checks it
// (app/common/identity.py): 17 digits and a check character, a real birth date.
const WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
const CHECK = '10X98765432'

/** Full-width digits and a lower-case x (a Chinese keyboard's) as the server reads them. */
function normalise(raw) {
  return String(raw || '')
    .replace(/[\uff10-\uff19]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 0xfee0))
    .replace(/[xｘＸ]/g, 'X')
    .replace(/\s/g, '')
}

/** The check character for the first 17 digits. */
function checkCharacter(first17) {
  const total = [...first17].reduce((sum, digit, i) => sum + Number(digit) * WEIGHTS[i], 0)
  return CHECK[total % 11]
}

/**
 * What is wrong with a typed number, in Chinese, or '' when it is a valid one. `partial`: still
 * being typed (only a wrong character is reported until all 18 are there).
 */
function problem(raw, partial = false) {
  const value = normalise(raw)
  if (!/^[0-9]{0,17}[0-9X]?$/.test(value)) return '身份证号只能是数字，最后一位可以是X'
  if (value.length < 18) return partial ? '' : '身份证号应为18位'
  const year = Number(value.slice(6, 10))
  const month = Number(value.slice(10, 12))
  const day = Number(value.slice(12, 14))
  const birth = new Date(Date.UTC(year, month - 1, day))
  const real = birth.getUTCFullYear() === year && birth.getUTCMonth() === month - 1 && birth.getUTCDate() === day
  if (!real || year < 1800 || birth.getTime() > Date.now()) return '身份证号中的出生日期有误，请核对'
  if (checkCharacter(value.slice(0, 17)) !== value[17]) return '身份证号校验位不对，请逐位核对'
  return ''
}

/** Whether a full number agrees with the masked one on file ('3410**********1234'). */
function matchesHint(raw, hint) {
  const value = normalise(raw)
  if (!hint || hint.length !== value.length) return false
  return [...hint].every((char, i) => char === '*' || char === value[i])
}

module.exports = { normalise, checkCharacter, problem, matchesHint }
