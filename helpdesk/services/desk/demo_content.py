"""What the demo desk says: its people and the words of its tickets, in English and Chinese.

Each language keeps to itself: a Chinese customer writes and is answered in
Chinese, an English one in English."""

from __future__ import annotations

ADMIN_EMAIL = "mei@demo.helpdesk"
# email, name, role, team
AGENTS = [(ADMIN_EMAIL, "Mei Chen", "admin", "support"), ("tom@demo.helpdesk", "Tom Baker", "agent", "support"),
          ("li@demo.helpdesk", "Li Wei", "agent", "repairs")]
TEAMS = ("support", "repairs")
REPAIR_TAGS = ("repair", "warranty", "printer")  # topics the repairs team takes
ORGS = [("Acme Corp", "vip"), ("Globex", None), ("星辰科技", "vip"), ("Initech", None), ("华联商贸", None)]
FIRST = ["Alice", "Bob", "Carol", "Dan", "Erin", "Frank", "Grace", "Heidi", "Ivan", "Judy", "Mallory", "Niaj",
         "Olivia", "Peggy", "Rupert", "Sybil", "Trent", "Victor", "Walter", "Yuki"]
CN_NAMES = ["张伟", "王芳", "李娜", "刘洋", "陈静", "杨磊", "赵敏", "黄丽", "周杰", "吴昊", "徐婷", "孙强",
            "马超", "朱琳", "胡军", "郭雪", "何平", "高峰", "林晓", "罗娟"]
CONTACTS = 40

# subject, first message, tag
TOPICS = {
    "en": [
        ("Printer on floor 3 jams every morning", "The printer jams on the first job of the day. Paper is the usual A4.", "printer"),
        ("Cannot log in to the portal", "I reset my password twice and still get 'invalid credentials'.", "login"),
        ("Invoice shows the wrong VAT number", "Our invoice INV-2291 has last year's VAT number on it.", "billing"),
        ("Refund for a double charge", "I was charged twice for the March subscription. Please refund one.", "refund"),
        ("Laptop battery swelling", "The battery of my laptop is swelling and the touchpad lifts up.", "repair"),
        ("VPN disconnects every 10 minutes", "Since the update the VPN drops every ten minutes on Wi-Fi.", "vpn"),
        ("Request a new monitor", "Could I get a second monitor for the design work?", "hardware"),
        ("Email bounces from a customer domain", "Mail to our customer at globex bounces with 550 errors.", "email"),
        ("Warranty repair for a phone", "Screen flickers after two months; the phone is under warranty.", "warranty"),
        ("Slow shared drive", "Opening files on the shared drive takes over a minute.", "network"),
    ],
    "zh": [
        ("打印机卡纸", "三楼的打印机每天早上第一份文件就卡纸，麻烦尽快处理。", "printer"),
        ("申请退款", "三月份的订阅被重复扣费了两次，请退还其中一笔。", "refund"),
        ("发票抬头错误", "我们收到的发票抬头写错了公司名称，需要重新开具。", "billing"),
        ("笔记本电脑无法开机", "电脑昨晚还正常，今天按电源键没有任何反应。", "repair"),
        ("无法登录系统", "重置密码后仍然提示用户名或密码错误。", "login"),
        ("手机屏幕保修", "手机买了两个月屏幕闪烁，还在保修期内，请问如何送修？", "warranty"),
        ("网络很慢", "办公室下午网络特别慢，视频会议经常卡顿。", "network"),
        ("账号被锁定", "输错几次密码后账号被锁定了，请帮忙解锁。", "login"),
    ],
}

