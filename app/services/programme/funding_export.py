"""The funding calculator's result as the rows of one Excel sheet: circles, operators, districts, city."""

COLUMNS = (
    "层级",
    "名称",
    "编码",
    "所属区县",
    "人口",
    "人口来源",
    "服务费（元）",
    "监理费（元）",
    "上限（元）",
    "超上限",
)
SOURCE_TEXT = {
    "communities": "社区人口合计",
    "district_share": "区县剩余人口均分",
    "what_if": "测算假设",
    "种子数据": "种子数据",
}


def rows(result: dict) -> list[list]:
    """Return the sheet's rows of a calculate() result, circles first and the city last."""
    found = []
    for row in result["circles"]:
        found.append(
            [
                "就业圈",
                row["circle"]["name"],
                row["circle"]["code"],
                row["district"]["name"],
                row["population"],
                SOURCE_TEXT.get(row["population_source"], row["population_source"]),
                row["fee_yuan"],
                "",
                "",
                "",
            ]
        )
    for row in result["operators"]:
        name = row["operator"]["name"] if row["operator"] else "（无运营机构）"
        found.append(["运营机构", name, "、".join(row["circles"]), "", "", "", row["fee_yuan"], "", "", ""])
    for row in result["districts"]:
        found.append(
            [
                "区县",
                row["district"]["name"],
                row["district"]["code"],
                "",
                row["population"],
                SOURCE_TEXT.get(row["source"], row["source"] or ""),
                row["service_fee_yuan"],
                "",
                row["cap_yuan"],
                "是" if row["over_cap"] else "否",
            ]
        )
    city = result.get("city")
    if city:
        found.append(
            [
                "市",
                city["city"]["name"],
                city["city"]["code"],
                "",
                city["population"],
                SOURCE_TEXT.get(city["source"], city["source"] or ""),
                city["service_fee_yuan"],
                city["supervision_fee_yuan"],
                city["cap_yuan"],
                "是" if city["over_cap"] else "否",
            ]
        )
    return found


def place_text(result: dict) -> str:
    """Return the place the result covers, as the file's title block names it."""
    if result["city"]:
        return result["city"]["city"]["name"]
    return "、".join(d["district"]["name"] for d in result["districts"])


def filters_text(result: dict) -> str:
    """Say the year, months and rates of a result for the file's title block."""
    rates = result["rates"]
    text = (
        f"{result['year']}年{result['from_month']}–{result['to_month']}月；"
        f"服务费 {rates['service_yuan_per_10k']} 元/万人，"
        f"监理费 {rates['supervision_yuan_per_10k']} 元/万人，上限 {rates['cap_yuan_per_10k']} 元/万人"
    )
    return text + ("（含测算假设）" if result["what_if"] else "")
