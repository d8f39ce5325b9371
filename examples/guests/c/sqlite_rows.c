/* A database workload on SQLite (built from its amalgamation, see build.sh):
 *
 *     sqlite_rows DB ROWS BATCH
 *
 * inserts ROWS rows into table `t` of the database file DB, BATCH rows per
 * transaction, then prints the table's row count and the result of
 * `PRAGMA integrity_check`. On WASI, SQLite locks with its "unix-dotfile"
 * VFS: a directory `DB.lock` created and removed around each transaction. */
#include <stdio.h>
#include <stdlib.h>
#include "sqlite3.h"

static sqlite3 *db;

static void fail(const char *what) {
  fprintf(stderr, "%s: %s\n", what, sqlite3_errmsg(db));
  exit(1);
}

static void exec(const char *sql) {
  if (sqlite3_exec(db, sql, 0, 0, 0) != SQLITE_OK) fail(sql);
}

int main(int argc, char **argv) {
  if (argc != 4) { fprintf(stderr, "usage: sqlite_rows DB ROWS BATCH\n"); return 2; }
  long rows = atol(argv[2]), batch = atol(argv[3]);
  if (rows < 0 || batch < 1) { fprintf(stderr, "bad ROWS or BATCH\n"); return 2; }
  if (sqlite3_open(argv[1], &db) != SQLITE_OK) fail("open");
  exec("CREATE TABLE IF NOT EXISTS t(k INTEGER PRIMARY KEY, v TEXT NOT NULL, n INTEGER)");
  sqlite3_stmt *insert;
  if (sqlite3_prepare_v2(db, "INSERT INTO t(v, n) VALUES(?1, ?2)", -1, &insert, 0) != SQLITE_OK)
    fail("prepare");
  for (long i = 0; i < rows; i++) {
    if (i % batch == 0) exec("BEGIN");
    char text[48];
    snprintf(text, sizeof text, "row %ld of %ld", i, rows);
    sqlite3_bind_text(insert, 1, text, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(insert, 2, i);
    if (sqlite3_step(insert) != SQLITE_DONE) fail("insert");
    sqlite3_reset(insert);
    if (i % batch == batch - 1 || i == rows - 1) exec("COMMIT");
  }
  sqlite3_finalize(insert);
  sqlite3_stmt *q;
  if (sqlite3_prepare_v2(db, "SELECT count(*), coalesce(sum(n), 0) FROM t", -1, &q, 0) != SQLITE_OK)
    fail("prepare");
  if (sqlite3_step(q) != SQLITE_ROW) fail("count");
  printf("rows: %lld, sum: %lld\n", sqlite3_column_int64(q, 0), sqlite3_column_int64(q, 1));
  sqlite3_finalize(q);
  if (sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &q, 0) != SQLITE_OK) fail("prepare");
  if (sqlite3_step(q) != SQLITE_ROW) fail("integrity_check");
  printf("integrity: %s\n", (const char *)sqlite3_column_text(q, 0));
  sqlite3_finalize(q);
  if (sqlite3_close(db) != SQLITE_OK) fail("close");
  return 0;
}
