import AxeBuilder from "@axe-core/playwright";
import { createHmac } from "node:crypto";
import { test, expect, shot, jsOn, type Page } from "./fixtures";

const DEMO = "Demo@2026";
const CHANGED = "Qingshan-2026!";

/** One demo account per browser project, so projects running at once never share one. */
const accountFor: Record<string, { user: string; name: string; staffList: boolean }> = {
  "desktop-js": { user: "zhangwei", name: "张伟", staffList: true },
  "desktop-nojs": { user: "liuyang", name: "刘洋", staffList: true },
  "phone-js": { user: "lina", name: "李娜", staffList: true },
  "phone-nojs": { user: "chenjing", name: "陈静", staffList: true },
  "phone-nowasm": { user: "wangfang", name: "王芳", staffList: true },
  wechat: { user: "zhaolei", name: "赵磊", staffList: false },
};

async function signIn(page: Page, user: string, password: string) {
  await page.goto("/login");
  await page.getByLabel("用户名").fill(user);
  await page.getByLabel("密码", { exact: true }).fill(password);
  await page.getByRole("button", { name: "登录" }).click();
}

/** RFC 6238 code of a base32 secret, as an authenticator app computes it. */
function totp(base32: string, at = Date.now()): string {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  let bits = "";
  for (const c of base32.replace(/\s+/g, "")) bits += alphabet.indexOf(c).toString(2).padStart(5, "0");
  const key = Buffer.from(bits.match(/.{8}/g)!.map((b) => parseInt(b, 2)));
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(at / 1000 / 30)));
  const h = createHmac("sha1", key).update(counter).digest();
  const o = h[h.length - 1] & 0xf;
  const n = ((h[o] & 0x7f) << 24) | (h[o + 1] << 16) | (h[o + 2] << 8) | h[o + 3];
  return String(n % 1_000_000).padStart(6, "0");
}

/** Administrators set up their second factor right after the password. */
async function setUpTotp(page: Page, info: import("@playwright/test").TestInfo) {
  await expect(page).toHaveURL(/\/account\/totp$/);
  await expect(page.getByText("管理员账号必须使用动态口令")).toBeVisible();
  await shot(page, info, "totp-1-set-up");
  const secret = (await page.locator("#totp-secret").textContent())!;
  await page.getByLabel("动态口令").fill(totp(secret));
  await page.getByRole("button", { name: "完成绑定" }).click();
  await expect(page).toHaveURL(/\/admin\?done=totp$/);
  return secret;
}

async function changePassword(page: Page, from: string, to: string) {
  await page.getByLabel("当前密码").fill(from);
  await page.getByLabel("新密码", { exact: true }).fill(to);
  await page.getByLabel("确认新密码").fill(to);
  await page.getByRole("button", { name: "保存新密码" }).click();
}

test("staff sign in, must replace the initial password, then use the console", async ({ page }, info) => {
  const me = accountFor[info.project.name];
  // A wrong password: one message, the user name kept, the password not.
  await signIn(page, me.user, "Wrong-2026");
  await expect(page.getByRole("alert")).toContainText("用户名、密码或动态口令错误");
  await expect(page.getByLabel("用户名")).toHaveValue(me.user);
  await expect(page.getByLabel("密码", { exact: true })).toHaveValue("");
  await shot(page, info, "staff-1-wrong-password");

  await signIn(page, me.user, DEMO);
  await expect(page).toHaveURL(/\/account\/password$/);
  await expect(page.getByText("这是初始密码")).toBeVisible();
  await shot(page, info, "staff-2-forced-change");
  // Too weak: the message next to the field.
  await changePassword(page, DEMO, "weakpassword");
  await expect(page.locator("#new_password-error")).toContainText("至少 3 类");
  await shot(page, info, "staff-3-weak-password");
  await changePassword(page, DEMO, CHANGED);
  await expect(page).toHaveURL(/\/admin\?done=password$/);
  await expect(page.getByRole("heading", { level: 1, name: "工作台" })).toBeVisible();
  await expect(page.getByRole("banner")).toContainText(me.name);
  await shot(page, info, "staff-4-console");

  if (me.staffList) {
    await page.getByRole("navigation", { name: "工作台导航" }).getByRole("link", { name: "人员账号" }).click();
    await expect(page.getByRole("heading", { level: 1, name: "人员账号" })).toBeVisible();
    await expect(page.getByRole("cell", { name: me.user })).toBeVisible();
    await shot(page, info, "staff-5-staff-list");
  }
  if (jsOn(info)) {
    const result = await new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]).analyze();
    expect(result.violations.map((v) => `${v.id}: ${v.help}`)).toEqual([]);
  }
  await page.getByRole("banner").getByRole("button", { name: "退出登录" }).click();
  await expect(page).toHaveURL(/\/login\?signed_out=1$/);
  await page.goto("/admin");
  await expect(page).toHaveURL(/\/login\?next=\/admin$/);
});

