/*
 * The application of the fork tests (fork.sh). Usage: fapp MODE [N]
 *   snapshot  fork: the child sees the library's state and the shared
 *             heap as of the fork, changes them, exits; the parent's are
 *             unchanged. Twice: the second child ends with _exit.
 *   thread    the same, forked from a thread other than main's.
 *   crash     the child crashes in the library; the parent goes on.
 *   libfork   the library calls fork() itself, inside its compartment;
 *             the child returns through the gate and calls it again.
 *   denied    the child makes a system call the filter denies.
 *   killchild the child is killed with SIGKILL: its compartments end.
 *   daemon    the parent exits at once; the child outlives it and then
 *             calls the library (daemon(3), Redis's daemonize).
 *   busy      20 forks while two other threads keep calling the library.
 *   heapfork  20 forks while threads allocate and free in the
 *             application's heap, the shared heap and (not under
 *             intel-mpk, where the forking thread cannot reach it) the
 *             library's: the child must find them unlocked (it allocates
 *             in each, or hangs).
 *   spawnfork 20 forks while threads that call the library once start
 *             and end: the library's process starts and ends a server
 *             thread for each, so the copy of it that fork() makes must
 *             not inherit the C library's thread locks held (its
 *             dispatcher would never start).
 *   procself  three children each open a file of their /proc/self.
 *   procmem   (intel-mpk) the parent and a child try to open their
 *             /proc/self/mem, and ask every unix socket they hold (the
 *             helper that opens a child's /proc/self files among them)
 *             for "mem" and "../1/mem": all refused.
 *   bench N   N times fork + exit + wait, and N times with a gate in the
 *             child: the mean latency of each.
 * Prints "FAIL: ..." and exits 1 when something is not as it must be.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <flexos/flexos.h>

#include "flib.h"

static int failed;
static long app_secret = 1234;

#define CHECK(cond, ...)                              \
	do {                                          \
		if (!(cond)) {                        \
			printf("FAIL: " __VA_ARGS__); \
			printf("\n");                 \
			failed = 1;                   \
		}                                     \
	} while (0)

static int is_process(void)
{
	return strcmp(flexos_backend_name(), "process") == 0;
}

/* The child's side: checks the snapshot, changes it, returns its exit status. */
static int child(long *shared, long parent_lib_pid)
{
	long lib_pid = flib_get(2);

	CHECK(flib_get(0) == 41, "child: the library's global is %ld, expected 41", flib_get(0));
	CHECK(flib_get(1) == 42, "child: the library's heap object is %ld, expected 42",
	      flib_get(1));
	CHECK(flib_shared(shared, 0, 0) == 7, "child: the shared heap holds %ld, expected 7",
	      flib_shared(shared, 0, 0));
	if (is_process())
		CHECK(lib_pid != parent_lib_pid && lib_pid != getpid(),
		      "child: the library runs in process %ld (the parent's: %ld, the child's "
		      "main: %d): not a process of its own",
		      lib_pid, parent_lib_pid, (int)getpid());
	else
		CHECK(lib_pid == getpid(), "child: the library runs in %ld, not in %d", lib_pid,
		      (int)getpid());
	flib_set(99);
	flib_shared(shared, 1, 8);
	CHECK(flib_get(0) == 99 && flib_get(1) == 100 && *shared == 8,
	      "child: its changes did not hold (%ld %ld %ld)", flib_get(0), flib_get(1), *shared);
	printf("child %d: library in process %ld: saw 41 42 7, wrote 99 100 8\n", (int)getpid(),
	       lib_pid);
	fflush(stdout);
	return failed ? 1 : 42;
}

static void check_parent(long *shared, long lib_pid, const char *after)
{
	CHECK(flib_get(0) == 41 && flib_get(1) == 42 && *shared == 7,
	      "parent after %s: its state is %ld %ld %ld, expected 41 42 7", after, flib_get(0),
	      flib_get(1), *shared);
	CHECK(flib_get(2) == lib_pid, "parent after %s: the library moved from process %ld to %ld",
	      after, lib_pid, flib_get(2));
}

static void *snapshot(void *arg)
{
	const char *how = arg;
	long *shared = flexos_shared_malloc(sizeof(*shared));

	flib_set(41);
	*shared = 7;
	long lib_pid = flib_get(2);
	for (int round = 0; round < 2; round++) {
		fflush(stdout);
		pid_t pid = fork();
		if (pid < 0) {
			CHECK(0, "fork: %s", strerror(errno));
			return NULL;
		}
		if (pid == 0) {
			int st = child(shared, lib_pid);
			if (round == 0)
				exit(st);
			_exit(st);
		}
		int st = 0;
		CHECK(waitpid(pid, &st, 0) == pid, "waitpid: %s", strerror(errno));
		CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 42,
		      "the child (%s) ended with wait status %#x, expected exit status 42",
		      round ? "_exit" : "exit", st);
		check_parent(shared, lib_pid, round ? "a child's _exit" : "a child's exit");
	}
	if (!failed)
		printf("parent (%s): two children saw the snapshot; state unchanged: 41 42 7\n",
		       how);
	return NULL;
}

