// store.js — the durable message store both peer bots share: every message
// in SQLite through better-sqlite3, WAL journal with synchronous=NORMAL (the
// same settings XIO's store uses), one INSERT (its own transaction) per
// message before the bot answers.
'use strict';
const Database = require('better-sqlite3');

function openStore(path) {
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.exec(`CREATE TABLE IF NOT EXISTS messages (
    chat_id INTEGER NOT NULL, message_id INTEGER NOT NULL,
    user_id INTEGER, text TEXT, date INTEGER,
    PRIMARY KEY (chat_id, message_id))`);
  const ins = db.prepare('INSERT OR IGNORE INTO messages VALUES (?, ?, ?, ?, ?)');
  return {
    save(m) {
      ins.run(m.chat.id, m.message_id, m.from ? m.from.id : null, m.text || '', m.date);
    },
    close() { db.close(); },
  };
}

module.exports = { openStore };
