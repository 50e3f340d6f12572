"""Countries and regions offered in forms (ISO 3166 alpha-2), named in both languages."""

from .i18n import is_english

COUNTRIES = [
    ("CN", "中国", "China"),
    ("HK", "中国香港", "Hong Kong, China"),
    ("MO", "中国澳门", "Macao, China"),
    ("TW", "中国台湾", "Taiwan, China"),
    ("US", "美国", "United States"),
    ("GB", "英国", "United Kingdom"),
    ("DE", "德国", "Germany"),
    ("FR", "法国", "France"),
    ("JP", "日本", "Japan"),
    ("CA", "加拿大", "Canada"),
    ("AU", "澳大利亚", "Australia"),
    ("SG", "新加坡", "Singapore"),
    ("CH", "瑞士", "Switzerland"),
    ("NL", "荷兰", "Netherlands"),
    ("SE", "瑞典", "Sweden"),
    ("KR", "韩国", "South Korea"),
    ("IT", "意大利", "Italy"),
    ("ES", "西班牙", "Spain"),
    ("BE", "比利时", "Belgium"),
    ("AT", "奥地利", "Austria"),
    ("DK", "丹麦", "Denmark"),
    ("FI", "芬兰", "Finland"),
    ("NO", "挪威", "Norway"),
    ("IE", "爱尔兰", "Ireland"),
    ("IL", "以色列", "Israel"),
    ("RU", "俄罗斯", "Russia"),
    ("IN", "印度", "India"),
    ("NZ", "新西兰", "New Zealand"),
    ("BR", "巴西", "Brazil"),
    ("ZA", "南非", "South Africa"),
    ("ZZ", "其他国家或地区", "Other country or region"),
]
NAMES = {code: (zh, en) for code, zh, en in COUNTRIES}


def choices(locale: str) -> list[tuple[str, str]]:
    english = is_english(locale)
    return [(code, en if english else zh) for code, zh, en in COUNTRIES]


def name(code: str, locale: str) -> str:
    zh, en = NAMES.get(code, (code, code))
    return en if is_english(locale) else zh
