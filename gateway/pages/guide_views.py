"""What the 办事指南 page (/guide) shows, shaped from the year's notice as the dossier service answers it
(``list_notices``: ``{review_year, notice, policy, ...}``) and from the gateway's GUIDE settings. No I/O.

Every figure on the page — materials, fees, deadlines, hours, publicity days, the vote's share — comes
from the notice's policy (shared/contracts/year_policy.py); with no notice the page says so and its
flow and answers speak without figures rather than guess them.
"""
from datetime import datetime, timezone
from decimal import Decimal

from shared.clock import beijing_text, utc_now
from shared.contracts.notice_schemas import DEADLINES
from shared.contracts.year_policy import REQUIREMENT_KINDS, certificate_fee_fen, requirements_for, review_fee_fen
from shared.titles import LEVEL_ORDER, LEVELS, MATERIAL_CATEGORIES, SERIES

from .views import number_text, open_notices, yuan_text

# The contact lines of gateway/config.yaml GUIDE, as the page and every footer name them.
DESK_FIELDS = {"phone": "PHONE", "address": "ADDRESS", "hours": "HOURS"}
# The notice's dates in the order an applicant meets them.
DEADLINE_ORDER = ("unit", "district", "city", "resubmission", "payment")
NOTICE_STATES = {"open": "正在受理", "upcoming": "尚未开始受理", "closed": "申报已截止"}


def service_desk(config):
    """``{phone, address, hours}`` from the gateway's ``GUIDE`` settings (each may be overridden by its
    environment variable, gateway/config.yaml); text even when YAML read a bare number."""
    section = (config or {}).get("GUIDE") or {}
    return {name: str(section.get(key) or "").strip() for name, key in DESK_FIELDS.items()}


def continuing_education(policy):
    ce = (policy or {}).get("continuing_education") or {}
    if not ce:
        return {}
    return {"years": ce.get("years"), "hours_per_year": number_text(ce.get("hours_per_year", 0)),
            "professional_share": ce.get("professional_share")}


def megabytes(size):
    size = Decimal(int(size)) / (1024 * 1024)
    return f"{size:.0f} MB" if size == size.to_integral_value() else f"{size:.1f} MB"


def chosen_notice(notices, now=None):
    """``(notice, state)``: the notice open now (the newest year), else the next one to open, else the
    newest that has closed; ``(None, None)`` when none is published."""
    now = now or utc_now()
    current = open_notices(notices, now)
    if current:
        return current[0], "open"
    dated = [(notice, _window(notice)) for notice in notices]
    dated = [(notice, window) for notice, window in dated if window]
    upcoming = sorted((item for item in dated if item[1][0] > now), key=lambda item: item[1][0])
    if upcoming:
        return upcoming[0][0], "upcoming"
    closed = sorted(dated, key=lambda item: item[0]["review_year"], reverse=True)
    return (closed[0][0], "closed") if closed else (None, None)


def _window(notice):
    window = (notice.get("notice") or {}).get("window") or {}
    try:
        return _moment(window["start"]), _moment(window["end"])
    except (KeyError, TypeError, ValueError):
        return None


def _moment(value):
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def open_pairs(document):
    """``[(series, level)]`` the notice opens, series in its order, levels from 初级 up."""
    return [(series, level) for series, levels in (document.get("open_series") or {}).items()
            for level in sorted(levels, key=LEVEL_ORDER.index)]


def materials(policy, pairs):
    """The checklist over every open series and level: each requirement item with how it is counted,
    its material categories (what to choose when uploading) and where it applies when not everywhere."""
    rows = []
    for item in policy.get("required_materials") or []:
        applies = [pair for pair in pairs if item in requirements_for(policy, *pair)]
        if not applies:
            continue
        rows.append({
            "key": item["key"], "label": item["label"], "count": item["count"],
            "per": REQUIREMENT_KINDS.get(item["per"], item["per"]),
            "categories": [MATERIAL_CATEGORIES.get(code, code) for code in item["categories"]],
            "applies": "全部开放的系列和级别" if len(applies) == len(pairs) else _pairs_text(applies),
        })
    return rows


def _pairs_text(pairs):
    by_series = {}
    for series, level in pairs:
        by_series.setdefault(series, []).append(LEVELS.get(level, level))
    return ";".join(f"{SERIES.get(series, series)}系列{'、'.join(levels)}" for series, levels in by_series.items())


def exceptional(policy):
    """破格: how many letters of which categories (from the policy)."""
    found = policy.get("exceptional") or {}
    return {"letters": found.get("recommendation_letters", 0),
            "categories": [MATERIAL_CATEGORIES.get(code, code) for code in found.get("letter_categories") or []]}


