/** Every validator of src/domain/validate.ts, with good and bad inputs and its Chinese message. */
import { describe, expect, it } from "vitest";
import {
  calendarDate,
  email,
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
  it("folds full-width digits and drops separators and spaces", () => {
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
    [" 7 ", 7],
  ])("accepts %s", (raw, value) => {
    expect(positiveInt(raw, "培训人数", "人")).toEqual(ok(value));
  });

  it.each([
    ["abc", "培训人数请输入正整数，例如 100（不要带小数点或其他文字）。"],
    ["10.5", "培训人数请输入正整数"],
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
  });
});

describe("wholeYears", () => {
  it("accepts whole years, 0 included", () => {
    expect(wholeYears("4", "教龄")).toEqual(ok(4));
    expect(wholeYears("4年", "教龄")).toEqual(ok(4));
    expect(wholeYears("0", "教龄")).toEqual(ok(0));
  });
  it("refuses fractions, words and more than 60", () => {
    expect(wholeYears("3.5", "教龄")).toEqual(err("教龄请输入整数年数，例如 4。"));
    expect(wholeYears("三年", "教龄")).toEqual(err("教龄请输入整数年数"));
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
  it("accepts Chinese and Latin names", () => {
    expect(personName("张三", "负责人姓名")).toEqual(ok("张三"));
    expect(personName("阿依古丽·买买提", "负责人姓名")).toEqual(ok("阿依古丽·买买提"));
  });
  it("refuses digits, one character and over 20", () => {
    expect(personName("张三1", "负责人姓名")).toEqual(err("负责人姓名不应包含数字，请输入姓名，例如 张三。"));
    expect(personName("张", "负责人姓名")).toEqual(err("负责人姓名至少2个字"));
    expect(personName("名".repeat(21), "负责人姓名")).toEqual(err("负责人姓名不超过20个字"));
  });
});

describe("mobile", () => {
  it.each([
    ["13912345678", "13912345678"],
    ["+86 139 1234 5678", "13912345678"],
    ["86-139-1234-5678", "13912345678"],
    ["１３９１２３４５６７８", "13912345678"],
    ["19912345678", "19912345678"],
  ])("accepts %s", (raw, value) => {
    expect(mobile(raw)).toEqual(ok(value));
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