static double now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static void bench(int n)
{
	flib_set(41);
	for (int gate = 0; gate < 2; gate++) {
		double t0 = now_us();
		for (int i = 0; i < n; i++) {
			pid_t pid = fork();
			if (pid == 0)
				_exit(gate ? (int)flib_get(0) : 41);
			int st = 0;
			if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st) ||
			    WEXITSTATUS(st) != 41) {
				CHECK(0, "bench: fork %d of %d ended with status %#x", i, n, st);
				return;
			}
		}
		printf("bench %s: fork+%sexit+wait: %.0f us (mean of %d)\n", flexos_backend_name(),
		       gate ? "gate+" : "", (now_us() - t0) / n, n);
	}
}

static volatile int busy_stop;

static void *busy_thread(void *arg)
{
	(void)arg;
	while (!busy_stop)
		if (flib_get(0) != 41)
			CHECK(0, "busy: a thread read %ld", flib_get(0));
	return NULL;
}

/*
 * 20 forks, PAUSE microseconds apart, while two threads run THREAD: each
 * child reads the library's state through gates and must find it as set.
 */
static void fork_beside(const char *mode, void *(*thread)(void *), useconds_t pause)
{
	pthread_t t[2];

	flib_set(41);
	for (int i = 0; i < 2; i++)
		CHECK(!pthread_create(&t[i], NULL, thread, NULL), "no thread");
	for (int i = 0; i < 20; i++) {
		if (pause)
			usleep(pause);
		fflush(stdout);
		pid_t pid = fork();
		if (pid == 0)
			_exit(flib_get(0) == 41 && flib_get(1) == 42 ? 0 : 1);
		int st = 0;
		CHECK(pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st) &&
			  WEXITSTATUS(st) == 0,
		      "%s: fork %d: the child ended with wait status %#x", mode, i, st);
	}
	busy_stop = 1;
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
}

/* Forks while other threads are inside the library's compartment, or about to be. */
static void busy(void)
{
	fork_beside("busy", busy_thread, 0);
	printf("busy: 20 children forked while two threads called the library\n");
}

static void *call_once(void *arg)
{
	(void)arg;
	if (flib_get(0) != 41)
		CHECK(0, "spawnfork: a thread read %ld", flib_get(0));
	return NULL;
}

static void *spawn_callers(void *arg)
{
	(void)arg;
	while (!busy_stop) {
		pthread_t t;
		if (!pthread_create(&t, NULL, call_once, NULL))
			pthread_join(t, NULL);
	}
	return NULL;
}

/* Forks while the library's process starts and ends threads. */
static void spawnfork(void)
{
	fork_beside("spawnfork", spawn_callers, 1000);
	printf("spawnfork: 20 children forked while threads started and ended\n");
}

/* Sends NAME and a reply socket to sock; the descriptor it answers with, or -1. */
static int ask_socket(int sock, const char *name)
{
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv))
		return -1;
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int))];
	} u;
	memset(&u, 0, sizeof(u));
	struct iovec iov = {(void *)name, strlen(name)};
	struct msghdr m = {.msg_iov = &iov,
			   .msg_iovlen = 1,
			   .msg_control = u.buf,
			   .msg_controllen = sizeof(u.buf)};
	struct cmsghdr *c = CMSG_FIRSTHDR(&m);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &sv[1], sizeof(int));
	int fd = -1, err = 0;
	if (sendmsg(sock, &m, MSG_NOSIGNAL | MSG_DONTWAIT) >= 0) {
		close(sv[1]);
		sv[1] = -1;
		iov = (struct iovec){&err, sizeof(err)};
		m = (struct msghdr){.msg_iov = &iov,
				    .msg_iovlen = 1,
				    .msg_control = u.buf,
				    .msg_controllen = sizeof(u.buf)};
		struct timeval tv = {2, 0};
		setsockopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		if (recvmsg(sv[0], &m, 0) > 0 && (c = CMSG_FIRSTHDR(&m)) &&
		    c->cmsg_type == SCM_RIGHTS)
			memcpy(&fd, CMSG_DATA(c), sizeof(int));
	}
	close(sv[0]);
	if (sv[1] >= 0)
		close(sv[1]);
	return fd;
}

