"""Make data/sample-ledger.xlsx: a hand-kept Chinese ticket ledger (工单台账) to try
`helpdesk import` on. Deterministic: run it again and the same workbook comes out.

    python data/make_sample_ledger.py        # then:
    helpdesk import data/sample-ledger.xlsx --map data/sample-map.toml --dry-run

Shaped like the real thing: a title row and a blank row above the header, a merged
处理人 cell covering several records, real Excel dates next to dates typed by hand
(2025/3/5 09:30, 2025.3.5, 2025年3月5日), Chinese statuses and priorities, one status
the map file translates (待审核), a 序号 column to ignore, and one bad row (an unknown
status) that goes to the rejects file."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

HEADER = ["序号", "工单编号", "标题", "问题描述", "状态", "优先级", "客户姓名", "客户邮箱", "联系电话",
          "客户单位", "处理人", "创建时间", "解决时间", "标签", "处理记录", "客户等级", "来源"]
CUSTOMERS = [("王芳", "wangfang@example.cn", "13800138000", "华东分公司", "VIP"),
             ("李雷", "lilei@example.cn", "13900139000", "华北分公司", "普通"),
             ("韩梅梅", "hanmeimei@example.cn", None, "华北分公司", "普通"),
             ("张伟", None, "13700137000", "总部", "VIP"),
             ("Alice Chen", "alice.chen@example.com", "+86 21 5555 0101", "Shanghai Office", "普通")]
PROBLEMS = [("打印机卡纸", "三楼打印机频繁卡纸，已重启无效", "打印机、硬件"),
            ("无法登录邮箱", "提示密码错误，已确认大小写", "账号"),
            ("VPN 连接断开", "在家办公时 VPN 每隔十分钟断开一次", "网络 vpn"),
            ("发票抬头错误", "三月份发票抬头应为华东分公司", "财务、发票"),
            ("笔记本电池鼓包", "电池明显鼓起，需要更换", "硬件"),
            ("申请退款", "重复扣费两次，申请退还一笔", "财务"),
            ("共享盘无权限", "新员工无法访问部门共享盘", "权限")]
STATUSES = ["新建", "处理中", "已派单", "待客户确认", "挂起", "已解决", "已关闭", "待审核"]
PRIORITIES = ["紧急", "高", "中", "普通", "低"]
CHANNELS = ["电话", "邮件", "微信", "现场"]


def created(n: int):
    """Every fourth date typed by hand, the way ledgers are kept."""
    day, hour = 1 + n % 28, 9 + n % 8
    forms = [datetime(2025, 3, day, hour, 30), f"2025/3/{day} {hour}:30", f"2025.3.{day}",
             f"2025年3月{day}日"]
    return forms[n % 4]


def rows() -> list[list]:
    out = []
    for n in range(1, 31):
        name, email, phone, org, tier = CUSTOMERS[n % len(CUSTOMERS)]
        subject, body, tags = PROBLEMS[n % len(PROBLEMS)]
        status = STATUSES[n % len(STATUSES)]
        solved = datetime(2025, 3, min(28, 2 + n % 28), 17, 0) if status in ("已解决", "已关闭") else None
        out.append([n, f"GD2025{n:04d}", subject, body, status, PRIORITIES[n % len(PRIORITIES)],
                    name, email, phone, org, None, created(n), solved, tags,
                    "已电话联系客户" if n % 3 == 0 else None, tier, CHANNELS[n % len(CHANNELS)]])
    out[16][4] = "不知道"  # a status nobody can map: this row goes to the rejects file
    return out


def assign(sheet, first_row: int) -> None:
    """处理人 in blocks of merged cells, as ledgers often do."""
    agents = ["Bob Agent", "Ada Admin", "bob@example.com", "周杰"]  # 周杰 is not an agent
    column = HEADER.index("处理人") + 1
    for block, start in enumerate(range(first_row, first_row + 30, 5)):
        sheet.cell(row=start, column=column, value=agents[block % len(agents)])
        sheet.merge_cells(start_row=start, start_column=column, end_row=start + 4, end_column=column)


def build(path: Path) -> Path:
    book = Workbook()
    sheet = book.active
    sheet.title = "2025年3月"
    sheet.append(["2025年3月 IT 服务工单台账"])
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(HEADER))
    sheet["A1"].font = Font(bold=True, size=14)
    sheet["A1"].alignment = Alignment(horizontal="center")
    sheet.append([])
    sheet.append(HEADER)
    for row in rows():
        sheet.append(row)
    assign(sheet, first_row=4)
    for column in ("L", "M"):
        for cell in sheet[column][3:]:
            if isinstance(cell.value, datetime):
                cell.number_format = "yyyy-mm-dd hh:mm"
    book.properties.creator = "helpdesk"
    book.properties.created = book.properties.modified = datetime(2025, 3, 31)
    book.save(path)
    return path


if __name__ == "__main__":
    print(build(Path(__file__).resolve().parent / "sample-ledger.xlsx"))
