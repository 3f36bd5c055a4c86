// grammy_bot.js — the grammY peer of the side-by-side benchmark, with
// @grammyjs/runner (concurrent update processing): long polling against
// FAKE_TG_URL, every message stored (store.js), answered in the thread (a
// reply to the message).
'use strict';
const { Bot } = require('grammy');
const { run } = require('@grammyjs/runner');
const { openStore } = require('./store');

const store = openStore(process.env.PEER_DB || 'grammy.db');
const bot = new Bot(process.env.PEER_TOKEN || '123:ABC',
  { client: { apiRoot: process.env.FAKE_TG_URL } });

bot.on('message', async (ctx) => {
  const m = ctx.message;
  store.save(m);
  await ctx.reply('Noted.', { reply_parameters: { message_id: m.message_id } });
});
bot.catch((e) => console.error('grammy:', e.error || e));

const runner = run(bot);
async function stop() {
  if (runner.isRunning())
    await runner.stop();
  store.close();
}
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
