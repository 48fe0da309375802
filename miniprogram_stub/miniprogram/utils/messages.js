// What a person reads when a request fails. The server's error envelope carries a stable
// `code` and an English `message`; the codes we know get a Chinese sentence here, and any code
// we do not know yet shows the server's own message (so a new rule is never silent).

const BY_CODE = {
  network_error: '网络不可用，请检查网络后再试',
  internal_error: '服务器开小差了，请稍后再试',
  service_unavailable: '服务暂时不可用，请稍后再试',
  // A request body the server could not read (a bug or a broken upload, not the person's doing).
  invalid_json: '提交的内容有误，请重试',
  body_required: '没有收到要保存的内容，请重试',
  auth_required: '请先登录',
  // Consent (docs/PEOPLE.md): the consent page opens by itself on consent_required.
  consent_required: '请先阅读并同意服务协议和隐私政策，再提交',
  consent_version_outdated: '协议已更新，请阅读新版本后再同意',
  consent_base_required: '请先同意服务协议和隐私政策',
  token_expired: '登录已过期，请重新登录',
  wechat_code_invalid: '微信登录失败，请重试',
  wechat_unavailable: '微信服务暂时不可用，请稍后再试',
  account_disabled: '账号已停用，请联系就业服务站',
  account_locked: '密码错误次数过多，请稍后再试',
  too_many_attempts: '登录尝试过于频繁，请稍后再试',
  invalid_credentials: '用户名或密码错误',
  // A staff account with a second factor (TOTP, turned on in the console): this app has no code field.
  totp_required: '此账号已开启二次验证，小程序不能输入验证码，请在电脑上使用管理后台；区、市管理员以外的账号也可在管理后台“账号安全”中关闭二次验证后再用小程序',
  invalid_code: '验证码错误或已使用过，请输入认证器上的新验证码',
  role_forbidden: '当前账号不能进行此操作',
  not_a_resident: '请使用居民账号操作',
  location_required: '请允许获取位置，或在“我的”里填写家庭住址',
  coordinates_out_of_range: '位置不在服务范围内',
  coordinates_swapped: '位置信息有误，请重新定位',
  job_not_found: '岗位已下线或不存在',
  file_too_large: '文件不能超过10MB',
  file_type_not_allowed: '只能上传 PDF、Word、JPG 或 PNG 文件',
  file_empty: '文件是空的，请重新选择',
  file_missing: '请选择要上传的文件',
  too_many_files: '最多上传5个附件，请先删除旧的',
  file_has_macros: '这个Word文件含有宏，请另存为普通文档（.docx）或PDF后再上传',
  payload_too_large: '内容太大，请缩小后再试',
  token_invalid: '这不是就业服务站的签到码',
  token_revoked: '这张二维码已更换，请扫描服务站现在张贴的二维码',
  token_replayed: '这个二维码您已用过，请扫描屏幕上的新二维码',
  token_from_future: '这张二维码的日期有误，请联系服务站工作人员更换二维码',
  station_inactive: '该服务站已暂停服务',
  too_far: '您离服务站太远了，请到站内再扫码签到',
  event_not_open: '活动签到尚未开始或已经结束',
  event_cancelled: '活动已取消',
  event_full: '活动名额已满',
  illegal_transition: '当前状态不能进行此操作',
  batch_too_large: '一次提交的走访记录太多，请稍后再同步',
  household_not_found: '该户不在您负责的社区',
  // Grid work: visits refused one by one, follow-ups.
  visited_at_too_old: '走访记录已超过45天，不能再提交',
  visited_at_in_future: '手机时间不准，请校准时间后重新记录',
  not_a_member: '该居民已不在这户，请刷新清单',
  updates_need_met: '只有见到本人时才能更新成员情况',
  need_not_found: '这条跟进事项不在您负责的社区',
  // Key-group periods (重点群体的认定起止日期).
  since_in_future: '开始日期不能晚于今天',
  period_reversed: '结束日期不能早于开始日期',
  // A station's opening hours, as staff set them (docs/STATIONS.md).
  hours_reversed: '开放时间有误：结束时间要晚于开始时间',
  hours_overlap: '开放时间段有重叠，请调整后再保存',
  duplicate_exception_date: '同一天的特殊安排填写了两次',
  exception_hours_mismatch: '特殊安排有误：休息日不填时间，开放日请填写开放时间',
  // The "me" page: phone binding, profile, push settings.
  phone_not_mainland: '仅支持绑定中国大陆手机号',
  invalid_phone: '手机号格式不正确',
  unknown_community: '所选社区不存在，请重新选择',
  invalid_time: '请选择正确的时间',
  // The résumé page: a file deleted meanwhile (another phone, an earlier tap).
  file_not_found: '附件已删除或不存在',
  // 办事: unemployment / employment registrations (docs/REGISTRATIONS.md).
  registration_not_found: '没有找到这条登记，请刷新后再试',
  community_required: '请先在“我的”里选择所在社区，再办理',
  birth_date_unknown: '请先在“我的”里填写身份证号，再办理失业登记',
  not_working_age: '失业登记限法定劳动年龄内（16-59周岁）的人员办理',
  left_on_in_future: '离职日期不能晚于今天',
  started_on_in_future: '开始日期不能晚于今天',
  ended_on_in_future: '离职日期不能晚于今天',
  ended_on_required: '请选择离职日期',
  ended_before_start: '离职日期不能早于开始工作的日期',
  invalid_credit_code: '统一社会信用代码有误，请对照营业执照核对18位代码',
  invalid_card_number: '就业创业证编号为6-32位字母或数字，请核对（可不填）',
  employer_required: '请填写单位名称',
  currently_employed: '您目前登记为在职（或有有效的就业登记），请先登记离职后再申请失业登记',
  registration_open: '您已有一条同类登记正在办理或有效，不能重复申请',
  employment_kind_not_self: '本人只能登记个体经营或灵活就业；单位就业由用人单位登记',
  not_awaiting_confirmation: '这条登记已不需要确认，请刷新查看最新状态',
  registration_in_effect: '就业登记已生效，不能撤回；如已离职，请登记离职',
  registration_not_in_effect: '这条登记尚未生效或已终止，不能进行此操作',
  withdraw_instead: '失业登记请用“撤回”结束',
  reason_required: '请填写原因',
  not_yours: '这条登记不是您本人提交的，不能撤回',
  // 重点群体认定: certified key groups.
  certification_not_found: '没有找到这条认定申请，请刷新后再试',
  certification_open: '这一类别已有申请正在审核，请等待结果或在原申请中补充材料',
  certification_decided: '这条申请已有审核结果，材料不能再修改',
  graduation_year_required: '高校毕业生请填写毕业年份',
  graduation_year_in_future: '毕业年份不能晚于今年',
  key_group_not_certifiable: '这一类别由系统按规则认定，无需申请',
  key_group_computed: '长期失业人员由系统按规则认定，无需申请',
  evidence_missing: '请先上传证明材料',
  certificate_expired: '证明已过有效期，请上传有效的证明',
  // 审核 (pages/station-review): a rejection needs its reason; no licence, no verification.
  licence_missing: '企业尚未上传营业执照，不能认证通过',
  // 叫号 at a station's counter (pages/station-queue).
  queue_empty: '现在没有等候的人',
  serve_current_first: '请先办结您窗口正在办理的来访者，再叫下一位',
  queue_busy: '其他窗口正在同时叫号，请再点一次“叫下一位”',
  invalid_outcome: '办理结果有误，请重新选择',
  no_follow_up: '这位来访者没有待跟进事项，请刷新',
  // The employer's pages: registering or claiming a business, its jobs and applicants.
  employer_claimable: '服务站已为贵单位登记过，请填写工作人员提供的认领码认领',
  employer_exists: '这个微信号已登记过企业',
  credit_code_taken: '该统一社会信用代码已被其他账号登记，请联系就业服务站',
  outside_service_area: '所选位置不在本平台服务范围内，请重新选择企业位置',
  claim_code_wrong: '认领码不正确，请核对后重试（多次输错后认领码将失效）',
  claim_code_expired: '认领码已过期，请联系服务站重新获取',
  claim_code_void: '认领码已失效，请联系服务站重新获取',
  employer_already_claimed: '该企业已被认领，如有疑问请联系就业服务站',
  employer_not_found: '没有找到这家企业，请核对统一社会信用代码',
  employer_not_registered: '请先完成企业入驻',
  employer_not_verified: '企业认证通过后才能提交岗位审核',
  employer_verified: '企业已认证，名称、信用代码和营业执照需到服务站变更',
  job_status_conflict: '岗位状态已变化，请刷新后再试',
  wage_range_invalid: '最高薪资不能低于最低薪资',
  application_not_found: '没有找到这条应聘，请刷新后再试',
  resume_not_found: '简历不可查看（求职者可能已撤回应聘）',
  // 招聘会 and claims (直补快办), the resident's pages of issue 23.
  event_not_found: '活动不存在或已下线',
  event_over: '活动已经结束，不能再报名',
  event_audience: '这个活动不面向您的账号类型，不能报名',
  claim_not_found: '没有找到这条申领，请刷新后再试',
  claim_exists: '这项政策本期已有申领正在办理，请在“我的申领”查看',
  not_qualified: '您目前不符合这项政策的条件，请在“我的政策”查看原因',
  claim_deadline_passed: '这项政策的申领已截止',
  confirmation_required: '请勾选确认信息真实后再提交',
  invalid_bank_account: '银行卡号为12-30位数字，请核对',
  wrong_stage: '申领状态已变化，请刷新查看最新进度',
  claim_decided: '申领已有结果，不能再补充材料',
  // Sentences that depend on the route, not only the code (BY_FIELD, forCheckIn below).
  token_expired_qr: '二维码已过期，请重新扫描屏幕上的二维码',
  location_required_station: '此服务站需要定位签到，请允许获取位置后再扫码',
}

