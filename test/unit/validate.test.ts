/** Every validator of src/domain/validate.ts, with good and bad inputs and its Chinese message. */
import { describe, expect, it } from "vitest";
import {
  calendarDate,
  email,
  institutionName,
  institutionTypeProblem,
  partnerList,
  futureDate,
  mobile,
  nameList,
  normaliseDigits,
  personName,
  positiveInt,
  requiredText,
  wholeYears,
} from "../../src/domain/validate.js";
import { localDateTime, todayIn } from "../../src/domain/time.js";

const ok = <T>(value: T) => ({ ok: true, value });
const err = (error: string | RegExp) => ({ ok: false, error: expect.stringMatching(error) });

describe("normaliseDigits", () => {
  it("folds full-width digits and drops separators and spaces (phones and dates)", () => {
    expect(normaliseDigits("１２３")).toBe("123");
    expect(normaliseDigits("1,000")).toBe("1000");
    expect(normaliseDigits("1，000 人")).toBe("1000人");
  });
});

describe("positiveInt", () => {
  it.each([
    ["100", 100],
    ["１００", 100],
    ["100人", 100],
    ["1,200", 1200],
    ["1，200人", 1200],
    [" 7 ", 7],
    // number words and measure words, read by the one parser of src/nlu/numbers.ts
    ["一百人", 100],
    ["两百", 200],
    ["一百五十名", 150],
    ["2个", 2],
    ["１００ 人", 100],
  ])("accepts %s", (raw, value) => {
    expect(positiveInt(raw, "培训人数", "人")).toEqual(ok(value));
  });

  it.each([
    ["abc", "培训人数请输入正整数，例如 100 或“一百”（不要带小数点或其他文字）。"],
    ["10.5", "培训人数请输入正整数，不要带小数点。"],
    ["约100", "培训人数请输入正整数"],
    ["100左右", "培训人数请输入正整数"],
    ["100天", "培训人数请输入正整数"],
    ["-3", "培训人数请输入正整数"],
    ["", "培训人数请输入正整数"],
    ["0", "培训人数必须大于0，请输入正整数。"],
    ["1000001", "培训人数不能超过1000000，请检查后重新输入。"],
  ])("refuses %s", (raw, message) => {
    expect(positiveInt(raw, "培训人数", "人")).toEqual(err(message));
  });

  it("honours a custom maximum", () => {
    expect(positiveInt("1001", "集中培训", "天", 1000)).toEqual(err("集中培训不能超过1000"));
    expect(positiveInt("15天", "集中培训", "天", 1000)).toEqual(ok(15));
    expect(positiveInt("十五天", "集中培训", "天", 1000)).toEqual(ok(15));
    expect(positiveInt("五十学时", "异步在线", "学时", 1000)).toEqual(ok(50));
    expect(positiveInt("3所", "帮扶校数", "校")).toEqual(ok(3));
    expect(positiveInt("2个县", "帮扶县数", "县")).toEqual(ok(2));
  });
});

describe("wholeYears", () => {
  // "三年" used to be refused: number words are read the same way as in free text now.
  it("accepts whole years, 0 and number words included", () => {
    expect(wholeYears("4", "教龄")).toEqual(ok(4));
    expect(wholeYears("4年", "教龄")).toEqual(ok(4));
    expect(wholeYears("0", "教龄")).toEqual(ok(0));
    expect(wholeYears("三年", "教龄")).toEqual(ok(3));
    expect(wholeYears("十五年", "教龄")).toEqual(ok(15));
  });
  it("refuses fractions, other words and more than 60", () => {
    expect(wholeYears("3.5", "教龄")).toEqual(err("教龄请输入整数年数，例如 4 或“四年”。"));
    expect(wholeYears("好几年", "教龄")).toEqual(err("教龄请输入整数年数"));
    expect(wholeYears("61", "教龄")).toEqual(err("教龄不超过60年"));
  });
});

describe("requiredText", () => {
  it("trims and strips control characters", () => {
    expect(requiredText("  新疆师范大学 ", "单位名称")).toEqual(ok("新疆师范大学"));
    expect(requiredText("新疆\u0007师大", "单位名称")).toEqual(ok("新疆师大"));
  });
  it("refuses too short and too long texts", () => {
    expect(requiredText("新", "单位名称", 2, 50)).toEqual(err("单位名称至少2个字，请重新输入。"));
    expect(requiredText("   ", "单位名称", 2, 50)).toEqual(err("单位名称至少2个字"));
    expect(requiredText("长".repeat(51), "单位名称", 2, 50)).toEqual(err("单位名称不超过50个字，请精简后重新输入。"));
  });
});