def fees(policy, pairs):
    """The review fee of each open level (元) and the certificate fee; 0 is shown as 不收取."""
    levels = sorted({level for _, level in pairs}, key=LEVEL_ORDER.index)
    review = [{"level": level, "label": LEVELS.get(level, level), "fen": review_fee_fen(policy, level),
               "yuan": yuan_text(review_fee_fen(policy, level))} for level in levels]
    certificate = certificate_fee_fen(policy)
    return {"review": review, "certificate_fen": certificate, "certificate_yuan": yuan_text(certificate)}


def deadlines(document):
    """``[{key, label, at}]``: the application window, then each per-level and payment deadline (None
    where the notice sets none)."""
    window = document.get("window") or {}
    rows = [{"key": "window_start", "label": "申报开始时间", "at": window.get("start")},
            {"key": "window_end", "label": "申报截止时间", "at": window.get("end")}]
    set_ = document.get("deadlines") or {}
    rows += [{"key": name, "label": DEADLINES[name], "at": set_.get(name)} for name in DEADLINE_ORDER]
    return rows


def resubmission_deadline(document):
    """The last moment a returned dossier may be resubmitted: the later of the window's end and the
    notice's resubmission deadline (as services/dossier/policy.py Notice.window_for reads them)."""
    moments = []
    for value in ((document.get("window") or {}).get("end"), (document.get("deadlines") or {}).get("resubmission")):
        if not value:
            continue
        try:
            moments.append(_moment(value))
        except (TypeError, ValueError):
            continue
    return max(moments) if moments else None


def guide_view(notices, desk, max_upload_bytes, now=None):
    """Everything guide.html shows. *notices* is ``list_notices``' answer, or None when the dossier
    service could not be asked (the page then says so, and still shows the flow and the answers)."""
    notice, state = chosen_notice(notices or [], now) if notices is not None else (None, None)
    policy = notice["policy"] if notice else None
    view = {"notice": None, "state": state, "state_label": NOTICE_STATES.get(state, ""),
            "unavailable": notices is None, "desk": desk,
            "flow": flow(policy), "faq": faq(policy, notice, desk, max_upload_bytes)}
    if notice:
        document = notice["notice"]
        pairs = open_pairs(document)
        view["notice"] = {
            "review_year": notice["review_year"], "version": notice.get("version"), "title": document.get("title", ""),
            "open_series": [{"series": SERIES.get(series, series),
                             "levels": [LEVELS.get(level, level) for level in sorted(levels, key=LEVEL_ORDER.index)]}
                            for series, levels in (document.get("open_series") or {}).items()],
            "materials": materials(policy, pairs), "exceptional": exceptional(policy),
            "fees": fees(policy, pairs), "deadlines": deadlines(document),
            "continuing_education": continuing_education(policy),
            "publicity": policy.get("publicity") or {},
        }
    return view


def flow(policy):
    """The steps from registering to the certificate, as this platform runs them (docs/domain-rules.md R5)."""
    publicity = (policy or {}).get("publicity") or {}
    vote = (policy or {}).get("vote") or {}
    certificate = certificate_fee_fen(policy) if policy else None
    unit_days = f"不少于 {publicity['unit_working_days']} 个工作日" if "unit_working_days" in publicity else "按年度通知规定的工作日数"
    city_days = f"不少于 {publicity['city_working_days']} 个工作日" if "city_working_days" in publicity else "按年度通知规定的工作日数"
    share = f"不少于出席专家的 {vote['pass_share']}" if "pass_share" in vote else "达到规定比例"
    if certificate is None:
        certificate_text = "证书工本费按年度通知执行,收取时发证前须先缴纳。"
    elif certificate:
        certificate_text = f"发证前须缴纳证书工本费 {yuan_text(certificate)} 元(单独生成订单)。"
    else:
        certificate_text = "本年度不收取证书工本费。"
    return [
        ("注册实名", "用本人身份证号和手机号注册账号并登录,再到「工作单位」申请加入所在单位,由单位管理员确认。"),
        ("填写申报材料", "在「我的申报」新建申报,选择评审年度、系列、专业和级别,逐项填写基本信息、学历学位、"
                         "工作经历、继续教育、业绩成果、年度考核、评审表和承诺书,可随时保存。"),
        ("上传证明材料", "按下方材料清单上传 PDF 证明材料,每份选定材料类别;编辑页列出每类应交份数和已上传情况。"),
        ("提交", "提交前可做资格自查。材料不全或条件不符时,系统一次列出全部问题及对应栏目(一次性告知);"
                 "单位审核前可自行撤回修改。"),
        ("单位审核推荐与公示", f"单位审核通过后在本单位内公示{unit_days},公示期满后报送主管部门。"),
        ("主管部门审核", "主管部门(区县人社局)审核,可通过、退回修改或不予通过。"),
        ("市人社局审核", "市人社局审核受理;受理后生成评审费订单。"),
        ("缴费", "在申报详情页在线缴纳评审费,缴费成功后材料送评审委员会。"),
        ("评委会评审", f"评审委员会专家无记名表决,同意票{share}为通过。"),
        ("结果公示与异议", f"评审通过的名单在「公示」栏目公示{city_days},公示期内任何人可提出异议。"),
        ("电子证书", f"公示期满无异议即发放电子职称证书,可在线下载并查验真伪。{certificate_text}"),
    ]


