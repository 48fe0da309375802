"""The job vocabulary (kinds and categories), shared by seeker preferences and job posts."""

from enum import StrEnum


class JobKind(StrEnum):
    """How a job is held."""

    regular = "regular"  # 全职
    part_time = "part_time"  # 兼职
    gig = "gig"  # 零工
    public_welfare = "public_welfare"  # 公益性岗位
    internship = "internship"  # 就业见习


class JobCategory(StrEnum):
    """What a job is, in a short list that fits Huangshan's economy."""

    tourism_hotel = "tourism_hotel"  # 旅游酒店
    catering = "catering"  # 餐饮
    retail = "retail"  # 零售
    tea_processing = "tea_processing"  # 茶叶加工
    manufacturing = "manufacturing"  # 制造
    logistics_delivery = "logistics_delivery"  # 物流配送
    construction = "construction"  # 建筑
    housekeeping = "housekeeping"  # 家政
    security_cleaning = "security_cleaning"  # 保安保洁
    care = "care"  # 护理照护
    education = "education"  # 教育
    office = "office"  # 文员行政
    it = "it"  # 信息技术
    other = "other"  # 其他
