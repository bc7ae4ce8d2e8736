"""Slot extraction: tickets, ids, choices, scores, categories, topics, names, phones."""

from __future__ import annotations

import re

from models.address import CN_DIGITS, to_int

from .lexicon_slots import CATEGORY_CUES, MEETING_TYPES, TOPIC_CUES

N = rf"(?:[0-9]{{1,4}}|[{CN_DIGITS}]{{1,4}})"

# TS20261127-0012, also ts 20261127 0012, TS202611270012, 20261127-0012.
_TICKET = re.compile(
    r"(?<![A-Za-z0-9])(?:t\s*s\s*[-_:#]?\s*)?(?P<d>20[0-9]{2}\s*[01][0-9]\s*[0-3][0-9])"
    r"\s*[-_—–]?\s*(?P<n>[0-9](?:\s*[0-9]){0,3})(?![0-9])",
    re.IGNORECASE,
)
_TICKET_PREFIX = re.compile(r"t\s*s", re.IGNORECASE)

_NOT_AN_ID_AFTER = r"(?!\s*(?:号楼|栋|幢|单元|楼|点|月|日|天|分|星|颗|块|元|岁|个人|人|户|室|年|次|遍))"
_VOTE_ID = re.compile(
    rf"第\s*(?P<a>{N})\s*号?\s*(?:的)?\s*(?:表决|投票|议题)"
    rf"|(?P<b>{N})\s*号\s*(?:的)?\s*(?:表决|投票|议题)"
    rf"|(?:表决|投票|议题)\s*(?:编号|号码|号)?\s*(?:是|为)?\s*第?\s*(?P<c>{N})\s*号?{_NOT_AN_ID_AFTER}"
    rf"|编号\s*(?:是|为)?\s*(?P<d>{N})\s*(?:的)?\s*(?:表决|投票)"
)
_MEETING_WORD = r"(?:会议|会|恳谈会|协调会|听证会|评议会|议事会|现场办公会|活动)"
_MEETING_ID = re.compile(
    rf"第\s*(?P<a>{N})\s*号?\s*(?:的)?\s*{_MEETING_WORD}"
    rf"|(?P<b>{N})\s*号\s*(?:的)?\s*{_MEETING_WORD}"
    rf"|(?:会议|报名|签到)\s*(?:编号|号码|号)?\s*(?:是|为)?\s*第?\s*(?P<c>{N})\s*号?{_NOT_AN_ID_AFTER}"
    rf"|编号\s*(?:是|为)?\s*(?P<d>{N})\s*(?:的)?\s*{_MEETING_WORD}"
)

# Order matters: negated and double-negated forms before the plain words.
_CHOICE_RULES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"不反对|没有?反对|不会反对|没意见|没有意见|无意见|没啥意见|没什么意见"), "同意"),
    (re.compile(r"不同意|不赞成|不赞同|不支持|不答应|不认可|不拥护|反对|否决|投反对|唱反调"), "反对"),
    (re.compile(r"弃权|不投了|不想投(?!诉|资)|不投票|不参与表决"), "弃权"),
    (re.compile(r"同意|赞成|赞同|支持|认可|拥护|答应|举双手|投赞成|通过吧|点赞|双手赞成|没问题"), "同意"),
)
# Weak words count as a ballot only where a vote is clearly meant: 随便 alone is no abstention.
_WEAK_CHOICE = ((re.compile(r"^(?:可以|行|好的?|好啊|ok|OK|yes|要得|中|成)$"), "同意"),)
_WEAK_ABSTAIN = re.compile(r"不表态|中立|无所谓|随便|都行|都可以|两可")
_BALLOT_WORDS = re.compile(r"投票|表决|公约|议题|票")  # not 投 alone: 投诉 is no vote
_OPTION = re.compile(
    r"(?:选|投|选择|投给|回复)\s*(?:第\s*)?(?P<n>[1-9一二三四五六七八九])\s*(?:号|个|项)?(?:选项)?(?![0-9号楼])"
)
OPTION_CHOICES = {1: "同意", 2: "反对", 3: "弃权"}

_SCORE_NUMBER = re.compile(rf"(?P<n>{N})\s*(?:分|星|颗星|颗|个星|颗心)(?!钟)")
_SCORE_RULES: tuple[tuple[re.Pattern[str], int], ...] = (
    (re.compile(r"(?:很|非常|特别|十分|太|超|极其|相当)不满意|太差|很差|差评|极差|一星|糟糕透|非常不好|气死"), 1),
    (
        re.compile(
            r"不满意(?!率|度)|不太满意|不怎么满意|不大满意|不好(?!意思)|较差|比较差|差劲|不行|不怎么样|没解决好"
        ),
        2,
    ),
    (
        re.compile(
            r"(?:很|非常|特别|十分|太|超|相当|挺)满意了?啊?$|非常满意|很满意|特别满意|十分满意|超满意|"
            r"好评|满分|太好了|非常好|很好|特别好|十分感谢|非常感谢|五星"
        ),
        5,
    ),
    (re.compile(r"一般般?|还行|还可以|凑合|马马虎虎|过得去|还凑合|中等"), 3),
    (re.compile(r"满意(?!率|度)|不错|挺好|还好|比较好|蛮好|可以了|挺快"), 4),
)

