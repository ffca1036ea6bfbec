// A stand-in for the government SMS gateway during end-to-end tests: Zhengwu POSTs
// {"phone","code","template"} to /send; tests read the last code for a number from /code.
const http = require("node:http");
const port = Number(process.env.SMS_GATEWAY_PORT ?? 3112);
const last = new Map();
http
  .createServer((req, res) => {
    const url = new URL(req.url, "http://x");
    if (req.method === "POST" && url.pathname === "/send") {
      let body = "";
      req.on("data", (c) => (body += c));
      req.on("end", () => {
        try {
          const msg = JSON.parse(body);
          last.set(msg.phone, msg.code);
          res.writeHead(200).end("{}");
        } catch {
          res.writeHead(400).end();
        }
      });
    } else if (url.pathname === "/code") {
      const code = last.get(url.searchParams.get("phone"));
      res.writeHead(code ? 200 : 404).end(code ?? "");
    } else if (url.pathname === "/health") {
      res.writeHead(200).end("ok");
    } else {
      res.writeHead(404).end();
    }
  })
  .listen(port, "127.0.0.1");
