/**
 * The command catalogue: the one list that feeds Telegram's command menu (setMyCommands), /help and
 * the terminal's opening hint. A command is added here once; its handler lives in its feature.
 */
export type Audience = "everyone" | "coordinator" | "admin";

export interface CommandInfo {
  command: string;
  /** Telegram's menu text (short). */
  description: string;
  /** The /help line's text after the command; arguments are shown as typed ("编号"). */
  help: string;
  audience: Audience;
  /** Shown in Telegram's command menu (everyone's commands only; staff commands stay out of strangers' menus). */
  menu: boolean;
}

export const COMMAND_CATALOGUE: readonly CommandInfo[] = [
  { command: "start", description: "开始 / 主菜单", help: "开始 / 主菜单", audience: "everyone", menu: true },
  { command: "eligibility", description: "资格自测：我能报哪个项目", help: "资格自测（按钮引导）", audience: "everyone", menu: true },
  { command: "projects", description: "项目浏览", help: "浏览全部子项目", audience: "everyone", menu: true },
  { command: "budget", description: "预算测算", help: "按指南经费标准测算预算", audience: "everyone", menu: true },
  { command: "declare", description: "申报项目（院校/培训机构）", help: "申报（可随时中断，草稿自动保存）", audience: "everyone", menu: true },
  { command: "my", description: "我的申报", help: "我的申报", audience: "everyone", menu: true },
  { command: "subscribe", description: "订阅截止提醒", help: "订阅截止提醒", audience: "everyone", menu: true },
  { command: "unsubscribe", description: "退订截止提醒", help: "退订截止提醒", audience: "everyone", menu: false },
  { command: "deadlines", description: "查看申报截止日期", help: "截止日期", audience: "everyone", menu: true },
  { command: "help", description: "帮助", help: "帮助", audience: "everyone", menu: true },
  { command: "cancel", description: "取消当前操作", help: "取消当前操作", audience: "everyone", menu: true },
  { command: "myid", description: "查看我的用户编号", help: "查看自己的用户编号（管理员授权时需要）", audience: "everyone", menu: false },
  { command: "link", description: "在网页和 Telegram 之间转移草稿", help: "在网页和 Telegram 之间转移申报草稿", audience: "everyone", menu: false },
  { command: "review", description: "审核申报", help: "审核", audience: "coordinator", menu: false },
  { command: "export", description: "导出申报", help: "导出", audience: "coordinator", menu: false },
  { command: "stats", description: "申报统计", help: "统计", audience: "coordinator", menu: false },
  { command: "web", description: "网页审核台登录码", help: "网页审核台登录码", audience: "coordinator", menu: false },
  { command: "grant", description: "授予协调员权限", help: "编号 授予协调员", audience: "admin", menu: false },
  { command: "revoke", description: "撤销协调员权限", help: "编号 撤销", audience: "admin", menu: false },
  { command: "deadline", description: "设截止日期", help: "日期 标题 设截止日期", audience: "admin", menu: false },
  { command: "deadline_del", description: "删除截止日期", help: "编号 删除截止日期", audience: "admin", menu: false },
  { command: "broadcast", description: "群发通知", help: "内容 群发", audience: "admin", menu: false },
];

/** What setMyCommands is given. */
export const MENU_COMMANDS = COMMAND_CATALOGUE.filter((c) => c.menu).map(({ command, description }) => ({ command, description }));

const line = (c: CommandInfo) => `/${c.command} ${c.help}`;
const of = (a: Audience) => COMMAND_CATALOGUE.filter((c) => c.audience === a);

/** The /help text (HTML): everyone's commands, examples of free questions, then staff's and admins'. */
export function helpText(): string {
  return [
    "<b>使用帮助</b>",
    ...of("everyone").filter((c) => !["start", "help"].includes(c.command)).map(line),
    "",
    "直接提问也可以，例如：",
    "• 县级紧缺领域骨干教师研修计划培训多少人？",
    "• 我是小学数学老师，教龄4年，能报什么？",
    "• 南疆幼儿园顶岗支教培训80人预算多少？",
    "",
    `协调员：${of("coordinator").map(line).join("　")}`,
    `管理员：${of("admin").map(line).join("　")}`,
  ].join("\n");
}

/** The terminal's opening hint: the menu commands on one line. */
export function consoleHint(): string {
  return `可用命令：${MENU_COMMANDS.map((c) => `/${c.command}`).join(" ")}`;
}
