"""A big, realistic helpdesk database for benchmarks: `python -m bench.dataset --tickets 100000`.

The schema comes from the real migrations (`open_desk`); rows are bulk-inserted
with plain sqlite3 (indexes dropped during the load and rebuilt after), so 1M
tickets build in minutes. Tickets are about one of 30 topics, in English
(65%), Chinese (30%) or both; each topic owns its words, so a topic word is in
a few percent of tickets and a general word in many, as in a real desk.
Seeded: the same N always gives the same database, cached in bench/out/.
"""

from __future__ import annotations

import argparse
import json
import random
import sqlite3
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

from bench.common import dataset_path, say

END = datetime(2026, 11, 1)  # naive UTC, the storage form of UTCDateTime on SQLite
SPAN = timedelta(days=730)
CHUNK = 20_000

# (tag, English words, Chinese two-character words); a ticket is about one topic.
TOPICS = [
    ("printer", "printer toner paper jam cartridge scanner duplex tray print queue spooler ink", "打印 纸张 硒鼓 墨盒 扫描 卡纸 复印 碳粉"),
    ("vpn", "vpn tunnel gateway remote certificate disconnect latency client firewall proxy", "远程 隧道 网关 证书 断开 延迟 防火 代理"),
    ("email", "mailbox outlook inbox attachment spam calendar signature forward bounce quota", "邮箱 邮件 附件 垃圾 日历 签名 转发 退信"),
    ("login", "password reset locked login account expired twofactor token authenticator username", "密码 重置 锁定 登录 账号 过期 验证 令牌"),
    ("billing", "invoice billing payment charge receipt overdue subscription discount tax statement", "发票 账单 付款 扣费 收据 逾期 订阅 折扣"),
    ("refund", "refund return cancel chargeback credit reimburse order dispute shipping damaged", "退款 退货 取消 订单 退还 争议 运费 损坏"),
    ("laptop", "laptop battery keyboard screen charger hinge overheating trackpad bios docking", "电脑 电池 键盘 屏幕 充电 过热 触摸 笔记"),
    ("network", "wifi network router switch cable dns dhcp bandwidth outage packet", "网络 无线 路由 交换 网线 带宽 断网 信号"),
    ("software", "install update license crash upgrade version patch plugin uninstall compatibility", "安装 更新 许可 崩溃 升级 版本 补丁 插件"),
    ("phone", "phone mobile voicemail extension headset sim roaming dial ringtone conference", "手机 电话 语音 分机 耳机 漫游 拨号 会议"),
    ("access", "permission access folder share drive group role denied grant directory", "权限 访问 文件 共享 目录 授权 拒绝 群组"),
    ("database", "database query backup restore replication index timeout deadlock migration schema", "数据 查询 备份 恢复 复制 索引 超时 迁移"),
    ("website", "website page browser cookie cache redirect ssl domain checkout cart", "网站 网页 浏览 缓存 跳转 域名 页面 结账"),
    ("delivery", "delivery courier tracking parcel warehouse shipment address delayed lost pickup", "快递 物流 包裹 仓库 发货 地址 延误 丢失"),
    ("hr", "payroll salary holiday leave contract onboarding benefits timesheet overtime pension", "工资 薪资 假期 请假 合同 入职 福利 加班"),
    ("security", "phishing virus malware breach suspicious encryption antivirus ransomware audit compliance", "病毒 钓鱼 木马 泄露 可疑 加密 审计 合规"),
    ("meeting", "projector room booking whiteboard camera microphone speaker hdmi display zoom", "投影 预订 白板 摄像 话筒 音箱 显示 视频"),
    ("storage", "disk storage nas raid partition capacity sync upload download cloud", "硬盘 存储 分区 容量 同步 上传 下载 云盘"),
    ("mobile", "app android iphone notification tablet gps bluetooth pairing widget sensor", "应用 安卓 苹果 通知 平板 定位 蓝牙 配对"),
    ("erp", "erp inventory purchase supplier approval workflow report export import ledger", "库存 采购 供应 审批 流程 报表 导出 导入"),
    ("crm", "crm lead pipeline quote opportunity campaign segment dashboard forecast prospect", "线索 报价 商机 营销 活动 看板 预测 客群"),
    ("office", "excel word powerpoint spreadsheet macro template formula pdf document font", "表格 文档 模板 公式 字体 格式 排版 演示"),
    ("server", "server cpu memory reboot load container kubernetes deploy log cluster", "服务 内存 重启 负载 容器 部署 日志 集群"),
    ("plan", "plan downgrade seat trial renewal pricing tier enterprise annual monthly", "套餐 降级 席位 试用 续费 价格 企业 配额"),
    ("customs", "customs duty declaration tariff border clearance broker origin harmonized consignment", "海关 关税 报关 清关 边境 原产 报检 口岸"),
    ("facilities", "aircon heating elevator parking badge lighting cleaning leak desk chair", "空调 暖气 电梯 停车 门禁 照明 保洁 漏水"),
    ("training", "training course exam tutorial webinar manual guide lesson quiz enrollment", "培训 课程 考试 教程 手册 指南 课堂 报名"),
    ("api", "api webhook integration endpoint oauth sdk ratelimit payload callback json", "接口 集成 回调 对接 密钥 限流 报文 调用"),
    ("monitoring", "monitor alert uptime metric threshold pager incident graph probe dashboard", "监控 告警 指标 阈值 故障 事故 图表 探针"),
    ("feedback", "feedback complaint suggestion survey rating praise feature request roadmap bug", "反馈 投诉 建议 调查 评分 表扬 功能 需求"),
]
GENERAL_EN = """please help issue problem urgent today yesterday tomorrow morning afternoon again still working broken
error message customer team office user users since after before need cannot unable thanks regards hello asap
soon week monday friday weekend manager colleague everyone nothing something every time always sometimes started
stopped happened tried restarted fixed check checked attached screenshot details below following steps same
different new old first last second quick slow fast possible reply status ticket case number reference contact
call important critical minor major whole department building floor site branch headquarters home local global
system service support works fails failing random intermittent confirm confirmed resolved pending waiting""".split()
STOP_EN = "i we the a an to is it my our and or of in on for with not but this that can you be was are has have at from".split()
GENERAL_CN = """你好 谢谢 请问 问题 紧急 今天 昨天 明天 上午 下午 还是 一直 无法 不能 出现 错误 提示 客户 团队 办公
用户 需要 帮忙 处理 尽快 麻烦 已经 重新 尝试 检查 截图 详情 步骤 相同 不同 第一 最后 马上 现在 时候 情况 系统
支持 部门 同事 经理 大家 公司 总部 分部 家里 本地 全部 正常 异常 影响 严重 一般 重要 解决 回复 联系 工单 编号
确认 反映 发现 突然 经常 偶尔 每次 开始 停止 发生 修复 感谢 辛苦 希望 尽量 附上 如下 以下""".split()
STOP_CN = "的 了 是 我 我们 在 不 也 都 就 很 有 一下 还".split()
GENERAL_TAGS = "vip escalated spam duplicate followup hardware onsite windows mac linux bug howto".split()
FIRST_EN = """alice bob carol dan erin frank grace heidi ivan judy mallory niaj olivia peggy rupert sybil trent victor
walter yuki oscar paula quinn rosa sam tina uma vera wendy xavier""".split()
LAST_EN = "smith jones brown taylor wilson davies evans thomas roberts walker wright green hall wood harris clark".split()
SURNAMES = "王 李 张 刘 陈 杨 黄 赵 吴 周 徐 孙 马 朱 胡 郭 何 高 林 罗".split()
GIVEN = "伟 芳 娜 敏 静 磊 丽 强 军 洋 杰 婷 超 琳 平 峰 晓 娟 涛 明".split()
TEAMS = ["support", "billing", "it", "sales"]
AGENTS_PER_TEAM = 5
STATUS_RECENT = ("new",) * 20 + ("open",) * 40 + ("pending",) * 15 + ("on_hold",) * 5 + ("solved",) * 15 + ("closed",) * 5
STATUS_OLD = ("closed",) * 75 + ("solved",) * 20 + ("open",) * 2 + ("pending",) * 2 + ("on_hold",) * 1
PRIORITIES = ("low",) * 20 + ("normal",) * 55 + ("high",) * 18 + ("urgent",) * 7
TYPES = ("question",) * 35 + ("incident",) * 35 + ("problem",) * 10 + ("task",) * 10 + (None,) * 10
CHANNELS = ("email",) * 45 + ("web",) * 20 + ("chat",) * 15 + ("phone",) * 10 + ("api",) * 7 + ("walk_in",) * 3
MESSAGES = (1,) * 35 + (2,) * 30 + (3,) * 20 + (4,) * 15