describe("personName", () => {
  it.each([
    ["张三", "张三"],
    ["欧阳娜娜", "欧阳娜娜"],
    ["阿依古丽·买买提", "阿依古丽·买买提"],
    ["阿依古丽.买买提", "阿依古丽·买买提"],
    ["阿依古丽 • 买买提", "阿依古丽·买买提"],
    ["Li Wei", "Li Wei"],
  ])("accepts %s", (raw, value) => {
    expect(personName(raw, "负责人姓名")).toEqual(ok(value));
  });
  it.each([
    ["张三1", "负责人姓名不应包含数字"],
    ["张", "负责人姓名至少2个字"],
    ["名".repeat(41), "负责人姓名不超过40个字"],
    ["名".repeat(9), "负责人姓名一般为2-6个汉字"],
    ["张老师", "“张老师”是称呼，不是姓名"],
    ["李主任", "是称呼"],
    ["新疆师范大学", "像是单位名称"],
    ["张三，李四", "只能包含汉字"],
    ["@@", "只能包含汉字"],
  ])("refuses %s", (raw, message) => {
    expect(personName(raw, "负责人姓名")).toEqual(err(message));
  });
});

describe("institutionName", () => {
  it.each([
    ["新疆师范大学", "新疆师范大学"],
    [" 昌吉学院 ", "昌吉学院"],
    ["乌鲁木齐市教师发展中心", "乌鲁木齐市教师发展中心"],
    ["新疆大学（继续教育学院）", "新疆大学（继续教育学院）"],
    ["新疆大学(继续教育学院)", "新疆大学(继续教育学院)"],
    ["喀什地区教育研究培训中心", "喀什地区教育研究培训中心"],
    ["和田县教师进修学校", "和田县教师进修学校"],
  ])("accepts %s", (raw, value) => {
    expect(institutionName(raw)).toEqual(ok(value));
  });
  it.each([
    ["你好", "申报单位请填写全称（至少4个字）"],
    ["新师大", "申报单位请填写全称"],
    ["张三李四", "不像是高等院校或教师培训机构的全称"],
    ["这个填啥", "不像是高等院校或教师培训机构的全称"],
    ["新疆师范大学<继续教育学院> & 附属", "只能包含汉字、字母、数字和括号"],
    ["abcdefg", "只能包含汉字"],
    ["新".repeat(61), "不超过60个字"],
  ])("refuses %s", (raw, message) => {
    expect(institutionName(raw)).toEqual(err(message));
  });
});

describe("institutionTypeProblem", () => {
  it.each<[string, string, boolean]>([
    ["新疆师范大学", "高等院校", true],
    ["昌吉学院", "高等院校", true],
    ["新疆大学（继续教育学院）", "高等院校", true],
    ["乌鲁木齐市教师发展中心", "高等院校", false],
    ["和田县教师进修学校", "高等院校", false],
    ["乌鲁木齐市教师发展中心", "教师培训机构", true],
    ["新疆教育学院", "教师培训机构", true],
  ])("%s as %s fits: %s", (name, type, fits) => {
    const why = institutionTypeProblem(name, type);
    expect(why === undefined).toBe(fits);
    if (!fits) expect(why).toContain("看起来不是高等院校");
  });
});

describe("partnerList", () => {
  const schoolsOnly = (name: string) => (/(中学|小学)$/.test(name) ? undefined : `“${name}”不像是学校`);
  it("splits, cleans and keeps each school once", () => {
    expect(partnerList("乌鲁木齐市第一小学、昌吉州实验小学，和田市第一中学", "协同单位", schoolsOnly)).toEqual(ok(["乌鲁木齐市第一小学", "昌吉州实验小学", "和田市第一中学"]));
  });
  it.each([
    ["乌鲁木齐市第一小学、乌鲁木齐市第一小学", "重复填写了"],
    ["乌鲁木齐市第一小学、同上", "请填写全称"],
    ["乌鲁木齐市第一小学、昌吉学院", "“昌吉学院”不像是学校"],
    ["新疆师范大学附属中学、新疆师范大学", "是申报单位本身"],
  ])("refuses %s", (raw, message) => {
    expect(partnerList(raw, "协同单位", schoolsOnly, "新疆师范大学")).toEqual(err(message));
  });
});

describe("mobile", () => {
  it.each([
    ["13912345678", "13912345678"],
    ["+86 139 1234 5678", "13912345678"],
    ["86-139-1234-5678", "13912345678"],
    ["１３９１２３４５６７８", "13912345678"],
    ["19912345678", "19912345678"],
    ["139 1234 5678", "13912345678"],
  ])("accepts %s", (raw, value) => {
    expect(mobile(raw)).toEqual(ok(value));
  });
  it.each(["13333333333", "13800000000"])("refuses the filler number %s", (raw) => {
    expect(mobile(raw)).toEqual(err("像是随意填写的号码"));
  });
  it.each(["12345", "12912345678", "1391234567", "139123456789", "0991-1234567", "电话13912345678", ""])("refuses %s", (raw) => {
    expect(mobile(raw)).toEqual(err("手机号应为11位数字、以13-19开头，例如 13912345678。"));
  });
});

