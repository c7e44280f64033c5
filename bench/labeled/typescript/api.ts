import express, { Request, Response } from "express";
import axios from "axios";
import { Pool } from "pg";
import crypto from "crypto";

const router = express.Router();
const pool = new Pool();

router.get("/invoice", async (req: Request, res: Response) => {
  const id = req.query.id as string;
  // ruleid: sql-injection
  const result = await pool.query("SELECT * FROM invoices WHERE id = " + id);
  res.json(result.rows);
});

router.get("/invoice/safe", async (req: Request, res: Response) => {
  const id = req.query.id as string;
  // ok: parameter
  const result = await pool.query("SELECT * FROM invoices WHERE id = $1", [id]);
  res.json(result.rows);
});

router.get("/preview", async (req: Request, res: Response) => {
  const target = req.query.url as string;
  // ruleid: ssrf
  const page = await axios.get<string>(target);
  res.send(page.data.length.toString());
});

router.get("/welcome", (req: Request, res: Response) => {
  const name = req.query.name!.toString();
  // ruleid: xss
  res.send(`<p>Welcome ${name}</p>`);
});

router.get("/continue", (req: Request, res: Response) => {
  // ruleid: open-redirect
  res.redirect(req.query.returnTo as string);
});

router.get("/token", (_req: Request, res: Response) => {
  // ruleid: weak randomness for a token
  const token = Math.random().toString(36).slice(2);
  res.cookie("session", token, { httpOnly: true, secure: true });
  res.end();
});

router.get("/token/safe", (_req: Request, res: Response) => {
  // ok: CSPRNG
  const token = crypto.randomBytes(32).toString("hex");
  res.cookie("session", token, { httpOnly: true, secure: true });
  res.end();
});

export function checksum(data: Buffer): string {
  // ruleid: weak hash
  return crypto.createHash("md5").update(data).digest("hex");
}

export default router;
