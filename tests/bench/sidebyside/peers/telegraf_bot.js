// telegraf_bot.js — the telegraf peer of the side-by-side benchmark: long
// polling against FAKE_TG_URL, every message stored (store.js), answered in
// the thread (a reply to the message).
'use strict';
const { Telegraf } = require('telegraf');
const { openStore } = require('./store');

const store = openStore(process.env.PEER_DB || 'telegraf.db');
const bot = new Telegraf(process.env.PEER_TOKEN || '123:ABC',
  { telegram: { apiRoot: process.env.FAKE_TG_URL } });

bot.on('message', async (ctx) => {
  const m = ctx.message;
  store.save(m);
  await ctx.reply('Noted.', { reply_parameters: { message_id: m.message_id } });
});

bot.launch().catch((e) => { console.error('telegraf:', e); process.exit(1); });
process.once('SIGTERM', () => { bot.stop('SIGTERM'); store.close(); });
process.once('SIGINT', () => { bot.stop('SIGINT'); store.close(); });