describe("email", () => {
  it("accepts ordinary addresses, trimmed", () => {
    expect(email("lisi@xjnu.edu.cn")).toEqual(ok("lisi@xjnu.edu.cn"));
    expect(email(" a.b+c@example.com ")).toEqual(ok("a.b+c@example.com"));
  });
  it.each([
    ["lisi＠xjnu.edu.cn", "lisi@xjnu.edu.cn"],
    ["ｌｉｓｉ＠ｘｊｎｕ．ｅｄｕ．ｃｎ", "lisi@xjnu.edu.cn"],
    ["lisi@xjnu。edu。cn", "lisi@xjnu.edu.cn"],
    ["LiSi@XJNU.EDU.CN", "LiSi@xjnu.edu.cn"],
  ])("reads full-width ＠ and 。 typed on a Chinese keyboard: %s", (raw, value) => {
    expect(email(raw)).toEqual(ok(value));
  });
  it.each(["lisi", "lisi@", "@xjnu.edu.cn", "li si@xjnu.edu.cn", "lisi@xjnu", ""])("refuses %s", (raw) => {
    expect(email(raw)).toEqual(err("邮箱格式不正确，请输入例如 name@example.edu.cn。"));
  });
});

describe("nameList", () => {
  it("splits on 、，, ； and new lines", () => {
    expect(nameList("甲小学、乙小学，丙中学;丁幼儿园\n戊学校", "协同单位")).toEqual(ok(["甲小学", "乙小学", "丙中学", "丁幼儿园", "戊学校"]));
  });
  it("refuses empty lists, one-character names and more than 20", () => {
    expect(nameList("、、", "协同单位")).toEqual(err("请至少填写一个协同单位，多个用“、”分隔。"));
    expect(nameList("甲、乙小学", "协同单位")).toEqual(err("每个协同单位名称至少2个字。"));
    expect(nameList(Array.from({ length: 21 }, (_, i) => `学校${i}`).join("、"), "协同单位")).toEqual(err("协同单位最多20个。"));
    expect(nameList("长".repeat(61), "协同单位")).toEqual(err("每个协同单位名称不超过60个字。"));
  });
});

describe("todayIn", () => {
  it("is the calendar date in the time zone", () => {
    // 2024-06-01 20:00 UTC is already 2 June in Shanghai.
    expect(todayIn(new Date("2024-06-01T20:00:00Z"), "Asia/Shanghai")).toBe("2024-06-02");
    expect(todayIn(new Date("2024-06-01T20:00:00Z"), "UTC")).toBe("2024-06-01");
  });

  it("keeps one formatter per zone without mixing zones up", () => {
    const at = new Date("2024-06-01T15:59:59Z");
    expect([todayIn(at, "Asia/Shanghai"), todayIn(at, "UTC"), todayIn(at, "Asia/Shanghai")]).toEqual(["2024-06-01", "2024-06-01", "2024-06-01"]);
    expect(localDateTime("2024-06-01T16:00:00Z", "Asia/Shanghai")).toBe("2024-06-02 00:00:00");
    expect(localDateTime("not a date", "Asia/Shanghai")).toBe("not a date");
  });
});

describe("calendarDate", () => {
  it.each([
    ["2025-03-01", "2025-03-01"],
    ["2025/3/1", "2025-03-01"],
    ["2025.3.1", "2025-03-01"],
    ["2025年3月1日", "2025-03-01"],
    ["２０２５-０３-０１", "2025-03-01"],
    ["2024-02-29", "2024-02-29"],
  ])("accepts %s", (raw, value) => {
    expect(calendarDate(raw)).toEqual(ok(value));
  });
  it("refuses dates that do not exist and other formats", () => {
    expect(calendarDate("2025-02-29")).toEqual(err("2025年02月29日不存在。请按“年-月-日”输入日期，例如 2025-03-01。"));
    expect(calendarDate("2025-13-01")).toEqual(err("不存在"));
    expect(calendarDate("3月1日")).toEqual(err("日期格式不正确。请按“年-月-日”输入日期"));
    expect(calendarDate("明天")).toEqual(err("日期格式不正确"));
  });
});

describe("futureDate", () => {
  const now = new Date("2024-06-01T02:00:00Z");
  it("accepts a date after today, and after another date", () => {
    expect(futureDate("2024-06-02", now, "Asia/Shanghai")).toEqual(ok("2024-06-02"));
    expect(futureDate("2024-09-15", now, "Asia/Shanghai", { date: "2024-09-01", label: "开始日期" })).toEqual(ok("2024-09-15"));
  });
  it("refuses today, the past, and a date not after the other", () => {
    expect(futureDate("2024-06-01", now, "Asia/Shanghai")).toEqual(err("日期须晚于今天（2024-06-01），请重新输入。"));
    expect(futureDate("2023-12-31", now, "Asia/Shanghai")).toEqual(err("日期须晚于今天"));
    expect(futureDate("2024-09-01", now, "Asia/Shanghai", { date: "2024-09-01", label: "开始日期" })).toEqual(err("日期须晚于开始日期（2024-09-01），请重新输入。"));
    expect(futureDate("2024-02-30", now, "Asia/Shanghai")).toEqual(err("不存在"));
  });
});