test("the system administrator creates an account and the colleague signs in with it", async ({ page, browser }, info) => {
  test.skip(info.project.name !== "desktop-nojs", "one administrator journey, without JavaScript");
  await signIn(page, "sysadmin", DEMO);
  await changePassword(page, DEMO, CHANGED);
  await setUpTotp(page, info);
  await page.goto("/admin/staff/new");
  // The browser checks required fields itself; the server checks the rules.
  await page.getByLabel("用户名").fill("Sun Li");
  await page.getByLabel("姓名").fill("孙丽");
  await page.getByLabel("所属部门").selectOption({ index: 5 });
  await page.getByRole("button", { name: "创建账号" }).click();
  await expect(page.locator(".error-summary")).toContainText("用户名为 3–32 位小写字母");
  await expect(page.getByLabel("姓名")).toHaveValue("孙丽");
  await shot(page, info, "admin-1-create-errors");
  await page.getByLabel("用户名").fill("sunli");
  await page.getByLabel("姓名").fill("孙丽");
  await page.getByLabel("所属部门").selectOption({ index: 5 });
  await page.getByRole("button", { name: "创建账号" }).click();
  await expect(page.getByText("初始密码（仅显示这一次）")).toBeVisible();
  const initial = (await page.locator(".secret-value").textContent())!.trim();
  await shot(page, info, "admin-2-created");

  // The organisation: add a department under the county government.
  await page.goto("/admin/departments");
  await page.getByLabel("上级部门").selectOption({ label: "　　青山县人民政府" });
  await page.getByLabel("代码").fill("QS-TJJ");
  await page.getByLabel("名称", { exact: true }).fill("青山县统计局");
  await page.getByRole("button", { name: "添加部门" }).click();
  await expect(page.getByText("部门已添加")).toBeVisible();
  await expect(page.locator("ul.tree")).toContainText("青山县统计局");
  await shot(page, info, "admin-3-departments");

  const colleague = await browser.newContext({ javaScriptEnabled: false, locale: "zh-CN" });
  const p2 = await colleague.newPage();
  await signIn(p2, "sunli", initial);
  await expect(p2).toHaveURL(/\/account\/password$/);
  await colleague.close();
});

test("the auditor searches, verifies and exports the audit trail", async ({ page }, info) => {
  test.skip(info.project.name !== "phone-nojs", "one auditor journey, on a phone without JavaScript");
  await signIn(page, "auditor", DEMO);
  await changePassword(page, DEMO, CHANGED);
  const secret = await setUpTotp(page, info);
  // Signing in again now needs the code as well.
  await page.getByRole("banner").getByRole("button", { name: "退出登录" }).click();
  await signIn(page, "auditor", CHANGED);
  await expect(page.getByRole("alert")).toContainText("动态口令错误");
  await page.getByLabel("密码", { exact: true }).fill(CHANGED);
  await page.getByLabel("动态口令").fill(totp(secret, Date.now() + 30_000));
  await page.getByRole("button", { name: "登录" }).click();
  await expect(page).toHaveURL(/\/admin$/);
  await page.goto("/admin/audit");
  await expect(page.getByRole("heading", { level: 1, name: "审计记录" })).toBeVisible();
  await page.getByLabel("动作（前缀，如 staff.）").fill("auth.");
  await page.getByRole("button", { name: "查询" }).click();
  await expect(page.locator("table.audit tbody tr").first()).toContainText("auth.");
  await shot(page, info, "audit-1-search");
  await page.getByRole("button", { name: "校验审计链" }).click();
  await expect(page.getByRole("status")).toContainText("审计链完整");
  await shot(page, info, "audit-2-verified");
  const [download] = await Promise.all([page.waitForEvent("download"), page.getByRole("link", { name: "导出 CSV" }).click()]);
  expect(download.suggestedFilename()).toMatch(/^audit-\d{8}-\d{6}\.csv$/);
});

test("the security administrator creates a role within one duty", async ({ page }, info) => {
  test.skip(info.project.name !== "phone-js", "one security-administrator journey");
  await signIn(page, "secadmin", DEMO);
  await changePassword(page, DEMO, CHANGED);
  await setUpTotp(page, info);
  await page.goto("/admin/roles/new");
  await page.getByLabel("代码").fill("street_clerk");
  await page.getByLabel("名称").fill("街道受理人员");
  await page.getByLabel(/查看数据范围内的人员/).check();
  await page.getByLabel(/查阅审计记录/).check();
  await page.getByRole("button", { name: "保存角色" }).click();
  await expect(page.getByRole("status")).toContainText("三员分立");
  await expect(page.getByLabel("名称")).toHaveValue("街道受理人员");
  await shot(page, info, "secadmin-1-separation");
  await page.getByLabel(/查阅审计记录/).uncheck();
  await page.getByRole("button", { name: "保存角色" }).click();
  await expect(page).toHaveURL(/\/admin\/roles\?done=role$/);
  await expect(page.getByRole("cell", { name: /街道受理人员/ })).toBeVisible();
  await shot(page, info, "secadmin-2-roles");
  const result = await new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]).analyze();
  expect(result.violations.map((v) => `${v.id}: ${v.help}`)).toEqual([]);
});
