import AxeBuilder from "@axe-core/playwright";
import { test, expect, shot, jsOn, islandsAwake, checkHtml, onPhone, type Page } from "./fixtures";

// Find a service, read its guide, sign in, fill the form with an attachment, save a draft,
// resume it, submit, see the receipt, track the case (own list and public look-up); in two
// projects also a supplement request answered and resubmitted. Every project runs it: JS on
// and off, no WebAssembly, phone and desktop, WeChat.

const phones: Record<string, string> = {
  "desktop-js": "13900000011",
  "desktop-nojs": "13900000012",
  "phone-js": "13900000013",
  "phone-nojs": "13900000014",
  "phone-nowasm": "13900000015",
  wechat: "13900000016",
};

const ids: Record<string, string> = {
  "desktop-js": "110102198001010017",
  "desktop-nojs": "110102198505050020",
  "phone-js": "110102199009090036",
  "phone-nojs": "110102197511110048",
  "phone-nowasm": "110102199503030055",
  wechat: "110102200107070069",
};

/** 人社局 reviewers used only here, one per project that runs the supplement and decision steps. */
const reviewers: Record<string, string> = { "desktop-js": "xuqing", "phone-nojs": "hewei" };
const reviewerNames: Record<string, string> = { xuqing: "徐青", hewei: "何伟" };

const pdf = (text: string) => ({ name: "解除劳动合同证明.pdf", mimeType: "application/pdf", buffer: Buffer.from(`%PDF-1.7\n% ${text}\n`) });

async function citizenSignIn(page: Page, request: import("@playwright/test").APIRequestContext, phone: string) {
  await page.getByLabel("手机号码").fill(phone);
  await page.getByRole("button", { name: "获取验证码" }).click();
  await expect(page.getByText("验证码已发送至")).toBeVisible();
  const code = await (await request.get(`${process.env.SMS_GATEWAY_URL}/code?phone=${phone}`)).text();
  await page.getByLabel("短信验证码").fill(code);
  await page.getByRole("button", { name: "登录" }).click();
  // The first sign-in asks for the user agreement and the privacy policy.
  await page.getByLabel(/我已阅读并同意/).check();
  await page.getByRole("button", { name: "同意并继续" }).click();
}

async function staffSignIn(page: Page, user: string) {
  await page.goto("/login");
  await page.getByLabel("用户名").fill(user);
  await page.getByLabel("密码", { exact: true }).fill("Demo@2026");
  await page.getByRole("button", { name: "登录" }).click();
  await expect(page).toHaveURL(/\/account\/password$/);
  await page.getByLabel("当前密码").fill("Demo@2026");
  await page.getByLabel("新密码", { exact: true }).fill("Qingshan-2026!");
  await page.getByLabel("确认新密码").fill("Qingshan-2026!");
  await page.getByRole("button", { name: "保存新密码" }).click();
  await expect(page).toHaveURL(/\/admin/);
}

