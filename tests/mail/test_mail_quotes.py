from mail_raw import simple

from helpdesk.mail import collapse_quotes, parse_message


def test_gmail_attribution_wrapped_over_two_lines():
    text = (
        "Thanks, that fixed it.\n\n"
        "On Mon, Jan 5, 2026 at 10:00 AM Support Team <\nsupport@acme.test> wrote:\n\n"
        "> Please restart the printer.\n> Regards\n"
    )
    assert collapse_quotes(text) == "Thanks, that fixed it."


def test_chinese_attribution():
    text = "好的，收到。\n\n在 2026年1月5日 10:00，张三 <z@x.cn> 写道：\n> 你好\n> 请重启"
    assert collapse_quotes(text) == "好的，收到。"
    gmail_zh = "可以\n\nSupport <s@acme.test> 于2026年1月5日周一 10:00写道：\n\n> 请确认"
    assert collapse_quotes(gmail_zh) == "可以"


def test_outlook_chinese_header_block():
    text = (
        "已经重启了，还是不行。\n\n________________________________\n"
        "发件人: 支持 <support@acme.test>\n发送时间: 2026年1月5日 10:00\n"
        "收件人: 张三\n主题: 回复: [#12] 打印机\n\n请重启打印机。"
    )
    assert collapse_quotes(text) == "已经重启了，还是不行。"


def test_foxmail_original_mail_separator():
    text = (
        "附件是发票。\n\n------------------&nbsp;原始邮件&nbsp;------------------\n"
        .replace("&nbsp;", " ")
        + '发件人: "支持"<support@acme.test>;\n发送时间: 2026年1月5日(星期一) 上午10:00\n'
        "收件人: \"张三\"<z@x.cn>;\n主题: 发票\n\n请提供发票"
    )
    assert collapse_quotes(text) == "附件是发票。"


def test_english_original_message_separator():
    text = "See below.\n\n-----Original Message-----\nFrom: Bob\nSent: Monday\nTo: Us\nSubject: x\n\nold text"
    assert collapse_quotes(text) == "See below."


def test_outlook_english_header_block_without_separator():
    text = (
        "Done.\n\nFrom: Support <support@acme.test>\nSent: Monday, January 5, 2026 10:00 AM\n"
        "To: Bob\nSubject: RE: x\n\nold"
    )
    assert collapse_quotes(text) == "Done."


def test_inline_replies_are_kept_and_only_the_trailing_quote_goes():
    text = "> Is it on?\nYes.\n> Model?\nHP 4000\n\nBob wrote:\n> tail one\n> tail two\n"
    assert collapse_quotes(text) == "> Is it on?\nYes.\n> Model?\nHP 4000"


def test_ordinary_text_is_left_alone():
    text = "From: the manual, step 3.\nMy boss wrote: restart it.\nOn the desk."
    assert collapse_quotes(text) == text


def test_only_history_returns_the_whole_text():
    assert collapse_quotes("> just a quote\n> nothing new") == "> just a quote\n> nothing new"


def test_parsed_mail_keeps_full_text_and_collapsed_view():
    parsed = parse_message(simple(b"New text\r\n\r\nOn Mon, Jan 5, 2026, Bob <b@x.test> wrote:\r\n> old"))
    assert parsed.visible_text == "New text"
    assert parsed.body_text.endswith("> old")


def test_html_replies_from_gmail_and_outlook_collapse_too():
    gmail = (
        '<div dir="ltr">Works now, thanks!</div><br><div class="gmail_quote"><div class="gmail_attr">'
        'On Mon, Jan 5, 2026 at 10:00 AM Support &lt;<a href="mailto:s@acme.test">s@acme.test</a>&gt; wrote:<br>'
        '</div><blockquote class="gmail_quote">Please restart it.</blockquote></div>'
    )
    outlook = (
        "<div><p>还是不行。</p></div><div style='border-top:solid #E1E1E1 1.0pt'><p><b>发件人:</b> 支持 "
        "&lt;s@acme.test&gt;<br><b>发送时间:</b> 2026年1月5日 10:00<br><b>收件人:</b> 张三<br>"
        "<b>主题:</b> 打印机</p></div><p>请重启。</p>"
    )
    for html, visible in ((gmail, "Works now, thanks!"), (outlook, "还是不行。")):
        parsed = parse_message(simple(html.encode()).replace(b"text/plain", b"text/html"))
        assert parsed.html
        assert parsed.visible_text == visible
