import { Body, Controller, Get, Param, Post, Query, Res } from "@nestjs/common";
import { InjectDataSource } from "@nestjs/typeorm";
import { exec } from "child_process";
import * as fs from "fs";
import * as jwt from "jsonwebtoken";
import { Response } from "express";
import { DataSource } from "typeorm";

@Controller("users")
export class UsersController {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  @Get("search")
  async search(@Query("name") name: string) {
    // ruleid: sql-injection
    return this.dataSource.query(`SELECT * FROM users WHERE name = '${name}'`);
  }

  @Get("search/safe")
  async searchSafe(@Query("name") name: string) {
    // ok: parameter
    return this.dataSource.query("SELECT * FROM users WHERE name = $1", [name]);
  }

  @Get(":id/orders")
  async orders(@Param("id") id: string) {
    // ruleid: sql-injection through the query builder
    return this.dataSource.createQueryBuilder().select("o").from("orders", "o").where("o.user_id = " + id).getMany();
  }

  @Post("export")
  exportData(@Body() body: { format: string }) {
    // ruleid: command-injection
    exec("export-tool --format " + body.format, () => undefined);
    return { started: true };
  }

  @Get("avatar/:file")
  avatar(@Param("file") file: string, @Res() res: Response) {
    // ruleid: path-traversal
    const data = fs.readFileSync("/srv/avatars/" + file);
    res.type("png").send(data);
  }

  @Post("session")
  session(@Body("token") token: string) {
    // ruleid: auth-bypass, no algorithms pinned and the key is a literal
    return jwt.verify(token, "dev-secret");
  }
}