/* Tries every way this process has to its own memory file; returns how many worked. */
static int try_mem(const char *who)
{
	char path[64];
	int opened = 0, asked = 0;
	snprintf(path, sizeof(path), "/proc/%d/mem", (int)getpid());
	const char *paths[] = {"/proc/self/mem", path};
	for (int i = 0; i < 2; i++) {
		int fd = open(paths[i], O_RDONLY);
		if (fd >= 0) {
			printf("procmem: %s opened %s\n", who, paths[i]);
			close(fd);
			opened++;
		}
	}
	for (int fd = 0; fd < 64; fd++) {
		struct stat st;
		int type = 0;
		socklen_t len = sizeof(type);
		if (fstat(fd, &st) || !S_ISSOCK(st.st_mode) ||
		    getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) || type != SOCK_SEQPACKET)
			continue;
		asked++;
		const char *names[] = {"mem", "../1/mem", "task/../mem"};
		for (int k = 0; k < 3; k++) {
			int got = ask_socket(fd, names[k]);
			if (got >= 0) {
				printf("procmem: %s got a descriptor for %s from socket %d\n", who,
				       names[k], fd);
				close(got);
				opened++;
			}
		}
	}
	printf("procmem: %s: %d of its memory files opened, %d sockets asked\n", who, opened,
	       asked);
	fflush(stdout);
	return opened + (asked ? 0 : 100);
}

static void *churn_app(void *arg)
{
	(void)arg;
	while (!busy_stop)
		free(*(void *volatile *)&(void *){malloc(64)});
	return NULL;
}

static void *churn_shared(void *arg)
{
	(void)arg;
	while (!busy_stop)
		flexos_shared_free(*(void *volatile *)&(void *){flexos_shared_malloc(64)});
	return NULL;
}

static void *churn_lib(void *arg)
{
	(void)arg;
	while (!busy_stop)
		flib_churn(100);
	return NULL;
}

/*
 * Forks while other threads hold a heap's lock, or are about to: fork()
 * copies a lock held by a thread the child does not have, so the heaps
 * must be locked around it, or the child's first allocation spins
 * forever (the alarm ends it: wait status 0xe). Under intel-mpk, fork()
 * cannot lock the library's heap, out of the forking thread's reach:
 * a child that finds it held at the fork ends with a report (SIGABRT),
 * counted apart, never a hang.
 */
static void heapfork(void)
{
	void *(*churn[3])(void *) = {churn_app, churn_shared, churn_lib};
	int mpk = !strcmp(flexos_backend_name(), "intel-mpk");
	int nt = 3, reported = 0;
	pthread_t t[3];

	for (int i = 0; i < nt; i++)
		CHECK(!pthread_create(&t[i], NULL, churn[i], NULL), "no thread");
	int hung = 0;
	for (int i = 0; i < 20; i++) {
		usleep(2000);
		fflush(stdout);
		pid_t pid = fork();
		if (pid == 0) {
			alarm(20);
			free(*(void *volatile *)&(void *){malloc(64)});
			flexos_shared_free(*(void *volatile *)&(void *){flexos_shared_malloc(64)});
			_exit(flib_churn(10) == 10 ? 0 : 1);
		}
		int st = 0;
		CHECK(pid > 0 && waitpid(pid, &st, 0) == pid, "heapfork: fork or waitpid failed");
		if (mpk && WIFSIGNALED(st) && WTERMSIG(st) == SIGABRT) {
			reported++;
		} else if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
			CHECK(0, "heapfork: fork %d: the child ended with wait status %#x", i, st);
			hung++;
		}
	}
	busy_stop = 1;
	for (int i = 0; i < nt; i++)
		pthread_join(t[i], NULL);
	printf("heapfork: 20 children forked while %d threads allocated; %d of them did not "
	       "end well\n",
	       nt, hung);
	if (mpk)
		printf("heapfork: %d children found the library's heap locked at the fork and "
		       "ended with a report\n",
		       reported);
}