_NAME_END = r"(?=$|[\s,，。、;；]|住|家|手机|电话|尾号|后四位|后4位|号码|[0-9]|的|在|绑定)"
# Explicit cues first: 我是 often introduces something other than a name (我是新搬来的).
_NAME_CUES = (
    re.compile(
        r"(?:我叫|我的名字是|名字是|名字叫|姓名是?|姓名为|户主是?|(?:^|(?<=[\s,，0-9室号]))叫)[:： ]?"
        rf"(?P<name>[\u4e00-\u9fff·]{{2,4}}?){_NAME_END}"
    ),
    # 我是3栋2单元302的李强: the address is blanked out before this runs, leaving 我是   的李强.
    re.compile(rf"我是[:：\s]*(?:的\s*)?(?P<name>[\u4e00-\u9fff·]{{2,4}}?){_NAME_END}"),
)
# Particles that glue a name to what came before (302的李强, 名字叫李强): never part of a name.
_NAME_LEAD = re.compile(r"^(?:的|是|叫|名叫|我叫|我是|姓名|名字|本人|户主|业主|租户|[:：\s])+")
_NOT_NAMES = frozenset({"居民", "业主", "租户", "住户", "户主", "楼道长", "网格员", "老人", "本人", "新来的"})
# Common family names (single and double): a name offered without any binding words must
# start with one before a bare 我叫… is taken for binding.
_SURNAMES_2 = frozenset("欧阳 司马 诸葛 上官 东方 皇甫 尉迟 公孙 慕容 长孙 夏侯 令狐 端木 司徒 宇文 独孤".split())
_SURNAMES_1 = frozenset(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
    "姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
    "常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季"
    "裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳穆农司卓古吉缪简车项连芦麦褚娄窦"
    "戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟应臧闵苟邬边卞姬师仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池查麻"
    "苑迟邝官封谈匡鞠惠荆乐冀郁胥南班储原栗燕楚鄢劳谌奚皮粟冼蔺满闻位厉伊仝区郜海阚花权强帅屠豆朴盖练"
    "廉禹井祖漆巴丰支卿国狄平计索宣晋相初云容敬扈晁芮普阙浦戈伏鹿薄邸雍辜羊阿乌母裘亓修邰赫杭况宿鲜"
    "印逯隆茹诸战慕危玉银亢嵇公哈湛宾戎勾茅利於呼居揭干但尉冶斯元束檀衣信展阴昝智幸奉植衡富尧闭"
)

_PHONE = re.compile(
    rf"(?:尾号|后四位|后4位|末四位|手机号?|电话号?码?|号码)\s*(?:是|为|:)?\s*(?:[0-9]{{3,7}}\*+)?(?P<p>[0-9]{{4}}|[{CN_DIGITS}]{{4}})(?![0-9])"
)
_BARE_FOUR = re.compile(r"(?<![0-9-])(?P<p>[0-9]{4})(?![0-9])")
# A ballot for a vote's own option: 选方案A, 投给方案二, 我选B.
_OPTION_TEXT = re.compile(
    r"(?:选|投|选择|投给|支持|赞成|同意)(?:的是|是)?\s*"
    r"(?P<t>(?:方案|选项)\s*[A-Za-z0-9一二三四五六七八九十甲乙丙丁]|[A-Za-z](?=$|[\s,，。.!！吧啊呀了]))"
)


def _as_int(token: str | None) -> int | None:
    if not token:
        return None
    try:
        return to_int(token.replace(" ", ""))
    except ValueError:
        return None


def find_tickets(text: str) -> list[tuple[str, int, int]]:
    """All ticket numbers in the text, canonical (TS20261127-0012), with spans."""
    found = []
    for match in _TICKET.finditer(text):
        digits = re.sub(r"\s", "", match["d"])
        sequence = re.sub(r"\s", "", match["n"])
        has_prefix = _TICKET_PREFIX.match(match[0]) is not None
        if not has_prefix and "-" not in match[0] and len(sequence) < 4:
            continue
        found.append((f"TS{digits}-{int(sequence):04d}", match.start(), match.end()))
    return found


def _first_group(match: re.Match[str]) -> int | None:
    for key in ("a", "b", "c", "d"):
        value = _as_int(match.group(key))
        if value is not None:
            return value
    return None


def find_vote_id(text: str) -> int | None:
    """12 from 表决12 / 第12号表决 / 十二号投票."""
    match = _VOTE_ID.search(text)
    return _first_group(match) if match else None


def find_meeting_id(text: str) -> int | None:
    """5 from 报名5 / 第5号会议 / 5号会."""
    match = _MEETING_ID.search(text)
    return _first_group(match) if match else None


