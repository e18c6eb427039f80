"""Original party-building news prose for the portal replicas (written for this project, not copied).

An article is assembled from a lead naming who did what when, four body paragraphs chosen from
a pool by the article's index, one key sentence unique to the article (tests look for it in the
extracted text) and a closing line. Deterministic: the same inputs give the same text.
"""

from __future__ import annotations

from dataclasses import dataclass

# (title template, lead template); {unit} is the organisation, {md} the month and day (e.g. 4月26日).
EVENTS: list[tuple[str, str]] = [
    (
        "{unit}开展“学党纪、明规矩、强担当”主题党日活动",
        "{md}，{unit}组织全体党员开展“学党纪、明规矩、强担当”主题党日活动，"
        "通过重温入党誓词、集中学习条例原文、交流研讨等方式，引导党员干部把纪律规矩刻印在心。",
    ),
    (
        "{unit}召开党建工作领导小组会议 部署下阶段重点任务",
        "{md}，{unit}召开党建工作领导小组会议，听取各支部上半年工作情况汇报，"
        "分析存在的短板弱项，对下阶段党建重点任务作出安排部署。",
    ),
    (
        "{unit}党支部与结对社区开展联建共建活动",
        "{md}，{unit}党支部走进结对共建社区，与社区党委共同开展政策宣讲、志愿服务和困难群众走访活动，"
        "推动机关党建与基层治理同频共振。",
    ),
    (
        "{unit}举办青年理论学习小组专题读书会",
        "{md}，{unit}青年理论学习小组举办专题读书会，十余名青年干部围绕近期学习篇目畅谈体会，"
        "结合岗位实际谈认识、找差距、提措施。",
    ),
    (
        "{unit}深化“党建+业务”融合 打造过硬服务队伍",
        "近年来，{unit}坚持以党建引领业务发展，围绕中心工作谋划党建载体，"
        "{md}召开推进会，总结“党建+业务”融合工作经验，部署深化措施。",
    ),
    (
        "{unit}组织党员干部赴红色教育基地接受党性教育",
        "{md}，{unit}组织党员干部赴当地红色教育基地开展现场教学，"
        "在展陈实物和历史照片前回顾革命先辈的奋斗足迹，接受了一次深刻的党性洗礼。",
    ),
    (
        "{unit}开展党支部书记抓党建述职评议",
        "{md}，{unit}召开党支部书记抓基层党建工作述职评议会，各支部书记逐一登台述职，"
        "既讲成绩也谈问题，参会人员现场测评打分。",
    ),
    (
        "{unit}扎实推进模范机关创建工作",
        "{md}，{unit}召开模范机关创建推进会，对照创建标准逐项梳理完成情况，"
        "明确责任分工和时间节点，推动创建工作往深里走、往实里走。",
    ),
    (
        "{unit}以“三会一课”为抓手提升支部组织力",
        "今年以来，{unit}把规范“三会一课”作为提升支部组织力的基础工程，"
        "{md}组织开展支部工作交叉检查，查阅会议记录、学习笔记，发现问题即时反馈。",
    ),
    (
        "{unit}开展廉政警示教育 筑牢拒腐防变思想防线",
        "{md}，{unit}组织开展廉政警示教育，观看警示教育片、通报典型案例，"
        "以身边事警示身边人，推动党员干部知敬畏、存戒惧、守底线。",
    ),
    (
        "{unit}党员志愿服务队走进乡村开展科普宣传",
        "{md}，{unit}党员志愿服务队走进乡村，围绕防灾减灾、农业生产和安全常识开展科普宣传，"
        "发放资料、现场答疑，受到群众欢迎。",
    ),
    (
        "{unit}召开年度组织生活会和民主评议党员会议",
        "{md}，{unit}召开年度组织生活会，班子成员和党员逐一开展批评与自我批评，"
        "会后进行民主评议党员，形成问题清单和整改措施。",
    ),
]

