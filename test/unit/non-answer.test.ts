/** Texts that are not answers to a form step (src/domain/non-answer.ts): worked cases, both ways. */
import { describe, expect, it } from "vitest";
import { nonAnswer, nonAnswerMessage } from "../../src/domain/non-answer.js";

describe("nonAnswer", () => {
  it.each([
    ["你好", "greeting"],
    ["您好！", "greeting"],
    ["hello", "greeting"],
    ["在吗？", "greeting"],
    ["谢谢", "greeting"],
    ["这个填啥？", "question"],
    ["这里填什么", "question"],
    ["怎么填", "question"],
    ["单位是填学院还是大学？", "question"],
    ["帮助", "question"],
    ["？", "question"],
    ["??", "question"],
    ["同上", "placeholder"],
    ["同上。", "placeholder"],
    ["不知道", "placeholder"],
    ["待定", "placeholder"],
    ["xxx", "placeholder"],
    ["某某学校", "placeholder"],
    ["测试", "placeholder"],
    ["哈哈哈", "placeholder"],
    ["。。。", "placeholder"],
    ["…", "placeholder"],
    ["-", "placeholder"],
    ["本人", "placeholder"],
    ["无", "none"],
    ["没有", "none"],
    ["暂无", "none"],
  ])("%s is a %s", (text, kind) => {
    expect(nonAnswer(text)?.kind).toBe(kind);
  });

  it.each(["新疆师范大学", "张三", "阿依古丽·买买提", "13912345678", "lisi@xjnu.edu.cn", "100", "一百人", "2025-03-01", "乌鲁木齐市第一小学、昌吉州实验小学", "十五天", "按指南 15天", "无锡师范学院"])(
    "%s is an answer",
    (text) => {
      expect(nonAnswer(text)).toBeUndefined();
    },
  );

  it("says what to type, by kind", () => {
    const help = "请填写单位全称，例如 新疆师范大学。";
    expect(nonAnswerMessage(nonAnswer("你好")!, "申报单位", help)).toBe(`您好！我们正在填写申报表，这一步需要申报单位。${help}`);
    expect(nonAnswerMessage(nonAnswer("同上")!, "联系人", help)).toContain("“同上”不能作为联系人保存。");
    expect(nonAnswerMessage(nonAnswer("这个填啥？")!, "协同单位", help)).toContain("这一步需要填写协同单位。");
    expect(nonAnswerMessage(nonAnswer("无")!, "联系人", help)).toContain("联系人为必填项");
  });
});