/* The child's compartments end with it, even when it is killed. */
static void killchild(void)
{
	int fd[2];
	long lib_pid = 0;

	flib_set(41);
	CHECK(!pipe(fd), "pipe");
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		lib_pid = flib_get(2);
		if (write(fd[1], &lib_pid, sizeof(lib_pid)) != sizeof(lib_pid))
			_exit(1);
		for (;;)
			pause();
	}
	CHECK(read(fd[0], &lib_pid, sizeof(lib_pid)) == sizeof(lib_pid), "no pid from the child");
	kill(pid, SIGKILL);
	int st = 0;
	CHECK(waitpid(pid, &st, 0) == pid && WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL,
	      "killchild: the child ended with wait status %#x", st);
	int gone = 0;
	for (int i = 0; i < 200 && !gone; i++) {
		gone = kill((pid_t)lib_pid, 0) && errno == ESRCH;
		usleep(10000);
	}
	CHECK(gone, "killchild: the child's library process %ld lives on", lib_pid);
	CHECK(flib_get(0) == 41, "killchild: the parent's library state is %ld", flib_get(0));
	printf("killchild: the child's library process %ld is gone\n", lib_pid);
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "snapshot";

	printf("fapp: backend %s, mode %s\n", flexos_backend_name(), mode);
	if (!strcmp(mode, "snapshot")) {
		snapshot("main thread");
	} else if (!strcmp(mode, "thread")) {
		pthread_t t;
		if (pthread_create(&t, NULL, snapshot, "another thread") || pthread_join(t, NULL))
			CHECK(0, "no thread");
	} else if (!strcmp(mode, "crash")) {
		flib_set(41);
		fflush(stdout);
		pid_t pid = fork();
		if (pid == 0) {
			/* The application's memory where the library cannot reach it; none has no
			 * such place. */
			flib_crash(strcmp(flexos_backend_name(), "none") ? (long)&app_secret : 16);
			_exit(0);
		}
		int st = 0;
		CHECK(pid > 0 && waitpid(pid, &st, 0) == pid, "fork or waitpid failed");
		printf("crash: the child ended with wait status %#x\n", st);
		CHECK(flib_get(0) == 41, "crash: the parent's library state is %ld", flib_get(0));
	} else if (!strcmp(mode, "libfork")) {
		flib_set(41);
		fflush(stdout);
		long st = flib_fork(0);
		if (st == -100)
			_exit(flib_get(0) == 41 ? 0 : 1);
		printf("libfork: the library's fork returned wait status %#lx\n", st);
	} else if (!strcmp(mode, "denied")) {
		fflush(stdout);
		pid_t pid = fork();
		if (pid == 0) {
			/* Denied by the intel-mpk filter; harmless elsewhere. */
			syscall(SYS_process_vm_readv, getppid(), NULL, 0, NULL, 0, 0);
			_exit(0);
		}
		int st = 0;
		CHECK(pid > 0 && waitpid(pid, &st, 0) == pid, "fork or waitpid failed");
		printf("denied: the child ended with wait status %#x\n", st);
	} else if (!strcmp(mode, "daemon")) {
		pid_t parent = getpid();
		flib_set(41);
		fflush(stdout);
		pid_t pid = fork();
		CHECK(pid >= 0, "fork: %s", strerror(errno));
		if (pid == 0) {
			/* Until the parent, its compartments and its supervisor are gone. */
			while (kill(parent, 0) == 0)
				usleep(10000);
			usleep(200000);
			long v = flib_get(0);
			flib_set(v + 1);
			printf("daemon: the child outlived its parent; its library holds %ld, then "
			       "%ld\n",
			       v, flib_get(0));
			return flib_get(0) == 42 ? 0 : 1;
		}
		printf("daemon: the parent exits, its child %d goes on\n", (int)pid);
	} else if (!strcmp(mode, "killchild")) {
		killchild();
	} else if (!strcmp(mode, "busy")) {
		busy();
	} else if (!strcmp(mode, "spawnfork")) {
		spawnfork();
	} else if (!strcmp(mode, "procself")) {
		/* A child of fork() opens its own /proc/self files (Redis's reads smaps). */
		const char *files[] = {"/proc/self/status", "/proc/self/smaps", "/proc/self/stat"};
		for (int i = 0; i < 3; i++) {
			fflush(stdout);
			pid_t pid = fork();
			if (pid == 0) {
				FILE *f = fopen(files[i], "r");
				printf("procself: the child opens %s: %s\n", files[i],
				       f ? "ok" : strerror(errno));
				fflush(stdout);
				_exit(f ? 0 : 1);
			}
			int st = 0;
			CHECK(pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st) &&
				  WEXITSTATUS(st) == 0,
			      "procself: the child could not open %s", files[i]);
		}
	} else if (!strcmp(mode, "procmem")) {
		CHECK(try_mem("the parent") == 0, "procmem: the parent reached its memory file");
		pid_t pid = fork();
		if (pid == 0)
			_exit(try_mem("a child") == 0 ? 0 : 1);
		int st = 0;
		CHECK(pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st) &&
			  WEXITSTATUS(st) == 0,
		      "procmem: the child reached its memory file (wait status %#x)", st);
	} else if (!strcmp(mode, "heapfork")) {
		heapfork();
	} else if (!strcmp(mode, "bench")) {
		bench(argc > 2 ? atoi(argv[2]) : 100);
	} else {
		fprintf(stderr, "fapp: unknown mode %s\n", mode);
		return 2;
	}
	printf("%s\n", failed ? "fapp: FAILED" : "fapp: ok");
	return failed;
}