def faq(policy, notice, desk, max_upload_bytes):
    """The questions applicants ask, answered as this platform behaves; figures from the year's policy."""
    ce = continuing_education(policy)
    extra = (policy or {}).get("assessment_extra_years") or {}
    letters = exceptional(policy) if policy else None
    phone = f"拨打咨询电话 {desk['phone']}" if desk.get("phone") else "联系市人社局"
    if ce:
        through = "申报当年" if policy.get("records_through_application_year") else "申报上一年度"
        ce_text = (f"近 {ce.get('years')} 年(截至{through})每年不少于 {ce.get('hours_per_year')} 学时,其中专业科目"
                   f"不少于 {ce.get('professional_share')},其余为公需科目。编辑页按年度显示已登记学时和差额。")
    else:
        ce_text = "每年应修学时和计算年数以当年度评审通知为准;编辑页按年度显示已登记学时和差额。"
    if extra:
        assessment_text = (f"计算年限内每年一份年度考核结果,并上传对应年度的年度考核登记表。每有一年“基本合格”,"
                           f"任职年限要求增加 {extra.get('basically_competent', 0)} 年;每有一年“不合格”增加 "
                           f"{extra.get('incompetent', 0)} 年。")
    else:
        assessment_text = "计算年限内每年一份年度考核结果,并上传对应年度的年度考核登记表;基本合格、不合格会增加任职年限要求。"
    if letters and letters["letters"]:
        exceptional_text = (f"在基本信息中勾选“破格申报”,并上传 {letters['letters']} 份"
                            f"{'或'.join(letters['categories']) or '推荐信'}(上传时选择该材料类别)。")
    else:
        exceptional_text = "在基本信息中勾选“破格申报”,并按当年度通知上传推荐信。"
    last = resubmission_deadline((notice or {}).get("notice") or {})
    resubmit = (f"本年度须在 {beijing_text(last)}(北京时间)前重新提交" if last
                else "须在当年度重新提交截止时间前重新提交")
    return [
        ("忘记密码怎么办?", "在登录页点击“忘记密码”,输入注册时的手机号获取短信验证码,再设置新密码。"
                            "验证码有效期较短,未收到时可稍候重新获取。"),
        ("申报被退回后如何修改?", "退回通知写明原因和需要修改的栏目,系统会在申报页标出这些栏目。修改后重新提交,"
                                 f"重新提交的申报从单位审核开始。{resubmit},逾期未提交视为放弃。"),
        ("单位还没审核,我发现填错了怎么办?", "单位审核前可在申报详情页“撤回”,申报恢复为草稿,修改后重新提交。"),
        ("破格申报需要什么?", exceptional_text + "是否符合破格条件由各级审核和评审委员会认定。"),
        ("继续教育学时有什么要求?", ce_text),
        ("年度考核有什么要求?", assessment_text),
        ("什么时候缴费?怎么缴?", "市人社局审核受理后,申报详情页会出现评审费订单,点击“在线缴费”完成支付并可下载缴费凭证。"
                                "送评前撤销申请的,已缴费用将退回。"),
        ("证明材料有什么格式要求?", f"只接受 PDF 文件,单个文件不超过 {megabytes(max_upload_bytes)};系统按文件内容识别,"
                                   "加密、带脚本或内嵌其他文件的 PDF 不能上传。请扫描原件或“打印为 PDF”后上传。"),
        ("对公示名单有异议怎么办?", "公示期内,任何人都可在「公示」栏目对名单中的人员提出异议,须留下联系方式并写明事实。"
                                   "异议处理完毕前,该人员的证书暂缓发放。"),
        ("如何查询审核进度?", "登录后进入「我的申报」,申报详情页显示当前所处环节、每一步的审核意见和时间;"
                             "退回、审核通过、缴费、评审结果等变化会发送站内消息和短信提醒。"),
        ("如何查验电子证书?", "在「证书查验」输入证书编号和验证码,或扫描证书上的二维码,即可查看证书是否有效或已撤销。"),
        ("还有其他问题?", f"请{phone}" + (f"({desk['hours']})" if desk.get("hours") else "") + "。"),
    ]
