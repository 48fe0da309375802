"""The code sets of the province's records: national standards where one exists, the exchange's own otherwise.

National: GB/T 2261.1-2003 (人的性别代码), GB/T 4658-2006 (学历代码), GB/T 4754-2017 (国民经济行业分类,
门类), GB/T 6565 / 职业分类大典 (2022, 大类-中类), 行政区划代码 (GB/T 2260, 6 digits; 统计用区划代码,
12 digits), 统一社会信用代码 (GB 32100-2015). The ledger's own vocabularies (employment status,
key groups, registration kinds and endings, job kinds) have no national table the province
publishes: the codes here are the exchange's, listed in docs/EXCHANGE.md for the province to map,
and replaced by the specification's table when it comes (one dict each).
"""

# GB/T 2261.1-2003: 0 未知的性别, 1 男性, 2 女性, 9 未说明的性别.
GENDER = {"male": "1", "female": "2"}
GENDER_UNKNOWN = "0"

# GB/T 4658-2006: 10 研究生教育, 20 大学本科教育, 30 大学专科教育, 40 中等职业教育, 60 普通高级中学教育,
# 70 初级中学教育, 80 小学教育, 90 其他. Our "senior_high" is 高中 / 中专 / 技校 together: sent as 60
# (the larger group in the ledger); "none" on a résumé is no schooling (90 其他), on a job 不限 (sent empty).
EDUCATION = {
    "postgraduate": "10",
    "bachelor": "20",
    "associate": "30",
    "senior_high": "60",
    "junior_high": "70",
    "primary": "80",
    "none": "90",
}

# 证件类型: 01 居民身份证 (the only document the ledger holds).
ID_TYPE_RESIDENT_CARD = "01"

# 就业失业状态 (the exchange's; GB/T 2261.4's 从业状况 where it fits: 31 学生, 80 退(离)休人员).
EMPLOYMENT_STATUS = {
    "employed": "11",  # 单位就业 / 就业
    "flexible": "13",  # 灵活就业
    "unemployed_registered": "21",  # 登记失业
    "unemployed": "22",  # 未就业 (未登记失业)
    "student": "31",  # 在校学生
    "retired": "80",  # 退休
    "not_in_labour_force": "90",  # 其他非劳动力
}

# 状态变更来源 (who reported the change).
STATUS_SOURCE = {
    "self": "1",  # 本人申报
    "visit": "2",  # 入户走访
    "hire": "3",  # 平台招聘录用
    "staff": "4",  # 经办人员录入
    "province": "5",  # 省平台下发
    "registration": "6",  # 就业 / 失业登记生效或终止
    "rule": "7",  # 系统按规则认定 (长期失业)
}

# 就业援助对象 / 重点群体类别 (the exchange's; the province's own category table is not public).
KEY_GROUP = {
    "hard_to_employ": "01",  # 就业困难人员
    "registered_unemployed": "02",  # 登记失业人员
    "college_graduate": "03",  # 高校毕业生
    "migrant_worker": "04",  # 农民工
    "veteran": "05",  # 退役军人
    "retired_fisher": "06",  # 长江禁捕退捕渔民
    "flexible_worker": "07",  # 灵活就业人员
    "disabled": "08",  # 残疾人
    "poverty_alleviated": "09",  # 脱贫劳动力
    "poverty_monitoring": "10",  # 防止返贫监测对象
    "subsistence_allowance": "11",  # 低保家庭成员
    "returning_migrant": "12",  # 返乡入乡农民工
    "long_term_unemployed": "13",  # 长期失业人员
}

# The groups the province's key-group lists carry (returning graduates, migrant workers and those
# back home, veterans, fishermen leaving the Yangtze ban), by the list's code: the exchange's own
# KEY_GROUP codes, until the specification names its table (docs/EXCHANGE.md).
LIST_GROUPS = ("college_graduate", "migrant_worker", "returning_migrant", "veteran", "retired_fisher")
KEY_GROUP_FROM_LIST = {KEY_GROUP[group]: group for group in LIST_GROUPS}

# 就业形式 (就业登记).
EMPLOYMENT_KIND = {"employed": "1", "self_employed": "2", "flexible": "3"}  # 单位就业 / 个体经营 / 灵活就业

# 劳动合同类型.
CONTRACT_TYPE = {
    "fixed_term": "1",  # 固定期限
    "open_ended": "2",  # 无固定期限
    "task_based": "3",  # 以完成一定工作任务为期限
    "part_time": "4",  # 非全日制
    "labour_service": "5",  # 劳务协议
    "none": "9",  # 无合同
}

# 登记终止 / 注销原因.
ENDING_REASON = {
    "hired": "11",  # 平台招聘录用 (就业)
    "registered_employed": "12",  # 办理就业登记
    "status_changed": "13",  # 就业状态变更
    "no_follow_up": "21",  # 连续未联系
    "withdrawn": "22",  # 本人申请注销
    "staff_ended": "23",  # 经办注销
    "left_job": "31",  # 离职 (终止就业登记)
}

# GB/T 4754-2017 门类 of an employer (our industry list is the job categories).
INDUSTRY = {
    "tourism_hotel": "H",  # 住宿和餐饮业
    "catering": "H",
    "retail": "F",  # 批发和零售业
    "tea_processing": "C",  # 制造业 (精制茶加工)
    "manufacturing": "C",
    "logistics_delivery": "G",  # 交通运输、仓储和邮政业
    "construction": "E",  # 建筑业
    "housekeeping": "O",  # 居民服务、修理和其他服务业
    "security_cleaning": "L",  # 租赁和商务服务业 (安全保护服务)
    "care": "Q",  # 卫生和社会工作
    "education": "P",  # 教育
    "office": "L",
    "it": "I",  # 信息传输、软件和信息技术服务业
}

# 职业分类大典 (2022) 大类-中类 of a job (our categories are coarser: the nearest 中类).
OCCUPATION = {
    "tourism_hotel": "4-03",  # 住宿和餐饮服务人员
    "catering": "4-03",
    "retail": "4-01",  # 批发与零售服务人员
    "tea_processing": "6-02",  # 食品、饮料生产加工人员
    "manufacturing": "6",  # 生产制造及有关人员
    "logistics_delivery": "4-02",  # 交通运输、仓储和邮政业服务人员
    "construction": "6-29",  # 建筑施工人员
    "housekeeping": "4-10",  # 居民服务人员
    "security_cleaning": "4-07",  # 租赁和商务服务人员 (保安员)
    "care": "4-10",  # 居民服务人员 (养老护理员)
    "education": "2-08",  # 教学人员
    "office": "3-01",  # 行政办事及辅助人员
    "it": "2-02",  # 工程技术人员
    "other": "8",  # 不便分类的其他从业人员
}

# 用工形式 of a job.
JOB_KIND = {
    "regular": "1",  # 全日制
    "part_time": "2",  # 非全日制
    "gig": "3",  # 临时 / 零工
    "public_welfare": "4",  # 公益性岗位
    "internship": "5",  # 就业见习岗位
}

# 薪酬计发单位.
WAGE_UNIT = {"month": "1", "day": "2", "hour": "3"}

# 单位规模 (人数区间).
EMPLOYER_SIZE = {"micro": "4", "small": "3", "medium": "2", "large": "1"}  # 微型 / 小型 / 中型 / 大型