def english_words() -> list[str]:
    """Every searchable English word of the vocabulary (topic words first)."""
    return [w for _, en, _ in TOPICS for w in en.split()] + GENERAL_EN


def chinese_words() -> list[str]:
    """Every two-character Chinese word of the vocabulary (topic words first)."""
    return [w for _, _, cn in TOPICS for w in cn.split()] + GENERAL_CN


def stamp(dt: datetime) -> str:
    """SQLAlchemy's storage form of a DateTime on SQLite."""
    return dt.isoformat(sep=" ", timespec="microseconds")


# -- text ---------------------------------------------------------------------

def _zipf(words: list[str], exponent: float = 1.0) -> tuple[list[str], list[float]]:
    return words, [1 / (rank + 1) ** exponent for rank in range(len(words))]


class Writer:
    """Sentences drawn from pre-built pools, so 2M messages cost little."""

    def __init__(self, rng: random.Random, pool: int = 200):
        self.rng = rng
        self.en = [self._pool(en.split(), GENERAL_EN, STOP_EN, " ", pool, (5, 14)) for _, en, _ in TOPICS]
        self.cn = [self._pool(cn.split(), GENERAL_CN, STOP_CN, "", pool, (3, 8)) for _, _, cn in TOPICS]
        self.en_subjects = [self._pool(en.split(), GENERAL_EN, [], " ", pool, (3, 7)) for _, en, _ in TOPICS]
        self.cn_subjects = [self._pool(cn.split(), GENERAL_CN, [], "", pool, (2, 4)) for _, _, cn in TOPICS]

    def _pool(self, topic, general, stop, sep, size, length) -> list[str]:
        rng = self.rng
        t_words, t_weights = _zipf(topic, 0.8)
        g_words, g_weights = _zipf(general, 1.0)
        out = []
        for _ in range(size):
            n = rng.randint(*length)
            words = []
            for _ in range(n):
                roll = rng.random()
                if roll < 0.4:
                    words.append(rng.choices(t_words, t_weights)[0])
                elif roll < 0.7 or not stop:
                    words.append(rng.choices(g_words, g_weights)[0])
                else:
                    words.append(rng.choice(stop))
            text = sep.join(words)
            out.append(text.capitalize() + "." if sep else text + rng.choice("，。。"))
        return out

    def subject(self, lang: str, topic: int) -> str:
        if lang == "en":
            return self.rng.choice(self.en_subjects[topic])
        subject = self.rng.choice(self.cn_subjects[topic])
        if lang == "mixed":  # a product word inside Chinese text: "vpn连接断开"
            subject = self.rng.choice(TOPICS[topic][1].split()).upper() + subject
        return subject

    def body(self, lang: str, topic: int) -> str:
        pools = self.en if lang == "en" else self.cn
        sentences = [self.rng.choice(pools[topic]) for _ in range(self.rng.randint(1, 3))]
        if lang == "mixed":
            sentences.append(self.rng.choice(self.en[topic]))
        return ("" if lang == "cn" else " ").join(sentences)


