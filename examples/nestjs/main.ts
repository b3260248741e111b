// NestJS: a controller that hands its webhook route to hookverify's Express middleware. Nest parses
// JSON for every route; `rawBody: true` makes it keep the exact bytes too (req.rawBody), which the
// middleware verifies. Run: `GITHUB_WEBHOOK_SECRET=... npx ts-node main.ts` (or compile with tsc).
import 'reflect-metadata';
import { Body, Controller, Module, Post, Req, Res } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { webhook } from 'hookverify/express';
import type { WebhookRequest, WebhookResponse } from 'hookverify/express';

const github = webhook({
  scheme: 'github',
  secret: process.env.GITHUB_WEBHOOK_SECRET ?? '',
  handlers: {
    issues: (event) => console.log('issue', event.type),
    '*': (event) => console.log('other', event.type),
  },
});

@Controller()
class AppController {
  @Post('webhooks/github')
  receive(@Req() req: WebhookRequest, @Res() res: WebhookResponse): Promise<void> {
    return github(req, res); // answers with hookverify's decision (202, 401, ...)
  }

  @Post('items')
  create(@Body() item: { name: string }): { created: string } {
    return { created: item.name }; // the other routes keep Nest's JSON parsing
  }
}

@Module({ controllers: [AppController] })
class AppModule {}

async function main(): Promise<void> {
  const app = await NestFactory.create(AppModule, { rawBody: true, logger: ['error', 'warn'] });
  const port = Number(process.env.PORT ?? 3000);
  await app.listen(port, '127.0.0.1');
  console.log(`listening on http://127.0.0.1:${port}/webhooks/github`);
}
main();