def find_choice(text: str, vote_context: bool, flat: str | None = None) -> str | None:
    """同意 / 反对 / 弃权 from free text (with spelled-out negations), or None."""
    flat = text if flat is None else flat
    for pattern, choice in _CHOICE_RULES:
        if pattern.search(text):
            return choice
    if vote_context:
        if _WEAK_ABSTAIN.search(text) and _BALLOT_WORDS.search(text):
            return "弃权"
        option = find_option(flat)
        if option in OPTION_CHOICES:
            return OPTION_CHOICES[option]
        tail = re.sub(r"^.*?(?:表决|投票|公约)", "", flat)
        for pattern, choice in _WEAK_CHOICE:
            if pattern.match(tail):
                return choice
    return None


def find_option_text(flat: str) -> str | None:
    """The option label in 我选方案A / 投给B (a vote with its own options)."""
    match = _OPTION_TEXT.search(flat)
    if not match:
        return None
    label = re.sub(r"\s", "", match["t"])
    return label.upper() if len(label) == 1 else label


def find_option(flat: str) -> int | None:
    """The option number in 选2 / 投第一个."""
    match = _OPTION.search(flat)
    return _as_int(match["n"]) if match else None


def choice_from_token(token: str) -> tuple[str | None, int | None]:
    """A canonical ballot argument: 同意/反对/弃权 or an option number."""
    token = token.strip()
    if token.isdigit() or all(ch in CN_DIGITS for ch in token):
        number = _as_int(token)
        if number is None:
            return None, None
        return OPTION_CHOICES.get(number), number
    for pattern, choice in _CHOICE_RULES:
        if pattern.fullmatch(token):
            return choice, None
    if _WEAK_ABSTAIN.fullmatch(token):
        return "弃权", None  # after 投票 12 the vote context is explicit
    return None, None


def find_score(flat: str) -> int | None:
    """A 1–5 rating from 5分 / 五星 / 很满意 / 一般 / 不满意 …"""
    match = _SCORE_NUMBER.search(flat)
    if match:
        value = _as_int(match["n"])
        if value is not None and 1 <= value <= 5:
            return value
        if value == 0:
            return 1
    for pattern, score in _SCORE_RULES:
        if pattern.search(flat):
            return score
    return None


def infer_category(flat: str) -> tuple[str, float]:
    """The request category with the most evidence, and that evidence's weight."""
    best, best_score = "other", 0.0
    for category, cues in CATEGORY_CUES.items():
        score = sum(weight for pattern, weight in cues if pattern.search(flat))
        if score > best_score:
            best, best_score = category, score
    return best, best_score


def find_topic(flat: str) -> str | None:
    """A bulletin topic from 停水 / 活动 / 政策 …"""
    best, best_score = None, 0.0
    for topic, cues in TOPIC_CUES.items():
        score = sum(weight for pattern, weight in cues if pattern.search(flat))
        if score > best_score:
            best, best_score = topic, score
    return best


def find_meeting_type(flat: str) -> str | None:
    """恳谈会 / 协调会 / … as named in PRODUCT §6."""
    for pattern, name in MEETING_TYPES:
        if pattern.search(flat):
            return name
    return None


def looks_like_name(name: str) -> bool:
    """2–4 Chinese characters starting with a common family name (王芳, 欧阳娜娜)."""
    if not 2 <= len(name) <= 4 or name in _NOT_NAMES:
        return False
    return name[:2] in _SURNAMES_2 or (name[0] in _SURNAMES_1 and len(name) <= 3)


def clean_name(name: str | None) -> str | None:
    """A name without the particles that led into it (的李强 → 李强); None if nothing is left."""
    if not name:
        return None
    stripped = _NAME_LEAD.sub("", name.strip())
    if len(stripped) < 2:   # 的王 / 是李: too little left to be a name; keep what was written
        stripped = name.strip()
    return stripped or None


def find_name(text: str) -> str | None:
    """The resident's name after 我叫 / 姓名 / 我是."""
    for cue in _NAME_CUES:
        for match in cue.finditer(text):
            name = match["name"]
            if name not in _NOT_NAMES and not any(ch in name for ch in "的住在号楼单元搬来"):
                return name
    return None


def find_phone_last4(text: str, allow_bare: bool = False) -> str | None:
    """Last four digits of the phone (尾号5678); a lone 4-digit number if allowed."""
    match = _PHONE.search(text)
    if not match and allow_bare:
        match = _BARE_FOUR.search(text)
    if not match:
        return None
    digits = match["p"]
    if not digits.isdigit():
        digits = "".join(str(_as_int(ch)) for ch in digits)
    return digits if len(digits) == 4 and digits.isdigit() else None


_ASSIGNEE = re.compile(r"(?:转给|转交给?|派给|交给|分给|指派给?|转办给?)\s*(?P<who>[\u4e00-\u9fffA-Za-z0-9·]{1,8})")


def find_assignee(text: str) -> str | None:
    """The person a ticket is handed to: 转给李师傅 / 派给王网格员."""
    match = _ASSIGNEE.search(text)
    if not match:
        return None
    who = re.sub(r"(?:处理|去办|办理|负责|跟进|来修|去修|一下|吧|了)+$", "", match["who"])
    return who or None