# -- people -------------------------------------------------------------------

def _people(conn: sqlite3.Connection, rng: random.Random, tickets: int) -> tuple[list, list]:
    """Teams, agents, organizations and contacts; returns (agents by team, contacts)."""
    created = stamp(END - SPAN - timedelta(days=30))
    conn.executemany("INSERT INTO team (id, name, created_at) VALUES (?, ?, ?)",
                     [(i + 1, name, created) for i, name in enumerate(TEAMS)])
    agents, by_team = [], [[] for _ in TEAMS]
    for i in range(len(TEAMS) * AGENTS_PER_TEAM):
        team = i % len(TEAMS)
        first, last = FIRST_EN[i % len(FIRST_EN)], LAST_EN[i % len(LAST_EN)]
        role = "admin" if i == 0 else "agent"
        agents.append((i + 1, f"{first}.{last}@desk.example", f"{first.title()} {last.title()}", role, team + 1, "[]", 1, created))
        by_team[team].append((i + 1, f"{first.title()} {last.title()}"))
    conn.executemany("INSERT INTO agent (id, email, name, role, team_id, skills, active, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", agents)
    orgs = max(20, tickets // 1000)
    conn.executemany("INSERT INTO organization (id, name, tier, domain, created_at) VALUES (?, ?, ?, ?, ?)",
                     [(i, f"{rng.choice(TOPICS)[0].title()} Co {i}", rng.choice(("vip",) + ("business",) * 3 + (None,) * 6),
                       f"org{i}.example", created) for i in range(1, orgs + 1)])
    contacts, rows = [], []
    for i in range(1, max(10, tickets // 10) + 1):
        if rng.random() < 0.7:
            name = f"{rng.choice(FIRST_EN).title()} {rng.choice(LAST_EN).title()}"
        else:
            name = rng.choice(SURNAMES) + "".join(rng.choices(GIVEN, k=rng.randint(1, 2)))
        org = rng.randint(1, orgs) if rng.random() < 0.6 else None
        email = f"c{i}@org{org}.example" if org else f"c{i}@mail.example"
        rows.append((i, email, name, org, "vip" if rng.random() < 0.02 else None, created))
        contacts.append((i, name, email, org))
    conn.executemany("INSERT INTO contact (id, email, name, organization_id, tier, created_at) VALUES (?, ?, ?, ?, ?, ?)", rows)
    return by_team, contacts


# -- tickets ------------------------------------------------------------------

class Rows:
    def __init__(self):
        self.tickets, self.tags, self.messages, self.docs = [], [], [], []


def _ticket(rows: Rows, rng: random.Random, writer: Writer, tid: int, created: datetime,
            by_team: list, contacts: list, message_id: int) -> int:
    """Append one ticket and its tags, messages and search document; returns the next message id."""
    topic = rng.randrange(len(TOPICS))
    lang = rng.choices(("en", "cn", "mixed"), (65, 30, 5))[0]
    recent = END - created < timedelta(days=30)
    status = rng.choice(STATUS_RECENT if recent else STATUS_OLD)
    # A fifth of the tickets come from a few hundred frequent requesters.
    frequent = rng.random() < 0.2
    cid, cname, cemail, org = contacts[rng.randrange(min(300, len(contacts)) if frequent else len(contacts))]
    team = topic % len(TEAMS)
    agent = rng.choice(by_team[team]) if status != "new" or rng.random() < 0.3 else None
    subject = writer.subject(lang, topic)
    n_messages = 1 if status == "new" else rng.choice(MESSAGES)
    at, first_response, bodies = created, None, []
    for k in range(n_messages):
        body = writer.body(lang, topic)
        by_agent = k % 2 == 1 and agent is not None
        kind = "note" if by_agent and rng.random() < 0.15 else "reply"
        if by_agent and kind == "reply" and first_response is None:
            first_response = at
        rows.messages.append((message_id, tid, kind, agent[0] if by_agent else None, None if by_agent else cid,
                              agent[1] if by_agent else cname, body, "email", "{}", stamp(at)))
        bodies.append(body)
        message_id += 1
        at = min(END, at + timedelta(seconds=rng.randint(300, 3 * 86400)))
    updated = at
    solved = updated if status in ("solved", "closed") else None
    closed = updated if status == "closed" else None
    fields = json.dumps({"region": rng.choice(("apac", "emea", "amer"))}) if rng.random() < 0.1 else "{}"
    rows.tickets.append((tid, subject, status, rng.choice(PRIORITIES), rng.choice(TYPES), rng.choice(CHANNELS), cid, org,
                         agent[0] if agent else None, team + 1 if agent or rng.random() < 0.5 else None, fields,
                         stamp(created), stamp(updated), first_response and stamp(first_response),
                         solved and stamp(solved), closed and stamp(closed), 1 + n_messages))
    tags = {TOPICS[topic][0]} if rng.random() < 0.6 else set()
    tags.update(rng.sample(GENERAL_TAGS, rng.choice((0, 0, 1, 2))))
    rows.tags.extend((tid, t) for t in tags)
    rows.docs.append((tid, "\n".join([subject, cname, cemail, *bodies])))
    return message_id


TICKET_COLUMNS = ("id, subject, status, priority, type, channel, requester_id, organization_id, assignee_id, team_id, "
                  "fields, created_at, updated_at, first_response_at, solved_at, closed_at, version")


def _flush(conn: sqlite3.Connection, rows: Rows) -> None:
    from helpdesk.search import index_text

    conn.executemany(f"INSERT INTO ticket ({TICKET_COLUMNS}) VALUES ({', '.join('?' * 17)})", rows.tickets)
    conn.executemany("INSERT INTO ticket_tag (ticket_id, tag) VALUES (?, ?)", rows.tags)
    conn.executemany("INSERT INTO message (id, ticket_id, kind, author_agent_id, author_contact_id, author_name, body, "
                     "channel, headers, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows.messages)
    conn.executemany("INSERT INTO ticket_search (rowid, doc) VALUES (?, ?)", ((tid, index_text(doc)) for tid, doc in rows.docs))


def _tickets(conn: sqlite3.Connection, rng: random.Random, n: int, by_team: list, contacts: list) -> Iterator[int]:
    """Insert all tickets in chunks, oldest first (ids follow creation time); yields progress."""
    writer = Writer(rng)
    start, step = END - SPAN, SPAN / n
    message_id = 1
    for first in range(1, n + 1, CHUNK):
        rows = Rows()
        for tid in range(first, min(n, first + CHUNK - 1) + 1):
            created = start + step * (tid - 1 + rng.random())
            message_id = _ticket(rows, rng, writer, tid, created, by_team, contacts, message_id)
        conn.execute("BEGIN")
        _flush(conn, rows)
        conn.execute("COMMIT")
        yield first + len(rows.tickets) - 1


# -- the database -------------------------------------------------------------

BULK_TABLES = ("ticket", "ticket_tag", "message", "contact", "organization")


def _create_schema(path: Path) -> None:
    """The state `helpdesk init` leaves: migrated schema plus shipped defaults (SLA policies)."""
    from helpdesk.db import open_desk
    from helpdesk.services.desk.setup import initialise

    desk = open_desk(str(path))
    initialise(desk)
    desk.close()


def _drop_indexes(conn: sqlite3.Connection) -> list[str]:
    """Drop the bulk tables' indexes (rebuilt after the load: much faster); returns their SQL."""
    marks = ", ".join("?" * len(BULK_TABLES))
    found = conn.execute(f"SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL AND tbl_name IN ({marks})",
                         BULK_TABLES).fetchall()
    for name, _ in found:
        conn.execute(f'DROP INDEX "{name}"')
    return [sql for _, sql in found]


def build(tickets: int, path: Path | None = None, *, seed: int = 42, force: bool = False) -> Path:
    """The database of `tickets` tickets, built once and then reused from the cache."""
    path = path or dataset_path(tickets)
    if path.exists() and not force:
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    for stale in (partial, Path(f"{partial}-wal"), Path(f"{partial}-shm")):
        stale.unlink(missing_ok=True)
    began = time.perf_counter()
    _create_schema(partial)
    conn = sqlite3.connect(partial, isolation_level=None)
    conn.execute("PRAGMA journal_mode=OFF")
    conn.execute("PRAGMA synchronous=OFF")
    conn.execute("PRAGMA cache_size=-400000")
    indexes = _drop_indexes(conn)
    rng = random.Random(seed)
    conn.execute("BEGIN")
    by_team, contacts = _people(conn, rng, tickets)
    conn.execute("COMMIT")
    for done in _tickets(conn, rng, tickets, by_team, contacts):
        if done % 100_000 < CHUNK or done == tickets:
            say(f"  {done:,} tickets ({time.perf_counter() - began:.0f} s)")
    say("  rebuilding indexes")
    for sql in indexes:
        conn.execute(sql)
    conn.execute("PRAGMA journal_mode=WAL")  # what open_desk leaves on a real desk
    conn.close()
    partial.rename(path)
    say(f"built {path} in {time.perf_counter() - began:.0f} s")
    return path


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--force", action="store_true", help="rebuild even when cached")
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args(argv)
    print(build(args.tickets, seed=args.seed, force=args.force))


if __name__ == "__main__":
    main()
