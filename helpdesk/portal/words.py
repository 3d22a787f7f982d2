"""The portal's words in English and Chinese, picked by the browser's Accept-Language."""

from __future__ import annotations

LANGUAGES = ("en", "zh")

WORDS: dict[str, dict[str, str]] = {
    "en": {
        "lang": "en",
        "title": "Support",
        "nav_track": "Track a request",
        "nav_request": "New request",
        "nav_kb": "Help center",
        "track_title": "Track your request",
        "track_intro": "Enter your ticket number and the email address you wrote from. We will mail you a link to "
                       "its page: the link is only ever sent to the address on file.",
        "number": "Ticket number",
        "email": "Email address",
        "send_link": "Mail me the link",
        "track_sent": "If the number and the address match a request, a link to it is on its way to that address. "
                      "It can take a few minutes to arrive.",
        "request_title": "Open a new request",
        "name": "Your name",
        "subject": "Subject",
        "body": "How can we help?",
        "submit": "Send request",
        "request_sent": "Thank you. Your request is open, and a mail with a link to follow it is on its way to "
                        "your address.",
        "status": "Status",
        "opened": "Opened",
        "updated": "Last update",
        "progress": "Progress",
        "stages": "Stages",
        "conversation": "Conversation",
        "you": "You",
        "support": "Support",
        "files": "Attachments",
        "reply": "Add a reply",
        "send_reply": "Send reply",
        "reply_sent": "Your reply was added.",
        "closed_note": "This request is closed. To ask something else, open a new request.",
        "merged_note": "This request was merged into another one; you will hear from us there.",
        "rated": "Your rating",
        "st_new": "Received",
        "st_open": "Being worked on",
        "st_pending": "Waiting for your reply",
        "st_on_hold": "Waiting for a third party",
        "st_solved": "Solved",
        "st_closed": "Closed",
        "step_done": "done",
        "step_current": "now",
        "step_todo": "to come",
        "survey_title": "How did we do?",
        "survey_intro": "Tell us how we handled request",
        "good": "Good, I'm satisfied",
        "bad": "Bad, I'm not satisfied",
        "comment": "Comment (optional)",
        "nps": "How likely are you to recommend us to a friend? (0-10, optional)",
        "nps_none": "No answer",
        "send_rating": "Send rating",
        "survey_thanks": "Thank you for your rating. You can change it here until the request is closed.",
        "survey_closed": "This request can no longer be rated.",
        "err_required": "Please fill this in.",
        "err_email": "Please enter a valid email address.",
        "err_number": "Please enter the ticket number (digits only).",
        "err_too_long": "This is too long.",
        "err_rating": "Please choose good or bad.",
        "err_nps": "Choose a score from 0 to 10.",
        "not_found_title": "Page not found",
        "not_found": "This page does not exist, or its link has expired or was withdrawn. You can ask for a new "
                     "link on the tracking page.",
        "forbidden_title": "Please try again",
        "forbidden": "This form has expired. Go back, reload the page and send it again.",
        "limited_title": "Too many requests",
        "limited": "Too many requests in a short time. Please try again in a few minutes.",
        "too_large": "This form is too large.",
    },
    "zh": {
        "lang": "zh-CN",
        "title": "客户服务",
        "nav_track": "查询进度",
        "nav_request": "提交新工单",
        "nav_kb": "帮助中心",
        "track_title": "查询工单进度",
        "track_intro": "请输入工单号和您发信时使用的邮箱地址。我们会把查看链接发送到工单登记的邮箱，不会在页面上显示。",
        "number": "工单号",
        "email": "邮箱地址",
        "send_link": "发送链接到邮箱",
        "track_sent": "如果工单号和邮箱匹配，查看链接已发往该邮箱，可能需要几分钟才能收到。",
        "request_title": "提交新工单",
        "name": "您的姓名",
        "subject": "主题",
        "body": "请描述您的问题",
        "submit": "提交",
        "request_sent": "谢谢！工单已创建，跟进链接已发送到您的邮箱。",
        "status": "状态",
        "opened": "创建时间",
        "updated": "最近更新",
        "progress": "进度",
        "stages": "处理阶段",
        "conversation": "沟通记录",
        "you": "您",
        "support": "客服",
        "files": "附件",
        "reply": "补充回复",
        "send_reply": "发送回复",
        "reply_sent": "您的回复已添加。",
        "closed_note": "此工单已关闭。如有其他问题，请提交新工单。",
        "merged_note": "此工单已合并到另一个工单，我们会在那里回复您。",
        "rated": "您的评价",
        "st_new": "已受理",
        "st_open": "处理中",
        "st_pending": "等待您的回复",
        "st_on_hold": "等待第三方",
        "st_solved": "已解决",
        "st_closed": "已关闭",
        "step_done": "已完成",
        "step_current": "当前",
        "step_todo": "未开始",
        "survey_title": "服务评价",
        "survey_intro": "请评价工单",
        "good": "满意",
        "bad": "不满意",
        "comment": "意见（可选）",
        "nps": "您有多大可能向朋友推荐我们？（0-10，可选）",
        "nps_none": "不回答",
        "send_rating": "提交评价",
        "survey_thanks": "感谢您的评价。工单关闭前，您可以在此修改评价。",
        "survey_closed": "此工单已不能评价。",
        "err_required": "请填写此项。",
        "err_email": "请输入有效的邮箱地址。",
        "err_number": "请输入工单号（只含数字）。",
        "err_too_long": "内容太长。",
        "err_rating": "请选择满意或不满意。",
        "err_nps": "请选择 0 到 10 的分数。",
        "not_found_title": "页面不存在",
        "not_found": "页面不存在，或链接已过期、已被撤销。您可以在查询页面重新获取链接。",
        "forbidden_title": "请重试",
        "forbidden": "表单已过期，请返回并刷新页面后重新提交。",
        "limited_title": "请求过于频繁",
        "limited": "短时间内请求太多，请几分钟后再试。",
        "too_large": "表单内容太大。",
    },
}


def pick_language(header: str | None) -> str:
    """The best of our languages for an Accept-Language header (English when nothing fits)."""
    best, best_q = "en", -1.0
    for position, part in enumerate((header or "").split(",")[:20]):
        tag, _, params = part.strip().partition(";")
        tag = tag.strip().lower()
        q = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name.strip() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        lang = "zh" if tag.startswith("zh") else "en" if tag.startswith("en") else None
        if lang and q > best_q and q > 0:
            best, best_q = lang, q
    return best