BODY: list[str] = [
    "活动中，{unit}党组织负责同志围绕“如何把学习成效转化为推动工作的实际行动”讲授专题党课，"
    "结合单位近年来承担的重点任务，讲清楚党员干部应当担负的责任，要求大家在急难险重任务面前站得出来、顶得上去。",
    "与会党员结合自身岗位逐一发言，有的谈到在一线服务中如何更好地倾听群众呼声，有的谈到如何在业务攻关中发挥党员先锋作用，"
    "大家一致表示，要把学习体会落实到日常工作的每一个环节。",
    "为确保各项要求落到实处，{unit}建立了问题、任务、责任“三张清单”，实行月调度、季通报，"
    "对推进缓慢的事项由班子成员牵头督办，做到事事有回音、件件有着落。",
    "{unit}还把党建工作与业务工作同谋划、同部署、同检查、同考核，将支部建设情况纳入年度目标考核，"
    "引导各支部围绕中心任务设计活动载体，避免党建和业务“两张皮”。",
    "在学习形式上，{unit}坚持集中学与自主学相结合、线上学与线下学相结合，开设“每周一学”栏目，"
    "由支部委员轮流领学，党员学习参与率和笔记完成率明显提升。",
    "活动现场，党员们认真聆听讲解，不时驻足记录。大家表示，革命先辈坚定的理想信念和为民情怀令人动容，"
    "新时代的党员更要守初心、担使命，在本职岗位上作出新的贡献。",
    "会议指出，当前党建工作仍存在创新载体不多、基层支部工作不平衡等问题，"
    "要坚持问题导向，补短板、强弱项，推动支部标准化规范化建设提质增效。",
    "下一步，{unit}将继续深化党支部结对共建，推动资源共享、优势互补，"
    "在服务群众、服务基层中检验党建工作成效，努力把组织优势转化为发展优势。",
    "会上，纪检组织负责同志通报了近年来查处的违纪违法典型案例，剖析案发原因，"
    "提醒党员干部在日常工作中严守纪律规矩，管好身边人、身边事。",
    "志愿者们耐心细致地为群众讲解预警信息的获取渠道和应对措施，还就群众关心的农业生产问题进行了现场交流，"
    "活动共发放宣传资料三百余份。",
    "通过此次活动，党员干部进一步增强了政治意识和纪律意识，"
    "纷纷表示要以更加饱满的热情、更加务实的作风投入各项工作，以实干实绩践行初心使命。",
    "{unit}党组织负责同志在总结讲话中要求，各支部要把这次活动作为加强自身建设的契机，"
    "持续抓好学习教育，持续推进作风建设，持续提升服务能力。",
]

CLOSING = [
    "（供稿：{unit}办公室）",
    "（{unit}机关党委）",
    "（通讯员：{reporter}）",
]

REPORTERS = ["李明", "王芳", "张伟", "刘洋", "陈静", "杨帆", "赵磊", "黄蕾", "周涛", "吴敏", "徐丽", "孙浩"]


@dataclass(frozen=True)
class Prose:
    title: str
    paragraphs: list[str]
    key_sentence: str
    reporter: str


def article(index: int, unit: str, month: int, day: int, serial: int) -> Prose:
    """Article number ``index`` of a portal: ``serial`` makes its key sentence unique across all replicas."""
    title_t, lead_t = EVENTS[index % len(EVENTS)]
    md = f"{month}月{day}日"
    reporter = REPORTERS[(index + serial) % len(REPORTERS)]
    body = [BODY[(index * 3 + k) % len(BODY)].format(unit=unit) for k in range(4)]
    key = f"据统计，{unit}此次共梳理问题建议{serial + 17}条，已逐条建立台账、明确完成时限。"
    closing = CLOSING[index % len(CLOSING)].format(unit=unit, reporter=reporter)
    paragraphs = [lead_t.format(unit=unit, md=md), body[0], key, body[1], body[2], body[3], closing]
    return Prose(title_t.format(unit=unit), paragraphs, key, reporter)