// The same code means different things on different routes: an expired QR code is not an
// expired login (the check-in refusal names its field).
const BY_FIELD = {
  'url_or_token:token_expired': 'token_expired_qr',
}

const BY_STATUS = {
  0: 'network_error',
  500: 'internal_error',
  502: 'wechat_unavailable',
  503: 'service_unavailable',
}

/** Return the sentence to show for an error envelope {code, message, field} and its status. */
function forError(envelope, status) {
  const special = envelope && BY_FIELD[`${envelope.field}:${envelope.code}`]
  if (special) return BY_CODE[special]
  if (envelope && BY_CODE[envelope.code]) return BY_CODE[envelope.code]
  if (envelope && envelope.message) return envelope.message
  const byStatus = BY_STATUS[status] || (status >= 500 ? 'internal_error' : null)
  return byStatus ? BY_CODE[byStatus] : `请求失败 (${status})`
}

/**
 * The sentence for a refused check-in (an ApiError from POST /check-ins): the server names
 * `lat` for a station's location_required, as the job search does for "no position and no
 * home", so BY_FIELD cannot tell them apart.
 */
function forCheckIn(error) {
  if (error && error.code === 'location_required') return BY_CODE.location_required_station
  return error && error.message ? error.message : forError(null, 0)
}

module.exports = { forError, forCheckIn, BY_CODE }