test("a citizen finds a service, applies online with an attachment and tracks the case", async ({ page, request, browser }, info) => {
  test.setTimeout(120_000); // a long journey; desktop-js also runs the HTML checker on three pages
  const phone = phones[info.project.name];
  const id = ids[info.project.name];
  const xhrPosts: string[] = [];
  page.on("request", (r) => {
    if (r.resourceType() === "xhr" && r.method() === "POST") xhrPosts.push(r.url());
  });
  // Find the service by theme and read the guide.
  await page.goto("/");
  // Phones: the bottom tab bar; wide screens: the main navigation.
  if (onPhone(info)) await page.getByRole("navigation", { name: "快捷导航" }).getByRole("link", { name: "办事" }).click();
  else await page.getByRole("navigation", { name: "主导航" }).getByRole("link", { name: "办事服务" }).click();
  await page.getByRole("link", { name: /^失业保险 \(\d+\)$/ }).click();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("办事服务 · 失业保险");
  await shot(page, info, "services-1-catalogue");
  await page.getByRole("link", { name: "失业保险金申领" }).click();
  await expect(page.getByRole("heading", { name: "申请材料" })).toBeVisible();
  await expect(page.getByRole("main")).toContainText("3 个工作日");
  await shot(page, info, "services-2-guide");
  // Apply: sign in first, then back to the form.
  await page.getByRole("link", { name: "在线办理" }).click();
  await expect(page).toHaveURL(/\/my\/login\?next=/);
  await citizenSignIn(page, request, phone);
  await expect(page).toHaveURL(/\/my\/apply\/QS-RS-0005$/);
  await expect(page.getByText("提交申请前需要完成实名登记")).toBeVisible();
  // What was typed survives the detour through real-name registration.
  await page.getByLabel("原工作单位").fill("青山县某某机械厂");
  await page.getByRole("button", { name: "保存并去实名登记" }).click();
  await expect(page).toHaveURL(/\/my\/real-name\?next=/);
  await page.getByLabel("姓名", { exact: true }).fill("王小明");
  await page.getByLabel("居民身份证号码", { exact: true }).fill(id);
  await page.getByLabel("我同意处理我的姓名和居民身份证号码").check();
  await page.getByRole("button", { name: "保存并返回申请" }).click();
  await expect(page).toHaveURL(/\/my\/apply\/QS-RS-0005\?case=\d+&from=real_name$/);
  await expect(page.getByText("已返回您的申请")).toBeVisible();
  await expect(page.getByLabel("原工作单位")).toHaveValue("青山县某某机械厂");
  await expect(page.getByLabel("公民身份号码")).toHaveValue(id);
  await expect(page.getByLabel("联系电话")).toHaveValue(phone);
  if (islandsAwake(info)) {
    // With JavaScript: a message as soon as a field is left wrong, gone once it is right.
    await page.locator("leptos-island .upload-progress[data-ready=true]").waitFor({ state: "attached" });
    await page.getByLabel("联系电话").fill("138");
    await page.getByLabel("原工作单位").focus();
    await expect(page.locator("#f-mobile-inline")).toHaveText("联系电话请填写 11 位手机号码");
    await shot(page, info, "services-4a-inline");
    await page.getByLabel("联系电话").fill(phone);
    await page.getByLabel("原工作单位").focus();
    await expect(page.locator("#f-mobile-inline")).toHaveCount(0);
  }
  if (info.project.name === "desktop-js") await checkHtml(page, info, "application-form", new URL(page.url()).pathname + new URL(page.url()).search);
  // Half the form, saved as a draft.
  await page.getByRole("button", { name: "保存草稿" }).click();
  await expect(page.getByText("草稿已保存")).toBeVisible();
  // Resume from my cases.
  await page.goto("/my/cases");
  await expect(page.getByRole("main")).toContainText("草稿");
  await shot(page, info, "services-3-my-draft");
  await page.getByRole("link", { name: "失业保险金申领" }).click();
  await expect(page.getByLabel("原工作单位")).toHaveValue("青山县某某机械厂");
  // Going on with an incomplete form: messages next to the fields, input kept.
  await page.getByRole("button", { name: "下一步：核对填写内容" }).click();
  await expect(page.locator(".error-summary")).toContainText("请上传解除或终止劳动关系证明");
  await expect(page.locator("#f-leave_reason-error")).toContainText("请选择失业原因");
  await expect(page.getByLabel("原工作单位")).toHaveValue("青山县某某机械厂");
  await shot(page, info, "services-4-errors");
  // Complete it, with the attachment, and submit.
  await page.getByLabel("解除（终止）劳动关系日期").fill("2026-11-02");
  await page.getByLabel("失业原因").selectOption("劳动合同期满");
  await page.getByLabel("职业培训").check();
  await page.getByLabel("解除或终止劳动关系证明").setInputFiles(pdf(info.project.name));
  await shot(page, info, "services-5-form");
  await page.getByRole("button", { name: "下一步：核对填写内容" }).click();
  await expect(page.getByRole("heading", { name: "请核对填写内容" })).toBeVisible();
  await expect(page.getByRole("main")).toContainText("劳动合同期满");
  await shot(page, info, "services-5b-review");
  // With the island awake, the files went up by XMLHttpRequest (with progress); without, as a plain post.
  expect(xhrPosts.some((u) => u.includes("/my/apply/"))).toBe(islandsAwake(info));
  // The 承诺书 first: without it the review page comes back with the message there.
  await page.getByLabel("本人已阅读并承诺以上内容").check();
  await page.getByRole("button", { name: "确认提交" }).click();
  await expect(page.getByRole("heading", { name: "申请已提交" })).toBeVisible();
  const trackingNo = (await page.locator(".tracking-no").textContent())!.trim();
  expect(trackingNo).toMatch(/^QSRSJ-\d{8}-\d{5}$/);
  await expect(page.getByRole("main")).toContainText("解除劳动合同证明.pdf");
  await shot(page, info, "services-6-receipt");
  if (jsOn(info)) {
    const result = await new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]).analyze();
    expect(result.violations.map((v) => `${v.id}: ${v.help}`)).toEqual([]);
  }
  // Track: my cases, and the public look-up in a fresh browser (not signed in).
  await page.goto("/my/cases");
  await expect(page.getByRole("main")).toContainText(trackingNo);
  await expect(page.getByRole("main")).toContainText("待受理");
  const anon = await browser.newContext({ javaScriptEnabled: jsOn(info), locale: "zh-CN" });
  const lookup = await anon.newPage();
  await lookup.goto(`${info.project.use.baseURL}/cases/lookup`);
  await lookup.getByLabel("办件编号").fill(trackingNo);
  await lookup.getByLabel("号码后四位").fill("9999");
  await lookup.getByRole("button", { name: "查询" }).click();
  await expect(lookup.getByText("没有找到与办件编号和号码后四位相符的办件")).toBeVisible();
  await lookup.getByLabel("号码后四位").fill(phone.slice(-4));
  await lookup.getByRole("button", { name: "查询" }).click();
  await expect(lookup.getByRole("heading", { name: "查询结果" })).toBeVisible();
  await expect(lookup.getByRole("main")).toContainText("提交申请");
  await lookup.screenshot({ path: `${__dirname}/../artifacts/${info.project.name}/services-7-lookup.png`, fullPage: true });
  await anon.close();

  // The supplement step, in two projects (one reviewer each).
  const reviewer = reviewers[info.project.name];
  if (!reviewer) return;
  const staffCtx = await browser.newContext({ javaScriptEnabled: jsOn(info), locale: "zh-CN", baseURL: info.project.use.baseURL });
  const staff = await staffCtx.newPage();
  await staffSignIn(staff, reviewer);
  await staff.goto("/admin/cases");
  await staff.getByRole("link", { name: trackingNo }).click();
  await expect(staff.getByRole("main")).toContainText(id);
  await expect(staff.getByRole("main")).toContainText("当前环节 受理");
  // The actions sit in collapsed sections (<details>: no JavaScript needed to open them).
  await staff.getByText("要求补正（一次性告知）").click();
  await staff.getByLabel("补正说明").fill("解除劳动合同证明不清晰，请上传清晰的扫描件");
  await staff.getByLabel("附件：解除或终止劳动关系证明").check();
  await staff.screenshot({ path: `${__dirname}/../artifacts/${info.project.name}/services-8-staff-case.png`, fullPage: true });
  if (info.project.name === "desktop-js") await checkHtml(staff, info, "staff-case", new URL(staff.url()).pathname);
  await staff.getByRole("button", { name: "发送补正通知" }).click();
  await expect(staff.getByText("已通知申请人补正")).toBeVisible();
  // The citizen answers it.
  await page.goto("/my/cases");
  await expect(page.getByRole("main")).toContainText("需要补正材料");
  await page.getByRole("link", { name: "失业保险金申领" }).click();
  await expect(page.locator(".notice")).toContainText("解除劳动合同证明不清晰");
  await page.getByRole("link", { name: "去补正" }).click();
  await expect(page.getByText("需要补正", { exact: true })).toBeVisible();
  await page.getByLabel("删除此文件").check();
  await page.getByLabel("解除或终止劳动关系证明").setInputFiles({ ...pdf("clear"), name: "清晰扫描件.pdf" });
  await shot(page, info, "services-9-supplement");
  await page.getByRole("button", { name: "下一步：核对填写内容" }).click();
  await page.getByLabel("本人已阅读并承诺以上内容").check();
  await page.getByRole("button", { name: "确认重新提交" }).click();
  await expect(page.getByRole("heading", { name: "申请已提交" })).toBeVisible();
  await expect(page.locator(".tracking-no")).toHaveText(trackingNo);
  await expect(page.getByRole("main")).toContainText("补正后重新提交");
  await expect(page.getByRole("main")).toContainText("清晰扫描件.pdf");
  await expect(page.getByRole("main")).not.toContainText("解除劳动合同证明.pdf");
  await shot(page, info, "services-10-resubmitted");

  // The reviewer finds it in the inbox, accepts it (choosing themself for the decision) and
  // approves it; the citizen sees the case concluded.
  await staff.goto("/admin/inbox");
  await expect(staff.getByRole("heading", { level: 1, name: "待办" })).toBeVisible();
  await expect(staff.getByRole("main")).toContainText(trackingNo);
  await expect(staff.getByRole("main")).toContainText("待受理");
  await staff.screenshot({ path: `${__dirname}/../artifacts/${info.project.name}/workflow-1-inbox.png`, fullPage: true });
  if (info.project.name === "desktop-js") await checkHtml(staff, info, "staff-inbox", "/admin/inbox");
  await staff.getByRole("link", { name: trackingNo }).click();
  const me = await staff.locator("#choose option", { hasText: reviewerNames[reviewer] }).getAttribute("value");
  await staff.locator("#choose").selectOption(me!);
  // Acceptance is 受理 (the decision after it is 同意).
  await staff.getByRole("button", { name: "受理", exact: true }).click();
  await expect(staff.getByText("已提交审批意见")).toBeVisible();
  await expect(staff.getByRole("main")).toContainText("当前环节 审查决定");
  await expect(staff.getByRole("main")).toContainText("剩余 3 天");
  await staff.screenshot({ path: `${__dirname}/../artifacts/${info.project.name}/workflow-2-accepted.png`, fullPage: true });
  // A reason too short comes back in its own form: the message next to the field, the field
  // marked invalid, the form's summary linking to it; the other forms stay closed.
  await staff.getByText("不予通过", { exact: true }).first().click();
  await staff.getByLabel("理由（申请人可见，2–500 字）").fill("否");
  await staff.getByRole("button", { name: "不予通过", exact: true }).click();
  const reason = staff.getByLabel("理由（申请人可见，2–500 字）");
  await expect(reason).toHaveAttribute("aria-invalid", "true");
  await expect(reason).toHaveValue("否");
  await expect(staff.getByRole("link", { name: /理由：请填写不予通过的理由/ })).toBeVisible();
  await staff.screenshot({ path: `${__dirname}/../artifacts/${info.project.name}/workflow-2b-refused.png`, fullPage: true });
  await staff.getByLabel("审批意见（不填则用常用意见）").fill("经审查，符合失业保险金申领条件，同意。");
  await staff.getByRole("button", { name: "同意", exact: true }).click();
  await expect(staff.getByText("已提交审批意见")).toBeVisible();
  await expect(staff.getByRole("main")).toContainText("已办结（准予）");
  await staff.goto("/admin/done");
  await expect(staff.getByRole("main")).toContainText(trackingNo);
  await staffCtx.close();
  await page.goto("/my/cases");
  await expect(page.getByRole("main")).toContainText("已办结（准予）");
  await page.getByRole("link", { name: "失业保险金申领" }).click();
  await expect(page.getByRole("main")).toContainText("受理");
  await expect(page.getByRole("main")).toContainText("经审查，符合失业保险金申领条件，同意。");
  await expect(page.getByRole("main")).not.toContainText(reviewer);
  await shot(page, info, "workflow-3-citizen-concluded");
});
