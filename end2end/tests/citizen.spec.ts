import AxeBuilder from "@axe-core/playwright";
import { test, expect, shot, jsOn, onPhone } from "./fixtures";

/** A different mobile number per browser project (they run at the same time). */
const phones: Record<string, string> = {
  "desktop-js": "13800000001",
  "desktop-nojs": "13800000002",
  "phone-js": "13800000003",
  "phone-nojs": "13800000004",
  "phone-nowasm": "13800000005",
  wechat: "13800000006",
};

/** A valid identity number per project (check characters computed per GB 11643). */
const ids: Record<string, string> = {
  "desktop-js": "11010519491231002X",
  "desktop-nojs": "110101199003070011",
  "phone-js": "110101200002290018",
  "phone-nojs": "440106198001010019",
  "phone-nowasm": "320102197503150014",
  wechat: "510104198812120014",
};

test("a citizen signs in with an SMS code and registers their real name", async ({ page, request }, info) => {
  const phone = phones[info.project.name];
  await page.goto("/my");
  await expect(page).toHaveURL(/\/my\/login\?next=\/my$/);
  await page.goto("/");
  // Sign in: from the header on wide screens, from the tab bar's 我的 on phones.
  if (onPhone(info)) await page.getByRole("navigation", { name: "快捷导航" }).getByRole("link", { name: "我的" }).click();
  else await page.getByRole("banner").getByRole("link", { name: "个人登录" }).click();
  await expect(page).toHaveURL(/\/my\/login$/);
  await page.getByLabel("手机号码").fill("123");
  await page.getByRole("button", { name: "获取验证码" }).click();
  await expect(page.locator("#phone-error")).toContainText("11 位手机号码");
  await page.getByLabel("手机号码").fill(phone);
  await page.getByRole("button", { name: "获取验证码" }).click();
  await expect(page.getByText("验证码已发送至")).toBeVisible();
  await shot(page, info, "citizen-1-code");
  const code = await (await request.get(`${process.env.SMS_GATEWAY_URL}/code?phone=${phone}`)).text();
  expect(code).toMatch(/^\d{6}$/);
  await page.getByLabel("短信验证码").fill(code);
  await page.getByRole("button", { name: "登录" }).click();
  // First the user agreement and the privacy policy (个人信息保护法): the box must be ticked.
  await expect(page).toHaveURL(/\/my\/consent\?next=/);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("欢迎使用，请先阅读");
  await shot(page, info, "citizen-1b-consent");
  await page.getByRole("button", { name: "同意并继续" }).click();
  await expect(page.getByText("请阅读后勾选")).toBeVisible();
  await page.getByLabel(/我已阅读并同意/).check();
  await page.getByRole("button", { name: "同意并继续" }).click();
  await expect(page).toHaveURL(/\/my$/);
  await expect(page.getByRole("main")).toContainText(phone.slice(0, 3) + "****" + phone.slice(7));
  await page.goto("/");
  // 我的: in the header on wide screens, in the bottom tab bar on phones.
  if (onPhone(info)) await page.getByRole("navigation", { name: "快捷导航" }).getByRole("link", { name: "我的" }).click();
  else await page.getByRole("banner").getByRole("link", { name: "我的" }).click();
  await expect(page).toHaveURL(/\/my$/);

  // 我的 is the hub: cases, drafts, real-name data.
  await expect(page.getByRole("link", { name: /我的办件/ })).toBeVisible();
  await expect(page.getByRole("link", { name: /草稿/ })).toBeVisible();
  await page.getByRole("link", { name: "去实名登记" }).click();
  await expect(page).toHaveURL(/\/my\/real-name$/);
  const id = ids[info.project.name];
  const wrong = id.slice(0, 17) + (id[17] === "0" ? "1" : "0");
  await page.getByLabel("姓名", { exact: true }).fill("王小明");
  await page.getByLabel("居民身份证号码", { exact: true }).fill(wrong);
  await page.getByLabel("我同意处理我的姓名和居民身份证号码").check();
  await page.getByRole("button", { name: "保存" }).click();
  await expect(page.locator("#id_number-error")).toContainText("校验位不正确");
  await expect(page.getByLabel("姓名", { exact: true })).toHaveValue("王小明");
  await shot(page, info, "citizen-2-wrong-id");
  await page.getByLabel("居民身份证号码", { exact: true }).fill(id);
  // Still ticked after the form came back with the other message.
  await expect(page.getByLabel("我同意处理我的姓名和居民身份证号码")).toBeChecked();
  await page.getByRole("button", { name: "保存" }).click();
  await expect(page).toHaveURL(/\/my\?done=real_name$/);
  await expect(page.getByText("实名信息已保存")).toBeVisible();
  await expect(page.getByRole("main")).toContainText(id.slice(0, 6) + "********" + id.slice(14));
  await expect(page.getByRole("main")).not.toContainText(id);
  await shot(page, info, "citizen-3-registered");
  if (jsOn(info)) {
    const result = await new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]).analyze();
    expect(result.violations.map((v) => `${v.id}: ${v.help}`)).toEqual([]);
  }
  await page.getByRole("button", { name: "退出登录" }).click();
  await expect(page).toHaveURL(/\/$/);
});
