// End-to-end tests in Debian's Chromium (Playwright's own browser download is not used).
// Every journey runs with JavaScript on, with JavaScript off, and with JavaScript on but no
// WebAssembly (old WeChat WebViews, iOS Lockdown Mode), at phone and desktop widths, and in a
// WeChat in-app browser user agent.
import { defineConfig, devices } from "@playwright/test";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

const port = Number(process.env.ZHENGWU_E2E_PORT ?? 3111);
const smsPort = port + 1;
process.env.SMS_GATEWAY_URL = `http://127.0.0.1:${smsPort}`;
const bin = process.env.ZHENGWU_BIN ?? path.resolve(__dirname, "../target/debug/zhengwu");
const siteRoot = path.resolve(__dirname, "../target/site");
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "zhengwu-e2e-"));

const chromium = {
  executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
  args: [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
  ],
};

const phone = { viewport: { width: 375, height: 740 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 };
const desktop = { viewport: { width: 1280, height: 800 } };
// WeChat's in-app browser on Android (X5/XWEB core), as it announces itself.
const wechatUA =
  "Mozilla/5.0 (Linux; Android 12; V2134A Build/SP1A.210812.003; wv) AppleWebKit/537.36 (KHTML, like Gecko) " +
  "Version/4.0 Chrome/107.0.5304.141 Mobile Safari/537.36 XWEB/5127 MMWEBSDK/20230805 MMWEBID/1234 " +
  "MicroMessenger/8.0.42.2460(0x28002A35) WeChat/arm64 Weixin NetType/WIFI Language/zh_CN ABI/arm64";

export default defineConfig({
  testDir: "./tests",
  timeout: 30_000,
  expect: { timeout: 5_000 },
  fullyParallel: true,
  workers: 2,
  retries: 0,
  reporter: [["list"], ["json", { outputFile: "test-results/results.json" }]],
  use: {
    baseURL: `http://127.0.0.1:${port}`,
    locale: "zh-CN",
    timezoneId: "Asia/Shanghai",
    launchOptions: chromium,
    trace: "retain-on-failure",
  },
  projects: [
    { name: "desktop-js", use: { ...desktop, javaScriptEnabled: true } },
    { name: "desktop-nojs", use: { ...desktop, javaScriptEnabled: false } },
    { name: "phone-js", use: { ...phone, javaScriptEnabled: true } },
    { name: "phone-nojs", use: { ...phone, javaScriptEnabled: false } },
    { name: "phone-nowasm", use: { ...phone, javaScriptEnabled: true }, metadata: { noWasm: true } },
    { name: "wechat", use: { ...phone, javaScriptEnabled: true, userAgent: wechatUA } },
  ],
  webServer: [
    {
      command: `node sms-gateway.js`,
      url: `http://127.0.0.1:${smsPort}/health`,
      reuseExistingServer: false,
      env: { SMS_GATEWAY_PORT: String(smsPort) },
    },
    {
      command: `"${bin}" serve --addr 127.0.0.1:${port} --data-dir "${dataDir}" --site-root "${siteRoot}" --demo`,
      url: `http://127.0.0.1:${port}/readyz`,
      reuseExistingServer: false,
      timeout: 60_000,
      stdout: "ignore",
      stderr: "pipe",
      env: {
        ZHENGWU_LOG: "warn",
        ZHENGWU_SMS_PROVIDER: "http",
        ZHENGWU_SMS_HTTP_URL: `http://127.0.0.1:${smsPort}/send`,
        // Every browser project signs in from 127.0.0.1; the per-address limit has its own test.
        ZHENGWU_LOGIN_RATE_LIMIT: "1000",
        ZHENGWU_LOOKUP_RATE_LIMIT: "1000",
        // …and asks for SMS codes from that one address (the image challenge has its own test).
        ZHENGWU_SMS_CHALLENGE_AFTER: "1000",
      },
    },
  ],
});
