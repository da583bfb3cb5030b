/**
 * A child process for the PGlite durability kill test: opens the PGlite
 * adapter on DATA_DIR and commits rows asynchronously, printing
 * `acked <way> <n>` after each commit returns.
 *   loop:  statement and transaction ways, alternately, until killed;
 *   quiet: N commits made asynchronous inside a function (no statement text
 *          shows it), then `done`, then idle until killed.
 */
import { loadConfig } from '../config.js'
import { openPglite } from '../db/pglite.js'

const config = loadConfig()
const db = await openPglite(config.dataDir)
await db.exec(`
  CREATE TABLE IF NOT EXISTS acks (way text NOT NULL, n int NOT NULL, PRIMARY KEY (way, n));
  -- A commit made asynchronous where no calling statement shows it: only the safety net sees it.
  CREATE OR REPLACE FUNCTION ack_quietly(w text, i int) RETURNS void LANGUAGE plpgsql AS $$
  BEGIN
    PERFORM set_config('synchronous_commit', 'off', true);
    INSERT INTO acks VALUES (w, i);
  END $$;
`)
const say = (line: string) => process.stdout.write(`${line}\n`)
say('ready')
if (process.argv[2] === 'quiet') {
  for (let n = 1; n <= 20; n++) {
    await db.query('SELECT ack_quietly($1, $2)', ['function', n])
    say(`acked function ${n}`)
  }
  say('done')
  setInterval(() => undefined, 60_000)
} else
  for (let n = 1; ; n++) {
    // As the jobs worker completes: one statement, transaction-local setting.
    await db.query(
      "INSERT INTO acks SELECT 'statement', $1 FROM (SELECT set_config('synchronous_commit', 'off', true)) c",
      [n],
    )
    say(`acked statement ${n}`)
    await db.tx(async (tx) => {
      await tx.exec('SET LOCAL synchronous_commit = off')
      await tx.query("INSERT INTO acks VALUES ('transaction', $1)", [n])
    })
    say(`acked transaction ${n}`)
  }
