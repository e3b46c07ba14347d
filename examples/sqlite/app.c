/*
 * The FlexOS SQLite benchmark with Debian's unmodified libsqlite3.a in a
 * compartment of its own: create a table, run N INSERTs (5000 by default),
 * one statement each, then read every row back and check it.
 *
 * Nothing here is a gate: flexos-link routes every call into SQLite
 * through one, from the symbol tables. What the application must do is
 * hand SQLite memory it may access: the SQL text and the out-parameters
 * (&db, &stmt) live in shared memory. SQLite hands back pointers into its
 * own heap (sqlite3_column_text, sqlite3_errmsg), which the application
 * reads because the SQLite compartment is its sandbox (sandbox_of: app).
 *
 * Built with -DFLEXOS_PLAIN it is the plain program, without libflexos,
 * that bench/sqlite compares with.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#ifdef FLEXOS_PLAIN
#define flexos_shared_malloc malloc
#else
#include <flexos/flexos.h>
#endif

static int rows_seen; /* the application's own: written by its callback */

/* Called by SQLite for every row of sqlite3_exec (a callback listed in the config). */
int count_rows(void *arg, int ncols, char **values, char **names);

int count_rows(void *arg, int ncols, char **values, char **names)
{
	(void)names;
	rows_seen++;
	if (ncols == 1 && values[0])
		*(long *)arg = strtol(values[0], NULL, 10);
	return 0;
}

static char *shared_strdup(const char *s)
{
	size_t n = strlen(s) + 1;
	char *p = flexos_shared_malloc(n);
	if (!p) {
		perror("flexos_shared_malloc");
		exit(1);
	}
	return memcpy(p, s, n);
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void exec_or_die(sqlite3 *db, char *sql)
{
	if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK) {
		fprintf(stderr, "sqlite: '%s' failed: %s\n", sql, sqlite3_errmsg(db));
		exit(1);
	}
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 5000;
	sqlite3 **db = flexos_shared_malloc(sizeof(*db));
	sqlite3_stmt **stmt = flexos_shared_malloc(sizeof(*stmt));
	long *count = flexos_shared_malloc(sizeof(*count));
	char *sql = flexos_shared_malloc(256);
	int bad = 0, rows = 0;

	if (!db || !stmt || !count || !sql || n <= 0) {
		fprintf(stderr, "usage: sqlite-bench [N>0]\n");
		return 2;
	}
	if (sqlite3_open(shared_strdup(":memory:"), db) != SQLITE_OK) {
		fprintf(stderr, "sqlite: cannot open the database: %s\n", sqlite3_errmsg(*db));
		return 1;
	}
	exec_or_die(*db, shared_strdup("CREATE TABLE t (id INTEGER PRIMARY KEY, v INTEGER, s TEXT)"));

	double t0 = now();
	for (int i = 0; i < n; i++) {
		snprintf(sql, 256, "INSERT INTO t VALUES (%d, %d, 'row %d')", i, i * 7, i);
		exec_or_die(*db, sql);
	}
	double t1 = now();

	/* Every row, read back: the text comes from SQLite's own heap. */
	if (sqlite3_prepare_v2(*db, shared_strdup("SELECT id, v, s FROM t ORDER BY id"), -1, stmt,
			       NULL) != SQLITE_OK) {
		fprintf(stderr, "sqlite: prepare failed: %s\n", sqlite3_errmsg(*db));
		return 1;
	}
	while (sqlite3_step(*stmt) == SQLITE_ROW) {
		char want[32];
		int id = sqlite3_column_int(*stmt, 0);
		const unsigned char *s = sqlite3_column_text(*stmt, 2);
		snprintf(want, sizeof(want), "row %d", rows);
		if (id != rows || sqlite3_column_int(*stmt, 1) != rows * 7 || !s ||
		    strcmp((const char *)s, want))
			bad++;
		rows++;
	}
	sqlite3_finalize(*stmt);

	/* A callback: SQLite calls count_rows, which runs in the application. */
	if (sqlite3_exec(*db, shared_strdup("SELECT count(*) FROM t"), count_rows, count, NULL) !=
	    SQLITE_OK) {
		fprintf(stderr, "sqlite: count failed: %s\n", sqlite3_errmsg(*db));
		return 1;
	}
	/* An error message: a string in SQLite's heap. */
	int rc = sqlite3_exec(*db, shared_strdup("SELEC 1"), NULL, NULL, NULL);
	const char *msg = sqlite3_errmsg(*db);

	printf("sqlite: %d inserts in %.3f s\n", n, t1 - t0);
	printf("sqlite: %d rows read back, %d wrong; count(*) = %ld via %d callback(s)\n", rows, bad,
	       *count, rows_seen);
	printf("sqlite: a bad statement fails with: %s\n", rc != SQLITE_OK ? msg : "(no error!)");
	/* Before sqlite3_close, which frees the message. */
	int ok = rows == n && !bad && *count == n && rows_seen == 1 && rc != SQLITE_OK &&
		 strstr(msg, "syntax error");
	sqlite3_close(*db);
	if (!ok) {
		printf("sqlite: FAILED\n");
		return 1;
	}
	printf("sqlite: ok\n");
	return 0;
}