# What is said at each turn of a ticket's story, per language.
WORDS = {
    "en": {
        "ack": ["Thanks for reporting this — I'm looking into it now.", "Thanks, I can reproduce it here; working on it.",
                "Got it. I'll get back to you today."],
        "ask": ["Could you send a photo or a screenshot?", "When did this start, and does it happen every time?",
                "Which office and which device is this on?"],
        "fixed": ["This is fixed on our side, please try again.", "Done: it should work normally now. Tell us if it comes back.",
                  "All sorted on our end. Thanks for your patience!"],
        "followup": ["Any update on this?", "It happened again this morning.", "Here is the screenshot you asked for.",
                     "It started on Monday and happens every time."],
        "hold": ["Escalated to the vendor; waiting for their answer.", "Waiting for the vendor to confirm a slot."],
        "note": ["Checked the logs; nothing unusual before 09:00.", "Same issue as last month on this floor."],
    },
    "zh": {
        "ack": ["收到，我们正在处理，请稍等。", "已经复现问题，正在排查。", "收到，今天内给您答复。"],
        "ask": ["麻烦发一张截图给我们。", "请问是从什么时候开始的？每次都会出现吗？", "请问是哪个办公室、哪台设备？"],
        "fixed": ["问题已经解决，请再试一下。", "已经处理好了，如果再出现请告诉我们。", "我们这边已经处理完毕，感谢耐心等待！"],
        "followup": ["还是不行，请再看一下。", "请问有进展吗？", "截图已经发过去了，请查收。", "从周一开始，每次都会出现。"],
        "hold": ["已提交给供应商，等待对方回复。", "等待供应商确认上门时间。"],
        "note": ["查看了日志，九点前没有异常。", "和上个月同一楼层的问题一样。"],
    },
}

# The knowledge base: (title, category, state, body). Published articles answer the
# topics above (the portal shows them, ctrl+o offers them in a reply); one is for
# agents only, one is still a draft.
ARTICLES = [
    ("Printer jams on the first job of the day", "Printers", "published",
     "Cold paper curls and jams the first job.\n\n1. Keep the paper in its wrapper overnight.\n"
     "2. Fan the stack before loading it.\n3. If it still jams, open tray 2 and remove any torn scraps."),
    ("Reset your password", "Accounts", "published",
     "Open the portal's sign-in page and choose \"Forgot password\". The link in the mail works for one hour.\n\n"
     "Still told \"invalid credentials\"? Your account may be locked after five tries: write to us and we unlock it."),
    ("Send a device for warranty repair", "Repairs", "published",
     "Bring or post the device with its receipt or serial number. We check the warranty, "
     "give you a repair number and tell you when it is ready, usually within five working days."),
    ("VPN drops every few minutes on Wi-Fi", "Network", "published",
     "Turn off the Wi-Fi power saving of your laptop (Settings, Network, Advanced) and reconnect. "
     "If the VPN still drops, send us the time it happened."),
    ("如何申请退款", "账单", "published",
     "重复扣费或误扣费可以申请退款：\n\n1. 在门户提交请求，写明订单号和扣费日期；\n"
     "2. 我们核对后三个工作日内原路退回；\n3. 退款完成后会发邮件通知您。"),
    ("发票信息错误如何重开", "账单", "published",
     "发票抬头或税号有误时，请在请求中提供正确的公司名称和税号，我们会作废原发票并在两个工作日内重新开具。"),
    ("打印机卡纸怎么办", "打印机", "published",
     "早上第一份文件卡纸，多半是纸张受潮卷曲：\n\n1. 纸张用完后放回包装里；\n2. 装纸前把纸抖松；\n"
     "3. 仍然卡纸时打开二号纸盒，取出残留的碎纸。"),
    ("手机和电脑如何送修", "维修", "published",
     "保修期内的设备请带上购买凭证或序列号送到服务台，我们登记维修单号，一般五个工作日内修好并通知您取回。"),
    ("账号被锁定怎么办", "账号", "published",
     "连续输错五次密码后账号会被锁定三十分钟。着急使用可以直接联系我们解锁，解锁后请尽快修改密码。"),
    ("Vendor escalation checklist", "Repairs", "internal",
     "Before escalating to the vendor: serial number, purchase date, photos, what was tried. "
     "Put the vendor's case number in a note and set the ticket on hold."),
    ("Shared drive is slow in the afternoon", "Network", "draft",
     "Backups start at 14:00 on the file server. Moving them to the night is being discussed."),
]
